//! MS-ASHTTP behaviour of the edge: OPTIONS, query forms, authentication, versions, limits.

use crate::common;

use common::*;
use eas_protocol::query::{encode_base64, RequestLine};
use eas_protocol::{Command, ProtocolVersion};
use eas_wbxml::tags::folder_hierarchy as fh;

#[tokio::test]
async fn options_without_query_or_credentials_lists_versions_and_served_commands() {
    let s = TestServer::start().await;
    let r = s.options().await;
    assert_eq!(r.status(), 200);
    let versions = r.headers()["ms-asprotocolversions"].to_str().unwrap();
    assert_eq!(versions, "12.0,12.1,14.0,14.1,16.0,16.1");
    let commands = r.headers()["ms-asprotocolcommands"].to_str().unwrap();
    for c in ["FolderSync", "Provision", "Settings"] {
        assert!(commands.split(',').any(|x| x == c), "{commands}");
    }
    // Nothing is advertised before its handler exists.
    assert!(!commands.split(',').any(|x| x == "Sync"), "{commands}");
    assert!(r.headers().contains_key("ms-server-activesync"));
}

#[tokio::test]
async fn the_endpoint_path_is_matched_without_regard_to_case() {
    let s = TestServer::start().await;
    let r = s
        .http
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/microsoft-server-activesync", s.base),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_request_without_credentials_gets_401_with_a_basic_challenge() {
    let s = TestServer::start().await;
    let r = s
        .http
        .post(format!(
            "{}/Microsoft-Server-ActiveSync?Cmd=FolderSync&User=jdoe&DeviceId=a1&DeviceType=Android",
            s.base
        ))
        .header("MS-ASProtocolVersion", "14.1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let challenge = r.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.starts_with("Basic realm="), "{challenge}");
}

#[tokio::test]
async fn every_login_form_authenticates_the_same_user() {
    let s = TestServer::start().await;
    for login in [
        "jdoe@example.loc",
        "example.loc\\jdoe",
        "EXAMPLE\\jdoe",
        "jdoe",
        "JDoe@Example.LOC",
    ] {
        let mut d = s.device("forms1", "14.1");
        d.login = login.into();
        let r = d
            .post("Provision", Some(&provision_request(None, None)))
            .await;
        assert_eq!(r.status, 200, "login form {login}");
        assert!(policy_key(&r).is_some(), "login form {login}");
    }
    // Every form landed on one device record of one user.
    let (_, list) = s.admin(reqwest::Method::GET, "/admin/devices", None).await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["user"], USER);
}

/// One login attempt (the first Provision request) as `login`/`password`, forwarded for `from` when given;
/// returns the status and `Retry-After`.
async fn attempt(
    s: &TestServer,
    login: &str,
    password: &str,
    from: Option<&str>,
) -> (u16, Option<u64>) {
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{login}:{password}"));
    let mut req = s
        .http
        .post(format!(
            "{}/Microsoft-Server-ActiveSync?Cmd=Provision&User=jdoe&DeviceId=thr1&DeviceType=Android",
            s.base
        ))
        .header("Authorization", format!("Basic {basic}"))
        .header("MS-ASProtocolVersion", "14.1")
        .header("Content-Type", "application/vnd.ms-sync.wbxml")
        .body(eas_wbxml::encode(&provision_request(None, None)));
    if let Some(from) = from {
        req = req.header("X-Forwarded-For", from);
    }
    let r = req.send().await.unwrap();
    let retry = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    (r.status().as_u16(), retry)
}

fn behind_a_proxy() -> eas_edge::EdgeConfig {
    let mut config = test_config();
    config.auth.trusted_proxies = vec!["127.0.0.1".into()];
    config
}

#[tokio::test]
async fn guesses_in_every_spelling_from_elsewhere_throttle_the_account_but_not_the_owner_at_a_known_address(
) {
    let mut config = behind_a_proxy();
    config.auth.max_failures_per_account = 4;
    let s = TestServer::start_with(config).await;
    let home = Some("198.51.100.1");
    // The owner's phone logs in.
    assert_eq!(attempt(&s, USER, PASSWORD, home).await.0, 200);
    // Four guesses from four addresses, each spelling the account differently.
    for (i, login) in [
        "jdoe",
        " jdoe@example.loc",
        "x\\jdoe@example.loc",
        "EXAMPLE\\JDoe",
    ]
    .iter()
    .enumerate()
    {
        let from = format!("203.0.113.{i}");
        assert_eq!(
            attempt(&s, login, "guess", Some(&from)).await.0,
            401,
            "{login:?}"
        );
    }
    // The account's limit is reached whatever the spelling: 503 with Retry-After, not 401,
    // and no password is checked, not even the right one from an unknown address.
    let (status, retry) = attempt(&s, "Example.loc\\jdoe", "guess", Some("203.0.113.50")).await;
    assert_eq!(status, 503);
    assert!(retry.is_some_and(|r| r >= 1), "{retry:?}");
    assert_eq!(
        attempt(&s, USER, PASSWORD, Some("203.0.113.51")).await.0,
        503
    );
    // The owner's known address still logs in, from the cache and through argon2 (a spelling
    // the cache has not seen).
    assert_eq!(attempt(&s, USER, PASSWORD, home).await.0, 200);
    assert_eq!(attempt(&s, "EXAMPLE\\jdoe", PASSWORD, home).await.0, 200);
}

#[tokio::test]
async fn a_malformed_login_name_gets_401_without_any_password_verification() {
    let s = TestServer::start().await;
    for login in [
        "jd oe@example.loc",
        "a\\b\\jdoe",
        "\\jdoe",
        "jdoe@",
        "x y\\jdoe",
    ] {
        assert_eq!(attempt(&s, login, "guess", None).await.0, 401, "{login:?}");
    }
    assert_eq!(s.edge.password_verifications(), 0);
    assert_eq!(
        attempt(&s, "nobody@example.loc", "guess", None).await.0,
        401
    );
    assert_eq!(s.edge.password_verifications(), 1);
}

#[tokio::test]
async fn parallel_bad_logins_from_one_address_are_counted_before_any_password_is_checked() {
    let mut config = test_config();
    config.auth.max_failures_per_ip = 10;
    config.auth.max_failures_per_account_and_ip = 100;
    config.auth.max_failures_per_account = 100;
    let s = TestServer::start_with(config).await;
    let s = &s;
    let statuses = futures::future::join_all((0..100).map(|i| async move {
        attempt(s, &format!("user{i}@example.loc"), "guess", None)
            .await
            .0
    }))
    .await;
    let unauthorized = statuses.iter().filter(|st| **st == 401).count();
    let throttled = statuses.iter().filter(|st| **st == 503).count();
    assert_eq!((unauthorized, throttled), (10, 90));
    assert_eq!(s.edge.password_verifications(), 10);
}

#[tokio::test]
async fn x_forwarded_for_counts_only_from_a_trusted_proxy() {
    let mut config = test_config();
    config.auth.max_failures_per_account_and_ip = 2;
    let s = TestServer::start_with(config).await;
    for from in ["203.0.113.1", "203.0.113.2"] {
        assert_eq!(attempt(&s, USER, "guess", Some(from)).await.0, 401);
    }
    // Untrusted peer: the header is ignored and both guesses came from 127.0.0.1.
    assert_eq!(attempt(&s, USER, "guess", Some("203.0.113.3")).await.0, 503);

    let mut config = behind_a_proxy();
    config.auth.max_failures_per_account_and_ip = 2;
    let s = TestServer::start_with(config).await;
    for _ in 0..2 {
        assert_eq!(attempt(&s, USER, "guess", Some("203.0.113.1")).await.0, 401);
    }
    assert_eq!(attempt(&s, USER, "guess", Some("203.0.113.1")).await.0, 503);
    // A forged left-most entry does not help: the proxy appended the real client.
    assert_eq!(
        attempt(&s, USER, "guess", Some("198.51.100.9, 203.0.113.1"))
            .await
            .0,
        503
    );
    assert_eq!(attempt(&s, USER, "guess", Some("203.0.113.2")).await.0, 401);
}

#[tokio::test]
async fn a_disabled_account_cannot_sync() {
    let s = TestServer::start().await;
    let (st, _) = s
        .admin(
            reqwest::Method::PATCH,
            &format!("/admin/users/{USER}"),
            Some(serde_json::json!({ "disabled": true })),
        )
        .await;
    assert_eq!(st, 200);
    let d = s.device("dis1", "12.1");
    let r = d
        .post("Provision", Some(&provision_request(None, None)))
        .await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn the_base64_query_form_is_served_with_its_policy_key_and_version() {
    let s = TestServer::start().await;
    let mut d = s.device("b64dev", "14.1");
    let key: u32 = d.provision().await.parse().unwrap();
    let mut line = RequestLine::new(Command::FolderSync, "b64dev", "Android");
    line.protocol_version = Some(ProtocolVersion::V14_1);
    line.policy_key = Some(key);
    line.locale = Some(0x0409);
    let q = encode_base64(&line).unwrap();
    let body = eas_wbxml::Element::new(fh::FOLDER_SYNC).with_text(fh::SYNC_KEY, "0");
    let r = s
        .http
        .post(format!("{}/Microsoft-Server-ActiveSync?{q}", s.base))
        .header("Authorization", d.basic())
        .header("Content-Type", "application/vnd.ms-sync.wbxml")
        .body(eas_wbxml::encode(&body))
        .send()
        .await
        .unwrap();
    let r = read_reply(r).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(&[fh::STATUS]).as_deref(), Some("1"));
    assert_xsd_valid("FolderSync", &r);
}

#[tokio::test]
async fn malformed_query_strings_get_400() {
    let s = TestServer::start().await;
    let d = s.device("q1", "14.1");
    for q in [
        "Cmd=FolderSync&DeviceType=Android",
        "User=jdoe&DeviceId=x&DeviceType=y",
        "%%%",
    ] {
        let r = s
            .http
            .post(format!("{}/Microsoft-Server-ActiveSync?{q}", s.base))
            .header("Authorization", d.basic())
            .header("MS-ASProtocolVersion", "14.1")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "query {q}");
    }
}

#[tokio::test]
async fn unknown_and_unserved_commands_get_501() {
    let s = TestServer::start().await;
    let mut d = s.device("cmd1", "14.1");
    d.provision().await;
    assert_eq!(d.post("Frobnicate", None).await.status, 501);
    assert_eq!(d.post("Sync", None).await.status, 501);
}

#[tokio::test]
async fn unsupported_or_missing_protocol_versions_get_400() {
    let s = TestServer::start().await;
    for v in ["2.5", "99.0", "abc"] {
        let d = s.device("ver1", v);
        let r = d
            .post("Provision", Some(&provision_request(None, None)))
            .await;
        assert_eq!(r.status, 400, "version {v}");
    }
    let r = s
        .http
        .post(format!(
            "{}/Microsoft-Server-ActiveSync?Cmd=Provision&User=jdoe&DeviceId=v&DeviceType=Android",
            s.base
        ))
        .header("Authorization", s.device("v", "14.1").basic())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn an_oversized_body_gets_413_and_changes_nothing() {
    let mut config = test_config();
    config.max_request_bytes = 1024;
    let s = TestServer::start_with(config).await;
    let d = s.device("big1", "14.1");
    let r = s
        .http
        .post(format!(
            "{}/Microsoft-Server-ActiveSync?Cmd=Provision&User=jdoe&DeviceId=big1&DeviceType=Android",
            s.base
        ))
        .header("Authorization", d.basic())
        .header("MS-ASProtocolVersion", "14.1")
        .body(vec![0u8; 4096])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
}

#[tokio::test]
async fn undecodable_wbxml_gets_status_102_at_14_and_400_before() {
    let s = TestServer::start().await;
    for (v, expect_http) in [("14.1", 200), ("12.1", 400)] {
        let d = s.device("badwbxml", v);
        let url = format!(
            "{}/Microsoft-Server-ActiveSync?Cmd=Provision&User=jdoe&DeviceId=badwbxml&DeviceType=Android",
            s.base
        );
        let r = s
            .http
            .post(url)
            .header("Authorization", d.basic())
            .header("MS-ASProtocolVersion", v)
            .body(vec![0x03, 0x01, 0x6a, 0x00, 0x00, 0x63, 0x45])
            .send()
            .await
            .unwrap();
        let r = read_reply(r).await;
        assert_eq!(r.status, expect_http, "version {v}");
        if expect_http == 200 {
            assert_eq!(
                r.text(&[eas_wbxml::tags::provision::STATUS]).as_deref(),
                Some("102")
            );
        }
    }
}
