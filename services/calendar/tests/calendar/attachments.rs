//! Attachments of events (16.x): bytes sent beside the event by ClientId, FileReferences made
//! by the service, ReadAttachment in chunks for the owner and the users a calendar is shared
//! with, and the bytes deleted with the attachment, the occurrence, the event and the calendar,
//! carried by a move and by an iCalendar export and import, refused over the size limit.

use std::sync::Arc;

use eas_calendar::{CalendarOptions, CalendarService, CalendarStore};
use eas_calendar_model::attachment::FILE_REFERENCE_PREFIX;
use eas_calendar_model::{stored, Attachment, Event, Exception, Moment, Override};
use eas_calendar_model::{Pattern, Recurrence, RecurrenceEnd};
use eas_event_bus::InProcessBus;
use eas_rpc::calendar::{self as wire, Access};
use eas_rpc::ServiceErrorCode as C;

use crate::harness::{at, backend_tests, calendar_of, code, event, read, Wired, OTHER, USER};

/// A new attachment of the phone's Add `client_id`, its bytes to go beside the JSON.
fn added(client_id: &str, name: &str) -> Attachment {
    Attachment {
        client_id: Some(client_id.into()),
        display_name: Some(name.into()),
        content_type: Some("text/plain".into()),
        ..Attachment::default()
    }
}

fn content(client_id: &str, bytes: &[u8]) -> wire::AttachmentContent {
    wire::AttachmentContent {
        client_id: client_id.into(),
        content: bytes.to_vec(),
    }
}

/// Bytes larger than one chunk of the stream, not all alike.
fn big() -> Vec<u8> {
    (0..700_000u32).map(|n| (n % 251) as u8).collect()
}

async fn create(
    w: &mut Wired,
    folder: &str,
    e: &Event,
    contents: Vec<wire::AttachmentContent>,
) -> Result<wire::EventWritten, tonic::Status> {
    w.calendar
        .create_event(wire::CreateEventRequest {
            user: USER.into(),
            folder_id: folder.to_owned(),
            json: stored::to_json(e),
            client_uid: String::new(),
            attachments: contents,
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn update(
    w: &mut Wired,
    folder: &str,
    id: &str,
    e: &Event,
    contents: Vec<wire::AttachmentContent>,
) -> Result<wire::EventWritten, tonic::Status> {
    w.calendar
        .update_event(wire::UpdateEventRequest {
            user: USER.into(),
            folder_id: folder.to_owned(),
            id: id.to_owned(),
            json: stored::to_json(e),
            if_modseq: 0,
            attachments: contents,
        })
        .await
        .map(tonic::Response::into_inner)
}

/// The event as stored.
async fn stored_event(w: &mut Wired, folder: &str, id: &str) -> Event {
    let list = w
        .calendar
        .get_events(wire::GetEventsRequest {
            user: USER.into(),
            folder_id: folder.to_owned(),
            ids: vec![id.to_owned()],
        })
        .await
        .unwrap()
        .into_inner();
    read(&list.events[0].json)
}

/// ReadAttachment read to its end: the chunks' bytes and the total the first one announced.
async fn fetch(
    w: &mut Wired,
    user: &str,
    file_reference: &str,
) -> Result<(Vec<u8>, u64, usize), tonic::Status> {
    let mut stream = w
        .calendar
        .read_attachment(wire::AttachmentRef {
            user: user.into(),
            file_reference: file_reference.into(),
        })
        .await?
        .into_inner();
    let (mut data, mut total, mut chunks) = (Vec::new(), None, 0);
    while let Some(chunk) = stream.message().await? {
        total.get_or_insert(chunk.total_size);
        data.extend(chunk.data);
        chunks += 1;
    }
    Ok((data, total.unwrap_or_default(), chunks))
}

/// The code ReadAttachment fails with.
async fn fetch_code(w: &mut Wired, user: &str, file_reference: &str) -> C {
    match fetch(w, user, file_reference).await {
        Ok(_) => panic!("{user} read {file_reference}"),
        Err(s) => eas_rpc::ServiceError::from_status(&s).code,
    }
}

backend_tests! {
    async fn an_added_attachment_gets_a_file_reference_and_is_read_back_in_chunks(db: &TestDb) {
        let mut w = db.wired().await;
        let folder = calendar_of(&w.service, USER).await.to_string();
        let mut e = event("With files", 1_700_000_000, 1_700_003_600);
        e.attachments = vec![added("c1", "big.bin"), added("c2", "small.txt")];
        let bytes = big();
        let c = create(&mut w, &folder, &e, vec![content("c2", b"small"), content("c1", &bytes)]).await.unwrap();
        let written = read(&c.json);
        let [first, second] = written.attachments.as_slice() else { panic!("{written:?}") };
        for a in [first, second] {
            assert!(a.file_reference.starts_with(FILE_REFERENCE_PREFIX), "{a:?}");
        }
        assert_ne!(first.file_reference, second.file_reference);
        assert_eq!((first.size, second.size), (bytes.len() as u64, 5));
        assert_eq!(first.client_id.as_deref(), Some("c1"));
        assert_eq!(first.display_name.as_deref(), Some("big.bin"));
        assert_eq!(stored_event(&mut w, &folder, &c.id).await, written);
        let (data, total, chunks) = fetch(&mut w, USER, &first.file_reference).await.unwrap();
        assert_eq!((data == bytes, total), (true, bytes.len() as u64));
        assert!(chunks >= 3, "{chunks} chunks");
        assert_eq!(fetch(&mut w, USER, &second.file_reference).await.unwrap().0, b"small");
        // A reference that is not the service's, or not made, names nothing.
        for bad in ["", "12:1", "cal:att:0123456789abcdef0123456789abcdef", "cal:7"] {
            assert_eq!(fetch_code(&mut w, USER, bad).await, C::NotFound, "{bad:?}");
        }
    }

    async fn bytes_missing_stray_or_too_large_and_foreign_references_are_refused(db: &TestDb) {
        let mut w = db.wired().await;
        let folder = calendar_of(&w.service, USER).await.to_string();
        let mut e = event("Files", 1_700_000_000, 1_700_003_600);
        e.attachments = vec![added("c1", "a.txt")];
        let refused = create(&mut w, &folder, &e, Vec::new()).await;
        assert_eq!(code(refused.map(tonic::Response::new)), C::InvalidArgument);
        let stray = create(&mut w, &folder, &e, vec![content("c1", b"a"), content("c9", b"b")]).await;
        assert_eq!(code(stray.map(tonic::Response::new)), C::InvalidArgument);
        // Nothing was written by the refusals.
        assert_eq!(w.service.folder_state(USER, folder.parse().unwrap()).await.unwrap().counter, 0);
        let one = create(&mut w, &folder, &e, vec![content("c1", b"a")]).await.unwrap();
        let theirs = read(&one.json).attachments[0].file_reference.clone();
        // Another event may not take this one's bytes by naming its FileReference.
        let mut other = event("Other", 1_700_000_000, 1_700_003_600);
        other.attachments = vec![Attachment { file_reference: theirs.clone(), size: 1, ..Attachment::default() }];
        let taken = create(&mut w, &folder, &other, Vec::new()).await;
        assert_eq!(code(taken.map(tonic::Response::new)), C::InvalidArgument);
        let plain = create(&mut w, &folder, &event("Plain", 0, 60), Vec::new()).await.unwrap();
        let taken = update(&mut w, &folder, &plain.id, &other, Vec::new()).await;
        assert_eq!(code(taken.map(tonic::Response::new)), C::InvalidArgument);
        assert!(stored_event(&mut w, &folder, &plain.id).await.attachments.is_empty());

        // A service that takes at most 16 bytes refuses 17, and says why.
        let small = CalendarStore::connect(db.url(), &CalendarOptions { max_attachment_bytes: 16, ..CalendarOptions::default() })
            .await
            .unwrap();
        let service = CalendarService::new(small, Arc::new(InProcessBus::new()));
        let mut e = event("Big", 1_700_000_000, 1_700_003_600);
        e.attachments = vec![added("c1", "big.bin")];
        let json = stored::to_json(&e);
        let too_big = service.create_event_with(USER, folder.parse().unwrap(), &json, "", vec![("c1".into(), vec![0; 17])]).await;
        match too_big {
            Err(err @ eas_calendar::CalendarError::AttachmentTooLarge { size: 17, max: 16 }) => {
                assert_eq!(eas_rpc::ServiceError::from(err).code, C::InvalidArgument);
            }
            other => panic!("expected too large, got {other:?}"),
        }
        assert!(service.create_event_with(USER, folder.parse().unwrap(), &json, "", vec![("c1".into(), vec![0; 16])]).await.is_ok());
    }

    async fn a_change_keeps_the_attachments_it_lists_and_deletes_the_others(db: &TestDb) {
        let mut w = db.wired().await;
        let folder = calendar_of(&w.service, USER).await.to_string();
        let mut e = event("Files", 1_700_000_000, 1_700_003_600);
        e.attachments = vec![added("c1", "a.txt"), added("c2", "b.txt")];
        let c = create(&mut w, &folder, &e, vec![content("c1", b"a"), content("c2", b"b")]).await.unwrap();
        let mut stored = read(&c.json);
        let (a, b) = (stored.attachments[0].clone(), stored.attachments[1].clone());
        // The subject changes, `a` goes, `c3` comes.
        stored.subject = Some("Files, again".into());
        stored.attachments = vec![b.clone(), added("c3", "c.txt")];
        update(&mut w, &folder, &c.id, &stored, vec![content("c3", b"c")]).await.unwrap();
        let now = stored_event(&mut w, &folder, &c.id).await;
        assert_eq!(now.attachments.len(), 2);
        assert_eq!(now.attachments[0], b);
        assert_eq!(fetch_code(&mut w, USER, &a.file_reference).await, C::NotFound);
        assert_eq!(fetch(&mut w, USER, &b.file_reference).await.unwrap().0, b"b");
        assert_eq!(fetch(&mut w, USER, &now.attachments[1].file_reference).await.unwrap().0, b"c");
        // The event deleted: its bytes with it.
        w.calendar
            .delete_event(wire::DeleteEventRequest { user: USER.into(), folder_id: folder.clone(), id: c.id.clone() })
            .await
            .unwrap();
        for att in &now.attachments {
            assert_eq!(fetch_code(&mut w, USER, &att.file_reference).await, C::NotFound);
        }
    }

    async fn an_occurrence_keeps_its_own_attachments_until_it_goes(db: &TestDb) {
        let mut w = db.wired().await;
        let folder = calendar_of(&w.service, USER).await.to_string();
        let mut e = event("Weekly", 1_700_000_000, 1_700_003_600);
        e.recurrence = Some(Recurrence::new(Pattern::Daily).with_end(RecurrenceEnd::Count(5)));
        let key = Moment::At(at(1_700_000_000 + 86_400));
        e.exceptions.insert(key, Exception { attachments: Override::Set(vec![added("x1", "minutes.txt")]), ..Exception::default() });
        let c = create(&mut w, &folder, &e, vec![content("x1", b"minutes")]).await.unwrap();
        let mut stored = read(&c.json);
        let Override::Set(own) = &stored.exceptions[&key].attachments else { panic!("{stored:?}") };
        let reference = own[0].file_reference.clone();
        assert_eq!(fetch(&mut w, USER, &reference).await.unwrap().0, b"minutes");
        // The occurrence deleted: its attachment goes.
        stored.exceptions.insert(key, Exception::deleted());
        update(&mut w, &folder, &c.id, &stored, Vec::new()).await.unwrap();
        assert_eq!(fetch_code(&mut w, USER, &reference).await, C::NotFound);
    }

    async fn a_move_carries_the_bytes_and_a_deleted_calendar_takes_them(db: &TestDb) {
        let mut w = db.wired().await;
        let folder = calendar_of(&w.service, USER).await.to_string();
        let (team, _) = w.service.create_folder(USER, None, "Team").await.unwrap();
        let team = team.id.to_string();
        let mut e = event("Files", 1_700_000_000, 1_700_003_600);
        e.attachments = vec![added("c1", "a.txt")];
        let c = create(&mut w, &folder, &e, vec![content("c1", b"moved bytes")]).await.unwrap();
        let reference = read(&c.json).attachments[0].file_reference.clone();
        let moved = w
            .calendar
            .move_event(wire::MoveEventRequest { user: USER.into(), from_folder_id: folder.clone(), id: c.id.clone(), to_folder_id: team.clone() })
            .await
            .unwrap()
            .into_inner();
        let there = stored_event(&mut w, &team, &moved.id).await;
        assert_eq!(there.attachments[0].file_reference, reference);
        assert_eq!(fetch(&mut w, USER, &reference).await.unwrap().0, b"moved bytes");
        // The moved event changes in its new calendar and keeps its attachment.
        let mut changed = there.clone();
        changed.subject = Some("Moved".into());
        update(&mut w, &team, &moved.id, &changed, Vec::new()).await.unwrap();
        assert_eq!(fetch(&mut w, USER, &reference).await.unwrap().0, b"moved bytes");
        w.service.delete_folder(USER, team.parse().unwrap()).await.unwrap();
        assert_eq!(fetch_code(&mut w, USER, &reference).await, C::NotFound);
    }

    async fn another_user_reads_an_attachment_only_while_the_calendar_is_shared(db: &TestDb) {
        let mut w = db.wired().await;
        let folder = calendar_of(&w.service, USER).await.to_string();
        calendar_of(&w.service, OTHER).await;
        let mut e = event("Files", 1_700_000_000, 1_700_003_600);
        e.attachments = vec![added("c1", "a.txt")];
        let c = create(&mut w, &folder, &e, vec![content("c1", b"private")]).await.unwrap();
        let reference = read(&c.json).attachments[0].file_reference.clone();
        assert_eq!(fetch_code(&mut w, OTHER, &reference).await, C::NotFound);
        w.calendar
            .grant_share(wire::GrantShareRequest { owner: USER.into(), folder_id: folder.clone(), grantee: OTHER.into(), access: Access::Read.into() })
            .await
            .unwrap();
        assert_eq!(fetch(&mut w, OTHER, &reference).await.unwrap().0, b"private");
        w.calendar
            .revoke_share(wire::RevokeShareRequest { owner: USER.into(), folder_id: folder.clone(), grantee: OTHER.into() })
            .await
            .unwrap();
        assert_eq!(fetch_code(&mut w, OTHER, &reference).await, C::NotFound);
    }

    async fn an_icalendar_export_and_import_keep_name_type_and_bytes(db: &TestDb) {
        let mut w = db.wired().await;
        let folder = calendar_of(&w.service, USER).await;
        let (copy, _) = w.service.create_folder(USER, None, "Copy").await.unwrap();
        let mut e = event("Files", 1_700_000_000, 1_700_003_600);
        e.uid = Some("files-1".into());
        e.attachments = vec![added("c1", "notes.txt")];
        let bytes = big();
        let c = create(&mut w, &folder.to_string(), &e, vec![content("c1", &bytes)]).await.unwrap();
        let original = read(&c.json).attachments[0].clone();
        let (file, count) = w.service.export_ical(USER, folder).await.unwrap();
        assert_eq!(count, 1);
        let unfolded = file.replace("\r\n ", "");
        assert!(unfolded.contains("ATTACH;VALUE=BINARY;ENCODING=BASE64;FMTTYPE=text/plain;X-FILENAME=notes.txt:"), "{}", &file[..file.len().min(2000)]);
        let imported = w.service.import_ical(USER, Some(copy.id), file.as_bytes(), chrono_tz::UTC).await.unwrap();
        assert!(imported.errors.is_empty(), "{:?}", imported.errors);
        let again = read(&w.service.get_events(USER, copy.id, &imported.ids).await.unwrap()[0].json);
        let [a] = again.attachments.as_slice() else { panic!("{again:?}") };
        assert_ne!(a.file_reference, original.file_reference);
        assert_eq!((a.display_name.as_deref(), a.content_type.as_deref(), a.size), (Some("notes.txt"), Some("text/plain"), bytes.len() as u64));
        assert_eq!(fetch(&mut w, USER, &a.file_reference).await.unwrap().0, bytes);
        // Imported again over itself (same UID): the event is replaced, the old bytes go.
        let (file, _) = w.service.export_ical(USER, copy.id).await.unwrap();
        w.service.import_ical(USER, Some(copy.id), file.as_bytes(), chrono_tz::UTC).await.unwrap();
        let replaced = read(&w.service.get_events(USER, copy.id, &imported.ids).await.unwrap()[0].json);
        assert_eq!(fetch_code(&mut w, USER, &a.file_reference).await, C::NotFound);
        assert_eq!(fetch(&mut w, USER, &replaced.attachments[0].file_reference).await.unwrap().0, bytes);
    }

    async fn an_export_larger_than_a_grpc_message_is_streamed_whole(db: &TestDb) {
        let mut w = db.wired().await;
        let folder = calendar_of(&w.service, USER).await.to_string();
        let bytes: Vec<u8> = (0..9u32 << 20).map(|n| (n % 251) as u8).collect();
        for n in 0..2 {
            let mut e = event(&format!("Big {n}"), 1_700_000_000, 1_700_003_600);
            e.attachments = vec![added("c1", "big.bin")];
            create(&mut w, &folder, &e, vec![content("c1", &bytes)]).await.unwrap();
        }
        // 18 MiB of attachments are 24 MiB of base64: more than one gRPC reply may carry.
        let stream = w
            .calendar
            .export_ical(wire::ExportRequest { user: USER.into(), folder_id: folder.clone() })
            .await
            .unwrap()
            .into_inner();
        let file = String::from_utf8(eas_rpc::chunks::collect(stream).await.unwrap()).unwrap();
        assert!(file.len() > eas_rpc::MAX_MESSAGE_BYTES, "{}", file.len());
        assert_eq!(file.matches("BEGIN:VEVENT").count(), 2);
        assert!(file.trim_end().ends_with("END:VCALENDAR"));
    }
}
