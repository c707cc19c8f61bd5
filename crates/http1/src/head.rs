//! Request heads: parsing (RFC 9112 §2-§5), the `Host` rule (§3.2), body framing (§6.3) and
//! connection options (§9.3).

use http::{header, HeaderMap, HeaderName, HeaderValue, Method, Version};

/// Most header fields in one request head.
pub(crate) const MAX_HEADERS: usize = 100;

/// A parsed request head.
pub(crate) struct Head {
    pub(crate) method: Method,
    pub(crate) target: String,
    pub(crate) version: Version,
    pub(crate) headers: HeaderMap,
}

/// Why a request head could not be taken.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum HeadError {
    Bad(&'static str),
    TooLarge,
}

/// Parses a complete request head at the start of `buf`; `Ok(None)` when more bytes are needed.
///
/// Stricter than `httparse`, which accepts a bare LF as a line end: RFC 9112 §2.2 lets a
/// recipient accept one, but a proxy in front that reads the head differently could then smuggle
/// a request through, so every line of the head must end in CRLF (the chunked body's lines too,
/// [`crate::body`]). RFC 9112 §3.2: an HTTP/1.1 request without `Host`, or any request with two
/// `Host` fields or an invalid one, is refused.
pub(crate) fn parse_head(buf: &[u8]) -> Result<Option<(Head, usize)>, HeadError> {
    let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut fields);
    let len = match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(HeadError::TooLarge),
        Err(_) => return Err(HeadError::Bad("malformed request head")),
    };
    if has_bare_lf(&buf[..len]) {
        return Err(HeadError::Bad("bare lf in request head"));
    }
    let method = Method::from_bytes(req.method.unwrap_or("").as_bytes())
        .map_err(|_| HeadError::Bad("bad method"))?;
    let version = match req.version {
        Some(0) => Version::HTTP_10,
        _ => Version::HTTP_11,
    };
    let mut headers = HeaderMap::with_capacity(req.headers.len());
    for f in req.headers.iter() {
        let name = HeaderName::from_bytes(f.name.as_bytes())
            .map_err(|_| HeadError::Bad("bad header name"))?;
        let value =
            HeaderValue::from_bytes(f.value).map_err(|_| HeadError::Bad("bad header value"))?;
        headers.append(name, value);
    }
    check_host(version, &headers).map_err(HeadError::Bad)?;
    let target = req.path.unwrap_or("").to_owned();
    Ok(Some((
        Head {
            method,
            target,
            version,
            headers,
        },
        len,
    )))
}

/// Whether a line feed in `bytes` is not preceded by a carriage return.
pub(crate) fn has_bare_lf(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .enumerate()
        .any(|(i, &b)| b == b'\n' && (i == 0 || bytes[i - 1] != b'\r'))
}

/// RFC 9112 §3.2: exactly one `Host` in HTTP/1.1, at most one in HTTP/1.0, and a valid one: empty
/// (a target without authority) or `uri-host [ ":" port ]` without user information.
fn check_host(version: Version, headers: &HeaderMap) -> Result<(), &'static str> {
    let mut hosts = headers.get_all(header::HOST).iter();
    let host = match (hosts.next(), hosts.next()) {
        (None, _) if version == Version::HTTP_10 => return Ok(()),
        (None, _) => return Err("missing host"),
        (Some(_), Some(_)) => return Err("more than one host"),
        (Some(h), None) => h.as_bytes(),
    };
    if host.is_empty() {
        return Ok(());
    }
    match http::uri::Authority::try_from(host) {
        Ok(_) if !host.contains(&b'@') => Ok(()),
        _ => Err("invalid host"),
    }
}

/// How a request body is delimited (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    Empty,
    Length(u64),
    Chunked,
}

/// The request body's framing; conflicting or unusable framing is refused (request smuggling).
pub(crate) fn request_framing(head: &Head) -> Result<Framing, &'static str> {
    let te: Vec<&HeaderValue> = head
        .headers
        .get_all(header::TRANSFER_ENCODING)
        .iter()
        .collect();
    let has_length = head.headers.contains_key(header::CONTENT_LENGTH);
    if !te.is_empty() {
        if head.version == Version::HTTP_10 {
            return Err("transfer-encoding in an HTTP/1.0 request");
        }
        if has_length {
            return Err("both transfer-encoding and content-length");
        }
        // §6.3: chunked must be the final coding; no other coding is supported.
        let codings: Vec<String> = te
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|c| c.trim().to_ascii_lowercase())
            .filter(|c| !c.is_empty())
            .collect();
        return match codings.as_slice() {
            [only] if only == "chunked" => Ok(Framing::Chunked),
            _ => Err("unsupported transfer-encoding"),
        };
    }
    let mut length: Option<u64> = None;
    for v in head.headers.get_all(header::CONTENT_LENGTH) {
        let s = v.to_str().map_err(|_| "bad content-length")?;
        for part in s.split(',') {
            let part = part.trim();
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err("bad content-length");
            }
            let n: u64 = part.parse().map_err(|_| "bad content-length")?;
            if length.is_some_and(|l| l != n) {
                return Err("conflicting content-length");
            }
            length = Some(n);
        }
    }
    Ok(match length {
        None | Some(0) => Framing::Empty,
        Some(n) => Framing::Length(n),
    })
}

/// Whether a `Connection` header lists `token`.
pub(crate) fn connection_has(headers: &HeaderMap, token: &str) -> bool {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(raw: &str) -> Head {
        match parse_head(raw.as_bytes()) {
            Ok(Some((h, n))) => {
                assert_eq!(n, raw.len());
                h
            }
            other => panic!("not a complete head: {:?}", other.map(|o| o.map(|x| x.1))),
        }
    }

    #[test]
    fn heads_are_parsed_or_reported_partial() {
        let h = head("POST /Microsoft-Server-ActiveSync?Cmd=Ping HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n");
        assert_eq!(h.method, Method::POST);
        assert_eq!(h.target, "/Microsoft-Server-ActiveSync?Cmd=Ping");
        assert_eq!(h.version, Version::HTTP_11);
        assert_eq!(h.headers["host"], "a");
        assert!(matches!(
            parse_head(b"POST / HTTP/1.1\r\nHost: a\r\n"),
            Ok(None)
        ));
        assert!(matches!(
            parse_head(b"\x01\x02 / HTTP/1.1\r\n\r\n"),
            Err(HeadError::Bad(_))
        ));
        let many: String = (0..=MAX_HEADERS).map(|i| format!("X-{i}: v\r\n")).collect();
        assert_eq!(
            parse_head(format!("GET / HTTP/1.1\r\n{many}\r\n").as_bytes()).err(),
            Some(HeadError::TooLarge)
        );
    }

    #[test]
    fn host_follows_rfc_9112_section_3_2() {
        let bad = |raw: &str| parse_head(raw.as_bytes()).err();
        assert_eq!(
            bad("GET / HTTP/1.1\r\n\r\n"),
            Some(HeadError::Bad("missing host"))
        );
        assert_eq!(
            bad("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
            Some(HeadError::Bad("more than one host"))
        );
        assert_eq!(
            bad("GET / HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n"),
            Some(HeadError::Bad("more than one host"))
        );
        assert_eq!(
            bad("GET / HTTP/1.1\r\nHost: u@a\r\n\r\n"),
            Some(HeadError::Bad("invalid host"))
        );
        assert_eq!(
            bad("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"),
            Some(HeadError::Bad("invalid host"))
        );
        head("GET / HTTP/1.0\r\n\r\n");
        head("GET / HTTP/1.1\r\nHost:\r\n\r\n");
        head("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n");
        head("GET / HTTP/1.1\r\nHost: mail.example.org:443\r\n\r\n");
    }

    #[test]
    fn a_bare_lf_anywhere_in_the_head_is_refused() {
        for raw in [
            "GET / HTTP/1.1\nHost: a\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\n\n",
            "GET / HTTP/1.1\nHost: a\n\n",
            "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
        ] {
            assert!(
                matches!(parse_head(raw.as_bytes()), Err(HeadError::Bad(_))),
                "{raw:?}"
            );
        }
        // RFC 9112 §2.2: an empty line (CRLF) before the request line is ignored.
        let (h, _) = parse_head(b"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(h.target, "/");
    }

    #[test]
    fn body_framing_follows_rfc_9112_section_6_3() {
        let f = |raw: &str| request_framing(&head(raw));
        assert_eq!(f("POST / HTTP/1.1\r\nHost: a\r\n\r\n"), Ok(Framing::Empty));
        assert_eq!(
            f("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"),
            Ok(Framing::Empty)
        );
        assert_eq!(
            f("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\n"),
            Ok(Framing::Length(12))
        );
        assert_eq!(
            f("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 12, 12\r\n\r\n"),
            Ok(Framing::Length(12))
        );
        assert!(f(
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\nContent-Length: 13\r\n\r\n"
        )
        .is_err());
        assert!(f("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +12\r\n\r\n").is_err());
        assert!(f("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n").is_err());
        assert_eq!(
            f("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n"),
            Ok(Framing::Chunked)
        );
        assert!(
            f("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n").is_err()
        );
        assert!(f(
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"
        )
        .is_err());
        assert!(f("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n").is_err());
    }
}
