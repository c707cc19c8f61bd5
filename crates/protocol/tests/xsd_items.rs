//! GetItemEstimate, MoveItems, ItemOperations, SendMail/SmartReply/SmartForward and Search
//! responses, encoded to WBXML and validated by `eas-xsd-validate`.

mod xsd;

use eas_protocol::status::{GetItemEstimateStatus, MoveItemsStatus};

#[test]
fn get_item_estimate_responses_validate_for_every_status() {
    use eas_protocol::get_item_estimate::{EstimateResponse, GetItemEstimateResponse};
    let responses = GetItemEstimateStatus::ALL
        .iter()
        .map(|s| EstimateResponse {
            status: *s,
            collection_id: format!("c{s}"),
            estimate: Some(7),
        })
        .collect();
    let resp = GetItemEstimateResponse { responses };
    let bytes = eas_wbxml::encode(&resp.to_element());
    xsd::assert_valid_response("GetItemEstimate", "estimate-all", &bytes);
}

#[test]
fn move_items_responses_validate_for_every_status() {
    use eas_protocol::move_items::{MoveItemsResponse, MoveResponse};
    let responses = MoveItemsStatus::ALL
        .iter()
        .map(|s| MoveResponse {
            src_msg_id: format!("5:{s}"),
            status: *s,
            dst_msg_id: (*s == MoveItemsStatus::Success).then(|| format!("9:{s}")),
        })
        .collect();
    let resp = MoveItemsResponse { responses };
    let bytes = eas_wbxml::encode(&resp.to_element());
    xsd::assert_valid_response("MoveItems", "moveitems-all", &bytes);
}
