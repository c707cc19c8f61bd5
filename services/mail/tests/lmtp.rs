//! The LMTP listener over a real TCP socket on 127.0.0.1, port 0, delivering into SQLite.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use eas_event_bus::InProcessBus;
use eas_mail::lmtp::{LmtpConfig, LmtpServer, RecipientResolver, ResolveError};
use eas_mail::{FolderType, MailOptions, MailStore};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Knows `jdoe@example.loc` (also as `John.Doe@example.loc`); `fail@example.loc` errors.
struct Directory;

#[async_trait]
impl RecipientResolver for Directory {
    async fn resolve(&self, address: &str) -> Result<Option<String>, ResolveError> {
        match address.to_ascii_lowercase().as_str() {
            "jdoe@example.loc" | "john.doe@example.loc" => Ok(Some("jdoe@example.loc".into())),
            "ann@example.loc" => Ok(Some("ann@example.loc".into())),
            "fail@example.loc" => Err(ResolveError("directory down".into())),
            _ => Ok(None),
        }
    }
}

struct Harness {
    store: MailStore,
    addr: std::net::SocketAddr,
    _dir: tempfile::TempDir,
}

async fn start(config: LmtpConfig) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("mail.db").display());
    let store = MailStore::connect(&url, MailOptions::default(), Arc::new(InProcessBus::new()))
        .await
        .unwrap();
    let server = LmtpServer::bind("127.0.0.1:0", config, Arc::new(Directory), store.clone())
        .await
        .unwrap();
    let addr = server.local_addr().unwrap();
    tokio::spawn(server.run());
    Harness {
        store,
        addr,
        _dir: dir,
    }
}

fn config() -> LmtpConfig {
    LmtpConfig {
        hostname: "mail.example.loc".into(),
        max_message_size: 1000,
        ..LmtpConfig::default()
    }
}

struct Client {
    reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: tokio::net::tcp::OwnedWriteHalf,
}

impl Client {
    async fn connect(addr: std::net::SocketAddr) -> Client {
        let (read, writer) = TcpStream::connect(addr).await.unwrap().into_split();
        let mut client = Client {
            reader: BufReader::new(read),
            writer,
        };
        assert!(client.reply().await.starts_with("220 mail.example.loc"));
        client
    }

    async fn send(&mut self, text: &str) {
        self.writer.write_all(text.as_bytes()).await.unwrap();
    }

    /// One reply, all lines of a multi-line one joined with `\n`.
    async fn reply(&mut self) -> String {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            let read =
                tokio::time::timeout(Duration::from_secs(10), self.reader.read_line(&mut line))
                    .await
                    .expect("reply in time")
                    .unwrap();
            assert!(read > 0, "connection closed; got {lines:?}");
            let line = line.trim_end().to_owned();
            let last = line.as_bytes().get(3) != Some(&b'-');
            lines.push(line);
            if last {
                return lines.join("\n");
            }
        }
    }

    async fn command(&mut self, line: &str) -> String {
        self.send(&format!("{line}\r\n")).await;
        self.reply().await
    }

    async fn greeted(addr: std::net::SocketAddr) -> Client {
        let mut client = Client::connect(addr).await;
        assert!(client
            .command("LHLO mx.example.loc")
            .await
            .starts_with("250-mail.example.loc"));
        client
    }
}

async fn inbox_raw(store: &MailStore, user: &str) -> Vec<Vec<u8>> {
    let hierarchy = store.hierarchy(user).await.unwrap();
    let inbox = hierarchy
        .folders
        .iter()
        .find(|f| f.folder_type == FolderType::Inbox)
        .unwrap()
        .id;
    let mut raws = Vec::new();
    for version in store
        .changes_since(user, inbox, (0, ""), 100)
        .await
        .unwrap()
    {
        raws.push(
            store
                .raw(user, version.id)
                .await
                .unwrap()
                .read_to_end()
                .await
                .unwrap(),
        );
    }
    raws
}

#[tokio::test]
async fn lhlo_announces_pipelining_enhanced_codes_and_the_size_limit() {
    let h = start(config()).await;
    let mut c = Client::connect(h.addr).await;
    let reply = c.command("LHLO mx.example.loc").await;
    assert_eq!(
        reply,
        "250-mail.example.loc\n250-PIPELINING\n250-ENHANCEDSTATUSCODES\n250-8BITMIME\n250 SIZE 1000"
    );
    assert!(c
        .command("EHLO mx.example.loc")
        .await
        .starts_with("500 5.5.1"));
    assert_eq!(c.command("NOOP").await, "250 2.0.0 ok");
    assert!(c.command("QUIT").await.starts_with("221 2.0.0"));
}

#[tokio::test]
async fn a_dot_stuffed_body_is_stored_unstuffed() {
    let h = start(config()).await;
    let mut c = Client::greeted(h.addr).await;
    assert_eq!(
        c.command("MAIL FROM:<ann@example.org>").await,
        "250 2.1.0 sender ok"
    );
    assert_eq!(
        c.command("RCPT TO:<jdoe@example.loc>").await,
        "250 2.1.5 recipient ok"
    );
    assert!(c.command("DATA").await.starts_with("354"));
    c.send("Subject: dots\r\n\r\n..leading dot\r\n..\r\n...\r\nend\r\n.\r\n")
        .await;
    assert_eq!(c.reply().await, "250 2.1.5 <jdoe@example.loc> delivered");
    let raws = inbox_raw(&h.store, "jdoe@example.loc").await;
    assert_eq!(
        raws,
        [b"Subject: dots\r\n\r\n.leading dot\r\n.\r\n..\r\nend\r\n".to_vec()]
    );
}

#[tokio::test]
async fn pipelined_commands_get_one_reply_each_and_an_unknown_recipient_gets_550() {
    let h = start(config()).await;
    let mut c = Client::greeted(h.addr).await;
    c.send(
        "MAIL FROM:<ann@example.org> SIZE=100\r\nRCPT TO:<John.Doe@example.loc>\r\n\
         RCPT TO:<nobody@example.loc>\r\nRCPT TO:<ann@example.loc>\r\nDATA\r\n",
    )
    .await;
    assert_eq!(c.reply().await, "250 2.1.0 sender ok");
    assert_eq!(c.reply().await, "250 2.1.5 recipient ok");
    assert_eq!(
        c.reply().await,
        "550 5.1.1 <nobody@example.loc> unknown recipient"
    );
    assert_eq!(c.reply().await, "250 2.1.5 recipient ok");
    assert!(c.reply().await.starts_with("354"));
    c.send("Subject: two\r\n\r\nhello\r\n.\r\nNOOP\r\n").await;
    // One reply per accepted recipient, in RCPT order, then the pipelined NOOP.
    assert_eq!(
        c.reply().await,
        "250 2.1.5 <John.Doe@example.loc> delivered"
    );
    assert_eq!(c.reply().await, "250 2.1.5 <ann@example.loc> delivered");
    assert_eq!(c.reply().await, "250 2.0.0 ok");
    assert_eq!(inbox_raw(&h.store, "jdoe@example.loc").await.len(), 1);
    assert_eq!(inbox_raw(&h.store, "ann@example.loc").await.len(), 1);
}

#[tokio::test]
async fn a_declared_size_over_the_limit_is_refused_at_mail() {
    let h = start(config()).await;
    let mut c = Client::greeted(h.addr).await;
    let reply = c.command("MAIL FROM:<ann@example.org> SIZE=1001").await;
    assert!(reply.starts_with("552 5.3.4"), "{reply}");
    // The transaction did not start.
    assert!(c
        .command("RCPT TO:<jdoe@example.loc>")
        .await
        .starts_with("503 5.5.1"));
}

#[tokio::test]
async fn an_oversize_body_is_read_to_the_end_and_refused_for_each_recipient() {
    let h = start(config()).await;
    let mut c = Client::greeted(h.addr).await;
    c.command("MAIL FROM:<ann@example.org>").await;
    c.command("RCPT TO:<jdoe@example.loc>").await;
    c.command("RCPT TO:<ann@example.loc>").await;
    assert!(c.command("DATA").await.starts_with("354"));
    let line = "x".repeat(78);
    let body: String = (0..40).map(|_| format!("{line}\r\n")).collect();
    c.send(&format!("Subject: big\r\n\r\n{body}.\r\n")).await;
    assert_eq!(c.reply().await, "552 5.3.4 message too big for system");
    assert_eq!(c.reply().await, "552 5.3.4 message too big for system");
    // The session goes on.
    assert_eq!(
        c.command("MAIL FROM:<ann@example.org>").await,
        "250 2.1.0 sender ok"
    );
    assert!(matches!(
        h.store.hierarchy("jdoe@example.loc").await,
        Err(eas_mail::MailError::MailboxNotFound(_))
    ));
}

#[tokio::test]
async fn commands_out_of_order_get_503_and_bad_syntax_gets_501() {
    let h = start(config()).await;
    let mut c = Client::connect(h.addr).await;
    assert!(c
        .command("MAIL FROM:<ann@example.org>")
        .await
        .starts_with("503 5.5.1"));
    assert!(c.command("LHLO").await.starts_with("501 5.5.4"));
    c.command("LHLO mx.example.loc").await;
    assert!(c
        .command("RCPT TO:<jdoe@example.loc>")
        .await
        .starts_with("503 5.5.1"));
    assert!(c.command("DATA").await.starts_with("503 5.5.1"));
    assert!(c
        .command("MAIL ann@example.org")
        .await
        .starts_with("501 5.5.4"));
    assert!(c
        .command("MAIL FROM:<ann@example.org> SMTPUTF8")
        .await
        .starts_with("555 5.5.4"));
    c.command("MAIL FROM:<ann@example.org>").await;
    assert!(c
        .command("MAIL FROM:<ann@example.org>")
        .await
        .starts_with("503 5.5.1"));
    // DATA with no accepted recipient.
    c.command("RCPT TO:<nobody@example.loc>").await;
    assert!(c.command("DATA").await.starts_with("503 5.5.1"));
    assert!(c
        .command("RCPT TO:<fail@example.loc>")
        .await
        .starts_with("451 4.3.0"));
    assert_eq!(c.command("RSET").await, "250 2.0.0 ok");
    assert!(c
        .command("RCPT TO:<jdoe@example.loc>")
        .await
        .starts_with("503 5.5.1"));
    assert!(c.command("XYZZY").await.starts_with("500 5.5.2"));
}

#[tokio::test]
async fn an_overlong_command_line_is_refused_and_the_session_goes_on() {
    let h = start(LmtpConfig {
        max_line_length: 512,
        ..config()
    })
    .await;
    let mut c = Client::greeted(h.addr).await;
    let long = format!("NOOP {}", "a".repeat(2000));
    assert_eq!(c.command(&long).await, "500 5.5.2 line too long");
    assert_eq!(c.command("NOOP").await, "250 2.0.0 ok");
}

#[tokio::test]
async fn an_idle_client_is_disconnected_with_421() {
    let h = start(LmtpConfig {
        idle_timeout: Duration::from_millis(200),
        ..config()
    })
    .await;
    let mut c = Client::greeted(h.addr).await;
    assert!(c.reply().await.starts_with("421 4.4.2"));
    let mut rest = Vec::new();
    let closed = c.reader.read_to_end(&mut rest).await.unwrap();
    assert_eq!(closed, 0);
}

#[tokio::test]
async fn a_connection_closed_inside_data_delivers_nothing() {
    let h = start(config()).await;
    let mut c = Client::greeted(h.addr).await;
    c.command("MAIL FROM:<ann@example.org>").await;
    c.command("RCPT TO:<jdoe@example.loc>").await;
    assert!(c.command("DATA").await.starts_with("354"));
    c.send("Subject: cut\r\n\r\npartial").await;
    drop(c);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(h.store.hierarchy("jdoe@example.loc").await.is_err());
}

#[tokio::test]
async fn a_dot_line_after_a_bare_lf_does_not_end_the_data() {
    let h = start(config()).await;
    let mut c = Client::greeted(h.addr).await;
    c.command("MAIL FROM:<ann@example.org>").await;
    c.command("RCPT TO:<jdoe@example.loc>").await;
    assert!(c.command("DATA").await.starts_with("354"));
    // RFC 5321 section 4.1.1.4: only <CRLF>.<CRLF> ends the mail data.
    c.send("Subject: lf\r\n\r\nfirst\n.\nsecond\r\n.\r\n").await;
    assert_eq!(c.reply().await, "250 2.1.5 <jdoe@example.loc> delivered");
    assert_eq!(c.command("NOOP").await, "250 2.0.0 ok");
    assert_eq!(
        inbox_raw(&h.store, "jdoe@example.loc").await,
        [b"Subject: lf\r\n\r\nfirst\n.\nsecond\r\n".to_vec()]
    );
}

#[tokio::test]
async fn a_recipient_named_twice_gets_one_copy_and_a_reply_for_each_rcpt() {
    let h = start(config()).await;
    let mut c = Client::greeted(h.addr).await;
    c.command("MAIL FROM:<ann@example.org>").await;
    for rcpt in [
        "jdoe@example.loc",
        "John.Doe@example.loc",
        "ann@example.loc",
        "jdoe@example.loc",
    ] {
        assert_eq!(
            c.command(&format!("RCPT TO:<{rcpt}>")).await,
            "250 2.1.5 recipient ok"
        );
    }
    assert!(c.command("DATA").await.starts_with("354"));
    c.send("Subject: twice\r\n\r\nonce\r\n.\r\n").await;
    assert_eq!(c.reply().await, "250 2.1.5 <jdoe@example.loc> delivered");
    assert_eq!(
        c.reply().await,
        "250 2.1.5 <John.Doe@example.loc> delivered"
    );
    assert_eq!(c.reply().await, "250 2.1.5 <ann@example.loc> delivered");
    assert_eq!(c.reply().await, "250 2.1.5 <jdoe@example.loc> delivered");
    assert_eq!(inbox_raw(&h.store, "jdoe@example.loc").await.len(), 1);
    assert_eq!(inbox_raw(&h.store, "ann@example.loc").await.len(), 1);
}

#[tokio::test]
async fn connections_over_the_cap_get_421_and_the_listener_keeps_serving() {
    let h = start(LmtpConfig {
        max_connections: 2,
        ..config()
    })
    .await;
    let idle_a = Client::greeted(h.addr).await;
    let _idle_b = Client::greeted(h.addr).await;
    for _ in 0..3 {
        let (read, _write) = TcpStream::connect(h.addr).await.unwrap().into_split();
        let mut reader = BufReader::new(read);
        let mut line = String::new();
        tokio::time::timeout(Duration::from_secs(5), reader.read_line(&mut line))
            .await
            .expect("421 in time")
            .unwrap();
        assert!(line.starts_with("421 4.3.2 mail.example.loc"), "{line}");
        let mut rest = Vec::new();
        assert_eq!(reader.read_to_end(&mut rest).await.unwrap(), 0, "closed");
    }
    // A slot is free again once an idle session ends.
    drop(idle_a);
    let mut served = None;
    for _ in 0..50 {
        let (read, _write) = TcpStream::connect(h.addr).await.unwrap().into_split();
        let mut reader = BufReader::new(read);
        let mut line = String::new();
        reader.read_line(&mut line).await.unwrap();
        if line.starts_with("220") {
            served = Some(line);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(served.is_some(), "no slot freed");
}

#[tokio::test]
async fn a_spool_that_cannot_be_written_answers_451_and_the_session_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    // A file where the spool directory should be: nothing can be created under it.
    let blocked = dir.path().join("not-a-directory");
    std::fs::write(&blocked, b"x").unwrap();
    let h = start(LmtpConfig {
        spool_dir: blocked,
        ..config()
    })
    .await;
    let mut c = Client::greeted(h.addr).await;
    c.command("MAIL FROM:<ann@example.org>").await;
    c.command("RCPT TO:<jdoe@example.loc>").await;
    assert!(c.command("DATA").await.starts_with("451 4.3.0"));
    assert_eq!(c.command("RSET").await, "250 2.0.0 ok");
    assert_eq!(c.command("NOOP").await, "250 2.0.0 ok");
    assert!(matches!(
        h.store.hierarchy("jdoe@example.loc").await,
        Err(eas_mail::MailError::MailboxNotFound(_))
    ));
}

#[tokio::test]
async fn a_message_of_many_segments_is_stored_byte_for_byte() {
    let h = start(LmtpConfig {
        max_message_size: 4 << 20,
        ..config()
    })
    .await;
    let mut c = Client::greeted(h.addr).await;
    c.command("MAIL FROM:<ann@example.org>").await;
    c.command("RCPT TO:<jdoe@example.loc>").await;
    assert!(c.command("DATA").await.starts_with("354"));
    // A 200,000-byte line (several read segments), then 20,000 lines of which every
    // tenth starts with a dot.
    let mut expected = b"Subject: big\r\n\r\n".to_vec();
    expected.extend(std::iter::repeat_n(b'y', 200_000));
    expected.extend_from_slice(b"\r\n");
    for i in 0..20_000 {
        let line = if i % 10 == 0 {
            format!(".line {i}\r\n")
        } else {
            format!("line {i}\r\n")
        };
        expected.extend_from_slice(line.as_bytes());
    }
    let mut wire = Vec::new();
    for line in expected.split_inclusive(|b| *b == b'\n') {
        if line.starts_with(b".") {
            wire.push(b'.');
        }
        wire.extend_from_slice(line);
    }
    wire.extend_from_slice(b".\r\n");
    c.writer.write_all(&wire).await.unwrap();
    assert_eq!(c.reply().await, "250 2.1.5 <jdoe@example.loc> delivered");
    assert_eq!(inbox_raw(&h.store, "jdoe@example.loc").await, [expected]);
}

/// Bytes that compress badly and differ at every offset.
fn noise(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

#[tokio::test]
async fn large_attachments_stored_from_the_spool_equal_what_an_in_memory_parse_stores() {
    use mail_builder::mime::MimePart;
    let h = start(LmtpConfig {
        max_message_size: 16 << 20,
        ..config()
    })
    .await;
    let binary = noise(1_500_000, 1);
    // A text attachment (mostly ASCII with some UTF-8): text parts are always parsed in memory.
    let notes: String = (0..40_000)
        .map(|i| format!("note {i}: caf\u{e9} = {}\n", i * 3))
        .collect();
    // Not encoded at all (7bit).
    let json: String = (0..20_000)
        .map(|i| format!("{{\"n\": {i}}},\r\n"))
        .collect();
    let raw = mail_builder::MessageBuilder::new()
        .from("ann@example.org")
        .to("jdoe@example.loc")
        .subject("big attachments")
        .body(MimePart::new(
            "multipart/mixed",
            vec![
                MimePart::new("text/plain", "see the attachments\n"),
                MimePart::new("application/octet-stream", binary.clone()).attachment("data.bin"),
                MimePart::new("text/plain", notes.clone()).attachment("notes.txt"),
                MimePart::new("image/png", noise(1000, 2))
                    .inline()
                    .cid("logo"),
                MimePart::new("application/json", json.clone())
                    .attachment("big.json")
                    .transfer_encoding("7bit"),
            ],
        ))
        .write_to_vec()
        .unwrap();
    assert!(raw.len() > 2_000_000);
    let mut c = Client::greeted(h.addr).await;
    c.command("MAIL FROM:<ann@example.org>").await;
    c.command("RCPT TO:<jdoe@example.loc>").await;
    assert!(c.command("DATA").await.starts_with("354"));
    let mut wire = Vec::new();
    for line in raw.split_inclusive(|b| *b == b'\n') {
        if line.starts_with(b".") {
            wire.push(b'.');
        }
        wire.extend_from_slice(line);
    }
    if !wire.ends_with(b"\r\n") {
        wire.extend_from_slice(b"\r\n");
    }
    wire.extend_from_slice(b".\r\n");
    c.writer.write_all(&wire).await.unwrap();
    assert_eq!(c.reply().await, "250 2.1.5 <jdoe@example.loc> delivered");
    let mut stored_raw = raw.clone();
    if !stored_raw.ends_with(b"\r\n") {
        stored_raw.extend_from_slice(b"\r\n");
    }
    // The same bytes through the in-memory path, for another mailbox.
    h.store
        .deliver("ann@example.loc", None, &stored_raw, 1)
        .await
        .unwrap();
    assert_eq!(
        inbox_raw(&h.store, "jdoe@example.loc").await,
        [stored_raw.clone()]
    );
    let mut seen = Vec::new();
    for user in ["jdoe@example.loc", "ann@example.loc"] {
        let inbox = h
            .store
            .hierarchy(user)
            .await
            .unwrap()
            .folders
            .into_iter()
            .find(|f| f.folder_type == FolderType::Inbox)
            .unwrap()
            .id;
        let id = h
            .store
            .changes_since(user, inbox, (0, ""), 10)
            .await
            .unwrap()[0]
            .id;
        let meta = h.store.get(user, &[id]).await.unwrap().remove(0);
        let mut contents = Vec::new();
        for a in &meta.attachments {
            let (_, reader) = h.store.attachment(user, id, a.index).await.unwrap();
            contents.push(reader.read_to_end().await.unwrap());
        }
        seen.push((meta.attachments, contents, meta.has_attachments, meta.size));
    }
    assert_eq!(seen[0], seen[1]);
    let (metas, contents, has_attachments, size) = &seen[0];
    assert!(has_attachments);
    assert_eq!(*size, stored_raw.len() as u64);
    let names: Vec<_> = metas.iter().map(|m| m.name.as_deref()).collect();
    assert_eq!(
        names,
        [Some("data.bin"), Some("notes.txt"), None, Some("big.json")]
    );
    assert_eq!(contents[0], binary);
    assert_eq!(metas[0].size, binary.len() as u64);
    assert_eq!(
        String::from_utf8_lossy(&contents[1]).replace("\r\n", "\n"),
        notes
    );
    assert_eq!(
        String::from_utf8_lossy(&contents[3]).trim_end(),
        json.trim_end()
    );
}
