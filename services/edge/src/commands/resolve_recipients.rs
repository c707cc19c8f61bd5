//! ResolveRecipients (MS-ASCMD 2.2.1.15): each name the phone typed resolved against the
//! directory of the user's domain (recipient Type 1, GAL) and the user's own contacts (Type 2):
//! an address or alias of a user resolves to that user, an address to the contacts that carry
//! it; otherwise the name is matched like a GAL search (a word of the display name, the address
//! or an alias starting with it). A contact with the address of a directory user is that user.
//! One match is status 1, several are suggestions (2, or 3 when `MaxAmbiguousRecipients` cut the
//! list), none is 4.
//!
//! Pictures (14.1 and later) are the directory's photos and the contacts' own, under MaxSize and
//! MaxPictures, the latter counted per name (`crate::pictures`). What the directory does not hold yet is answered
//! as the spec says for "none": no S/MIME certificates are stored (Certificates status 7), and
//! free/busy cannot be read until the calendar service exists (Availability status 163).

use axum::response::Response;
use eas_protocol::resolve_recipients::{
    Availability, CertificateRetrieval, Certificates, Picture, Recipient, RecipientType,
    ResolveRecipientsRequest, ResolveRecipientsResponse, ResolveResponse, ResolveStatus,
};
use eas_protocol::version::ProtocolVersion;
use eas_wbxml::Element;

use crate::address_books::{self, BookEntry};
use crate::edge::Edge;
use crate::error::EdgeError;
use crate::pictures::{pictures, PictureBudget};
use crate::pipeline::context::RequestCtx;
use crate::respond::wbxml_response;

/// Suggestions per ambiguous name when the phone does not say (MS-ASCMD 2.2.3.90 leaves it to
/// the server).
const DEFAULT_SUGGESTIONS: u32 = 20;
/// Directory entries looked at per name to count `RecipientCount`.
const MATCH_LIMIT: u32 = 1000;

/// MS-ASCMD 2.2.3.177.11, as a child of ResolveRecipients.
const STATUS_SUCCESS: u8 = 1;
const STATUS_PROTOCOL_ERROR: u8 = 5;
const STATUS_SERVER_ERROR: u8 = 6;

fn respond(resp: &ResolveRecipientsResponse) -> Response {
    wbxml_response(&resp.to_element())
}

pub async fn handle(
    edge: &Edge,
    ctx: &mut RequestCtx,
    doc: Option<Element>,
) -> Result<Response, EdgeError> {
    let req = match doc.as_ref().map(ResolveRecipientsRequest::from_element) {
        Some(Ok(r)) => r,
        other => {
            let error = other.and_then(Result::err).map(|e| e.to_string());
            tracing::info!(user = %ctx.user.address, device_id = %ctx.line.device_id, error = ?error, "bad resolverecipients request");
            return Ok(respond(&ResolveRecipientsResponse::status_only(
                STATUS_PROTOCOL_ERROR,
            )));
        }
    };
    let version = ctx.version;
    let options = Extras {
        certificates: req.certificates != CertificateRetrieval::None,
        // Free/busy from 14.0 (R6085).
        availability: req.availability.is_some() && version >= ProtocolVersion::V14_0,
    };
    // Pictures from 14.1 (R6969).
    let mut photos = req
        .picture
        .filter(|_| version >= ProtocolVersion::V14_1)
        .map(PictureBudget::new);
    let max_suggestions = req.max_ambiguous.unwrap_or(DEFAULT_SUGGESTIONS);
    let mut responses = Vec::with_capacity(req.to.len());
    for to in &req.to {
        let users = match resolve(edge, &ctx.user.domain, to).await {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(user = %ctx.user.address, error = %e, "recipient resolution failed");
                return Ok(respond(&ResolveRecipientsResponse::status_only(
                    STATUS_SERVER_ERROR,
                )));
            }
        };
        let book = contacts_for(edge, &ctx.user.address, to, &users).await?;
        let matches: Vec<Candidate> = users
            .into_iter()
            .map(Candidate::Directory)
            .chain(book.into_iter().map(Candidate::Contact))
            .collect();
        let (status, shown) = outcome(&matches, max_suggestions);
        let pictures = match photos.as_mut() {
            Some(budget) => {
                budget.next_query();
                // Directory users come first in the list, so the budget goes in result order.
                let users: Vec<&eas_directory::User> = shown
                    .iter()
                    .filter_map(|c| match c {
                        Candidate::Directory(u) => Some(u),
                        Candidate::Contact(_) => None,
                    })
                    .collect();
                match pictures(&edge.directory, &users, budget).await {
                    Ok(mut p) => {
                        for c in &shown {
                            if let Candidate::Contact(b) = c {
                                p.push(budget.own_photo(b.photo.as_deref()));
                            }
                        }
                        Some(p)
                    }
                    Err(e) => {
                        tracing::warn!(user = %ctx.user.address, error = %e, "recipient photos failed");
                        return Ok(respond(&ResolveRecipientsResponse::status_only(
                            STATUS_SERVER_ERROR,
                        )));
                    }
                }
            }
            None => None,
        };
        responses.push(answer(
            to,
            status,
            matches.len(),
            &shown,
            &options,
            pictures,
        ));
    }
    tracing::debug!(user = %ctx.user.address, names = responses.len(), "recipients resolved");
    Ok(respond(&ResolveRecipientsResponse {
        status: STATUS_SUCCESS,
        responses,
    }))
}

/// One match for a name: a directory user (Type 1) or one of the user's contacts (Type 2).
#[derive(Debug)]
enum Candidate {
    Directory(eas_directory::User),
    Contact(BookEntry),
}

impl Candidate {
    fn kind(&self) -> RecipientType {
        match self {
            Candidate::Directory(_) => RecipientType::Gal,
            Candidate::Contact(_) => RecipientType::Contact,
        }
    }

    fn display_name(&self) -> String {
        match self {
            Candidate::Directory(u) => u.shown_name().to_owned(),
            Candidate::Contact(b) => b.display_name.clone(),
        }
    }

    fn email(&self) -> String {
        match self {
            Candidate::Directory(u) => u.address.clone(),
            Candidate::Contact(b) => b.email.clone().unwrap_or_default(),
        }
    }
}

/// The user's contacts a name stands for: for an address, those carrying it; for a name, those
/// a search finds. A contact without an address cannot be a recipient, and one with the address
/// of a directory user found already is that user.
async fn contacts_for(
    edge: &Edge,
    user: &str,
    to: &str,
    users: &[eas_directory::User],
) -> Result<Vec<BookEntry>, EdgeError> {
    let name = address_in(to);
    let found = match address_books::search(edge, user, name, MATCH_LIMIT).await {
        Ok(f) => f,
        // The contacts service down leaves the directory's answer, which is still right.
        Err(e) => {
            tracing::warn!(user, error = %e, "contacts not searched for recipients");
            return Ok(Vec::new());
        }
    };
    let wanted = name.contains('@').then(|| name.to_lowercase());
    Ok(found
        .into_iter()
        .filter(|b| b.email.is_some())
        .filter(|b| wanted.as_ref().is_none_or(|w| b.emails.contains(w)))
        .filter(|b| {
            !users
                .iter()
                .any(|u| b.emails.contains(&u.address.to_lowercase()))
        })
        .collect())
}

/// Which optional parts each recipient carries (pictures are passed on their own).
struct Extras {
    certificates: bool,
    availability: bool,
}

/// The directory users a typed name stands for: the one user of an address or alias, or the
/// users a GAL search finds, in the user's own domain only.
async fn resolve(
    edge: &Edge,
    domain: &str,
    to: &str,
) -> Result<Vec<eas_directory::User>, eas_directory::DirectoryError> {
    let name = address_in(to);
    if name.contains('@') {
        return match edge.directory.get_user(name).await {
            Ok(u) if u.domain == domain && !u.disabled => Ok(vec![u]),
            Ok(_) => Ok(Vec::new()),
            Err(eas_directory::DirectoryError::NotFound { .. })
            | Err(eas_directory::DirectoryError::InvalidAddress(_)) => Ok(Vec::new()),
            Err(e) => Err(e),
        };
    }
    edge.directory.search_users(domain, name, MATCH_LIMIT).await
}

/// The address inside `Name <address>`, else the text itself, trimmed.
fn address_in(to: &str) -> &str {
    let to = to.trim();
    match (to.rfind('<'), to.rfind('>')) {
        (Some(open), Some(close)) if open < close => to[open + 1..close].trim(),
        _ => to,
    }
}

/// How a name resolved, and the matches listed (MS-ASCMD 2.2.3.177.11): one match is status 1,
/// several are suggestions (2), cut to `max_suggestions` (3), none is 4.
fn outcome(matches: &[Candidate], max_suggestions: u32) -> (ResolveStatus, Vec<&Candidate>) {
    let (status, shown) = match matches.len() {
        0 => (ResolveStatus::NotResolved, 0),
        1 => (ResolveStatus::Resolved, 1),
        n if n <= max_suggestions as usize => (ResolveStatus::Ambiguous, n),
        _ => (ResolveStatus::AmbiguousPartial, max_suggestions as usize),
    };
    (status, matches.iter().take(shown).collect())
}

/// The `Response` for one name (MS-ASCMD 2.2.3.140.5); `pictures`, when the phone asked for
/// them, has one answer per shown recipient.
fn answer(
    to: &str,
    status: ResolveStatus,
    total: usize,
    shown: &[&Candidate],
    extras: &Extras,
    pictures: Option<Vec<Picture>>,
) -> ResolveResponse {
    let total = u32::try_from(total).unwrap_or(u32::MAX);
    let resolved = status == ResolveStatus::Resolved;
    let mut pictures = pictures.into_iter().flatten();
    let recipients = shown
        .iter()
        .map(|u| Recipient {
            kind: u.kind(),
            display_name: u.display_name(),
            email_address: u.email(),
            availability: extras.availability.then_some(Availability::NotAvailable),
            // Certificates go with a resolved recipient only (R4279, R4284, R4287).
            certificates: (extras.certificates && resolved).then_some(Certificates::None),
            picture: pictures.next(),
        })
        .collect();
    ResolveResponse {
        to: to.to_owned(),
        status,
        recipient_count: (total > 0).then_some(total),
        recipients,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, address: &str) -> eas_directory::User {
        let (local, domain) = address.split_once('@').unwrap_or((address, ""));
        eas_directory::User {
            id: 1,
            address: address.into(),
            local_part: local.into(),
            domain: domain.into(),
            display_name: name.into(),
            disabled: false,
            aliases: Vec::new(),
            gal: eas_directory::GalFields::default(),
            photo: None,
            shared_calendars: None,
        }
    }

    const NONE: Extras = Extras {
        certificates: true,
        availability: false,
    };

    fn resolve_names(to: &str, matches: &[eas_directory::User], max: u32) -> ResolveResponse {
        let matches: Vec<Candidate> = matches.iter().cloned().map(Candidate::Directory).collect();
        let (status, shown) = outcome(&matches, max);
        answer(to, status, matches.len(), &shown, &NONE, None)
    }

    #[test]
    fn the_address_inside_angle_brackets_is_the_one_resolved() {
        assert_eq!(
            address_in(" John Doe <jdoe@example.loc> "),
            "jdoe@example.loc"
        );
        assert_eq!(address_in("jdoe"), "jdoe");
        assert_eq!(address_in("a > b <"), "a > b <");
    }

    #[test]
    fn one_match_resolves_several_are_suggestions_and_none_is_unresolved() {
        let a = user("Ann Smith", "asmith@example.loc");
        let b = user("Andy Jones", "ajones@example.loc");
        let c = user("Anna Lee", "alee@example.loc");
        let one = resolve_names("ann", std::slice::from_ref(&a), 20);
        assert_eq!(one.status, ResolveStatus::Resolved);
        assert_eq!(one.recipient_count, Some(1));
        assert_eq!(one.recipients[0].certificates, Some(Certificates::None));
        assert_eq!(one.recipients[0].picture, None);

        let all = [a.clone(), b.clone(), c.clone()];
        let two = resolve_names("an", &all, 20);
        assert_eq!(two.status, ResolveStatus::Ambiguous);
        assert_eq!(two.recipients.len(), 3);
        assert!(two.recipients.iter().all(|r| r.certificates.is_none()));

        let cut = resolve_names("an", &all, 2);
        assert_eq!(cut.status, ResolveStatus::AmbiguousPartial);
        assert_eq!(cut.recipients.len(), 2);
        assert_eq!(cut.recipient_count, Some(3));

        let none = resolve_names("zz", &[], 20);
        assert_eq!(none.status, ResolveStatus::NotResolved);
        assert_eq!(none.recipient_count, None);
        assert!(none.recipients.is_empty());
    }

    #[test]
    fn a_blank_display_name_shows_the_address() {
        let r = resolve_names("x", &[user(" ", "x@example.loc")], 20);
        assert_eq!(r.recipients[0].display_name, "x@example.loc");
    }

    #[test]
    fn pictures_go_to_the_shown_recipients_in_order() {
        let all = [
            Candidate::Directory(user("Ann Smith", "asmith@example.loc")),
            Candidate::Contact(BookEntry {
                display_name: "Andy Jones".into(),
                email: Some("andy@example.org".into()),
                ..BookEntry::default()
            }),
        ];
        let (status, shown) = outcome(&all, 20);
        let pictures = vec![Picture::Data(vec![1]), Picture::NoPhoto];
        let r = answer("an", status, 2, &shown, &NONE, Some(pictures));
        assert_eq!(r.recipients[0].picture, Some(Picture::Data(vec![1])));
        assert_eq!(r.recipients[1].picture, Some(Picture::NoPhoto));
        assert_eq!(r.recipients[0].kind, RecipientType::Gal);
        assert_eq!(r.recipients[1].kind, RecipientType::Contact);
        assert_eq!(r.recipients[1].email_address, "andy@example.org");
    }
}
