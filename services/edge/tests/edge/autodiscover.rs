//! Autodiscover (POX): the server URL for the user's own address, errors otherwise.

use crate::common;

use common::*;

fn request(email: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\
<Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006\">\
<Request><EMailAddress>{email}</EMailAddress>\
<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006</AcceptableResponseSchema>\
</Request></Autodiscover>"
    )
}

async fn post(s: &TestServer, path: &str, body: String, auth: bool) -> (u16, String) {
    let mut req = s
        .http
        .post(format!("{}{path}", s.base))
        .header("Content-Type", "text/xml")
        .body(body);
    if auth {
        req = req.header("Authorization", s.device("x", "14.1").basic());
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn autodiscover_returns_the_mobilesync_url_for_the_users_address_on_any_path_case() {
    let s = TestServer::start().await;
    for path in [
        "/autodiscover/autodiscover.xml",
        "/Autodiscover/Autodiscover.xml",
        "/AUTODISCOVER/AUTODISCOVER.XML",
    ] {
        let (code, text) = post(&s, path, request(USER), true).await;
        assert_eq!(code, 200, "{path}");
        let ty = text.find("<Type>MobileSync</Type>").expect("type");
        let url = text
            .find(&format!(
                "<Url>{}/Microsoft-Server-ActiveSync</Url>",
                s.base
            ))
            .expect(&text);
        assert!(ty < url, "Type must come before Url (AOSP)");
        assert!(text.contains("<DisplayName>John Doe</DisplayName>"));
    }
}

#[tokio::test]
async fn autodiscover_needs_credentials() {
    let s = TestServer::start().await;
    let (code, _) = post(&s, "/autodiscover/autodiscover.xml", request(USER), false).await;
    assert_eq!(code, 401);
}

#[tokio::test]
async fn autodiscover_for_an_unknown_address_gives_an_error_response() {
    let s = TestServer::start().await;
    let (code, text) = post(
        &s,
        "/autodiscover/autodiscover.xml",
        request("nobody@example.loc"),
        true,
    )
    .await;
    assert_eq!(code, 200);
    assert!(text.contains("<Error>"), "{text}");
    assert!(!text.contains("<Url>"), "{text}");
}

#[tokio::test]
async fn autodiscover_with_a_malformed_body_gives_error_600() {
    let s = TestServer::start().await;
    let (code, text) = post(
        &s,
        "/autodiscover/autodiscover.xml",
        "<not-xml".into(),
        true,
    )
    .await;
    assert_eq!(code, 200);
    assert!(text.contains("<ErrorCode>600</ErrorCode>"), "{text}");
}
