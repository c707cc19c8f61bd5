//! The ItemOperations command (MS-ASCMD 2.2.1.10): fetching items and attachments, emptying a
//! folder, and (refused here) moving a conversation. MultiPart responses (MS-ASCMD 2.2.1.10.1.1,
//! `MS-ASAcceptMultiPart`) are out of scope: data always comes inline; PHONE_FLOWS.md: AOSP asks
//! for no multipart.

mod request;
mod response;
#[cfg(test)]
mod tests;

pub use request::{
    ByteRange, FetchOptions, FetchRequest, FetchTarget, ItemOperation, ItemOperationsRequest,
    STORE_MAILBOX,
};
pub use response::{
    FetchData, FetchProperties, FetchResponse, ItemOperationsResponse, OperationResponse,
};
