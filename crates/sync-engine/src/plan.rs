//! Server changes for one answer: what the device must be told, within WindowSize, and the commit that
//! turns the answer into the next state.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::error::SyncError;
use crate::filter::{FilterType, Window};
use crate::item::{Cursor, ItemSource, ItemVersion};
use crate::key::SyncKey;
use crate::session::{Base, Session, SessionKind};
use crate::state::{ClientLog, CollectionState, Previous, Stamp};

/// How many versions one call to [`ItemSource::changes_after`] asks for.
const SCAN_BATCH: usize = 512;
/// How many versions one answer considers at most; past it the answer says MoreAvailable even with few
/// commands, so a rescan of a large folder under a narrow filter is spread over several requests.
pub const SCAN_BUDGET: usize = 20_000;
/// How many ids one call to [`ItemSource::current`] asks about.
const LOOKUP_BATCH: usize = 1_000;

/// One command of a Sync response's Commands element (MS-ASCMD 2.2.3.32).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerCommand {
    /// MS-ASCMD 2.2.3.7.2: a new item for the device; fetch its data by id.
    Add(ItemVersion),
    /// MS-ASCMD 2.2.3.24: a newer version of an item the device holds; fetch its data by id.
    Change(ItemVersion),
    /// MS-ASCMD 2.2.3.42.2: an item the device holds was deleted or moved away.
    Delete(String),
    /// MS-ASCMD 2.2.3.172: an item the device holds left the FilterType window.
    SoftDelete(String),
}

impl ServerCommand {
    /// The ServerId the command names.
    pub fn id(&self) -> &str {
        match self {
            Self::Add(v) | Self::Change(v) => &v.id,
            Self::Delete(id) | Self::SoftDelete(id) => id,
        }
    }
}

/// The server changes of one answer, before commit. The caller may drop an Add or Change whose item
/// vanished while its data was fetched (its tombstone then produces nothing), and may end the answer
/// early with [`Plan::cut_at`]; nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// At most WindowSize commands, in the order to send them.
    pub commands: Vec<ServerCommand>,
    /// MS-ASCMD 2.2.3.116: more changes are waiting.
    pub more_available: bool,
    cursor: Option<Cursor>,
    /// For each command that came from the change log, the cursor just before its version.
    positions: HashMap<String, Cursor>,
    /// The items named by a command from before the change log (a forced conflict version, a
    /// purged delete, an aged-out soft delete); those commands come first in `commands`.
    early: HashSet<String>,
}

impl Plan {
    /// Ends the answer before the first command naming `id` (an answer can name an item twice: a
    /// SoftDelete of the held version, then the Add of a newer one): that command and every later one are left
    /// for a later answer, which sends them. The answer says MoreAvailable (MS-ASCMD 2.2.3.116), and
    /// the cursor stops before the first command left out, so the next answer considers it again.
    /// For a response that would grow past a byte budget: MS-ASCMD 2.2.3.199 lets the server send
    /// fewer changes than WindowSize. Nothing happens when no command names `id`.
    pub fn cut_at(&mut self, id: &str) {
        let Some(at) = self.commands.iter().position(|c| c.id() == id) else {
            return;
        };
        // A command from before the change log (a conflict, a purged delete, an aged-out soft
        // delete) is worked out again from the held items; the cursor then stays where it was.
        // Those commands come first, so the first one left out tells which kind it is: an item
        // named by both kinds is cut at its early command, and the cursor must not jump to the
        // position of its change-log command, past the change-log commands left out before it.
        self.cursor = if self.early.contains(id) {
            None
        } else {
            self.positions.get(id).cloned()
        };
        self.commands.truncate(at);
        self.more_available = true;
    }
}

/// A committed answer: the key to send, and the state to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    /// The SyncKey of the response.
    pub key: SyncKey,
    /// The commands of the response.
    pub commands: Vec<ServerCommand>,
    /// Whether the response carries MoreAvailable.
    pub more_available: bool,
    /// The state to store; [`CollectionState::encode`] makes the bytes.
    pub state: CollectionState,
}

/// Works out commands against held items plus what this answer already decided.
struct Planner<'a> {
    held: &'a BTreeMap<String, Stamp>,
    pending: HashMap<String, Option<Stamp>>,
    commands: Vec<ServerCommand>,
    limit: usize,
    window: Window,
    /// Versions the client's own commands produced in this request.
    own: HashMap<&'a str, u64>,
    /// The cursor before each change-log command (see [`Plan::cut_at`]).
    positions: HashMap<String, Cursor>,
    /// Items of the commands pushed before the change log was read (see [`Plan::cut_at`]).
    early: HashSet<String>,
    /// Whether the change log is being read (commands pushed now are not early).
    in_log: bool,
}

impl<'a> Planner<'a> {
    fn holds(&self, id: &str) -> Option<Stamp> {
        match self.pending.get(id) {
            Some(decided) => *decided,
            None => self.held.get(id).copied(),
        }
    }

    /// MS-ASCMD 2.2.3.32: Add for a new item within the window, Change for a newer version of a held
    /// item, Delete for a held item now a tombstone, SoftDelete for a held item outside the window
    /// (2.2.3.172); nothing for items neither held nor within the window.
    ///
    /// A version the client itself produced in this request produces nothing: the device learns the
    /// ServerId of its Add only from the Responses element, so even an Add dated outside the window is
    /// soft-deleted in the next answer (by the held-date sweep), not in this one.
    fn decide(&self, v: &ItemVersion) -> Option<ServerCommand> {
        if self.own.get(v.id.as_str()) == Some(&v.modseq) {
            return None;
        }
        let held = self.holds(&v.id);
        if v.deleted {
            return held.map(|_| ServerCommand::Delete(v.id.clone()));
        }
        if !self.window.admits(v) {
            return held.map(|_| ServerCommand::SoftDelete(v.id.clone()));
        }
        match held {
            None => Some(ServerCommand::Add(v.clone())),
            Some(h) if h.modseq < v.modseq => Some(ServerCommand::Change(v.clone())),
            Some(_) => None,
        }
    }

    /// Adds a command unless the window is full; `false` means full (MS-ASCMD 2.2.3.199).
    fn push(&mut self, cmd: ServerCommand) -> bool {
        if self.commands.len() >= self.limit {
            return false;
        }
        let effect = match &cmd {
            ServerCommand::Add(v) | ServerCommand::Change(v) => Some(stamp_of(v)),
            ServerCommand::Delete(_) | ServerCommand::SoftDelete(_) => None,
        };
        self.pending.insert(cmd.id().to_owned(), effect);
        if !self.in_log {
            self.early.insert(cmd.id().to_owned());
        }
        self.commands.push(cmd);
        true
    }

    fn done(self, more_available: bool, cursor: Option<Cursor>) -> Plan {
        Plan {
            commands: self.commands,
            more_available,
            cursor,
            positions: self.positions,
            early: self.early,
        }
    }
}

fn stamp_of(v: &ItemVersion) -> Stamp {
    Stamp {
        modseq: v.modseq,
        date: v.date,
    }
}

/// Computes the changes for `state` at `now`: forced conflict versions, deletes of held items whose
/// tombstones were purged, held items that aged out of the window, then the change log after the cursor.
async fn compute<S: ItemSource + ?Sized>(
    state: &CollectionState,
    client: &ClientLog,
    forced: &[ItemVersion],
    source: &S,
    limit: usize,
    budget: usize,
    now: i64,
) -> Result<Plan, SyncError> {
    let mut p = Planner {
        held: &state.held,
        pending: HashMap::new(),
        commands: Vec::new(),
        limit,
        window: state.filter.window(now),
        own: (client.adds.iter().map(|a| (a.id.as_str(), a.stamp.modseq)))
            .chain(client.changes.iter().map(|(id, s)| (id.as_str(), s.modseq)))
            .collect(),
        positions: HashMap::new(),
        early: HashSet::new(),
        in_log: false,
    };
    for v in forced {
        if let Some(cmd) = p.decide(v) {
            if !p.push(cmd) {
                return Ok(p.done(true, None));
            }
        }
    }
    if !state.held.is_empty() && state.cursor.modseq < source.purged_through().await? {
        let ids: Vec<String> = state.held.keys().cloned().collect();
        let mut present = HashSet::new();
        for chunk in ids.chunks(LOOKUP_BATCH) {
            for v in source.current(chunk).await? {
                present.insert(v.id);
            }
        }
        for id in ids.into_iter().filter(|id| !present.contains(id)) {
            if p.holds(&id).is_some() && !p.push(ServerCommand::Delete(id)) {
                return Ok(p.done(true, None));
            }
        }
    }
    if p.window.since.is_some() {
        let aged: Vec<String> = (state.held.iter())
            .filter(|(id, s)| {
                !p.pending.contains_key(*id)
                    && !p.own.contains_key(id.as_str())
                    && !p.window.admits_date(s.date)
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in aged {
            if !p.push(ServerCommand::SoftDelete(id)) {
                return Ok(p.done(true, None));
            }
        }
    }
    p.in_log = true;
    let mut cursor = state.cursor.clone();
    let mut considered = 0usize;
    loop {
        let batch = source.changes_after(&cursor, SCAN_BATCH).await?;
        let complete = batch.len() < SCAN_BATCH;
        let mut moved = false;
        for v in batch {
            if !cursor.is_before(&v) {
                continue; // a source that repeats itself must not make us loop or go back
            }
            if let Some(cmd) = p.decide(&v) {
                let id = cmd.id().to_owned();
                if !p.push(cmd) {
                    return Ok(p.done(true, Some(cursor)));
                }
                p.positions.insert(id, cursor.clone());
            }
            cursor = v.position();
            moved = true;
            considered += 1;
        }
        if complete || !moved {
            return Ok(p.done(false, Some(cursor)));
        }
        if considered >= budget {
            return Ok(p.done(true, Some(cursor)));
        }
    }
}

impl Session {
    /// The server changes of this answer (MS-ASCMD 2.2.1.21): none for key "0" or GetChanges=0
    /// (2.2.3.84); otherwise at most WindowSize commands with MoreAvailable when more are waiting
    /// (2.2.3.199, 2.2.3.116). Reads the source, changes nothing.
    pub async fn plan<S: ItemSource + ?Sized>(&self, source: &S) -> Result<Plan, SyncError> {
        if self.kind == SessionKind::Initial || !self.get_changes {
            return Ok(Plan {
                commands: Vec::new(),
                more_available: false,
                cursor: None,
                positions: HashMap::new(),
                early: HashSet::new(),
            });
        }
        compute(
            &self.state,
            &self.client,
            &self.forced,
            source,
            self.window,
            SCAN_BUDGET,
            self.now,
        )
        .await
    }

    /// Applies the answer: the device now holds what the commands say, the cursor moves over what was
    /// considered, the key advances by one, and the state before the answer is kept for a resend.
    pub fn commit(mut self, plan: Plan) -> Committed {
        for cmd in &plan.commands {
            match cmd {
                ServerCommand::Add(v) | ServerCommand::Change(v) => {
                    self.set_held(&v.id, Some(stamp_of(v)))
                }
                ServerCommand::Delete(id) | ServerCommand::SoftDelete(id) => {
                    self.set_held(id, None)
                }
            }
        }
        if let Some(cursor) = plan.cursor {
            self.state.cursor = cursor;
        }
        let mut undo_map = self.undo;
        let undo = (self.undo_order.into_iter())
            .map(|id| {
                let prior = undo_map.remove(&id).flatten();
                (id, prior)
            })
            .collect();
        let Base {
            key,
            filter,
            cursor,
        } = self.base;
        self.state.previous = match self.kind {
            SessionKind::Initial => None,
            SessionKind::Current | SessionKind::Resend => Some(Previous {
                key,
                filter,
                cursor,
                undo,
            }),
        };
        self.state.key = key.next();
        self.state.last_client = self.client;
        Committed {
            key: self.state.key,
            commands: plan.commands,
            more_available: plan.more_available,
            state: self.state,
        }
    }
}

/// GetItemEstimate (MS-ASCMD 2.2.1.9, 2.2.3.65): how many commands a Sync would produce now, with no
/// window limit, without changing anything. `stored` is `None` for a device that holds nothing yet;
/// `filter` is the request's FilterType, `None` to keep the stored one.
pub async fn estimate<S: ItemSource + ?Sized>(
    stored: Option<&CollectionState>,
    source: &S,
    filter: Option<FilterType>,
    now: i64,
) -> Result<u64, SyncError> {
    let Some(stored) = stored else {
        let window = filter.unwrap_or_default().window(now);
        return Ok(source.count_admitted(&window).await?);
    };
    let mut state = stored.clone();
    if let Some(filter) = filter {
        state.apply_filter(filter);
    }
    if state.held.is_empty() && state.cursor == Cursor::start() {
        return Ok(source.count_admitted(&state.filter.window(now)).await?);
    }
    let none = ClientLog::default();
    let plan = compute(&state, &none, &[], source, usize::MAX, usize::MAX, now).await?;
    Ok(plan.commands.len() as u64)
}
