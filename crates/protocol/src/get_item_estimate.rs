//! The GetItemEstimate command (MS-ASCMD 2.2.1.9): how many items a Sync of each collection
//! would bring. PHONE_FLOWS.md: Samsung's client sends it before every Sync.

use eas_wbxml::tags::{air_sync as a, get_item_estimate as g};
use eas_wbxml::Element;

use crate::error::{expect_root, optional_bool, optional_text, required_id, ParseError};
use crate::status::GetItemEstimateStatus;
use crate::sync::FilterType;

/// One collection of the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EstimateCollection {
    /// airsync:SyncKey (MS-ASCMD 2.2.3.181.3).
    pub sync_key: String,
    pub collection_id: String,
    /// `GetItemEstimate:Class` (12.1) or `airsync:Class` in Options (14.0 and later).
    pub class: Option<String>,
    /// airsync:FilterType, directly in the collection (12.1) or in Options (14.0 and later).
    pub filter_type: Option<FilterType>,
    pub conversation_mode: Option<bool>,
}

/// A GetItemEstimate request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetItemEstimateRequest {
    pub collections: Vec<EstimateCollection>,
}

fn read_filter(el: &Element) -> Result<Option<FilterType>, ParseError> {
    match optional_text(el, a::FILTER_TYPE) {
        None => Ok(None),
        Some(text) => text
            .parse::<u8>()
            .ok()
            .and_then(FilterType::from_code)
            .map(Some)
            .ok_or_else(|| ParseError::bad_value(a::FILTER_TYPE, &text)),
    }
}

fn read_collection(el: &Element) -> Result<EstimateCollection, ParseError> {
    let options = el.child(a::OPTIONS);
    let filter_type = match options {
        Some(o) => read_filter(o)?.or(read_filter(el)?),
        None => read_filter(el)?,
    };
    let class =
        optional_text(el, g::CLASS).or_else(|| options.and_then(|o| optional_text(o, a::CLASS)));
    Ok(EstimateCollection {
        sync_key: required_id(el, a::SYNC_KEY, 64)?,
        collection_id: required_id(el, g::COLLECTION_ID, 64)?,
        class,
        filter_type,
        conversation_mode: optional_bool(el, a::CONVERSATION_MODE)?,
    })
}

impl GetItemEstimateRequest {
    /// Reads a request tree whose root is `GetItemEstimate`.
    pub fn from_element(root: &Element) -> Result<GetItemEstimateRequest, ParseError> {
        expect_root(root, g::GET_ITEM_ESTIMATE)?;
        let list = root
            .child(g::COLLECTIONS)
            .ok_or(ParseError::Missing(g::COLLECTIONS))?;
        Ok(GetItemEstimateRequest {
            collections: list
                .children_of(g::COLLECTION)
                .map(read_collection)
                .collect::<Result<_, _>>()?,
        })
    }
}

/// One `Response` of a GetItemEstimate response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EstimateResponse {
    pub status: GetItemEstimateStatus,
    pub collection_id: String,
    /// Written only with status 1.
    pub estimate: Option<u32>,
}

impl EstimateResponse {
    /// Status 1 with the number of items.
    pub fn estimate(collection_id: impl Into<String>, estimate: u32) -> EstimateResponse {
        EstimateResponse {
            status: GetItemEstimateStatus::Success,
            collection_id: collection_id.into(),
            estimate: Some(estimate),
        }
    }

    fn to_element(&self) -> Element {
        let collection = Element::new(g::COLLECTION)
            .with_text(g::COLLECTION_ID, &self.collection_id)
            .with_opt(
                self.estimate
                    .filter(|_| self.status == GetItemEstimateStatus::Success)
                    .map(|n| Element::text(g::ESTIMATE, n.to_string())),
            );
        Element::new(g::RESPONSE)
            .with_text(g::STATUS, self.status.to_string())
            .with(collection)
    }
}

/// A GetItemEstimate response: one `Response` per collection asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetItemEstimateResponse {
    pub responses: Vec<EstimateResponse>,
}

impl GetItemEstimateResponse {
    /// The response tree, in the order of GetItemEstimateResponse.xsd.
    pub fn to_element(&self) -> Element {
        let mut root = Element::new(g::GET_ITEM_ESTIMATE);
        for r in &self.responses {
            root.push(r.to_element());
        }
        root
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eas_wbxml::{decode, encode};

    fn parse(tree: &Element) -> Result<GetItemEstimateRequest, ParseError> {
        GetItemEstimateRequest::from_element(&decode(&encode(tree)).expect("decodes"))
    }

    #[test]
    fn a_14_1_request_reads_filter_and_class_from_options() {
        let tree = Element::new(g::GET_ITEM_ESTIMATE).with(
            Element::new(g::COLLECTIONS).with(
                Element::new(g::COLLECTION)
                    .with_text(a::SYNC_KEY, "4")
                    .with_text(g::COLLECTION_ID, "5")
                    .with(
                        Element::new(a::OPTIONS)
                            .with_text(a::CLASS, "Email")
                            .with_text(a::FILTER_TYPE, "3"),
                    ),
            ),
        );
        let req = parse(&tree).expect("parses");
        let c = &req.collections[0];
        assert_eq!((c.sync_key.as_str(), c.collection_id.as_str()), ("4", "5"));
        assert_eq!(c.filter_type, Some(FilterType::OneWeek));
        assert_eq!(c.class.as_deref(), Some("Email"));
    }

    #[test]
    fn a_samsung_12_1_request_has_class_and_filter_in_the_collection() {
        let tree = Element::new(g::GET_ITEM_ESTIMATE).with(
            Element::new(g::COLLECTIONS).with(
                Element::new(g::COLLECTION)
                    .with_text(g::CLASS, "Email")
                    .with_text(g::COLLECTION_ID, "5")
                    .with_text(a::FILTER_TYPE, "2")
                    .with_text(a::SYNC_KEY, "4"),
            ),
        );
        let c = parse(&tree).expect("parses").collections.remove(0);
        assert_eq!(c.filter_type, Some(FilterType::ThreeDays));
        assert_eq!(c.class.as_deref(), Some("Email"));
    }

    #[test]
    fn malformed_requests_name_the_element() {
        let root = Element::new(g::GET_ITEM_ESTIMATE);
        assert_eq!(parse(&root), Err(ParseError::Missing(g::COLLECTIONS)));
        let no_id = Element::new(g::GET_ITEM_ESTIMATE).with(
            Element::new(g::COLLECTIONS)
                .with(Element::new(g::COLLECTION).with_text(a::SYNC_KEY, "1")),
        );
        assert_eq!(parse(&no_id), Err(ParseError::Missing(g::COLLECTION_ID)));
        let bad_filter = Element::new(g::GET_ITEM_ESTIMATE).with(
            Element::new(g::COLLECTIONS).with(
                Element::new(g::COLLECTION)
                    .with_text(a::SYNC_KEY, "1")
                    .with_text(g::COLLECTION_ID, "5")
                    .with(Element::new(a::OPTIONS).with_text(a::FILTER_TYPE, "x")),
            ),
        );
        assert_eq!(
            parse(&bad_filter),
            Err(ParseError::bad_value(a::FILTER_TYPE, "x"))
        );
    }

    #[test]
    fn a_failed_response_has_no_estimate() {
        let resp = GetItemEstimateResponse {
            responses: vec![
                EstimateResponse::estimate("5", 12),
                EstimateResponse {
                    status: GetItemEstimateStatus::SyncStateNotPrimed,
                    collection_id: "6".into(),
                    estimate: Some(3),
                },
            ],
        };
        let el = resp.to_element();
        let second = el.children_of(g::RESPONSE).nth(1).expect("second");
        assert_eq!(second.child_text(g::STATUS).as_deref(), Some("3"));
        assert!(second
            .child(g::COLLECTION)
            .and_then(|c| c.child(g::ESTIMATE))
            .is_none());
    }
}
