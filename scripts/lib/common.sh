# Shared by scripts/run-local.sh and scripts/test.sh: prerequisite checks and steps that say what they do and how long
# they took. Sourced, not run.

# Milliseconds since the epoch (bash 5's EPOCHREALTIME; whole seconds on older shells such as macOS's bash 3.2).
now_ms() {
  if [ -n "${EPOCHREALTIME:-}" ]; then local t="${EPOCHREALTIME/,/.}"; echo $(( ${t%.*} * 1000 + 10#${t#*.} / 1000 )); else echo $(( $(date +%s) * 1000 )); fi
}
seconds_since() { # start in ms -> "12.3 s"
  local ms=$(( $(now_ms) - $1 )); printf '%d.%d s' $(( ms / 1000 )) $(( (ms % 1000) / 100 ))
}

# One line per missing tool: what is missing and how to install it on Debian/Ubuntu, macOS and Windows (WSL).
missing_tool() { # name, what is wrong, Debian/Ubuntu command, macOS command
  echo "missing: $1 ($2). Install it - Debian/Ubuntu: $3; macOS: $4; Windows: use WSL (Ubuntu) and the Debian/Ubuntu command" >&2
}
# require_tools dotnet node npm openssl curl: each named tool must be there (dotnet with a 10.x SDK, node 20 or later).
require_tools() {
  local ok=true tool
  for tool in "$@"; do
    case "$tool" in
      dotnet)
        if ! command -v dotnet >/dev/null 2>&1; then
          missing_tool ".NET 10 SDK" "no dotnet command" "sudo apt-get install -y dotnet-sdk-10.0 (or https://dot.net/v1/dotnet-install.sh --channel 10.0)" "brew install --cask dotnet-sdk"; ok=false
        elif ! dotnet --list-sdks 2>/dev/null | grep -qE '^(1[0-9]|[2-9][0-9])\.'; then
          missing_tool ".NET 10 SDK" "found only: $(dotnet --list-sdks 2>/dev/null | cut -d' ' -f1 | tr '\n' ' ')" "sudo apt-get install -y dotnet-sdk-10.0 (or https://dot.net/v1/dotnet-install.sh --channel 10.0)" "brew install --cask dotnet-sdk"; ok=false
        fi ;;
      node)
        local major
        major="$(node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/')"
        if [ -z "$major" ]; then
          missing_tool "Node.js 20" "no node command" "nvm install 20 (https://github.com/nvm-sh/nvm), or NodeSource's nodejs 20 package" "brew install node@20"; ok=false
        elif [ "$major" -lt 20 ]; then
          missing_tool "Node.js 20" "found node $(node --version)" "nvm install 20 (https://github.com/nvm-sh/nvm), or NodeSource's nodejs 20 package" "brew install node@20"; ok=false
        fi ;;
      npm)
        command -v npm >/dev/null 2>&1 || { missing_tool "npm" "no npm command; it comes with Node.js" "nvm install 20 (npm included)" "brew install node@20"; ok=false; } ;;
      openssl)
        command -v openssl >/dev/null 2>&1 || { missing_tool "openssl" "no openssl command" "sudo apt-get install -y openssl" "brew install openssl"; ok=false; } ;;
      curl)
        command -v curl >/dev/null 2>&1 || { missing_tool "curl" "no curl command" "sudo apt-get install -y curl" "brew install curl"; ok=false; } ;;
      *) echo "require_tools: unknown tool $tool" >&2; ok=false ;;
    esac
  done
  $ok
}

# run_step "what it does" log command…: prints the step, a progress line while it runs (redrawn on a terminal, else
# one line every 10 s for the first minute, then every 30 s), and "done in N s"; on failure the last lines of the log, then exits 1. step_pid is the running
# command, for a Ctrl-C handler to stop.
step_pid=""
run_step() {
  local label="$1" log="$2"; shift 2
  local start; start=$(now_ms)
  local tty=false; [ -t 1 ] && tty=true
  $tty || echo "   $label …"
  "$@" >"$log" 2>&1 &
  step_pid=$!
  local next=10
  while kill -0 "$step_pid" 2>/dev/null; do
    sleep 0.5
    local ms=$(( $(now_ms) - start ))
    if $tty; then printf '\r   %s … %d s\033[K' "$label" $(( ms / 1000 ))
    elif [ $(( ms / 1000 )) -ge $next ]; then echo "   … still running ($next s)"; next=$(( next < 60 ? next + 10 : next + 30 )); fi
  done
  local code=0; wait "$step_pid" || code=$?
  step_pid=""
  $tty && printf '\r\033[K'
  if [ "$code" -ne 0 ]; then
    echo "   $label: FAILED after $(seconds_since "$start") (exit $code); last lines of $log:" >&2
    tail -20 "$log" >&2
    exit 1
  fi
  echo "   $label: done in $(seconds_since "$start")"
}
skip_step() { echo "   $1: $2, skipped"; }
