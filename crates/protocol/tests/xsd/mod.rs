//! Runs `eas-xsd-validate` on a document and fails the test with a useful message.

use std::path::{Path, PathBuf};
use std::process::Command;

const INSTALL_HINT: &str = "run scripts/install-test-deps.sh (it installs libwbxml2-utils and \
                            the python virtualenv with lxml)";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn tool() -> PathBuf {
    match std::env::var_os("EAS_XSD_VALIDATE") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/tools/eas-xsd-validate"
        )),
    }
}

/// The python interpreter that has lxml: the workspace virtualenv if there is one.
fn python() -> PathBuf {
    let venv = workspace_root().join(".venv/bin/python");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

fn check_setup(tool: &Path) {
    assert!(
        tool.exists(),
        "eas-xsd-validate not found at {} (set EAS_XSD_VALIDATE); {INSTALL_HINT}",
        tool.display()
    );
    let wbxml2xml = Command::new("wbxml2xml").arg("--help").output();
    assert!(wbxml2xml.is_ok(), "wbxml2xml is missing; {INSTALL_HINT}");
    let lxml = Command::new(python())
        .args(["-c", "import lxml.etree"])
        .output();
    assert!(
        lxml.is_ok_and(|o| o.status.success()),
        "python lxml is missing for {}; {INSTALL_HINT}",
        python().display()
    );
}

fn validate(kind: &str, command: &str, name: &str, bytes: &[u8]) {
    let tool = tool();
    check_setup(&tool);
    let dir = tempfile::Builder::new()
        .prefix("eas-protocol-xsd-")
        .tempdir()
        .expect("temp dir");
    let file = dir.path().join(format!("{name}.bin"));
    std::fs::write(&file, bytes).expect("write document");
    let out = Command::new(python())
        .arg(&tool)
        .args(["--kind", kind, "--command", command])
        .arg(&file)
        .output()
        .expect("run eas-xsd-validate");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => {}
        Some(2) => panic!("eas-xsd-validate setup error: {stdout}{stderr}; {INSTALL_HINT}"),
        _ => {
            // Keep the document for a look after the test.
            let kept = dir.keep();
            panic!(
                "{command} {kind} {name} is not valid:\n{stdout}{stderr}\ndocument kept in {}",
                kept.display()
            )
        }
    }
}

/// Asserts that `bytes` (WBXML or XML) is a valid response of `command`.
pub fn assert_valid_response(command: &str, name: &str, bytes: &[u8]) {
    validate("response", command, name, bytes);
}

/// Writes a tree as namespaced XML, for tags that libwbxml's tables lack (it cannot decode
/// Provision's AccountOnlyRemoteWipe, token 0x3B). Every element declares its own namespace.
pub fn to_xml(el: &eas_wbxml::Element) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    write_xml(el, &mut out);
    out
}

fn write_xml(el: &eas_wbxml::Element, out: &mut String) {
    let ns = el.tag.namespace().unwrap_or("Unknown");
    let name = el.tag.name().unwrap_or("Unknown");
    let prefix = ns.to_ascii_lowercase();
    out.push_str(&format!("<{prefix}:{name} xmlns:{prefix}=\"{ns}:\">"));
    for child in &el.children {
        match child {
            eas_wbxml::Node::Element(e) => write_xml(e, out),
            eas_wbxml::Node::Text(t) => out.push_str(
                &t.replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;"),
            ),
            eas_wbxml::Node::Opaque(_) => panic!("opaque content has no XML form here"),
        }
    }
    out.push_str(&format!("</{prefix}:{name}>"));
}
