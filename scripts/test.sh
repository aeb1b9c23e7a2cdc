#!/usr/bin/env bash
# The one test command (CI runs it through .ci/run): formatting, lints and every test of the workspace.
#
# It starts what the tests need and stops what it started:
#   - Redis on 127.0.0.1:6379, unless something already answers there (installed with apt-get when missing);
#   - a moto server (local S3 and DynamoDB) in a Python virtualenv under the cache folder, installed the first time,
#     on a free loopback port.
# Then: the CDK app's checks (cdk/scripts/check.sh: npm ci, tests, synth, cfn-lint in a virtualenv like moto's),
# cargo fmt --check, cargo clippy -D warnings, cargo test, the web dashboard's checks (web/scripts/check.sh: Vitest,
# a build identical to the committed web/dist, end-to-end tests in Debian's headless Chromium, which is installed
# with apt-get when missing), scripts/local-stack.sh --check (api, two workers, the
# scheduler and the simulator as processes on Redis and moto; one worker killed mid-backfill), and a check that the storage contract suites ran against
# every adapter (files, S3 and the per-area store; SQLite, DynamoDB) with the same number of cases each.
#
# Environment: STREAMLENS_CACHE_DIR (default ~/.cache/streamlens) holds the virtualenv.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
cache="${STREAMLENS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/streamlens}"
logs="$root/target/test-logs"
moto_version="5.2.5"
cfn_lint_version="1.58.0"
mkdir -p "$cache" "$logs"

step() { printf '\n==> %s\n' "$*"; }
fail() { printf '\nFAILED: %s\n' "$*" >&2; exit 1; }

cleanup_pids=()
cleanup() {
  local pid
  for pid in "${cleanup_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT

# Runs a command as root, through sudo when needed.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi
}

redis_answers() {
  python3 - <<'PY' 2>/dev/null
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", 6379), timeout=1)
    s.sendall(b"PING\r\n")
    sys.exit(0 if s.recv(16).startswith(b"+PONG") else 1)
except OSError:
    sys.exit(1)
PY
}

wait_for() { # description, attempts, command...
  local what=$1 tries=$2
  shift 2
  for _ in $(seq "$tries"); do
    if "$@"; then return 0; fi
    sleep 0.25
  done
  fail "$what did not come up"
}

step "Redis"
if redis_answers; then
  echo "Redis already answers on 127.0.0.1:6379"
else
  if ! command -v redis-server >/dev/null; then
    echo "installing redis-server"
    { as_root apt-get update -qq && as_root apt-get install -y -qq redis-server >/dev/null; } \
      || fail "redis-server is missing and could not be installed"
  fi
  redis-server --port 6379 --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
    >"$logs/redis.log" 2>&1 &
  cleanup_pids+=($!)
  wait_for "Redis" 40 redis_answers
  echo "started Redis on 127.0.0.1:6379 (stopped at the end)"
fi

# Installs a pinned Python tool into its own virtualenv under the cache folder, once: folder, executable, package.
python_tool() {
  local venv=$1 executable=$2 package=$3
  [ -x "$venv/bin/$executable" ] && return 0
  echo "installing $package into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv" || fail "python3 -m venv failed (install python3-venv)"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$package" || fail "could not install $package"
}

step "moto server (local S3 and DynamoDB)"
venv="$cache/moto-$moto_version"
python_tool "$venv" moto_server "moto[server]==$moto_version"
moto_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# One request at a time, so that conditional writes are atomic as DynamoDB makes them (see the script).
"$venv/bin/python" scripts/moto_server.py 127.0.0.1 "$moto_port" >"$logs/moto.log" 2>&1 &
cleanup_pids+=($!)
moto_answers() {
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$moto_port/moto-api/', timeout=1)" 2>/dev/null
}
wait_for "moto server" 120 moto_answers
echo "moto $moto_version on 127.0.0.1:$moto_port (stopped at the end)"
export STREAMLENS_TEST_AWS_ENDPOINT="http://127.0.0.1:$moto_port"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true

step "CDK app: npm ci, tests, synth of dev and prod, cfn-lint"
{ command -v node >/dev/null && command -v npm >/dev/null; } || fail "node and npm (Node 20 or later) are needed for cdk/"
cfn_venv="$cache/cfn-lint-$cfn_lint_version"
python_tool "$cfn_venv" cfn-lint "cfn-lint==$cfn_lint_version"
set +e
CFN_LINT="$cfn_venv/bin/cfn-lint" cdk/scripts/check.sh 2>&1 | tee "$logs/cdk.log"
status=${PIPESTATUS[0]}
set -e
[ "$status" -eq 0 ] || fail "CDK checks (full output: $logs/cdk.log)"

step "cargo fmt --check"
cargo fmt --all --check || fail "formatting (run cargo fmt --all)"

step "cargo clippy --all-targets -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings || fail "clippy"

step "cargo test"
set +e
cargo test --workspace --locked --no-fail-fast 2>&1 | tee "$logs/cargo-test.log"
status=${PIPESTATUS[0]}
set -e
[ "$status" -eq 0 ] || fail "cargo test (full output: $logs/cargo-test.log)"

step "web dashboard: unit tests, reproducible build, end-to-end in headless Chromium"
if [ ! -x /usr/bin/chromium ]; then
  echo "installing Debian's chromium"
  { as_root apt-get update -qq && as_root apt-get install -y -qq chromium >/dev/null; } \
    || fail "chromium is missing and could not be installed"
fi
set +e
STREAMLENS_BIN="$root/target/debug/streamlens" web/scripts/check.sh 2>&1 | tee "$logs/web.log"
status=${PIPESTATUS[0]}
set -e
[ "$status" -eq 0 ] || fail "web dashboard checks (full output: $logs/web.log)"

step "local stack: the deployed topology as separate processes (scripts/local-stack.sh --check)"
scripts/local-stack.sh --check --debug 2>&1 | tee "$logs/local-stack.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "local stack check (full output: $logs/local-stack.log)"

step "storage contract suites"
# Counts the passing cases per adapter: the module name (`files::…`) inside each suite's test binary.
summary=$(awk '
  /Running tests\/blob_contract\.rs/ { suite = "blob"; next }
  /Running tests\/meta_contract\.rs/ { suite = "meta"; next }
  /Running / { suite = ""; next }
  suite != "" && /^test [a-z0-9_]+::[a-z0-9_]+ \.\.\. ok$/ {
    split($2, part, "::"); ok[suite " " part[1]]++
  }
  END { for (k in ok) print k, ok[k] }
' "$logs/cargo-test.log" | sort)
contract_ok=1
for pair in "blob files" "blob s3" "blob areas" "meta sqlite" "meta dynamodb"; do
  count=$(printf '%s\n' "$summary" | awk -v k="$pair" '$1 " " $2 == k { print $3 }')
  printf '  %-5s contract  %-9s %3s cases passed\n' "${pair% *}" "${pair#* }" "${count:-0}"
  [ -n "$count" ] && [ "$count" -gt 0 ] || contract_ok=0
done
for port in blob meta; do
  distinct=$(printf '%s\n' "$summary" | awk -v p="$port" '$1 == p { print $3 }' | sort -u | wc -l)
  [ "$distinct" -eq 1 ] || contract_ok=0
done
[ "$contract_ok" -eq 1 ] || fail "a storage adapter was skipped or ran fewer contract cases than its twin"

step "all checks passed"
