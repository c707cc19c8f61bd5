//! The user's own address books on the contacts service (the synchronized contact folders and
//! the collected recipients of sent mail), as entries for GAL search (MS-ASCMD 2.2.1.16, "the
//! directory and the user's other address books") and for ResolveRecipients (recipient Type 2,
//! a contact: MS-ASCMD 2.2.3.169.3).

use eas_contacts_model::contact::{bare_address, Field};
use eas_contacts_model::stored;
use eas_rpc::contacts::SearchRequest;

use crate::edge::Edge;
use crate::error::EdgeError;

/// One contact of the user as a search or resolution entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BookEntry {
    pub display_name: String,
    /// The first e-mail address, bare (no display name around it).
    pub email: Option<String>,
    /// Every e-mail address of the contact, bare and lower case, for matching.
    pub emails: Vec<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub title: Option<String>,
    pub company: Option<String>,
    pub office: Option<String>,
    pub phone: Option<String>,
    pub mobile_phone: Option<String>,
    pub home_phone: Option<String>,
    pub photo: Option<Vec<u8>>,
}

/// The user's contacts matching `text` (a prefix of a name word, a name or an address), the
/// collected recipients included; none when this edge does not serve contacts. At most `limit`.
pub async fn search(
    edge: &Edge,
    user: &str,
    text: &str,
    limit: u32,
) -> Result<Vec<BookEntry>, EdgeError> {
    let Some(client) = edge.contacts.clone() else {
        return Ok(Vec::new());
    };
    let text = text.trim();
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let mut client = client;
    let reply = client
        .search_contacts(SearchRequest {
            user: user.to_owned(),
            query: text.to_owned(),
            limit,
            include_collected: true,
        })
        .await
        .map_err(EdgeError::from)?
        .into_inner();
    let mut out = Vec::with_capacity(reply.matches.len());
    for m in reply.matches {
        let Some(c) = m.contact else { continue };
        match stored::from_json(&c.json) {
            Ok(contact) => out.push(entry(&contact)),
            // One unreadable contact does not fail the search.
            Err(e) => {
                tracing::warn!(user, contact = %c.id, error = %e, "unreadable stored contact")
            }
        }
    }
    Ok(out)
}

fn entry(c: &eas_contacts_model::Contact) -> BookEntry {
    let emails: Vec<String> = c
        .email_addresses()
        .iter()
        .map(|a| bare_address(a).to_lowercase())
        .filter(|a| !a.is_empty())
        .collect();
    let email = c
        .email_addresses()
        .first()
        .map(|a| bare_address(a))
        .filter(|a| !a.is_empty());
    let display_name = c
        .display_name()
        .filter(|n| !n.trim().is_empty())
        .or_else(|| email.clone())
        .unwrap_or_default();
    BookEntry {
        display_name,
        email,
        emails,
        first_name: c.text(Field::FirstName).map(str::to_owned),
        last_name: c.text(Field::LastName).map(str::to_owned),
        title: c.text(Field::JobTitle).map(str::to_owned),
        company: c.text(Field::CompanyName).map(str::to_owned),
        office: c.text(Field::OfficeLocation).map(str::to_owned),
        phone: c.text(Field::BusinessPhoneNumber).map(str::to_owned),
        mobile_phone: c.text(Field::MobilePhoneNumber).map(str::to_owned),
        home_phone: c.text(Field::HomePhoneNumber).map(str::to_owned),
        photo: c.picture.as_ref().map(|p| p.0.clone()),
    }
}
