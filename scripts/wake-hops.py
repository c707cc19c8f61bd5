#!/usr/bin/env python3
"""Per-hop timing of the sample wake-ups of a cluster bench run (docs/push.md, "Tracing one wake-up").

    BENCH_LOG=trace-wakeups OUT=DIR scripts/bench-cluster-ping.sh 10000 1
    scripts/wake-hops.py DIR

For each sample message, in delivery order, prints milliseconds from the LMTP 250 to: the Kafka
acknowledgement of its change event (mail), the event read by the push service, the wake message
published to Redis, the edge waking the Pings, the last woken Ping's device-state check, and the
last device receiving its answer (eas-ping-load). Every process logs on this machine's clock.
"""

import json
import re
import sys
from datetime import datetime
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;]*m")
LINE = re.compile(r"^(\S+Z)\s+DEBUG\s+(\S+?):\s+(.*)$")
FIELD = re.compile(r"(\w+)=(\S+)")
USER_INDEX = re.compile(r"(\d+)@")

# A sample message's hops all happen within this long after its delivery began; later lines
# of the same user belong to the mass change.
WINDOW_NS = 2_000_000_000

HOPS = [
    ("acked", "change event acknowledged"),
    ("consumed", "change event consumed"),
    ("routed", "change event routed"),
    ("woke", "change event woke pings"),
    ("checked", "woken ping checked"),
]


def ns_of(stamp: str) -> int:
    """RFC 3339 with up to nine fraction digits, UTC, to ns since the epoch."""
    whole, _, frac = stamp.rstrip("Z").partition(".")
    base = datetime.fromisoformat(whole + "+00:00")
    return int(base.timestamp()) * 1_000_000_000 + int((frac + "000000000")[:9])


def events(cluster_dir: Path):
    """(ns, message, fields) of every hop line in every process log."""
    for log in sorted(cluster_dir.glob("*.log")):
        with open(log, errors="replace") as f:
            for raw in f:
                m = LINE.match(ANSI.sub("", raw.rstrip("\n")))
                if not m:
                    continue
                stamp, _target, rest = m.groups()
                for _key, text in HOPS:
                    if rest.startswith(text):
                        yield ns_of(stamp), text, dict(FIELD.findall(rest[len(text):]))


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(sys.argv[1])
    delivered = json.loads((out / "coord" / "sample-delivered").read_text())
    sent = {int(u): t for u, t in delivered["sent"].items()}
    accepted = {int(u): t for u, t in delivered["accepted"].items()}
    worst: dict[int, int] = {}
    for shard in sorted((out / "coord").glob("sample.*")):
        for u, d in json.loads(shard.read_text()).get("worst_by_user", {}).items():
            worst[int(u)] = max(worst.get(int(u), d), d)
    # Per user and hop: the times seen within WINDOW_NS of the user's delivery.
    first: dict[int, dict[str, list[int]]] = {u: {} for u in sent}
    for ns, text, fields in events(out / "cluster"):
        m = USER_INDEX.search(fields.get("user", ""))
        if not m or int(m.group(1)) not in sent:
            continue
        u = int(m.group(1))
        if not sent[u] <= ns < sent[u] + WINDOW_NS:
            continue
        first[u].setdefault(text, []).append(ns)
    header = ["user", *[k for k, _ in HOPS], "answered"]
    print(" ".join(f"{h:>9}" for h in header) + "   (ms after the LMTP 250)")
    for u in sorted(sent, key=lambda u: accepted[u]):
        t0 = accepted[u]
        cells = [f"{u:>9}"]
        for _key, text in HOPS:
            times = first[u].get(text)
            if not times:
                cells.append(f"{'-':>9}")
                continue
            # The first sighting of a per-event hop, the last one of the per-device check.
            t = max(times) if text == "woken ping checked" else min(times)
            cells.append(f"{(t - t0) / 1e6:>9.1f}")
        cells.append(f"{worst[u] / 1e6:>9.1f}" if u in worst else f"{'-':>9}")
        print(" ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
