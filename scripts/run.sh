#!/usr/bin/env bash
# One command, embedded mode: install what is missing, then `gatehouse run` (SQLite, in-process
# worker, http://127.0.0.1:8000; the first run prints the super administrator password once).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bootstrap ""
exec .venv/bin/gatehouse run "$@"
