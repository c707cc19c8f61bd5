//! The gRPC face over an in-process channel, as the one-process server connects the edge:
//! ClientUid retries, UIDs the service fills in, each call's answer and each error's code as the
//! edge decodes it (`eas_rpc::ServiceError`).

use eas_calendar_model::stored;
use eas_rpc::calendar::{self as wire};
use eas_rpc::collections::{ChangesRequest, CurrentRequest, ListFoldersRequest};
use eas_rpc::ServiceErrorCode as C;

use crate::harness::{backend_tests, calendar_of, code, event, event_json, read, OTHER, USER};

fn create(folder: &str, json: String, client_uid: &str) -> wire::CreateEventRequest {
    wire::CreateEventRequest {
        user: USER.into(),
        folder_id: folder.to_owned(),
        json,
        client_uid: client_uid.to_owned(),
        attachments: Vec::new(),
    }
}

backend_tests! {
    async fn a_repeated_add_with_one_client_uid_returns_the_first_event(db: &TestDb) {
        let mut w = db.wired().await;
        let folder = calendar_of(&w.service, USER).await.to_string();
        let first = w.calendar.create_event(create(&folder, event_json("Standup", 1_700_000_000, 1_700_000_900), "client-1")).await.unwrap().into_inner();
        assert!(!first.existed);
        assert_eq!(read(&first.json).client_uid.as_deref(), Some("client-1"));
        let counter = w.service.folder_state(USER, folder.parse().unwrap()).await.unwrap().counter;
        // The phone did not see the answer and sends the same Add again, even with other
        // content: the first event comes back and nothing is written.
        let retry = w.calendar.create_event(create(&folder, event_json("Standup!", 1_700_000_000, 1_700_000_900), "client-1")).await.unwrap().into_inner();
        assert!(retry.existed);
        assert_eq!((retry.id.as_str(), retry.modseq, retry.json.as_str()), (first.id.as_str(), first.modseq, first.json.as_str()));
        assert_eq!(w.service.folder_state(USER, folder.parse().unwrap()).await.unwrap().counter, counter);
        let log = w.collections.changes_since(ChangesRequest { user: USER.into(), folder_id: folder.clone(), after: None, limit: 100 }).await.unwrap().into_inner();
        assert_eq!(log.items.len(), 1);
        // A ClientUid carried in the event itself counts the same; another one adds.
        let mut carried = event("Standup", 1_700_000_000, 1_700_000_900);
        carried.client_uid = Some("client-1".into());
        let again = w.calendar.create_event(create(&folder, stored::to_json(&carried), "")).await.unwrap().into_inner();
        assert_eq!((again.existed, again.id.as_str()), (true, first.id.as_str()));
        let other = w.calendar.create_event(create(&folder, event_json("Standup", 1_700_000_000, 1_700_000_900), "client-2")).await.unwrap().into_inner();
        assert!(!other.existed);
        assert_ne!(other.id, first.id);
        // Without a ClientUid every Add adds.
        let a = w.calendar.create_event(create(&folder, event_json("X", 1_700_000_000, 1_700_000_900), "")).await.unwrap().into_inner();
        let b = w.calendar.create_event(create(&folder, event_json("X", 1_700_000_000, 1_700_000_900), "")).await.unwrap().into_inner();
        assert!(!a.existed && !b.existed && a.id != b.id);
        // The same ClientUid in another calendar is another Add.
        let team = w.service.create_folder(USER, None, "Team").await.unwrap().0.id.to_string();
        let elsewhere = w.calendar.create_event(create(&team, event_json("Standup", 1_700_000_000, 1_700_000_900), "client-1")).await.unwrap().into_inner();
        assert!(!elsewhere.existed);
    }

    async fn concurrent_adds_with_one_client_uid_create_one_event(db: &TestDb) {
        let w = db.wired().await;
        let folder = calendar_of(&w.service, USER).await;
        let mut tasks = Vec::new();
        for n in 0..6 {
            let mut client = w.calendar.clone();
            tasks.push(tokio::spawn(async move {
                client
                    .create_event(create(&folder.to_string(), event_json(&format!("try {n}"), 1_700_000_000, 1_700_000_900), "same-add"))
                    .await
                    .map(|r| r.into_inner())
            }));
        }
        let mut ids = Vec::new();
        let mut added = 0;
        for t in tasks {
            let written = t.await.unwrap().unwrap();
            added += usize::from(!written.existed);
            ids.push(written.id);
        }
        assert_eq!(added, 1);
        ids.dedup();
        assert_eq!(ids.len(), 1, "{ids:?}");
    }

    async fn the_service_gives_an_event_without_uid_a_new_one(db: &TestDb) {
        let mut w = db.wired().await;
        let folder = calendar_of(&w.service, USER).await.to_string();
        let a = w.calendar.create_event(create(&folder, event_json("A", 1_700_000_000, 1_700_000_900), "")).await.unwrap().into_inner();
        let b = w.calendar.create_event(create(&folder, event_json("B", 1_700_000_000, 1_700_000_900), "")).await.unwrap().into_inner();
        let (ua, ub) = (read(&a.json).uid.unwrap(), read(&b.json).uid.unwrap());
        assert_ne!(ua, ub);
        assert!(uuid::Uuid::parse_str(&ua).is_ok(), "{ua}");
        // What the answer says is what is stored.
        let got = w.calendar.get_events(wire::GetEventsRequest { user: USER.into(), folder_id: folder.clone(), ids: vec![a.id.clone()] }).await.unwrap().into_inner();
        assert_eq!(got.events[0].json, a.json);
        // A UID the client gave is kept as it came.
        let mut own = event("C", 1_700_000_000, 1_700_000_900);
        own.uid = Some("040000008200E00074C5B7101A82E008".into());
        let c = w.calendar.create_event(create(&folder, stored::to_json(&own), "")).await.unwrap().into_inner();
        assert_eq!(read(&c.json).uid.as_deref(), own.uid.as_deref());
    }

    async fn bad_input_fails_with_the_shared_codes(db: &TestDb) {
        let mut w = db.wired().await;
        let folder = calendar_of(&w.service, USER).await.to_string();
        let theirs = calendar_of(&w.service, OTHER).await.to_string();
        for bad in ["not json", "{}", r#"{"v":1,"subject":"x"}"#, "[1,2]"] {
            assert_eq!(code(w.calendar.create_event(create(&folder, bad.into(), "")).await), C::InvalidArgument, "{bad}");
        }
        let e = w.calendar.create_event(create(&folder, event_json("A", 1_700_000_000, 1_700_000_900), "")).await.unwrap().into_inner();
        let update = |folder: &str, id: &str, if_modseq: u64| wire::UpdateEventRequest {
            user: USER.into(),
            folder_id: folder.to_owned(),
            id: id.to_owned(),
            json: event_json("B", 1_700_000_000, 1_700_000_900),
            if_modseq,
            attachments: Vec::new(),
        };
        assert_eq!(code(w.calendar.update_event(wire::UpdateEventRequest { json: "nope".into(), ..update(&folder, &e.id, 0) }).await), C::InvalidArgument);
        let u = w.calendar.update_event(update(&folder, &e.id, e.modseq)).await.unwrap().into_inner();
        assert!(u.modseq > e.modseq && !u.existed && u.json.is_empty());
        assert_eq!(code(w.calendar.update_event(update(&folder, &e.id, e.modseq)).await), C::Conflict);
        for id in ["999999", "abc", "07", ""] {
            assert_eq!(code(w.calendar.update_event(update(&folder, id, 0)).await), C::NotFound, "{id:?}");
        }
        // Unknown calendars, ids that are none, and another user's unshared calendar.
        for unknown in [theirs.clone(), "nope".into(), "".into(), "-1".into(), "123456".into()] {
            assert_eq!(code(w.calendar.create_event(create(&unknown, event_json("A", 0, 1), "")).await), C::NotFound, "{unknown:?}");
            assert_eq!(
                code(w.calendar.get_events(wire::GetEventsRequest { user: USER.into(), folder_id: unknown.clone(), ids: vec![] }).await),
                C::NotFound
            );
            assert_eq!(code(w.calendar.update_event(update(&unknown, &e.id, 0)).await), C::NotFound);
            assert_eq!(
                code(w.calendar.delete_event(wire::DeleteEventRequest { user: USER.into(), folder_id: unknown.clone(), id: e.id.clone() }).await),
                C::NotFound
            );
            assert_eq!(
                code(w.collections.changes_since(ChangesRequest { user: USER.into(), folder_id: unknown.clone(), after: None, limit: 10 }).await),
                C::NotFound
            );
            assert_eq!(
                code(w.collections.current_versions(CurrentRequest { user: USER.into(), folder_id: unknown.clone(), ids: vec![e.id.clone()] }).await),
                C::NotFound
            );
            assert_eq!(
                code(w.calendar.export_ical(wire::ExportRequest { user: USER.into(), folder_id: unknown.clone() }).await),
                C::NotFound
            );
        }
        assert_eq!(
            code(w.calendar.move_event(wire::MoveEventRequest { user: USER.into(), from_folder_id: folder.clone(), id: e.id.clone(), to_folder_id: folder.clone() }).await),
            C::SameFolder
        );
        assert_eq!(
            code(w.calendar.move_event(wire::MoveEventRequest { user: USER.into(), from_folder_id: folder.clone(), id: e.id.clone(), to_folder_id: theirs.clone() }).await),
            C::NotFound
        );
        assert_eq!(code(w.collections.list_folders(ListFoldersRequest { user: "nobody".into() }).await), C::InvalidArgument);
        // Reads: ids that name nothing are left out, versions too.
        let got = w.calendar.get_events(wire::GetEventsRequest { user: USER.into(), folder_id: folder.clone(), ids: vec![e.id.clone(), "x".into(), "0".into(), "07".into()] }).await.unwrap().into_inner();
        assert_eq!(got.events.len(), 1);
        let current = w.collections.current_versions(CurrentRequest { user: USER.into(), folder_id: folder.clone(), ids: vec![e.id.clone(), "x".into()] }).await.unwrap().into_inner();
        assert_eq!(current.items.len(), 1);
        assert_eq!((current.items[0].modseq, current.counter), (u.modseq, u.modseq));
    }

    async fn folder_calls_answer_and_fail_with_the_shared_codes(db: &TestDb) {
        let mut w = db.wired().await;
        let calendar = calendar_of(&w.service, USER).await.to_string();
        let req = |parent: &str, name: &str| wire::CreateFolderRequest { user: USER.into(), parent_id: parent.to_owned(), display_name: name.to_owned() };
        let work = w.calendar.create_folder(req("", "Work")).await.unwrap().into_inner();
        let f = work.folder.clone().unwrap();
        assert_eq!((f.parent_id.as_str(), f.folder_type, f.owner.as_str(), f.read_only), ("0", 13, "", false));
        assert_eq!(code(w.calendar.create_folder(req("0", "work")).await), C::AlreadyExists);
        assert_eq!(code(w.calendar.create_folder(req("0", "")).await), C::InvalidArgument);
        assert_eq!(code(w.calendar.create_folder(req("12345", "X")).await), C::NotFound);
        assert_eq!(code(w.calendar.delete_folder(wire::DeleteFolderRequest { user: USER.into(), folder_id: calendar.clone() }).await), C::SpecialFolder);
        assert_eq!(
            code(w.calendar.update_folder(wire::UpdateFolderRequest { user: USER.into(), folder_id: calendar.clone(), parent_id: "0".into(), display_name: "X".into() }).await),
            C::SpecialFolder
        );
        assert_eq!(
            code(w.calendar.update_folder(wire::UpdateFolderRequest { user: USER.into(), folder_id: f.id.clone(), parent_id: f.id.clone(), display_name: "Work".into() }).await),
            C::FolderCycle
        );
        let renamed = w.calendar
            .update_folder(wire::UpdateFolderRequest { user: USER.into(), folder_id: f.id.clone(), parent_id: calendar.clone(), display_name: "Job".into() })
            .await
            .unwrap()
            .into_inner();
        let r = renamed.folder.unwrap();
        assert_eq!((r.display_name.as_str(), r.parent_id.as_str()), ("Job", calendar.as_str()));
        assert!(renamed.hierarchy_counter > work.hierarchy_counter);
        let gone = w.calendar.delete_folder(wire::DeleteFolderRequest { user: USER.into(), folder_id: f.id.clone() }).await.unwrap().into_inner();
        assert!(gone.hierarchy_counter > renamed.hierarchy_counter);
        assert_eq!(code(w.calendar.delete_folder(wire::DeleteFolderRequest { user: USER.into(), folder_id: f.id.clone() }).await), C::NotFound);
    }
}
