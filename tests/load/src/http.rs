//! One keep-alive HTTP/1.1 connection to an endpoint, optionally from a chosen source address,
//! reopened only when the server closed it (the reopenings are counted, so a load run can show
//! that its requests really shared one connection).

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpSocket;

use crate::Error;

/// Where requests go: a plain-HTTP URL split into the socket address, the Host header and the path.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub addr: SocketAddr,
    pub host: String,
    pub path: String,
}

impl Endpoint {
    /// Parses `http://host:port/path` (no TLS: the load tools talk to loopback).
    pub fn parse(url: &str) -> Result<Endpoint, Error> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| Error::Url(url.to_owned()))?;
        let (host, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let addr = host
            .to_socket_addrs()
            .map_err(|_| Error::Url(url.to_owned()))?
            .next()
            .ok_or_else(|| Error::Url(url.to_owned()))?;
        Ok(Endpoint {
            addr,
            host: host.to_owned(),
            path: path.to_owned(),
        })
    }
}

/// A full response: status, headers and the whole body.
#[derive(Debug)]
pub struct FullResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// A keep-alive connection; requests on it run one after the other.
pub struct Connection {
    endpoint: Endpoint,
    source: Option<IpAddr>,
    sender: Option<SendRequest<Full<Bytes>>>,
    connects: u32,
}

impl Connection {
    /// A connection that opens on its first request; `source` binds the client socket to that
    /// address (port chosen by the kernel), so one client can open more than one address's
    /// worth of ephemeral ports towards one server.
    pub fn new(endpoint: Endpoint, source: Option<IpAddr>) -> Connection {
        Connection {
            endpoint,
            source,
            sender: None,
            connects: 0,
        }
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// How many times a TCP connection was opened (1 when every request shared one).
    pub fn connects(&self) -> u32 {
        self.connects
    }

    async fn open(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, Error> {
        let reusable = match self.sender.as_mut() {
            Some(s) if !s.is_closed() => s.ready().await.is_ok(),
            _ => false,
        };
        if !reusable {
            let addr = self.endpoint.addr;
            let socket = if addr.is_ipv4() {
                TcpSocket::new_v4()
            } else {
                TcpSocket::new_v6()
            }
            .map_err(|e| Error::io("socket", e))?;
            if let Some(src) = self.source {
                socket
                    .bind(SocketAddr::new(src, 0))
                    .map_err(|e| Error::io(format!("bind {src}"), e))?;
            }
            let stream = socket
                .connect(addr)
                .await
                .map_err(|e| Error::io(format!("connect {addr}"), e))?;
            stream
                .set_nodelay(true)
                .map_err(|e| Error::io("nodelay", e))?;
            let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(async move {
                // The connection ends when either side closes it; the next request reopens.
                let _ = conn.await;
            });
            self.connects += 1;
            self.sender = Some(sender);
        }
        self.sender
            .as_mut()
            .ok_or_else(|| Error::Server("connection not open".into()))
    }

    /// Sends a request and returns the response with its body still streaming.
    pub async fn send(&mut self, req: Request<Full<Bytes>>) -> Result<Response<Incoming>, Error> {
        let sender = self.open().await?;
        match sender.send_request(req).await {
            Ok(r) => Ok(r),
            Err(e) => {
                self.sender = None;
                Err(Error::Http(e))
            }
        }
    }

    /// Sends a request and reads the whole body.
    pub async fn fetch(&mut self, req: Request<Full<Bytes>>) -> Result<FullResponse, Error> {
        let resp = self.send(req).await?;
        let (parts, body) = resp.into_parts();
        let body = match body.collect().await {
            Ok(b) => b.to_bytes(),
            Err(e) => {
                self.sender = None;
                return Err(Error::Http(e));
            }
        };
        Ok(FullResponse {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters pass as they are).
pub fn query_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_eas_url_splits_into_address_host_and_path() {
        let e = Endpoint::parse("http://127.0.0.1:8080/Microsoft-Server-ActiveSync").unwrap();
        assert_eq!(e.addr, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(e.host, "127.0.0.1:8080");
        assert_eq!(e.path, "/Microsoft-Server-ActiveSync");
        assert!(Endpoint::parse("https://127.0.0.1:8080/x").is_err());
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(query_escape("jdoe@example.loc"), "jdoe%40example.loc");
        assert_eq!(query_escape("a b/c"), "a%20b%2Fc");
    }
}
