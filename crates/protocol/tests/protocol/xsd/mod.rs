//! Runs the repository's XSD check (`tests/xsd/validate.py`) on a document and fails the test
//! with a useful message.

use std::path::{Path, PathBuf};
use std::process::Command;

const INSTALL_HINT: &str = "run scripts/install-test-deps.sh (it installs libwbxml2-utils and \
                            the python virtualenv with lxml)";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The validator and Microsoft's schemas live in the repository, under `tests/xsd/`.
fn tool() -> PathBuf {
    workspace_root().join("tests/xsd/validate.py")
}

/// The python interpreter that has lxml: `EAS_PYTHON` (scripts/test.sh sets it), else the
/// workspace virtualenv if there is one, else `python3`.
fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("EAS_PYTHON") {
        return PathBuf::from(p);
    }
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
        "the xsd validator is missing at {}",
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
        .expect("run tests/xsd/validate.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => {}
        Some(2) => panic!("the xsd check could not run: {stdout}{stderr}; {INSTALL_HINT}"),
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
