//! The mail service's gRPC API (`proto/eas/mail/v1/mail.proto`) over [`MailStore`], served
//! with its side of the collection contract ([`collections`]) on one router.
//!
//! Ids cross the wire as decimal strings; errors map to gRPC codes in [`status`]; message
//! bodies are chosen and cut per the caller's preferences in [`body`].

mod body;
mod collections;
mod convert;
mod submit;

use eas_rpc::chunks::ChunkStream;
use eas_rpc::collections::collections_server::CollectionsServer;
use eas_rpc::mail::mail_server::{Mail, MailServer};
use eas_rpc::mail::{self as wire};
use eas_rpc::{ServiceError, ServiceErrorCode};
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use crate::blob::BlobReader;
use crate::error::MailError;
use crate::mail_store::MailStore;
use crate::model::{Flag, FlagStatus, FolderId, MessageId};

use convert::{folder, message};

/// The largest body carried inside a GetMessages or Search reply; larger ones are streamed.
pub const INLINE_BODY_MAX: u64 = 256 * 1024;
/// The most body data one reply carries inline; bodies past it are streamed.
pub const REPLY_INLINE_MAX: u64 = 2 * 1024 * 1024;
/// The size of the chunks of a streamed body.
const BODY_CHUNK: usize = 256 * 1024;

/// The gRPC face of a [`MailStore`].
#[derive(Clone)]
pub struct MailService {
    store: MailStore,
    submitter: Option<crate::submit::Submitter>,
}

impl MailService {
    pub fn new(store: MailStore) -> Self {
        MailService {
            store,
            submitter: None,
        }
    }

    /// Tells `collector` the recipients of every message Submit accepts (no effect without a
    /// submitter).
    pub fn with_collector(
        mut self,
        collector: std::sync::Arc<dyn crate::submit::collect::RecipientCollector>,
    ) -> Self {
        self.submitter = self.submitter.map(|s| s.with_collector(collector));
        self
    }

    /// Serves Submit with this submitter; without one Submit is `UNIMPLEMENTED`.
    pub fn with_submitter(mut self, submitter: crate::submit::Submitter) -> Self {
        self.submitter = Some(submitter);
        self
    }

    /// Messages on the wire with their bodies chosen for `prefs` (each raw message read once),
    /// in the order of `metas`, within `max_bytes` (0: no budget). The first message is always
    /// rendered; the ids of those left out for the budget come back second. A body over
    /// [`INLINE_BODY_MAX`], or one that would take the reply's inline data past
    /// [`REPLY_INLINE_MAX`], is left out of the reply and marked `data_streamed` (ReadBody).
    async fn render(
        &self,
        user: &str,
        metas: &[crate::model::MessageMeta],
        prefs: &[wire::BodyRequest],
        max_bytes: u64,
        metadata_only: bool,
    ) -> Result<(Vec<wire::Message>, Vec<String>), Status> {
        let mut out = Vec::with_capacity(metas.len());
        let (mut used, mut inline) = (0u64, 0u64);
        for (i, m) in metas.iter().enumerate() {
            if metadata_only {
                out.push(convert::metadata(m));
                continue;
            }
            let raw = self
                .store
                .raw(user, m.id)
                .await
                .map_err(status)?
                .read_to_end()
                .await
                .map_err(status)?;
            let mut msg = message(m, &raw, prefs);
            drop(raw);
            let mut streamed = 0u64;
            if let Some(b) = msg.body.as_mut() {
                let n = b.data.len() as u64;
                b.data_size = n;
                if n > INLINE_BODY_MAX || inline + n > REPLY_INLINE_MAX {
                    b.data = Vec::new();
                    b.data_streamed = true;
                    streamed = n;
                } else {
                    inline += n;
                }
            }
            let size = eas_rpc::prost::Message::encoded_len(&msg) as u64 + streamed;
            if i > 0 && max_bytes > 0 && used + size > max_bytes {
                let omitted = metas[i..].iter().map(|m| m.id.to_string()).collect();
                return Ok((out, omitted));
            }
            used += size;
            out.push(msg);
        }
        Ok((out, Vec::new()))
    }

    /// The tonic services, `Mail` and `Collections` on one router, ready for a server or an
    /// in-process channel (`eas_rpc::in_process::routes_channel`). Every call runs to its end
    /// even if the caller goes away (`eas_rpc::detached`), so no store transaction is cut in
    /// the middle.
    pub fn into_routes(self) -> tonic::service::Routes {
        let collections = CollectionsServer::new(self.clone())
            .max_decoding_message_size(eas_rpc::MAX_REQUEST_BYTES)
            .max_encoding_message_size(eas_rpc::MAX_MESSAGE_BYTES);
        let mail = MailServer::new(self)
            .max_decoding_message_size(eas_rpc::MAX_REQUEST_BYTES)
            .max_encoding_message_size(eas_rpc::MAX_MESSAGE_BYTES);
        tonic::service::Routes::new(eas_rpc::detached::Detached(mail))
            .add_service(eas_rpc::detached::Detached(collections))
    }
}

/// A store error as the status the edge decodes (`eas_rpc::ServiceError`): what the caller
/// did wrong with its own code, an outage as `Unavailable` (the phone retries later), anything
/// else as `Internal`, logged here once with its cause.
pub fn status(e: MailError) -> Status {
    let err = ServiceError::from(e);
    match err.code {
        ServiceErrorCode::Internal => tracing::error!(error = %err.message, "mail store failure"),
        ServiceErrorCode::Unavailable | ServiceErrorCode::Busy => {
            tracing::warn!(error = %err.message, "mail store unavailable")
        }
        _ => {}
    }
    err.into_status()
}

fn folder_id(s: &str) -> Result<FolderId, Status> {
    s.parse()
        .map_err(|_| Status::invalid_argument(format!("bad folder id {s:?}")))
}

fn message_id(s: &str) -> Result<MessageId, Status> {
    s.parse()
        .map_err(|_| Status::invalid_argument(format!("bad message id {s:?}")))
}

/// Streams bytes already in memory as chunks of [`BODY_CHUNK`]; the first carries the total.
fn byte_chunks(data: Vec<u8>) -> ChunkStream {
    eas_rpc::chunks::from_bytes(data, BODY_CHUNK)
}

/// Streams a blob as chunks; the first carries the total size.
fn chunks(reader: BlobReader) -> ChunkStream {
    let total = reader.size();
    let stream = async_stream(reader, total);
    Box::pin(stream)
}

fn async_stream(
    mut reader: BlobReader,
    total: u64,
) -> impl Stream<Item = Result<wire::Chunk, Status>> + Send + 'static {
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::spawn(async move {
        let mut first = true;
        loop {
            match reader.next_chunk().await {
                Ok(Some(data)) => {
                    let chunk = wire::Chunk {
                        data: data.to_vec(),
                        total_size: if first { total } else { 0 },
                    };
                    first = false;
                    if tx.send(Ok(chunk)).await.is_err() {
                        return;
                    }
                }
                Ok(None) => return,
                Err(e) => {
                    let _ = tx.send(Err(status(e))).await;
                    return;
                }
            }
        }
    });
    tokio_stream::wrappers::ReceiverStream::new(rx)
}

#[tonic::async_trait]
impl Mail for MailService {
    async fn ensure_mailbox(
        &self,
        r: Request<wire::UserRequest>,
    ) -> Result<Response<wire::Empty>, Status> {
        self.store
            .ensure_mailbox(&r.into_inner().user)
            .await
            .map_err(status)?;
        Ok(Response::new(wire::Empty {}))
    }

    async fn create_folder(
        &self,
        r: Request<wire::CreateFolderRequest>,
    ) -> Result<Response<wire::Folder>, Status> {
        let r = r.into_inner();
        let parent = match r.parent_id.as_str() {
            "" | "0" => None,
            p => Some(folder_id(p)?),
        };
        let f = self
            .store
            .create_folder(&r.user, parent, &r.display_name)
            .await
            .map_err(status)?;
        Ok(Response::new(folder(&f)))
    }

    async fn update_folder(
        &self,
        r: Request<wire::UpdateFolderRequest>,
    ) -> Result<Response<wire::Folder>, Status> {
        let r = r.into_inner();
        let parent = match r.parent_id.as_str() {
            "" => None,
            "0" => Some(None),
            p => Some(Some(folder_id(p)?)),
        };
        let name = (!r.display_name.is_empty()).then_some(r.display_name.as_str());
        let f = self
            .store
            .update_folder(&r.user, folder_id(&r.folder_id)?, parent, name)
            .await
            .map_err(status)?;
        Ok(Response::new(folder(&f)))
    }

    async fn delete_folder(
        &self,
        r: Request<wire::FolderRef>,
    ) -> Result<Response<wire::Empty>, Status> {
        let r = r.into_inner();
        self.store
            .delete_folder(&r.user, folder_id(&r.folder_id)?)
            .await
            .map_err(status)?;
        Ok(Response::new(wire::Empty {}))
    }

    async fn get_messages(
        &self,
        r: Request<wire::GetMessagesRequest>,
    ) -> Result<Response<wire::MessageList>, Status> {
        let r = r.into_inner();
        let ids: Vec<MessageId> = r.ids.iter().filter_map(|i| i.parse().ok()).collect();
        let mut metas = self.store.get(&r.user, &ids).await.map_err(status)?;
        // The budget takes messages in the caller's order.
        let order: std::collections::HashMap<MessageId, usize> =
            ids.iter().enumerate().map(|(n, id)| (*id, n)).collect();
        metas.sort_by_key(|m| order.get(&m.id).copied().unwrap_or(usize::MAX));
        let (messages, omitted) = self
            .render(&r.user, &metas, &r.body, r.max_bytes, r.metadata_only)
            .await?;
        Ok(Response::new(wire::MessageList { messages, omitted }))
    }

    type ReadBodyStream = ChunkStream;

    async fn read_body(&self, r: Request<wire::BodyRef>) -> Result<Response<ChunkStream>, Status> {
        let r = r.into_inner();
        let raw = self
            .store
            .raw(&r.user, message_id(&r.id)?)
            .await
            .map_err(status)?
            .read_to_end()
            .await
            .map_err(status)?;
        let data = body::choose(&raw, &r.body)
            .0
            .map(|b| b.data)
            .unwrap_or_default();
        drop(raw);
        Ok(Response::new(byte_chunks(data)))
    }

    type ReadRawStream = ChunkStream;

    async fn read_raw(
        &self,
        r: Request<wire::MessageRef>,
    ) -> Result<Response<ChunkStream>, Status> {
        let r = r.into_inner();
        let reader = self
            .store
            .raw(&r.user, message_id(&r.id)?)
            .await
            .map_err(status)?;
        Ok(Response::new(chunks(reader)))
    }

    type ReadAttachmentStream = ChunkStream;

    async fn read_attachment(
        &self,
        r: Request<wire::AttachmentRef>,
    ) -> Result<Response<ChunkStream>, Status> {
        let r = r.into_inner();
        let (id, index) = convert::parse_file_reference(&r.file_reference)
            .ok_or_else(|| Status::not_found(format!("no attachment {:?}", r.file_reference)))?;
        let (_, reader) = self
            .store
            .attachment(&r.user, id, index)
            .await
            .map_err(status)?;
        Ok(Response::new(chunks(reader)))
    }

    async fn count_messages(
        &self,
        r: Request<wire::CountRequest>,
    ) -> Result<Response<wire::CountReply>, Status> {
        let r = r.into_inner();
        let since = (r.since != 0).then_some(r.since);
        let count = self
            .store
            .count(&r.user, folder_id(&r.folder_id)?, since)
            .await
            .map_err(status)?;
        Ok(Response::new(wire::CountReply { count }))
    }

    async fn set_read(
        &self,
        r: Request<wire::SetReadRequest>,
    ) -> Result<Response<wire::ItemVersion>, Status> {
        let r = r.into_inner();
        let c = self
            .store
            .set_read(&r.user, message_id(&r.id)?, r.read)
            .await
            .map_err(status)?;
        Ok(Response::new(convert::changed(&c)))
    }

    async fn set_flag(
        &self,
        r: Request<wire::SetFlagRequest>,
    ) -> Result<Response<wire::ItemVersion>, Status> {
        let r = r.into_inner();
        let f = r.flag.unwrap_or_default();
        let flag = Flag {
            status: FlagStatus::from_code(f.status as i16).unwrap_or_default(),
            start_at: (f.start_date != 0).then_some(f.start_date),
            due_at: (f.due_date != 0).then_some(f.due_date),
        };
        let c = self
            .store
            .set_flag(&r.user, message_id(&r.id)?, flag)
            .await
            .map_err(status)?;
        Ok(Response::new(convert::changed(&c)))
    }

    async fn move_message(
        &self,
        r: Request<wire::MoveRequest>,
    ) -> Result<Response<wire::MoveReply>, Status> {
        let r = r.into_inner();
        let moved = self
            .store
            .move_to(
                &r.user,
                message_id(&r.id)?,
                folder_id(&r.destination_folder_id)?,
            )
            .await
            .map_err(status)?;
        Ok(Response::new(wire::MoveReply {
            new_id: moved.item.id.to_string(),
            source: Some(convert::tombstone(&moved.tombstone)),
            destination: Some(convert::changed(&moved.item)),
        }))
    }

    async fn delete_message(
        &self,
        r: Request<wire::MessageRef>,
    ) -> Result<Response<wire::ItemVersion>, Status> {
        let r = r.into_inner();
        let c = self
            .store
            .delete(&r.user, message_id(&r.id)?)
            .await
            .map_err(status)?;
        Ok(Response::new(convert::tombstone(&c)))
    }

    async fn empty_folder(
        &self,
        r: Request<wire::EmptyFolderRequest>,
    ) -> Result<Response<wire::Empty>, Status> {
        let r = r.into_inner();
        self.store
            .empty_folder(&r.user, folder_id(&r.folder_id)?, r.include_subfolders)
            .await
            .map_err(status)?;
        Ok(Response::new(wire::Empty {}))
    }

    async fn append_message(
        &self,
        r: Request<wire::AppendRequest>,
    ) -> Result<Response<wire::ItemVersion>, Status> {
        let r = r.into_inner();
        let folder = folder_id(&r.folder_id)?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let c = self
            .store
            .deliver(&r.user, Some(folder), &r.raw, now)
            .await
            .map_err(status)?;
        let c = if r.read {
            self.store
                .set_read(&r.user, c.id, true)
                .await
                .map_err(status)?
        } else {
            c
        };
        Ok(Response::new(convert::changed(&c)))
    }

    async fn submit(
        &self,
        r: Request<wire::SubmitRequest>,
    ) -> Result<Response<wire::SubmitReply>, Status> {
        submit::submit(self.submitter.as_ref(), r.into_inner())
            .await
            .map(Response::new)
    }

    async fn search(
        &self,
        r: Request<wire::SearchRequest>,
    ) -> Result<Response<wire::SearchReply>, Status> {
        let r = r.into_inner();
        let folder = match r.folder_id.as_str() {
            "" => None,
            f => Some(folder_id(f)?),
        };
        let end = r.range_end.saturating_add(1).max(r.range_start);
        let found = self
            .store
            .search(&r.user, &r.text, folder, r.range_start..end)
            .await
            .map_err(status)?;
        let (messages, omitted) = self
            .render(&r.user, &found.items, &r.body, r.max_bytes, false)
            .await?;
        Ok(Response::new(wire::SearchReply {
            messages,
            total: found.total,
            cut_short: !omitted.is_empty(),
        }))
    }
}
