#!/usr/bin/env bash
# Makes sure the local services the tests use are running on loopback, starting them if needed.
#   scripts/services.sh postgres [redis] [kafka]
#   scripts/services.sh stop kafka
#
# kafka: tansu (scripts/install-test-deps.sh kafka), a Kafka-compatible broker, in memory, on
# 127.0.0.1:$EAS_KAFKA_PORT (default 9092), log and pid under $EAS_STATE_DIR (default
# ~/.cache/eas-services).
set -euo pipefail

STATE_DIR="${EAS_STATE_DIR:-$HOME/.cache/eas-services}"
KAFKA_PORT="${EAS_KAFKA_PORT:-9092}"

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

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

kafka() {
    if port_open "$KAFKA_PORT"; then return 0; fi
    command -v tansu >/dev/null || { log "tansu is missing: scripts/install-test-deps.sh kafka"; return 1; }
    mkdir -p "$STATE_DIR"
    log "starting tansu (kafka) on 127.0.0.1:$KAFKA_PORT, log $STATE_DIR/tansu.log"
    nohup tansu broker \
        --listener-url "tcp://127.0.0.1:$KAFKA_PORT" \
        --advertised-listener-url "tcp://127.0.0.1:$KAFKA_PORT" \
        --storage-engine memory://tansu/ \
        >>"$STATE_DIR/tansu.log" 2>&1 </dev/null &
    echo $! >"$STATE_DIR/tansu.pid"
    for _ in $(seq 1 60); do
        port_open "$KAFKA_PORT" && return 0
        kill -0 "$(cat "$STATE_DIR/tansu.pid")" 2>/dev/null || break
        sleep 0.5
    done
    log "tansu did not come up; last lines of $STATE_DIR/tansu.log:"
    tail -n 20 "$STATE_DIR/tansu.log" >&2 || true
    return 1
}

stop_kafka() {
    local pidfile="$STATE_DIR/tansu.pid"
    [ -f "$pidfile" ] || return 0
    local pid
    pid="$(cat "$pidfile")"
    # Only the process this script started, and only while it is still tansu.
    if kill -0 "$pid" 2>/dev/null && grep -q tansu "/proc/$pid/comm" 2>/dev/null; then
        log "stopping tansu ($pid)"
        kill "$pid"
        for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    fi
    rm -f "$pidfile"
}

if [ "${1:-}" = stop ]; then
    shift
    for s in "$@"; do
        case "$s" in
        kafka) stop_kafka ;;
        *) log "cannot stop $s (only kafka)"; exit 2 ;;
        esac
    done
    exit 0
fi

for s in "$@"; do
    case "$s" in
    postgres) postgres ;;
    redis) redis ;;
    kafka) kafka ;;
    *) log "unknown service $s"; exit 2 ;;
    esac
done
