//! Wake-ups for held Pings: a registry of waiting devices, woken by change events.
//!
//! In the one-process server the events come from the in-process bus. In the cluster the push
//! service reads them from Kafka and sends each to the replica that holds a Ping of its user,
//! found in the shared Ping registry (Redis) that [`PushHub::hold`] writes (docs/push.md).
//! A registration is removed when its request ends (the guard drops), so a phone that hangs up
//! leaves nothing behind. A new Ping from the same device supersedes the older one
//! (MS-ASCMD 2.2.1.13; the Gmail app sends two at once), on this replica or on another.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use eas_event_bus::{BusError, ChangeEvent, EventBus, EventFilter};
use eas_push::{PingRegistry, WakeMessage};
use eas_service_kit::telemetry::{self, opentelemetry};
use futures::{Stream, StreamExt};
use opentelemetry::trace::{SpanKind, TraceContextExt as _};
use opentelemetry::KeyValue;
use tokio::sync::oneshot;

use crate::error::EdgeError;

/// Why a held Ping is woken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wake {
    /// A watched folder changed; its counter after the change came with the event. Boxed, so that
    /// the wake slot every held Ping keeps stays two words.
    Changed(Box<FolderChange>),
    /// Events were lost (the bus lagged, the push service was rebalanced): check every watched
    /// folder.
    Check,
    /// The folder hierarchy changed: the phone must run FolderSync (Ping status 7).
    Hierarchy,
    /// A newer Ping from the same device took over.
    Superseded,
}

/// A change event's folder and that folder's change counter after the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderChange {
    pub folder: String,
    pub counter: u64,
    /// When the data service produced the event (unix milliseconds), for the wake-up delay.
    pub produced_ms: Option<u64>,
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
    /// The cluster's shared registry; `None` in the one-process server.
    shared: Option<Arc<dyn PingRegistry>>,
    /// The edge's login cache, for the account changes the wake channel carries.
    logins: std::sync::OnceLock<Arc<crate::pipeline::auth::AuthCache>>,
}

/// The cluster's account notices go out on the wake channel every replica reads.
#[async_trait::async_trait]
impl crate::edge::AccountNotices for eas_push::RedisPingRegistry {
    async fn account_changed(&self, name: &str) -> Result<(), String> {
        let channel = eas_push::wire::broadcast_channel(self.prefix());
        let notice = WakeMessage::AccountChanged {
            name: name.to_owned(),
        };
        self.publish(&channel, &notice)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// A held Ping's place in the registry; dropping it unregisters.
pub struct Registration {
    hub: Arc<PushHub>,
    user: String,
    device: String,
    folders: HashSet<String>,
    id: u64,
    rx: oneshot::Receiver<Wake>,
    /// Whether the shared registry holds an entry to remove on drop.
    shared: bool,
}

impl Registration {
    /// The watched folder ids.
    pub fn folders(&self) -> &HashSet<String> {
        &self.folders
    }

    /// Waits for a wake-up; a registry that went away reads as superseded.
    pub async fn wake(&mut self) -> Wake {
        (&mut self.rx).await.unwrap_or(Wake::Superseded)
    }

    /// After a [`Wake::Check`] or a [`Wake::Changed`] with nothing for the device, waits again
    /// under the same registration (the shared entry stays). Register-then-check still holds:
    /// the caller checks its folders after this, since events between the wake and this call
    /// reached no waiter.
    pub fn rearm(&mut self) {
        let (tx, rx) = oneshot::channel();
        self.rx = rx;
        let waiter = Waiter {
            id: self.id,
            device: self.device.clone(),
            folders: self.folders.clone(),
            tx,
        };
        self.hub.insert(&self.user, waiter, false);
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.hub.remove(&self.user, self.id);
        if !self.shared {
            return;
        }
        let (Some(registry), Ok(rt)) = (
            self.hub.shared.clone(),
            tokio::runtime::Handle::try_current(),
        ) else {
            return;
        };
        let (user, device, id) = (
            std::mem::take(&mut self.user),
            std::mem::take(&mut self.device),
            self.id,
        );
        rt.spawn(async move {
            // A failure leaves an entry that expires with its TTL; a wake sent to it is ignored.
            if let Err(e) = registry.release(&user, &device, id).await {
                tracing::debug!(error = %e, "ping registry release failed");
            }
        });
    }
}

impl PushHub {
    /// A hub fed by `bus` (the one-process server); the feeding task runs until the bus closes.
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

    /// A hub of a cluster replica: holds are written to `registry`, wake messages arrive on
    /// `feed` (this replica's channel, see `eas_push::feed`).
    pub fn start_cluster(
        registry: Arc<dyn PingRegistry>,
        feed: impl Stream<Item = WakeMessage> + Send + Unpin + 'static,
    ) -> Arc<PushHub> {
        let hub = Arc::new(PushHub {
            shared: Some(registry),
            ..PushHub::default()
        });
        let feeder = hub.clone();
        let mut feed = feed;
        tokio::spawn(async move {
            while let Some(message) = feed.next().await {
                feeder.apply(message);
            }
            tracing::error!("wake channel closed");
        });
        hub
    }

    /// Acts on one message of the wake channel.
    pub fn apply(&self, message: WakeMessage) {
        match message {
            WakeMessage::Event { event } => self.notify(&event),
            WakeMessage::Supersede { user, device } => self.supersede(&user, &device),
            WakeMessage::Recheck => self.wake_all(),
            WakeMessage::AccountChanged { name } => {
                if let Some(logins) = self.logins.get() {
                    logins.forget(&name);
                }
            }
        }
    }

    /// Forgets the logins of the accounts the wake channel says an administrator changed.
    pub(crate) fn follow_logins(&self, logins: Arc<crate::pipeline::auth::AuthCache>) {
        let _ = self.logins.set(logins);
    }

    /// Registers a held Ping on this replica only, superseding an older one of the same device.
    pub fn register(
        self: &Arc<Self>,
        user: &str,
        device: &str,
        folders: HashSet<String>,
    ) -> Registration {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        let waiter = Waiter {
            id,
            device: device.to_owned(),
            folders: folders.clone(),
            tx,
        };
        self.insert(user, waiter, true);
        Registration {
            hub: self.clone(),
            user: user.to_owned(),
            device: device.to_owned(),
            folders,
            id,
            rx,
            shared: false,
        }
    }

    /// Registers a held request (Ping, or Sync with Wait) here and, in the cluster, in the
    /// shared registry, so that the push service routes the user's events to this replica.
    /// The entry lives `ttl` at least (the heartbeat plus a margin). Call it before checking
    /// for changes, so that a change between the check and the wait is not missed.
    pub async fn hold(
        self: &Arc<Self>,
        user: &str,
        device: &str,
        folders: HashSet<String>,
        ttl: Duration,
    ) -> Result<Registration, EdgeError> {
        let mut registration = self.register(user, device, folders);
        if let Some(registry) = &self.shared {
            registry
                .hold(user, device, registration.id, ttl)
                .await
                .map_err(|e| EdgeError::Unavailable(e.to_string()))?;
            registration.shared = true;
        }
        Ok(registration)
    }

    /// Adds a waiter; with `supersede`, older waiters of the same device end first.
    fn insert(&self, user: &str, waiter: Waiter, supersede: bool) {
        if self.closing.load(Ordering::SeqCst) {
            let _ = waiter.tx.send(Wake::Superseded);
            return;
        }
        let Ok(mut map) = self.waiters.lock() else {
            return;
        };
        let list = map.entry(user.to_owned()).or_default();
        if supersede {
            let (older, keep): (Vec<Waiter>, Vec<Waiter>) = std::mem::take(list)
                .into_iter()
                .partition(|w| w.device == waiter.device);
            *list = keep;
            for w in older {
                let _ = w.tx.send(Wake::Superseded);
            }
        }
        list.push(waiter);
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

    /// Wakes the user's waiters that `pick` selects with `wake`; returns how many.
    fn wake_where(&self, user: &str, wake: Wake, pick: impl Fn(&Waiter) -> bool) -> usize {
        let Ok(mut map) = self.waiters.lock() else {
            return 0;
        };
        let Some(list) = map.get_mut(user) else {
            return 0;
        };
        let (woken, keep): (Vec<Waiter>, Vec<Waiter>) =
            std::mem::take(list).into_iter().partition(|w| pick(w));
        *list = keep;
        if list.is_empty() {
            map.remove(user);
        }
        let n = woken.len();
        for w in woken {
            let _ = w.tx.send(wake.clone());
        }
        n
    }

    /// Wakes the user's Pings that watch the event's folder (all of them for a hierarchy change).
    ///
    /// With tracing on, an event that carries a trace context is handled in a span of that
    /// trace (`wake held requests`, with the number of requests woken as `eas.woken`): the
    /// trace of a delivery ends at the edge that answers the phone's Ping.
    pub fn notify(&self, ev: &ChangeEvent) {
        let span = ev.traceparent.as_deref().and_then(|parent| {
            telemetry::start(
                "wake held requests",
                SpanKind::Consumer,
                &telemetry::context_from_traceparent(Some(parent)),
                || {
                    vec![
                        KeyValue::new("eas.data_class", ev.class.as_str()),
                        KeyValue::new("eas.hierarchy_changed", ev.hierarchy_changed),
                    ]
                },
            )
        });
        let woken = self.wake_for(ev);
        if let Some(cx) = span {
            cx.span()
                .set_attribute(KeyValue::new("eas.woken", woken as i64));
            telemetry::end(&cx);
        }
    }

    /// [`PushHub::notify`] without the span; returns how many requests were woken.
    fn wake_for(&self, ev: &ChangeEvent) -> usize {
        if ev.hierarchy_changed {
            self.wake_where(&ev.user, Wake::Hierarchy, |_| true)
        } else {
            // Phones watch collection ids, which carry the class (classes::phone_id).
            let folder = crate::classes::phone_id(ev.class, &ev.folder_id);
            let wake = Wake::Changed(Box::new(FolderChange {
                folder: folder.clone(),
                counter: ev.counter,
                produced_ms: ev.produced_ms,
            }));
            let woken = self.wake_where(&ev.user, wake, |w| w.folders.contains(&folder));
            // Per-hop timing of a wake-up (docs/push.md, "Tracing one wake-up").
            tracing::debug!(user = %ev.user, counter = ev.counter, woken, "change event woke pings");
            woken
        }
    }

    /// Ends the device's Pings held here: it holds a newer one on another replica.
    pub fn supersede(&self, user: &str, device: &str) {
        self.wake_where(user, Wake::Superseded, |w| w.device == device);
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

    fn changed(folder: &str, counter: u64) -> Wake {
        Wake::Changed(Box::new(FolderChange {
            folder: folder.into(),
            counter,
            produced_ms: None,
        }))
    }

    #[test]
    fn the_wake_slot_of_a_held_ping_stays_two_words() {
        assert_eq!(std::mem::size_of::<Wake>(), 16);
    }

    #[tokio::test]
    async fn a_change_in_a_watched_folder_wakes_the_ping_and_others_do_not() {
        let hub = Arc::new(PushHub::default());
        let mut a = hub.register("u@x", "d1", set(&["1"]));
        let _b = hub.register("u@x", "d2", set(&["2"]));
        hub.notify(&ChangeEvent::items("u@x", DataClass::Mail, "1", 5));
        assert_eq!(a.wake().await, changed("1", 5));
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

    #[tokio::test]
    async fn a_rearmed_registration_is_woken_again_and_counts_once() {
        let hub = Arc::new(PushHub::default());
        let mut a = hub.register("u@x", "d1", set(&["1"]));
        hub.notify(&ChangeEvent::items("u@x", DataClass::Mail, "1", 5));
        assert_eq!(a.wake().await, changed("1", 5));
        assert_eq!(hub.held(), 0);
        a.rearm();
        assert_eq!(hub.held(), 1);
        hub.notify(&ChangeEvent::items("u@x", DataClass::Mail, "1", 6));
        assert_eq!(a.wake().await, changed("1", 6));
        drop(a);
        assert_eq!(hub.held(), 0);
    }

    #[tokio::test]
    async fn wake_messages_from_the_push_service_reach_the_right_pings() {
        let hub = Arc::new(PushHub::default());
        let mut a = hub.register("u@x", "d1", set(&["1"]));
        let mut b = hub.register("u@x", "d2", set(&["1"]));
        let mut c = hub.register("v@x", "d3", set(&["4"]));
        hub.apply(WakeMessage::Supersede {
            user: "u@x".into(),
            device: "d2".into(),
        });
        assert_eq!(b.wake().await, Wake::Superseded);
        hub.apply(WakeMessage::Event {
            event: ChangeEvent::items("u@x", DataClass::Mail, "1", 2),
        });
        assert_eq!(a.wake().await, changed("1", 2));
        assert_eq!(hub.held(), 1);
        hub.apply(WakeMessage::Recheck);
        assert_eq!(c.wake().await, Wake::Check);
        assert_eq!(hub.held(), 0);
    }

    #[test]
    fn an_account_change_on_the_wake_channel_empties_the_login_cache_of_that_account() {
        use crate::pipeline::auth::{AuthCache, Credentials};
        let logins = Arc::new(AuthCache::new(Duration::from_secs(60)));
        let creds = |login: &str| Credentials {
            login: login.into(),
            password: "pw".into(),
        };
        let user = crate::pipeline::auth::test_user;
        logins.remember(&creds("jdoe"), &user("jdoe@example.loc"));
        logins.remember(&creds("anna"), &user("anna@example.loc"));
        let hub = PushHub::default();
        // A hub that does not follow a login cache ignores the notice.
        hub.apply(WakeMessage::AccountChanged {
            name: "jdoe@example.loc".into(),
        });
        assert!(logins.cached(&creds("jdoe")).is_some());
        hub.follow_logins(logins.clone());
        hub.apply(WakeMessage::AccountChanged {
            name: "jdoe@example.loc".into(),
        });
        assert!(logins.cached(&creds("jdoe")).is_none());
        assert!(logins.cached(&creds("anna")).is_some());
    }

    /// A registry that records calls, or fails every one.
    #[derive(Default)]
    struct Recording {
        fail: bool,
        calls: Mutex<Vec<String>>,
    }

    #[async_trait::async_trait]
    impl PingRegistry for Recording {
        async fn hold(
            &self,
            user: &str,
            device: &str,
            token: u64,
            _ttl: Duration,
        ) -> Result<(), eas_push::RegistryError> {
            if self.fail {
                return Err(eas_push::RegistryError("down".into()));
            }
            self.calls
                .lock()
                .unwrap()
                .push(format!("hold {user} {device} {token}"));
            Ok(())
        }

        async fn release(
            &self,
            user: &str,
            device: &str,
            token: u64,
        ) -> Result<(), eas_push::RegistryError> {
            self.calls
                .lock()
                .unwrap()
                .push(format!("release {user} {device} {token}"));
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_cluster_hold_is_written_to_the_registry_and_released_on_drop() {
        let registry = Arc::new(Recording::default());
        let hub = PushHub::start_cluster(registry.clone(), futures::stream::pending());
        let r = hub
            .hold("u@x", "d1", set(&["1"]), Duration::from_secs(60))
            .await
            .unwrap();
        drop(r);
        for _ in 0..100 {
            if registry.calls.lock().unwrap().len() == 2 {
                break;
            }
            tokio::task::yield_now().await;
        }
        let calls = registry.calls.lock().unwrap().clone();
        assert_eq!(calls, vec!["hold u@x d1 0", "release u@x d1 0"]);
    }

    #[tokio::test]
    async fn an_unreachable_registry_fails_the_hold_and_leaves_nothing_held() {
        let registry = Arc::new(Recording {
            fail: true,
            ..Recording::default()
        });
        let hub = PushHub::start_cluster(registry, futures::stream::pending());
        let r = hub
            .hold("u@x", "d1", set(&["1"]), Duration::from_secs(60))
            .await;
        assert!(matches!(r, Err(EdgeError::Unavailable(_))));
        assert_eq!(hub.held(), 0);
    }
}
