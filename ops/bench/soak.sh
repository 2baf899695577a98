#!/usr/bin/env bash
# Memory soak of device ingest: HTTP and MQTT (QoS 0 and QoS 1) load from bench/Datacake.Streams.LoadGen against the
# real host (Release, all roles, embedded FasterLog) for N minutes, sampling the host's RSS (/proc/PID/status) and,
# when dotnet-counters is installed, its GC heap every few seconds. Prints a table and a verdict:
# PASS when the RSS at the end is within TOLERANCE % of the RSS after the first minute (warm-up: JIT, pools, FasterLog
# pages), and the RSS never went above that baseline by more than twice the tolerance.
#
#   ops/bench/soak.sh [--minutes 5] [--tolerance 15] [--interval 5] [--no-build]
#
# The host runs on free loopback ports with its data in a temporary folder (removed at exit) and without InfluxDB
# credentials, as in docs/BENCHMARKS.md: processing retries its writes and the records wait in the log, on disk.
# Exit 0 on PASS, 1 on FAIL. Every process started here is stopped at exit.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo_root"

minutes=5
tolerance=15
interval=5
build=1
while (($#)); do
  case $1 in
    --minutes) minutes=$2; shift ;;
    --tolerance) tolerance=$2; shift ;;
    --interval) interval=$2; shift ;;
    --no-build) build=0 ;;
    -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "soak: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

if ((build)); then
  dotnet build -c Release -v q -nologo host/Datacake.Streams.Host >/dev/null
  dotnet build -c Release -v q -nologo bench/Datacake.Streams.LoadGen >/dev/null
fi

host_dll=host/Datacake.Streams.Host/bin/Release/net10.0/datacake-streams.dll
loadgen=(dotnet bench/Datacake.Streams.LoadGen/bin/Release/net10.0/Datacake.Streams.LoadGen.dll)
counters_tool=$(command -v dotnet-counters || { [[ -x $HOME/.dotnet/tools/dotnet-counters ]] && echo "$HOME/.dotnet/tools/dotnet-counters"; } || true)

work=$(mktemp -d "${TMPDIR:-/tmp}/dcs-soak.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
http_port=$(free_port)
mqtt_port=$(free_port)

"${loadgen[@]}" prepare --data "$work/data" >"$work/prepare.txt"
token=$(sed -n 's/^token=//p' "$work/prepare.txt")
device=$(sed -n 's/^device=//p' "$work/prepare.txt")

DCS_DATA_DIR="$work/data" DCS_HTTP_URL="http://127.0.0.1:$http_port" Ingest__Mqtt__PlainEndpoint="127.0.0.1:$mqtt_port" \
  Logging__LogLevel__Default=Warning dotnet "$host_dll" >"$work/host.log" 2>&1 &
host=$!
pids+=("$host")
for _ in $(seq 1 200); do
  curl -fs -o /dev/null "http://127.0.0.1:$http_port/healthz" && break
  kill -0 "$host" 2>/dev/null || { echo "soak: the host exited; its log:" >&2; tail -20 "$work/host.log" >&2; exit 1; }
  sleep 0.3
done

seconds=$((minutes * 60))
"${loadgen[@]}" http --url "http://127.0.0.1:$http_port" --token "$token" --device "$device" \
  --connections 8 --per-request 100 --seconds "$seconds" >"$work/http.txt" 2>&1 &
pids+=($!)
"${loadgen[@]}" mqtt --host 127.0.0.1 --port "$mqtt_port" --token "$token" --device "$device" \
  --connections 4 --qos 0 --seconds "$seconds" >"$work/mqtt0.txt" 2>&1 &
pids+=($!)
"${loadgen[@]}" mqtt --host 127.0.0.1 --port "$mqtt_port" --token "$token" --device "$device" \
  --connections 64 --qos 1 --seconds "$seconds" >"$work/mqtt1.txt" 2>&1 &
pids+=($!)
if [[ -n $counters_tool ]]; then
  "$counters_tool" collect -p "$host" --refresh-interval "$interval" --counters System.Runtime \
    --format csv -o "$work/counters.csv" >/dev/null 2>&1 &
  pids+=($!)
fi

# Latest GC heap size in MiB from dotnet-counters' CSV (the .NET 9+ meter names first, then the event counter).
gc_heap() {
  [[ -s $work/counters.csv ]] || { echo "-"; return; }
  awk -F, '
    /dotnet.gc.last_collection.heap.size/ { split($0, a, ","); v = a[length(a)]; sum[$1] += v; last = $1 }
    /GC Heap Size/ { split($0, a, ","); ev = a[length(a)] }
    END { if (last != "") printf "%.0f", sum[last] / 1048576; else if (ev != "") printf "%.0f", ev; else print "-" }
  ' "$work/counters.csv"
}

clock_ticks=$(getconf CLK_TCK)
started=$(date +%s)
printf '%6s %10s %10s %10s %8s %s\n' "t (s)" "RSS MiB" "GC heap" "CPU s" "threads" "load avg"
samples="$work/samples.txt"
: >"$samples"
while :; do
  now=$(($(date +%s) - started))
  kill -0 "$host" 2>/dev/null || { echo "soak: the host died; its log:" >&2; tail -20 "$work/host.log" >&2; exit 1; }
  rss_kib=$(awk '/^VmRSS/ { print $2 }' "/proc/$host/status")
  threads=$(awk '/^Threads/ { print $2 }' "/proc/$host/status")
  cpu=$(awk -v t="$clock_ticks" '{ printf "%.1f", ($14 + $15) / t }' "/proc/$host/stat")
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  printf '%6d %10s %10s %10s %8s %s\n' "$now" "$(awk -v k="$rss_kib" 'BEGIN { printf "%.1f", k / 1024 }')" "$(gc_heap)" "$cpu" "$threads" "$load"
  echo "$now $rss_kib" >>"$samples"
  ((now >= seconds)) && break
  sleep "$interval"
done

wait "${pids[1]}" "${pids[2]}" "${pids[3]}" 2>/dev/null || true
echo
echo "HTTP:      $(grep '^total' "$work/http.txt" || echo 'no total (see above)')"
echo "MQTT QoS0: $(grep '^total' "$work/mqtt0.txt" || echo 'no total')"
echo "MQTT QoS1: $(grep '^total' "$work/mqtt1.txt" || echo 'no total')"

awk -v tol="$tolerance" '
  $1 >= 60 && base == "" { base = $2 }
  base != "" && $2 > peak { peak = $2 }
  { last = $2 }
  END {
    if (base == "") { print "verdict: no sample after the first minute (run at least 2 minutes)"; exit 1 }
    growth = 100 * (last - base) / base
    over = 100 * (peak - base) / base
    printf "RSS after 1 min %.1f MiB, at the end %.1f MiB (%+.1f%%), peak after 1 min %.1f MiB (%+.1f%%); tolerance %d%%\n", base / 1024, last / 1024, growth, peak / 1024, over, tol
    if (growth <= tol && growth >= -100 && over <= 2 * tol) { print "verdict: PASS (memory flat)"; exit 0 }
    print "verdict: FAIL (memory grew)"; exit 1
  }
' "$samples"
