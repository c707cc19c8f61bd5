//! gRPC contracts between the edge and the data services, generated from `proto/`.
//!
//! [`in_process`] connects a client to a server in the same process over an in-memory pipe, so
//! the embedded server runs the very same client and server code as the cluster.

pub mod in_process;

/// The mail service (`proto/eas/mail/v1/mail.proto`).
pub mod mail {
    tonic::include_proto!("eas.mail.v1");
}
