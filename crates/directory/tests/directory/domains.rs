//! Domains: creation, listing, approval override, deletion.

use eas_directory::{ApprovalPolicy, DirectoryError, Entity};

use crate::harness::{backend_tests, test_options, user};

backend_tests! {
    async fn domain_names_are_stored_lowercase_and_listed_by_name(db: &TestDb) {
        let dir = db.directory(test_options()).await;
        dir.create_domain("Zeta.LOC", None).await.unwrap();
        dir.create_domain("alpha.loc", Some(ApprovalPolicy::Block)).await.unwrap();
        let names: Vec<_> = dir.list_domains().await.unwrap().into_iter().map(|d| d.name).collect();
        assert_eq!(names, ["alpha.loc", "zeta.loc"]);
        let zeta = dir.get_domain("ZETA.loc").await.unwrap();
        assert_eq!(zeta.approval, None);
    }

    async fn creating_a_domain_twice_is_a_duplicate_error(db: &TestDb) {
        let dir = db.directory(test_options()).await;
        dir.create_domain("example.loc", None).await.unwrap();
        let err = dir.create_domain("EXAMPLE.loc", None).await.unwrap_err();
        assert!(
            matches!(err, DirectoryError::Duplicate { entity: Entity::Domain, .. }),
            "{err:?}"
        );
    }

    async fn an_invalid_domain_name_is_refused(db: &TestDb) {
        let dir = db.directory(test_options()).await;
        let err = dir.create_domain("not a domain", None).await.unwrap_err();
        assert!(matches!(err, DirectoryError::InvalidDomain(_)), "{err:?}");
    }

    async fn the_approval_override_can_be_set_and_cleared(db: &TestDb) {
        let dir = db.directory(test_options()).await;
        dir.create_domain("example.loc", None).await.unwrap();
        let set = dir
            .set_domain_approval("example.loc", Some(ApprovalPolicy::RequireApproval))
            .await
            .unwrap();
        assert_eq!(set.approval, Some(ApprovalPolicy::RequireApproval));
        dir.set_domain_approval("example.loc", None).await.unwrap();
        assert_eq!(dir.get_domain("example.loc").await.unwrap().approval, None);
        let err = dir.set_domain_approval("missing.loc", None).await.unwrap_err();
        assert!(matches!(err, DirectoryError::NotFound { entity: Entity::Domain, .. }));
    }

    async fn deleting_a_domain_with_users_is_refused(db: &TestDb) {
        let dir = db.directory(test_options()).await;
        dir.create_domain("example.loc", None).await.unwrap();
        user(&dir, "jdoe@example.loc", "John Doe", "pw").await;
        let err = dir.delete_domain("example.loc").await.unwrap_err();
        assert!(matches!(err, DirectoryError::DomainHasUsers(_)), "{err:?}");
        dir.delete_user("jdoe@example.loc").await.unwrap();
        dir.delete_domain("example.loc").await.unwrap();
        assert!(dir.list_domains().await.unwrap().is_empty());
    }

    async fn deleting_a_domain_that_only_holds_an_alias_is_refused(db: &TestDb) {
        let dir = db.directory(test_options()).await;
        dir.create_domain("example.loc", None).await.unwrap();
        dir.create_domain("other.loc", None).await.unwrap();
        user(&dir, "jdoe@example.loc", "John Doe", "pw").await;
        dir.add_alias("jdoe@example.loc", "john@other.loc").await.unwrap();
        let err = dir.delete_domain("other.loc").await.unwrap_err();
        assert!(matches!(err, DirectoryError::DomainHasUsers(_)), "{err:?}");
        dir.remove_alias("john@other.loc").await.unwrap();
        dir.delete_domain("other.loc").await.unwrap();
    }

    async fn deleting_a_missing_domain_is_not_found(db: &TestDb) {
        let dir = db.directory(test_options()).await;
        let err = dir.delete_domain("missing.loc").await.unwrap_err();
        assert!(matches!(err, DirectoryError::NotFound { entity: Entity::Domain, .. }));
    }
}
