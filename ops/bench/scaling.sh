#!/usr/bin/env bash
# Scaling curves (issue 8, point 4): throughput until queryable and p99 latency of batched HTTP ingest into our host
# (→ record log → processing → influxd) against
#   devices     1k, 10k, 100k registered devices (one workspace editor token), 10 measurements per request
#   batch       1, 10, 100, 1,000 measurements per HTTP request, 1k devices
#   processors  1 and 2 process-only nodes of one consumer group over Kafka (librdkafka's mock cluster, kept by
#               `loadgen kafka-mock`), beside the embedded log's single processor, 1k devices, 100 per request
#   memory      a 5-minute flat-out HTTP load: the host's RSS and GC heap over time
# and the TSVs, PNG charts (bench/Datacake.Streams.BenchPlot) and a markdown fragment (scaling.md) for docs/BENCHMARKS.md.
#
#   ops/bench/scaling.sh            full run (≤ ~20 min on an idle 2-core machine) into docs/bench/
#   ops/bench/scaling.sh --quick    smoke run (~3 min after the build) into .bench/scaling/
#   options: --out DIR, --runs N (repeats per point; charts show the median and a min–max whisker), --no-build,
#            --only devices,batch,processors,memory, --memory-minutes M,
#            --report-only (charts and scaling.md again from the TSVs in --out and the last run's notes in .bench/)
#
# Every timed run is warmed first, inside the load tool (`scenario --warmup`): the same load through the same path,
# numbered below 0, until it is all written; the lead measured that JIT and tier-up dominate runs shorter than ~15 s
# (82k/s for 1M points against 141k/s for 4M). Each run's points are numbered: the load tool checks every acknowledged
# point is stored exactly once (a miss or a duplicate fails the script, exit 1); DROP MEASUREMENT after each run.
# Latency: the load tool logs when each send began and samples influxd's pointsWrittenOK every 100 ms; the k-th
# point's latency ≈ when written reached k − when the send of the k-th point began (p50/p99 over k).
# Private influxd (and the Kafka mock) on free loopback ports, state under .bench/ (gitignored); every process
# started here is stopped at exit, by pid.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo_root"
bench_name=scaling
# shellcheck source=ops/bench/lib.sh
source "$repo_root/ops/bench/lib.sh"

mode=full
report_only=0
build=1
runs=1
only=""
out=""
memory_minutes=""
while (($#)); do
  case $1 in
    --quick) mode=quick ;;
    --out) out=$2; shift ;;
    --runs) runs=$2; shift ;;
    --no-build) build=0 ;;
    --only) only=",$2,"; shift ;;
    --memory-minutes) memory_minutes=$2; shift ;;
    --report-only) report_only=1 ;;
    -h | --help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "scaling: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
want() { [[ -z $only || $only == *",$1,"* ]]; }
if ((report_only)) && [[ -s $repo_root/.bench/scaling-run/notes ]]; then
  mode=$(sed -n 's/^mode=\([a-z]*\) .*/\1/p' "$repo_root/.bench/scaling-run/notes")
fi
measuring() { ((report_only == 0)) && want "$1"; }

# Sizes. Full: each timed run lasts ≥ 15 s on an idle machine at the rate of its batch size (quick run at load
# average 26: 0.66k points/s at 1 per request, 6.6k at 10, 37k at 100, 48k at 1,000; an idle machine does 2-3× that);
# warm-ups are a fraction of it. Quick: the mechanics, in seconds per point.
http_connections=16 # keep-alive connections of the load tool, the same at every point
if [[ $mode == quick ]]; then
  device_counts=(1000 10000)
  devices_points=40000 devices_warmup=10000 devices_per_request=10
  batch_sizes=(1 10 100 1000)
  declare -A batch_points=([1]=5000 [10]=20000 [100]=60000 [1000]=100000)
  declare -A batch_warmup=([1]=2000 [10]=5000 [100]=10000 [1000]=20000)
  processors_points=60000 processors_warmup=20000
  memory_seconds=$((${memory_minutes:-1} * 60)) memory_interval=3
  stall=20
  out=${out:-$repo_root/.bench/scaling}
else
  device_counts=(1000 10000 100000)
  # 1M points as 100,000 requests of 10: every one of 100,000 devices is written to.
  devices_points=1000000 devices_warmup=100000 devices_per_request=10
  batch_sizes=(1 10 100 1000)
  declare -A batch_points=([1]=30000 [10]=300000 [100]=1500000 [1000]=2000000)
  declare -A batch_warmup=([1]=5000 [10]=50000 [100]=200000 [1000]=300000)
  processors_points=1000000 processors_warmup=200000
  memory_seconds=$((${memory_minutes:-5} * 60)) memory_interval=5
  stall=60
  out=${out:-$repo_root/docs/bench}
fi
batch_devices=1000
processors_devices=1000
processors_per_request=100
# dcs.raw partitions on the Kafka mock: it keeps ~5 MiB per partition and drops older data silently, so 32 let a
# processor lag ~160 MiB (≈1.5M points of ~100 B JSON) behind ingest; a run never sends more than that.
kafka_partitions=32

cache=$repo_root/.bench
run=$cache/scaling-run
((report_only)) || rm -rf "$run"
mkdir -p "$run" "$out"
trap stop_all EXIT

command -v influxd >/dev/null || apt_install influxdb
command -v curl >/dev/null || apt_install curl
# The charts name DejaVu Sans; a machine without any font would draw no text.
[[ -n $(fc-list 2>/dev/null | head -1) ]] || apt_install fonts-dejavu-core fontconfig

if ((build)); then
  log "building the load tool, the host and the plot tool (Release)"
  for project in bench/Datacake.Streams.LoadGen host/Datacake.Streams.Host bench/Datacake.Streams.BenchPlot; do
    dotnet build -c Release -v q -nologo "$project" >"$run/build.log" 2>&1 || { cat "$run/build.log" >&2; die "build of $project failed"; }
  done
fi
loadgen_dll=$repo_root/bench/Datacake.Streams.LoadGen/bin/Release/net10.0/Datacake.Streams.LoadGen.dll
host_dll=$repo_root/host/Datacake.Streams.Host/bin/Release/net10.0/datacake-streams.dll
plot_dll=$repo_root/bench/Datacake.Streams.BenchPlot/bin/Release/net10.0/benchplot.dll
loadgen() { dotnet "$loadgen_dll" "$@"; }
benchplot() { dotnet "$plot_dll" "$@" >/dev/null; }

if ((report_only)); then
  [[ -s $run/notes ]] || die "no notes of a run in $run: run the measurements first"
  # shellcheck source=/dev/null
  source "$run/notes"
else
  mapfile -t ports < <(loadgen ports 2)
  start_influxd "$run/influx" "${ports[0]}" "${ports[1]}"
  started=$(date -u '+%Y-%m-%d %H:%M UTC')
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  clock_start=$SECONDS
  log "mode $mode, $runs run(s) per point; influxd $influx_url; load average $load_before"
fi

# --- our nodes ----------------------------------------------------------------------------------------------------
# One operator token for every node of the run: /readyz details and /metrics answer it only.
operator_token=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
operator_curl() { curl -H "Authorization: Bearer $operator_token" "$@"; }

# start_node NAME DATABASE [VAR=value ...] → node_pid, node_url (own data folder, HTTP and MQTT ports)
start_node() {
  local name=$1 database=$2 node_ports
  shift 2
  mapfile -t node_ports < <(loadgen ports 2)
  node_url=http://127.0.0.1:${node_ports[0]}
  launch_node "$run/$name" "$node_url" "127.0.0.1:${node_ports[1]}" "$database" DCS_OPERATOR_TOKEN="$operator_token" "$@"
}

# --- one measured point -------------------------------------------------------------------------------------------
failed=0
# measure TSV SWEEP X PATH DATABASE WARMUP POINTS WATCH [EXTRA COLUMNS...] -- SCENARIO_ARGS...
#   $runs runs of `loadgen scenario`, each warmed inside the load tool (--warmup: numbered below 0, written before the
#   clock starts, ignored by the check) and followed by DROP MEASUREMENT so the next run's check sees only its own
#   points; WATCH is name=pid,... of our processes (CPU and peak RSS over the timed window, summed). One TSV row per run.
measure() {
  local tsv=$1 sweep=$2 x=$3 path=$4 database=$5 warmup=$6 points=$7 watch=$8
  shift 8
  local extra=()
  while [[ $1 != -- ]]; do extra+=("$1"); shift; done
  shift
  local tag="$sweep-$x-$path" status line cpu rss r name column
  for ((r = 1; r <= runs; r++)); do
    log "$tag run $r: $warmup warm-up points, then $points timed"
    status=0
    loadgen scenario --name "$tag" --run "$r" --db "$database" --influx "$influx_url" --points "$points" --warmup "$warmup" \
      --watch "$watch" --stall-seconds "$stall" "$@" >"$run/$tag-$r.out" 2>&1 || status=$?
    line=$(grep '^result ' "$run/$tag-$r.out" || true)
    if [[ -z $line ]]; then
      cat "$run/$tag-$r.out" >&2
      log "$tag run $r: no result (exit $status)"
      failed=1
      continue
    fi
    ((status == 0)) || { log "$tag run $r: acknowledged points missing, duplicated or misplaced: $line"; failed=1; }
    cpu=0 rss=0
    for name in $(tr ',' '\n' <<<"$watch" | cut -d= -f1); do
      cpu=$(awk -v a="$cpu" -v b="$(field "$line" "cpu_$name")" 'BEGIN { print a + b }')
      rss=$(awk -v a="$rss" -v b="$(field "$line" "rss_$name")" 'BEGIN { print a + b }')
    done
    printf '%s\t%s\t%s\t%s' "$sweep" "$path" "$x" "$r" >>"$tsv"
    for column in "${extra[@]}"; do printf '\t%s' "$column" >>"$tsv"; done
    printf '\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
      "$(field "$line" acked)" "$(field "$line" seconds)" "$(field "$line" rate)" \
      "$(nan_dash "$(field "$line" p50_ms)")" "$(nan_dash "$(field "$line" p99_ms)")" \
      "$(field "$line" missing)" "$(field "$line" duplicates)" "$cpu" "$rss" \
      "$(cut -d' ' -f1 /proc/loadavg)" "$status" >>"$tsv"
    log "$tag run $r: $(field "$line" rate) points/s, p99 $(field "$line" p99_ms) ms, missing $(field "$line" missing), duplicates $(field "$line" duplicates)"
    influx_query "$database" 'DROP MEASUREMENT "values"' >/dev/null || die "could not drop the run's points"
  done
}
nan_dash() { [[ $1 == NaN || -z $1 ]] && echo - || echo "$1"; }
result_columns='acked	seconds	rate	p50_ms	p99_ms	missing	duplicates	cpu_s	peak_rss_mib	load1	exit'

# prepare_embedded NAME DEVICES → $run/NAME/{token,devices}, registered in NAME's embedded log (before its host starts)
prepare_embedded() {
  mkdir -p "$run/$1"
  local t0=$SECONDS
  loadgen prepare --data "$run/$1" --devices "$2" --devices-file "$run/$1/devices" | sed -n 's/^token=//p' >"$run/$1/token"
  log "$1: $2 devices and 1 token registered in $((SECONDS - t0)) s"
}
http_load() { # NAME PER_REQUEST → the scenario arguments of batched HTTP ingest against node_url
  echo --kind http --url "$node_url" --token "$(cat "$run/$1/token")" --devices-file "$run/$1/devices" \
    --connections "$http_connections" --per-request "$2"
}

# --- (i) devices ----------------------------------------------------------------------------------------------------
devices_tsv=$out/scaling-devices.tsv
if measuring devices; then
  printf 'sweep\tpath\tdevices\trun\tper_request\tpoints\t%s\n' "$result_columns" >"$devices_tsv"
  for devices in "${device_counts[@]}"; do
    name=devices-$devices
    prepare_embedded "$name" "$devices"
    start_node "$name" "scaling_devices_$devices"
    # shellcheck disable=SC2046
    measure "$devices_tsv" devices "$devices" embedded "scaling_devices_$devices" "$devices_warmup" "$devices_points" "host=$node_pid" \
      "$devices_per_request" "$devices_points" -- $(http_load "$name" "$devices_per_request")
    stop_pid "$node_pid"
  done
fi

# --- (ii) batch size, and the embedded log's single processor for (iii) -----------------------------------------------
batch_tsv=$out/scaling-batch.tsv
processors_tsv=$out/scaling-processors.tsv
if measuring processors; then
  printf 'sweep\tpath\tprocessors\trun\tper_request\tpoints\t%s\n' "$result_columns" >"$processors_tsv"
fi
if measuring batch || measuring processors; then
  name=embedded-$batch_devices
  prepare_embedded "$name" "$batch_devices"
  start_node "$name" scaling_embedded
  if want batch; then
    printf 'sweep\tpath\tper_request\trun\tdevices\tpoints\t%s\n' "$result_columns" >"$batch_tsv"
    for size in "${batch_sizes[@]}"; do
      # shellcheck disable=SC2046
      measure "$batch_tsv" batch "$size" embedded scaling_embedded "${batch_warmup[$size]}" "${batch_points[$size]}" "host=$node_pid" \
        "$batch_devices" "${batch_points[$size]}" -- $(http_load "$name" "$size")
    done
  fi
  if want processors; then
    # FasterLog is a file of one process: the embedded log runs every role in one process, so one processor (with
    # one ordered substream per partition inside it); a second process cannot share the log.
    # shellcheck disable=SC2046
    measure "$processors_tsv" processors 1 embedded scaling_embedded "$processors_warmup" "$processors_points" "host=$node_pid" \
      "$processors_per_request" "$processors_points" -- $(http_load "$name" "$processors_per_request")
  fi
  stop_pid "$node_pid"
fi

# --- (iii) processors over Kafka ----------------------------------------------------------------------------------------
assignment_of() { # url [detail] → the partitions a process node owns, from its /readyz (processing check), as a count
  local body
  body=$(operator_curl -s --max-time 5 "$1/readyz" || true)
  if [[ ${2:-} == detail ]]; then
    sed -n 's/.*"description":"\(partitions [^"]*\)".*/\1/p' <<<"$body"
  else
    sed -n 's/.*partitions \[\([0-9,]*\)\].*/\1/p' <<<"$body" | tr ',' '\n' | grep -c . || true
  fi
}
wait_assigned() { # urls...: until every processor owns partitions and together all of dcs.raw (a settled group)
  local deadline=$((SECONDS + 90)) url total owned settled
  while ((SECONDS < deadline)); do
    total=0 settled=1
    for url in "$@"; do
      owned=$(assignment_of "$url")
      ((owned > 0)) || settled=0
      total=$((total + owned))
    done
    ((settled && total == kafka_partitions)) && { log "consumer group settled: $# processor(s) own the $total partitions"; return 0; }
    sleep 0.5
  done
  return 1
}
if measuring processors; then
  loadgen kafka-mock --partitions "$kafka_partitions" >"$run/kafka-mock.out" 2>&1 &
  kafka_pid=$!
  track "$kafka_pid"
  bootstrap=$(wait_line "$run/kafka-mock.out" '^bootstrap=' 30 "$kafka_pid") || { cat "$run/kafka-mock.out" >&2; die "kafka-mock did not start"; }
  bootstrap=${bootstrap#bootstrap=}
  log "Kafka mock at $bootstrap, dcs.raw with $kafka_partitions partitions"
  name=kafka-$processors_devices
  mkdir -p "$run/$name"
  loadgen prepare --kafka "$bootstrap" --devices "$processors_devices" --devices-file "$run/$name/devices" |
    sed -n 's/^token=//p' >"$run/$name/token"
  # Every node of one installation shares the adapter key (ingest signs, processors verify) and the registry key.
  kafka_env=(DCS_RECORD_LOG=Kafka DCS_KAFKA_BOOTSTRAP="$bootstrap"
    Secrets__AdapterKey="$(head -c 32 /dev/urandom | base64)" Secrets__RegistryKey="$(head -c 32 /dev/urandom | base64)")
  start_node kafka-ingest scaling_kafka DCS_ROLES=ingest,api "${kafka_env[@]}"
  ingest_pid=$node_pid ingest_url=$node_url
  start_node kafka-process-1 scaling_kafka DCS_ROLES=process "${kafka_env[@]}"
  process_pids="$node_pid" process_urls=("$node_url") watch="ingest=$ingest_pid,process1=$node_pid"
  wait_assigned "${process_urls[@]}" || die "the processor was not assigned every partition of dcs.raw"
  node_url=$ingest_url
  # shellcheck disable=SC2046
  measure "$processors_tsv" processors 1 kafka scaling_kafka "$processors_warmup" "$processors_points" "$watch" \
    "$processors_per_request" "$processors_points" -- $(http_load "$name" "$processors_per_request")

  # The second member joins the group: the timed point starts once both own partitions (the mock rebalances in
  # ~3-5 s), after its own warm-up.
  start_node kafka-process-2 scaling_kafka DCS_ROLES=process "${kafka_env[@]}"
  process_pids="$process_pids $node_pid" process_urls+=("$node_url") watch="$watch,process2=$node_pid"
  wait_assigned "${process_urls[@]}" || die "the two processors did not split the partitions of dcs.raw"
  node_url=$ingest_url
  # shellcheck disable=SC2046
  measure "$processors_tsv" processors 2 kafka scaling_kafka "$processors_warmup" "$processors_points" "$watch" \
    "$processors_per_request" "$processors_points" -- $(http_load "$name" "$processors_per_request")
  for url in "${process_urls[@]}"; do log "processor $url: $(assignment_of "$url" detail)"; done
  for pid in $process_pids "$ingest_pid" "$kafka_pid"; do stop_pid "$pid"; done
fi

# --- (iv) memory over a long flat-out load ------------------------------------------------------------------------------
memory_tsv=$out/scaling-memory.tsv
if measuring memory; then
  name=memory
  prepare_embedded "$name" 1000
  start_node "$name" scaling_memory
  memory_pid=$node_pid
  log "memory: $memory_seconds s of HTTP ingest (8 connections × 100 per request, flat out), sampled every $memory_interval s"
  loadgen http --url "$node_url" --token "$(cat "$run/$name/token")" --device "$(head -1 "$run/$name/devices")" \
    --connections 8 --per-request 100 --seconds "$memory_seconds" >"$run/memory-load.out" 2>&1 &
  load_pid=$!
  track "$load_pid"
  printf 't_s\trss_mib\tgc_heap_mib\tcpu_s\tthreads\tload1\n' >"$memory_tsv"
  t0=$SECONDS
  while :; do
    now=$((SECONDS - t0))
    alive "$memory_pid" || { tail -30 "$run/$name/host.log" >&2; die "the host died during the memory run"; }
    # GC heap: prometheus-net's dotnet_total_memory_bytes (GC.GetTotalMemory) from the host's own /metrics.
    heap=$(operator_curl -s --max-time 2 "$node_url/metrics" | awk '/^dotnet_total_memory_bytes / { printf "%.1f", $2 / 1048576 }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$now" "$(rss_mib "$memory_pid")" "${heap:--}" "$(cpu_seconds "$memory_pid")" \
      "$(awk '/^Threads/ { print $2 }' "/proc/$memory_pid/status")" "$(cut -d' ' -f1 /proc/loadavg)" >>"$memory_tsv"
    ((now >= memory_seconds)) && break
    sleep "$memory_interval"
  done
  for _ in $(seq 150); do alive "$load_pid" || break; sleep 0.2; done # it stops itself after --seconds, then prints its total
  stop_pid "$load_pid"
  memory_total=$(grep '^total' "$run/memory-load.out" || echo "no total: see $run/memory-load.out")
  stop_pid "$memory_pid"
fi

if ((report_only == 0)); then
  load_after=$(cut -d' ' -f1-3 /proc/loadavg)
  elapsed=$((SECONDS - clock_start))
  # What the fragment says about this run, for --report-only (charts and text again after a change to either).
  printf 'mode=%q runs=%q started=%q load_before=%q load_after=%q elapsed=%q memory_total=%q\n' \
    "$mode" "$runs" "$started" "$load_before" "$load_after" "$elapsed" "${memory_total:-}" >"$run/notes"
fi

# --- charts -------------------------------------------------------------------------------------------------------------
charts=()
chart() { # file args...: a PNG into $out, remembered for the fragment
  benchplot "$2" --out "$out/$1" "${@:3}" && charts+=("$1") || log "chart $1 failed"
}
stamp="($mode, $started)"
if [[ -s $devices_tsv ]] && want devices; then
  chart scaling-devices-throughput.png line --in "$devices_tsv" --x devices --y rate --log-x --y-from-zero \
    --title "Throughput vs registered devices $stamp" --x-label "devices (log scale; $devices_per_request measurements per request)" --y-label "points/s until queryable"
  chart scaling-devices-latency.png line --in "$devices_tsv" --x devices --y p50_ms,p99_ms --log-x --y-from-zero \
    --title "Send → queryable latency vs devices $stamp" --x-label "devices (log scale)" --y-label "ms"
fi
if [[ -s $batch_tsv ]] && want batch; then
  chart scaling-batch-throughput.png line --in "$batch_tsv" --x per_request --y rate --log-x --log-y \
    --title "Throughput vs measurements per HTTP request $stamp" --x-label "measurements per request (log scale)" --y-label "points/s until queryable (log scale)"
  # Log y: from tens of ms to tens of seconds where a flat-out load saturates processing (1,000 per request).
  chart scaling-batch-latency.png line --in "$batch_tsv" --x per_request --y p50_ms,p99_ms --log-x --log-y \
    --title "Send → queryable latency vs batch size $stamp" --x-label "measurements per request (log scale)" --y-label "ms (log scale)"
fi
if [[ -s $processors_tsv ]] && want processors; then
  chart scaling-processors-throughput.png line --in "$processors_tsv" --x processors --y rate --series path --y-from-zero \
    --title "Throughput vs processors in the consumer group $stamp" --x-label "processing processes" --y-label "points/s until queryable"
  chart scaling-processors-latency.png line --in "$processors_tsv" --x processors --y p99_ms --series path --y-from-zero \
    --title "p99 send → queryable latency vs processors $stamp" --x-label "processing processes" --y-label "p99 ms"
fi
if [[ -s $memory_tsv ]] && want memory; then
  chart scaling-memory.png line --in "$memory_tsv" --x t_s --y rss_mib,gc_heap_mib --y-from-zero \
    --title "Host memory under a flat-out HTTP load $stamp" --x-label "seconds" --y-label "MiB"
fi

# --- markdown fragment --------------------------------------------------------------------------------------------------
md_table() { # tsv x-column: median row per (path, x) as a markdown table
  awk -F'\t' -v xname="$2" '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    {
      key = $col["path"] SUBSEP $col[xname]
      if (!(key in seen)) { seen[key] = 1; order[++n] = key }
      count[key]++
      rate[key, count[key]] = $col["rate"]; p50[key, count[key]] = $col["p50_ms"]; p99[key, count[key]] = $col["p99_ms"]
      miss[key] += $col["missing"]; dup[key] += $col["duplicates"]; cpu[key, count[key]] = $col["cpu_s"]
      acked[key, count[key]] = $col["acked"]; rss[key] = ($col["peak_rss_mib"] > rss[key] ? $col["peak_rss_mib"] : rss[key])
    }
    function median(a, k, c,    i, j, t, v) {
      for (i = 1; i <= c; i++) v[i] = a[k, i]
      for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
      return v[int((c + 1) / 2)]
    }
    function spread(a, k, c,    i, lo, hi) {
      lo = hi = a[k, 1]
      for (i = 2; i <= c; i++) { if (a[k, i] + 0 < lo + 0) lo = a[k, i]; if (a[k, i] + 0 > hi + 0) hi = a[k, i] }
      return c > 1 ? sprintf(" (%d–%d)", lo, hi) : ""
    }
    END {
      printf "| path | %s | runs | points/s median (min–max) | p50 ms | p99 ms | CPU s per 100k points (our processes) | peak RSS MiB | missing | duplicates |\n", xname
      print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
      for (i = 1; i <= n; i++) {
        k = order[i]; split(k, part, SUBSEP); c = count[k]
        a = median(acked, k, c)
        printf "| %s | %s | %d | %d%s | %s | %s | %.1f | %s | %d | %d |\n", part[1], part[2], c, median(rate, k, c), spread(rate, k, c),
          median(p50, k, c), median(p99, k, c), (a > 0 ? 100000 * median(cpu, k, c) / a : 0), rss[k], miss[k], dup[k]
      }
    }' "$1"
}
fragment=$out/scaling.md
{
  echo "<!-- written by ops/bench/scaling.sh (mode $mode); do not edit: re-run the script -->"
  echo "### Scaling curves (issue 8, point 4)"
  echo
  echo "Run $started, mode $mode, $runs run(s) per point, $(nproc) cores, load average $load_before before / $load_after after, $((elapsed / 60)) min $((elapsed % 60)) s."
  echo "Command: \`ops/bench/scaling.sh$([[ $mode == quick ]] && echo ' --quick')$([[ $runs != 1 ]] && echo " --runs $runs")\`."
  echo "Load: numbered 5-value points, batched HTTP ingest over $http_connections keep-alive connections, request i to device i mod D;"
  echo "our host (Release) with a private influxd $(influxd version 2>/dev/null | awk '{ print $2 }') (defaults, no auth) on loopback. Every timed point"
  echo "follows a warm-up through the same path in the same load-tool process; points/s = points stored ÷ seconds from the first send"
  echo "until the last acknowledged point is queryable; every acknowledged point checked stored exactly once (missing/duplicates columns)."
  echo "Latency = send → queryable, estimated from cumulative counts (sends begun, logged by the load tool; written, influxd's"
  echo "pointsWrittenOK sampled every 100 ms: that and the write batches are its resolution). CPU and peak RSS: our processes over the timed window."
  echo "The load runs flat out: where ingest acknowledges faster than processing writes (large requests), points queue durably in"
  echo "the log and p99 measures that backlog at the end of the run (latency at saturation), not a paced device's latency."
  echo "Tokens: one workspace editor token for all devices (registered on dcs.registry before the host starts)."
  if [[ -s $devices_tsv ]] && want devices; then
    echo
    echo "**Devices** ($devices_per_request measurements per request, $devices_points points, so up to $((devices_points / devices_per_request)) devices are written to per run):"
    echo
    md_table "$devices_tsv" devices
  fi
  if [[ -s $batch_tsv ]] && want batch; then
    echo
    echo "**Batch size** ($batch_devices devices; points per run: $(for s in "${batch_sizes[@]}"; do printf '%s→%s ' "$s" "${batch_points[$s]}"; done | sed 's/ $//')):"
    echo
    md_table "$batch_tsv" per_request
  fi
  if [[ -s $processors_tsv ]] && want processors; then
    echo
    echo "**Processors** ($processors_devices devices, $processors_per_request per request, $processors_points points). Kafka: librdkafka's mock cluster"
    echo "(\`loadgen kafka-mock\`, dcs.raw with $kafka_partitions partitions) in its own process, one ingest+api node and 1 or 2 process-only nodes in"
    echo "one consumer group; CPU and RSS are summed over our processes. Embedded: FasterLog is one process's file, so it has"
    echo "exactly one processor (every role in one process, one ordered substream per partition inside it); a second process cannot share it."
    echo "Here all processes share one 2-core machine, so a second processor adds no cores: the step from 1 to 2 shows the cost of"
    echo "the split (or, on a machine others load, a larger share of the contended CPU), not what a second machine adds."
    echo
    md_table "$processors_tsv" processors
  fi
  if [[ -s $memory_tsv ]] && want memory; then
    echo
    awk -F'\t' -v secs="$memory_seconds" 'NR > 1 {
        n++; t[n] = $1; r[n] = $2; h[n] = $3
        if ($1 >= 60 && base == "") base = $2
        if (base != "" && $2 > peak) peak = $2
      }
      END {
        printf "**Memory** (%d s of flat-out HTTP ingest, 8 connections × 100 measurements per request, one device): RSS %s MiB at the start, ", secs, r[1]
        printf "%s MiB after 1 min, %s MiB at the end (peak after 1 min %s MiB); GC heap %s → %s MiB.\n", base, r[n], peak, h[2], h[n]
      }' "$memory_tsv"
    echo "Load tool: ${memory_total:-}"
  fi
  echo
  for c in "${charts[@]}"; do echo "![${c%.png}]($c)"; done
} >"$fragment"
cat "$fragment"

log "done in $((elapsed / 60)) min $((elapsed % 60)) s; TSVs, charts and scaling.md in $out"
((failed == 0)) || die "FAILED: acknowledged points were lost, duplicated or misplaced (see above)"
