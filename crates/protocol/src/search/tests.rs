//! Tests of Search requests for the mailbox and the GAL, malformed ones, and responses.

use eas_wbxml::tags::{air_sync as a, air_sync_base as asb, email as e, gal as g, search as s};
use eas_wbxml::{decode, encode, Element};

use super::*;
use crate::body::BodyType;
use crate::error::ParseError;
use crate::picture::{Picture, PictureRequest};
use crate::status::SearchStatus;

fn parse(tree: &Element) -> Result<SearchRequest, ParseError> {
    SearchRequest::from_element(&decode(&encode(tree)).expect("decodes"))
}

fn store(name: &str, query: Element, options: Option<Element>) -> Element {
    Element::new(s::SEARCH).with(
        Element::new(s::STORE)
            .with_text(s::NAME, name)
            .with(query)
            .with_opt(options),
    )
}

#[test]
fn a_mailbox_search_reads_the_and_of_class_folder_text_and_date() {
    let query = Element::new(s::QUERY).with(
        Element::new(s::AND)
            .with_text(a::CLASS, "Email")
            .with_text(a::COLLECTION_ID, "5")
            .with_text(s::FREE_TEXT, "quarterly figures")
            .with(
                Element::new(s::GREATER_THAN)
                    .with(Element::new(e::DATE_RECEIVED))
                    .with_text(s::VALUE, "2026-11-01T00:00:00.000Z"),
            ),
    );
    let options = Element::new(s::OPTIONS)
        .with_text(s::RANGE, "0-49")
        .with(Element::new(s::REBUILD_RESULTS))
        .with(Element::new(s::DEEP_TRAVERSAL))
        .with(
            Element::new(asb::BODY_PREFERENCE)
                .with_text(asb::TYPE, "2")
                .with_text(asb::TRUNCATION_SIZE, "5120"),
        );
    let req = parse(&store("Mailbox", query, Some(options))).expect("parses");
    assert!(req.is_mailbox());
    assert_eq!(
        req.query,
        SearchQuery::And(vec![
            SearchQuery::Class("Email".into()),
            SearchQuery::CollectionId("5".into()),
            SearchQuery::FreeText("quarterly figures".into()),
            SearchQuery::GreaterThan {
                property: e::DATE_RECEIVED,
                value: "2026-11-01T00:00:00.000Z".into()
            },
        ])
    );
    assert_eq!(req.options.range, Some(SearchRange { start: 0, end: 49 }));
    assert!(req.options.rebuild_results && req.options.deep_traversal);
    assert_eq!(req.options.body_preferences[0].body_type, BodyType::Html);
}

#[test]
fn a_gal_search_is_the_query_text_with_a_range() {
    let query = Element::text(s::QUERY, " jan ");
    let options = Element::new(s::OPTIONS).with_text(s::RANGE, "0-19");
    let req = parse(&store("GAL", query, Some(options))).expect("parses");
    assert!(req.is_gal());
    assert_eq!(req.query, SearchQuery::Text("jan".into()));
    assert_eq!(
        req.options.range.map(|r| r.to_string()).as_deref(),
        Some("0-19")
    );
}

#[test]
fn malformed_requests_name_the_element() {
    assert_eq!(
        parse(&Element::new(s::SEARCH)),
        Err(ParseError::Missing(s::STORE))
    );
    let no_query = Element::new(s::SEARCH).with(Element::new(s::STORE).with_text(s::NAME, "GAL"));
    assert_eq!(parse(&no_query), Err(ParseError::Missing(s::QUERY)));
    let no_name = Element::new(s::SEARCH).with(Element::new(s::STORE).with_text(s::QUERY, "x"));
    assert_eq!(parse(&no_name), Err(ParseError::Missing(s::NAME)));
    let bad_range = store(
        "GAL",
        Element::text(s::QUERY, "x"),
        Some(Element::new(s::OPTIONS).with_text(s::RANGE, "9-1")),
    );
    assert_eq!(
        parse(&bad_range),
        Err(ParseError::bad_value(s::RANGE, "9-1"))
    );
    let no_value = store(
        "Mailbox",
        Element::new(s::QUERY)
            .with(Element::new(s::LESS_THAN).with(Element::new(e::DATE_RECEIVED))),
        None,
    );
    assert_eq!(parse(&no_value), Err(ParseError::Missing(s::VALUE)));
    let mut deep = Element::new(s::FREE_TEXT);
    for _ in 0..20 {
        deep = Element::new(s::AND).with(deep);
    }
    let too_deep = store("Mailbox", Element::new(s::QUERY).with(deep), None);
    assert!(matches!(parse(&too_deep), Err(ParseError::BadValue { tag, .. }) if tag == s::AND));
}

#[test]
fn gal_entries_leave_out_empty_properties() {
    let entry = GalEntry {
        display_name: Some("Jane Doe".into()),
        email_address: Some("jane@example.com".into()),
        phone: Some(String::new()),
        ..GalEntry::default()
    };
    let props = entry.properties();
    let names: Vec<_> = props.iter().filter_map(|p| p.tag.name()).collect();
    assert_eq!(names, ["DisplayName", "EmailAddress"]);
    assert_eq!(props[1].tag, g::EMAIL_ADDRESS);
}

#[test]
fn a_response_writes_store_status_results_range_and_total_in_order() {
    let resp = SearchResponse {
        status: SearchStatus::Success,
        store: Some(StoreResult {
            status: SearchStatus::Success,
            results: vec![SearchResult::gal(&GalEntry {
                display_name: Some("Jane".into()),
                ..GalEntry::default()
            })],
            range: Some(SearchRange { start: 0, end: 0 }),
            total: Some(1),
        }),
    };
    let el = resp.to_element();
    let store = el
        .child(s::RESPONSE)
        .and_then(|r| r.child(s::STORE))
        .expect("store");
    let names: Vec<_> = store.elements().filter_map(|e| e.tag.name()).collect();
    assert_eq!(names, ["Status", "Result", "Range", "Total"]);
    assert_eq!(
        SearchResult::default().to_element(),
        Element::new(s::RESULT)
    );
    let bare = SearchResponse::status_only(SearchStatus::ServerError).to_element();
    assert_eq!(bare, Element::new(s::SEARCH).with_text(s::STATUS, "3"));
}

#[test]
fn a_gal_search_reads_the_picture_options() {
    let query = Element::text(s::QUERY, "ann");
    let options = Element::new(s::OPTIONS).with_text(s::RANGE, "0-9").with(
        Element::new(s::PICTURE)
            .with_text(s::MAX_SIZE, "20480")
            .with_text(s::MAX_PICTURES, "2"),
    );
    let req = parse(&store("GAL", query.clone(), Some(options))).expect("parses");
    assert_eq!(
        req.options.picture,
        Some(PictureRequest {
            max_size: Some(20480),
            max_pictures: Some(2)
        })
    );
    let empty = Element::new(s::OPTIONS).with(Element::new(s::PICTURE));
    let req = parse(&store("GAL", query.clone(), Some(empty))).expect("parses");
    assert_eq!(req.options.picture, Some(PictureRequest::default()));
    let bad =
        Element::new(s::OPTIONS).with(Element::new(s::PICTURE).with_text(s::MAX_PICTURES, "many"));
    assert_eq!(
        parse(&store("GAL", query, Some(bad))),
        Err(ParseError::bad_value(s::MAX_PICTURES, "many"))
    );
}

#[test]
fn a_gal_entry_with_every_field_and_a_picture_round_trips() {
    let entry = GalEntry {
        display_name: Some("Anna Smith".into()),
        phone: Some("+1 555 0100".into()),
        office: Some("B 2.14".into()),
        title: Some("CFO".into()),
        company: Some("Example Ltd".into()),
        alias: Some("asmith".into()),
        first_name: Some("Anna".into()),
        last_name: Some("Smith".into()),
        home_phone: Some("+1 555 0101".into()),
        mobile_phone: Some("+1 555 0102".into()),
        email_address: Some("asmith@example.loc".into()),
        picture: Some(Picture::Data(vec![0xFF, 0xD8, 0xFF, 0xE0])),
    };
    let result = SearchResult::gal(&entry).to_element();
    let wire = decode(&encode(&result)).expect("decodes");
    let props = wire.child(s::PROPERTIES).expect("properties");
    let names: Vec<_> = props.elements().filter_map(|p| p.tag.name()).collect();
    assert_eq!(
        names,
        [
            "DisplayName",
            "Phone",
            "Office",
            "Title",
            "Company",
            "Alias",
            "FirstName",
            "LastName",
            "HomePhone",
            "MobilePhone",
            "EmailAddress",
            "Picture"
        ]
    );
    assert_eq!(GalEntry::from_properties(props), Ok(entry));
    let no_photo = GalEntry {
        picture: Some(Picture::TooLarge),
        ..GalEntry::default()
    };
    let el = SearchResult::gal(&no_photo).to_element();
    let props = el.child(s::PROPERTIES).expect("properties");
    let picture = props.child(g::PICTURE).expect("picture");
    assert_eq!(picture.child_text(g::STATUS).as_deref(), Some("174"));
    assert!(picture.child(g::DATA).is_none());
}
