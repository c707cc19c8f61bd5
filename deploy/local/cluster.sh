#!/usr/bin/env bash
# The cluster on loopback: PostgreSQL-backed mail, contacts and calendar services, push service, two
# edge replicas, a Kafka-protocol broker (tansu) and Redis, all on 127.0.0.1. The edges call the
# contacts service; the mail service sends it the recipients of submitted mail (collected contacts).
#
#   deploy/local/cluster.sh start     # build, start everything, create the demo accounts
#   deploy/local/cluster.sh status    # what runs, and where
#   deploy/local/cluster.sh stop      # SIGTERM to every process it started
#   deploy/local/cluster.sh restart-push  # SIGTERM to the push service and a new one in its place
#
# Settings (environment):
#   EAS_CLUSTER_DIR     state directory: logs, pids, cluster.env     (~/.cache/eas-cluster)
#   EAS_CLUSTER_DB      PostgreSQL database, created when missing    (eas_cluster)
#   EAS_CLUSTER_PREFIX  prefix of Redis keys and channels            (eascl:)
#   EAS_CLUSTER_TOPIC   Kafka topic of change events                 (eas.changes)
#   EAS_CLUSTER_PORTS   "edgeA adminA edgeB adminB grpc lmtp contacts calendar"
#                       (18080 18081 18090 18091 15051 12424 15053 15054); grpc is the mail
#                       service's, contacts and calendar those services' gRPC ports
#                       0 lets the OS choose; cluster.env tells what was bound.
#   EAS_CLUSTER_EDGES   how many edge replicas, 1 to 8 (2); edges after b listen on the ports of
#                       edge b plus 10, 20, ... (or OS-chosen ports when b's are 0)
#   EAS_CLUSTER_PROFILE cargo profile of the binaries: debug|release (debug)
#   EAS_CLUSTER_DEMO    1 creates example.loc with jdoe/asmith (1)
#   EAS_KAFKA_PORT      the broker's port (9092; scripts/services.sh starts it)
#   EAS_CLUSTER_REDIS_URL  another Redis instead of 127.0.0.1:6379 (tests use a private one)
#   EAS_CLUSTER_KAFKA      another broker (host:port) instead of the one scripts/services.sh starts
#   EAS_CLUSTER_EDGE_ENV   extra VAR=value words for both edges (e.g. Ping bounds)
#
# After start, $EAS_CLUSTER_DIR/cluster.env holds EDGE_<X>_URL and ADMIN_<X>_URL for each edge
# (X = A, B, ...), EDGE_URLS (all, comma-separated), MAIL_GRPC, LMTP, CONTACTS_GRPC, CALENDAR_GRPC,
# ADMIN_TOKEN, the pid of every process and MAIL_HEALTH_URL / CONTACTS_HEALTH_URL /
# CALENDAR_HEALTH_URL / PUSH_HEALTH_URL (their /healthz, /readyz and /metrics).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIR="${EAS_CLUSTER_DIR:-$HOME/.cache/eas-cluster}"
DB="${EAS_CLUSTER_DB:-eas_cluster}"
PREFIX="${EAS_CLUSTER_PREFIX:-eascl:}"
TOPIC="${EAS_CLUSTER_TOPIC:-eas.changes}"
read -r EDGE_A_PORT ADMIN_A_PORT EDGE_B_PORT ADMIN_B_PORT GRPC_PORT LMTP_PORT CONTACTS_PORT \
    CALENDAR_PORT <<<"${EAS_CLUSTER_PORTS:-18080 18081 18090 18091 15051 12424 15053 15054}"
# Six or seven values (older callers): the contacts and calendar ports follow the mail one
# (OS-chosen when it is).
if [ -z "${CONTACTS_PORT:-}" ]; then
    if [ "$GRPC_PORT" = 0 ]; then CONTACTS_PORT=0; else CONTACTS_PORT=15053; fi
fi
if [ -z "${CALENDAR_PORT:-}" ]; then
    if [ "$GRPC_PORT" = 0 ]; then CALENDAR_PORT=0; else CALENDAR_PORT=15054; fi
fi
PROFILE="${EAS_CLUSTER_PROFILE:-debug}"
KAFKA="${EAS_CLUSTER_KAFKA:-127.0.0.1:${EAS_KAFKA_PORT:-9092}}"
REDIS_URL="${EAS_CLUSTER_REDIS_URL:-redis://127.0.0.1:6379}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET/$PROFILE"

log() { printf 'cluster: %s\n' "$*" >&2; }

build() {
    local flags=()
    [ "$PROFILE" = release ] && flags+=(--release)
    log "building eas-mail, eas-contacts, eas-calendar, eas-push, eas-edge ($PROFILE)"
    (cd "$ROOT" && cargo build --quiet "${flags[@]}" -p eas-mail -p eas-contacts -p eas-calendar \
        -p eas-push -p eas-edge \
        --features eas-mail/kafka,eas-contacts/kafka,eas-calendar/kafka,eas-push/kafka)
}

database() {
    if ! psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
        log "creating database $DB"
        psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE \"$DB\""
    fi
}

# wait_line FILE PREFIX PID: prints the rest of the first line of FILE starting with PREFIX.
wait_line() {
    local file="$1" prefix="$2" pid="$3"
    for _ in $(seq 1 600); do
        local line
        line="$(grep -m1 "^$prefix" "$file" 2>/dev/null || true)"
        if [ -n "$line" ]; then printf '%s\n' "${line#"$prefix"}"; return 0; fi
        if ! kill -0 "$pid" 2>/dev/null; then
            log "process $pid exited; last lines of $file:"; tail -n 30 "$file" >&2; return 1
        fi
        sleep 0.1
    done
    log "timed out waiting for '$prefix' in $file"; return 1
}

# wait_ready URL PID NAME: waits until URL (a /readyz) answers 200, at most 60 s.
wait_ready() {
    local url="$1" pid="$2" name="$3"
    # Each failed probe is logged by the service: ask four times a second, not more.
    for _ in $(seq 1 240); do
        if curl -fsS -o /dev/null --max-time 3 "$url" 2>/dev/null; then return 0; fi
        if ! kill -0 "$pid" 2>/dev/null; then
            log "$name exited; last lines of $DIR/$name.log:"; tail -n 30 "$DIR/$name.log" >&2; return 1
        fi
        sleep 0.25
    done
    log "$name not ready after 60 s: $(curl -sS --max-time 3 "$url" 2>&1)"; return 1
}

# start_proc NAME ENV... -- CMD...: starts CMD in the background with ENV, logs to NAME.log.
start_proc() {
    local name="$1"; shift
    local envs=()
    while [ "$1" != "--" ]; do envs+=("$1"); shift; done
    shift
    : >"$DIR/$name.log"
    env "${envs[@]}" nohup "$@" >>"$DIR/$name.log" 2>&1 </dev/null &
    echo $! >"$DIR/$name.pid"
}

# start_push: starts the push service; prints its health address once it is ready.
start_push() {
    start_proc push RUST_LOG="${RUST_LOG:-info}" \
        EAS_PUSH_REDIS_URL="$REDIS_URL" EAS_PUSH_REDIS_PREFIX="$PREFIX" EAS_PUSH_KAFKA__BROKERS="$KAFKA" \
        EAS_PUSH_KAFKA__TOPIC="$TOPIC" EAS_PUSH_KAFKA__GROUP_ID="${PREFIX}push" \
        EAS_PUSH_HEALTH_LISTEN="127.0.0.1:0" \
        -- "$BIN/eas-push"
    local health
    health="$(wait_line "$DIR/push.log" "health: " "$(cat "$DIR/push.pid")")"
    wait_line "$DIR/push.log" "push: " "$(cat "$DIR/push.pid")" >/dev/null
    # Ready once it is a member of the consumer group: events published from then on are routed.
    wait_ready "http://$health/readyz" "$(cat "$DIR/push.pid")" push
    printf '%s\n' "$health"
}

# restart_push: SIGTERM to the push service, then a new one in the same consumer group (a
# rolling restart of one replica); cluster.env gets its pid and health address.
restart_push() {
    [ -f "$DIR/cluster.env" ] || { log "not running"; return 1; }
    local old; old="$(cat "$DIR/push.pid")"
    kill -TERM "$old" 2>/dev/null || true
    wait_or_kill "$old"
    cp "$DIR/push.log" "$DIR/push.previous.log"
    local health
    health="$(start_push)"
    sed -i -e "s|^PUSH_PID=.*|PUSH_PID=$(cat "$DIR/push.pid")|" \
        -e "s|^PUSH_HEALTH_URL=.*|PUSH_HEALTH_URL=http://$health|" "$DIR/cluster.env"
    log "push restarted (pid $(cat "$DIR/push.pid"))"
}

# wait_or_kill PID: waits for a process told to stop; SIGKILL after 10 s.
wait_or_kill() {
    local pid="$1"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    log "pid $pid ignored SIGTERM for 10 s; killing"; kill -KILL "$pid"
}

start() {
    if [ -f "$DIR/cluster.env" ] && running; then
        log "already running (deploy/local/cluster.sh stop first)"; status; return 0
    fi
    mkdir -p "$DIR"
    rm -f "$DIR/cluster.env"
    local needed=(postgres)
    [ -z "${EAS_CLUSTER_REDIS_URL:-}" ] && needed+=(redis)
    [ -z "${EAS_CLUSTER_KAFKA:-}" ] && needed+=(kafka)
    "$ROOT/scripts/services.sh" "${needed[@]}"
    build
    database
    local pg="postgres://postgres@127.0.0.1:5432/$DB"
    local token
    token="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    local common=(RUST_LOG="${RUST_LOG:-info}")
    # Contacts first: the mail service sends it the recipients of submitted mail.
    start_proc contacts "${common[@]}" \
        EAS_CONTACTS_GRPC_LISTEN="127.0.0.1:$CONTACTS_PORT" EAS_CONTACTS_DATABASE_URL="$pg" \
        EAS_CONTACTS_KAFKA__BROKERS="$KAFKA" EAS_CONTACTS_KAFKA__TOPIC="$TOPIC" \
        EAS_CONTACTS_HEALTH_LISTEN="127.0.0.1:0" \
        -- "$BIN/eas-contacts"
    local contacts_grpc contacts_health
    contacts_grpc="$(wait_line "$DIR/contacts.log" "grpc: " "$(cat "$DIR/contacts.pid")")"
    contacts_health="$(wait_line "$DIR/contacts.log" "health: " "$(cat "$DIR/contacts.pid")")"
    wait_ready "http://$contacts_health/readyz" "$(cat "$DIR/contacts.pid")" contacts
    start_proc calendar "${common[@]}" \
        EAS_CALENDAR_GRPC_LISTEN="127.0.0.1:$CALENDAR_PORT" EAS_CALENDAR_DATABASE_URL="$pg" \
        EAS_CALENDAR_KAFKA__BROKERS="$KAFKA" EAS_CALENDAR_KAFKA__TOPIC="$TOPIC" \
        EAS_CALENDAR_HEALTH_LISTEN="127.0.0.1:0" \
        -- "$BIN/eas-calendar"
    local calendar_grpc calendar_health
    calendar_grpc="$(wait_line "$DIR/calendar.log" "grpc: " "$(cat "$DIR/calendar.pid")")"
    calendar_health="$(wait_line "$DIR/calendar.log" "health: " "$(cat "$DIR/calendar.pid")")"
    wait_ready "http://$calendar_health/readyz" "$(cat "$DIR/calendar.pid")" calendar
    start_proc mail "${common[@]}" \
        EAS_MAIL_GRPC_LISTEN="127.0.0.1:$GRPC_PORT" EAS_MAIL_LMTP_LISTEN="127.0.0.1:$LMTP_PORT" \
        EAS_MAIL_DATABASE_URL="$pg" EAS_MAIL_DIRECTORY_URL="$pg" \
        EAS_MAIL_KAFKA__BROKERS="$KAFKA" EAS_MAIL_KAFKA__TOPIC="$TOPIC" \
        EAS_MAIL_HEALTH_LISTEN="127.0.0.1:0" EAS_MAIL_CONTACTS_URL="http://$contacts_grpc" \
        -- "$BIN/eas-mail"
    local grpc lmtp mail_health push_health
    grpc="$(wait_line "$DIR/mail.log" "grpc: " "$(cat "$DIR/mail.pid")")"
    lmtp="$(wait_line "$DIR/mail.log" "lmtp: " "$(cat "$DIR/mail.pid")")"
    mail_health="$(wait_line "$DIR/mail.log" "health: " "$(cat "$DIR/mail.pid")")"
    push_health="$(start_push)"
    local edges="${EAS_CLUSTER_EDGES:-2}"
    if ! [ "$edges" -ge 1 ] 2>/dev/null || [ "$edges" -gt 8 ]; then
        log "EAS_CLUSTER_EDGES must be 1 to 8"; return 1
    fi
    local names=(a b c d e f g h)
    local env_file="$DIR/cluster.env.tmp" all_urls="" first_admin=""
    : >"$env_file"
    local i name port admin_port url admin_url
    for ((i = 0; i < edges; i++)); do
        name="${names[$i]}"
        case "$i" in
            0) port="$EDGE_A_PORT"; admin_port="$ADMIN_A_PORT" ;;
            1) port="$EDGE_B_PORT"; admin_port="$ADMIN_B_PORT" ;;
            *) port=$(( EDGE_B_PORT == 0 ? 0 : EDGE_B_PORT + 10 * (i - 1) ))
               admin_port=$(( ADMIN_B_PORT == 0 ? 0 : ADMIN_B_PORT + 10 * (i - 1) )) ;;
        esac
        start_proc "edge-$name" "${common[@]}" \
            EAS_EDGE_LISTEN="127.0.0.1:$port" EAS_EDGE_ADMIN_LISTEN="127.0.0.1:$admin_port" \
            EAS_EDGE_EDGE_ID="edge-$name" EAS_EDGE_DIRECTORY_URL="$pg" \
            EAS_EDGE_REDIS_URL="$REDIS_URL" EAS_EDGE_REDIS_PREFIX="$PREFIX" EAS_EDGE_MAIL_URL="http://$grpc" \
            EAS_EDGE_CONTACTS_URL="http://$contacts_grpc" EAS_EDGE_CALENDAR_URL="http://$calendar_grpc" \
            EAS_EDGE_EDGE__ADMIN_TOKEN="$token" ${EAS_CLUSTER_EDGE_ENV:-} \
            -- "$BIN/eas-edge"
        url="$(wait_line "$DIR/edge-$name.log" "eas endpoint: " "$(cat "$DIR/edge-$name.pid")")"
        admin_url="$(wait_line "$DIR/edge-$name.log" "admin api: " "$(cat "$DIR/edge-$name.pid")")"
        local upper; upper="$(printf '%s' "$name" | tr a-z A-Z)"
        {
            echo "EDGE_${upper}_URL=$url"
            echo "ADMIN_${upper}_URL=$admin_url"
            echo "EDGE_${upper}_PID=$(cat "$DIR/edge-$name.pid")"
        } >>"$env_file"
        all_urls="${all_urls:+$all_urls,}$url"
        [ -n "$first_admin" ] || first_admin="$admin_url"
    done
    cat >>"$env_file" <<ENV
EDGE_URLS=$all_urls
MAIL_GRPC=$grpc
LMTP=$lmtp
CONTACTS_GRPC=$contacts_grpc
CALENDAR_GRPC=$calendar_grpc
ADMIN_TOKEN=$token
KAFKA=$KAFKA
REDIS_URL=$REDIS_URL
MAIL_PID=$(cat "$DIR/mail.pid")
CONTACTS_PID=$(cat "$DIR/contacts.pid")
CALENDAR_PID=$(cat "$DIR/calendar.pid")
PUSH_PID=$(cat "$DIR/push.pid")
MAIL_HEALTH_URL=http://$mail_health
CONTACTS_HEALTH_URL=http://$contacts_health
CALENDAR_HEALTH_URL=http://$calendar_health
PUSH_HEALTH_URL=http://$push_health
ENV
    mv "$env_file" "$DIR/cluster.env"
    if [ "${EAS_CLUSTER_DEMO:-1}" = 1 ]; then demo "$first_admin" "$token"; fi
    log "started; $DIR/cluster.env:"
    cat "$DIR/cluster.env"
}

demo() {
    local admin="${1%/admin}" token="$2"
    local auth=(-H "Authorization: Bearer $token" -H 'Content-Type: application/json')
    curl -fsS "${auth[@]}" "$admin/admin/domains/example.loc" >/dev/null 2>&1 ||
        curl -fsS "${auth[@]}" -d '{"name":"example.loc"}' "$admin/admin/domains" >/dev/null
    local u
    for u in 'jdoe@example.loc|John Doe|demo-jdoe-1' 'asmith@example.loc|Anna Smith|demo-asmith-2'; do
        IFS='|' read -r address name password <<<"$u"
        curl -fsS "${auth[@]}" "$admin/admin/users/$address" >/dev/null 2>&1 ||
            curl -fsS "${auth[@]}" \
                -d "{\"address\":\"$address\",\"display_name\":\"$name\",\"password\":\"$password\"}" \
                "$admin/admin/users" >/dev/null
    done
    log "demo accounts: jdoe@example.loc / demo-jdoe-1, asmith@example.loc / demo-asmith-2"
}

running() {
    local any=1 f
    for f in "$DIR"/*.pid; do
        [ -e "$f" ] || continue
        kill -0 "$(cat "$f")" 2>/dev/null && any=0
    done
    return $any
}

status() {
    local f
    for f in "$DIR"/*.pid; do
        [ -e "$f" ] || continue
        local name pid
        name="$(basename "$f" .pid)"; pid="$(cat "$f")"
        if kill -0 "$pid" 2>/dev/null; then echo "$name: running (pid $pid)"; else echo "$name: stopped"; fi
    done
    [ -f "$DIR/cluster.env" ] && cat "$DIR/cluster.env"
    return 0
}

stop() {
    local f pids=()
    # Edges first, so their held Pings answer before the services behind them go away.
    for f in "$DIR"/edge-*.pid "$DIR/push.pid" "$DIR/calendar.pid" "$DIR/contacts.pid" "$DIR/mail.pid"; do
        [ -e "$f" ] || continue
        local pid; pid="$(cat "$f")"
        if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; pids+=("$pid"); fi
        rm -f "$f"
    done
    for pid in "${pids[@]}"; do wait_or_kill "$pid"; done
    rm -f "$DIR/cluster.env"
    log "stopped"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    restart-push) restart_push ;;
    *) echo "usage: $0 start|stop|status|restart-push" >&2; exit 2 ;;
esac
