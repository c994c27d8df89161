#!/usr/bin/env bash
# Runs the whole system locally, no Azure account needed: Azurite (pinned, from package-lock.json), the Ping++
# simulator with generated key pairs and the README's example order, and the function app (`func start` when Core
# Tools are installed, otherwise the dev host). Writes .local/refunds.env (APP, KEY, MASTER_KEY, SIM) for
# `source .local/refunds.env`. Ctrl-C stops everything this script started.
#
#   ./scripts/run-local.sh            run
#   ./scripts/run-local.sh --demo     run, then seed orders and submit refunds, and show the ledger as they settle
#
# Environment (optional): AZURITE_PORT_BASE (10000: blob, +1 queue, +2 table), SIMULATOR_PORT (7080), APP_PORT (7071),
# REFUNDS_LOCAL_DIR (.local: keys, logs, Azurite data, refunds.env), REFUNDS_CONFIGURATION (Debug).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=scripts/lib/common.sh
. "$root/scripts/lib/common.sh"

demo=false
for arg in "$@"; do
  case "$arg" in
    --demo) demo=true ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $arg (see ./scripts/run-local.sh --help)" >&2; exit 2 ;;
  esac
done

started_at=$(now_ms)
state="${REFUNDS_LOCAL_DIR:-$root/.local}"
case "$state" in /*) ;; *) state="$root/$state" ;; esac
config="${REFUNDS_CONFIGURATION:-Debug}"
blob_port="${AZURITE_PORT_BASE:-10000}"; queue_port=$((blob_port + 1)); table_port=$((blob_port + 2))
SIM_URL="http://127.0.0.1:${SIMULATOR_PORT:-7080}"
APP_URL="http://127.0.0.1:${APP_PORT:-7071}"
keys="$state/keys"; logs="$state/logs"; secrets="$state/secrets"; env_file="$state/refunds.env"
stamps="$root/.tools/stamps"
shown() { echo "${1/#$root\//}"; } # a path as the user sees it from the repository root
mkdir -p "$keys" "$logs" "$secrets" "$state/azurite" "$stamps"

# The README's example ids, seeded at the simulator so its commands work as pasted.
EXAMPLE_ORDER=2011708070000007521
EXAMPLE_CHARGE=ch_L8qn10mLmr1GS8e5OODmHaL4

pids=(); names=()
cleanup() {
  local code=$?
  trap - EXIT INT TERM
  [ -n "$step_pid" ] && kill "$step_pid" 2>/dev/null
  if [ ${#pids[@]} -gt 0 ]; then
    echo
    echo "stopping the ${#pids[@]} processes this script started…"
    local i
    for i in "${!pids[@]}"; do kill "${pids[$i]}" 2>/dev/null || true; done
    for i in "${!pids[@]}"; do wait "${pids[$i]}" 2>/dev/null || true; done
    local list=""
    for i in "${!pids[@]}"; do list+="${list:+, }${names[$i]} (pid ${pids[$i]})"; done
    echo "stopped: $list. Data kept in $(shown "$state")/azurite; ./scripts/run-local.sh starts it again."
  fi
  exit "$code"
}
on_signal() { exit 130; }
trap cleanup EXIT
trap on_signal INT TERM

started() { pids+=("$1"); names+=("$2"); }
wait_for() { # url, name, log, pid
  for _ in $(seq 1 300); do
    if curl -s -o /dev/null "$1"; then return 0; fi
    kill -0 "$4" 2>/dev/null || break
    sleep 0.2
  done
  echo "$2 did not start; last lines of $(shown "$3"):" >&2; tail -20 "$3" >&2; exit 1
}

echo "== prerequisites"
require_tools dotnet node npm openssl curl || exit 1
echo "   .NET SDK $(dotnet --version), node $(node --version), npm $(npm --version), openssl, curl: ok"
for port in "$blob_port" "$queue_port" "$table_port" "${SIM_URL##*:}" "${APP_URL##*:}"; do
  if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
    echo "port $port is already in use (another ./scripts/run-local.sh?); stop what listens there, or choose other ports: AZURITE_PORT_BASE, SIMULATOR_PORT, APP_PORT" >&2
    exit 1
  fi
done

echo "== tools (logs in $(shown "$logs"))"
if [ ! -x node_modules/.bin/azurite ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  run_step "npm ci: Azurite, pinned in package-lock.json" "$logs/npm.log" npm ci --no-audit --no-fund
else
  skip_step "npm ci: Azurite" "node_modules up to date"
fi

# Rebuild only when a source, project or build file changed since the last build of this configuration.
build_stamp="$stamps/build-$config"
changed_since() { # stamp, paths… -> prints the first file newer than the stamp (or the stamp itself when missing)
  local stamp="$1"; shift
  [ -f "$stamp" ] || { echo "$stamp"; return; }
  find "$@" \( -name bin -o -name obj \) -prune -o -type f -newer "$stamp" -print 2>/dev/null | head -1
}
inputs=(src Directory.Build.props Directory.Packages.props global.json host.json scripts/local-run.slnf)
if [ -n "$(changed_since "$build_stamp" "${inputs[@]}")" ]; then
  run_step "build the simulator, the dev host and the CLI ($config)" "$logs/build.log" \
    dotnet build scripts/local-run.slnf -c "$config" -nologo -v q
  touch "$build_stamp"
else
  skip_step "build ($config)" "no source changed since the last build"
fi

# The CLI as a local .NET tool (`dotnet refunds`): packed from this build, restored from .tools/refunds-cli.
tool_stamp="$stamps/tool-$config"
tool_version="$(sed -nE 's/.*"version": "([0-9][^"]*)".*/\1/p' .config/dotnet-tools.json | head -1)"
tool_cache="${NUGET_PACKAGES:-$HOME/.nuget/packages}/refunds.cli/$tool_version"
if [ ! -f "$tool_stamp" ] || [ "$build_stamp" -nt "$tool_stamp" ] || [ ! -d "$tool_cache" ]; then
  pack_and_restore() {
    dotnet pack src/Refunds.Cli -c "$config" --no-build -nologo -v q -o "$root/.tools/refunds-cli" \
      && rm -rf "$tool_cache" \
      && dotnet tool restore --configfile scripts/local-tools.nuget.config
  }
  run_step "install the refunds CLI as a local tool (dotnet refunds)" "$logs/tool.log" pack_and_restore
  touch "$tool_stamp"
else
  skip_step "dotnet refunds (local tool)" "installed from this build"
fi

if [ -f "$keys/merchant_private.pem" ] && [ -f "$keys/pingpp_private.pem" ]; then
  skip_step "RSA key pairs" "kept in $(shown "$keys") from the last run"
else
  make_key_pairs() {
    openssl genrsa -out "$keys/merchant_private.pem" 2048 \
      && openssl rsa -in "$keys/merchant_private.pem" -pubout -out "$keys/merchant_public.pem" \
      && openssl genrsa -out "$keys/pingpp_private.pem" 2048 \
      && openssl rsa -in "$keys/pingpp_private.pem" -pubout -out "$keys/pingpp_public.pem"
  }
  run_step "RSA key pairs in $(shown "$keys") (never commit them)" "$logs/keys.log" make_key_pairs
fi

# Function keys in the Functions host's format: a master key and the "default" function key.
if [ -f "$secrets/host.json" ]; then
  skip_step "function keys" "kept in $(shown "$secrets")/host.json"
else
  new_key() { openssl rand -base64 40 | tr -d '\n=' | tr '+/' '-_'; }
  printf '{"masterKey":{"name":"master","value":"%s","encrypted":false},"functionKeys":[{"name":"default","value":"%s","encrypted":false}]}\n' \
    "$(new_key)" "$(new_key)" >"$secrets/host.json"
  chmod 600 "$secrets/host.json"
  echo "   function keys: generated in $(shown "$secrets")/host.json"
fi
read_key() { # master|default
  node -e '
    const h = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const k = process.argv[2] === "master" ? h.masterKey : (h.functionKeys || []).find(f => f.name === "default");
    if (!k || !k.value) process.exit(1);
    console.log(k.value);' "$secrets/host.json" "$1"
}
master_key="$(read_key master)" && function_key="$(read_key default)" \
  || { echo "$(shown "$secrets")/host.json has no master key or default function key; delete it to generate new ones" >&2; exit 1; }

echo "== start"
storage="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:$blob_port/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$queue_port/devstoreaccount1;TableEndpoint=http://127.0.0.1:$table_port/devstoreaccount1;"
step_start=$(now_ms)
"$root/node_modules/.bin/azurite" --silent --disableTelemetry --skipApiVersionCheck --location "$state/azurite" \
  --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
  --blobPort "$blob_port" --queuePort "$queue_port" --tablePort "$table_port" >"$logs/azurite.log" 2>&1 &
started $! Azurite
wait_for "http://127.0.0.1:$table_port/devstoreaccount1/Tables" Azurite "$logs/azurite.log" "$!"
echo "   Azurite: up in $(seconds_since "$step_start") (data in $(shown "$state")/azurite)"

step_start=$(now_ms)
bin() { echo "$root/src/$1/bin/$config/net10.0/$2"; }
Simulator__ApiKey="sk_test_ibbTe5jLGCi5rzfH4OqPW9KC" \
Simulator__MerchantPublicKey="$keys/merchant_public.pem" \
Simulator__PingppPrivateKey="$keys/pingpp_private.pem" \
Simulator__WebhookUrl="$APP_URL/api/pingpp/webhooks" \
  dotnet "$(bin Pingpp.Simulator Pingpp.Simulator.dll)" --urls "$SIM_URL" >"$logs/simulator.log" 2>&1 &
started $! "Ping++ simulator"
wait_for "$SIM_URL/_sim/pingpp-public-key" "the simulator" "$logs/simulator.log" "$!"
echo "   Ping++ simulator: up in $(seconds_since "$step_start")"

# The app's settings: every value of local.settings.sample.json (unless already set in the environment), then the
# generated keys, the storage and the simulator on top. A flat file of "Name": "value" lines, so plain bash reads it.
while IFS= read -r line; do
  if [[ $line =~ ^[[:space:]]*\"([A-Za-z0-9_]+)\":[[:space:]]*\"(.*)\",?[[:space:]]*$ ]]; then
    name="${BASH_REMATCH[1]}"
    [ -n "${!name+x}" ] || export "$name=${BASH_REMATCH[2]}"
  fi
done < local.settings.sample.json
export AzureWebJobsStorage="$storage"
export Pingpp__ApiBase="$SIM_URL"
export Pingpp__ApiKey="sk_test_ibbTe5jLGCi5rzfH4OqPW9KC"
export Pingpp__SigningPrivateKey="$keys/merchant_private.pem"
export Pingpp__WebhookPublicKeys__0="$keys/pingpp_public.pem"
export REFUNDS_LOCAL_DIR="$state" # where the function keys are (secrets/host.json)

step_start=$(now_ms)
use_func=false
command -v func >/dev/null 2>&1 && use_func=true
if $use_func; then
  [ -f local.settings.json ] || cp local.settings.sample.json local.settings.json
  (cd src/Refunds.Functions && exec func start --port "${APP_URL##*:}") >"$logs/functions.log" 2>&1 &
else
  dotnet "$(bin Refunds.DevHost Refunds.DevHost.dll)" --urls "$APP_URL" --secrets "$secrets" >"$logs/functions.log" 2>&1 &
fi
started $! "function app"
wait_for "$APP_URL/api/health" "the function app" "$logs/functions.log" "$!"
echo "   function app ($($use_func && echo "func start" || echo "dev host")): up in $(seconds_since "$step_start")"

# Seeded once the app listens, so the order's webhooks (order.succeeded, charge.succeeded) reach it.
curl -s -o "$logs/seed.json" -X POST "$SIM_URL/_sim/orders" -H 'Content-Type: application/json' \
  -d "{\"id\":\"$EXAMPLE_ORDER\",\"amount\":1000,\"charges\":[{\"id\":\"$EXAMPLE_CHARGE\",\"amount\":1000,\"channel\":\"alipay\"}]}" \
  || { echo "seeding the example order at the simulator failed (see $(shown "$logs")/seed.json)" >&2; exit 1; }
echo "   example order $EXAMPLE_ORDER (charge $EXAMPLE_CHARGE, 1000 fen) seeded at the simulator"

umask 077
cat >"$env_file" <<EOF
# Written by ./scripts/run-local.sh: the local run's addresses and function keys. Use: source $(shown "$env_file")
export APP=$APP_URL
export KEY=$function_key
export MASTER_KEY=$master_key
export SIM=$SIM_URL
export REFUNDS_STORAGE='$storage'
EOF

summary() {
  cat <<EOF

Running (ready in $(seconds_since "$started_at")). Logs in $(shown "$logs")/. Ctrl-C stops everything.

  function app      $APP_URL  ($($use_func && echo "func start: Core Tools check no keys unless started with --enableAuth" || echo "dev host: function keys enforced"))
    webhooks        POST $APP_URL/api/pingpp/webhooks
    refunds API     POST/GET $APP_URL/api/orders/{orderId}/refunds
  Ping++ simulator  $SIM_URL   (admin API under $SIM_URL/_sim)
  Azurite           blob $blob_port, queue $queue_port, table $table_port

In another terminal, from the repository folder:
  source $(shown "$env_file")      # sets APP=$APP_URL KEY=$function_key MASTER_KEY=$master_key SIM=$SIM_URL
  curl -i -X POST "\$APP/api/orders/$EXAMPLE_ORDER/refunds" -H "x-functions-key: \$KEY" -H "Idempotency-Key: my-first-refund" -H "Content-Type: application/json" -d '{"description":"my first refund"}'
  dotnet refunds show $EXAMPLE_ORDER
  dotnet refunds --help
EOF
}
summary
echo "App settings: Pingpp__ApiBase=$Pingpp__ApiBase Pingpp__SigningPrivateKey=$(shown "$Pingpp__SigningPrivateKey") Pingpp__WebhookPublicKeys__0=$(shown "$Pingpp__WebhookPublicKeys__0")"

if $demo; then
  echo
  echo "== demo (dotnet refunds demo --help describes it)"
  set +e
  # shellcheck disable=SC1090
  (. "$env_file" && dotnet refunds demo)
  code=$?
  set -e
  [ "$code" -eq 0 ] || echo "the demo did not finish (exit $code, see above); the system keeps running" >&2
  summary
fi

echo
echo "Still running: Azurite, the Ping++ simulator and the function app (pids ${pids[*]}). Press Ctrl-C to stop them."
wait "${pids[@]}"
