//! The plain rules every data service applies to what a caller names: a user's address, a
//! folder's display name, an id on the wire.

/// Longest folder display name accepted, in characters.
pub const MAX_FOLDER_NAME: usize = 256;

/// The account key of a user: the address trimmed and lowercased, as the mail service keys
/// mailboxes; `None` when it is not an address (`local@domain`, no white space).
pub fn canonical_address(user: &str) -> Option<String> {
    let user = user.trim();
    is_address(user).then(|| user.to_lowercase())
}

/// `local@domain`: both parts present, no white space anywhere.
pub fn is_address(s: &str) -> bool {
    matches!(s.split_once('@'), Some((local, domain)) if !local.is_empty() && !domain.is_empty() && !s.contains(char::is_whitespace))
}

/// A folder display name trimmed; `None` when it is empty, longer than [`MAX_FOLDER_NAME`]
/// characters or holds a control character.
pub fn folder_name(name: &str) -> Option<&str> {
    let name = name.trim();
    let bad = name.is_empty()
        || name.chars().count() > MAX_FOLDER_NAME
        || name.chars().any(char::is_control);
    (!bad).then_some(name)
}

/// The row id a wire id names: only the canonical decimal form of a positive number. `"07"` or
/// `"+7"` would name the same row under a second id, and ids are compared as strings by the
/// sync engine.
pub fn decimal_id(s: &str) -> Option<i64> {
    match s.parse::<i64>() {
        Ok(n) if n > 0 && n.to_string() == s => Some(n),
        _ => None,
    }
}

/// `Display` and `FromStr` for a row-id newtype (`struct FolderId(pub i64)`): the id as a
/// decimal string on the wire, parsed by [`decimal_id`]; `$invalid` makes the error of a string
/// that is no id from the string (`ContactsError::InvalidId`).
#[macro_export]
macro_rules! decimal_id_type {
    ($t:ty, $error:ty, $invalid:path) => {
        impl ::std::fmt::Display for $t {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl ::std::str::FromStr for $t {
            type Err = $error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $crate::decimal_id(s)
                    .map(Self)
                    .ok_or_else(|| $invalid(s.to_owned()))
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_are_lowercase_addresses() {
        assert_eq!(
            canonical_address(" Jane@Example.COM ").as_deref(),
            Some("jane@example.com")
        );
        for bad in ["", "jane", "@x", "jane@", "ja ne@x"] {
            assert_eq!(canonical_address(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn folder_names_are_trimmed_and_bounded() {
        assert_eq!(folder_name("  Team  "), Some("Team"));
        assert!(folder_name(&"x".repeat(MAX_FOLDER_NAME)).is_some());
        for bad in ["", "   ", "a\u{7}b", &"x".repeat(MAX_FOLDER_NAME + 1)] {
            assert_eq!(folder_name(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn only_canonical_positive_decimals_are_ids() {
        assert_eq!(decimal_id("7"), Some(7));
        for bad in [
            "",
            "0",
            "-1",
            "07",
            "+7",
            "7a",
            " 7",
            "99999999999999999999",
        ] {
            assert_eq!(decimal_id(bad), None, "{bad:?}");
        }
    }
}
