//! The corpus of EAS documents: coverage of MS-ASCMD, byte-identical re-encoding, XML round trip
//! and XSD validation of every response.

use crate::common;

use std::process::Command;

use base64::Engine as _;
use common::{corpus, python, scratch, xsd_validator, COMMANDS};
use eas_wbxml::{decode, encode, from_xml, to_xml, Element, Node};

#[test]
fn corpus_covers_every_command() {
    let docs = corpus();
    assert!(docs.len() >= 40, "only {} corpus documents", docs.len());
    for cmd in COMMANDS {
        for kind in ["request", "response"] {
            assert!(
                docs.iter().any(|d| d.command == *cmd && d.kind == kind),
                "no {cmd} {kind} in the corpus"
            );
        }
    }
    for d in &docs {
        assert!(
            COMMANDS.contains(&d.command.as_str()),
            "{}: unknown command",
            d.name
        );
        let root = d.tree.tag.name().unwrap_or_default();
        assert_eq!(root, d.command, "{}: root element", d.name);
    }
}

#[test]
fn corpus_reencodes_byte_identical() {
    for d in corpus() {
        let bytes = encode(&d.tree);
        let back = decode(&bytes).unwrap_or_else(|e| panic!("{}: {e}", d.name));
        assert_eq!(back, d.tree, "{}: decode(encode(x))", d.name);
        assert_eq!(encode(&back), bytes, "{}: re-encoding differs", d.name);
        assert_eq!(
            from_xml(&to_xml(&back)).as_ref(),
            Ok(&back),
            "{}: xml",
            d.name
        );
    }
}

/// The tree with opaque data written as base64 text, so the XSDs (string types) can check it.
fn opaque_as_text(el: &Element) -> Element {
    let children = el
        .children
        .iter()
        .map(|c| match c {
            Node::Element(e) => Node::Element(opaque_as_text(e)),
            Node::Opaque(b) => Node::Text(base64::engine::general_purpose::STANDARD.encode(b)),
            other => other.clone(),
        })
        .collect();
    Element {
        tag: el.tag,
        children,
    }
}

#[test]
fn responses_validate_against_the_xsds() {
    let tool = xsd_validator();
    assert!(
        tool.is_file(),
        "the xsd validator is missing at {}",
        tool.display()
    );
    let python = python();
    let dir = scratch("xsd");
    let docs = corpus();
    for cmd in COMMANDS {
        let files: Vec<_> = docs
            .iter()
            .filter(|d| d.command == *cmd && d.kind == "response")
            .map(|d| {
                let path = dir.join(&d.name);
                std::fs::write(&path, to_xml(&opaque_as_text(&d.tree))).expect("write");
                path
            })
            .collect();
        let out = Command::new(&python)
            .arg(&tool)
            .args(["--kind", "response", "--command", cmd])
            .args(&files)
            .output()
            .expect(
                "run tests/xsd/validate.py (python3 with lxml; see scripts/install-test-deps.sh)",
            );
        assert!(
            out.status.success(),
            "{cmd} responses do not validate:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
