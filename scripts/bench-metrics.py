#!/usr/bin/env python3
"""What the Prometheus metrics cost a request: the Sync round trip of scripts/bench-device-store.py
(a Read flag toggled on one message, so every round stores a new sync key) against two
eas-server binaries, one built without the metrics and one with them, alternately, several
times each.

Usage: scripts/bench-metrics.py BEFORE_BIN AFTER_BIN [ROUNDS] [REPEATS]
(run with the Python of the test virtualenv: it uses pyactivesync and the e2e fixtures). Prints,
per binary, the median and p90 round trip and the server's CPU time per round, each the median
over the repeats."""
from __future__ import annotations

import importlib.util
import os
import pathlib
import statistics
import sys

HERE = pathlib.Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("bench_device_store", HERE / "bench-device-store.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def main() -> None:
    before, after = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 300
    repeats = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    results: dict[str, list[tuple[float, float, float]]] = {"before": [], "after": []}
    for _ in range(repeats):
        for label, binary in (("before", before), ("after", after)):
            os.environ["EAS_SERVER_BIN"] = binary
            times, cpu = bench.run("sqlite", rounds, 20)
            results[label].append((statistics.median(times), statistics.quantiles(times, n=10)[8], cpu))
    for label, runs in results.items():
        med, p90, cpu = (1000 * statistics.median(r[i] for r in runs) for i in range(3))
        print(f"{label:6}: round trip median {med:.2f} ms, p90 {p90:.2f} ms, "
              f"server CPU {cpu:.2f} ms per round ({repeats} runs of {rounds})")


if __name__ == "__main__":
    main()
