#!/usr/bin/env bash
# Times libwbxml's command-line tools on the codec corpus, for comparison with
# `cargo bench -p eas-wbxml --bench codec` (docs/benchmarks.md, "WBXML codec").
#
#   scripts/bench-libwbxml.sh [RUNS]     (default 30 hyperfine runs per measurement)
#
# Method: the corpus (crates/wbxml/tests/corpus/*.xml) is encoded to WBXML by our encoder
# (examples/xml2wbxml.rs). Documents libwbxml cannot read (code page 25, Find, and three newer
# tags) are left out. Two measurements:
#  - bundle: one document holding BUNDLE_COPIES copies of every corpus tree (xml2wbxml --bundle,
#    the same document as criterion's `bundle` group), decoded with `wbxml2xml -l ACTIVESYNC -m 0`
#    and libwbxml's own XML of it encoded with `xml2wbxml -a -n` (its own output, since it spells
#    some tags differently). The run on a trivial 5-byte document (`<Sync/>`) is subtracted to
#    remove process start-up. This is the figure to compare.
#  - per file: each tool once per corpus file in a shell loop, minus the same loop on the trivial
#    document. Start-up (milliseconds) dwarfs the work (microseconds), so this is mostly noise and
#    shown only as a check.
# Times are CPU time (user + system, hyperfine's means), which a busy machine disturbs less than
# wall time.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${1:-30}"
BUNDLE_COPIES=100
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
(cd "$ROOT" && cargo run -q -p eas-wbxml --example xml2wbxml -- --bundle "$BUNDLE_COPIES" "$WORK/bundle.wbxml" \
    $(for f in "$WORK"/wbxml/*.wbxml; do echo "crates/wbxml/tests/corpus/$(basename "$f" .wbxml).xml"; done))
wbxml2xml -l ACTIVESYNC -m 0 -o "$WORK/bundle.xml" "$WORK/bundle.wbxml" >/dev/null 2>&1
BUNDLE_BYTES="$(wc -c <"$WORK/bundle.wbxml")"
BYTES="$(cat "$WORK"/wbxml/*.wbxml | wc -c)"
# The trivial document: header and an empty <Sync/>.
printf '\x03\x01\x6a\x00\x05' >"$WORK/null/t.wbxml"
wbxml2xml -l ACTIVESYNC -m 0 -o "$WORK/null/t.xml" "$WORK/null/t.wbxml" >/dev/null 2>&1

DEC="for f in $WORK/wbxml/*.wbxml; do wbxml2xml -l ACTIVESYNC -m 0 -o $WORK/out.xml \$f >/dev/null 2>&1; done"
DEC0="for f in $WORK/wbxml/*.wbxml; do wbxml2xml -l ACTIVESYNC -m 0 -o $WORK/out.xml $WORK/null/t.wbxml >/dev/null 2>&1; done"
ENC="for f in $WORK/xml/*.xml; do xml2wbxml -a -n -o $WORK/out.wbxml \$f >/dev/null 2>&1; done"
ENC0="for f in $WORK/xml/*.xml; do xml2wbxml -a -n -o $WORK/out.wbxml $WORK/null/t.xml >/dev/null 2>&1; done"

hyperfine -N --style basic --warmup 3 --runs "$RUNS" --export-json "$WORK/h.json" \
    -n bundle-decode "wbxml2xml -l ACTIVESYNC -m 0 -o $WORK/out.xml $WORK/bundle.wbxml" \
    -n bundle-decode-trivial "wbxml2xml -l ACTIVESYNC -m 0 -o $WORK/out.xml $WORK/null/t.wbxml" \
    -n bundle-encode "xml2wbxml -a -n -o $WORK/out.wbxml $WORK/bundle.xml" \
    -n bundle-encode-trivial "xml2wbxml -a -n -o $WORK/out.wbxml $WORK/null/t.xml" \
    -n decode "bash -c '$DEC'" -n decode-trivial "bash -c '$DEC0'" \
    -n encode "bash -c '$ENC'" -n encode-trivial "bash -c '$ENC0'" >&2

python3 - "$WORK/h.json" "$N" "$BYTES" "$BUNDLE_COPIES" "$BUNDLE_BYTES" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
n, nbytes, copies, bbytes = (int(a) for a in sys.argv[2:6])

def cpu(r):
    return r["user"] + r["system"]

def report(label, key, docs, size):
    work = cpu(res[key]) - cpu(res[key + "-trivial"])
    if work <= 0:
        print(f"{label}: no measurable work over start-up ({work*1e3:.2f} ms)")
        return
    print(f"{label}: {cpu(res[key])*1e3:.1f} ms cpu, trivial {cpu(res[key + '-trivial'])*1e3:.1f} ms, "
          f"work {work*1e3:.2f} ms, {work/docs*1e6:.2f} us/document, {size/work/2**20:.2f} MiB/s")

print(f"libwbxml, bundle of {copies} x {n} corpus documents, {bbytes} bytes of WBXML")
report("  wbxml2xml (decode)", "bundle-decode", copies * n, bbytes)
report("  xml2wbxml (encode)", "bundle-encode", copies * n, bbytes)
print(f"libwbxml, one process per file, {n} corpus documents, {nbytes} bytes (start-up dominated)")
report("  wbxml2xml (decode)", "decode", n, nbytes)
report("  xml2wbxml (encode)", "encode", n, nbytes)
PY
