//! HTTP Basic authentication (MS-ASHTTP 2.2.1.1.2.2): the credentials, and a short cache of
//! successful logins (`crate::pipeline::context::login` checks the login limits before consulting it).
//!
//! Phones send credentials with every request; verifying an argon2 hash each time would cost tens
//! of milliseconds of CPU per request, so a successful login is remembered for a short time as a
//! salted SHA-256 digest of the password (never the password itself).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use eas_directory::User;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Credentials from an `Authorization: Basic` header. The password never appears in `Debug`.
pub struct Credentials {
    pub login: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("login", &self.login)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Parses an `Authorization` header value of the Basic scheme (RFC 7617).
pub fn parse_basic(value: &str) -> Option<Credentials> {
    let (scheme, rest) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (login, password) = text.split_once(':')?;
    if login.is_empty() {
        return None;
    }
    Some(Credentials {
        login: login.to_owned(),
        password: password.to_owned(),
    })
}

struct Cached {
    digest: [u8; 32],
    user: User,
    expires: Instant,
}

/// Successful logins remembered for `ttl`, keyed by the login as typed (trimmed, lowercased).
pub struct AuthCache {
    salt: [u8; 32],
    ttl: Duration,
    entries: Mutex<HashMap<String, Cached>>,
}

impl AuthCache {
    pub fn new(ttl: Duration) -> Self {
        AuthCache {
            salt: rand::random(),
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn digest(&self, password: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.salt);
        h.update(password.as_bytes());
        h.finalize().into()
    }

    fn key(login: &str) -> String {
        login.trim().to_lowercase()
    }

    /// The user these credentials logged in as within `ttl`, when the password is the one that
    /// succeeded then. Checks no limit: the caller asks the throttle first.
    pub fn cached(&self, creds: &Credentials) -> Option<User> {
        let digest = self.digest(&creds.password);
        let entries = self.entries.lock().ok()?;
        let c = entries.get(&Self::key(&creds.login))?;
        (c.expires > Instant::now() && bool::from(c.digest.ct_eq(&digest))).then(|| c.user.clone())
    }

    /// Remembers a login whose password the directory just verified.
    pub fn remember(&self, creds: &Credentials, user: &User) {
        if self.ttl.is_zero() {
            return;
        }
        let digest = self.digest(&creds.password);
        if let Ok(mut entries) = self.entries.lock() {
            let now = Instant::now();
            if entries.len() > 100_000 {
                entries.retain(|_, c| c.expires > now);
            }
            entries.insert(
                Self::key(&creds.login),
                Cached {
                    digest,
                    user: user.clone(),
                    expires: now + self.ttl,
                },
            );
        }
    }

    /// Forgets the cached logins of one account, named by its primary address or an alias
    /// (after an administrator changed it): those typed as that name, and every login that
    /// reached the account that has it.
    pub fn forget(&self, name: &str) {
        let name = Self::key(name);
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|login, c| {
                *login != name && c.user.address != name && !c.user.aliases.contains(&name)
            });
        }
    }
}

/// An account with nothing but its address, for tests of what caches logins.
#[cfg(test)]
pub(crate) fn test_user(address: &str) -> User {
    User {
        id: 1,
        address: address.into(),
        local_part: "jdoe".into(),
        domain: "example.loc".into(),
        display_name: String::new(),
        disabled: false,
        aliases: Vec::new(),
        gal: Default::default(),
        photo: None,
        shared_calendars: None,
        calendar: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_parsed_in_every_login_form() {
        for login in ["jdoe@example.org", "EXAMPLE\\jdoe", "jdoe"] {
            let v = base64::engine::general_purpose::STANDARD.encode(format!("{login}:p:w"));
            let c = parse_basic(&format!("Basic {v}")).unwrap();
            assert_eq!(c.login, login);
            assert_eq!(c.password, "p:w");
        }
    }

    #[test]
    fn malformed_authorization_headers_are_rejected() {
        assert!(parse_basic("Bearer abc").is_none());
        assert!(parse_basic("Basic !!!").is_none());
        let no_colon = base64::engine::general_purpose::STANDARD.encode("jdoe");
        assert!(parse_basic(&format!("Basic {no_colon}")).is_none());
    }

    use super::test_user as user;

    #[test]
    fn the_cache_answers_only_the_remembered_password() {
        let cache = AuthCache::new(Duration::from_secs(60));
        let creds = |login: &str, password: &str| Credentials {
            login: login.into(),
            password: password.into(),
        };
        assert!(cache.cached(&creds("JDoe", "pw")).is_none());
        cache.remember(&creds("JDoe", "pw"), &user("jdoe@example.loc"));
        let hit = cache.cached(&creds(" jdoe", "pw")).unwrap();
        assert_eq!(hit.address, "jdoe@example.loc");
        assert!(cache.cached(&creds("jdoe", "pW")).is_none());
        cache.forget("JDoe@example.loc");
        assert!(cache.cached(&creds("jdoe", "pw")).is_none());
        // Forgetting one account leaves the others; a login typed as an alias goes with its
        // account, by the alias as by the address.
        let mut with_alias = user("anna@example.loc");
        with_alias.aliases = vec!["sales@example.loc".into()];
        cache.remember(&creds("sales@example.loc", "a"), &with_alias);
        cache.remember(&creds("anna", "a"), &with_alias);
        cache.remember(&creds("jdoe", "pw"), &user("jdoe@example.loc"));
        cache.forget("sales@example.loc");
        assert!(cache.cached(&creds("sales@example.loc", "a")).is_none());
        assert!(cache.cached(&creds("anna", "a")).is_none());
        assert!(cache.cached(&creds("jdoe", "pw")).is_some());
        let off = AuthCache::new(Duration::ZERO);
        off.remember(&creds("jdoe", "pw"), &user("jdoe@example.loc"));
        assert!(off.cached(&creds("jdoe", "pw")).is_none());
    }

    #[test]
    fn credentials_debug_output_hides_the_password() {
        let c = Credentials {
            login: "a".into(),
            password: "secret".into(),
        };
        assert!(!format!("{c:?}").contains("secret"));
    }
}
