//! Login: resolving the names phones send to one account, checking the password, and the
//! device-approval policy that applies to the account.

use std::fmt;

use crate::directory::Directory;
use crate::error::{AuthError, DirectoryError, Entity};
use crate::model::{Password, User};
use crate::names::{first_label, parse_address, parse_login, LoginName};
use crate::password;
use crate::policy::ApprovalPolicy;
use crate::store::UserRecord;

/// What a login name points at.
enum Resolved {
    Found(Box<UserRecord>),
    Unknown,
    Ambiguous,
}

/// A login name resolved to the account it names (or to nobody), before any password check.
///
/// [`LoginTarget::account`] is the same for every spelling of one account (`jdoe`,
/// ` EXAMPLE\JDoe`, `x\jdoe@example.loc`, an alias), so that limits keyed on it cannot be
/// dodged by respelling the login.
pub struct LoginTarget {
    account: String,
    resolved: Resolved,
}

impl LoginTarget {
    /// The canonical account key: the primary address of the account the login names, or the
    /// normalised name itself when it names nobody (or more than one account), so that guessing
    /// at unknown names is limited like guessing at known ones.
    pub fn account(&self) -> &str {
        &self.account
    }
}

impl fmt::Debug for LoginTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginTarget")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

impl Directory {
    /// Checks a login and password. `login` may be `user@domain` (primary address or alias),
    /// `DOMAIN\user` (full domain name or its first label) or a bare `user`, in any case.
    ///
    /// The same as [`Directory::login_target`] followed by [`Directory::check_password`].
    pub async fn authenticate(&self, login: &str, password: &str) -> Result<User, AuthError> {
        let target = self.login_target(login).await?;
        self.check_password(target, password).await
    }

    /// Resolves a login name to the account it names, without any hash work. A name that cannot
    /// name anyone (empty parts, spaces or control characters inside, too long) is refused here
    /// with [`AuthError::MalformedLogin`], so a flood of such names costs no argon2 run.
    pub async fn login_target(&self, login: &str) -> Result<LoginTarget, AuthError> {
        let Some(name) = parse_login(login) else {
            return Err(AuthError::MalformedLogin);
        };
        let (resolved, attempted) = self.resolve(name).await?;
        let account = match &resolved {
            Resolved::Found(record) => record.user.address.clone(),
            Resolved::Unknown | Resolved::Ambiguous => attempted,
        };
        Ok(LoginTarget { account, resolved })
    }

    /// Verifies `password` for a resolved login.
    ///
    /// An unknown or ambiguous login still costs one argon2 verification, so response time does
    /// not tell which accounts exist; a disabled account is reported only after the password
    /// matched. A password longer than any that can be set is refused without hashing. Never
    /// logs the password.
    pub async fn check_password(
        &self,
        target: LoginTarget,
        password: &str,
    ) -> Result<User, AuthError> {
        let login = target.account.as_str();
        let password = Password::new(password);
        let record = match target.resolved {
            Resolved::Found(record) => record,
            unresolved => {
                if !password::exceeds_limit(&password) {
                    password::verify(password, self.dummy_hash()).await?;
                }
                let error = match unresolved {
                    Resolved::Ambiguous => AuthError::Ambiguous,
                    _ => AuthError::UnknownUser,
                };
                tracing::debug!(login, reason = %error, "authentication failed");
                return Err(error);
            }
        };
        let UserRecord {
            user,
            password_hash,
        } = *record;
        if password::exceeds_limit(&password) || !password::verify(password, password_hash).await? {
            tracing::debug!(login, user = %user.address, "authentication failed: wrong password");
            return Err(AuthError::WrongPassword);
        }
        if user.disabled {
            tracing::debug!(login, user = %user.address, "authentication failed: disabled");
            return Err(AuthError::Disabled);
        }
        Ok(user)
    }

    /// The account a login name (any of the three forms) names, without checking a password.
    /// `None` when it names nobody or more than one account.
    pub async fn resolve_login(&self, login: &str) -> Result<Option<User>, DirectoryError> {
        let Some(name) = parse_login(login) else {
            return Ok(None);
        };
        Ok(match self.resolve(name).await?.0 {
            Resolved::Found(record) => Some(record.user),
            Resolved::Unknown | Resolved::Ambiguous => None,
        })
    }

    /// The device-approval policy for the user with this address or alias: the domain's
    /// override when it has one, else `global_default`.
    pub async fn effective_approval(
        &self,
        address: &str,
        global_default: ApprovalPolicy,
    ) -> Result<ApprovalPolicy, DirectoryError> {
        let (_, _, address) = parse_address(address)?;
        let record = self
            .store
            .user_by_address(&address)
            .await?
            .ok_or_else(|| DirectoryError::not_found(Entity::User, &address))?;
        let domain = self
            .store
            .domain(&record.user.domain)
            .await?
            .ok_or_else(|| DirectoryError::not_found(Entity::Domain, &record.user.domain))?;
        Ok(domain.approval.unwrap_or(global_default))
    }

    /// The account `name` names, and the normalised name that was looked up (the account key
    /// of a name that names nobody).
    async fn resolve(&self, name: LoginName) -> Result<(Resolved, String), DirectoryError> {
        match name {
            LoginName::Address(address) => Ok((self.by_address(&address).await?, address)),
            LoginName::DomainUser { domain, user } => {
                let domains = self.store.domains().await?;
                // A full domain name wins over another domain whose first label is the same.
                let matching: Vec<_> = match domains.iter().find(|d| d.name == domain) {
                    Some(exact) => vec![exact],
                    None => domains
                        .iter()
                        .filter(|d| first_label(&d.name) == domain)
                        .collect(),
                };
                match matching.as_slice() {
                    [] => Ok((Resolved::Unknown, format!("{domain}\\{user}"))),
                    [one] => {
                        let address = format!("{user}@{}", one.name);
                        Ok((self.by_address(&address).await?, address))
                    }
                    _ => Ok((Resolved::Ambiguous, format!("{domain}\\{user}"))),
                }
            }
            LoginName::Bare(local) => {
                if let Some(default) = &self.options.default_domain {
                    if let found @ Resolved::Found(_) =
                        self.by_address(&format!("{local}@{default}")).await?
                    {
                        return Ok((found, local));
                    }
                }
                let mut records = self.store.users_by_local_part(&local).await?;
                let resolved = match records.len() {
                    0 => Resolved::Unknown,
                    1 => records
                        .pop()
                        .map_or(Resolved::Unknown, |r| Resolved::Found(Box::new(r))),
                    _ => Resolved::Ambiguous,
                };
                Ok((resolved, local))
            }
        }
    }

    async fn by_address(&self, address: &str) -> Result<Resolved, DirectoryError> {
        Ok(match self.store.user_by_address(address).await? {
            Some(record) => Resolved::Found(Box::new(record)),
            None => Resolved::Unknown,
        })
    }
}
