#!/usr/bin/env bash
# Held-Ping load on the loopback cluster (docs/benchmarks.md, "Push through Kafka").
#
#   scripts/bench-cluster-ping.sh PINGS EDGES      e.g. 10000 1, or 100000 6
#
# Starts deploy/local/cluster.sh (release binaries) with EDGES edge replicas, then eas-ping-load
# in as many processes as the file limit needs (MAX_PER_SHARD connections each), spreading the
# devices over every edge and the client sockets over source addresses 127.0.0.2, .3, ...
# (PER_SOURCE each). Users of DEVICES devices are created through edge A's admin API. Memory and
# CPU are read from every edge process. Wake-ups go LMTP → mail → Kafka → push → Redis → edge.
# Every run stops by itself (eas-ping-load --max-seconds); the cluster is stopped at the end.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/eas-target}"
COUNT="${1:?usage: $0 PINGS EDGES}"
EDGES="${2:?usage: $0 PINGS EDGES}"
DEVICES="${DEVICES:-100}"
MAX_PER_SHARD="${MAX_PER_SHARD:-17000}"
PER_SOURCE="${PER_SOURCE:-8000}"
FIRST_HEARTBEAT="${FIRST_HEARTBEAT:-60}"
MAX_SECONDS="${MAX_SECONDS:-2400}"
# Device setups in flight per load-generator process; on two cores fewer is faster overall.
SETUP_CONCURRENCY="${SETUP_CONCURRENCY:-128}"
OUT="${OUT:-$(mktemp -d /tmp/eas-bench-cluster.XXXXXX)}"
mkdir -p "$OUT"
export EAS_CLUSTER_DIR="$OUT/cluster" EAS_CLUSTER_PROFILE=release EAS_CLUSTER_EDGES="$EDGES"
export EAS_CLUSTER_PORTS="0 0 0 0 0 0" EAS_CLUSTER_DB="eas_bench_$$" EAS_CLUSTER_PREFIX="bench$$:"
# BENCH_LOG=trace-wakeups logs each hop of a wake-up (docs/push.md, "Tracing one wake-up").
case "${BENCH_LOG:-}" in
    trace-wakeups) log_filter="warn,eas_event_bus::kafka=debug,eas_push::router=debug,eas_edge::push=debug,eas_edge::ping=debug" ;;
    *) log_filter="${BENCH_LOG:-warn}" ;;
esac
export EAS_CLUSTER_TOPIC="eas.bench.$$" EAS_CLUSTER_DEMO=0 RUST_LOG="$log_filter"
# EDGE_ENV adds settings, e.g. EAS_EDGE_REDIS_TIMEOUT_MS=10000 when the machine is overloaded.
# Devices wait, idle, until the last one is set up, which takes half an hour at 100,000 on two
# cores: keep their connections and logins for longer than that.
export EAS_CLUSTER_EDGE_ENV="EAS_EDGE_EDGE__PING__MIN_HEARTBEAT_SECONDS=10 EAS_EDGE_EDGE__HTTP__IDLE_TIMEOUT_SECONDS=7200 EAS_EDGE_EDGE__AUTH__CACHE_SECONDS=7200 ${EDGE_ENV:-}"

cargo build --quiet --release -p eas-load
LOAD="$CARGO_TARGET_DIR/release/eas-ping-load"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, file limit $(ulimit -n), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "commit: $(git rev-parse --short HEAD); results in $OUT"

cleanup() {
    deploy/local/cluster.sh stop >/dev/null 2>&1 || true
    psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS \"$EAS_CLUSTER_DB\" WITH (FORCE)" >/dev/null 2>&1 || true
    # The run's device state and Ping registry (every key carries the run's prefix).
    redis-cli --scan --pattern "${EAS_CLUSTER_PREFIX}*" | xargs -r -n 1000 redis-cli unlink >/dev/null 2>&1 || true
}
trap cleanup EXIT
deploy/local/cluster.sh start >"$OUT/cluster-start.log" 2>&1 || { cat "$OUT/cluster-start.log"; exit 1; }
# shellcheck disable=SC1091
. "$EAS_CLUSTER_DIR/cluster.env"
printf '%s' "$ADMIN_TOKEN" >"$OUT/admin-token"
curl -fsS -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
    -d '{"name":"example.loc"}' "${ADMIN_A_URL%/admin}/admin/domains" >/dev/null
IFS=, read -r -a urls <<<"$EDGE_URLS"
pid_args=()
for name in A B C D E F G H; do
    var="EDGE_${name}_PID"
    [ -n "${!var:-}" ] && pid_args+=(--server-pid "${!var}")
done

users=$(( (COUNT + DEVICES - 1) / DEVICES ))
shards=$(( (users * DEVICES + MAX_PER_SHARD - 1) / MAX_PER_SHARD ))
sources_needed=$(( (users * DEVICES + PER_SOURCE - 1) / PER_SOURCE ))
sources=$(seq -s, -f '127.0.0.%g' 2 $((sources_needed + 1)))
echo "=== $((users * DEVICES)) held pings over $EDGES edge(s): $users users x $DEVICES devices, $shards loadgen process(es), sources $sources"
coord="$OUT/coord"
pids=()
for k in $(seq 0 $((shards - 1))); do
    "$LOAD" "${urls[@]}" --lmtp "$LMTP" --admin "$ADMIN_A_URL" --admin-token-file "$OUT/admin-token" \
        --create-users "${pid_args[@]}" --first-heartbeat "$FIRST_HEARTBEAT" --users "$users" \
        --devices "$DEVICES" --sources "$sources" --per-source "$PER_SOURCE" --shard "$k/$shards" \
        --coord "$coord" --max-seconds "$MAX_SECONDS" --setup-concurrency "$SETUP_CONCURRENCY" --report "$OUT/ping-$COUNT-$EDGES.json" \
        >"$OUT/shard-$k.log" 2>&1 &
    pids+=($!)
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=$?; done
cat "$OUT"/shard-*.log
[ "$status" -eq 0 ] || { echo "eas-ping-load failed (exit $status); cluster logs in $EAS_CLUSTER_DIR"; cp -r "$EAS_CLUSTER_DIR" "$OUT/cluster-logs"; exit "$status"; }
