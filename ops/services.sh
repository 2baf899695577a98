#!/usr/bin/env bash
# Real servers for development and integration tests: influxd 1.6.7 and mosquitto 2.0.11 from Debian,
# run as background processes under one data folder, loopback only.
#
#   ops/services.sh up       install missing packages, start what is not running, write <folder>/env
#   ops/services.sh down     stop what `up` started (by pid), keep the data
#   ops/services.sh env      print <folder>/env (KEY=VALUE lines, fit for `source` or `eval`)
#   ops/services.sh status   show what runs
#
# The folder is ${DCS_SERVICES_DIR:-<repo>/.services}.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/.." && pwd)
services_dir=${DCS_SERVICES_DIR:-$repo_root/.services}
mkdir -p "$services_dir"
services_dir=$(cd "$services_dir" && pwd)

influx_http_port=8086
influx_backup_port=8088
mqtt_port=11883
mqtt_tls_port=18883
influx_user=admin
mqtt_user=dcs

influx_dir=$services_dir/influxdb
influx_conf=$influx_dir/influxd.conf
influx_log=$influx_dir/influxd.log
influx_pid=$influx_dir/influxd.pid
mqtt_dir=$services_dir/mosquitto
mqtt_conf=$mqtt_dir/mosquitto.conf
mqtt_log=$mqtt_dir/mosquitto.log
mqtt_pid=$mqtt_dir/mosquitto.pid
mqtt_passwd=$mqtt_dir/passwd
mqtt_cert=$mqtt_dir/cert.pem
mqtt_key=$mqtt_dir/key.pem
secrets_dir=$services_dir/secrets
env_file=$services_dir/env

# Seconds to wait for a server to answer after start, and for one to exit after TERM.
# influxd answers /ping in <0.3 s here and mosquitto at once; 60 s leaves room for a loaded 2-core machine.
start_deadline=60
stop_deadline=20

# chromium: the browser the portal's tests drive (Playwright is started with its path, it downloads no browser).
# slowhttptest: the slow-client (slowloris) test's attacker.
packages=(influxdb influxdb-client mosquitto mosquitto-clients kcat openssl curl docker-compose jq chromium slowhttptest)
# The host's build fetches the portal's uPlot with npm. Debian's nodejs/npm only when no npm is there: a node from
# another source (NodeSource) conflicts with Debian's npm package.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

log() { printf 'services: %s\n' "$*" >&2; }
die() { printf 'services: error: %s\n' "$*" >&2; exit 1; }

# --- packages --------------------------------------------------------------------------------

install_packages() {
  local missing=() pkg
  for pkg in "${packages[@]}"; do
    if [[ $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true) != "install ok installed" ]]; then
      missing+=("$pkg")
    fi
  done
  ((${#missing[@]} == 0)) && return 0
  [[ $(id -u) -eq 0 ]] || die "missing packages ${missing[*]}: run as root or install them with apt-get"
  log "installing ${missing[*]}"
  # The Debian packages would start their own daemons (mosquitto on 0.0.0.0:1883, the port the
  # Datacake host uses; influxd on 8086): forbid service starts while installing.
  local policy=/usr/sbin/policy-rc.d own_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    own_policy=1
  fi
  local -a apt_env=(env DEBIAN_FRONTEND=noninteractive)
  local status=0
  if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    "${apt_env[@]}" apt-get update -q >&2 || status=$?
  fi
  if ((status == 0)) && ! "${apt_env[@]}" apt-get install -y -q "${missing[@]}" >&2; then
    # A stale package list is the usual cause: refresh it once and try again.
    "${apt_env[@]}" apt-get update -q >&2 && "${apt_env[@]}" apt-get install -y -q "${missing[@]}" >&2 || status=$?
  fi
  ((own_policy)) && rm -f "$policy"
  ((status == 0)) || die "apt-get could not install ${missing[*]}"
}

# --- processes ---------------------------------------------------------------------------------

# The pid in $1 if that process is alive AND runs program $2 with config $3 (a recycled pid is not ours).
owned_pid() {
  local pid_file=$1 program=$2 conf=$3 pid cmdline
  [[ -f $pid_file ]] || return 1
  pid=$(<"$pid_file")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $(basename "$(readlink "/proc/$pid/exe" 2>/dev/null || true)") == "$program" ]] || return 1
  [[ $cmdline == *"$conf"* ]] || return 1
  printf '%s\n' "$pid"
}

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

listener_of() {
  if command -v ss >/dev/null; then
    ss -ltnpH "sport = :$1" 2>/dev/null || true
  fi
}

require_free_port() {
  local port=$1 name=$2
  if port_open "$port"; then
    die "127.0.0.1:$port is already in use by something that is not this folder's $name ($services_dir); stop it or run 'ops/services.sh down' in the checkout that started it. Listener: $(listener_of "$port")"
  fi
}

start_background() {
  local pid_file=$1 log_file=$2
  shift 2
  # setsid: a new session, so the server outlives the shell (and terminal) that started it.
  setsid "$@" >>"$log_file" 2>&1 </dev/null &
  printf '%s\n' "$!" >"$pid_file"
}

show_log_tail() {
  printf -- '--- last lines of %s ---\n' "$1" >&2
  tail -n 40 "$1" >&2 || true
  printf -- '---\n' >&2
}

stop_process() {
  local name=$1 pid_file=$2 program=$3 conf=$4 pid
  if ! pid=$(owned_pid "$pid_file" "$program" "$conf"); then
    [[ -f $pid_file ]] && log "$name: not running (removing stale pid file)"
    rm -f "$pid_file"
    return 0
  fi
  log "$name: stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + stop_deadline))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name: still running after ${stop_deadline}s, sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pid_file"
}

# A random secret kept in the folder, made on first use.
secret() {
  local file=$secrets_dir/$1
  if [[ ! -s $file ]]; then
    (umask 077 && mkdir -p "$secrets_dir" && openssl rand -hex 24 >"$file")
  fi
  chmod 600 "$file"
  tr -d '\n' <"$file"
}

# --- influxd -------------------------------------------------------------------------------------

write_influx_config() {
  mkdir -p "$influx_dir/meta" "$influx_dir/data" "$influx_dir/wal"
  cat >"$influx_conf" <<EOF
# Written by ops/services.sh; rewritten on every 'up'.
reporting-disabled = true
# Backup/restore RPC. It has no authentication: loopback only.
bind-address = "127.0.0.1:$influx_backup_port"

[meta]
  dir = "$influx_dir/meta"

[data]
  dir = "$influx_dir/data"
  wal-dir = "$influx_dir/wal"
  query-log-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:$influx_http_port"
  auth-enabled = true
  log-enabled = true

[monitor]
  store-enabled = false

# The default 10m would make tests of downsampling tiers wait minutes for a CQ to fire.
[continuous_queries]
  enabled = true
  run-interval = "1s"

[logging]
  level = "info"
EOF
}

influx_status_code() {
  # $1 path+query, rest: extra curl args
  local path=$1
  shift
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@" "http://127.0.0.1:$influx_http_port$path" || true
}

influx_answers() {
  [[ $(influx_status_code /ping -u "$influx_user:$1") == 204 ]]
}

ensure_influx_admin() {
  local password=$1 body
  body=$(curl -s --max-time 10 -u "$influx_user:$password" -XPOST "http://127.0.0.1:$influx_http_port/query" \
    --data-urlencode 'q=SHOW USERS' || true)
  [[ $body == *'"results"'* && $body != *'"error"'* ]] && return 0
  log "influxd: creating admin user '$influx_user'"
  # With auth on and no user yet, influxd accepts exactly this statement without credentials.
  body=$(curl -s --max-time 10 -XPOST "http://127.0.0.1:$influx_http_port/query" \
    --data-urlencode "q=CREATE USER $influx_user WITH PASSWORD '$password' WITH ALL PRIVILEGES" || true)
  body=$(curl -s --max-time 10 -u "$influx_user:$password" -XPOST "http://127.0.0.1:$influx_http_port/query" \
    --data-urlencode 'q=SHOW USERS' || true)
  [[ $body == *'"results"'* && $body != *'"error"'* ]] ||
    die "influxd in $influx_dir refuses '$influx_user' with the password in $secrets_dir/influx_admin_password (the data was made with another password?): $body"
}

# Polls CHECK ARGS... until it succeeds; fails with the server's log tail if the server exits or the deadline passes.
wait_until_answering() {
  local name=$1 pidfile=$2 conf=$3 logfile=$4 what=$5
  shift 5
  local deadline=$((SECONDS + start_deadline))
  until "$@"; do
    if ! owned_pid "$pidfile" "$name" "$conf" >/dev/null; then
      show_log_tail "$logfile"
      die "$name exited during start"
    fi
    if ((SECONDS >= deadline)); then
      show_log_tail "$logfile"
      die "$name did not $what within ${start_deadline}s"
    fi
    sleep 0.2
  done
}

start_influx() {
  local password pid
  password=$(secret influx_admin_password)
  write_influx_config
  if pid=$(owned_pid "$influx_pid" influxd "$influx_conf"); then
    log "influxd: already running (pid $pid)"
  else
    rm -f "$influx_pid"
    require_free_port "$influx_http_port" influxd
    require_free_port "$influx_backup_port" influxd
    log "influxd: starting (log $influx_log)"
    start_background "$influx_pid" "$influx_log" influxd -config "$influx_conf"
  fi
  wait_until_answering influxd "$influx_pid" "$influx_conf" "$influx_log" \
    "answer /ping on 127.0.0.1:$influx_http_port" influx_answers "$password"
  # influxd 1.6 answers /ping without checking credentials: prove them with a query.
  ensure_influx_admin "$password"
  log "influxd: up on http://127.0.0.1:$influx_http_port (pid $(<"$influx_pid"))"
}

# --- mosquitto -----------------------------------------------------------------------------------

write_mqtt_files() {
  local password=$1
  mkdir -p "$mqtt_dir/data"
  if [[ ! -s $mqtt_cert || ! -s $mqtt_key ]]; then
    log "mosquitto: making a self-signed certificate for 127.0.0.1"
    # .NET and OpenSSL clients validate it against this same PEM as CA file; they check the name
    # against subjectAltName, not CN, hence IP and DNS entries.
    (umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
      -keyout "$mqtt_key" -out "$mqtt_cert" -subj '/CN=127.0.0.1' \
      -addext 'subjectAltName=IP:127.0.0.1,DNS:localhost' \
      -addext 'extendedKeyUsage=serverAuth' 2>/dev/null) ||
      die "openssl could not make the certificate in $mqtt_dir"
    chmod 644 "$mqtt_cert"
  fi
  chmod 600 "$mqtt_key"
  # Remade when the secret is newer (someone deleted it and a new one was drawn); a running broker is told
  # to re-read it with SIGHUP.
  if [[ ! -s $mqtt_passwd || $secrets_dir/mqtt_password -nt $mqtt_passwd ]]; then
    (umask 077 && mosquitto_passwd -c -b "$mqtt_passwd" "$mqtt_user" "$password")
    local pid
    if pid=$(owned_pid "$mqtt_pid" mosquitto "$mqtt_conf"); then
      kill -HUP "$pid"
    fi
  fi
  chmod 600 "$mqtt_passwd"
  # Mosquitto reads a trailing "# ..." as part of a value: comments stay on lines of their own.
  cat >"$mqtt_conf" <<EOF
# Written by ops/services.sh; rewritten on every 'up'.
# Run as root: dropping to the mosquitto user would leave it unable to read the 0600 key and password file.
user root
per_listener_settings false
allow_anonymous false
password_file $mqtt_passwd
persistence true
persistence_location $mqtt_dir/data/
log_dest file $mqtt_log
log_type error
log_type warning
log_type notice
log_type information
connection_messages true
# The default of 1000 queued messages per client silently DROPS QoS 0 and QoS 1 messages for a
# subscriber that falls behind (measured here: mosquitto delivers ~45k msg/s to one subscriber, so
# a burst outruns it within milliseconds); 0 lifts the limit so tests and benchmarks lose nothing.
max_queued_messages 0

listener $mqtt_port 127.0.0.1

listener $mqtt_tls_port 127.0.0.1
certfile $mqtt_cert
keyfile $mqtt_key
EOF
}

mqtt_answers() {
  mosquitto_pub -h 127.0.0.1 -p "$mqtt_tls_port" --cafile "$mqtt_cert" -u "$mqtt_user" -P "$1" \
    -i "dcs-services-probe-$$" -t dcs/services/probe -m up -q 1 >/dev/null 2>&1
}

start_mqtt() {
  local password pid
  password=$(secret mqtt_password)
  write_mqtt_files "$password"
  if pid=$(owned_pid "$mqtt_pid" mosquitto "$mqtt_conf"); then
    log "mosquitto: already running (pid $pid)"
  else
    rm -f "$mqtt_pid"
    require_free_port "$mqtt_port" mosquitto
    require_free_port "$mqtt_tls_port" mosquitto
    log "mosquitto: starting (log $mqtt_log)"
    start_background "$mqtt_pid" "$mqtt_log" mosquitto -c "$mqtt_conf"
  fi
  wait_until_answering mosquitto "$mqtt_pid" "$mqtt_conf" "$mqtt_log" \
    "accept a TLS publish on 127.0.0.1:$mqtt_tls_port" mqtt_answers "$password"
  log "mosquitto: up on 127.0.0.1:$mqtt_port and TLS 127.0.0.1:$mqtt_tls_port (pid $(<"$mqtt_pid"))"
}

# --- env file ------------------------------------------------------------------------------------

write_env() {
  local tmp=$env_file.tmp
  (
    umask 077
    cat >"$tmp" <<EOF
DCS_INFLUX_URL=http://127.0.0.1:$influx_http_port
DCS_INFLUX_USER=$influx_user
DCS_INFLUX_PASSWORD=$(secret influx_admin_password)
DCS_INFLUX_BACKUP_HOST=127.0.0.1:$influx_backup_port
DCS_INFLUX_DATA_DIR=$influx_dir/data
DCS_MQTT_HOST=127.0.0.1
DCS_MQTT_PORT=$mqtt_port
DCS_MQTT_TLS_PORT=$mqtt_tls_port
DCS_MQTT_USER=$mqtt_user
DCS_MQTT_PASSWORD=$(secret mqtt_password)
DCS_MQTT_CA_FILE=$mqtt_cert
EOF
  )
  chmod 600 "$tmp"
  mv -f "$tmp" "$env_file"
}

# --- commands ------------------------------------------------------------------------------------

cmd_up() {
  install_packages
  start_influx
  start_mqtt
  write_env
  log "env: $env_file"
}

cmd_down() {
  stop_process mosquitto "$mqtt_pid" mosquitto "$mqtt_conf"
  stop_process influxd "$influx_pid" influxd "$influx_conf"
}

cmd_env() {
  [[ -f $env_file ]] || die "no $env_file: start the services: ops/services.sh up"
  cat "$env_file"
}

cmd_status() {
  local pid state=0
  printf 'folder: %s\n' "$services_dir"
  if pid=$(owned_pid "$influx_pid" influxd "$influx_conf"); then
    printf 'influxd:   running, pid %s, http://127.0.0.1:%s (ping: %s), backup RPC 127.0.0.1:%s\n' \
      "$pid" "$influx_http_port" "$(influx_status_code /ping)" "$influx_backup_port"
  else
    printf 'influxd:   stopped\n'
    state=3
  fi
  if pid=$(owned_pid "$mqtt_pid" mosquitto "$mqtt_conf"); then
    printf 'mosquitto: running, pid %s, 127.0.0.1:%s, TLS 127.0.0.1:%s\n' "$pid" "$mqtt_port" "$mqtt_tls_port"
  else
    printf 'mosquitto: stopped\n'
    state=3
  fi
  return "$state"
}

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  env) cmd_env ;;
  status) cmd_status ;;
  *)
    printf 'usage: %s up|down|env|status\n' "$0" >&2
    exit 2
    ;;
esac
