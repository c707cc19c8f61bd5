//! Random element trees, built from the tags the item commands read, go through every request
//! parser and every email change reader: each may refuse a tree, none may panic.

use eas_protocol::compose_mail::ComposeMailRequest;
use eas_protocol::email::EmailChange;
use eas_protocol::get_item_estimate::GetItemEstimateRequest;
use eas_protocol::item_operations::ItemOperationsRequest;
use eas_protocol::move_items::MoveItemsRequest;
use eas_protocol::search::SearchRequest;
use eas_protocol::sync::SyncRequest;
use eas_wbxml::{Element, Node, Tag};
use proptest::prelude::*;

/// The code pages the item commands use: AirSync, Email, Move, GetItemEstimate, Tasks, Search,
/// AirSyncBase, ItemOperations, ComposeMail, Email2.
const PAGES: [u8; 10] = [0, 2, 5, 6, 9, 15, 17, 20, 21, 22];

fn tag() -> impl Strategy<Value = Tag> {
    (0..PAGES.len(), 0x05u8..0x40).prop_filter_map("a known tag", |(p, t)| Tag::known(PAGES[p], t))
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("0".to_string()),
        Just("1".to_string()),
        Just("2026-11-25T10:00:00.000Z".to_string()),
        Just("0-99".to_string()),
        "[ -~é€]{0,12}",
    ]
}

fn tree() -> impl Strategy<Value = Element> {
    let leaf = (tag(), text()).prop_map(|(t, s)| Element::text(t, s));
    leaf.prop_recursive(6, 64, 6, |inner| {
        (tag(), prop::collection::vec(inner, 0..6), any::<bool>()).prop_map(
            |(t, children, opaque)| {
                let mut el = Element::new(t);
                for c in children {
                    el.push(c);
                }
                if opaque {
                    el.children.push(Node::Opaque(vec![0, 0xFF, 0x41]));
                }
                el
            },
        )
    })
}

fn with_root(root: Tag, children: Vec<Element>) -> Element {
    let mut el = Element::new(root);
    for c in children {
        el.push(c);
    }
    el
}

proptest! {
    #[test]
    fn random_trees_are_parsed_or_refused_without_panicking(
        children in prop::collection::vec(tree(), 0..5)
    ) {
        use eas_wbxml::tags::*;
        let _ = SyncRequest::from_element(&with_root(air_sync::SYNC, children.clone()));
        let _ = GetItemEstimateRequest::from_element(
            &with_root(get_item_estimate::GET_ITEM_ESTIMATE, children.clone()),
        );
        let _ = MoveItemsRequest::from_element(&with_root(r#move::MOVE_ITEMS, children.clone()));
        let _ = ItemOperationsRequest::from_element(
            &with_root(item_operations::ITEM_OPERATIONS, children.clone()),
        );
        for root in [compose_mail::SEND_MAIL, compose_mail::SMART_REPLY] {
            let _ = ComposeMailRequest::from_element(&with_root(root, children.clone()));
        }
        let _ = SearchRequest::from_element(&with_root(search::SEARCH, children.clone()));
        let _ = EmailChange::from_application_data(&children);
    }
}
