//! `settings:DeviceInformation/Set` (MS-ASCMD 2.2.3.45), sent in Settings and, from 14.1, Provision.

use eas_wbxml::tags::settings as s;
use eas_wbxml::{Element, Tag};

use crate::error::ParseError;

/// Longest value kept for one field; Settings.xsd caps each at 1024 characters.
pub const MAX_FIELD_CHARS: usize = 1024;

/// What the device says about itself. Every field is optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceInformation {
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

fn field(set: &Element, tag: Tag) -> Option<String> {
    set.child_text(tag)
        .map(|t| t.trim().chars().take(MAX_FIELD_CHARS).collect::<String>())
        .filter(|t| !t.is_empty())
}

impl DeviceInformation {
    /// Reads a `DeviceInformation` element; its `Set` child is required.
    pub fn from_element(el: &Element) -> Result<DeviceInformation, ParseError> {
        let set = el.child(s::SET).ok_or(ParseError::Missing(s::SET))?;
        // MS-ASCMD 2.2.3.60: EnableOutboundSMS is 0 or 1.
        let enable_outbound_sms = match set.child_text(s::ENABLE_OUTBOUND_SMS) {
            None => None,
            Some(t) => match t.trim() {
                "0" => Some(false),
                "1" => Some(true),
                other => return Err(ParseError::bad_value(s::ENABLE_OUTBOUND_SMS, other)),
            },
        };
        Ok(DeviceInformation {
            model: field(set, s::MODEL),
            imei: field(set, s::IMEI),
            friendly_name: field(set, s::FRIENDLY_NAME),
            os: field(set, s::OS),
            os_language: field(set, s::OS_LANGUAGE),
            phone_number: field(set, s::PHONE_NUMBER),
            user_agent: field(set, s::USER_AGENT),
            enable_outbound_sms,
            mobile_operator: field(set, s::MOBILE_OPERATOR),
        })
    }

    /// Writes the `DeviceInformation/Set` element, as a client would send it.
    pub fn to_element(&self) -> Element {
        let text = |tag: Tag, v: &Option<String>| v.as_ref().map(|v| Element::text(tag, v));
        let set = Element::new(s::SET)
            .with_opt(text(s::MODEL, &self.model))
            .with_opt(text(s::IMEI, &self.imei))
            .with_opt(text(s::FRIENDLY_NAME, &self.friendly_name))
            .with_opt(text(s::OS, &self.os))
            .with_opt(text(s::OS_LANGUAGE, &self.os_language))
            .with_opt(text(s::PHONE_NUMBER, &self.phone_number))
            .with_opt(text(s::USER_AGENT, &self.user_agent))
            .with_opt(
                self.enable_outbound_sms
                    .map(|b| Element::text(s::ENABLE_OUTBOUND_SMS, if b { "1" } else { "0" })),
            )
            .with_opt(text(s::MOBILE_OPERATOR, &self.mobile_operator));
        Element::new(s::DEVICE_INFORMATION).with(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_information_round_trips_through_the_tree() {
        let info = DeviceInformation {
            model: Some("GT-I9505".into()),
            imei: Some("356000000000000".into()),
            friendly_name: Some("Galaxy S4".into()),
            os: Some("Android 4.4.2".into()),
            os_language: Some("en-US".into()),
            phone_number: Some("+15551234567".into()),
            user_agent: Some("Android/4.4.2-EAS-2.0".into()),
            enable_outbound_sms: Some(false),
            mobile_operator: Some("Operator".into()),
        };
        assert_eq!(
            DeviceInformation::from_element(&info.to_element()),
            Ok(info)
        );
    }

    #[test]
    fn empty_fields_are_absent_and_long_fields_are_cut() {
        let el = Element::new(s::DEVICE_INFORMATION).with(
            Element::new(s::SET)
                .with_text(s::MODEL, "  ")
                .with_text(s::OS, "x".repeat(5000)),
        );
        let info = DeviceInformation::from_element(&el).expect("valid");
        assert_eq!(info.model, None);
        assert_eq!(info.os.map(|o| o.len()), Some(MAX_FIELD_CHARS));
    }

    #[test]
    fn a_missing_set_or_bad_sms_flag_is_an_error() {
        let el = Element::new(s::DEVICE_INFORMATION);
        assert_eq!(
            DeviceInformation::from_element(&el),
            Err(ParseError::Missing(s::SET))
        );
        let el = Element::new(s::DEVICE_INFORMATION)
            .with(Element::new(s::SET).with_text(s::ENABLE_OUTBOUND_SMS, "yes"));
        assert!(DeviceInformation::from_element(&el).is_err());
    }
}
