//! Replays every input under `tests/regressions/` (fuzzer crashes and hand-made hostile inputs):
//! decoding must not panic, and what decodes must round-trip.

use eas_wbxml::{decode, encode};

#[test]
fn regression_inputs_do_not_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("tests/regressions exists") {
        let path = entry.expect("dir entry").path();
        if path.extension().is_some_and(|e| e == "md") {
            continue;
        }
        let bytes = std::fs::read(&path).expect("read regression input");
        let result = std::panic::catch_unwind(|| {
            if let Ok(tree) = decode(&bytes) {
                assert_eq!(decode(&encode(&tree)), Ok(tree));
            }
        });
        assert!(result.is_ok(), "{} panics", path.display());
        count += 1;
    }
    assert!(count >= 4, "only {count} regression inputs");
}
