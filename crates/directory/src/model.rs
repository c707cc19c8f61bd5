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
    /// What the global address list shows beyond name and address.
    #[serde(default)]
    pub gal: GalFields,
    /// The user's photo, when one is set (the bytes come from `Directory::photo`).
    #[serde(default)]
    pub photo: Option<PhotoInfo>,
    /// Whether the user's devices are offered calendars other users shared with them; `None`:
    /// each device type's default. A device's own setting wins over it.
    #[serde(default)]
    pub shared_calendars: Option<bool>,
    /// The user's own calendar settings; what is not set follows the server's.
    #[serde(default)]
    pub calendar: CalendarPreferences,
}

/// A user's calendar settings (`None`: the server-wide default, `edge.calendar.*`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarPreferences {
    /// The IANA zone the user lives in (`Europe/Paris`): up to 14.1 all-day events go out at
    /// its midnights, times a phone sends without a `Timezone` are read in it, and free/busy
    /// lays the user's all-day events in it.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// The first day of the week, 0 (Sunday) to 6, of a weekly series sent without one
    /// (MS-ASCAL 2.2.2.22).
    #[serde(default)]
    pub first_day_of_week: Option<u8>,
}

impl CalendarPreferences {
    /// Whether the zone is an IANA zone name and the first day of the week 0 to 6.
    pub fn check(&self) -> Result<(), crate::DirectoryError> {
        if let Some(zone) = &self.time_zone {
            if zone.parse::<chrono_tz::Tz>().is_err() {
                return Err(crate::DirectoryError::InvalidField {
                    field: "time_zone",
                    reason: "not an IANA time zone name",
                });
            }
        }
        if self.first_day_of_week.is_some_and(|d| d > 6) {
            return Err(crate::DirectoryError::InvalidField {
                field: "first_day_of_week",
                reason: "must be 0 (Sunday) to 6 (Saturday)",
            });
        }
        Ok(())
    }
}

impl User {
    /// The name phones show: the display name, or the address when it is blank.
    pub fn shown_name(&self) -> &str {
        display_name_or(&self.display_name, &self.address)
    }

    /// First and last name for the GAL: the stored ones, else taken from a display name of two
    /// or more words (the first word, and the rest).
    pub fn first_and_last_name(&self) -> (Option<&str>, Option<&str>) {
        let derived = self
            .display_name
            .trim()
            .split_once(char::is_whitespace)
            .map(|(first, last)| (first, last.trim()))
            .filter(|(_, last)| !last.is_empty());
        (
            self.gal.first_name.as_deref().or(derived.map(|d| d.0)),
            self.gal.last_name.as_deref().or(derived.map(|d| d.1)),
        )
    }
}

/// The trimmed display name, or `fallback` when it is blank: phones show this name in lists, GAL
/// results and resolved recipients, where an empty one looks like a bug. The one place that rule
/// lives: the directory stores a blank name as the local part, the edge shows the address.
pub fn display_name_or<'a>(display_name: &'a str, fallback: &'a str) -> &'a str {
    match display_name.trim() {
        "" => fallback,
        name => name,
    }
}

/// A user's global address list fields (the GAL namespace of MS-ASCMD 2.2.3.139.3 Properties):
/// each trimmed, never blank, at most [`GalFields::MAX_CHARS`] characters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GalFields {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// Job title.
    pub title: Option<String>,
    pub company: Option<String>,
    /// Office location.
    pub office: Option<String>,
    /// Business phone (gal:Phone).
    pub phone: Option<String>,
    pub home_phone: Option<String>,
    pub mobile_phone: Option<String>,
}

impl GalFields {
    /// Longest value of one field, in characters.
    pub const MAX_CHARS: usize = 256;

    /// The fields by name, in the order of the GAL properties.
    pub(crate) fn named_mut(&mut self) -> [(&'static str, &mut Option<String>); 8] {
        [
            ("first_name", &mut self.first_name),
            ("last_name", &mut self.last_name),
            ("title", &mut self.title),
            ("company", &mut self.company),
            ("office", &mut self.office),
            ("phone", &mut self.phone),
            ("home_phone", &mut self.home_phone),
            ("mobile_phone", &mut self.mobile_phone),
        ]
    }
}

/// A partial change to a user's [`GalFields`]: an absent field stays as it is, `null` (or a
/// blank string) clears it, a string sets it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GalFieldsUpdate {
    #[serde(deserialize_with = "present")]
    pub first_name: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    pub last_name: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    pub title: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    pub company: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    pub office: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    pub phone: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    pub home_phone: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    pub mobile_phone: Option<Option<String>>,
}

impl GalFieldsUpdate {
    /// `fields` with this update applied.
    pub fn apply(self, mut fields: GalFields) -> GalFields {
        let changes = [
            self.first_name,
            self.last_name,
            self.title,
            self.company,
            self.office,
            self.phone,
            self.home_phone,
            self.mobile_phone,
        ];
        for ((_, field), change) in fields.named_mut().into_iter().zip(changes) {
            if let Some(value) = change {
                *field = value;
            }
        }
        fields
    }
}

/// A field that is present in the JSON, `null` included: `Some(None)` for `null`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// What the directory tells about a stored photo without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoInfo {
    /// `image/jpeg` or `image/png`, from the bytes themselves.
    pub content_type: String,
    /// Bytes.
    pub size: u64,
}

/// A user's photo.
#[derive(Clone, PartialEq, Eq)]
pub struct Photo {
    /// `image/jpeg` or `image/png`.
    pub content_type: String,
    pub data: Vec<u8>,
}

impl fmt::Debug for Photo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Photo")
            .field("content_type", &self.content_type)
            .field("size", &self.data.len())
            .finish()
    }
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

    fn user(display_name: &str, gal: GalFields) -> User {
        User {
            id: 1,
            address: "jdoe@example.loc".into(),
            local_part: "jdoe".into(),
            domain: "example.loc".into(),
            display_name: display_name.into(),
            disabled: false,
            aliases: Vec::new(),
            gal,
            photo: None,
            shared_calendars: None,
            calendar: CalendarPreferences::default(),
        }
    }

    #[test]
    fn first_and_last_name_come_from_the_fields_else_from_a_two_word_display_name() {
        let derived = user(" Jan  van Dijk ", GalFields::default());
        assert_eq!(
            derived.first_and_last_name(),
            (Some("Jan"), Some("van Dijk"))
        );
        assert_eq!(
            user("Cher", GalFields::default()).first_and_last_name(),
            (None, None)
        );
        let stored = user(
            "Jan van Dijk",
            GalFields {
                last_name: Some("Dijk".into()),
                ..GalFields::default()
            },
        );
        assert_eq!(stored.first_and_last_name(), (Some("Jan"), Some("Dijk")));
    }

    #[test]
    fn a_blank_display_name_shows_the_fallback() {
        assert_eq!(
            user("  ", GalFields::default()).shown_name(),
            "jdoe@example.loc"
        );
        assert_eq!(user(" John ", GalFields::default()).shown_name(), "John");
        assert_eq!(display_name_or("\t ", "jdoe"), "jdoe");
    }

    #[test]
    fn an_update_sets_clears_and_leaves_fields() {
        let update: GalFieldsUpdate =
            serde_json::from_str(r#"{"title": "CFO", "office": null}"#).expect("parses");
        let before = GalFields {
            office: Some("B 2.14".into()),
            company: Some("Example".into()),
            ..GalFields::default()
        };
        let after = update.apply(before);
        assert_eq!(after.title.as_deref(), Some("CFO"));
        assert_eq!(after.office, None);
        assert_eq!(after.company.as_deref(), Some("Example"));
        assert!(serde_json::from_str::<GalFieldsUpdate>(r#"{"titel": "x"}"#).is_err());
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
