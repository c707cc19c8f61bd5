//! One Sync request on one collection: which state answers it (key "0", current key, or a resend of the
//! previous key) and the client's Add, Change and Delete commands.

use std::collections::HashMap;

use crate::error::SyncError;
use crate::filter::FilterType;
use crate::item::{ItemSource, ItemVersion};
use crate::key::{RequestKey, SyncKey};
use crate::state::{ClientAdd, ClientLog, CollectionState, Stamp};

/// MS-ASCMD 2.2.3.199: WindowSize when the element is absent.
pub const DEFAULT_WINDOW_SIZE: usize = 100;
/// MS-ASCMD 2.2.3.199: the largest WindowSize; 0 and larger values mean this.
pub const MAX_WINDOW_SIZE: usize = 512;

/// MS-ASCMD 2.2.3.34: which side wins when an item changed on both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ConflictPolicy {
    /// 0: the client's version replaces the server's.
    ClientWins,
    /// 1, and the default when Conflict is absent: the server's version replaces the client's.
    #[default]
    ServerWins,
}

impl ConflictPolicy {
    /// The value from the wire; anything but 0 and 1 is `None`.
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(Self::ClientWins),
            1 => Some(Self::ServerWins),
            _ => None,
        }
    }
}

/// The per-collection parts of a Sync request that the engine needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncOptions {
    /// WindowSize; `None` when absent (MS-ASCMD 2.2.3.199).
    pub window_size: Option<u32>,
    /// FilterType; `None` when the request carries no Options, so the previous filter stays
    /// (MS-ASCMD 2.2.3.125.6). Options without a FilterType mean [`FilterType::All`] (2.2.3.68.2).
    pub filter: Option<FilterType>,
    /// GetChanges; `None` when absent, which means yes unless the key is "0" (MS-ASCMD 2.2.3.84).
    pub get_changes: Option<bool>,
    /// Conflict; `None` when absent, which means server wins (MS-ASCMD 2.2.3.34).
    pub conflict: Option<ConflictPolicy>,
    /// The current time in unix seconds, for the FilterType window.
    pub now: i64,
}

impl SyncOptions {
    /// MS-ASCMD 2.2.3.199: absent is 100, 0 and anything above 512 are 512.
    pub fn effective_window(&self) -> usize {
        match self.window_size {
            None => DEFAULT_WINDOW_SIZE,
            Some(0) => MAX_WINDOW_SIZE,
            Some(n) => (n as usize).min(MAX_WINDOW_SIZE),
        }
    }
}

/// Which state answers the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// Key "0": a fresh state; the answer carries a key and no items (PHONE_FLOWS gotcha 7).
    Initial,
    /// The current key.
    Current,
    /// The previous key: the device lost our last answer and asks again; it is answered from the state
    /// before that answer, with the same new key.
    Resend,
}

/// What to do with a client Add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddDecision {
    /// Create the item, then call [`Session::record_client_add`].
    Create,
    /// A resent request: the item was created the first time; answer with this ServerId, create nothing.
    AlreadyCreated {
        /// The ServerId the first attempt produced.
        server_id: String,
    },
}

/// What to do with a client Change (MS-ASCMD 2.2.3.24, 2.2.3.34).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeDecision {
    /// Apply it, then call [`Session::record_client_change`].
    Apply,
    /// A resent request whose change was applied the first time: answer success, apply nothing.
    AlreadyApplied,
    /// Server wins a conflict: do not apply it, answer Status 7; the server version goes in this answer.
    Conflict,
    /// The device does not hold the item or it is gone on the server: answer Status 8.
    NotFound,
}

/// What to do with a client Delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteDecision {
    /// Delete it (a Delete wins over any change, MS-ASCMD 2.2.3.34), then call
    /// [`Session::record_client_delete`] even if the data service says it is already gone.
    Apply,
    /// The device does not hold the item: answer Status 8.
    NotFound,
}

/// A Sync request being answered for one collection. Order of use: [`Session::open`], client operations,
/// [`Session::plan`], then [`Session::commit`].
#[derive(Debug)]
pub struct Session {
    pub(crate) kind: SessionKind,
    pub(crate) state: CollectionState,
    pub(crate) base: Base,
    pub(crate) window: usize,
    pub(crate) get_changes: bool,
    pub(crate) conflict: ConflictPolicy,
    pub(crate) now: i64,
    /// The client operations of the answer being resent (empty unless a resend).
    pub(crate) replay: ClientLog,
    pub(crate) client: ClientLog,
    /// Prior held value of every id touched in this answer; the first touch wins.
    pub(crate) undo: HashMap<String, Option<Stamp>>,
    pub(crate) undo_order: Vec<String>,
    /// Server versions that won a conflict and go first in the answer.
    pub(crate) forced: Vec<ItemVersion>,
}

/// The state the answer is computed from, kept for the `Previous` of the next state.
#[derive(Debug, Clone)]
pub(crate) struct Base {
    pub key: SyncKey,
    pub filter: FilterType,
    pub cursor: crate::item::Cursor,
}

impl Session {
    /// Chooses the state that answers a request with key `key` (MS-ASCMD 2.2.3.181.4): "0" makes a fresh
    /// state whatever was stored; the stored current key continues; the stored previous key rolls back
    /// and answers again; anything else is [`SyncError::InvalidSyncKey`] (status 3, 2.2.3.177.17).
    ///
    /// `stored` is the decoded state, `None` when the device store has none for this collection.
    pub fn open(
        stored: Option<CollectionState>,
        key: &str,
        options: &SyncOptions,
    ) -> Result<Session, SyncError> {
        let (kind, mut state, replay) = match (RequestKey::parse(key), stored) {
            (RequestKey::Initial, _) => {
                let generation = options.now as u32;
                let filter = options.filter.unwrap_or_default();
                let state = CollectionState::fresh(generation, filter);
                (SessionKind::Initial, state, ClientLog::default())
            }
            (RequestKey::Issued(k), Some(state)) if k == state.key && k.counter() > 0 => {
                (SessionKind::Current, state, ClientLog::default())
            }
            (RequestKey::Issued(k), Some(mut state)) if Some(k) == state.previous_key() => {
                let replay = state.roll_back().unwrap_or_default();
                (SessionKind::Resend, state, replay)
            }
            _ => return Err(SyncError::InvalidSyncKey),
        };
        let base = Base {
            key: state.key,
            filter: state.filter,
            cursor: state.cursor.clone(),
        };
        if let (Some(filter), false) = (options.filter, kind == SessionKind::Initial) {
            state.apply_filter(filter);
        }
        // MS-ASCMD 2.2.3.84: GetChanges absent means yes, except with key "0" where no changes are sent.
        let get_changes = kind != SessionKind::Initial && options.get_changes.unwrap_or(true);
        Ok(Session {
            kind,
            state,
            base,
            window: options.effective_window(),
            get_changes,
            conflict: options.conflict.unwrap_or_default(),
            now: options.now,
            replay,
            client: ClientLog::default(),
            undo: HashMap::new(),
            undo_order: Vec::new(),
            forced: Vec::new(),
        })
    }

    /// Which state answers the request.
    pub fn kind(&self) -> SessionKind {
        self.kind
    }

    /// The state the answer is computed from (after a roll-back for a resend).
    pub fn state(&self) -> &CollectionState {
        &self.state
    }

    pub(crate) fn set_held(&mut self, id: &str, stamp: Option<Stamp>) {
        if !self.undo.contains_key(id) {
            self.undo.insert(id.to_owned(), self.state.held(id));
            self.undo_order.push(id.to_owned());
        }
        match stamp {
            Some(s) => self.state.held.insert(id.to_owned(), s),
            None => self.state.held.remove(id),
        };
    }

    /// A client Add with this ClientId (MS-ASCMD 2.2.3.7.2). In a resent request, an Add the first attempt
    /// already created is recorded as held and its ServerId returned.
    pub fn client_add(&mut self, client_id: &str) -> AddDecision {
        let Some(done) = self.replay.add_for(client_id).cloned() else {
            return AddDecision::Create;
        };
        self.set_held(&done.id, Some(done.stamp));
        let server_id = done.id.clone();
        self.client.adds.push(done);
        AddDecision::AlreadyCreated { server_id }
    }

    /// Records the item a client Add created, so it is not sent back to the device.
    pub fn record_client_add(&mut self, client_id: &str, created: &ItemVersion) {
        let stamp = Stamp {
            modseq: created.modseq,
            date: created.date,
        };
        self.set_held(&created.id, Some(stamp));
        self.client.adds.push(ClientAdd {
            client_id: client_id.to_owned(),
            id: created.id.clone(),
            stamp,
        });
    }

    /// Decides each client Change in `ids` against the server's current versions (MS-ASCMD 2.2.3.34):
    /// a change to an item whose server version moved since the device's version is a conflict.
    pub async fn client_changes<S: ItemSource + ?Sized>(
        &mut self,
        source: &S,
        ids: &[String],
    ) -> Result<Vec<ChangeDecision>, SyncError> {
        let current: HashMap<String, ItemVersion> = source
            .current(ids)
            .await?
            .into_iter()
            .map(|v| (v.id.clone(), v))
            .collect();
        let mut decisions = Vec::with_capacity(ids.len());
        for id in ids {
            let decision = match (self.state.held(id), current.get(id)) {
                (None, _) | (_, None) => ChangeDecision::NotFound,
                (Some(_), Some(v)) if v.deleted => ChangeDecision::NotFound,
                (Some(held), Some(v)) => {
                    let replayed = self.replay.change_for(id);
                    if replayed.is_some_and(|s| s.modseq == v.modseq) {
                        let stamp = replayed.unwrap_or(held);
                        self.set_held(id, Some(stamp));
                        self.client.changes.push((id.clone(), stamp));
                        ChangeDecision::AlreadyApplied
                    } else if v.modseq > held.modseq && self.conflict == ConflictPolicy::ServerWins
                    {
                        self.forced.push(v.clone());
                        ChangeDecision::Conflict
                    } else {
                        ChangeDecision::Apply
                    }
                }
            };
            decisions.push(decision);
        }
        Ok(decisions)
    }

    /// Records the version an applied client Change produced, so it is not echoed back.
    pub fn record_client_change(&mut self, changed: &ItemVersion) {
        let stamp = Stamp {
            modseq: changed.modseq,
            date: changed.date,
        };
        self.set_held(&changed.id, Some(stamp));
        self.client.changes.push((changed.id.clone(), stamp));
    }

    /// A client Change the server refused although the item is there (a calendar shared with
    /// read access): the device's copy is no longer the server's, so the server's `current`
    /// version goes back to it as a Change in this response, as a conflict the server wins does
    /// (MS-ASCMD 2.2.3.177.17 status 7).
    pub fn refuse_client_change(&mut self, current: &ItemVersion) {
        if let Some(held) = self.state.held(&current.id) {
            self.set_held(
                &current.id,
                Some(Stamp {
                    modseq: 0,
                    date: held.date,
                }),
            );
            self.forced.push(current.clone());
        }
    }

    /// A client Delete the server refused (a read-only share): the device no longer holds the
    /// item, so its `current` version goes back to the device as an Add in this response.
    pub fn refuse_client_delete(&mut self, current: &ItemVersion) {
        self.set_held(&current.id, None);
        self.forced.push(current.clone());
    }

    /// A client Delete (MS-ASCMD 2.2.3.42.2).
    pub fn client_delete(&self, id: &str) -> DeleteDecision {
        match self.state.held(id) {
            Some(_) => DeleteDecision::Apply,
            None => DeleteDecision::NotFound,
        }
    }

    /// Records that the device no longer holds the item it deleted.
    pub fn record_client_delete(&mut self, id: &str) {
        self.set_held(id, None);
    }
}
