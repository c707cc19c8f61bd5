//! The plain-XML Autodiscover command (MS-ASCMD 2.2.1.1): request parsing and response rendering.

use std::io;

use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::{Reader, Writer};

/// The request namespace (MS-ASCMD 2.2.1.1).
pub const REQUEST_SCHEMA: &str =
    "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006";
/// The mobilesync response schema that phones ask for in `AcceptableResponseSchema`.
pub const MOBILESYNC_RESPONSE_SCHEMA: &str =
    "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006";
/// The namespace of the outer `Autodiscover` element and of the generic error response.
pub const RESPONSE_SCHEMA: &str =
    "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006";
/// Largest request body accepted; a real one is a few hundred bytes.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024;
const MAX_DEPTH: usize = 16;

/// A parsed Autodiscover request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AutodiscoverRequest {
    pub email_address: String,
    pub acceptable_response_schema: Option<String>,
}

/// Why an Autodiscover request body was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AutodiscoverError {
    #[error("autodiscover request larger than {MAX_REQUEST_BYTES} bytes")]
    TooLarge,
    #[error("autodiscover request is not well-formed xml: {0}")]
    Xml(String),
    #[error("autodiscover request nests elements deeper than {MAX_DEPTH}")]
    TooDeep,
    #[error("root element is {0}, not autodiscover")]
    WrongRoot(String),
    #[error("autodiscover request has no emailaddress")]
    MissingEmailAddress,
}

impl AutodiscoverRequest {
    /// Parses a request body. Namespaces and prefixes are ignored (elements match by local
    /// name), surrounding whitespace is trimmed, and bodies over [`MAX_REQUEST_BYTES`] are refused.
    pub fn parse(body: &[u8]) -> Result<AutodiscoverRequest, AutodiscoverError> {
        if body.len() > MAX_REQUEST_BYTES {
            return Err(AutodiscoverError::TooLarge);
        }
        let mut reader = Reader::from_reader(body);
        reader.config_mut().trim_text(true);
        let mut path: Vec<String> = Vec::new();
        let mut email = None;
        let mut schema = None;
        loop {
            let event = reader
                .read_event()
                .map_err(|e| AutodiscoverError::Xml(e.to_string()))?;
            match event {
                Event::Start(e) => {
                    let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                    if path.is_empty() && !name.eq_ignore_ascii_case("Autodiscover") {
                        return Err(AutodiscoverError::WrongRoot(name));
                    }
                    if path.len() >= MAX_DEPTH {
                        return Err(AutodiscoverError::TooDeep);
                    }
                    path.push(name);
                }
                Event::Empty(e) if path.is_empty() => {
                    let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                    if !name.eq_ignore_ascii_case("Autodiscover") {
                        return Err(AutodiscoverError::WrongRoot(name));
                    }
                }
                Event::End(_) => {
                    path.pop();
                }
                Event::Text(t) => {
                    let text = t
                        .unescape()
                        .map_err(|e| AutodiscoverError::Xml(e.to_string()))?;
                    store(&path, text.trim(), &mut email, &mut schema);
                }
                Event::CData(c) => {
                    let text = String::from_utf8_lossy(&c.into_inner()).into_owned();
                    store(&path, text.trim(), &mut email, &mut schema);
                }
                Event::Eof => break,
                _ => {}
            }
        }
        let email_address = email
            .filter(|e: &String| !e.is_empty())
            .ok_or(AutodiscoverError::MissingEmailAddress)?;
        Ok(AutodiscoverRequest {
            email_address,
            acceptable_response_schema: schema,
        })
    }

    /// Whether the client accepts the mobilesync response schema (or names none).
    pub fn wants_mobilesync(&self) -> bool {
        self.acceptable_response_schema
            .as_deref()
            .is_none_or(|s| s.trim().eq_ignore_ascii_case(MOBILESYNC_RESPONSE_SCHEMA))
    }
}

fn store(path: &[String], text: &str, email: &mut Option<String>, schema: &mut Option<String>) {
    let [root, request, leaf] = path else {
        return;
    };
    if !root.eq_ignore_ascii_case("Autodiscover") || !request.eq_ignore_ascii_case("Request") {
        return;
    }
    if leaf.eq_ignore_ascii_case("EMailAddress") && email.is_none() {
        *email = Some(text.to_string());
    } else if leaf.eq_ignore_ascii_case("AcceptableResponseSchema") && schema.is_none() {
        *schema = Some(text.to_string());
    }
}

/// What a successful mobilesync response tells the phone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MobileSyncSettings {
    /// For example `en:us`.
    pub culture: String,
    pub display_name: Option<String>,
    pub email_address: String,
    /// The ActiveSync endpoint, e.g. `https://mail.example.com/Microsoft-Server-ActiveSync`.
    pub url: String,
    /// The server `Name`; the URL when `None`, as Exchange does.
    pub name: Option<String>,
}

fn text_element(w: &mut Writer<Vec<u8>>, name: &str, text: &str) -> io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(text))
        .map(|_| ())
}

/// Runs a writer over an in-memory buffer; writing into a `Vec` cannot fail.
fn render(f: impl FnOnce(&mut Writer<Vec<u8>>) -> io::Result<()>) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    let written = w
        .write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))
        .and_then(|_| f(&mut w));
    debug_assert!(written.is_ok());
    String::from_utf8_lossy(&w.into_inner()).into_owned()
}

fn mobilesync_response(
    culture: &str,
    display_name: Option<&str>,
    email: &str,
    action: impl FnOnce(&mut Writer<Vec<u8>>) -> io::Result<()>,
) -> String {
    render(|w| {
        w.create_element("Autodiscover")
            .with_attribute(("xmlns", RESPONSE_SCHEMA))
            .write_inner_content(|w| {
                w.create_element("Response")
                    .with_attribute(("xmlns", MOBILESYNC_RESPONSE_SCHEMA))
                    .write_inner_content(|w| {
                        text_element(w, "Culture", culture)?;
                        w.create_element("User").write_inner_content(|w| {
                            if let Some(d) = display_name {
                                text_element(w, "DisplayName", d)?;
                            }
                            text_element(w, "EMailAddress", email)
                        })?;
                        w.create_element("Action").write_inner_content(action)?;
                        Ok(())
                    })?;
                Ok(())
            })?;
        Ok(())
    })
}

/// The mobilesync response with the server settings. PHONE_FLOWS.md §1: AOSP needs
/// `Type=MobileSync` before `Url`, and keeps only the host and port of `Url`.
pub fn render_mobilesync(s: &MobileSyncSettings) -> String {
    mobilesync_response(
        &s.culture,
        s.display_name.as_deref(),
        &s.email_address,
        |w| {
            w.create_element("Settings").write_inner_content(|w| {
                w.create_element("Server").write_inner_content(|w| {
                    text_element(w, "Type", "MobileSync")?;
                    text_element(w, "Url", &s.url)?;
                    text_element(w, "Name", s.name.as_deref().unwrap_or(&s.url))
                })?;
                Ok(())
            })?;
            Ok(())
        },
    )
}

/// The mobilesync response with `Action/Error` (MS-ASCMD 2.2.3.177.1: 1 success, 2 protocol error).
pub fn render_action_error(culture: &str, email: &str, status: u8, message: &str) -> String {
    mobilesync_response(culture, None, email, |w| {
        w.create_element("Error").write_inner_content(|w| {
            text_element(w, "Status", &status.to_string())?;
            text_element(w, "Message", message)
        })?;
        Ok(())
    })
}

/// Error codes of the generic `Response/Error` form.
pub mod error_code {
    /// The request could not be read.
    pub const INVALID_REQUEST: u32 = 600;
    /// The `AcceptableResponseSchema` names a schema the server does not provide.
    pub const SCHEMA_NOT_AVAILABLE: u32 = 601;
}

/// The generic `Autodiscover/Response/Error` form, for a request that could not be read
/// or that asks for a schema other than mobilesync.
pub fn render_request_error(error_code: u32, message: &str) -> String {
    render(|w| {
        w.create_element("Autodiscover")
            .with_attribute(("xmlns", RESPONSE_SCHEMA))
            .write_inner_content(|w| {
                w.create_element("Response").write_inner_content(|w| {
                    w.create_element("Error").write_inner_content(|w| {
                        text_element(w, "ErrorCode", &error_code.to_string())?;
                        text_element(w, "Message", message)
                    })?;
                    Ok(())
                })?;
                Ok(())
            })?;
        Ok(())
    })
}

#[cfg(test)]
mod tests;
