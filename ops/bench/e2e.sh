#!/usr/bin/env bash
# End-to-end benchmark: the same numbered 5-value points through each system, measured in one run on one machine.
#
#   ops/bench/e2e.sh            full run (3 runs of each scenario, ~15-25 min): table + plot into docs/bench/
#   ops/bench/e2e.sh --quick    small counts, 1 run each (CI, < 5 min): table into .bench/out/, no plot
#   options: --runs N (runs of each scenario), --no-node-red (skip both Node-RED peers), --out DIR (table and plot),
#            --direct-points N, --http-points N, --mqtt-points N, --mqtt-connections N, --node-red-1msg-points N,
#            --warmup-points N, --mqtt-warmup-points N (override the mode's sizes),
#            --no-build (use the Release binaries as they are), --only a,b (run only these scenarios; a diagnosis aid),
#            --mqtt-client raw|mqttnet (the load tool's MQTT devices: raw sockets, the default, or the MQTTnet clients of
#            earlier runs), --mqtt-version 5|3.1.1, --half-seconds N (the half-load run; 60, --quick 10), --no-half-load,
#            --bridge-connections N (the bridge's Connections; 4)
#
# Scenarios, each run into its own database of a private influxd (dropped after its check):
#   direct-1w / direct-2w   the load tool writes straight to influxd (5,000-point batches): the database's ceiling
#   http                    batched HTTP ingest → our exe (FasterLog, processing) → influxd
#   write                   InfluxDB line protocol, 5,000-line batches with device tokens → our exe's /write → influxd
#   mqtt-own                MQTT QoS 1 devices → our exe's broker → influxd
#   node-red                MQTT QoS 1 devices → Mosquitto → Node-RED (mqtt in → function → join 1000 → influxdb batch) → influxd
#   node-red-1msg           the same into Node-RED's per-message flow (mqtt in → function → influxdb out: one write per
#                           message); fewer points (it is slow), never asserted
#   bridge                  MQTT QoS 1 devices → Mosquitto → our exe's bridge → influxd
# MQTT devices: by default raw sockets with pre-encoded packets (bench/Datacake.Streams.LoadGen/EndToEnd/RawMqttDevice.cs),
# so that the load tool is not what limits a system sharing its 2 cores; its CPU is a column of the table.
# Half load: after each saturated run (but node-red-1msg's), the same system, still running, is offered half of the
# rate that run measured, paced by the load tool's clock, for --half-seconds; its points are numbered after the
# saturated run's and checked the same way, and its latency send → queryable goes beside the saturated one.
# Runs are interleaved: round 1 runs every scenario once, then round 2, ..., so a noisy minute of a shared machine hits
# one run of several scenarios rather than every run of one. Each run starts its system fresh (our host, Node-RED),
# sends a warm-up load through the same path and waits until it is written, then starts the clock: a server runs warm,
# and a fresh host spends its first seconds in the JIT. Every point carries a unique number; after each run the load
# tool reads the database back and checks that every acknowledged point is there exactly once. Any loss, duplicate or
# misplaced point of the database itself or of our system fails the run (exit 1); Node-RED's loss is reported, not
# asserted. Speed figures are reported, not asserted.
#
# Everything runs on private servers started here on free loopback ports (the shared influxd/mosquitto of
# ops/services.sh are not touched), with state under .bench/ (gitignored); every process started is stopped at exit.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo_root"

mode=full
node_red=1
build=1
only=""
out=""
mqtt_client=raw
mqtt_version=5
half_load=1
# The bridge's connections sharing its subscription: one Mosquitto client gets at most max_inflight_messages (20)
# unacknowledged messages, ~10k/s against a 2 ms group commit; 4 lift that cap well past what 2 cores can carry.
bridge_connections=4
while (($#)); do
  case $1 in
    --quick) mode=quick ;;
    --no-node-red) node_red=0 ;;
    --out) out=$2; shift ;;
    --no-build) build=0 ;;
    --only) only=",$2,"; shift ;;
    --runs) runs_arg=$2; shift ;;
    --direct-points) direct_points_arg=$2; shift ;;
    --http-points) http_points_arg=$2; shift ;;
    --mqtt-points) mqtt_points_arg=$2; shift ;;
    --mqtt-connections) mqtt_connections_arg=$2; shift ;;
    --node-red-1msg-points) node_red_1msg_points_arg=$2; shift ;;
    --warmup-points) warmup_points_arg=$2; shift ;;
    --mqtt-warmup-points) mqtt_warmup_points_arg=$2; shift ;;
    --mqtt-client) mqtt_client=$2; shift ;;
    --mqtt-version) mqtt_version=$2; shift ;;
    --half-seconds) half_seconds_arg=$2; shift ;;
    --no-half-load) half_load=0 ;;
    --bridge-connections) bridge_connections=$2; shift ;;
    -h | --help) sed -n '2,35p' "$0"; exit 0 ;;
    *) echo "e2e: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

# Sizes: quick proves the mechanics in CI; full makes each timed run last ≥ 15 s on an idle 2-core machine (direct
# writes ~160-300k points/s, HTTP ingest ~100-150k/s, MQTT QoS 1 ~10-15k/s, the bridge ~3k/s) and stays under ~25
# minutes on a shared one with 3 runs of everything.
# Warm-up: the lead's profile of a fresh host under 1M HTTP points showed ~27% of its CPU in the JIT and ~40% in
# coreclr helpers (tiered PGO instrumentation), 50k points/s for the first 12 s and 100-330k/s after; 300k points
# (a few seconds at speed) get it past that. MQTT paths get 50k (5 s over our broker, ~15 s through the bridge).
# MQTT connections: our broker acknowledges a connection's QoS 1 messages one durable append after another
# (docs/INGEST.md), so its rate grows with connections; Mosquitto's does not care. Every MQTT system gets the same.
# node-red-1msg: one HTTP write per message, measured < 2.5k points/s: its points are capped (50k ≈ 20+ s) and its
# delivery wait bounded, so it cannot dominate the run.
if [[ $mode == quick ]]; then
  runs=1
  direct_points=100000 http_points=100000 mqtt_points=20000 mqtt_connections=64 node_red_1msg_points=5000
  warmup_points=20000 mqtt_warmup_points=5000 node_red_1msg_warmup=1000
  stall=15 node_red_1msg_deliver=60 half_seconds=10
  out=${out:-$repo_root/.bench/out}
else
  runs=3
  direct_points=3000000 http_points=3000000 mqtt_points=250000 mqtt_connections=256 node_red_1msg_points=50000
  warmup_points=300000 mqtt_warmup_points=50000 node_red_1msg_warmup=5000
  stall=60 node_red_1msg_deliver=180 half_seconds=60
  out=${out:-$repo_root/docs/bench}
fi
runs=${runs_arg:-$runs}
half_seconds=${half_seconds_arg:-$half_seconds}
direct_points=${direct_points_arg:-$direct_points} http_points=${http_points_arg:-$http_points}
mqtt_points=${mqtt_points_arg:-$mqtt_points} mqtt_connections=${mqtt_connections_arg:-$mqtt_connections}
node_red_1msg_points=${node_red_1msg_points_arg:-$node_red_1msg_points}
warmup_points=${warmup_points_arg:-$warmup_points} mqtt_warmup_points=${mqtt_warmup_points_arg:-$mqtt_warmup_points}
devices=100          # registered devices; HTTP requests rotate over them, MQTT connection i is device i mod 100
http_connections=8   # keep-alive connections, each posting 1,000 measurements per request
http_per_request=1000
write_connections=4  # /write: keep-alive connections, each posting 5,000 lines (InfluxData's recommended batch)
mqtt_inflight=4      # QoS 1 publishes awaiting PUBACK per device connection
sample_ms=100        # influxd's written counter is sampled this often: the resolution of the latency estimate

cache=$repo_root/.bench
run=$cache/run
rm -rf "$run"
mkdir -p "$run" "$out"
bench_name=e2e
# shellcheck source=lib.sh
. "$repo_root/ops/bench/lib.sh"   # log, die, track/stop_pid/stop_all, wait_http, cpu_seconds, peak_rss_mib, apt_install, start_influxd
trap stop_all EXIT

command -v influxd >/dev/null || apt_install influxdb
command -v mosquitto >/dev/null || apt_install mosquitto
command -v curl >/dev/null || apt_install curl
if [[ $mode == full ]]; then
  # The charts name DejaVu Sans; a machine without any font would draw no text.
  [[ -n $(fc-list 2>/dev/null | head -1) ]] || apt_install fonts-dejavu-core fontconfig
fi
if ((node_red)); then
  command -v npm >/dev/null || apt_install nodejs npm
  node_red_dir=$cache/node-red
  if [[ ! -f $node_red_dir/node_modules/node-red/red.js || ! -d $node_red_dir/node_modules/node-red-contrib-influxdb ]]; then
    log "installing Node-RED 4.1.15 + node-red-contrib-influxdb 0.7.0 (npm) into $node_red_dir"
    mkdir -p "$node_red_dir"
    npm install --prefix "$node_red_dir" --no-audit --no-fund --loglevel=error \
      node-red@4.1.15 node-red-contrib-influxdb@0.7.0 >"$run/npm.log" 2>&1 || die "npm install failed: see $run/npm.log"
  fi
fi

if ((build)); then
  log "building the load tool and the host (Release)"
  projects=(bench/Datacake.Streams.LoadGen host/Datacake.Streams.Host)
  [[ $mode == full ]] && projects+=(bench/Datacake.Streams.BenchPlot)
  for project in "${projects[@]}"; do
    dotnet build -c Release -v q -nologo "$project" >"$run/build.log" 2>&1 || { cat "$run/build.log" >&2; die "build of $project failed"; }
  done
fi
loadgen_dll=$repo_root/bench/Datacake.Streams.LoadGen/bin/Release/net10.0/Datacake.Streams.LoadGen.dll
host_dll=$repo_root/host/Datacake.Streams.Host/bin/Release/net10.0/datacake-streams.dll
loadgen() { dotnet "$loadgen_dll" "$@"; }

mapfile -t ports < <(loadgen ports 6)
influx_port=${ports[0]} influx_rpc_port=${ports[1]} mosquitto_port=${ports[2]}
host_http_port=${ports[3]} host_mqtt_port=${ports[4]} node_red_port=${ports[5]}

# --- private influxd: defaults but ports, folders, no auth (loopback), no HTTP access log ---------------------------
start_influxd "$run/influx" "$influx_port" "$influx_rpc_port"

# --- private Mosquitto, the same for every system of the run --------------------------------------------------------
mosquitto_config="max_queued_messages 0 (no drops for a slow subscriber), max_inflight_messages 20, persistence off, anonymous on loopback"
mkdir -p "$run/mosquitto"
cat >"$run/mosquitto/mosquitto.conf" <<EOF
user root
per_listener_settings false
allow_anonymous true
persistence false
log_dest file $run/mosquitto/mosquitto.log
log_type error
log_type warning
log_type notice
connection_messages true
max_queued_messages 0
max_inflight_messages 20
listener $mosquitto_port 127.0.0.1
EOF
mosquitto -c "$run/mosquitto/mosquitto.conf" >"$run/mosquitto/stdout.log" 2>&1 &
mosquitto_pid=$!
track "$mosquitto_pid"
for _ in $(seq 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$mosquitto_port") 2>/dev/null && break
  alive "$mosquitto_pid" || die "mosquitto did not start: see $run/mosquitto/mosquitto.log"
  sleep 0.1
done

# --- our host -------------------------------------------------------------------------------------------------------
host_pid=""
prepare_host() { # name → $run/<name>/{devices,token,device-tokens}
  mkdir -p "$run/$1"
  loadgen prepare --data "$run/$1" --devices "$devices" --devices-file "$run/$1/devices" \
    --device-tokens-file "$run/$1/device-tokens" | sed -n 's/^token=//p' >"$run/$1/token"
}
start_host() { # name database [VAR=value ...]
  local name=$1 database=$2
  shift 2
  launch_node "$run/$name" "http://127.0.0.1:$host_http_port" "127.0.0.1:$host_mqtt_port" "$database" "$@"
  host_pid=$node_pid
}
stop_host() { [[ -n $host_pid ]] && stop_pid "$host_pid"; host_pid=""; }

# --- Node-RED: the flow many IoT teams run for MQTT → InfluxDB -------------------------------------------------------
node_red_pid=""
start_node_red() { # name database batch|1msg
  local dir=$run/$1 nodes
  mkdir -p "$dir"
  cat >"$dir/settings.js" <<EOF
module.exports = {
  uiHost: "127.0.0.1",
  uiPort: $node_red_port,
  flowFile: "flows.json",
  credentialSecret: false,
  editorTheme: { projects: { enabled: false } },
  logging: { console: { level: "info", metrics: false, audit: false } },
};
EOF
  if [[ $3 == batch ]]; then
    # mqtt in (QoS 1, parsed JSON) → function (one InfluxDB point per message, the device's own time) → join (arrays
    # of 1,000, or whatever is there 1 s after a group's first message) → influxdb batch (one write per 1,000 points).
    nodes=$(cat <<EOF
  { "id": "fn", "type": "function", "z": "tab", "name": "to point", "outputs": 1, "x": 300, "y": 100, "wires": [["join"]],
    "func": "const e = msg.payload[0];\nmsg.payload = { measurement: 'values', tags: { device: msg.topic.split('/')[1] }, fields: e.values, timestamp: e.time };\nreturn msg;" },
  { "id": "join", "type": "join", "z": "tab", "name": "1000", "mode": "custom", "build": "array", "property": "payload",
    "propertyType": "msg", "key": "topic", "joiner": "\\\\n", "joinerType": "str", "accumulate": false, "timeout": "1",
    "count": "1000", "reduce": false, "x": 500, "y": 100, "wires": [["batch"]] },
  { "id": "batch", "type": "influxdb batch", "z": "tab", "name": "write", "influxdb": "influx", "precision": "ms",
    "retentionPolicy": "", "x": 700, "y": 100, "wires": [] }
EOF
    )
  else
    # mqtt in (QoS 1, parsed JSON) → function ([fields with the device's own time, tags]) → influxdb out: the node's
    # documented per-message form, one HTTP write per message.
    nodes=$(cat <<EOF
  { "id": "fn", "type": "function", "z": "tab", "name": "to point", "outputs": 1, "x": 300, "y": 100, "wires": [["out"]],
    "func": "const e = msg.payload[0];\nmsg.payload = [Object.assign({}, e.values, { time: e.time }), { device: msg.topic.split('/')[1] }];\nreturn msg;" },
  { "id": "out", "type": "influxdb out", "z": "tab", "name": "write", "influxdb": "influx", "measurement": "values",
    "precision": "ms", "retentionPolicy": "", "x": 500, "y": 100, "wires": [] }
EOF
    )
  fi
  cat >"$dir/flows.json" <<EOF
[
  { "id": "tab", "type": "tab", "label": "bench" },
  { "id": "broker", "type": "mqtt-broker", "name": "mosquitto", "broker": "127.0.0.1", "port": "$mosquitto_port",
    "clientid": "node-red-bench", "autoConnect": true, "usetls": false, "protocolVersion": "4", "keepalive": "60",
    "cleansession": true },
  { "id": "influx", "type": "influxdb", "hostname": "127.0.0.1", "port": "$influx_port", "protocol": "http",
    "database": "$2", "name": "bench", "usetls": false, "influxdbVersion": "1.x" },
  { "id": "in", "type": "mqtt in", "z": "tab", "name": "devices", "topic": "bench/+/up", "qos": "1", "datatype": "json",
    "broker": "broker", "nl": false, "rap": true, "rh": 0, "inputs": 0, "x": 100, "y": 100, "wires": [["fn"]] },
$nodes
]
EOF
  node "$node_red_dir/node_modules/node-red/red.js" -u "$dir" >"$dir/node-red.log" 2>&1 &
  node_red_pid=$!
  track "$node_red_pid"
  wait_http "http://127.0.0.1:$node_red_port/" 200 120 "$node_red_pid" || { tail -30 "$dir/node-red.log" >&2; die "Node-RED did not start"; }
}
stop_node_red() { [[ -n $node_red_pid ]] && stop_pid "$node_red_pid"; node_red_pid=""; }

# --- scenarios ------------------------------------------------------------------------------------------------------
results=$run/results.tsv
half_results=$run/half-results.tsv
: >"$results"
: >"$half_results"
failed=0
want() { [[ -z $only || $only == *",$1,"* ]]; }
database_of() { echo "bench_${1//-/_}_r$2"; }
drop_database() { curl -s -o /dev/null --max-time 60 -XPOST "$influx_url/query" --data-urlencode "q=DROP DATABASE \"$1\"" || true; }
judge() { # name run asserted status output-file → 0 with the result line in $result_line, 1 when there is none
  local name=$1 r=$2 asserted=$3 status=$4
  result_line=$(grep '^result ' "$5" || true)
  [[ -n $result_line ]] || { log "$name run $r: no result (exit $status)"; failed=1; return 1; }
  if ((status != 0)); then
    if ((asserted)); then
      log "$name run $r: acknowledged points missing, duplicated or misplaced"
      failed=1
    else
      log "$name run $r: loss reported (a peer's loss is not asserted)"
    fi
  fi
}
scenario() { # name run asserted(0/1) watch(name=pid,...) loadgen-args...
  local name=$1 r=$2 asserted=$3 watch=$4
  shift 4
  local status=0 line database base_ms points rate half_rate half_points result_line
  database=$(database_of "$name" "$r")
  # One base time for both loads of the run: the half-load points follow the saturated ones (numbers and times).
  # A day back: time = base + seq ms, and a full run's saturated plus half load numbers up to ~11M (3 h of ms); at 2 h
  # back the http run's last 272k points were dated more than processing's 5-minute future skew ahead and were
  # dead-lettered as too_far_in_future (a loss the check reports, made by the tool's dating, not by the system).
  base_ms=$((($(date +%s) - 86400) * 1000))
  local common=(--name "$name" --run "$r" --db "$database" --influx "$influx_url" --stall-seconds "$stall"
    --sample-ms "$sample_ms" --watch "influxd=$influx_pid,mosquitto=$mosquitto_pid${watch:+,$watch}" --base-ms "$base_ms")
  loadgen scenario "${common[@]}" --timeline "$run/$name-r$r.timeline" "$@" | tee "$run/$name-r$r.out" || status=$?
  if judge "$name" "$r" "$asserted" "$status" "$run/$name-r$r.out"; then
    line=$result_line
    printf '%s\t%s\t%s\n' "$name" "$r" "$line" >>"$results"
    points=$(sed -n 's/.* points=\([0-9]*\) .*/\1/p' <<<"$line")
    rate=$(sed -n 's/.* rate=\([0-9]*\) .*/\1/p' <<<"$line")
    if ((half_load)) && [[ $name != node-red-1msg && -n $rate ]] && ((rate > 1)); then
      # Half of this run's own saturated rate, for half_seconds; no warm-up (the system has just run at full load).
      half_rate=$((rate / 2)) half_points=$((rate / 2 * half_seconds))
      log "$name run $r: half load, $half_rate points/s for $half_seconds s"
      status=0
      loadgen scenario "${common[@]}" "$@" --warmup 0 --create-db false --rate "$half_rate" --points "$half_points" \
        --first-seq "$points" | tee "$run/$name-r$r-half.out" || status=$?
      if judge "$name (half load)" "$r" "$asserted" "$status" "$run/$name-r$r-half.out"; then
        printf '%s\t%s\t%s\n' "$name" "$r" "$result_line" >>"$half_results"
      fi
    fi
  fi
  # Dropped once checked: later runs then meet an influxd holding no more than they do.
  drop_database "$database"
}

mqtt_load=(--kind mqtt --connections "$mqtt_connections" --inflight "$mqtt_inflight" --qos 1 --mqtt-client "$mqtt_client"
  --mqtt-version "$mqtt_version")
run_scenario() { # name run
  local name=$1 r=$2 dir=$1-r$2 database
  database=$(database_of "$1" "$2")
  case $name in
    direct-1w | direct-2w)
      scenario "$name" "$r" 1 "" --kind influx --create-db true --writers "${name:7:1}" --batch 5000 \
        --points "$direct_points" --warmup "$warmup_points" ;;
    http)
      prepare_host "$dir"
      start_host "$dir" "$database"
      scenario "$name" "$r" 1 "host=$host_pid" --kind http --url "http://127.0.0.1:$host_http_port" \
        --token "$(cat "$run/$dir/token")" --devices-file "$run/$dir/devices" --connections "$http_connections" \
        --per-request "$http_per_request" --points "$http_points" --warmup "$warmup_points"
      stop_host ;;
    write)
      prepare_host "$dir"
      start_host "$dir" "$database"
      scenario "$name" "$r" 1 "host=$host_pid" --kind write --url "http://127.0.0.1:$host_http_port" \
        --device-tokens-file "$run/$dir/device-tokens" --connections "$write_connections" --per-request 5000 \
        --points "$http_points" --warmup "$warmup_points"
      stop_host ;;
    mqtt-own)
      prepare_host "$dir"
      start_host "$dir" "$database"
      scenario "$name" "$r" 1 "host=$host_pid" "${mqtt_load[@]}" --points "$mqtt_points" --warmup "$mqtt_warmup_points" \
        --host 127.0.0.1 --port "$host_mqtt_port" --token "$(cat "$run/$dir/token")" --devices-file "$run/$dir/devices" \
        --topic 'devices/{device}/measurements'
      stop_host ;;
    node-red)
      # Node-RED needs no registration; it gets device ids of the same form and the bridge's topics.
      prepare_host "$dir"
      start_node_red "$dir" "$database" batch
      scenario "$name" "$r" 0 "node-red=$node_red_pid" "${mqtt_load[@]}" --points "$mqtt_points" \
        --warmup "$mqtt_warmup_points" --create-db true --host 127.0.0.1 --port "$mosquitto_port" \
        --devices-file "$run/$dir/devices" --topic 'bench/{device}/up'
      stop_node_red ;;
    node-red-1msg)
      prepare_host "$dir"
      start_node_red "$dir" "$database" 1msg
      scenario "$name" "$r" 0 "node-red=$node_red_pid" "${mqtt_load[@]}" --points "$node_red_1msg_points" \
        --warmup "$node_red_1msg_warmup" --create-db true --host 127.0.0.1 --port "$mosquitto_port" \
        --devices-file "$run/$dir/devices" --topic 'bench/{device}/up' --deliver-seconds "$node_red_1msg_deliver"
      stop_node_red ;;
    bridge)
      prepare_host "$dir"
      start_host "$dir" "$database" \
        Ingest__Bridges__0__Name=bench Ingest__Bridges__0__Host=127.0.0.1 Ingest__Bridges__0__Port="$mosquitto_port" \
        Ingest__Bridges__0__UseTls=false Ingest__Bridges__0__Qos=1 Ingest__Bridges__0__Mapping__Topic='bench/{deviceId}/up' \
        Ingest__Bridges__0__Token="$(cat "$run/$dir/token")" Ingest__Bridges__0__Connections="$bridge_connections"
      scenario "$name" "$r" 1 "host=$host_pid" "${mqtt_load[@]}" --points "$mqtt_points" --warmup "$mqtt_warmup_points" \
        --host 127.0.0.1 --port "$mosquitto_port" --devices-file "$run/$dir/devices" --topic 'bench/{device}/up'
      stop_host ;;
  esac
  # A run's embedded log holds every record it ingested (~1 GB for 3M HTTP points): keep its logs, not its data.
  if [[ -d $run/$dir ]]; then
    find "$run/$dir" -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +
  fi
}

scenarios=(direct-1w direct-2w http write mqtt-own)
if ((node_red)); then scenarios+=(node-red node-red-1msg); fi
scenarios+=(bridge)

started=$(date -u '+%Y-%m-%d %H:%M UTC')
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
clock_start=$SECONDS
log "mode $mode, $runs run(s) of each scenario; influxd :$influx_port, mosquitto :$mosquitto_port; load average $load_before"
for ((r = 1; r <= runs; r++)); do
  for name in "${scenarios[@]}"; do
    want "$name" || continue
    log "round $r of $runs: $name"
    run_scenario "$name" "$r"
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
minutes=$(awk -v s=$((SECONDS - clock_start)) 'BEGIN { printf "%.1f", s / 60 }')

# --- table ----------------------------------------------------------------------------------------------------------
table=$out/e2e.md
{
  echo "<!-- written by ops/bench/e2e.sh (mode $mode); do not edit -->"
  echo "Run $started, mode $mode, $runs run(s) of each scenario interleaved in rounds ($minutes min), $(nproc) cores, load average $load_before before / $load_after after."
  echo "Warm-up before every run's clock, through the same path into the same database (numbers the check ignores), waited for until written: $warmup_points points direct and HTTP, $mqtt_warmup_points MQTT, $node_red_1msg_warmup node-red-1msg. Our host and Node-RED start fresh for each run; influxd and Mosquitto live through the whole run."
  echo "Mosquitto (one private instance for every MQTT system of the run): $mosquitto_config."
  echo "influxd $(influxd version 2>/dev/null | awk '{ print $2 }') private, defaults (no auth, HTTP access log off); each run writes its own database, dropped after its check."
  echo "Points: 5 float fields (seq, temperature, humidity, pressure, battery), tag device, ms time; direct 5,000 per write; HTTP $http_connections connections × $http_per_request per request; MQTT $mqtt_version ($mqtt_client devices of the load tool) $mqtt_connections device connections × $mqtt_inflight QoS 1 in flight; $devices devices. node-red-1msg: $node_red_1msg_points points per run (one write per message), its wait bounded to $node_red_1msg_deliver s."
  echo "points/s = points stored / seconds from the first timed send until the last acknowledged point was written: median (min–max) over the runs; ratios are of medians. Latency send → queryable: the k-th point written counts as the k-th sent; p50/p99 over k of (when influxd's written counter, sampled every $sample_ms ms, reached k) − (when the send carrying point k began); resolution ≈ the sampling interval. CPU s and peak RSS over the timed window only (system = our host, or Node-RED in node-red rows; load tool = the loadgen process sending the points), medians over the runs."
  if ((half_load)); then
    echo "Half load: after each saturated run, the same running system offered half of that run's measured rate for $half_seconds s (open loop, paced by the load tool's clock, no warm-up), its points numbered after the saturated run's and checked the same way (losses in the sums); offered points/s and latency p50 / p99 are medians over the runs."
  fi
  echo
  loadgen table --results "$results" --half-results "$half_results" --median-runs "$run/median-runs"
} >"$table"
cp "$results" "$out/e2e-results.tsv"
cp "$half_results" "$out/e2e-half-results.tsv"
cat "$table"

# --- plots ----------------------------------------------------------------------------------------------------------
plot_dll=$repo_root/bench/Datacake.Streams.BenchPlot/bin/Release/net10.0/benchplot.dll
if [[ $mode == full && -f $plot_dll ]]; then
  # Two PNGs (bench/Datacake.Streams.BenchPlot): points/s per scenario as median with the runs' min–max, and the
  # median run of each scenario over time.
  rates=$run/rates.tsv timelines=$run/timelines.tsv
  { printf 'scenario\trate\n'; sed -n 's/.*result name=\([^ ]*\) .* rate=\([0-9.]*\) .*/\1\t\2/p' "$results"; } >"$rates"
  printf 'scenario\tt_s\tpoints_per_s\n' >"$timelines"
  while read -r name r; do
    cp "$run/$name-r$r.timeline" "$out/$name.timeline"
    awk -v name="$name" '{ print name "\t" $1 "\t" $2 }' "$out/$name.timeline" >>"$timelines"
  done <"$run/median-runs"
  dotnet "$plot_dll" bar --in "$rates" --out "$out/e2e-rates.png" --label scenario --y rate \
    --title "Points/s until queryable, median and min–max of $runs runs (ops/bench/e2e.sh, $started)" --y-label "points/s" >/dev/null \
    || log "chart e2e-rates.png failed"
  dotnet "$plot_dll" line --in "$timelines" --out "$out/e2e-throughput.png" --x t_s --y points_per_s --series scenario --log-y \
    --title "Points written into influxd per second after the warm-up, median run of each ($started)" \
    --x-label "seconds since the first timed point was sent" --y-label "points/s (log scale)" >/dev/null \
    || log "chart e2e-throughput.png failed"
  log "plots: $out/e2e-rates.png, $out/e2e-throughput.png"
fi

log "took $minutes min"
((failed == 0)) || die "FAILED: acknowledged points were lost, duplicated or misplaced (see above)"
log "all acknowledged points stored exactly once"
