#!/usr/bin/env python3
"""What OpenTelemetry tracing costs a request: the Sync round trip of scripts/bench-device-store.py
(a Read flag toggled on one message, so every round stores a new sync key and calls the mail
service) against one eas-server binary with tracing off (no OTEL_* variable) and on (OTLP/gRPC
to a receiver in this process, tests/e2e/otlp.py), alternately, several times each.

Usage: EAS_SERVER_BIN=target/release/eas-server scripts/bench-traces.py [ROUNDS] [REPEATS]
(run with the Python of the test virtualenv: it uses pyactivesync, grpcio and the e2e fixtures).
Prints, per setting, the median and p90 round trip and the server's CPU time per round, each the
median over the repeats, and how many spans the receiver got per round."""
from __future__ import annotations

import importlib.util
import os
import pathlib
import statistics
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "e2e"))
spec = importlib.util.spec_from_file_location("bench_device_store", HERE / "bench-device-store.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)

from otlp import Receiver  # noqa: E402

VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
             "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_BSP_SCHEDULE_DELAY")


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    receiver = Receiver()
    results: dict[str, list[tuple[float, float, float]]] = {"off": [], "on": []}
    spans_per_round = []
    try:
        for _ in range(repeats):
            for label in ("off", "on"):
                for k in VARIABLES:
                    os.environ.pop(k, None)
                if label == "on":
                    os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.grpc_endpoint
                before = len(receiver.spans())
                times, cpu = bench.run("sqlite", rounds, 20)
                results[label].append((statistics.median(times),
                                       statistics.quantiles(times, n=10)[8], cpu))
                if label == "on":
                    # Spans of the set-up requests count too; the rounds are most of them.
                    spans_per_round.append((len(receiver.spans()) - before) / rounds)
    finally:
        for k in VARIABLES:
            os.environ.pop(k, None)
        receiver.stop()
    for label, runs in results.items():
        med, p90, cpu = (1000 * statistics.median(r[i] for r in runs) for i in range(3))
        print(f"{label:3}: round trip median {med:.2f} ms, p90 {p90:.2f} ms, "
              f"server CPU {cpu:.3f} ms per round ({repeats} runs of {rounds})")
    print(f"spans received per round with tracing on: {statistics.median(spans_per_round):.1f}")


if __name__ == "__main__":
    main()
