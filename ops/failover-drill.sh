#!/usr/bin/env bash
# Failover drill: the primary InfluxDB is gone; a fresh influxd is started on free ports from the SECOND SITE's
# backups alone (full + incrementals, merged per shard, in order), counts and checksums are verified against the
# manifests, and the data-loss window (RPO) and the time to serve again (RTO) are printed.
#
#   ops/failover-drill.sh --secondary DIR [--primary-url URL] [--primary-user U] [--primary-db DB] [--dcs CMD] [--keep]
#
#   --secondary DIR   the second site's backup folder (Backup:SecondaryDirectory)
#   --primary-url     the primary influxd, if it still answers: RPO is then measured to its newest point,
#                     else to "now" (password in $DCS_DRILL_PRIMARY_PASSWORD)
#   --dcs CMD         how to run the CLI (default: $DCS_CLI, else builds api/Datacake.Streams.Cli once)
#   --keep            leave the fresh influxd running (its pid and ports are printed) to point the system at it
#
# It never touches another influxd: it starts its own (own config, ports, data folder under a temp folder) and
# stops only that one, by pid. Exit: 0 verified, 6 checksum or count mismatch, 4 no backups, else 1/5.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
secondary= primary_url= primary_user= primary_db= keep=0 dcs=${DCS_CLI:-}
while (($#)); do
  case $1 in
    --secondary) secondary=$2; shift 2 ;;
    --primary-url) primary_url=$2; shift 2 ;;
    --primary-user) primary_user=$2; shift 2 ;;
    --primary-db) primary_db=$2; shift 2 ;;
    --dcs) dcs=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "failover-drill: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -n $secondary && -d $secondary ]] || { echo "failover-drill: --secondary must name the second site's backup folder" >&2; exit 2; }
command -v influxd >/dev/null || { echo "failover-drill: influxd is not installed (apt-get install influxdb)" >&2; exit 1; }

if [[ -z $dcs ]]; then
  out=$repo_root/.build/dcs
  if [[ ! -f $out/dcs.dll ]]; then
    dotnet build "$repo_root/api/Datacake.Streams.Cli" -c Release -o "$out" -v quiet -nologo >&2
  fi
  dcs="dotnet $out/dcs.dll"
fi

now_s() { date +%s.%N; }
seconds_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    port_open "$port" || { echo "$port"; return; }
  done
}

work=$(mktemp -d "${TMPDIR:-/tmp}/dcs-drill-XXXXXX")
pid=
cleanup() {
  if [[ -n $pid ]] && ((keep == 0)) && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  ((keep == 1)) || rm -rf "$work"
}
trap cleanup EXIT

started=$(now_s)
http_port=$(free_port)
rpc_port=$(free_port)
while [[ $rpc_port == "$http_port" ]]; do rpc_port=$(free_port); done
mkdir -p "$work/meta" "$work/data" "$work/wal"
cat >"$work/influxd.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$rpc_port"
[meta]
  dir = "$work/meta"
[data]
  dir = "$work/data"
  wal-dir = "$work/wal"
  query-log-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:$http_port"
  auth-enabled = false
  log-enabled = false
[monitor]
  store-enabled = false
CONF
setsid influxd -config "$work/influxd.conf" >"$work/influxd.log" 2>&1 </dev/null &
pid=$!
echo "drill: influxd pid $pid http 127.0.0.1:$http_port rpc 127.0.0.1:$rpc_port (data $work)"

deadline=$((SECONDS + 30))
until [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http_port/ping" || true) == 204 ]]; do
  if ((SECONDS >= deadline)) || ! kill -0 "$pid" 2>/dev/null; then
    echo "drill: the fresh influxd did not answer within 30 s" >&2
    tail -n 20 "$work/influxd.log" >&2 || true
    exit 1
  fi
  sleep 0.1
done

set +e
report=$($dcs drill --secondary "$secondary" --influx-url "http://127.0.0.1:$http_port" --backup-host "127.0.0.1:$rpc_port")
status=$?
set -e
printf '%s\n' "$report" | sed 's/^/drill: /'
field() { printf '%s\n' "$report" | sed -n "s/^$1=//p" | head -n 1; }
database=$(field database)
backup_end=$(field backup_end)

if ((status == 0)); then
  # Serving again = a query of the restored data answers.
  answer=$(curl -s -G "http://127.0.0.1:$http_port/query" --data-urlencode "db=$database" \
    --data-urlencode "q=SELECT count(*) FROM \"$database\".\"raw\"./.*/" || true)
  if [[ $answer != *'"results"'* || $answer == *'"error"'* ]]; then
    echo "drill: the restored database does not answer queries: $answer" >&2
    status=5
  fi
fi
serving=$(now_s)

# RPO: from the backup's end to the primary's newest point (if it still answers) or to now.
reference=$(now_s) reference_name=now
if [[ -n $primary_url && -n $database ]]; then
  newest=$(curl -s -G "$primary_url/query" ${primary_user:+-u "$primary_user:${DCS_DRILL_PRIMARY_PASSWORD:-}"} \
    --data-urlencode "db=${primary_db:-$database}" --data-urlencode "epoch=ns" \
    --data-urlencode "q=SELECT * FROM \"${primary_db:-$database}\".\"raw\"./.*/ ORDER BY time DESC LIMIT 1" |
    grep -o '"values":\[\[[0-9]*' | grep -o '[0-9]*$' | sort -n | tail -n 1 || true)
  if [[ -n $newest ]]; then
    reference=$(awk -v n="$newest" 'BEGIN { printf "%.3f", n / 1e9 }')
    reference_name="primary's newest point"
  fi
fi
if [[ -n $backup_end ]]; then
  end_s=$(date -d "$backup_end" +%s.%N)
  echo "RPO: $(seconds_between "$end_s" "$reference") s (backup end $backup_end to $reference_name)"
fi
echo "RTO: $(seconds_between "$started" "$serving") s (fresh influxd start to serving the restored data)"
if ((keep == 1)); then
  echo "drill: kept influxd pid $pid at http://127.0.0.1:$http_port (database $database); point Influx:Url at it"
fi
if ((status != 0)); then
  echo "drill: FAILED (exit $status)" >&2
fi
exit "$status"
