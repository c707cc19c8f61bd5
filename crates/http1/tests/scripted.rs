//! The HTTP/1.1 layer driven by scripted clients over in-memory pipes (`tokio::io::duplex`) and,
//! for the accept loop, loopback sockets: framing of every response kind, persistence, the time
//! limits, the RFC 9112 refusals, shutdown, and the connection cap.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, Response, StatusCode};
use eas_http1::{serve_connection, serve_with, Limits, Service};
use http_body_util::BodyExt;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream};
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

/// Bytes of the `/big` response.
const BIG: usize = 1024 * 1024;

/// A test service. `/` answers `ok`; `/echo` reads the body and answers its length; `/hold`
/// answers `held` once `release` is notified; `/204`, `/304` answer those with a body the layer
/// must drop; `/long` and `/short` declare a length of 3 and 10 and send 5 and 3 bytes; `/big`
/// sends [`BIG`] bytes.
fn service(release: Arc<Notify>) -> Service {
    Service::new(move |req: Request<Body>| {
        let release = release.clone();
        Box::pin(async move {
            let path = req.uri().path().to_owned();
            let reply = |status: StatusCode, body: Body| {
                Response::builder().status(status).body(body).unwrap()
            };
            match path.as_str() {
                "/echo" => match req.into_body().collect().await {
                    Ok(c) => reply(
                        StatusCode::OK,
                        Body::from(format!("{} bytes", c.to_bytes().len())),
                    ),
                    Err(_) => reply(StatusCode::IM_A_TEAPOT, Body::empty()),
                },
                "/hold" => {
                    release.notified().await;
                    reply(StatusCode::OK, Body::from("held"))
                }
                "/204" => reply(StatusCode::NO_CONTENT, Body::from("x")),
                "/304" => reply(StatusCode::NOT_MODIFIED, Body::from("x")),
                "/long" => Response::builder()
                    .header(header::CONTENT_LENGTH, "3")
                    .body(Body::from("hello"))
                    .unwrap(),
                "/short" => Response::builder()
                    .header(header::CONTENT_LENGTH, "10")
                    .body(Body::from("abc"))
                    .unwrap(),
                "/big" => reply(StatusCode::OK, Body::from(vec![b'b'; BIG])),
                _ => reply(StatusCode::OK, Body::from("ok")),
            }
        })
    })
}

fn peer() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 40000))
}

fn quick() -> Limits {
    Limits {
        header_timeout: Duration::from_millis(300),
        idle_timeout: Duration::from_secs(5),
        body_read_timeout: Duration::from_millis(300),
        write_timeout: Duration::from_millis(300),
        ..Limits::default()
    }
}

/// One response as a client reads it.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A scripted client on one connection.
struct Client<IO> {
    io: IO,
    pending: Vec<u8>,
}

impl<IO: AsyncRead + AsyncWrite + Unpin> Client<IO> {
    async fn send(&mut self, bytes: &[u8]) {
        self.io.write_all(bytes).await.unwrap();
    }

    /// Reads more; false at the end of the stream.
    async fn more(&mut self) -> bool {
        let mut chunk = [0u8; 8192];
        let n = tokio::time::timeout(Duration::from_secs(10), self.io.read(&mut chunk))
            .await
            .expect("the server answered or closed within 10 s")
            .unwrap_or(0);
        self.pending.extend_from_slice(&chunk[..n]);
        n > 0
    }

    /// The next response head and, when `with_body`, its body as framed.
    async fn reply(&mut self, with_body: bool) -> Reply {
        let end = loop {
            if let Some(i) = self.pending.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            assert!(self.more().await, "closed before a response head");
        };
        let head = String::from_utf8(self.pending[..end].to_vec()).unwrap();
        self.pending.drain(..end + 4);
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers = lines
            .map(|l| {
                let (n, v) = l.split_once(':').unwrap();
                (n.trim().to_ascii_lowercase(), v.trim().to_owned())
            })
            .collect();
        let mut r = Reply {
            status,
            headers,
            body: Vec::new(),
        };
        if !with_body {
            return r;
        }
        if let Some(n) = r.header("content-length") {
            let n: usize = n.parse().unwrap();
            while self.pending.len() < n {
                assert!(self.more().await, "closed inside a body");
            }
            r.body = self.pending.drain(..n).collect();
        } else if r.header("transfer-encoding").is_some() {
            panic!("chunked responses are not expected here");
        } else {
            while self.more().await {}
            r.body = std::mem::take(&mut self.pending);
        }
        r
    }

    async fn response(&mut self) -> Reply {
        self.reply(true).await
    }

    /// Whether the server closed the connection with nothing more sent.
    async fn closed(&mut self) -> bool {
        self.pending.is_empty() && !self.more().await
    }
}

/// A connection served over an in-memory pipe.
struct Piped {
    client: Client<DuplexStream>,
    conn: JoinHandle<()>,
    release: Arc<Notify>,
    stop: watch::Sender<bool>,
}

fn piped(limits: Limits) -> Piped {
    piped_with(limits, 64 * 1024)
}

fn piped_with(limits: Limits, pipe: usize) -> Piped {
    let (client, server) = tokio::io::duplex(pipe);
    let release = Arc::new(Notify::new());
    let (stop, stop_rx) = watch::channel(false);
    let conn = tokio::spawn(serve_connection(
        server,
        service(release.clone()),
        peer(),
        limits,
        stop_rx,
    ));
    Piped {
        client: Client {
            io: client,
            pending: Vec::new(),
        },
        conn,
        release,
        stop,
    }
}

async fn ends(conn: JoinHandle<()>) {
    tokio::time::timeout(Duration::from_secs(5), conn)
        .await
        .expect("the connection ended within 5 s")
        .unwrap();
}

#[tokio::test]
async fn a_request_head_slower_than_the_header_timeout_gets_408() {
    let mut p = piped(quick());
    p.client.send(b"GET / HTTP/1.1\r\nHost: t\r\nX-Slow").await;
    let r = p.client.response().await;
    assert_eq!(r.status, 408);
    assert_eq!(r.header("connection"), Some("close"));
    assert!(p.client.closed().await);
    ends(p.conn).await;
}

#[tokio::test]
async fn a_head_request_gets_the_length_but_no_body_and_the_connection_goes_on() {
    let mut p = piped(quick());
    p.client
        .send(b"HEAD / HTTP/1.1\r\nHost: t\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n")
        .await;
    let head = p.client.reply(false).await;
    assert_eq!(
        (head.status, head.header("content-length")),
        (200, Some("2"))
    );
    let get = p.client.response().await;
    assert_eq!((get.status, get.body.as_slice()), (200, &b"ok"[..]));
}

#[tokio::test]
async fn responses_204_and_304_are_sent_without_a_body_or_a_length() {
    let mut p = piped(quick());
    p.client
        .send(b"GET /204 HTTP/1.1\r\nHost: t\r\n\r\nGET /304 HTTP/1.1\r\nHost: t\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n")
        .await;
    for status in [204, 304] {
        let r = p.client.reply(false).await;
        assert_eq!(r.status, status);
        assert_eq!(r.header("content-length"), None);
        assert_eq!(r.header("transfer-encoding"), None);
    }
    // Had either body been sent, this response would not start where it does.
    let r = p.client.response().await;
    assert_eq!((r.status, r.body.as_slice()), (200, &b"ok"[..]));
}

#[tokio::test]
async fn an_http_1_0_client_asking_for_keep_alive_keeps_its_connection() {
    let mut p = piped(quick());
    p.client
        .send(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        .await;
    let r = p.client.response().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("connection"), Some("keep-alive"));
    assert_eq!(r.header("content-length"), Some("2"));
    p.client.send(b"GET / HTTP/1.0\r\n\r\n").await;
    let r = p.client.response().await;
    assert_eq!(r.header("connection"), Some("close"));
    assert!(p.client.closed().await);
    ends(p.conn).await;
}

#[tokio::test]
async fn a_response_longer_than_its_length_is_cut_there_and_the_connection_closed() {
    let mut p = piped(quick());
    p.client
        .send(b"GET /long HTTP/1.1\r\nHost: t\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n")
        .await;
    let r = p.client.reply(false).await;
    assert_eq!(r.header("content-length"), Some("3"));
    while p.client.more().await {}
    // The declared length and nothing past it, and no answer to the pipelined request.
    assert_eq!(p.client.pending, b"hel");
    ends(p.conn).await;
}

#[tokio::test]
async fn a_response_shorter_than_its_length_closes_the_connection() {
    let mut p = piped(quick());
    p.client
        .send(b"GET /short HTTP/1.1\r\nHost: t\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n")
        .await;
    let r = p.client.reply(false).await;
    assert_eq!(r.header("content-length"), Some("10"));
    while p.client.more().await {}
    assert_eq!(p.client.pending, b"abc");
    ends(p.conn).await;
}

#[tokio::test]
async fn requests_pipelined_behind_a_held_one_are_answered_after_it_in_order() {
    let mut p = piped(quick());
    p.client
        .send(b"GET /hold HTTP/1.1\r\nHost: t\r\n\r\nGET /")
        .await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    p.client.send(b" HTTP/1.1\r\nHost: t\r\n\r\n").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    p.release.notify_one();
    let held = p.client.response().await;
    assert_eq!(held.body, b"held");
    let next = p.client.response().await;
    assert_eq!(next.body, b"ok");
}

#[tokio::test]
async fn shutdown_lets_a_pending_response_finish_then_closes() {
    let mut p = piped(quick());
    p.client
        .send(b"GET /hold HTTP/1.1\r\nHost: t\r\n\r\n")
        .await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    p.stop.send(true).unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!p.conn.is_finished(), "the pending response was dropped");
    p.release.notify_one();
    let r = p.client.response().await;
    assert_eq!(r.body, b"held");
    assert_eq!(r.header("connection"), Some("close"));
    assert!(p.client.closed().await);
    ends(p.conn).await;
}

#[tokio::test]
async fn shutdown_closes_an_idle_connection() {
    let mut p = piped(quick());
    p.client.send(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n").await;
    assert_eq!(p.client.response().await.status, 200);
    p.stop.send(true).unwrap();
    assert!(p.client.closed().await);
    ends(p.conn).await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_closes_after_the_idle_time() {
    let mut p = piped(Limits {
        idle_timeout: Duration::from_millis(200),
        ..quick()
    });
    p.client.send(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n").await;
    assert_eq!(p.client.response().await.status, 200);
    assert!(p.client.closed().await);
    ends(p.conn).await;
}

#[tokio::test]
async fn a_request_body_that_stops_arriving_gets_408() {
    let mut p = piped(quick());
    p.client
        .send(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
        .await;
    let r = p.client.response().await;
    assert_eq!(r.status, 408);
    assert_eq!(r.header("connection"), Some("close"));
    assert!(p.client.closed().await);
    ends(p.conn).await;
}

#[tokio::test]
async fn a_request_body_that_keeps_arriving_is_read_whole() {
    let mut p = piped(quick());
    p.client
        .send(b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
        .await;
    // Slower in total than the per-read limit, but never silent for that long.
    for _ in 0..4 {
        p.client.send(b"5\r\nhello\r\n").await;
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    p.client.send(b"0\r\n\r\n").await;
    let r = p.client.response().await;
    assert_eq!((r.status, r.body.as_slice()), (200, &b"20 bytes"[..]));
}

#[tokio::test]
async fn a_client_that_stops_reading_its_response_is_dropped_after_the_write_timeout() {
    let mut p = piped_with(quick(), 4096);
    p.client.send(b"GET /big HTTP/1.1\r\nHost: t\r\n\r\n").await;
    // The client reads nothing: the server's writes stall, and the connection ends.
    ends(p.conn).await;
}

#[tokio::test]
async fn malformed_requests_get_400_and_the_connection_closes() {
    let long_line = format!(
        "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3;{}\r\nabc\r\n0\r\n\r\n",
        "e".repeat(5000)
    );
    let long_trailer = format!(
        "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n{}\r\n",
        "X-Trailer: 0123456789012345678901234567890123456789\r\n".repeat(400)
    );
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("no host", b"GET / HTTP/1.1\r\n\r\n".to_vec()),
        (
            "two hosts",
            b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n".to_vec(),
        ),
        ("a host with user information", b"GET / HTTP/1.1\r\nHost: u@a\r\n\r\n".to_vec()),
        ("bare lf in the head", b"GET / HTTP/1.1\nHost: t\n\n".to_vec()),
        (
            "chunk size with a sign",
            b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n+3\r\nabc\r\n0\r\n\r\n".to_vec(),
        ),
        (
            "bare lf in a chunk line",
            b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n".to_vec(),
        ),
        ("chunk line over the limit", long_line.into_bytes()),
        ("trailer section over the limit", long_trailer.into_bytes()),
        (
            "transfer-encoding and content-length",
            b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n".to_vec(),
        ),
    ];
    for (what, wire) in cases {
        let mut p = piped(quick());
        p.client.send(&wire).await;
        let r = p.client.response().await;
        assert_eq!(r.status, 400, "{what}");
        assert_eq!(r.header("connection"), Some("close"), "{what}");
        assert!(p.client.closed().await, "{what}");
        ends(p.conn).await;
    }
}

/// A loopback listener served with `limits`.
async fn listen(limits: Limits) -> (SocketAddr, Arc<Notify>, watch::Sender<bool>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let release = Arc::new(Notify::new());
    let (stop, stop_rx) = watch::channel(false);
    tokio::spawn(serve_with(
        listener,
        service(release.clone()),
        None,
        limits,
        stop_rx,
    ));
    (addr, release, stop)
}

async fn connect(addr: SocketAddr) -> Client<tokio::net::TcpStream> {
    Client {
        io: tokio::net::TcpStream::connect(addr).await.unwrap(),
        pending: Vec::new(),
    }
}

#[tokio::test]
async fn at_the_connection_cap_idle_sockets_are_shed_and_a_new_client_is_served() {
    let (addr, _release, _stop) = listen(Limits {
        max_connections: 8,
        ..quick()
    })
    .await;
    let mut idle = Vec::new();
    for _ in 0..40 {
        idle.push(connect(addr).await);
    }
    let mut c = connect(addr).await;
    c.send(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n").await;
    let r = c.response().await;
    assert_eq!((r.status, r.body.as_slice()), (200, &b"ok"[..]));
    // The oldest idle sockets were closed to make room; at most the cap's worth is left open.
    let mut open = 0;
    for s in &mut idle {
        let mut b = [0u8; 1];
        match tokio::time::timeout(Duration::from_millis(100), s.io.read(&mut b)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {}
            _ => open += 1,
        }
    }
    assert!(open <= 8, "{open} idle sockets still open");
}

#[tokio::test]
async fn at_the_connection_cap_with_every_connection_busy_a_new_one_gets_503() {
    let (addr, release, _stop) = listen(Limits {
        max_connections: 3,
        ..quick()
    })
    .await;
    let mut busy = Vec::new();
    for _ in 0..3 {
        let mut c = connect(addr).await;
        c.send(b"GET /hold HTTP/1.1\r\nHost: t\r\n\r\n").await;
        busy.push(c);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut c = connect(addr).await;
    let r = c.response().await;
    assert_eq!(r.status, 503);
    assert_eq!(r.header("retry-after"), Some("5"));
    // The held requests were not disturbed.
    release.notify_waiters();
    for c in &mut busy {
        assert_eq!(c.response().await.body, b"held");
    }
}

/// Feeds `data` to a connection the way the `http1_conn` fuzz target does (two bytes seeding the
/// splits and pauses, then the client's bytes) and waits for the connection to end.
async fn replay(data: &[u8]) {
    let (seed, wire) = match data {
        [a, b, rest @ ..] => (u32::from(*a) << 8 | u32::from(*b), rest),
        _ => return,
    };
    let pauses = seed & 1 == 1;
    let mut state = seed.wrapping_mul(2_654_435_761) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    let (client, server) = tokio::io::duplex(4096);
    let (_stop_tx, stop) = watch::channel(false);
    let limits = Limits {
        max_head_bytes: 8 * 1024,
        header_timeout: Duration::from_millis(200),
        body_read_timeout: Duration::from_millis(200),
        idle_timeout: Duration::from_millis(200),
        write_timeout: Duration::from_millis(200),
        ..Limits::default()
    };
    let conn = tokio::spawn(serve_connection(
        server,
        service(Arc::new(Notify::new())),
        peer(),
        limits,
        stop,
    ));
    let (mut rd, mut wr) = tokio::io::split(client);
    let reader = tokio::spawn(async move {
        let mut sink = [0u8; 4096];
        while let Ok(n) = rd.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
    });
    let mut rest = wire;
    while !rest.is_empty() {
        let r = next();
        let n = (r as usize % 97 + 1).min(rest.len());
        if wr.write_all(&rest[..n]).await.is_err() {
            break;
        }
        rest = &rest[n..];
        if pauses && r % 8 == 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        } else {
            tokio::task::yield_now().await;
        }
    }
    let _ = wr.shutdown().await;
    ends(conn).await;
    drop(wr);
    let _ = reader.await;
}

#[tokio::test]
async fn fuzz_seeds_and_regression_inputs_end_their_connection_without_a_panic() {
    let mut inputs: Vec<Vec<u8>> = vec![
        b"\x05\x02GET / HTTP/1.1\r\nHost: a\r\n\r\nHEAD / HTTP/1.1\r\nHost: a\r\n\r\n".to_vec(),
        b"\x11\x04POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.0\r\n\r\n".to_vec(),
        b"\x23\x08POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n4;x=y\r\nWiki\r\n0\r\n\r\n".to_vec(),
        b"\x01\x01POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\nabc".to_vec(),
    ];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "md") {
            inputs.push(std::fs::read(path).unwrap());
        }
    }
    for input in inputs {
        replay(&input).await;
    }
}
