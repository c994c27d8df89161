#!/usr/bin/env bash
# Pre-flight before `azd up` (docs/deploy.md): builds infra/main.bicep with your azd environment's values the way azd
# will (substitution into infra/main.parameters.json, JSON parse, typed values), type-checks them with
# `bicep build-params`, and checks what a first deployment trips on: Flex Consumption's rejected properties, the instance
# cap, the webhook key (read by the app's own key parser), every setting the app needs, the API-key Key Vault reference,
# cloud-specific names, the vault's create mode. Offline; one screen; exit 1 when something would fail.
#
#   ./scripts/preflight.sh                 # values from .azure/<default env>/.env, then the shell environment
#   ./scripts/preflight.sh --env-file F    # values from F (a file of NAME="value" lines), then the shell environment
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

BICEP_VERSION=0.49.2
env_file=""
while [ $# -gt 0 ]; do
  case "$1" in
    --env-file) env_file="$2"; shift 2 ;;
    *) echo "preflight.sh: unknown argument $1 (use --env-file <file>)" >&2; exit 2 ;;
  esac
done
if [ -z "$env_file" ]; then
  env_name="${AZURE_ENV_NAME:-}"
  if [ -z "$env_name" ] && [ -f .azure/config.json ]; then
    env_name="$(sed -n 's/.*"defaultEnvironment"[^"]*"\([^"]*\)".*/\1/p' .azure/config.json)"
  fi
  [ -n "$env_name" ] && [ -f ".azure/$env_name/.env" ] && env_file=".azure/$env_name/.env"
fi

bicep="${BICEP_PATH:-$root/.tools/nuget/azure.bicep.commandline.linux-x64/$BICEP_VERSION/tools/bicep}"
if [ ! -x "$bicep" ]; then
  dotnet package download "Azure.Bicep.CommandLine.linux-x64@$BICEP_VERSION" -o "$root/.tools/nuget" >/dev/null \
    || { echo "preflight.sh: could not download the Bicep CLI" >&2; exit 2; }
  chmod +x "$bicep"
fi

project="$root/src/Refunds.Preflight/Refunds.Preflight.csproj"
dll="$root/src/Refunds.Preflight/bin/Release/net10.0/refunds-preflight.dll"
if [ ! -f "$dll" ] || [ -n "$(find "$root/src/Refunds.Preflight" "$root/src/Refunds.Core" -name '*.cs' -newer "$dll" -print -quit)" ]; then
  dotnet build "$project" -c Release -v quiet -nologo >/dev/null || { echo "preflight.sh: building $project failed" >&2; exit 2; }
fi

args=(--bicep "$bicep" --infra "$root/infra")
[ -n "$env_file" ] && args+=(--env-file "$env_file")
exec dotnet "$dll" "${args[@]}"
