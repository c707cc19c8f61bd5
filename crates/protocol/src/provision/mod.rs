//! The Provision command (MS-ASPROV): policy download, acknowledgement and remote wipe.

mod policy;
#[cfg(test)]
mod tests;

pub use policy::PolicySettings;

use eas_wbxml::tags::{provision as p, settings as s};
use eas_wbxml::Element;

use crate::error::{expect_root, optional_number, required_text, ParseError};
use crate::settings::DeviceInformation;
use crate::status::{
    PolicyAckStatus, PolicyStatus, ProvisionStatus, RemoteWipeStatus, SettingsStatus,
};
use crate::version::ProtocolVersion;

/// MS-ASPROV 2.2.2.43: the policy type of protocol 12.0 and later.
pub const POLICY_TYPE_WBXML: &str = "MS-EAS-Provisioning-WBXML";

/// `Policies/Policy` in a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyRequest {
    pub policy_type: String,
    /// Present in the acknowledgement phase: the temporary key the server handed out.
    pub policy_key: Option<u32>,
    /// Present in the acknowledgement phase: whether the client applied the policy.
    pub status: Option<PolicyAckStatus>,
}

/// A Provision request, in either phase.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProvisionRequest {
    /// MS-ASPROV 2.2.2.53: sent at 14.1 and later only.
    pub device_information: Option<DeviceInformation>,
    pub policy: Option<PolicyRequest>,
    /// The client's report on a remote wipe it was told to do.
    pub remote_wipe: Option<RemoteWipeStatus>,
    /// The same for an account-only wipe (16.1).
    pub account_only_remote_wipe: Option<RemoteWipeStatus>,
}

fn wipe_status(
    root: &Element,
    tag: eas_wbxml::Tag,
) -> Result<Option<RemoteWipeStatus>, ParseError> {
    let Some(wipe) = root.child(tag) else {
        return Ok(None);
    };
    let text = required_text(wipe, p::STATUS)?;
    text.parse()
        .ok()
        .and_then(RemoteWipeStatus::from_code)
        .map(Some)
        .ok_or_else(|| ParseError::bad_value(p::STATUS, &text))
}

impl ProvisionRequest {
    /// Reads a request tree whose root is `Provision`.
    pub fn from_element(root: &Element) -> Result<ProvisionRequest, ParseError> {
        expect_root(root, p::PROVISION)?;
        let device_information = root
            .child(s::DEVICE_INFORMATION)
            .map(DeviceInformation::from_element)
            .transpose()?;
        let policy = match root.child(p::POLICIES) {
            None => None,
            Some(policies) => {
                let policy = policies
                    .child(p::POLICY)
                    .ok_or(ParseError::Missing(p::POLICY))?;
                let status = match policy.child_text(p::STATUS) {
                    None => None,
                    Some(t) => Some(
                        t.trim()
                            .parse()
                            .ok()
                            .and_then(PolicyAckStatus::from_code)
                            .ok_or_else(|| ParseError::bad_value(p::STATUS, &t))?,
                    ),
                };
                Some(PolicyRequest {
                    policy_type: required_text(policy, p::POLICY_TYPE)?,
                    policy_key: optional_number(policy, p::POLICY_KEY)?,
                    status,
                })
            }
        };
        Ok(ProvisionRequest {
            device_information,
            policy,
            remote_wipe: wipe_status(root, p::REMOTE_WIPE)?,
            account_only_remote_wipe: wipe_status(root, p::ACCOUNT_ONLY_REMOTE_WIPE)?,
        })
    }

    /// MS-ASPROV 3.1.5.1: the second phase carries the temporary policy key back.
    pub fn is_acknowledgement(&self) -> bool {
        self.policy.as_ref().is_some_and(|p| p.policy_key.is_some())
    }

    /// Writes the request tree, as a client would send it.
    pub fn to_element(&self) -> Element {
        let policies = self.policy.as_ref().map(|pol| {
            let policy = Element::new(p::POLICY)
                .with_text(p::POLICY_TYPE, &pol.policy_type)
                .with_opt(
                    pol.policy_key
                        .map(|k| Element::text(p::POLICY_KEY, k.to_string())),
                )
                .with_opt(pol.status.map(|s| Element::text(p::STATUS, s.to_string())));
            Element::new(p::POLICIES).with(policy)
        });
        let wipe = |tag, st: Option<RemoteWipeStatus>| {
            st.map(|st| Element::new(tag).with_text(p::STATUS, st.to_string()))
        };
        Element::new(p::PROVISION)
            .with_opt(
                self.device_information
                    .as_ref()
                    .map(DeviceInformation::to_element),
            )
            .with_opt(policies)
            .with_opt(wipe(p::REMOTE_WIPE, self.remote_wipe))
            .with_opt(wipe(
                p::ACCOUNT_ONLY_REMOTE_WIPE,
                self.account_only_remote_wipe,
            ))
    }
}

/// `Policies/Policy` in a response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyResponse {
    pub policy_type: String,
    pub status: PolicyStatus,
    pub policy_key: Option<u32>,
    /// The policy itself, sent in the download phase (never in the acknowledgement reply).
    pub settings: Option<PolicySettings>,
}

/// A Provision response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProvisionResponse {
    pub status: ProvisionStatus,
    /// The status of the request's `DeviceInformation`; written only at 14.1 and later.
    pub device_information: Option<SettingsStatus>,
    pub policy: Option<PolicyResponse>,
    /// Tells the device to wipe itself (AOSP acknowledges, then wipes the whole device).
    pub remote_wipe: bool,
    /// Tells the device to wipe only this account's data; written only at 16.1.
    pub account_only_remote_wipe: bool,
}

impl ProvisionResponse {
    /// A response with only a status.
    pub fn status_only(status: ProvisionStatus) -> ProvisionResponse {
        ProvisionResponse {
            status,
            device_information: None,
            policy: None,
            remote_wipe: false,
            account_only_remote_wipe: false,
        }
    }

    /// The response tree for a client of `version`, in the element order of ProvisionResponse.xsd.
    pub fn to_element(&self, version: ProtocolVersion) -> Element {
        // MS-ASPROV 2.2.2.53: DeviceInformation exists from 14.1.
        let device_information = self
            .device_information
            .filter(|_| version >= ProtocolVersion::V14_1)
            .map(|st| Element::new(s::DEVICE_INFORMATION).with_text(s::STATUS, st.to_string()));
        let policies = self.policy.as_ref().map(|pol| {
            let data = pol
                .settings
                .as_ref()
                .map(|ps| Element::new(p::DATA).with(ps.to_provision_doc(version)));
            let policy = Element::new(p::POLICY)
                .with_text(p::POLICY_TYPE, &pol.policy_type)
                .with_text(p::STATUS, pol.status.to_string())
                .with_opt(
                    pol.policy_key
                        .map(|k| Element::text(p::POLICY_KEY, k.to_string())),
                )
                .with_opt(data);
            Element::new(p::POLICIES).with(policy)
        });
        // MS-ASPROV 2.2.2.1: AccountOnlyRemoteWipe exists only at 16.1.
        let account_only = self.account_only_remote_wipe && version >= ProtocolVersion::V16_1;
        Element::new(p::PROVISION)
            .with_opt(device_information)
            .with_text(p::STATUS, self.status.to_string())
            .with_opt(policies)
            .with_opt(self.remote_wipe.then(|| Element::new(p::REMOTE_WIPE)))
            .with_opt(account_only.then(|| Element::new(p::ACCOUNT_ONLY_REMOTE_WIPE)))
    }
}
