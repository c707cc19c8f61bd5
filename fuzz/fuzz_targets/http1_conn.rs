//! Fuzz target: one HTTP/1.1 connection (`eas_http1::serve_connection`) fed arbitrary bytes,
//! split at arbitrary points, over an in-memory pipe, with a service that reads the request
//! body. It must not panic, and once the client stops sending the connection must end.
//!
//! Input: two bytes that seed where the rest is split (and whether the client pauses between
//! pieces, which lets the time limits fire), then the bytes the client sends.
#![no_main]

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use eas_http1::{serve_connection, Limits, Service};
use http_body_util::{BodyExt, Limited};
use libfuzzer_sys::fuzz_target;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

fuzz_target!(|data: &[u8]| {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
    else {
        return;
    };
    rt.block_on(run(data));
});

/// Answers with the length of the body it read (at most 64 KiB), or 413.
fn service() -> Service {
    Service::new(|req| {
        Box::pin(async move {
            let (parts, body) = req.into_parts();
            let answer = match Limited::new(body, 64 * 1024).collect().await {
                Ok(c) => format!("{} {} bytes", parts.method, c.to_bytes().len()),
                Err(_) => "refused".to_owned(),
            };
            http::Response::new(Body::from(answer))
        })
    })
}

async fn run(data: &[u8]) {
    let (seed, wire) = match data {
        [a, b, rest @ ..] => (u32::from(*a) << 8 | u32::from(*b), rest),
        _ => return,
    };
    let pauses = seed & 1 == 1;
    let mut state = seed.wrapping_mul(2_654_435_761) | 1;
    let mut next = move || {
        // xorshift32
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    let (client, server) = tokio::io::duplex(4096);
    let (_stop_tx, stop) = watch::channel(false);
    let limits = Limits {
        max_head_bytes: 8 * 1024,
        ..Limits::default()
    };
    let peer = SocketAddr::from(([127, 0, 0, 1], 1));
    let conn = tokio::spawn(serve_connection(server, service(), peer, limits, stop));
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
            break; // the server closed the connection
        }
        rest = &rest[n..];
        if pauses && r % 8 == 0 {
            tokio::time::sleep(Duration::from_secs(20)).await;
        } else {
            tokio::task::yield_now().await;
        }
    }
    let _ = wr.shutdown().await;
    // Time is paused: a connection waiting on a timer gets there at once; one waiting on
    // nothing at all would stay for the whole day.
    match tokio::time::timeout(Duration::from_secs(24 * 3600), conn).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => std::panic::resume_unwind(e.into_panic()),
        Err(_) => panic!("the connection did not end after the client stopped sending"),
    }
    drop(wr);
    let _ = reader.await;
}
