//! The FolderSync command (MS-ASCMD 2.2.1.5): the folder hierarchy and its changes since a sync key.

use eas_wbxml::tags::folder_hierarchy as fh;
use eas_wbxml::Element;

use crate::error::{expect_root, optional_number, required_text, ParseError};
pub use crate::folder_type::FolderType;
use crate::status::FolderSyncStatus;

/// A required SyncKey, ServerId or ParentId: FolderHierarchy.xsd allows 1 to 64 characters.
pub(crate) fn hierarchy_id(parent: &Element, tag: eas_wbxml::Tag) -> Result<String, ParseError> {
    let value = required_text(parent, tag)?;
    if value.is_empty() || value.chars().count() > 64 {
        return Err(ParseError::bad_value(tag, &value));
    }
    Ok(value)
}

/// A FolderSync request: the client's hierarchy sync key, `"0"` the first time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderSyncRequest {
    pub sync_key: String,
}

impl FolderSyncRequest {
    /// Reads a request tree whose root is `FolderSync`.
    pub fn from_element(root: &Element) -> Result<FolderSyncRequest, ParseError> {
        expect_root(root, fh::FOLDER_SYNC)?;
        Ok(FolderSyncRequest {
            sync_key: hierarchy_id(root, fh::SYNC_KEY)?,
        })
    }

    /// MS-ASCMD 2.2.3.181.2: key 0 asks for the whole hierarchy from scratch.
    pub fn is_initial(&self) -> bool {
        self.sync_key == "0"
    }

    /// Writes the request tree, as a client would send it.
    pub fn to_element(&self) -> Element {
        Element::new(fh::FOLDER_SYNC).with_text(fh::SYNC_KEY, &self.sync_key)
    }
}

/// A folder as FolderSync describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Folder {
    pub server_id: String,
    /// `"0"` for a folder at the top of the hierarchy.
    pub parent_id: String,
    pub display_name: String,
    pub folder_type: FolderType,
}

/// One change to the hierarchy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FolderChange {
    Add(Folder),
    Update(Folder),
    Delete { server_id: String },
}

/// A FolderSync response. On failure only `status` is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderSyncResponse {
    pub status: FolderSyncStatus,
    pub sync_key: Option<String>,
    pub changes: Vec<FolderChange>,
}

fn folder_element(tag: eas_wbxml::Tag, f: &Folder) -> Element {
    Element::new(tag)
        .with_text(fh::SERVER_ID, &f.server_id)
        .with_text(fh::PARENT_ID, &f.parent_id)
        .with_text(fh::DISPLAY_NAME, &f.display_name)
        .with_text(fh::TYPE, f.folder_type.code().to_string())
}

fn read_folder(el: &Element) -> Result<Folder, ParseError> {
    let code: u8 = optional_number(el, fh::TYPE)?.ok_or(ParseError::Missing(fh::TYPE))?;
    Ok(Folder {
        server_id: required_text(el, fh::SERVER_ID)?,
        parent_id: required_text(el, fh::PARENT_ID)?,
        display_name: el
            .child_text(fh::DISPLAY_NAME)
            .ok_or(ParseError::Missing(fh::DISPLAY_NAME))?,
        folder_type: FolderType::from_code(code)
            .ok_or_else(|| ParseError::bad_value(fh::TYPE, &code.to_string()))?,
    })
}

impl FolderSyncResponse {
    /// A failed response: status only.
    pub fn failed(status: FolderSyncStatus) -> FolderSyncResponse {
        FolderSyncResponse {
            status,
            sync_key: None,
            changes: Vec::new(),
        }
    }

    /// The response tree. FolderSyncResponse.xsd wants `Count`, then every `Update`, every
    /// `Delete` and every `Add`, so changes are grouped by kind, keeping their order within a kind.
    pub fn to_element(&self) -> Element {
        let mut root = Element::new(fh::FOLDER_SYNC)
            .with_text(fh::STATUS, self.status.to_string())
            .with_opt(
                self.sync_key
                    .as_ref()
                    .map(|k| Element::text(fh::SYNC_KEY, k)),
            );
        if self.status != FolderSyncStatus::Success {
            return root;
        }
        // MS-ASCMD 2.2.3.37: Count is the number of Add, Delete and Update elements.
        let mut changes =
            Element::new(fh::CHANGES).with_text(fh::COUNT, self.changes.len().to_string());
        for c in &self.changes {
            if let FolderChange::Update(f) = c {
                changes.push(folder_element(fh::UPDATE, f));
            }
        }
        for c in &self.changes {
            if let FolderChange::Delete { server_id } = c {
                changes.push(Element::new(fh::DELETE).with_text(fh::SERVER_ID, server_id));
            }
        }
        for c in &self.changes {
            if let FolderChange::Add(f) = c {
                changes.push(folder_element(fh::ADD, f));
            }
        }
        root.push(changes);
        root
    }

    /// Reads a response tree, as a client would.
    pub fn from_element(root: &Element) -> Result<FolderSyncResponse, ParseError> {
        expect_root(root, fh::FOLDER_SYNC)?;
        let code: u8 = optional_number(root, fh::STATUS)?.ok_or(ParseError::Missing(fh::STATUS))?;
        let status = FolderSyncStatus::from_code(code)
            .ok_or_else(|| ParseError::bad_value(fh::STATUS, &code.to_string()))?;
        let mut changes = Vec::new();
        if let Some(list) = root.child(fh::CHANGES) {
            for el in list.elements() {
                match el.tag {
                    t if t == fh::ADD => changes.push(FolderChange::Add(read_folder(el)?)),
                    t if t == fh::UPDATE => changes.push(FolderChange::Update(read_folder(el)?)),
                    t if t == fh::DELETE => changes.push(FolderChange::Delete {
                        server_id: required_text(el, fh::SERVER_ID)?,
                    }),
                    _ => {}
                }
            }
        }
        Ok(FolderSyncResponse {
            status,
            sync_key: root.child_text(fh::SYNC_KEY),
            changes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eas_wbxml::{decode, encode};

    fn folder(id: &str, name: &str, t: FolderType) -> Folder {
        Folder {
            server_id: id.into(),
            parent_id: "0".into(),
            display_name: name.into(),
            folder_type: t,
        }
    }

    #[test]
    fn a_request_gives_its_sync_key_and_key_zero_is_initial() {
        let tree = Element::new(fh::FOLDER_SYNC).with_text(fh::SYNC_KEY, "0");
        let req = FolderSyncRequest::from_element(&decode(&encode(&tree)).expect("decodes"))
            .expect("parses");
        assert!(req.is_initial());
        assert_eq!(req.to_element(), tree);
    }

    #[test]
    fn a_request_without_a_usable_sync_key_is_refused() {
        let tree = Element::new(fh::FOLDER_SYNC);
        assert_eq!(
            FolderSyncRequest::from_element(&tree),
            Err(ParseError::Missing(fh::SYNC_KEY))
        );
        let tree = Element::new(fh::FOLDER_SYNC).with_text(fh::SYNC_KEY, "k".repeat(65));
        assert!(FolderSyncRequest::from_element(&tree).is_err());
        let tree = Element::new(fh::SYNC_KEY);
        assert!(matches!(
            FolderSyncRequest::from_element(&tree),
            Err(ParseError::WrongRoot { .. })
        ));
    }

    #[test]
    fn changes_are_grouped_update_delete_add_and_counted() {
        let resp = FolderSyncResponse {
            status: FolderSyncStatus::Success,
            sync_key: Some("2".into()),
            changes: vec![
                FolderChange::Add(folder("1", "Inbox", FolderType::Inbox)),
                FolderChange::Delete {
                    server_id: "9".into(),
                },
                FolderChange::Update(folder("3", "Renamed", FolderType::UserMail)),
                FolderChange::Add(folder("2", "Calendar", FolderType::Calendar)),
            ],
        };
        let el = resp.to_element();
        let changes = el.child(fh::CHANGES).expect("changes");
        let names: Vec<_> = changes.elements().filter_map(|e| e.tag.name()).collect();
        assert_eq!(names, ["Count", "Update", "Delete", "Add", "Add"]);
        assert_eq!(changes.child_text(fh::COUNT).as_deref(), Some("4"));
        let back = FolderSyncResponse::from_element(&decode(&encode(&el)).expect("decodes"))
            .expect("parses");
        assert_eq!(back.changes.len(), 4);
        assert_eq!(back.changes[3], resp.changes[3]);
        assert_eq!(back.sync_key.as_deref(), Some("2"));
    }

    #[test]
    fn a_failed_response_has_only_the_status() {
        let el = FolderSyncResponse::failed(FolderSyncStatus::InvalidSyncKey).to_element();
        assert_eq!(el, Element::new(fh::FOLDER_SYNC).with_text(fh::STATUS, "9"));
    }

    #[test]
    fn an_empty_successful_response_still_counts_zero_changes() {
        let resp = FolderSyncResponse {
            status: FolderSyncStatus::Success,
            sync_key: Some("5".into()),
            changes: vec![],
        };
        let el = resp.to_element();
        assert_eq!(
            el.child(fh::CHANGES)
                .and_then(|c| c.child_text(fh::COUNT))
                .as_deref(),
            Some("0")
        );
        assert_eq!(FolderSyncResponse::from_element(&el), Ok(resp));
    }
}
