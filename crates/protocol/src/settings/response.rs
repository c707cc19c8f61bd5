//! The Settings response (MS-ASCMD 2.2.1.18): a global status and one status per setting asked for.

use eas_wbxml::tags::settings as s;
use eas_wbxml::Element;

use super::request::OofAudience;
use super::request::OofMessage;
use crate::status::SettingsStatus;
use crate::version::ProtocolVersion;

/// The OOF state to report for `Oof/Get`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OofState {
    /// MS-ASCMD 2.2.3.124: 0 disabled, 1 global, 2 time based.
    pub state: u8,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub messages: Vec<OofMessage>,
}

/// The `Oof` part of a response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OofResponse {
    pub status: SettingsStatus,
    /// Written for a successful `Oof/Get`.
    pub get: Option<OofState>,
}

/// The `UserInformation` part of a response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserInformation {
    pub status: SettingsStatus,
    pub display_name: Option<String>,
    pub primary_smtp_address: Option<String>,
    /// Every SMTP address of the user, the primary one included.
    pub smtp_addresses: Vec<String>,
}

/// A Settings response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingsResponse {
    pub status: SettingsStatus,
    pub oof: Option<OofResponse>,
    pub device_information: Option<SettingsStatus>,
    pub device_password: Option<SettingsStatus>,
    pub user_information: Option<UserInformation>,
}

fn status_only(tag: eas_wbxml::Tag, st: SettingsStatus) -> Element {
    Element::new(tag).with_text(s::STATUS, st.to_string())
}

fn oof_message(m: &OofMessage) -> Element {
    let audience = m.audience.map(|a| {
        Element::new(match a {
            OofAudience::Internal => s::APPLIES_TO_INTERNAL,
            OofAudience::ExternalKnown => s::APPLIES_TO_EXTERNAL_KNOWN,
            OofAudience::ExternalUnknown => s::APPLIES_TO_EXTERNAL_UNKNOWN,
        })
    });
    Element::new(s::OOF_MESSAGE)
        .with_opt(audience)
        .with_opt(
            m.enabled
                .map(|e| Element::text(s::ENABLED, if e { "1" } else { "0" })),
        )
        .with_opt(
            m.reply_message
                .as_ref()
                .map(|r| Element::text(s::REPLY_MESSAGE, r)),
        )
        .with_opt(m.body_type.as_ref().map(|b| Element::text(s::BODY_TYPE, b)))
}

fn oof_element(oof: &OofResponse) -> Element {
    let get = oof.get.as_ref().map(|g| {
        let mut get = Element::new(s::GET)
            .with_text(s::OOF_STATE, g.state.to_string())
            .with_opt(
                g.start_time
                    .as_ref()
                    .map(|t| Element::text(s::START_TIME, t)),
            )
            .with_opt(g.end_time.as_ref().map(|t| Element::text(s::END_TIME, t)));
        // SettingsResponse.xsd: at most three OofMessage elements, one per audience.
        for m in g.messages.iter().take(3) {
            get.push(oof_message(m));
        }
        get
    });
    status_only(s::OOF, oof.status).with_opt(get)
}

fn email_addresses(u: &UserInformation) -> Element {
    let mut el = Element::new(s::EMAIL_ADDRESSES);
    for a in &u.smtp_addresses {
        el.push_text(s::SMTP_ADDRESS, a);
    }
    el
}

fn user_information_element(u: &UserInformation, version: ProtocolVersion) -> Element {
    let get = if u.status != SettingsStatus::Success {
        None
    } else if version >= ProtocolVersion::V14_1 {
        // MS-ASCMD 2.2.3.5, 2.2.3.57: from 14.1 the addresses sit in Accounts/Account.
        let addresses = email_addresses(u).with_opt(
            u.primary_smtp_address
                .as_ref()
                .map(|p| Element::text(s::PRIMARY_SMTP_ADDRESS, p)),
        );
        let account = Element::new(s::ACCOUNT)
            .with_opt(
                u.display_name
                    .as_ref()
                    .map(|d| Element::text(s::USER_DISPLAY_NAME, d)),
            )
            .with(addresses);
        Some(Element::new(s::GET).with(Element::new(s::ACCOUNTS).with(account)))
    } else {
        // MS-ASCMD 2.2.3.57, 2.2.3.171: below 14.1, Get holds EmailAddresses/SMTPAddress only.
        Some(Element::new(s::GET).with(email_addresses(u)))
    };
    status_only(s::USER_INFORMATION, u.status).with_opt(get)
}

impl SettingsResponse {
    /// A response with only the global status.
    pub fn status_only(status: SettingsStatus) -> SettingsResponse {
        SettingsResponse {
            status,
            oof: None,
            device_information: None,
            device_password: None,
            user_information: None,
        }
    }

    /// The response tree for a client of `version`.
    pub fn to_element(&self, version: ProtocolVersion) -> Element {
        Element::new(s::SETTINGS)
            .with_text(s::STATUS, self.status.to_string())
            .with_opt(self.oof.as_ref().map(oof_element))
            .with_opt(
                self.device_information
                    .map(|st| status_only(s::DEVICE_INFORMATION, st)),
            )
            .with_opt(
                self.device_password
                    .map(|st| status_only(s::DEVICE_PASSWORD, st)),
            )
            .with_opt(
                self.user_information
                    .as_ref()
                    .map(|u| user_information_element(u, version)),
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> UserInformation {
        UserInformation {
            status: SettingsStatus::Success,
            display_name: Some("Jane Doe".into()),
            primary_smtp_address: Some("jane@example.com".into()),
            smtp_addresses: vec!["jane@example.com".into(), "jd@example.com".into()],
        }
    }

    fn path<'a>(el: &'a Element, tags: &[eas_wbxml::Tag]) -> Option<&'a Element> {
        tags.iter().try_fold(el, |e, t| e.child(*t))
    }

    #[test]
    fn user_information_at_14_1_uses_accounts_with_the_primary_address() {
        let resp = SettingsResponse {
            user_information: Some(user()),
            ..SettingsResponse::status_only(SettingsStatus::Success)
        };
        let el = resp.to_element(ProtocolVersion::V14_1);
        let account =
            path(&el, &[s::USER_INFORMATION, s::GET, s::ACCOUNTS, s::ACCOUNT]).expect("account");
        assert_eq!(
            account.child_text(s::USER_DISPLAY_NAME).as_deref(),
            Some("Jane Doe")
        );
        let addresses = account.child(s::EMAIL_ADDRESSES).expect("addresses");
        assert_eq!(
            addresses.child_text(s::PRIMARY_SMTP_ADDRESS).as_deref(),
            Some("jane@example.com")
        );
        assert_eq!(addresses.children_of(s::SMTP_ADDRESS).count(), 2);
    }

    #[test]
    fn user_information_below_14_1_lists_smtp_addresses_directly() {
        let resp = SettingsResponse {
            user_information: Some(user()),
            ..SettingsResponse::status_only(SettingsStatus::Success)
        };
        let el = resp.to_element(ProtocolVersion::V14_0);
        let addresses =
            path(&el, &[s::USER_INFORMATION, s::GET, s::EMAIL_ADDRESSES]).expect("addresses");
        assert_eq!(addresses.children_of(s::SMTP_ADDRESS).count(), 2);
        assert_eq!(addresses.child(s::PRIMARY_SMTP_ADDRESS), None);
        assert_eq!(path(&el, &[s::USER_INFORMATION, s::GET, s::ACCOUNTS]), None);
    }

    #[test]
    fn each_setting_carries_its_own_status() {
        let resp = SettingsResponse {
            status: SettingsStatus::Success,
            oof: Some(OofResponse {
                status: SettingsStatus::Success,
                get: Some(OofState::default()),
            }),
            device_information: Some(SettingsStatus::Success),
            device_password: Some(SettingsStatus::DeniedByPolicy),
            user_information: None,
        };
        let el = resp.to_element(ProtocolVersion::V14_1);
        let names: Vec<_> = el.elements().filter_map(|e| e.tag.name()).collect();
        assert_eq!(
            names,
            ["Status", "Oof", "DeviceInformation", "DevicePassword"]
        );
        let pw = path(&el, &[s::DEVICE_PASSWORD, s::STATUS]).and_then(|e| e.text_content());
        assert_eq!(pw.as_deref(), Some("7"));
        let state = path(&el, &[s::OOF, s::GET, s::OOF_STATE]).and_then(|e| e.text_content());
        assert_eq!(state.as_deref(), Some("0"));
    }

    #[test]
    fn a_failed_user_information_has_no_get() {
        let resp = SettingsResponse {
            user_information: Some(UserInformation {
                status: SettingsStatus::AccessDenied,
                ..user()
            }),
            ..SettingsResponse::status_only(SettingsStatus::Success)
        };
        let el = resp.to_element(ProtocolVersion::V16_1);
        assert_eq!(path(&el, &[s::USER_INFORMATION, s::GET]), None);
    }
}
