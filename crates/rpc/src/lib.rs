//! gRPC contracts between the edge and the data services, generated from `proto/`.
//!
//! [`error`] carries a data service's typed error across the boundary. [`detached`] keeps a call's handler running when its caller goes away. [`in_process`] connects a client to a server in the same process over an in-memory pipe, so
//! the embedded server runs the very same client and server code as the cluster. [`trace`]
//! carries the OpenTelemetry trace context over each call.

pub mod chunks;
pub mod detached;
pub mod error;
pub mod in_process;
pub mod remote_folder;
pub mod trace;

pub use remote_folder::RemoteFolder;

pub use error::{ServiceError, ServiceErrorCode};

/// The channel every client of a data service runs on: tonic's channel, with each call carrying
/// the caller's trace context ([`trace::TracedChannel`]). Call sites name this alias, never
/// tonic's type, so what the link adds to each call changes in one place. Build one with
/// `Channel::new(tonic_channel)` (or [`in_process::channel`]).
pub type Channel = trace::TracedChannel;

/// The protobuf runtime of the generated types (for `encoded_len` and the like).
pub use prost;

/// Calls one client channel keeps on its HTTP/2 connection at once; more wait their turn in
/// the client. Beyond about 9,000 concurrent streams the connection failed with a broken pipe
/// and took every call on it down (tests/in_process_load.rs in the mail service).
pub const MAX_CALLS_IN_FLIGHT: usize = 1024;

/// The largest gRPC reply either end of a link sends or accepts (tonic's default is 4 MiB).
/// A backstop only: message content never travels back in one message of this size. Bodies
/// beyond a few hundred KiB are streamed in chunks (`ReadRaw`, `ReadBody`, `ReadAttachment`) and
/// replies that list messages are cut at a byte budget, so a reply stays far below it.
pub const MAX_MESSAGE_BYTES: usize = 16 << 20;

/// The largest gRPC request the edge sends and a data service accepts. A request carries at
/// most one thing a phone sent in one HTTP request (the MIME of a SendMail, SmartReply or
/// SmartForward, a draft's MIME body), and the edge refuses phone requests over
/// `edge.max_request_bytes` (50 MiB by default) with HTTP 413, so this leaves room for that
/// and the request's other fields. `EdgeConfig::check` refuses a `max_request_bytes` above
/// [`MAX_PHONE_CONTENT_BYTES`].
pub const MAX_REQUEST_BYTES: usize = 72 << 20;

/// The most phone content one request to a data service may carry (see [`MAX_REQUEST_BYTES`]).
pub const MAX_PHONE_CONTENT_BYTES: usize = 64 << 20;

/// A mail service client over `channel`: requests up to [`MAX_REQUEST_BYTES`], replies up to
/// [`MAX_MESSAGE_BYTES`].
pub fn mail_client(channel: Channel) -> mail::mail_client::MailClient<Channel> {
    mail::mail_client::MailClient::new(channel)
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_REQUEST_BYTES)
}

/// A contacts service client over `channel`, with the same limits as [`mail_client`].
pub fn contacts_client(channel: Channel) -> contacts::contacts_client::ContactsClient<Channel> {
    contacts::contacts_client::ContactsClient::new(channel)
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_REQUEST_BYTES)
}

/// A calendar service client over `channel`, with the same limits as [`mail_client`].
pub fn calendar_client(channel: Channel) -> calendar::calendar_client::CalendarClient<Channel> {
    calendar::calendar_client::CalendarClient::new(channel)
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_REQUEST_BYTES)
}

/// A client of a data service's collection contract over `channel`, with the same limits as
/// [`mail_client`].
pub fn collections_client(
    channel: Channel,
) -> collections::collections_client::CollectionsClient<Channel> {
    collections::collections_client::CollectionsClient::new(channel)
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_REQUEST_BYTES)
}

/// A gRPC server set up for the links between the edge and the data services. Those carry
/// thousands of concurrent calls (one per held Ping check), and the edge cancels a call whenever
/// a phone hangs up; h2's flood protection (a GOAWAY after 20 streams reset before they were
/// accepted) would then close the connection and fail every call on it at once. The peers are
/// the cluster's own services, so the limits are raised.
///
/// Each call continues the caller's trace in a server span ([`trace::ServerTraceLayer`]).
pub fn server_builder() -> tonic::transport::Server<ServerLayers> {
    tonic::transport::Server::builder()
        .http2_max_pending_accept_reset_streams(Some(1 << 20))
        .http2_max_local_error_reset_streams(Some(1 << 20))
        .layer(trace::ServerTraceLayer)
}

/// The layers [`server_builder`] puts in front of a data service.
pub type ServerLayers =
    tower::layer::util::Stack<trace::ServerTraceLayer, tower::layer::util::Identity>;

/// The mail service (`proto/eas/mail/v1/mail.proto`).
pub mod mail {
    tonic::include_proto!("eas.mail.v1");

    /// The shared messages the mail service's own calls answer with.
    pub use crate::collections::{Chunk, Folder, ItemVersion};
}

/// The calendar service (`proto/eas/calendar/v1/calendar.proto`).
pub mod calendar {
    tonic::include_proto!("eas.calendar.v1");

    /// The shared messages the calendar service's folder and attachment calls answer with.
    pub use crate::collections::{Chunk, Folder};
}

/// The contacts service (`proto/eas/contacts/v1/contacts.proto`).
pub mod contacts {
    tonic::include_proto!("eas.contacts.v1");

    /// The shared message the contacts service's folder calls answer with.
    pub use crate::collections::Folder;
}

/// The collection contract every data service serves next to its own API: folders and change
/// logs (`proto/eas/collections/v1/collections.proto`). [`RemoteFolder`] reads one folder of it
/// as the sync engine's `ItemSource`.
pub mod collections {
    tonic::include_proto!("eas.collections.v1");
}
