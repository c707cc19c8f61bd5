//! Per-process login limits: the same counting as the shared Redis script (`shared.rs`), kept
//! in this process's memory. Used by the one-process server, and by a cluster edge while Redis
//! cannot be reached.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use super::{Decision, Keys, Op};

/// Keys kept at most per map; beyond, expired keys are dropped first, then the tenth of keys
/// closest to expiry, so that a flood of distinct keys cannot grow memory without bound.
const MAX_KEYS: usize = 200_000;

#[derive(Default)]
struct State {
    /// Theoretical arrival time of the next attempt per limit key (GCRA), in ms.
    tats: HashMap<String, u64>,
    /// Expiry of each good-history key, in ms.
    history: HashMap<String, u64>,
}

/// GCRA limits and good history in a mutex-protected map.
pub(super) struct MemoryLimits {
    start: Instant,
    state: Mutex<State>,
}

fn make_room(map: &mut HashMap<String, u64>, now: u64) {
    if map.len() < MAX_KEYS {
        return;
    }
    map.retain(|_, until| *until > now);
    if map.len() < MAX_KEYS {
        return;
    }
    let mut untils: Vec<u64> = map.values().copied().collect();
    let cut = untils.len() / 10;
    let (_, threshold, _) = untils.select_nth_unstable(cut);
    let threshold = *threshold;
    map.retain(|_, until| *until > threshold);
    tracing::warn!(
        kept = map.len(),
        "login throttle map full: dropped the keys closest to expiry"
    );
}

impl MemoryLimits {
    pub(super) fn new() -> Self {
        MemoryLimits {
            start: Instant::now(),
            state: Mutex::new(State::default()),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Applies `op` to the keys of one attempt, atomically.
    pub(super) fn apply(&self, keys: &Keys, op: Op) -> Decision {
        let now = self.now_ms();
        let Ok(mut st) = self.state.lock() else {
            // A panic elsewhere poisoned the lock; refuse rather than verify unthrottled.
            return Decision::Refused { retry_ms: 1000 };
        };
        let good = match op {
            Op::Charge | Op::Check => keys
                .history
                .as_ref()
                .and_then(|h| st.history.get(h))
                .is_some_and(|until| *until > now),
            Op::Refund { good } | Op::Success { good } => good,
        };
        let applying = keys.applying(good);
        match op {
            Op::Charge | Op::Check => {
                let mut wait = 0;
                let mut next = Vec::with_capacity(applying.len());
                for limit in &applying {
                    let tat = st.tats.get(&limit.key).copied().unwrap_or(0).max(now);
                    let new_tat = tat + limit.step_ms();
                    if new_tat - now > limit.period_ms {
                        wait = wait.max(new_tat - limit.period_ms - now);
                    }
                    next.push(new_tat);
                }
                if wait > 0 {
                    return Decision::Refused { retry_ms: wait };
                }
                if matches!(op, Op::Charge) {
                    make_room(&mut st.tats, now);
                    for (limit, tat) in applying.iter().zip(next) {
                        st.tats.insert(limit.key.clone(), tat);
                    }
                }
                Decision::Allowed { good }
            }
            Op::Refund { .. } | Op::Success { .. } => {
                for limit in &applying {
                    if let Some(tat) = st.tats.get_mut(&limit.key) {
                        let back = tat.saturating_sub(limit.step_ms());
                        if back <= now {
                            st.tats.remove(&limit.key);
                        } else {
                            *tat = back;
                        }
                    }
                }
                if let (Op::Success { .. }, Some(history)) = (op, &keys.history) {
                    make_room(&mut st.history, now);
                    st.history
                        .insert(history.clone(), now + keys.history_ttl_ms);
                }
                Decision::Allowed { good }
            }
        }
    }
}
