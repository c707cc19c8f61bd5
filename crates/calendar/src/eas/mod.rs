//! The Calendar class over the WBXML tree: [`render`] an event as `ApplicationData` (or
//! ItemOperations/Search `Properties`), [`parse`] what a phone sent into an [`EventChange`], and
//! [`apply`] it to the stored event with the ghosting rules; at 16.x [`apply_instance`] and
//! [`delete_instance`] for a Sync `Change` or `Delete` that names one occurrence by `InstanceId`
//! (MS-ASCMD 2.2.3.24, 2.2.3.42.2).
//!
//! Versions: 12.0 to 14.1 carry `calendar:Location` text, `ExceptionStartTime`, client-made UIDs
//! and all-day events as instants with a `Timezone`; 16.0 and 16.1 carry `airsyncbase:Location`,
//! `InstanceId`, server-made UIDs (`ClientUid` to detect repeats), all-day events as dates
//! without `Timezone` (MS-ASCAL R2005 to R2008), and ghost every property (R2231). 2.5 is
//! refused.

mod apply;
mod parse;
mod render;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use eas_protocol::status::SyncStatus;
use eas_protocol::ProtocolVersion;

pub use apply::{
    apply, apply_instance, create, delete_instance, ApplyError, ApplyOptions, WithoutSupported,
};
pub use parse::{parse, EventChange, ExceptionChange, Incoming, ParseError};
pub use render::{render, RenderOptions};

/// What the server knows about the user and the request, for reading and writing events.
#[derive(Clone, Copy, Debug)]
pub struct EasContext {
    pub version: ProtocolVersion,
    /// The user's zone: all-day events go out at its midnights up to 14.1; times that come
    /// without a `Timezone`, or with one no IANA zone matches, are read in it; a blob matching
    /// several zones is read as this one when it is one of them.
    pub user_zone: Tz,
    /// The user's first day of the week (0 = Sunday), for a weekly recurrence sent without
    /// `FirstDayOfWeek` (MS-ASCAL R52524).
    pub first_day_of_week: u8,
    /// The time of the request: `DtStamp` of changes, and the times of an Add without them
    /// (MS-ASCAL 3.2.4.4).
    pub now: DateTime<Utc>,
}

impl EasContext {
    pub fn is_16(&self) -> bool {
        self.version >= ProtocolVersion::V16_0
    }
}

/// Calendar data for a protocol version this crate does not write or read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("calendar data for protocol {0} is not supported; 12.0 is the oldest")]
pub struct UnsupportedVersion(pub ProtocolVersion);

impl UnsupportedVersion {
    pub fn sync_status(&self) -> SyncStatus {
        SyncStatus::ProtocolError
    }
}

fn check_version(version: ProtocolVersion) -> Result<(), UnsupportedVersion> {
    if version < ProtocolVersion::V12_0 {
        Err(UnsupportedVersion(version))
    } else {
        Ok(())
    }
}

/// MS-ASCAL R24311: at most 256 exceptions in a response (and in a request, R243).
pub const MAX_EXCEPTIONS: usize = 256;

#[cfg(test)]
mod tests;
