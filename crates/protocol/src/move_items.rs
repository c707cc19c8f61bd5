//! The MoveItems command (MS-ASCMD 2.2.1.12): moving items between folders. Status 3 is
//! success (MS-ASCMD 2.2.3.177.10); PHONE_FLOWS.md: AOSP sends one Move per request and keeps
//! `DstMsgId` as the item's new id.

use eas_wbxml::tags::r#move as m;
use eas_wbxml::Element;

use crate::error::{expect_root, required_id, ParseError};
use crate::status::MoveItemsStatus;

/// One `Move` of the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MoveItem {
    pub src_msg_id: String,
    pub src_fld_id: String,
    pub dst_fld_id: String,
}

/// A MoveItems request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MoveItemsRequest {
    pub moves: Vec<MoveItem>,
}

impl MoveItemsRequest {
    /// Reads a request tree whose root is `MoveItems`; it needs at least one `Move`.
    pub fn from_element(root: &Element) -> Result<MoveItemsRequest, ParseError> {
        expect_root(root, m::MOVE_ITEMS)?;
        let moves = root
            .children_of(m::MOVE)
            .map(|el| {
                Ok(MoveItem {
                    src_msg_id: required_id(el, m::SRC_MSG_ID, 64)?,
                    src_fld_id: required_id(el, m::SRC_FLD_ID, 64)?,
                    dst_fld_id: required_id(el, m::DST_FLD_ID, 64)?,
                })
            })
            .collect::<Result<Vec<_>, ParseError>>()?;
        if moves.is_empty() {
            return Err(ParseError::Missing(m::MOVE));
        }
        Ok(MoveItemsRequest { moves })
    }

    /// Writes the request tree, as a client would send it.
    pub fn to_element(&self) -> Element {
        let mut root = Element::new(m::MOVE_ITEMS);
        for mv in &self.moves {
            root.push(
                Element::new(m::MOVE)
                    .with_text(m::SRC_MSG_ID, &mv.src_msg_id)
                    .with_text(m::SRC_FLD_ID, &mv.src_fld_id)
                    .with_text(m::DST_FLD_ID, &mv.dst_fld_id),
            );
        }
        root
    }
}

/// The result of one move.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MoveResponse {
    pub src_msg_id: String,
    pub status: MoveItemsStatus,
    /// The id in the destination folder; PHONE_FLOWS.md: it must match the ServerId a later
    /// Sync of that folder reports, or the phone shows the message twice.
    pub dst_msg_id: Option<String>,
}

/// A MoveItems response: one `Response` per `Move`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MoveItemsResponse {
    pub responses: Vec<MoveResponse>,
}

impl MoveItemsResponse {
    /// The response tree: SrcMsgId, Status, DstMsgId per MoveItemsResponse.xsd.
    pub fn to_element(&self) -> Element {
        let mut root = Element::new(m::MOVE_ITEMS);
        for r in &self.responses {
            root.push(
                Element::new(m::RESPONSE)
                    .with_text(m::SRC_MSG_ID, &r.src_msg_id)
                    .with_text(m::STATUS, r.status.to_string())
                    .with_opt(
                        r.dst_msg_id
                            .as_ref()
                            .map(|d| Element::text(m::DST_MSG_ID, d)),
                    ),
            );
        }
        root
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eas_wbxml::{decode, encode};

    #[test]
    fn an_aosp_move_round_trips_through_wbxml() {
        let req = MoveItemsRequest {
            moves: vec![MoveItem {
                src_msg_id: "5:12".into(),
                src_fld_id: "5".into(),
                dst_fld_id: "9".into(),
            }],
        };
        let el = decode(&encode(&req.to_element())).expect("decodes");
        assert_eq!(MoveItemsRequest::from_element(&el), Ok(req));
    }

    #[test]
    fn malformed_requests_name_the_element() {
        let empty = Element::new(m::MOVE_ITEMS);
        assert_eq!(
            MoveItemsRequest::from_element(&empty),
            Err(ParseError::Missing(m::MOVE))
        );
        let no_dst = Element::new(m::MOVE_ITEMS).with(
            Element::new(m::MOVE)
                .with_text(m::SRC_MSG_ID, "5:1")
                .with_text(m::SRC_FLD_ID, "5"),
        );
        assert_eq!(
            MoveItemsRequest::from_element(&no_dst),
            Err(ParseError::Missing(m::DST_FLD_ID))
        );
        let blank = Element::new(m::MOVE_ITEMS).with(
            Element::new(m::MOVE)
                .with_text(m::SRC_MSG_ID, " ")
                .with_text(m::SRC_FLD_ID, "5")
                .with_text(m::DST_FLD_ID, "9"),
        );
        assert!(matches!(
            MoveItemsRequest::from_element(&blank),
            Err(ParseError::BadValue { tag, .. }) if tag == m::SRC_MSG_ID
        ));
    }

    #[test]
    fn a_failed_move_has_no_destination_id() {
        let resp = MoveItemsResponse {
            responses: vec![MoveResponse {
                src_msg_id: "5:12".into(),
                status: MoveItemsStatus::InvalidSource,
                dst_msg_id: None,
            }],
        };
        let el = resp.to_element();
        let r = el.child(m::RESPONSE).expect("response");
        assert_eq!(r.child_text(m::STATUS).as_deref(), Some("1"));
        assert!(r.child(m::DST_MSG_ID).is_none());
    }
}
