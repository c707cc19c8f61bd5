//! Wake-ups for held Pings: a registry of waiting devices, woken by change events.
//!
//! In the one-process server the events come from the in-process bus; in the cluster the push
//! service delivers them. A registration is removed when its request ends (the guard drops), so a
//! phone that hangs up leaves nothing behind. A new Ping from the same device supersedes the
//! older one (MS-ASCMD 2.2.1.13; the Gmail app sends two at once).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use eas_event_bus::{BusError, ChangeEvent, EventBus, EventFilter};
use futures::StreamExt;
use tokio::sync::oneshot;

/// Why a held Ping is woken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wake {
    /// Something changed in these watched folders (or events were lost: check them all).
    Check,
    /// The folder hierarchy changed: the phone must run FolderSync (Ping status 7).
    Hierarchy,
    /// A newer Ping from the same device took over.
    Superseded,
}

struct Waiter {
    id: u64,
    device: String,
    folders: HashSet<String>,
    tx: oneshot::Sender<Wake>,
}

/// The registry of held Pings of this edge.
#[derive(Default)]
pub struct PushHub {
    waiters: Mutex<HashMap<String, Vec<Waiter>>>,
    next: AtomicU64,
    closing: AtomicBool,
}

/// A held Ping's place in the registry; dropping it unregisters.
pub struct Registration {
    hub: Arc<PushHub>,
    user: String,
    id: u64,
    rx: oneshot::Receiver<Wake>,
}

impl Registration {
    /// Waits for a wake-up; a registry that went away reads as superseded.
    pub async fn wake(&mut self) -> Wake {
        (&mut self.rx).await.unwrap_or(Wake::Superseded)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.hub.remove(&self.user, self.id);
    }
}

impl PushHub {
    /// A hub fed by `bus`; the feeding task runs until the bus closes.
    pub fn start(bus: Arc<dyn EventBus>) -> Arc<PushHub> {
        let hub = Arc::new(PushHub::default());
        let feeder = hub.clone();
        tokio::spawn(async move {
            let mut sub = match bus.subscribe(EventFilter::all()).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, "push hub cannot subscribe to change events");
                    return;
                }
            };
            while let Some(event) = sub.next().await {
                match event {
                    Ok(ev) => feeder.notify(&ev),
                    Err(BusError::Lagged(n)) => {
                        tracing::warn!(
                            dropped = n,
                            "push hub lagged; waking every held ping to re-check"
                        );
                        feeder.wake_all();
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "change event stream failed");
                        break;
                    }
                }
            }
        });
        hub
    }

    /// Registers a held Ping, superseding an older one of the same device.
    pub fn register(
        self: &Arc<Self>,
        user: &str,
        device: &str,
        folders: HashSet<String>,
    ) -> Registration {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        if self.closing.load(Ordering::SeqCst) {
            let _ = tx.send(Wake::Superseded);
        } else if let Ok(mut map) = self.waiters.lock() {
            let list = map.entry(user.to_owned()).or_default();
            let (older, keep): (Vec<Waiter>, Vec<Waiter>) = std::mem::take(list)
                .into_iter()
                .partition(|w| w.device == device);
            *list = keep;
            for w in older {
                let _ = w.tx.send(Wake::Superseded);
            }
            list.push(Waiter {
                id,
                device: device.to_owned(),
                folders,
                tx,
            });
        }
        Registration {
            hub: self.clone(),
            user: user.to_owned(),
            id,
            rx,
        }
    }

    /// How many Pings are held.
    pub fn held(&self) -> usize {
        self.waiters
            .lock()
            .map_or(0, |m| m.values().map(Vec::len).sum())
    }

    fn remove(&self, user: &str, id: u64) {
        if let Ok(mut map) = self.waiters.lock() {
            if let Some(list) = map.get_mut(user) {
                list.retain(|w| w.id != id);
                if list.is_empty() {
                    map.remove(user);
                }
            }
        }
    }

    /// Wakes the user's Pings that watch the event's folder (all of them for a hierarchy change).
    pub fn notify(&self, ev: &ChangeEvent) {
        let Ok(mut map) = self.waiters.lock() else {
            return;
        };
        let Some(list) = map.get_mut(&ev.user) else {
            return;
        };
        let (woken, keep): (Vec<Waiter>, Vec<Waiter>) = std::mem::take(list)
            .into_iter()
            .partition(|w| ev.hierarchy_changed || w.folders.contains(&ev.folder_id));
        *list = keep;
        for w in woken {
            let wake = if ev.hierarchy_changed {
                Wake::Hierarchy
            } else {
                Wake::Check
            };
            let _ = w.tx.send(wake);
        }
    }

    fn wake_all(&self) {
        self.wake_every(Wake::Check);
    }

    fn wake_every(&self, wake: Wake) {
        let Ok(mut map) = self.waiters.lock() else {
            return;
        };
        for (_, list) in map.drain() {
            for w in list {
                let _ = w.tx.send(wake.clone());
            }
        }
    }

    /// Ends every held Ping now and every later one at once (status 1), so that phones move to
    /// another replica during a rolling restart instead of waiting out their heartbeat.
    pub fn shutdown(&self) {
        self.closing.store(true, Ordering::SeqCst);
        self.wake_every(Wake::Superseded);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eas_event_bus::DataClass;

    fn set(ids: &[&str]) -> HashSet<String> {
        ids.iter().map(|s| (*s).to_owned()).collect()
    }

    #[tokio::test]
    async fn a_change_in_a_watched_folder_wakes_the_ping_and_others_do_not() {
        let hub = Arc::new(PushHub::default());
        let mut a = hub.register("u@x", "d1", set(&["1"]));
        let _b = hub.register("u@x", "d2", set(&["2"]));
        hub.notify(&ChangeEvent::items("u@x", DataClass::Mail, "1", 5));
        assert_eq!(a.wake().await, Wake::Check);
        assert_eq!(hub.held(), 1);
    }

    #[tokio::test]
    async fn a_newer_ping_of_the_same_device_supersedes_the_older() {
        let hub = Arc::new(PushHub::default());
        let mut first = hub.register("u@x", "d1", set(&["1"]));
        let _second = hub.register("u@x", "d1", set(&["1"]));
        assert_eq!(first.wake().await, Wake::Superseded);
        assert_eq!(hub.held(), 1);
    }

    #[tokio::test]
    async fn dropping_a_registration_unregisters_it() {
        let hub = Arc::new(PushHub::default());
        let r = hub.register("u@x", "d1", set(&["1"]));
        assert_eq!(hub.held(), 1);
        drop(r);
        assert_eq!(hub.held(), 0);
    }

    #[tokio::test]
    async fn shutting_down_ends_held_pings_and_refuses_to_hold_new_ones() {
        let hub = Arc::new(PushHub::default());
        let mut held = hub.register("u@x", "d1", set(&["1"]));
        hub.shutdown();
        assert_eq!(held.wake().await, Wake::Superseded);
        let mut late = hub.register("u@x", "d2", set(&["1"]));
        assert_eq!(late.wake().await, Wake::Superseded);
        assert_eq!(hub.held(), 0);
    }

    #[tokio::test]
    async fn a_hierarchy_change_wakes_every_ping_of_the_user() {
        let hub = Arc::new(PushHub::default());
        let mut a = hub.register("u@x", "d1", set(&["1"]));
        hub.notify(&ChangeEvent::hierarchy("u@x", DataClass::Mail, "9", 3));
        assert_eq!(a.wake().await, Wake::Hierarchy);
    }
}
