//! The `Directory` handle: connecting, and the domain operations.

use std::sync::Arc;

use crate::error::{DirectoryError, Entity};
use crate::model::{Domain, Password};
use crate::names::normalize_domain;
use crate::options::DirectoryOptions;
use crate::password;
use crate::policy::ApprovalPolicy;
use crate::store::{self, Store};

/// Accounts directory over SQLite or PostgreSQL. Cheap to clone; clones share one pool.
#[derive(Clone)]
pub struct Directory {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) options: Arc<DirectoryOptions>,
    /// Hash that a login of an unknown user is verified against, so that such a login costs
    /// what a wrong password costs. Made at connect time with the configured cost.
    dummy_hash: Arc<str>,
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Directory")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Directory {
    /// Connects to `sqlite://path`, `sqlite::memory:` or `postgres://...` and runs the
    /// migrations of that backend.
    pub async fn connect(url: &str, options: DirectoryOptions) -> Result<Self, DirectoryError> {
        let mut options = options;
        if let Some(default) = options.default_domain.take() {
            options.default_domain = Some(normalize_domain(&default)?);
        }
        let store = store::open(url, &options).await?;
        let dummy_hash =
            password::hash(Password::new("not a real password"), options.argon2).await?;
        tracing::debug!(
            backend = url.split(':').next().unwrap_or_default(),
            default_domain = options.default_domain.as_deref(),
            "directory connected"
        );
        Ok(Directory {
            store,
            options: Arc::new(options),
            dummy_hash: dummy_hash.into(),
        })
    }

    /// Answers when the directory database does (one round trip), for readiness probes.
    pub async fn ping(&self) -> Result<(), DirectoryError> {
        self.store.ping().await
    }

    /// The options this directory was connected with (default domain normalised).
    pub fn options(&self) -> &DirectoryOptions {
        &self.options
    }

    pub(crate) fn dummy_hash(&self) -> String {
        self.dummy_hash.to_string()
    }

    /// Adds a domain; its name is stored lowercase. `approval` overrides the global
    /// device-approval policy for users of this domain.
    pub async fn create_domain(
        &self,
        name: &str,
        approval: Option<ApprovalPolicy>,
    ) -> Result<Domain, DirectoryError> {
        let name = normalize_domain(name)?;
        let domain = self.store.insert_domain(&name, approval).await?;
        tracing::info!(domain = %domain.name, approval = ?approval, "domain created");
        Ok(domain)
    }

    /// Every domain, by name.
    pub async fn list_domains(&self) -> Result<Vec<Domain>, DirectoryError> {
        self.store.domains().await
    }

    pub async fn get_domain(&self, name: &str) -> Result<Domain, DirectoryError> {
        let name = normalize_domain(name)?;
        self.store
            .domain(&name)
            .await?
            .ok_or_else(|| DirectoryError::not_found(Entity::Domain, name))
    }

    /// Sets or (with `None`) clears the domain's device-approval override.
    pub async fn set_domain_approval(
        &self,
        name: &str,
        approval: Option<ApprovalPolicy>,
    ) -> Result<Domain, DirectoryError> {
        let name = normalize_domain(name)?;
        let domain = self
            .store
            .set_domain_approval(&name, approval)
            .await?
            .ok_or_else(|| DirectoryError::not_found(Entity::Domain, &name))?;
        tracing::info!(domain = %name, approval = ?approval, "domain approval policy set");
        Ok(domain)
    }

    /// Removes a domain; refused with `DomainHasUsers` while any user or alias is in it.
    pub async fn delete_domain(&self, name: &str) -> Result<(), DirectoryError> {
        let name = normalize_domain(name)?;
        self.store.delete_domain(&name).await?;
        tracing::info!(domain = %name, "domain deleted");
        Ok(())
    }
}
