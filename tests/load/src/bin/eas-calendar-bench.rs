//! eas-calendar-bench: what a phone's first Sync of a large calendar costs the one-process
//! `eas-server`: server CPU per event, wall time and peak RSS. Starts the real server, imports a
//! generated calendar (single events over the two years around now, a share of recurring series
//! with exceptions, six time zones) as one iCalendar file through the admin API, then syncs the
//! Calendar folder as phones in windows, each run on a fresh device with its own FilterType
//! (MS-ASCMD 2.2.3.68.2), and checks that each run received exactly the events its window holds
//! (docs/benchmarks.md has the numbers).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use chrono::{DateTime, NaiveTime, SubsecRound, TimeDelta, Utc};
use clap::Parser;
use eas_load::admin::Admin;
use eas_load::calgen::{subject_index, Calendar, GenEvent, Kind, Spec, ZONES};
use eas_load::http::{Connection, Endpoint};
use eas_load::phone::Phone;
use eas_load::procstat::{mib, ProcStat};
use eas_load::request::SyncOptions;
use eas_load::server::ServerProcess;
use eas_wbxml::tags::calendar as cal;
use eas_wbxml::Element;

const USER: &str = "jdoe@example.loc";
const PASSWORD: &str = "demo-jdoe-1";

/// Folder type of the default Calendar (MS-ASCMD 2.2.3.186.3).
const CALENDAR_TYPE: u32 = 8;

#[derive(Parser)]
#[command(about = "Calendar Sync benchmark against the real eas-server")]
struct Args {
    /// The eas-server binary.
    #[arg(long, env = "EAS_SERVER_BIN")]
    server_bin: PathBuf,
    /// Events imported before the Syncs (a series with its exceptions is one event).
    #[arg(long, default_value_t = 5_000)]
    events: usize,
    /// Share of recurring series among them, in percent.
    #[arg(long, default_value_t = 20)]
    recurring_percent: usize,
    /// Seed of the generated calendar (the same seed, day and FilterTypes give the same file).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Sync window (WindowSize).
    #[arg(long, default_value_t = 100)]
    window: u32,
    /// Protocol versions of the phones, one run per version and FilterType.
    #[arg(long, value_delimiter = ',', default_value = "16.1,14.1")]
    versions: Vec<String>,
    /// FilterTypes, one fresh device each (calendars take 0 and 4 to 7).
    #[arg(long, value_delimiter = ',', default_value = "0,5")]
    filters: Vec<u8>,
    /// Give up on a run (Provision to the last window) after this many seconds.
    #[arg(long, default_value_t = 600)]
    run_timeout: u64,
    /// Also write the generated iCalendar file here.
    #[arg(long)]
    write_ical: Option<PathBuf>,
}

/// How far back a FilterType's window reaches, in days, as the server counts it
/// (`crates/sync-engine/src/filter.rs`: months of 31, 92 and 183 days). No event ends within two
/// days of these window starts, so a server counting a month as 30 days would see the same
/// events.
fn filter_days(filter: u8) -> anyhow::Result<Option<i64>> {
    Ok(match filter {
        0 => None,
        4 => Some(14),
        5 => Some(31),
        6 => Some(92),
        7 => Some(183),
        f => bail!("FilterType {f} is not one a calendar takes (0, 4 to 7; MS-ASCMD 2.2.3.68.2)"),
    })
}

fn per_item(d: Duration, n: usize) -> f64 {
    d.as_secs_f64() * 1000.0 / n.max(1) as f64
}

/// What a phone received for one event.
#[derive(Debug)]
struct Received {
    index: Option<usize>,
    subject: String,
    recurring: bool,
    all_day: bool,
    exceptions: usize,
}

impl Received {
    fn read(data: &Element) -> Received {
        let subject = data.child_text(cal::SUBJECT).unwrap_or_default();
        Received {
            index: subject_index(&subject),
            recurring: data.child(cal::RECURRENCE).is_some(),
            all_day: data.child_text(cal::ALL_DAY_EVENT).as_deref() == Some("1"),
            exceptions: data
                .child(cal::EXCEPTIONS)
                .map_or(0, |e| e.children_of(cal::EXCEPTION).count()),
            subject,
        }
    }
}

/// One phone's initial Sync.
struct Run {
    version: String,
    filter: u8,
    window: u32,
    expected: usize,
    items: usize,
    windows: usize,
    wire: usize,
    total: Duration,
    client_time: Duration,
    slowest: (usize, Duration, usize),
    before: ProcStat,
    after: ProcStat,
}

/// Provision, FolderSync, Sync key 0 of the Calendar and windows until MoreAvailable is gone,
/// on a fresh device; fails unless the events received are exactly `expected`, each once and in
/// the shape it was generated with.
async fn run(
    server: &ServerProcess,
    args: &Args,
    calendar: &Calendar,
    version: &str,
    filter: u8,
    expected: &BTreeSet<usize>,
) -> anyhow::Result<Run> {
    let pid = server.pid();
    ProcStat::reset_peak(pid)?;
    let before = ProcStat::read(pid)?;
    let t = Instant::now();
    let device = format!("calbench{}f{filter}", version.replace('.', ""));
    let conn = Connection::new(Endpoint::parse(&server.eas_url)?, None);
    let mut phone = Phone::new(conn, USER, PASSWORD, &device, version);
    phone.provision().await.context("provision")?;
    let folders = phone.folder_sync().await.context("foldersync")?;
    let Some(folder) = folders
        .iter()
        .find(|f| f.kind == CALENDAR_TYPE && f.server_id.starts_with("cal:"))
        .map(|f| f.server_id.clone())
    else {
        let seen: Vec<_> = folders
            .iter()
            .map(|f| format!("{} {:?} type {}", f.server_id, f.name, f.kind))
            .collect();
        bail!("no Calendar folder (type 8, id cal:...) in the FolderSync: {seen:?}");
    };
    let opts = SyncOptions {
        window: args.window,
        filter: Some(filter),
        body: Some((1, 32_768)),
    };
    let mut client_time = Duration::ZERO;
    let (first, d) = eas_load::phone::timed(phone.sync(&folder, "0", opts)).await;
    client_time += d;
    let mut key = first.context("sync key 0")?.key;
    // Every window but the last is full, so more than this many means the server repeats.
    let max_windows = expected.len() / args.window.max(1) as usize + 2;
    let mut received: Vec<Received> = Vec::with_capacity(expected.len());
    let (mut windows, mut wire, mut items) = (0usize, 0usize, 0usize);
    let mut slowest = (0, Duration::ZERO, 0);
    loop {
        let mut on_add = |data: &Element| received.push(Received::read(data));
        let (page, d) =
            eas_load::phone::timed(phone.sync_each(&folder, &key, opts, &mut on_add)).await;
        let page = page.with_context(|| format!("sync window {}", windows + 1))?;
        client_time += d;
        windows += 1;
        if d > slowest.1 {
            slowest = (windows, d, page.added);
        }
        items += page.added;
        wire += page.bytes;
        key = page.key;
        if !page.more_available {
            break;
        }
        if windows >= max_windows {
            bail!(
                "still MoreAvailable after {windows} windows of {} for {} events",
                args.window,
                expected.len()
            );
        }
    }
    let total = t.elapsed();
    let after = ProcStat::read(pid)?;
    check(calendar, expected, &received)
        .with_context(|| format!("{version}, FilterType {filter}"))?;
    Ok(Run {
        version: version.to_owned(),
        filter,
        window: args.window,
        expected: expected.len(),
        items,
        windows,
        wire,
        total,
        client_time,
        slowest,
        before,
        after,
    })
}

/// The events received against those expected: each expected one once, nothing else, and each
/// with its recurrence, all-day flag and exceptions (a moved and a deleted occurrence are two
/// `Exception`s, MS-ASCAL 2.2.2.21).
fn check(
    calendar: &Calendar,
    expected: &BTreeSet<usize>,
    received: &[Received],
) -> anyhow::Result<()> {
    let mut problems = Vec::new();
    let mut seen: BTreeMap<usize, usize> = BTreeMap::new();
    for r in received {
        let Some(i) = r.index.filter(|i| *i < calendar.events.len()) else {
            problems.push(format!(
                "an event the benchmark did not write: subject {:?}",
                r.subject
            ));
            continue;
        };
        *seen.entry(i).or_default() += 1;
        let g = &calendar.events[i];
        let all_day = matches!(g.kind, Kind::AllDay | Kind::YearlyAllDay);
        if r.recurring != g.kind.recurring() || r.all_day != all_day {
            problems.push(format!(
                "received with Recurrence {} and AllDayEvent {}: {}",
                r.recurring, r.all_day, g.description
            ));
        }
        if r.exceptions != g.moved + g.deleted {
            problems.push(format!(
                "received with {} Exception(s): {}",
                r.exceptions, g.description
            ));
        }
    }
    for (i, n) in &seen {
        if *n > 1 {
            problems.push(format!(
                "received {n} times: {}",
                calendar.events[*i].description
            ));
        }
        if !expected.contains(i) {
            problems.push(format!(
                "received, outside the window: {}",
                calendar.events[*i].description
            ));
        }
    }
    for i in expected.iter().filter(|i| !seen.contains_key(i)) {
        problems.push(format!("missing: {}", calendar.events[*i].description));
    }
    if problems.is_empty() {
        return Ok(());
    }
    for p in problems.iter().take(20) {
        eprintln!("  {p}");
    }
    bail!(
        "received {} events, expected {}: {} problem(s), the first {} above",
        received.len(),
        expected.len(),
        problems.len(),
        problems.len().min(20)
    )
}

fn describe(calendar: &Calendar, ical_bytes: usize) {
    let mut kinds: BTreeMap<Kind, usize> = BTreeMap::new();
    for e in &calendar.events {
        *kinds.entry(e.kind).or_default() += 1;
    }
    let kinds: Vec<String> = kinds
        .iter()
        .map(|(k, n)| format!("{n} {}", k.name()))
        .collect();
    let zones: Vec<String> = ZONES
        .iter()
        .map(|z| {
            let n = calendar
                .events
                .iter()
                .filter(|e| e.zone == Some(*z))
                .count();
            format!("{n} {}", z.name())
        })
        .collect();
    let all_day = calendar.events.iter().filter(|e| e.zone.is_none()).count();
    let endless = calendar
        .events
        .iter()
        .filter(|e| e.last_end.is_none())
        .count();
    let moved: usize = calendar.events.iter().map(|e| e.moved).sum();
    let deleted: usize = calendar.events.iter().map(|e| e.deleted).sum();
    println!("calendar: {}", kinds.join(", "));
    println!("  zones: {}, {all_day} all-day", zones.join(", "));
    println!(
        "  {endless} series without end, {moved} moved and {deleted} deleted occurrences, {:.2} MiB of iCalendar",
        ical_bytes as f64 / 1048576.0
    );
}

fn report(r: &Run) {
    let cpu = r.after.cpu - r.before.cpu;
    println!(
        "{} FilterType {}: synced {} events (expected {}) in {} windows of {} ({:.2} MiB of wbxml)",
        r.version,
        r.filter,
        r.items,
        r.expected,
        r.windows,
        r.window,
        r.wire as f64 / 1048576.0
    );
    println!(
        "  total wall time (provision, foldersync, sync 0, windows): {:.2} s",
        r.total.as_secs_f64()
    );
    println!(
        "  client-observed time per event (sync requests only): {:.3} ms; slowest window: #{} ({} events) {:.0} ms",
        per_item(r.client_time, r.items),
        r.slowest.0,
        r.slowest.2,
        r.slowest.1.as_secs_f64() * 1000.0
    );
    println!(
        "  server cpu (utime+stime) per event: {:.3} ms ({:.2} s in all)",
        per_item(cpu, r.items),
        cpu.as_secs_f64()
    );
    println!(
        "  server rss before {:.1} MiB, after {:.1} MiB, peak during the sync {:.1} MiB",
        mib(r.before.rss_kib),
        mib(r.after.rss_kib),
        mib(r.after.hwm_kib)
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let now = DateTime::<Utc>::from(std::time::SystemTime::now()).trunc_subsecs(0);
    let today = now.date_naive();
    // The data depends on the day only: events are placed around today, keep their ends three
    // days from the window starts counted from today's midnight (so at least two days from the
    // server's, whatever the hour), and carry that midnight as DTSTAMP.
    let midnight = today.and_time(NaiveTime::MIN).and_utc();
    let mut windows = Vec::new();
    let mut guards = Vec::new();
    for f in &args.filters {
        let days = filter_days(*f)?;
        windows.push((*f, days.map(|d| now - TimeDelta::days(d))));
        guards.extend(days.map(|d| midnight - TimeDelta::days(d)));
    }
    let spec = Spec {
        count: args.events,
        recurring_percent: args.recurring_percent,
        seed: args.seed,
    };
    let calendar = Calendar::generate(spec, today, midnight, &guards)?;
    let ical = calendar.to_ical();
    if let Some(p) = &args.write_ical {
        std::fs::write(p, &ical).with_context(|| format!("writing {}", p.display()))?;
    }
    let expected: Vec<(u8, BTreeSet<usize>)> = windows
        .iter()
        .map(|(f, since)| (*f, calendar.expected(*since)))
        .collect();

    let server = ServerProcess::start(&args.server_bin, &[])?;
    let pid = server.pid();
    let started = ProcStat::read(pid)?;
    println!(
        "== sync of {} calendar events, {} % recurring (server pid {pid}, now {now})",
        args.events, args.recurring_percent
    );
    describe(&calendar, ical.len());
    for (f, set) in &expected {
        println!("  FilterType {f}: {} events in the window", set.len());
    }
    println!("server after start: rss {:.1} MiB", mib(started.rss_kib));

    let mut admin = Admin::new(&server.admin_url, &server.admin_token()?)?;
    let t = Instant::now();
    let answer = admin.import_ical(USER, ical).await.context("import")?;
    let import = t.elapsed();
    for (i, reason) in &answer.errors {
        let what = calendar
            .events
            .get(*i as usize)
            .map_or("no such event".to_owned(), |e: &GenEvent| {
                e.description.clone()
            });
        eprintln!("  refused by the server: {what}: {reason}");
    }
    if !answer.errors.is_empty() || answer.imported as usize != args.events {
        bail!(
            "imported {} events with {} refused, expected {}",
            answer.imported,
            answer.errors.len(),
            args.events
        );
    }
    let after_import = ProcStat::read(pid)?;
    println!(
        "imported {} events in one request in {:.1} s: server cpu {:.3} ms/event, peak rss {:.1} MiB",
        answer.imported,
        import.as_secs_f64(),
        per_item(after_import.cpu - started.cpu, args.events),
        mib(after_import.hwm_kib)
    );

    // The server verifies a password with argon2 (19 MiB, tens of ms of CPU) on a user's first
    // login and caches the result: log in once before measuring, so the first run's peak and
    // CPU are the Sync's and not the login's.
    let conn = Connection::new(Endpoint::parse(&server.eas_url)?, None);
    let mut warm = Phone::new(conn, USER, PASSWORD, "calbenchwarmup", "16.1");
    warm.provision().await.context("warm-up login")?;

    let mut runs = Vec::new();
    for version in &args.versions {
        for (filter, set) in &expected {
            let r = tokio::time::timeout(
                Duration::from_secs(args.run_timeout),
                run(&server, &args, &calendar, version, *filter, set),
            )
            .await
            .map_err(|_| {
                anyhow::anyhow!(
                    "{version}, FilterType {filter}: not done after {} s",
                    args.run_timeout
                )
            })??;
            report(&r);
            runs.push(r);
        }
    }
    // A narrower window must hold fewer events than no window at all, on every version.
    for r in &runs {
        let all = runs
            .iter()
            .find(|a| a.version == r.version && a.filter == 0);
        if let Some(all) = all.filter(|_| r.filter != 0) {
            if r.items >= all.items {
                bail!(
                    "{}: FilterType {} gave {} events, FilterType 0 {}",
                    r.version,
                    r.filter,
                    r.items,
                    all.items
                );
            }
        }
    }
    println!("all runs received exactly the events their window holds");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn calendar() -> Calendar {
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let midnight = today.and_time(NaiveTime::MIN).and_utc();
        let spec = Spec {
            count: 200,
            recurring_percent: 20,
            seed: 5,
        };
        Calendar::generate(spec, today, midnight, &[]).unwrap()
    }

    /// What a server that answers exactly right sends for `indexes`.
    fn received(cal: &Calendar, indexes: &BTreeSet<usize>) -> Vec<Received> {
        indexes
            .iter()
            .map(|i| {
                let g = &cal.events[*i];
                Received {
                    index: Some(*i),
                    subject: format!("x #{i}"),
                    recurring: g.kind.recurring(),
                    all_day: matches!(g.kind, Kind::AllDay | Kind::YearlyAllDay),
                    exceptions: g.moved + g.deleted,
                }
            })
            .collect()
    }

    #[test]
    fn exactly_the_expected_events_pass_and_every_deviation_fails() {
        let cal = calendar();
        let since = Some(
            NaiveDate::from_ymd_opt(2026, 11, 6)
                .unwrap()
                .and_time(NaiveTime::MIN)
                .and_utc(),
        );
        let window = cal.expected(since);
        assert!(window.len() < cal.events.len());
        let good = received(&cal, &window);
        assert!(check(&cal, &window, &good).is_ok());

        let mut missing = received(&cal, &window);
        missing.pop();
        assert!(check(&cal, &window, &missing).is_err());

        let mut twice = received(&cal, &window);
        twice.push(received(&cal, &window).remove(0));
        assert!(check(&cal, &window, &twice).is_err());

        let outside = received(&cal, &cal.expected(None));
        assert!(check(&cal, &window, &outside).is_err());

        let mut stranger = received(&cal, &window);
        stranger.push(Received {
            index: None,
            subject: "not ours".into(),
            recurring: false,
            all_day: false,
            exceptions: 0,
        });
        assert!(check(&cal, &window, &stranger).is_err());

        let series = *window
            .iter()
            .find(|i| cal.events[**i].moved + cal.events[**i].deleted > 0)
            .unwrap();
        let mut lost = received(&cal, &window);
        for r in lost.iter_mut().filter(|r| r.index == Some(series)) {
            r.exceptions = 0;
        }
        assert!(check(&cal, &window, &lost).is_err());
    }

    #[test]
    fn calendars_take_filter_types_0_and_4_to_7() {
        assert_eq!(filter_days(0).unwrap(), None);
        assert_eq!(filter_days(5).unwrap(), Some(31));
        assert!(filter_days(1).is_err());
        assert!(filter_days(8).is_err());
    }
}
