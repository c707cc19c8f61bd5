#!/usr/bin/env bash
# Fuzzes the WBXML decoder, the request line parser and the HTTP/1.1 connection for a bounded
# time, then turns any crash into a regression input.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default: 60 s, all targets)
#
# Targets (fuzz/fuzz_targets/):
#   wbxml_decode  eas_wbxml::decode, plus the encode/decode round trip of what it accepts;
#                 seeded with the corpus (crates/wbxml/tests/corpus/*.xml) encoded to WBXML and
#                 with crates/wbxml/tests/regressions/*.
#   query_parse   eas_protocol::query::parse_request_line on the input as lossy UTF-8; seeded
#                 with a few plain and base64 request lines and crates/protocol/tests/regressions/*.
#   http1_conn    eas_http1::serve_connection over an in-memory pipe: arbitrary client bytes split
#                 at arbitrary points (the first two input bytes seed the splits and pauses), a
#                 service that reads the body; no panic, and the connection ends once the client
#                 stops sending. Seeded with a few requests and crates/http1/tests/regressions/*.
#
# Crash, timeout and out-of-memory inputs found by libFuzzer are copied to the target's regression
# directory (see REGRESSION_DIR below), where the crate's tests replay them; the script then exits 1.
# The machine has a stable toolchain only: cargo-fuzz runs with RUSTC_BOOTSTRAP=1.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECS="${1:-60}"
shift || true
TARGETS=("$@")
[ "${#TARGETS[@]}" -eq 0 ] && TARGETS=(wbxml_decode query_parse http1_conn)
FUZZ_TARGET_DIR="${FUZZ_TARGET_DIR:-$ROOT/fuzz/target}"
declare -A REGRESSION_DIR=(
    [wbxml_decode]="$ROOT/crates/wbxml/tests/regressions"
    [query_parse]="$ROOT/crates/protocol/tests/regressions"
    [http1_conn]="$ROOT/crates/http1/tests/regressions"
)

log() { printf 'fuzz: %s\n' "$*" >&2; }

ensure_cargo_fuzz() {
    cargo fuzz --version >/dev/null 2>&1 || "$ROOT/scripts/install-test-deps.sh" rust
}

seed_wbxml_decode() {
    local dir="$1"
    # The example runs with the caller's CARGO_TARGET_DIR, like the crate's tests.
    (cd "$ROOT" && cargo run -q -p eas-wbxml --example xml2wbxml -- "$dir" crates/wbxml/tests/corpus/*.xml)
}

seed_query_parse() {
    local dir="$1"
    printf 'Cmd=Sync&User=deviceuser&DeviceId=ABCDEF0123456789&DeviceType=SmartPhone' >"$dir/plain-sync"
    printf 'Cmd=SmartReply&User=dom%%5Cuser&DeviceId=d1&DeviceType=iPhone&ItemId=5%%3A1&CollectionId=5&SaveInSent=T' >"$dir/plain-smartreply"
    printf 'Cmd=ItemOperations&User=u&DeviceId=d&DeviceType=t&AttachmentName=5%%3a2%%3a0' >"$dir/plain-attachment"
    # Base64 form (MS-ASHTTP 2.2.1.1.1.1): version 14.1, Sync, locale 0x0409, device id, policy key,
    # device type, then a User parameter.
    printf '\x8d\x00\x09\x04\x10\x01\x23\x45\x67\x89\xab\xcd\xef\x01\x23\x45\x67\x89\xab\xcd\xef\x04\x01\x02\x03\x04\x0aSmartPhone\x07\x04user' \
        | base64 -w0 >"$dir/base64-sync"
    printf 'jQAJBBAAESIzRFVmd4iZqrvM3e7/AAdBbmRyb2lk' >"$dir/base64-short"
}

seed_http1_conn() {
    local dir="$1"
    # Two seed bytes (how the rest is split), then what the client sends.
    printf '\x05\x02GET / HTTP/1.1\r\nHost: a\r\n\r\nHEAD / HTTP/1.1\r\nHost: a\r\n\r\n' >"$dir/get-head"
    printf '\x11\x04POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' >"$dir/post-length"
    printf '\x23\x08POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n4;x=y\r\nWiki\r\n5\r\npedia\r\n0\r\nT: 1\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' >"$dir/post-chunked"
    printf '\x01\x01POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\nabc' >"$dir/post-short"
}

run_target() {
    local target="$1"
    local corpus="$ROOT/fuzz/corpus/$target"
    local artifacts="$ROOT/fuzz/artifacts/$target"
    local regressions="${REGRESSION_DIR[$target]}"
    mkdir -p "$corpus" "$artifacts" "$regressions"
    "seed_$target" "$corpus"
    find "$regressions" -maxdepth 1 -type f ! -name '*.md' -exec cp {} "$corpus/" \;
    log "$target: ${SECS}s, $(ls "$corpus" | wc -l) inputs in the corpus"
    local status=0
    (cd "$ROOT" && RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$FUZZ_TARGET_DIR" \
        cargo fuzz run -O "$target" "$corpus" -- \
        -max_total_time="$SECS" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$artifacts/" -print_final_stats=1) || status=$?
    local found=0 f
    for f in "$artifacts"/crash-* "$artifacts"/timeout-* "$artifacts"/oom-* "$artifacts"/leak-*; do
        [ -e "$f" ] || continue
        cp "$f" "$regressions/$target-$(basename "$f")"
        log "$target: $(basename "$f") copied to ${regressions#"$ROOT"/}"
        found=1
    done
    if [ "$status" -ne 0 ] || [ "$found" -ne 0 ]; then
        log "$target: FAILED (exit $status); add the input above to the regression tests"
        return 1
    fi
    log "$target: no crash"
}

main() {
    ensure_cargo_fuzz
    local failed=0 t
    for t in "${TARGETS[@]}"; do
        [ -n "${REGRESSION_DIR[$t]:-}" ] || { log "unknown target $t"; exit 2; }
        run_target "$t" || failed=1
    done
    exit "$failed"
}

main
