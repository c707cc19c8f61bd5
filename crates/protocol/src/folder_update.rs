//! The FolderUpdate command (MS-ASCMD 2.2.1.6): the client renames or moves a folder.

use eas_wbxml::tags::folder_hierarchy as fh;
use eas_wbxml::Element;

use crate::error::{expect_root, ParseError};
use crate::folder_sync::hierarchy_id;
use crate::status::FolderStatus;

/// A FolderUpdate request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderUpdateRequest {
    pub sync_key: String,
    pub server_id: String,
    /// The new parent; `"0"` for the top of the hierarchy.
    pub parent_id: String,
    pub display_name: String,
}

impl FolderUpdateRequest {
    /// Reads a request tree whose root is `FolderUpdate`.
    pub fn from_element(root: &Element) -> Result<FolderUpdateRequest, ParseError> {
        expect_root(root, fh::FOLDER_UPDATE)?;
        let display_name = root
            .child_text(fh::DISPLAY_NAME)
            .ok_or(ParseError::Missing(fh::DISPLAY_NAME))?;
        if display_name.trim().is_empty() {
            return Err(ParseError::bad_value(fh::DISPLAY_NAME, &display_name));
        }
        Ok(FolderUpdateRequest {
            sync_key: hierarchy_id(root, fh::SYNC_KEY)?,
            server_id: hierarchy_id(root, fh::SERVER_ID)?,
            parent_id: hierarchy_id(root, fh::PARENT_ID)?,
            display_name,
        })
    }

    /// Writes the request tree, as a client would send it.
    pub fn to_element(&self) -> Element {
        Element::new(fh::FOLDER_UPDATE)
            .with_text(fh::SYNC_KEY, &self.sync_key)
            .with_text(fh::SERVER_ID, &self.server_id)
            .with_text(fh::PARENT_ID, &self.parent_id)
            .with_text(fh::DISPLAY_NAME, &self.display_name)
    }
}

/// A FolderUpdate response; the new hierarchy key comes with success only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderUpdateResponse {
    pub status: FolderStatus,
    pub sync_key: Option<String>,
}

impl FolderUpdateResponse {
    /// The response tree, in the element order of FolderUpdateResponse.xsd.
    pub fn to_element(&self) -> Element {
        Element::new(fh::FOLDER_UPDATE)
            .with_text(fh::STATUS, self.status.to_string())
            .with_opt(
                self.sync_key
                    .as_ref()
                    .map(|k| Element::text(fh::SYNC_KEY, k)),
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eas_wbxml::{decode, encode};

    #[test]
    fn a_folder_update_request_round_trips_through_wbxml() {
        let req = FolderUpdateRequest {
            sync_key: "5".into(),
            server_id: "42".into(),
            parent_id: "2".into(),
            display_name: "Renamed".into(),
        };
        let tree = decode(&encode(&req.to_element())).expect("decodes");
        assert_eq!(FolderUpdateRequest::from_element(&tree), Ok(req));
    }

    #[test]
    fn a_folder_update_without_a_server_id_is_refused() {
        let tree = Element::new(fh::FOLDER_UPDATE)
            .with_text(fh::SYNC_KEY, "5")
            .with_text(fh::PARENT_ID, "0")
            .with_text(fh::DISPLAY_NAME, "x");
        assert_eq!(
            FolderUpdateRequest::from_element(&tree),
            Err(ParseError::Missing(fh::SERVER_ID))
        );
    }

    #[test]
    fn a_folder_update_response_has_the_key_after_the_status() {
        let el = FolderUpdateResponse {
            status: FolderStatus::Success,
            sync_key: Some("6".into()),
        }
        .to_element();
        let names: Vec<_> = el.elements().filter_map(|e| e.tag.name()).collect();
        assert_eq!(names, ["Status", "SyncKey"]);
    }
}
