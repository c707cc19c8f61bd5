//! Property tests: encode/decode and XML round trips over generated trees, every tag of the
//! table, and no panic on arbitrary bytes.

use eas_wbxml::{decode, encode, from_xml, tags, to_xml, Element, Node, Tag};
use proptest::prelude::*;

fn any_tag() -> impl Strategy<Value = Tag> {
    prop::sample::select(Tag::all().collect::<Vec<_>>())
}

/// Text without NUL (WBXML inline strings cannot hold it).
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 <>&;:/=.-]{0,16}",
        "[^\u{0}]{0,12}",
        Just(String::new()),
        Just(" \n\t".to_string()),
    ]
}

fn any_tree() -> impl Strategy<Value = Element> {
    let leaf = prop_oneof![
        any_tag().prop_map(Element::new),
        (any_tag(), any_text()).prop_map(|(t, s)| Element::text(t, s)),
        (any_tag(), prop::collection::vec(any::<u8>(), 0..24))
            .prop_map(|(t, b)| Element::opaque(t, b)),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        let node = prop_oneof![
            4 => inner.prop_map(Node::Element),
            1 => any_text().prop_map(Node::Text),
            1 => prop::collection::vec(any::<u8>(), 0..8).prop_map(Node::Opaque),
        ];
        (any_tag(), prop::collection::vec(node, 0..6))
            .prop_map(|(tag, children)| Element { tag, children })
    })
}

/// What the XML form keeps of a tree: adjacent text merged, empty text gone from mixed content.
fn xml_normal(el: &Element) -> Element {
    let mut children: Vec<Node> = Vec::new();
    for child in &el.children {
        match (children.last_mut(), child) {
            (Some(Node::Text(prev)), Node::Text(t)) => prev.push_str(t),
            (_, Node::Element(e)) => children.push(Node::Element(xml_normal(e))),
            (_, other) => children.push(other.clone()),
        }
    }
    if children.len() > 1 {
        children.retain(|c| !matches!(c, Node::Text(t) if t.is_empty()));
    }
    Element {
        tag: el.tag,
        children,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decode_encode_round_trip(tree in any_tree()) {
        let bytes = encode(&tree);
        prop_assert_eq!(decode(&bytes), Ok(tree));
    }

    #[test]
    fn xml_round_trip(tree in any_tree()) {
        let xml = to_xml(&tree);
        let back = from_xml(&xml);
        prop_assert_eq!(back, Ok(xml_normal(&tree)), "xml was:\n{}", xml);
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode(&bytes);
    }

    #[test]
    fn header_then_random_tokens_never_panic(body in prop::collection::vec(any::<u8>(), 0..256)) {
        let mut bytes = vec![0x03, 0x01, 0x6A, 0x00];
        bytes.extend(body);
        if let Ok(tree) = decode(&bytes) {
            // Whatever decodes re-encodes to something that decodes the same.
            prop_assert_eq!(decode(&encode(&tree)), Ok(tree));
        }
    }

    #[test]
    fn mutated_documents_never_panic(tree in any_tree(), pos in any::<usize>(), byte in any::<u8>()) {
        let mut bytes = encode(&tree);
        let i = pos % bytes.len();
        bytes[i] = byte;
        let _ = decode(&bytes);
        bytes.truncate(i);
        prop_assert!(decode(&bytes).is_err() || i >= 4);
    }

    #[test]
    fn random_text_never_panics_from_xml(s in "\\PC{0,200}") {
        let _ = from_xml(&s);
    }
}

#[test]
fn every_tag_of_the_table_round_trips() {
    let all: Vec<Tag> = Tag::all().collect();
    assert_eq!(all.len(), 586, "codepages.tsv has 586 tags");
    for tag in all {
        let (ns, name) = (tag.namespace().unwrap(), tag.name().unwrap());
        assert_eq!(Tag::lookup(ns, name), Some(tag), "lookup {ns}:{name}");
        assert_eq!(Tag::lookup(&format!("{ns}:"), name), Some(tag));
        assert_eq!(Tag::known(tag.page(), tag.token()), Some(tag));
        // Alone, with content, and nested under a tag of another page (forcing page switches).
        let other = if tag.page() == 0 {
            tags::ping::PING
        } else {
            tags::air_sync::SYNC
        };
        for el in [
            Element::new(tag),
            Element::text(tag, "x"),
            Element::new(other)
                .with(Element::new(tag))
                .with(Element::opaque(tag, [1, 2])),
        ] {
            let bytes = encode(&el);
            assert_eq!(decode(&bytes).as_ref(), Ok(&el), "{tag:?}");
            assert_eq!(from_xml(&to_xml(&el)).as_ref(), Ok(&el), "{tag:?} via xml");
        }
        let single = encode(&Element::new(tag));
        let expect_token = if tag.page() == 0 {
            vec![tag.token()]
        } else {
            vec![0x00, tag.page(), tag.token()]
        };
        assert_eq!(&single[4..], expect_token.as_slice(), "{tag:?} bytes");
    }
}

#[test]
fn text_with_nul_loses_the_nul() {
    let el = Element::text(tags::air_sync::SYNC_KEY, "a\0b");
    assert_eq!(
        decode(&encode(&el)),
        Ok(Element::text(tags::air_sync::SYNC_KEY, "ab"))
    );
}

#[test]
fn deep_hand_built_tree_encodes_without_recursion() {
    let mut el = Element::new(tags::air_sync::SYNC);
    for _ in 0..100_000 {
        el = Element::new(tags::air_sync::SYNC).with(el);
    }
    let bytes = encode(&el);
    assert_eq!(bytes.len(), 4 + 100_001 * 2 - 1);
    assert!(decode(&bytes).is_err());
    // Take the tree apart iteratively; the derived Drop would recurse 100 000 levels.
    let mut next = Some(el);
    while let Some(mut e) = next.take() {
        next = e.children.pop().and_then(|c| match c {
            Node::Element(c) => Some(c),
            _ => None,
        });
    }
}
