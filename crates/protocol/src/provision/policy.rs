//! The security policy the server hands out, and its rendering as an `EASProvisionDoc` (MS-ASPROV 2.2.2.28).

use eas_wbxml::tags::provision as p;
use eas_wbxml::Element;
use serde::{Deserialize, Serialize};

use crate::version::ProtocolVersion;

/// The policy settings a server can require, as its configuration file holds them.
///
/// The defaults ask for nothing and allow everything, which every client accepts. Note
/// PHONE_FLOWS.md: AOSP reports a policy it cannot enforce (any `allow_*` set to false,
/// for instance) as unsupported; see [`PolicySettings::aosp_unsupported`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicySettings {
    pub password_required: bool,
    pub alphanumeric_password_required: bool,
    pub password_recovery_enabled: bool,
    pub require_storage_card_encryption: bool,
    pub attachments_enabled: bool,
    pub min_password_length: Option<u8>,
    /// Seconds without input before the device locks.
    pub max_inactivity_lock_seconds: Option<u32>,
    pub max_failed_attempts: Option<u8>,
    /// Bytes; `None` is no limit.
    pub max_attachment_size: Option<u32>,
    pub allow_simple_password: bool,
    pub password_expiration_days: Option<u32>,
    /// How many earlier passwords may not be reused; 0 is no history.
    pub password_history: u32,
    pub allow_storage_card: bool,
    pub allow_camera: bool,
    pub require_device_encryption: bool,
    pub min_complex_characters: Option<u8>,
    pub allow_html_email: bool,
    /// MS-ASPROV 2.2.2.31: 0 all, 4 two weeks, 5 one month, 6 three months, 7 six months.
    pub max_calendar_age_filter: u8,
    /// MS-ASPROV 2.2.2.33: 0 all, 1 one day, 2 three days, 3 one week, 4 two weeks, 5 one month.
    pub max_email_age_filter: u8,
}

impl Default for PolicySettings {
    fn default() -> Self {
        PolicySettings {
            password_required: false,
            alphanumeric_password_required: false,
            password_recovery_enabled: false,
            require_storage_card_encryption: false,
            attachments_enabled: true,
            min_password_length: None,
            max_inactivity_lock_seconds: None,
            max_failed_attempts: None,
            max_attachment_size: None,
            allow_simple_password: true,
            password_expiration_days: None,
            password_history: 0,
            allow_storage_card: true,
            allow_camera: true,
            require_device_encryption: false,
            min_complex_characters: None,
            allow_html_email: true,
            max_calendar_age_filter: 0,
            max_email_age_filter: 0,
        }
    }
}

fn flag(b: bool) -> &'static str {
    if b {
        "1"
    } else {
        "0"
    }
}

impl PolicySettings {
    /// Settings that the configuration should not hold: values outside the spec's ranges.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !matches!(self.max_calendar_age_filter, 0 | 4..=7) {
            out.push(format!(
                "max_calendar_age_filter {} is not 0, 4, 5, 6 or 7",
                self.max_calendar_age_filter
            ));
        }
        if self.max_email_age_filter > 5 {
            out.push(format!(
                "max_email_age_filter {} is above 5",
                self.max_email_age_filter
            ));
        }
        // MS-ASPROV 2.2.2.38: MinDevicePasswordLength is 1 to 16.
        if let Some(n) = self.min_password_length.filter(|n| !(1..=16).contains(n)) {
            out.push(format!("min_password_length {n} is outside 1 to 16"));
        }
        // MS-ASPROV 2.2.2.37: MinDevicePasswordComplexCharacters is 1 to 4.
        if let Some(n) = self.min_complex_characters.filter(|n| !(1..=4).contains(n)) {
            out.push(format!("min_complex_characters {n} is outside 1 to 4"));
        }
        // MS-ASPROV 2.2.2.32: MaxDevicePasswordFailedAttempts is 4 to 16.
        if let Some(n) = self.max_failed_attempts.filter(|n| !(4..=16).contains(n)) {
            out.push(format!("max_failed_attempts {n} is outside 4 to 16"));
        }
        out
    }

    /// The names of settings that AOSP's Exchange client marks unsupported (PHONE_FLOWS.md §1).
    pub fn aosp_unsupported(&self) -> Vec<&'static str> {
        let checks = [
            (!self.attachments_enabled, "attachments_enabled"),
            (!self.allow_storage_card, "allow_storage_card"),
            (!self.allow_camera, "allow_camera"),
            (!self.allow_html_email, "allow_html_email"),
        ];
        checks
            .iter()
            .filter(|(bad, _)| *bad)
            .map(|(_, n)| *n)
            .collect()
    }

    /// The `EASProvisionDoc` element for a client of `version`, children in the order of
    /// Provision.xsd. Elements introduced at 12.1 are left out for 12.0 (MS-ASPROV 2.1.2.1.15).
    pub fn to_provision_doc(&self, version: ProtocolVersion) -> Element {
        let v121 = version >= ProtocolVersion::V12_1;
        let mut doc = Element::new(p::EAS_PROVISION_DOC);
        let num = |v: Option<u32>| v.map(|n| n.to_string());

        doc.push_text(p::DEVICE_PASSWORD_ENABLED, flag(self.password_required));
        doc.push_text(
            p::ALPHANUMERIC_DEVICE_PASSWORD_REQUIRED,
            flag(self.alphanumeric_password_required),
        );
        doc.push_text(
            p::PASSWORD_RECOVERY_ENABLED,
            flag(self.password_recovery_enabled),
        );
        if v121 {
            doc.push_text(
                p::REQUIRE_STORAGE_CARD_ENCRYPTION,
                flag(self.require_storage_card_encryption),
            );
        }
        doc.push_text(p::ATTACHMENTS_ENABLED, flag(self.attachments_enabled));
        let optional = [
            (
                p::MIN_DEVICE_PASSWORD_LENGTH,
                num(self.min_password_length.map(u32::from)),
            ),
            (
                p::MAX_INACTIVITY_TIME_DEVICE_LOCK,
                num(self.max_inactivity_lock_seconds),
            ),
            (
                p::MAX_DEVICE_PASSWORD_FAILED_ATTEMPTS,
                num(self.max_failed_attempts.map(u32::from)),
            ),
            (p::MAX_ATTACHMENT_SIZE, num(self.max_attachment_size)),
        ];
        for (tag, value) in optional {
            if let Some(v) = value {
                doc.push_text(tag, v);
            }
        }
        doc.push_text(
            p::ALLOW_SIMPLE_DEVICE_PASSWORD,
            flag(self.allow_simple_password),
        );
        if let Some(days) = self.password_expiration_days {
            doc.push_text(p::DEVICE_PASSWORD_EXPIRATION, days.to_string());
        }
        doc.push_text(
            p::DEVICE_PASSWORD_HISTORY,
            self.password_history.to_string(),
        );
        if !v121 {
            return doc;
        }
        doc.push_text(p::ALLOW_STORAGE_CARD, flag(self.allow_storage_card));
        doc.push_text(p::ALLOW_CAMERA, flag(self.allow_camera));
        doc.push_text(
            p::REQUIRE_DEVICE_ENCRYPTION,
            flag(self.require_device_encryption),
        );
        doc.push_text(p::ALLOW_UNSIGNED_APPLICATIONS, "1");
        doc.push_text(p::ALLOW_UNSIGNED_INSTALLATION_PACKAGES, "1");
        if let Some(n) = self.min_complex_characters {
            doc.push_text(p::MIN_DEVICE_PASSWORD_COMPLEX_CHARACTERS, n.to_string());
        }
        doc.push_text(p::ALLOW_WI_FI, "1");
        doc.push_text(p::ALLOW_TEXT_MESSAGING, "1");
        doc.push_text(p::ALLOW_POPIMAP_EMAIL, "1");
        // MS-ASPROV 2.2.2.2: 2 allows Bluetooth fully; AOSP refuses anything else.
        doc.push_text(p::ALLOW_BLUETOOTH, "2");
        doc.push_text(p::ALLOW_IR_DA, "1");
        doc.push_text(p::REQUIRE_MANUAL_SYNC_WHEN_ROAMING, "0");
        doc.push_text(p::ALLOW_DESKTOP_SYNC, "1");
        doc.push_text(
            p::MAX_CALENDAR_AGE_FILTER,
            self.max_calendar_age_filter.to_string(),
        );
        doc.push_text(p::ALLOW_HTML_EMAIL, flag(self.allow_html_email));
        doc.push_text(
            p::MAX_EMAIL_AGE_FILTER,
            self.max_email_age_filter.to_string(),
        );
        // MS-ASPROV 2.2.2.34, 2.2.2.35: -1 is no truncation; AOSP refuses any other limit.
        doc.push_text(p::MAX_EMAIL_BODY_TRUNCATION_SIZE, "-1");
        doc.push_text(p::MAX_EMAIL_HTML_BODY_TRUNCATION_SIZE, "-1");
        doc.push_text(p::REQUIRE_SIGNED_SMIME_MESSAGES, "0");
        doc.push_text(p::REQUIRE_ENCRYPTED_SMIME_MESSAGES, "0");
        doc.push_text(p::ALLOW_SMIME_SOFT_CERTS, "1");
        doc.push_text(p::ALLOW_BROWSER, "1");
        doc.push_text(p::ALLOW_CONSUMER_EMAIL, "1");
        doc.push_text(p::ALLOW_REMOTE_DESKTOP, "1");
        doc.push_text(p::ALLOW_INTERNET_SHARING, "1");
        doc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(doc: &Element) -> Vec<&'static str> {
        doc.elements().filter_map(|e| e.tag.name()).collect()
    }

    #[test]
    fn default_settings_have_no_problems_and_nothing_aosp_refuses() {
        let s = PolicySettings::default();
        assert!(s.problems().is_empty());
        assert!(s.aosp_unsupported().is_empty());
    }

    #[test]
    fn out_of_range_settings_are_reported() {
        let s = PolicySettings {
            max_calendar_age_filter: 2,
            max_email_age_filter: 9,
            min_password_length: Some(40),
            max_failed_attempts: Some(2),
            allow_camera: false,
            ..PolicySettings::default()
        };
        assert_eq!(s.problems().len(), 4);
        assert_eq!(s.aosp_unsupported(), ["allow_camera"]);
    }

    #[test]
    fn the_doc_for_14_1_sends_no_truncation_and_full_bluetooth() {
        let doc = PolicySettings::default().to_provision_doc(ProtocolVersion::V14_1);
        assert_eq!(
            doc.child_text(p::MAX_EMAIL_BODY_TRUNCATION_SIZE).as_deref(),
            Some("-1")
        );
        assert_eq!(
            doc.child_text(p::MAX_EMAIL_HTML_BODY_TRUNCATION_SIZE)
                .as_deref(),
            Some("-1")
        );
        assert_eq!(doc.child_text(p::ALLOW_BLUETOOTH).as_deref(), Some("2"));
        assert_eq!(doc.child(p::MIN_DEVICE_PASSWORD_LENGTH), None);
    }

    #[test]
    fn the_doc_for_12_0_leaves_out_elements_introduced_at_12_1() {
        let doc = PolicySettings::default().to_provision_doc(ProtocolVersion::V12_0);
        let n = names(&doc);
        assert!(!n.contains(&"AllowCamera"));
        assert!(!n.contains(&"RequireStorageCardEncryption"));
        assert_eq!(n.last(), Some(&"DevicePasswordHistory"));
    }

    #[test]
    fn configured_limits_appear_in_the_doc() {
        let s = PolicySettings {
            password_required: true,
            min_password_length: Some(6),
            max_inactivity_lock_seconds: Some(900),
            password_expiration_days: Some(90),
            min_complex_characters: Some(2),
            ..PolicySettings::default()
        };
        let doc = s.to_provision_doc(ProtocolVersion::V14_0);
        assert_eq!(
            doc.child_text(p::DEVICE_PASSWORD_ENABLED).as_deref(),
            Some("1")
        );
        assert_eq!(
            doc.child_text(p::MIN_DEVICE_PASSWORD_LENGTH).as_deref(),
            Some("6")
        );
        assert_eq!(
            doc.child_text(p::MAX_INACTIVITY_TIME_DEVICE_LOCK)
                .as_deref(),
            Some("900")
        );
        assert_eq!(
            doc.child_text(p::DEVICE_PASSWORD_EXPIRATION).as_deref(),
            Some("90")
        );
        assert_eq!(
            doc.child_text(p::MIN_DEVICE_PASSWORD_COMPLEX_CHARACTERS)
                .as_deref(),
            Some("2")
        );
    }

    #[test]
    fn a_config_file_may_name_only_some_settings() {
        let s: PolicySettings =
            toml::from_str("password_required = true\nmin_password_length = 4\n").expect("toml");
        assert!(s.password_required);
        assert_eq!(s.min_password_length, Some(4));
        assert!(s.allow_camera);
        assert!(toml::from_str::<PolicySettings>("no_such_setting = 1").is_err());
    }
}
