//! Helpers shared by the corpus tests: loading the corpus and finding external tools.

#![allow(dead_code)]

pub mod aliases;

use std::path::{Path, PathBuf};

use eas_wbxml::{from_xml, Element};

/// Every MS-ASCMD command carried in WBXML (Autodiscover is plain XML).
pub const COMMANDS: &[&str] = &[
    "Sync",
    "FolderSync",
    "FolderCreate",
    "FolderUpdate",
    "FolderDelete",
    "GetItemEstimate",
    "MoveItems",
    "Ping",
    "Provision",
    "Search",
    "Settings",
    "SendMail",
    "SmartReply",
    "SmartForward",
    "ItemOperations",
    "MeetingResponse",
    "ResolveRecipients",
    "ValidateCert",
    "Find",
];

/// One corpus document.
pub struct Doc {
    pub name: String,
    pub command: String,
    pub kind: String,
    pub tree: Element,
}

pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn repo_root() -> PathBuf {
    crate_dir().join("../..")
}

/// Reads and parses every `tests/corpus/<Command>.<request|response>.<case>.xml`, sorted by name.
pub fn corpus() -> Vec<Doc> {
    let dir = crate_dir().join("tests/corpus");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/corpus exists")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with(".xml"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let parts: Vec<&str> = name.split('.').collect();
            assert_eq!(
                parts.len(),
                4,
                "{name}: want <Command>.<request|response>.<case>.xml"
            );
            assert!(matches!(parts[1], "request" | "response"), "{name}");
            let text = std::fs::read_to_string(dir.join(&name)).expect("read corpus file");
            let tree = from_xml(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            Doc {
                command: parts[0].to_string(),
                kind: parts[1].to_string(),
                name,
                tree,
            }
        })
        .collect()
}

/// The repository's XSD check of EAS responses, beside Microsoft's schemas in `tests/xsd/`.
pub fn xsd_validator() -> PathBuf {
    repo_root().join("tests/xsd/validate.py")
}

/// The python interpreter that has lxml: `EAS_PYTHON` (scripts/test.sh sets it), else the
/// workspace virtualenv if there is one, else `python3`.
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("EAS_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = repo_root().join(".venv/bin/python");
    if venv.is_file() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

/// A fresh scratch directory under Cargo's per-target temporary directory.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Finds an executable on PATH.
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// Whether a tree uses code page 25 (Find), which libwbxml 0.11 does not know.
pub fn uses_page_25(el: &Element) -> bool {
    el.tag.page() == 25 || el.elements().any(uses_page_25)
}
