//! What the service indexes of a contact for search and for the collected-recipient check:
//! lowercased terms (the display name, each of its words, first and last name, nickname, every
//! e-mail address), and the LIKE pattern of a prefix query.

use eas_contacts_model::{stored, Contact};

use crate::error::ContactsError;

/// A name term: matched by search.
pub(crate) const NAME: i32 = 1;
/// An e-mail address: matched by search and by the collected-recipient check.
pub(crate) const EMAIL: i32 = 2;

/// A contact ready to store: its normalised stored form and its index.
#[derive(Debug, Clone)]
pub(crate) struct Indexed {
    pub json: String,
    pub display_name: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub nick_name: Option<String>,
    /// `(kind, term)`, lowercased, without repeats.
    pub terms: Vec<(i32, String)>,
}

impl Indexed {
    /// Reads the stored form; a text `stored::from_json` refuses is `InvalidContact`.
    pub(crate) fn from_json(json: &str) -> Result<Indexed, ContactsError> {
        let contact =
            stored::from_json(json).map_err(|e| ContactsError::InvalidContact(e.to_string()))?;
        Ok(Indexed::of(&contact))
    }

    pub(crate) fn of(contact: &Contact) -> Indexed {
        let display_name = contact.display_name().unwrap_or_default();
        let mut terms: Vec<(i32, String)> = Vec::new();
        let mut add = |kind: i32, text: &str| {
            let term = text.trim().to_lowercase();
            if !term.is_empty() && !terms.iter().any(|(k, t)| *k == kind && *t == term) {
                terms.push((kind, term));
            }
        };
        add(NAME, &display_name);
        for word in words(&display_name) {
            add(NAME, word);
        }
        for name in [&contact.first_name, &contact.last_name, &contact.nick_name]
            .into_iter()
            .flatten()
        {
            add(NAME, name);
        }
        for address in contact.email_addresses() {
            add(EMAIL, &address);
        }
        Indexed {
            json: stored::to_json(contact),
            display_name,
            first_name: contact.first_name.clone(),
            last_name: contact.last_name.clone(),
            nick_name: contact.nick_name.clone(),
            terms,
        }
    }
}

/// The words of a name: split at white space, with the punctuation around them dropped
/// (`"Doe, Jane (Acme)"` gives `Doe`, `Jane`, `Acme`).
fn words(name: &str) -> impl Iterator<Item = &str> {
    name.split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
}

/// The LIKE pattern (with `\` as escape) of a case-insensitive prefix query; `InvalidQuery`
/// when the query is empty.
pub(crate) fn prefix_pattern(query: &str) -> Result<String, ContactsError> {
    let query = query.trim().to_lowercase();
    if query.is_empty() {
        return Err(ContactsError::InvalidQuery);
    }
    let mut pattern = String::with_capacity(query.len() + 1);
    for c in query.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    Ok(pattern)
}

/// The address book key of an e-mail address: trimmed and lowercased.
pub(crate) fn address_key(address: &str) -> String {
    eas_contacts_model::bare_address(address).to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_words_nickname_and_every_address_are_terms() {
        let contact = Contact {
            file_as: Some("Doe, Jane (Acme)".into()),
            first_name: Some("Jane".into()),
            last_name: Some("Doe".into()),
            nick_name: Some("JD".into()),
            email1_address: Some("\"Jane\" <Jane.Doe@Example.com>".into()),
            email2_address: Some("jd@home.example".into()),
            ..Contact::default()
        };
        let indexed = Indexed::of(&contact);
        let names: Vec<&str> = indexed
            .terms
            .iter()
            .filter(|(k, _)| *k == NAME)
            .map(|(_, t)| t.as_str())
            .collect();
        assert_eq!(names, ["doe, jane (acme)", "doe", "jane", "acme", "jd"]);
        let emails: Vec<&str> = indexed
            .terms
            .iter()
            .filter(|(k, _)| *k == EMAIL)
            .map(|(_, t)| t.as_str())
            .collect();
        assert_eq!(emails, ["jane.doe@example.com", "jd@home.example"]);
        assert_eq!(indexed.display_name, "Doe, Jane (Acme)");
    }

    #[test]
    fn like_wildcards_in_a_query_match_themselves() {
        assert_eq!(prefix_pattern(" Ja_n%e\\ ").unwrap(), "ja\\_n\\%e\\\\%");
        assert!(matches!(
            prefix_pattern("  "),
            Err(ContactsError::InvalidQuery)
        ));
    }

    #[test]
    fn a_text_that_is_not_the_stored_form_is_refused() {
        for bad in ["", "[]", "{\"first_name\":\"x\"}", "{\"v\":99}"] {
            assert!(
                matches!(
                    Indexed::from_json(bad),
                    Err(ContactsError::InvalidContact(_))
                ),
                "{bad:?}"
            );
        }
    }
}
