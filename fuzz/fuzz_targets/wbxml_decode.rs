//! Fuzz target: the WBXML decoder never panics, and whatever it accepts re-encodes to a document
//! that decodes to the same tree; the XML form of that tree never panics either.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(tree) = eas_wbxml::decode(data) {
        let bytes = eas_wbxml::encode(&tree);
        assert_eq!(eas_wbxml::decode(&bytes).as_ref(), Ok(&tree));
        let xml = eas_wbxml::to_xml(&tree);
        let _ = eas_wbxml::from_xml(&xml);
    }
});
