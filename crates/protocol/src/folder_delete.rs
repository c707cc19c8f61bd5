//! The FolderDelete command (MS-ASCMD 2.2.1.4): the client removes a folder from the hierarchy.

use eas_wbxml::tags::folder_hierarchy as fh;
use eas_wbxml::Element;

use crate::error::{expect_root, ParseError};
use crate::folder_sync::hierarchy_id;
use crate::status::FolderStatus;

/// A FolderDelete request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderDeleteRequest {
    pub sync_key: String,
    pub server_id: String,
}

impl FolderDeleteRequest {
    /// Reads a request tree whose root is `FolderDelete`.
    pub fn from_element(root: &Element) -> Result<FolderDeleteRequest, ParseError> {
        expect_root(root, fh::FOLDER_DELETE)?;
        Ok(FolderDeleteRequest {
            sync_key: hierarchy_id(root, fh::SYNC_KEY)?,
            server_id: hierarchy_id(root, fh::SERVER_ID)?,
        })
    }

    /// Writes the request tree, as a client would send it.
    pub fn to_element(&self) -> Element {
        Element::new(fh::FOLDER_DELETE)
            .with_text(fh::SYNC_KEY, &self.sync_key)
            .with_text(fh::SERVER_ID, &self.server_id)
    }
}

/// A FolderDelete response; the new hierarchy key comes with success only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderDeleteResponse {
    pub status: FolderStatus,
    pub sync_key: Option<String>,
}

impl FolderDeleteResponse {
    /// The response tree, in the element order of FolderDeleteResponse.xsd.
    pub fn to_element(&self) -> Element {
        Element::new(fh::FOLDER_DELETE)
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
    fn a_folder_delete_request_round_trips_through_wbxml() {
        let req = FolderDeleteRequest {
            sync_key: "7".into(),
            server_id: "42".into(),
        };
        let tree = decode(&encode(&req.to_element())).expect("decodes");
        assert_eq!(FolderDeleteRequest::from_element(&tree), Ok(req));
    }

    #[test]
    fn an_overlong_server_id_is_refused() {
        let tree = Element::new(fh::FOLDER_DELETE)
            .with_text(fh::SYNC_KEY, "7")
            .with_text(fh::SERVER_ID, "x".repeat(65));
        assert!(matches!(
            FolderDeleteRequest::from_element(&tree),
            Err(ParseError::BadValue { tag, .. }) if tag == fh::SERVER_ID
        ));
    }

    #[test]
    fn a_failed_folder_delete_response_has_only_the_status() {
        let el = FolderDeleteResponse {
            status: FolderStatus::SpecialFolder,
            sync_key: None,
        }
        .to_element();
        assert_eq!(
            el,
            Element::new(fh::FOLDER_DELETE).with_text(fh::STATUS, "3")
        );
    }
}
