#!/usr/bin/env bash
# Install everything Gatehouse needs, from nothing, and skip what is already there.
#   scripts/bootstrap.sh         system packages (as root), .venv, node_modules, translations
#   scripts/bootstrap.sh test    also Chromium, PostgreSQL and Redis for the test suite
#   scripts/bootstrap.sh bench   also PostgreSQL, Redis and wrk for the benchmarks
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case "${1:-}" in
    "" | test | bench) ;;
    *) die "usage: scripts/bootstrap.sh [test|bench]" ;;
esac
bootstrap "${1:-}"
