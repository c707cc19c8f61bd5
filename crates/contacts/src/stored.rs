//! The stored form of a contact: versioned JSON, stable across releases of this crate.
//!
//! `{"v":1, ...}` with the fields of [`Contact`] under their snake_case names, dates as
//! `YYYY-MM-DD`, the picture as base64, empty fields left out. A reader takes its own version
//! and older ones; a newer version is refused rather than misread (a store rolled back after
//! an upgrade keeps the rows it cannot read instead of overwriting them).

use serde::{Deserialize, Serialize};

use crate::contact::Contact;

/// The version written by [`to_json`].
pub const STORED_VERSION: u32 = 1;

/// A stored contact that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum StoredError {
    #[error("stored contact is not valid JSON for version {STORED_VERSION}: {0}")]
    Json(#[from] serde_json::Error),
    #[error("stored contact has version {0}; this build reads up to {STORED_VERSION}")]
    TooNew(u32),
    #[error("stored contact has no version")]
    NoVersion,
}

#[derive(Serialize)]
struct Out<'a> {
    v: u32,
    #[serde(flatten)]
    contact: &'a Contact,
}

#[derive(Deserialize)]
struct Versioned {
    v: Option<u32>,
}

/// The JSON text of a contact.
pub fn to_json(contact: &Contact) -> String {
    let out = Out {
        v: STORED_VERSION,
        contact,
    };
    // Serializing plain data with string keys cannot fail.
    serde_json::to_string(&out).unwrap_or_default()
}

/// A contact from its JSON text.
pub fn from_json(text: &str) -> Result<Contact, StoredError> {
    let versioned: Versioned = serde_json::from_str(text)?;
    match versioned.v {
        None => Err(StoredError::NoVersion),
        Some(v) if v > STORED_VERSION => Err(StoredError::TooNew(v)),
        Some(_) => {
            let mut value: serde_json::Value = serde_json::from_str(text)?;
            if let Some(map) = value.as_object_mut() {
                map.remove("v");
            }
            Ok(serde_json::from_value(value)?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contact::{Notes, Picture};
    use crate::date::ContactDate;
    use crate::vcard::{Origin, Param, Property};
    use crate::Field;

    /// The form pinned: a change here breaks every stored contact.
    const GOLDEN: &str = r#"{"v":1,"company_name":"Acme","email1_address":"jane@example.com","first_name":"Jane","last_name":"Doe","mobile_phone_number":"+1 555 0100","im_address":"jane@example.com","birthday":"1980-05-17","categories":["Friends"],"children":["Ann"],"notes":{"text":"Met at the fair"},"picture":"/9j/4A==","vcard":{"origins":{"mobile_phone_number":{"name":"TEL","params":[{"name":"TYPE","values":["CELL"]}]},"im_address":{"name":"IMPP","scheme":"xmpp:"}},"extra":[{"group":"item1","name":"X-SOCIALPROFILE","params":[{"name":"TYPE","values":["twitter"]}],"value":"x-apple:jdoe"}]}}"#;

    fn sample() -> Contact {
        let mut c = Contact {
            first_name: Some("Jane".into()),
            last_name: Some("Doe".into()),
            company_name: Some("Acme".into()),
            email1_address: Some("jane@example.com".into()),
            mobile_phone_number: Some("+1 555 0100".into()),
            im_address: Some("jane@example.com".into()),
            birthday: ContactDate::new(1980, 5, 17),
            categories: vec!["Friends".into()],
            children: vec!["Ann".into()],
            notes: Some(Notes::plain("Met at the fair")),
            picture: Some(Picture(vec![0xFF, 0xD8, 0xFF, 0xE0])),
            ..Contact::default()
        };
        c.vcard.origins.insert(
            Field::MobilePhoneNumber,
            Origin {
                group: None,
                name: "TEL".into(),
                params: vec![Param::new("TYPE", &["CELL"])],
                hidden: vec![],
                scheme: None,
            },
        );
        c.vcard.origins.insert(
            Field::ImAddress,
            Origin {
                group: None,
                name: "IMPP".into(),
                params: vec![],
                hidden: vec![],
                scheme: Some("xmpp:".into()),
            },
        );
        c.vcard.extra.push(Property {
            group: Some("item1".into()),
            name: "X-SOCIALPROFILE".into(),
            params: vec![Param::new("TYPE", &["twitter"])],
            value: "x-apple:jdoe".into(),
        });
        c
    }

    #[test]
    fn the_stored_form_is_pinned() {
        assert_eq!(to_json(&sample()), GOLDEN);
        assert_eq!(from_json(GOLDEN).expect("reads"), sample());
    }

    #[test]
    fn an_empty_contact_is_just_the_version() {
        assert_eq!(to_json(&Contact::default()), r#"{"v":1}"#);
        assert_eq!(from_json(r#"{"v":1}"#).expect("reads"), Contact::default());
    }

    #[test]
    fn newer_or_unversioned_forms_are_refused() {
        assert!(matches!(
            from_json(r#"{"v":2}"#),
            Err(StoredError::TooNew(2))
        ));
        assert!(matches!(
            from_json(r#"{"first_name":"x"}"#),
            Err(StoredError::NoVersion)
        ));
        assert!(matches!(from_json("not json"), Err(StoredError::Json(_))));
        assert!(matches!(
            from_json(r#"{"v":1,"birthday":"1980-02-30"}"#),
            Err(StoredError::Json(_))
        ));
    }
}
