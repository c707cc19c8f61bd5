//! A cap on the open connections of one listener, which sheds the longest-idle connection to
//! make room for a new one, so that a flood of idle sockets neither exhausts the process's file
//! descriptors (which every other listener needs to accept) nor locks out new clients.
//!
//! A connection holds a [`Permit`] for as long as it is open. While it waits for a request (a
//! fresh connection, its TLS handshake, an idle keep-alive connection, or a request head still
//! arriving) it also holds an [`IdleGuard`], which is what can be shed; a connection with a
//! request in hand, such as a held Ping, is never shed. Not HTTP-specific: any accept loop
//! (LMTP too) can call [`ConnectionGate::admit`] and hold the permit in its connection task.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use futures::channel::oneshot;

/// Most connections that may be shed and still closing at once: beyond the cap by this many
/// the gate refuses instead of shedding more.
const MAX_SHEDDING: usize = 64;

/// The connection cap of one listener.
#[derive(Clone)]
pub struct ConnectionGate {
    inner: Arc<Inner>,
}

struct Inner {
    max: usize,
    open: AtomicUsize,
    idle: Mutex<Idle>,
}

/// The connections that may be shed, oldest first.
#[derive(Default)]
struct Idle {
    next: u64,
    waiting: BTreeMap<u64, oneshot::Sender<()>>,
}

impl Inner {
    fn idle(&self) -> MutexGuard<'_, Idle> {
        // The map stays consistent whatever a panicking holder did: no poisoning.
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl ConnectionGate {
    /// A gate letting at most `max` connections (at least one) be open at once.
    pub fn new(max: usize) -> ConnectionGate {
        ConnectionGate {
            inner: Arc::new(Inner {
                max: max.max(1),
                open: AtomicUsize::new(0),
                idle: Mutex::new(Idle::default()),
            }),
        }
    }

    /// The cap.
    pub fn max(&self) -> usize {
        self.inner.max
    }

    /// Connections open now (including shed ones still closing).
    pub fn open(&self) -> usize {
        self.inner.open.load(Ordering::Acquire)
    }

    /// Connections that may be shed now.
    pub fn idle(&self) -> usize {
        self.inner.idle().waiting.len()
    }

    /// A permit for a new connection: under the cap at once; at the cap, after telling the
    /// longest-idle connection to close; `None` when every connection is busy (the caller then
    /// refuses the new one quickly and closes it).
    pub fn admit(&self) -> Option<Permit> {
        let inner = &self.inner;
        let slack = inner.max.min(MAX_SHEDDING);
        let open = inner.open.load(Ordering::Acquire);
        let admitted = open < inner.max || (open < inner.max + slack && self.shed_oldest());
        if !admitted {
            return None;
        }
        inner.open.fetch_add(1, Ordering::AcqRel);
        Some(Permit {
            inner: inner.clone(),
        })
    }

    /// Tells the longest-idle connection to close; false when none is idle.
    fn shed_oldest(&self) -> bool {
        let mut idle = self.inner.idle();
        while let Some((_, tx)) = idle.waiting.pop_first() {
            // A guard whose connection just left idle may be gone: try the next.
            if tx.send(()).is_ok() {
                return true;
            }
        }
        false
    }
}

/// One open connection of a [`ConnectionGate`]; dropping it frees its place.
pub struct Permit {
    inner: Arc<Inner>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.inner.open.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Permit {
    /// Marks the connection idle (sheddable) until the guard is dropped.
    pub fn idle(&self) -> IdleGuard {
        let (tx, rx) = oneshot::channel();
        let key = {
            let mut idle = self.inner.idle();
            let key = idle.next;
            idle.next += 1;
            idle.waiting.insert(key, tx);
            key
        };
        IdleGuard {
            registered: Some((self.inner.clone(), key)),
            shed: Some(rx),
        }
    }
}

/// A connection waiting for a request, which the gate may shed.
pub struct IdleGuard {
    registered: Option<(Arc<Inner>, u64)>,
    shed: Option<oneshot::Receiver<()>>,
}

impl IdleGuard {
    /// A guard that is never shed (a connection served without a gate).
    pub fn never() -> IdleGuard {
        IdleGuard {
            registered: None,
            shed: None,
        }
    }

    /// Resolves when the gate sheds this connection; never for [`IdleGuard::never`].
    pub async fn shed(&mut self) {
        match self.shed.as_mut() {
            Some(rx) => {
                if rx.await.is_err() {
                    std::future::pending::<()>().await
                }
            }
            None => std::future::pending::<()>().await,
        }
    }
}

impl Drop for IdleGuard {
    fn drop(&mut self) {
        if let Some((inner, key)) = self.registered.take() {
            inner.idle().waiting.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn at_the_cap_the_longest_idle_connection_is_shed_for_a_new_one() {
        let gate = ConnectionGate::new(2);
        let a = gate.admit().unwrap();
        let b = gate.admit().unwrap();
        let mut a_idle = a.idle();
        let _b_idle = b.idle();
        assert_eq!(gate.idle(), 2);
        let c = gate.admit().expect("admitted by shedding a");
        tokio::time::timeout(std::time::Duration::from_secs(1), a_idle.shed())
            .await
            .expect("a was told to close");
        assert_eq!(gate.open(), 3);
        drop(a_idle);
        drop(a);
        assert_eq!(gate.open(), 2);
        assert_eq!(gate.idle(), 1);
        drop(c);
    }

    #[test]
    fn busy_connections_are_never_shed_and_a_new_one_is_refused() {
        let gate = ConnectionGate::new(2);
        let a = gate.admit().unwrap();
        let b = gate.admit().unwrap();
        assert!(gate.admit().is_none());
        // A connection that stopped being idle is not shed either.
        drop(a.idle());
        assert!(gate.admit().is_none());
        drop(b);
        let c = gate.admit().expect("a place was freed");
        assert_eq!(gate.open(), 2);
        drop((a, c));
        assert_eq!(gate.open(), 0);
    }

    #[test]
    fn shedding_stops_once_the_connections_still_closing_reach_the_slack() {
        let gate = ConnectionGate::new(1);
        let a = gate.admit().unwrap();
        let _a_idle = a.idle();
        let b = gate.admit().expect("admitted by shedding a");
        let _b_idle = b.idle();
        // a has not closed yet: one over the cap is the most for a cap of one.
        assert!(gate.admit().is_none());
        assert_eq!(gate.open(), 2);
    }
}
