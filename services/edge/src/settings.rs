//! Settings (MS-ASCMD 2.2.1.18): device information and user information.
//!
//! Out of Office and the device recovery password are not served; their requests get the
//! per-setting status 7 ("denied by policy"), the status Exchange gives when a feature is off.

use axum::response::Response;
use eas_protocol::settings::{OofResponse, SettingsRequest, SettingsResponse, UserInformation};
use eas_protocol::status::SettingsStatus;
use eas_wbxml::Element;

use crate::context::RequestCtx;
use crate::error::EdgeError;
use crate::provision::to_device_info;
use crate::router::{wbxml_response, Edge};

pub async fn handle(
    edge: &Edge,
    ctx: &mut RequestCtx,
    doc: Option<Element>,
) -> Result<Response, EdgeError> {
    let req = match doc.as_ref().map(SettingsRequest::from_element) {
        Some(Ok(r)) => r,
        None => {
            return Ok(respond(
                ctx,
                SettingsResponse::status_only(SettingsStatus::ProtocolError),
            ))
        }
        Some(Err(e)) => {
            tracing::info!(user = %ctx.user.address, device_id = %ctx.line.device_id, error = %e, "bad settings request");
            return Ok(respond(
                ctx,
                SettingsResponse::status_only(SettingsStatus::ProtocolError),
            ));
        }
    };
    let mut resp = SettingsResponse::status_only(SettingsStatus::Success);
    if let Some(info) = &req.device_information {
        ctx.device.info = to_device_info(info);
        edge.devices.put_device(&ctx.device).await?;
        resp.device_information = Some(SettingsStatus::Success);
    }
    if req.user_information_get {
        let mut addresses = vec![ctx.user.address.clone()];
        addresses.extend(ctx.user.aliases.iter().cloned());
        resp.user_information = Some(UserInformation {
            status: SettingsStatus::Success,
            display_name: Some(ctx.user.display_name.clone()),
            primary_smtp_address: Some(ctx.user.address.clone()),
            smtp_addresses: addresses,
        });
    }
    if req.oof.is_some() {
        resp.oof = Some(OofResponse {
            status: SettingsStatus::DeniedByPolicy,
            get: None,
        });
    }
    if req.device_password_set {
        resp.device_password = Some(SettingsStatus::DeniedByPolicy);
    }
    Ok(respond(ctx, resp))
}

fn respond(ctx: &RequestCtx, r: SettingsResponse) -> Response {
    wbxml_response(&r.to_element(ctx.version))
}
