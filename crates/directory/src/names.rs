//! Normalising and checking domain names and addresses, and telling apart the three login forms
//! phones send (`user@domain`, `DOMAIN\user`, bare `user`).

use crate::error::DirectoryError;

/// A login name as a phone sends it, lowercased and split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LoginName {
    /// `local@domain`: a primary address or an alias.
    Address(String),
    /// `DOMAIN\user`, where DOMAIN is a full domain name or its first label (the NetBIOS-style
    /// name Windows habits put there).
    DomainUser { domain: String, user: String },
    /// `user` alone.
    Bare(String),
}

/// Longest login name accepted: an address is at most 254 bytes (RFC 5321 4.5.3.1.3), plus a
/// `DOMAIN\` prefix of at most 253.
const MAX_LOGIN_BYTES: usize = 512;

/// Splits a login into its form; `None` when it cannot name anyone (empty parts, whitespace or
/// control characters inside a part, a `DOMAIN\` prefix that is no domain name, too long).
/// Surrounding whitespace is ignored.
pub(crate) fn parse_login(login: &str) -> Option<LoginName> {
    let login = login.trim();
    if login.len() > MAX_LOGIN_BYTES {
        return None;
    }
    let login = login.to_lowercase();
    if let Some((domain, user)) = login.split_once('\\') {
        if normalize_domain(domain).is_err() {
            return None;
        }
        if user.contains('@') {
            // `DOMAIN\user@domain`: some clients send both; the address says it all.
            return parse_address(user)
                .ok()
                .map(|(_, _, address)| LoginName::Address(address));
        }
        if !is_valid_local_part(user) {
            return None;
        }
        return Some(LoginName::DomainUser {
            domain: domain.to_owned(),
            user: user.to_owned(),
        });
    }
    if login.contains('@') {
        return parse_address(&login)
            .ok()
            .map(|(_, _, address)| LoginName::Address(address));
    }
    is_valid_local_part(&login).then_some(LoginName::Bare(login))
}

/// Lowercases and checks a domain name: dot-separated labels of letters, digits and `-`.
pub(crate) fn normalize_domain(name: &str) -> Result<String, DirectoryError> {
    let name = name.trim().to_lowercase();
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.chars().count() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    if name.is_empty() || name.len() > 253 || !name.split('.').all(label_ok) {
        return Err(DirectoryError::InvalidDomain(name));
    }
    Ok(name)
}

/// Lowercases and splits `local@domain`, returning `(local, domain, address)`.
pub(crate) fn parse_address(address: &str) -> Result<(String, String, String), DirectoryError> {
    let lowered = address.trim().to_lowercase();
    let invalid = || DirectoryError::InvalidAddress(lowered.clone());
    let (local, domain) = lowered.rsplit_once('@').ok_or_else(invalid)?;
    if !is_valid_local_part(local) {
        return Err(invalid());
    }
    let domain = normalize_domain(domain).map_err(|_| invalid())?;
    let address = format!("{local}@{domain}");
    Ok((local.to_owned(), domain, address))
}

fn is_valid_local_part(local: &str) -> bool {
    !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "@\\\"<>()[],;:".contains(c))
}

/// The first label of a domain name: `example` for `example.loc`.
pub(crate) fn first_label(domain: &str) -> &str {
    domain.split('.').next().unwrap_or(domain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_login_forms_are_told_apart_and_lowercased() {
        assert_eq!(
            parse_login(" JDoe@Example.LOC "),
            Some(LoginName::Address("jdoe@example.loc".into()))
        );
        assert_eq!(
            parse_login("EXAMPLE\\JDoe"),
            Some(LoginName::DomainUser {
                domain: "example".into(),
                user: "jdoe".into()
            })
        );
        assert_eq!(parse_login("JDoe"), Some(LoginName::Bare("jdoe".into())));
    }

    #[test]
    fn a_domain_prefix_before_a_full_address_is_ignored() {
        assert_eq!(
            parse_login("EXAMPLE\\jdoe@example.loc"),
            Some(LoginName::Address("jdoe@example.loc".into()))
        );
    }

    #[test]
    fn logins_with_empty_or_malformed_parts_or_too_long_name_nobody() {
        for login in [
            "",
            "  ",
            "\\jdoe",
            "example\\",
            "@example.loc",
            "jdoe@",
            "a b",
            "ex ample\\jdoe",
            "\\jdoe@example.loc",
            "a\\b\\jdoe",
            "jdoe\u{0}@example.loc",
        ] {
            assert_eq!(parse_login(login), None, "{login:?}");
        }
        assert_eq!(parse_login(&"j".repeat(600)), None);
    }

    #[test]
    fn respellings_of_one_address_parse_to_the_same_name() {
        for login in [
            " jdoe@example.loc",
            "JDOE@example.loc\t",
            "x\\jdoe@example.loc",
            "EXAMPLE\\JDoe@Example.Loc",
        ] {
            assert_eq!(
                parse_login(login),
                Some(LoginName::Address("jdoe@example.loc".into())),
                "{login:?}"
            );
        }
    }

    #[test]
    fn domain_names_are_lowercased_and_checked() {
        assert_eq!(normalize_domain("Example.LOC").unwrap(), "example.loc");
        for bad in ["", "a..b", ".a", "a.", "-a.b", "a b.c", "a@b", "a\\b"] {
            assert!(normalize_domain(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn addresses_split_at_the_last_at_sign() {
        let (local, domain, address) = parse_address("J.Doe@Example.loc").unwrap();
        assert_eq!((local.as_str(), domain.as_str()), ("j.doe", "example.loc"));
        assert_eq!(address, "j.doe@example.loc");
        assert!(parse_address("a@b@c.d").is_err());
        assert!(parse_address("plain").is_err());
    }

    #[test]
    fn first_label_is_the_netbios_style_name() {
        assert_eq!(first_label("example.loc"), "example");
        assert_eq!(first_label("localhost"), "localhost");
    }
}
