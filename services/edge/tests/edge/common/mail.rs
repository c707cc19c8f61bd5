//! Helpers for tests against the in-process mail service: messages, the hierarchy and Sync.

use eas_wbxml::tags::{air_sync as a, air_sync_base as ab, folder_hierarchy as fh};
use eas_wbxml::Element;

use super::{Device, Reply};

/// A plain-text RFC 5322 message to the default user.
pub fn message(subject: &str, body: &str) -> String {
    format!(
        "From: Anna Smith <asmith@example.loc>\r\nTo: John Doe <jdoe@example.loc>\r\n\
         Subject: {subject}\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n\
         Message-ID: <{}@example.loc>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
        subject.replace(' ', ".")
    )
}

/// A plain-text message whose body is `size` bytes of ASCII lines (`body_text(size)`).
pub fn large_message(subject: &str, size: usize) -> String {
    message(subject, &body_text(size))
}

/// `size` bytes of text: lines of 78 letters and CRLF, the last one cut short.
pub fn body_text(size: usize) -> String {
    let line: String = (0..78).map(|i| (b'a' + (i % 26) as u8) as char).collect();
    let line = format!("{line}\r\n");
    line.repeat(size / line.len() + 1)[..size].to_owned()
}

/// A message with one attachment of `size` bytes (`b'a' + i % 26`), base64 encoded.
pub fn message_with_attachment(subject: &str, name: &str, size: usize) -> String {
    use base64::Engine;
    let data: Vec<u8> = (0..size).map(|i| b'a' + (i % 26) as u8).collect();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&data);
    let wrapped: Vec<&str> = b64
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "From: Anna Smith <asmith@example.loc>\r\nTo: John Doe <jdoe@example.loc>\r\n\
         Subject: {subject}\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsee attached\r\n\
         --b1\r\nContent-Type: application/octet-stream; name=\"{name}\"\r\n\
         Content-Disposition: attachment; filename=\"{name}\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--b1--\r\n",
        wrapped.join("\r\n")
    )
}

/// The folders of a FolderSync response: (server id, parent id, display name, type).
pub fn folders(r: &Reply) -> Vec<(String, String, String, u8)> {
    let Some(changes) = r.body.as_ref().and_then(|b| b.child(fh::CHANGES)) else {
        return Vec::new();
    };
    changes
        .children_of(fh::ADD)
        .map(|a| {
            (
                a.child_text(fh::SERVER_ID).unwrap(),
                a.child_text(fh::PARENT_ID).unwrap(),
                a.child_text(fh::DISPLAY_NAME).unwrap(),
                a.child_text(fh::TYPE).unwrap().parse().unwrap(),
            )
        })
        .collect()
}

/// A provisioned device with its hierarchy synced.
pub struct MailDevice<'a> {
    pub device: Device<'a>,
    pub folder_key: String,
    pub folders: Vec<(String, String, String, u8)>,
}

impl<'a> MailDevice<'a> {
    pub async fn new(device: Device<'a>) -> MailDevice<'a> {
        let mut device = device;
        device.provision().await;
        let r = device.folder_sync("0").await;
        assert_eq!(r.text(&[fh::STATUS]).as_deref(), Some("1"));
        MailDevice {
            folder_key: r.text(&[fh::SYNC_KEY]).unwrap(),
            folders: folders(&r),
            device,
        }
    }

    /// The id of the first folder of a type (2 Inbox, 3 Drafts, 4 Deleted Items, 5 Sent Items).
    pub fn folder(&self, folder_type: u8) -> String {
        self.folders
            .iter()
            .find(|f| f.3 == folder_type)
            .map(|f| f.0.clone())
            .expect("folder of that type")
    }

    /// One Sync of one collection; returns the reply.
    pub async fn sync(&self, collection_id: &str, key: &str) -> Reply {
        let mut coll = Element::new(a::COLLECTION)
            .with_text(a::SYNC_KEY, key)
            .with_text(a::COLLECTION_ID, collection_id);
        if key != "0" {
            coll.push(Element::new(a::GET_CHANGES));
            coll.push_text(a::WINDOW_SIZE, "100");
            coll.push(
                Element::new(a::OPTIONS).with(
                    Element::new(ab::BODY_PREFERENCE)
                        .with_text(ab::TYPE, "1")
                        .with_text(ab::TRUNCATION_SIZE, "1000"),
                ),
            );
        }
        let body = Element::new(a::SYNC).with(Element::new(a::COLLECTIONS).with(coll));
        self.device.post("Sync", Some(&body)).await
    }

    /// One Sync of one collection with a WindowSize and a plain-text BodyPreference, truncated
    /// at `truncation` bytes or (with `None`) whole.
    pub async fn sync_window(
        &self,
        collection_id: &str,
        key: &str,
        window: u32,
        truncation: Option<u32>,
    ) -> Reply {
        let mut pref = Element::new(ab::BODY_PREFERENCE).with_text(ab::TYPE, "1");
        if let Some(t) = truncation {
            pref.push_text(ab::TRUNCATION_SIZE, t.to_string());
        }
        let coll = Element::new(a::COLLECTION)
            .with_text(a::SYNC_KEY, key)
            .with_text(a::COLLECTION_ID, collection_id)
            .with(Element::new(a::GET_CHANGES))
            .with_text(a::WINDOW_SIZE, window.to_string())
            .with(Element::new(a::OPTIONS).with(pref));
        let body = Element::new(a::SYNC).with(Element::new(a::COLLECTIONS).with(coll));
        self.device.post("Sync", Some(&body)).await
    }

    /// Syncs a folder from key 0 until nothing more is available; returns the key and the
    /// server ids added.
    pub async fn sync_all(&self, collection_id: &str) -> (String, Vec<String>) {
        let mut key = "0".to_owned();
        let mut ids = Vec::new();
        for _ in 0..20 {
            let r = self.sync(collection_id, &key).await;
            let coll = r
                .body
                .as_ref()
                .and_then(|b| b.child(a::COLLECTIONS))
                .and_then(|c| c.child(a::COLLECTION))
                .expect("collection in sync response");
            assert_eq!(coll.child_text(a::STATUS).as_deref(), Some("1"));
            let new_key = coll.child_text(a::SYNC_KEY).unwrap();
            if let Some(cmds) = coll.child(a::COMMANDS) {
                ids.extend(
                    cmds.children_of(a::ADD)
                        .filter_map(|x| x.child_text(a::SERVER_ID)),
                );
            }
            let more = coll.child(a::MORE_AVAILABLE).is_some();
            let first = key == "0";
            key = new_key;
            if !first && !more {
                break;
            }
        }
        (key, ids)
    }
}
