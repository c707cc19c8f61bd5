//! Tests of Autodiscover request parsing and response rendering.

use super::*;

const AOSP_REQUEST: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006">
  <Request>
    <EMailAddress>jane@example.com</EMailAddress>
    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006</AcceptableResponseSchema>
  </Request>
</Autodiscover>"#;

#[test]
fn an_aosp_request_gives_the_address_and_the_mobilesync_schema() {
    let req = AutodiscoverRequest::parse(AOSP_REQUEST.as_bytes()).expect("parses");
    assert_eq!(req.email_address, "jane@example.com");
    assert!(req.wants_mobilesync());
}

#[test]
fn prefixes_namespaces_and_whitespace_do_not_matter() {
    let body = "\n  <a:Autodiscover xmlns:a=\"urn:x\"><a:Request>\n<a:EMailAddress>\n  \
                jane@example.com \n</a:EMailAddress></a:Request></a:Autodiscover>  ";
    let req = AutodiscoverRequest::parse(body.as_bytes()).expect("parses");
    assert_eq!(req.email_address, "jane@example.com");
    assert_eq!(req.acceptable_response_schema, None);
    assert!(req.wants_mobilesync());
}

#[test]
fn escaped_text_is_unescaped() {
    let body = "<Autodiscover><Request><EMailAddress>a&amp;b@example.com</EMailAddress>\
                </Request></Autodiscover>";
    let req = AutodiscoverRequest::parse(body.as_bytes()).expect("parses");
    assert_eq!(req.email_address, "a&b@example.com");
}

#[test]
fn another_response_schema_is_not_mobilesync() {
    let body = AOSP_REQUEST.replace("mobilesync/responseschema", "outlook/responseschema");
    let req = AutodiscoverRequest::parse(body.as_bytes()).expect("parses");
    assert!(!req.wants_mobilesync());
}

#[test]
fn bad_requests_are_refused_with_a_reason() {
    let too_big = vec![b' '; MAX_REQUEST_BYTES + 1];
    assert_eq!(
        AutodiscoverRequest::parse(&too_big),
        Err(AutodiscoverError::TooLarge)
    );
    assert!(matches!(
        AutodiscoverRequest::parse(b"<Other><Request/></Other>"),
        Err(AutodiscoverError::WrongRoot(_))
    ));
    assert_eq!(
        AutodiscoverRequest::parse(b"<Autodiscover><Request></Request></Autodiscover>"),
        Err(AutodiscoverError::MissingEmailAddress)
    );
    assert!(matches!(
        AutodiscoverRequest::parse(b"<Autodiscover><Request><EMailAddress>x</Request>"),
        Err(AutodiscoverError::Xml(_))
    ));
    let deep = format!("<Autodiscover>{}", "<a>".repeat(40));
    assert_eq!(
        AutodiscoverRequest::parse(deep.as_bytes()),
        Err(AutodiscoverError::TooDeep)
    );
    assert_eq!(
        AutodiscoverRequest::parse(b""),
        Err(AutodiscoverError::MissingEmailAddress)
    );
}

#[test]
fn an_address_outside_request_is_ignored() {
    let body = b"<Autodiscover><EMailAddress>x@y</EMailAddress></Autodiscover>";
    assert_eq!(
        AutodiscoverRequest::parse(body),
        Err(AutodiscoverError::MissingEmailAddress)
    );
}

fn settings() -> MobileSyncSettings {
    MobileSyncSettings {
        culture: "en:us".into(),
        display_name: Some("Jane <Doe>".into()),
        email_address: "jane@example.com".into(),
        url: "https://mail.example.com/Microsoft-Server-ActiveSync".into(),
        name: None,
    }
}

#[test]
fn the_mobilesync_response_puts_type_before_url_before_name() {
    let xml = render_mobilesync(&settings());
    let t = xml.find("<Type>MobileSync</Type>").expect("type");
    let u = xml.find("<Url>https://mail.example.com/").expect("url");
    let n = xml.find("<Name>https://mail.example.com/").expect("name");
    assert!(t < u && u < n, "{xml}");
    assert!(xml.contains("<DisplayName>Jane &lt;Doe&gt;</DisplayName>"));
    assert!(xml.contains(MOBILESYNC_RESPONSE_SCHEMA));
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"));
}

#[test]
fn the_culture_and_user_come_before_the_action() {
    let xml = render_mobilesync(&settings());
    let c = xml.find("<Culture>").expect("culture");
    let u = xml.find("<User>").expect("user");
    let a = xml.find("<Action>").expect("action");
    assert!(c < u && u < a);
}

#[test]
fn the_action_error_carries_status_and_message() {
    let xml = render_action_error("en:us", "jane@example.com", 2, "protocol error");
    assert!(xml.contains("<Error>"));
    assert!(xml.contains("<Status>2</Status>"));
    assert!(xml.contains("<Message>protocol error</Message>"));
    assert!(!xml.contains("<Settings>"));
}

#[test]
fn the_request_error_uses_the_generic_response_namespace() {
    let xml = render_request_error(error_code::INVALID_REQUEST, "invalid request");
    assert!(xml.contains("<ErrorCode>600</ErrorCode>"));
    assert!(!xml.contains(MOBILESYNC_RESPONSE_SCHEMA));
}

proptest::proptest! {
    #[test]
    fn parsing_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
        let _ = AutodiscoverRequest::parse(&bytes);
    }
}
