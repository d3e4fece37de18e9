#!/usr/bin/env bash
# The whole check, as CI runs it: install (with Chromium, PostgreSQL, Redis), start the services,
# then ruff, mypy, the full pytest suite on PostgreSQL + Redis, and the fast suite on SQLite.
# Stops at the first failure. ALLOW_EMPTY=1 accepts a pytest run that collects no test.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

started=$SECONDS
bootstrap test
ensure_services

export PATH="$REPO_ROOT/.venv/bin:$PATH"
export GATEHOUSE_CHROMIUM="${GATEHOUSE_CHROMIUM:-/usr/bin/chromium}"

scratch="$(mktemp -d -t gatehouse-test-XXXXXX)"
trap 'rm -rf "$scratch"' EXIT

step() {
    log "$* ($((SECONDS - started)) s so far)"
}

# pytest exits 5 when it collects no test: a failure unless ALLOW_EMPTY=1.
run_pytest() {
    local status=0
    "$@" || status=$?
    if [ "$status" -eq 5 ]; then
        if [ "${ALLOW_EMPTY:-0}" = 1 ]; then
            log "pytest collected no test (accepted: ALLOW_EMPTY=1)"
            return 0
        fi
        die "pytest collected no test (set ALLOW_EMPTY=1 to accept)"
    fi
    return "$status"
}

lint_paths=()
for path in src tests bench conftest.py; do
    [ -e "$path" ] && lint_paths+=("$path")
done

step "ruff check ${lint_paths[*]}"
ruff check "${lint_paths[@]}"

step "mypy src"
mypy src

step "pytest, whole suite, PostgreSQL + Redis ($(printf %s "$DATABASE_URL" | sed -E 's#:[^:@/]*@#:***@#'), $REDIS_URL)"
mkdir -p "$scratch/postgres"
run_pytest env GATEHOUSE_DATA_DIR="$scratch/postgres" \
    pytest -n 2 -p no:cacheprovider

step "pytest, not browser, SQLite"
mkdir -p "$scratch/sqlite"
run_pytest env -u DATABASE_URL -u REDIS_URL GATEHOUSE_DATA_DIR="$scratch/sqlite" \
    pytest -n 2 -m "not browser" -p no:cacheprovider -q

log "all checks passed in $((SECONDS - started)) s"
