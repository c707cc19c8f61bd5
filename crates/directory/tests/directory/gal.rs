//! GAL search over display names and addresses.

use eas_directory::{Directory, UserUpdate};

use crate::harness::{backend_tests, test_options, user, TestDb};

async fn staff(db: &TestDb) -> Directory {
    let dir = db.directory(test_options()).await;
    dir.create_domain("example.loc", None).await.unwrap();
    dir.create_domain("other.loc", None).await.unwrap();
    user(&dir, "jdoe@example.loc", "John Doe", "pw").await;
    user(&dir, "asmith@example.loc", "Anna Smith", "pw").await;
    user(&dir, "bjohnson@example.loc", "Bob Johnson", "pw").await;
    user(&dir, "zed@example.loc", "zed jones", "pw").await;
    user(&dir, "john@other.loc", "John Other", "pw").await;
    dir
}

fn names(users: Vec<eas_directory::User>) -> Vec<String> {
    users.into_iter().map(|u| u.display_name).collect()
}

backend_tests! {
    async fn a_query_matches_the_start_of_any_display_name_word_in_name_order(db: &TestDb) {
        let dir = staff(db).await;
        let found = dir.search_users("example.loc", "JO", 10).await.unwrap();
        assert_eq!(names(found), ["Bob Johnson", "John Doe", "zed jones"]);
    }

    async fn a_query_matches_the_start_of_an_address_or_alias(db: &TestDb) {
        let dir = staff(db).await;
        assert_eq!(
            names(dir.search_users("example.loc", "asm", 10).await.unwrap()),
            ["Anna Smith"]
        );
        assert_eq!(
            names(dir.search_users("example.loc", "jdoe@example", 10).await.unwrap()),
            ["John Doe"]
        );
        dir.add_alias("asmith@example.loc", "anna.s@example.loc").await.unwrap();
        assert_eq!(
            names(dir.search_users("example.loc", "anna.s@", 10).await.unwrap()),
            ["Anna Smith"]
        );
    }

    async fn a_query_does_not_match_the_middle_of_a_word(db: &TestDb) {
        let dir = staff(db).await;
        assert!(dir.search_users("example.loc", "ohn", 10).await.unwrap().is_empty());
        assert!(dir.search_users("example.loc", "%", 10).await.unwrap().is_empty());
        assert!(dir.search_users("example.loc", "  ", 10).await.unwrap().is_empty());
    }

    async fn search_stays_in_its_domain_and_skips_disabled_users(db: &TestDb) {
        let dir = staff(db).await;
        let disable = UserUpdate { disabled: Some(true), ..Default::default() };
        dir.update_user("bjohnson@example.loc", disable).await.unwrap();
        let found = dir.search_users("example.loc", "john", 10).await.unwrap();
        assert_eq!(names(found), ["John Doe"]);
        let found = dir.search_users("other.loc", "john", 10).await.unwrap();
        assert_eq!(names(found), ["John Other"]);
    }

    async fn the_limit_counts_users_not_aliases(db: &TestDb) {
        let dir = staff(db).await;
        dir.add_alias("bjohnson@example.loc", "bob@example.loc").await.unwrap();
        dir.add_alias("bjohnson@example.loc", "bobby@example.loc").await.unwrap();
        let found = dir.search_users("example.loc", "jo", 2).await.unwrap();
        assert_eq!(names(found.clone()), ["Bob Johnson", "John Doe"]);
        assert_eq!(found[0].aliases, ["bob@example.loc", "bobby@example.loc"]);
    }
}
