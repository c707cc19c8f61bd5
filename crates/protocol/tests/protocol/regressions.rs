//! Replays every input in `tests/regressions/` (hostile request lines and any crash the fuzzer
//! found, copied there by scripts/fuzz.sh) through the request line parser: none may panic.

use std::fs;
use std::path::Path;

#[test]
fn every_regression_input_parses_or_fails_without_panicking() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let mut count = 0;
    for entry in fs::read_dir(&dir).expect("tests/regressions exists") {
        let path = entry.expect("directory entry").path();
        let bytes = fs::read(&path).expect("readable regression input");
        let text = String::from_utf8_lossy(&bytes);
        let _ = eas_protocol::parse_request_line(&text);
        let _ = eas_protocol::parse_request_line(text.trim());
        count += 1;
    }
    assert!(count >= 4, "expected the seeded inputs, found {count}");
}

#[test]
fn the_spec_example_of_the_base64_form_parses() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let q = fs::read_to_string(dir.join("base64-spec-example")).unwrap();
    let line = eas_protocol::parse_request_line(q.trim()).unwrap();
    assert_eq!(line.device_id, "v140Device");
    assert_eq!(line.device_type, "SmartPhone");
}
