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

use crate::edge::Edge;
use crate::error::EdgeError;
use crate::pipeline::auth::Credentials;
use crate::pipeline::throttle::Refusal;

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

/// Authenticates the request's credentials under the login limits (`crate::pipeline::throttle`,
/// `docs/login-throttling.md`). `peer` is the connection's address; behind a trusted proxy the
/// client's address comes from `X-Forwarded-For`.
///
/// A malformed login name is answered 401 without any hash work. Every other attempt is counted
/// against the limits of its canonical account and source before its password is checked, and
/// the check waits for one of a bounded number of verification slots; a refused or
/// unscheduled attempt is answered 503 with `Retry-After` (MS-ASHTTP 3.1.5.2.3), so a phone
/// does not prompt for a new password. A login remembered by the cache is answered without
/// argon2 but only when the limits would let a fresh attempt through.
pub async fn login(
    edge: &Edge,
    peer: IpAddr,
    headers: &HeaderMap,
    creds: &Credentials,
) -> Result<User, EdgeError> {
    let client = edge.throttle.client_address(peer, headers);
    let unauthorized = || EdgeError::Unauthorized {
        realm: edge.config.auth.realm.clone(),
    };
    let throttled = |account: &str, refusal: Refusal| {
        tracing::warn!(account, %client, retry_after = refusal.retry_after, "login throttled");
        crate::metrics::login_throttled();
        EdgeError::Throttled {
            retry_after: refusal.retry_after,
        }
    };
    if let Some(user) = edge.auth.cached(creds) {
        return match edge.throttle.admit_known(&user.address, client).await {
            Ok(()) => Ok(user),
            Err(r) => Err(throttled(&user.address, r)),
        };
    }
    let target = match edge.directory.login_target(&creds.login).await {
        Ok(target) => target,
        Err(AuthError::Directory(e)) => return Err(EdgeError::Unavailable(e.to_string())),
        Err(e) => {
            crate::metrics::login_failed(&e);
            edge.throttle
                .count_malformed(client)
                .await
                .map_err(|r| throttled("", r))?;
            tracing::info!(login = ?creds.login, %client, reason = %e, "login refused");
            return Err(unauthorized());
        }
    };
    let account = target.account().to_owned();
    let attempt = edge
        .throttle
        .begin(&account, client)
        .await
        .map_err(|r| throttled(&account, r))?;
    let slot = match edge.throttle.verification_slot().await {
        Ok(slot) => slot,
        Err(r) => {
            edge.throttle.refund(attempt).await;
            return Err(throttled(&account, r));
        }
    };
    // The check runs in its own task holding the slot, so that a client hanging up cannot free
    // the slot while its argon2 run goes on.
    let directory = edge.directory.clone();
    let password = creds.password.clone();
    let check = tokio::spawn(async move {
        let result = directory.check_password(target, &password).await;
        drop(slot);
        result
    });
    let result = match check.await {
        Ok(result) => result,
        Err(e) => {
            edge.throttle.refund(attempt).await;
            return Err(EdgeError::Internal(format!("password check failed: {e}")));
        }
    };
    match result {
        Ok(user) => {
            edge.throttle.succeeded(attempt).await;
            edge.auth.remember(creds, &user);
            Ok(user)
        }
        Err(AuthError::Disabled) => {
            crate::metrics::login_failed(&AuthError::Disabled);
            edge.throttle.refund(attempt).await;
            tracing::info!(account, "login of a disabled account");
            Err(EdgeError::AccountDisabled)
        }
        Err(AuthError::Directory(e)) => {
            edge.throttle.refund(attempt).await;
            Err(EdgeError::Unavailable(e.to_string()))
        }
        Err(e) => {
            crate::metrics::login_failed(&e);
            let good_history = attempt.had_good_history();
            edge.throttle.failed(attempt);
            tracing::info!(
                account,
                login = ?creds.login,
                %client,
                good_history,
                reason = %e,
                "login failed"
            );
            Err(unauthorized())
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
        Some(_) if ctx.device.policy_hash.as_deref() != Some(&edge.policy_hash()) => {
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
