#!/usr/bin/env bash
# Benchmarks (DESIGN.md, Performance goals): install, start PostgreSQL and Redis, run
# bench/run.py. Arguments select benchmarks by module or result name: scripts/bench.sh baselines
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bootstrap bench
ensure_services

data_dir="$(mktemp -d -t gatehouse-bench-XXXXXX)"
trap 'rm -rf "$data_dir"' EXIT
export GATEHOUSE_DATA_DIR="$data_dir"
export PATH="$REPO_ROOT/.venv/bin:$PATH"

.venv/bin/python bench/run.py "$@"
