//! The XML form: its exact layout, its conventions, and the errors of `from_xml`.

use eas_wbxml::{from_xml, tags, to_xml, Element, Node, XmlError};

fn sample() -> Element {
    use tags::{air_sync as a, air_sync_base as b, email as e};
    Element::new(a::SYNC).with(
        Element::new(a::COLLECTIONS).with(
            Element::new(a::COLLECTION)
                .with_text(a::SYNC_KEY, "1")
                .with(Element::new(a::GET_CHANGES))
                .with(Element::new(b::BODY_PREFERENCE).with_text(b::TYPE, "2"))
                .with(Element::text(e::SUBJECT, ""))
                .with(Element::opaque(e::SUBJECT, *b"hi"))
                .with(Element {
                    tag: e::TO,
                    children: vec![Node::Text(" ".into()), Node::Opaque(vec![0])],
                }),
        ),
    )
}

const SAMPLE_XML: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<Sync xmlns="AirSync:" xmlns:email="Email:" xmlns:airsyncbase="AirSyncBase:">
  <Collections>
    <Collection>
      <SyncKey>1</SyncKey>
      <GetChanges/>
      <airsyncbase:BodyPreference>
        <airsyncbase:Type>2</airsyncbase:Type>
      </airsyncbase:BodyPreference>
      <email:Subject></email:Subject>
      <email:Subject opaque="base64">aGk=</email:Subject>
      <email:To><![CDATA[ ]]><?opaque AA==?></email:To>
    </Collection>
  </Collections>
</Sync>
"#;

#[test]
fn layout_is_stable() {
    assert_eq!(to_xml(&sample()), SAMPLE_XML);
    assert_eq!(from_xml(SAMPLE_XML), Ok(sample()));
}

#[test]
fn other_namespace_styles_are_accepted() {
    let default_ns = r#"<Sync xmlns="AirSync"><Collections><Collection>
        <SyncKey>1</SyncKey><GetChanges/>
        <BodyPreference xmlns="AirSyncBase:"><Type>2</Type></BodyPreference>
        <Subject xmlns="Email:"></Subject><Subject xmlns="Email:" opaque="base64">aG
        k=</Subject><e:To xmlns:e="Email:"><![CDATA[ ]]><?opaque AA==?></e:To>
        </Collection></Collections></Sync>"#;
    assert_eq!(from_xml(default_ns), Ok(sample()));
}

#[test]
fn text_is_kept_exactly() {
    let xml = "<Data xmlns=\"AirSyncBase:\">\n  line 1\r\n&amp;&lt;x&gt; </Data>";
    let el = from_xml(xml).unwrap();
    assert_eq!(el.text_content().as_deref(), Some("\n  line 1\r\n&<x> "));
    assert_eq!(from_xml(&to_xml(&el)), Ok(el));
}

/// A predicate on the error a case must give.
type Check = fn(&XmlError) -> bool;

#[test]
fn errors() {
    let cases: &[(&str, Check)] = &[
        ("<Sync/>", |e| matches!(e, XmlError::NoNamespace { .. })),
        ("<x:Sync/>", |e| matches!(e, XmlError::UnknownPrefix { .. })),
        ("<Nope xmlns=\"AirSync:\"/>", |e| {
            matches!(e, XmlError::UnknownElement { .. })
        }),
        ("<Sync xmlns=\"Nope:\"/>", |e| {
            matches!(e, XmlError::UnknownElement { .. })
        }),
        ("<Sync xmlns=\"AirSync:\" a=\"1\"/>", |e| {
            matches!(e, XmlError::Attribute { .. })
        }),
        (
            "<Sync xmlns=\"AirSync:\" opaque=\"base64\">!!</Sync>",
            |e| matches!(e, XmlError::Base64(_)),
        ),
        (
            "<Sync xmlns=\"AirSync:\" opaque=\"base64\"><Add/></Sync>",
            |e| matches!(e, XmlError::OpaqueWithChildren(_)),
        ),
        ("<Sync xmlns=\"AirSync:\"><?php x?></Sync>", |e| {
            matches!(e, XmlError::ProcessingInstruction(_))
        }),
        ("x<Sync xmlns=\"AirSync:\"/>", |e| {
            matches!(e, XmlError::TextOutsideRoot)
        }),
        (
            "<Sync xmlns=\"AirSync:\"/><Sync xmlns=\"AirSync:\"/>",
            |e| matches!(e, XmlError::MultipleRoots),
        ),
        ("<!-- nothing -->", |e| matches!(e, XmlError::NoRoot)),
        ("<Sync xmlns=\"AirSync:\"><Add>", |e| {
            matches!(e, XmlError::Syntax { .. })
        }),
        ("<Sync xmlns=\"AirSync:\"></Add>", |e| {
            matches!(e, XmlError::Syntax { .. })
        }),
    ];
    for (xml, check) in cases {
        let err = from_xml(xml).expect_err(xml);
        assert!(check(&err), "{xml}: {err:?}");
        let msg = err.to_string();
        assert!(msg.starts_with(|c: char| c.is_lowercase()), "{msg}");
    }
    let deep = "<Sync xmlns=\"AirSync:\">".repeat(300);
    assert_eq!(from_xml(&deep), Err(XmlError::TooDeep(256)));
}
