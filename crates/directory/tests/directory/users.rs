//! Users and aliases: creation, duplicates, updates, deletion.

use eas_directory::{CalendarPreferences, DirectoryError, Entity, NewUser, UserUpdate};

use crate::harness::{backend_tests, test_options, user};

backend_tests! {
    async fn the_shared_calendars_setting_is_kept_per_user_and_cleared_back_to_the_default(db: &TestDb) {
        let dir = db.directory(test_options()).await;
        dir.create_domain("example.loc", None).await.unwrap();
        let created = user(&dir, "jdoe@example.loc", "John Doe", "pw").await;
        assert_eq!(created.shared_calendars, None);
        let off = dir.set_shared_calendars("jdoe@example.loc", Some(false)).await.unwrap();
        assert_eq!(off.shared_calendars, Some(false));
        assert_eq!(dir.get_user("jdoe@example.loc").await.unwrap().shared_calendars, Some(false));
        let on = dir.set_shared_calendars("jdoe@example.loc", Some(true)).await.unwrap();
        assert_eq!(on.shared_calendars, Some(true));
        let back = dir.set_shared_calendars("jdoe@example.loc", None).await.unwrap();
        assert_eq!(back, created);
        let err = dir.set_shared_calendars("nobody@example.loc", Some(true)).await.unwrap_err();
        assert!(matches!(err, DirectoryError::NotFound { .. }), "{err:?}");
    }

    async fn the_calendar_settings_are_kept_per_user_checked_and_cleared(db: &TestDb) {
        let dir = db.directory(test_options()).await;
        dir.create_domain("example.loc", None).await.unwrap();
        let created = user(&dir, "jdoe@example.loc", "John Doe", "pw").await;
        assert_eq!(created.calendar, CalendarPreferences::default());
        let paris = CalendarPreferences {
            time_zone: Some("Europe/Paris".into()),
            first_day_of_week: Some(0),
        };
        let set = dir.set_calendar_preferences("jdoe@example.loc", paris.clone()).await.unwrap();
        assert_eq!(set.calendar, paris);
        assert_eq!(dir.get_user("jdoe@example.loc").await.unwrap().calendar, paris);
        // A zone that is not an IANA name, or a day past Saturday, changes nothing.
        for bad in [
            CalendarPreferences { time_zone: Some("Mars/Olympus".into()), first_day_of_week: None },
            CalendarPreferences { time_zone: None, first_day_of_week: Some(7) },
        ] {
            let err = dir.set_calendar_preferences("jdoe@example.loc", bad).await.unwrap_err();
            assert!(matches!(err, DirectoryError::InvalidField { .. }), "{err:?}");
        }
        assert_eq!(dir.get_user("jdoe@example.loc").await.unwrap().calendar, paris);
        let back = dir
            .set_calendar_preferences("jdoe@example.loc", CalendarPreferences::default())
            .await
            .unwrap();
        assert_eq!(back, created);
        let err = dir
            .set_calendar_preferences("nobody@example.loc", CalendarPreferences::default())
            .await
            .unwrap_err();
        assert!(matches!(err, DirectoryError::NotFound { .. }), "{err:?}");
    }

    async fn a_created_user_is_lowercased_and_found_by_address(db: &TestDb) {
        let dir = db.directory(test_options()).await;
        dir.create_domain("example.loc", None).await.unwrap();
        let created = user(&dir, "JDoe@Example.LOC", "John Doe", "pw").await;
        assert_eq!(created.address, "jdoe@example.loc");
        assert_eq!(created.local_part, "jdoe");
        assert_eq!(created.domain, "example.loc");
        assert!(!created.disabled);
        assert_eq!(dir.get_user("JDOE@example.loc").await.unwrap(), created);
    }

    async fn a_user_in_a_missing_domain_is_refused(db: &TestDb) {
        let dir = db.directory(test_options()).await;
        let err = dir
            .create_user(NewUser {
                address: "jdoe@missing.loc".into(),
                display_name: "John Doe".into(),
                password: "pw".into(),
            })
            .await
            .unwrap_err();
        assert!(matches!(err, DirectoryError::NotFound { entity: Entity::Domain, .. }));
    }

    async fn an_address_without_a_domain_is_invalid(db: &TestDb) {
        let dir = db.directory(test_options()).await;
        let err = dir
            .create_user(NewUser {
                address: "jdoe".into(),
                display_name: "John Doe".into(),
                password: "pw".into(),
            })
            .await
            .unwrap_err();
        assert!(matches!(err, DirectoryError::InvalidAddress(_)), "{err:?}");
    }

    async fn an_empty_password_is_refused(db: &TestDb) {
        let dir = db.directory(test_options()).await;
        dir.create_domain("example.loc", None).await.unwrap();
        let err = dir
            .create_user(NewUser {
                address: "jdoe@example.loc".into(),
                display_name: "John Doe".into(),
                password: "".into(),
            })
            .await
            .unwrap_err();
        assert!(matches!(err, DirectoryError::InvalidPassword(_)), "{err:?}");
    }

    async fn a_duplicate_address_is_a_duplicate_error(db: &TestDb) {
        let dir = db.directory(test_options()).await;
        dir.create_domain("example.loc", None).await.unwrap();
        user(&dir, "jdoe@example.loc", "John Doe", "pw").await;
        let err = dir
            .create_user(NewUser {
                address: "JDOE@example.loc".into(),
                display_name: "Another John".into(),
                password: "pw".into(),
            })
            .await
            .unwrap_err();
        assert!(
            matches!(err, DirectoryError::Duplicate { entity: Entity::Address, .. }),
            "{err:?}"
        );
    }

    async fn an_address_taken_by_an_alias_cannot_become_a_user_or_another_alias(db: &TestDb) {
        let dir = db.directory(test_options()).await;
        dir.create_domain("example.loc", None).await.unwrap();
        user(&dir, "jdoe@example.loc", "John Doe", "pw").await;
        user(&dir, "ann@example.loc", "Ann Smith", "pw").await;
        dir.add_alias("jdoe@example.loc", "john@example.loc").await.unwrap();
        let err = dir
            .create_user(NewUser {
                address: "john@example.loc".into(),
                display_name: "John Other".into(),
                password: "pw".into(),
            })
            .await
            .unwrap_err();
        assert!(matches!(err, DirectoryError::Duplicate { .. }), "{err:?}");
        let err = dir.add_alias("ann@example.loc", "john@example.loc").await.unwrap_err();
        assert!(matches!(err, DirectoryError::Duplicate { .. }), "{err:?}");
        let err = dir.add_alias("ann@example.loc", "jdoe@example.loc").await.unwrap_err();
        assert!(matches!(err, DirectoryError::Duplicate { .. }), "{err:?}");
        // The failed user insert left nothing behind.
        assert_eq!(dir.list_users(None).await.unwrap().len(), 2);
    }

    async fn aliases_are_listed_sorted_and_can_be_removed(db: &TestDb) {
        let dir = db.directory(test_options()).await;
        dir.create_domain("example.loc", None).await.unwrap();
        user(&dir, "jdoe@example.loc", "John Doe", "pw").await;
        dir.add_alias("jdoe@example.loc", "Johnny@example.loc").await.unwrap();
        let with_both = dir.add_alias("jdoe@example.loc", "j.doe@example.loc").await.unwrap();
        assert_eq!(with_both.aliases, ["j.doe@example.loc", "johnny@example.loc"]);
        assert_eq!(dir.get_user("johnny@example.loc").await.unwrap().id, with_both.id);
        dir.remove_alias("JOHNNY@example.loc").await.unwrap();
        assert_eq!(dir.get_user("jdoe@example.loc").await.unwrap().aliases, ["j.doe@example.loc"]);
        let err = dir.remove_alias("jdoe@example.loc").await.unwrap_err();
        assert!(matches!(err, DirectoryError::NotFound { entity: Entity::Alias, .. }));
    }

    async fn users_are_listed_by_address_and_filtered_by_domain(db: &TestDb) {
        let dir = db.directory(test_options()).await;
        dir.create_domain("example.loc", None).await.unwrap();
        dir.create_domain("other.loc", None).await.unwrap();
        user(&dir, "zed@example.loc", "Zed", "pw").await;
        user(&dir, "amy@example.loc", "Amy", "pw").await;
        user(&dir, "bob@other.loc", "Bob", "pw").await;
        let all: Vec<_> = dir.list_users(None).await.unwrap().into_iter().map(|u| u.address).collect();
        assert_eq!(all, ["amy@example.loc", "bob@other.loc", "zed@example.loc"]);
        let other = dir.list_users(Some("OTHER.loc")).await.unwrap();
        assert_eq!(other.len(), 1);
        assert_eq!(other[0].display_name, "Bob");
    }

    async fn an_update_changes_only_the_fields_it_names(db: &TestDb) {
        let dir = db.directory(test_options()).await;
        dir.create_domain("example.loc", None).await.unwrap();
        user(&dir, "jdoe@example.loc", "John Doe", "pw").await;
        let renamed = dir
            .update_user(
                "jdoe@example.loc",
                UserUpdate { display_name: Some("Johnathan Doe".into()), ..UserUpdate::default() },
            )
            .await
            .unwrap();
        assert_eq!(renamed.display_name, "Johnathan Doe");
        assert!(!renamed.disabled);
        let disabled = dir
            .update_user("jdoe@example.loc", UserUpdate { disabled: Some(true), ..Default::default() })
            .await
            .unwrap();
        assert!(disabled.disabled);
        assert_eq!(disabled.display_name, "Johnathan Doe");
    }

    async fn updating_or_deleting_through_an_alias_is_refused(db: &TestDb) {
        let dir = db.directory(test_options()).await;
        dir.create_domain("example.loc", None).await.unwrap();
        user(&dir, "jdoe@example.loc", "John Doe", "pw").await;
        dir.add_alias("jdoe@example.loc", "john@example.loc").await.unwrap();
        let err = dir
            .update_user("john@example.loc", UserUpdate { disabled: Some(true), ..Default::default() })
            .await
            .unwrap_err();
        assert!(matches!(err, DirectoryError::NotFound { entity: Entity::User, .. }));
        let err = dir.delete_user("john@example.loc").await.unwrap_err();
        assert!(matches!(err, DirectoryError::NotFound { entity: Entity::User, .. }));
    }

    async fn deleting_a_user_frees_its_address_and_aliases(db: &TestDb) {
        let dir = db.directory(test_options()).await;
        dir.create_domain("example.loc", None).await.unwrap();
        user(&dir, "jdoe@example.loc", "John Doe", "pw").await;
        dir.add_alias("jdoe@example.loc", "john@example.loc").await.unwrap();
        dir.delete_user("jdoe@example.loc").await.unwrap();
        assert!(matches!(
            dir.get_user("john@example.loc").await.unwrap_err(),
            DirectoryError::NotFound { .. }
        ));
        user(&dir, "john@example.loc", "John Again", "pw").await;
        let err = dir.delete_user("jdoe@example.loc").await.unwrap_err();
        assert!(matches!(err, DirectoryError::NotFound { entity: Entity::User, .. }));
    }

    async fn concurrent_creations_all_land_and_a_raced_duplicate_lands_once(db: &TestDb) {
        let dir = db.directory(test_options()).await;
        dir.create_domain("example.loc", None).await.unwrap();
        let create = |address: String| {
            let dir = dir.clone();
            tokio::spawn(async move {
                dir.create_user(NewUser {
                    address,
                    display_name: "Someone".into(),
                    password: "pw".into(),
                })
                .await
            })
        };
        let distinct: Vec<_> = (0..8).map(|i| create(format!("user{i}@example.loc"))).collect();
        let same: Vec<_> = (0..4).map(|_| create("same@example.loc".into())).collect();
        for task in distinct {
            task.await.unwrap().unwrap();
        }
        let mut created = 0;
        for task in same {
            match task.await.unwrap() {
                Ok(_) => created += 1,
                Err(DirectoryError::Duplicate { .. }) => {}
                Err(e) => panic!("unexpected error: {e:?}"),
            }
        }
        assert_eq!(created, 1);
        assert_eq!(dir.list_users(None).await.unwrap().len(), 9);
    }
}
