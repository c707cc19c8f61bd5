//! The change event: which user's folder moved to which counter value.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The kind of data a folder holds; one service owns each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataClass {
    Mail,
    Calendar,
    Contacts,
}

impl DataClass {
    pub fn as_str(self) -> &'static str {
        match self {
            DataClass::Mail => "mail",
            DataClass::Calendar => "calendar",
            DataClass::Contacts => "contacts",
        }
    }
}

impl fmt::Display for DataClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A data class name other than `mail`, `calendar` or `contacts`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown data class {0:?}")]
pub struct UnknownDataClass(pub String);

impl FromStr for DataClass {
    type Err = UnknownDataClass;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "mail" => Ok(DataClass::Mail),
            "calendar" => Ok(DataClass::Calendar),
            "contacts" => Ok(DataClass::Contacts),
            other => Err(UnknownDataClass(other.to_owned())),
        }
    }
}

/// One committed change to one folder of one user.
///
/// The JSON form is the wire form on Kafka:
/// `{"user":"a@b.c","class":"mail","folder_id":"7","counter":42,"hierarchy_changed":false}`,
/// with `"produced_ms":…` when the producer stamped it ([`ChangeEvent::stamped`]) and
/// `"traceparent":…` when it carries a trace context outside Kafka (in the push service's wake
/// messages); on Kafka the trace context is a record header instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeEvent {
    /// The user's canonical (lowercase) address.
    pub user: String,
    pub class: DataClass,
    /// The service's id of the folder that changed (for a hierarchy change, the folder that was
    /// created, renamed, moved or deleted).
    pub folder_id: String,
    /// The folder's change counter after the change; for a hierarchy change, the user's
    /// hierarchy counter after it.
    pub counter: u64,
    /// True when the folder list itself changed (FolderSync has work to do).
    pub hierarchy_changed: bool,
    /// When the data service produced the event, in unix milliseconds: the edge measures the
    /// wake-up delay of a held Ping from it (docs/observability.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub produced_ms: Option<u64>,
    /// The W3C `traceparent` of the span the event continues, when tracing is on
    /// (docs/observability.md, "Traces"): the write that caused it, then each hop's span.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
}

impl ChangeEvent {
    /// A change to the items of one folder.
    pub fn items(
        user: impl Into<String>,
        class: DataClass,
        folder_id: impl Into<String>,
        counter: u64,
    ) -> Self {
        ChangeEvent {
            user: user.into(),
            class,
            folder_id: folder_id.into(),
            counter,
            hierarchy_changed: false,
            produced_ms: None,
            traceparent: None,
        }
    }

    /// A change to the folder hierarchy; `counter` is the user's hierarchy counter.
    pub fn hierarchy(
        user: impl Into<String>,
        class: DataClass,
        folder_id: impl Into<String>,
        counter: u64,
    ) -> Self {
        ChangeEvent {
            hierarchy_changed: true,
            ..ChangeEvent::items(user, class, folder_id, counter)
        }
    }

    /// The event stamped with the current time as its production time.
    pub fn stamped(self) -> Self {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        ChangeEvent {
            produced_ms: Some(now),
            ..self
        }
    }

    /// The event continuing the trace of `traceparent` (see [`ChangeEvent::traceparent`]).
    pub fn traced(self, traceparent: Option<String>) -> Self {
        ChangeEvent {
            traceparent,
            ..self
        }
    }

    /// The partition key: all events of one user stay in order on one partition.
    pub fn key(&self) -> &str {
        &self.user
    }

    pub fn to_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(self)
    }

    pub fn from_json(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}
