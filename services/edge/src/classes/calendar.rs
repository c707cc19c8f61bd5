//! The Calendar class (MS-ASCAL) on the calendar service: events rendered from their stored form
//! as `ApplicationData` at 12.0 to 16.1, and the client's Add, Change, Delete and Fetch
//! (MS-ASCMD 2.2.3.24) applied with ghosting (MS-ASCMD 2.2.3.179; MS-ASCAL 3.1.5.3: every
//! property from 16.0), one occurrence changed or deleted by `InstanceId` at 16.x (MS-ASCMD
//! 2.2.3.24, 2.2.3.42.2), the UID the server makes at 16.x returned in the Add response
//! (MS-ASCAL 2.2.2.46) and `ClientUid` retries answered with the first event (2.2.2.13).
//! Calendars shared with the user read-only refuse a phone's write and send the original back.
//! At 16.x attachments (MS-ASAIRS 2.2.2.8) travel with the event: the bytes of an `Add` go to
//! the service beside the event, the Add response answers each `ClientId` with its
//! `FileReference` (R1082), and ItemOperations fetches their content by it.

use async_trait::async_trait;
use chrono::Utc;
use chrono_tz::Tz;
use eas_calendar_model::eas::{self as model, ApplyOptions, EasContext, RenderOptions};
use eas_calendar_model::time::parse_eas_datetime;
use eas_calendar_model::{stored, Event, Field, FieldSet, SupportedSet};
use eas_event_bus::DataClass;
use eas_protocol::item_operations::FetchRequest;
use eas_protocol::status::SyncStatus;
use eas_protocol::sync::ItemResponse;
use eas_rpc::calendar::calendar_client::CalendarClient;
use eas_rpc::calendar::{
    AttachmentContent, AttachmentRef, CreateEventRequest, StoredEvent, UpdateEventRequest,
};
use eas_rpc::collections::collections_client::CollectionsClient;
use eas_rpc::{Channel, ServiceError, ServiceErrorCode};
use eas_sync::{FilterType, ItemSource, Session, SyncError};
use eas_wbxml::tags::calendar as cal;
use eas_wbxml::Element;
use serde::Deserialize;

use super::pim::{self, notes_truncation, written, PimClass};
use super::{unavailable, OpenedContent, SyncInput};
use crate::error::EdgeError;
use crate::pipeline::context::RequestCtx;

/// Folder types of calendars (MS-ASCMD 2.2.3.186.3): 8, the default Calendar, and 13, a calendar
/// the user created or one shared with them.
pub(crate) const CALENDAR_TYPES: [u32; 2] = [8, 13];

/// The calendar folder type a device may create, rename, move and delete: 13.
const USER_FOLDER_TYPES: [u32; 1] = [13];

/// Events fetched per call.
const FETCH_BATCH: usize = 32;

/// What the server assumes about a user's calendar where the phone says nothing (settings
/// `edge.calendar.*`).
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CalendarSettings {
    /// The IANA zone of the users: up to 14.1 all-day events go out at its midnights, and times
    /// that come without a `Timezone` (or with one no zone matches) are read in it.
    pub time_zone: String,
    /// The first day of the week (0 Sunday to 6 Saturday) for a weekly series sent without
    /// `FirstDayOfWeek` (MS-ASCAL 2.2.2.22).
    pub first_day_of_week: u8,
    /// The device types (`DeviceType` of the request line, compared without regard to case)
    /// whose FolderSync offers the calendars other users shared with the user. Phones that show
    /// several calendars side by side (iOS) take them; Android's and Samsung's built-in clients
    /// show only the default calendar or merge them (PIM_FACTS 4), so they are left out unless
    /// an administrator turns them on for one device.
    pub shared_calendar_device_types: Vec<String>,
}

impl Default for CalendarSettings {
    fn default() -> Self {
        CalendarSettings {
            time_zone: "UTC".into(),
            first_day_of_week: 1,
            shared_calendar_device_types: vec!["iPhone".into(), "iPad".into()],
        }
    }
}

impl CalendarSettings {
    /// The zone, or why the setting is refused.
    pub fn zone(&self) -> Result<Tz, String> {
        eas_calendar_model::time::zone_named(&self.time_zone).ok_or_else(|| {
            format!(
                "edge.calendar.time_zone {:?} is not an IANA time zone",
                self.time_zone
            )
        })
    }

    /// Whether a device of this type is offered shared calendars, unless its own setting says
    /// otherwise.
    pub fn offers_shared(&self, device_type: &str) -> bool {
        self.shared_calendar_device_types
            .iter()
            .any(|t| t.eq_ignore_ascii_case(device_type))
    }

    pub fn check(&self) -> Result<(), String> {
        self.zone()?;
        if self.first_day_of_week > 6 {
            return Err("edge.calendar.first_day_of_week must be 0 (Sunday) to 6".into());
        }
        Ok(())
    }
}

/// The zone of a user: their own (set through the admin API, checked there), else `server`.
/// A stored name this build's zone table does not know falls back to `server`.
pub(crate) fn user_zone(prefs: &eas_directory::CalendarPreferences, server: Tz) -> Tz {
    prefs
        .time_zone
        .as_deref()
        .and_then(eas_calendar_model::time::zone_named)
        .unwrap_or(server)
}

/// The Calendar class: calendars on the calendar service.
pub struct CalendarClass {
    calendar: CalendarClient<Channel>,
    collections: CollectionsClient<Channel>,
    zone: Tz,
    first_day_of_week: u8,
}

impl CalendarClass {
    /// The class over `channel`, on which the calendar service serves its API and the
    /// collection contract. A zone setting that is not an IANA zone falls back to UTC (the
    /// configuration check refuses it at start-up).
    pub fn new(channel: Channel, settings: &CalendarSettings) -> CalendarClass {
        CalendarClass {
            calendar: eas_rpc::calendar_client(channel.clone()),
            collections: eas_rpc::collections_client(channel),
            zone: settings.zone().unwrap_or(Tz::UTC),
            first_day_of_week: settings.first_day_of_week.min(6),
        }
    }

    /// The request's context: the user's own zone and first day of the week where the
    /// administrator set them, else the server's.
    fn context(&self, ctx: &RequestCtx) -> EasContext {
        let prefs = &ctx.user.calendar;
        EasContext {
            version: ctx.version,
            user_zone: user_zone(prefs, self.zone),
            first_day_of_week: prefs
                .first_day_of_week
                .filter(|d| *d <= 6)
                .unwrap_or(self.first_day_of_week),
            now: Utc::now(),
        }
    }

    fn options(&self, input: &SyncInput<'_>) -> ApplyOptions {
        ApplyOptions {
            notes_truncated_at: notes_truncation(input.prefs),
            user_email: Some(input.ctx.user.address.clone()),
            user_name: Some(input.ctx.user.display_name.clone()).filter(|n| !n.is_empty()),
            ..ApplyOptions::default()
        }
    }

    /// The stored event and its model; `None` when the folder does not hold it.
    async fn current(
        &self,
        user: &str,
        service_folder: &str,
        id: &str,
    ) -> Result<Option<(StoredEvent, Event)>, SyncError> {
        let mut found = pim::get(self, user, service_folder, vec![id.to_owned()])
            .await
            .map_err(|e| unavailable(e.message))?;
        let Some(current) = found.remove(id) else {
            return Ok(None);
        };
        let event = decode(&current).map_err(unavailable)?;
        Ok(Some((current, event)))
    }

    /// Writes `merged` (with the bytes of the attachments it adds) over `current` if nothing
    /// changed it meanwhile: `None` when written (and recorded, so the change is not echoed
    /// back), the item status otherwise. A read-only share refuses it and the server's version
    /// goes back to the phone. A change that added attachments is not recorded: a Change
    /// response has no `ApplicationData` (SyncResponse.xsd) to answer their FileReferences in,
    /// so the event goes back to the phone as a Change that carries them.
    async fn write(
        &self,
        input: &SyncInput<'_>,
        service_folder: &str,
        current: &StoredEvent,
        merged: &Event,
        attachments: Vec<AttachmentContent>,
        session: &mut Session,
    ) -> Result<Option<SyncStatus>, SyncError> {
        let added = !attachments.is_empty();
        let mut c = self.calendar.clone();
        let reply = c
            .update_event(UpdateEventRequest {
                user: input.ctx.user.address.clone(),
                folder_id: service_folder.to_owned(),
                id: current.id.clone(),
                json: stored::to_json(merged),
                if_modseq: current.modseq,
                attachments,
            })
            .await;
        match reply {
            Ok(r) => {
                let r = r.into_inner();
                if !added {
                    session.record_client_change(&written(r.id, r.modseq));
                }
                Ok(None)
            }
            Err(s) => match ServiceError::from_status(&s) {
                e if e.code == ServiceErrorCode::ReadOnly => {
                    self.refuse(input, &current.id, session, false).await?;
                    Ok(Some(SyncStatus::Conflict))
                }
                e => pim::change_failed::<Self>(input, e),
            },
        }
    }

    /// A write to a calendar shared read-only: the item's current version goes back to the
    /// phone in this response (a Change, or an Add after the phone deleted it).
    async fn refuse(
        &self,
        input: &SyncInput<'_>,
        id: &str,
        session: &mut Session,
        deleted: bool,
    ) -> Result<(), SyncError> {
        tracing::info!(user = %input.ctx.user.address, device_id = %input.ctx.line.device_id, collection_id = %input.coll.collection_id, "write to a read-only calendar refused");
        let versions = input.source.current(&[id.to_owned()]).await?;
        if let Some(v) = versions.into_iter().find(|v| v.id == id && !v.deleted) {
            if deleted {
                session.refuse_client_delete(&v);
            } else {
                session.refuse_client_change(&v);
            }
        }
        Ok(())
    }
}

pim::service_calls! {
    CalendarClass { calendar: calendar, collections },
    get: get_events(GetEventsRequest) -> events: StoredEvent,
    delete: delete_event(DeleteEventRequest),
    move: move_event(MoveEventRequest),
}

#[async_trait]
impl PimClass for CalendarClass {
    type Supported = SupportedSet;

    const CLASS: DataClass = DataClass::Calendar;
    const NAME: &'static str = "Calendar";
    const SERVICE: &'static str = "the calendar service";
    const ITEM: &'static str = "event";
    const TYPES: &'static [u32] = &CALENDAR_TYPES;
    const USER_FOLDER_TYPES: &'static [u32] = &USER_FOLDER_TYPES;
    const FETCH_BATCH: usize = FETCH_BATCH;
    const INSTANCES: bool = true;

    fn take_filter(&self, asked: FilterType) -> Option<FilterType> {
        calendar_filter(asked)
    }

    fn read_supported(elements: &[Element]) -> SupportedSet {
        FieldSet::from_elements(elements)
    }

    fn renderer<'a>(
        &'a self,
        input: &'a SyncInput<'_>,
    ) -> impl Fn(&StoredEvent) -> Result<Vec<Element>, String> + Send + Sync + 'a {
        let ctx = self.context(input.ctx);
        let options = RenderOptions {
            body_preferences: input.prefs,
            schema: None,
        };
        move |e| {
            let event = decode(e)?;
            model::render(&event, &ctx, &options).map_err(|e| e.to_string())
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
        let ctx = self.context(input.ctx);
        let change = match model::parse(data, ctx.version) {
            Ok(c) => c,
            Err(e) => {
                tracing::info!(user = %input.ctx.user.address, device_id = %input.ctx.line.device_id, error = %e, "event refused");
                return Ok(pim::add_refused(client_id, e.sync_status()));
            }
        };
        // MS-ASCAL 2.2.2.46: at 16.x the server makes the UID; up to 14.1 it may when the
        // client sent none.
        let options = ApplyOptions {
            new_uid: Some(new_uid()),
            ..self.options(input)
        };
        let mut event = match model::create(&change, &ctx, &options) {
            Ok(e) => e,
            Err(e) => {
                tracing::info!(user = %input.ctx.user.address, device_id = %input.ctx.line.device_id, error = %e, "event refused");
                return Ok(pim::add_refused(client_id, e.sync_status()));
            }
        };
        let attachments = contents(&mut event);
        let mut c = self.calendar.clone();
        let reply = c
            .create_event(CreateEventRequest {
                user: input.ctx.user.address.clone(),
                folder_id: service_folder.to_owned(),
                json: stored::to_json(&event),
                client_uid: event.client_uid.clone().unwrap_or_default(),
                attachments,
            })
            .await;
        match reply {
            Ok(r) => {
                let r = r.into_inner();
                // The UID the event got, for the phone at 16.x (a repeated ClientUid gets the
                // first event's), and the FileReference of each attachment it added (MS-ASAIRS
                // R1082, R1324 to R1326).
                let written = stored::from_json(&r.json).ok();
                let mut application_data = Vec::new();
                if ctx.is_16() {
                    if let Some(e) = &written {
                        application_data.extend(e.uid.clone().map(|u| Element::text(cal::UID, u)));
                        application_data.extend(added_attachments(e, &change));
                    }
                }
                let application_data = (!application_data.is_empty()).then_some(application_data);
                Ok(pim::added(
                    session,
                    client_id,
                    r.id,
                    r.modseq,
                    application_data,
                ))
            }
            Err(s) => pim::add_failed::<Self>(input, client_id, &s),
        }
    }

    /// A Change the engine decided to apply, of the series or (16.x) of the occurrence at
    /// `instance`: `None` when applied, the item status otherwise.
    #[allow(clippy::too_many_arguments)]
    async fn change(
        &self,
        input: &SyncInput<'_>,
        service_folder: &str,
        server_id: &str,
        instance: Option<&str>,
        data: &[Element],
        supported: Option<&SupportedSet>,
        session: &mut Session,
    ) -> Result<Option<SyncStatus>, SyncError> {
        let user = input.ctx.user.address.as_str();
        let ctx = self.context(input.ctx);
        let change = match model::parse(data, ctx.version) {
            Ok(c) => c,
            Err(e) => {
                tracing::info!(user, device_id = %input.ctx.line.device_id, error = %e, "event change refused");
                return Ok(Some(e.sync_status()));
            }
        };
        let Some((current, event)) = self.current(user, service_folder, server_id).await? else {
            return Ok(Some(SyncStatus::ObjectNotFound));
        };
        let merged = match instance {
            Some(text) => {
                let Some(at) = parse_eas_datetime(text) else {
                    return Ok(Some(SyncStatus::ConversionError));
                };
                model::apply_instance(&event, at, &change, &ctx)
            }
            None => model::apply(&event, &change, supported, &ctx, &self.options(input)),
        };
        let mut merged = match merged {
            Ok(e) => e,
            Err(e) => {
                tracing::info!(user, device_id = %input.ctx.line.device_id, error = %e, "event change refused");
                return Ok(Some(e.sync_status()));
            }
        };
        let attachments = contents(&mut merged);
        self.write(
            input,
            service_folder,
            &current,
            &merged,
            attachments,
            session,
        )
        .await
    }

    /// A Delete the engine decided to apply: of the whole event, or (16.x) of the occurrence
    /// at `instance`. `Some` is the status for the Delete response.
    async fn delete(
        &self,
        input: &SyncInput<'_>,
        service_folder: &str,
        server_id: &str,
        instance: Option<&str>,
        session: &mut Session,
    ) -> Result<Option<SyncStatus>, SyncError> {
        let user = input.ctx.user.address.as_str();
        if let Some(text) = instance {
            let Some(at) = parse_eas_datetime(text) else {
                return Ok(Some(SyncStatus::ConversionError));
            };
            let Some((current, event)) = self.current(user, service_folder, server_id).await?
            else {
                return Ok(Some(SyncStatus::ObjectNotFound));
            };
            return match model::delete_instance(&event, at) {
                Ok(merged) => {
                    self.write(
                        input,
                        service_folder,
                        &current,
                        &merged,
                        Vec::new(),
                        session,
                    )
                    .await
                }
                Err(e) => {
                    tracing::info!(user, device_id = %input.ctx.line.device_id, error = %e, "occurrence delete refused");
                    Ok(Some(e.sync_status()))
                }
            };
        }
        // Calendars have no Deleted Items folder: DeletesAsMoves does not apply.
        match pim::delete_recorded(self, input, service_folder, server_id, session).await {
            Ok(()) => {}
            Err(e) if e.code == ServiceErrorCode::ReadOnly => {
                self.refuse(input, server_id, session, true).await?;
            }
            Err(e) => return Err(unavailable(e.message)),
        }
        Ok(None)
    }

    /// ItemOperations Fetch of one event (MS-ASCMD 2.2.3.67.1): its Calendar-class elements for
    /// the request's BodyPreference, restricted to its `Schema` (MS-ASCAL 3.2.5.1).
    fn fetch_render(
        &self,
        ctx: &RequestCtx,
        item: &StoredEvent,
        request: &FetchRequest,
    ) -> Result<Result<Vec<Element>, String>, EdgeError> {
        let event = decode(item).map_err(EdgeError::Internal)?;
        let schema = request
            .options
            .schema
            .as_ref()
            .map(|els| FieldSet::from_elements(els));
        let options = RenderOptions {
            body_preferences: &request.options.body_preferences,
            schema: schema.as_ref(),
        };
        Ok(model::render(&event, &self.context(ctx), &options).map_err(|e| e.to_string()))
    }

    /// A calendar attachment's content (`cal:att:`, made by the calendar service).
    async fn attachment(&self, user: &str, file_reference: &str) -> Option<OpenedContent> {
        if !file_reference.starts_with(eas_calendar_model::attachment::FILE_REFERENCE_PREFIX) {
            return None;
        }
        let mut c = self.calendar.clone();
        let opened = c
            .read_attachment(AttachmentRef {
                user: user.to_owned(),
                file_reference: file_reference.to_owned(),
            })
            .await;
        Some(opened.map(tonic::Response::into_inner))
    }
}

/// MS-ASCMD 2.2.3.68.2 (R3044 to R3052): 0 and 4 to 7; 1 to 3 and 8 are not for calendars.
fn calendar_filter(asked: FilterType) -> Option<FilterType> {
    match asked {
        FilterType::All
        | FilterType::TwoWeeks
        | FilterType::OneMonth
        | FilterType::ThreeMonths
        | FilterType::SixMonths => Some(asked),
        FilterType::OneDay
        | FilterType::ThreeDays
        | FilterType::OneWeek
        | FilterType::IncompleteTasks => None,
    }
}

/// A new UID for an event (MS-ASCAL 2.2.2.46: at most 300 characters).
fn new_uid() -> String {
    uuid::Uuid::new_v4().to_string().to_uppercase()
}

/// Takes the bytes of the attachments `event` adds, to go beside its stored form.
fn contents(event: &mut Event) -> Vec<AttachmentContent> {
    event
        .take_new_contents()
        .into_iter()
        .map(|(client_id, content)| AttachmentContent { client_id, content })
        .collect()
}

/// The ClientIds of the attachments a phone's `ApplicationData` adds, to the item or to one of
/// its exceptions.
fn added_client_ids(change: &model::EventChange) -> Vec<&str> {
    fn adds(i: Option<&model::Incoming>) -> Vec<&str> {
        match i {
            Some(model::Incoming::Attachments(a)) => {
                a.adds.iter().map(|a| a.client_id.as_str()).collect()
            }
            _ => Vec::new(),
        }
    }
    let mut ids = adds(change.get(Field::Attachments));
    if let Some(model::Incoming::Exceptions(list)) = change.get(Field::Exceptions) {
        for x in list {
            ids.extend(adds(x.fields.get(&Field::Attachments)));
        }
    }
    ids
}

/// MS-ASAIRS R1082, R1324 to R1326: the `Attachments` of an Add response, each attachment the
/// Add brought with its `ClientId` and the `FileReference` the service gave it.
fn added_attachments(written: &Event, change: &model::EventChange) -> Option<Element> {
    let sent = added_client_ids(change);
    eas_protocol::body::added_attachments_element(written.all_attachments().filter_map(|a| {
        let client_id = a.client_id.as_deref()?;
        sent.contains(&client_id)
            .then_some((client_id, a.file_reference.as_str()))
    }))
}

/// A stored event's JSON read back; a form the edge cannot read is a server error.
fn decode(e: &StoredEvent) -> Result<Event, String> {
    stored::from_json(&e.json).map_err(|err| format!("stored event {}: {err}", e.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendars_take_filtertypes_0_and_4_to_7_only() {
        let taken: Vec<u8> = (0..=8)
            .filter_map(FilterType::from_code)
            .filter_map(calendar_filter)
            .map(|f| f.code())
            .collect();
        assert_eq!(taken, [0, 4, 5, 6, 7]);
    }

    #[test]
    fn the_settings_name_an_iana_zone_and_a_weekday() {
        assert!(CalendarSettings::default().check().is_ok());
        let paris = CalendarSettings {
            time_zone: "Europe/Paris".into(),
            first_day_of_week: 0,
            ..CalendarSettings::default()
        };
        assert!(paris.offers_shared("iphone") && paris.offers_shared("iPad"));
        assert!(!paris.offers_shared("Android") && !paris.offers_shared("SAMSUNGSMG991B"));
        assert_eq!(paris.zone(), Ok(chrono_tz::Europe::Paris));
        for bad in [
            CalendarSettings {
                time_zone: "Mars/Olympus".into(),
                ..CalendarSettings::default()
            },
            CalendarSettings {
                first_day_of_week: 7,
                ..CalendarSettings::default()
            },
        ] {
            assert!(bad.check().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_add_response_answers_the_client_ids_of_the_attachments_it_brought() {
        use eas_calendar_model::Attachment;
        use eas_wbxml::tags::air_sync_base as asb;
        let add = |id: &str| {
            Element::new(asb::ADD)
                .with_text(asb::CLIENT_ID, id)
                .with_text(asb::CONTENT, "x")
        };
        let data = [Element::new(asb::ATTACHMENTS)
            .with(add("c1"))
            .with(add("c2"))];
        let change = model::parse(&data, eas_protocol::ProtocolVersion::V16_1).unwrap();
        let ctx = EasContext {
            version: eas_protocol::ProtocolVersion::V16_1,
            user_zone: Tz::UTC,
            first_day_of_week: 1,
            now: Utc::now(),
        };
        let mut event = model::create(&change, &ctx, &ApplyOptions::default()).unwrap();
        // The bytes go beside the event, by ClientId, and leave it.
        let sent = contents(&mut event);
        assert_eq!(
            sent.iter()
                .map(|c| (c.client_id.as_str(), c.content.as_slice()))
                .collect::<Vec<_>>(),
            [("c1", &b"x"[..]), ("c2", &b"x"[..])]
        );
        assert!(event.attachments.iter().all(|a| a.content.is_none()));
        // As the service wrote it: named, with an older attachment of another Add.
        for (n, a) in event.attachments.iter_mut().enumerate() {
            a.file_reference = format!("cal:att:{n}");
        }
        event.attachments.push(Attachment {
            file_reference: "cal:att:old".into(),
            client_id: Some("c0".into()),
            ..Attachment::default()
        });
        let answer = added_attachments(&event, &change).expect("an answer");
        let pairs: Vec<(Option<String>, Option<String>)> = answer
            .children_of(asb::ATTACHMENT)
            .map(|a| {
                (
                    a.child_text(asb::CLIENT_ID),
                    a.child_text(asb::FILE_REFERENCE),
                )
            })
            .collect();
        assert_eq!(
            pairs,
            [
                (Some("c1".into()), Some("cal:att:0".into())),
                (Some("c2".into()), Some("cal:att:1".into()))
            ]
        );
        let none = model::parse(&[], eas_protocol::ProtocolVersion::V16_1).unwrap();
        assert!(added_attachments(&event, &none).is_none());
    }

    #[test]
    fn an_instance_id_is_a_compact_datetime() {
        let at: Option<chrono::DateTime<Utc>> = parse_eas_datetime("20261208T090000Z");
        assert_eq!(
            at.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-12-08T09:00:00+00:00")
        );
    }
}
