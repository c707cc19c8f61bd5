//! An EAS phone on one keep-alive connection: the request line and headers of MS-ASHTTP, and the
//! command flows a real device runs (Provision, FolderSync, Sync windows, Ping, ItemOperations).

use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use eas_wbxml::tags::{
    air_sync as s, air_sync_base as base, folder_hierarchy as fh, ping as p, provision as pv,
};
use eas_wbxml::Element;
use http::{header, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;

use crate::http::{query_escape, Connection};
use crate::request::{self, element_at, text_at, SyncOptions};
use crate::Error;

/// The media type of WBXML bodies (MS-ASHTTP 2.2.1.1.2.4).
pub const WBXML: &str = "application/vnd.ms-sync.wbxml";

/// A decoded response: HTTP status and the WBXML document, if the body held one.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub doc: Option<Element>,
    pub bytes: usize,
}

/// A folder from FolderSync.
#[derive(Clone, Debug)]
pub struct Folder {
    pub server_id: String,
    pub name: String,
    /// MS-ASCMD 2.2.3.186.3 folder type (2 is the Inbox).
    pub kind: u32,
}

/// One window of a Sync.
#[derive(Debug, Default)]
pub struct SyncPage {
    pub key: String,
    pub added: usize,
    pub more_available: bool,
    /// FileReferences of the attachments of the added items.
    pub attachments: Vec<String>,
    pub bytes: usize,
}

/// A Ping's answer: status (MS-ASCMD 2.2.3.177.13) and the changed folders.
#[derive(Debug)]
pub struct PingReply {
    pub status: String,
    pub folders: Vec<String>,
}

/// A device of one user, with its policy key once provisioned.
pub struct Phone {
    conn: Connection,
    authorization: String,
    user: String,
    pub device_id: String,
    device_type: String,
    version: String,
    pub policy_key: Option<String>,
}

impl Phone {
    pub fn new(
        conn: Connection,
        user: &str,
        password: &str,
        device_id: &str,
        version: &str,
    ) -> Phone {
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        Phone {
            conn,
            authorization: format!("Basic {basic}"),
            user: user.to_owned(),
            device_id: device_id.to_owned(),
            device_type: "EasLoad".to_owned(),
            version: version.to_owned(),
            policy_key: None,
        }
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    /// How many TCP connections this phone has opened so far.
    pub fn connects(&self) -> u32 {
        self.conn.connects()
    }

    /// The POST of one command in the plain query form (MS-ASHTTP 2.2.1.1.1.1).
    fn request(&self, cmd: &str, doc: Option<&Element>) -> Result<Request<Full<Bytes>>, Error> {
        let e = self.conn.endpoint();
        let uri = format!(
            "{}?Cmd={cmd}&User={}&DeviceId={}&DeviceType={}",
            e.path,
            query_escape(&self.user),
            query_escape(&self.device_id),
            query_escape(&self.device_type)
        );
        let body = doc.map(eas_wbxml::encode).unwrap_or_default();
        let mut b = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(header::HOST, e.host.as_str())
            .header(header::AUTHORIZATION, self.authorization.as_str())
            .header(header::CONTENT_TYPE, WBXML)
            .header(header::USER_AGENT, "eas-load/1")
            .header("MS-ASProtocolVersion", self.version.as_str());
        if let Some(k) = &self.policy_key {
            b = b.header("X-MS-PolicyKey", k.as_str());
        }
        Ok(b.body(Full::new(Bytes::from(body)))?)
    }

    /// Sends a command and decodes the WBXML answer; an HTTP status other than 200 is an error.
    pub async fn command(&mut self, cmd: &str, doc: Option<&Element>) -> Result<Reply, Error> {
        let req = self.request(cmd, doc)?;
        let resp = self.conn.fetch(req).await?;
        if resp.status != StatusCode::OK {
            return Err(Error::HttpStatus {
                cmd: cmd.to_owned(),
                status: resp.status,
            });
        }
        let doc = if resp.body.is_empty() {
            None
        } else {
            Some(eas_wbxml::decode(&resp.body).map_err(|error| Error::Wbxml {
                cmd: cmd.to_owned(),
                error,
            })?)
        };
        Ok(Reply {
            status: resp.status,
            doc,
            bytes: resp.body.len(),
        })
    }

    /// Sends a command and hands back the response with its body still streaming.
    pub async fn command_streamed(
        &mut self,
        cmd: &str,
        doc: Option<&Element>,
    ) -> Result<Response<Incoming>, Error> {
        let req = self.request(cmd, doc)?;
        self.conn.send(req).await
    }

    /// Provision in two phases (MS-ASPROV 3.1.5.1): ask for the policy, acknowledge the temporary
    /// key, keep the final key for every later request.
    pub async fn provision(&mut self) -> Result<String, Error> {
        let first = self
            .command(
                "Provision",
                Some(&request::provision_request("eas-load phone")),
            )
            .await?;
        let doc = first
            .doc
            .ok_or_else(|| Error::protocol("Provision", "empty body"))?;
        expect_status("Provision", &doc, &[pv::STATUS])?;
        let temp = text_at(&doc, &[pv::POLICIES, pv::POLICY, pv::POLICY_KEY])
            .ok_or_else(|| Error::protocol("Provision", "no temporary policy key"))?;
        self.policy_key = Some(temp.clone());
        let second = self
            .command("Provision", Some(&request::provision_ack(&temp)))
            .await?;
        let doc = second
            .doc
            .ok_or_else(|| Error::protocol("Provision", "empty body"))?;
        expect_status("Provision", &doc, &[pv::POLICIES, pv::POLICY, pv::STATUS])?;
        let key = text_at(&doc, &[pv::POLICIES, pv::POLICY, pv::POLICY_KEY])
            .ok_or_else(|| Error::protocol("Provision", "no final policy key"))?;
        self.policy_key = Some(key.clone());
        Ok(key)
    }

    /// FolderSync from key 0: the whole hierarchy.
    pub async fn folder_sync(&mut self) -> Result<Vec<Folder>, Error> {
        let reply = self
            .command("FolderSync", Some(&request::folder_sync_request("0")))
            .await?;
        let doc = reply
            .doc
            .ok_or_else(|| Error::protocol("FolderSync", "empty body"))?;
        expect_status("FolderSync", &doc, &[fh::STATUS])?;
        let changes = doc
            .child(fh::CHANGES)
            .ok_or_else(|| Error::protocol("FolderSync", "no Changes"))?;
        Ok(changes
            .children_of(fh::ADD)
            .map(|a| Folder {
                server_id: a.child_text(fh::SERVER_ID).unwrap_or_default(),
                name: a.child_text(fh::DISPLAY_NAME).unwrap_or_default(),
                kind: a
                    .child_text(fh::TYPE)
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(0),
            })
            .collect())
    }

    /// The Inbox's id from a FolderSync (folder type 2, MS-ASCMD 2.2.3.186.3).
    pub async fn inbox(&mut self) -> Result<String, Error> {
        self.folder_sync()
            .await?
            .into_iter()
            .find(|f| f.kind == 2)
            .map(|f| f.server_id)
            .ok_or_else(|| Error::protocol("FolderSync", "no Inbox"))
    }

    /// One Sync of one collection. An empty 200 means nothing changed and the key stays
    /// (MS-ASCMD 2.2.1.21).
    pub async fn sync(
        &mut self,
        folder: &str,
        key: &str,
        opts: SyncOptions,
    ) -> Result<SyncPage, Error> {
        self.sync_each(folder, key, opts, &mut |_: &Element| {})
            .await
    }

    /// [`Phone::sync`], handing the `ApplicationData` of every added item to `on_add`.
    pub async fn sync_each(
        &mut self,
        folder: &str,
        key: &str,
        opts: SyncOptions,
        on_add: &mut (dyn FnMut(&Element) + Send),
    ) -> Result<SyncPage, Error> {
        let reply = self
            .command("Sync", Some(&request::sync_request(folder, key, opts)))
            .await?;
        let Some(doc) = reply.doc else {
            return Ok(SyncPage {
                key: key.to_owned(),
                ..SyncPage::default()
            });
        };
        if doc.child(s::STATUS).is_some() {
            expect_status("Sync", &doc, &[s::STATUS])?;
        }
        let c = element_at(&doc, &[s::COLLECTIONS, s::COLLECTION])
            .ok_or_else(|| Error::protocol("Sync", "no Collection"))?;
        expect_status("Sync", c, &[s::STATUS])?;
        let mut page = SyncPage {
            key: c
                .child_text(s::SYNC_KEY)
                .ok_or_else(|| Error::protocol("Sync", "no SyncKey"))?,
            more_available: c.child(s::MORE_AVAILABLE).is_some(),
            bytes: reply.bytes,
            ..SyncPage::default()
        };
        if let Some(commands) = c.child(s::COMMANDS) {
            for add in commands.children_of(s::ADD) {
                page.added += 1;
                if let Some(data) = add.child(s::APPLICATION_DATA) {
                    on_add(data);
                }
                let attachments = element_at(add, &[s::APPLICATION_DATA, base::ATTACHMENTS]);
                for a in attachments
                    .into_iter()
                    .flat_map(|a| a.children_of(base::ATTACHMENT))
                {
                    if let Some(r) = a.child_text(base::FILE_REFERENCE) {
                        page.attachments.push(r);
                    }
                }
            }
        }
        Ok(page)
    }

    /// Ping on `folders` (MS-ASCMD 2.2.1.13); the answer comes when one changes or the
    /// heartbeat ends.
    pub async fn ping(&mut self, folders: &[String], heartbeat: u32) -> Result<PingReply, Error> {
        let reply = self
            .command("Ping", Some(&request::ping_request(folders, heartbeat)))
            .await?;
        let doc = reply
            .doc
            .ok_or_else(|| Error::protocol("Ping", "empty body"))?;
        let status = doc
            .child_text(p::STATUS)
            .ok_or_else(|| Error::protocol("Ping", "no Status"))?;
        let folders = doc
            .child(p::FOLDERS)
            .map(|f| {
                f.children_of(p::FOLDER)
                    .filter_map(|x| x.text_content())
                    .collect()
            })
            .unwrap_or_default();
        Ok(PingReply { status, folders })
    }
}

/// Fails unless the status at `path` is 1 (success in every command's status list).
fn expect_status(cmd: &str, doc: &Element, path: &[eas_wbxml::Tag]) -> Result<(), Error> {
    match text_at(doc, path) {
        Some(s) if s == "1" => Ok(()),
        Some(status) => Err(Error::Status {
            cmd: cmd.to_owned(),
            status,
        }),
        None => Err(Error::protocol(cmd, "no Status")),
    }
}

/// Time a future and return its output with the elapsed time.
pub async fn timed<T>(f: impl std::future::Future<Output = T>) -> (T, Duration) {
    let start = std::time::Instant::now();
    let out = f.await;
    (out, start.elapsed())
}
