//! Search (MS-ASCMD 2.2.1.16) of the mailbox (free text through the mail service) and of the
//! global address list (the user's domain in the directory).

use std::collections::HashMap;

use axum::response::Response;
use eas_protocol::search::{
    GalEntry, SearchQuery, SearchRange, SearchRequest, SearchResponse, SearchResult, StoreResult,
};
use eas_protocol::status::SearchStatus;
use eas_protocol::version::ProtocolVersion;
use eas_rpc::mail::{self as wire, SearchRequest as WireSearch};
use eas_wbxml::Element;

use crate::address_books::{self, BookEntry};
use crate::edge::Edge;
use crate::email::{body_requests, into_email};
use crate::error::EdgeError;
use crate::folders::list_folders;
use crate::folders::Folder;
use crate::hierarchy::subtree;
use crate::pictures::{pictures, PictureBudget};
use crate::pipeline::context::RequestCtx;
use crate::respond::wbxml_response;

/// The most results one response carries (MS-ASCMD 2.2.3.143.2: the server may return fewer).
const MAX_RESULTS: u32 = 100;
/// The most bytes of message data one response carries; past it the page is cut short and its
/// Range says so (the first result goes out whatever its size).
const SEARCH_RESPONSE_BUDGET: u64 = 8 << 20;
/// The most GAL entries looked at to count the Total.
const GAL_LIMIT: u32 = 1000;

fn respond(status: SearchStatus, store: Option<StoreResult>) -> Response {
    wbxml_response(&SearchResponse { status, store }.to_element())
}

fn store_status(status: SearchStatus) -> Response {
    respond(
        SearchStatus::Success,
        Some(StoreResult {
            status,
            results: Vec::new(),
            range: None,
            total: None,
        }),
    )
}

pub async fn handle(
    edge: &Edge,
    ctx: &mut RequestCtx,
    doc: Option<Element>,
) -> Result<Response, EdgeError> {
    let Some(mail) = edge.mail.clone() else {
        return Err(EdgeError::UnsupportedCommand("Search".into()));
    };
    let req = match doc.as_ref().map(SearchRequest::from_element) {
        Some(Ok(r)) => r,
        other => {
            let error = other.and_then(Result::err).map(|e| e.to_string());
            tracing::info!(user = %ctx.user.address, device_id = %ctx.line.device_id, error = ?error, "bad search request");
            // MS-ASCMD 2.2.3.177.14 status 2: the request was invalid.
            return Ok(respond(SearchStatus::InvalidRequest, None));
        }
    };
    let range = req.options.range.unwrap_or(SearchRange::DEFAULT);
    let range = SearchRange {
        start: range.start,
        end: range.end.min(range.start.saturating_add(MAX_RESULTS - 1)),
    };
    if req.is_gal() {
        return gal(edge, ctx, &req, range).await;
    }
    if !req.is_mailbox() {
        // Document libraries are not served.
        return Ok(store_status(SearchStatus::InvalidRequest));
    }
    let mut terms = Terms::default();
    terms.read(&req.query);
    let text = terms.text.join(" ");
    if text.trim().is_empty() || terms.class.iter().any(|c| c != "Email") {
        // Status 2: a mailbox search needs FreeText, and only mail is searched here.
        return Ok(store_status(SearchStatus::InvalidRequest));
    }
    let folders = list_folders(edge, &ctx.user.address).await?;
    let scope = match &terms.collection_id {
        None => vec![String::new()],
        // Status 11: a folder the server does not know; the device's hierarchy is out of date.
        Some(id) if !folders.contains_key(id) => {
            return Ok(store_status(SearchStatus::FolderSyncRequired))
        }
        // MS-ASCMD 2.2.3.47: DeepTraversal takes in every subfolder of the collection.
        Some(id) if req.options.deep_traversal => subtree(&held(&folders), id),
        Some(id) => vec![id.clone()],
    };
    let body = body_requests(&req.options.body_preferences);
    let mut found = Vec::new();
    let mut total = 0u64;
    let many = scope.len() > 1;
    // The newest result past which a folder's page was cut by the byte budget: older results of
    // other folders could come after results of that folder that were left out.
    let mut cut_below: Option<(i64, u64)> = None;
    for folder_id in scope {
        let mut c = mail.clone();
        let reply = c
            .search(WireSearch {
                user: ctx.user.address.clone(),
                text: text.clone(),
                folder_id,
                // Across several folders every folder's first results are merged, then cut.
                range_start: if many { 0 } else { range.start },
                range_end: range.end,
                body: body.clone(),
                max_bytes: SEARCH_RESPONSE_BUDGET,
            })
            .await
            .map_err(EdgeError::from)?
            .into_inner();
        total += reply.total;
        if reply.cut_short {
            let last = reply.messages.last().map(order_key);
            cut_below = cut_below.max(last);
        }
        found.extend(reply.messages);
    }
    if many {
        // Newest first, as the mail service orders one folder.
        found.sort_by_key(|m| std::cmp::Reverse(order_key(m)));
        if let Some(below) = cut_below {
            found.retain(|m| order_key(m) >= below);
        }
        found = found.into_iter().skip(range.start as usize).collect();
    }
    found.truncate((range.end - range.start + 1) as usize);
    let found = within_budget(&mail, &ctx.user.address, found, &body).await?;
    tracing::debug!(user = %ctx.user.address, device_id = %ctx.line.device_id, found = found.len(), total, "mailbox search");
    Ok(mailbox_response(ctx, found, range, total))
}

/// The order of results: newest first, as the mail service orders one folder.
fn order_key(m: &wire::Message) -> (i64, u64) {
    (m.date_received, m.id.parse::<u64>().unwrap_or(0))
}

/// The first results of `found` that fit in [`SEARCH_RESPONSE_BUDGET`] (at least one), with the
/// bodies the mail service streamed read in full. A result whose message vanished is dropped.
async fn within_budget(
    mail: &eas_rpc::mail::mail_client::MailClient<eas_rpc::Channel>,
    user: &str,
    found: Vec<wire::Message>,
    body: &[wire::BodyRequest],
) -> Result<Vec<wire::Message>, EdgeError> {
    let mut used = 0u64;
    let mut out = Vec::with_capacity(found.len());
    for mut m in found {
        let streamed = m.body.as_ref().filter(|b| b.data_streamed);
        let size =
            eas_rpc::prost::Message::encoded_len(&m) as u64 + streamed.map_or(0, |b| b.data_size);
        if !out.is_empty() && used + size > SEARCH_RESPONSE_BUDGET {
            break;
        }
        if let Some(b) = m.body.as_mut().filter(|b| b.data_streamed) {
            let Some(data) = crate::classes::mail::read_body(mail, user, &m.id, body).await? else {
                continue;
            };
            b.data = data;
            b.data_streamed = false;
        }
        used += size;
        out.push(m);
    }
    Ok(out)
}

fn mailbox_response(
    ctx: &RequestCtx,
    found: Vec<wire::Message>,
    range: SearchRange,
    total: u64,
) -> Response {
    let total = u32::try_from(total).unwrap_or(u32::MAX);
    let mut results = Vec::with_capacity(found.len());
    for m in found {
        let (long_id, collection_id) = (m.id.clone(), m.folder_id.clone());
        let properties = match into_email(m).properties(ctx.version) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(user = %ctx.user.address, error = %e, "message conversion failed");
                continue;
            }
        };
        results.push(SearchResult {
            class: Some("Email".into()),
            long_id: Some(long_id),
            collection_id: Some(collection_id),
            properties,
        });
    }
    let status = if results.is_empty() && range.start > 0 && range.start >= total {
        // Status 12: the range starts past the last result.
        SearchStatus::EndOfRetrievableRange
    } else {
        SearchStatus::Success
    };
    let range = (!results.is_empty()).then(|| SearchRange {
        start: range.start,
        end: range.start + results.len() as u32 - 1,
    });
    if results.is_empty() {
        // MS-ASCMD 2.2.3.155.3: a mailbox search without matches has one empty Result.
        results.push(SearchResult::default());
    }
    respond(
        SearchStatus::Success,
        Some(StoreResult {
            status,
            results,
            range,
            total: Some(total),
        }),
    )
}

/// The folders as the hierarchy helpers take them.
fn held(folders: &HashMap<String, wire::Folder>) -> Vec<Folder> {
    folders
        .values()
        .map(crate::folders::Folder::from_wire)
        .collect()
}

/// What a mailbox query asks for (MS-ASCMD 2.2.3.128.2): free text, a class and a folder.
/// Comparisons (dates) and conversation ids are not applied: results may be a wider set.
#[derive(Default)]
struct Terms {
    text: Vec<String>,
    class: Vec<String>,
    collection_id: Option<String>,
}

impl Terms {
    fn read(&mut self, q: &SearchQuery) {
        match q {
            SearchQuery::Text(t) | SearchQuery::FreeText(t) => self.text.push(t.clone()),
            SearchQuery::And(list) | SearchQuery::Or(list) => {
                list.iter().for_each(|q| self.read(q))
            }
            SearchQuery::Class(c) => self.class.push(c.clone()),
            SearchQuery::CollectionId(c) => self.collection_id = Some(c.clone()),
            SearchQuery::ConversationId(_)
            | SearchQuery::EqualTo { .. }
            | SearchQuery::GreaterThan { .. }
            | SearchQuery::LessThan { .. } => {}
        }
    }
}

/// GAL search (MS-ASCMD 2.2.1.16, Store Name GAL): users of the user's own domain whose display
/// name, first or last name has a word starting with the query, or whose address or alias
/// starts with it; the page the Range asks for, the Total of all matches, and from 14.1 the
/// photos the Picture option asks for (MS-ASCMD 2.2.3.135.3, R6973).
async fn gal(
    edge: &Edge,
    ctx: &RequestCtx,
    req: &SearchRequest,
    range: SearchRange,
) -> Result<Response, EdgeError> {
    let mut terms = Terms::default();
    terms.read(&req.query);
    let text = terms.text.join(" ");
    if text.trim().is_empty() {
        return Ok(store_status(SearchStatus::InvalidRequest));
    }
    let users = match gal_matches(edge, ctx, &text).await {
        Ok(u) => u,
        Err(e) => {
            tracing::warn!(user = %ctx.user.address, error = %e, "gal search failed");
            // Status 3: a server error, for the request as a whole.
            return Ok(respond(SearchStatus::ServerError, None));
        }
    };
    // Then the user's own address books (MS-ASCMD 2.2.1.16: the GAL store covers "the
    // directory and the user's other address books"); a contact with a directory user's
    // address is that user.
    let book: Vec<BookEntry> =
        match address_books::search(edge, &ctx.user.address, &text, GAL_LIMIT).await {
            Ok(b) => b
                .into_iter()
                .filter(|b| {
                    !users
                        .iter()
                        .any(|u| b.emails.contains(&u.address.to_lowercase()))
                })
                .collect(),
            Err(e) => {
                // The directory's answer stands without them.
                tracing::warn!(user = %ctx.user.address, error = %e, "contacts not searched");
                Vec::new()
            }
        };
    let total = u32::try_from(users.len() + book.len()).unwrap_or(u32::MAX);
    let wanted_count = (range.end - range.start + 1) as usize;
    let page: Vec<&eas_directory::User> = users
        .iter()
        .skip(range.start as usize)
        .take(wanted_count)
        .collect();
    let book_page: Vec<&BookEntry> = book
        .iter()
        .skip((range.start as usize).saturating_sub(users.len()))
        .take(wanted_count - page.len())
        .collect();
    let wanted = req
        .options
        .picture
        .filter(|_| ctx.version >= ProtocolVersion::V14_1);
    let mut budget = wanted.map(PictureBudget::new);
    let pictures = match budget.as_mut() {
        Some(budget) => match pictures(&edge.directory, &page, budget).await {
            Ok(mut shown) => {
                // Directory entries come first in the page: the budget goes in result order.
                shown.extend(
                    book_page
                        .iter()
                        .map(|b| budget.own_photo(b.photo.as_deref())),
                );
                shown
            }
            Err(e) => {
                tracing::warn!(user = %ctx.user.address, error = %e, "gal photos failed");
                return Ok(respond(SearchStatus::ServerError, None));
            }
        },
        None => Vec::new(),
    };
    let mut pictures = pictures.into_iter();
    let entries = page
        .iter()
        .map(|u| gal_entry(u))
        .chain(book_page.iter().map(|b| book_entry(b)));
    let results: Vec<SearchResult> = entries
        .map(|mut entry| {
            entry.picture = pictures.next();
            SearchResult::gal(&entry)
        })
        .collect();
    let status = if results.is_empty() && range.start > 0 && range.start >= total {
        SearchStatus::EndOfRetrievableRange
    } else {
        SearchStatus::Success
    };
    let sent = (!results.is_empty()).then(|| SearchRange {
        start: range.start,
        end: range.start + results.len() as u32 - 1,
    });
    tracing::debug!(user = %ctx.user.address, device_id = %ctx.line.device_id, total, sent = results.len(), photos = wanted.is_some(), "gal search");
    Ok(respond(
        SearchStatus::Success,
        Some(StoreResult {
            status,
            results,
            range: sent,
            total: Some(total),
        }),
    ))
}

/// What the directory of the user's domain matches, in result order (by display name); the
/// user's own contacts follow them in `gal`.
async fn gal_matches(
    edge: &Edge,
    ctx: &RequestCtx,
    text: &str,
) -> Result<Vec<eas_directory::User>, eas_directory::DirectoryError> {
    edge.directory
        .search_users(&ctx.user.domain, text, GAL_LIMIT)
        .await
}

/// One of the user's contacts as a GAL entry.
fn book_entry(b: &BookEntry) -> GalEntry {
    GalEntry {
        display_name: Some(b.display_name.clone()),
        phone: b.phone.clone(),
        office: b.office.clone(),
        title: b.title.clone(),
        company: b.company.clone(),
        alias: None,
        first_name: b.first_name.clone(),
        last_name: b.last_name.clone(),
        home_phone: b.home_phone.clone(),
        mobile_phone: b.mobile_phone.clone(),
        email_address: b.email.clone(),
        picture: None,
    }
}

/// A directory user as a GAL entry with every field the directory holds (MS-ASCMD 2.2.3.139.3);
/// the alias is the local part of the address.
fn gal_entry(u: &eas_directory::User) -> GalEntry {
    let (first, last) = u.first_and_last_name();
    GalEntry {
        display_name: Some(u.shown_name().to_owned()),
        phone: u.gal.phone.clone(),
        office: u.gal.office.clone(),
        title: u.gal.title.clone(),
        company: u.gal.company.clone(),
        alias: Some(u.local_part.clone()),
        first_name: first.map(str::to_owned),
        last_name: last.map(str::to_owned),
        home_phone: u.gal.home_phone.clone(),
        mobile_phone: u.gal.mobile_phone.clone(),
        email_address: Some(u.address.clone()),
        picture: None,
    }
}
