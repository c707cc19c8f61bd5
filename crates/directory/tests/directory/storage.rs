//! Connecting, migrations, and what the database holds in place of passwords.

use std::time::{Duration, Instant};

use eas_directory::{Argon2Cost, AuthError, Directory, DirectoryError, DirectoryOptions};

use crate::harness::{backend_tests, stored_password_hashes, test_options, user, TestDb};

#[tokio::test]
async fn an_in_memory_sqlite_directory_keeps_its_data_across_calls() {
    let dir = Directory::connect("sqlite::memory:", test_options())
        .await
        .unwrap();
    dir.create_domain("example.loc", None).await.unwrap();
    user(&dir, "jdoe@example.loc", "John Doe", "pw").await;
    // More calls than the pool has connections: all must see the same database.
    for _ in 0..5 {
        assert_eq!(dir.clone().list_users(None).await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn an_unsupported_database_url_is_refused() {
    let err = Directory::connect("mysql://localhost/db", test_options())
        .await
        .unwrap_err();
    assert!(matches!(err, DirectoryError::UnsupportedUrl), "{err:?}");
}

#[tokio::test]
async fn an_invalid_default_domain_is_refused_at_connect() {
    let options = DirectoryOptions {
        default_domain: Some("not valid".into()),
        ..test_options()
    };
    let err = Directory::connect("sqlite::memory:", options)
        .await
        .unwrap_err();
    assert!(matches!(err, DirectoryError::InvalidDomain(_)), "{err:?}");
}

#[tokio::test]
async fn two_postgres_schemas_in_one_database_hold_separate_directories() {
    let db = TestDb::postgres().await;
    let in_schema = |schema: &str| DirectoryOptions {
        postgres_schema: Some(schema.to_owned()),
        ..test_options()
    };
    let a = db.directory(in_schema("directory_a")).await;
    let b = db.directory(in_schema("directory_b")).await;
    a.create_domain("example.loc", None).await.unwrap();
    b.create_domain("example.loc", None).await.unwrap();
    user(&a, "jdoe@example.loc", "John A", "pw").await;
    assert!(b.list_users(None).await.unwrap().is_empty());
    let again = db.directory(in_schema("directory_a")).await;
    assert_eq!(again.list_users(None).await.unwrap().len(), 1);
    let err = Directory::connect(db.url(), in_schema("bad; name"))
        .await
        .unwrap_err();
    assert!(matches!(err, DirectoryError::InvalidSchema(_)), "{err:?}");
}

#[test]
fn production_defaults_follow_owasp_for_argon2id() {
    let cost = DirectoryOptions::default().argon2;
    assert_eq!(
        cost,
        Argon2Cost {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1
        }
    );
}

backend_tests! {
    async fn reconnecting_keeps_the_data_and_reruns_no_migration(db: &TestDb) {
        let first = db.directory(test_options()).await;
        first.create_domain("example.loc", None).await.unwrap();
        user(&first, "jdoe@example.loc", "John Doe", "pw").await;
        drop(first);
        let second = db.directory(test_options()).await;
        second.authenticate("jdoe@example.loc", "pw").await.unwrap();
    }

    async fn passwords_are_stored_only_as_salted_argon2id_hashes(db: &TestDb) {
        let dir = db.directory(test_options()).await;
        dir.create_domain("example.loc", None).await.unwrap();
        user(&dir, "a@example.loc", "A", "same password").await;
        user(&dir, "b@example.loc", "B", "same password").await;
        let hashes = stored_password_hashes(db).await;
        assert_eq!(hashes.len(), 2);
        for hash in &hashes {
            assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
            assert!(!hash.contains("same password"));
        }
        assert_ne!(hashes[0], hashes[1]);
    }

    async fn a_blank_display_name_becomes_the_local_part(db: &TestDb) {
        let dir = db.directory(test_options()).await;
        dir.create_domain("example.loc", None).await.unwrap();
        let created = user(&dir, "jdoe@example.loc", "   ", "pw").await;
        assert_eq!(created.display_name, "jdoe");
    }

    async fn an_unknown_user_costs_as_much_argon2_work_as_a_wrong_password(db: &TestDb) {
        // Enough cost that one verification clearly outweighs the database round trips.
        let options = DirectoryOptions {
            argon2: Argon2Cost { memory_kib: 4096, iterations: 8, parallelism: 1 },
            ..test_options()
        };
        let dir = db.directory(options).await;
        dir.create_domain("example.loc", None).await.unwrap();
        user(&dir, "jdoe@example.loc", "John Doe", "pw").await;
        // The minimum of interleaved runs, so that other tests hogging the CPU skew neither
        // side; without the dummy verification the ratio would be tens to one.
        let (mut wrong_password, mut unknown_user) = (Duration::MAX, Duration::MAX);
        for _ in 0..5 {
            for (login, best) in [
                ("jdoe@example.loc", &mut wrong_password),
                ("nobody@example.loc", &mut unknown_user),
            ] {
                let start = Instant::now();
                let _ = dir.authenticate(login, "wrong").await;
                *best = (*best).min(start.elapsed());
            }
        }
        assert!(
            unknown_user * 4 > wrong_password,
            "unknown {unknown_user:?} vs wrong password {wrong_password:?}"
        );
        let err = dir.authenticate("nobody@example.loc", "wrong").await.unwrap_err();
        assert!(matches!(err, AuthError::UnknownUser));
    }
}
