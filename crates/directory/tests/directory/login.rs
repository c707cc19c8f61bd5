//! Authentication and login-name resolution in the three forms phones send.

use eas_directory::{AuthError, DirectoryOptions, UserUpdate};

use crate::harness::{backend_tests, test_options, user, TestDb};

async fn two_domains(db: &TestDb, options: DirectoryOptions) -> eas_directory::Directory {
    let dir = db.directory(options).await;
    dir.create_domain("example.loc", None).await.unwrap();
    dir.create_domain("other.loc", None).await.unwrap();
    user(&dir, "jdoe@example.loc", "John Doe", "secret").await;
    dir
}

backend_tests! {
    async fn a_full_address_logs_in_in_any_case(db: &TestDb) {
        let dir = two_domains(db, test_options()).await;
        let user = dir.authenticate("JDoe@EXAMPLE.loc", "secret").await.unwrap();
        assert_eq!(user.address, "jdoe@example.loc");
    }

    async fn an_alias_logs_in_as_its_user(db: &TestDb) {
        let dir = two_domains(db, test_options()).await;
        dir.add_alias("jdoe@example.loc", "john@other.loc").await.unwrap();
        let user = dir.authenticate("John@Other.loc", "secret").await.unwrap();
        assert_eq!(user.address, "jdoe@example.loc");
    }

    async fn a_domain_backslash_user_login_accepts_the_full_domain_or_its_first_label(db: &TestDb) {
        let dir = two_domains(db, test_options()).await;
        for login in ["example.loc\\jdoe", "EXAMPLE\\JDoe", "Example\\jdoe"] {
            let user = dir.authenticate(login, "secret").await.unwrap();
            assert_eq!(user.address, "jdoe@example.loc", "{login}");
        }
        let err = dir.authenticate("OTHER\\jdoe", "secret").await.unwrap_err();
        assert!(matches!(err, AuthError::UnknownUser), "{err:?}");
        let err = dir.authenticate("NOWHERE\\jdoe", "secret").await.unwrap_err();
        assert!(matches!(err, AuthError::UnknownUser), "{err:?}");
    }

    async fn a_first_label_shared_by_two_domains_is_ambiguous(db: &TestDb) {
        let dir = two_domains(db, test_options()).await;
        dir.create_domain("example.com", None).await.unwrap();
        let err = dir.authenticate("EXAMPLE\\jdoe", "secret").await.unwrap_err();
        assert!(matches!(err, AuthError::Ambiguous), "{err:?}");
        // The full name still picks one.
        dir.authenticate("example.loc\\jdoe", "secret").await.unwrap();
    }

    async fn a_bare_user_name_logs_in_when_only_one_domain_has_it(db: &TestDb) {
        let dir = two_domains(db, test_options()).await;
        let user = dir.authenticate("JDOE", "secret").await.unwrap();
        assert_eq!(user.address, "jdoe@example.loc");
    }

    async fn a_bare_user_name_in_two_domains_is_ambiguous(db: &TestDb) {
        let dir = two_domains(db, test_options()).await;
        user(&dir, "jdoe@other.loc", "Other John", "secret").await;
        let err = dir.authenticate("jdoe", "secret").await.unwrap_err();
        assert!(matches!(err, AuthError::Ambiguous), "{err:?}");
        assert_eq!(dir.resolve_login("jdoe").await.unwrap(), None);
    }

    async fn the_default_domain_settles_a_bare_user_name(db: &TestDb) {
        let options = DirectoryOptions {
            default_domain: Some("Other.LOC".into()),
            ..test_options()
        };
        let dir = two_domains(db, options).await;
        user(&dir, "jdoe@other.loc", "Other John", "other-secret").await;
        let user = dir.authenticate("jdoe", "other-secret").await.unwrap();
        assert_eq!(user.address, "jdoe@other.loc");
        // A name absent from the default domain still resolves when it is unique elsewhere.
        user_in(&dir, "solo@example.loc").await;
        assert_eq!(dir.resolve_login("solo").await.unwrap().unwrap().address, "solo@example.loc");
    }

    async fn a_wrong_password_is_told_apart_from_an_unknown_user(db: &TestDb) {
        let dir = two_domains(db, test_options()).await;
        let err = dir.authenticate("jdoe@example.loc", "Secret").await.unwrap_err();
        assert!(matches!(err, AuthError::WrongPassword), "{err:?}");
        let err = dir.authenticate("nobody@example.loc", "secret").await.unwrap_err();
        assert!(matches!(err, AuthError::UnknownUser), "{err:?}");
        let err = dir.authenticate("", "secret").await.unwrap_err();
        assert!(matches!(err, AuthError::MalformedLogin), "{err:?}");
    }

    async fn a_disabled_account_cannot_log_in_even_with_the_right_password(db: &TestDb) {
        let dir = two_domains(db, test_options()).await;
        let disable = UserUpdate { disabled: Some(true), ..Default::default() };
        dir.update_user("jdoe@example.loc", disable).await.unwrap();
        let err = dir.authenticate("jdoe@example.loc", "secret").await.unwrap_err();
        assert!(matches!(err, AuthError::Disabled), "{err:?}");
        let err = dir.authenticate("jdoe@example.loc", "wrong").await.unwrap_err();
        assert!(matches!(err, AuthError::WrongPassword), "{err:?}");
        let enable = UserUpdate { disabled: Some(false), ..Default::default() };
        dir.update_user("jdoe@example.loc", enable).await.unwrap();
        dir.authenticate("jdoe@example.loc", "secret").await.unwrap();
    }

    async fn a_password_change_takes_effect_at_once(db: &TestDb) {
        let dir = two_domains(db, test_options()).await;
        let change = UserUpdate { password: Some("new secret".into()), ..Default::default() };
        dir.update_user("jdoe@example.loc", change).await.unwrap();
        let err = dir.authenticate("jdoe@example.loc", "secret").await.unwrap_err();
        assert!(matches!(err, AuthError::WrongPassword), "{err:?}");
        dir.authenticate("jdoe@example.loc", "new secret").await.unwrap();
    }

    async fn resolve_login_canonicalises_every_form_without_a_password(db: &TestDb) {
        let dir = two_domains(db, test_options()).await;
        dir.add_alias("jdoe@example.loc", "john@other.loc").await.unwrap();
        for login in ["jdoe@example.loc", "EXAMPLE\\jdoe", "jdoe", "john@other.loc", "OTHER\\john"] {
            let user = dir.resolve_login(login).await.unwrap();
            assert_eq!(user.map(|u| u.address).as_deref(), Some("jdoe@example.loc"), "{login}");
        }
        assert_eq!(dir.resolve_login("nobody").await.unwrap(), None);
        assert_eq!(dir.resolve_login("a b@c").await.unwrap(), None);
    }

    async fn every_spelling_of_one_account_has_one_account_key(db: &TestDb) {
        let dir = two_domains(db, test_options()).await;
        dir.add_alias("jdoe@example.loc", "john@other.loc").await.unwrap();
        for login in [
            "jdoe@example.loc",
            " jdoe@example.loc",
            "x\\jdoe@example.loc",
            "EXAMPLE\\JDoe",
            "example.loc\\jdoe",
            "jdoe",
            "John@Other.loc",
        ] {
            let target = dir.login_target(login).await.unwrap();
            assert_eq!(target.account(), "jdoe@example.loc", "{login:?}");
        }
        // A name that names nobody is keyed on its normalised form, whatever its spelling.
        let a = dir.login_target("Nobody@Example.loc").await.unwrap();
        let b = dir.login_target(" x\\nobody@example.LOC").await.unwrap();
        assert_eq!(a.account(), "nobody@example.loc");
        assert_eq!(b.account(), a.account());
    }

    async fn a_malformed_login_is_refused_before_any_password_check(db: &TestDb) {
        let dir = two_domains(db, test_options()).await;
        for login in ["", " ", "jd oe@example.loc", "a\\b\\jdoe", "\\jdoe", "jdoe@"] {
            let err = dir.login_target(login).await.unwrap_err();
            assert!(matches!(err, AuthError::MalformedLogin), "{login:?}: {err:?}");
        }
    }

    async fn a_password_longer_than_any_settable_one_is_wrong_without_hashing(db: &TestDb) {
        let dir = two_domains(db, test_options()).await;
        let target = dir.login_target("jdoe@example.loc").await.unwrap();
        let err = dir.check_password(target, &"x".repeat(5000)).await.unwrap_err();
        assert!(matches!(err, AuthError::WrongPassword), "{err:?}");
    }
}

async fn user_in(dir: &eas_directory::Directory, address: &str) {
    user(dir, address, "Someone", "pw").await;
}
