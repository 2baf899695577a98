#!/usr/bin/env bash
# Shell functions of the benchmark runners (sourced, not run): processes started and stopped by pid, readiness
# polls, /proc readings, apt installs, a private influxd on free loopback ports.
# The caller sets: repo_root, run (a scratch folder), and names its log prefix in bench_name.

log() { printf '%s %s: %s\n' "${bench_name:-bench}" "$(date -u +%T)" "$*" >&2; }
die() { log "$*"; exit 1; }

# --- processes: started by the caller with `... & track $!`, stopped here by pid -------------------------------------
pids=()
track() { pids+=("$1"); }
alive() { [[ -e /proc/$1/stat ]] && [[ $(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) != Z ]]; }
stop_pid() { # pid: TERM, up to 20 s for a graceful stop, then KILL; reaped and forgotten
  local pid=$1 kept=() p
  if alive "$pid"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 200); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then kill -9 "$pid" 2>/dev/null || true; fi
  fi
  wait "$pid" 2>/dev/null || true
  for p in "${pids[@]}"; do [[ $p == "$pid" ]] || kept+=("$p"); done
  pids=("${kept[@]}")
}
stop_all() { # every tracked process, newest first (nodes before the servers they use)
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do stop_pid "${pids[i]}"; done
}

wait_http() { # url expected-code seconds pid
  local deadline=$((SECONDS + $3))
  while ((SECONDS < deadline)); do
    alive "$4" || return 1
    [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1" || true) == "$2" ]] && return 0
    sleep 0.2
  done
  return 1
}

wait_line() { # file pattern seconds pid → the first matching line of a process's output
  local deadline=$((SECONDS + $3)) line
  while ((SECONDS < deadline)); do
    line=$(grep -m1 -- "$2" "$1" 2>/dev/null || true)
    [[ -n $line ]] && { echo "$line"; return 0; }
    alive "$4" || return 1
    sleep 0.1
  done
  return 1
}

# --- /proc readings ---------------------------------------------------------------------------------------------------
cpu_seconds() { # pid → user+system CPU seconds so far (0 once it is gone)
  local ticks
  ticks=$(awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0)
  awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t / hz }'
}
peak_rss_mib() { awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo 0; }
rss_mib() { awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# --- installs ---------------------------------------------------------------------------------------------------------
apt_install() { # packages...: install, refreshing the package lists once if the first try fails
  log "installing $* (apt)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >"$run/apt.log" 2>&1 ||
    { apt-get update -q >>"$run/apt.log" 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >>"$run/apt.log" 2>&1; } ||
    die "apt-get install $* failed: see $run/apt.log"
}

# --- private influxd: defaults but ports and folders, no auth (loopback only), no HTTP access log ----------------------
# start_influxd DIR HTTP_PORT RPC_PORT → influx_pid, influx_url
start_influxd() {
  local dir=$1
  mkdir -p "$dir"
  cat >"$dir/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$3"
[meta]
  dir = "$dir/meta"
[data]
  dir = "$dir/data"
  wal-dir = "$dir/wal"
  query-log-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:$2"
  auth-enabled = false
  log-enabled = false
[monitor]
  store-enabled = false
[logging]
  level = "warn"
CONF
  influxd -config "$dir/influxdb.conf" >"$dir/influxd.log" 2>&1 &
  influx_pid=$!
  track "$influx_pid"
  influx_url=http://127.0.0.1:$2
  wait_http "$influx_url/ping" 204 60 "$influx_pid" || die "influxd did not start: see $dir/influxd.log"
}

influx_query() { # database statement → response body; fails on an HTTP error or a statement error
  local body
  body=$(curl -sf --max-time 120 -XPOST "$influx_url/query" --data-urlencode "db=$1" --data-urlencode "q=$2") || return 1
  [[ $body != *'"error"'* ]] || { log "influxd refused '$2': $body"; return 1; }
  echo "$body"
}

# --- our host: one node on a private influxd (no auth), backups off, warnings only ----------------------------------------
# launch_node DIR HTTP_URL MQTT_ENDPOINT DATABASE [VAR=value ...] → node_pid (tracked); the caller sets host_dll.
launch_node() {
  local dir=$1 url=$2 mqtt=$3 database=$4
  shift 4
  mkdir -p "$dir"
  env -u DCS_INFLUX_USER -u DCS_INFLUX_PASSWORD -u DCS_INFLUX_BACKUP_HOST \
    DOTNET_ENVIRONMENT=Production \
    DCS_DATA_DIR="$dir" \
    DCS_HTTP_URL="$url" \
    DCS_INFLUX_URL="$influx_url" \
    DCS_INFLUX_DATABASE="$database" \
    Ingest__Mqtt__PlainEndpoint="$mqtt" \
    Logging__LogLevel__Default=Warning \
    Backup__Enabled=false \
    "$@" dotnet "$host_dll" >"$dir/host.log" 2>&1 &
  node_pid=$!
  track "$node_pid"
  wait_http "$url/healthz" 200 120 "$node_pid" || { tail -50 "$dir/host.log" >&2; die "the node in $dir did not become healthy"; }
}

# --- the result line of `loadgen scenario` ------------------------------------------------------------------------------
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }
