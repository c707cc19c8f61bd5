//! Tests of Provision requests and responses against the tree and the WBXML codec.

use eas_wbxml::tags::{folder_hierarchy, provision as p, settings as s};
use eas_wbxml::{decode, encode, Element};

use super::*;

fn names(el: &Element) -> Vec<&'static str> {
    el.elements().filter_map(|e| e.tag.name()).collect()
}

#[test]
fn an_aosp_first_phase_request_at_14_1_gives_policy_type_and_device_information() {
    let tree = Element::new(p::PROVISION)
        .with(
            Element::new(s::DEVICE_INFORMATION).with(
                Element::new(s::SET)
                    .with_text(s::MODEL, "GT-I9505")
                    .with_text(s::OS, "Android 4.4.2")
                    .with_text(s::USER_AGENT, "Android/4.4.2-EAS-2.0"),
            ),
        )
        .with(
            Element::new(p::POLICIES)
                .with(Element::new(p::POLICY).with_text(p::POLICY_TYPE, POLICY_TYPE_WBXML)),
        );
    let bytes = encode(&tree);
    let req = ProvisionRequest::from_element(&decode(&bytes).expect("decodes")).expect("parses");
    assert!(!req.is_acknowledgement());
    let policy = req.policy.expect("policy");
    assert_eq!(policy.policy_type, POLICY_TYPE_WBXML);
    assert_eq!(policy.policy_key, None);
    let info = req.device_information.expect("device information");
    assert_eq!(info.model.as_deref(), Some("GT-I9505"));
    assert_eq!(info.os.as_deref(), Some("Android 4.4.2"));
}

#[test]
fn an_acknowledgement_carries_the_temporary_key_and_the_apply_status() {
    let tree = Element::new(p::PROVISION).with(
        Element::new(p::POLICIES).with(
            Element::new(p::POLICY)
                .with_text(p::POLICY_TYPE, POLICY_TYPE_WBXML)
                .with_text(p::POLICY_KEY, "1307199584")
                .with_text(p::STATUS, "2"),
        ),
    );
    let req = ProvisionRequest::from_element(&tree).expect("parses");
    assert!(req.is_acknowledgement());
    let policy = req.policy.expect("policy");
    assert_eq!(policy.policy_key, Some(1_307_199_584));
    assert_eq!(policy.status, Some(PolicyAckStatus::PartialSuccess));
}

#[test]
fn a_remote_wipe_acknowledgement_gives_its_status() {
    let tree = Element::new(p::PROVISION)
        .with(Element::new(p::REMOTE_WIPE).with_text(p::STATUS, "1"))
        .with(Element::new(p::ACCOUNT_ONLY_REMOTE_WIPE).with_text(p::STATUS, "2"));
    let req = ProvisionRequest::from_element(&tree).expect("parses");
    assert_eq!(req.remote_wipe, Some(RemoteWipeStatus::Success));
    assert_eq!(
        req.account_only_remote_wipe,
        Some(RemoteWipeStatus::Failure)
    );
    assert_eq!(req.policy, None);
}

#[test]
fn provision_requests_round_trip_through_the_tree() {
    let req = ProvisionRequest {
        device_information: Some(DeviceInformation {
            model: Some("iPhone".into()),
            ..DeviceInformation::default()
        }),
        policy: Some(PolicyRequest {
            policy_type: POLICY_TYPE_WBXML.into(),
            policy_key: Some(42),
            status: Some(PolicyAckStatus::Success),
        }),
        remote_wipe: Some(RemoteWipeStatus::Success),
        account_only_remote_wipe: None,
    };
    assert_eq!(ProvisionRequest::from_element(&req.to_element()), Ok(req));
}

#[test]
fn malformed_provision_requests_name_the_element() {
    let wrong = Element::new(folder_hierarchy::FOLDER_SYNC);
    assert!(matches!(
        ProvisionRequest::from_element(&wrong),
        Err(ParseError::WrongRoot { .. })
    ));
    let no_policy = Element::new(p::PROVISION).with(Element::new(p::POLICIES));
    assert_eq!(
        ProvisionRequest::from_element(&no_policy),
        Err(ParseError::Missing(p::POLICY))
    );
    let no_type =
        Element::new(p::PROVISION).with(Element::new(p::POLICIES).with(Element::new(p::POLICY)));
    assert_eq!(
        ProvisionRequest::from_element(&no_type),
        Err(ParseError::Missing(p::POLICY_TYPE))
    );
    let bad_key = Element::new(p::PROVISION).with(
        Element::new(p::POLICIES).with(
            Element::new(p::POLICY)
                .with_text(p::POLICY_TYPE, POLICY_TYPE_WBXML)
                .with_text(p::POLICY_KEY, "abc"),
        ),
    );
    assert!(matches!(
        ProvisionRequest::from_element(&bad_key),
        Err(ParseError::BadValue { tag, .. }) if tag == p::POLICY_KEY
    ));
    let bad_wipe = Element::new(p::PROVISION).with(Element::new(p::REMOTE_WIPE));
    assert_eq!(
        ProvisionRequest::from_element(&bad_wipe),
        Err(ParseError::Missing(p::STATUS))
    );
}

pub(crate) fn download_response() -> ProvisionResponse {
    ProvisionResponse {
        status: ProvisionStatus::Success,
        device_information: Some(SettingsStatus::Success),
        policy: Some(PolicyResponse {
            policy_type: POLICY_TYPE_WBXML.into(),
            status: PolicyStatus::Success,
            policy_key: Some(1_307_199_584),
            settings: Some(PolicySettings::default()),
        }),
        remote_wipe: true,
        account_only_remote_wipe: true,
    }
}

#[test]
fn the_response_orders_device_information_status_policies_and_wipes_as_the_xsd_does() {
    let el = download_response().to_element(ProtocolVersion::V16_1);
    assert_eq!(
        names(&el),
        [
            "DeviceInformation",
            "Status",
            "Policies",
            "RemoteWipe",
            "AccountOnlyRemoteWipe"
        ]
    );
    let policy = el
        .child(p::POLICIES)
        .and_then(|x| x.child(p::POLICY))
        .expect("policy");
    assert_eq!(names(policy), ["PolicyType", "Status", "PolicyKey", "Data"]);
    let doc = policy
        .child(p::DATA)
        .and_then(|d| d.child(p::EAS_PROVISION_DOC));
    assert!(doc.is_some());
}

#[test]
fn device_information_is_left_out_below_14_1_and_account_wipe_below_16_1() {
    let el = download_response().to_element(ProtocolVersion::V14_0);
    assert_eq!(names(&el), ["Status", "Policies", "RemoteWipe"]);
    let el = download_response().to_element(ProtocolVersion::V14_1);
    assert_eq!(
        names(&el),
        ["DeviceInformation", "Status", "Policies", "RemoteWipe"]
    );
}

#[test]
fn a_status_only_response_has_just_the_status() {
    let el = ProvisionResponse::status_only(ProvisionStatus::ProtocolError)
        .to_element(ProtocolVersion::V14_1);
    assert_eq!(el, Element::new(p::PROVISION).with_text(p::STATUS, "2"));
}

#[test]
fn the_response_survives_the_wbxml_codec() {
    let el = download_response().to_element(ProtocolVersion::V14_1);
    assert_eq!(decode(&encode(&el)).expect("decodes"), el);
}
