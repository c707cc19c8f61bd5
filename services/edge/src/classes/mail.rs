//! The Email class (MS-ASEMAIL) on the mail service: the client's side of a Sync collection
//! (MS-ASCMD 2.2.3.24: Add, Change, Delete and Fetch applied to the mail service and recorded in
//! the sync engine's session) and messages rendered as `ApplicationData`.

use std::collections::HashMap;

use async_trait::async_trait;
use eas_event_bus::DataClass;
use eas_protocol::email::{DraftFields, EmailChange};
use eas_protocol::status::SyncStatus;
use eas_protocol::sync::{ClientCommand, ItemResponse, SyncCollection};
use eas_rpc::collections::collections_client::CollectionsClient;
use eas_rpc::mail::mail_client::MailClient;
use eas_rpc::mail::{self as wire, MessageRef, MoveRequest, SetFlagRequest, SetReadRequest};
use eas_rpc::Channel;
use eas_rpc::RemoteFolder;
use eas_sync::FilterType;
use eas_sync::{AddDecision, ChangeDecision, DeleteDecision, Session, SyncError};

use super::{ClassHandler, Rendered, SyncInput};
use crate::context::RequestCtx;
use crate::drafts::takes_drafts;
use crate::email::{body_requests, change, email, into_email, wire_flag};
use crate::error::EdgeError;
use crate::sync::{fetch_messages, get_messages, DELETED_ITEMS};

/// Folder types of mail folders (MS-ASCMD 2.2.3.186.3).
pub(crate) const MAIL_TYPES: [u32; 6] = [2, 3, 4, 5, 6, 12];

/// The Email class: mail folders on the mail service.
pub struct MailClass {
    mail: MailClient<Channel>,
    collections: CollectionsClient<Channel>,
}

impl MailClass {
    /// The class over `channel`, on which the mail service serves its API and the collection
    /// contract.
    pub fn new(channel: Channel) -> MailClass {
        MailClass {
            mail: eas_rpc::mail_client(channel.clone()),
            collections: eas_rpc::collections_client(channel),
        }
    }

    pub fn mail(&self) -> &MailClient<Channel> {
        &self.mail
    }
}

#[async_trait]
impl ClassHandler for MailClass {
    fn class(&self) -> DataClass {
        DataClass::Mail
    }

    fn name(&self) -> &'static str {
        "Email"
    }

    fn owns(&self, folder_type: u32) -> bool {
        MAIL_TYPES.contains(&folder_type)
    }

    fn filter(&self, asked: FilterType) -> FilterType {
        asked
    }

    fn collections(&self) -> &CollectionsClient<Channel> {
        &self.collections
    }

    async fn client_commands(
        &self,
        input: &SyncInput<'_>,
        session: &mut Session,
        responses: &mut Vec<ItemResponse>,
    ) -> Result<(), SyncError> {
        client_commands(
            input.ctx,
            &self.mail,
            input.source,
            input.folders,
            input.folder,
            input.coll,
            input.prefs,
            session,
            responses,
        )
        .await
    }

    async fn render(
        &self,
        input: &SyncInput<'_>,
        adds: Vec<String>,
        changes: Vec<String>,
        budget: u64,
    ) -> Result<Rendered, EdgeError> {
        let user = input.ctx.user.address.as_str();
        // A Change carries Read and Flag only: no body is read for it.
        let changed = fetch_messages(&self.mail, user, changes, Vec::new(), 0, true).await?;
        // Adds in the plan's order, within the budget (at least the first one).
        let added = fetch_messages(
            &self.mail,
            user,
            adds,
            body_requests(input.prefs),
            budget.max(1),
            false,
        )
        .await?;
        let mut out = Rendered {
            omitted: added.omitted,
            bytes: added.bytes,
            ..Rendered::default()
        };
        for (id, m) in added.messages {
            let data = into_email(m)
                .properties(input.ctx.version)
                .map_err(|e| EdgeError::Internal(e.to_string()))?;
            out.adds.insert(id, data);
        }
        for (id, m) in changed.messages {
            out.changes.insert(id, change(&m).properties());
        }
        Ok(out)
    }
}

/// Applies the client's Add, Change, Delete and Fetch commands (MS-ASCMD 2.2.3.24).
#[allow(clippy::too_many_arguments)]
async fn client_commands(
    ctx: &RequestCtx,
    mail: &MailClient<Channel>,
    source: &RemoteFolder,
    folders: &HashMap<String, wire::Folder>,
    folder: &wire::Folder,
    coll: &SyncCollection,
    prefs: &[eas_protocol::body::BodyPreference],
    session: &mut Session,
    responses: &mut Vec<ItemResponse>,
) -> Result<(), SyncError> {
    let user = ctx.user.address.clone();
    let mut c = mail.clone();
    let change_ids: Vec<String> = coll
        .commands
        .iter()
        .filter_map(|c| match c {
            ClientCommand::Change { server_id, .. } => Some(server_id.clone()),
            _ => None,
        })
        .collect();
    let mut decisions = if change_ids.is_empty() {
        Vec::new()
    } else {
        session.client_changes(source, &change_ids).await?
    }
    .into_iter();
    let deleted_items = folders
        .values()
        .find(|f| f.folder_type == DELETED_ITEMS)
        .map(|f| f.id.clone());
    let mut fetches = Vec::new();
    let io = |s: tonic::Status| {
        SyncError::Source(eas_sync::SourceError::Unavailable(s.message().to_owned()))
    };
    for cmd in &coll.commands {
        match cmd {
            ClientCommand::Add {
                client_id,
                application_data,
                ..
            } => match session.client_add(client_id) {
                AddDecision::AlreadyCreated { server_id } => responses.push(ItemResponse::Add {
                    client_id: client_id.clone(),
                    server_id: Some(server_id),
                    status: SyncStatus::Success,
                }),
                // MS-ASEMAIL 3.1.5.3: from 16.0 a client creates drafts in Drafts.
                AddDecision::Create if takes_drafts(folder.folder_type, ctx.version) => {
                    let added = crate::drafts::add(
                        ctx,
                        mail,
                        &folder.id,
                        client_id,
                        application_data,
                        session,
                    )
                    .await?;
                    responses.push(added);
                }
                // Phones do not create mail through Sync elsewhere, nor drafts before 16.0.
                AddDecision::Create => responses.push(ItemResponse::Add {
                    client_id: client_id.clone(),
                    server_id: None,
                    status: SyncStatus::ConversionError,
                }),
            },
            ClientCommand::Change {
                server_id,
                application_data,
                ..
            } => {
                let decision = decisions.next().unwrap_or(ChangeDecision::NotFound);
                match decision {
                    // MS-ASEMAIL 3.1.5.3: from 16.0 a draft's fields change, or it is sent.
                    ChangeDecision::Apply
                        if takes_drafts(folder.folder_type, ctx.version) && {
                            let fields = DraftFields::from_application_data(application_data);
                            fields
                                .as_ref()
                                .map_or(true, crate::drafts::changes_draft_fields)
                        } =>
                    {
                        let status = match DraftFields::from_application_data(application_data) {
                            Ok(fields) => {
                                crate::drafts::change(ctx, mail, &folder.id, server_id, &fields)
                                    .await?
                            }
                            Err(_) => Some(SyncStatus::ConversionError),
                        };
                        if let Some(status) = status {
                            responses.push(ItemResponse::Change {
                                server_id: server_id.clone(),
                                status,
                            });
                        }
                    }
                    ChangeDecision::Apply => {
                        let Ok(ch) = EmailChange::from_application_data(application_data) else {
                            responses.push(ItemResponse::Change {
                                server_id: server_id.clone(),
                                status: SyncStatus::ConversionError,
                            });
                            continue;
                        };
                        let mut last = None;
                        if let Some(read) = ch.read {
                            let v = c
                                .set_read(SetReadRequest {
                                    user: user.clone(),
                                    id: server_id.clone(),
                                    read,
                                })
                                .await
                                .map_err(io)?
                                .into_inner();
                            last = Some(v);
                        }
                        if let Some(f) = &ch.flag {
                            let v = c
                                .set_flag(SetFlagRequest {
                                    user: user.clone(),
                                    id: server_id.clone(),
                                    flag: Some(wire_flag(f)),
                                })
                                .await
                                .map_err(io)?
                                .into_inner();
                            last = Some(v);
                        }
                        if let Some(v) = last {
                            session.record_client_change(&eas_sync::ItemVersion::from(v));
                        }
                    }
                    ChangeDecision::AlreadyApplied => {}
                    // Server wins (the default): the server's version goes out as a Change.
                    ChangeDecision::Conflict => responses.push(ItemResponse::Change {
                        server_id: server_id.clone(),
                        status: SyncStatus::Conflict,
                    }),
                    ChangeDecision::NotFound => responses.push(ItemResponse::Change {
                        server_id: server_id.clone(),
                        status: SyncStatus::ObjectNotFound,
                    }),
                }
            }
            ClientCommand::Delete { server_id } => {
                if session.client_delete(server_id) != DeleteDecision::Apply {
                    continue;
                }
                // MS-ASCMD 2.2.3.44: DeletesAsMoves (default true) moves mail to Deleted Items.
                let to_trash = coll.deletes_as_moves()
                    && folder.folder_type != DELETED_ITEMS
                    && deleted_items.is_some();
                let result = match (&deleted_items, to_trash) {
                    (Some(trash), true) => c
                        .move_message(MoveRequest {
                            user: user.clone(),
                            id: server_id.clone(),
                            destination_folder_id: trash.clone(),
                        })
                        .await
                        .map(|_| ()),
                    _ => c
                        .delete_message(MessageRef {
                            user: user.clone(),
                            id: server_id.clone(),
                        })
                        .await
                        .map(|_| ()),
                };
                match result {
                    Ok(()) => session.record_client_delete(server_id),
                    Err(s) if s.code() == tonic::Code::NotFound => {
                        session.record_client_delete(server_id)
                    }
                    Err(s) => return Err(io(s)),
                }
            }
            ClientCommand::Fetch { server_id } => fetches.push(server_id.clone()),
        }
    }
    if !fetches.is_empty() {
        let found = get_messages(mail, &user, fetches.clone(), prefs)
            .await
            .map_err(|e| SyncError::Source(eas_sync::SourceError::Unavailable(e.to_string())))?;
        for id in fetches {
            let resp = match found
                .get(&id)
                .and_then(|m| email(m).properties(ctx.version).ok())
            {
                Some(data) => ItemResponse::Fetch {
                    server_id: id,
                    status: SyncStatus::Success,
                    application_data: Some(data),
                },
                None => ItemResponse::Fetch {
                    server_id: id,
                    status: SyncStatus::ObjectNotFound,
                    application_data: None,
                },
            };
            responses.push(resp);
        }
    }
    Ok(())
}
