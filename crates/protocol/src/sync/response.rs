//! The Sync response (MS-ASCMD 2.2.1.21): per collection the new key, the server's changes and
//! the answers to the client's changes, in the order of MS-ASCMD 2.2.3.29.2 and SyncResponse.xsd.

use eas_wbxml::tags::air_sync as a;
use eas_wbxml::tags::air_sync_base as ab;
use eas_wbxml::Element;

use crate::status::SyncStatus;

/// A change the server sends in `Commands`; ApplicationData is built by the data class
/// (e.g. [`crate::email::Email::application_data`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerCommand {
    Add {
        server_id: String,
        application_data: Vec<Element>,
    },
    Change {
        server_id: String,
        application_data: Vec<Element>,
    },
    Delete {
        server_id: String,
    },
    /// MS-ASCMD 2.2.3.172: the item left the FilterType window; the client drops it quietly.
    SoftDelete {
        server_id: String,
    },
}

/// The server's answer to one client change in `Responses`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ItemResponse {
    /// PHONE_FLOWS.md: AOSP takes the ServerId and ignores the status.
    Add {
        client_id: String,
        /// Left out when the add failed.
        server_id: Option<String>,
        status: SyncStatus,
        /// 16.x calendar items: the `UID` the server made for the event (MS-ASCAL 2.2.2.46,
        /// R2223) and, for each attachment the Add brought, an `airsyncbase:Attachment` with its
        /// `ClientId` and `FileReference` (MS-ASAIRS R1082, R1324 to R1326;
        /// [`crate::body::added_attachments_element`]), sent back in `ApplicationData`. A
        /// `Change` response has no `ApplicationData` (SyncResponse.xsd).
        application_data: Option<Vec<Element>>,
    },
    /// MS-ASCMD 2.2.3.24 (R6234): sent for failed changes; success needs no answer.
    Change {
        server_id: String,
        /// The occurrence the change named (16.x, MS-ASCMD 2.2.3.24), echoed.
        instance_id: Option<String>,
        status: SyncStatus,
    },
    /// A failed Delete of one occurrence (16.x, MS-ASCMD 2.2.3.42.2): its ServerId and
    /// InstanceId echoed with the status.
    Delete {
        server_id: String,
        instance_id: Option<String>,
        status: SyncStatus,
    },
    Fetch {
        server_id: String,
        status: SyncStatus,
        /// The item's properties when the fetch succeeded.
        application_data: Option<Vec<Element>>,
    },
}

/// One `Collection` of a Sync response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncCollectionResponse {
    /// Only for clients at 12.1 and below that sent a Class (MS-ASCMD 2.2.3.27.6);
    /// SyncResponse.xsd, written for later versions, does not list it.
    pub class: Option<String>,
    /// The next key; left out on some failures.
    pub sync_key: Option<String>,
    pub collection_id: String,
    pub status: SyncStatus,
    /// MS-ASCMD 2.2.3.116: more changes wait beyond the window.
    pub more_available: bool,
    pub commands: Vec<ServerCommand>,
    pub responses: Vec<ItemResponse>,
}

impl SyncCollectionResponse {
    /// A successful collection with a new key and nothing else yet.
    pub fn new(collection_id: impl Into<String>, sync_key: impl Into<String>) -> Self {
        SyncCollectionResponse {
            class: None,
            sync_key: Some(sync_key.into()),
            collection_id: collection_id.into(),
            status: SyncStatus::Success,
            more_available: false,
            commands: Vec::new(),
            responses: Vec::new(),
        }
    }

    /// A failed collection: key (if any), id and status only.
    pub fn failed(
        collection_id: impl Into<String>,
        sync_key: Option<String>,
        status: SyncStatus,
    ) -> Self {
        SyncCollectionResponse {
            status,
            sync_key,
            ..SyncCollectionResponse::new(collection_id, "")
        }
    }

    /// The element: Class, SyncKey, CollectionId, Status, MoreAvailable, Commands, Responses
    /// (MS-ASCMD 2.2.3.29.2). Commands and Responses are left out when empty: MS-ASCMD 2.2.3.32
    /// wants at least one operation in a Commands element.
    pub fn to_element(&self) -> Element {
        let mut el = Element::new(a::COLLECTION)
            .with_opt(self.class.as_ref().map(|c| Element::text(a::CLASS, c)))
            .with_opt(
                self.sync_key
                    .as_ref()
                    .map(|k| Element::text(a::SYNC_KEY, k)),
            )
            .with_text(a::COLLECTION_ID, &self.collection_id)
            .with_text(a::STATUS, self.status.to_string())
            .with_opt(self.more_available.then(|| Element::new(a::MORE_AVAILABLE)));
        if !self.commands.is_empty() {
            let mut commands = Element::new(a::COMMANDS);
            for c in &self.commands {
                commands.push(command_element(c));
            }
            el.push(commands);
        }
        if !self.responses.is_empty() {
            let mut responses = Element::new(a::RESPONSES);
            for r in &self.responses {
                responses.push(response_element(r));
            }
            el.push(responses);
        }
        el
    }
}

fn with_data(tag: eas_wbxml::Tag, server_id: &str, data: &[Element]) -> Element {
    let mut app = Element::new(a::APPLICATION_DATA);
    for d in data {
        app.push(d.clone());
    }
    Element::new(tag)
        .with_text(a::SERVER_ID, server_id)
        .with(app)
}

fn command_element(c: &ServerCommand) -> Element {
    match c {
        ServerCommand::Add {
            server_id,
            application_data,
        } => with_data(a::ADD, server_id, application_data),
        ServerCommand::Change {
            server_id,
            application_data,
        } => with_data(a::CHANGE, server_id, application_data),
        ServerCommand::Delete { server_id } => {
            Element::new(a::DELETE).with_text(a::SERVER_ID, server_id)
        }
        ServerCommand::SoftDelete { server_id } => {
            Element::new(a::SOFT_DELETE).with_text(a::SERVER_ID, server_id)
        }
    }
}

/// SyncResponse.xsd orders Add as ClientId, ServerId, Status, ApplicationData; Change and Delete
/// as ServerId, InstanceId, Status; Fetch as ServerId, Status, ApplicationData.
fn response_element(r: &ItemResponse) -> Element {
    match r {
        ItemResponse::Add {
            client_id,
            server_id,
            status,
            application_data,
        } => Element::new(a::ADD)
            .with_text(a::CLIENT_ID, client_id)
            .with_opt(server_id.as_ref().map(|s| Element::text(a::SERVER_ID, s)))
            .with_text(a::STATUS, status.to_string())
            .with_opt(application_data.as_ref().map(|data| {
                let mut app = Element::new(a::APPLICATION_DATA);
                for d in data {
                    app.push(d.clone());
                }
                app
            })),
        ItemResponse::Change {
            server_id,
            instance_id,
            status,
        } => Element::new(a::CHANGE)
            .with_text(a::SERVER_ID, server_id)
            .with_opt(
                instance_id
                    .as_ref()
                    .map(|i| Element::text(ab::INSTANCE_ID, i)),
            )
            .with_text(a::STATUS, status.to_string()),
        ItemResponse::Delete {
            server_id,
            instance_id,
            status,
        } => Element::new(a::DELETE)
            .with_text(a::SERVER_ID, server_id)
            .with_opt(
                instance_id
                    .as_ref()
                    .map(|i| Element::text(ab::INSTANCE_ID, i)),
            )
            .with_text(a::STATUS, status.to_string()),
        ItemResponse::Fetch {
            server_id,
            status,
            application_data,
        } => {
            let el = Element::new(a::FETCH)
                .with_text(a::SERVER_ID, server_id)
                .with_text(a::STATUS, status.to_string());
            el.with_opt(application_data.as_ref().map(|data| {
                let mut app = Element::new(a::APPLICATION_DATA);
                for d in data {
                    app.push(d.clone());
                }
                app
            }))
        }
    }
}

/// A Sync response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncResponse {
    /// The request-wide status, written when the request failed as a whole (or with 14).
    pub status: Option<SyncStatus>,
    /// MS-ASCMD 2.2.3.97: with status 14 the nearest Wait or HeartbeatInterval the server
    /// accepts, with status 15 the most collections it accepts.
    pub limit: Option<u32>,
    pub collections: Vec<SyncCollectionResponse>,
}

impl SyncResponse {
    /// A response with collections and no request-wide status.
    pub fn collections(collections: Vec<SyncCollectionResponse>) -> SyncResponse {
        SyncResponse {
            status: None,
            limit: None,
            collections,
        }
    }

    /// A request-wide failure: status only.
    pub fn status_only(status: SyncStatus) -> SyncResponse {
        SyncResponse {
            status: Some(status),
            limit: None,
            collections: Vec::new(),
        }
    }

    /// Status 14 or 15 with its limit (MS-ASCMD 2.2.3.97).
    pub fn with_limit(status: SyncStatus, limit: u32) -> SyncResponse {
        SyncResponse {
            limit: Some(limit),
            ..SyncResponse::status_only(status)
        }
    }

    /// The response tree: Status, then Limit or Collections (SyncResponse.xsd). `Collections`
    /// is never written empty: PHONE_FLOWS.md, an empty `<Collections/>` crashes iOS.
    pub fn to_element(&self) -> Element {
        let mut root = Element::new(a::SYNC)
            .with_opt(self.status.map(|s| Element::text(a::STATUS, s.to_string())));
        if let Some(limit) = self.limit {
            root.push_text(a::LIMIT, limit.to_string());
        } else if !self.collections.is_empty() {
            let mut list = Element::new(a::COLLECTIONS);
            for c in &self.collections {
                list.push(c.to_element());
            }
            root.push(list);
        }
        root
    }
}
