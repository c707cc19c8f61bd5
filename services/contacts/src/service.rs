//! [`ContactsStore`], the database handle, and [`ContactsService`], the operations over it:
//! validation, vCard import and export, collected recipients, and a change event after every
//! committed write. The gRPC layer ([`crate::grpc`]) is a thin face of these methods.

use std::sync::Arc;

use eas_contacts_model::vcard::{self, VCardVersion};
use eas_contacts_model::{stored, Contact};
use eas_data_service::Publisher;
use eas_event_bus::{DataClass, EventBus};

use crate::error::ContactsError;
use crate::index::{self, Indexed};
use crate::model::{
    ContactId, Folder, FolderId, FolderState, Hierarchy, ImportError, Imported, ItemVersion, Moved,
    Recipient, SearchResult, StoredContact, Written,
};
use crate::options::ContactsOptions;
use crate::store::{self, Store};

/// Search matches returned when the caller names no limit, and the most returned at all.
pub const DEFAULT_SEARCH_LIMIT: u32 = 100;
pub const MAX_SEARCH_LIMIT: u32 = 1000;

/// Contacts storage over SQLite or PostgreSQL. Cheap to clone; clones share one pool.
#[derive(Clone)]
pub struct ContactsStore {
    store: Arc<dyn Store>,
}

impl std::fmt::Debug for ContactsStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContactsStore").finish_non_exhaustive()
    }
}

impl ContactsStore {
    /// Connects to `sqlite://path`, `sqlite::memory:` or `postgres://...` and runs the
    /// migrations of that backend.
    pub async fn connect(url: &str, options: &ContactsOptions) -> Result<Self, ContactsError> {
        let store = store::open(
            url,
            options.max_connections,
            options.postgres_schema.as_deref(),
        )
        .await?;
        tracing::debug!(
            backend = url.split(':').next().unwrap_or_default(),
            schema = options.postgres_schema.as_deref(),
            "contacts store connected"
        );
        Ok(ContactsStore { store })
    }

    /// Answers when the database does (one round trip), for readiness probes.
    pub async fn ping(&self) -> Result<(), ContactsError> {
        self.store.ping().await
    }
}

impl eas_data_service::Database for ContactsStore {
    type Error = ContactsError;

    async fn ping(&self) -> Result<(), ContactsError> {
        ContactsStore::ping(self).await
    }
}

/// The contacts service: every operation takes the user's address and only ever sees that
/// user's address books; every committed write publishes a [`ChangeEvent`] of
/// [`DataClass::Contacts`]. Cheap to clone.
#[derive(Clone)]
pub struct ContactsService {
    store: Arc<dyn Store>,
    changes: Publisher,
}

impl ContactsService {
    pub fn new(store: ContactsStore, bus: Arc<dyn EventBus>) -> Self {
        ContactsService {
            store: store.store,
            changes: Publisher::new(bus, DataClass::Contacts),
        }
    }

    /// Answers when the database does, for readiness probes.
    pub async fn ping(&self) -> Result<(), ContactsError> {
        self.store.ping().await
    }

    /// Creates the user's address book (the Contacts folder and the collected contacts)
    /// unless it exists. Safe to call concurrently; true when this call created it.
    pub async fn ensure_book(&self, user: &str) -> Result<bool, ContactsError> {
        let user = canonical(user)?;
        let created = self.store.ensure_book(&user).await?;
        if created {
            tracing::info!(user = %user, "address book created");
        }
        Ok(created)
    }

    /// Every folder of the user, the collected contacts included, and the hierarchy counter
    /// (0 and no folders before the address book exists).
    pub async fn hierarchy(&self, user: &str) -> Result<Hierarchy, ContactsError> {
        self.store.hierarchy(&canonical(user)?).await
    }

    pub async fn folder_state(
        &self,
        user: &str,
        folder: FolderId,
    ) -> Result<FolderState, ContactsError> {
        self.store.folder_state(&canonical(user)?, folder).await
    }

    /// The folder's change log after `after` (modseq, id), at most `limit` versions.
    pub async fn changes_since(
        &self,
        user: &str,
        folder: FolderId,
        after: (u64, &str),
        limit: u32,
    ) -> Result<Vec<ItemVersion>, ContactsError> {
        self.store
            .changes(&canonical(user)?, folder, after, limit)
            .await
    }

    pub async fn versions(
        &self,
        user: &str,
        folder: FolderId,
        ids: &[ContactId],
    ) -> Result<Vec<ItemVersion>, ContactsError> {
        self.store.versions(&canonical(user)?, folder, ids).await
    }

    /// The live contacts of `folder` among `ids`, by id; the others are left out.
    pub async fn get_contacts(
        &self,
        user: &str,
        folder: FolderId,
        ids: &[ContactId],
    ) -> Result<Vec<StoredContact>, ContactsError> {
        self.store.contacts(&canonical(user)?, folder, ids).await
    }

    /// Adds a contact given in the stored form.
    pub async fn create_contact(
        &self,
        user: &str,
        folder: FolderId,
        json: &str,
    ) -> Result<Written, ContactsError> {
        let user = canonical(user)?;
        let contact = Indexed::from_json(json)?;
        let (modseq, ids) = self
            .store
            .insert(&user, folder, std::slice::from_ref(&contact))
            .await?;
        let id = ids
            .first()
            .copied()
            .ok_or_else(|| ContactsError::Corrupt("insert returned no id".into()))?;
        self.changes.items_changed(&user, folder, modseq).await;
        Ok(Written {
            id,
            folder_id: folder,
            modseq,
        })
    }

    /// Replaces a live contact; with `if_modseq`, only while it is at that modseq
    /// ([`ContactsError::Conflict`] otherwise).
    pub async fn update_contact(
        &self,
        user: &str,
        folder: FolderId,
        id: ContactId,
        json: &str,
        if_modseq: Option<u64>,
    ) -> Result<Written, ContactsError> {
        let user = canonical(user)?;
        let contact = Indexed::from_json(json)?;
        let written = self
            .store
            .update(&user, folder, id, &contact, if_modseq)
            .await?;
        self.changes
            .items_changed(&user, folder, written.modseq)
            .await;
        Ok(written)
    }

    /// Deletes a live contact, leaving a tombstone.
    pub async fn delete_contact(
        &self,
        user: &str,
        folder: FolderId,
        id: ContactId,
    ) -> Result<Written, ContactsError> {
        let user = canonical(user)?;
        let written = self.store.delete(&user, folder, id).await?;
        self.changes
            .items_changed(&user, folder, written.modseq)
            .await;
        Ok(written)
    }

    /// Moves a live contact to another folder of the user under a new id.
    pub async fn move_contact(
        &self,
        user: &str,
        from: FolderId,
        id: ContactId,
        to: FolderId,
    ) -> Result<Moved, ContactsError> {
        let user = canonical(user)?;
        let moved = self.store.move_to(&user, from, id, to).await?;
        self.changes
            .items_changed(&user, from, moved.tombstone.modseq)
            .await;
        self.changes
            .items_changed(&user, to, moved.item.modseq)
            .await;
        Ok(moved)
    }

    /// Forgets the tombstones of `folder` at or below `through`; how many.
    pub async fn purge_tombstones(
        &self,
        user: &str,
        folder: FolderId,
        through: u64,
    ) -> Result<u64, ContactsError> {
        self.store
            .purge_tombstones(&canonical(user)?, folder, through)
            .await
    }

    /// A user-created contacts folder (type 14) under `parent`, or at the top level.
    pub async fn create_folder(
        &self,
        user: &str,
        parent: Option<FolderId>,
        name: &str,
    ) -> Result<(Folder, u64), ContactsError> {
        let user = canonical(user)?;
        let name = folder_name(name)?;
        self.store.ensure_book(&user).await?;
        let (folder, counter) = self.store.create_folder(&user, parent, name).await?;
        tracing::info!(user = %user, folder = %folder.id, "contacts folder created");
        self.changes
            .hierarchy_changed(&user, folder.id, counter)
            .await;
        Ok((folder, counter))
    }

    /// Renames and moves a user-created folder (`parent: None` is the top level).
    pub async fn update_folder(
        &self,
        user: &str,
        folder: FolderId,
        parent: Option<FolderId>,
        name: &str,
    ) -> Result<(Folder, u64), ContactsError> {
        let user = canonical(user)?;
        let name = folder_name(name)?;
        let (updated, counter) = self
            .store
            .update_folder(&user, folder, parent, name)
            .await?;
        tracing::info!(user = %user, folder = %folder, "contacts folder updated");
        self.changes.hierarchy_changed(&user, folder, counter).await;
        Ok((updated, counter))
    }

    /// Deletes a user-created folder with its subfolders and contacts; the new hierarchy
    /// counter.
    pub async fn delete_folder(&self, user: &str, folder: FolderId) -> Result<u64, ContactsError> {
        let user = canonical(user)?;
        let counter = self.store.delete_folder(&user, folder).await?;
        tracing::info!(user = %user, folder = %folder, "contacts folder deleted");
        self.changes.hierarchy_changed(&user, folder, counter).await;
        Ok(counter)
    }

    /// Case-insensitive prefix search over display names and their words, first and last
    /// names, nicknames and e-mail addresses; `limit` 0 is [`DEFAULT_SEARCH_LIMIT`].
    pub async fn search(
        &self,
        user: &str,
        query: &str,
        limit: u32,
        include_collected: bool,
    ) -> Result<SearchResult, ContactsError> {
        let user = canonical(user)?;
        let pattern = index::prefix_pattern(query)?;
        let limit = match limit {
            0 => DEFAULT_SEARCH_LIMIT,
            n => n.min(MAX_SEARCH_LIMIT),
        };
        self.store
            .search(&user, &pattern, include_collected, limit)
            .await
    }

    /// Adds every vCard of `data` to `folder` (`None`: the default Contacts folder) in one
    /// write. A card that cannot be read is reported by its position and skipped; a file with
    /// no card at all is [`ContactsError::InvalidVcard`].
    pub async fn import_vcards(
        &self,
        user: &str,
        folder: Option<FolderId>,
        data: &[u8],
    ) -> Result<Imported, ContactsError> {
        let user = canonical(user)?;
        let text = std::str::from_utf8(data)
            .map_err(|e| ContactsError::InvalidVcard(format!("not UTF-8: {e}")))?;
        let cards = split_cards(text);
        if !cards.iter().any(|c| c.is_card) {
            return Err(ContactsError::InvalidVcard("no vCard in the file".into()));
        }
        let mut contacts = Vec::new();
        let mut errors = Vec::new();
        for (index, card) in cards.iter().enumerate() {
            match vcard::import(card.text) {
                Ok(parsed) => contacts.extend(parsed.iter().map(Indexed::of)),
                Err(e) => errors.push(ImportError {
                    index,
                    reason: e.to_string(),
                }),
            }
        }
        let folder_id = match folder {
            Some(folder) => folder,
            None => self.default_folder(&user).await?,
        };
        let ids = if contacts.is_empty() {
            // Nothing to write; the folder must still exist.
            self.store.folder_state(&user, folder_id).await?;
            Vec::new()
        } else {
            let (modseq, ids) = self.store.insert(&user, folder_id, &contacts).await?;
            self.changes.items_changed(&user, folder_id, modseq).await;
            ids
        };
        tracing::info!(user = %user, folder = %folder_id, imported = ids.len(), refused = errors.len(), "vcards imported");
        Ok(Imported {
            folder_id,
            ids,
            errors,
        })
    }

    /// Every live contact of `folder` as one vCard file, and how many there are.
    pub async fn export_vcards(
        &self,
        user: &str,
        folder: FolderId,
        version: VCardVersion,
    ) -> Result<(String, usize), ContactsError> {
        let rows = self.store.all_contacts(&canonical(user)?, folder).await?;
        let contacts = rows
            .iter()
            .map(|row| {
                stored::from_json(&row.json)
                    .map_err(|e| ContactsError::Corrupt(format!("contact {}: {e}", row.id)))
            })
            .collect::<Result<Vec<Contact>, _>>()?;
        if contacts.is_empty() {
            return Ok((String::new(), 0));
        }
        Ok((vcard::export(&contacts, version), contacts.len()))
    }

    /// Adds each recipient whose address is in none of the user's address books to the
    /// collected contacts; how many were added. Addresses compare case-insensitively; one
    /// that is not an address (no `@`) is skipped.
    pub async fn collect_recipients(
        &self,
        user: &str,
        recipients: &[Recipient],
    ) -> Result<usize, ContactsError> {
        let user = canonical(user)?;
        let mut wanted: Vec<(String, Indexed)> = Vec::new();
        for r in recipients {
            let address = eas_contacts_model::bare_address(&r.address);
            let key = index::address_key(&address);
            if !eas_data_service::is_address(&key)
                || key == user
                || wanted.iter().any(|(k, _)| *k == key)
            {
                continue;
            }
            let name = r.display_name.trim().trim_matches('"').trim();
            let contact = Contact {
                file_as: (!name.is_empty() && !name.eq_ignore_ascii_case(&address))
                    .then(|| name.to_owned()),
                email1_address: Some(address),
                ..Contact::default()
            };
            wanted.push((key, Indexed::of(&contact)));
        }
        if wanted.is_empty() {
            return Ok(0);
        }
        self.store.ensure_book(&user).await?;
        match self.store.collect(&user, &wanted).await? {
            Some((folder, counter, added)) => {
                tracing::debug!(user = %user, added, "recipients collected");
                self.changes.items_changed(&user, folder, counter).await;
                Ok(added)
            }
            None => Ok(0),
        }
    }

    /// The user's default Contacts folder, created with the address book on first use.
    pub async fn default_folder(&self, user: &str) -> Result<FolderId, ContactsError> {
        let user = canonical(user)?;
        self.store.ensure_book(&user).await?;
        self.store
            .hierarchy(&user)
            .await?
            .folders
            .iter()
            .find(|f| f.role == crate::model::FolderRole::Contacts)
            .map(|f| f.id)
            .ok_or_else(|| ContactsError::Corrupt(format!("{user} has no Contacts folder")))
    }
}

/// The address book key: the address lowercased, as the mail service keys mailboxes.
pub(crate) fn canonical(user: &str) -> Result<String, ContactsError> {
    eas_data_service::canonical_address(user)
        .ok_or_else(|| ContactsError::InvalidAddress(user.trim().to_owned()))
}

/// A folder display name, trimmed and bounded (`eas_data_service::folder_name`).
fn folder_name(name: &str) -> Result<&str, ContactsError> {
    eas_data_service::folder_name(name).ok_or(ContactsError::InvalidFolderName)
}

/// One part of a vCard file: a card from its `BEGIN:VCARD` line, or text before the first.
struct Part<'a> {
    text: &'a str,
    is_card: bool,
}

/// Cuts a file at each `BEGIN:VCARD` line (one that starts at the line's beginning: a folded
/// continuation begins with white space), so that one unreadable card costs only itself.
/// Blank text before the first card is dropped.
fn split_cards(text: &str) -> Vec<Part<'_>> {
    let mut starts = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\r', '\n']).trim_end();
        let content = content.strip_prefix('\u{feff}').unwrap_or(content);
        if content.eq_ignore_ascii_case("BEGIN:VCARD") {
            starts.push(offset);
        }
        offset += line.len();
    }
    let mut parts = Vec::new();
    let first = starts.first().copied().unwrap_or(text.len());
    if !text[..first].trim().is_empty() {
        parts.push(Part {
            text: &text[..first],
            is_card: false,
        });
    }
    for (i, start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(text.len());
        parts.push(Part {
            text: &text[*start..end],
            is_card: true,
        });
    }
    parts
}

/// The vCard version of a request: 3 (or 0) and 4.
pub fn vcard_version(version: u32) -> Result<VCardVersion, ContactsError> {
    match version {
        0 | 3 => Ok(VCardVersion::V3),
        4 => Ok(VCardVersion::V4),
        other => Err(ContactsError::UnsupportedVersion(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_cut_at_each_card() {
        let text = "junk\r\nBEGIN:VCARD\r\nFN:A\r\n NOTE-FOLD BEGIN:VCARD\r\nEND:VCARD\r\nbegin:vcard\nFN:B\nEND:VCARD\n";
        let parts = split_cards(text);
        let texts: Vec<(&str, bool)> = parts.iter().map(|p| (p.text, p.is_card)).collect();
        assert_eq!(
            texts,
            [
                ("junk\r\n", false),
                (
                    "BEGIN:VCARD\r\nFN:A\r\n NOTE-FOLD BEGIN:VCARD\r\nEND:VCARD\r\n",
                    true
                ),
                ("begin:vcard\nFN:B\nEND:VCARD\n", true),
            ]
        );
        assert!(split_cards("\r\n \r\n").is_empty());
    }

    #[test]
    fn an_address_book_is_keyed_by_the_lowercase_address() {
        assert_eq!(canonical("Jane@Example.COM").unwrap(), "jane@example.com");
        let refused = canonical(" jane ");
        assert!(matches!(refused, Err(ContactsError::InvalidAddress(a)) if a == "jane"));
    }

    #[test]
    fn only_versions_3_and_4_are_written() {
        assert_eq!(vcard_version(0).unwrap(), VCardVersion::V3);
        assert_eq!(vcard_version(3).unwrap(), VCardVersion::V3);
        assert_eq!(vcard_version(4).unwrap(), VCardVersion::V4);
        assert!(matches!(
            vcard_version(2),
            Err(ContactsError::UnsupportedVersion(2))
        ));
    }
}
