#!/usr/bin/env bash
# Times libwbxml's command-line tools on the codec corpus, for comparison with
# `cargo bench -p eas-wbxml --bench codec` (docs/benchmarks.md, "WBXML codec").
#
#   scripts/bench-libwbxml.sh [RUNS]     (default 30 hyperfine runs per measurement)
#
# Method: the corpus (crates/wbxml/tests/corpus/*.xml) is encoded to WBXML by our encoder
# (examples/xml2wbxml.rs); libwbxml decodes each file with `wbxml2xml -l ACTIVESYNC -m 0`, and its
# own XML output is encoded back with `xml2wbxml -a -n` (libwbxml spells some tags differently,
# so its output is the input it understands). Documents libwbxml cannot read (code page 25, Find,
# and three newer tags) are left out. Each tool runs once per file in one shell loop; hyperfine
# times that loop, and the same loop over a trivial document (the 5-byte `<Sync/>`, same number of
# processes) is timed too and subtracted, which removes process start-up and the shell's cost. The
# result is bytes of WBXML per second of libwbxml work, comparable with criterion's throughput.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${1:-30}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

for tool in wbxml2xml xml2wbxml hyperfine; do
    command -v "$tool" >/dev/null || { echo "$tool missing: run scripts/install-test-deps.sh" >&2; exit 2; }
done

(cd "$ROOT" && cargo run -q -p eas-wbxml --example xml2wbxml -- "$WORK/all" crates/wbxml/tests/corpus/*.xml)
mkdir -p "$WORK/wbxml" "$WORK/xml" "$WORK/null"
for f in "$WORK"/all/*.wbxml; do
    name="$(basename "$f" .wbxml)"
    wbxml2xml -l ACTIVESYNC -m 0 -o "$WORK/xml/$name.xml" "$f" >/dev/null 2>&1 || continue
    if grep -q '<unknown' "$WORK/xml/$name.xml"; then
        rm "$WORK/xml/$name.xml"
        continue
    fi
    cp "$f" "$WORK/wbxml/$name.wbxml"
done
N="$(ls "$WORK/wbxml" | wc -l)"
BYTES="$(cat "$WORK"/wbxml/*.wbxml | wc -c)"
# The trivial document: header and an empty <Sync/>.
printf '\x03\x01\x6a\x00\x05' >"$WORK/null/t.wbxml"
wbxml2xml -l ACTIVESYNC -m 0 -o "$WORK/null/t.xml" "$WORK/null/t.wbxml" >/dev/null 2>&1

DEC="for f in $WORK/wbxml/*.wbxml; do wbxml2xml -l ACTIVESYNC -m 0 -o $WORK/out.xml \$f >/dev/null 2>&1; done"
DEC0="for f in $WORK/wbxml/*.wbxml; do wbxml2xml -l ACTIVESYNC -m 0 -o $WORK/out.xml $WORK/null/t.wbxml >/dev/null 2>&1; done"
ENC="for f in $WORK/xml/*.xml; do xml2wbxml -a -n -o $WORK/out.wbxml \$f >/dev/null 2>&1; done"
ENC0="for f in $WORK/xml/*.xml; do xml2wbxml -a -n -o $WORK/out.wbxml $WORK/null/t.xml >/dev/null 2>&1; done"

hyperfine -N --style basic --warmup 3 --runs "$RUNS" --export-json "$WORK/h.json" \
    -n decode "bash -c '$DEC'" -n decode-trivial "bash -c '$DEC0'" \
    -n encode "bash -c '$ENC'" -n encode-trivial "bash -c '$ENC0'" >&2

python3 - "$WORK/h.json" "$N" "$BYTES" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
n, nbytes = int(sys.argv[2]), int(sys.argv[3])
print(f"libwbxml on {n} corpus documents, {nbytes} bytes of WBXML")
for op in ("decode", "encode"):
    full, base = res[op], res[op + "-trivial"]
    work = full["median"] - base["median"]
    spread = (full["stddev"] ** 2 + base["stddev"] ** 2) ** 0.5
    print(f"{op}: loop {full['median']*1e3:.1f} ms, trivial loop {base['median']*1e3:.1f} ms, "
          f"work {work*1e3:.2f} ms +- {spread*1e3:.2f} ms, "
          f"{work/n*1e6:.1f} us/document, {nbytes/work/1e6:.2f} MB/s" if work > 0 else
          f"{op}: no measurable difference over start-up ({work*1e3:.2f} ms)")
PY
