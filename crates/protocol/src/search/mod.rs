//! The Search command (MS-ASCMD 2.2.1.16) for the Mailbox and GAL stores: the query tree and
//! options of the request, the results of the response, and GAL entry properties.
//! PHONE_FLOWS.md: iOS searches with Find instead, even at 14.0.

mod request;
mod response;
#[cfg(test)]
mod tests;

pub use request::{SearchOptions, SearchQuery, SearchRange, SearchRequest};
pub use response::{GalEntry, SearchResponse, SearchResult, StoreResult};
