//! Errors from turning a decoded WBXML tree into a typed request.

use eas_wbxml::Tag;

/// A request tree that does not match the command's schema. Elements are named `Namespace:Name`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("expected root element {expected}, found {found}")]
    WrongRoot { expected: Tag, found: Tag },
    #[error("missing element {0}")]
    Missing(Tag),
    #[error("bad value {value:?} in element {tag}")]
    BadValue { tag: Tag, value: String },
}

impl ParseError {
    /// A `BadValue` error, keeping at most 64 characters of the value for the message.
    pub fn bad_value(tag: Tag, value: &str) -> ParseError {
        ParseError::BadValue {
            tag,
            value: value.chars().take(64).collect(),
        }
    }
}

/// Checks that `root` has the expected tag.
pub(crate) fn expect_root(root: &eas_wbxml::Element, expected: Tag) -> Result<(), ParseError> {
    if root.tag == expected {
        Ok(())
    } else {
        Err(ParseError::WrongRoot {
            expected,
            found: root.tag,
        })
    }
}

/// The trimmed text of a required child element.
pub(crate) fn required_text(parent: &eas_wbxml::Element, tag: Tag) -> Result<String, ParseError> {
    parent
        .child_text(tag)
        .map(|t| t.trim().to_string())
        .ok_or(ParseError::Missing(tag))
}

/// The number in a child element, if the child is present.
pub(crate) fn optional_number<T: std::str::FromStr>(
    parent: &eas_wbxml::Element,
    tag: Tag,
) -> Result<Option<T>, ParseError> {
    match parent.child_text(tag) {
        None => Ok(None),
        Some(t) => t
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| ParseError::bad_value(tag, &t)),
    }
}

/// The trimmed text of a child element, if the child is present.
pub(crate) fn optional_text(parent: &eas_wbxml::Element, tag: Tag) -> Option<String> {
    parent.child_text(tag).map(|t| t.trim().to_string())
}

/// The number in a required child element.
pub(crate) fn required_number<T: std::str::FromStr>(
    parent: &eas_wbxml::Element,
    tag: Tag,
) -> Result<T, ParseError> {
    optional_number(parent, tag)?.ok_or(ParseError::Missing(tag))
}

/// A boolean child element, if present. MS-ASDTYPE 2.1: `0` or `1`; the XSD's `true` and
/// `false` are accepted too.
pub(crate) fn optional_bool(
    parent: &eas_wbxml::Element,
    tag: Tag,
) -> Result<Option<bool>, ParseError> {
    parent
        .child_text(tag)
        .map(|t| bool_value(tag, &t))
        .transpose()
}

/// A boolean element's text: `0`, `1`, `false` or `true`.
pub(crate) fn bool_value(tag: Tag, text: &str) -> Result<bool, ParseError> {
    match text.trim() {
        "1" | "true" => Ok(true),
        "0" | "false" => Ok(false),
        _ => Err(ParseError::bad_value(tag, text)),
    }
}

/// A required identifier (SyncKey, CollectionId, ServerId, ...): 1 to `max` characters.
pub(crate) fn required_id(
    parent: &eas_wbxml::Element,
    tag: Tag,
    max: usize,
) -> Result<String, ParseError> {
    let value = required_text(parent, tag)?;
    if value.is_empty() || value.chars().count() > max {
        return Err(ParseError::bad_value(tag, &value));
    }
    Ok(value)
}

/// The text of a child element holding either text or opaque bytes (MIME, ConversationId).
pub(crate) fn text_or_opaque(el: &eas_wbxml::Element) -> Vec<u8> {
    match el.opaque_content() {
        Some(bytes) => bytes.to_vec(),
        None => el.text_content().unwrap_or_default().into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eas_wbxml::tags::{folder_hierarchy, provision};
    use eas_wbxml::Element;

    #[test]
    fn errors_name_the_element_in_lowercase_messages() {
        let e = ParseError::Missing(folder_hierarchy::SYNC_KEY);
        assert_eq!(e.to_string(), "missing element FolderHierarchy:SyncKey");
        let e = ParseError::bad_value(provision::STATUS, "x");
        assert_eq!(e.to_string(), "bad value \"x\" in element Provision:Status");
    }

    #[test]
    fn a_wrong_root_names_both_elements() {
        let root = Element::new(provision::PROVISION);
        let e = expect_root(&root, folder_hierarchy::FOLDER_SYNC).unwrap_err();
        assert_eq!(
            e.to_string(),
            "expected root element FolderHierarchy:FolderSync, found Provision:Provision"
        );
    }

    #[test]
    fn numbers_parse_or_name_the_element() {
        let root = Element::new(provision::PROVISION).with_text(provision::STATUS, " 2 ");
        assert_eq!(optional_number::<u8>(&root, provision::STATUS), Ok(Some(2)));
        assert_eq!(
            optional_number::<u8>(&root, provision::POLICY_KEY),
            Ok(None)
        );
        let root = Element::new(provision::PROVISION).with_text(provision::STATUS, "two");
        assert!(optional_number::<u8>(&root, provision::STATUS).is_err());
    }
}
