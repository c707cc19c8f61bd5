//! Shared calendars over gRPC: the grantee's folder list, reads, the refusal of every write
//! with read access (and nothing changed), writes with read-write access waking the owner and
//! every grantee, renames, revocation, deletion, and a grantee leaving a share by deleting it.

use eas_calendar::{shared_display_name, CALENDAR_FOLDER_NAME};
use eas_event_bus::{DataClass, EventBus, EventFilter};
use eas_rpc::calendar::{self as wire, Access};
use eas_rpc::collections::{ChangesRequest, CurrentRequest, Folder, ListFoldersRequest};
use eas_rpc::ServiceErrorCode as C;

use crate::harness::{
    backend_tests, calendar_of, code, event_json, next_event, no_event, read, Wired, OTHER, USER,
};

const THIRD: &str = "third@example.loc";

fn grant(folder: &str, grantee: &str, access: Access) -> wire::GrantShareRequest {
    wire::GrantShareRequest {
        owner: USER.into(),
        folder_id: folder.to_owned(),
        grantee: grantee.to_owned(),
        access: access.into(),
    }
}

fn revoke(folder: &str, grantee: &str) -> wire::RevokeShareRequest {
    wire::RevokeShareRequest {
        owner: USER.into(),
        folder_id: folder.to_owned(),
        grantee: grantee.to_owned(),
    }
}

async fn list(w: &mut Wired, user: &str) -> (Vec<Folder>, u64) {
    let l = w
        .collections
        .list_folders(ListFoldersRequest { user: user.into() })
        .await
        .unwrap()
        .into_inner();
    (l.folders, l.hierarchy_counter)
}

/// The calendar of that id in a folder list.
fn listed<'a>(folders: &'a [Folder], id: &str) -> Option<&'a Folder> {
    folders.iter().find(|f| f.id == id)
}

async fn create(w: &mut Wired, user: &str, folder: &str, subject: &str) -> wire::EventWritten {
    w.calendar
        .create_event(wire::CreateEventRequest {
            user: user.into(),
            folder_id: folder.to_owned(),
            json: event_json(subject, 1_700_000_000, 1_700_003_600),
            client_uid: String::new(),
            attachments: Vec::new(),
        })
        .await
        .unwrap()
        .into_inner()
}

backend_tests! {
    async fn a_shared_calendar_is_listed_and_read_by_the_grantee(db: &TestDb) {
        let mut w = db.wired().await;
        let calendar = calendar_of(&w.service, USER).await.to_string();
        let e = create(&mut w, USER, &calendar, "Shared lunch").await;
        let (before, counter_before) = list(&mut w, OTHER).await;
        let mut grantee_events = w.bus.subscribe(EventFilter::user(OTHER)).await.unwrap();
        let share = w.calendar.grant_share(grant(&calendar, OTHER, Access::Read)).await.unwrap().into_inner();
        assert_eq!(
            (share.owner.as_str(), share.folder_id.as_str(), share.grantee.as_str(), share.access, share.display_name.as_str()),
            (USER, calendar.as_str(), OTHER, Access::Read as i32, CALENDAR_FOLDER_NAME)
        );
        // The grantee's hierarchy moved in the grant's transaction, and their Ping hears of it.
        let (after, counter_after) = list(&mut w, OTHER).await;
        assert!(counter_after > counter_before);
        let woken = next_event(&mut grantee_events).await;
        assert_eq!((woken.class, woken.hierarchy_changed, woken.counter), (DataClass::Calendar, true, counter_after));
        assert_eq!(after.len(), before.len() + 1);
        let f = listed(&after, &calendar).expect("the shared calendar is listed");
        assert_eq!(
            (f.parent_id.as_str(), f.folder_type, f.owner.as_str(), f.read_only, f.display_name.clone()),
            ("0", 13, USER, true, shared_display_name(CALENDAR_FOLDER_NAME, USER))
        );
        // The grantee's own Calendar stays first and theirs.
        assert_eq!((after[0].folder_type, after[0].owner.as_str()), (8, ""));
        // Reads: the events, the change log, the versions.
        let got = w.calendar.get_events(wire::GetEventsRequest { user: OTHER.into(), folder_id: calendar.clone(), ids: vec![e.id.clone()] }).await.unwrap().into_inner();
        assert_eq!(read(&got.events[0].json).subject.as_deref(), Some("Shared lunch"));
        let log = w.collections.changes_since(ChangesRequest { user: OTHER.into(), folder_id: calendar.clone(), after: None, limit: 10 }).await.unwrap().into_inner();
        assert_eq!((log.items.len(), log.counter), (1, e.modseq));
        let current = w.collections.current_versions(CurrentRequest { user: OTHER.into(), folder_id: calendar.clone(), ids: vec![e.id.clone()] }).await.unwrap().into_inner();
        assert_eq!(current.items[0].modseq, e.modseq);
        let exported = w.calendar.export_ical(wire::ExportRequest { user: OTHER.into(), folder_id: calendar.clone() }).await.unwrap().into_inner();
        let exported = String::from_utf8(eas_rpc::chunks::collect(exported).await.unwrap()).unwrap();
        assert_eq!(exported.matches("BEGIN:VEVENT").count(), 1);
        // Granting what is already granted changes nothing.
        w.calendar.grant_share(grant(&calendar, OTHER, Access::Read)).await.unwrap();
        assert_eq!(list(&mut w, OTHER).await.1, counter_after);
        no_event(&mut grantee_events).await;
        // Both sides see the grant.
        let mine = w.calendar.list_shares(wire::ListSharesRequest { user: USER.into() }).await.unwrap().into_inner();
        assert_eq!((mine.granted.len(), mine.received.len()), (1, 0));
        let theirs = w.calendar.list_shares(wire::ListSharesRequest { user: OTHER.into() }).await.unwrap().into_inner();
        assert_eq!((theirs.granted.len(), theirs.received.len()), (0, 1));
        assert_eq!(theirs.received[0], mine.granted[0]);
    }

    async fn every_write_with_read_access_is_refused_and_changes_nothing(db: &TestDb) {
        let mut w = db.wired().await;
        let calendar = calendar_of(&w.service, USER).await.to_string();
        let own = calendar_of(&w.service, OTHER).await.to_string();
        let e = create(&mut w, USER, &calendar, "Read only").await;
        w.calendar.grant_share(grant(&calendar, OTHER, Access::Read)).await.unwrap();
        let mut events = w.bus.subscribe(EventFilter::all()).await.unwrap();
        let state = w.service.folder_state(USER, calendar.parse().unwrap()).await.unwrap();
        assert_eq!(
            code(w.calendar.update_event(wire::UpdateEventRequest { user: OTHER.into(), folder_id: calendar.clone(), id: e.id.clone(), json: event_json("Hijacked", 1_700_000_000, 1_700_003_600), if_modseq: 0, attachments: Vec::new() }).await),
            C::ReadOnly
        );
        assert_eq!(
            code(w.calendar.create_event(wire::CreateEventRequest { user: OTHER.into(), folder_id: calendar.clone(), json: event_json("New", 0, 1), client_uid: "c".into(), attachments: Vec::new() }).await),
            C::ReadOnly
        );
        assert_eq!(
            code(w.calendar.delete_event(wire::DeleteEventRequest { user: OTHER.into(), folder_id: calendar.clone(), id: e.id.clone() }).await),
            C::ReadOnly
        );
        // Neither out of it nor into it.
        assert_eq!(
            code(w.calendar.move_event(wire::MoveEventRequest { user: OTHER.into(), from_folder_id: calendar.clone(), id: e.id.clone(), to_folder_id: own.clone() }).await),
            C::ReadOnly
        );
        let mine = create(&mut w, OTHER, &own, "Mine").await;
        let _ = next_event(&mut events).await;
        assert_eq!(
            code(w.calendar.move_event(wire::MoveEventRequest { user: OTHER.into(), from_folder_id: own.clone(), id: mine.id.clone(), to_folder_id: calendar.clone() }).await),
            C::ReadOnly
        );
        let ics = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20260310T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        assert_eq!(
            code(w.calendar.import_ical(wire::ImportRequest { user: OTHER.into(), folder_id: calendar.clone(), data: ics.as_bytes().to_vec(), time_zone: String::new() }).await),
            C::ReadOnly
        );
        // Nor may a grantee rename, re-share or withdraw the calendar (a delete leaves the
        // share: the next test).
        assert_eq!(
            code(w.calendar.update_folder(wire::UpdateFolderRequest { user: OTHER.into(), folder_id: calendar.clone(), parent_id: "0".into(), display_name: "Mine".into() }).await),
            C::SpecialFolder
        );
        assert_eq!(
            code(w.calendar.grant_share(wire::GrantShareRequest { owner: OTHER.into(), ..grant(&calendar, THIRD, Access::Read) }).await),
            C::NotFound
        );
        assert_eq!(code(w.calendar.revoke_share(wire::RevokeShareRequest { owner: OTHER.into(), ..revoke(&calendar, OTHER) }).await), C::NotFound);
        assert_eq!(
            code(w.calendar.create_folder(wire::CreateFolderRequest { user: OTHER.into(), parent_id: calendar.clone(), display_name: "Under".into() }).await),
            C::NotFound
        );
        // Nothing changed: the event, its version, the counter; and nobody was woken.
        let got = w.calendar.get_events(wire::GetEventsRequest { user: USER.into(), folder_id: calendar.clone(), ids: vec![e.id.clone()] }).await.unwrap().into_inner();
        assert_eq!((got.events.len(), got.events[0].modseq), (1, e.modseq));
        assert_eq!(read(&got.events[0].json).subject.as_deref(), Some("Read only"));
        assert_eq!(w.service.folder_state(USER, calendar.parse().unwrap()).await.unwrap(), state);
        assert_eq!(w.service.get_events(OTHER, own.parse().unwrap(), &[mine.id.parse().unwrap()]).await.unwrap().len(), 1);
        no_event(&mut events).await;
    }

    async fn a_write_with_read_write_access_wakes_the_owner_and_every_grantee(db: &TestDb) {
        let mut w = db.wired().await;
        let (team, _) = w.service.create_folder(USER, None, "Team").await.unwrap();
        let team = team.id.to_string();
        let e = create(&mut w, USER, &team, "Planning").await;
        w.calendar.grant_share(grant(&team, OTHER, Access::Read)).await.unwrap();
        w.calendar.grant_share(grant(&team, THIRD, Access::Read)).await.unwrap();
        let (_, counter) = list(&mut w, OTHER).await;
        // Read becomes read-write: the grantee's listing changes, so does their counter.
        w.calendar.grant_share(grant(&team, OTHER, Access::ReadWrite)).await.unwrap();
        let (folders, counter_rw) = list(&mut w, OTHER).await;
        assert!(counter_rw > counter);
        assert!(!listed(&folders, &team).unwrap().read_only);
        assert!(listed(&list(&mut w, THIRD).await.0, &team).unwrap().read_only);
        let mut owner_events = w.bus.subscribe(EventFilter::user(USER)).await.unwrap();
        let mut grantee_events = w.bus.subscribe(EventFilter::user(OTHER)).await.unwrap();
        let mut third_events = w.bus.subscribe(EventFilter::user(THIRD)).await.unwrap();
        let u = w.calendar
            .update_event(wire::UpdateEventRequest { user: OTHER.into(), folder_id: team.clone(), id: e.id.clone(), json: event_json("Planning, moved", 1_700_003_600, 1_700_007_200), if_modseq: e.modseq, attachments: Vec::new() })
            .await
            .unwrap()
            .into_inner();
        for events in [&mut owner_events, &mut grantee_events, &mut third_events] {
            let woken = next_event(events).await;
            assert_eq!(
                (woken.class, woken.folder_id.as_str(), woken.counter, woken.hierarchy_changed),
                (DataClass::Calendar, team.as_str(), u.modseq, false)
            );
        }
        let got = w.service.get_events(USER, team.parse().unwrap(), &[e.id.parse().unwrap()]).await.unwrap();
        assert_eq!(read(&got[0].json).subject.as_deref(), Some("Planning, moved"));
        // A grantee's Add lands in the owner's calendar; the owner writes too, and all hear it.
        let added = create(&mut w, OTHER, &team, "Added by a grantee").await;
        for events in [&mut owner_events, &mut grantee_events, &mut third_events] {
            assert_eq!(next_event(events).await.counter, added.modseq);
        }
        let d = w.calendar.delete_event(wire::DeleteEventRequest { user: USER.into(), folder_id: team.clone(), id: added.id.clone() }).await.unwrap().into_inner();
        for events in [&mut owner_events, &mut grantee_events, &mut third_events] {
            assert_eq!(next_event(events).await.counter, d.modseq);
        }
        // A move out to the grantee's own calendar: the shared calendar's users hear of the
        // tombstone, the grantee of the new event too.
        let own = calendar_of(&w.service, OTHER).await.to_string();
        let m = w.calendar
            .move_event(wire::MoveEventRequest { user: OTHER.into(), from_folder_id: team.clone(), id: e.id.clone(), to_folder_id: own.clone() })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(next_event(&mut owner_events).await.counter, m.source_modseq);
        assert_eq!(next_event(&mut third_events).await.counter, m.source_modseq);
        let first = next_event(&mut grantee_events).await;
        let second = next_event(&mut grantee_events).await;
        assert_eq!(
            [(first.folder_id, first.counter), (second.folder_id, second.counter)],
            [(team.clone(), m.source_modseq), (own.clone(), m.modseq)]
        );
        no_event(&mut owner_events).await;
        let mine = w.service.get_events(OTHER, own.parse().unwrap(), &[m.id.parse().unwrap()]).await.unwrap();
        assert_eq!(read(&mine[0].json).subject.as_deref(), Some("Planning, moved"));
    }

    async fn revoking_a_share_or_deleting_the_calendar_takes_it_from_the_grantee(db: &TestDb) {
        let mut w = db.wired().await;
        let calendar = calendar_of(&w.service, USER).await.to_string();
        let (team, _) = w.service.create_folder(USER, None, "Team").await.unwrap();
        let (sub, _) = w.service.create_folder(USER, Some(team.id), "Sub").await.unwrap();
        let (team, sub) = (team.id.to_string(), sub.id.to_string());
        for folder in [&calendar, &team, &sub] {
            w.calendar.grant_share(grant(folder, OTHER, Access::ReadWrite)).await.unwrap();
        }
        w.calendar.grant_share(grant(&sub, THIRD, Access::Read)).await.unwrap();
        let (folders, counter) = list(&mut w, OTHER).await;
        assert!([&calendar, &team, &sub].iter().all(|id| listed(&folders, id).is_some()));
        // A shared calendar is at the grantee's top whatever its parent is for the owner.
        assert_eq!(listed(&folders, &sub).unwrap().parent_id, "0");
        // A rename shows in the grantee's list.
        w.calendar
            .update_folder(wire::UpdateFolderRequest { user: USER.into(), folder_id: sub.clone(), parent_id: team.clone(), display_name: "Renamed".into() })
            .await
            .unwrap();
        let (folders, renamed_counter) = list(&mut w, OTHER).await;
        assert!(renamed_counter > counter);
        assert_eq!(listed(&folders, &sub).unwrap().display_name, shared_display_name("Renamed", USER));
        // Revoke: gone from the list, the counter moved, the grantee woken, reads refused.
        let mut grantee_events = w.bus.subscribe(EventFilter::user(OTHER)).await.unwrap();
        let mut third_events = w.bus.subscribe(EventFilter::user(THIRD)).await.unwrap();
        w.calendar.revoke_share(revoke(&calendar, OTHER)).await.unwrap();
        let (folders, revoked_counter) = list(&mut w, OTHER).await;
        assert!(listed(&folders, &calendar).is_none());
        assert!(revoked_counter > renamed_counter);
        let woken = next_event(&mut grantee_events).await;
        assert_eq!((woken.folder_id.as_str(), woken.counter, woken.hierarchy_changed), (calendar.as_str(), revoked_counter, true));
        assert_eq!(
            code(w.calendar.get_events(wire::GetEventsRequest { user: OTHER.into(), folder_id: calendar.clone(), ids: vec![] }).await),
            C::NotFound
        );
        assert_eq!(code(w.calendar.revoke_share(revoke(&calendar, OTHER)).await), C::NotFound);
        assert_eq!(code(w.calendar.revoke_share(revoke(&calendar, "never@example.loc")).await), C::NotFound);
        // Deleting a calendar deletes the shares of it and of its subcalendars.
        w.calendar.delete_folder(wire::DeleteFolderRequest { user: USER.into(), folder_id: team.clone() }).await.unwrap();
        let (folders, deleted_counter) = list(&mut w, OTHER).await;
        assert!(listed(&folders, &team).is_none() && listed(&folders, &sub).is_none());
        assert!(deleted_counter > revoked_counter);
        assert_eq!(next_event(&mut grantee_events).await.counter, deleted_counter);
        let third = next_event(&mut third_events).await;
        assert_eq!((third.hierarchy_changed, third.counter), (true, list(&mut w, THIRD).await.1));
        let shares = w.calendar.list_shares(wire::ListSharesRequest { user: USER.into() }).await.unwrap().into_inner();
        assert!(shares.granted.is_empty(), "{shares:?}");
        assert!(w.calendar.list_shares(wire::ListSharesRequest { user: THIRD.into() }).await.unwrap().into_inner().received.is_empty());
    }

    async fn a_grantee_who_deletes_a_shared_calendar_leaves_it_and_the_others_keep_it(db: &TestDb) {
        let mut w = db.wired().await;
        let calendar = calendar_of(&w.service, USER).await.to_string();
        let e = create(&mut w, USER, &calendar, "Kept").await;
        w.calendar.grant_share(grant(&calendar, OTHER, Access::Read)).await.unwrap();
        w.calendar.grant_share(grant(&calendar, THIRD, Access::ReadWrite)).await.unwrap();
        let (_, before) = list(&mut w, OTHER).await;
        let mut grantee_events = w.bus.subscribe(EventFilter::user(OTHER)).await.unwrap();
        let mut owner_events = w.bus.subscribe(EventFilter::user(USER)).await.unwrap();
        let counter = w
            .calendar
            .delete_folder(wire::DeleteFolderRequest { user: OTHER.into(), folder_id: calendar.clone() })
            .await
            .unwrap()
            .into_inner()
            .hierarchy_counter;
        // Gone from the grantee's list, whose counter moved and who is woken.
        let (folders, after) = list(&mut w, OTHER).await;
        assert!(listed(&folders, &calendar).is_none());
        assert!(after > before && counter == after, "{before} {counter} {after}");
        let woken = next_event(&mut grantee_events).await;
        assert_eq!((woken.folder_id.as_str(), woken.hierarchy_changed), (calendar.as_str(), true));
        // The owner keeps the calendar and its event, and the other grantee the share.
        let got = w.calendar.get_events(wire::GetEventsRequest { user: USER.into(), folder_id: calendar.clone(), ids: vec![e.id.clone()] }).await.unwrap().into_inner();
        assert_eq!(got.events.len(), 1);
        assert!(listed(&list(&mut w, THIRD).await.0, &calendar).is_some());
        let shares = w.calendar.list_shares(wire::ListSharesRequest { user: USER.into() }).await.unwrap().into_inner();
        let grantees: Vec<&str> = shares.granted.iter().map(|s| s.grantee.as_str()).collect();
        assert_eq!(grantees, [THIRD]);
        no_event(&mut owner_events).await;
        // A second delete finds nothing to leave.
        assert_eq!(
            code(w.calendar.delete_folder(wire::DeleteFolderRequest { user: OTHER.into(), folder_id: calendar.clone() }).await),
            C::NotFound
        );
    }

    async fn grants_refuse_what_cannot_be_shared(db: &TestDb) {
        let mut w = db.wired().await;
        let calendar = calendar_of(&w.service, USER).await.to_string();
        let theirs = calendar_of(&w.service, OTHER).await.to_string();
        assert_eq!(code(w.calendar.grant_share(grant(&calendar, USER, Access::Read)).await), C::InvalidArgument);
        assert_eq!(code(w.calendar.grant_share(grant(&calendar, " JDOE@example.loc ", Access::Read)).await), C::InvalidArgument);
        assert_eq!(code(w.calendar.grant_share(grant(&calendar, "", Access::Read)).await), C::NotFound);
        assert_eq!(code(w.calendar.grant_share(grant(&calendar, "not an address", Access::Read)).await), C::InvalidArgument);
        assert_eq!(code(w.calendar.grant_share(grant(&calendar, OTHER, Access::Unspecified)).await), C::InvalidArgument);
        for unknown in [theirs.as_str(), "999999", "x", ""] {
            assert_eq!(code(w.calendar.grant_share(grant(unknown, THIRD, Access::Read)).await), C::NotFound, "{unknown:?}");
        }
        assert!(w.calendar.list_shares(wire::ListSharesRequest { user: USER.into() }).await.unwrap().into_inner().granted.is_empty());
        // A grantee address is kept lowercase, as every user is.
        let share = w.calendar.grant_share(grant(&calendar, "Third@Example.LOC", Access::Read)).await.unwrap().into_inner();
        assert_eq!(share.grantee, THIRD);
        assert!(listed(&list(&mut w, THIRD).await.0, &calendar).is_some());
    }
}
