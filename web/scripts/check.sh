#!/usr/bin/env bash
# The web dashboard's checks, as scripts/test.sh runs them: install, typecheck, unit tests, the committed build
# against a fresh one, and the end-to-end test in headless Chromium against a Streamlens binary.
#
#   web/scripts/check.sh              everything
#   web/scripts/check.sh --no-e2e     without the end-to-end test
#
# Environment: STREAMLENS_BIN (the binary the e2e test starts, default target/debug/streamlens),
# STREAMLENS_APP_FROM_BINARY=0 (the e2e test serves web/dist itself instead of using the binary's own /app/).
set -euo pipefail

cd "$(dirname "$0")/.."
e2e=1
for arg in "$@"; do
  case "$arg" in
    --no-e2e) e2e=0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

# Milliseconds since the epoch (bash 5's EPOCHREALTIME; whole seconds on older shells).
now_ms() {
  if [[ -n "${EPOCHREALTIME:-}" ]]; then
    local t=${EPOCHREALTIME//[.,]/}
    echo $((t / 1000))
  else
    echo $(($(date +%s) * 1000))
  fi
}
seconds() { printf '%d.%d s' $(($1 / 1000)) $((($1 % 1000) / 100)); }

timings=()
started=$(now_ms)
step() {
  local name=$1
  shift
  local t0
  t0=$(now_ms)
  echo "==> $name"
  "$@"
  timings+=("$(printf '%-40s %s' "$name" "$(seconds $(($(now_ms) - t0)))")")
}

report() {
  local status=$?
  echo
  echo "web checks: $( ((status == 0)) && echo passed || echo FAILED)"
  for line in "${timings[@]}"; do echo "  $line"; done
  printf '  %-40s %s\n' total "$(seconds $(($(now_ms) - started)))"
}
trap report EXIT

compare_build() {
  local out
  out=$(mktemp -d)
  npx vite build --outDir "$out" --emptyOutDir --logLevel warn
  if ! diff -r dist "$out" >/dev/null; then
    diff -rq dist "$out" || true
    rm -rf "$out"
    echo "web/dist differs from a fresh build: run npm run build in web/ and commit web/dist" >&2
    return 1
  fi
  rm -rf "$out"
  echo "web/dist is what the sources build"
}

step "npm ci" npm ci --no-audit --no-fund --loglevel=error
step "typecheck (tsc)" npm run --silent typecheck
step "unit and component tests (vitest)" npx vitest run
step "build matches committed web/dist" compare_build
if ((e2e)); then
  if [[ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]]; then
    echo "no Chromium at ${CHROMIUM:-/usr/bin/chromium}: apt-get install -y chromium" >&2
    exit 1
  fi
  step "end-to-end (chromium, playwright-core)" node e2e/run.mjs
fi
