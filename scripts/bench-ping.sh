#!/usr/bin/env bash
# Held-Ping load on the one-process server (docs/benchmarks.md, "Push: held Pings").
#
#   scripts/bench-ping.sh [PINGS...]          default: 10000 19000
#
# For each count: starts a fresh release eas-server (SQLite in a temp dir; minimum heartbeat
# 10 s so that the first Ping of each device can be short), then eas-ping-load in as many
# processes as needed to stay under the file limit (at most MAX_PER_SHARD connections each,
# client sockets spread over source addresses 127.0.0.2, .3, ... PER_SOURCE each), users of
# DEVICES devices each created through the admin API. Shard 0 prints the report and writes it
# as JSON into OUT. Every run stops by itself (eas-ping-load --max-seconds).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/eas-target}"
DEVICES="${DEVICES:-100}"
MAX_PER_SHARD="${MAX_PER_SHARD:-10000}"
PER_SOURCE="${PER_SOURCE:-8000}"
# First Pings end after 30 to 49 s (eas-ping-load spreads them over 20 s): 10,000 second Pings
# arriving in the same instant broke the server's in-process mail channel (docs/benchmarks.md).
FIRST_HEARTBEAT="${FIRST_HEARTBEAT:-30}"
OUT="${OUT:-$(mktemp -d /tmp/eas-bench-ping.XXXXXX)}"
mkdir -p "$OUT"
COUNTS=("$@")
[ ${#COUNTS[@]} -gt 0 ] || COUNTS=(10000 19000)

cargo build --quiet --release -p eas-server -p eas-load
BIN="$CARGO_TARGET_DIR/release/eas-server"
LOAD="$CARGO_TARGET_DIR/release/eas-ping-load"
echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GiB, file limit $(ulimit -n), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "commit: $(git rev-parse --short HEAD); results in $OUT"

SERVER_PID=""
cleanup() { [ -z "$SERVER_PID" ] || kill "$SERVER_PID" 2>/dev/null || true; }
trap cleanup EXIT

for count in "${COUNTS[@]}"; do
    users=$(( (count + DEVICES - 1) / DEVICES ))
    shards=$(( (users * DEVICES + MAX_PER_SHARD - 1) / MAX_PER_SHARD ))
    sources_needed=$(( (users * DEVICES + PER_SOURCE - 1) / PER_SOURCE ))
    sources=$(seq -s, -f '127.0.0.%g' 2 $((sources_needed + 1)))
    data="$(mktemp -d /tmp/eas-bench-ping-data.XXXXXX)"
    EAS_LISTEN=127.0.0.1:0 EAS_ADMIN_LISTEN=127.0.0.1:0 EAS_LMTP_LISTEN=127.0.0.1:0 \
        EAS_DATA_DIR="$data" EAS_LOG=warn EAS_EDGE__PING__MIN_HEARTBEAT_SECONDS=10 \
        "$BIN" >"$data/stdout" 2>"$data/stderr" &
    SERVER_PID=$!
    for _ in $(seq 600); do
        grep -q '^lmtp: ' "$data/stdout" 2>/dev/null && grep -q '^eas endpoint: ' "$data/stdout" && break
        sleep 0.1
    done
    eas="$(sed -n 's/^eas endpoint: //p' "$data/stdout")"
    admin="$(sed -n 's/^admin api: //p' "$data/stdout")"
    lmtp="$(sed -n 's/^lmtp: //p' "$data/stdout")"
    [ -n "$eas" ] && [ -n "$lmtp" ] || { echo "eas-server did not start:"; cat "$data/stderr"; exit 1; }
    echo
    echo "=== $((users * DEVICES)) held pings: $users users x $DEVICES devices, $shards loadgen process(es), sources $sources (server pid $SERVER_PID)"
    coord="$OUT/coord-$count"
    rm -rf "$coord"
    pids=()
    for k in $(seq 0 $((shards - 1))); do
        "$LOAD" "$eas" --lmtp "$lmtp" --admin "$admin" --admin-token-file "$data/admin-token" \
            --create-users --server-pid "$SERVER_PID" --first-heartbeat "$FIRST_HEARTBEAT" --users "$users" --devices "$DEVICES" \
            --sources "$sources" --per-source "$PER_SOURCE" --shard "$k/$shards" --coord "$coord" \
            --report "$OUT/ping-$count.json" >"$OUT/shard-$count-$k.log" 2>&1 &
        pids+=($!)
    done
    status=0
    for p in "${pids[@]}"; do wait "$p" || status=$?; done
    cat "$OUT"/shard-"$count"-*.log
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
    mv "$data/stderr" "$OUT/server-$count.log"
    rm -rf "$data"
    [ "$status" -eq 0 ] || { echo "eas-ping-load failed (exit $status)"; exit "$status"; }
done
