//! The directory's public records: domains, users, and the inputs that create and change them.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::policy::ApprovalPolicy;

/// A mail domain the server hosts, e.g. `example.loc`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Domain {
    pub id: i64,
    /// Lowercase.
    pub name: String,
    /// Overrides the global device-approval policy when set.
    pub approval: Option<ApprovalPolicy>,
}

/// An account. Carries no password material.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    /// Primary address, `local_part@domain`, lowercase.
    pub address: String,
    pub local_part: String,
    pub domain: String,
    pub display_name: String,
    pub disabled: bool,
    /// Other addresses the user logs in and receives mail under, lowercase and sorted.
    pub aliases: Vec<String>,
}

/// A password in clear, on its way to be hashed or verified. Its `Debug` output is redacted, and
/// it is deliberately neither `Display` nor `Serialize`.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn new(clear: impl Into<String>) -> Self {
        Password(clear.into())
    }

    /// The clear text, for hashing. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl From<String> for Password {
    fn from(clear: String) -> Self {
        Password(clear)
    }
}

impl From<&str> for Password {
    fn from(clear: &str) -> Self {
        Password(clear.to_owned())
    }
}

impl<'de> Deserialize<'de> for Password {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Password)
    }
}

/// What `Directory::create_user` needs. `Debug` shows no password.
#[derive(Debug, Clone, Deserialize)]
pub struct NewUser {
    /// `local@domain`; the domain must exist. Stored lowercase.
    pub address: String,
    pub display_name: String,
    pub password: Password,
}

/// A partial change to a user; `None` leaves a field as it is. `Debug` shows no password.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct UserUpdate {
    pub display_name: Option<String>,
    pub password: Option<Password>,
    pub disabled: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_of_secret_holding_types_hides_the_password() {
        let new_user = NewUser {
            address: "jdoe@example.loc".into(),
            display_name: "John Doe".into(),
            password: "hunter2-secret".into(),
        };
        let update = UserUpdate {
            password: Some("hunter3-secret".into()),
            ..UserUpdate::default()
        };
        let printed = format!("{new_user:?} {update:?} {:?}", new_user.password);
        assert!(!printed.contains("secret"), "{printed}");
        assert!(printed.contains("<redacted>"));
    }
}

/// A user's out-of-office settings (MS-ASCMD 2.2.3.119 Oof): stored and returned; the directory
/// does not send automatic replies itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutOfOffice {
    /// 0 disabled, 1 global, 2 time based (MS-ASCMD 2.2.3.124).
    pub state: u8,
    /// The time-based window in milliseconds since 1970-01-01 UTC: both or neither.
    pub window: Option<(i64, i64)>,
    pub internal: OofReply,
    pub external_known: OofReply,
    pub external_unknown: OofReply,
}

/// The reply for one audience: internal senders, known external senders, other senders.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OofReply {
    pub enabled: bool,
    pub message: Option<String>,
    /// `Text` or `HTML`, as the client set it.
    pub body_type: Option<String>,
}
