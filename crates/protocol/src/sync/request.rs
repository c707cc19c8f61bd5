//! The Sync request (MS-ASCMD 2.2.1.21): collections with their sync keys, options and client
//! changes, and the request-wide Wait, HeartbeatInterval, WindowSize and Partial.

use eas_wbxml::tags::air_sync as a;
use eas_wbxml::tags::air_sync_base as ab;
use eas_wbxml::Element;

use super::options::SyncOptions;
use crate::error::{
    expect_root, optional_bool, optional_number, optional_text, required_id, ParseError,
};

/// AirSync.xsd: SyncKey, CollectionId, ClientId and ServerId are at most 64 characters.
const MAX_ID: usize = 64;

/// A change the client sends in `Commands`. ApplicationData stays as elements: its meaning
/// belongs to the data class (see [`crate::email::EmailChange`] for Email).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientCommand {
    /// A new item; the server answers with the ServerId it gets (MS-ASCMD 2.2.3.7.2).
    Add {
        class: Option<String>,
        client_id: String,
        application_data: Vec<Element>,
    },
    Change {
        class: Option<String>,
        server_id: String,
        /// 16.0 and later: `airsyncbase:InstanceId`, the one occurrence of a recurring series
        /// the change is for (MS-ASCMD 2.2.3.24; MS-ASAIRS 2.2.2.25), a Compact DateTime.
        instance_id: Option<String>,
        application_data: Vec<Element>,
    },
    Delete {
        server_id: String,
        /// 16.0 and later: the one occurrence deleted (MS-ASCMD 2.2.3.42.2).
        instance_id: Option<String>,
    },
    /// A request for one item in full (MS-ASCMD 2.2.3.67.2).
    Fetch { server_id: String },
}

/// One `Collection` of a Sync request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncCollection {
    /// `"0"` the first time (MS-ASCMD 2.2.3.181.4).
    pub sync_key: String,
    pub collection_id: String,
    /// MS-ASCMD 2.2.3.27.6: only sent by clients at 12.1 and below (AOSP: below 12.1).
    pub class: Option<String>,
    /// The ghosting list of Contacts and Calendar, kept as elements.
    pub supported: Option<Vec<Element>>,
    /// MS-ASCMD 2.2.3.43: deleted items go to Deleted Items; true when absent.
    pub deletes_as_moves: Option<bool>,
    /// MS-ASCMD 2.2.3.84: whether the server should send its changes.
    pub get_changes: Option<bool>,
    pub window_size: Option<u32>,
    pub conversation_mode: Option<bool>,
    /// One per class; several only at 14.0 and later (Email and SMS).
    pub options: Vec<SyncOptions>,
    pub commands: Vec<ClientCommand>,
}

impl SyncCollection {
    /// MS-ASCMD 2.2.3.181.4: key 0 starts the collection from scratch.
    pub fn is_initial(&self) -> bool {
        self.sync_key == "0"
    }

    /// MS-ASCMD 2.2.3.84 (R5555, R5556): absent GetChanges means false with key 0, true after.
    pub fn wants_changes(&self) -> bool {
        !self.is_initial() && self.get_changes.unwrap_or(true)
    }

    /// MS-ASCMD 2.2.3.84 (R3128): GetChanges set or empty with key 0 is answered with status 4.
    pub fn asks_changes_with_key_zero(&self) -> bool {
        self.is_initial() && self.get_changes == Some(true)
    }

    /// MS-ASCMD 2.2.3.43: deletes are moves to Deleted Items unless the client says 0.
    pub fn deletes_as_moves(&self) -> bool {
        self.deletes_as_moves.unwrap_or(true)
    }

    fn from_element(el: &Element) -> Result<SyncCollection, ParseError> {
        let mut commands = Vec::new();
        if let Some(list) = el.child(a::COMMANDS) {
            for c in list.elements() {
                if let Some(cmd) = read_command(c)? {
                    commands.push(cmd);
                }
            }
        }
        Ok(SyncCollection {
            sync_key: required_id(el, a::SYNC_KEY, MAX_ID)?,
            collection_id: required_id(el, a::COLLECTION_ID, MAX_ID)?,
            class: optional_text(el, a::CLASS),
            supported: el
                .child(a::SUPPORTED)
                .map(|s| s.elements().cloned().collect()),
            deletes_as_moves: empty_or_bool(el, a::DELETES_AS_MOVES)?,
            get_changes: empty_or_bool(el, a::GET_CHANGES)?,
            window_size: optional_number(el, a::WINDOW_SIZE)?,
            conversation_mode: optional_bool(el, a::CONVERSATION_MODE)?,
            options: el
                .children_of(a::OPTIONS)
                .map(SyncOptions::from_element)
                .collect::<Result<_, _>>()?,
            commands,
        })
    }
}

/// A boolean element as `1` or `0`.
fn bool_element(tag: eas_wbxml::Tag, value: Option<bool>) -> Option<Element> {
    value.map(|v| Element::text(tag, if v { "1" } else { "0" }))
}

/// An element holding a copy of `children`.
fn with_children(tag: eas_wbxml::Tag, children: &[Element]) -> Element {
    let mut el = Element::new(tag);
    for c in children {
        el.push(c.clone());
    }
    el
}

impl ClientCommand {
    /// Writes the command, as a client would send it.
    pub fn to_element(&self) -> Element {
        match self {
            ClientCommand::Add {
                class,
                client_id,
                application_data,
            } => Element::new(a::ADD)
                .with_opt(class.as_ref().map(|c| Element::text(a::CLASS, c)))
                .with_text(a::CLIENT_ID, client_id)
                .with(with_children(a::APPLICATION_DATA, application_data)),
            ClientCommand::Change {
                class,
                server_id,
                instance_id,
                application_data,
            } => Element::new(a::CHANGE)
                .with_opt(class.as_ref().map(|c| Element::text(a::CLASS, c)))
                .with_text(a::SERVER_ID, server_id)
                .with_opt(
                    instance_id
                        .as_ref()
                        .map(|i| Element::text(ab::INSTANCE_ID, i)),
                )
                .with(with_children(a::APPLICATION_DATA, application_data)),
            ClientCommand::Delete {
                server_id,
                instance_id,
            } => Element::new(a::DELETE)
                .with_text(a::SERVER_ID, server_id)
                .with_opt(
                    instance_id
                        .as_ref()
                        .map(|i| Element::text(ab::INSTANCE_ID, i)),
                ),
            ClientCommand::Fetch { server_id } => {
                Element::new(a::FETCH).with_text(a::SERVER_ID, server_id)
            }
        }
    }
}

impl SyncCollection {
    /// Writes the collection, as a client would send it, in the order of MS-ASCMD 2.2.3.29.2.
    /// The edge keeps its cached request (MS-ASCMD 2.2.1.21.1) in this form.
    pub fn to_element(&self) -> Element {
        let mut el = Element::new(a::COLLECTION)
            .with_opt(self.class.as_ref().map(|c| Element::text(a::CLASS, c)))
            .with_text(a::SYNC_KEY, &self.sync_key)
            .with_text(a::COLLECTION_ID, &self.collection_id)
            .with_opt(
                self.supported
                    .as_ref()
                    .map(|s| with_children(a::SUPPORTED, s)),
            )
            .with_opt(bool_element(a::DELETES_AS_MOVES, self.deletes_as_moves))
            .with_opt(bool_element(a::GET_CHANGES, self.get_changes))
            .with_opt(
                self.window_size
                    .map(|w| Element::text(a::WINDOW_SIZE, w.to_string())),
            )
            .with_opt(bool_element(a::CONVERSATION_MODE, self.conversation_mode));
        for o in &self.options {
            el.push(o.to_element());
        }
        if !self.commands.is_empty() {
            let mut commands = Element::new(a::COMMANDS);
            for c in &self.commands {
                commands.push(c.to_element());
            }
            el.push(commands);
        }
        el
    }
}

/// An empty boolean that means true: GetChanges (MS-ASCMD 2.2.3.84, R3127) and
/// DeletesAsMoves (2.2.3.43, R2161).
fn empty_or_bool(el: &Element, tag: eas_wbxml::Tag) -> Result<Option<bool>, ParseError> {
    match el.child_text(tag) {
        Some(t) if t.trim().is_empty() => Ok(Some(true)),
        _ => optional_bool(el, tag),
    }
}

fn application_data(el: &Element) -> Result<Vec<Element>, ParseError> {
    el.child(a::APPLICATION_DATA)
        .map(|d| d.elements().cloned().collect())
        .ok_or(ParseError::Missing(a::APPLICATION_DATA))
}

fn read_command(c: &Element) -> Result<Option<ClientCommand>, ParseError> {
    let cmd = match c.tag {
        t if t == a::ADD => ClientCommand::Add {
            class: optional_text(c, a::CLASS),
            client_id: required_id(c, a::CLIENT_ID, MAX_ID)?,
            application_data: application_data(c)?,
        },
        t if t == a::CHANGE => ClientCommand::Change {
            class: optional_text(c, a::CLASS),
            server_id: required_id(c, a::SERVER_ID, MAX_ID)?,
            instance_id: optional_text(c, ab::INSTANCE_ID),
            application_data: application_data(c)?,
        },
        t if t == a::DELETE => ClientCommand::Delete {
            server_id: required_id(c, a::SERVER_ID, MAX_ID)?,
            instance_id: optional_text(c, ab::INSTANCE_ID),
        },
        t if t == a::FETCH => ClientCommand::Fetch {
            server_id: required_id(c, a::SERVER_ID, MAX_ID)?,
        },
        _ => return Ok(None),
    };
    Ok(Some(cmd))
}

/// A Sync request. An empty body (MS-ASCMD 2.2.1.21.1: "resend the last request") never
/// reaches this type: the edge sees no tree at all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncRequest {
    pub collections: Vec<SyncCollection>,
    /// Minutes to wait for changes (MS-ASCMD 2.2.3.198); range checks are the server's (14).
    pub wait: Option<u32>,
    /// Seconds to wait for changes (MS-ASCMD 2.2.3.88.2), the 14.0 alternative to Wait.
    pub heartbeat_interval: Option<u32>,
    /// The request-wide window (MS-ASCMD 2.2.3.199), over all collections.
    pub window_size: Option<u32>,
    /// MS-ASCMD 2.2.3.131: the collections complete the cached request.
    pub partial: bool,
}

impl SyncRequest {
    /// Reads a request tree whose root is `Sync`.
    pub fn from_element(root: &Element) -> Result<SyncRequest, ParseError> {
        expect_root(root, a::SYNC)?;
        let collections = match root.child(a::COLLECTIONS) {
            None => Vec::new(),
            Some(list) => list
                .children_of(a::COLLECTION)
                .map(SyncCollection::from_element)
                .collect::<Result<_, _>>()?,
        };
        Ok(SyncRequest {
            collections,
            wait: optional_number(root, a::WAIT)?,
            heartbeat_interval: optional_number(root, a::HEARTBEAT_INTERVAL)?,
            window_size: optional_number(root, a::WINDOW_SIZE)?,
            partial: root.child(a::PARTIAL).is_some(),
        })
    }

    /// Writes the request, as a client would send it: Collections, Wait, HeartbeatInterval,
    /// WindowSize, Partial (MS-ASCMD 2.2.3.180). `Collections` is left out when empty.
    pub fn to_element(&self) -> Element {
        let num = |tag, n: Option<u32>| n.map(|n| Element::text(tag, n.to_string()));
        let mut root = Element::new(a::SYNC);
        if !self.collections.is_empty() {
            let mut list = Element::new(a::COLLECTIONS);
            for c in &self.collections {
                list.push(c.to_element());
            }
            root.push(list);
        }
        root.with_opt(num(a::WAIT, self.wait))
            .with_opt(num(a::HEARTBEAT_INTERVAL, self.heartbeat_interval))
            .with_opt(num(a::WINDOW_SIZE, self.window_size))
            .with_opt(self.partial.then(|| Element::new(a::PARTIAL)))
    }
}
