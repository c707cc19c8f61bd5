//! Model-based property test: random server changes, client commands, lost answers and filter changes
//! against a simulated device, checking after every answer what the device would hold.

use std::collections::{BTreeMap, HashMap};

use eas_sync::{
    AddDecision, ChangeDecision, CollectionState, ConflictPolicy, DeleteDecision, FilterType,
    MemoryFolder, ServerCommand, Session, SyncOptions,
};
use proptest::prelude::*;

const START: i64 = 1_700_000_000;
const DAY: i64 = 86_400;

#[derive(Debug, Clone)]
enum Op {
    ServerAdd { age_days: i64 },
    ServerUpdate { pick: usize, age_days: i64 },
    ServerDelete { pick: usize },
    ServerMoveOut { pick: usize },
    Purge,
    ClientAdd { age_days: i64 },
    ClientChange { pick: usize },
    ClientDelete { pick: usize },
    Sync(SyncPlan),
    Pass { days: i64 },
}

#[derive(Debug, Clone)]
struct SyncPlan {
    window: u32,
    lose: bool,
    filter: Option<FilterType>,
    get_changes: bool,
    conflict: Option<ConflictPolicy>,
    /// The edge ends the answer before this command (a byte budget reached; `Plan::cut_at`).
    cut: Option<usize>,
}

fn age() -> impl Strategy<Value = i64> {
    prop_oneof![Just(0i64), Just(2), Just(10), Just(60)]
}

fn op() -> impl Strategy<Value = Op> {
    let filter = prop_oneof![
        4 => Just(None),
        1 => Just(Some(FilterType::All)),
        1 => Just(Some(FilterType::ThreeDays)),
        1 => Just(Some(FilterType::TwoWeeks)),
        1 => Just(Some(FilterType::OneMonth)),
    ];
    let conflict = prop_oneof![
        Just(None),
        Just(Some(ConflictPolicy::ClientWins)),
        Just(Some(ConflictPolicy::ServerWins))
    ];
    let sync = (
        1u32..8,
        prop::bool::weighted(0.25),
        filter,
        prop::bool::weighted(0.9),
        conflict,
        prop_oneof![3 => Just(None), 1 => (0usize..8).prop_map(Some)],
    )
        .prop_map(|(window, lose, filter, get_changes, conflict, cut)| {
            Op::Sync(SyncPlan {
                window,
                lose,
                filter,
                get_changes,
                conflict,
                cut,
            })
        });
    prop_oneof![
        3 => age().prop_map(|age_days| Op::ServerAdd { age_days }),
        2 => (any::<usize>(), age()).prop_map(|(pick, age_days)| Op::ServerUpdate { pick, age_days }),
        1 => any::<usize>().prop_map(|pick| Op::ServerDelete { pick }),
        1 => any::<usize>().prop_map(|pick| Op::ServerMoveOut { pick }),
        1 => Just(Op::Purge),
        1 => age().prop_map(|age_days| Op::ClientAdd { age_days }),
        1 => any::<usize>().prop_map(|pick| Op::ClientChange { pick }),
        1 => any::<usize>().prop_map(|pick| Op::ClientDelete { pick }),
        5 => sync,
        1 => (1i64..4).prop_map(|days| Op::Pass { days }),
    ]
}

#[derive(Debug, Clone)]
enum Pending {
    Add { client_id: String, date: i64 },
    Change { id: String, date: i64 },
    Delete { id: String },
}

/// The phone: its key, what it holds (id -> version), and client commands not yet confirmed.
#[derive(Default)]
struct Device {
    key: String,
    key_counter: u64,
    view: BTreeMap<String, u64>,
    pending: Vec<Pending>,
    filter: FilterType,
    next_client_id: u32,
}

struct World {
    folder: MemoryFolder,
    device: Device,
    stored: Option<Vec<u8>>,
    now: i64,
    /// ClientId -> version its Add created, as the data service would answer a resent Add.
    created: HashMap<String, u64>,
}

fn pick<T: Clone>(items: &[T], n: usize) -> Option<T> {
    (!items.is_empty()).then(|| items[n % items.len()].clone())
}

impl World {
    fn live_ids(&self) -> Vec<String> {
        self.folder.live().into_iter().map(|v| v.id).collect()
    }

    fn held_ids(&self) -> Vec<String> {
        self.device.view.keys().cloned().collect()
    }

    async fn sync(&mut self, plan: &SyncPlan) -> Result<(), TestCaseError> {
        let options = SyncOptions {
            window_size: Some(plan.window),
            filter: plan.filter,
            get_changes: Some(plan.get_changes),
            conflict: plan.conflict,
            now: self.now,
        };
        let stored = match &self.stored {
            Some(bytes) => Some(
                CollectionState::decode(bytes).map_err(|e| TestCaseError::fail(e.to_string()))?,
            ),
            None => None,
        };
        let mut session = Session::open(stored, &self.device.key, &options)
            .map_err(|e| TestCaseError::fail(format!("open with {}: {e}", self.device.key)))?;
        let sent_client_ops = !self.device.pending.is_empty();
        // What the device learns from Responses: (ServerId, version) to hold, or an id whose change lost.
        let mut confirmed: Vec<(String, u64)> = Vec::new();
        for p in self.device.pending.clone() {
            match p {
                Pending::Add { client_id, date } => match session.client_add(&client_id) {
                    AddDecision::Create => {
                        let v = self.folder.create(Some(date));
                        session.record_client_add(&client_id, &v);
                        self.created.insert(client_id, v.modseq);
                        confirmed.push((v.id, v.modseq));
                    }
                    AddDecision::AlreadyCreated { server_id } => {
                        let modseq = self.created[&client_id];
                        confirmed.push((server_id, modseq));
                    }
                },
                Pending::Change { id, date } => {
                    let d = session
                        .client_changes(&self.folder, std::slice::from_ref(&id))
                        .await;
                    match d.map_err(|e| TestCaseError::fail(e.to_string()))?[0] {
                        ChangeDecision::Apply => {
                            let v = self.folder.update(&id, Some(date));
                            let v = v.ok_or_else(|| TestCaseError::fail("apply on a dead item"))?;
                            session.record_client_change(&v);
                            confirmed.push((id, v.modseq));
                        }
                        ChangeDecision::AlreadyApplied => {
                            let v = self.folder.get(&id).map(|v| v.modseq).unwrap_or_default();
                            confirmed.push((id, v));
                        }
                        ChangeDecision::Conflict | ChangeDecision::NotFound => {}
                    }
                }
                Pending::Delete { id } => {
                    if session.client_delete(&id) == DeleteDecision::Apply {
                        self.folder.delete(&id);
                        session.record_client_delete(&id);
                    }
                }
            }
        }
        let mut planned = session
            .plan(&self.folder)
            .await
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        if let Some(at) = plan.cut {
            if let Some(id) = planned.commands.get(at).map(|c| c.id().to_owned()) {
                // An answer may name an item twice (a SoftDelete of the held version, then the
                // Add of a newer one back inside the filter): the cut is before the first.
                let first = planned.commands.iter().position(|c| c.id() == id);
                planned.cut_at(&id);
                prop_assert_eq!(Some(planned.commands.len()), first);
                prop_assert!(planned.commands.len() <= at);
                prop_assert!(planned.more_available);
            }
        }
        let done = session.commit(planned);
        let bytes = done.state.encode();
        let decoded = CollectionState::decode(&bytes).ok();
        prop_assert_eq!(decoded.as_ref(), Some(&done.state));
        self.stored = Some(bytes);
        prop_assert!(done.commands.len() <= plan.window as usize);
        if plan.lose {
            return Ok(());
        }
        // Keys advance by one per answer.
        prop_assert_eq!(done.key.counter(), self.device.key_counter + 1);
        if self.device.key == "0" {
            prop_assert!(done.commands.is_empty(), "no items for key 0");
        }
        let deleted_here = |id: &str| {
            (self.device.pending.iter()).any(|p| matches!(p, Pending::Delete { id: d } if d == id))
        };
        for (id, modseq) in confirmed {
            if !deleted_here(&id) {
                self.device.view.insert(id, modseq);
            }
        }
        for cmd in &done.commands {
            let held = self.device.view.contains_key(cmd.id());
            match cmd {
                ServerCommand::Add(v) => {
                    prop_assert!(!held, "item {} added twice", v.id);
                    self.device.view.insert(v.id.clone(), v.modseq);
                }
                ServerCommand::Change(v) => {
                    prop_assert!(held, "change of unheld {}", v.id);
                    self.device.view.insert(v.id.clone(), v.modseq);
                }
                ServerCommand::Delete(id) | ServerCommand::SoftDelete(id) => {
                    prop_assert!(held, "delete of unheld {}", id);
                    self.device.view.remove(id);
                }
            }
        }
        self.device.key = done.key.to_string();
        self.device.key_counter = done.key.counter();
        self.device.pending.clear();
        if let Some(f) = plan.filter {
            self.device.filter = f;
        }
        let completed = !done.more_available && plan.get_changes && !sent_client_ops;
        if completed && done.key.counter() > 1 {
            let window = self.device.filter.window(self.now);
            let expected: BTreeMap<String, u64> = (self.folder.live().into_iter())
                .filter(|v| window.admits(v))
                .map(|v| (v.id, v.modseq))
                .collect();
            prop_assert_eq!(&self.device.view, &expected);
        }
        Ok(())
    }

    async fn apply(&mut self, op: &Op) -> Result<(), TestCaseError> {
        let date = |age: i64, now: i64| now - age * DAY;
        match op {
            Op::ServerAdd { age_days } => {
                self.folder.create(Some(date(*age_days, self.now)));
            }
            Op::ServerUpdate { pick: n, age_days } => {
                if let Some(id) = pick(&self.live_ids(), *n) {
                    self.folder.update(&id, Some(date(*age_days, self.now)));
                }
            }
            Op::ServerDelete { pick: n } => {
                if let Some(id) = pick(&self.live_ids(), *n) {
                    self.folder.delete(&id);
                }
            }
            Op::ServerMoveOut { pick: n } => {
                if let Some(id) = pick(&self.live_ids(), *n) {
                    self.folder.move_out(&id);
                }
            }
            Op::Purge => self.folder.purge_tombstones(self.folder.counter()),
            Op::ClientAdd { age_days } if self.device.key != "0" => {
                self.device.next_client_id += 1;
                let client_id = format!("c{}", self.device.next_client_id);
                let date = date(*age_days, self.now);
                self.device.pending.push(Pending::Add { client_id, date });
            }
            Op::ClientChange { pick: n } => {
                if let Some(id) = pick(&self.held_ids(), *n) {
                    self.device
                        .pending
                        .push(Pending::Change { id, date: self.now });
                }
            }
            Op::ClientDelete { pick: n } => {
                if let Some(id) = pick(&self.held_ids(), *n) {
                    self.device.view.remove(&id);
                    self.device.pending.push(Pending::Delete { id });
                }
            }
            Op::Sync(plan) => self.sync(plan).await?,
            Op::Pass { days } => self.now += days * DAY,
            Op::ClientAdd { .. } => {}
        }
        Ok(())
    }
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    rt.block_on(async {
        let mut world = World {
            folder: MemoryFolder::new(),
            device: Device {
                key: "0".into(),
                ..Default::default()
            },
            stored: None,
            now: START,
            created: HashMap::new(),
        };
        for op in &ops {
            world.apply(op).await?;
        }
        // Drain: sync without losses until nothing is left, then the device matches the server.
        let drain = SyncPlan {
            window: 5,
            lose: false,
            filter: None,
            get_changes: true,
            conflict: None,
            cut: None,
        };
        for _ in 0..200 {
            world.apply(&Op::Sync(drain.clone())).await?;
        }
        let window = world.device.filter.window(world.now);
        let expected: BTreeMap<String, u64> = (world.folder.live().into_iter())
            .filter(|v| window.admits(v))
            .map(|v| (v.id, v.modseq))
            .collect();
        prop_assert_eq!(&world.device.view, &expected);
        Ok(())
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn a_device_that_applies_every_answer_it_receives_ends_up_holding_the_servers_items(
        ops in prop::collection::vec(op(), 1..80)
    ) {
        run(ops)?;
    }
}
