//! The messages an edge replica receives on its Redis channel, and the channel names.
//!
//! Every replica subscribes to its own channel (`<prefix>edge:<edge id>`) and to one channel
//! shared by all replicas (`<prefix>edges`). Messages are JSON, for example
//! `{"kind":"event","event":{"user":"a@b.c","class":"mail","folder_id":"7","counter":42,"hierarchy_changed":false}}`.

use eas_event_bus::ChangeEvent;
use serde::{Deserialize, Serialize};

/// What the push service (or another edge) tells an edge replica.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WakeMessage {
    /// A folder of a user with a Ping held on this replica changed.
    Event { event: ChangeEvent },
    /// The device now holds a newer Ping on another replica: end the one held here
    /// (MS-ASCMD 2.2.1.13: a new Ping of a device ends its older Ping).
    Supersede { user: String, device: String },
    /// Events may have been lost (the push service's consumer was rebalanced or fell behind):
    /// every held Ping re-checks its folders' counters.
    Recheck,
    /// An administrator changed this account (its password, disabled, deleted, an alias, a
    /// setting phones see): every replica forgets the logins it remembers for it, so the change
    /// applies to the next request on any replica. `name` is the primary address or an alias.
    AccountChanged { name: String },
}

impl WakeMessage {
    pub fn to_json(&self) -> Vec<u8> {
        // Serialising these plain enums cannot fail; an empty payload is dropped by readers.
        serde_json::to_vec(self).unwrap_or_default()
    }

    pub fn from_json(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

/// The channel of one edge replica.
pub fn edge_channel(prefix: &str, edge_id: &str) -> String {
    format!("{prefix}edge:{edge_id}")
}

/// The channel every edge replica listens to.
pub fn broadcast_channel(prefix: &str) -> String {
    format!("{prefix}edges")
}

#[cfg(test)]
mod tests {
    use super::*;
    use eas_event_bus::DataClass;

    #[test]
    fn messages_round_trip_through_json() {
        for m in [
            WakeMessage::Event {
                event: ChangeEvent::items("a@b.c", DataClass::Mail, "7", 42),
            },
            WakeMessage::Supersede {
                user: "a@b.c".into(),
                device: "ABC".into(),
            },
            WakeMessage::Recheck,
            WakeMessage::AccountChanged {
                name: "a@b.c".into(),
            },
        ] {
            assert_eq!(WakeMessage::from_json(&m.to_json()).unwrap(), m);
        }
        assert_eq!(
            WakeMessage::Recheck.to_json(),
            br#"{"kind":"recheck"}"#.to_vec()
        );
    }

    #[test]
    fn an_events_trace_context_travels_in_the_wake_message() {
        let traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        let m = WakeMessage::Event {
            event: ChangeEvent::items("a@b.c", DataClass::Mail, "7", 42)
                .traced(Some(traceparent.into())),
        };
        let json = String::from_utf8(m.to_json()).unwrap();
        assert!(
            json.contains(&format!(r#""traceparent":"{traceparent}""#)),
            "{json}"
        );
        assert_eq!(WakeMessage::from_json(json.as_bytes()).unwrap(), m);
    }

    #[test]
    fn channel_names_carry_the_prefix() {
        assert_eq!(edge_channel("eas:", "edge-a"), "eas:edge:edge-a");
        assert_eq!(broadcast_channel("eas:"), "eas:edges");
    }
}
