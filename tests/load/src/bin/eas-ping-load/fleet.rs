//! The devices of one shard: each a task on its own keep-alive connection that sets itself up
//! (Provision, FolderSync, Sync 0, Sync) and then holds Pings, syncing after every change, and
//! reports every step to the controller as an event.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::bail;
use eas_load::http::{Connection, Endpoint};
use eas_load::phone::Phone;
use eas_load::request::SyncOptions;
use tokio::sync::{mpsc, watch, Semaphore};

/// One device of the run.
#[derive(Clone, Debug)]
pub struct DeviceSpec {
    /// Index within this shard.
    pub local: usize,
    /// Index within the run.
    pub index: usize,
    /// Index of its user (0..users).
    pub user: usize,
    pub address: String,
    pub device_id: String,
    pub endpoint: Endpoint,
    pub source: Option<IpAddr>,
}

/// Heartbeats: the first Ping's (spread over `first..first + spread` by device, so that the
/// second Pings do not all arrive in the same instant, as real phones' do not), then every
/// later one's.
#[derive(Clone, Copy, Debug)]
pub struct Heartbeats {
    pub first: u32,
    pub spread: u32,
    pub steady: u32,
}

/// What a device tells the controller.
#[derive(Debug)]
pub enum Event {
    SetupDone,
    PingSent {
        dev: usize,
        connects: u32,
    },
    PingReply {
        dev: usize,
        status: String,
        at: SystemTime,
    },
    Failed {
        dev: usize,
        error: String,
    },
}

const SYNC: SyncOptions = SyncOptions {
    window: 100,
    filter: None,
    body: None,
};

/// Runs one device until the process ends or the device fails.
pub async fn run_device(
    spec: DeviceSpec,
    password: Arc<str>,
    version: Arc<str>,
    setup_slots: Arc<Semaphore>,
    mut start_pings: watch::Receiver<bool>,
    beats: Heartbeats,
    events: mpsc::UnboundedSender<Event>,
) {
    let dev = spec.local;
    let conn = Connection::new(spec.endpoint.clone(), spec.source);
    let mut phone = Phone::new(conn, &spec.address, &password, &spec.device_id, &version);
    let setup = {
        let _slot = setup_slots.acquire().await;
        set_up(&mut phone).await
    };
    let (inbox, mut key) = match setup {
        Ok(v) => v,
        Err(e) => {
            let _ = events.send(Event::Failed {
                dev,
                error: format!("setup: {e:#}"),
            });
            return;
        }
    };
    let _ = events.send(Event::SetupDone);
    if start_pings.wait_for(|go| *go).await.is_err() {
        return;
    }
    let folders = [inbox.clone()];
    let mut heartbeat = beats.first + (spec.index % beats.spread.max(1) as usize) as u32;
    loop {
        let _ = events.send(Event::PingSent {
            dev,
            connects: phone.connects(),
        });
        let reply = match phone.ping(&folders, heartbeat).await {
            Ok(r) => r,
            Err(e) => {
                let _ = events.send(Event::Failed {
                    dev,
                    error: format!("ping: {e}"),
                });
                return;
            }
        };
        let at = SystemTime::now();
        let status = reply.status.clone();
        let _ = events.send(Event::PingReply {
            dev,
            status: status.clone(),
            at,
        });
        heartbeat = beats.steady;
        match status.as_str() {
            // MS-ASCMD 2.2.3.177.13: 1 the heartbeat ended, 2 a folder changed: sync, then ping.
            "1" => {}
            "2" => match sync_all(&mut phone, &inbox, &key).await {
                Ok(k) => key = k,
                Err(e) => {
                    let _ = events.send(Event::Failed {
                        dev,
                        error: format!("sync after ping: {e:#}"),
                    });
                    return;
                }
            },
            other => {
                let _ = events.send(Event::Failed {
                    dev,
                    error: format!("ping status {other}"),
                });
                return;
            }
        }
    }
}

/// Provision, FolderSync, Sync Inbox from key 0 and once more: what a phone does before its
/// first Ping. Returns the Inbox id and its sync key.
async fn set_up(phone: &mut Phone) -> anyhow::Result<(String, String)> {
    phone.provision().await?;
    let inbox = phone.inbox().await?;
    let key = phone.sync(&inbox, "0", SYNC).await?.key;
    let key = sync_all(phone, &inbox, &key).await?;
    Ok((inbox, key))
}

/// Syncs until MoreAvailable is off; returns the last key.
async fn sync_all(phone: &mut Phone, inbox: &str, key: &str) -> anyhow::Result<String> {
    let mut key = key.to_owned();
    for _ in 0..1000 {
        let page = phone.sync(inbox, &key, SYNC).await?;
        key = page.key;
        if !page.more_available {
            return Ok(key);
        }
    }
    bail!("sync did not end after 1000 windows")
}

/// What the controller knows about its devices, built from their events.
pub struct State {
    pub setup_done: usize,
    pub failed: Vec<Option<String>>,
    pub sent: Vec<u32>,
    pub replies: Vec<Vec<(String, SystemTime)>>,
    pub max_connects: u32,
}

impl State {
    pub fn new(n: usize) -> State {
        State {
            setup_done: 0,
            failed: vec![None; n],
            sent: vec![0; n],
            replies: vec![Vec::new(); n],
            max_connects: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.sent.len()
    }

    pub fn failures(&self) -> usize {
        self.failed.iter().filter(|f| f.is_some()).count()
    }

    pub fn alive(&self, dev: usize) -> bool {
        self.failed[dev].is_none()
    }

    /// The device has a Ping out that is not answered yet (and has not failed).
    pub fn holding(&self, dev: usize) -> bool {
        self.alive(dev) && self.sent[dev] as usize > self.replies[dev].len()
    }

    /// The device's first status-2 answer at or after `since`.
    pub fn woken_since(&self, dev: usize, since: SystemTime) -> Option<SystemTime> {
        self.replies[dev]
            .iter()
            .find(|(s, at)| s == "2" && *at >= since)
            .map(|(_, at)| *at)
    }

    fn apply(&mut self, e: Event) {
        match e {
            Event::SetupDone => self.setup_done += 1,
            Event::PingSent { dev, connects } => {
                self.sent[dev] += 1;
                self.max_connects = self.max_connects.max(connects);
            }
            Event::PingReply { dev, status, at } => self.replies[dev].push((status, at)),
            Event::Failed { dev, error } => self.failed[dev] = Some(error),
        }
    }
}

/// The controller's end of the devices' events.
pub struct Fleet {
    pub state: State,
    events: mpsc::UnboundedReceiver<Event>,
}

impl Fleet {
    pub fn new(n: usize, events: mpsc::UnboundedReceiver<Event>) -> Fleet {
        Fleet {
            state: State::new(n),
            events,
        }
    }

    /// Applies events until `done` holds or `timeout` passes; returns whether `done` held.
    pub async fn wait_until(&mut self, timeout: Duration, done: impl Fn(&State) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            while let Ok(e) = self.events.try_recv() {
                self.state.apply(e);
            }
            if done(&self.state) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            match tokio::time::timeout(left.min(Duration::from_millis(200)), self.events.recv())
                .await
            {
                Ok(Some(e)) => self.state.apply(e),
                Ok(None) => return done(&self.state),
                Err(_) => {}
            }
        }
    }
}
