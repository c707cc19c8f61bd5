//! The ResolveRecipients command (MS-ASCMD 2.2.1.15): the names a phone wants resolved (`To`,
//! 1 to 1000 of them), its options (certificates, how many suggestions, free/busy, pictures),
//! and the response with one `Response` per `To` (statuses in MS-ASCMD 2.2.3.177.11).

use eas_wbxml::tags::resolve_recipients as r;
use eas_wbxml::Element;

use crate::datetime::EasDateTime;
use crate::error::{expect_root, optional_number, ParseError};
use crate::picture::PictureTags;
pub use crate::picture::{Picture, PictureRequest};

/// MS-ASCMD 2.2.3.172.2: at most 1000 `To` elements in a request.
pub const MAX_TO: usize = 1000;
/// MS-ASCMD 2.2.3.90: MaxAmbiguousRecipients is 0 to 9999.
pub const MAX_AMBIGUOUS_LIMIT: u32 = 9999;
/// MS-ASCMD 2.2.3.58.1 (R2265): an Availability without EndTime asks for the seven days after
/// StartTime.
pub const DEFAULT_AVAILABILITY_SECONDS: i64 = 7 * 24 * 3600;

/// What the phone asks of the certificates of each resolved recipient (MS-ASCMD 2.2.3.22).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CertificateRetrieval {
    /// 1, the default: none.
    #[default]
    None,
    /// 2: the full certificate.
    Full,
    /// 3: the mini certificate.
    Mini,
}

/// The free/busy window asked for (MS-ASCMD 2.2.3.16), times in seconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AvailabilityRequest {
    pub start: i64,
    pub end: i64,
}

/// A ResolveRecipients request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResolveRecipientsRequest {
    pub to: Vec<String>,
    pub certificates: CertificateRetrieval,
    pub max_certificates: Option<u32>,
    pub max_ambiguous: Option<u32>,
    pub availability: Option<AvailabilityRequest>,
    pub picture: Option<PictureRequest>,
}

impl ResolveRecipientsRequest {
    /// Reads a request tree whose root is `ResolveRecipients`: 1 to [`MAX_TO`] non-empty `To`
    /// elements of at most 256 characters (the response schema's limit), and valid options.
    pub fn from_element(root: &Element) -> Result<ResolveRecipientsRequest, ParseError> {
        expect_root(root, r::RESOLVE_RECIPIENTS)?;
        let mut to = Vec::new();
        for el in root.children_of(r::TO) {
            let name = el.text_content().unwrap_or_default().trim().to_owned();
            if name.is_empty() || name.chars().count() > 256 {
                return Err(ParseError::bad_value(r::TO, &name));
            }
            to.push(name);
        }
        if to.is_empty() {
            return Err(ParseError::Missing(r::TO));
        }
        if to.len() > MAX_TO {
            return Err(ParseError::bad_value(r::TO, &to.len().to_string()));
        }
        let mut req = ResolveRecipientsRequest {
            to,
            ..Default::default()
        };
        let Some(opts) = root.child(r::OPTIONS) else {
            return Ok(req);
        };
        req.certificates = match optional_number::<u8>(opts, r::CERTIFICATE_RETRIEVAL)? {
            None | Some(1) => CertificateRetrieval::None,
            Some(2) => CertificateRetrieval::Full,
            Some(3) => CertificateRetrieval::Mini,
            Some(v) => {
                return Err(ParseError::bad_value(
                    r::CERTIFICATE_RETRIEVAL,
                    &v.to_string(),
                ))
            }
        };
        req.max_certificates = optional_number(opts, r::MAX_CERTIFICATES)?;
        req.max_ambiguous = optional_number(opts, r::MAX_AMBIGUOUS_RECIPIENTS)?;
        if let Some(n) = req.max_ambiguous.filter(|n| *n > MAX_AMBIGUOUS_LIMIT) {
            return Err(ParseError::bad_value(
                r::MAX_AMBIGUOUS_RECIPIENTS,
                &n.to_string(),
            ));
        }
        if let Some(av) = opts.child(r::AVAILABILITY) {
            let time = |tag| -> Result<i64, ParseError> {
                let text = av.child_text(tag).ok_or(ParseError::Missing(tag))?;
                EasDateTime::parse(&text)
                    .map(|t| t.unix_millis().div_euclid(1000))
                    .ok_or_else(|| ParseError::bad_value(tag, &text))
            };
            let start = time(r::START_TIME)?;
            // R2265: without EndTime the window is the seven days after StartTime.
            let end = match av.child(r::END_TIME) {
                Some(_) => time(r::END_TIME)?,
                None => start.saturating_add(DEFAULT_AVAILABILITY_SECONDS),
            };
            if end <= start {
                return Err(ParseError::bad_value(r::END_TIME, "before StartTime"));
            }
            req.availability = Some(AvailabilityRequest { start, end });
        }
        req.picture = PictureRequest::read(opts, PictureTags::RESOLVE_RECIPIENTS)?;
        Ok(req)
    }

    /// Writes the request tree, as a client would send it.
    pub fn to_element(&self) -> Element {
        let mut root = Element::new(r::RESOLVE_RECIPIENTS);
        for t in &self.to {
            root.push_text(r::TO, t);
        }
        let mut opts = Element::new(r::OPTIONS);
        let retrieval = match self.certificates {
            CertificateRetrieval::None => None,
            CertificateRetrieval::Full => Some("2"),
            CertificateRetrieval::Mini => Some("3"),
        };
        if let Some(v) = retrieval {
            opts.push_text(r::CERTIFICATE_RETRIEVAL, v);
        }
        if let Some(n) = self.max_certificates {
            opts.push_text(r::MAX_CERTIFICATES, n.to_string());
        }
        if let Some(n) = self.max_ambiguous {
            opts.push_text(r::MAX_AMBIGUOUS_RECIPIENTS, n.to_string());
        }
        if let Some(av) = self.availability {
            opts.push(
                Element::new(r::AVAILABILITY)
                    .with_text(
                        r::START_TIME,
                        EasDateTime::from_unix_seconds(av.start).to_string(),
                    )
                    .with_text(
                        r::END_TIME,
                        EasDateTime::from_unix_seconds(av.end).to_string(),
                    ),
            );
        }
        if let Some(p) = self.picture {
            opts.push(p.to_element(PictureTags::RESOLVE_RECIPIENTS));
        }
        if opts.elements().next().is_none() {
            return root;
        }
        root.with(opts)
    }
}

/// How one `To` resolved (MS-ASCMD 2.2.3.177.11, as a child of `Response`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResolveStatus {
    /// 1: exactly one match.
    Resolved = 1,
    /// 2: several matches, all of them listed as suggestions.
    Ambiguous = 2,
    /// 3: several matches, only some listed (`RecipientCount` has the total).
    AmbiguousPartial = 3,
    /// 4: no contact or GAL entry matched.
    NotResolved = 4,
}

/// Where a recipient was found (MS-ASCMD 2.2.3.170.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecipientType {
    /// 1: the global address list (the directory).
    Gal = 1,
    /// 2: the user's contacts.
    Contact = 2,
}

/// The free/busy answer for one recipient (MS-ASCMD 2.2.3.16; statuses 2.2.3.177.11).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Availability {
    /// Status 1 with the merged free/busy string (one digit per 30 minutes).
    Merged(String),
    /// Status 160: the request reached the most recipients whose free/busy the server reads.
    TooManyRecipients,
    /// Status 162: a temporary failure; the phone may ask again.
    TemporaryFailure,
    /// Status 163: free/busy cannot be read for this recipient.
    NotAvailable,
}

/// The certificates answer (MS-ASCMD 2.2.3.23.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Certificates {
    /// Status 1 with the base64 certificates (full or mini).
    Found {
        certificates: Vec<String>,
        mini: bool,
    },
    /// Status 7: the recipient has no valid S/MIME certificate.
    None,
}

/// One suggestion or match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient {
    pub kind: RecipientType,
    pub display_name: String,
    pub email_address: String,
    pub availability: Option<Availability>,
    pub certificates: Option<Certificates>,
    pub picture: Option<Picture>,
}

impl Recipient {
    fn to_element(&self) -> Element {
        let mut el = Element::new(r::RECIPIENT)
            .with_text(r::TYPE, (self.kind as u8).to_string())
            .with_text(r::DISPLAY_NAME, &self.display_name)
            .with_text(r::EMAIL_ADDRESS, &self.email_address);
        if let Some(av) = &self.availability {
            let (status, merged) = match av {
                Availability::Merged(m) => (1, Some(m)),
                Availability::TooManyRecipients => (160, None),
                Availability::TemporaryFailure => (162, None),
                Availability::NotAvailable => (163, None),
            };
            let mut a = Element::new(r::AVAILABILITY).with_text(r::STATUS, status.to_string());
            if let Some(m) = merged {
                a.push_text(r::MERGED_FREE_BUSY, m);
            }
            el.push(a);
        }
        if let Some(c) = &self.certificates {
            let mut e = Element::new(r::CERTIFICATES);
            match c {
                Certificates::Found { certificates, mini } => {
                    e.push_text(r::STATUS, "1");
                    e.push_text(r::CERTIFICATE_COUNT, certificates.len().to_string());
                    e.push_text(r::RECIPIENT_COUNT, "1");
                    let tag = if *mini {
                        r::MINI_CERTIFICATE
                    } else {
                        r::CERTIFICATE
                    };
                    for cert in certificates {
                        e.push_text(tag, cert);
                    }
                }
                Certificates::None => {
                    e.push_text(r::STATUS, "7");
                    e.push_text(r::CERTIFICATE_COUNT, "0");
                    e.push_text(r::RECIPIENT_COUNT, "1");
                }
            }
            el.push(e);
        }
        if let Some(p) = &self.picture {
            el.push(p.to_element(PictureTags::RESOLVE_RECIPIENTS));
        }
        el
    }
}

/// The answer for one `To`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolveResponse {
    pub to: String,
    pub status: ResolveStatus,
    /// How many recipients matched in all (MS-ASCMD 2.2.3.133); absent when none did.
    pub recipient_count: Option<u32>,
    pub recipients: Vec<Recipient>,
}

/// A ResolveRecipients response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolveRecipientsResponse {
    /// 1 success, 5 protocol error, 6 server error (MS-ASCMD 2.2.3.177.11).
    pub status: u8,
    pub responses: Vec<ResolveResponse>,
}

impl ResolveRecipientsResponse {
    /// A request-wide failure: status only.
    pub fn status_only(status: u8) -> ResolveRecipientsResponse {
        ResolveRecipientsResponse {
            status,
            responses: Vec::new(),
        }
    }

    /// The response tree (ResolveRecipientsResponse.xsd).
    pub fn to_element(&self) -> Element {
        let mut root =
            Element::new(r::RESOLVE_RECIPIENTS).with_text(r::STATUS, self.status.to_string());
        for resp in &self.responses {
            let mut el = Element::new(r::RESPONSE)
                .with_text(r::TO, &resp.to)
                .with_text(r::STATUS, (resp.status as u8).to_string());
            if let Some(n) = resp.recipient_count {
                el.push_text(r::RECIPIENT_COUNT, n.to_string());
            }
            for rec in &resp.recipients {
                el.push(rec.to_element());
            }
            root.push(el);
        }
        root
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(to: &[&str]) -> Element {
        let mut root = Element::new(r::RESOLVE_RECIPIENTS);
        for t in to {
            root.push_text(r::TO, *t);
        }
        root
    }

    #[test]
    fn a_request_with_every_option_round_trips() {
        let req = ResolveRecipientsRequest {
            to: vec!["jdoe".into(), "asmith@example.loc".into()],
            certificates: CertificateRetrieval::Full,
            max_certificates: Some(5),
            max_ambiguous: Some(3),
            availability: Some(AvailabilityRequest {
                start: 1_700_000_000,
                end: 1_700_086_400,
            }),
            picture: Some(PictureRequest {
                max_size: Some(10_240),
                max_pictures: Some(2),
            }),
        };
        let back = ResolveRecipientsRequest::from_element(&req.to_element());
        assert_eq!(back, Ok(req));
    }

    #[test]
    fn requests_without_to_or_with_bad_options_are_refused() {
        let empty = Element::new(r::RESOLVE_RECIPIENTS);
        assert_eq!(
            ResolveRecipientsRequest::from_element(&empty),
            Err(ParseError::Missing(r::TO))
        );
        let blank = request(&["  "]);
        assert!(ResolveRecipientsRequest::from_element(&blank).is_err());
        let long = "x".repeat(257);
        assert!(ResolveRecipientsRequest::from_element(&request(&[&long])).is_err());
        let many: Vec<String> = (0..=MAX_TO).map(|i| format!("u{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert!(ResolveRecipientsRequest::from_element(&request(&many)).is_err());
        let bad_retrieval =
            request(&["a"]).with(Element::new(r::OPTIONS).with_text(r::CERTIFICATE_RETRIEVAL, "4"));
        assert!(ResolveRecipientsRequest::from_element(&bad_retrieval).is_err());
        let too_many = request(&["a"])
            .with(Element::new(r::OPTIONS).with_text(r::MAX_AMBIGUOUS_RECIPIENTS, "10000"));
        assert!(ResolveRecipientsRequest::from_element(&too_many).is_err());
        let backwards = request(&["a"]).with(
            Element::new(r::OPTIONS).with(
                Element::new(r::AVAILABILITY)
                    .with_text(r::START_TIME, "2026-12-07T00:00:00.000Z")
                    .with_text(r::END_TIME, "2026-12-06T00:00:00.000Z"),
            ),
        );
        assert!(ResolveRecipientsRequest::from_element(&backwards).is_err());
    }

    #[test]
    fn an_availability_without_end_time_asks_for_seven_days() {
        let open = request(&["a"]).with(Element::new(r::OPTIONS).with(
            Element::new(r::AVAILABILITY).with_text(r::START_TIME, "2026-12-07T00:00:00.000Z"),
        ));
        let req = ResolveRecipientsRequest::from_element(&open);
        let start = EasDateTime::parse("2026-12-07T00:00:00.000Z")
            .map(|t| t.unix_millis() / 1000)
            .unwrap_or_default();
        let end = EasDateTime::parse("2026-12-14T00:00:00.000Z")
            .map(|t| t.unix_millis() / 1000)
            .unwrap_or_default();
        assert_eq!(
            req.map(|r| r.availability),
            Ok(Some(AvailabilityRequest { start, end }))
        );
        let no_start = request(&["a"]).with(Element::new(r::OPTIONS).with(
            Element::new(r::AVAILABILITY).with_text(r::END_TIME, "2026-12-07T00:00:00.000Z"),
        ));
        assert_eq!(
            ResolveRecipientsRequest::from_element(&no_start),
            Err(ParseError::Missing(r::START_TIME))
        );
    }

    #[test]
    fn too_many_availability_recipients_is_status_160() {
        let rec = Recipient {
            kind: RecipientType::Gal,
            display_name: "A".into(),
            email_address: "a@example.loc".into(),
            availability: Some(Availability::TooManyRecipients),
            certificates: None,
            picture: None,
        };
        let el = rec.to_element();
        let availability = el.child(r::AVAILABILITY);
        assert_eq!(
            availability
                .and_then(|a| a.child_text(r::STATUS))
                .as_deref(),
            Some("160")
        );
        assert!(availability.is_some_and(|a| a.child(r::MERGED_FREE_BUSY).is_none()));
    }

    #[test]
    fn a_response_lists_every_part_in_schema_order() {
        let resp = ResolveRecipientsResponse {
            status: 1,
            responses: vec![ResolveResponse {
                to: "jd".into(),
                status: ResolveStatus::AmbiguousPartial,
                recipient_count: Some(3),
                recipients: vec![Recipient {
                    kind: RecipientType::Gal,
                    display_name: "John Doe".into(),
                    email_address: "jdoe@example.loc".into(),
                    availability: Some(Availability::NotAvailable),
                    certificates: Some(Certificates::None),
                    picture: Some(Picture::Data(vec![1, 2, 3])),
                }],
            }],
        };
        let el = resp.to_element();
        let xml = eas_wbxml::to_xml(&el);
        let order = [
            "<To>jd</To>",
            "<Status>3</Status>",
            "<RecipientCount>3</RecipientCount>",
            "<Type>1</Type>",
            "<DisplayName>John Doe</DisplayName>",
            "<EmailAddress>jdoe@example.loc</EmailAddress>",
            "<Status>163</Status>",
            "<Status>7</Status>",
            "<Data>AQID</Data>",
        ];
        let mut at = 0;
        for part in order {
            let found = xml[at..].find(part);
            assert!(found.is_some(), "{part} missing after {at} in {xml}");
            at += found.unwrap_or(0) + part.len();
        }
    }
}
