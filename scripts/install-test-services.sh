#!/usr/bin/env bash
# Installs the database servers the test suite starts privately (PostgreSQL, MariaDB),
# from the distribution's packages, when they are missing. The tests never use a system
# service: each session runs its own cluster on 127.0.0.1 (tests/db_servers.py). Without
# root or apt, it says so and the database tests skip with that reason.
set -uo pipefail

need=()
if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    need+=(postgresql)
fi
if ! command -v mariadbd >/dev/null && [ ! -x /usr/sbin/mariadbd ]; then
    need+=(mariadb-server)
fi
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "note: ${need[*]} not installed and no root apt-get here; those tests will be skipped" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
install() { apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }
# A fresh machine may have no package lists yet.
if ! install; then
    apt-get update -qq >/dev/null && install ||
        echo "note: could not install ${need[*]}; those tests will be skipped" >&2
fi
exit 0
