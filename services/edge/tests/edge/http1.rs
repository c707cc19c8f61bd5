//! The edge's HTTP/1.1 layer over raw sockets: persistent and pipelined connections, chunked
//! request bodies, `Expect: 100-continue`, refused framing, HTTP/1.0, and a client that hangs
//! up during a held Ping (RFC 9112; MS-ASHTTP 2.2.1).

use crate::common;

use std::time::Duration;

use common::mail::MailDevice;
use common::*;
use eas_edge::config::DrainConfig;
use eas_edge::EdgeConfig;
use eas_protocol::ping::{PingFolder, PingRequest};
use eas_wbxml::tags::folder_hierarchy as fh;
use eas_wbxml::Element;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One response read off a raw connection.
#[derive(Debug)]
struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A raw client connection with what it has read but not yet consumed.
struct Conn {
    stream: TcpStream,
    pending: Vec<u8>,
}

impl Conn {
    async fn open(s: &TestServer) -> Conn {
        let addr = s.base.trim_start_matches("http://");
        Conn {
            stream: TcpStream::connect(addr).await.unwrap(),
            pending: Vec::new(),
        }
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    /// Reads more; false at the end of the stream.
    async fn more(&mut self) -> bool {
        let mut chunk = [0u8; 8192];
        let n = tokio::time::timeout(Duration::from_secs(10), self.stream.read(&mut chunk))
            .await
            .expect("server answered within 10 s")
            .unwrap_or(0);
        self.pending.extend_from_slice(&chunk[..n]);
        n > 0
    }

    /// The next response (Content-Length, chunked, or up to the end of the connection).
    async fn response(&mut self) -> Raw {
        let end = loop {
            if let Some(i) = self.pending.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            assert!(
                self.more().await,
                "connection closed before a response head"
            );
        };
        let head = String::from_utf8(self.pending[..end].to_vec()).unwrap();
        self.pending.drain(..end + 4);
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap();
        let status: u16 = status_line.split(' ').nth(1).unwrap().parse().unwrap();
        let headers: Vec<(String, String)> = lines
            .map(|l| {
                let (n, v) = l.split_once(':').unwrap();
                (n.trim().to_ascii_lowercase(), v.trim().to_owned())
            })
            .collect();
        let mut raw = Raw {
            status,
            headers,
            body: Vec::new(),
        };
        if status == 100 || status == 204 || status == 304 {
            return raw;
        }
        if let Some(n) = raw.header("content-length") {
            let n: usize = n.parse().unwrap();
            while self.pending.len() < n {
                assert!(self.more().await, "connection closed inside a body");
            }
            raw.body = self.pending.drain(..n).collect();
        } else if raw.header("transfer-encoding") == Some("chunked") {
            loop {
                let line_end = loop {
                    if let Some(i) = self.pending.windows(2).position(|w| w == b"\r\n") {
                        break i;
                    }
                    assert!(self.more().await);
                };
                let size = usize::from_str_radix(
                    std::str::from_utf8(&self.pending[..line_end]).unwrap(),
                    16,
                )
                .unwrap();
                self.pending.drain(..line_end + 2);
                while self.pending.len() < size + 2 {
                    assert!(self.more().await);
                }
                raw.body.extend(self.pending.drain(..size));
                self.pending.drain(..2);
                if size == 0 {
                    break;
                }
            }
        } else {
            while self.more().await {}
            raw.body = std::mem::take(&mut self.pending);
        }
        raw
    }

    /// Whether the server closed the connection (nothing more arrives).
    async fn closed(&mut self) -> bool {
        self.pending.is_empty() && !self.more().await
    }
}

fn options_request() -> &'static [u8] {
    b"OPTIONS /Microsoft-Server-ActiveSync HTTP/1.1\r\nHost: t\r\n\r\n"
}

/// The head of a POST of `cmd` for `device` with its credentials and policy key.
fn post_head(device: &Device<'_>, cmd: &str, extra: &str) -> String {
    format!(
        "POST /Microsoft-Server-ActiveSync?Cmd={cmd}&User={}&DeviceId={}&DeviceType=Android HTTP/1.1\r\n\
         Host: t\r\nAuthorization: {}\r\nMS-ASProtocolVersion: {}\r\nX-MS-PolicyKey: {}\r\n\
         Content-Type: application/vnd.ms-sync.wbxml\r\n{extra}\r\n",
        device.login,
        device.device_id,
        device.basic(),
        device.version,
        device.policy_key.as_deref().unwrap_or("0"),
    )
}

/// A whole POST of `cmd` whose body is sent chunked, one chunk per part.
fn chunked_post(device: &Device<'_>, cmd: &str, parts: &[&[u8]]) -> Vec<u8> {
    let mut wire = post_head(device, cmd, "Transfer-Encoding: chunked\r\n").into_bytes();
    for part in parts {
        wire.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        wire.extend_from_slice(part);
        wire.extend_from_slice(b"\r\n");
    }
    wire.extend_from_slice(b"0\r\n\r\n");
    wire
}

fn folder_sync_body() -> Vec<u8> {
    eas_wbxml::encode(&Element::new(fh::FOLDER_SYNC).with_text(fh::SYNC_KEY, "0"))
}

fn folder_sync_status(r: &Raw) -> Option<String> {
    let doc = eas_wbxml::decode(&r.body).ok()?;
    doc.child_text(fh::STATUS)
}

#[tokio::test]
async fn one_connection_carries_several_requests_even_when_pipelined() {
    let s = TestServer::start().await;
    let mut c = Conn::open(&s).await;
    c.send(options_request()).await;
    let first = c.response().await;
    assert_eq!(first.status, 200);
    assert!(first.header("ms-asprotocolversions").is_some());
    assert!(first.header("date").is_some());
    // Two requests in one write are answered in order on the same connection.
    let two = [
        options_request(),
        b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n",
    ]
    .concat();
    c.send(&two).await;
    assert_eq!(c.response().await.status, 200);
    let health = c.response().await;
    assert_eq!((health.status, health.body.as_slice()), (200, &b"ok"[..]));
    // Connection: close is honoured after the response.
    c.send(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .await;
    let last = c.response().await;
    assert_eq!(last.header("connection"), Some("close"));
    assert!(c.closed().await);
}

#[tokio::test]
async fn a_chunked_request_body_reaches_the_command_handler() {
    let s = TestServer::start_with_mail().await;
    let mut device = s.device("chunked1", "14.1");
    device.provision().await;
    let body = folder_sync_body();
    let (a, b) = body.split_at(body.len() / 2);
    let wire = chunked_post(&device, "FolderSync", &[a, b]);
    let mut c = Conn::open(&s).await;
    c.send(&wire).await;
    let r = c.response().await;
    assert_eq!(r.status, 200);
    assert_eq!(folder_sync_status(&r).as_deref(), Some("1"));
    // The connection goes on after a chunked body.
    c.send(options_request()).await;
    assert_eq!(c.response().await.status, 200);
}

#[tokio::test]
async fn expect_100_continue_is_answered_only_when_the_handler_reads_the_body() {
    let s = TestServer::start_with_mail().await;
    let mut device = s.device("expect1", "16.1");
    device.provision().await;
    let body = folder_sync_body();
    let expect = format!("Content-Length: {}\r\nExpect: 100-continue\r\n", body.len());
    let mut c = Conn::open(&s).await;
    c.send(post_head(&device, "FolderSync", &expect).as_bytes())
        .await;
    assert_eq!(c.response().await.status, 100);
    c.send(&body).await;
    let r = c.response().await;
    assert_eq!(r.status, 200);
    assert_eq!(folder_sync_status(&r).as_deref(), Some("1"));

    // Wrong credentials: 401 at once, no 100, and the unread body ends the connection.
    device.password = "wrong".into();
    let mut c = Conn::open(&s).await;
    c.send(post_head(&device, "FolderSync", &expect).as_bytes())
        .await;
    let r = c.response().await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("connection"), Some("close"));
    assert!(c.closed().await);
}

#[tokio::test]
async fn ambiguous_framing_and_oversized_heads_are_refused_and_the_connection_closed() {
    let s = TestServer::start().await;
    for (wire, status) in [
        (
            b"POST /Microsoft-Server-ActiveSync HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n".to_vec(),
            400,
        ),
        (
            b"POST /Microsoft-Server-ActiveSync HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n".to_vec(),
            400,
        ),
        (
            b"POST /Microsoft-Server-ActiveSync HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n".to_vec(),
            400,
        ),
        (b"NOT HTTP\r\n\r\n".to_vec(), 400),
        // RFC 9112 §3.2, §2.2, §7.1.
        (b"GET /healthz HTTP/1.1\r\n\r\n".to_vec(), 400),
        (
            b"GET /healthz HTTP/1.1\r\nHost: t\r\nHost: t\r\n\r\n".to_vec(),
            400,
        ),
        (b"GET /healthz HTTP/1.1\nHost: t\n\n".to_vec(), 400),
        (
            format!("GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: {}\r\n\r\n", "a".repeat(70_000)).into_bytes(),
            431,
        ),
    ] {
        let mut c = Conn::open(&s).await;
        c.send(&wire).await;
        let r = c.response().await;
        assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&wire[..40]));
        assert_eq!(r.header("connection"), Some("close"));
        assert!(c.closed().await);
    }
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_gets_413() {
    let config = EdgeConfig {
        max_request_bytes: 1000,
        ..test_config()
    };
    let s = TestServer::start_with_mail_config(config).await;
    let mut device = s.device("big1", "14.1");
    device.provision().await;
    let piece = [0u8; 0x200];
    let wire = chunked_post(&device, "FolderSync", &[&piece[..]; 4]);
    let mut c = Conn::open(&s).await;
    c.send(&wire).await;
    let r = c.response().await;
    assert_eq!(r.status, 413);
    assert_eq!(r.header("connection"), Some("close"));
}

#[tokio::test]
async fn http_1_0_gets_an_answer_and_a_closed_connection() {
    let s = TestServer::start().await;
    let mut c = Conn::open(&s).await;
    c.send(b"GET /healthz HTTP/1.0\r\n\r\n").await;
    let r = c.response().await;
    assert_eq!((r.status, r.body.as_slice()), (200, &b"ok"[..]));
    assert!(c.closed().await);
}

#[tokio::test]
async fn a_client_that_hangs_up_during_a_held_ping_leaves_nothing_held() {
    let s = TestServer::start_with_mail().await;
    let d = MailDevice::new(s.device("hangup1", "14.1")).await;
    let inbox = d.folder(2);
    d.sync_all(&inbox).await;
    let body = eas_wbxml::encode(
        &PingRequest {
            heartbeat_interval: Some(600),
            folders: Some(vec![PingFolder {
                id: inbox,
                class: "Email".into(),
            }]),
        }
        .to_element(),
    );
    let mut wire = post_head(
        &d.device,
        "Ping",
        &format!("Content-Length: {}\r\n", body.len()),
    )
    .into_bytes();
    wire.extend_from_slice(&body);
    let hub = s.edge.push().expect("push hub");
    let mut c = Conn::open(&s).await;
    c.send(&wire).await;
    let mut waited = 0;
    while hub.held() < 1 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        waited += 1;
        assert!(waited < 250, "the ping was never held");
    }
    drop(c);
    let mut waited = 0;
    while hub.held() > 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        waited += 1;
        assert!(waited < 250, "the hung-up ping is still held");
    }
}

#[tokio::test]
async fn an_authenticated_request_whose_body_never_arrives_gets_408() {
    let mut config = test_config();
    config.http.body_read_timeout_seconds = 1;
    let s = TestServer::start_with_mail_config(config).await;
    let mut device = s.device("slowbody1", "14.1");
    device.provision().await;
    let mut c = Conn::open(&s).await;
    c.send(post_head(&device, "FolderSync", "Content-Length: 100\r\n").as_bytes())
        .await;
    c.send(b"\x03\x01").await;
    let r = c.response().await;
    assert_eq!(r.status, 408);
    assert_eq!(r.header("connection"), Some("close"));
    assert!(c.closed().await);
}

/// SIGTERM with a request whose body never arrives (its handler would wait for
/// `body_read_timeout_seconds`, 60 s): the edge exits `edge.drain.timeout_seconds` after the
/// held requests were answered, not when that request ends.
#[tokio::test]
async fn a_request_still_running_at_the_end_of_the_drain_does_not_keep_the_edge_up() {
    let mut config = test_config();
    config.drain = DrainConfig {
        delay_seconds: 0,
        timeout_seconds: 1,
    };
    let (s, sigterm, served) = TestServer::start_served(config).await;
    let mut device = s.device("stuck1", "14.1");
    device.provision().await;
    let mut c = Conn::open(&s).await;
    c.send(post_head(&device, "FolderSync", "Content-Length: 100\r\n").as_bytes())
        .await;
    c.send(b"\x03\x01").await;
    // Time for the request to reach its handler, which then waits for the rest of the body.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let signalled = std::time::Instant::now();
    sigterm.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), served)
        .await
        .expect("the drain is bounded")
        .unwrap();
    let took = signalled.elapsed();
    assert!(
        took >= Duration::from_millis(900),
        "the running request gets its second: {took:?}"
    );
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(c.closed().await, "its connection is closed");
}

#[tokio::test]
async fn a_chunked_body_with_a_signed_chunk_size_gets_400() {
    let s = TestServer::start_with_mail().await;
    let mut device = s.device("plus1", "14.1");
    device.provision().await;
    let mut wire = post_head(&device, "FolderSync", "Transfer-Encoding: chunked\r\n").into_bytes();
    wire.extend_from_slice(b"+3\r\nabc\r\n0\r\n\r\n");
    let mut c = Conn::open(&s).await;
    c.send(&wire).await;
    let r = c.response().await;
    assert_eq!(r.status, 400);
    assert!(c.closed().await);
}

#[tokio::test]
async fn a_flood_of_idle_sockets_on_the_phone_port_leaves_phones_and_the_admin_api_served() {
    let mut config = test_config();
    config.http.max_connections = 16;
    config.http.admin_max_connections = 4;
    let s = TestServer::start_with(config).await;
    let phone = s.base.trim_start_matches("http://").to_owned();
    let admin = s.admin.trim_start_matches("http://").to_owned();
    // Far more idle sockets than either cap, on both ports.
    let mut idle = Vec::new();
    for _ in 0..100 {
        idle.push(TcpStream::connect(&phone).await.unwrap());
    }
    for _ in 0..20 {
        idle.push(TcpStream::connect(&admin).await.unwrap());
    }
    let mut c = Conn::open(&s).await;
    c.send(options_request()).await;
    assert_eq!(c.response().await.status, 200);
    let (code, users) = s.admin(reqwest::Method::GET, "/admin/users", None).await;
    assert_eq!(code, 200);
    assert_eq!(users.as_array().map(Vec::len), Some(1));
    // The phone port kept at most its cap (plus those still closing) of the idle sockets.
    let mut open = 0;
    for sock in &mut idle[..100] {
        let mut b = [0u8; 1];
        match tokio::time::timeout(Duration::from_millis(50), sock.read(&mut b)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {}
            _ => open += 1,
        }
    }
    assert!(
        open <= 16,
        "{open} idle sockets still open on the phone port"
    );
}
