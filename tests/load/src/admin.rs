//! The admin API client the load tools need: create users, import contacts and calendars
//! (docs/admin-api.md).

use bytes::Bytes;
use http::{header, Method, Request, StatusCode};
use http_body_util::Full;

use crate::http::{Connection, Endpoint};
use crate::Error;

/// The admin API of one server, on one keep-alive connection.
pub struct Admin {
    conn: Connection,
    token: String,
}

impl Admin {
    /// `url` is the `admin api:` line the server prints (`http://host:port/admin`) or its base.
    pub fn new(url: &str, token: &str) -> Result<Admin, Error> {
        let base = url.trim_end_matches('/').trim_end_matches("/admin");
        Ok(Admin {
            conn: Connection::new(Endpoint::parse(base)?, None),
            token: token.to_owned(),
        })
    }

    /// Creates a user; an existing one (409) is fine, so a setup can run twice.
    pub async fn ensure_user(
        &mut self,
        address: &str,
        name: &str,
        password: &str,
    ) -> Result<(), Error> {
        let body =
            serde_json::json!({"address": address, "display_name": name, "password": password});
        let req = Request::builder()
            .method(Method::POST)
            .uri("/admin/users")
            .header(header::HOST, self.conn.endpoint().host.as_str())
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body.to_string())))?;
        let resp = self.conn.fetch(req).await?;
        match resp.status {
            StatusCode::CREATED | StatusCode::OK | StatusCode::CONFLICT => Ok(()),
            s => Err(Error::Admin(format!(
                "creating {address}: {s}: {}",
                String::from_utf8_lossy(&resp.body)
            ))),
        }
    }

    /// Imports a vCard file into the user's Contacts folder; the number of contacts added.
    pub async fn import_vcards(&mut self, address: &str, vcards: String) -> Result<u64, Error> {
        let req = Request::builder()
            .method(Method::POST)
            .uri(format!(
                "/admin/users/{}/contacts/import",
                crate::http::query_escape(address)
            ))
            .header(header::HOST, self.conn.endpoint().host.as_str())
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token))
            .header(header::CONTENT_TYPE, "text/vcard")
            .body(Full::new(Bytes::from(vcards)))?;
        let resp = self.conn.fetch(req).await?;
        if resp.status != StatusCode::OK {
            return Err(Error::Admin(format!(
                "importing contacts of {address}: {}: {}",
                resp.status,
                String::from_utf8_lossy(&resp.body)
            )));
        }
        let answer: serde_json::Value = serde_json::from_slice(&resp.body)
            .map_err(|e| Error::Admin(format!("import answer: {e}")))?;
        answer["imported"]
            .as_u64()
            .ok_or_else(|| Error::Admin(format!("import answer without a count: {answer}")))
    }

    /// Imports an iCalendar file into the user's default Calendar (`POST
    /// /admin/users/{address}/calendar/import`): the events added or replaced and those the
    /// server could not read, by position in the file.
    pub async fn import_ical(&mut self, address: &str, ical: String) -> Result<IcalImport, Error> {
        let req = Request::builder()
            .method(Method::POST)
            .uri(format!(
                "/admin/users/{}/calendar/import",
                crate::http::query_escape(address)
            ))
            .header(header::HOST, self.conn.endpoint().host.as_str())
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token))
            .header(header::CONTENT_TYPE, "text/calendar")
            .body(Full::new(Bytes::from(ical)))?;
        let resp = self.conn.fetch(req).await?;
        if resp.status != StatusCode::OK {
            return Err(Error::Admin(format!(
                "importing the calendar of {address}: {}: {}",
                resp.status,
                String::from_utf8_lossy(&resp.body)
            )));
        }
        let answer: serde_json::Value = serde_json::from_slice(&resp.body)
            .map_err(|e| Error::Admin(format!("calendar import answer: {e}")))?;
        let imported = answer["imported"].as_u64().ok_or_else(|| {
            Error::Admin(format!("calendar import answer without a count: {answer}"))
        })?;
        let errors = answer["errors"]
            .as_array()
            .ok_or_else(|| {
                Error::Admin(format!("calendar import answer without errors: {answer}"))
            })?
            .iter()
            .map(|e| {
                let index = e["index"].as_u64().ok_or_else(|| {
                    Error::Admin(format!("calendar import error without an index: {e}"))
                })?;
                Ok((index, e["reason"].as_str().unwrap_or_default().to_owned()))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(IcalImport { imported, errors })
    }
}

/// What a calendar import answered.
#[derive(Debug)]
pub struct IcalImport {
    /// Events added or replaced.
    pub imported: u64,
    /// (position of the event in the file from 0, the server's reason) for each event refused.
    pub errors: Vec<(u64, String)>,
}
