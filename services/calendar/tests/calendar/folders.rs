//! Calendars: the default Calendar created on the first listing, user-created calendars, the
//! hierarchy counter, and what the folder calls refuse.

use eas_calendar::{CalendarError, FolderRole, CALENDAR_FOLDER_NAME};
use eas_rpc::collections::{DataClass, ListFoldersRequest};

use crate::harness::{backend_tests, calendar_of, event_json, OTHER, USER};

backend_tests! {
    async fn the_first_listing_creates_the_calendar_and_user_calendars_follow(db: &TestDb) {
        let mut w = db.wired().await;
        assert_eq!(w.service.hierarchy(USER).await.unwrap().counter, 0);
        let list = w.collections.list_folders(ListFoldersRequest { user: USER.into() }).await.unwrap().into_inner();
        let shown: Vec<(&str, u32, &str, &str, bool)> = list
            .folders
            .iter()
            .map(|f| (f.display_name.as_str(), f.folder_type, f.parent_id.as_str(), f.owner.as_str(), f.read_only))
            .collect();
        assert_eq!(shown, [(CALENDAR_FOLDER_NAME, 8, "0", "", false)]);
        assert_eq!(list.folders[0].data_class, DataClass::Calendar as i32);
        assert!(list.hierarchy_counter > 0);
        // A second look creates nothing.
        let again = w.collections.list_folders(ListFoldersRequest { user: USER.into() }).await.unwrap().into_inner();
        assert_eq!(again, list);
        let calendar = calendar_of(&w.service, USER).await;
        let (team, counter) = w.service.create_folder(USER, Some(calendar), "Team").await.unwrap();
        assert_eq!((team.role, team.folder_type(), team.parent_id), (FolderRole::User, 13, Some(calendar)));
        assert!(counter > list.hierarchy_counter);
        let list = w.collections.list_folders(ListFoldersRequest { user: USER.into() }).await.unwrap().into_inner();
        assert_eq!(list.hierarchy_counter, counter);
        let team_listed = list.folders.iter().find(|f| f.id == team.id.to_string()).unwrap();
        assert_eq!((team_listed.folder_type, team_listed.parent_id.clone()), (13, calendar.to_string()));
    }

    async fn a_deleted_calendar_takes_its_subcalendars_and_events(db: &TestDb) {
        let (service, _events) = db.account().await;
        let (work, _) = service.create_folder(USER, None, "Work").await.unwrap();
        let (sub, _) = service.create_folder(USER, Some(work.id), "Sub").await.unwrap();
        let e = service.create_event(USER, sub.id, &event_json("x", 1_700_000_000, 1_700_003_600), "").await.unwrap();
        let before = service.hierarchy(USER).await.unwrap().counter;
        let after = service.delete_folder(USER, work.id).await.unwrap();
        assert!(after > before);
        let left: Vec<_> = service.hierarchy(USER).await.unwrap().folders.iter().map(|f| f.id).collect();
        assert_eq!(left, [calendar_of(&service, USER).await]);
        assert!(matches!(service.get_events(USER, sub.id, &[e.event.id]).await, Err(CalendarError::FolderNotFound(_))));
        // The name is free again.
        service.create_folder(USER, None, "Work").await.unwrap();
    }

    async fn folder_calls_refuse_what_the_protocol_refuses(db: &TestDb) {
        let (service, _events) = db.account().await;
        let calendar = calendar_of(&service, USER).await;
        let (work, _) = service.create_folder(USER, None, "Work").await.unwrap();
        let (sub, _) = service.create_folder(USER, Some(work.id), "Sub").await.unwrap();
        // Duplicates compare without case, under one parent only; the default Calendar takes
        // its name's slot at the top.
        for dup in ["WORK", "calendar"] {
            assert!(matches!(service.create_folder(USER, None, dup).await, Err(CalendarError::FolderExists(_))), "{dup}");
        }
        service.create_folder(USER, Some(calendar), "Work").await.unwrap();
        assert!(matches!(service.update_folder(USER, calendar, None, "Renamed").await, Err(CalendarError::SpecialFolder(_))));
        assert!(matches!(service.delete_folder(USER, calendar).await, Err(CalendarError::SpecialFolder(_))));
        assert!(matches!(service.update_folder(USER, work.id, Some(sub.id), "Work").await, Err(CalendarError::FolderCycle(_))));
        assert!(matches!(service.update_folder(USER, work.id, Some(work.id), "Work").await, Err(CalendarError::FolderCycle(_))));
        assert!(matches!(service.update_folder(USER, sub.id, None, "work").await, Err(CalendarError::FolderExists(_))));
        for bad in ["", "  ", "a\u{7}b"] {
            assert!(matches!(service.create_folder(USER, None, bad).await, Err(CalendarError::InvalidFolderName)));
        }
        // Another user's calendar is no calendar of this one, not even as a parent.
        let theirs = calendar_of(&service, OTHER).await;
        assert!(matches!(service.delete_folder(USER, theirs).await, Err(CalendarError::FolderNotFound(_))));
        assert!(matches!(service.folder_state(USER, theirs).await, Err(CalendarError::FolderNotFound(_))));
        assert!(matches!(service.create_folder(USER, Some(theirs), "X").await, Err(CalendarError::FolderNotFound(_))));
        assert!(matches!(service.create_folder("not an address", None, "X").await, Err(CalendarError::InvalidAddress(_))));
        // A move to the top, with a rename.
        let (moved, _) = service.update_folder(USER, sub.id, None, "Top").await.unwrap();
        assert_eq!((moved.parent_id, moved.name.as_str()), (None, "Top"));
    }
}
