//! The device-approval policy that applies to a user.

use eas_directory::{ApprovalPolicy, DirectoryError};

use crate::harness::{backend_tests, test_options, user};

backend_tests! {
    async fn the_global_default_applies_when_the_domain_has_no_override(db: &TestDb) {
        let dir = db.directory(test_options()).await;
        dir.create_domain("example.loc", None).await.unwrap();
        user(&dir, "jdoe@example.loc", "John Doe", "pw").await;
        for global in [ApprovalPolicy::AllowAll, ApprovalPolicy::RequireApproval] {
            let policy = dir.effective_approval("jdoe@example.loc", global).await.unwrap();
            assert_eq!(policy, global);
        }
    }

    async fn a_domain_override_wins_over_the_global_default(db: &TestDb) {
        let dir = db.directory(test_options()).await;
        dir.create_domain("example.loc", Some(ApprovalPolicy::RequireApproval)).await.unwrap();
        dir.create_domain("open.loc", None).await.unwrap();
        user(&dir, "jdoe@example.loc", "John Doe", "pw").await;
        user(&dir, "ann@open.loc", "Ann Open", "pw").await;
        let global = ApprovalPolicy::AllowAll;
        assert_eq!(
            dir.effective_approval("JDoe@Example.loc", global).await.unwrap(),
            ApprovalPolicy::RequireApproval
        );
        assert_eq!(dir.effective_approval("ann@open.loc", global).await.unwrap(), global);
        dir.set_domain_approval("open.loc", Some(ApprovalPolicy::Block)).await.unwrap();
        assert_eq!(
            dir.effective_approval("ann@open.loc", global).await.unwrap(),
            ApprovalPolicy::Block
        );
    }

    async fn an_alias_gets_the_policy_of_its_users_domain(db: &TestDb) {
        let dir = db.directory(test_options()).await;
        dir.create_domain("example.loc", Some(ApprovalPolicy::Block)).await.unwrap();
        dir.create_domain("other.loc", None).await.unwrap();
        user(&dir, "jdoe@example.loc", "John Doe", "pw").await;
        dir.add_alias("jdoe@example.loc", "john@other.loc").await.unwrap();
        let policy = dir
            .effective_approval("john@other.loc", ApprovalPolicy::AllowAll)
            .await
            .unwrap();
        assert_eq!(policy, ApprovalPolicy::Block);
    }

    async fn the_policy_of_an_unknown_user_is_not_found(db: &TestDb) {
        let dir = db.directory(test_options()).await;
        let err = dir
            .effective_approval("nobody@example.loc", ApprovalPolicy::AllowAll)
            .await
            .unwrap_err();
        assert!(matches!(err, DirectoryError::NotFound { .. }), "{err:?}");
    }
}
