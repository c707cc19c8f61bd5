//! eas-ping-load: holds many Pings (MS-ASCMD 2.2.1.13) on keep-alive HTTP/1.1 connections against
//! one or several EAS endpoints and measures what a held Ping costs the server: memory per held
//! Ping in steady state, the delay from LMTP acceptance to the woken Ping's answer, CPU while
//! idle, and how long a change for every user takes to answer every Ping. One process holds at
//! most what its file limit allows; several processes (`--shard k/n`) share one run through a
//! directory (`--coord`). Shard 0 measures the server and delivers the mail.

mod coord;
mod fleet;
mod measure;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use clap::Parser;
use eas_load::http::Endpoint;
use tokio::sync::{mpsc, watch, Semaphore};

use coord::Coord;
use fleet::{DeviceSpec, Fleet, Heartbeats};

#[derive(Parser)]
#[command(about = "Held-Ping load generator for eas-server")]
pub struct Args {
    /// EAS endpoints (http://host:port/Microsoft-Server-ActiveSync); device i uses URL i mod count.
    #[arg(required = true)]
    urls: Vec<String>,
    /// LMTP address of the mail service (host:port).
    #[arg(long)]
    lmtp: SocketAddr,
    /// Admin API URL (the server's `admin api:` line); with --create-users.
    #[arg(long)]
    admin: Option<String>,
    /// File with the admin token (the server's data_dir/admin-token).
    #[arg(long)]
    admin_token_file: Option<PathBuf>,
    /// Shard 0 creates the users through the admin API first (existing ones are kept).
    #[arg(long)]
    create_users: bool,
    /// Server processes to measure (VmRSS, utime+stime); repeat for several.
    #[arg(long = "server-pid")]
    server_pids: Vec<u32>,
    #[arg(long, default_value_t = 100)]
    users: usize,
    /// Devices per user.
    #[arg(long, default_value_t = 100)]
    devices: usize,
    #[arg(long, default_value = "load")]
    user_prefix: String,
    #[arg(long, default_value = "example.loc")]
    domain: String,
    #[arg(long, default_value = "load-password-1")]
    password: String,
    #[arg(long, default_value = "16.1")]
    version: String,
    /// Client source addresses; device i binds to source i / per-source.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "127.0.0.2,127.0.0.3,127.0.0.4"
    )]
    sources: Vec<IpAddr>,
    /// Connections per source address (the ephemeral port range allows about 28,000).
    #[arg(long, default_value_t = 20_000)]
    per_source: usize,
    /// This process's share: k/n takes the devices whose index is k modulo n.
    #[arg(long, default_value = "0/1")]
    shard: Shard,
    /// Directory the shards of one run meet in (empty or new).
    #[arg(long)]
    coord: PathBuf,
    /// Heartbeat of the first Ping (seconds); it expires, and the second Ping is measured.
    #[arg(long, default_value_t = 60)]
    first_heartbeat: u32,
    /// The first heartbeats spread over this many seconds (device i adds i mod spread).
    #[arg(long, default_value_t = 20)]
    first_heartbeat_spread: u32,
    /// Heartbeat of every later Ping; longer than the run.
    #[arg(long, default_value_t = 1800)]
    heartbeat: u32,
    /// Users that get one message each for the wake-up delay.
    #[arg(long, default_value_t = 20)]
    sample: usize,
    /// Pause between the sample deliveries, so that their wake-ups do not overlap.
    #[arg(long, default_value_t = 500)]
    sample_gap_ms: u64,
    /// Seconds of idle CPU measurement with every Ping held.
    #[arg(long, default_value_t = 20)]
    idle_seconds: u64,
    /// Devices setting up at the same time.
    #[arg(long, default_value_t = 128)]
    setup_concurrency: usize,
    /// The run stops after this many seconds whatever happens.
    #[arg(long, default_value_t = 1500)]
    max_seconds: u64,
    /// Write the report as JSON here (shard 0).
    #[arg(long)]
    report: Option<PathBuf>,
}

/// `k/n`.
#[derive(Clone, Copy, Debug)]
pub struct Shard {
    k: usize,
    n: usize,
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let (k, n) = s.split_once('/').ok_or("expected k/n")?;
        let (k, n): (usize, usize) = (
            k.parse().map_err(|_| "bad k")?,
            n.parse().map_err(|_| "bad n")?,
        );
        if n == 0 || k >= n {
            return Err("need 0 <= k < n".into());
        }
        Ok(Shard { k, n })
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let max = args.max_seconds;
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(max)).await;
        eprintln!("eas-ping-load: stopping: the run passed --max-seconds {max}");
        std::process::exit(3);
    });
    // The process exit closes every held connection at once.
    match run(args).await {
        Ok(()) => std::process::exit(0),
        Err(e) => {
            eprintln!("eas-ping-load: {e:#}");
            std::process::exit(1);
        }
    }
}

fn user_address(args: &Args, u: usize) -> String {
    format!("{}{u}@{}", args.user_prefix, args.domain)
}

fn at(nanos: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(nanos)
}

async fn run(args: Args) -> anyhow::Result<()> {
    let Shard { k, n } = args.shard;
    std::fs::create_dir_all(&args.coord)?;
    let coord = Coord {
        dir: args.coord.clone(),
        k,
        n,
    };
    let result = phases(&args, &coord).await;
    if let Err(e) = &result {
        coord.fail(&format!("{e:#}"));
    }
    result
}

async fn phases(args: &Args, coord: &Coord) -> anyhow::Result<()> {
    let (k, n) = (coord.k, coord.n);
    let total = args.users * args.devices;
    if total > args.sources.len() * args.per_source {
        bail!(
            "{total} devices need more than {} sources of {}",
            args.sources.len(),
            args.per_source
        );
    }
    let endpoints = args
        .urls
        .iter()
        .map(|u| Endpoint::parse(u))
        .collect::<Result<Vec<_>, _>>()?;
    let leader = coord.is_leader();
    let long = Duration::from_secs(args.max_seconds);
    let mut report = measure::Report::new(args, total);
    let log = |msg: String| println!("[shard {k}/{n}] {msg}");

    if leader && args.create_users {
        let t = Instant::now();
        measure::create_users(args).await?;
        log(format!(
            "created {} users in {:.1} s",
            args.users,
            t.elapsed().as_secs_f64()
        ));
    }
    coord.barrier("users", long).await?;
    if leader {
        report.rss_start_kib = measure::settled_rss(&args.server_pids).await?;
    }

    // Devices: index i = user * devices + d; this shard takes i = k mod n.
    let specs: Vec<DeviceSpec> = (k..total)
        .step_by(n)
        .enumerate()
        .map(|(local, i)| DeviceSpec {
            local,
            index: i,
            user: i / args.devices,
            address: user_address(args, i / args.devices),
            device_id: format!("ld{}x{}", i / args.devices, i % args.devices),
            endpoint: endpoints[i % endpoints.len()].clone(),
            source: Some(args.sources[i / args.per_source]),
        })
        .collect();
    let (tx, rx) = mpsc::unbounded_channel();
    let (go, go_rx) = watch::channel(false);
    let slots = Arc::new(Semaphore::new(args.setup_concurrency));
    let (password, version): (Arc<str>, Arc<str>) =
        (args.password.as_str().into(), args.version.as_str().into());
    let beats = Heartbeats {
        first: args.first_heartbeat,
        spread: args.first_heartbeat_spread,
        steady: args.heartbeat,
    };
    for spec in specs.clone() {
        tokio::spawn(fleet::run_device(
            spec,
            password.clone(),
            version.clone(),
            slots.clone(),
            go_rx.clone(),
            beats,
            tx.clone(),
        ));
    }
    drop(tx);
    let mut fleet = Fleet::new(specs.len(), rx);
    let t = Instant::now();
    fleet
        .wait_until(long, |s| s.setup_done + s.failures() == s.len())
        .await;
    log(format!(
        "{} devices set up (provision, foldersync, sync 0, sync) in {:.1} s, {} failed{}",
        fleet.state.setup_done,
        t.elapsed().as_secs_f64(),
        fleet.state.failures(),
        first_failure(&fleet.state)
    ));
    coord.barrier("setup", long).await?;

    if leader {
        report.rss_connected_kib = measure::settled_rss(&args.server_pids).await?;
    }
    coord.barrier("baseline", long).await?;

    // First Ping on every connection, short heartbeat.
    let _ = go.send(true);
    let t = Instant::now();
    let alive = |s: &fleet::State, d: usize| s.alive(d);
    fleet
        .wait_until(long, |s| {
            (0..s.len()).all(|d| !alive(s, d) || s.sent[d] >= 1)
        })
        .await;
    let sent_in = t.elapsed();
    log(format!(
        "first ping sent on every connection in {:.1} s",
        sent_in.as_secs_f64()
    ));
    coord.barrier("ping1-sent", long).await?;
    if leader
        && t.elapsed() + measure::SETTLE + Duration::from_secs(15)
            < Duration::from_secs(args.first_heartbeat.into())
    {
        report.rss_first_ping_kib = Some(measure::settled_rss(&args.server_pids).await?);
    }
    coord.barrier("ping1-measured", long).await?;

    // The first Ping ends (status 1); the same connection sends the second and holds it.
    let limit =
        Duration::from_secs(u64::from(args.first_heartbeat + args.first_heartbeat_spread) + 120);
    fleet
        .wait_until(limit, |s| {
            (0..s.len()).all(|d| !s.alive(d) || (!s.replies[d].is_empty() && s.holding(d)))
        })
        .await;
    let holding = (0..fleet.state.len())
        .filter(|&d| fleet.state.holding(d))
        .count();
    let all_held = holding == fleet.state.len();
    let not_expired = (0..fleet.state.len())
        .filter(|&d| {
            fleet.state.replies[d]
                .first()
                .is_some_and(|(s, _)| s != "1")
        })
        .count();
    log(format!(
        "second ping held on {} connections (all: {all_held}); first pings not ending with status 1: {not_expired}; failed: {}{}",
        (0..fleet.state.len()).filter(|&d| fleet.state.holding(d)).count(),
        fleet.state.failures(),
        first_failure(&fleet.state)
    ));
    coord.put(
        &format!("held.{k}"),
        &(0..fleet.state.len())
            .filter(|&d| fleet.state.holding(d))
            .count(),
    )?;
    coord.barrier("held", long).await?;
    if leader {
        let held: usize = (0..n)
            .map(|s| coord.get::<usize>(&format!("held.{s}")))
            .sum::<anyhow::Result<_>>()?;
        report.held = held;
        report.rss_held_kib = measure::settled_rss(&args.server_pids).await?;
        report.print_memory();
    }
    coord.barrier("held-measured", long).await?;

    // Wake-up delay: one message to each sampled user, one after the other.
    let mut sampled: Vec<usize> = (0..args.sample.min(args.users))
        .map(|j| j * args.users / args.sample.min(args.users).max(1))
        .collect();
    sampled.dedup();
    if leader {
        let times =
            measure::deliver_each(args, &sampled, Duration::from_millis(args.sample_gap_ms))
                .await?;
        coord.put("sample-delivered", &times)?;
    }
    coord.barrier("sample-delivered", long).await?;
    let delivered: measure::Deliveries = coord.get("sample-delivered")?;
    let everyone: Vec<&DeviceSpec> = specs.iter().collect();
    fleet
        .wait_until(Duration::from_secs(120), |s| {
            measure::all_woken(s, &everyone, &delivered, true)
        })
        .await;
    let lat = measure::delays(&fleet.state, &everyone, &delivered);
    coord.put(&format!("sample.{k}"), &lat)?;
    coord.barrier("sample-done", long).await?;
    if leader {
        report.merge_sample(coord, n, &delivered)?;
    }

    // Idle: every Ping held, nothing happening, after the wake-ups' work has settled.
    if leader {
        measure::settle(&args.server_pids).await?;
        report.idle_cpu = Some(
            measure::idle_cpu(&args.server_pids, Duration::from_secs(args.idle_seconds)).await?,
        );
        report.print_idle();
    }
    coord.barrier("idle-done", long).await?;

    // Mass change: one message for every user.
    if leader {
        let all: Vec<usize> = (0..args.users).collect();
        let mass = measure::deliver_all(args, &all).await?;
        coord.put("mass-delivered", &mass)?;
    }
    coord.barrier("mass-delivered", long).await?;
    let mass: measure::Deliveries = coord.get("mass-delivered")?;
    fleet
        .wait_until(Duration::from_secs(300), |s| {
            measure::all_woken(s, &everyone, &mass, false)
        })
        .await;
    let lat = measure::delays(&fleet.state, &everyone, &mass);
    coord.put(&format!("mass.{k}"), &lat)?;
    log(format!(
        "mass change: {} of {} devices answered; {} failed; most connections one device opened: {}",
        lat.delays_ns.len(),
        specs.len(),
        fleet.state.failures(),
        fleet.state.max_connects
    ));
    coord.put(&format!("failed-count.{k}"), &fleet.state.failures())?;
    coord.barrier("mass-done", long).await?;
    if leader {
        report.merge_mass(coord, n, &mass)?;
        report.failed_devices = (0..n)
            .map(|s| coord.get::<usize>(&format!("failed-count.{s}")))
            .sum::<anyhow::Result<_>>()?;
        if let Some(p) = &args.report {
            std::fs::write(p, serde_json::to_vec_pretty(&report)?)
                .with_context(|| format!("writing {}", p.display()))?;
        }
    }
    Ok(())
}

fn first_failure(s: &fleet::State) -> String {
    s.failed
        .iter()
        .flatten()
        .next()
        .map(|e| format!(" (first: {e})"))
        .unwrap_or_default()
}
