#!/usr/bin/env bash
# Runs the whole system locally, no Azure account needed: Azurite (pinned, from package-lock.json), the Ping++
# simulator with freshly generated key pairs, and the function app (`func start` when Core Tools are installed,
# otherwise the dev host). Ctrl-C stops everything this script started.
#
#   ./scripts/run-local.sh            run
#   ./scripts/run-local.sh --demo     run, then seed orders and submit refunds, and show the ledger as they settle
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

demo=false
for arg in "$@"; do
  case "$arg" in
    --demo) demo=true ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

SIM_URL="http://127.0.0.1:7080"
APP_URL="http://127.0.0.1:7071"
state="$root/.local"
keys="$state/keys"
logs="$state/logs"
mkdir -p "$keys" "$logs" "$state/azurite"

pids=()
cleanup() {
  trap - EXIT INT TERM
  echo
  echo "stopping…"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

wait_for() { # url, name, log
  for _ in $(seq 1 300); do
    if curl -s -o /dev/null "$1"; then return 0; fi
    sleep 0.2
  done
  echo "$2 did not start; last lines of $3:" >&2; tail -20 "$3" >&2; exit 1
}

for port in 10000 10001 10002 7080 7071; do
  if curl -s -o /dev/null "http://127.0.0.1:$port/"; then echo "port $port is already in use; stop what listens there" >&2; exit 1; fi
done

echo "== tools"
if [ ! -x node_modules/.bin/azurite ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund >"$logs/npm.log" 2>&1
fi
dotnet build src/Pingpp.Simulator -c Debug -v q -nologo >"$logs/build-simulator.log" 2>&1 || { tail -20 "$logs/build-simulator.log"; exit 1; }
use_func=false
if command -v func >/dev/null 2>&1; then use_func=true; else
  dotnet build src/Refunds.DevHost -c Debug -v q -nologo >"$logs/build-devhost.log" 2>&1 || { tail -20 "$logs/build-devhost.log"; exit 1; }
fi
if $demo; then # built up front so the demo starts as soon as the app answers
  dotnet build src/Refunds.Cli -c Debug -v q -nologo >"$logs/build-cli.log" 2>&1 || { tail -20 "$logs/build-cli.log"; exit 1; }
fi

echo "== fresh key pairs in .local/keys (never commit them)"
openssl genrsa -out "$keys/merchant_private.pem" 2048 2>/dev/null
openssl rsa -in "$keys/merchant_private.pem" -pubout -out "$keys/merchant_public.pem" 2>/dev/null
openssl genrsa -out "$keys/pingpp_private.pem" 2048 2>/dev/null
openssl rsa -in "$keys/pingpp_private.pem" -pubout -out "$keys/pingpp_public.pem" 2>/dev/null

echo "== Azurite (data in .local/azurite)"
"$root/node_modules/.bin/azurite" --silent --disableTelemetry --skipApiVersionCheck --location "$state/azurite" \
  --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 >"$logs/azurite.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:10002/devstoreaccount1/Tables" Azurite "$logs/azurite.log"

echo "== Ping++ simulator"
Simulator__ApiKey="sk_test_ibbTe5jLGCi5rzfH4OqPW9KC" \
Simulator__MerchantPublicKey="$keys/merchant_public.pem" \
Simulator__PingppPrivateKey="$keys/pingpp_private.pem" \
Simulator__WebhookUrl="$APP_URL/api/pingpp/webhooks" \
  dotnet run --no-build --project src/Pingpp.Simulator -- --urls "$SIM_URL" >"$logs/simulator.log" 2>&1 &
pids+=($!)
wait_for "$SIM_URL/_sim/pingpp-public-key" "the simulator" "$logs/simulator.log"

# The app's settings: every value of local.settings.sample.json (unless already set in the environment), then the
# generated keys and the simulator on top. A flat file of "Name": "value" lines, so plain bash reads it.
while IFS= read -r line; do
  if [[ $line =~ ^[[:space:]]*\"([A-Za-z0-9_]+)\":[[:space:]]*\"(.*)\",?[[:space:]]*$ ]]; then
    name="${BASH_REMATCH[1]}"
    [ -n "${!name+x}" ] || export "$name=${BASH_REMATCH[2]}"
  fi
done < local.settings.sample.json
export AzureWebJobsStorage="UseDevelopmentStorage=true"
export Pingpp__ApiBase="$SIM_URL"
export Pingpp__ApiKey="sk_test_ibbTe5jLGCi5rzfH4OqPW9KC"
export Pingpp__SigningPrivateKey="$keys/merchant_private.pem"
export Pingpp__WebhookPublicKeys__0="$keys/pingpp_public.pem"

# Function keys: .local/secrets in the Functions host's own file format (host.json: masterKey, functionKeys,
# systemKeys). Written once, then reused; the dev host enforces them (and adds <function>.json files on start).
secrets="$state/secrets"
new_key() { openssl rand -base64 40 | tr -d '\n=' | tr '+/' '-_'; }
if [ ! -f "$secrets/host.json" ]; then
  mkdir -p "$secrets"
  cat >"$secrets/host.json" <<EOF
{
  "masterKey": { "name": "master", "value": "$(new_key)", "encrypted": false },
  "functionKeys": [ { "name": "default", "value": "$(new_key)", "encrypted": false } ],
  "systemKeys": [],
  "hostName": "localhost",
  "instanceId": "$(openssl rand -hex 16)",
  "source": "runtime",
  "decryptionKeyId": ""
}
EOF
  echo "== function keys generated in .local/secrets (never commit them)"
else
  echo "== function keys reused from .local/secrets"
fi
KEY="$(jq -r '.functionKeys[] | select(.name == "default") | .value' "$secrets/host.json")"
MASTER_KEY="$(jq -r '.masterKey.value' "$secrets/host.json")"
[ -n "$KEY" ] && [ "$KEY" != null ] && [ -n "$MASTER_KEY" ] && [ "$MASTER_KEY" != null ] \
  || { echo "$secrets/host.json has no default function key or master key; delete it to have new keys generated" >&2; exit 1; }
cat >"$state/refunds.env" <<EOF
export APP=$APP_URL
export KEY=$KEY
export MASTER_KEY=$MASTER_KEY
EOF
chmod 600 "$state/refunds.env"

echo "== function app"
if $use_func; then
  [ -f local.settings.json ] || cp local.settings.sample.json local.settings.json
  (cd src/Refunds.Functions && exec func start --port 7071) >"$logs/functions.log" 2>&1 &
else
  dotnet run --no-build --project src/Refunds.DevHost -- --urls "$APP_URL" --secrets "$secrets" >"$logs/functions.log" 2>&1 &
fi
pids+=($!)
wait_for "$APP_URL/api/health" "the function app" "$logs/functions.log"

cat <<EOF

Running. Logs in .local/logs/. Ctrl-C stops everything.

  function app      $APP_URL  ($($use_func && echo "func start: Core Tools do not check keys unless started with --enableAuth" || echo "local host: function keys enforced"))
    webhooks        POST $APP_URL/api/pingpp/webhooks
    refunds API     POST/GET $APP_URL/api/orders/{orderId}/refunds
  Ping++ simulator  $SIM_URL   (admin API under $SIM_URL/_sim)
  Azurite           blob 10000, queue 10001, table 10002 (UseDevelopmentStorage=true)

Settings in use (secrets not shown):
  Pingpp__ApiBase=$Pingpp__ApiBase
  Pingpp__ApiKey=sk_test_…(Ping++'s public test key)
  Pingpp__SigningPrivateKey=$Pingpp__SigningPrivateKey
  Pingpp__WebhookPublicKeys__0=$Pingpp__WebhookPublicKeys__0

Function keys (.local/secrets; the same lines are in .local/refunds.env: source .local/refunds.env):
  export APP=$APP_URL
  export KEY=$KEY
  export MASTER_KEY=$MASTER_KEY

Submit a refund (function key in x-functions-key; the manage routes take \$MASTER_KEY):
  source .local/refunds.env
  order=\$(curl -s -X POST $SIM_URL/_sim/orders -H 'Content-Type: application/json' -d '{"amount":1000}' | jq -r .id)
  curl -i -X POST "\$APP/api/orders/\$order/refunds" -H "x-functions-key: \$KEY" -H "Idempotency-Key: demo-\$order" -H 'Content-Type: application/json' -d '{"description":"demo refund"}'
  curl -s "\$APP/api/orders/\$order/refunds" -H "x-functions-key: \$KEY" | jq
  curl -s -X POST "\$APP/api/manage/refund-requests/requeue-dead-lettered" -H "x-functions-key: \$MASTER_KEY" | jq
EOF

if $demo; then
  echo
  echo "== demo (refunds demo --help for its options)"
  dotnet run --no-build --project src/Refunds.Cli -- demo --app "$APP_URL" --key "$KEY" --simulator "$SIM_URL" \
    || echo "the demo did not finish (see above); the system keeps running, Ctrl-C stops it" >&2
fi

wait "${pids[@]}"
