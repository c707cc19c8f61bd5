//! Login: resolving the names phones send to one account, checking the password, and the
//! device-approval policy that applies to the account.

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

impl Directory {
    /// Checks a login and password. `login` may be `user@domain` (primary address or alias),
    /// `DOMAIN\user` (full domain name or its first label) or a bare `user`, in any case.
    ///
    /// An unknown or ambiguous login still costs one argon2 verification, so response time does
    /// not tell which accounts exist; a disabled account is reported only after the password
    /// matched. Never logs the password.
    pub async fn authenticate(&self, login: &str, password: &str) -> Result<User, AuthError> {
        let password = Password::new(password);
        let record = match self.resolve(login).await? {
            Resolved::Found(record) => record,
            unresolved => {
                password::verify(password, self.dummy_hash()).await?;
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
        if !password::verify(password, password_hash).await? {
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
        Ok(match self.resolve(login).await? {
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

    async fn resolve(&self, login: &str) -> Result<Resolved, DirectoryError> {
        let Some(name) = parse_login(login) else {
            return Ok(Resolved::Unknown);
        };
        match name {
            LoginName::Address(address) => self.by_address(&address).await,
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
                    [] => Ok(Resolved::Unknown),
                    [one] => self.by_address(&format!("{user}@{}", one.name)).await,
                    _ => Ok(Resolved::Ambiguous),
                }
            }
            LoginName::Bare(local) => {
                if let Some(default) = &self.options.default_domain {
                    if let found @ Resolved::Found(_) =
                        self.by_address(&format!("{local}@{default}")).await?
                    {
                        return Ok(found);
                    }
                }
                let mut records = self.store.users_by_local_part(&local).await?;
                Ok(match records.len() {
                    0 => Resolved::Unknown,
                    1 => records
                        .pop()
                        .map_or(Resolved::Unknown, |r| Resolved::Found(Box::new(r))),
                    _ => Resolved::Ambiguous,
                })
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
