//! Every `DecodeError` variant comes from some malformed input, and the header rules of WBXML 1.3.

use eas_wbxml::{decode, decode_with, tags, DecodeError, Element, Limits};

/// The usual EAS header: WBXML 1.3, public id 1, UTF-8, no string table.
const H: [u8; 4] = [0x03, 0x01, 0x6A, 0x00];

fn doc(body: &[u8]) -> Vec<u8> {
    let mut v = H.to_vec();
    v.extend_from_slice(body);
    v
}

#[test]
fn minimal_documents_decode() {
    assert_eq!(
        decode(&doc(&[0x05])),
        Ok(Element::new(tags::air_sync::SYNC))
    );
    let ping = decode(&doc(&[0x00, 0x0D, 0x45, 0x47, 0x03, b'1', 0, 0x01, 0x01])).unwrap();
    assert_eq!(ping.tag, tags::ping::PING);
    assert_eq!(ping.child_text(tags::ping::STATUS).as_deref(), Some("1"));
}

#[test]
fn public_id_zero_reads_a_string_table_index() {
    // publicid 0, index 0, charset utf-8, string table of 2 bytes "a\0".
    let bytes = [0x03, 0x00, 0x00, 0x6A, 0x02, b'a', 0x00, 0x05];
    assert_eq!(decode(&bytes), Ok(Element::new(tags::air_sync::SYNC)));
}

#[test]
fn truncated() {
    assert_eq!(decode(&[]), Err(DecodeError::Truncated(0)));
    assert_eq!(decode(&[0x03, 0x01]), Err(DecodeError::Truncated(2)));
    assert!(matches!(
        decode(&doc(&[0x45])),
        Err(DecodeError::Truncated(_))
    ));
    assert!(matches!(
        decode(&doc(&[0x45, 0x03, b'a'])),
        Err(DecodeError::Truncated(_))
    ));
    assert!(matches!(
        decode(&doc(&[0x45, 0xC3, 0x05, 1])),
        Err(DecodeError::Truncated(_))
    ));
    assert!(matches!(
        decode(&doc(&[0x00])),
        Err(DecodeError::Truncated(_))
    ));
    // String table longer than the document.
    assert!(matches!(
        decode(&[0x03, 0x01, 0x6A, 0x10, 0x05]),
        Err(DecodeError::Truncated(_))
    ));
}

#[test]
fn version_and_charset() {
    assert_eq!(
        decode(&[0x00, 0x01, 0x6A, 0x00, 0x05]),
        Err(DecodeError::Version(0))
    );
    assert_eq!(
        decode(&[0x04, 0x01, 0x6A, 0x00, 0x05]),
        Err(DecodeError::Version(4))
    );
    assert_eq!(
        decode(&[0x03, 0x01, 0x04, 0x00, 0x05]),
        Err(DecodeError::Charset(4))
    );
    // Charset 0 ("unknown") is read as UTF-8.
    assert!(decode(&[0x03, 0x01, 0x00, 0x00, 0x05]).is_ok());
}

#[test]
fn bad_mb_u_int32() {
    // Six continuation bytes, and a five-byte value over u32::MAX.
    let six = [0x03, 0x81, 0x81, 0x81, 0x81, 0x81, 0x01, 0x6A, 0x00, 0x05];
    assert_eq!(decode(&six), Err(DecodeError::BadInteger(1)));
    let big = [
        0x03, 0x01, 0x6A, 0x00, 0x45, 0xC3, 0x9F, 0xFF, 0xFF, 0xFF, 0x7F,
    ];
    assert_eq!(decode(&big), Err(DecodeError::BadInteger(6)));
}

#[test]
fn unknown_page_and_token() {
    assert_eq!(
        decode(&doc(&[0x00, 0x03, 0x05])),
        Err(DecodeError::UnknownPage { page: 3, offset: 4 })
    );
    assert_eq!(
        decode(&doc(&[0x00, 0x1A, 0x05])),
        Err(DecodeError::UnknownPage {
            page: 26,
            offset: 4
        })
    );
    // AirSync 0x11 (Version) is not in the table.
    assert_eq!(
        decode(&doc(&[0x11])),
        Err(DecodeError::UnknownTag {
            page: 0,
            token: 0x11,
            offset: 4
        })
    );
}

#[test]
fn unsupported_global_tokens_and_attributes() {
    for token in [
        0x02, 0x04, 0x40, 0x41, 0x42, 0x43, 0x44, 0x80, 0x81, 0x82, 0x83, 0x84,
    ] {
        assert_eq!(
            decode(&doc(&[0x45, token])),
            Err(DecodeError::UnsupportedToken { token, offset: 5 }),
            "token {token:#x}"
        );
    }
    for token in [0xC0, 0xC1, 0xC2, 0xC4] {
        assert!(matches!(
            decode(&doc(&[0x45, token])),
            Err(DecodeError::UnsupportedToken { .. })
        ));
    }
    assert_eq!(decode(&doc(&[0x85, 0x01])), Err(DecodeError::Attributes(4)));
    assert_eq!(
        decode(&doc(&[0xC5, 0x01, 0x01])),
        Err(DecodeError::Attributes(4))
    );
}

#[test]
fn invalid_utf8() {
    assert_eq!(
        decode(&doc(&[0x45, 0x03, 0xFF, 0xFE, 0x00, 0x01])),
        Err(DecodeError::InvalidUtf8(6))
    );
}

#[test]
fn outside_element_trailing_and_empty() {
    assert!(matches!(
        decode(&doc(&[0x01])),
        Err(DecodeError::OutsideElement { .. })
    ));
    assert!(matches!(
        decode(&doc(&[0x03, b'a', 0x00])),
        Err(DecodeError::OutsideElement { kind: "string", .. })
    ));
    assert!(matches!(
        decode(&doc(&[0xC3, 0x00])),
        Err(DecodeError::OutsideElement {
            kind: "opaque data",
            ..
        })
    ));
    assert_eq!(
        decode(&doc(&[0x05, 0x05])),
        Err(DecodeError::TrailingData(5))
    );
    assert_eq!(
        decode(&doc(&[0x45, 0x01, 0x00])),
        Err(DecodeError::TrailingData(6))
    );
    assert_eq!(decode(&H), Err(DecodeError::Empty));
    assert_eq!(decode(&doc(&[0x00, 0x01])), Err(DecodeError::Empty));
}

#[test]
fn limits() {
    let tight = Limits {
        max_bytes: 8,
        max_depth: 2,
        max_nodes: 3,
    };
    assert_eq!(
        decode_with(&doc(&[0x05; 5]), &tight),
        Err(DecodeError::TooLarge(9))
    );
    // Depth 3 through content elements, and through an empty element at depth 3.
    assert_eq!(
        decode_with(&doc(&[0x45, 0x46, 0x47]), &tight),
        Err(DecodeError::TooDeep(2))
    );
    assert_eq!(
        decode_with(&doc(&[0x45, 0x46, 0x07]), &tight),
        Err(DecodeError::TooDeep(2))
    );
    // Four nodes: root, two children, one string.
    let many = doc(&[0x45, 0x06, 0x47, 0x03, 0x00, 0x01, 0x01]);
    let tight = Limits {
        max_bytes: 64,
        ..tight
    };
    assert_eq!(
        decode_with(&many, &tight),
        Err(DecodeError::TooManyNodes(3))
    );
    let at_limit = doc(&[0x45, 0x06, 0x07, 0x01]);
    assert!(decode_with(&at_limit, &tight).is_ok());
}

#[test]
fn error_messages_are_lowercase() {
    let errors = [
        DecodeError::Truncated(1),
        DecodeError::Version(9),
        DecodeError::Charset(4),
        DecodeError::BadInteger(1),
        DecodeError::UnknownPage { page: 3, offset: 1 },
        DecodeError::UnknownTag {
            page: 0,
            token: 0x11,
            offset: 1,
        },
        DecodeError::UnsupportedToken {
            token: 2,
            offset: 1,
        },
        DecodeError::Attributes(1),
        DecodeError::InvalidUtf8(1),
        DecodeError::OutsideElement {
            kind: "string",
            offset: 1,
        },
        DecodeError::TrailingData(1),
        DecodeError::Empty,
        DecodeError::TooLarge(1),
        DecodeError::TooDeep(1),
        DecodeError::TooManyNodes(1),
    ];
    for e in errors {
        let m = e.to_string();
        assert!(
            m.starts_with(|c: char| c.is_lowercase() || c.is_ascii_digit()),
            "{m}"
        );
    }
}
