//! The per-device, per-collection sync state: key, cursor, held items, filter, and what a resend needs.

use std::collections::BTreeMap;

use crate::filter::FilterType;
use crate::item::Cursor;
use crate::key::SyncKey;

/// What the device holds of one item: the version it was last sent (or last sent us) and that version's
/// date, kept so that items ageing out of the FilterType window are found without asking the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// The counter value of the version the device holds.
    pub modseq: u64,
    /// The filter date of that version.
    pub date: Option<i64>,
}

/// A client Add of the last request and what it became, so that a resent request maps the same ClientId
/// to the same ServerId instead of creating the item again (MS-ASCMD 2.2.3.7.2, 2.2.3.28.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClientAdd {
    pub client_id: String,
    pub id: String,
    pub stamp: Stamp,
}

/// The client operations applied while answering the last request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ClientLog {
    pub adds: Vec<ClientAdd>,
    /// Client Changes that were applied, with the version they produced.
    pub changes: Vec<(String, Stamp)>,
}

impl ClientLog {
    pub fn add_for(&self, client_id: &str) -> Option<&ClientAdd> {
        self.adds.iter().find(|a| a.client_id == client_id)
    }

    pub fn change_for(&self, id: &str) -> Option<Stamp> {
        // The last change wins: a request may change the same item twice.
        (self.changes.iter().rev())
            .find(|(i, _)| i == id)
            .map(|(_, s)| *s)
    }
}

/// The state before the last answer, kept as an undo log: the key, filter and cursor it had, and the prior
/// held value of every id the last answer touched (`None`: the device did not hold it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Previous {
    pub key: SyncKey,
    pub filter: FilterType,
    pub cursor: Cursor,
    pub undo: Vec<(String, Option<Stamp>)>,
}

/// The sync state of one collection on one device. The edge stores it as bytes ([`CollectionState::encode`])
/// in the device store between requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionState {
    pub(crate) key: SyncKey,
    pub(crate) filter: FilterType,
    pub(crate) cursor: Cursor,
    pub(crate) held: BTreeMap<String, Stamp>,
    pub(crate) previous: Option<Previous>,
    pub(crate) last_client: ClientLog,
}

impl CollectionState {
    /// A state that holds nothing, before the answer to key "0" (counter 0).
    pub(crate) fn fresh(generation: u32, filter: FilterType) -> Self {
        Self {
            key: SyncKey::new(generation, 0),
            filter,
            cursor: Cursor::start(),
            held: BTreeMap::new(),
            previous: None,
            last_client: ClientLog::default(),
        }
    }

    /// The key of the last answer: the key the device should send next.
    pub fn key(&self) -> SyncKey {
        self.key
    }

    /// The key before the last answer, which a device that lost that answer sends again.
    pub fn previous_key(&self) -> Option<SyncKey> {
        self.previous.as_ref().map(|p| p.key)
    }

    /// The filter in effect.
    pub fn filter(&self) -> FilterType {
        self.filter
    }

    /// How far the folder's change log has been considered.
    pub fn cursor(&self) -> &Cursor {
        &self.cursor
    }

    /// How many items the device holds.
    pub fn held_len(&self) -> usize {
        self.held.len()
    }

    /// What the device holds of `id`, if anything.
    pub fn held(&self, id: &str) -> Option<Stamp> {
        self.held.get(id).copied()
    }

    /// The ids the device holds, in id order.
    pub fn held_ids(&self) -> impl Iterator<Item = &str> {
        self.held.keys().map(String::as_str)
    }

    /// Puts a new FilterType in effect. MS-ASCMD 2.2.3.68.2: the server keeps the client's items within
    /// the window; a narrower time window is applied from the held dates, anything else (a wider window,
    /// or to or from incomplete tasks) rescans the folder from the start without forgetting held items.
    pub(crate) fn apply_filter(&mut self, filter: FilterType) {
        if filter == self.filter {
            return;
        }
        if !self.filter.narrows_to(filter) {
            self.cursor = Cursor::start();
        }
        self.filter = filter;
    }

    /// Rolls back to the state before the last answer; returns the client operations of that answer (for
    /// mapping a resent request), or `None` when there is no previous state.
    pub(crate) fn roll_back(&mut self) -> Option<ClientLog> {
        let previous = self.previous.take()?;
        for (id, prior) in previous.undo {
            match prior {
                Some(stamp) => self.held.insert(id, stamp),
                None => self.held.remove(&id),
            };
        }
        self.key = previous.key;
        self.filter = previous.filter;
        self.cursor = previous.cursor;
        Some(std::mem::take(&mut self.last_client))
    }
}
