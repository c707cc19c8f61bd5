//! ResolveRecipients (MS-ASCMD 2.2.1.15): each name the phone typed resolved against the
//! directory of the user's domain (recipient Type 1, GAL) and the user's own contacts (Type 2):
//! an address or alias of a user resolves to that user, an address to the contacts that carry
//! it; otherwise the name is matched like a GAL search (a word of the display name, the address
//! or an alias starting with it). A contact with the address of a directory user is that user.
//! One match is status 1, several are suggestions (2, or 3 when `MaxAmbiguousRecipients` cut the
//! list), none is 4.
//!
//! Pictures (14.1 and later) are the directory's photos and the contacts' own, under MaxSize and
//! MaxPictures, the latter counted per name (`crate::pictures`). No S/MIME certificates are
//! stored, which is answered as the spec says for "none" (Certificates status 7).
//!
//! Free/busy (Availability, 14.0 and later, MS-ASCMD 2.2.3.16) of a directory user is read from
//! the calendar service (`FreeBusy`: their own calendars) and merged into one digit per 30
//! minutes from StartTime (MergedFreeBusy, 2.2.3.107). A contact (Type 2) has no calendar here,
//! so its free/busy cannot be read (status 163); neither can anyone's when this edge has no
//! calendar service. A calendar service that cannot be reached is a temporary failure (162).
//! Past 100 users in one request free/busy is not read (160). Without EndTime the window is the
//! seven days after StartTime (R2265, read by the protocol crate).

use std::collections::HashMap;

use axum::response::Response;
use eas_protocol::resolve_recipients::{
    Availability, AvailabilityRequest, CertificateRetrieval, Certificates, Picture, Recipient,
    RecipientType, ResolveRecipientsRequest, ResolveRecipientsResponse, ResolveResponse,
    ResolveStatus,
};
use eas_protocol::version::ProtocolVersion;
use eas_rpc::calendar::{Busy, FreeBusyRequest};
use eas_rpc::{ServiceError, ServiceErrorCode};
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

/// MS-ASCMD 2.2.3.107: each MergedFreeBusy digit stands for 30 minutes.
const SLOT_SECONDS: i64 = 30 * 60;
/// MS-ASCMD 2.2.3.58.1: a window longer than this is status 5 (42 days, the product behavior
/// note R5175; the calendar service refuses longer ones too).
const MAX_WINDOW_SECONDS: i64 = 42 * 86_400;
/// MS-ASCMD 2.2.3.177.11 status 160: the most recipients whose free/busy one request reads
/// (100, the product behavior note <16>).
const MAX_AVAILABILITY_RECIPIENTS: usize = 100;

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
    let certificates = req.certificates != CertificateRetrieval::None;
    // Free/busy from 14.0 (R6085).
    let window = req
        .availability
        .filter(|_| version >= ProtocolVersion::V14_0);
    if let Some(w) = window {
        // R2266: EndTime at least 30 minutes after StartTime, and the span at most 42 days.
        let span = w.end - w.start;
        if !(SLOT_SECONDS..=MAX_WINDOW_SECONDS).contains(&span) {
            tracing::info!(user = %ctx.user.address, device_id = %ctx.line.device_id, span, "resolverecipients availability window refused");
            return Ok(respond(&ResolveRecipientsResponse::status_only(
                STATUS_PROTOCOL_ERROR,
            )));
        }
    }
    let mut free_busy = window.map(|w| FreeBusy::new(edge, w));
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
        let availability = match free_busy.as_mut() {
            Some(fb) => {
                let mut each = Vec::with_capacity(shown.len());
                for c in &shown {
                    each.push(fb.of(c).await);
                }
                Some(each)
            }
            None => None,
        };
        responses.push(answer(
            to,
            status,
            matches.len(),
            &shown,
            certificates,
            availability,
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

/// The free/busy of the recipients of one request over its window, each directory user read
/// once.
struct FreeBusy<'a> {
    edge: &'a Edge,
    window: AvailabilityRequest,
    /// By lowercase address; its length counts against [`MAX_AVAILABILITY_RECIPIENTS`].
    read: HashMap<String, Availability>,
}

impl<'a> FreeBusy<'a> {
    fn new(edge: &'a Edge, window: AvailabilityRequest) -> Self {
        FreeBusy {
            edge,
            window,
            read: HashMap::new(),
        }
    }

    /// The Availability of one recipient (MS-ASCMD 2.2.3.16, statuses 2.2.3.177.11).
    async fn of(&mut self, recipient: &Candidate) -> Availability {
        let user = match recipient {
            Candidate::Directory(u) => u,
            // A contact's calendar is not here to read.
            Candidate::Contact(_) => return Availability::NotAvailable,
        };
        let key = user.address.to_lowercase();
        if let Some(known) = self.read.get(&key) {
            return known.clone();
        }
        if self.read.len() >= MAX_AVAILABILITY_RECIPIENTS {
            return Availability::TooManyRecipients;
        }
        let availability = self.fetch(user).await;
        self.read.insert(key, availability.clone());
        availability
    }

    /// Reads the busy times of `user`, their all-day events laid in their own zone.
    async fn fetch(&self, user: &eas_directory::User) -> Availability {
        let Some(client) = self.edge.calendar.as_ref() else {
            return Availability::NotAvailable;
        };
        let address = user.address.as_str();
        let zone = self.edge.user_zone(user);
        let request = FreeBusyRequest {
            user: address.to_owned(),
            start: self.window.start,
            end: self.window.end,
            time_zone: zone.name().to_owned(),
        };
        match client.clone().free_busy(request).await {
            Ok(reply) => {
                Availability::Merged(merged_free_busy(self.window, &reply.into_inner().busy))
            }
            Err(status) => {
                let e = ServiceError::from_status(&status);
                tracing::warn!(recipient = address, error = %e, "free/busy not read");
                failure(e.code)
            }
        }
    }
}

/// The Availability status of a failed FreeBusy call (MS-ASCMD 2.2.3.177.11): a service that is
/// down or busy is a temporary failure the phone may retry (162); anything else (a calendar
/// service without the call, a refusal) is data that cannot be retrieved (163).
fn failure(code: ServiceErrorCode) -> Availability {
    match code {
        ServiceErrorCode::Unavailable | ServiceErrorCode::Busy => Availability::TemporaryFailure,
        _ => Availability::NotAvailable,
    }
}

/// The MergedFreeBusy digit of a FreeBusy status (MS-ASCAL 2.2.2.10 BusyStatus) in MS-ASCMD
/// 2.2.3.107's scale: 0 free, 1 tentative, 2 busy, 3 out of office. Working elsewhere (4)
/// has no digit there (4 is "no data"); it is time the user works, so free, as MS-ASCAL gives
/// it to clients before 16.0. An unknown status (-1) is busy, as those clients are told.
fn digit(busy_status: i32) -> u8 {
    match busy_status {
        0 | 4 => 0,
        1 => 1,
        3 => 3,
        _ => 2,
    }
}

/// MergedFreeBusy (MS-ASCMD 2.2.3.107): one digit per 30 minutes from StartTime, as many as
/// the window divided by 30 minutes rounded up (R3329), the last one standing for what is left
/// (R3330). A slot takes the highest digit of the busy times that overlap it, even by a second
/// (R3327, R3332); a busy time that ends where a slot starts does not touch it (R3336).
fn merged_free_busy(window: AvailabilityRequest, busy: &[Busy]) -> String {
    let slots = (window.end - window.start + SLOT_SECONDS - 1).div_euclid(SLOT_SECONDS);
    (0..slots)
        .map(|i| {
            let from = window.start + i * SLOT_SECONDS;
            let to = (from + SLOT_SECONDS).min(window.end);
            let highest = busy
                .iter()
                .filter(|b| b.start < to && b.end > from)
                .map(|b| digit(b.busy_status))
                .max()
                .unwrap_or(0);
            char::from(b'0' + highest)
        })
        .collect()
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

/// The `Response` for one name (MS-ASCMD 2.2.3.140.5); `availability` and `pictures`, when the
/// phone asked for them, have one answer per shown recipient.
fn answer(
    to: &str,
    status: ResolveStatus,
    total: usize,
    shown: &[&Candidate],
    certificates: bool,
    availability: Option<Vec<Availability>>,
    pictures: Option<Vec<Picture>>,
) -> ResolveResponse {
    let total = u32::try_from(total).unwrap_or(u32::MAX);
    let resolved = status == ResolveStatus::Resolved;
    let mut availability = availability.into_iter().flatten();
    let mut pictures = pictures.into_iter().flatten();
    let recipients = shown
        .iter()
        .map(|u| Recipient {
            kind: u.kind(),
            display_name: u.display_name(),
            email_address: u.email(),
            availability: availability.next(),
            // Certificates go with a resolved recipient only (R4279, R4284, R4287).
            certificates: (certificates && resolved).then_some(Certificates::None),
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
            calendar: Default::default(),
        }
    }

    fn resolve_names(to: &str, matches: &[eas_directory::User], max: u32) -> ResolveResponse {
        let matches: Vec<Candidate> = matches.iter().cloned().map(Candidate::Directory).collect();
        let (status, shown) = outcome(&matches, max);
        answer(to, status, matches.len(), &shown, true, None, None)
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
        let r = answer("an", status, 2, &shown, true, None, Some(pictures));
        assert_eq!(r.recipients[0].picture, Some(Picture::Data(vec![1])));
        assert_eq!(r.recipients[1].picture, Some(Picture::NoPhoto));
        assert_eq!(r.recipients[0].kind, RecipientType::Gal);
        assert_eq!(r.recipients[1].kind, RecipientType::Contact);
        assert_eq!(r.recipients[1].email_address, "andy@example.org");
    }

    fn busy(start: i64, end: i64, busy_status: i32) -> Busy {
        Busy {
            start,
            end,
            busy_status,
        }
    }

    /// 12:00 UTC on some day.
    const NOON: i64 = 1_796_040_000;
    const MIN: i64 = 60;

    fn merged(start: i64, end: i64, busy: &[Busy]) -> String {
        merged_free_busy(AvailabilityRequest { start, end }, busy)
    }

    #[test]
    fn merged_free_busy_has_one_digit_per_started_half_hour() {
        assert_eq!(NOON % 86_400, 12 * 3600);
        // R3331: 13:00 to 13:30 is one digit; a second more on either side makes two.
        let one = NOON + 60 * MIN;
        assert_eq!(merged(one, one + 30 * MIN, &[]), "0");
        assert_eq!(merged(one - 1, one + 30 * MIN, &[]), "00");
        assert_eq!(merged(one, one + 30 * MIN + 1, &[]), "00");
        // 42 days of slots.
        assert_eq!(merged(NOON, NOON + 42 * 86_400, &[]).len(), 42 * 48);
    }

    #[test]
    fn a_slot_takes_the_highest_digit_that_touches_it() {
        // R3333-R3336: out of office from 12:00 to 12:05.
        let oof = [busy(NOON, NOON + 5 * MIN, 3)];
        assert_eq!(merged(NOON, NOON + 60 * MIN, &oof), "30");
        assert_eq!(merged(NOON + 5 * MIN - 1, NOON + 60 * MIN, &oof), "30");
        assert_eq!(merged(NOON + 5 * MIN, NOON + 60 * MIN, &oof), "00");
        // R3326's example "32201": OOF, busy for an hour, free, tentative.
        let day = [
            busy(NOON, NOON + 30 * MIN, 3),
            busy(NOON + 30 * MIN, NOON + 90 * MIN, 2),
            busy(NOON + 120 * MIN, NOON + 150 * MIN, 1),
        ];
        assert_eq!(merged(NOON, NOON + 150 * MIN, &day), "32201");
        // R3328: 25 minutes free then 5 busy is busy; tentative and busy overlapping is busy,
        // busy and out of office is out of office.
        assert_eq!(
            merged(
                NOON,
                NOON + 30 * MIN,
                &[busy(NOON + 25 * MIN, NOON + 30 * MIN, 2)]
            ),
            "2"
        );
        let overlapping = [
            busy(NOON, NOON + 60 * MIN, 1),
            busy(NOON + 10 * MIN, NOON + 20 * MIN, 2),
            busy(NOON + 40 * MIN, NOON + 41 * MIN, 3),
        ];
        assert_eq!(merged(NOON, NOON + 90 * MIN, &overlapping), "230");
        // A busy time longer than the window fills it.
        assert_eq!(
            merged(
                NOON,
                NOON + 60 * MIN,
                &[busy(NOON - 86_400, NOON + 86_400, 2)]
            ),
            "22"
        );
    }

    #[test]
    fn busy_statuses_map_to_the_digits_of_merged_free_busy() {
        let digits: Vec<u8> = [0, 1, 2, 3, 4, -1, 99].into_iter().map(digit).collect();
        assert_eq!(digits, [0, 1, 2, 3, 0, 2, 2]);
    }

    #[test]
    fn a_calendar_service_down_is_a_temporary_failure_and_anything_else_is_163() {
        assert_eq!(
            failure(ServiceErrorCode::Unavailable),
            Availability::TemporaryFailure
        );
        assert_eq!(
            failure(ServiceErrorCode::Busy),
            Availability::TemporaryFailure
        );
        for code in [
            ServiceErrorCode::Unimplemented,
            ServiceErrorCode::InvalidArgument,
            ServiceErrorCode::Internal,
        ] {
            assert_eq!(failure(code), Availability::NotAvailable);
        }
    }
}
