//! Per-request context: who is asking, from which device, and whether the device may be served.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::HeaderMap;
use eas_device_state::{ApprovalState, DeviceRecord, WipeState};
use eas_directory::{ApprovalPolicy, AuthError, User};
use eas_protocol::command::Command;
use eas_protocol::query::RequestLine;
use eas_protocol::status::CommonStatus;
use eas_protocol::version::ProtocolVersion;
use eas_wbxml::Element;

use crate::auth::Credentials;
use crate::error::EdgeError;
use crate::router::Edge;

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Everything a command handler needs to know about the request.
pub struct RequestCtx {
    pub line: RequestLine,
    pub version: ProtocolVersion,
    pub user: User,
    pub device: DeviceRecord,
    /// The policy key the client sent (`X-MS-PolicyKey` or the base64 field).
    pub policy_key: Option<u32>,
}

/// Authenticates the request's credentials, with throttling of repeated failures.
pub async fn login(edge: &Edge, ip: IpAddr, creds: &Credentials) -> Result<User, EdgeError> {
    if let Some(retry_after) = edge.throttle.check(&creds.login, ip) {
        tracing::warn!(login = %creds.login, %ip, "login throttled");
        return Err(EdgeError::Throttled { retry_after });
    }
    match edge.auth.authenticate(&edge.directory, creds).await {
        Ok(user) => {
            edge.throttle.succeeded(&creds.login);
            Ok(user)
        }
        Err(AuthError::Disabled) => {
            tracing::info!(login = %creds.login, "login of a disabled account");
            Err(EdgeError::AccountDisabled)
        }
        Err(AuthError::Directory(e)) => Err(EdgeError::Unavailable(e.to_string())),
        Err(e) => {
            edge.throttle.failed(&creds.login, ip);
            tracing::info!(login = %creds.login, %ip, reason = %e, "login failed");
            Err(EdgeError::Unauthorized {
                realm: edge.config.auth.realm.clone(),
            })
        }
    }
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

impl RequestCtx {
    /// Loads (or creates, on first contact) the device record and notes what the request says.
    pub async fn load(
        edge: &Arc<Edge>,
        line: RequestLine,
        version: ProtocolVersion,
        user: User,
        headers: &HeaderMap,
    ) -> Result<RequestCtx, EdgeError> {
        let policy_key = match line.policy_key {
            Some(k) => Some(k),
            None => match header_text(headers, "x-ms-policykey") {
                None | Some("") => None,
                Some(v) => Some(v.parse::<u32>().map_err(|_| {
                    EdgeError::BadRequest("x-ms-policykey is not a 32-bit number".into())
                })?),
            },
        };
        let now = now();
        let existing = edge
            .devices
            .get_device(&user.address, &line.device_id)
            .await?;
        let user_agent = header_text(headers, "user-agent").map(str::to_owned);
        let (device, changed) = match existing {
            Some(mut d) => {
                let changed = d.user_agent != user_agent
                    || d.protocol_version.as_deref() != Some(version.as_str())
                    || d.device_type != line.device_type
                    || now - d.last_seen >= 60;
                d.user_agent = user_agent;
                d.protocol_version = Some(version.as_str().to_owned());
                d.device_type = line.device_type.clone();
                if changed {
                    d.last_seen = now;
                }
                (d, changed)
            }
            None => {
                check_device_limit(edge, &user, &line.device_id).await?;
                let policy = edge
                    .directory
                    .effective_approval(&user.address, edge.config.device_approval)
                    .await?;
                let approval = match policy {
                    ApprovalPolicy::AllowAll => ApprovalState::Allowed,
                    ApprovalPolicy::RequireApproval => ApprovalState::Pending,
                    ApprovalPolicy::Block => ApprovalState::Blocked,
                };
                let mut d = DeviceRecord::new(
                    &user.address,
                    &line.device_id,
                    &line.device_type,
                    approval,
                    now,
                );
                d.user_agent = user_agent;
                d.protocol_version = Some(version.as_str().to_owned());
                tracing::info!(user = %user.address, device_id = %line.device_id, device_type = %line.device_type, approval = ?approval, "new device");
                (d, true)
            }
        };
        if changed {
            edge.devices.put_device(&device).await?;
        }
        Ok(RequestCtx {
            line,
            version,
            user,
            device,
            policy_key,
        })
    }
}

/// Refuses a device the user does not have yet when the user has `edge.max_devices_per_user`
/// already (MS-ASCMD 2.2.2 common status 177, MaximumDevicesReached: the user's account has too
/// many device partnerships). Two new devices arriving at the same moment may both pass.
async fn check_device_limit(edge: &Edge, user: &User, device_id: &str) -> Result<(), EdgeError> {
    let limit = edge.config.max_devices_per_user;
    if limit == 0 {
        return Ok(());
    }
    let count = edge.devices.count_devices(&user.address).await?;
    if count >= limit {
        tracing::warn!(user = %user.address, %device_id, count, limit, "new device refused: the user has the maximum number of devices");
        return Err(EdgeError::TooManyDevices);
    }
    Ok(())
}

/// Decides whether the device may run this command: wipe, block, quarantine and the policy key
/// (MS-ASPROV 3.2.5.1: the key is checked on every command but Provision, Ping and Autodiscover).
pub async fn admit(edge: &Edge, ctx: &mut RequestCtx) -> Result<(), EdgeError> {
    let cmd = &ctx.line.command;
    if *cmd == Command::Provision {
        // A blocked device may not even provision; a quarantined one may.
        if ctx.device.approval == ApprovalState::Blocked {
            return Err(EdgeError::DeviceBlocked);
        }
        return Ok(());
    }
    if matches!(ctx.device.wipe, WipeState::Requested { .. }) {
        return Err(EdgeError::RemoteWipe);
    }
    if matches!(ctx.device.wipe, WipeState::Acknowledged { .. }) {
        return Err(EdgeError::DeviceBlocked);
    }
    if edge.config.provisioning.required {
        check_policy_key(edge, ctx)?;
    }
    match ctx.device.approval {
        ApprovalState::Allowed => Ok(()),
        // Settings (DeviceInformation) is how a quarantined device tells the admin what it is.
        ApprovalState::Pending if *cmd == Command::Settings => Ok(()),
        ApprovalState::Pending | ApprovalState::Blocked => Err(EdgeError::DeviceBlocked),
    }
}

fn check_policy_key(edge: &Edge, ctx: &RequestCtx) -> Result<(), EdgeError> {
    let Some(current) = ctx.device.policy_key else {
        return Err(EdgeError::Provision(CommonStatus::DeviceNotProvisioned));
    };
    // AOSP sends Ping without X-MS-PolicyKey; a provisioned device is enough there.
    if ctx.line.command == Command::Ping && ctx.policy_key.is_none() {
        return Ok(());
    }
    match ctx.policy_key {
        None | Some(0) => Err(EdgeError::Provision(CommonStatus::DeviceNotProvisioned)),
        Some(k) if k != current => Err(EdgeError::Provision(CommonStatus::InvalidPolicyKey)),
        Some(_)
            if ctx.device.policy_hash.as_deref() != Some(&crate::provision::policy_hash(edge)) =>
        {
            Err(EdgeError::Provision(CommonStatus::PolicyRefresh))
        }
        Some(_) => Ok(()),
    }
}

/// Decodes the WBXML body; an empty body gives `None`.
pub fn decode_body(
    edge: &Edge,
    ctx: &RequestCtx,
    body: &[u8],
) -> Result<Option<Element>, EdgeError> {
    if body.is_empty() {
        return Ok(None);
    }
    let limits = eas_wbxml::Limits {
        max_bytes: edge.config.max_request_bytes,
        ..eas_wbxml::Limits::default()
    };
    match eas_wbxml::decode_with(body, &limits) {
        Ok(el) => Ok(Some(el)),
        Err(e) => {
            tracing::info!(user = %ctx.user.address, device_id = %ctx.line.device_id, error = %e, "undecodable wbxml body");
            Err(EdgeError::Status(CommonStatus::InvalidWbxml))
        }
    }
}
