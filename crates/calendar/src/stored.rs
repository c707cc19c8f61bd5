//! The stored form of an event: versioned JSON, stable across releases of this crate.
//!
//! `{"v":1, ...}` with the fields of [`Event`] under their snake_case names: instants as
//! `2026-03-10T09:00:00Z`, all-day dates as `2026-03-10`, the zone by IANA name, exceptions
//! keyed by their original start, empty fields left out. A reader takes its own version and
//! older ones; a newer version is refused rather than misread (a store rolled back after an
//! upgrade keeps the rows it cannot read instead of overwriting them).

use serde::{Deserialize, Serialize};

use crate::event::Event;

/// The version written by [`to_json`].
pub const STORED_VERSION: u32 = 1;

/// A stored event that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum StoredError {
    #[error("stored event is not valid JSON for version {STORED_VERSION}: {0}")]
    Json(#[from] serde_json::Error),
    #[error("stored event has version {0}; this build reads up to {STORED_VERSION}")]
    TooNew(u32),
    #[error("stored event has no version")]
    NoVersion,
}

#[derive(Serialize)]
struct Out<'a> {
    v: u32,
    #[serde(flatten)]
    event: &'a Event,
}

#[derive(Deserialize)]
struct Versioned {
    v: Option<u32>,
}

/// The JSON text of an event.
pub fn to_json(event: &Event) -> String {
    let out = Out {
        v: STORED_VERSION,
        event,
    };
    // Plain data with string keys; a latitude that is not finite is the only value JSON cannot
    // hold, and serde_json writes it as null.
    serde_json::to_string(&out).unwrap_or_default()
}

/// An event from its JSON text.
pub fn from_json(text: &str) -> Result<Event, StoredError> {
    let versioned: Versioned = serde_json::from_str(text)?;
    match versioned.v {
        None => Err(StoredError::NoVersion),
        Some(v) if v > STORED_VERSION => Err(StoredError::TooNew(v)),
        Some(_) => {
            let mut value: serde_json::Value = serde_json::from_str(text)?;
            if let Some(map) = value.as_object_mut() {
                map.remove("v");
            }
            Ok(serde_json::from_value(value)?)
        }
    }
}

#[cfg(test)]
mod tests;
