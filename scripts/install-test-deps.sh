#!/usr/bin/env bash
# Installs what the project's tests need, when it is missing. Idempotent: a second run changes nothing.
#
#   scripts/install-test-deps.sh            # everything
#   scripts/install-test-deps.sh debian     # one group: debian | python | rust | kafka
#
# Groups (one function each; add new groups as new functions and list them in ALL_GROUPS):
#   debian  Debian packages: libwbxml2-utils (wbxml2xml/xml2wbxml, the reference WBXML codec),
#           libxml2-utils (xmllint), hyperfine (benchmark timing).
#   python  a virtualenv at <repo>/.venv with tests/requirements.txt (pinned).
#   rust    cargo tools used by scripts/ (cargo-fuzz, only when asked: it takes minutes to build).
#   kafka   tansu, a Kafka-compatible broker in one binary, for the Kafka bus tests
#           (cargo install into ~/.cargo/bin; the first build takes many minutes).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${EAS_VENV:-$ROOT/.venv}"
ALL_GROUPS=(debian python kafka)

log() { printf 'install-test-deps: %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

APT_UPDATED=0
apt_install() {
    # apt_install PKG...: installs the packages that are not installed yet.
    local missing=()
    local pkg
    for pkg in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$pkg")
        fi
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    log "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! as_root apt-get install -y -q --no-install-recommends "${missing[@]}"; then
        if [ "$APT_UPDATED" -eq 0 ]; then
            log "package not found; running apt-get update once"
            as_root apt-get update -q
            APT_UPDATED=1
            as_root apt-get install -y -q --no-install-recommends "${missing[@]}"
        else
            return 1
        fi
    fi
}

install_debian() {
    apt_install libwbxml2-utils libxml2-utils hyperfine
    command -v wbxml2xml >/dev/null || { log "wbxml2xml still missing"; return 1; }
}

install_python() {
    local req="$ROOT/tests/requirements.txt"
    local stamp="$VENV/.requirements.sha256"
    local want
    want="$(sha256sum "$req" | cut -d' ' -f1)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$VENV/bin/python" ]; then
        return 0
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        log "creating virtualenv $VENV"
        python3 -m venv "$VENV"
    fi
    log "pip install -r tests/requirements.txt"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
    echo "$want" >"$stamp"
}

install_rust() {
    if ! cargo fuzz --version >/dev/null 2>&1; then
        log "cargo install cargo-fuzz"
        cargo install --locked cargo-fuzz
    fi
}

TANSU_VERSION=0.6.0
install_kafka() {
    local have
    have="$(tansu --version 2>/dev/null || true)"
    case "$have" in *" $TANSU_VERSION"*) return 0 ;; esac
    log "cargo install tansu $TANSU_VERSION (a Kafka-compatible broker; takes a while)"
    cargo install tansu --version "$TANSU_VERSION" --locked --features dynostore
}

main() {
    local groups=("$@")
    [ "${#groups[@]}" -eq 0 ] && groups=("${ALL_GROUPS[@]}")
    local g
    for g in "${groups[@]}"; do
        case "$g" in
        debian) install_debian ;;
        python) install_python ;;
        rust) install_rust ;;
        kafka) install_kafka ;;
        *) log "unknown group '$g' (debian, python, rust, kafka)"; exit 2 ;;
        esac
    done
}

main "$@"
