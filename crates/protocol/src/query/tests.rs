//! Tests of both query forms, including property tests of the encoders against the parser.

use proptest::prelude::*;

use super::*;
use crate::command::{Command, ALL};

#[test]
fn a_plain_query_gives_command_user_device_and_type() {
    let line = parse_request_line("Cmd=Sync&User=jdoe&DeviceId=androidc123&DeviceType=Android")
        .expect("valid");
    assert_eq!(line.form, QueryForm::Plain);
    assert_eq!(line.command, Command::Sync);
    assert_eq!(line.user.as_deref(), Some("jdoe"));
    assert_eq!(line.device_id, "androidc123");
    assert_eq!(line.device_type, "Android");
    assert_eq!(line.params, Params::default());
    assert_eq!(line.protocol_version, None);
    assert_eq!(line.policy_key, None);
}

#[test]
fn plain_parameter_names_match_without_regard_to_case() {
    let line = parse_request_line("cmd=ping&user=a&deviceid=X1&DEVICETYPE=iPhone").expect("valid");
    assert_eq!(line.command, Command::Ping);
    assert_eq!(line.device_type, "iPhone");
}

#[test]
fn plain_values_are_percent_decoded() {
    let line = parse_request_line(
        "Cmd=SmartReply&User=DOMAIN%5Cjdoe%40example.com&DeviceId=d1&DeviceType=SP&ItemId=5%3A12&CollectionId=5&SaveInSent=T&LongId=RgAAAA%2Bx",
    )
    .expect("valid");
    assert_eq!(line.user.as_deref(), Some("DOMAIN\\jdoe@example.com"));
    assert_eq!(line.params.item_id.as_deref(), Some("5:12"));
    assert_eq!(line.params.collection_id.as_deref(), Some("5"));
    assert_eq!(line.params.long_id.as_deref(), Some("RgAAAA+x"));
    assert!(line.params.save_in_sent);
}

#[test]
fn every_plain_command_parameter_is_read() {
    let line = parse_request_line(
        "Cmd=GetAttachment&DeviceId=d&DeviceType=t&AttachmentName=a%2Fb&Occurrence=2024-01-01&ParentId=p&AcceptMultiPart=T",
    )
    .expect("valid");
    assert_eq!(line.params.attachment_name.as_deref(), Some("a/b"));
    assert_eq!(line.params.occurrence.as_deref(), Some("2024-01-01"));
    assert_eq!(line.params.parent_id.as_deref(), Some("p"));
    assert!(line.params.accept_multipart);
    assert!(!line.params.save_in_sent);
    assert_eq!(line.user, None);
}

#[test]
fn an_unknown_plain_command_is_a_variant() {
    let line = parse_request_line("Cmd=Teleport&DeviceId=d&DeviceType=t").expect("valid");
    assert_eq!(line.command, Command::Unknown("Teleport".into()));
}

#[test]
fn a_missing_cmd_is_its_own_error() {
    assert_eq!(
        parse_request_line("User=a&DeviceId=d&DeviceType=t"),
        Err(QueryError::MissingCommand)
    );
    assert_eq!(
        parse_request_line("Cmd=&DeviceId=d&DeviceType=t"),
        Err(QueryError::MissingCommand)
    );
}

#[test]
fn a_missing_device_id_is_its_own_error() {
    assert_eq!(
        parse_request_line("Cmd=Sync&User=a&DeviceType=t"),
        Err(QueryError::MissingDeviceId)
    );
    assert_eq!(
        parse_request_line("Cmd=Sync&DeviceId=&DeviceType=t"),
        Err(QueryError::MissingDeviceId)
    );
}

#[test]
fn a_missing_device_type_is_its_own_error() {
    assert_eq!(
        parse_request_line("Cmd=Sync&DeviceId=d"),
        Err(QueryError::MissingDeviceType)
    );
}

#[test]
fn a_device_id_with_commas_or_too_many_characters_is_refused() {
    assert!(matches!(
        parse_request_line("Cmd=Sync&DeviceId=a,b&DeviceType=t"),
        Err(QueryError::InvalidDeviceId(_))
    ));
    let long = "a".repeat(MAX_DEVICE_ID_LEN + 1);
    assert!(matches!(
        parse_request_line(&format!("Cmd=Sync&DeviceId={long}&DeviceType=t")),
        Err(QueryError::InvalidDeviceId(_))
    ));
}

#[test]
fn an_empty_or_oversized_query_is_refused() {
    assert_eq!(parse_request_line(""), Err(QueryError::Empty));
    assert_eq!(
        parse_request_line(&"a".repeat(MAX_QUERY_LEN + 1)),
        Err(QueryError::TooLong)
    );
}

#[test]
fn the_spec_example_base64_query_decodes() {
    // MS-ASHTTP 2.2.1.1.1: this is equivalent to Cmd=Sync&DeviceId=v140Device&DeviceType=SmartPhone.
    let line = parse_request_line("jAAJBAp2MTQwRGV2aWNlAApTbWFydFBob25l").expect("valid");
    assert_eq!(line.form, QueryForm::Base64);
    assert_eq!(line.command, Command::Sync);
    assert_eq!(line.protocol_version, Some(ProtocolVersion::V14_0));
    assert_eq!(line.locale, Some(0x0409));
    assert_eq!(line.device_id, "v140Device");
    assert_eq!(line.policy_key, None);
    assert_eq!(line.device_type, "SmartPhone");
    assert_eq!(line.user, None);
}

#[test]
fn a_base64_query_with_policy_key_user_and_options_decodes() {
    let mut line = RequestLine::new(Command::SendMail, "dev1", "WP8");
    line.form = QueryForm::Base64;
    line.user = Some("jdoe".into());
    line.protocol_version = Some(ProtocolVersion::V14_1);
    line.locale = Some(0x0407);
    line.policy_key = Some(3_000_000_001);
    line.params.save_in_sent = true;
    let q = encode_base64(&line).expect("encodable");
    assert_eq!(parse_request_line(&q), Ok(line));
}

#[test]
fn a_percent_encoded_base64_query_decodes() {
    let mut line = RequestLine::new(Command::Ping, "dev1", "WP8");
    line.form = QueryForm::Base64;
    line.protocol_version = Some(ProtocolVersion::V14_1);
    line.locale = Some(0x0409);
    line.policy_key = Some(u32::MAX);
    let q = encode_base64(&line).expect("encodable");
    let escaped = q
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D");
    assert_eq!(parse_request_line(&escaped), Ok(line));
}

#[test]
fn a_binary_guid_device_id_becomes_hex_text() {
    let mut bytes = vec![141, 0, 0x09, 0x04, 16];
    bytes.extend(0u8..16);
    bytes.extend([0, 2, b'W', b'P']);
    let q = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, bytes);
    let line = parse_request_line(&q).expect("valid");
    assert_eq!(line.device_id, "000102030405060708090A0B0C0D0E0F");
}

#[test]
fn truncated_base64_fields_are_named_in_the_error() {
    let engine = base64::engine::general_purpose::STANDARD;
    let cases: [(&[u8], &str); 5] = [
        (&[141], "command code"),
        (&[141, 0, 9], "locale"),
        (&[141, 0, 9, 4, 5, b'a'], "device id"),
        (&[141, 0, 9, 4, 1, b'a', 4, 1, 2], "policy key"),
        (
            &[141, 0, 9, 4, 1, b'a', 0, 1, b't', 8, 3, b'j'],
            "parameter value",
        ),
    ];
    for (bytes, field) in cases {
        let q = base64::Engine::encode(&engine, bytes);
        assert_eq!(
            parse_request_line(&q),
            Err(QueryError::Truncated(field)),
            "{bytes:?}"
        );
    }
}

#[test]
fn bad_base64_version_and_policy_key_length_are_refused() {
    let engine = base64::engine::general_purpose::STANDARD;
    let q = base64::Engine::encode(&engine, [99u8, 0, 9, 4, 1, b'a', 0, 1, b't']);
    assert_eq!(parse_request_line(&q), Err(QueryError::UnknownVersion(99)));
    let q = base64::Engine::encode(&engine, [141u8, 0, 9, 4, 1, b'a', 2, 1, 2, 1, b't']);
    assert_eq!(
        parse_request_line(&q),
        Err(QueryError::BadPolicyKeyLength(2))
    );
    assert_eq!(parse_request_line("!!!"), Err(QueryError::InvalidBase64));
}

#[test]
fn a_zero_length_device_id_in_base64_is_missing() {
    let engine = base64::engine::general_purpose::STANDARD;
    let q = base64::Engine::encode(&engine, [141u8, 0, 9, 4, 0, 0, 1, b't']);
    assert_eq!(parse_request_line(&q), Err(QueryError::MissingDeviceId));
}

#[test]
fn commands_without_a_code_cannot_be_base64_encoded() {
    let mut line = RequestLine::new(Command::Autodiscover, "d", "t");
    line.protocol_version = Some(ProtocolVersion::V14_1);
    assert!(matches!(
        encode_base64(&line),
        Err(EncodeError::NoCommandCode(_))
    ));
    line.command = Command::Sync;
    line.protocol_version = None;
    assert_eq!(encode_base64(&line), Err(EncodeError::NoProtocolVersion));
}

fn coded_command() -> impl Strategy<Value = Command> {
    prop::sample::select(
        ALL.iter()
            .filter(|c| c.code().is_some())
            .cloned()
            .collect::<Vec<_>>(),
    )
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    prop::option::of("[^\u{0}]{1,60}")
}

prop_compose! {
    fn request_line()(
        command in coded_command(),
        user in opt_text(),
        device_id in "[A-Za-z0-9]{1,32}",
        device_type in "[A-Za-z0-9 ._-]{1,40}",
        version in prop::sample::select(crate::version::SUPPORTED.to_vec()),
        locale in any::<u16>(),
        policy_key in any::<Option<u32>>(),
        (attachment_name, collection_id, item_id) in (opt_text(), opt_text(), opt_text()),
        (long_id, parent_id, occurrence) in (opt_text(), opt_text(), opt_text()),
        save_in_sent in any::<bool>(),
        accept_multipart in any::<bool>(),
    ) -> RequestLine {
        RequestLine {
            form: QueryForm::Base64,
            command,
            user,
            device_id,
            device_type,
            params: Params {
                attachment_name, collection_id, item_id, long_id, parent_id, occurrence,
                save_in_sent, accept_multipart,
            },
            protocol_version: Some(version),
            locale: Some(locale),
            policy_key,
        }
    }
}

proptest! {
    #[test]
    fn base64_encoding_then_parsing_gives_the_same_request_line(line in request_line()) {
        let q = encode_base64(&line).expect("encodable");
        prop_assert_eq!(parse_request_line(&q), Ok(line));
    }

    #[test]
    fn plain_encoding_then_parsing_gives_the_same_request_line(line in request_line()) {
        let plain = RequestLine {
            form: QueryForm::Plain, protocol_version: None, locale: None, policy_key: None, ..line
        };
        let q = encode_plain(&plain);
        prop_assert_eq!(parse_request_line(&q), Ok(plain));
    }

    #[test]
    fn parsing_arbitrary_text_never_panics(s in ".{0,300}") {
        let _ = parse_request_line(&s);
    }

    #[test]
    fn parsing_arbitrary_base64_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let q = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &bytes);
        let _ = parse_request_line(&q);
    }
}
