//! The contacts service's gRPC API (`proto/eas/contacts/v1/contacts.proto`) over
//! [`ContactsService`], served with its side of the collection contract ([`collections`]) on
//! one router. Ids cross the wire as decimal strings; errors map to the shared codes of
//! `eas_rpc::ServiceError` in [`status`].

mod collections;

use eas_rpc::collections::{self as shared};
use eas_rpc::contacts::contacts_server::{Contacts, ContactsServer};
use eas_rpc::contacts::{self as wire};
use tonic::{Request, Response, Status};

use crate::error::ContactsError;
use crate::model::{ContactId, Folder, FolderId, ItemVersion, Recipient, StoredContact};
use crate::service::{vcard_version, ContactsService};

impl ContactsService {
    /// The tonic services, `Contacts` and `Collections` on one router, ready for a server
    /// (`eas_rpc::server_builder().add_routes(..)`) or an in-process channel
    /// (`eas_rpc::in_process::routes_channel`). Every call runs to its end even if the caller
    /// goes away (`eas_rpc::detached`), so no store transaction is cut in the middle.
    pub fn into_routes(self) -> tonic::service::Routes {
        let contacts = ContactsServer::new(self.clone())
            .max_decoding_message_size(eas_rpc::MAX_REQUEST_BYTES)
            .max_encoding_message_size(eas_rpc::MAX_MESSAGE_BYTES);
        let routes = tonic::service::Routes::new(eas_rpc::detached::Detached(contacts));
        eas_data_service::collections::add_to(routes, self)
    }
}

/// A store error as the status the edge decodes (`eas_data_service::status`), logged once.
pub fn status(e: ContactsError) -> Status {
    eas_data_service::status("contacts", e)
}

/// A folder id of this service, or NOT_FOUND: ids are opaque strings to the edge, and one that
/// is not a contacts folder id names no folder.
fn folder_id(s: &str) -> Result<FolderId, Status> {
    s.parse()
        .map_err(|_| status(ContactsError::FolderNotFound(s.to_owned())))
}

/// A contact id, or NOT_FOUND.
fn contact_id(s: &str) -> Result<ContactId, Status> {
    s.parse()
        .map_err(|_| status(ContactsError::ContactNotFound(s.to_owned())))
}

/// A parent folder: "0" or empty is the top level.
fn parent_id(s: &str) -> Result<Option<FolderId>, Status> {
    match s {
        "" | "0" => Ok(None),
        p => folder_id(p).map(Some),
    }
}

fn folder(f: &Folder) -> shared::Folder {
    shared::Folder {
        id: f.id.to_string(),
        parent_id: f
            .parent_id
            .map_or_else(|| "0".to_owned(), |p| p.to_string()),
        display_name: f.name.clone(),
        folder_type: f.role.folder_type(),
        data_class: shared::DataClass::Contacts.into(),
        // Contacts folders are never shared with another user.
        ..Default::default()
    }
}

/// Contacts have no FilterType window: their date is always 0 (MS-ASCMD 2.2.3.68.2).
fn version(v: &ItemVersion) -> shared::ItemVersion {
    shared::ItemVersion {
        id: v.id.to_string(),
        modseq: v.modseq,
        deleted: v.deleted,
        date: 0,
        complete: false,
    }
}

fn stored(c: StoredContact) -> wire::StoredContact {
    wire::StoredContact {
        id: c.id.to_string(),
        modseq: c.modseq,
        json: c.json,
    }
}

fn written(id: ContactId, modseq: u64) -> wire::ContactWritten {
    wire::ContactWritten {
        id: id.to_string(),
        modseq,
    }
}

#[tonic::async_trait]
impl Contacts for ContactsService {
    async fn get_contacts(
        &self,
        r: Request<wire::GetContactsRequest>,
    ) -> Result<Response<wire::ContactList>, Status> {
        let r = r.into_inner();
        let folder = folder_id(&r.folder_id)?;
        // Ids that are not contact ids name nothing the folder holds.
        let ids: Vec<ContactId> = r.ids.iter().filter_map(|i| i.parse().ok()).collect();
        let contacts = ContactsService::get_contacts(self, &r.user, folder, &ids)
            .await
            .map_err(status)?;
        Ok(Response::new(wire::ContactList {
            contacts: contacts.into_iter().map(stored).collect(),
        }))
    }

    async fn create_contact(
        &self,
        r: Request<wire::CreateContactRequest>,
    ) -> Result<Response<wire::ContactWritten>, Status> {
        let r = r.into_inner();
        let w = ContactsService::create_contact(self, &r.user, folder_id(&r.folder_id)?, &r.json)
            .await
            .map_err(status)?;
        Ok(Response::new(written(w.id, w.modseq)))
    }

    async fn update_contact(
        &self,
        r: Request<wire::UpdateContactRequest>,
    ) -> Result<Response<wire::ContactWritten>, Status> {
        let r = r.into_inner();
        let if_modseq = (r.if_modseq != 0).then_some(r.if_modseq);
        let w = ContactsService::update_contact(
            self,
            &r.user,
            folder_id(&r.folder_id)?,
            contact_id(&r.id)?,
            &r.json,
            if_modseq,
        )
        .await
        .map_err(status)?;
        Ok(Response::new(written(w.id, w.modseq)))
    }

    async fn delete_contact(
        &self,
        r: Request<wire::DeleteContactRequest>,
    ) -> Result<Response<wire::ContactWritten>, Status> {
        let r = r.into_inner();
        let w = ContactsService::delete_contact(
            self,
            &r.user,
            folder_id(&r.folder_id)?,
            contact_id(&r.id)?,
        )
        .await
        .map_err(status)?;
        Ok(Response::new(written(w.id, w.modseq)))
    }

    async fn move_contact(
        &self,
        r: Request<wire::MoveContactRequest>,
    ) -> Result<Response<wire::ContactMoved>, Status> {
        let r = r.into_inner();
        let m = ContactsService::move_contact(
            self,
            &r.user,
            folder_id(&r.from_folder_id)?,
            contact_id(&r.id)?,
            folder_id(&r.to_folder_id)?,
        )
        .await
        .map_err(status)?;
        Ok(Response::new(wire::ContactMoved {
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
        let (f, counter) = ContactsService::create_folder(
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
        let (f, counter) = ContactsService::update_folder(
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
        let counter = ContactsService::delete_folder(self, &r.user, folder_id(&r.folder_id)?)
            .await
            .map_err(status)?;
        Ok(Response::new(wire::FolderDeleted {
            hierarchy_counter: counter,
        }))
    }

    async fn search_contacts(
        &self,
        r: Request<wire::SearchRequest>,
    ) -> Result<Response<wire::SearchReply>, Status> {
        let r = r.into_inner();
        let result = self
            .search(&r.user, &r.query, r.limit, r.include_collected)
            .await
            .map_err(status)?;
        Ok(Response::new(wire::SearchReply {
            matches: result
                .hits
                .into_iter()
                .map(|hit| wire::SearchMatch {
                    folder_id: hit.contact.folder_id.to_string(),
                    contact: Some(stored(hit.contact)),
                    from_collected: hit.from_collected,
                })
                .collect(),
            total: result.total,
        }))
    }

    async fn import_vcards(
        &self,
        r: Request<wire::ImportRequest>,
    ) -> Result<Response<wire::ImportReply>, Status> {
        let r = r.into_inner();
        let folder = match r.folder_id.as_str() {
            "" => None,
            f => Some(folder_id(f)?),
        };
        let imported = ContactsService::import_vcards(self, &r.user, folder, &r.data)
            .await
            .map_err(status)?;
        Ok(Response::new(wire::ImportReply {
            imported: u32::try_from(imported.ids.len()).unwrap_or(u32::MAX),
            errors: imported
                .errors
                .into_iter()
                .map(|e| wire::ImportError {
                    index: u32::try_from(e.index).unwrap_or(u32::MAX),
                    reason: e.reason,
                })
                .collect(),
            ids: imported.ids.iter().map(ToString::to_string).collect(),
        }))
    }

    type ExportVcardsStream = eas_rpc::chunks::ChunkStream;

    async fn export_vcards(
        &self,
        r: Request<wire::ExportRequest>,
    ) -> Result<Response<Self::ExportVcardsStream>, Status> {
        let r = r.into_inner();
        let version = vcard_version(r.version).map_err(status)?;
        let (text, count) =
            ContactsService::export_vcards(self, &r.user, folder_id(&r.folder_id)?, version)
                .await
                .map_err(status)?;
        tracing::debug!(user = %r.user, contacts = count, bytes = text.len(), "vcards exported");
        Ok(Response::new(eas_rpc::chunks::from_bytes(
            text.into_bytes(),
            eas_rpc::chunks::EXPORT_CHUNK_BYTES,
        )))
    }

    async fn collect_recipients(
        &self,
        r: Request<wire::CollectRequest>,
    ) -> Result<Response<wire::CollectReply>, Status> {
        let r = r.into_inner();
        let recipients: Vec<Recipient> = r
            .recipients
            .into_iter()
            .map(|p| Recipient {
                address: p.address,
                display_name: p.display_name,
            })
            .collect();
        let added = ContactsService::collect_recipients(self, &r.user, &recipients)
            .await
            .map_err(status)?;
        Ok(Response::new(wire::CollectReply {
            added: u32::try_from(added).unwrap_or(u32::MAX),
        }))
    }
}
