//! The Settings request (MS-ASCMD 2.2.1.18): which settings the client gets or sets.

use eas_wbxml::tags::settings as s;
use eas_wbxml::Element;

use super::DeviceInformation;
use crate::error::{expect_root, optional_number, ParseError};

/// Who an OOF message is for (MS-ASCMD 2.2.3.14, 2.2.3.12, 2.2.3.13).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OofAudience {
    Internal,
    ExternalKnown,
    ExternalUnknown,
}

/// One `OofMessage` of an OOF Set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OofMessage {
    pub audience: Option<OofAudience>,
    pub enabled: Option<bool>,
    pub reply_message: Option<String>,
    pub body_type: Option<String>,
}

/// `Oof/Set`: the out-of-office state the client wants.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OofSet {
    /// MS-ASCMD 2.2.3.124: 0 disabled, 1 global, 2 time based.
    pub state: Option<u8>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub messages: Vec<OofMessage>,
}

/// The `Oof` part of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OofRequest {
    Get { body_type: Option<String> },
    Set(OofSet),
}

/// A Settings request. Several settings may come in one request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SettingsRequest {
    pub oof: Option<OofRequest>,
    /// The client sent `DevicePassword/Set` (password recovery). The password is not kept.
    pub device_password_set: bool,
    pub device_information: Option<DeviceInformation>,
    /// The client asked for `UserInformation/Get`.
    pub user_information_get: bool,
    /// The client asked for `RightsManagementInformation/Get`.
    pub rights_management_get: bool,
}

fn read_message(el: &Element) -> Result<OofMessage, ParseError> {
    let audience = if el.child(s::APPLIES_TO_INTERNAL).is_some() {
        Some(OofAudience::Internal)
    } else if el.child(s::APPLIES_TO_EXTERNAL_KNOWN).is_some() {
        Some(OofAudience::ExternalKnown)
    } else if el.child(s::APPLIES_TO_EXTERNAL_UNKNOWN).is_some() {
        Some(OofAudience::ExternalUnknown)
    } else {
        None
    };
    let enabled = optional_number::<u8>(el, s::ENABLED)?.map(|n| n != 0);
    Ok(OofMessage {
        audience,
        enabled,
        reply_message: el.child_text(s::REPLY_MESSAGE),
        body_type: el.child_text(s::BODY_TYPE),
    })
}

fn read_oof(oof: &Element) -> Result<Option<OofRequest>, ParseError> {
    if let Some(get) = oof.child(s::GET) {
        return Ok(Some(OofRequest::Get {
            body_type: get.child_text(s::BODY_TYPE),
        }));
    }
    let Some(set) = oof.child(s::SET) else {
        return Err(ParseError::Missing(s::GET));
    };
    let state = optional_number::<u8>(set, s::OOF_STATE)?;
    if let Some(st) = state.filter(|st| *st > 2) {
        return Err(ParseError::bad_value(s::OOF_STATE, &st.to_string()));
    }
    Ok(Some(OofRequest::Set(OofSet {
        state,
        start_time: set.child_text(s::START_TIME),
        end_time: set.child_text(s::END_TIME),
        messages: set
            .children_of(s::OOF_MESSAGE)
            .map(read_message)
            .collect::<Result<_, _>>()?,
    })))
}

impl SettingsRequest {
    /// Reads a request tree whose root is `Settings`.
    pub fn from_element(root: &Element) -> Result<SettingsRequest, ParseError> {
        expect_root(root, s::SETTINGS)?;
        let oof = match root.child(s::OOF) {
            Some(oof) => read_oof(oof)?,
            None => None,
        };
        Ok(SettingsRequest {
            oof,
            device_password_set: root
                .child(s::DEVICE_PASSWORD)
                .is_some_and(|d| d.child(s::SET).is_some()),
            device_information: root
                .child(s::DEVICE_INFORMATION)
                .map(DeviceInformation::from_element)
                .transpose()?,
            user_information_get: root
                .child(s::USER_INFORMATION)
                .is_some_and(|u| u.child(s::GET).is_some()),
            rights_management_get: root
                .child(s::RIGHTS_MANAGEMENT_INFORMATION)
                .is_some_and(|r| r.child(s::GET).is_some()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eas_wbxml::{decode, encode};

    #[test]
    fn an_aosp_device_information_set_is_read() {
        let info = DeviceInformation {
            model: Some("GT-I9505".into()),
            os: Some("Android 4.4.2".into()),
            ..DeviceInformation::default()
        };
        let tree = Element::new(s::SETTINGS).with(info.to_element());
        let req = SettingsRequest::from_element(&decode(&encode(&tree)).expect("decodes"))
            .expect("parses");
        assert_eq!(req.device_information, Some(info));
        assert!(!req.user_information_get);
        assert_eq!(req.oof, None);
    }

    #[test]
    fn user_information_get_and_oof_get_are_read_together() {
        let tree = Element::new(s::SETTINGS)
            .with(Element::new(s::USER_INFORMATION).with(Element::new(s::GET)))
            .with(Element::new(s::OOF).with(Element::new(s::GET).with_text(s::BODY_TYPE, "Text")))
            .with(Element::new(s::RIGHTS_MANAGEMENT_INFORMATION).with(Element::new(s::GET)));
        let req = SettingsRequest::from_element(&tree).expect("parses");
        assert!(req.user_information_get);
        assert!(req.rights_management_get);
        assert_eq!(
            req.oof,
            Some(OofRequest::Get {
                body_type: Some("Text".into())
            })
        );
    }

    #[test]
    fn an_oof_set_and_a_device_password_set_are_read_without_keeping_the_password() {
        let tree = Element::new(s::SETTINGS)
            .with(
                Element::new(s::OOF).with(
                    Element::new(s::SET).with_text(s::OOF_STATE, "1").with(
                        Element::new(s::OOF_MESSAGE)
                            .with(Element::new(s::APPLIES_TO_INTERNAL))
                            .with_text(s::ENABLED, "1")
                            .with_text(s::REPLY_MESSAGE, "away")
                            .with_text(s::BODY_TYPE, "TEXT"),
                    ),
                ),
            )
            .with(
                Element::new(s::DEVICE_PASSWORD)
                    .with(Element::new(s::SET).with_text(s::PASSWORD, "secret")),
            );
        let req = SettingsRequest::from_element(&tree).expect("parses");
        assert!(req.device_password_set);
        assert!(!format!("{req:?}").contains("secret"));
        let Some(OofRequest::Set(set)) = req.oof else {
            panic!("expected an oof set");
        };
        assert_eq!(set.state, Some(1));
        assert_eq!(set.messages[0].audience, Some(OofAudience::Internal));
        assert_eq!(set.messages[0].enabled, Some(true));
        assert_eq!(set.messages[0].reply_message.as_deref(), Some("away"));
    }

    #[test]
    fn malformed_settings_requests_name_the_element() {
        let tree = Element::new(s::OOF);
        assert!(matches!(
            SettingsRequest::from_element(&tree),
            Err(ParseError::WrongRoot { .. })
        ));
        let tree = Element::new(s::SETTINGS).with(Element::new(s::OOF));
        assert_eq!(
            SettingsRequest::from_element(&tree),
            Err(ParseError::Missing(s::GET))
        );
        let tree = Element::new(s::SETTINGS)
            .with(Element::new(s::OOF).with(Element::new(s::SET).with_text(s::OOF_STATE, "7")));
        assert!(SettingsRequest::from_element(&tree).is_err());
    }
}
