#!/usr/bin/env bash
# Memory soak of the whole host (issue 19's slow row `soak`): a mixed load for N minutes against the real host
# (Release, all roles, embedded FasterLog) writing into the shared InfluxDB with its credentials, memory per process
# sampled every few seconds, then a count of what was sent, acknowledged and stored, a chart and a verdict.
#
#   ops/bench/soak.sh [--minutes 30] [--tolerance 15] [--interval 10] [--warmup-minutes M] [--out docs/bench]
#                     [--http-rate 10000] [--qos1-rate 2000] [--qos0-rate 2000] [--bridge-rate 1400]
#                     [--webhook-rate 10] [--numbers FILE] [--no-build]
#
# The load, at once, each path paced (open loop) by the load tool's clock, each on devices of its own:
#   HTTP        numbered points, 100 per request, 4 keep-alive connections          (loadgen scenario --kind http)
#   MQTT QoS 1  numbered points into our broker, 16 connections x 4 in flight       (loadgen scenario --kind mqtt)
#   MQTT QoS 0  numbered points into our broker, 4 connections                       (same, --qos 0)
#   bridge      numbered points, QoS 1, into a private Mosquitto the host's bridge subscribes to
#   webhooks    ChirpStack v4 "up" events, one device, unsigned webhook (curl, one process per second)
#   queries     /v1/devices/{id}/last and /series of the webhook's device every 2 s (user token)
#   rotations   the webhook device's device token rotated every 60 s (grace 5 s); the new token writes one point, the
#               one replaced before it must be refused (401)
# Rates: the sum over the paths of (rate / the path's measured capacity) is about 1/2, "half the measured capacity"
# shared by the paths. Capacities (docs/bench/e2e.md, one path at a time, idle machine): HTTP 185k points/s, our
# broker QoS 1 16.1k/s, the bridge 11.0k/s; QoS 0 12.3k/s (docs/BENCHMARKS.md). Defaults: 10k/185k + 2k/16.1k +
# 2k/12.3k + 1.4k/11k = 0.05 + 0.12 + 0.16 + 0.13 = 0.47. HTTP gets the smallest share: its points are the cheapest
# for the host but not for the shared influxd, and every point is read back at the end (18M in 30 minutes).
#
# Memory: RSS of the host, the shared influxd and the private Mosquitto every --interval seconds, and the host's GC
# heap (size after the last collection, all generations) and GC committed bytes from dotnet-counters (installed with
# `dotnet tool install -g dotnet-counters`; the columns are '-' without it). Chart: <out>/soak-memory.png (the
# samples: <out>/soak-memory.tsv). Verdict on the host only (influxd is shared with whoever else uses it, Mosquitto
# is reported): after the warm-up (--warmup-minutes, default 5, 1 for runs under 15 minutes), the median of the last
# third of the samples against the median of the first third: RSS within --tolerance %, and the GC heap within
# --tolerance % or 16 MiB, whichever is larger. Both, because RSS alone cannot tell live objects that pile up (a
# managed leak: the heap after each collection grows) from memory the GC or a native pool keeps. Medians of thirds,
# not single samples: with this load into InfluxDB the heap after a collection is 230-320 MiB and moves by up to
# 50 MiB from one gen2 collection to the next (274 -> 233 MiB between two samples of a 5-minute run).
# Nothing lost: every acknowledged numbered point stored exactly once (QoS 0 is reported: the protocol may drop),
# every accepted webhook event and every rotation's point stored.
#
# The host runs on free loopback ports with its data in a temporary folder (removed at exit), into its own database
# dcs_soak_<time> of the shared influxd ($DCS_SERVICES_ENV, else .services/env; dropped at exit), backups off. Exit 0
# on PASS, 1 on FAIL. Every process started here is stopped at exit, by pid. --numbers FILE gets the totals (sent,
# acknowledged, stored, lost over every path; the host's RSS at the end) as a line of the reliability runner's numbers.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo_root"
export TZ=UTC # the webhook events' RFC 3339 times (printf %(...)T) are UTC

minutes=30
tolerance=15
interval=10
warmup_minutes=""
out=docs/bench
build=1
numbers_out=""
http_rate=10000 qos1_rate=2000 qos0_rate=2000 bridge_rate=1400 webhook_rate=10
live_every=120
while (($#)); do
  case $1 in
    --minutes) minutes=$2; shift ;;
    --tolerance) tolerance=$2; shift ;;
    --interval) interval=$2; shift ;;
    --warmup-minutes) warmup_minutes=$2; shift ;;
    --out) out=$2; shift ;;
    --http-rate) http_rate=$2; shift ;;
    --qos1-rate) qos1_rate=$2; shift ;;
    --qos0-rate) qos0_rate=$2; shift ;;
    --bridge-rate) bridge_rate=$2; shift ;;
    --webhook-rate) webhook_rate=$2; shift ;;
    --live-every) live_every=$2; shift ;;
    --numbers) numbers_out=$2; shift ;;
    --no-build) build=0 ;;
    -h | --help) sed -n '2,41p' "$0"; exit 0 ;;
    *) echo "soak: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
warmup_minutes=${warmup_minutes:-$((minutes >= 15 ? 5 : 1))}
seconds=$((minutes * 60))
warmup_seconds=$((warmup_minutes * 60))
((warmup_seconds < seconds)) || { echo "soak: the warm-up must be shorter than the run" >&2; exit 2; }

run=$(mktemp -d "${TMPDIR:-/tmp}/dcs-soak.XXXXXX")
bench_name=soak
# shellcheck source=lib.sh
. "$repo_root/ops/bench/lib.sh"   # log, die, track/stop_pid/stop_all, wait_http, alive, rss_mib

# --- the shared services: influxd with its credentials (ours is a database of our own) ------------------------------
services_env=${DCS_SERVICES_ENV:-$repo_root/.services/env}
[[ -f $services_env ]] || { ops/services.sh up >&2; services_env=$repo_root/.services/env; }
set -a
# shellcheck disable=SC1090
. "$services_env"
set +a
influx_url=$DCS_INFLUX_URL
influx_pid=$(cat "$(dirname "$services_env")/influxdb/influxd.pid" 2>/dev/null || true)
database=dcs_soak_$(date -u +%Y%m%d%H%M%S)_$$
influx_admin() { # statement: as the services' admin (the password from the environment, never on a command line)
  curl -sf --max-time 120 -XPOST "$influx_url/query" -u "$DCS_INFLUX_USER:$DCS_INFLUX_PASSWORD" --data-urlencode "q=$1"
}
influx_count() { # select → the count of its first series (0 when none)
  curl -sf --max-time 300 -G "$influx_url/query" -u "$DCS_INFLUX_USER:$DCS_INFLUX_PASSWORD" --data-urlencode "db=$database" \
    --data-urlencode "q=$1" | jq -r '[.results[0].series[]?.values[0][1]] | add // 0'
}
cleanup() {
  stop_all
  influx_admin "DROP DATABASE \"$database\"" >/dev/null 2>&1 || true
  rm -rf "$run"
}
trap cleanup EXIT

if ((build)); then
  for project in host/Datacake.Streams.Host bench/Datacake.Streams.LoadGen bench/Datacake.Streams.BenchPlot; do
    dotnet build -c Release -v q -nologo "$project" >"$run/build.log" 2>&1 || { cat "$run/build.log" >&2; die "build of $project failed"; }
  done
fi
host_dll=$repo_root/host/Datacake.Streams.Host/bin/Release/net10.0/datacake-streams.dll
loadgen_dll=$repo_root/bench/Datacake.Streams.LoadGen/bin/Release/net10.0/Datacake.Streams.LoadGen.dll
plot_dll=$repo_root/bench/Datacake.Streams.BenchPlot/bin/Release/net10.0/benchplot.dll
loadgen() { dotnet "$loadgen_dll" "$@"; }
counters_tool=$(command -v dotnet-counters || { [[ -x $HOME/.dotnet/tools/dotnet-counters ]] && echo "$HOME/.dotnet/tools/dotnet-counters"; } || true)

mapfile -t ports < <(loadgen ports 3)
http_port=${ports[0]} mqtt_port=${ports[1]} mosquitto_port=${ports[2]}
api=http://127.0.0.1:$http_port

# --- a private Mosquitto for the bridge (its memory is then ours to chart; anonymous, loopback only) ------------------
mkdir -p "$run/mosquitto"
cat >"$run/mosquitto/mosquitto.conf" <<EOF
user root
per_listener_settings false
allow_anonymous true
persistence false
log_dest file $run/mosquitto/mosquitto.log
log_type error
log_type warning
max_queued_messages 0
listener $mosquitto_port 127.0.0.1
EOF
mosquitto -c "$run/mosquitto/mosquitto.conf" >"$run/mosquitto/stdout.log" 2>&1 &
mosquitto_pid=$!
track "$mosquitto_pid"

# --- the host: 40 devices of one workspace (10 per numbered path), one editor token -----------------------------------
mkdir -p "$run/host"
loadgen prepare --data "$run/host" --devices 40 --devices-file "$run/devices" | sed -n 's/^token=//p' >"$run/token"
token=$(cat "$run/token")
sed -n '1,10p' "$run/devices" >"$run/devices-http"
sed -n '11,20p' "$run/devices" >"$run/devices-qos1"
sed -n '21,30p' "$run/devices" >"$run/devices-qos0"
sed -n '31,40p' "$run/devices" >"$run/devices-bridge"
operator_token=$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 48)
DOTNET_ENVIRONMENT=Production DCS_DATA_DIR="$run/host" DCS_HTTP_URL="$api" DCS_INFLUX_DATABASE="$database" \
  DCS_OPERATOR_TOKEN="$operator_token" Ingest__Mqtt__PlainEndpoint="127.0.0.1:$mqtt_port" Backup__Enabled=false \
  Logging__LogLevel__Default=Warning \
  Ingest__Bridges__0__Name=soak Ingest__Bridges__0__Host=127.0.0.1 Ingest__Bridges__0__Port="$mosquitto_port" \
  Ingest__Bridges__0__UseTls=false Ingest__Bridges__0__Qos=1 Ingest__Bridges__0__Mapping__Topic='soak/{deviceId}/up' \
  Ingest__Bridges__0__Token="$token" \
  dotnet "$host_dll" >"$run/host.log" 2>&1 &
host_pid=$!
track "$host_pid"
wait_http "$api/healthz" 200 180 "$host_pid" || { tail -30 "$run/host.log" >&2; die "the host did not become healthy"; }

# --- the API side: a user, a device with a DevEUI, an unsigned ChirpStack webhook bound to it, a device token -------
api_call() { # method path token [json] → body; fails on an HTTP error
  curl -sf --max-time 30 -X "$1" "$api$2" -H "Authorization: Bearer $3" -H 'Content-Type: application/json' ${4:+-d "$4"}
}
user_token=$(api_call POST /v1/users "$operator_token" '{"email":"soak@example.test"}' | jq -r .token)
workspace=$(api_call GET /v1/me "$user_token" | jq -r .homeWorkspaceId)
dev_eui=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
webhook_device=$(api_call POST "/v1/workspaces/$workspace/devices" "$user_token" "{\"name\":\"soak webhook\",\"devEui\":\"$dev_eui\"}" | jq -r .id)
webhook=$(api_call POST "/v1/workspaces/$workspace/webhooks" "$user_token" "{\"kind\":\"chirpstack\",\"devices\":[\"$webhook_device\"],\"signed\":false}")
webhook_id=$(jq -r .id <<<"$webhook")
webhook_token=$(jq -r .token <<<"$webhook")
device_token_json=$(api_call POST "/v1/devices/$webhook_device/tokens" "$user_token")
device_token_id=$(jq -r .id <<<"$device_token_json")
echo "$device_token_json" | jq -r .token >"$run/device-token"
[[ -n $webhook_id && $webhook_id != null && -s $run/device-token ]] || die "the API set-up failed (see $run/host.log)"

if [[ -n $counters_tool ]]; then
  "$counters_tool" collect -p "$host_pid" --refresh-interval "$interval" --counters System.Runtime \
    --format csv -o "$run/counters.csv" >/dev/null 2>&1 &
  track $!
fi

# --- the numbered loads (each checks its own devices' points at the end) ----------------------------------------------
# A numbered point's time is base + its number in ms, so a path's point times run rate/1000 times faster than the
# clock: HTTP at 10k/s covers 18M ms = 5 h of point time in 30 minutes. Every point must still be in the past when it
# is sent (the host dead-letters times more than 5 minutes ahead of its clock as too_far_in_future): with a base only
# 2 h back, HTTP crossed that line after 833 s and the two earlier 30-minute runs stored 8.34M of 18M (the rest
# dead-lettered, not lost; and the 9.7M letters filled dcs.deadletter's in-memory pages, the heap's step at minute 14).
fastest=$(printf '%s\n' "$http_rate" "$qos1_rate" "$qos0_rate" "$bridge_rate" | sort -n | tail -1)
base_ms=$((($(date +%s) - 7200 - fastest * seconds / 1000) * 1000))
# --deliver-seconds bounds the whole run from the first timed send (and the tool gives up 15 minutes after it): the
# load itself plus up to 30 minutes for a host that fell behind to catch up (a 30-minute run at load average 60 was
# ~14 minutes behind at its end; with a bound of 900 s every load tool gave up at minute 30, before its check).
numbered() { # name rate loadgen-args...
  local name=$1 rate=$2
  shift 2
  loadgen scenario --name "$name" --db "$database" --influx "$influx_url" --influx-user "$DCS_INFLUX_USER" \
    --measurements devices --warmup 0 --base-ms "$base_ms" --rate "$rate" --points $((rate * seconds)) \
    --stall-seconds 120 --deliver-seconds $((seconds + 1800)) --sample-ms 1000 "$@" >"$run/$name.out" 2>&1 &
  track $!
  eval "${name//-/_}_pid=$!"
}
mqtt_common=(--kind mqtt --host 127.0.0.1 --token "$token" --mqtt-client raw)
numbered http "$http_rate" --kind http --url "$api" --token "$token" --devices-file "$run/devices-http" --connections 4 --per-request 100
numbered qos1 "$qos1_rate" "${mqtt_common[@]}" --port "$mqtt_port" --devices-file "$run/devices-qos1" --qos 1 --connections 16 --inflight 4
numbered qos0 "$qos0_rate" "${mqtt_common[@]}" --port "$mqtt_port" --devices-file "$run/devices-qos0" --qos 0 --connections 4
numbered bridge "$bridge_rate" "${mqtt_common[@]}" --port "$mosquitto_port" --devices-file "$run/devices-bridge" --qos 1 \
  --connections 16 --inflight 4 --topic 'soak/{device}/up'

# --- webhooks, queries, rotations (bash + curl; each writes what it did to a file) -------------------------------------
deadline=$(($(date +%s) + seconds))
webhook_body='{"deduplicationId":"00000000-0000-4000-8000-%012d","time":"%s","deviceInfo":{"tenantId":"52f14cd4-c6f1-4fbd-8f87-4025e1d49242","tenantName":"Soak","applicationId":"17c82e96-be03-4f38-aef3-f83d48582d97","applicationName":"Soak","deviceProfileId":"14855bf7-d10d-4aee-b618-ebfcb64dc7ad","deviceProfileName":"Soak EU868","deviceName":"soak webhook","devEui":"%s","deviceClassEnabled":"CLASS_A","tags":{}},"devAddr":"01fe6a2b","adr":true,"dr":5,"fCnt":%d,"fPort":1,"confirmed":false,"data":"AWcA6AJoKg==","object":{"temperature":%d.5,"humidity":21},"rxInfo":[{"gatewayId":"0016c001f153a14c","uplinkId":%d,"time":"%s","rssi":-61,"snr":10.5,"crcStatus":"CRC_OK"}],"txInfo":{"frequency":868100000,"modulation":{"lora":{"bandwidth":125000,"spreadingFactor":7,"codeRate":"CR_4_5"}}}}'
send_webhooks() { # every second, webhook_rate events in one curl (keep-alive); event n is at base + n × 100 ms
  local n=0 tick=0 second i stamp config
  mkdir -p "$run/webhooks"
  while (($(date +%s) < deadline)); do
    config=$run/webhooks/curl.conf
    : >"$config"
    for ((i = 0; i < webhook_rate; i++, n++)); do
      second=$((base_ms / 1000 + n / 10))
      printf -v stamp '%(%Y-%m-%dT%H:%M:%S)T.%03dZ' "$second" $((n % 10 * 100))
      # shellcheck disable=SC2059
      printf "$webhook_body" "$n" "$stamp" "$dev_eui" "$n" $((n % 30)) "$n" "$stamp" >"$run/webhooks/$i.json"
      printf 'url = "%s/v1/webhooks/%s?event=up"\nheader = "X-Webhook-Token: %s"\nheader = "Content-Type: application/json"\ndata-binary = "@%s"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n%s' \
        "$api" "$webhook_id" "$webhook_token" "$run/webhooks/$i.json" "$( ((i + 1 < webhook_rate)) && echo next)" >>"$config"
      echo >>"$config"
    done
    curl -s --max-time 10 -K "$config" >>"$run/webhooks.codes" 2>/dev/null || true
    tick=$((tick + 1))
    sleep "$(awk -v now="$(date +%s.%N)" -v start="$started" -v t="$tick" 'BEGIN { s = start + t - now; print (s > 0 ? s : 0) }')"
  done
}
run_queries() { # every 2 s: the webhook device's last values and its 1-minute means over the last 3 hours
  local from to
  while (($(date +%s) < deadline)); do
    to=$(($(date +%s) * 1000)) from=$(($(date +%s) * 1000 - 3 * 3600 * 1000))
    curl -s --max-time 10 -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $user_token" "$api/v1/devices/$webhook_device/last" \
      --next -s --max-time 10 -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $user_token" \
      "$api/v1/devices/$webhook_device/series?fields=temperature&from=$from&to=$to&every=1m&agg=mean" >>"$run/queries.codes" 2>/dev/null || true
    sleep 2
  done
}
rotate_tokens() { # every 60 s: rotate, write one point with the new token (retried until the view knows it), old refused
  local n=0 old current code refused_code waited
  current=$(cat "$run/device-token")
  while (($(date +%s) + 60 < deadline)); do
    sleep 60
    n=$((n + 1))
    old=$current
    current=$(api_call POST "/v1/tokens/$device_token_id/rotate" "$user_token" '{"graceSeconds":5}' | jq -r .token) || { echo "rotation $n failed" >>"$run/rotations.log"; continue; }
    code=000 waited=0
    while ((waited < 150)) && [[ $code != 202 ]]; do
      code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -X POST "$api/v1/devices/$webhook_device/measurements" \
        -H "Authorization: Bearer $current" -H 'Content-Type: application/json' -d "{\"rotation\":$n}" || echo 000)
      [[ $code == 202 ]] || { sleep 0.1; waited=$((waited + 1)); }
    done
    sleep 6 # past the 5 s grace
    refused_code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -X POST "$api/v1/devices/$webhook_device/measurements" \
      -H "Authorization: Bearer $old" -H 'Content-Type: application/json' -d '{"stale":1}' || echo 000)
    echo "rotation $n new_token=$code after_ms=$((waited * 100)) old_token_after_grace=$refused_code" >>"$run/rotations.log"
  done
}
started=$(date +%s.%N)
send_webhooks &
track $!
run_queries &
track $!
rotate_tokens &
track $!
log "load for $minutes min on $database: HTTP $http_rate points/s, QoS 1 $qos1_rate/s, QoS 0 $qos0_rate/s, bridge $bridge_rate/s, webhooks $webhook_rate/s, queries every 2 s, a token rotation every 60 s; load average $(cut -d' ' -f1-3 /proc/loadavg)"

# --- memory every interval -----------------------------------------------------------------------------------------------
# GC heap (sum over the five generations gen0-2, LOH, POH of the heap size after the last collection) and GC committed
# bytes, in MiB, of the newest timestamp of dotnet-counters' CSV (.NET 9+ meter names) that holds all five: the CSV
# may be read while a timestamp's lines are being written (a 30-minute run read one as 90 MiB instead of 290).
gc_columns() {
  [[ -s $run/counters.csv ]] || { echo "- -"; return; }
  awk -F, '
    $1 != at { if (gens == 5) { heap = sum; committed = pending } at = $1; sum = 0; gens = 0 }
    /dotnet.gc.last_collection.heap.size/ { sum += $NF; gens++ }
    /dotnet.gc.last_collection.memory.committed_size/ { pending = $NF }
    END {
      if (gens == 5) { heap = sum; committed = pending }
      printf "%s %s\n", (heap == "" ? "-" : sprintf("%.1f", heap / 1048576)), (committed == "" ? "-" : sprintf("%.1f", committed / 1048576))
    }
  ' "$run/counters.csv"
}
samples=$run/samples.tsv
printf 't_min\thost_rss_mib\thost_gc_heap_mib\thost_gc_committed_mib\tinfluxd_rss_mib\tmosquitto_rss_mib\tload1\n' >"$samples"
printf '%6s %9s %9s %9s %9s %9s %s\n' "t (s)" "host RSS" "GC heap" "GC commit" "influxd" "mosquitto" "load avg (MiB; influxd is shared)"
clock_start=$SECONDS
# Live heap: every --live-every seconds dotnet-gcdump makes the host run a full blocking collection and walks its
# heap: the bytes still reachable then, and the RSS right after it. The counters' "heap after the last collection"
# above is not that: it mixes generations collected at different moments (a 30-minute run read 160-480 MiB within a
# minute while two dumps at minutes 23 and 28 found 163 and 146 MiB live, and RSS fell from ~500 to 334 MiB after
# the dump's collection). The verdict is taken on these; each dump pauses the host ~1 s.
gcdump_tool=$(command -v dotnet-gcdump || { [[ -x $HOME/.dotnet/tools/dotnet-gcdump ]] && echo "$HOME/.dotnet/tools/dotnet-gcdump"; } || true)
live=$run/live.tsv
printf 't_min\thost_live_heap_mib\thost_rss_after_gc_mib\n' >"$live"
if [[ -n $gcdump_tool ]]; then
  (
    while sleep "$live_every"; do
      at=$((SECONDS - clock_start))
      ((at <= seconds)) || break
      "$gcdump_tool" collect -p "$host_pid" -o "$run/live.gcdump" >/dev/null 2>&1 || continue
      bytes=$("$gcdump_tool" report "$run/live.gcdump" 2>/dev/null | awk '/GC Heap bytes/ { gsub(",", "", $1); print $1; exit }')
      [[ -n $bytes ]] || continue
      printf '%s\t%s\t%s\n' "$(awk -v s="$at" 'BEGIN { printf "%.2f", s / 60 }')" "$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')" \
        "$(rss_mib "$host_pid")" >>"$live"
      rm -f "$run/live.gcdump"
    done
  ) &
  track $!
fi
while :; do
  now=$((SECONDS - clock_start))
  alive "$host_pid" || { tail -30 "$run/host.log" >&2; die "the host died"; }
  read -r heap committed < <(gc_columns)
  host_rss=$(rss_mib "$host_pid")
  influx_rss=$([[ -n $influx_pid ]] && rss_mib "$influx_pid" || echo -)
  mosquitto_rss=$(rss_mib "$mosquitto_pid")
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  printf '%6d %9s %9s %9s %9s %9s %s\n' "$now" "$host_rss" "$heap" "$committed" "$influx_rss" "$mosquitto_rss" "$load"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(awk -v s="$now" 'BEGIN { printf "%.2f", s / 60 }')" "$host_rss" "$heap" "$committed" \
    "$influx_rss" "$mosquitto_rss" "${load%% *}" >>"$samples"
  ((now >= seconds)) && break
  sleep "$interval"
done
host_cpu=$(cpu_seconds "$host_pid")

# --- what was sent, acknowledged and stored -----------------------------------------------------------------------------
log "load over; waiting for the numbered loads' checks (every point read back)"
lost=0
sent_total=0 acked_total=0 stored_total=0 missing_total=0
echo
printf '%-9s %12s %12s %12s %9s %10s %10s %s\n' path offered acknowledged stored missing duplicates misplaced "(numbered points; QoS 0 acknowledged = sent)"
for name in http qos1 qos0 bridge; do
  pid_var=${name}_pid
  status=0
  wait "${!pid_var}" || status=$?
  line=$(grep '^result ' "$run/$name.out" || true)
  if [[ -z $line ]]; then
    echo "$name: no result (exit $status):" && tail -5 "$run/$name.out"
    [[ $name == qos0 ]] || lost=1
    continue
  fi
  printf '%-9s %12s %12s %12s %9s %10s %10s\n' "$name" "$(field "$line" points)" "$(field "$line" acked)" "$(field "$line" stored)" \
    "$(field "$line" missing)" "$(field "$line" duplicates)" "$(field "$line" misplaced)"
  if ((status != 0)) && [[ $name != qos0 ]]; then lost=1; fi
  sent_total=$((sent_total + $(field "$line" points))) acked_total=$((acked_total + $(field "$line" acked)))
  stored_total=$((stored_total + $(field "$line" stored))) missing_total=$((missing_total + $(field "$line" missing)))
done
webhooks_sent=$(wc -l <"$run/webhooks.codes" 2>/dev/null || echo 0)
webhooks_accepted=$(grep -c '^202$' "$run/webhooks.codes" 2>/dev/null || true)
rotations=$(wc -l <"$run/rotations.log" 2>/dev/null || echo 0)
rotations_written=$(grep -c 'new_token=202' "$run/rotations.log" 2>/dev/null || true)
# Processing may still be behind (the numbered loads above waited for their own points, not for these): wait until the
# accepted events and rotation points are stored, or until their count has not moved for 2 minutes.
settled=$SECONDS last_stored=-1
while :; do
  webhooks_stored=$(influx_count "SELECT count(\"temperature\") FROM \"$webhook_device\"")
  rotations_stored=$(influx_count "SELECT count(\"rotation\") FROM \"$webhook_device\"")
  ((webhooks_stored == webhooks_accepted && rotations_stored == rotations_written)) && break
  if ((webhooks_stored + rotations_stored != last_stored)); then last_stored=$((webhooks_stored + rotations_stored)) settled=$SECONDS; fi
  ((SECONDS - settled < 120)) || break
  sleep 5
done
queries_sent=$(wc -l <"$run/queries.codes" 2>/dev/null || echo 0)
queries_ok=$(grep -c '^200$' "$run/queries.codes" 2>/dev/null || true)
rotations_refused=$(grep -c 'old_token_after_grace=401' "$run/rotations.log" 2>/dev/null || true)
stale_stored=$(influx_count "SELECT count(\"stale\") FROM \"$webhook_device\"")
echo "webhooks:  $webhooks_sent sent, $webhooks_accepted accepted (202), $webhooks_stored stored"
echo "queries:   $queries_sent sent, $queries_ok answered 200"
echo "rotations: $rotations, new token written $rotations_written (stored $rotations_stored; slowest $(sed -n 's/.*after_ms=\([0-9]*\).*/\1/p' "$run/rotations.log" 2>/dev/null | sort -n | tail -1) ms until the view knew it), old token refused after the grace $rotations_refused (stored $stale_stored)"
((webhooks_stored == webhooks_accepted && rotations_stored == rotations_written && stale_stored == 0)) || lost=1
((queries_ok == queries_sent && rotations_written == rotations && rotations_refused == rotations)) || lost=1
echo "host CPU: $host_cpu s in $seconds s; load average at the end $(cut -d' ' -f1-3 /proc/loadavg); errors in the host's log: $(grep -c '"LogLevel":"Error"\|fail:' "$run/host.log" || true)"

# --- chart and verdict ---------------------------------------------------------------------------------------------------
mkdir -p "$out"
cp "$samples" "$out/soak-memory.tsv"
cp "$live" "$out/soak-live-heap.tsv"
if [[ -f $plot_dll ]]; then
  dotnet "$plot_dll" line --in "$samples" --out "$out/soak-memory.png" --x t_min \
    --y host_rss_mib,host_gc_heap_mib,host_gc_committed_mib,influxd_rss_mib,mosquitto_rss_mib --y-from-zero \
    --title "Memory per process, $minutes-min mixed soak ($(date -u '+%Y-%m-%d %H:%M UTC'); influxd is shared)" \
    --x-label "minutes" --y-label "MiB" >/dev/null || log "chart soak-memory.png failed"
  if (($(wc -l <"$live") > 2)); then
    dotnet "$plot_dll" line --in "$live" --out "$out/soak-live-heap.png" --x t_min --y host_live_heap_mib,host_rss_after_gc_mib \
      --y-from-zero --title "Live heap and RSS after a full collection ($(date -u '+%Y-%m-%d %H:%M UTC'))" \
      --x-label "minutes" --y-label "MiB" >/dev/null || log "chart soak-live-heap.png failed"
  fi
fi
echo
verdict_status=0
# The verdict on the live heap and the RSS right after a full collection when the dumps ran (at least 6 after the
# warm-up): "1 text" when within bounds (heap: tolerance % or 16 MiB; RSS: tolerance %), "0 text" when not.
live_verdict=$(awk -F'\t' -v tol="$tolerance" -v warm="$warmup_minutes" '
  function median(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  NR > 1 && $1 >= warm { n++; t[n] = $1; heap[n] = $2; rss[n] = $3 }
  END {
    if (n < 6) { print "none"; exit }
    third = int(n / 3)
    for (i = 1; i <= third; i++) { a[i] = heap[i]; b[i] = heap[n - third + i]; c[i] = rss[i]; d[i] = rss[n - third + i] }
    hb = median(a, third); he = median(b, third); rb = median(c, third); re = median(d, third)
    bound = (hb * tol / 100 > 16 ? hb * tol / 100 : 16)
    ok = (he - hb <= bound) && (100 * (re - rb) / rb <= tol)
    printf "%d live heap after a full collection (%d dumps after the warm-up, minutes %.1f-%.1f vs %.1f-%.1f) %.1f -> %.1f MiB (%+.1f, bound %.1f); RSS right after it %.1f -> %.1f MiB (%+.1f%%, tolerance %d%%)\n", ok, n, t[1], t[third], t[n - third + 1], t[n], hb, he, he - hb, bound, rb, re, 100 * (re - rb) / rb, tol
  }
' "$live")
awk -F'\t' -v tol="$tolerance" -v warm="$warmup_minutes" -v lost="$lost" -v live="$live_verdict" '
  function median(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  NR > 1 && $1 >= warm { n++; t[n] = $1; rss[n] = $2; heap[n] = $3 }
  END {
    if (n < 6) { print "verdict: FAIL (fewer than 6 samples after the warm-up)"; exit 1 }
    third = int(n / 3)
    for (i = 1; i <= third; i++) { a[i] = rss[i]; h[i] = heap[i] }
    for (i = 1; i <= third; i++) { b[i] = rss[n - third + i]; g[i] = heap[n - third + i] }
    base = median(a, third); end = median(b, third)
    growth = 100 * (end - base) / base
    rss_ok = growth <= tol
    if (heap[1] == "-") { heap_text = "no GC heap (dotnet-counters not installed)"; heap_ok = 1 }
    else {
      hb = median(h, third); he = median(g, third); bound = (hb * tol / 100 > 16 ? hb * tol / 100 : 16)
      heap_ok = he - hb <= bound
      heap_text = sprintf("GC heap %.1f -> %.1f MiB (%+.1f, bound %.1f)", hb, he, he - hb, bound)
    }
    printf "memory%s: host RSS median %.1f MiB over minutes %.1f-%.1f, %.1f MiB over %.1f-%.1f (%+.1f%%, tolerance %d%%); %s; warm-up %d min\n", live == "none" ? "" : " as sampled (not the verdict)", base, t[1], t[third], end, t[n - third + 1], t[n], growth, tol, heap_text, warm
    if (live != "none") { rss_ok = substr(live, 1, 1) == "1"; heap_ok = 1; printf "memory: %s\n", substr(live, 3) }
    verdict = rss_ok && heap_ok && !lost
    printf "verdict: %s (%s; %s)\n", verdict ? "PASS" : "FAIL", rss_ok && heap_ok ? "memory flat after the warm-up" : "memory grew", lost ? "something was lost or refused, see above" : "nothing lost"
    exit verdict ? 0 : 1
  }
' "$samples" | tee "$run/verdict.txt" || verdict_status=$?
if [[ -n $numbers_out ]]; then
  jq -cn --arg at "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    --argjson sent "$((sent_total + webhooks_sent + rotations))" \
    --argjson acked "$((acked_total + webhooks_accepted + rotations_written))" \
    --argjson stored "$((stored_total + webhooks_stored + rotations_stored))" \
    --argjson lost "$((missing_total + webhooks_accepted - webhooks_stored + rotations_written - rotations_stored))" \
    --argjson rss "$(awk -F'\t' 'END { print $2 }' "$samples")" \
    --arg note "$(paste -sd' ' "$run/verdict.txt")" \
    '{row: "soak", test: "soak.sh", at: $at,
      numbers: {sent: $sent, acknowledged: $acked, stored: $stored, lost: $lost, memoryMiB: $rss, note: $note}}' >>"$numbers_out"
fi
exit "$verdict_status"
