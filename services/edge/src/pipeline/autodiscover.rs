//! Autodiscover (MS-ASCMD 2.2.1.1, POX form): hands a phone the server URL for its address.
//!
//! AOSP posts to `/autodiscover/autodiscover.xml` with Basic authentication and keeps only the
//! host and port of the returned URL (PHONE_FLOWS.md section 1).

use std::net::IpAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use eas_protocol::autodiscover::{
    error_code, render_action_error, render_mobilesync, render_request_error, AutodiscoverRequest,
    MobileSyncSettings,
};

use crate::edge::Edge;
use crate::error::{EdgeError, ErrorContext};
use crate::pipeline::auth::parse_basic;
use crate::pipeline::context::login;
use crate::respond::read_body;

/// Autodiscover requests are small; anything bigger is not one.
const MAX_AUTODISCOVER_BYTES: usize = 64 * 1024;

fn xml(text: String) -> Response {
    let mut r = (StatusCode::OK, text).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/xml; charset=utf-8"),
    );
    r
}

pub async fn handle(edge: &Arc<Edge>, ip: IpAddr, headers: &HeaderMap, body: Body) -> Response {
    let no_ctx = ErrorContext {
        version: None,
        root: None,
        command: "Autodiscover",
    };
    let creds = match headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_basic)
    {
        Some(c) => c,
        None => {
            return EdgeError::Unauthorized {
                realm: edge.config.auth.realm.clone(),
            }
            .into_eas_response(no_ctx)
        }
    };
    let user = match login(edge, ip, headers, &creds).await {
        Ok(u) => u,
        Err(e) => return e.into_eas_response(no_ctx),
    };
    let body = match read_body(headers, body, MAX_AUTODISCOVER_BYTES).await {
        Ok(b) => b,
        Err(e) => return e.into_eas_response(no_ctx),
    };
    let req = match AutodiscoverRequest::parse(&body) {
        Ok(r) => r,
        Err(e) => {
            tracing::info!(user = %user.address, error = %e, "bad autodiscover request");
            return xml(render_request_error(
                error_code::INVALID_REQUEST,
                "Invalid Request",
            ));
        }
    };
    if !req.wants_mobilesync() {
        return xml(render_request_error(
            error_code::SCHEMA_NOT_AVAILABLE,
            "The requested schema version is not supported",
        ));
    }
    let asked = req.email_address.trim().to_lowercase();
    let own = asked == user.address || user.aliases.contains(&asked);
    if !own {
        // Do not tell one user about another's address.
        tracing::info!(user = %user.address, asked = %asked, "autodiscover for another address");
        return xml(render_action_error(
            "en:us",
            &req.email_address,
            2,
            "The email address is not known for this account",
        ));
    }
    xml(render_mobilesync(&MobileSyncSettings {
        culture: "en:us".into(),
        display_name: Some(user.display_name.clone()),
        email_address: user.address.clone(),
        url: edge.config.public_url.clone(),
        name: None,
    }))
}
