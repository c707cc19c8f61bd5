//! Mail out: local delivery, the relay queue (sent, retried, bounced), Bcc, Sent Items, the
//! sender check and the smart commands, against a real SMTP sink on 127.0.0.1.

use std::sync::Arc;

use async_trait::async_trait;
use eas_mail::lmtp::{RecipientResolver, ResolveError};
use eas_mail::submit::relay::{RelayConfig, RelayWorker};
use eas_mail::submit::{Smart, SmartKind, Submission, SubmitError, Submitter};
use eas_mail::{FolderType, MailStore, MessageId};

use crate::harness::{backend_tests, folder, text_mail, USER};
use crate::smtp_sink::{free_port, Sink};

const BOB: &str = "bob@example.loc";

/// jdoe (also known as john.doe) and bob are local; everyone else is external.
struct Directory;

#[async_trait]
impl RecipientResolver for Directory {
    async fn resolve(&self, address: &str) -> Result<Option<String>, ResolveError> {
        Ok(match address.to_lowercase().as_str() {
            "jdoe@example.loc" | "john.doe@example.loc" => Some(USER.to_owned()),
            "bob@example.loc" => Some(BOB.to_owned()),
            _ => None,
        })
    }
}

fn relay_config(port: u16) -> RelayConfig {
    RelayConfig {
        port,
        retry_initial_ms: 1_000,
        timeout_ms: 5_000,
        ..RelayConfig::default()
    }
}

fn submitter(store: &MailStore, port: Option<u16>) -> (Submitter, Option<RelayWorker>) {
    let (worker, handle) = match port {
        Some(p) => {
            let (w, h) = RelayWorker::new(store.clone(), relay_config(p));
            (Some(w), Some(h))
        }
        None => (None, None),
    };
    (
        Submitter::new(store.clone(), Arc::new(Directory), handle),
        worker,
    )
}

fn mail(from: &str, to: &str, extra: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {to}\r\n{extra}Subject: Lunch\r\nMessage-ID: <lunch@example.loc>\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

fn send(mime: Vec<u8>, save: bool) -> Submission {
    Submission {
        user: USER.to_owned(),
        mime,
        save_in_sent: save,
        smart: None,
    }
}

async fn messages_in(
    store: &MailStore,
    user: &str,
    kind: FolderType,
) -> Vec<(MessageId, String, bool)> {
    store.ensure_mailbox(user).await.unwrap();
    let id = store
        .hierarchy(user)
        .await
        .unwrap()
        .folders
        .into_iter()
        .find(|f| f.folder_type == kind)
        .unwrap()
        .id;
    let versions = store.changes_since(user, id, (0, ""), 100).await.unwrap();
    let ids: Vec<_> = versions
        .iter()
        .filter(|v| !v.deleted)
        .map(|v| v.id)
        .collect();
    let mut out = Vec::new();
    for meta in store.get(user, &ids).await.unwrap() {
        let raw = store
            .raw(user, meta.id)
            .await
            .unwrap()
            .read_to_end()
            .await
            .unwrap();
        out.push((
            meta.id,
            String::from_utf8_lossy(&raw).into_owned(),
            meta.read,
        ));
    }
    out
}

backend_tests! {
    async fn a_local_recipient_gets_it_in_the_inbox_and_the_sender_a_read_copy_in_sent_items(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let (submitter, _) = submitter(&store, None);
        submitter.submit(send(mail(USER, BOB, "", "see you at noon"), true), 1_000).await.unwrap();
        let inbox = messages_in(&store, BOB, FolderType::Inbox).await;
        assert_eq!(inbox.len(), 1);
        assert!(inbox[0].1.contains("see you at noon"));
        let sent = messages_in(&store, USER, FolderType::SentItems).await;
        assert_eq!(sent.len(), 1);
        assert!(sent[0].2, "the sent copy is marked read");
        assert!(store.outbound_queue().await.unwrap().is_empty());
    }

    async fn without_save_in_sent_items_no_copy_is_kept(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let (submitter, _) = submitter(&store, None);
        submitter.submit(send(mail(USER, BOB, "", "hi"), false), 1_000).await.unwrap();
        assert!(messages_in(&store, USER, FolderType::SentItems).await.is_empty());
    }

    async fn an_external_recipient_goes_through_the_relay_with_bcc_stripped(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let sink = Sink::start().await;
        let (submitter, worker) = submitter(&store, Some(sink.port));
        let raw = mail(USER, "Carol <carol@example.org>", "Bcc: dave@example.net, bob@example.loc\r\n", "hello");
        submitter.submit(send(raw, true), 1_000).await.unwrap();
        assert_eq!(store.outbound_queue().await.unwrap().len(), 1);
        assert_eq!(worker.unwrap().run_due(1_000).await.unwrap(), 1);
        let got = sink.messages();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].from, USER);
        assert_eq!(got[0].to, ["carol@example.org", "dave@example.net"]);
        assert!(!got[0].data.to_lowercase().contains("bcc:"), "{}", got[0].data);
        assert!(got[0].data.contains("hello"));
        assert!(store.outbound_queue().await.unwrap().is_empty());
        let bob = messages_in(&store, BOB, FolderType::Inbox).await;
        assert_eq!(bob.len(), 1, "a local bcc recipient gets it directly");
        assert!(!bob[0].1.to_lowercase().contains("bcc:"));
        let sent = messages_in(&store, USER, FolderType::SentItems).await;
        assert!(!sent[0].1.to_lowercase().contains("bcc:"));
    }

    async fn a_relay_that_is_down_keeps_the_message_until_it_comes_back(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let port = free_port();
        let (submitter, worker) = submitter(&store, Some(port));
        let worker = worker.unwrap();
        submitter.submit(send(mail(USER, "carol@example.org", "", "retry me"), false), 1_000).await.unwrap();
        assert_eq!(worker.run_due(1_000).await.unwrap(), 0);
        let queued = store.outbound_queue().await.unwrap();
        assert_eq!(queued.len(), 1);
        assert_eq!(queued[0].attempts, 1);
        assert!(queued[0].last_error.is_some());
        // Not due again before the backoff has passed.
        assert_eq!(worker.run_due(1_500).await.unwrap(), 0);
        assert_eq!(store.outbound_queue().await.unwrap()[0].attempts, 1);
        let sink = Sink::start_on(port, false).await;
        assert_eq!(worker.run_due(2_000).await.unwrap(), 1);
        assert!(sink.messages()[0].data.contains("retry me"));
        assert!(store.outbound_queue().await.unwrap().is_empty());
    }

    async fn a_permanent_refusal_bounces_to_the_sender_and_is_not_retried(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let sink = Sink::start_on(0, true).await;
        let (submitter, worker) = submitter(&store, Some(sink.port));
        submitter.submit(send(mail(USER, "nobody@example.org", "", "lost"), false), 1_000).await.unwrap();
        assert_eq!(worker.unwrap().run_due(1_000).await.unwrap(), 0);
        assert!(store.outbound_queue().await.unwrap().is_empty());
        let inbox = messages_in(&store, USER, FolderType::Inbox).await;
        assert_eq!(inbox.len(), 1);
        assert!(inbox[0].1.contains("Undeliverable: Lunch"));
        assert!(inbox[0].1.contains("nobody@example.org"));
    }

    async fn without_a_relay_external_recipients_are_refused_and_nothing_is_written(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let (submitter, _) = submitter(&store, None);
        let raw = mail(USER, "bob@example.loc, carol@example.org", "", "x");
        let err = submitter.submit(send(raw, true), 1_000).await.unwrap_err();
        assert!(matches!(err, SubmitError::NoRelay(1)), "{err:?}");
        assert!(messages_in(&store, BOB, FolderType::Inbox).await.is_empty());
        assert!(messages_in(&store, USER, FolderType::SentItems).await.is_empty());
    }

    async fn a_from_that_is_not_the_user_is_replaced_and_an_alias_is_kept(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let (submitter, _) = submitter(&store, None);
        submitter.submit(send(mail("Boss <ceo@example.loc>", BOB, "", "a"), false), 1).await.unwrap();
        submitter.submit(send(mail("John <john.doe@example.loc>", BOB, "", "b"), false), 2).await.unwrap();
        let inbox = messages_in(&store, BOB, FolderType::Inbox).await;
        let metas = store.get(BOB, &inbox.iter().map(|m| m.0).collect::<Vec<_>>()).await.unwrap();
        let mut froms: Vec<_> = metas.iter().map(|m| m.from[0].address.clone()).collect();
        froms.sort();
        assert_eq!(froms, ["jdoe@example.loc", "john.doe@example.loc"]);
    }

    async fn a_second_from_header_is_refused_and_nothing_is_delivered_or_queued(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let sink = Sink::start().await;
        let (submitter, _worker) = submitter(&store, Some(sink.port));
        // The first From is another user's, the second (the one mail-parser reports) the user's.
        let raw = mail("ceo@example.loc", "bob@example.loc, carol@example.org", &format!("From: {USER}\r\n"), "x");
        let err = submitter.submit(send(raw, true), 1).await.unwrap_err();
        assert!(matches!(err, SubmitError::InvalidMime), "{err:?}");
        assert!(messages_in(&store, BOB, FolderType::Inbox).await.is_empty());
        assert!(messages_in(&store, USER, FolderType::SentItems).await.is_empty());
        assert!(store.outbound_queue().await.unwrap().is_empty());
    }

    async fn a_repeated_sender_or_reply_to_and_a_smart_reply_with_two_froms_are_refused(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let (submitter, _) = submitter(&store, None);
        for extra in [
            format!("Sender: {USER}\r\nSender: ceo@example.loc\r\n"),
            "Reply-To: a@example.org\r\nReply-To: b@example.org\r\n".to_owned(),
        ] {
            let err = submitter.submit(send(mail(USER, BOB, &extra, "x"), true), 1).await.unwrap_err();
            assert!(matches!(err, SubmitError::InvalidMime), "{extra}: {err:?}");
        }
        let original = store.deliver(USER, None, &text_mail("Plans", "shall we meet?"), 1).await.unwrap();
        let smart = Smart { original: original.id, kind: SmartKind::Reply, replace_mime: false };
        let mime = mail("ceo@example.loc", BOB, &format!("From: {USER}\r\n"), "yes");
        let err = submitter.submit(Submission { smart: Some(smart), ..send(mime, true) }, 2).await.unwrap_err();
        assert!(matches!(err, SubmitError::InvalidMime), "{err:?}");
        assert!(messages_in(&store, BOB, FolderType::Inbox).await.is_empty());
        assert!(messages_in(&store, USER, FolderType::SentItems).await.is_empty());
    }

    async fn a_from_with_two_mailboxes_leaves_as_the_users_single_address_locally_and_externally(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let sink = Sink::start().await;
        let (submitter, worker) = submitter(&store, Some(sink.port));
        let raw = mail(&format!("John <{USER}>, Boss <ceo@example.loc>"), "bob@example.loc, carol@example.org", "", "two froms");
        submitter.submit(send(raw, true), 1_000).await.unwrap();
        assert_eq!(worker.unwrap().run_due(1_000).await.unwrap(), 1);
        let external = sink.messages()[0].data.clone();
        let bob = messages_in(&store, BOB, FolderType::Inbox).await;
        let sent = messages_in(&store, USER, FolderType::SentItems).await;
        for copy in [&external, &bob[0].1, &sent[0].1] {
            let froms: Vec<_> = copy.lines().filter(|l| l.to_ascii_lowercase().starts_with("from:")).collect();
            assert_eq!(froms, [format!("From: <{USER}>")], "{copy}");
            assert!(!copy.contains("ceo@example.loc"), "{copy}");
            assert!(copy.contains("two froms"));
        }
        let metas = store.get(BOB, &[bob[0].0]).await.unwrap();
        assert_eq!(metas[0].from.len(), 1);
        assert_eq!(metas[0].from[0].address, USER);
    }

    async fn a_sender_of_another_user_is_removed_while_the_users_alias_as_sender_and_any_reply_to_stay(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let sink = Sink::start().await;
        let (submitter, worker) = submitter(&store, Some(sink.port));
        let foreign = mail(USER, "bob@example.loc, carol@example.org", "Sender: Boss <ceo@example.loc>\r\nReply-To: team@example.org\r\n", "foreign");
        submitter.submit(send(foreign, false), 1_000).await.unwrap();
        let own = mail(USER, BOB, "Sender: John <john.doe@example.loc>\r\n", "own");
        submitter.submit(send(own, false), 1_001).await.unwrap();
        assert_eq!(worker.unwrap().run_due(1_001).await.unwrap(), 1);
        let external = sink.messages()[0].data.clone();
        let bob = messages_in(&store, BOB, FolderType::Inbox).await;
        let local = &bob.iter().find(|m| m.1.contains("foreign")).unwrap().1;
        for copy in [&external, local] {
            assert!(!copy.to_ascii_lowercase().contains("sender:"), "{copy}");
            assert!(!copy.contains("ceo@example.loc"), "{copy}");
            assert!(copy.contains("Reply-To: team@example.org"), "{copy}");
            assert!(copy.contains(&format!("From: {USER}")), "{copy}");
        }
        let own = &bob.iter().find(|m| m.1.contains("own")).unwrap().1;
        assert!(own.contains("Sender: John <john.doe@example.loc>"), "{own}");
    }

    async fn empty_recipients_and_unreadable_mime_are_refused(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let (submitter, _) = submitter(&store, None);
        let none = b"From: jdoe@example.loc\r\nSubject: x\r\n\r\nbody\r\n".to_vec();
        assert!(matches!(submitter.submit(send(none, true), 1).await, Err(SubmitError::NoRecipients)));
        assert!(matches!(submitter.submit(send(Vec::new(), true), 1).await, Err(SubmitError::InvalidMime)));
    }

    async fn smart_reply_quotes_the_original_below_the_new_text(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let original = store.deliver(USER, None, &text_mail("Plans", "shall we meet?"), 1).await.unwrap();
        let (submitter, _) = submitter(&store, None);
        let smart = Smart { original: original.id, kind: SmartKind::Reply, replace_mime: false };
        let mime = mail(USER, BOB, "", "yes, at noon");
        submitter.submit(Submission { smart: Some(smart), ..send(mime, true) }, 2_000).await.unwrap();
        let sent = messages_in(&store, USER, FolderType::SentItems).await;
        let text = &sent[0].1;
        let new_at = text.find("yes, at noon").expect("new text");
        let quote_at = text.find("> shall we meet?").expect("quoted original");
        assert!(new_at < quote_at);
        assert!(text.contains("In-Reply-To: <Plans@example.org>"), "{text}");
        let bob = messages_in(&store, BOB, FolderType::Inbox).await;
        assert!(bob[0].1.contains("> shall we meet?"));
    }

    async fn smart_forward_attaches_the_original_and_replace_mime_sends_as_is(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let original = store.deliver(USER, None, &text_mail("Plans", "shall we meet?"), 1).await.unwrap();
        let (submitter, _) = submitter(&store, None);
        let forward = Smart { original: original.id, kind: SmartKind::Forward, replace_mime: false };
        submitter.submit(Submission { smart: Some(forward), ..send(mail(USER, BOB, "", "fyi"), true) }, 2).await.unwrap();
        let replace = Smart { replace_mime: true, ..forward };
        submitter.submit(Submission { smart: Some(replace), ..send(mail(USER, BOB, "", "whole"), true) }, 3).await.unwrap();
        let sent = messages_in(&store, USER, FolderType::SentItems).await;
        let forwarded = sent.iter().find(|m| m.1.contains("fyi")).unwrap();
        assert!(forwarded.1.contains("message/rfc822"));
        assert!(forwarded.1.contains("shall we meet?"));
        let metas = store.get(USER, &[forwarded.0]).await.unwrap();
        assert_eq!(metas[0].attachments.len(), 1);
        let whole = sent.iter().find(|m| m.1.contains("whole")).unwrap();
        assert!(!whole.1.contains("shall we meet?"));
    }

    async fn a_smart_command_for_a_missing_original_is_refused(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let (submitter, _) = submitter(&store, None);
        let smart = Smart { original: MessageId(999_999), kind: SmartKind::Reply, replace_mime: false };
        let err = submitter.submit(Submission { smart: Some(smart), ..send(mail(USER, BOB, "", "x"), true) }, 1).await.unwrap_err();
        assert!(matches!(err, SubmitError::OriginalNotFound(_)), "{err:?}");
        assert!(messages_in(&store, BOB, FolderType::Inbox).await.is_empty());
    }

    async fn the_running_worker_sends_as_soon_as_a_message_is_queued(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let sink = Sink::start().await;
        let (submitter, worker) = submitter(&store, Some(sink.port));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(worker.unwrap().run_until(async { let _ = stopped.await; }));
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let now = eas_now();
        submitter.submit(send(mail(USER, "carol@example.org", "", "wake"), false), now).await.unwrap();
        for _ in 0..50 {
            if !sink.messages().is_empty() { break; }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(sink.messages().len(), 1);
        let _ = stop.send(());
        task.await.unwrap();
        let _ = folder(&store, FolderType::Inbox).await;
    }
}

fn eas_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// A contacts service on its own in-memory database, its bus, and a collector that reaches it
/// over an in-process channel as `eas-mail` reaches `eas-contacts`.
async fn contacts_service() -> (
    eas_contacts::ContactsService,
    eas_event_bus::Subscription,
    Arc<eas_mail::submit::collect::ContactsCollector>,
) {
    use eas_event_bus::EventBus as _;
    let bus = eas_event_bus::InProcessBus::new();
    let store = eas_contacts::ContactsStore::connect(
        "sqlite::memory:",
        &eas_contacts::ContactsOptions::default(),
    )
    .await
    .unwrap();
    let service = eas_contacts::ContactsService::new(store, Arc::new(bus.clone()));
    let events = bus
        .subscribe(eas_event_bus::EventFilter::all())
        .await
        .unwrap();
    let channel = eas_rpc::in_process::routes_channel(service.clone().into_routes())
        .await
        .unwrap();
    let collector =
        eas_mail::submit::collect::ContactsCollector::new(eas_rpc::contacts_client(channel));
    (service, events, Arc::new(collector))
}

backend_tests! {
    async fn accepted_mail_feeds_the_senders_collected_contacts(db: &TestDb) {
        let (store, _events) = db.mailbox().await;
        let (contacts, mut contact_events, collector) = contacts_service().await;
        let (submitter, _) = submitter(&store, None);
        let submitter = submitter.with_collector(collector);
        // Refused (no relay for the external Cc): nothing is collected.
        let refused = mail(USER, BOB, "Cc: Out <out@elsewhere.example>\r\n", "x");
        assert!(submitter.submit(send(refused, false), 1_000).await.is_err());
        let accepted = mail(USER, "\"Bob Stone\" <Bob@Example.loc>", "", "see you");
        submitter.submit(send(accepted, false), 2_000).await.unwrap();
        // Collection runs after the submission answered: its change event says it is done.
        let event = tokio::time::timeout(std::time::Duration::from_secs(10), contact_events.recv())
            .await
            .expect("a contacts event")
            .unwrap();
        assert_eq!((event.user.as_str(), event.class), (USER, eas_event_bus::DataClass::Contacts));
        let found = contacts.search(USER, "bob", 10, true).await.unwrap();
        assert_eq!(found.total, 1);
        assert!(found.hits[0].from_collected);
        let contact = eas_contacts_model::stored::from_json(&found.hits[0].contact.json).unwrap();
        assert_eq!(contact.file_as.as_deref(), Some("Bob Stone"));
        assert_eq!(contact.email1_address.as_deref(), Some("bob@example.loc"));
        assert_eq!(contacts.search(USER, "out@", 10, true).await.unwrap().total, 0);
    }
}
