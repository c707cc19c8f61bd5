//! Thousands of concurrent calls over the in-process gRPC channel, as held Pings make them.

use std::sync::Arc;

use eas_event_bus::InProcessBus;
use eas_mail::grpc::MailService;
use eas_mail::{MailOptions, MailStore};
use eas_rpc::collections::collections_client::CollectionsClient;
use eas_rpc::collections::{ChangesRequest, ListFoldersRequest};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_thousand_concurrent_calls_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("mail.db").display());
    let store = MailStore::connect(&url, MailOptions::default(), Arc::new(InProcessBus::new()))
        .await
        .unwrap();
    let users: Vec<String> = (0..100).map(|i| format!("u{i}@example.loc")).collect();
    for u in &users {
        store.ensure_mailbox(u).await.unwrap();
    }
    let channel = eas_rpc::in_process::routes_channel(MailService::new(store).into_routes())
        .await
        .unwrap();
    let client = CollectionsClient::new(channel);
    let mut tasks = tokio::task::JoinSet::new();
    // Without a limit on the calls in flight, about 9,000 at once broke the HTTP/2 connection
    // (broken pipe) and failed every call on it.
    for i in 0..20_000usize {
        let mut c = client.clone();
        let user = users[i % users.len()].clone();
        tasks.spawn(async move {
            let folders = c
                .list_folders(ListFoldersRequest { user: user.clone() })
                .await?
                .into_inner();
            let inbox = folders
                .folders
                .first()
                .map(|f| f.id.clone())
                .unwrap_or_default();
            c.changes_since(ChangesRequest {
                user,
                folder_id: inbox,
                after: None,
                limit: 0,
            })
            .await?;
            Ok::<_, tonic::Status>(())
        });
    }
    let mut failures = Vec::new();
    while let Some(r) = tasks.join_next().await {
        if let Err(e) = r.unwrap() {
            failures.push(e.to_string());
        }
    }
    failures.sort();
    failures.dedup();
    assert!(failures.is_empty(), "{failures:?}");
}
