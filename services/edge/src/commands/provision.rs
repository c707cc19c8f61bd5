//! Provision (MS-ASPROV 3.2.5.1): policy download with a temporary key, acknowledgement with the
//! final key, device information, and remote wipe directives and their acknowledgements.

use axum::response::Response;
use eas_device_state::{DeviceInfo, WipeState};
use eas_protocol::provision::{
    PolicyResponse, ProvisionRequest, ProvisionResponse, POLICY_TYPE_WBXML,
};
use eas_protocol::settings::DeviceInformation;
use eas_protocol::status::{
    CommonStatus, PolicyAckStatus, PolicyStatus, ProvisionStatus, RemoteWipeStatus, SettingsStatus,
};
use eas_protocol::version::ProtocolVersion;
use eas_wbxml::Element;

use crate::edge::Edge;
use crate::error::EdgeError;
use crate::pipeline::context::{now, RequestCtx};
use crate::respond::wbxml_response;

/// A random non-zero policy key (MS-ASPROV 2.2.2.42: a 32-bit unsigned integer; 0 means none).
fn new_key() -> u32 {
    loop {
        let k: u32 = rand::random();
        if k != 0 {
            return k;
        }
    }
}

pub fn to_device_info(d: &DeviceInformation) -> DeviceInfo {
    DeviceInfo {
        model: d.model.clone(),
        imei: d.imei.clone(),
        friendly_name: d.friendly_name.clone(),
        os: d.os.clone(),
        os_language: d.os_language.clone(),
        phone_number: d.phone_number.clone(),
        user_agent: d.user_agent.clone(),
        enable_outbound_sms: d.enable_outbound_sms,
        mobile_operator: d.mobile_operator.clone(),
    }
}

fn respond(ctx: &RequestCtx, r: ProvisionResponse) -> Response {
    wbxml_response(&r.to_element(ctx.version))
}

pub async fn handle(
    edge: &Edge,
    ctx: &mut RequestCtx,
    doc: Option<Element>,
) -> Result<Response, EdgeError> {
    let req = match doc.as_ref().map(ProvisionRequest::from_element) {
        Some(Ok(r)) => r,
        // MS-ASPROV 3.2.5.2: status 2, syntax error in the request.
        None => {
            return Ok(respond(
                ctx,
                ProvisionResponse::status_only(ProvisionStatus::ProtocolError),
            ))
        }
        Some(Err(e)) => {
            tracing::info!(user = %ctx.user.address, device_id = %ctx.line.device_id, error = %e, "bad provision request");
            return Ok(respond(
                ctx,
                ProvisionResponse::status_only(ProvisionStatus::ProtocolError),
            ));
        }
    };
    let mut resp = ProvisionResponse::status_only(ProvisionStatus::Success);
    if let Some(info) = &req.device_information {
        ctx.device.info = to_device_info(info);
        resp.device_information = Some(SettingsStatus::Success);
    }

    // Wipe acknowledgements (MS-ASPROV 3.2.5.1.2.2 and 3.2.5.1.2.3).
    let ack = req.remote_wipe.or(req.account_only_remote_wipe);
    if let Some(ack) = ack {
        let WipeState::Requested { account_only, .. } = ctx.device.wipe else {
            tracing::info!(user = %ctx.user.address, device_id = %ctx.line.device_id, "wipe acknowledgement without a wipe request");
            edge.devices.put_device(&ctx.device).await?;
            return Ok(respond(
                ctx,
                ProvisionResponse::status_only(ProvisionStatus::ProtocolError),
            ));
        };
        if ack == RemoteWipeStatus::Success {
            ctx.device.wipe = WipeState::Acknowledged {
                account_only,
                acknowledged_at: now(),
            };
            ctx.device.policy_key = None;
            ctx.device.pending_policy_key = None;
            tracing::warn!(user = %ctx.user.address, device_id = %ctx.line.device_id, account_only, "remote wipe acknowledged");
        } else {
            // Failure: status 2 and the directive again.
            resp.status = ProvisionStatus::ProtocolError;
            set_wipe(&mut resp, account_only);
            tracing::warn!(user = %ctx.user.address, device_id = %ctx.line.device_id, "device reports remote wipe failure");
        }
        edge.devices.put_device(&ctx.device).await?;
        return Ok(respond(ctx, resp));
    }

    // A pending wipe answers every Provision (MS-ASPROV 3.2.5.1.1).
    if let WipeState::Requested { account_only, .. } = ctx.device.wipe {
        if account_only && ctx.version < ProtocolVersion::V16_1 {
            // The phone went back to an older protocol that has no account-only wipe: refuse it
            // rather than wipe the whole phone.
            edge.devices.put_device(&ctx.device).await?;
            return Err(EdgeError::DeviceBlocked);
        }
        set_wipe(&mut resp, account_only);
        edge.devices.put_device(&ctx.device).await?;
        return Ok(respond(ctx, resp));
    }
    if matches!(ctx.device.wipe, WipeState::Acknowledged { .. }) {
        return Err(EdgeError::DeviceBlocked);
    }

    let Some(policy) = req.policy else {
        // An empty initial request: only a status (MS-ASPROV 3.2.5.1.1).
        edge.devices.put_device(&ctx.device).await?;
        return Ok(respond(ctx, resp));
    };
    if policy.policy_type != POLICY_TYPE_WBXML {
        resp.policy = Some(PolicyResponse {
            policy_type: policy.policy_type,
            status: PolicyStatus::UnknownPolicyType,
            policy_key: None,
            settings: None,
        });
        edge.devices.put_device(&ctx.device).await?;
        return Ok(respond(ctx, resp));
    }

    match policy.policy_key {
        None => {
            // Download phase: a temporary key valid only for the acknowledgement. Phones ask
            // twice during setup and never acknowledge the first key, so each request replaces it.
            let temp = new_key();
            ctx.device.pending_policy_key = Some(temp);
            resp.policy = Some(PolicyResponse {
                policy_type: policy.policy_type,
                status: PolicyStatus::Success,
                policy_key: Some(temp),
                settings: Some(edge.config.provisioning.policy.clone()),
            });
        }
        Some(key) => {
            // Acknowledgement phase (MS-ASPROV 3.2.5.1.2.1).
            if ctx.device.pending_policy_key != Some(key) {
                tracing::info!(user = %ctx.user.address, device_id = %ctx.line.device_id, "acknowledgement of an unknown policy key");
                resp.policy = Some(PolicyResponse {
                    policy_type: policy.policy_type,
                    status: PolicyStatus::WrongPolicyKey,
                    policy_key: None,
                    settings: None,
                });
            } else {
                let compliance = policy.status.unwrap_or(PolicyAckStatus::Success);
                let accepted = match compliance {
                    PolicyAckStatus::Success => true,
                    PolicyAckStatus::PartialSuccess => {
                        edge.config.provisioning.allow_partial_compliance
                    }
                    PolicyAckStatus::NotApplied | PolicyAckStatus::ThirdPartyProvisioned => false,
                };
                if !accepted {
                    tracing::info!(user = %ctx.user.address, device_id = %ctx.line.device_id, ?compliance, "device does not comply with the policy");
                    ctx.device.pending_policy_key = None;
                    edge.devices.put_device(&ctx.device).await?;
                    if ctx.version >= ProtocolVersion::V14_0 {
                        return Err(EdgeError::Status(CommonStatus::DeviceNotFullyProvisionable));
                    }
                    return Ok(respond(
                        ctx,
                        ProvisionResponse::status_only(ProvisionStatus::ProtocolError),
                    ));
                }
                let fin = new_key();
                ctx.device.policy_key = Some(fin);
                ctx.device.pending_policy_key = None;
                ctx.device.policy_hash = Some(edge.policy_hash());
                tracing::info!(user = %ctx.user.address, device_id = %ctx.line.device_id, ?compliance, "device provisioned");
                resp.policy = Some(PolicyResponse {
                    policy_type: policy.policy_type,
                    status: PolicyStatus::Success,
                    policy_key: Some(fin),
                    settings: None,
                });
            }
        }
    }
    edge.devices.put_device(&ctx.device).await?;
    Ok(respond(ctx, resp))
}

fn set_wipe(resp: &mut ProvisionResponse, account_only: bool) {
    if account_only {
        resp.account_only_remote_wipe = true;
    } else {
        resp.remote_wipe = true;
    }
}
