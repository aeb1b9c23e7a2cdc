#!/usr/bin/env bash
# Benchmarks, in release builds (tests stay in debug). Their figures are recorded in docs/BENCHMARKS.md with the
# command that produced them.
#
#   scripts/bench.sh          every benchmark
#   scripts/bench.sh meta     metadata store throughput on SQLite (100,000 items)
#   scripts/bench.sh queue    jobs/s through the Redis queue (no-op, StartSeries); needs Redis on 127.0.0.1:6379
#   scripts/bench.sh ingest   a live pull of 10,000 streams from a simulator process; a worker's peak memory
#   scripts/bench.sh gateway  the dashboard query cached, uncached and from a plain handler (load from wrk, installed
#                             with apt-get when missing); 1,000 subscribers
#   scripts/bench.sh pipeline one series of 10,000 streams through the DAG; a simulated day end to end; DuckDB on
#                             the same day (installed into a virtualenv under the cache folder the first time)
set -euo pipefail
cd "$(dirname "$0")/.."

run_meta() { cargo bench -p streamlens-domain --bench meta_sqlite; }
run_queue() { cargo bench -p streamlens-jobs --bench queue; }
run_ingest() { cargo bench -p streamlens-jobs --bench ingest; }
run_gateway() {
  # The HTTP load comes from wrk, Debian's package.
  if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" -eq 0 ]; then apt-get install -y -qq wrk >/dev/null; else sudo apt-get install -y -qq wrk >/dev/null; fi
  fi
  cargo bench -p streamlens-api --bench gateway
}
run_pipeline() {
  local venv="${XDG_CACHE_HOME:-$HOME/.cache}/streamlens/duckdb-1.4"
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import duckdb' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet 'duckdb>=1.4,<1.5'
  fi
  STREAMLENS_BENCH_PYTHON="$venv/bin/python" cargo bench -p streamlens-jobs --bench pipeline -- "$@"
}

case "${1:-all}" in
  all) run_meta; run_queue; run_ingest; run_gateway; run_pipeline ;;
  meta) run_meta ;;
  queue) run_queue ;;
  ingest) run_ingest ;;
  gateway) run_gateway ;;
  pipeline) shift; run_pipeline "$@" ;;
  *) echo "usage: scripts/bench.sh [meta|queue|ingest|gateway|pipeline [dag|day]]" >&2; exit 2 ;;
esac
