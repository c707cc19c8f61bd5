//! The Contact class over the WBXML tree: [`render`] a contact as `ApplicationData` (or
//! ItemOperations/Search `Properties`), [`parse`] what a phone sent into a [`ContactChange`], and
//! [`apply`] that change to the stored contact with the ghosting rules.
//!
//! Versions: 12.0 to 16.1 carry the same Contacts and Contacts2 elements (MS-ASCNTC 2.2.2: every
//! element lists 12.1, 14.x and 16.x; 16.x changed nothing for contacts, PIM_FACTS 3.1). The
//! differences are the notes' `Preview` (MS-ASAIRS, 14.0 and later) and `Alias`/`WeightedRank`,
//! which 12.1 lacks (R2005, R2245) and which belong to the recipient information cache only
//! (R105, R415), so a contact never renders them. 2.5 used `contacts:Body` and is refused.

mod apply;
mod parse;
mod render;

pub use apply::{apply, apply_with, create, ApplyOptions, EmptyPicture, WithoutSupported};
pub use parse::{parse, ContactChange, Incoming, ParseError};
pub use render::{render, render_with, RenderOptions};

use eas_protocol::ProtocolVersion;

/// MS-ASCNTC 2.2.2.58 (R381, R384): a `Picture` is at most 48 KB of base64 text; a larger one
/// from the client is answered with Sync status 6.
pub const MAX_PICTURE_BASE64_LEN: usize = 48 * 1024;

/// The length of the base64 text of `n` bytes.
pub const fn base64_len(n: usize) -> usize {
    n.div_ceil(3) * 4
}

/// Whether an image fits in a `Picture` element.
pub fn picture_fits(bytes: &[u8]) -> bool {
    base64_len(bytes.len()) <= MAX_PICTURE_BASE64_LEN
}

/// Contact data for a protocol version this crate does not write or read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("contact data for protocol {0} is not supported; 12.0 is the oldest")]
pub struct UnsupportedVersion(pub ProtocolVersion);

fn check_version(version: ProtocolVersion) -> Result<(), UnsupportedVersion> {
    if version < ProtocolVersion::V12_0 {
        Err(UnsupportedVersion(version))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests;
