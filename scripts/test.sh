#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs what the tests need (Debian packages,
# a Python virtualenv, the tansu Kafka-protocol broker), makes sure PostgreSQL, Redis and the
# broker are up, then runs formatting and lint checks, every Rust test (unit, property,
# integration, every storage backend, the Kafka bus), the deployment checks (image, Helm chart)
# and the end-to-end suite that drives the real `eas-server` binary and the loopback cluster
# (deploy/local/cluster.sh) with independent EAS clients.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Builds outside the clone survive between CI runs.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/eas-target}"
export EAS_VENV="${EAS_VENV:-$HOME/.cache/eas-venv}"
export EAS_PYTHON="$EAS_VENV/bin/python"

step() { printf '\n=== %s\n' "$*"; }

step "test dependencies"
scripts/install-test-deps.sh
# The XSD check (tests/xsd/validate.py) is a python script; the Rust tests run it with
# $EAS_PYTHON, the virtualenv's python (it needs lxml).
export PATH="$EAS_VENV/bin:$PATH"

step "xsd validator"
# The check every response test relies on, against valid and broken documents first.
"$EAS_PYTHON" -m pytest -q tests/xsd

step "deployment checks"
# The Dockerfile and compose files (hadolint, parsed), the Helm chart (helm lint, rendered value
# sets validated against the Kubernetes schemas, the rendered objects checked) and the values
# docs/deploy.md and helm/README.md name: offline, without Docker or a cluster.
"$EAS_PYTHON" -m pytest -q tests/deploy

step "services"
scripts/services.sh postgres redis kafka
# The Kafka bus tests (crates/event-bus/tests/kafka.rs) use the broker that was just started.
export EAS_TEST_KAFKA="127.0.0.1:${EAS_KAFKA_PORT:-9092}"

step "format and lint"
cargo fmt --all -- --check
# --all-features: the cluster binaries (eas-mail, eas-push) need the `kafka` feature.
cargo clippy --workspace --all-targets --all-features --quiet -- -D warnings

step "rust tests"
cargo test --workspace --all-features

step "end-to-end tests"
# The one-process server, and the cluster binaries that tests/e2e/test_cluster.py starts
# through deploy/local/cluster.sh.
cargo build --quiet -p eas-server
cargo build --quiet -p eas-mail -p eas-push -p eas-edge --features eas-mail/kafka,eas-push/kafka
export EAS_SERVER_BIN="$CARGO_TARGET_DIR/debug/eas-server"
"$EAS_PYTHON" -m pytest -q tests/e2e
