//! The device record: who the device is, what it told us, and where it stands with provisioning.

use serde::{Deserialize, Serialize};

/// Whether the device may receive data (the administrator's decision or the domain's policy).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalState {
    /// Quarantined: it may provision but gets no data until an administrator approves it.
    Pending,
    Allowed,
    Blocked,
}

/// Where a remote wipe stands (MS-ASPROV 3.2.5.1.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum WipeState {
    #[default]
    None,
    /// An administrator asked for a wipe; the device is told on its next request.
    Requested {
        account_only: bool,
        requested_at: i64,
    },
    /// The device acknowledged the wipe.
    Acknowledged {
        account_only: bool,
        acknowledged_at: i64,
    },
}

/// What the device said about itself (settings:DeviceInformation, MS-ASCMD 2.2.3.47.2).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    pub model: Option<String>,
    pub imei: Option<String>,
    pub friendly_name: Option<String>,
    pub os: Option<String>,
    pub os_language: Option<String>,
    pub phone_number: Option<String>,
    pub user_agent: Option<String>,
    pub enable_outbound_sms: Option<bool>,
    pub mobile_operator: Option<String>,
}

/// Everything the server keeps about one device of one user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRecord {
    /// Canonical address of the user.
    pub user: String,
    pub device_id: String,
    pub device_type: String,
    pub user_agent: Option<String>,
    pub protocol_version: Option<String>,
    /// Unix seconds.
    pub first_seen: i64,
    /// Unix seconds.
    pub last_seen: i64,
    pub approval: ApprovalState,
    /// The final policy key the device must present; `None` until provisioning completes.
    pub policy_key: Option<u32>,
    /// The temporary key handed out in the first phase of provisioning.
    pub pending_policy_key: Option<u32>,
    /// Fingerprint of the policy the final key was issued for; a changed policy means refresh.
    pub policy_hash: Option<String>,
    pub wipe: WipeState,
    pub info: DeviceInfo,
    /// The administrator's choice for this device: whether FolderSync offers it the calendars
    /// other users shared with its user; `None` follows the device type's default
    /// (`edge.calendar.shared_calendar_device_types`).
    #[serde(default)]
    pub shared_calendars: Option<bool>,
}

impl DeviceRecord {
    /// A record for a device seen for the first time.
    pub fn new(
        user: &str,
        device_id: &str,
        device_type: &str,
        approval: ApprovalState,
        now: i64,
    ) -> Self {
        DeviceRecord {
            user: user.to_owned(),
            device_id: device_id.to_owned(),
            device_type: device_type.to_owned(),
            user_agent: None,
            protocol_version: None,
            first_seen: now,
            last_seen: now,
            approval,
            policy_key: None,
            pending_policy_key: None,
            policy_hash: None,
            wipe: WipeState::None,
            info: DeviceInfo::default(),
            shared_calendars: None,
        }
    }
}
