//! vCard import and export through the service: what EAS has no slot for survives the round
//! trip, an unreadable card costs only itself, and the calls' errors.

use eas_contacts::{ContactsError, FolderRole};
use eas_contacts_model::stored;
use eas_contacts_model::vcard::{self, VCardVersion};

use crate::harness::{backend_tests, folder_of, USER};

/// Four e-mail addresses (EAS carries three) and three mobile numbers (EAS carries one).
const MANY: &str = "BEGIN:VCARD\r\n\
VERSION:3.0\r\n\
N:Rivera;Ana;;;\r\n\
FN:Ana Rivera\r\n\
EMAIL;TYPE=INTERNET,pref:ana@work.example\r\n\
EMAIL;TYPE=INTERNET,HOME:ana@home.example\r\n\
EMAIL;TYPE=INTERNET:ana@old.example\r\n\
EMAIL;TYPE=INTERNET:ana@fourth.example\r\n\
TEL;TYPE=CELL:+1 555 0101\r\n\
TEL;TYPE=CELL:+1 555 0102\r\n\
TEL;TYPE=CELL:+1 555 0103\r\n\
X-CUSTOM-THING:kept as it came\r\n\
END:VCARD\r\n";

const SECOND: &str =
    "BEGIN:VCARD\nVERSION:4.0\nFN:Bo Chen\nN:Chen;Bo;;;\nEMAIL:bo@example.org\nEND:VCARD\n";

/// A card whose property line has no colon: a syntax error of that card alone.
const BROKEN: &str = "BEGIN:VCARD\r\nVERSION:3.0\r\nTHIS LINE HAS NO COLON\r\nEND:VCARD\r\n";

backend_tests! {
    async fn a_vcard_with_more_than_eas_carries_keeps_it_through_the_service(db: &TestDb) {
        let (service, _events) = db.book().await;
        let folder = folder_of(&service, USER, FolderRole::Contacts).await;
        let imported = service.import_vcards(USER, None, MANY.as_bytes()).await.unwrap();
        assert_eq!((imported.folder_id, imported.ids.len()), (folder, 1));
        assert!(imported.errors.is_empty(), "{:?}", imported.errors);
        // Every address is searchable, the fourth one too.
        for q in ["ana@work", "ana@fourth", "rivera"] {
            assert_eq!(service.search(USER, q, 10, false).await.unwrap().total, 1, "{q}");
        }
        for version in [VCardVersion::V3, VCardVersion::V4] {
            let (text, count) = service.export_vcards(USER, folder, version).await.unwrap();
            assert_eq!(count, 1);
            for kept in [
                "ana@work.example", "ana@home.example", "ana@old.example", "ana@fourth.example",
                "+1 555 0101", "+1 555 0102", "+1 555 0103", "X-CUSTOM-THING:kept as it came",
            ] {
                assert!(text.contains(kept), "{version:?} lost {kept}:\n{text}");
            }
            // And reads back as the same contact.
            let again = vcard::import(&text).unwrap();
            let stored_now = service.get_contacts(USER, folder, &imported.ids).await.unwrap();
            let original = stored::from_json(&stored_now[0].json).unwrap();
            assert_eq!(again[0].email_addresses(), original.email_addresses());
            assert_eq!(again[0].phone_numbers(), original.phone_numbers());
        }
    }

    async fn an_unreadable_card_is_reported_and_the_others_imported(db: &TestDb) {
        let (service, mut events) = db.book().await;
        let (work, _) = service.create_folder(USER, None, "Work").await.unwrap();
        crate::harness::next_event(&mut events).await;
        let file = format!("{MANY}{BROKEN}{SECOND}");
        let imported = service.import_vcards(USER, Some(work.id), file.as_bytes()).await.unwrap();
        assert_eq!((imported.folder_id, imported.ids.len()), (work.id, 2));
        assert_eq!(imported.errors.len(), 1);
        assert_eq!(imported.errors[0].index, 1);
        assert!(!imported.errors[0].reason.is_empty());
        // One write, one event, one modseq for the whole file.
        let event = crate::harness::next_event(&mut events).await;
        assert_eq!(event.folder_id, work.id.to_string());
        let state = service.folder_state(USER, work.id).await.unwrap();
        assert_eq!(event.counter, state.counter);
        let (text, count) = service.export_vcards(USER, work.id, VCardVersion::V4).await.unwrap();
        assert_eq!(count, 2);
        assert!(text.contains("VERSION:4.0") && text.contains("bo@example.org"), "{text}");
    }

    async fn import_and_export_refuse_what_they_cannot_do(db: &TestDb) {
        let (service, _events) = db.book().await;
        for bad in [&b""[..], b"hello\r\n", b"\xff\xfe\x00"] {
            assert!(
                matches!(service.import_vcards(USER, None, bad).await, Err(ContactsError::InvalidVcard(_))),
                "{bad:?}"
            );
        }
        // Only broken cards: nothing added, each one reported.
        let imported = service
            .import_vcards(USER, None, format!("{BROKEN}{BROKEN}").as_bytes())
            .await
            .unwrap();
        assert!(imported.ids.is_empty());
        assert_eq!(imported.errors.iter().map(|e| e.index).collect::<Vec<_>>(), [0, 1]);
        let theirs = folder_of(&service, "other@example.loc", FolderRole::Contacts).await;
        assert!(matches!(
            service.import_vcards(USER, Some(theirs), MANY.as_bytes()).await,
            Err(ContactsError::FolderNotFound(_))
        ));
        assert!(matches!(
            service.export_vcards(USER, theirs, VCardVersion::V3).await,
            Err(ContactsError::FolderNotFound(_))
        ));
        let folder = folder_of(&service, USER, FolderRole::Contacts).await;
        assert_eq!(service.export_vcards(USER, folder, VCardVersion::V3).await.unwrap(), (String::new(), 0));
    }
}
