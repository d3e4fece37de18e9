# Shared functions for scripts/*.sh. Source it; it cds to the repository root.
# shellcheck shell=bash

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT" || exit 1

export DEBIAN_FRONTEND=noninteractive
export PIP_DISABLE_PIP_VERSION_CHECK=1
# Playwright drives Debian's Chromium; it must never download a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

log() {
    printf '\033[1m==> %s\033[0m\n' "$*" >&2
}

die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

sha_of() {
    cat "$@" | sha256sum | cut -d' ' -f1
}

is_root() {
    [ "$(id -u)" -eq 0 ]
}

# Python >= 3.11 with venv/ensurepip, or nothing. $PYTHON wins when it qualifies.
find_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' \
            >/dev/null 2>&1; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

# apt_install_missing [test|bench]: install the Debian packages that are missing, running
# `apt-get update` only when something is. Needs root and apt-get; otherwise it only warns.
apt_install_missing() {
    local mode="${1:-}"
    local -a missing=()
    command -v msgfmt >/dev/null 2>&1 || missing+=(gettext)
    command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
    command -v node >/dev/null 2>&1 && ! command -v npm >/dev/null 2>&1 && missing+=(npm)
    find_python >/dev/null || missing+=(python3 python3-venv)
    if [ "$mode" = test ] || [ "$mode" = bench ]; then
        compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || missing+=(postgresql)
        command -v pg_isready >/dev/null 2>&1 || missing+=(postgresql-client)
        command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
        command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
    fi
    if [ "$mode" = test ]; then
        [ -x /usr/bin/chromium ] || missing+=(chromium)
    fi
    if [ "$mode" = bench ]; then
        command -v wrk >/dev/null 2>&1 || missing+=(wrk)
    fi
    [ "${#missing[@]}" -gt 0 ] || return 0

    if ! is_root || ! command -v apt-get >/dev/null 2>&1; then
        log "missing system packages (install them yourself): ${missing[*]}"
        return 0
    fi
    # Deduplicate while keeping the order.
    local -a unique=()
    local pkg seen
    for pkg in "${missing[@]}"; do
        seen=0
        for existing in "${unique[@]:-}"; do [ "$existing" = "$pkg" ] && seen=1; done
        [ "$seen" -eq 1 ] || unique+=("$pkg")
    done
    log "apt-get install ${unique[*]}"
    apt-get update -qq
    # Debian's postgresql/redis packages try to start services through invoke-rc.d; without an
    # init system that fails harmlessly (the scripts start the servers themselves).
    apt-get install -y -qq --no-install-recommends "${unique[@]}" >/dev/null
}

ensure_venv() {
    local python stamp want
    if [ -e .venv ] && ! .venv/bin/python -c 'import sys' >/dev/null 2>&1; then
        log "removing a broken .venv"
        rm -rf .venv
    fi
    if [ ! -x .venv/bin/python ]; then
        python="$(find_python)" || die "Python >= 3.11 with venv is required"
        log "creating .venv with $python ($("$python" --version 2>&1))"
        "$python" -m venv .venv
    fi
    want="$(sha_of requirements/lock.txt pyproject.toml)"
    stamp="$(cat .venv/.lock-sha 2>/dev/null || true)"
    if [ "$stamp" = "$want" ] && [ -x .venv/bin/gatehouse ]; then
        return 0
    fi
    log "installing Python packages from requirements/lock.txt"
    .venv/bin/pip install --quiet -r requirements/lock.txt
    .venv/bin/pip install --quiet --no-deps -e .
    if ! .venv/bin/pip check >&2; then
        die "requirements/lock.txt does not satisfy pyproject.toml: run scripts/lock.sh"
    fi
    echo "$want" >.venv/.lock-sha
}

ensure_node_modules() {
    local stamp want
    command -v npm >/dev/null 2>&1 || die "npm is required (Debian: apt-get install nodejs npm)"
    want="$(sha_of package-lock.json)"
    stamp="$(cat node_modules/.package-lock-sha 2>/dev/null || true)"
    [ "$stamp" = "$want" ] && return 0
    log "installing front-end packages (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
    echo "$want" >node_modules/.package-lock-sha
}

compile_messages() {
    [ -d src/gatehouse/locale ] || return 0
    compgen -G 'src/gatehouse/locale/*/LC_MESSAGES/*.po' >/dev/null || return 0
    command -v msgfmt >/dev/null 2>&1 || die "msgfmt is required (Debian: apt-get install gettext)"
    log "compiling translations"
    (
        cd src/gatehouse || exit 1
        DJANGO_SETTINGS_MODULE=gatehouse.settings \
            "$REPO_ROOT/.venv/bin/python" -m django compilemessages \
            --ignore=.venv --ignore=node_modules --verbosity=0
    )
}

# bootstrap [test|bench]
bootstrap() {
    local mode="${1:-}"
    local started=$SECONDS
    apt_install_missing "$mode"
    ensure_venv
    ensure_node_modules
    compile_messages
    log "bootstrap done in $((SECONDS - started)) s"
}

# ---------------------------------------------------------------- services (test and bench)

default_service_env() {
    export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/gatehouse}"
    export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
}

wait_for() {
    # wait_for SECONDS DESCRIPTION COMMAND...
    local limit="$1" what="$2"
    shift 2
    local deadline=$((SECONDS + limit))
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$deadline" ] || die "$what did not come up within ${limit} s"
        sleep 0.5
    done
}

postgres_version() {
    # Newest installed server version (e.g. 15).
    find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -V | tail -1
}

pg_cluster_exists() {
    [ -f "/etc/postgresql/$1/main/postgresql.conf" ]
}

start_postgres() {
    local version
    version="$(postgres_version)"
    [ -n "$version" ] || die "PostgreSQL server is not installed (apt-get install postgresql)"
    command -v pg_ctlcluster >/dev/null 2>&1 || die "pg_ctlcluster missing (postgresql-common)"
    if ! pg_cluster_exists "$version"; then
        log "creating PostgreSQL $version cluster 'main' (trust authentication, test machine)"
        pg_createcluster "$version" main --port 5432 -- --auth=trust >/dev/null
    fi
    log "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
}

# psql as the postgres superuser, whatever the local authentication is.
psql_admin() {
    if is_root && id postgres >/dev/null 2>&1; then
        su postgres -c "psql -v ON_ERROR_STOP=1 -qtA $(printf '%q ' "$@")"
    else
        psql -U postgres -h 127.0.0.1 -v ON_ERROR_STOP=1 -qtA "$@"
    fi
}

ensure_postgres() {
    default_service_env
    case "$DATABASE_URL" in
        postgres://* | postgresql://*) ;;
        *) return 0 ;;
    esac
    # Start the local server only when the URL points at it.
    case "$DATABASE_URL" in
        *@127.0.0.1:5432/* | *@localhost:5432/* | *@127.0.0.1/* | *@localhost/*)
            if ! pg_isready -q -h 127.0.0.1 -p 5432; then
                start_postgres
                wait_for 60 "PostgreSQL" pg_isready -q -h 127.0.0.1 -p 5432
            fi
            ;;
    esac
    local admin_url="${DATABASE_URL%/*}/postgres"
    if ! psql "$admin_url" -qtAc 'select 1' >/dev/null 2>&1; then
        # Debian's own cluster uses password authentication on TCP. Only for the default,
        # password-less URL on a machine we administer: give postgres a password and use it.
        if [ "$DATABASE_URL" = "postgres://postgres@127.0.0.1:5432/gatehouse" ] && is_root; then
            log "PostgreSQL refuses password-less TCP login; setting a test password for postgres"
            psql_admin -c "ALTER ROLE postgres PASSWORD 'postgres'"
            export DATABASE_URL="postgres://postgres:postgres@127.0.0.1:5432/gatehouse"
            admin_url="${DATABASE_URL%/*}/postgres"
        fi
        psql "$admin_url" -qtAc 'select 1' >/dev/null || die "cannot connect to $admin_url"
    fi
    local dbname="${DATABASE_URL##*/}"
    dbname="${dbname%%\?*}"
    if [ "$(psql "$admin_url" -qtAc "SELECT 1 FROM pg_database WHERE datname = '$dbname'")" != 1 ]; then
        log "creating database $dbname"
        psql "$admin_url" -qtAc "CREATE DATABASE \"$dbname\"" >/dev/null
    fi
}

ensure_redis() {
    default_service_env
    if redis-cli -u "$REDIS_URL" ping 2>/dev/null | grep -q PONG; then
        return 0
    fi
    case "$REDIS_URL" in
        redis://127.0.0.1:6379* | redis://localhost:6379*) ;;
        *) die "Redis at $REDIS_URL does not answer" ;;
    esac
    log "starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        --dir "${TMPDIR:-/tmp}" >/dev/null
    wait_for 30 "Redis" sh -c "redis-cli -u '$REDIS_URL' ping | grep -q PONG"
}

ensure_services() {
    ensure_postgres
    ensure_redis
}
