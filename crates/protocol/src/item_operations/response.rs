//! The ItemOperations response (MS-ASCMD 2.2.1.10): a global status, then the answers grouped
//! as ItemOperationsResponse.xsd orders them (every Move, every EmptyFolderContents, every
//! Fetch). Inline data, or in a multipart response (MS-ASCMD 2.2.1.10.1.1) the index of the part
//! that carries it; the edge writes the parts.

use base64::Engine;
use eas_wbxml::tags::{air_sync as a, air_sync_base as asb, item_operations as io, search as s};
use eas_wbxml::Element;

use super::request::ByteRange;
use crate::status::ItemOperationsStatus;

/// The bytes of a fetched attachment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchData {
    /// Base64 text, the inline form clients such as AOSP decode (MS-ASCMD 2.2.3.39.2).
    Text(String),
    /// Raw bytes as WBXML opaque data.
    Opaque(Vec<u8>),
    /// In a multipart response (MS-ASCMD 2.2.1.10.1), the index of the part that holds the
    /// bytes, written as `Part` in place of `Data` (2.2.3.130).
    Part(u32),
}

impl FetchData {
    /// The bytes as base64 text.
    pub fn base64(bytes: &[u8]) -> FetchData {
        FetchData::Text(base64::engine::general_purpose::STANDARD.encode(bytes))
    }
}

/// The `Properties` of a successful Fetch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchProperties {
    /// An item's properties (e.g. [`crate::email::Email::properties`]).
    Item(Vec<Element>),
    /// An attachment: the range sent, the full size, and the data.
    Attachment {
        range: Option<ByteRange>,
        total: Option<u64>,
        content_type: Option<String>,
        data: FetchData,
    },
}

impl FetchProperties {
    fn to_element(&self) -> Element {
        let mut el = Element::new(io::PROPERTIES);
        match self {
            FetchProperties::Item(props) => {
                for p in props {
                    el.push(p.clone());
                }
            }
            FetchProperties::Attachment {
                range,
                total,
                content_type,
                data,
            } => {
                el = el
                    .with_opt(range.map(|r| Element::text(io::RANGE, r.to_string())))
                    .with_opt(total.map(|t| Element::text(io::TOTAL, t.to_string())))
                    .with_opt(
                        content_type
                            .as_ref()
                            .map(|c| Element::text(asb::CONTENT_TYPE, c)),
                    )
                    .with(match data {
                        FetchData::Text(t) => Element::text(io::DATA, t),
                        FetchData::Opaque(b) => Element::opaque(io::DATA, b.clone()),
                        FetchData::Part(n) => Element::text(io::PART, n.to_string()),
                    });
            }
        }
        el
    }
}

/// The answer to one Fetch; the identifying elements echo the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchResponse {
    pub status: ItemOperationsStatus,
    pub collection_id: Option<String>,
    pub server_id: Option<String>,
    pub long_id: Option<String>,
    /// `Email`, `Calendar`, ... for an item.
    pub class: Option<String>,
    pub file_reference: Option<String>,
    /// Left out when the fetch failed.
    pub properties: Option<FetchProperties>,
}

impl FetchResponse {
    /// A failed fetch of an attachment or item: status and the identifiers only.
    pub fn failed(status: ItemOperationsStatus) -> FetchResponse {
        FetchResponse {
            status,
            collection_id: None,
            server_id: None,
            long_id: None,
            class: None,
            file_reference: None,
            properties: None,
        }
    }

    /// The element, in the order of ItemOperationsResponse.xsd.
    pub fn to_element(&self) -> Element {
        let text = |tag, v: &Option<String>| v.as_ref().map(|v| Element::text(tag, v));
        Element::new(io::FETCH)
            .with_text(io::STATUS, self.status.to_string())
            .with_opt(text(a::COLLECTION_ID, &self.collection_id))
            .with_opt(text(a::SERVER_ID, &self.server_id))
            .with_opt(text(s::LONG_ID, &self.long_id))
            .with_opt(text(a::CLASS, &self.class))
            .with_opt(text(asb::FILE_REFERENCE, &self.file_reference))
            .with_opt(self.properties.as_ref().map(FetchProperties::to_element))
    }
}

/// The answer to one operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OperationResponse {
    Fetch(FetchResponse),
    EmptyFolderContents {
        status: ItemOperationsStatus,
        collection_id: String,
    },
    /// The answer to a conversation Move, which echoes the ConversationId.
    Move {
        status: ItemOperationsStatus,
        conversation_id: Vec<u8>,
    },
}

/// An ItemOperations response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemOperationsResponse {
    pub status: ItemOperationsStatus,
    pub responses: Vec<OperationResponse>,
}

impl ItemOperationsResponse {
    /// A request-wide failure: status only.
    pub fn status_only(status: ItemOperationsStatus) -> ItemOperationsResponse {
        ItemOperationsResponse {
            status,
            responses: Vec::new(),
        }
    }

    /// The response tree. `Response` is written only when there are answers.
    pub fn to_element(&self) -> Element {
        let root = Element::new(io::ITEM_OPERATIONS).with_text(io::STATUS, self.status.to_string());
        if self.responses.is_empty() {
            return root;
        }
        let mut response = Element::new(io::RESPONSE);
        for r in &self.responses {
            if let OperationResponse::Move {
                status,
                conversation_id,
            } = r
            {
                response.push(
                    Element::new(io::MOVE)
                        .with_text(io::STATUS, status.to_string())
                        .with(Element::opaque(
                            io::CONVERSATION_ID,
                            conversation_id.clone(),
                        )),
                );
            }
        }
        for r in &self.responses {
            if let OperationResponse::EmptyFolderContents {
                status,
                collection_id,
            } = r
            {
                response.push(
                    Element::new(io::EMPTY_FOLDER_CONTENTS)
                        .with_text(io::STATUS, status.to_string())
                        .with_text(a::COLLECTION_ID, collection_id),
                );
            }
        }
        for r in &self.responses {
            if let OperationResponse::Fetch(f) = r {
                response.push(f.to_element());
            }
        }
        root.with(response)
    }
}
