//! The calendar service's gRPC API (`proto/eas/calendar/v1/calendar.proto`) over
//! [`CalendarService`], served with its side of the collection contract ([`collections`]) on
//! one router. Ids cross the wire as decimal strings; errors map to the shared codes of
//! `eas_rpc::ServiceError` in [`status`].

mod collections;

use eas_rpc::calendar::calendar_server::{Calendar, CalendarServer};
use eas_rpc::calendar::{self as wire};
use eas_rpc::collections::{self as shared};
use tonic::{Request, Response, Status};

use crate::error::CalendarError;
use crate::model::{Access, EventId, Folder, FolderId, ItemVersion, Share, StoredEvent};
use crate::service::CalendarService;

impl CalendarService {
    /// The tonic services, `Calendar` and `Collections` on one router, ready for a server
    /// (`eas_rpc::server_builder().add_routes(..)`) or an in-process channel
    /// (`eas_rpc::in_process::routes_channel`). Every call runs to its end even if the caller
    /// goes away (`eas_rpc::detached`), so no store transaction is cut in the middle.
    pub fn into_routes(self) -> tonic::service::Routes {
        let calendar = CalendarServer::new(self.clone())
            .max_decoding_message_size(eas_rpc::MAX_REQUEST_BYTES)
            .max_encoding_message_size(eas_rpc::MAX_MESSAGE_BYTES);
        let routes = tonic::service::Routes::new(eas_rpc::detached::Detached(calendar));
        eas_data_service::collections::add_to(routes, self)
    }
}

/// A store error as the status the edge decodes (`eas_data_service::status`), logged once.
pub fn status(e: CalendarError) -> Status {
    eas_data_service::status("calendar", e)
}

/// A folder id of this service, or NOT_FOUND: ids are opaque strings to the edge, and one that
/// is not a calendar id names no calendar.
fn folder_id(s: &str) -> Result<FolderId, Status> {
    s.parse()
        .map_err(|_| status(CalendarError::FolderNotFound(s.to_owned())))
}

/// An event id, or NOT_FOUND.
fn event_id(s: &str) -> Result<EventId, Status> {
    s.parse()
        .map_err(|_| status(CalendarError::EventNotFound(s.to_owned())))
}

/// A parent folder: "0" or empty is the top level.
fn parent_id(s: &str) -> Result<Option<FolderId>, Status> {
    match s {
        "" | "0" => Ok(None),
        p => folder_id(p).map(Some),
    }
}

/// A calendar as the collection contract lists it: a shared one at the grantee's top level,
/// type 13, with its owner and whether it is read-only.
fn folder(f: &Folder) -> shared::Folder {
    shared::Folder {
        id: f.id.to_string(),
        parent_id: f
            .parent_id
            .map_or_else(|| "0".to_owned(), |p| p.to_string()),
        display_name: f.display_name(),
        folder_type: f.folder_type(),
        data_class: shared::DataClass::Calendar.into(),
        owner: f
            .shared
            .as_ref()
            .map(|s| s.owner.clone())
            .unwrap_or_default(),
        read_only: f.read_only(),
    }
}

/// The FilterType date of a calendar item is the end of its last occurrence, 0 for a series
/// without end (MS-ASCMD 2.2.3.68.2); calendar items are never "complete".
fn version(v: &ItemVersion) -> shared::ItemVersion {
    shared::ItemVersion {
        id: v.id.to_string(),
        modseq: v.modseq,
        deleted: v.deleted,
        date: v.date,
        complete: false,
    }
}

fn stored(e: StoredEvent) -> wire::StoredEvent {
    wire::StoredEvent {
        id: e.id.to_string(),
        modseq: e.modseq,
        json: e.json,
    }
}

fn written(id: EventId, modseq: u64) -> wire::EventWritten {
    wire::EventWritten {
        id: id.to_string(),
        modseq,
        existed: false,
        json: String::new(),
    }
}

/// The bytes of new attachments by ClientId.
fn contents(sent: Vec<wire::AttachmentContent>) -> Vec<(String, Vec<u8>)> {
    sent.into_iter().map(|c| (c.client_id, c.content)).collect()
}

fn access_of(access: i32) -> Result<Access, Status> {
    match wire::Access::try_from(access) {
        Ok(wire::Access::Read) => Ok(Access::Read),
        Ok(wire::Access::ReadWrite) => Ok(Access::ReadWrite),
        _ => Err(status(CalendarError::InvalidShare(format!(
            "access {access} is neither read nor read-write"
        )))),
    }
}

fn share(s: Share) -> wire::Share {
    wire::Share {
        owner: s.owner,
        folder_id: s.folder_id.to_string(),
        grantee: s.grantee,
        access: match s.access {
            Access::Read => wire::Access::Read,
            Access::ReadWrite => wire::Access::ReadWrite,
        }
        .into(),
        display_name: s.name,
    }
}

#[tonic::async_trait]
impl Calendar for CalendarService {
    async fn get_events(
        &self,
        r: Request<wire::GetEventsRequest>,
    ) -> Result<Response<wire::EventList>, Status> {
        let r = r.into_inner();
        let folder = folder_id(&r.folder_id)?;
        // Ids that are not event ids name nothing the calendar holds.
        let ids: Vec<EventId> = r.ids.iter().filter_map(|i| i.parse().ok()).collect();
        let events = CalendarService::get_events(self, &r.user, folder, &ids)
            .await
            .map_err(status)?;
        Ok(Response::new(wire::EventList {
            events: events.into_iter().map(stored).collect(),
        }))
    }

    async fn create_event(
        &self,
        r: Request<wire::CreateEventRequest>,
    ) -> Result<Response<wire::EventWritten>, Status> {
        let r = r.into_inner();
        let created = CalendarService::create_event_with(
            self,
            &r.user,
            folder_id(&r.folder_id)?,
            &r.json,
            &r.client_uid,
            contents(r.attachments),
        )
        .await
        .map_err(status)?;
        Ok(Response::new(wire::EventWritten {
            id: created.event.id.to_string(),
            modseq: created.event.modseq,
            existed: created.existed,
            json: created.event.json,
        }))
    }

    async fn update_event(
        &self,
        r: Request<wire::UpdateEventRequest>,
    ) -> Result<Response<wire::EventWritten>, Status> {
        let r = r.into_inner();
        let if_modseq = (r.if_modseq != 0).then_some(r.if_modseq);
        let w = CalendarService::update_event_with(
            self,
            &r.user,
            folder_id(&r.folder_id)?,
            event_id(&r.id)?,
            &r.json,
            if_modseq,
            contents(r.attachments),
        )
        .await
        .map_err(status)?;
        Ok(Response::new(written(w.id, w.modseq)))
    }

    async fn delete_event(
        &self,
        r: Request<wire::DeleteEventRequest>,
    ) -> Result<Response<wire::EventWritten>, Status> {
        let r = r.into_inner();
        let w = CalendarService::delete_event(
            self,
            &r.user,
            folder_id(&r.folder_id)?,
            event_id(&r.id)?,
        )
        .await
        .map_err(status)?;
        Ok(Response::new(written(w.id, w.modseq)))
    }

    async fn move_event(
        &self,
        r: Request<wire::MoveEventRequest>,
    ) -> Result<Response<wire::EventMoved>, Status> {
        let r = r.into_inner();
        let m = CalendarService::move_event(
            self,
            &r.user,
            folder_id(&r.from_folder_id)?,
            event_id(&r.id)?,
            folder_id(&r.to_folder_id)?,
        )
        .await
        .map_err(status)?;
        Ok(Response::new(wire::EventMoved {
            id: m.item.id.to_string(),
            modseq: m.item.modseq,
            source_modseq: m.tombstone.modseq,
        }))
    }

    async fn create_folder(
        &self,
        r: Request<wire::CreateFolderRequest>,
    ) -> Result<Response<wire::FolderWritten>, Status> {
        let r = r.into_inner();
        let (f, counter) = CalendarService::create_folder(
            self,
            &r.user,
            parent_id(&r.parent_id)?,
            &r.display_name,
        )
        .await
        .map_err(status)?;
        Ok(Response::new(wire::FolderWritten {
            folder: Some(folder(&f)),
            hierarchy_counter: counter,
        }))
    }

    async fn update_folder(
        &self,
        r: Request<wire::UpdateFolderRequest>,
    ) -> Result<Response<wire::FolderWritten>, Status> {
        let r = r.into_inner();
        let (f, counter) = CalendarService::update_folder(
            self,
            &r.user,
            folder_id(&r.folder_id)?,
            parent_id(&r.parent_id)?,
            &r.display_name,
        )
        .await
        .map_err(status)?;
        Ok(Response::new(wire::FolderWritten {
            folder: Some(folder(&f)),
            hierarchy_counter: counter,
        }))
    }

    async fn delete_folder(
        &self,
        r: Request<wire::DeleteFolderRequest>,
    ) -> Result<Response<wire::FolderDeleted>, Status> {
        let r = r.into_inner();
        let counter = CalendarService::delete_folder(self, &r.user, folder_id(&r.folder_id)?)
            .await
            .map_err(status)?;
        Ok(Response::new(wire::FolderDeleted {
            hierarchy_counter: counter,
        }))
    }

    async fn grant_share(
        &self,
        r: Request<wire::GrantShareRequest>,
    ) -> Result<Response<wire::Share>, Status> {
        let r = r.into_inner();
        let folder = folder_id(&r.folder_id)?;
        // The contract: a request without grantee names no share (NOT_FOUND).
        if r.grantee.trim().is_empty() {
            return Err(status(CalendarError::ShareNotFound {
                folder: folder.to_string(),
                grantee: String::new(),
            }));
        }
        let access = access_of(r.access)?;
        let s = CalendarService::grant_share(self, &r.owner, folder, &r.grantee, access)
            .await
            .map_err(status)?;
        Ok(Response::new(share(s)))
    }

    async fn revoke_share(
        &self,
        r: Request<wire::RevokeShareRequest>,
    ) -> Result<Response<wire::RevokeShareReply>, Status> {
        let r = r.into_inner();
        let folder = folder_id(&r.folder_id)?;
        if r.grantee.trim().is_empty() {
            return Err(status(CalendarError::ShareNotFound {
                folder: folder.to_string(),
                grantee: String::new(),
            }));
        }
        CalendarService::revoke_share(self, &r.owner, folder, &r.grantee)
            .await
            .map_err(status)?;
        Ok(Response::new(wire::RevokeShareReply {}))
    }

    async fn list_shares(
        &self,
        r: Request<wire::ListSharesRequest>,
    ) -> Result<Response<wire::ShareList>, Status> {
        let r = r.into_inner();
        let shares = CalendarService::list_shares(self, &r.user)
            .await
            .map_err(status)?;
        Ok(Response::new(wire::ShareList {
            granted: shares.granted.into_iter().map(share).collect(),
            received: shares.received.into_iter().map(share).collect(),
        }))
    }

    async fn import_ical(
        &self,
        r: Request<wire::ImportRequest>,
    ) -> Result<Response<wire::ImportReply>, Status> {
        let r = r.into_inner();
        let folder = match r.folder_id.as_str() {
            "" => None,
            f => Some(folder_id(f)?),
        };
        let zone = zone_named(&r.time_zone)?;
        let imported = CalendarService::import_ical(self, &r.user, folder, &r.data, zone)
            .await
            .map_err(status)?;
        Ok(Response::new(wire::ImportReply {
            imported: u32::try_from(imported.ids.len()).unwrap_or(u32::MAX),
            errors: import_errors(imported.errors),
            ids: imported.ids.iter().map(ToString::to_string).collect(),
            warnings: import_errors(imported.warnings),
        }))
    }

    type ExportIcalStream = eas_rpc::chunks::ChunkStream;

    async fn export_ical(
        &self,
        r: Request<wire::ExportRequest>,
    ) -> Result<Response<Self::ExportIcalStream>, Status> {
        let r = r.into_inner();
        let (text, count) = CalendarService::export_ical(self, &r.user, folder_id(&r.folder_id)?)
            .await
            .map_err(status)?;
        tracing::debug!(user = %r.user, events = count, bytes = text.len(), "icalendar exported");
        Ok(Response::new(eas_rpc::chunks::from_bytes(
            text.into_bytes(),
            eas_rpc::chunks::EXPORT_CHUNK_BYTES,
        )))
    }

    async fn free_busy(
        &self,
        r: Request<wire::FreeBusyRequest>,
    ) -> Result<Response<wire::FreeBusyReply>, Status> {
        let r = r.into_inner();
        let zone = zone_named(&r.time_zone)?;
        let busy = CalendarService::free_busy(self, &r.user, r.start, r.end, zone)
            .await
            .map_err(status)?;
        Ok(Response::new(wire::FreeBusyReply {
            busy: busy
                .into_iter()
                .map(|b| wire::Busy {
                    start: b.start,
                    end: b.end,
                    busy_status: i32::from(b.status.code()),
                })
                .collect(),
        }))
    }

    type ReadAttachmentStream = eas_rpc::chunks::ChunkStream;

    async fn read_attachment(
        &self,
        r: Request<wire::AttachmentRef>,
    ) -> Result<Response<Self::ReadAttachmentStream>, Status> {
        let r = r.into_inner();
        let content = CalendarService::read_attachment(self, &r.user, &r.file_reference)
            .await
            .map_err(status)?;
        Ok(Response::new(eas_rpc::chunks::from_bytes(
            content,
            crate::attachments::CHUNK_BYTES,
        )))
    }
}

/// Events of an import by position, on the wire.
fn import_errors(list: Vec<crate::model::ImportError>) -> Vec<wire::ImportError> {
    list.into_iter()
        .map(|e| wire::ImportError {
            index: u32::try_from(e.index).unwrap_or(u32::MAX),
            reason: e.reason,
        })
        .collect()
}

/// A request's IANA zone; empty is UTC, an unknown name `INVALID_ARGUMENT`.
fn zone_named(name: &str) -> Result<chrono_tz::Tz, Status> {
    match name {
        "" => Ok(chrono_tz::UTC),
        name => eas_calendar_model::time::zone_named(name).ok_or_else(|| {
            status(CalendarError::InvalidRange(format!(
                "{name:?} is not an IANA time zone"
            )))
        }),
    }
}
