//! Contact photos in Search (Store=GAL) and ResolveRecipients: the `Picture` option with
//! `MaxSize` and `MaxPictures` (MS-ASCMD 2.2.3.135.2, 2.2.3.135.3, 2.2.3.104, 2.2.3.105), and
//! the `Picture` answer with its status and data. The two commands use the same shapes in
//! different namespaces: ResolveRecipients its own, Search the Search namespace in the request
//! and the GAL namespace in the response. Both from protocol version 14.1.

use base64::Engine;
use eas_wbxml::tags::{gal as g, resolve_recipients as r, search as s};
use eas_wbxml::{Element, Tag};

use crate::error::{optional_number, ParseError};

/// The tags of the `Picture` option and answer in one command.
#[derive(Clone, Copy, Debug)]
pub struct PictureTags {
    picture: Tag,
    max_size: Tag,
    max_pictures: Tag,
    answer: Tag,
    status: Tag,
    data: Tag,
}

impl PictureTags {
    /// ResolveRecipients: every element in its own namespace (MS-ASCMD 2.2.3.135.2).
    pub const RESOLVE_RECIPIENTS: PictureTags = PictureTags {
        picture: r::PICTURE,
        max_size: r::MAX_SIZE,
        max_pictures: r::MAX_PICTURES,
        answer: r::PICTURE,
        status: r::STATUS,
        data: r::DATA,
    };
    /// Search: search:Picture in the request, gal:Picture with gal:Status and gal:Data in the
    /// response (MS-ASCMD 2.2.3.135.3, GAL.xsd).
    pub const SEARCH: PictureTags = PictureTags {
        picture: s::PICTURE,
        max_size: s::MAX_SIZE,
        max_pictures: s::MAX_PICTURES,
        answer: g::PICTURE,
        status: g::STATUS,
        data: g::DATA,
    };
}

/// The picture options (MS-ASCMD 2.2.3.135.2/3): `MaxSize` in bytes, `MaxPictures` in count.
/// Either may be absent, and the element may be empty.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PictureRequest {
    pub max_size: Option<u32>,
    pub max_pictures: Option<u32>,
}

impl PictureRequest {
    /// Reads the `Picture` child of an `Options` element, if there is one.
    pub fn read(
        options: &Element,
        tags: PictureTags,
    ) -> Result<Option<PictureRequest>, ParseError> {
        let Some(p) = options.child(tags.picture) else {
            return Ok(None);
        };
        Ok(Some(PictureRequest {
            max_size: optional_number(p, tags.max_size)?,
            max_pictures: optional_number(p, tags.max_pictures)?,
        }))
    }

    /// The `Picture` element of a request, as a client writes it.
    pub fn to_element(&self, tags: PictureTags) -> Element {
        let mut el = Element::new(tags.picture);
        if let Some(n) = self.max_size {
            el.push_text(tags.max_size, n.to_string());
        }
        if let Some(n) = self.max_pictures {
            el.push_text(tags.max_pictures, n.to_string());
        }
        el
    }
}

/// The picture answer for one recipient or GAL entry (statuses of MS-ASCMD 2.2.3.177.1 and
/// 2.2.3.104: 1, 173, 174, 175).
#[derive(Clone, PartialEq, Eq)]
pub enum Picture {
    /// Status 1 with the photo's bytes (sent base64 encoded, as a string: phones do not take
    /// opaque data here).
    Data(Vec<u8>),
    /// 173 NoPicture: the contact has no photo.
    NoPhoto,
    /// 174 PictureTooLarge: the photo is larger than `MaxSize`.
    TooLarge,
    /// 175 PictureLimitReached: the contact has a photo, but `MaxPictures` photos were already
    /// returned.
    LimitReached,
}

impl std::fmt::Debug for Picture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Picture::Data(data) => write!(f, "Data({} bytes)", data.len()),
            Picture::NoPhoto => f.write_str("NoPhoto"),
            Picture::TooLarge => f.write_str("TooLarge"),
            Picture::LimitReached => f.write_str("LimitReached"),
        }
    }
}

impl Picture {
    /// The status code.
    pub fn status(&self) -> u16 {
        match self {
            Picture::Data(_) => 1,
            Picture::NoPhoto => 173,
            Picture::TooLarge => 174,
            Picture::LimitReached => 175,
        }
    }

    /// The answer element: Status, then Data with a photo.
    pub fn to_element(&self, tags: PictureTags) -> Element {
        let mut el = Element::new(tags.answer).with_text(tags.status, self.status().to_string());
        if let Picture::Data(bytes) = self {
            el.push_text(
                tags.data,
                base64::engine::general_purpose::STANDARD.encode(bytes),
            );
        }
        el
    }

    /// Reads an answer element, as a client does.
    pub fn from_element(el: &Element, tags: PictureTags) -> Result<Picture, ParseError> {
        let status = el
            .child_text(tags.status)
            .ok_or(ParseError::Missing(tags.status))?;
        Ok(match status.trim() {
            "1" => {
                let text = el
                    .child_text(tags.data)
                    .ok_or(ParseError::Missing(tags.data))?;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(text.trim())
                    .map_err(|_| ParseError::bad_value(tags.data, "not base64"))?;
                Picture::Data(bytes)
            }
            "173" => Picture::NoPhoto,
            "174" => Picture::TooLarge,
            "175" => Picture::LimitReached,
            other => return Err(ParseError::bad_value(tags.status, other)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_round_trip_in_both_namespaces_and_may_be_empty() {
        for tags in [PictureTags::RESOLVE_RECIPIENTS, PictureTags::SEARCH] {
            let req = PictureRequest {
                max_size: Some(10_240),
                max_pictures: Some(3),
            };
            let opts = Element::new(s::OPTIONS).with(req.to_element(tags));
            assert_eq!(PictureRequest::read(&opts, tags), Ok(Some(req)));
            let empty = Element::new(s::OPTIONS).with(Element::new(tags.picture));
            assert_eq!(
                PictureRequest::read(&empty, tags),
                Ok(Some(PictureRequest::default()))
            );
            assert_eq!(
                PictureRequest::read(&Element::new(s::OPTIONS), tags),
                Ok(None)
            );
            let bad = Element::new(s::OPTIONS)
                .with(Element::new(tags.picture).with_text(tags.max_size, "-1"));
            assert!(PictureRequest::read(&bad, tags).is_err());
        }
    }

    #[test]
    fn answers_carry_their_status_and_base64_data() {
        let tags = PictureTags::SEARCH;
        let el = Picture::Data(vec![0xFF, 0xD8, 0xFF]).to_element(tags);
        assert_eq!(el.tag, g::PICTURE);
        assert_eq!(el.child_text(g::STATUS).as_deref(), Some("1"));
        assert_eq!(el.child_text(g::DATA).as_deref(), Some("/9j/"));
        for (picture, status) in [
            (Picture::NoPhoto, "173"),
            (Picture::TooLarge, "174"),
            (Picture::LimitReached, "175"),
        ] {
            let el = picture.to_element(tags);
            assert_eq!(el.child_text(g::STATUS).as_deref(), Some(status));
            assert!(el.child(g::DATA).is_none());
            assert_eq!(Picture::from_element(&el, tags), Ok(picture));
        }
        let back = Picture::from_element(&Picture::Data(vec![1, 2, 3]).to_element(tags), tags);
        assert_eq!(back, Ok(Picture::Data(vec![1, 2, 3])));
        let rr = Picture::NoPhoto.to_element(PictureTags::RESOLVE_RECIPIENTS);
        assert_eq!(
            (rr.tag, rr.child_text(r::STATUS).as_deref()),
            (r::PICTURE, Some("173"))
        );
    }
}
