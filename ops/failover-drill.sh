#!/usr/bin/env bash
# Failover drill: stop the primary, bring up a standby from the SECOND SITE's backups alone, repoint the system at it,
# verify the data, and measure the data-loss window (RPO) and the time to serve again (RTO).
#
#   ops/failover-drill.sh --secondary DIR [primary options] [standby options]
#
# Primary (the drill stops only what it is told to, by pid or by command; never any other influxd):
#   --primary-pid PID        a process of the primary to stop: the host, its influxd (repeatable)
#   --stop-primary CMD       a command that stops the primary (e.g. "ssh primary systemctl stop datacake-streams influxdb")
#   --stop-signal SIG        TERM (default: a clean shutdown) or KILL (a crash) for --primary-pid
#   --primary-url URL        the primary influxd, read just before the stop: its newest point is the RPO reference
#                            when --last-ack is not given (password in $DCS_DRILL_PRIMARY_PASSWORD)
#   --primary-user U, --primary-db DB (default: the database of the newest backup)
#   --last-ack TIME          the last acknowledged write (RFC 3339, or unix seconds), the RPO reference
# Standby (a private influxd on free loopback ports, own config and data folder, auth off):
#   --host-cmd CMD           starts the host against the standby ("dotnet /opt/dcs/datacake-streams.dll"); it gets this
#                            script's environment with DCS_INFLUX_URL, DCS_INFLUX_BACKUP_HOST, DCS_DATA_DIR (holding the
#                            restored metadata store) and DCS_HTTP_URL set to the standby's
#   --host-url URL           the standby host's plain HTTP URL (default http://127.0.0.1:<free port>)
#   --probe PATH             "serving" = GET PATH on the standby host answers 200 (default /readyz)
#   --probe-token-file FILE  bearer token for the probe (e.g. a canary device's read token)
#   --standby-secondary DIR  the standby host's scheduled backups go to this NEW second site (Backup__SecondaryDirectory);
#                            without it the standby host takes no scheduled backups (Backup__Enabled=false), so it never
#                            writes into the site it was restored from; the same folder as --secondary is refused
#   --dcs CMD                how to run the CLI (default $DCS_CLI, else builds host/Datacake.Streams.Cli once)
#   --keep                   leave the standby running (pids printed): the system now runs on it
#
# stdout: one key=value line per fact (machine-readable), ending with rpo_seconds=, rto_seconds= and result=;
# stderr: progress ("drill: ..."). RPO = reference (last acknowledged write, else the primary's newest point, else the
# stop) minus the newest point restored; rpo_backup_end_seconds = reference minus the backup's end (its counted range).
# RTO = primary stop to the standby answering the probe (without --host-cmd: the restored influxd answering a query).
# Exit: 0 verified and serving, 6 checksum or count mismatch, 4 no backups, 2 usage, 5 the standby did not serve, 1 else.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
secondary= primary_url= primary_user= primary_db= last_ack= stop_cmd= signal=TERM
host_cmd= host_url= probe=/readyz probe_token_file= keep=0 dcs=${DCS_CLI:-} standby_secondary=
primary_pids=()
need() { [[ $# -ge 2 && -n $2 ]] || { echo "failover-drill: $1 needs a value" >&2; exit 2; }; }
while (($#)); do
  case $1 in
    --secondary) need "$@"; secondary=$2; shift 2 ;;
    --primary-pid) need "$@"; primary_pids+=("$2"); shift 2 ;;
    --stop-primary) need "$@"; stop_cmd=$2; shift 2 ;;
    --stop-signal) need "$@"; signal=$2; shift 2 ;;
    --primary-url) need "$@"; primary_url=$2; shift 2 ;;
    --primary-user) need "$@"; primary_user=$2; shift 2 ;;
    --primary-db) need "$@"; primary_db=$2; shift 2 ;;
    --last-ack) need "$@"; last_ack=$2; shift 2 ;;
    --host-cmd) need "$@"; host_cmd=$2; shift 2 ;;
    --host-url) need "$@"; host_url=$2; shift 2 ;;
    --probe) need "$@"; probe=$2; shift 2 ;;
    --probe-token-file) need "$@"; probe_token_file=$2; shift 2 ;;
    --standby-secondary) need "$@"; standby_secondary=$2; shift 2 ;;
    --dcs) need "$@"; dcs=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "failover-drill: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -n $secondary && -d $secondary ]] || { echo "failover-drill: --secondary must name the second site's backup folder" >&2; exit 2; }
if [[ -n $standby_secondary ]]; then
  mkdir -p "$standby_secondary"
  [[ $(cd "$standby_secondary" && pwd -P) != "$(cd "$secondary" && pwd -P)" ]] || {
    echo "failover-drill: --standby-secondary must not be the site the standby is restored from" >&2; exit 2; }
fi
[[ $signal == TERM || $signal == KILL ]] || { echo "failover-drill: --stop-signal is TERM or KILL" >&2; exit 2; }
for p in "${primary_pids[@]}"; do
  [[ $p =~ ^[0-9]+$ && $p -gt 1 ]] || { echo "failover-drill: --primary-pid $p is not a process id" >&2; exit 2; }
done
[[ -z $probe_token_file || -r $probe_token_file ]] || { echo "failover-drill: cannot read --probe-token-file $probe_token_file" >&2; exit 2; }
command -v influxd >/dev/null || { echo "failover-drill: influxd is not installed (apt-get install influxdb)" >&2; exit 1; }

if [[ -z $dcs ]]; then
  out=$repo_root/.build/dcs
  if [[ ! -f $out/dcs.dll ]]; then
    dotnet build "$repo_root/host/Datacake.Streams.Cli" -c Release -o "$out" -v quiet -nologo >&2
  fi
  dcs="dotnet $out/dcs.dll"
fi

log() { echo "drill: $*" >&2; }
fact() { echo "$1=$2"; }
now_s() { date +%s.%N; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%S.%3NZ; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }
to_unix() { if [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]]; then echo "$1"; else date -u -d "$1" +%s.%N; fi; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local port
  while :; do
    # Below Linux's ephemeral range (32768-60999): a port there may be the local end of another process's outgoing
    # connection, which a connect test does not see and a bind then refuses (the reliability run hit it once).
    port=$((20000 + RANDOM % 12000))
    port_open "$port" || { echo "$port"; return; }
  done
}
# Stops one process by pid: the signal, then up to 60 s for it to go (a clean shutdown flushes), then KILL.
stop_pid() {
  local p=$1 sig=$2
  kill -0 "$p" 2>/dev/null || return 0
  kill "-$sig" "$p" 2>/dev/null || true
  for _ in $(seq 1 600); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
}

work=$(mktemp -d "${TMPDIR:-/tmp}/dcs-drill-XXXXXX")
influxd_pid= host_pid=
cleanup() {
  if ((keep == 0)); then
    [[ -z $host_pid ]] || stop_pid "$host_pid" TERM
    [[ -z $influxd_pid ]] || stop_pid "$influxd_pid" TERM
    rm -rf "$work"
  fi
}
trap cleanup EXIT

# The primary's newest point, read while it still answers (the RPO reference when no --last-ack is given).
primary_newest=
if [[ -n $primary_url ]]; then
  if [[ -z $primary_db ]]; then
    # The database the backups are of: the newest manifest's (ids sort by time).
    newest_manifest=$(ls -d "$secondary"/bk-*/manifest.json 2>/dev/null | sort | tail -n 1 || true)
    [[ -z $newest_manifest ]] || primary_db=$(sed -n 's/^ *"database": *"\([^"]*\)".*/\1/p' "$newest_manifest" | head -n 1)
  fi
  primary_newest=$(curl -s -m 10 -G "$primary_url/query" ${primary_user:+-u "$primary_user:${DCS_DRILL_PRIMARY_PASSWORD:-}"} \
    --data-urlencode "db=${primary_db}" --data-urlencode "epoch=ns" \
    --data-urlencode "q=SELECT * FROM \"${primary_db}\".\"raw\"./.*/ ORDER BY time DESC LIMIT 1" |
    grep -o '"values":\[\[[0-9]*' | grep -o '[0-9]*$' | sort -n | tail -n 1 || true)
fi

# 1. Stop the primary. RTO counts from here.
stopped=$(now_s)
fact primary_stopped "$(iso "$stopped")"
for p in "${primary_pids[@]}"; do
  log "stopping primary pid $p (SIG$signal)"
  stop_pid "$p" "$signal"
  if kill -0 "$p" 2>/dev/null; then
    echo "failover-drill: primary pid $p did not stop" >&2
    exit 1
  fi
done
if [[ -n $stop_cmd ]]; then
  log "stopping the primary: $stop_cmd"
  bash -c "$stop_cmd" >&2
fi
fact primary_down_seconds "$(minus "$(now_s)" "$stopped")"

# 2. The standby influxd: own config, data and free loopback ports.
http_port=$(free_port)
rpc_port=$(free_port)
while [[ $rpc_port == "$http_port" ]]; do rpc_port=$(free_port); done
mkdir -p "$work/influxd/meta" "$work/influxd/data" "$work/influxd/wal" "$work/host"
cat >"$work/influxd.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$rpc_port"
[meta]
  dir = "$work/influxd/meta"
[data]
  dir = "$work/influxd/data"
  wal-dir = "$work/influxd/wal"
  query-log-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:$http_port"
  auth-enabled = false
  log-enabled = false
[continuous_queries]
  run-interval = "1s"
[monitor]
  store-enabled = false
CONF
setsid influxd -config "$work/influxd.conf" >"$work/influxd.log" 2>&1 </dev/null &
influxd_pid=$!
influx_url=http://127.0.0.1:$http_port
fact standby_work "$work"
fact standby_influxd_pid "$influxd_pid"
fact standby_influx_url "$influx_url"
fact standby_backup_host "127.0.0.1:$rpc_port"

deadline=$((SECONDS + 30))
until [[ $(curl -s -o /dev/null -w '%{http_code}' "$influx_url/ping" || true) == 204 ]]; do
  if ((SECONDS >= deadline)) || ! kill -0 "$influxd_pid" 2>/dev/null; then
    echo "failover-drill: the standby influxd did not answer within 30 s" >&2
    tail -n 20 "$work/influxd.log" >&2 || true
    exit 1
  fi
  sleep 0.1
done

# 3. Restore the newest backup's chain (and the newest metadata store snapshot) from the second site; verify.
metadata_args=()
[[ -z $host_cmd ]] || metadata_args=(--metadata-to "$work/host/metadata.db")
set +e
report=$($dcs drill --secondary "$secondary" --influx-url "$influx_url" --backup-host "127.0.0.1:$rpc_port" "${metadata_args[@]}")
status=$?
set -e
printf '%s\n' "$report"
value() { printf '%s\n' "$report" | sed -n "s/^$1=//p" | head -n 1; }
database=$(value database)
if ((status != 0)); then
  fact result failed
  log "FAILED: the restore from $secondary did not verify (exit $status)"
  exit "$status"
fi

# Answers queries: a metadata statement, not a second count of every point (the restore check counted them once).
answer=$(curl -s -G "$influx_url/query" --data-urlencode "db=$database" \
  --data-urlencode "q=SHOW MEASUREMENTS ON \"$database\" LIMIT 1" || true)
if [[ $answer != *'"results"'* || $answer == *'"error"'* ]]; then
  fact result failed
  log "FAILED: the restored database does not answer queries: $answer"
  exit 5
fi

# 4. Repoint: the host starts against the standby and must answer the probe.
if [[ -n $host_cmd ]]; then
  [[ -n $host_url ]] || host_url=http://127.0.0.1:$(free_port)
  (
    export DCS_INFLUX_URL=$influx_url DCS_INFLUX_BACKUP_HOST=127.0.0.1:$rpc_port DCS_DATA_DIR=$work/host DCS_HTTP_URL=$host_url
    if [[ -n $standby_secondary ]]; then
      export Backup__SecondaryDirectory=$standby_secondary DCS_BACKUP_SECONDARY_DIR=$standby_secondary
    else
      export Backup__Enabled=false
    fi
    cd "$work/host"
    exec setsid bash -c "exec $host_cmd" >"$work/host.log" 2>&1 </dev/null
  ) &
  host_pid=$!
  fact standby_host_pid "$host_pid"
  fact standby_backups "${standby_secondary:-off}"
  fact standby_url "$host_url"
  auth=()
  [[ -z $probe_token_file ]] || auth=(-H "Authorization: Bearer $(tr -d '\r\n' <"$probe_token_file")")
  deadline=$((SECONDS + 120))
  until [[ $(curl -s -o /dev/null -w '%{http_code}' -m 5 "${auth[@]}" "$host_url$probe" || true) == 200 ]]; do
    if ((SECONDS >= deadline)) || ! kill -0 "$host_pid" 2>/dev/null; then
      fact result failed
      log "FAILED: the standby host did not answer GET $probe with 200 within 120 s"
      tail -n 30 "$work/host.log" >&2 || true
      exit 5
    fi
    sleep 0.1
  done
fi
serving=$(now_s)
fact serving "$(iso "$serving")"

# 5. RPO and RTO.
reference= reference_name=
if [[ -n $last_ack ]]; then
  reference=$(to_unix "$last_ack") reference_name=last-ack
elif [[ -n $primary_newest ]]; then
  reference=$(awk -v n="$primary_newest" 'BEGIN { printf "%.9f", n / 1e9 }') reference_name=primary-newest-point
else
  reference=$stopped reference_name=primary-stop
fi
fact rpo_reference "$reference_name"
fact rpo_reference_time "$(iso "$reference")"
newest=$(value newest_point_unix)
end=$(value backup_end_unix)
if [[ -n $newest ]]; then
  rpo=$(minus "$reference" "$newest")
else
  rpo=$(minus "$reference" "$end")
fi
[[ $rpo != -* ]] || rpo=0.000
fact rpo_backup_end_seconds "$(minus "$reference" "$end")"
fact rpo_seconds "$rpo"
fact rto_seconds "$(minus "$serving" "$stopped")"
fact result ok
log "RPO $rpo s ($reference_name to the newest restored point), RTO $(minus "$serving" "$stopped") s (primary stop to serving)"
if ((keep == 1)); then
  log "kept: standby influxd pid $influxd_pid at $influx_url${host_pid:+, host pid $host_pid at $host_url}; data under $work"
fi
