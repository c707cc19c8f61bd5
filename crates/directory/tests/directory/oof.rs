//! Out-of-office settings: stored per user, replaced as a whole, gone with the user.

use eas_directory::{DirectoryError, OofReply, OutOfOffice};

use crate::harness::{backend_tests, test_options, user};

fn away() -> OutOfOffice {
    OutOfOffice {
        state: 2,
        window: Some((1_780_000_000_000, 1_780_600_000_000)),
        internal: OofReply {
            enabled: true,
            message: Some("Back on Monday".into()),
            body_type: Some("Text".into()),
        },
        external_known: OofReply::default(),
        external_unknown: OofReply {
            enabled: true,
            message: Some("<p>Away</p>".into()),
            body_type: Some("HTML".into()),
        },
    }
}

backend_tests! {
    async fn out_of_office_is_disabled_until_set_then_read_back_as_stored(db: &TestDb) {
        let dir = db.directory(test_options()).await;
        dir.create_domain("example.loc", None).await.unwrap();
        let u = user(&dir, "jdoe@example.loc", "John Doe", "pw").await;
        assert_eq!(dir.out_of_office(u.id).await.unwrap(), OutOfOffice::default());
        dir.set_out_of_office(u.id, &away()).await.unwrap();
        assert_eq!(dir.out_of_office(u.id).await.unwrap(), away());
        // A second set replaces the first whole.
        let global = OutOfOffice { state: 1, window: None, ..OutOfOffice::default() };
        dir.set_out_of_office(u.id, &global).await.unwrap();
        assert_eq!(dir.out_of_office(u.id).await.unwrap(), global);
    }

    async fn out_of_office_is_refused_for_a_bad_window_or_a_missing_user(db: &TestDb) {
        let dir = db.directory(test_options()).await;
        dir.create_domain("example.loc", None).await.unwrap();
        let u = user(&dir, "jdoe@example.loc", "John Doe", "pw").await;
        let backwards = OutOfOffice { window: Some((10, 10)), ..away() };
        let err = dir.set_out_of_office(u.id, &backwards).await.unwrap_err();
        assert!(matches!(err, DirectoryError::InvalidOutOfOffice(_)), "{err:?}");
        let err = dir.set_out_of_office(u.id + 1000, &away()).await.unwrap_err();
        assert!(matches!(err, DirectoryError::NotFound { .. }), "{err:?}");
        assert_eq!(dir.out_of_office(u.id).await.unwrap(), OutOfOffice::default());
    }

    async fn out_of_office_goes_with_its_user(db: &TestDb) {
        let dir = db.directory(test_options()).await;
        dir.create_domain("example.loc", None).await.unwrap();
        let u = user(&dir, "jdoe@example.loc", "John Doe", "pw").await;
        dir.set_out_of_office(u.id, &away()).await.unwrap();
        dir.delete_user("jdoe@example.loc").await.unwrap();
        let again = user(&dir, "jdoe@example.loc", "John Doe", "pw").await;
        assert_eq!(dir.out_of_office(again.id).await.unwrap(), OutOfOffice::default());
        assert_eq!(dir.out_of_office(u.id).await.unwrap(), OutOfOffice::default());
    }
}
