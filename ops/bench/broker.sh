#!/usr/bin/env bash
# A broker alone: MQTT QoS 1 in, PUBACK out, no subscriber, measured with the load tool's raw-socket devices (the
# same as ops/bench/e2e.sh's MQTT systems use). Starts a private Mosquitto with e2e.sh's configuration on a free loopback
# port, or measures a broker already running (--port P, e.g. our host's MQTT listener with --token T), and prints one
# `result broker ...` line per run: messages/s acknowledged within the timed window, CPU seconds of the load tool and
# of the broker over that window.
#
#   ops/bench/broker.sh [--runs 3] [--seconds 20] [--connections 8] [--inflight 64] [--mqtt-version 5|3.1.1]
#                       [--port P --pid PID [--token T] [--topic devices/{device}/measurements] [--device D]] [--no-build]
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo_root"

runs=3 seconds=20 connections=8 inflight=64 version=5 port="" pid="" token="" topic='bench/{device}/up' device=d0 build=1
while (($#)); do
  case $1 in
    --runs) runs=$2; shift ;;
    --seconds) seconds=$2; shift ;;
    --connections) connections=$2; shift ;;
    --inflight) inflight=$2; shift ;;
    --mqtt-version) version=$2; shift ;;
    --port) port=$2; shift ;;
    --pid) pid=$2; shift ;;
    --token) token=$2; shift ;;
    --topic) topic=$2; shift ;;
    --device) device=$2; shift ;;
    --no-build) build=0 ;;
    -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "broker: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

run=$repo_root/.bench/broker
rm -rf "$run"
mkdir -p "$run"
bench_name=broker
# shellcheck source=lib.sh
. "$repo_root/ops/bench/lib.sh"
trap stop_all EXIT

if ((build)); then
  dotnet build -c Release -v q -nologo bench/Datacake.Streams.LoadGen >"$run/build.log" 2>&1 || { cat "$run/build.log" >&2; die "build failed"; }
fi
loadgen_dll=$repo_root/bench/Datacake.Streams.LoadGen/bin/Release/net10.0/Datacake.Streams.LoadGen.dll
loadgen() { dotnet "$loadgen_dll" "$@"; }

if [[ -z $port ]]; then
  command -v mosquitto >/dev/null || apt_install mosquitto
  port=$(loadgen ports 1)
  # e2e.sh's Mosquitto: no drops, 20 in flight per subscriber (none here), persistence off, anonymous on loopback.
  cat >"$run/mosquitto.conf" <<CONF
user root
per_listener_settings false
allow_anonymous true
persistence false
log_dest file $run/mosquitto.log
max_queued_messages 0
max_inflight_messages 20
listener $port 127.0.0.1
CONF
  mosquitto -c "$run/mosquitto.conf" >"$run/stdout.log" 2>&1 &
  pid=$!
  track "$pid"
  for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    alive "$pid" || die "mosquitto did not start: see $run/mosquitto.log"
    sleep 0.1
  done
  log "Mosquitto $(mosquitto -h 2>/dev/null | sed -n 's/^mosquitto version //p') on :$port"
fi

log "$runs run(s) of $seconds s: $connections connections x $inflight in flight, MQTT $version; load average $(cut -d' ' -f1-3 /proc/loadavg)"
for ((r = 1; r <= runs; r++)); do
  loadgen broker --host 127.0.0.1 --port "$port" ${token:+--token "$token"} --topic "$topic" --device "$device" \
    --connections "$connections" --inflight "$inflight" --mqtt-version "$version" --seconds "$seconds" \
    ${pid:+--watch "broker=$pid"} | grep '^result '
done
log "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
