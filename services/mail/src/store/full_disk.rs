//! The mail store on SQLite when the disk fills up: deliveries fail while it is full, nothing
//! acknowledged is lost, and writes succeed again once there is room, without a restart (the
//! connection repair in `eas_store_kit`'s SQLite pool). docs/mail-service.md, "A full disk".

use std::sync::Arc;

use eas_event_bus::InProcessBus;
use eas_store_kit::SqliteStore;

use super::{pool_options, MIGRATIONS};
use crate::error::MailError;
use crate::mail_store::MailStore;
use crate::model::MessageId;
use crate::options::MailOptions;

const USER: &str = "jdoe@example.loc";

fn mail(n: usize) -> Vec<u8> {
    let body: String = (0..300)
        .map(|i| format!("line {i} of message {n}\r\n"))
        .collect();
    format!("From: ann@example.org\r\nTo: {USER}\r\nSubject: m{n}\r\n\r\n{body}").into_bytes()
}

async fn open(dir: &std::path::Path) -> (Arc<SqliteStore>, MailStore) {
    let url = format!("sqlite://{}", dir.join("mail.db").display());
    // One connection, so that the one that failed is the one every later write gets.
    let options = MailOptions {
        max_connections: 1,
        chunk_size: 4096,
        ..MailOptions::default()
    };
    let sqlite = Arc::new(
        SqliteStore::open(&url, &pool_options(&options), MIGRATIONS.sqlite)
            .await
            .unwrap(),
    );
    let store = MailStore {
        store: sqlite.clone(),
        bus: Arc::new(InProcessBus::new()),
        options: Arc::new(options),
    };
    store.ensure_mailbox(USER).await.unwrap();
    (sqlite, store)
}

/// What SQLITE_FULL on a full disk does (seen on a 3 MiB tmpfs, see the ignored test
/// below): SQLite ends the transaction by itself while sqlx still counts it open. Before
/// the repair every later write on that connection failed until a restart.
#[tokio::test]
async fn a_connection_whose_transaction_sqlite_ended_by_itself_takes_the_next_write() {
    let dir = tempfile::tempdir().unwrap();
    let (sqlite, store) = open(dir.path()).await;
    let mut tx = sqlite.write_tx().await.unwrap();
    sqlx::query("ROLLBACK").execute(&mut *tx).await.unwrap();
    drop(tx);
    for n in 0..3 {
        let change = store.deliver(USER, None, &mail(n), 1).await.unwrap();
        let stored = store.raw(USER, change.id).await.unwrap();
        assert_eq!(stored.read_to_end().await.unwrap(), mail(n));
    }
}

/// SQLITE_FULL from `max_page_count`: deliveries fail while the database is full, every
/// acknowledged one stays readable, and writes succeed again once there is room.
#[tokio::test]
async fn a_full_database_refuses_deliveries_and_takes_them_again_once_space_is_freed() {
    let dir = tempfile::tempdir().unwrap();
    let (sqlite, store) = open(dir.path()).await;
    let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
        .fetch_one(&sqlite.pool)
        .await
        .unwrap();
    sqlx::query(&format!("PRAGMA max_page_count = {}", pages + 30))
        .execute(&sqlite.pool)
        .await
        .unwrap();
    let (mut acknowledged, refused) = deliver_until_refused(&store).await;
    assert!(!acknowledged.is_empty() && refused > 0, "{refused}");
    // Space is freed.
    sqlx::query("PRAGMA max_page_count = 1073741823")
        .execute(&sqlite.pool)
        .await
        .unwrap();
    deliver_again_and_read_back(&store, &mut acknowledged).await;
}

/// The real thing, run by hand as root: `mount -t tmpfs -o size=3m tmpfs DIR`, then
/// `EAS_TEST_TMPFS=DIR cargo test -p eas-mail --all-features --lib -- --ignored`. Fills the
/// file system, delivers until the disk is full, frees the space and delivers again.
#[tokio::test]
#[ignore = "needs a 3 MiB tmpfs named by EAS_TEST_TMPFS (mounting needs root)"]
async fn on_a_full_tmpfs_deliveries_fail_and_succeed_again_once_space_is_freed() {
    let dir = std::env::var("EAS_TEST_TMPFS").expect("EAS_TEST_TMPFS names a small tmpfs");
    let dir = std::path::Path::new(&dir);
    for entry in std::fs::read_dir(dir).unwrap() {
        std::fs::remove_file(entry.unwrap().path()).unwrap();
    }
    let (_sqlite, store) = open(dir).await;
    let stats = free_bytes(dir);
    std::fs::write(
        dir.join("filler"),
        vec![1u8; stats.saturating_sub(150 * 1024)],
    )
    .unwrap();
    let (mut acknowledged, refused) = deliver_until_refused(&store).await;
    assert!(refused > 0, "the disk never filled");
    std::fs::remove_file(dir.join("filler")).unwrap();
    deliver_again_and_read_back(&store, &mut acknowledged).await;
}

/// Delivers 40 messages while the disk may be full: the acknowledged ones, and how many
/// were refused with a database error (any other error fails the test).
async fn deliver_until_refused(store: &MailStore) -> (Vec<(MessageId, Vec<u8>)>, usize) {
    let mut acknowledged = Vec::new();
    let mut refused = 0;
    for n in 0..40 {
        match store.deliver(USER, None, &mail(n), 1).await {
            Ok(change) => acknowledged.push((change.id, mail(n))),
            Err(MailError::Database(_)) => refused += 1,
            Err(other) => panic!("unexpected error {other}"),
        }
    }
    (acknowledged, refused)
}

/// Once space is free: three more deliveries succeed, and every acknowledged message reads
/// back byte for byte.
async fn deliver_again_and_read_back(
    store: &MailStore,
    acknowledged: &mut Vec<(MessageId, Vec<u8>)>,
) {
    for n in 100..103 {
        let change = store.deliver(USER, None, &mail(n), 2).await.unwrap();
        acknowledged.push((change.id, mail(n)));
    }
    for (id, raw) in acknowledged.drain(..) {
        let stored = store
            .raw(USER, id)
            .await
            .unwrap()
            .read_to_end()
            .await
            .unwrap();
        assert_eq!(stored, raw);
    }
}

/// Free bytes of the file system holding `dir`, from `df` (no libc binding needed).
fn free_bytes(dir: &std::path::Path) -> usize {
    let out = std::process::Command::new("df")
        .args(["--output=avail", "-B1"])
        .arg(dir)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .unwrap()
}
