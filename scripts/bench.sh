#!/usr/bin/env bash
# Benchmarks, in release builds (tests stay in debug). Their figures are recorded in docs/BENCHMARKS.md with the
# command that produced them.
#
#   scripts/bench.sh          every benchmark
#   scripts/bench.sh meta     metadata store throughput on SQLite (100,000 items)
set -euo pipefail
cd "$(dirname "$0")/.."

run_meta() { cargo bench -p streamlens-domain --bench meta_sqlite; }

case "${1:-all}" in
  all) run_meta ;;
  meta) run_meta ;;
  *) echo "usage: scripts/bench.sh [meta]" >&2; exit 2 ;;
esac
