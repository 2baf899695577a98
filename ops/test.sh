#!/usr/bin/env bash
# Runs every test of the solution (unit and integration) against the real services.
# Extra arguments go to `dotnet test` (e.g. --filter FullyQualifiedName~Influx, --logger trx).
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

"$repo_root/ops/services.sh" up

# The integration tests find the servers through this file (see ServiceEndpoints); naming it here keeps
# that true when DCS_SERVICES_DIR points outside the repo.
services_dir=${DCS_SERVICES_DIR:-$repo_root/.services}
DCS_SERVICES_ENV=$(cd "$services_dir" && pwd)/env
export DCS_SERVICES_ENV

exec dotnet test Datacake.Streams.sln -c Release "$@"
