#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Doorman needs to build, run and test,
# skipping those already installed. Uses sudo when not root.
#
#   scripts/install-deps.sh            build + run (C libraries, PostgreSQL, Redis)
#   scripts/install-deps.sh --test     also what the tests drive (tmux, curl, haproxy, pgbouncer,
#                                      redis-sentinel, schemathesis in .build/tools)
#   scripts/install-deps.sh --cluster  what `make cluster` runs (haproxy, pgbouncer, redis-sentinel)
#   scripts/install-deps.sh --bench    also what the benchmark drives (wrk, python3-venv)
set -euo pipefail
want_schemathesis=0

packages=(
    pkg-config
    libpq-dev libhiredis-dev libcrypt-dev libncursesw5-dev libssl-dev   # C clients
    postgresql postgresql-contrib redis-server                         # embedded servers (pgcrypto is in contrib)
    util-linux                                                          # runuser, to run PostgreSQL as postgres when root
    openssl ca-certificates
)
for flag in "$@"; do
    case "$flag" in
        --test) packages+=(tmux curl python3 python3-venv haproxy pgbouncer redis-sentinel); want_schemathesis=1 ;;
        --cluster) packages+=(haproxy pgbouncer redis-sentinel curl) ;;
        --bench) packages+=(wrk python3 python3-venv) ;;
        *) echo "install-deps: unknown flag $flag" >&2; exit 64 ;;
    esac
done

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if ((${#missing[@]})); then
    if ! command -v apt-get >/dev/null; then
        echo "install-deps: apt-get not found; install these by hand: ${missing[*]}" >&2
        exit 1
    fi
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    echo "install-deps: installing ${missing[*]}"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null; then
    echo "install-deps: Swift 6.2 or newer is needed and is not on PATH." >&2
    echo "install-deps: install it from https://www.swift.org/install/linux/ (swiftly), then run this again." >&2
    exit 1
fi

# schemathesis (PyPI), which the tests run against a live server with the
# API's OpenAPI description; in a virtualenv of its own under .build/.
if ((want_schemathesis)); then
    venv="$(cd "$(dirname "$0")/.." && pwd)/.build/tools/schemathesis"
    if [ ! -x "$venv/bin/st" ]; then
        echo "install-deps: installing schemathesis into $venv"
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check 'schemathesis==4.32.5'
    fi
fi
