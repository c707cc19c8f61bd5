//! The ItemOperations command (MS-ASCMD 2.2.1.10): fetching items and attachments, emptying a
//! folder, and (refused here) moving a conversation. For a multipart response (MS-ASCMD
//! 2.2.1.10.1.1, `MS-ASAcceptMultiPart`) the response names each data part with `Part`
//! ([`FetchData::Part`], `Body::part`); the edge writes the parts around the WBXML.

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
