//! The admin API: token, users, domains, aliases, and what account changes do to logins.

use crate::common;

use common::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn the_admin_api_refuses_requests_without_the_token() {
    let s = TestServer::start().await;
    let r = s
        .http
        .get(format!("{}/admin/users", s.admin))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = s
        .http
        .get(format!("{}/admin/users", s.admin))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn the_bearer_scheme_is_accepted_in_any_letter_case() {
    let s = TestServer::start().await;
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let r = s
            .http
            .get(format!("{}/admin/users", s.admin))
            .header("authorization", format!("{scheme} {ADMIN_TOKEN}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{scheme}");
    }
    // Another scheme with the right token, or the token alone, is still refused.
    for value in [format!("Basic {ADMIN_TOKEN}"), ADMIN_TOKEN.to_owned()] {
        let r = s
            .http
            .get(format!("{}/admin/users", s.admin))
            .header("authorization", value)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
}

#[tokio::test]
async fn users_are_created_listed_renamed_and_deleted() {
    let s = TestServer::start().await;
    let (code, u) = s
        .admin(Method::POST, "/admin/users", Some(json!({"address": "Anna@Example.loc", "display_name": "Anna", "password": "pw-anna-1"})))
        .await;
    assert_eq!(code, 201);
    assert_eq!(u["address"], "anna@example.loc");
    assert!(u.get("password").is_none() && u.get("password_hash").is_none());
    let (code, _) = s
        .admin(
            Method::POST,
            "/admin/users",
            Some(json!({"address": "anna@example.loc", "display_name": "Anna", "password": "x"})),
        )
        .await;
    assert_eq!(code, 409);
    let (code, _) = s
        .admin(
            Method::POST,
            "/admin/users",
            Some(json!({"address": "bob@nowhere.test", "display_name": "Bob", "password": "x"})),
        )
        .await;
    assert_eq!(code, 404);
    let (_, list) = s
        .admin(Method::GET, "/admin/users?domain=example.loc", None)
        .await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    let (code, u) = s
        .admin(
            Method::PATCH,
            "/admin/users/anna@example.loc",
            Some(json!({"display_name": "Anna Smith"})),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(u["display_name"], "Anna Smith");
    let (code, _) = s
        .admin(Method::DELETE, "/admin/users/anna@example.loc", None)
        .await;
    assert_eq!(code, 204);
    let (code, _) = s
        .admin(Method::GET, "/admin/users/anna@example.loc", None)
        .await;
    assert_eq!(code, 404);
}

#[tokio::test]
async fn a_password_change_takes_effect_at_once_despite_the_login_cache() {
    let s = TestServer::start().await;
    let d = s.device("pw1", "14.1");
    assert_eq!(
        d.post("Provision", Some(&provision_request(None, None)))
            .await
            .status,
        200
    );
    let (code, _) = s
        .admin(
            Method::PATCH,
            &format!("/admin/users/{USER}"),
            Some(json!({"password": "new-password-2"})),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(
        d.post("Provision", Some(&provision_request(None, None)))
            .await
            .status,
        401
    );
    let mut d2 = s.device("pw1", "14.1");
    d2.password = "new-password-2".into();
    assert_eq!(
        d2.post("Provision", Some(&provision_request(None, None)))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn an_alias_logs_in_to_its_user() {
    let s = TestServer::start().await;
    let (code, u) = s
        .admin(
            Method::POST,
            &format!("/admin/users/{USER}/aliases"),
            Some(json!({"alias": "john@example.loc"})),
        )
        .await;
    assert_eq!(code, 201);
    assert_eq!(u["aliases"][0], "john@example.loc");
    let mut d = s.device("alias1", "14.1");
    d.login = "john@example.loc".into();
    assert_eq!(
        d.post("Provision", Some(&provision_request(None, None)))
            .await
            .status,
        200
    );
    let (_, devs) = s
        .admin(Method::GET, &format!("/admin/devices?user={USER}"), None)
        .await;
    assert_eq!(devs.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_domain_with_users_cannot_be_deleted() {
    let s = TestServer::start().await;
    let (code, _) = s
        .admin(Method::DELETE, "/admin/domains/example.loc", None)
        .await;
    assert_eq!(code, 409);
    let (code, d) = s
        .admin(
            Method::POST,
            "/admin/domains",
            Some(json!({"name": "Other.test"})),
        )
        .await;
    assert_eq!(code, 201);
    assert_eq!(d["name"], "other.test");
    let (code, _) = s
        .admin(Method::DELETE, "/admin/domains/other.test", None)
        .await;
    assert_eq!(code, 204);
}

#[tokio::test]
async fn removing_a_device_makes_it_provision_again() {
    let s = TestServer::start().await;
    let mut d = s.device("rm1", "14.1");
    d.provision().await;
    let (code, _) = s
        .admin(Method::DELETE, &format!("/admin/devices/{USER}/rm1"), None)
        .await;
    assert_eq!(code, 204);
    let r = d.folder_sync("0").await;
    assert_eq!(
        r.text(&[eas_wbxml::tags::folder_hierarchy::STATUS])
            .as_deref(),
        Some("142")
    );
}

#[tokio::test]
async fn gal_fields_are_set_patched_and_read_with_clear_errors() {
    let s = TestServer::start().await;
    let path = format!("/admin/users/{USER}/directory");
    let (code, fields) = s
        .admin(
            Method::PUT,
            &path,
            Some(
                json!({"title": "CFO", "company": "Example Ltd", "office": "B 2.14",
                        "phone": "+1 555 0100", "mobile_phone": "+1 555 0102"}),
            ),
        )
        .await;
    assert_eq!(code, 200, "{fields}");
    assert_eq!(fields["title"], "CFO");
    // PATCH changes what it names; null clears.
    let (code, fields) = s
        .admin(
            Method::PATCH,
            &path,
            Some(json!({"office": null, "home_phone": "+1 555 0101", "first_name": "Johnny"})),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(fields["office"], serde_json::Value::Null);
    assert_eq!(fields["company"], "Example Ltd");
    assert_eq!(fields["home_phone"], "+1 555 0101");
    let (code, got) = s.admin(Method::GET, &path, None).await;
    assert_eq!((code, &got), (200, &fields));
    let (_, user) = s
        .admin(Method::GET, &format!("/admin/users/{USER}"), None)
        .await;
    assert_eq!(user["gal"], fields);
    // PUT replaces everything.
    let (_, fields) = s
        .admin(Method::PUT, &path, Some(json!({"title": "CEO"})))
        .await;
    assert_eq!(fields["company"], serde_json::Value::Null);
    assert_eq!(fields["title"], "CEO");
    // 400 for an unknown field, a too long value or a wrong type; 404 for an unknown user.
    for bad in [
        json!({"titel": "x"}),
        json!({"title": "x".repeat(300)}),
        json!({"phone": 5550100}),
    ] {
        let (code, err) = s.admin(Method::PATCH, &path, Some(bad.clone())).await;
        assert_eq!(code, 400, "{bad} {err}");
        assert!(err["error"].is_string());
    }
    let (code, err) = s
        .admin(
            Method::PUT,
            "/admin/users/nobody@example.loc/directory",
            Some(json!({})),
        )
        .await;
    assert_eq!(code, 404, "{err}");
}

/// `len` bytes that start like a JPEG.
fn jpeg(len: usize) -> Vec<u8> {
    let mut data = vec![0xFF, 0xD8, 0xFF, 0xE0];
    data.resize(len, 0x42);
    data
}

async fn put_photo(
    s: &TestServer,
    user: &str,
    content_type: &str,
    data: Vec<u8>,
) -> (u16, serde_json::Value) {
    let r = s
        .http
        .put(format!("{}/admin/users/{user}/photo", s.admin))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", content_type)
        .body(data)
        .send()
        .await
        .unwrap();
    let code = r.status().as_u16();
    (code, r.json().await.unwrap_or(serde_json::Value::Null))
}

#[tokio::test]
async fn a_photo_is_uploaded_read_and_removed_and_bad_ones_are_refused() {
    let s = TestServer::start().await;
    let photo = jpeg(5000);
    let (code, info) = put_photo(&s, USER, "image/jpeg", photo.clone()).await;
    assert_eq!(code, 200, "{info}");
    assert_eq!(info, json!({"content_type": "image/jpeg", "size": 5000}));
    let (_, user) = s
        .admin(Method::GET, &format!("/admin/users/{USER}"), None)
        .await;
    assert_eq!(user["photo"], info);
    let r = s
        .http
        .get(format!("{}/admin/users/{USER}/photo", s.admin))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    assert_eq!(r.bytes().await.unwrap().to_vec(), photo);
    // The type comes from the bytes: octet-stream is fine.
    let (code, _) = put_photo(&s, USER, "application/octet-stream", jpeg(100)).await;
    assert_eq!(code, 200);
    // 413 over 100 KB, 415 for another media type or bytes that are no JPEG or PNG, 404 for
    // an unknown user.
    let (code, err) = put_photo(&s, USER, "image/jpeg", jpeg(102_401)).await;
    assert_eq!(code, 413, "{err}");
    let (code, err) = put_photo(&s, USER, "text/plain", jpeg(100)).await;
    assert_eq!(code, 415, "{err}");
    let (code, err) = put_photo(&s, USER, "image/png", b"GIF89a not a png".to_vec()).await;
    assert_eq!(code, 415, "{err}");
    let (code, err) = put_photo(&s, "nobody@example.loc", "image/jpeg", jpeg(100)).await;
    assert_eq!(code, 404, "{err}");
    // What failed left the photo as it was.
    let (_, user) = s
        .admin(Method::GET, &format!("/admin/users/{USER}"), None)
        .await;
    assert_eq!(user["photo"]["size"], 100);
    let path = format!("/admin/users/{USER}/photo");
    let (code, _) = s.admin(Method::DELETE, &path, None).await;
    assert_eq!(code, 204);
    let (code, _) = s.admin(Method::GET, &path, None).await;
    assert_eq!(code, 404);
    let (_, user) = s
        .admin(Method::GET, &format!("/admin/users/{USER}"), None)
        .await;
    assert_eq!(user["photo"], serde_json::Value::Null);
}
