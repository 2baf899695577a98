#!/usr/bin/env bash
# The failover drill at scale (issue 19's slow row `failover-drill-10m`): 10M points through the real host into a
# primary influxd, a backup to two sites, then ops/failover-drill.sh: stop the primary (host and influxd), restore
# the second site's newest backup into a standby influxd, start the host against it, serve; RPO and RTO measured,
# restored counts compared with what was acknowledged.
#
#   ops/reliability/failover-drill-10m.sh [--points 10000000] [--connections 8] [--per-request 1000] [--no-build]
#                                         [--numbers FILE]
#
# 1. A private influxd (auth off, free loopback ports) and the host on it, backups to site-1 and site-2 (scheduled
#    backups off: the one backup is taken on demand), shared keys and operator token as a standby needs them.
# 2. A user, a device and its token through the API (the restored metadata store must know them), then --points
#    numbered points through HTTP ingest (`loadgen scenario --kind http`: each point acknowledged, then read back:
#    every acknowledged point stored exactly once). Times: base + seq ms, the newest a minute before the load.
# 3. 100 "fresh" points at the current time, stored, then POST /v1/ops/backups?wait=true (site-1 and site-2).
# 4. 100 more points after the backup: the last acknowledged write, the RPO reference (a failover loses them).
# 5. ops/failover-drill.sh --secondary site-2 --primary-pid HOST --primary-pid INFLUXD --last-ack ... --host-cmd ...
#    --probe /v1/devices/<device>/last (the owner's token): exit 0 only when the restore verified its checksums and
#    counts against the manifest and the standby host answered.
# PASS when the drill passed and the restored raw points equal the acknowledged points before the backup exactly
# (points + the probe point + 100 fresh). stdout: the drill's facts and one `drill-10m:` summary line; --numbers FILE
# gets the numbers as a line of the reliability runner's numbers file. Exit 0 PASS, 1 FAIL.
# Every process started here is stopped at exit, by pid; its folders are removed.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo_root"

points=10000000
connections=8
per_request=1000
build=1
numbers_out=""
while (($#)); do
  case $1 in
    --points) points=$2; shift ;;
    --connections) connections=$2; shift ;;
    --per-request) per_request=$2; shift ;;
    --numbers) numbers_out=$2; shift ;;
    --no-build) build=0 ;;
    -h | --help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "drill-10m: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

run=$(mktemp -d "${TMPDIR:-/tmp}/dcs-drill-10m.XXXXXX")
bench_name=drill-10m
# shellcheck source=../bench/lib.sh
. "$repo_root/ops/bench/lib.sh"   # log, die, track/stop_all, wait_http, start_influxd, launch_node, field
trap 'stop_all; rm -rf "$run"' EXIT

command -v influxd >/dev/null || die "influxd is not installed (apt-get install influxdb)"
if ((build)); then
  for project in host/Datacake.Streams.Host bench/Datacake.Streams.LoadGen host/Datacake.Streams.Cli; do
    dotnet build -c Release -v q -nologo "$project" >"$run/build.log" 2>&1 || { cat "$run/build.log" >&2; die "build of $project failed"; }
  done
fi
host_dll=$repo_root/host/Datacake.Streams.Host/bin/Release/net10.0/datacake-streams.dll
loadgen_dll=$repo_root/bench/Datacake.Streams.LoadGen/bin/Release/net10.0/Datacake.Streams.LoadGen.dll
# The CLI as the solution's build leaves it (run.sh builds the solution), else where ops/failover-drill.sh builds it.
dcs_dll=$repo_root/host/Datacake.Streams.Cli/bin/Release/net10.0/dcs.dll
[[ -f $dcs_dll ]] || dcs_dll=$repo_root/.build/dcs/dcs.dll
[[ -f $dcs_dll ]] || die "no dcs CLI (run without --no-build once)"
loadgen() { dotnet "$loadgen_dll" "$@"; }

# --- 1. primary: influxd and host; the keys and the operator token are the standby's too (docs/OPERATIONS.md) --------
mapfile -t ports < <(loadgen ports 4)
database=drill10m_$(date -u +%Y%m%d%H%M%S)
start_influxd "$run/influx" "${ports[0]}" "${ports[1]}"   # → influx_pid, influx_url
primary_influx_pid=$influx_pid
export DCS_OPERATOR_TOKEN DCS_INFLUX_DATABASE=$database Secrets__AdapterKey Secrets__RegistryKey
DCS_OPERATOR_TOKEN=$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 48)
Secrets__AdapterKey=$(head -c 32 /dev/urandom | base64)
Secrets__RegistryKey=$(head -c 32 /dev/urandom | base64)
api=http://127.0.0.1:${ports[2]}
launch_node "$run/primary" "$api" "127.0.0.1:${ports[3]}" "$database" \
  DCS_OPERATOR_TOKEN="$DCS_OPERATOR_TOKEN" Secrets__AdapterKey="$Secrets__AdapterKey" Secrets__RegistryKey="$Secrets__RegistryKey" \
  DCS_INFLUX_BACKUP_HOST="127.0.0.1:${ports[1]}" DCS_BACKUP_DIR="$run/site-1" DCS_BACKUP_SECONDARY_DIR="$run/site-2"
primary_host_pid=$node_pid

# --- 2. the device through the API, then the points --------------------------------------------------------------------
api_call() { # method path token [json] → body; fails on an HTTP error
  curl -sf --max-time 600 -X "$1" "$api$2" -H "Authorization: Bearer $3" -H 'Content-Type: application/json' ${4:+-d "$4"}
}
owner=$(api_call POST /v1/users "$DCS_OPERATOR_TOKEN" '{"email":"drill-10m@example.test"}' | jq -r .token)
workspace=$(api_call GET /v1/me "$owner" | jq -r .homeWorkspaceId)
device=$(api_call POST "/v1/workspaces/$workspace/devices" "$owner" '{"name":"drill pump"}' | jq -r .id)
device_token=$(api_call POST "/v1/devices/$device/tokens" "$owner" | jq -r .token)
echo "$device" >"$run/devices"
printf '%s' "$owner" >"$run/owner.token"

base_ms=$((($(date +%s) - 60) * 1000 - points))
log "loading $points points through HTTP ingest ($connections connections x $per_request per request) into $database"
load_started=$SECONDS
status=0
loadgen scenario --name drill-10m --kind http --url "$api" --token "$device_token" --devices-file "$run/devices" \
  --connections "$connections" --per-request "$per_request" --points "$points" --warmup 0 --base-ms "$base_ms" \
  --db "$database" --influx "$influx_url" --stall-seconds 120 --deliver-seconds 1800 --sample-ms 1000 \
  --watch "host=$primary_host_pid,influxd=$primary_influx_pid" | tee "$run/load.out" || status=$?
load_line=$(grep '^result ' "$run/load.out" || true)
[[ -n $load_line ]] || die "the load reported no result (exit $status)"
((status == 0)) || die "the load lost, duplicated or misplaced points: $load_line"
acked=$(field "$load_line" acked)
load_seconds=$((SECONDS - load_started))

fresh() { # first-seq: 100 points at the current time (seq first-seq down), one request; echoes the ack time (unix s)
  local body now_ms k
  now_ms=$(($(date +%s%N) / 1000000))
  body=$(for ((k = 0; k < 100; k++)); do
    printf '{"time":%d,"values":{"seq":%d,"temperature":20.0,"humidity":50,"pressure":1000,"battery":3.0}}\n' \
      $((now_ms - 100 + k)) $(($1 - k))
  done | paste -sd, -)
  [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -X POST "$api/v1/devices/$device/measurements" \
    -H "Authorization: Bearer $device_token" -H 'Content-Type: application/json' -d "[$body]") == 202 ]] ||
    die "the fresh points were refused"
  date +%s.%N
}
count_raw() {
  curl -sf -G "$influx_url/query" --data-urlencode "db=$database" \
    --data-urlencode "q=SELECT count(\"seq\") FROM \"raw\".\"$device\"" | jq -r '.results[0].series[0].values[0][1] // 0'
}

# --- 3. fresh points, stored, then the backup ------------------------------------------------------------------------------
fresh_ack=$(fresh -1000)
expected=$((acked + 1 + 100)) # the timed points, the probe point, the fresh ones
deadline=$((SECONDS + 300))
until [[ $(count_raw) == "$expected" ]]; do
  ((SECONDS < deadline)) || die "the primary's influxd holds $(count_raw) points, not $expected"
  sleep 1
done
# A backup counts (and the drill checks) the points up to its start - 5 s (the writes still in flight are left to the
# next one): the fresh points must be older than that, or they would be restored but not counted.
until awk -v now="$(date +%s.%N)" -v ack="$fresh_ack" 'BEGIN { exit !(now > ack + 6) }'; do sleep 0.2; done
log "backing up $expected points (site-1 and site-2)"
backup_started=$(date +%s.%N)
backup=$(api_call POST "/v1/ops/backups?wait=true" "$DCS_OPERATOR_TOKEN")
backup_seconds=$(awk -v a="$(date +%s.%N)" -v b="$backup_started" 'BEGIN { printf "%.1f", a - b }')
backup_id=$(jq -r .manifest.id <<<"$backup")
log "backup $backup_id in $backup_seconds s: $(du -sh "$run/site-2" | cut -f1) on the second site"

# --- 4. writes after the backup: the last acknowledged one is the RPO reference --------------------------------------------
last_ack=$(fresh -2000)

# --- 5. the drill ---------------------------------------------------------------------------------------------------------------
log "drill: stopping the primary (host $primary_host_pid, influxd $primary_influx_pid), restoring from site-2"
drill_status=0
DOTNET_ENVIRONMENT=Production Ingest__Mqtt__PlainEndpoint="127.0.0.1:$(loadgen ports 1)" Logging__LogLevel__Default=Warning \
  ops/failover-drill.sh --secondary "$run/site-2" --primary-pid "$primary_host_pid" --primary-pid "$primary_influx_pid" \
  --last-ack "$last_ack" --host-cmd "dotnet $host_dll" --probe "/v1/devices/$device/last" --probe-token-file "$run/owner.token" \
  --dcs "dotnet $dcs_dll" | tee "$run/drill.out" || drill_status=$?
fact() { sed -n "s/^$1=//p" "$run/drill.out" | head -n 1; }
# The device measurements' raw points to the backup's end, as restored and counted (the drill's points.raw.values;
# points.raw.dcs_rollup_mark and the like are the retention tiers' bookkeeping).
restored=$(fact points.raw.values)
restored=${restored:-0}
passed=false
((drill_status == 0)) && [[ $(fact result) == ok && $restored == "$expected" ]] && passed=true
summary="$points points loaded in ${load_seconds} s ($(field "$load_line" rate) points/s stored, load average $(cut -d' ' -f1 /proc/loadavg)), all stored exactly once; backup $backup_seconds s; drill exit $drill_status: checksums $(fact checksums), counts $(fact counts), restored raw points $restored of $expected acknowledged before the backup; restore $(fact restore_seconds) s, RTO $(fact rto_seconds) s, RPO $(fact rpo_seconds) s (the last write acknowledged after the backup to the newest restored point)"
echo "drill-10m: $([[ $passed == true ]] && echo PASS || echo FAIL): $summary"
if [[ -n $numbers_out ]]; then
  # Sent and acknowledged: what the primary acknowledged before the backup; the 100 points after it are the RPO window.
  jq -cn --arg at "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --argjson sent "$expected" --argjson acked "$expected" \
    --argjson stored "$restored" --argjson lost "$((expected - restored))" --arg note "$summary" \
    '{row: "failover-drill-10m", test: "failover-drill-10m.sh", at: $at,
      numbers: {sent: $sent, acknowledged: $acked, stored: $stored, lost: $lost, note: $note}}' >>"$numbers_out"
fi
[[ $passed == true ]]
