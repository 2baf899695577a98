#!/usr/bin/env bash
# Read benchmark: our InfluxDB-compatible /query beside influxd's own /query on the same data, in the same run.
#
#   ops/bench/query.sh                 50 timed requests of each query per system (after 5 warm-ups each)
#   options: --requests N, --warmups N, --devices N (default 1,000), --no-build (use the Release binaries as they are)
#
# One private influxd and one host (Release) on it. A user and 1,000 devices in its home workspace made through the
# API; the user's token is the Basic auth password of every request to our /query (as Grafana's datasource sends it). Data written straight into influxd's
# raw policy in the per-device layout (core/Storage/StorageLayout: measurement dev_<id>, tag device=<id>), one
# line-protocol POST: 24 h of 1-minute points of field temperature for device 0, and one point 30 s old for each
# device. The host is then restarted with its rollup watermarks deleted, so that its refresher rolls those 24 h into
# m1/h1 as it would have live, and the clock starts only once it has logged the m1 catch-up.
#
# Queries (each timed as curl's time_total of one sequential request on a fresh connection, both systems alike; ours
# by GET with Basic auth, influxd by POST form (the named-measurements statement is ~45 KB);
# the two systems' requests interleaved, each round in a random order, so a noisy second of a shared machine hits both
# and no query always follows the same one):
#   panel   ours:   SELECT mean("temperature") FROM "measurements" WHERE "device_id" = '<id>' AND time >= now() - 24h
#                   GROUP BY time(1m) fill(null)                      (1-minute windows: our planner reads m1)
#           direct: the same over "raw"."<id>", and over "m1"."<id>" (mean_temperature): what each tier costs influxd
#   last    ours:   SELECT last("temperature") FROM "measurements" WHERE time >= now() - 1h GROUP BY "device"
#           direct: SELECT last("temperature") FROM "raw"./^dev_/ WHERE time >= now() - 1h GROUP BY "device", and the
#                   same FROM the 1,000 measurements named ("raw"."dev_…","raw"."dev_…",…: a tenant's subset by name);
#           and, as a diagnosis (no peer), the statement our API sends influxd for it (row "api": the measurements
#           named, as the API names them since the regex of 1,000 alternatives went)
# Every answer is checked (series and values count) before the clock starts: a fast wrong answer is not a result.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo_root"

requests=50
warmups=5
devices=1000
build=1
while (($#)); do
  case $1 in
    --requests) requests=$2; shift ;;
    --warmups) warmups=$2; shift ;;
    --devices) devices=$2; shift ;;
    --no-build) build=0 ;;
    -h | --help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "query: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

cache=$repo_root/.bench
run=$cache/query
rm -rf "$run"
mkdir -p "$run"
bench_name=query
# shellcheck source=lib.sh
. "$repo_root/ops/bench/lib.sh"
trap stop_all EXIT

command -v influxd >/dev/null || apt_install influxdb
command -v curl >/dev/null || apt_install curl
command -v jq >/dev/null || apt_install jq

if ((build)); then
  log "building the load tool and the host (Release)"
  for project in bench/Datacake.Streams.LoadGen host/Datacake.Streams.Host; do
    dotnet build -c Release -v q -nologo "$project" >"$run/build.log" 2>&1 || { cat "$run/build.log" >&2; die "build of $project failed"; }
  done
fi
loadgen_dll=$repo_root/bench/Datacake.Streams.LoadGen/bin/Release/net10.0/Datacake.Streams.LoadGen.dll
host_dll=$repo_root/host/Datacake.Streams.Host/bin/Release/net10.0/datacake-streams.dll
loadgen() { dotnet "$loadgen_dll" "$@"; }

mapfile -t ports < <(loadgen ports 4)
influx_port=${ports[0]} influx_rpc_port=${ports[1]} host_http_port=${ports[2]} host_mqtt_port=${ports[3]}
host_url=http://127.0.0.1:$host_http_port
database=bench_query

start_influxd "$run/influx" "$influx_port" "$influx_rpc_port"

node=$run/node
mkdir -p "$node"
# The read API authenticates against the metadata store (docs/ACCESS-API.md): a user, its home workspace and the
# devices are made through the API, as a person would, not by `loadgen prepare` (that registers ingest credentials).
operator=$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 48)
host_env=(Access__OperatorToken="$operator" Logging__LogLevel__Datacake.Streams.Api.Retention=Information)
launch_node "$node" "$host_url" "127.0.0.1:$host_mqtt_port" "$database" "${host_env[@]}"
token=$(curl -sf --max-time 30 -XPOST -H "Authorization: Bearer $operator" -H 'Content-Type: application/json' \
  -d '{"email":"bench@example.com"}' "$host_url/v1/users" | jq -r .token) || die "creating the user failed"
workspace=$(curl -sf --max-time 30 -H "Authorization: Bearer $token" "$host_url/v1/me" | jq -r .homeWorkspaceId) ||
  die "reading the user's home workspace failed"
log "user and workspace $workspace made; registering $devices devices"
seq -f 'bench-%04g' "$devices" | xargs -P 4 -I{} curl -sf --max-time 30 -XPOST -H "Authorization: Bearer $token" \
  -H 'Content-Type: application/json' -d '{"name":"{}"}' -w '\n' "$host_url/v1/workspaces/$workspace/devices" |
  jq -r .id >"$node/devices"
(($(grep -c '^dev_' "$node/devices") == devices)) || die "registered $(grep -c '^dev_' "$node/devices") devices, not $devices"
device=$(head -1 "$node/devices")
log "host up (database and tiers provisioned); writing the data straight into raw"

now=$(date +%s)
awk -v now="$now" -v first="$device" -v devices_file="$node/devices" 'BEGIN {
  t0 = now - now % 60
  for (i = 1440; i >= 1; i--) printf "%s,device=%s temperature=%.2f %d\n", first, first, 20 + 5 * sin(i / 60), t0 - i * 60
  while ((getline d < devices_file) > 0) printf "%s,device=%s temperature=%.2f %d\n", d, d, 21.5, now - 30
}' >"$run/points.lp"
curl -sf --max-time 120 -XPOST "$influx_url/write?db=$database&rp=raw&precision=s" --data-binary "@$run/points.lp" ||
  die "writing the points into influxd failed"

# Restarted with no watermark, the refresher rolls everything raw holds, as it would have minute by minute.
stop_pid "$node_pid"
influx_query "$database" "DELETE FROM \"dcs_rollup_watermark\"" >/dev/null || die "deleting the watermarks failed"
: >"$node/host.log"
launch_node "$node" "$host_url" "127.0.0.1:$host_mqtt_port" "$database" "${host_env[@]}"
wait_line "$node/host.log" "Rollup m1 caught up" 300 "$node_pid" >/dev/null || die "the m1 rollup did not catch up: see $node/host.log"
log "m1 caught up; checking the answers"

panel_ours="SELECT mean(\"temperature\") FROM \"measurements\" WHERE \"device_id\" = '$device' AND time >= now() - 24h GROUP BY time(1m) fill(null)"
panel_raw="SELECT mean(\"temperature\") FROM \"raw\".\"$device\" WHERE time >= now() - 24h GROUP BY time(1m) fill(null)"
panel_m1="SELECT mean(\"mean_temperature\") FROM \"m1\".\"$device\" WHERE time >= now() - 24h GROUP BY time(1m) fill(null)"
last_ours="SELECT last(\"temperature\") FROM \"measurements\" WHERE time >= now() - 1h GROUP BY \"device\""
last_raw="SELECT last(\"temperature\") FROM \"raw\"./^dev_/ WHERE time >= now() - 1h GROUP BY \"device\""
# The same over the 1,000 measurements named one by one: what a tenant's subset of devices costs influxd by name.
last_list="SELECT last(\"temperature\") FROM $(sed 's/.*/"raw"."&"/' "$node/devices" | paste -sd,) WHERE time >= now() - 1h GROUP BY \"device\""
# Diagnosis, not a peer: the statement our API sends influxd for the last query (SeriesStatement: every device's
# measurement named, no device tag filter, the range closed at now), so the table splits influxd's share from the host's.
last_api="SELECT last(\"temperature\") AS \"temperature\" FROM $(sed "s/.*/\"$database\".\"raw\".\"&\"/" "$node/devices" | paste -sd,) WHERE time >= now() - 1h AND time < now() GROUP BY \"device\""

ours() { # statement → body
  curl -s --max-time 60 -u "grafana:$token" -G "$host_url/query" --data-urlencode "db=datacake" --data-urlencode "epoch=ms" --data-urlencode "q=$1"
}
direct() { # statement → body
  curl -s --max-time 60 -XPOST "$influx_url/query" --data-urlencode "db=$database" --data-urlencode "epoch=ms" --data-urlencode "q=$1"
}
shape() { # body → "series non-null-values"
  jq -r '(.results[0].series // []) as $s | "\($s | length) \([$s[].values[] | select(.[1] != null)] | length)"'
}
check() { # name expected-shape-regex body
  local got
  got=$(shape <<<"$3")
  [[ $got =~ ^$2$ ]] || die "$1 answered $got (series, non-null values), expected $2: $(head -c 400 <<<"$3")"
  log "$1: $got (series, non-null values)"
}
# 24 h of 1-minute windows over 1,440 points a minute apart: 1,439-1,440 windows with a value (the edges move with
# now()); m1 directly lacks the newest minutes not rolled up yet (settle time: ours reads those from raw); last: one
# series per device, one value each.
body=$(ours "$panel_ours") || die "our /query refused the panel query"
check panel-ours '1 14(39|40)' "$body"
body=$(direct "$panel_raw") || die "influxd refused the raw panel query"
check panel-raw '1 14(39|40)' "$body"
body=$(direct "$panel_m1") || die "influxd refused the m1 panel query"
check panel-m1 '1 14[2-4][0-9]' "$body"
body=$(ours "$last_ours") || die "our /query refused the last query"
check last-ours "$devices $devices" "$body"
body=$(direct "$last_raw") || die "influxd refused the last query"
check last-raw "$devices $devices" "$body"
body=$(direct "$last_list") || die "influxd refused the last query over the named measurements"
check last-list "$devices $devices" "$body"
body=$(direct "$last_api") || die "influxd refused our API's form of the last query"
check last-api "$devices $devices" "$body"

# --- timing: curl's time_total (connect + request + whole answer), one request at a time -----------------------------
time_ours() { curl -sf --max-time 60 -o /dev/null -w '%{time_total}\n' -u "grafana:$token" -G "$host_url/query" --data-urlencode "db=datacake" --data-urlencode "epoch=ms" --data-urlencode "q=$1"; }
time_direct() { curl -sf --max-time 60 -o /dev/null -w '%{time_total}\n' -XPOST "$influx_url/query" --data-urlencode "db=$database" --data-urlencode "epoch=ms" --data-urlencode "q=$1"; }
names=(panel-ours panel-raw panel-m1 last-ours last-raw last-list last-api)
declare -A statement=([panel-ours]=$panel_ours [panel-raw]=$panel_raw [panel-m1]=$panel_m1 [last-ours]=$last_ours
  [last-raw]=$last_raw [last-list]=$last_list [last-api]=$last_api)
one() { # name → one timed request; the -ours names go to our host, the others to influxd
  if [[ $1 == *-ours ]]; then time_ours "${statement[$1]}"; else time_direct "${statement[$1]}"; fi
}
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for ((i = 0; i < warmups; i++)); do for n in "${names[@]}"; do one "$n" >/dev/null; done; done
for n in "${names[@]}"; do : >"$run/$n.s"; done
# Each round in its own random order: in a fixed order every query always follows the same one, and a query right
# after a heavy one (influxd and the host collecting the garbage of 1,000 series) pays for it. Measured with the order
# fixed, our panel right after the last-values statements and influxd's raw panel after ours: 7.5 against 4.8 ms
# (1.56x); with influxd's panel right after them instead: 1.13-1.41x over three runs, the same build.
for ((i = 0; i < requests; i++)); do for n in $(shuf -e "${names[@]}"); do one "$n" >>"$run/$n.s"; done; done

# The same queries on kept-alive connections, as Grafana's datasource sends them (Go's HTTP client reuses its
# connections): one curl process reads a config of every request, rounds in a random order again, and keeps one
# connection to each server. Each line of its output: the name, then time_total of that request.
cfg_quote() { local v=${1//\\/\\\\}; printf '"%s"' "${v//\"/\\\"}"; }
cfg_entry() { # name → the request's lines in curl's config syntax
  echo "next"
  echo "silent"
  echo "fail"
  echo "max-time = 60"
  echo "output = \"/dev/null\""
  echo "write-out = \"$1 %{time_total}\\n\""
  if [[ $1 == *-ours ]]; then
    echo "get"
    echo "user = $(cfg_quote "grafana:$token")"
    echo "url = \"$host_url/query\""
    echo "data-urlencode = \"db=datacake\""
  else
    echo "url = \"$influx_url/query\""
    echo "data-urlencode = $(cfg_quote "db=$database")"
  fi
  echo "data-urlencode = \"epoch=ms\""
  echo "data-urlencode = $(cfg_quote "q=${statement[$1]}")"
}
{
  for ((i = 0; i < warmups + requests; i++)); do for n in $(shuf -e "${names[@]}"); do cfg_entry "$n"; done; done
} | sed '1d' >"$run/kept.cfg"
curl -K "$run/kept.cfg" | tail -n $((requests * ${#names[@]})) >"$run/kept.out" || die "the kept-alive pass failed"
for n in "${names[@]}"; do awk -v n="$n" '$1 == n { print $2 }' "$run/kept.out" >"$run/$n.kept.s"; done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

summary() { # file → "median p95" in ms
  sort -g "$1" | awk '{ v[NR] = $1 * 1000 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; p = v[int(NR * 0.95 + 0.999)]; printf "%.1f %.1f\n", m, p }'
}
declare -A median p95
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
rows() { # suffix of the sample files → the table's rows
  for n in "${names[@]}"; do read -r median[$n] p95[$n] < <(summary "$run/$n$1.s"); done
  for pair in "panel-ours panel-raw" "panel-ours panel-m1" "last-ours last-raw" "last-ours last-list" "last-ours last-api"; do
    read -r o d <<<"$pair"
    echo "| ${o%-ours} | ${median[$o]} | ${p95[$o]} | ${d#*-} | ${median[$d]} | ${p95[$d]} | $(ratio "${median[$o]}" "${median[$d]}") | $(ratio "${p95[$o]}" "${p95[$d]}") |"
  done
}

table=$run/query.md
{
  echo "Run $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $load_before before / $load_after after; influxd $(influxd version 2>/dev/null | awk '{ print $2 }') private; $devices devices; $warmups warm-ups then $requests timed requests of each, interleaved in a random order per round; curl time_total per request."
  echo
  echo "A new connection per request:"
  echo
  echo "| query | ours median ms | ours p95 ms | direct | direct median ms | direct p95 ms | ours/direct median | ours/direct p95 |"
  echo "|---|---:|---:|---|---:|---:|---:|---:|"
  rows ""
  echo
  echo "Kept-alive connections (one curl process, one connection to each server, as Grafana's datasource connects):"
  echo
  echo "| query | ours median ms | ours p95 ms | direct | direct median ms | direct p95 ms | ours/direct median | ours/direct p95 |"
  echo "|---|---:|---:|---|---:|---:|---:|---:|"
  rows ".kept"
} >"$table"
cat "$table"
