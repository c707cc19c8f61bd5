//! What shard 0 does besides holding Pings: creates users, delivers mail, reads the server's
//! counters, and merges every shard's results into the report.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{bail, Context};
use eas_load::admin::Admin;
use eas_load::lmtp::LmtpClient;
use eas_load::lmtp::RecipientReply;
use eas_load::mailgen::MailGen;
use eas_load::procstat::{mib, ProcStat};
use eas_load::server::read_admin_token;
use eas_load::stats::percentile;
use serde::{Deserialize, Serialize};

use crate::coord::{nanos, Coord};
use crate::fleet::{DeviceSpec, State};
use crate::{at, user_address, Args};

/// Recipients per LMTP transaction (the server's default limit is 100).
const BATCH: usize = 100;

pub async fn create_users(args: &Args) -> anyhow::Result<()> {
    let url = args
        .admin
        .as_deref()
        .context("--create-users needs --admin")?;
    let file = args
        .admin_token_file
        .as_deref()
        .context("--create-users needs --admin-token-file")?;
    let dir = file.parent().context("token file has no directory")?;
    let token = if file.file_name().is_some_and(|n| n == "admin-token") {
        read_admin_token(dir)?
    } else {
        std::fs::read_to_string(file)?.trim().to_owned()
    };
    let mut admin = Admin::new(url, &token)?;
    for u in 0..args.users {
        admin
            .ensure_user(
                &user_address(args, u),
                &format!("Load User {u}"),
                &args.password,
            )
            .await?;
    }
    Ok(())
}

fn server(pids: &[u32]) -> anyhow::Result<(Duration, u64)> {
    let mut cpu = Duration::ZERO;
    let mut rss = 0;
    for &p in pids {
        let s = ProcStat::read(p)?;
        cpu += s.cpu;
        rss += s.rss_kib;
    }
    Ok((cpu, rss))
}

/// How long a quiet server is left before a reading: jemalloc's background thread returns the
/// pages that a burst freed over its 10 s decay time, and a held Ping lasts minutes, so the
/// steady state is what remains after that.
pub const SETTLE: Duration = Duration::from_secs(12);

/// Waits until the servers are quiet (under 5 % of a core for a second, at most a minute of
/// waiting), so that work still in flight does not count, then [`SETTLE`] longer.
pub async fn settle(pids: &[u32]) -> anyhow::Result<()> {
    if pids.is_empty() {
        return Ok(());
    }
    let t = Instant::now();
    let (mut last, _) = server(pids)?;
    let mut quiet = 0;
    while quiet < 2 && t.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (cpu, _) = server(pids)?;
        quiet = if cpu - last < Duration::from_millis(25) {
            quiet + 1
        } else {
            0
        };
        last = cpu;
    }
    tokio::time::sleep(SETTLE).await;
    Ok(())
}

/// The servers' summed VmRSS once they have settled (see [`settle`]).
pub async fn settled_rss(pids: &[u32]) -> anyhow::Result<u64> {
    settle(pids).await?;
    Ok(server(pids)?.1)
}

/// Server CPU time used over `span`.
pub async fn idle_cpu(pids: &[u32], span: Duration) -> anyhow::Result<Duration> {
    let (a, _) = server(pids)?;
    tokio::time::sleep(span).await;
    let (b, _) = server(pids)?;
    Ok(b - a)
}

/// When each user's delivery began (MAIL FROM sent) and when its recipient was accepted (the
/// 250 after the data arrived), in ns since the epoch.
#[derive(Serialize, Deserialize, Default)]
pub struct Deliveries {
    pub sent: HashMap<usize, u64>,
    pub accepted: HashMap<usize, u64>,
}

impl Deliveries {
    fn add(&mut self, user: usize, sent: u64, r: &RecipientReply) -> anyhow::Result<()> {
        if !r.accepted {
            bail!("delivery to {} refused: {}", r.recipient, r.reply);
        }
        self.sent.insert(user, sent);
        self.accepted.insert(user, nanos(r.at));
        Ok(())
    }
}

/// Delivers as an MTA does: recipients refused with a temporary (4xx) reply are tried again a
/// second later, up to five times; the count of such retries is printed.
async fn deliver_retrying(
    lmtp: &mut LmtpClient,
    recipients: &[String],
    msg: &[u8],
) -> anyhow::Result<Vec<RecipientReply>> {
    let mut done: Vec<RecipientReply> = Vec::new();
    let mut pending = recipients.to_vec();
    for attempt in 0..6 {
        if attempt > 0 {
            println!(
                "lmtp: {} recipient(s) refused for now, again in 1 s",
                pending.len()
            );
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        let replies = lmtp.deliver("sender@outside.test", &pending, msg).await?;
        pending.clear();
        for r in replies {
            if !r.accepted && r.reply.starts_with('4') && attempt < 5 {
                pending.push(r.recipient.clone());
            } else {
                done.push(r);
            }
        }
        if pending.is_empty() {
            break;
        }
    }
    // In the order of `recipients`.
    done.sort_by_key(|r| recipients.iter().position(|x| *x == r.recipient));
    Ok(done)
}

/// One message to each user in turn, `gap` apart.
pub async fn deliver_each(
    args: &Args,
    users: &[usize],
    gap: Duration,
) -> anyhow::Result<Deliveries> {
    let mut lmtp = LmtpClient::connect(args.lmtp).await?;
    let mut out = Deliveries::default();
    for (i, &u) in users.iter().enumerate() {
        let addr = user_address(args, u);
        let (_, msg) = MailGen::new(u as u64, &addr).message(i as u64);
        let sent = nanos(SystemTime::now());
        let replies = deliver_retrying(&mut lmtp, &[addr], &msg).await?;
        let r = replies.first().context("no reply for the recipient")?;
        out.add(u, sent, r)?;
        tokio::time::sleep(gap).await;
    }
    lmtp.quit().await?;
    Ok(out)
}

/// One message to every user, up to 100 recipients per transaction.
pub async fn deliver_all(args: &Args, users: &[usize]) -> anyhow::Result<Deliveries> {
    let mut lmtp = LmtpClient::connect(args.lmtp).await?;
    let mut out = Deliveries::default();
    let (_, msg) = MailGen::new(99, &format!("everyone@{}", args.domain)).message(0);
    for batch in users.chunks(BATCH) {
        let rcpts: Vec<String> = batch.iter().map(|&u| user_address(args, u)).collect();
        let sent = nanos(SystemTime::now());
        let replies = deliver_retrying(&mut lmtp, &rcpts, &msg).await?;
        if replies.len() != batch.len() {
            bail!("{} replies for {} recipients", replies.len(), batch.len());
        }
        for (&u, r) in batch.iter().zip(&replies) {
            out.add(u, sent, r)?;
        }
    }
    lmtp.quit().await?;
    Ok(out)
}

/// Per shard: for each woken device, its Ping answer minus its user's 250 reply (negative when
/// the answer reached the phone before the 250 reached the MTA: the server commits, wakes the
/// Ping and replies to LMTP at about the same time).
#[derive(Serialize, Deserialize, Default)]
pub struct Delays {
    pub expected: usize,
    pub delays_ns: Vec<i64>,
    /// The latest answer (ns since the epoch).
    pub last_ns: u64,
    /// Per user: the delay of its slowest device (ns).
    #[serde(default)]
    pub worst_by_user: BTreeMap<usize, i64>,
}

/// Whether every live device of `devices` answered with status 2 after its user's delivery began
/// (and, with `reheld`, holds its next Ping again).
pub fn all_woken(state: &State, devices: &[&DeviceSpec], d: &Deliveries, reheld: bool) -> bool {
    devices.iter().all(|s| {
        let Some(&sent) = d.sent.get(&s.user) else {
            return true;
        };
        !state.alive(s.local)
            || (state.woken_since(s.local, at(sent)).is_some()
                && (!reheld || state.holding(s.local)))
    })
}

pub fn delays(state: &State, devices: &[&DeviceSpec], d: &Deliveries) -> Delays {
    let mut out = Delays::default();
    for s in devices {
        let (Some(&sent), Some(&accepted)) = (d.sent.get(&s.user), d.accepted.get(&s.user)) else {
            continue;
        };
        out.expected += 1;
        if let Some(woken) = state.woken_since(s.local, at(sent)) {
            let w = nanos(woken);
            let delay = w as i64 - accepted as i64;
            out.delays_ns.push(delay);
            out.last_ns = out.last_ns.max(w);
            out.note_worst(s.user, delay);
        }
    }
    out
}

impl Delays {
    fn note_worst(&mut self, user: usize, delay: i64) {
        let worst = self.worst_by_user.entry(user).or_insert(delay);
        *worst = (*worst).max(delay);
    }
}

/// Every shard's delays merged, `delays_ns` sorted.
fn collect(coord: &Coord, n: usize, name: &str) -> anyhow::Result<Delays> {
    let mut all = Delays::default();
    for k in 0..n {
        let d: Delays = coord.get(&format!("{name}.{k}"))?;
        all.expected += d.expected;
        all.last_ns = all.last_ns.max(d.last_ns);
        all.delays_ns.extend(d.delays_ns);
        for (user, delay) in d.worst_by_user {
            all.note_worst(user, delay);
        }
    }
    all.delays_ns.sort();
    Ok(all)
}

/// p50, p99 and max in ms of sorted signed nanoseconds, and how many are below zero.
fn signed_summary(sorted: &[i64]) -> (f64, f64, f64, usize) {
    if sorted.is_empty() {
        return (0.0, 0.0, 0.0, 0);
    }
    let ms = |v: i64| v as f64 / 1e6;
    (
        ms(percentile(sorted, 50)),
        ms(percentile(sorted, 99)),
        ms(sorted[sorted.len() - 1]),
        sorted.iter().filter(|&&v| v < 0).count(),
    )
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The run's numbers (written as JSON with --report).
#[derive(Serialize, Default)]
pub struct Report {
    pub devices: usize,
    pub users: usize,
    pub endpoints: Vec<String>,
    pub shards: usize,
    pub held: usize,
    pub failed_devices: usize,
    /// Server RSS before any device connected (users created).
    pub rss_start_kib: u64,
    pub rss_connected_kib: u64,
    pub rss_first_ping_kib: Option<u64>,
    pub rss_held_kib: u64,
    pub bytes_per_held_ping: f64,
    /// Growth from before any device connected to every second Ping held, per held Ping: the
    /// connection, the held Ping, and everything the server keeps per device (device records and
    /// sync state too, when the server keeps them in memory).
    pub bytes_per_device_from_start: f64,
    /// The same for the first Ping (its parameters are new to the server).
    pub bytes_per_first_ping: Option<f64>,
    pub wake_devices: usize,
    pub wake_answered: usize,
    pub wake_p50_ms: f64,
    pub wake_p99_ms: f64,
    pub wake_max_ms: f64,
    /// The slowest device of each sample message, in delivery order.
    pub wake_worst_per_message_ms: Vec<f64>,
    pub wake_before_250: usize,
    pub idle_cpu: Option<Duration>,
    pub idle_seconds: u64,
    pub mass_devices: usize,
    pub mass_answered: usize,
    pub mass_all_answered_after_start_ms: f64,
    pub mass_delivery_ms: f64,
    pub mass_p50_ms: f64,
    pub mass_p99_ms: f64,
    pub mass_max_ms: f64,
}

impl Report {
    pub fn new(args: &Args, devices: usize) -> Report {
        Report {
            devices,
            users: args.users,
            endpoints: args.urls.clone(),
            shards: args.shard.n,
            idle_seconds: args.idle_seconds,
            ..Report::default()
        }
    }

    pub fn print_memory(&mut self) {
        self.bytes_per_first_ping = self.rss_first_ping_kib.map(|k| {
            k.saturating_sub(self.rss_connected_kib) as f64 * 1024.0 / self.devices.max(1) as f64
        });
        if let Some(b) = self.bytes_per_first_ping {
            println!("memory: first ping held on every connection: {b:.0} bytes per held ping");
        }
        if self.held == 0 {
            println!(
                "memory: server rss with {} idle keep-alive connections {:.1} MiB; first ping held on all: {}; no second ping held",
                self.devices,
                mib(self.rss_connected_kib),
                self.rss_first_ping_kib.map(|k| format!("{:.1} MiB", mib(k))).unwrap_or_else(|| "not measured".into()),
            );
            return;
        }
        let grown = self.rss_held_kib.saturating_sub(self.rss_connected_kib);
        self.bytes_per_held_ping = grown as f64 * 1024.0 / self.held.max(1) as f64;
        let from_start = self.rss_held_kib.saturating_sub(self.rss_start_kib);
        self.bytes_per_device_from_start = from_start as f64 * 1024.0 / self.held.max(1) as f64;
        println!(
            "memory: server rss before any device connected {:.1} MiB; with every second ping held {:.0} bytes per device more (connection, held ping, per-device state)",
            mib(self.rss_start_kib),
            self.bytes_per_device_from_start
        );
        println!(
            "memory: server rss with {} idle keep-alive connections {:.1} MiB; first ping held on all: {}; second ping held on {}: {:.1} MiB: {:.0} bytes per held ping",
            self.devices,
            mib(self.rss_connected_kib),
            self.rss_first_ping_kib.map(|k| format!("{:.1} MiB", mib(k))).unwrap_or_else(|| "not measured".into()),
            self.held,
            mib(self.rss_held_kib),
            self.bytes_per_held_ping
        );
    }

    pub fn merge_sample(
        &mut self,
        coord: &Coord,
        n: usize,
        delivered: &Deliveries,
    ) -> anyhow::Result<()> {
        let Delays {
            delays_ns: all,
            expected,
            worst_by_user: worst,
            ..
        } = collect(coord, n, "sample")?;
        let (p50, p99, max, early) = signed_summary(&all);
        (self.wake_devices, self.wake_answered) = (expected, all.len());
        (
            self.wake_p50_ms,
            self.wake_p99_ms,
            self.wake_max_ms,
            self.wake_before_250,
        ) = (p50, p99, max, early);
        println!(
            "wake-up: {} of {expected} devices answered; ping status 2 minus lmtp 250: p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.1} ms ({early} answered before the 250 arrived)",
            all.len()
        );
        // In delivery order: a delay shared by every device of one message shows here.
        let mut order: Vec<(u64, usize)> =
            delivered.accepted.iter().map(|(&u, &t)| (t, u)).collect();
        order.sort();
        self.wake_worst_per_message_ms = order
            .iter()
            .filter_map(|(_, u)| worst.get(u))
            .map(|&ns| ns as f64 / 1e6)
            .collect();
        let listed: Vec<String> = self
            .wake_worst_per_message_ms
            .iter()
            .map(|ms| format!("{ms:.1}"))
            .collect();
        println!(
            "wake-up: slowest device of each message, in delivery order (ms): {}",
            listed.join(" ")
        );
        Ok(())
    }

    pub fn print_idle(&self) {
        if let Some(c) = self.idle_cpu {
            println!(
                "idle: server cpu {:.3} s over {} s with {} pings held ({:.2} % of one core)",
                c.as_secs_f64(),
                self.idle_seconds,
                self.held,
                c.as_secs_f64() * 100.0 / self.idle_seconds.max(1) as f64
            );
        }
    }

    pub fn merge_mass(&mut self, coord: &Coord, n: usize, mass: &Deliveries) -> anyhow::Result<()> {
        let Delays {
            delays_ns: all,
            expected,
            last_ns: last,
            ..
        } = collect(coord, n, "mass")?;
        let start = mass.sent.values().copied().min().unwrap_or(0);
        let last_accept = mass.accepted.values().copied().max().unwrap_or(start);
        let (p50, p99, max, early) = signed_summary(&all);
        (self.mass_devices, self.mass_answered) = (expected, all.len());
        self.mass_all_answered_after_start_ms =
            ms(Duration::from_nanos(last.saturating_sub(start)));
        self.mass_delivery_ms = ms(Duration::from_nanos(last_accept.saturating_sub(start)));
        (self.mass_p50_ms, self.mass_p99_ms, self.mass_max_ms) = (p50, p99, max);
        println!(
            "mass change: {} users over lmtp in {:.0} ms; {} of {expected} held pings answered, the last {:.0} ms after the first MAIL FROM; ping status 2 minus the user's 250: p50 {p50:.1} ms, p99 {p99:.1} ms, max {max:.1} ms ({early} before the 250)",
            mass.accepted.len(),
            self.mass_delivery_ms,
            all.len(),
            self.mass_all_answered_after_start_ms
        );
        Ok(())
    }
}
