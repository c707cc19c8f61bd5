#!/usr/bin/env bash
# Makes sure the local services the tests use are running on loopback, starting them if needed.
#   scripts/services.sh postgres [redis]
set -euo pipefail

log() { printf 'services: %s\n' "$*" >&2; }

postgres() {
    if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then return 0; fi
    log "starting postgresql"
    if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
    else
        log "postgresql is not installed (expected on 127.0.0.1:5432)"; return 1
    fi
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && return 0; sleep 1; done
    log "postgresql did not come up"; return 1
}

redis() {
    if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then return 0; fi
    log "starting redis"
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log
    for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && return 0; sleep 1; done
    log "redis did not come up"; return 1
}

for s in "$@"; do
    case "$s" in
    postgres) postgres ;;
    redis) redis ;;
    *) log "unknown service $s"; exit 2 ;;
    esac
done
