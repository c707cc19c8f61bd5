//! Fuzz target: the request line (URL query) parser never panics on any string.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let query = String::from_utf8_lossy(data);
    let _ = eas_protocol::query::parse_request_line(&query);
});
