#!/usr/bin/env bash
# Sync and attachment benchmark of the one-process server (docs/benchmarks.md, "Mail: a full
# Sync of a large Inbox" and "Mail: ItemOperations Fetch of a large attachment").
#
#   scripts/bench-mail.sh [eas-sync-bench options...]   e.g. --messages 2000 --attachment-mib 10
#
# Builds eas-server and eas-sync-bench in release, then runs the benchmark: it starts the real
# server twice (fresh data directory each time), delivers the mail over LMTP and syncs as a
# phone at 16.1; see `eas-sync-bench --help`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/eas-target}"
cargo build --quiet --release -p eas-server -p eas-load
echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GiB, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "commit: $(git rev-parse --short HEAD)"
"$CARGO_TARGET_DIR/release/eas-sync-bench" --server-bin "$CARGO_TARGET_DIR/release/eas-server" "$@"
