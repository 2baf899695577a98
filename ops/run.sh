#!/usr/bin/env bash
# Runs the whole system in one process on the embedded default (FasterLog record log), with the local
# influxd and mosquitto of ops/services.sh. Extra arguments go to the host.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

"$repo_root/ops/services.sh" up

# The host reads its DCS_* settings from the environment.
set -a
# shellcheck source=/dev/null
source <("$repo_root/ops/services.sh" env)
set +a

# Data (FasterLog, metadata store, keys, operator.token) under the repository's ./data unless DCS_DATA_DIR says
# otherwise: `dotnet run` would otherwise resolve the relative default against the project folder.
export DCS_DATA_DIR="${DCS_DATA_DIR:-$repo_root/data}"

exec dotnet run -c Release --project host/Datacake.Streams.Host -- "$@"
