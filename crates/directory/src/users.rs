//! User and alias administration, and GAL search.

use crate::directory::Directory;
use crate::error::{DirectoryError, Entity};
use crate::model::{display_name_or, CalendarPreferences, NewUser, User, UserUpdate};
use crate::names::{normalize_domain, parse_address};
use crate::password;
use crate::store::{NewUserRow, SearchPatterns, UserChanges};

impl Directory {
    /// Creates a user in an existing domain, hashing the password with argon2id. A blank
    /// display name becomes the local part.
    pub async fn create_user(&self, new: NewUser) -> Result<User, DirectoryError> {
        let (local_part, domain, address) = parse_address(&new.address)?;
        let domain = self
            .store
            .domain(&domain)
            .await?
            .ok_or_else(|| DirectoryError::not_found(Entity::Domain, domain))?;
        password::check_acceptable(&new.password)?;
        let password_hash = password::hash(new.password, self.options.argon2).await?;
        let row = NewUserRow {
            domain_id: domain.id,
            display_name: display_name_or(&new.display_name, &local_part).to_owned(),
            local_part,
            address: address.clone(),
            password_hash,
        };
        let id = self.store.insert_user(&row).await?;
        tracing::info!(user = %address, "user created");
        self.user_by_id(id, &address).await
    }

    /// The user with this primary address or alias.
    pub async fn get_user(&self, address_or_alias: &str) -> Result<User, DirectoryError> {
        let (_, _, address) = parse_address(address_or_alias)?;
        match self.store.user_by_address(&address).await? {
            Some(record) => Ok(record.user),
            None => Err(DirectoryError::not_found(Entity::User, address)),
        }
    }

    /// Every user, or those of one domain, by address.
    pub async fn list_users(&self, domain: Option<&str>) -> Result<Vec<User>, DirectoryError> {
        match domain {
            Some(domain) => {
                let domain = normalize_domain(domain)?;
                self.store.users(Some(&domain)).await
            }
            None => self.store.users(None).await,
        }
    }

    /// Sets whether the user's devices are offered calendars other users shared with them
    /// (`None`: each device type's default); the user with this primary address.
    pub async fn set_shared_calendars(
        &self,
        address: &str,
        value: Option<bool>,
    ) -> Result<User, DirectoryError> {
        let user = self.primary_user(address).await?;
        self.store.set_shared_calendars(user.id, value).await?;
        tracing::info!(user = %user.address, shared_calendars = ?value, "shared calendars setting changed");
        self.primary_user(address).await
    }

    /// Sets the user's own time zone and first day of the week (each `None`: the server's
    /// default); the user with this primary address. A zone that is not an IANA zone name or a
    /// day past 6 is refused and nothing changes.
    pub async fn set_calendar_preferences(
        &self,
        address: &str,
        prefs: CalendarPreferences,
    ) -> Result<User, DirectoryError> {
        prefs.check()?;
        let user = self.primary_user(address).await?;
        self.store.set_calendar_preferences(user.id, &prefs).await?;
        tracing::info!(user = %user.address, time_zone = ?prefs.time_zone, first_day_of_week = ?prefs.first_day_of_week, "calendar settings changed");
        self.primary_user(address).await
    }

    /// Changes the display name, password or disabled flag of the user with this primary
    /// address (an alias is refused, so that a typo cannot change someone else).
    pub async fn update_user(
        &self,
        address: &str,
        update: UserUpdate,
    ) -> Result<User, DirectoryError> {
        let user = self.primary_user(address).await?;
        let password_hash = match update.password {
            Some(password) => {
                password::check_acceptable(&password)?;
                Some(password::hash(password, self.options.argon2).await?)
            }
            None => None,
        };
        let password_changed = password_hash.is_some();
        let changes = UserChanges {
            display_name: update
                .display_name
                .map(|name| display_name_or(&name, &user.local_part).to_owned()),
            password_hash,
            disabled: update.disabled,
        };
        self.store.update_user(user.id, &changes).await?;
        tracing::info!(
            user = %user.address,
            display_name_changed = changes.display_name.is_some(),
            password_changed,
            disabled = ?changes.disabled,
            "user updated"
        );
        self.user_by_id(user.id, &user.address).await
    }

    /// Deletes the user with this primary address, and its aliases.
    pub async fn delete_user(&self, address: &str) -> Result<(), DirectoryError> {
        let (_, _, address) = parse_address(address)?;
        if !self.store.delete_user(&address).await? {
            return Err(DirectoryError::not_found(Entity::User, address));
        }
        tracing::info!(user = %address, "user deleted");
        Ok(())
    }

    /// Gives the user with this primary address another address, in an existing domain.
    pub async fn add_alias(&self, address: &str, alias: &str) -> Result<User, DirectoryError> {
        let user = self.primary_user(address).await?;
        let (local_part, domain, alias) = parse_address(alias)?;
        let domain = self
            .store
            .domain(&domain)
            .await?
            .ok_or_else(|| DirectoryError::not_found(Entity::Domain, domain))?;
        self.store
            .insert_alias(user.id, domain.id, &local_part, &alias)
            .await?;
        tracing::info!(user = %user.address, alias = %alias, "alias added");
        self.user_by_id(user.id, &user.address).await
    }

    /// Removes an alias (never a primary address).
    pub async fn remove_alias(&self, alias: &str) -> Result<(), DirectoryError> {
        let (_, _, alias) = parse_address(alias)?;
        if !self.store.delete_alias(&alias).await? {
            return Err(DirectoryError::not_found(Entity::Alias, alias));
        }
        tracing::info!(alias = %alias, "alias removed");
        Ok(())
    }

    /// GAL search: enabled users of `domain` whose display name, first name or last name has a
    /// word starting with `query`, or whose address or alias starts with it (the alias of the
    /// GAL is the local part, so a local part prefix matches too); case-insensitive, by display
    /// name.
    pub async fn search_users(
        &self,
        domain: &str,
        query: &str,
        limit: u32,
    ) -> Result<Vec<User>, DirectoryError> {
        let query = query.trim().to_lowercase();
        if query.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let domain = normalize_domain(domain)?;
        let escaped = escape_like(&query);
        let patterns = SearchPatterns {
            prefix: format!("{escaped}%"),
            word: format!("% {escaped}%"),
        };
        self.store.search_users(&domain, &patterns, limit).await
    }

    pub(crate) async fn primary_user(&self, address: &str) -> Result<User, DirectoryError> {
        let (_, _, address) = parse_address(address)?;
        match self.store.user_by_address(&address).await? {
            Some(record) if record.user.address == address => Ok(record.user),
            _ => Err(DirectoryError::not_found(Entity::User, address)),
        }
    }

    pub(crate) async fn user_by_id(&self, id: i64, address: &str) -> Result<User, DirectoryError> {
        match self.store.user_by_id(id).await? {
            Some(record) => Ok(record.user),
            // Deleted by someone else between our write and this read.
            None => Err(DirectoryError::not_found(Entity::User, address)),
        }
    }
}

/// Escapes LIKE wildcards so that a query of `50%` matches the text `50%` only.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_wildcards_in_a_query_are_escaped() {
        assert_eq!(super::escape_like(r"50%_a\b"), r"50\%\_a\\b");
    }
}
