#!/usr/bin/env bash
# The one test command (README.md): installs what the tests need, starts Azurite, runs every test project,
# stops Azurite by PID, and prints "N passed, N failed" as its last line. Exits non-zero on any failure.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=scripts/lib/common.sh
. "$root/scripts/lib/common.sh"

BICEP_VERSION=0.49.2
AZURITE_DIR="$root/.azurite"
log_dir="$root/TestResults"
mkdir -p "$log_dir" "$AZURITE_DIR"

azurite_pid=""
stop_azurite() { if [ -n "$azurite_pid" ]; then kill "$azurite_pid" 2>/dev/null; wait "$azurite_pid" 2>/dev/null; azurite_pid=""; fi; }
counted=""
# Whatever happens (a failed step exits 1), Azurite is stopped and the count line is the last line.
on_exit() { stop_azurite; [ -n "$counted" ] || echo "0 passed, 1 failed"; }
trap on_exit EXIT
fail_early() { echo "test.sh: $1" >&2; exit 1; }

# 1. Prerequisites (openssl: the README test starts ./scripts/run-local.sh), then tools: Azurite from the lockfile,
#    the Bicep CLI from NuGet (both pinned). Each step says what it does and how long it took, or why it is skipped.
echo "== prerequisites"
require_tools dotnet node npm openssl curl || fail_early "install what is missing (above), then run ./scripts/test.sh again"
# The README test starts scripts; one of them must never be this one again.
[ -z "${REFUNDS_INSIDE_TEST_SH:-}" ] || fail_early "already running inside ./scripts/test.sh; not starting it again"
export REFUNDS_INSIDE_TEST_SH=1
echo "== tools (logs in TestResults/)"
if [ ! -x node_modules/.bin/azurite ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  run_step "npm ci: Azurite, pinned in package-lock.json" "$log_dir/npm.log" npm ci --no-audit --no-fund
else
  skip_step "npm ci: Azurite" "node_modules up to date"
fi
bicep="$root/.tools/nuget/azure.bicep.commandline.linux-x64/$BICEP_VERSION/tools/bicep"
if [ ! -x "$bicep" ]; then
  run_step "Bicep CLI $BICEP_VERSION from NuGet" "$log_dir/bicep.log" \
    dotnet package download "Azure.Bicep.CommandLine.linux-x64@$BICEP_VERSION" -o "$root/.tools/nuget"
  chmod +x "$bicep"
else
  skip_step "Bicep CLI $BICEP_VERSION" "already in .tools/nuget"
fi
export BICEP_PATH="$bicep"
# The console's browser test drives Debian's Chromium through Playwright (which never downloads a browser here).
if [ ! -x /usr/bin/chromium ]; then
  [ "$(id -u)" = 0 ] || fail_early "/usr/bin/chromium is missing (the console's browser test needs it): run 'sudo apt-get install -y chromium', then ./scripts/test.sh again"
  run_step "apt-get install chromium (the console's browser test)" "$log_dir/chromium.log" \
    sh -c 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium'
  [ -x /usr/bin/chromium ] || fail_early "chromium did not install (see $log_dir/chromium.log)"
else
  skip_step "Chromium" "already at /usr/bin/chromium"
fi

# 2. Azurite in the background (in memory), stopped by PID whatever happens.
# Ports: Azurite's defaults, or AZURITE_PORT_BASE (blob = base, queue = base + 1, table = base + 2).
port_base="${AZURITE_PORT_BASE:-10000}"
blob_port=$port_base; queue_port=$((port_base + 1)); table_port=$((port_base + 2))
tables_url="http://127.0.0.1:$table_port/devstoreaccount1/Tables"
if curl -s -o /dev/null "$tables_url"; then
  fail_early "something already listens on Azurite's ports ($blob_port-$table_port); stop it first or set AZURITE_PORT_BASE"
fi
"$root/node_modules/.bin/azurite" --silent --disableTelemetry --skipApiVersionCheck --inMemoryPersistence \
  --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
  --blobPort "$blob_port" --queuePort "$queue_port" --tablePort "$table_port" >"$log_dir/azurite.log" 2>&1 &
azurite_pid=$!
for _ in $(seq 1 100); do
  curl -s -o /dev/null "$tables_url" && break
  sleep 0.2
done
curl -s -o /dev/null "$tables_url" || fail_early "Azurite did not start (see $log_dir/azurite.log)"
well_known_key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
export REFUNDS_TEST_STORAGE="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$well_known_key;BlobEndpoint=http://127.0.0.1:$blob_port/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$queue_port/devstoreaccount1;TableEndpoint=http://127.0.0.1:$table_port/devstoreaccount1;"

# 3. Build once, then run every test project.
run_step "build the solution (Release)" "$log_dir/build.log" dotnet build Refunds.Functions.sln -c Release

# Known-vulnerable packages, from the feed's own advisory data where it has any. The NuGet copy served here has none,
# so tests/Refunds.Infra.Tests/Packages (the pinned-version check against known-advisories.tsv) runs below as well.
if dotnet list Refunds.Functions.sln package --vulnerable --include-transitive >"$log_dir/vulnerable.log" 2>&1 \
  && grep -q "has the following vulnerable packages" "$log_dir/vulnerable.log"; then
  grep -E "^\s+>" "$log_dir/vulnerable.log" | sort -u | head -20 >&2
  fail_early "known-vulnerable packages (see $log_dir/vulnerable.log)"
fi

passed=0; failed=0; skipped=0
for project in tests/*/*.csproj; do
  # Shared test support (tests/Refunds.TestSupport) holds no tests.
  grep -q '<IsTestProject>false</IsTestProject>' "$project" && continue
  name="$(basename "$project" .csproj)"
  echo "== $name"
  out="$log_dir/$name.log"
  rm -f "$log_dir/$name.trx"
  dotnet test "$project" -c Release --no-build --blame-hang-timeout 10m \
    --logger "trx;LogFileName=$name.trx" --results-directory "$log_dir" >"$out" 2>&1
  code=$?
  counters="$(grep -o '<Counters [^>]*>' "$log_dir/$name.trx" 2>/dev/null)"
  if [ -z "$counters" ]; then
    echo "   no test results (exit $code); see $out"; tail -30 "$out"
    failed=$((failed + 1)); continue
  fi
  count() { sed -E "s/.* $1=\"([0-9]+)\".*/\1/" <<<"$counters"; }
  p=$(count passed); f=$(( $(count failed) + $(count error) + $(count timeout) + $(count aborted) )); s=$(count notExecuted)
  echo "   $p passed, $f failed, $s skipped ($(grep -oE 'Duration: [^ ]+ [a-z]+' "$out" | tail -1))"
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  if [ "$f" -gt 0 ] || [ "$code" -ne 0 ]; then
    grep -E '^\s+Failed |Error Message|^\s+at ' "$out" | head -60
    [ "$f" -eq 0 ] && failed=$((failed + 1))
  fi
done

stop_azurite
counted=1
if [ "$skipped" -gt 0 ]; then echo "$passed passed, $failed failed, $skipped skipped"; else echo "$passed passed, $failed failed"; fi
[ "$failed" -eq 0 ]
