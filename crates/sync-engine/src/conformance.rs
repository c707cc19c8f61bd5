//! The contract every data service's change log honours, checked as a differential test against
//! [`MemoryFolder`] (feature `conformance`).
//!
//! A data service is handed to the suite as a [`Subject`]: one folder of it, written through the
//! service's own write path and read through the [`ItemSource`] the edge uses (for a gRPC data
//! service, `eas_rpc::RemoteFolder` over the `Collections` service it serves). The suite applies
//! the same random writes (add, change, delete, move out, move in, empty the folder, purge
//! tombstones) to the subject and to a `MemoryFolder`, and after each write compares what the two
//! report:
//!
//! - `changes_after` at random cursors: versions strictly after `(modseq, id)`, ascending, each
//!   item once at its latest version, tombstones included, at most `limit`; ties on `modseq`
//!   broken by the ids' bytes (PostgreSQL sorts text by its collation unless told `COLLATE "C"`).
//!   A source may answer with fewer than `limit` versions, never with none while some follow;
//! - `current(ids)` for live, deleted, purged, moved-away and never-seen ids;
//! - `purged_through`, and the folder counter Ping compares with a device's cursor;
//! - the filter date of every live item, per class ([`Dates`]).
//!
//! Each service numbers its counter as it likes (a move bumps two folders, an emptied folder
//! gives many items one value), so modseqs are compared through the order of the writes: the
//! suite maps the modseq each write returned to the model's and requires that mapping to grow
//! strictly. Ids are the subject's own; the model stores them as they come.
//!
//! ```ignore
//! eas_sync::item_source_suite!(memory_folder_conforms, |seed| async move { my_subject(seed).await });
//! ```

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use async_trait::async_trait;

use crate::item::{Cursor, ItemSource, ItemVersion};
use crate::memory::MemoryFolder;

/// The seeds [`check_seeds`] and [`item_source_suite!`](crate::item_source_suite) run: each is one
/// reproducible history of writes and reads.
pub const SEEDS: [u64; 4] = [1, 7, 2024, 0x5eed_cafe];

/// Writes in one history.
pub const STEPS: usize = 60;

/// An error from the subject, as the suite reports it.
pub type Failure = Box<dyn std::error::Error + Send + Sync>;

/// What a write to the folder under test left in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The id of the item in this folder (for a move out, the id of its tombstone).
    pub id: String,
    /// The modseq of the write in this folder.
    pub modseq: u64,
    /// For moves: the id the item has (move out) or had (move in) in the other folder. This
    /// folder must never report it.
    pub elsewhere: Option<String>,
}

/// The filter date (`ItemVersion::date`) a class gives its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dates {
    /// Set when the item is added and kept for its life: mail (the received time).
    Fixed,
    /// An item may have none (inside every window), and a change may move it: calendar (the end
    /// of the last occurrence; none for a recurrence without an end).
    Editable,
    /// No item has one: contacts.
    Never,
}

/// What the service can do beyond add, change and delete; the suite leaves out the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    pub dates: Dates,
    /// [`Subject::move_out`] and [`Subject::move_in`].
    pub moves: bool,
    /// [`Subject::clear`].
    pub clear: bool,
    /// [`Subject::purge`].
    pub purge: bool,
}

/// One folder of the data service under test, fresh and empty when the suite starts.
#[async_trait]
pub trait Subject: Send + Sync {
    fn capabilities(&self) -> Capabilities;

    /// The folder's change log, read as the edge reads it.
    fn source(&self) -> &dyn ItemSource;

    /// The folder's counter as Ping reads it (ChangesReply.counter).
    async fn counter(&self) -> Result<u64, Failure>;

    /// Adds an item with this filter date (always `None` for [`Dates::Never`]).
    async fn add(&self, date: Option<i64>) -> Result<Written, Failure>;

    /// Changes a live item so that its modseq moves; `date` is the date it has afterwards (its
    /// current one for [`Dates::Fixed`]).
    async fn change(&self, id: &str, date: Option<i64>) -> Result<Written, Failure>;

    /// Deletes a live item, leaving a tombstone.
    async fn delete(&self, id: &str) -> Result<Written, Failure>;

    /// Moves a live item to another folder of the same user: a tombstone here.
    async fn move_out(&self, _id: &str) -> Result<Written, Failure> {
        Err("move out is not supported".into())
    }

    /// Adds an item to another folder, then moves it here: a new item here.
    async fn move_in(&self, _date: Option<i64>) -> Result<Written, Failure> {
        Err("move in is not supported".into())
    }

    /// Deletes every live item in one write (one modseq for all of them); called only while
    /// the folder holds a live item. Returns that modseq.
    async fn clear(&self) -> Result<u64, Failure> {
        Err("clear is not supported".into())
    }

    /// Forgets the tombstones with a modseq at or below `through`; `purged_through` then
    /// reports `through` (it never moves back).
    async fn purge(&self, _through: u64) -> Result<(), Failure> {
        Err("purge is not supported".into())
    }
}

/// What one history exercised.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub writes: usize,
    pub clears: usize,
    pub purges: usize,
    /// Reads compared with the model.
    pub probes: usize,
    /// `changes_after` probes whose cursor shared its modseq with a version of another id: the
    /// ids' byte order decided what followed the cursor.
    pub tie_probes: usize,
}

/// Where the subject and the model disagreed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub seed: u64,
    /// Writes done before the disagreement.
    pub step: usize,
    /// The last write.
    pub after: String,
    pub check: String,
    pub expected: String,
    pub actual: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "item source conformance, seed {} after {} writes (last: {}): {}\n  expected: {}\n  actual:   {}\n  (modseqs of expected and actual count the writes: 1 is the first)",
            self.seed, self.step, self.after, self.check, self.expected, self.actual
        )
    }
}

impl std::error::Error for Mismatch {}

/// Runs one history per seed of [`SEEDS`], each on a fresh subject from `factory`.
pub async fn check_seeds<F, Fut, S>(mut factory: F) -> Result<Vec<Report>, Mismatch>
where
    F: FnMut(u64) -> Fut,
    Fut: std::future::Future<Output = S>,
    S: Subject,
{
    let mut reports = Vec::with_capacity(SEEDS.len());
    for seed in SEEDS {
        let subject = factory(seed).await;
        reports.push(check(&subject, seed).await?);
    }
    Ok(reports)
}

/// Runs the history of `seed` ([`STEPS`] writes) against `subject`, comparing after each write
/// and exhaustively at the end.
pub async fn check(subject: &dyn Subject, seed: u64) -> Result<Report, Mismatch> {
    let mut run = Run::new(subject, seed);
    for _ in 0..STEPS {
        run.write().await?;
        run.probe_counter().await?;
        run.probe_random().await?;
    }
    run.exhaustive().await?;
    Ok(run.report)
}

/// A test that runs [`check_seeds`] on the subjects `factory` makes (`|seed| async { .. }`);
/// the crate using it needs tokio's test macro.
#[macro_export]
macro_rules! item_source_suite {
    ($name:ident, $factory:expr) => {
        #[tokio::test]
        async fn $name() {
            if let Err(m) = $crate::conformance::check_seeds($factory).await {
                panic!("{m}");
            }
        }
    };
}

/// SplitMix64: small, fast and reproducible from the seed alone.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next() % n as u64) as usize
    }

    fn percent(&mut self, p: usize) -> bool {
        self.below(100) < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            return None;
        }
        items.get(self.below(items.len()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Change,
    Delete,
    MoveOut,
    MoveIn,
    Clear,
    Purge,
}

/// Out of 100.
const WEIGHTS: [(Op, usize); 7] = [
    (Op::Add, 34),
    (Op::Change, 20),
    (Op::Delete, 12),
    (Op::MoveOut, 9),
    (Op::MoveIn, 9),
    (Op::Clear, 4),
    (Op::Purge, 12),
];

/// A version as compared: modseq in the model's numbering, no date on a tombstone.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Seen {
    id: String,
    modseq: u64,
    deleted: bool,
    date: Option<i64>,
    complete: bool,
}

impl Seen {
    fn of(v: &ItemVersion, modseq: u64) -> Seen {
        Seen {
            id: v.id.clone(),
            modseq,
            deleted: v.deleted,
            date: if v.deleted { None } else { v.date },
            complete: !v.deleted && v.complete,
        }
    }
}

/// Limits the probes use; 0 asks for nothing.
const LIMITS: [usize; 8] = [0, 1, 2, 3, 5, 8, 50, 1000];

/// The first filter date handed out, and the span of the others.
const DATE_BASE: i64 = 1_600_000_000;
const DATE_SPAN: usize = 200_000_000;

struct Run<'a> {
    subject: &'a dyn Subject,
    caps: Capabilities,
    model: MemoryFolder,
    rng: Rng,
    seed: u64,
    step: usize,
    last: String,
    /// The subject's modseq of each model modseq; `[0]` is 0, before every write.
    real_of: Vec<u64>,
    /// The model's modseq of each modseq a write returned.
    model_of: HashMap<u64, u64>,
    /// Every id the folder ever held, in the order they came.
    known: Vec<String>,
    /// Ids the items have or had in other folders.
    elsewhere: Vec<String>,
    counter_seen: u64,
    report: Report,
}

impl<'a> Run<'a> {
    fn new(subject: &'a dyn Subject, seed: u64) -> Self {
        Run {
            subject,
            caps: subject.capabilities(),
            model: MemoryFolder::new(),
            rng: Rng(seed),
            seed,
            step: 0,
            last: "nothing".into(),
            real_of: vec![0],
            model_of: HashMap::new(),
            known: Vec::new(),
            elsewhere: Vec::new(),
            counter_seen: 0,
            report: Report::default(),
        }
    }

    fn mismatch(
        &self,
        check: impl Into<String>,
        expected: impl fmt::Debug,
        actual: impl fmt::Debug,
    ) -> Mismatch {
        Mismatch {
            seed: self.seed,
            step: self.step,
            after: self.last.clone(),
            check: check.into(),
            expected: format!("{expected:?}"),
            actual: format!("{actual:?}"),
        }
    }

    fn failed(&self, what: &str, e: impl fmt::Display) -> Mismatch {
        self.mismatch(what, "success", format!("error: {e}"))
    }

    /// Every version the model holds, in change order.
    fn log(&self) -> Vec<ItemVersion> {
        let mut all: Vec<ItemVersion> = self
            .model
            .live()
            .into_iter()
            .chain(
                self.known
                    .iter()
                    .filter_map(|id| self.model.get(id))
                    .filter(|v| v.deleted),
            )
            .collect();
        all.sort_by(|a, b| (a.modseq, &a.id).cmp(&(b.modseq, &b.id)));
        all
    }

    fn live_ids(&self) -> Vec<String> {
        self.model.live().into_iter().map(|v| v.id).collect()
    }

    fn new_date(&mut self) -> Option<i64> {
        let offset = self.rng.below(DATE_SPAN) as i64;
        match self.caps.dates {
            Dates::Fixed => Some(DATE_BASE + offset),
            Dates::Editable if self.rng.percent(20) => None,
            Dates::Editable => Some(DATE_BASE + offset),
            Dates::Never => None,
        }
    }

    fn allowed(&self, op: Op, live: bool) -> bool {
        match op {
            Op::Add => true,
            Op::Change | Op::Delete => live,
            Op::MoveOut => live && self.caps.moves,
            Op::MoveIn => self.caps.moves,
            Op::Clear => live && self.caps.clear,
            Op::Purge => self.caps.purge,
        }
    }

    fn choose(&mut self, live: bool) -> Op {
        loop {
            let mut roll = self.rng.below(100);
            let mut chosen = Op::Add;
            for (op, weight) in WEIGHTS {
                if roll < weight {
                    chosen = op;
                    break;
                }
                roll -= weight;
            }
            if self.allowed(chosen, live) {
                return chosen;
            }
        }
    }

    /// Records the subject's modseq of the write the model just numbered.
    fn numbered(&mut self, real: u64) -> Result<(), Mismatch> {
        let model = self.model.counter();
        let before = self.real_of.last().copied().unwrap_or(0);
        if real <= before {
            return Err(self.mismatch(
                "a write's modseq comes after every earlier write's",
                format!("above {before}"),
                real,
            ));
        }
        debug_assert_eq!(model as usize, self.real_of.len());
        self.real_of.push(real);
        self.model_of.insert(real, model);
        Ok(())
    }

    fn fresh(&self, id: &str) -> Result<(), Mismatch> {
        if self.known.iter().any(|k| k == id) || self.elsewhere.iter().any(|k| k == id) {
            return Err(self.mismatch("a new item gets an id never used before", "a new id", id));
        }
        Ok(())
    }

    fn same_id(&self, w: &Written, id: &str) -> Result<(), Mismatch> {
        if w.id != id {
            return Err(self.mismatch("the write keeps the item's id", id, &w.id));
        }
        Ok(())
    }

    async fn write(&mut self) -> Result<(), Mismatch> {
        let live = self.live_ids();
        // Every history empties the folder once and purges once, whatever the dice say.
        let op = match self.step {
            s if s == STEPS / 2 && self.allowed(Op::Clear, !live.is_empty()) => Op::Clear,
            s if s == STEPS * 3 / 4 && self.allowed(Op::Purge, !live.is_empty()) => Op::Purge,
            _ => self.choose(!live.is_empty()),
        };
        let target = self.rng.pick(&live).cloned().unwrap_or_default();
        self.step += 1;
        self.report.writes += 1;
        match op {
            Op::Add => {
                let date = self.new_date();
                self.last = format!("add dated {date:?}");
                let w = (self.subject.add(date).await).map_err(|e| self.failed("add", e))?;
                self.fresh(&w.id)?;
                self.last = format!("add of {} dated {date:?}", w.id);
                self.model.put(&w.id, date);
                self.known.push(w.id.clone());
                self.numbered(w.modseq)?;
            }
            Op::Change => {
                let date = match self.caps.dates {
                    Dates::Fixed => self.model.get(&target).and_then(|v| v.date),
                    _ => self.new_date(),
                };
                self.last = format!("change of {target} to date {date:?}");
                let w = (self.subject.change(&target, date).await)
                    .map_err(|e| self.failed("change", e))?;
                self.same_id(&w, &target)?;
                self.model.update(&target, date);
                self.numbered(w.modseq)?;
            }
            Op::Delete => {
                self.last = format!("delete of {target}");
                let w =
                    (self.subject.delete(&target).await).map_err(|e| self.failed("delete", e))?;
                self.same_id(&w, &target)?;
                self.model.delete(&target);
                self.numbered(w.modseq)?;
            }
            Op::MoveOut => {
                self.last = format!("move out of {target}");
                let w = (self.subject.move_out(&target).await)
                    .map_err(|e| self.failed("move out", e))?;
                self.same_id(&w, &target)?;
                self.model.move_out(&target);
                self.elsewhere.extend(w.elsewhere);
                self.numbered(w.modseq)?;
            }
            Op::MoveIn => {
                let date = self.new_date();
                self.last = format!("move in dated {date:?}");
                let w =
                    (self.subject.move_in(date).await).map_err(|e| self.failed("move in", e))?;
                self.fresh(&w.id)?;
                self.last = format!("move in of {} dated {date:?}", w.id);
                self.model.put(&w.id, date);
                self.known.push(w.id.clone());
                self.elsewhere.extend(w.elsewhere);
                self.numbered(w.modseq)?;
            }
            Op::Clear => {
                self.last = format!("clear of {} live items", live.len());
                self.report.clears += 1;
                let real = (self.subject.clear().await).map_err(|e| self.failed("clear", e))?;
                self.model.delete_all();
                self.numbered(real)?;
            }
            Op::Purge => {
                let through = self.rng.below(self.real_of.len());
                let real = self.real_of[through];
                self.last = format!("purge through {real}");
                self.report.purges += 1;
                (self.subject.purge(real).await).map_err(|e| self.failed("purge", e))?;
                self.model.purge_tombstones(through as u64);
                self.probe_purged().await?;
            }
        }
        Ok(())
    }

    /// The subject's modseq for a model modseq; past the last write, as far past its last one.
    fn to_real(&self, modseq: u64) -> u64 {
        let last = self.real_of.len() as u64 - 1;
        match self.real_of.get(modseq as usize) {
            Some(real) => *real,
            None => self.real_of[last as usize].saturating_add(modseq - last),
        }
    }

    fn to_model(&self, versions: &[ItemVersion], check: &str) -> Result<Vec<Seen>, Mismatch> {
        versions
            .iter()
            .map(|v| match self.model_of.get(&v.modseq) {
                Some(m) => Ok(Seen::of(v, *m)),
                None => Err(self.mismatch(
                    format!("{check}: every modseq is one a write returned"),
                    "a written modseq",
                    v,
                )),
            })
            .collect()
    }

    fn seen(versions: &[ItemVersion]) -> Vec<Seen> {
        versions.iter().map(|v| Seen::of(v, v.modseq)).collect()
    }

    /// Ids that sort next to `id`: what a cursor tie on `modseq` is decided by.
    fn neighbours(id: &str) -> Vec<String> {
        let mut out = vec![
            String::new(),
            id.to_owned(),
            format!("{id}0"),
            format!("{id}~"),
            format!("-{id}"),
            format!("_{id}"),
            format!("A{id}"),
        ];
        if let Some((cut, _)) = id.char_indices().last() {
            out.push(id[..cut].to_owned());
        }
        if let Ok(n) = id.parse::<u64>() {
            out.extend([
                n.saturating_sub(1).to_string(),
                n.saturating_add(1).to_string(),
                n.saturating_mul(10).to_string(),
                "9".repeat(id.len()),
            ]);
        }
        out
    }

    fn random_cursor(&mut self) -> Cursor {
        let log = self.log();
        let counter = self.model.counter();
        let near = self.rng.pick(&log).cloned();
        let modseq = match (&near, self.rng.below(10)) {
            (Some(v), 0..=5) => v.modseq,
            (Some(v), 6) => v.modseq.saturating_sub(1),
            (Some(v), 7) => v.modseq + 1,
            _ => self.rng.below(counter as usize + 2) as u64,
        };
        let anchor = log
            .iter()
            .filter(|v| v.modseq == modseq)
            .map(|v| v.id.clone())
            .collect::<Vec<_>>();
        let id = match self.rng.below(4) {
            0 => String::new(),
            1 => self.rng.pick(&self.known).cloned().unwrap_or_default(),
            _ => {
                let base = self
                    .rng
                    .pick(&anchor)
                    .or_else(|| near.as_ref().map(|v| &v.id))
                    .cloned()
                    .unwrap_or_default();
                let options = Self::neighbours(&base);
                self.rng.pick(&options).cloned().unwrap_or_default()
            }
        };
        Cursor { modseq, id }
    }

    async fn probe_random(&mut self) -> Result<(), Mismatch> {
        match self.rng.below(10) {
            0..=5 => {
                let cursor = self.random_cursor();
                let limit = *self.rng.pick(&LIMITS).unwrap_or(&1);
                self.probe_changes(&cursor, limit).await.map(|_| ())
            }
            6..=8 => {
                let mut ids = BTreeSet::new();
                for _ in 0..self.rng.below(6) + 1 {
                    let pool = match self.rng.below(3) {
                        0 if !self.elsewhere.is_empty() => self.elsewhere.clone(),
                        0 | 1 => self.known.clone(),
                        _ => self
                            .known
                            .iter()
                            .flat_map(|id| Self::neighbours(id))
                            .collect(),
                    };
                    if let Some(id) = self.rng.pick(&pool) {
                        ids.insert(id.clone());
                    }
                }
                self.probe_current(ids.into_iter().collect()).await
            }
            _ => self.probe_purged().await,
        }
    }

    /// Compares one `changes_after`; returns the subject's answer (model numbering).
    async fn probe_changes(
        &mut self,
        cursor: &Cursor,
        limit: usize,
    ) -> Result<Vec<Seen>, Mismatch> {
        self.report.probes += 1;
        let expected = match self.model.changes_after(cursor, limit).await {
            Ok(v) => Self::seen(&v),
            Err(e) => return Err(self.failed("the model", e)),
        };
        let real = Cursor {
            modseq: self.to_real(cursor.modseq),
            id: cursor.id.clone(),
        };
        let answer = match self.subject.source().changes_after(&real, limit).await {
            Ok(v) => v,
            Err(e) => return Err(self.failed(&format!("changes_after({real:?}, {limit})"), e)),
        };
        let check = format!("changes_after({real:?}, limit {limit})");
        let got = self.to_model(&answer, &check)?;
        if self
            .log()
            .iter()
            .any(|v| v.modseq == cursor.modseq && v.id != cursor.id)
        {
            self.report.tie_probes += 1;
        }
        let full = self.model.changes_after(cursor, usize::MAX).await;
        let full = full.map(|v| Self::seen(&v)).unwrap_or_default();
        if got.len() > limit {
            return Err(self.mismatch(format!("{check}: at most {limit}"), &expected, &got));
        }
        if got.is_empty() && !expected.is_empty() {
            return Err(self.mismatch(
                format!("{check}: versions follow the cursor"),
                &expected,
                &got,
            ));
        }
        if full.get(..got.len()) != Some(&got[..]) {
            return Err(self.mismatch(
                format!(
                    "{check}: the versions strictly after the cursor, ascending by (modseq, id bytes), each item once at its latest version"
                ),
                &expected,
                &got,
            ));
        }
        Ok(got)
    }

    async fn probe_current(&mut self, ids: Vec<String>) -> Result<(), Mismatch> {
        self.report.probes += 1;
        let mut expected = match self.model.current(&ids).await {
            Ok(v) => Self::seen(&v),
            Err(e) => return Err(self.failed("the model", e)),
        };
        expected.sort();
        let answer = match self.subject.source().current(&ids).await {
            Ok(v) => v,
            Err(e) => return Err(self.failed(&format!("current({ids:?})"), e)),
        };
        let check = format!("current({ids:?})");
        let mut got = self.to_model(&answer, &check)?;
        got.sort();
        if got != expected {
            return Err(self.mismatch(
                format!("{check}: the current version of each id the folder still knows"),
                expected,
                got,
            ));
        }
        Ok(())
    }

    async fn probe_purged(&mut self) -> Result<(), Mismatch> {
        self.report.probes += 1;
        let model = match self.model.purged_through().await {
            Ok(p) => p,
            Err(e) => return Err(self.failed("the model", e)),
        };
        let real = match self.subject.source().purged_through().await {
            Ok(p) => p,
            Err(e) => return Err(self.failed("purged_through", e)),
        };
        // The model position of the subject's answer: the last write at or below it.
        let position = self.real_of.iter().rposition(|r| *r <= real).unwrap_or(0) as u64;
        if position != model {
            return Err(self.mismatch(
                "purged_through: the tombstones purged, no more and no fewer",
                self.to_real(model),
                real,
            ));
        }
        Ok(())
    }

    async fn probe_counter(&mut self) -> Result<(), Mismatch> {
        self.report.probes += 1;
        let counter = (self.subject.counter().await).map_err(|e| self.failed("counter", e))?;
        let floor = self
            .real_of
            .last()
            .copied()
            .unwrap_or(0)
            .max(self.counter_seen);
        if counter < floor {
            return Err(self.mismatch(
                "the counter never goes back and covers every write",
                format!("at least {floor}"),
                counter,
            ));
        }
        self.counter_seen = counter;
        Ok(())
    }

    /// Pages through the whole log with every limit, and reads at and around every version.
    async fn exhaustive(&mut self) -> Result<(), Mismatch> {
        self.last = format!("{} (final checks)", self.last);
        let all = Self::seen(&self.log());
        for limit in [1, 2, 3, 7, 1000] {
            let mut cursor = Cursor::start();
            let mut paged = Vec::new();
            for _ in 0..=all.len() {
                let page = self.probe_changes(&cursor, limit).await?;
                let Some(last) = page.last() else { break };
                cursor = Cursor {
                    modseq: last.modseq,
                    id: last.id.clone(),
                };
                paged.extend(page);
            }
            if paged != all {
                return Err(self.mismatch(
                    format!("paging from the start with limit {limit} reads the whole log"),
                    &all,
                    &paged,
                ));
            }
        }
        for v in &all {
            for id in Self::neighbours(&v.id) {
                let cursor = Cursor {
                    modseq: v.modseq,
                    id,
                };
                self.probe_changes(&cursor, 1000).await?;
                self.probe_changes(&cursor, 2).await?;
            }
        }
        let mut ids: Vec<String> = self.known.clone();
        ids.extend(self.elsewhere.iter().cloned());
        ids.extend(["", "0", "x", "99999999999999999999"].map(String::from));
        self.probe_current(ids).await?;
        self.probe_purged().await?;
        self.probe_counter().await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::item::SourceError;

    /// A `MemoryFolder` as a data service, with every capability; `fault` breaks one rule.
    struct Memory {
        folder: MemoryFolder,
        fault: Option<Fault>,
        moved: Mutex<u64>,
    }

    #[derive(Clone, Copy, Debug)]
    enum Fault {
        /// Ties broken by the ids' numeric value (for decimal ids), as an integer id column sorts.
        NumericTieBreak,
        /// The version at the cursor itself is returned again.
        InclusiveCursor,
        /// Tombstones left out of `changes_after`.
        NoTombstones,
        /// `current` leaves tombstones out.
        CurrentLiveOnly,
        /// `purged_through` always 0.
        NeverPurged,
        /// The counter Ping reads stays at 0.
        StuckCounter,
        /// Dates dropped.
        NoDates,
        /// Every answer cut to one version more than asked.
        OverLimit,
    }

    impl Memory {
        fn new(fault: Option<Fault>) -> Self {
            Memory {
                folder: MemoryFolder::new(),
                fault,
                moved: Mutex::new(0),
            }
        }

        fn written(v: ItemVersion) -> Written {
            Written {
                id: v.id,
                modseq: v.modseq,
                elsewhere: None,
            }
        }

        fn gone(id: &str) -> Failure {
            format!("no live item {id}").into()
        }
    }

    #[async_trait]
    impl ItemSource for Memory {
        async fn changes_after(
            &self,
            cursor: &Cursor,
            limit: usize,
        ) -> Result<Vec<ItemVersion>, SourceError> {
            let all = self
                .folder
                .changes_after(&Cursor::start(), usize::MAX)
                .await?;
            // Shorter ids first: the numeric order of decimal ids, as an integer column sorts.
            let key = |modseq: u64, id: &str| (modseq, id.len(), id.to_owned());
            let mut out: Vec<ItemVersion> = match self.fault {
                Some(Fault::NumericTieBreak) => {
                    let mut v: Vec<ItemVersion> = all
                        .into_iter()
                        .filter(|v| key(v.modseq, &v.id) > key(cursor.modseq, &cursor.id))
                        .collect();
                    v.sort_by_key(|v| key(v.modseq, &v.id));
                    v
                }
                Some(Fault::InclusiveCursor) => all
                    .into_iter()
                    .filter(|v| (v.modseq, v.id.as_str()) >= (cursor.modseq, cursor.id.as_str()))
                    .collect(),
                Some(Fault::NoTombstones) => all
                    .into_iter()
                    .filter(|v| cursor.is_before(v) && !v.deleted)
                    .collect(),
                Some(Fault::NoDates) => all
                    .into_iter()
                    .filter(|v| cursor.is_before(v))
                    .map(|mut v| {
                        v.date = None;
                        v
                    })
                    .collect(),
                _ => all.into_iter().filter(|v| cursor.is_before(v)).collect(),
            };
            let keep = match self.fault {
                Some(Fault::OverLimit) => limit + 1,
                _ => limit,
            };
            out.truncate(keep);
            Ok(out)
        }

        async fn current(&self, ids: &[String]) -> Result<Vec<ItemVersion>, SourceError> {
            let mut out = self.folder.current(ids).await?;
            if matches!(self.fault, Some(Fault::CurrentLiveOnly)) {
                out.retain(|v| !v.deleted);
            }
            Ok(out)
        }

        async fn purged_through(&self) -> Result<u64, SourceError> {
            match self.fault {
                Some(Fault::NeverPurged) => Ok(0),
                _ => self.folder.purged_through().await,
            }
        }
    }

    #[async_trait]
    impl Subject for Memory {
        fn capabilities(&self) -> Capabilities {
            Capabilities {
                dates: Dates::Editable,
                moves: true,
                clear: true,
                purge: true,
            }
        }

        fn source(&self) -> &dyn ItemSource {
            self
        }

        async fn counter(&self) -> Result<u64, Failure> {
            match self.fault {
                Some(Fault::StuckCounter) => Ok(0),
                _ => Ok(self.folder.counter()),
            }
        }

        async fn add(&self, date: Option<i64>) -> Result<Written, Failure> {
            Ok(Self::written(self.folder.create(date)))
        }

        async fn change(&self, id: &str, date: Option<i64>) -> Result<Written, Failure> {
            (self.folder.update(id, date).map(Self::written)).ok_or_else(|| Self::gone(id))
        }

        async fn delete(&self, id: &str) -> Result<Written, Failure> {
            (self.folder.delete(id).map(Self::written)).ok_or_else(|| Self::gone(id))
        }

        async fn move_out(&self, id: &str) -> Result<Written, Failure> {
            let mut w =
                (self.folder.move_out(id).map(Self::written)).ok_or_else(|| Self::gone(id))?;
            w.elsewhere = Some(format!("elsewhere-{id}"));
            Ok(w)
        }

        async fn move_in(&self, date: Option<i64>) -> Result<Written, Failure> {
            let n = {
                let mut moved = self.moved.lock().map_err(|_| "poisoned")?;
                *moved += 1;
                *moved
            };
            let mut w = Self::written(self.folder.create(date));
            w.elsewhere = Some(format!("other-{n}"));
            Ok(w)
        }

        async fn clear(&self) -> Result<u64, Failure> {
            self.folder
                .delete_all()
                .ok_or_else(|| "nothing live".into())
        }

        async fn purge(&self, through: u64) -> Result<(), Failure> {
            self.folder.purge_tombstones(through);
            Ok(())
        }
    }

    crate::item_source_suite!(a_memory_folder_passes_the_suite, |_seed| async {
        Memory::new(None)
    });

    #[tokio::test]
    async fn every_history_exercises_ties_clears_and_purges() {
        for seed in SEEDS {
            let report = check(&Memory::new(None), seed).await.unwrap();
            assert_eq!(report.writes, STEPS, "{report:?}");
            assert!(report.tie_probes > 0, "{report:?}");
            assert!(report.clears > 0 && report.purges > 0, "{report:?}");
            // A counter read and a random read per write, then the final reads.
            assert!(report.probes > 2 * STEPS, "{report:?}");
        }
    }

    #[tokio::test]
    async fn a_source_that_breaks_a_rule_fails_the_suite() {
        for fault in [
            Fault::NumericTieBreak,
            Fault::InclusiveCursor,
            Fault::NoTombstones,
            Fault::CurrentLiveOnly,
            Fault::NeverPurged,
            Fault::StuckCounter,
            Fault::NoDates,
            Fault::OverLimit,
        ] {
            let failed = check_seeds(|_| async move { Memory::new(Some(fault)) }).await;
            assert!(failed.is_err(), "{fault:?} passed");
        }
    }

    #[tokio::test]
    async fn a_mismatch_names_the_seed_the_write_and_the_rule() {
        let m = check(&Memory::new(Some(Fault::NumericTieBreak)), 7)
            .await
            .unwrap_err();
        let text = m.to_string();
        assert!(text.contains("seed 7"), "{text}");
        assert!(text.contains("changes_after"), "{text}");
        assert!(m.step > 0, "{m:?}");
    }
}
