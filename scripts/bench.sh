#!/usr/bin/env bash
# Benchmarks, in release builds (tests stay in debug). Their figures are recorded in docs/BENCHMARKS.md with the
# command that produced them.
#
#   scripts/bench.sh          every benchmark
#   scripts/bench.sh meta     metadata store throughput on SQLite (100,000 items)
#   scripts/bench.sh queue    jobs/s through the Redis queue (no-op, StartSeries); needs Redis on 127.0.0.1:6379
#   scripts/bench.sh ingest   a live pull of 10,000 streams from a simulator process; a worker's peak memory
set -euo pipefail
cd "$(dirname "$0")/.."

run_meta() { cargo bench -p streamlens-domain --bench meta_sqlite; }
run_queue() { cargo bench -p streamlens-jobs --bench queue; }
run_ingest() { cargo bench -p streamlens-jobs --bench ingest; }

case "${1:-all}" in
  all) run_meta; run_queue; run_ingest ;;
  meta) run_meta ;;
  queue) run_queue ;;
  ingest) run_ingest ;;
  *) echo "usage: scripts/bench.sh [meta|queue|ingest]" >&2; exit 2 ;;
esac
