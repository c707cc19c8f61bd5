//! gRPC contracts between the edge and the data services, generated from `proto/`.
//!
//! [`detached`] keeps a call's handler running when its caller goes away. [`in_process`] connects a client to a server in the same process over an in-memory pipe, so
//! the embedded server runs the very same client and server code as the cluster.

pub mod detached;
pub mod in_process;

/// Calls one client channel keeps on its HTTP/2 connection at once; more wait their turn in
/// the client. Beyond about 9,000 concurrent streams the connection failed with a broken pipe
/// and took every call on it down (tests/in_process_load.rs in the mail service).
pub const MAX_CALLS_IN_FLIGHT: usize = 1024;

/// A gRPC server set up for the links between the edge and the data services. Those carry
/// thousands of concurrent calls (one per held Ping check), and the edge cancels a call whenever
/// a phone hangs up; h2's flood protection (a GOAWAY after 20 streams reset before they were
/// accepted) would then close the connection and fail every call on it at once. The peers are
/// the cluster's own services, so the limits are raised.
pub fn server_builder() -> tonic::transport::Server {
    tonic::transport::Server::builder()
        .http2_max_pending_accept_reset_streams(Some(1 << 20))
        .http2_max_local_error_reset_streams(Some(1 << 20))
}

/// The mail service (`proto/eas/mail/v1/mail.proto`).
pub mod mail {
    tonic::include_proto!("eas.mail.v1");
}
