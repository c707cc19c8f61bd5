//! The FolderCreate command (MS-ASCMD 2.2.1.3): the client adds a folder to the hierarchy.

use eas_wbxml::tags::folder_hierarchy as fh;
use eas_wbxml::Element;

use crate::error::{expect_root, optional_number, ParseError};
use crate::folder_sync::hierarchy_id;
use crate::folder_type::FolderType;
use crate::status::FolderStatus;

/// A FolderCreate request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderCreateRequest {
    pub sync_key: String,
    /// `"0"` for the top of the hierarchy.
    pub parent_id: String,
    pub display_name: String,
    /// MS-ASCMD 2.2.3.186.2: clients may only create types 1 and 12 to 17; the caller
    /// checks [`FolderType::is_user_creatable`].
    pub folder_type: FolderType,
}

impl FolderCreateRequest {
    /// Reads a request tree whose root is `FolderCreate`.
    pub fn from_element(root: &Element) -> Result<FolderCreateRequest, ParseError> {
        expect_root(root, fh::FOLDER_CREATE)?;
        let display_name = root
            .child_text(fh::DISPLAY_NAME)
            .ok_or(ParseError::Missing(fh::DISPLAY_NAME))?;
        if display_name.trim().is_empty() {
            return Err(ParseError::bad_value(fh::DISPLAY_NAME, &display_name));
        }
        let code: u8 = optional_number(root, fh::TYPE)?.ok_or(ParseError::Missing(fh::TYPE))?;
        Ok(FolderCreateRequest {
            sync_key: hierarchy_id(root, fh::SYNC_KEY)?,
            parent_id: hierarchy_id(root, fh::PARENT_ID)?,
            display_name,
            folder_type: FolderType::from_code(code)
                .ok_or_else(|| ParseError::bad_value(fh::TYPE, &code.to_string()))?,
        })
    }

    /// Writes the request tree, as a client would send it.
    pub fn to_element(&self) -> Element {
        Element::new(fh::FOLDER_CREATE)
            .with_text(fh::SYNC_KEY, &self.sync_key)
            .with_text(fh::PARENT_ID, &self.parent_id)
            .with_text(fh::DISPLAY_NAME, &self.display_name)
            .with_text(fh::TYPE, self.folder_type.code().to_string())
    }
}

/// A FolderCreate response; the new hierarchy key and folder id come with success only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderCreateResponse {
    pub status: FolderStatus,
    pub sync_key: Option<String>,
    pub server_id: Option<String>,
}

impl FolderCreateResponse {
    /// A successful response.
    pub fn created(sync_key: String, server_id: String) -> FolderCreateResponse {
        FolderCreateResponse {
            status: FolderStatus::Success,
            sync_key: Some(sync_key),
            server_id: Some(server_id),
        }
    }

    /// A failed response: status only.
    pub fn failed(status: FolderStatus) -> FolderCreateResponse {
        FolderCreateResponse {
            status,
            sync_key: None,
            server_id: None,
        }
    }

    /// The response tree, in the element order of FolderCreateResponse.xsd.
    pub fn to_element(&self) -> Element {
        Element::new(fh::FOLDER_CREATE)
            .with_text(fh::STATUS, self.status.to_string())
            .with_opt(
                self.sync_key
                    .as_ref()
                    .map(|k| Element::text(fh::SYNC_KEY, k)),
            )
            .with_opt(
                self.server_id
                    .as_ref()
                    .map(|s| Element::text(fh::SERVER_ID, s)),
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eas_wbxml::{decode, encode};

    fn request() -> FolderCreateRequest {
        FolderCreateRequest {
            sync_key: "3".into(),
            parent_id: "0".into(),
            display_name: "Projects".into(),
            folder_type: FolderType::UserMail,
        }
    }

    #[test]
    fn a_folder_create_request_round_trips_through_wbxml() {
        let tree = decode(&encode(&request().to_element())).expect("decodes");
        assert_eq!(FolderCreateRequest::from_element(&tree), Ok(request()));
    }

    #[test]
    fn an_unknown_type_or_empty_name_is_refused() {
        let mut tree = request().to_element();
        tree.children.pop();
        let bad_type = tree.clone().with_text(fh::TYPE, "42");
        assert!(matches!(
            FolderCreateRequest::from_element(&bad_type),
            Err(ParseError::BadValue { tag, .. }) if tag == fh::TYPE
        ));
        assert_eq!(
            FolderCreateRequest::from_element(&tree),
            Err(ParseError::Missing(fh::TYPE))
        );
        let empty_name = Element::new(fh::FOLDER_CREATE)
            .with_text(fh::SYNC_KEY, "1")
            .with_text(fh::PARENT_ID, "0")
            .with_text(fh::DISPLAY_NAME, " ")
            .with_text(fh::TYPE, "12");
        assert!(FolderCreateRequest::from_element(&empty_name).is_err());
    }

    #[test]
    fn a_created_response_has_status_key_and_id_in_order() {
        let el = FolderCreateResponse::created("4".into(), "42".into()).to_element();
        let names: Vec<_> = el.elements().filter_map(|e| e.tag.name()).collect();
        assert_eq!(names, ["Status", "SyncKey", "ServerId"]);
        let el = FolderCreateResponse::failed(FolderStatus::AlreadyExists).to_element();
        assert_eq!(
            el,
            Element::new(fh::FOLDER_CREATE).with_text(fh::STATUS, "2")
        );
    }
}
