//! Device-approval policy: what happens when a phone the server has never seen connects.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What the edge does with a device it has not seen before, globally or for one domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalPolicy {
    /// Every new device may sync at once.
    AllowAll,
    /// A new device is quarantined until an administrator approves it.
    RequireApproval,
    /// New devices are refused.
    Block,
}

impl ApprovalPolicy {
    /// The snake_case name, as stored in the database and used in config and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalPolicy::AllowAll => "allow_all",
            ApprovalPolicy::RequireApproval => "require_approval",
            ApprovalPolicy::Block => "block",
        }
    }
}

impl fmt::Display for ApprovalPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was none of `allow_all`, `require_approval` or `block`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown approval policy {0:?}; expected allow_all, require_approval or block")]
pub struct UnknownApprovalPolicy(pub String);

impl FromStr for ApprovalPolicy {
    type Err = UnknownApprovalPolicy;

    /// Accepts the snake_case names, case-insensitively, and `-` in place of `_`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "allow_all" => Ok(ApprovalPolicy::AllowAll),
            "require_approval" => Ok(ApprovalPolicy::RequireApproval),
            "block" => Ok(ApprovalPolicy::Block),
            _ => Err(UnknownApprovalPolicy(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_from_str_and_display() {
        for policy in [
            ApprovalPolicy::AllowAll,
            ApprovalPolicy::RequireApproval,
            ApprovalPolicy::Block,
        ] {
            assert_eq!(policy.to_string().parse::<ApprovalPolicy>(), Ok(policy));
        }
    }

    #[test]
    fn parsing_ignores_case_and_accepts_dashes() {
        assert_eq!(
            "Require-Approval".parse(),
            Ok(ApprovalPolicy::RequireApproval)
        );
        assert!("quarantine".parse::<ApprovalPolicy>().is_err());
    }
}
