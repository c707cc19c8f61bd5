//! The Ping command (MS-ASCMD 2.2.1.13): the client waits for changes in a set of folders.

use eas_wbxml::tags::ping as p;
use eas_wbxml::Element;

use crate::error::{expect_root, optional_number, required_text, ParseError};
use crate::status::PingStatus;

/// A folder the client wants watched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PingFolder {
    pub id: String,
    /// `Email`, `Calendar`, `Contacts`, `Tasks`, `Notes` or `SMS`.
    pub class: String,
}

/// A Ping request. MS-ASCMD 2.2.1.13: both parts may be left out, and an empty body means
/// "the same as last time"; the edge keeps the last one per device.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PingRequest {
    /// Seconds to wait before answering status 1.
    pub heartbeat_interval: Option<u32>,
    /// `None` when the request has no `Folders`; the previous list then applies.
    pub folders: Option<Vec<PingFolder>>,
}

impl PingRequest {
    /// Reads a request tree whose root is `Ping`.
    pub fn from_element(root: &Element) -> Result<PingRequest, ParseError> {
        expect_root(root, p::PING)?;
        let folders = match root.child(p::FOLDERS) {
            None => None,
            Some(list) => Some(
                list.children_of(p::FOLDER)
                    .map(|f| {
                        Ok(PingFolder {
                            id: required_text(f, p::ID)?,
                            class: required_text(f, p::CLASS)?,
                        })
                    })
                    .collect::<Result<Vec<_>, ParseError>>()?,
            ),
        };
        Ok(PingRequest {
            heartbeat_interval: optional_number(root, p::HEARTBEAT_INTERVAL)?,
            folders,
        })
    }

    /// Writes the request tree, as a client would send it.
    pub fn to_element(&self) -> Element {
        let folders = self.folders.as_ref().map(|list| {
            let mut el = Element::new(p::FOLDERS);
            for f in list {
                el.push(
                    Element::new(p::FOLDER)
                        .with_text(p::ID, &f.id)
                        .with_text(p::CLASS, &f.class),
                );
            }
            el
        });
        Element::new(p::PING)
            .with_opt(
                self.heartbeat_interval
                    .map(|h| Element::text(p::HEARTBEAT_INTERVAL, h.to_string())),
            )
            .with_opt(folders)
    }
}

/// A Ping response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PingResponse {
    pub status: PingStatus,
    /// With status 2: the folders that changed.
    pub changed_folders: Vec<String>,
    /// With status 6: how many folders the server watches at most.
    pub max_folders: Option<u32>,
    /// With status 5: the nearest heartbeat interval the server accepts.
    pub heartbeat_interval: Option<u32>,
}

impl PingResponse {
    /// A response with only a status.
    pub fn status_only(status: PingStatus) -> PingResponse {
        PingResponse {
            status,
            changed_folders: Vec::new(),
            max_folders: None,
            heartbeat_interval: None,
        }
    }

    /// Status 2 with the folders that changed.
    pub fn changes(folders: Vec<String>) -> PingResponse {
        PingResponse {
            changed_folders: folders,
            ..PingResponse::status_only(PingStatus::ChangesFound)
        }
    }

    /// The response tree, in the element order of PingResponse.xsd.
    pub fn to_element(&self) -> Element {
        let folders = (!self.changed_folders.is_empty()).then(|| {
            let mut el = Element::new(p::FOLDERS);
            for id in &self.changed_folders {
                el.push_text(p::FOLDER, id);
            }
            el
        });
        Element::new(p::PING)
            .with_text(p::STATUS, self.status.to_string())
            .with_opt(folders)
            .with_opt(
                self.max_folders
                    .map(|m| Element::text(p::MAX_FOLDERS, m.to_string())),
            )
            .with_opt(
                self.heartbeat_interval
                    .map(|h| Element::text(p::HEARTBEAT_INTERVAL, h.to_string())),
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eas_wbxml::{decode, encode};

    #[test]
    fn an_aosp_ping_gives_heartbeat_and_folders() {
        let req = PingRequest {
            heartbeat_interval: Some(480),
            folders: Some(vec![
                PingFolder {
                    id: "1".into(),
                    class: "Email".into(),
                },
                PingFolder {
                    id: "2".into(),
                    class: "Calendar".into(),
                },
            ]),
        };
        let tree = decode(&encode(&req.to_element())).expect("decodes");
        assert_eq!(PingRequest::from_element(&tree), Ok(req));
    }

    #[test]
    fn an_empty_ping_element_leaves_both_parts_out() {
        let req = PingRequest::from_element(&Element::new(p::PING)).expect("parses");
        assert_eq!(req, PingRequest::default());
    }

    #[test]
    fn malformed_pings_name_the_element() {
        let bad = Element::new(p::PING).with_text(p::HEARTBEAT_INTERVAL, "soon");
        assert!(matches!(
            PingRequest::from_element(&bad),
            Err(ParseError::BadValue { tag, .. }) if tag == p::HEARTBEAT_INTERVAL
        ));
        let no_class = Element::new(p::PING)
            .with(Element::new(p::FOLDERS).with(Element::new(p::FOLDER).with_text(p::ID, "1")));
        assert_eq!(
            PingRequest::from_element(&no_class),
            Err(ParseError::Missing(p::CLASS))
        );
        assert!(PingRequest::from_element(&Element::new(p::FOLDERS)).is_err());
    }

    #[test]
    fn a_changes_response_lists_the_folders_after_the_status() {
        let el = PingResponse::changes(vec!["1".into(), "7".into()]).to_element();
        let names: Vec<_> = el.elements().filter_map(|e| e.tag.name()).collect();
        assert_eq!(names, ["Status", "Folders"]);
        assert_eq!(el.child_text(p::STATUS).as_deref(), Some("2"));
        let folders = el.child(p::FOLDERS).expect("folders");
        assert_eq!(folders.children_of(p::FOLDER).count(), 2);
    }

    #[test]
    fn limits_come_back_with_their_status() {
        let el = PingResponse {
            max_folders: Some(200),
            ..PingResponse::status_only(PingStatus::TooManyFolders)
        }
        .to_element();
        assert_eq!(el.child_text(p::MAX_FOLDERS).as_deref(), Some("200"));
        let el = PingResponse {
            heartbeat_interval: Some(480),
            ..PingResponse::status_only(PingStatus::InvalidHeartbeat)
        }
        .to_element();
        assert_eq!(el.child_text(p::HEARTBEAT_INTERVAL).as_deref(), Some("480"));
        assert_eq!(el.child(p::FOLDERS), None);
    }
}
