//! Choosing the body to send for a client's `BodyPreference` list: type, truncation on a UTF-8
//! boundary and AllOrNone (MS-ASAIRS 2.2.2.3, 2.2.2.12, 2.2.2.40.2). Pure functions.

use super::{Body, BodyPreference, BodyType};

/// The forms in which a message's body is at hand. Plain text converted from HTML counts as
/// plain text: the caller converts, this module only chooses and truncates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AvailableBodies<'a> {
    pub plain: Option<&'a str>,
    pub html: Option<&'a str>,
    /// The whole message as MIME text (8-bit parts already transfer-encoded).
    pub mime: Option<&'a str>,
    /// The form the message was stored in (`NativeBodyType`).
    pub native: BodyType,
}

impl<'a> AvailableBodies<'a> {
    fn get(&self, body_type: BodyType) -> Option<&'a str> {
        match body_type {
            BodyType::PlainText => self.plain,
            BodyType::Html => self.html,
            BodyType::Mime => self.mime,
            BodyType::Rtf => None,
        }
    }

    /// The body to send when the client states no usable preference: plain text, else HTML,
    /// else MIME.
    fn fallback(&self) -> Option<(BodyType, &'a str)> {
        [BodyType::PlainText, BodyType::Html, BodyType::Mime]
            .into_iter()
            .find_map(|t| self.get(t).map(|d| (t, d)))
    }
}

/// The longest prefix of `text` of at most `max_bytes` bytes that ends on a character boundary.
pub fn truncate_utf8(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn size_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

fn build(
    body_type: BodyType,
    full: &str,
    truncation: Option<u32>,
    preview: Option<u8>,
    available: &AvailableBodies<'_>,
) -> Body {
    let limit = truncation.map_or(usize::MAX, |t| t as usize);
    let data = truncate_utf8(full, limit);
    // MS-ASAIRS 2.2.2.35.1: at most the requested number of characters, in plain text.
    let preview = preview
        .filter(|n| *n > 0)
        .and_then(|n| available.plain.map(|p| p.chars().take(n.into()).collect()));
    Body {
        body_type,
        estimated_data_size: size_u32(full.len()),
        truncated: data.len() < full.len(),
        data: Some(data.to_string()),
        preview,
        part: None,
    }
}

/// The body to send for `prefs` (the client's order), or `None` if the message has no body.
///
/// - MS-ASAIRS 2.2.2.3 (R77): of the types the client accepts, the message's native type is
///   served first; the others follow in the client's order.
/// - TruncationSize cuts the data on a UTF-8 character boundary, sets `Truncated`, and keeps
///   `EstimatedDataSize` at the full size in bytes.
/// - AllOrNone with a TruncationSize smaller than the body skips that preference for the next
///   one (R80); if every preference is skipped, the body goes out with no `Data`, marked
///   truncated, so the client can fetch it later.
/// - With no preference (or only types the message lacks, such as RTF) the body is plain
///   text, else HTML, else MIME, cut at the first preference's TruncationSize.
pub fn select_body(prefs: &[BodyPreference], available: &AvailableBodies<'_>) -> Option<Body> {
    let usable: Vec<&BodyPreference> = prefs
        .iter()
        .filter(|p| available.get(p.body_type).is_some())
        .collect();
    let ordered = usable
        .iter()
        .filter(|p| p.body_type == available.native)
        .chain(usable.iter().filter(|p| p.body_type != available.native));
    for pref in ordered {
        let Some(full) = available.get(pref.body_type) else {
            continue;
        };
        let too_large = pref
            .truncation_size
            .is_some_and(|t| full.len() > t as usize);
        if pref.all_or_none && too_large {
            continue;
        }
        return Some(build(
            pref.body_type,
            full,
            pref.truncation_size,
            pref.preview,
            available,
        ));
    }
    if let Some(first) = usable.first() {
        let full = available.get(first.body_type).unwrap_or_default();
        return Some(Body {
            body_type: first.body_type,
            estimated_data_size: size_u32(full.len()),
            truncated: true,
            data: None,
            preview: None,
            part: None,
        });
    }
    let (body_type, full) = available.fallback()?;
    let first = prefs.first();
    Some(build(
        body_type,
        full,
        first.and_then(|p| p.truncation_size),
        first.and_then(|p| p.preview),
        available,
    ))
}
