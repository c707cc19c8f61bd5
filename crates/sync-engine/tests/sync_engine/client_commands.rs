//! Rules 3 and 5: client Add, Change and Delete, conflicts, and resent client Adds.

use crate::common;

use common::*;
use eas_sync::{
    AddDecision, ChangeDecision, Committed, ConflictPolicy, DeleteDecision, MemoryFolder, Session,
    SyncOptions,
};

async fn synced(folder: &MemoryFolder) -> Committed {
    let k1 = start(folder, &opts()).await;
    sync(folder, Some(&k1.state), &k1.key.to_string(), &opts())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_client_add_is_recorded_as_held_and_not_echoed_back() {
    let folder = MemoryFolder::new();
    let k2 = synced(&folder).await;
    let mut s = Session::open(Some(k2.state), &k2.key.to_string(), &opts()).unwrap();
    assert_eq!(s.client_add("c1"), AddDecision::Create);
    let created = folder.create(Some(NOW));
    s.record_client_add("c1", &created);
    let plan = s.plan(&folder).await.unwrap();
    assert!(plan.commands.is_empty());
    let k3 = s.commit(plan);
    assert!(k3.state.held(&created.id).is_some());
    let k4 = sync(&folder, Some(&k3.state), &k3.key.to_string(), &opts())
        .await
        .unwrap();
    assert!(k4.commands.is_empty());
}

#[tokio::test]
async fn a_resent_client_add_maps_to_the_same_server_id_and_creates_nothing() {
    let folder = MemoryFolder::new();
    let k2 = synced(&folder).await;
    let key = k2.key.to_string();
    let mut s = Session::open(Some(k2.state.clone()), &key, &opts()).unwrap();
    s.client_add("c1");
    let created = folder.create(Some(NOW));
    s.record_client_add("c1", &created);
    let plan = s.plan(&folder).await.unwrap();
    let lost = s.commit(plan);

    let mut again = Session::open(Some(lost.state.clone()), &key, &opts()).unwrap();
    let decision = again.client_add("c1");
    assert_eq!(
        decision,
        AddDecision::AlreadyCreated {
            server_id: created.id.clone()
        }
    );
    assert_eq!(again.client_add("c2"), AddDecision::Create);
    let plan = again.plan(&folder).await.unwrap();
    assert!(
        plan.commands.is_empty(),
        "the created item is not sent as an add"
    );
    let answered = again.commit(plan);
    assert_eq!(answered.key, lost.key);
    assert_eq!(folder.live().len(), 1);
    // Losing the second answer too still maps the same way.
    let mut third = Session::open(Some(answered.state), &key, &opts()).unwrap();
    assert!(matches!(
        third.client_add("c1"),
        AddDecision::AlreadyCreated { .. }
    ));
}

#[tokio::test]
async fn a_client_change_is_applied_and_not_echoed_back() {
    let folder = MemoryFolder::new();
    let a = folder.create(Some(NOW)).id;
    let k2 = synced(&folder).await;
    let mut s = Session::open(Some(k2.state), &k2.key.to_string(), &opts()).unwrap();
    let decisions = s
        .client_changes(&folder, std::slice::from_ref(&a))
        .await
        .unwrap();
    assert_eq!(decisions, vec![ChangeDecision::Apply]);
    let changed = folder.update(&a, Some(NOW)).unwrap();
    s.record_client_change(&changed);
    let plan = s.plan(&folder).await.unwrap();
    assert!(plan.commands.is_empty());
    let k3 = s.commit(plan);
    assert_eq!(k3.state.held(&a).map(|h| h.modseq), Some(changed.modseq));
}

#[tokio::test]
async fn a_conflicting_change_loses_to_the_server_by_default_and_the_server_version_is_sent() {
    let folder = MemoryFolder::new();
    let a = folder.create(Some(NOW)).id;
    let k2 = synced(&folder).await;
    let server = folder.update(&a, Some(NOW)).unwrap();
    let small = SyncOptions {
        window_size: Some(1),
        ..opts()
    };
    folder.create(None);
    let mut s = Session::open(Some(k2.state), &k2.key.to_string(), &small).unwrap();
    let decisions = s
        .client_changes(&folder, std::slice::from_ref(&a))
        .await
        .unwrap();
    assert_eq!(decisions, vec![ChangeDecision::Conflict]);
    let plan = s.plan(&folder).await.unwrap();
    assert_eq!(kinds(&plan.commands), vec![("change", a.clone())]);
    assert!(plan.more_available);
    let k3 = s.commit(plan);
    assert_eq!(k3.state.held(&a).map(|h| h.modseq), Some(server.modseq));
    let k4 = sync(&folder, Some(&k3.state), &k3.key.to_string(), &opts())
        .await
        .unwrap();
    assert_eq!(
        k4.commands.len(),
        1,
        "only the other new item, not the change again"
    );
}

#[tokio::test]
async fn with_conflict_zero_the_client_wins() {
    let folder = MemoryFolder::new();
    let a = folder.create(Some(NOW)).id;
    let k2 = synced(&folder).await;
    folder.update(&a, Some(NOW));
    let client_wins = SyncOptions {
        conflict: ConflictPolicy::from_code(0),
        ..opts()
    };
    let mut s = Session::open(Some(k2.state), &k2.key.to_string(), &client_wins).unwrap();
    let decisions = s
        .client_changes(&folder, std::slice::from_ref(&a))
        .await
        .unwrap();
    assert_eq!(decisions, vec![ChangeDecision::Apply]);
    let changed = folder.update(&a, Some(NOW)).unwrap();
    s.record_client_change(&changed);
    let plan = s.plan(&folder).await.unwrap();
    assert!(plan.commands.is_empty());
}

#[tokio::test]
async fn a_change_to_an_item_the_device_lacks_or_the_server_deleted_is_not_found() {
    let folder = MemoryFolder::new();
    let a = folder.create(Some(NOW)).id;
    let k2 = synced(&folder).await;
    folder.delete(&a);
    let mut s = Session::open(Some(k2.state), &k2.key.to_string(), &opts()).unwrap();
    let decisions = s
        .client_changes(&folder, &[a.clone(), "nope".into()])
        .await
        .unwrap();
    assert_eq!(decisions, vec![ChangeDecision::NotFound; 2]);
    let plan = s.plan(&folder).await.unwrap();
    assert_eq!(kinds(&plan.commands), vec![("delete", a)]);
}

#[tokio::test]
async fn a_resent_client_change_is_not_applied_twice_nor_called_a_conflict() {
    let folder = MemoryFolder::new();
    let a = folder.create(Some(NOW)).id;
    let k2 = synced(&folder).await;
    let key = k2.key.to_string();
    let mut s = Session::open(Some(k2.state), &key, &opts()).unwrap();
    s.client_changes(&folder, std::slice::from_ref(&a))
        .await
        .unwrap();
    let changed = folder.update(&a, Some(NOW)).unwrap();
    s.record_client_change(&changed);
    let plan = s.plan(&folder).await.unwrap();
    let lost = s.commit(plan);
    let mut again = Session::open(Some(lost.state), &key, &opts()).unwrap();
    let decisions = again
        .client_changes(&folder, std::slice::from_ref(&a))
        .await
        .unwrap();
    assert_eq!(decisions, vec![ChangeDecision::AlreadyApplied]);
    let plan = again.plan(&folder).await.unwrap();
    assert!(plan.commands.is_empty());
}

#[tokio::test]
async fn a_client_delete_is_applied_once_and_its_tombstone_is_not_echoed() {
    let folder = MemoryFolder::new();
    let a = folder.create(Some(NOW)).id;
    let k2 = synced(&folder).await;
    let mut s = Session::open(Some(k2.state), &k2.key.to_string(), &opts()).unwrap();
    assert_eq!(s.client_delete(&a), DeleteDecision::Apply);
    assert_eq!(s.client_delete("nope"), DeleteDecision::NotFound);
    folder.delete(&a);
    s.record_client_delete(&a);
    let plan = s.plan(&folder).await.unwrap();
    assert!(plan.commands.is_empty());
    let k3 = s.commit(plan);
    assert_eq!(k3.state.held_len(), 0);
}

#[tokio::test]
async fn a_refused_change_sends_the_server_version_back_and_a_refused_delete_adds_it_again() {
    use eas_sync::ItemSource;
    let folder = MemoryFolder::new();
    let a = folder.create(Some(NOW)).id;
    let b = folder.create(Some(NOW)).id;
    let k2 = synced(&folder).await;
    let mut s = Session::open(Some(k2.state), &k2.key.to_string(), &opts()).unwrap();
    let decisions = s
        .client_changes(&folder, std::slice::from_ref(&a))
        .await
        .unwrap();
    assert_eq!(decisions, vec![ChangeDecision::Apply]);
    // The server cannot take the change (a read-only share): nothing is written, and the
    // device gets the server's version of `a` back; the delete of `b` is undone with an Add.
    let current = folder.current(&[a.clone(), b.clone()]).await.unwrap();
    let version = |id: &str| current.iter().find(|v| v.id == id).cloned().unwrap();
    s.refuse_client_change(&version(&a));
    assert_eq!(s.client_delete(&b), DeleteDecision::Apply);
    s.refuse_client_delete(&version(&b));
    let plan = s.plan(&folder).await.unwrap();
    assert_eq!(
        kinds(&plan.commands),
        vec![("change", a.clone()), ("add", b.clone())]
    );
    let k3 = s.commit(plan);
    assert_eq!(
        k3.state.held(&a).map(|h| h.modseq),
        Some(version(&a).modseq)
    );
    assert!(k3.state.held(&b).is_some());
    let k4 = sync(&folder, Some(&k3.state), &k3.key.to_string(), &opts())
        .await
        .unwrap();
    assert!(k4.commands.is_empty(), "nothing is sent twice");
}
