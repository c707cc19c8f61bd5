//! The WBXML request documents a phone sends, built as `eas-wbxml` trees, and small readers for
//! the response trees (MS-ASCMD 2.2.1).

use eas_wbxml::tags::{
    air_sync as s, air_sync_base as base, folder_hierarchy as fh, item_operations as io, ping as p,
    provision as pv, settings as st,
};
use eas_wbxml::{Element, Tag};

/// The policy type of WBXML provisioning (MS-ASPROV 2.2.2.44).
pub const POLICY_TYPE: &str = "MS-EAS-Provisioning-WBXML";

/// Provision, first phase: the device information (MS-ASPROV 3.1.5.1.1, sent from 14.1 on) and
/// the policy type it asks for.
pub fn provision_request(model: &str) -> Element {
    let info = Element::new(st::DEVICE_INFORMATION).with(
        Element::new(st::SET)
            .with_text(st::MODEL, model)
            .with_text(st::FRIENDLY_NAME, model)
            .with_text(st::OS, "eas-load")
            .with_text(st::USER_AGENT, "eas-load/1"),
    );
    Element::new(pv::PROVISION).with(info).with(
        Element::new(pv::POLICIES)
            .with(Element::new(pv::POLICY).with_text(pv::POLICY_TYPE, POLICY_TYPE)),
    )
}

/// Provision, second phase: the acknowledgement of the temporary key with status 1 (policy
/// applied; MS-ASPROV 3.1.5.1.2).
pub fn provision_ack(temporary_key: &str) -> Element {
    Element::new(pv::PROVISION).with(
        Element::new(pv::POLICIES).with(
            Element::new(pv::POLICY)
                .with_text(pv::POLICY_TYPE, POLICY_TYPE)
                .with_text(pv::POLICY_KEY, temporary_key)
                .with_text(pv::STATUS, "1"),
        ),
    )
}

/// FolderSync with a key ("0" for the whole hierarchy).
pub fn folder_sync_request(key: &str) -> Element {
    Element::new(fh::FOLDER_SYNC).with_text(fh::SYNC_KEY, key)
}

/// What a Sync asks for besides the key: window, FilterType and body preference.
#[derive(Clone, Copy, Debug)]
pub struct SyncOptions {
    pub window: u32,
    /// FilterType (MS-ASCMD 2.2.3.68.2); `None` sends none, which the server reads as all items.
    pub filter: Option<u8>,
    /// AirSyncBase body type (1 plain text, 2 HTML, 4 MIME) and truncation size.
    pub body: Option<(u8, u32)>,
}

/// Sync of one collection. Key 0 carries only the key and the id (MS-ASCMD 2.2.3.166.4: the
/// first Sync of a folder returns a key and no items); later keys ask for changes.
pub fn sync_request(collection_id: &str, key: &str, opts: SyncOptions) -> Element {
    let mut c = Element::new(s::COLLECTION)
        .with_text(s::SYNC_KEY, key)
        .with_text(s::COLLECTION_ID, collection_id);
    if key != "0" {
        c = c
            .with_text(s::DELETES_AS_MOVES, "1")
            .with_text(s::GET_CHANGES, "1")
            .with_text(s::WINDOW_SIZE, opts.window.to_string());
        if opts.filter.is_some() || opts.body.is_some() {
            let mut o = Element::new(s::OPTIONS);
            if let Some(filter) = opts.filter {
                o = o.with_text(s::FILTER_TYPE, filter.to_string());
            }
            if let Some((kind, truncation)) = opts.body {
                o = o.with(
                    Element::new(base::BODY_PREFERENCE)
                        .with_text(base::TYPE, kind.to_string())
                        .with_text(base::TRUNCATION_SIZE, truncation.to_string()),
                );
            }
            c = c.with(o);
        }
    }
    Element::new(s::SYNC).with(Element::new(s::COLLECTIONS).with(c))
}

/// Ping on mail folders with a heartbeat in seconds (MS-ASCMD 2.2.1.13).
pub fn ping_request(folders: &[String], heartbeat: u32) -> Element {
    let mut list = Element::new(p::FOLDERS);
    for id in folders {
        list.push(
            Element::new(p::FOLDER)
                .with_text(p::ID, id.as_str())
                .with_text(p::CLASS, "Email"),
        );
    }
    Element::new(p::PING)
        .with_text(p::HEARTBEAT_INTERVAL, heartbeat.to_string())
        .with(list)
}

/// ItemOperations Fetch of an attachment by its FileReference (MS-ASCMD 2.2.3.63.1).
pub fn fetch_attachment_request(file_reference: &str) -> Element {
    Element::new(io::ITEM_OPERATIONS).with(
        Element::new(io::FETCH)
            .with_text(io::STORE, "Mailbox")
            .with_text(base::FILE_REFERENCE, file_reference),
    )
}

/// The text of the element at `path` below `root` (each step the first child with that tag).
pub fn text_at(root: &Element, path: &[Tag]) -> Option<String> {
    element_at(root, path)?.text_content()
}

/// The element at `path` below `root`.
pub fn element_at<'a>(root: &'a Element, path: &[Tag]) -> Option<&'a Element> {
    path.iter().try_fold(root, |el, tag| el.child(*tag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sync_request_round_trips_through_the_codec_with_its_body_preference() {
        let doc = sync_request(
            "5",
            "abc",
            SyncOptions {
                window: 100,
                filter: None,
                body: Some((2, 32768)),
            },
        );
        let back = eas_wbxml::decode(&eas_wbxml::encode(&doc)).unwrap();
        let c = element_at(&back, &[s::COLLECTIONS, s::COLLECTION]).unwrap();
        assert_eq!(c.child_text(s::WINDOW_SIZE).as_deref(), Some("100"));
        let pref = &[s::OPTIONS, base::BODY_PREFERENCE, base::TRUNCATION_SIZE];
        assert_eq!(text_at(c, pref).as_deref(), Some("32768"));
    }

    #[test]
    fn the_first_sync_of_a_folder_asks_for_no_changes() {
        let doc = sync_request(
            "5",
            "0",
            SyncOptions {
                window: 100,
                filter: Some(5),
                body: None,
            },
        );
        let c = element_at(&doc, &[s::COLLECTIONS, s::COLLECTION]).unwrap();
        assert!(c.child(s::GET_CHANGES).is_none());
        assert!(c.child(s::OPTIONS).is_none());
    }

    #[test]
    fn a_filter_type_goes_first_in_the_options_and_none_sends_no_options() {
        let opts = SyncOptions {
            window: 100,
            filter: Some(5),
            body: Some((1, 32768)),
        };
        let back =
            eas_wbxml::decode(&eas_wbxml::encode(&sync_request("cal:1", "k", opts))).unwrap();
        let o = element_at(&back, &[s::COLLECTIONS, s::COLLECTION, s::OPTIONS]).unwrap();
        assert_eq!(o.elements().next().map(|e| e.tag), Some(s::FILTER_TYPE));
        assert_eq!(o.child_text(s::FILTER_TYPE).as_deref(), Some("5"));
        let bare = SyncOptions {
            window: 100,
            filter: None,
            body: None,
        };
        let doc = sync_request("cal:1", "k", bare);
        let c = element_at(&doc, &[s::COLLECTIONS, s::COLLECTION]).unwrap();
        assert!(c.child(s::OPTIONS).is_none());
    }

    #[test]
    fn a_ping_lists_every_folder_with_its_class() {
        let doc = ping_request(&["1".into(), "2".into()], 480);
        assert_eq!(
            text_at(&doc, &[p::HEARTBEAT_INTERVAL]).as_deref(),
            Some("480")
        );
        let folders = doc.child(p::FOLDERS).unwrap();
        assert_eq!(folders.children_of(p::FOLDER).count(), 2);
    }
}
