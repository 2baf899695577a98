#!/usr/bin/env bash
# Reliability runner (issue 19): runs the tests that prove each scenario of ops/reliability/scenarios.json (selected
# by their [Trait("Reliability", row)]), collects their trx results and the numbers they record, and writes
# docs/RELIABILITY.md: per row the scenario, what it proves, the numbers, pass/fail and the tests.
#
#   ops/reliability/run.sh [--slow [--no-soak] [--no-drill]] [--soak-minutes 30] [--storm-seconds 600]
#                          [--drill-points 10000000] [--no-build]
#
# --slow also runs the slow rows (the 30-minute soak, ops/bench/soak.sh; the long rebalance storm; the 10M-point
# failover drill, ops/reliability/failover-drill-10m.sh) and keeps their results in ops/reliability/slow-runs.json,
# which a run without --slow reads to state when each last ran.
# --no-soak / --no-drill leave the soak's / the drill's last result as it is (the other slow rows run).
# Uses the services of $DCS_SERVICES_ENV when it names a file, else starts them (ops/services.sh up).
# Exit 0 when every fast row passed (also in part; rows no test proves yet are stated, not failed), 1 otherwise.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo_root"

slow=0
soak=1
drill=1
drill_points=10000000
soak_minutes=30
storm_seconds=600
build=1
while (($#)); do
  case $1 in
    --slow) slow=1 ;;
    --no-soak) soak=0 ;;
    --no-drill) drill=0 ;;
    --drill-points) drill_points=$2; shift ;;
    --soak-minutes) soak_minutes=$2; shift ;;
    --storm-seconds) storm_seconds=$2; shift ;;
    --no-build) build=0 ;;
    -h | --help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "reliability: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

if [[ -z ${DCS_SERVICES_ENV:-} || ! -f $DCS_SERVICES_ENV ]]; then
  ops/services.sh up
  services_dir=${DCS_SERVICES_DIR:-$repo_root/.services}
  DCS_SERVICES_ENV=$(cd "$services_dir" && pwd)/env
fi
export DCS_SERVICES_ENV

work=$repo_root/TestResults/reliability
rm -rf "$work"
mkdir -p "$work"
catalog=ops/reliability/scenarios.json
runs=ops/reliability/slow-runs.json
numbers=$work/numbers.jsonl
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)

if ((build)); then
  dotnet build -c Release -v q -nologo Datacake.Streams.sln
fi
report=(dotnet tools/Datacake.Streams.ReliabilityReport/bin/Release/net10.0/reliability-report.dll)
filter=$("${report[@]}" filter --catalog "$catalog")

# One trx per project under a fixed name: trx names carry a timestamp in whole seconds, two could collide.
status=0
for project in UnitTests IntegrationTests; do
  echo "reliability: $project with --filter '$filter'" >&2
  DCS_RELIABILITY_OUT=$numbers dotnet test "tests/Datacake.Streams.$project" -c Release --no-build --filter "$filter" \
    --logger "trx;LogFileName=$project.trx" --results-directory "$work/trx" \
    --blame-hang-timeout 10m --blame-hang-dump-type none </dev/null || status=1
done

if ((slow)); then
  storm_command="DCS_REBALANCE_STORM_SECONDS=$storm_seconds dotnet test --filter Reliability=rebalance-storm"
  echo "reliability: slow: $storm_command" >&2
  passed=true
  DCS_REBALANCE_STORM_SECONDS=$storm_seconds DCS_RELIABILITY_OUT=$work/storm-long.jsonl \
    dotnet test tests/Datacake.Streams.IntegrationTests -c Release --no-build --filter Reliability=rebalance-storm \
    --logger "trx;LogFileName=storm-long.trx" --results-directory "$work/slow" </dev/null || passed=false
  "${report[@]}" record-slow --runs "$runs" --row rebalance-storm-long --passed "$passed" --command "$storm_command" \
    --numbers "$work/storm-long.jsonl" --commit "$commit"
fi

if ((slow && soak)); then
  soak_command="ops/bench/soak.sh --minutes $soak_minutes"
  echo "reliability: slow: $soak_command" >&2
  passed=true
  ops/bench/soak.sh --minutes "$soak_minutes" --no-build --numbers "$work/soak.jsonl" </dev/null >"$work/soak.txt" 2>&1 || passed=false
  cp "$work/soak.txt" "docs/bench/soak-reliability-latest.txt"
  # The numbers (totals, the verdict lines) when the soak got that far, else its last line.
  [[ -s $work/soak.jsonl ]] || note="$(tail -1 "$work/soak.txt"); "
  "${report[@]}" record-slow --runs "$runs" --row soak --passed "$passed" --command "$soak_command" --commit "$commit" \
    --numbers "$work/soak.jsonl" --note "${note:-}table: docs/bench/soak-reliability-latest.txt, chart: docs/bench/soak-memory.png"
fi

if ((slow && drill)); then
  drill_command="ops/reliability/failover-drill-10m.sh --points $drill_points"
  echo "reliability: slow: $drill_command" >&2
  passed=true
  ops/reliability/failover-drill-10m.sh --points "$drill_points" --no-build --numbers "$work/drill-10m.jsonl" </dev/null \
    >"$work/drill-10m.txt" 2>&1 || passed=false
  [[ -s $work/drill-10m.jsonl ]] || drill_note="$(tail -1 "$work/drill-10m.txt")"
  "${report[@]}" record-slow --runs "$runs" --row failover-drill-10m --passed "$passed" --command "$drill_command" \
    --commit "$commit" --numbers "$work/drill-10m.jsonl" ${drill_note:+--note "$drill_note"}
fi

write=(write --catalog "$catalog" --trx "$work/trx" --numbers "$numbers" --runs "$runs" --out docs/RELIABILITY.md --commit "$commit")
((slow && soak)) && write+=(--slow)
"${report[@]}" "${write[@]}" || status=1
echo "reliability: docs/RELIABILITY.md written (numbers: $numbers)" >&2
exit "$status"
