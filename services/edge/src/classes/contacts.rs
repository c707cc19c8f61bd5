//! The Contacts class (MS-ASCNTC) on the contacts service: contacts rendered from their stored
//! form as `ApplicationData`, and the client's Add, Change, Delete and Fetch (MS-ASCMD 2.2.3.24)
//! applied with ghosting (MS-ASCMD 2.2.3.179): a Change is read against the stored contact, so a
//! field the phone leaves out and has ghosted keeps its stored value.

use async_trait::async_trait;
use eas_contacts_model::eas::{self as model, ApplyOptions};
use eas_contacts_model::{stored, Contact, SupportedSet};
use eas_event_bus::DataClass;
use eas_protocol::item_operations::FetchRequest;
use eas_protocol::status::SyncStatus;
use eas_protocol::sync::ItemResponse;
use eas_rpc::collections::collections_client::CollectionsClient;
use eas_rpc::contacts::contacts_client::ContactsClient;
use eas_rpc::contacts::{CreateContactRequest, StoredContact, UpdateContactRequest};
use eas_rpc::{Channel, ServiceError};
use eas_sync::{FilterType, Session, SyncError};
use eas_wbxml::Element;

use super::pim::{self, notes_truncation, written, PimClass};
use super::{unavailable, SyncInput};
use crate::error::EdgeError;
use crate::pipeline::context::RequestCtx;

/// Folder types of contact folders (MS-ASCMD 2.2.3.186.3): 9, the default Contacts folder, and 14,
/// a folder the user created.
pub(crate) const CONTACT_TYPES: [u32; 2] = [9, 14];

/// The contact folder type a device may create, rename, move and delete: 14.
const USER_FOLDER_TYPES: [u32; 1] = [14];

/// Contacts fetched per call: a window of contacts with pictures (48 KB of base64 each at most)
/// stays far below the gRPC reply limit.
const FETCH_BATCH: usize = 32;

/// The Contacts class: contact folders on the contacts service.
pub struct ContactsClass {
    contacts: ContactsClient<Channel>,
    collections: CollectionsClient<Channel>,
}

impl ContactsClass {
    /// The class over `channel`, on which the contacts service serves its API and the
    /// collection contract.
    pub fn new(channel: Channel) -> ContactsClass {
        ContactsClass {
            contacts: eas_rpc::contacts_client(channel.clone()),
            collections: eas_rpc::collections_client(channel),
        }
    }
}

/// A stored contact's JSON read back; a form the edge cannot read is a server error.
fn decode(c: &StoredContact) -> Result<Contact, String> {
    stored::from_json(&c.json).map_err(|e| format!("stored contact {}: {e}", c.id))
}

pim::service_calls! {
    ContactsClass { contacts: contacts, collections },
    get: get_contacts(GetContactsRequest) -> contacts: StoredContact,
    delete: delete_contact(DeleteContactRequest),
    move: move_contact(MoveContactRequest),
}

#[async_trait]
impl PimClass for ContactsClass {
    type Supported = SupportedSet;

    const CLASS: DataClass = DataClass::Contacts;
    const NAME: &'static str = "Contacts";
    const SERVICE: &'static str = "the contacts service";
    const ITEM: &'static str = "contact";
    const TYPES: &'static [u32] = &CONTACT_TYPES;
    const USER_FOLDER_TYPES: &'static [u32] = &USER_FOLDER_TYPES;
    const FETCH_BATCH: usize = FETCH_BATCH;
    const INSTANCES: bool = false;

    fn take_filter(&self, _asked: FilterType) -> Option<FilterType> {
        Some(FilterType::All)
    }

    fn read_supported(elements: &[Element]) -> SupportedSet {
        SupportedSet::from_elements(elements)
    }

    fn renderer<'a>(
        &'a self,
        input: &'a SyncInput<'_>,
    ) -> impl Fn(&StoredContact) -> Result<Vec<Element>, String> + Send + Sync + 'a {
        move |c| {
            let contact = decode(c)?;
            model::render(&contact, input.ctx.version, input.prefs).map_err(|e| e.to_string())
        }
    }

    async fn add(
        &self,
        input: &SyncInput<'_>,
        service_folder: &str,
        client_id: &str,
        data: &[Element],
        session: &mut Session,
    ) -> Result<ItemResponse, SyncError> {
        let change = match model::parse(data, input.ctx.version) {
            Ok(c) => c,
            Err(e) => {
                tracing::info!(user = %input.ctx.user.address, device_id = %input.ctx.line.device_id, error = %e, "contact refused");
                return Ok(pim::add_refused(client_id, e.sync_status()));
            }
        };
        let contact = model::create(&change);
        let mut c = self.contacts.clone();
        let reply = c
            .create_contact(CreateContactRequest {
                user: input.ctx.user.address.clone(),
                folder_id: service_folder.to_owned(),
                json: stored::to_json(&contact),
            })
            .await;
        match reply {
            Ok(r) => {
                let r = r.into_inner();
                Ok(pim::added(session, client_id, r.id, r.modseq, None))
            }
            Err(s) => pim::add_failed::<Self>(input, client_id, &s),
        }
    }

    /// Contacts have no instances: `instance` is always `None`.
    #[allow(clippy::too_many_arguments)]
    async fn change(
        &self,
        input: &SyncInput<'_>,
        service_folder: &str,
        server_id: &str,
        _instance: Option<&str>,
        data: &[Element],
        supported: Option<&SupportedSet>,
        session: &mut Session,
    ) -> Result<Option<SyncStatus>, SyncError> {
        let user = input.ctx.user.address.as_str();
        let change = match model::parse(data, input.ctx.version) {
            Ok(c) => c,
            Err(e) => {
                tracing::info!(user, device_id = %input.ctx.line.device_id, error = %e, "contact change refused");
                return Ok(Some(e.sync_status()));
            }
        };
        let found = pim::get(self, user, service_folder, vec![server_id.to_owned()])
            .await
            .map_err(|e| unavailable(e.message))?;
        let Some(current) = found.get(server_id) else {
            return Ok(Some(SyncStatus::ObjectNotFound));
        };
        let stored_contact = decode(current).map_err(unavailable)?;
        let options = ApplyOptions {
            notes_truncated_at: notes_truncation(input.prefs),
            ..ApplyOptions::default()
        };
        let merged = model::apply_with(&stored_contact, &change, supported, &options);
        let mut c = self.contacts.clone();
        let reply = c
            .update_contact(UpdateContactRequest {
                user: user.to_owned(),
                folder_id: service_folder.to_owned(),
                id: server_id.to_owned(),
                json: stored::to_json(&merged),
                if_modseq: current.modseq,
            })
            .await;
        match reply {
            Ok(r) => {
                let r = r.into_inner();
                session.record_client_change(&written(r.id, r.modseq));
                Ok(None)
            }
            Err(s) => pim::change_failed::<Self>(input, ServiceError::from_status(&s)),
        }
    }

    async fn delete(
        &self,
        input: &SyncInput<'_>,
        service_folder: &str,
        server_id: &str,
        _instance: Option<&str>,
        session: &mut Session,
    ) -> Result<Option<SyncStatus>, SyncError> {
        // Contacts have no Deleted Items folder: DeletesAsMoves does not apply.
        pim::delete_recorded(self, input, service_folder, server_id, session)
            .await
            .map_err(|e| unavailable(e.message))?;
        Ok(None)
    }

    /// ItemOperations Fetch of one contact (MS-ASCMD 2.2.3.67.1): its Contacts-class elements
    /// for the request's BodyPreference, restricted to its `Schema` when one is given
    /// (MS-ASCNTC 3.2.5.1, R485).
    fn fetch_render(
        &self,
        ctx: &RequestCtx,
        item: &StoredContact,
        request: &FetchRequest,
    ) -> Result<Result<Vec<Element>, String>, EdgeError> {
        let contact = decode(item).map_err(EdgeError::Internal)?;
        let schema = request
            .options
            .schema
            .as_ref()
            .map(|els| eas_contacts_model::FieldSet::from_elements(els));
        let options = model::RenderOptions {
            body_preferences: &request.options.body_preferences,
            schema: schema.as_ref(),
            ..model::RenderOptions::default()
        };
        Ok(model::render_with(&contact, ctx.version, &options).map_err(|e| e.to_string()))
    }
}
