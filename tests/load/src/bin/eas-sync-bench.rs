//! eas-sync-bench: how much server CPU, memory and client-observed time a phone's first full
//! Sync of a large Inbox costs, and how much memory an ItemOperations Fetch of a large
//! attachment adds. Starts the real one-process `eas-server`, fills it over LMTP, then syncs as
//! a phone at 16.1 (docs/benchmarks.md has the numbers and how to read them).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use eas_load::http::{Connection, Endpoint};
use eas_load::lmtp::LmtpClient;
use eas_load::mailgen::{MailGen, Shape};
use eas_load::phone::{Phone, WBXML};
use eas_load::procstat::{mib, ProcStat};
use eas_load::request::{self, SyncOptions};
use eas_load::server::ServerProcess;
use http_body_util::BodyExt;

const USER: &str = "jdoe@example.loc";
const PASSWORD: &str = "demo-jdoe-1";
const VERSION: &str = "16.1";

#[derive(Parser)]
#[command(about = "Sync and attachment benchmark against the real eas-server")]
struct Args {
    /// The eas-server binary.
    #[arg(long, env = "EAS_SERVER_BIN")]
    server_bin: PathBuf,
    /// Messages delivered before the Sync.
    #[arg(long, default_value_t = 10_000)]
    messages: u64,
    /// Sync window (WindowSize).
    #[arg(long, default_value_t = 100)]
    window: u32,
    /// HTML body truncation size (AirSyncBase TruncationSize).
    #[arg(long, default_value_t = 32_768)]
    truncation: u32,
    /// Size of the large attachment in MiB; 0 skips the second measurement.
    #[arg(long, default_value_t = 50)]
    attachment_mib: usize,
    /// LMTP connections delivering at the same time, as an MTA's delivery agents do.
    #[arg(long, default_value_t = 4)]
    lmtp_connections: u64,
    /// Seed of the generated mail.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    sync_inbox(&args).await?;
    if args.attachment_mib > 0 {
        fetch_attachment(&args).await?;
    }
    Ok(())
}

/// A provisioned phone at 16.1 with the Inbox's id.
async fn phone(server: &ServerProcess) -> anyhow::Result<(Phone, String)> {
    let conn = Connection::new(Endpoint::parse(&server.eas_url)?, None);
    let mut phone = Phone::new(conn, USER, PASSWORD, "benchphone1", VERSION);
    phone.provision().await.context("provision")?;
    let inbox = phone.inbox().await.context("foldersync")?;
    Ok((phone, inbox))
}

async fn sync_inbox(args: &Args) -> anyhow::Result<()> {
    let server = ServerProcess::start(&args.server_bin, &[])?;
    let pid = server.pid();
    let started = ProcStat::read(pid)?;
    println!("== sync of {} messages (server pid {pid})", args.messages);
    println!("server after start: rss {:.1} MiB", mib(started.rss_kib));

    let t = Instant::now();
    let (bytes, shapes) =
        deliver(server.lmtp, args.seed, args.messages, args.lmtp_connections).await?;
    let delivery = t.elapsed();
    let delivered = ProcStat::read(pid)?;
    println!(
        "delivered {} messages, {:.1} MiB ({} text, {} text+html, {} with attachment) over {} lmtp connections in {:.1} s: {:.2} ms/message wall, server cpu {:.2} ms/message, peak rss {:.1} MiB",
        args.messages,
        bytes as f64 / 1048576.0,
        shapes[Shape::Text as usize],
        shapes[Shape::Alternative as usize],
        shapes[Shape::WithAttachment as usize],
        args.lmtp_connections,
        delivery.as_secs_f64(),
        per_message(delivery, args.messages),
        per_message(delivered.cpu - started.cpu, args.messages),
        mib(delivered.hwm_kib)
    );

    // The peak from here on is the Sync's own (writing 5 to clear_refs resets VmHWM).
    ProcStat::reset_peak(pid)?;
    let before = ProcStat::read(pid)?;
    let t = Instant::now();
    let mut client_time = Duration::ZERO;
    let (mut phone, inbox) = phone(&server).await?;
    let opts = SyncOptions {
        window: args.window,
        filter: None,
        body: Some((2, args.truncation)),
    };
    let (first, d) = eas_load::phone::timed(phone.sync(&inbox, "0", opts)).await;
    client_time += d;
    let mut key = first?.key;
    let (mut items, mut windows, mut wire) = (0usize, 0usize, 0usize);
    loop {
        let (page, d) = eas_load::phone::timed(phone.sync(&inbox, &key, opts)).await;
        let page = page?;
        client_time += d;
        windows += 1;
        items += page.added;
        wire += page.bytes;
        key = page.key;
        if !page.more_available {
            break;
        }
    }
    let total = t.elapsed();
    let after = ProcStat::read(pid)?;
    if items as u64 != args.messages {
        bail!("synced {items} items, expected {}", args.messages);
    }
    println!(
        "synced {items} items in {windows} windows of {} ({:.1} MiB of wbxml), connections opened: {}",
        args.window,
        wire as f64 / 1048576.0,
        phone.connects()
    );
    println!(
        "  total wall time (provision, foldersync, sync 0, windows): {:.2} s",
        total.as_secs_f64()
    );
    println!(
        "  client-observed time per message (sync requests only): {:.3} ms",
        per_message(client_time, args.messages)
    );
    println!(
        "  server cpu (utime+stime) per message: {:.3} ms ({:.2} s in all)",
        per_message(after.cpu - before.cpu, args.messages),
        (after.cpu - before.cpu).as_secs_f64()
    );
    println!(
        "  server rss before {:.1} MiB, after {:.1} MiB, peak during the sync {:.1} MiB",
        mib(before.rss_kib),
        mib(after.rss_kib),
        mib(after.hwm_kib)
    );
    Ok(())
}

async fn fetch_attachment(args: &Args) -> anyhow::Result<()> {
    let size = args.attachment_mib * 1024 * 1024;
    // The message is base64 on the wire: about 4/3 of the attachment, plus headers.
    let limit = (size * 3 / 2 + 1024 * 1024).to_string();
    let server = ServerProcess::start(&args.server_bin, &[("EAS_MAX_MESSAGE_BYTES", limit)])?;
    let pid = server.pid();
    println!(
        "== ItemOperations Fetch of a {} MiB attachment (server pid {pid})",
        args.attachment_mib
    );
    let message = MailGen::new(args.seed, USER).with_attachment(size);
    let mut lmtp = LmtpClient::connect(server.lmtp).await?;
    let t = Instant::now();
    let replies = lmtp
        .deliver("sender@outside.test", &[USER.to_owned()], &message)
        .await?;
    if !replies.iter().all(|r| r.accepted) {
        bail!("large message refused: {replies:?}");
    }
    lmtp.quit().await?;
    let delivered = ProcStat::read(pid)?;
    println!(
        "delivered {:.1} MiB in {:.2} s, server peak rss so far {:.1} MiB",
        message.len() as f64 / 1048576.0,
        t.elapsed().as_secs_f64(),
        mib(delivered.hwm_kib)
    );
    drop(message);

    let (mut phone, inbox) = phone(&server).await?;
    let opts = SyncOptions {
        window: 10,
        filter: None,
        body: Some((2, args.truncation)),
    };
    let key = phone.sync(&inbox, "0", opts).await?.key;
    let page = phone.sync(&inbox, &key, opts).await?;
    let Some(reference) = page.attachments.first().cloned() else {
        bail!("the synced message lists no attachment");
    };

    ProcStat::reset_peak(pid)?;
    let before = ProcStat::read(pid)?;
    let t = Instant::now();
    let doc = request::fetch_attachment_request(&reference);
    let resp = phone.command_streamed("ItemOperations", Some(&doc)).await?;
    let status = resp.status();
    let ctype = resp
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let mut body = resp.into_body();
    let (mut received, mut first_byte) = (0usize, None);
    // Streamed to nowhere: only the byte count is kept.
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            first_byte.get_or_insert_with(|| t.elapsed());
            received += data.len();
        }
    }
    let elapsed = t.elapsed();
    let after = ProcStat::read(pid)?;
    let expected = size.div_ceil(3) * 4;
    if status != http::StatusCode::OK || !ctype.starts_with(WBXML) || received < expected {
        bail!(
            "fetch answered {status} {ctype} with {received} bytes, expected at least {expected}"
        );
    }
    println!(
        "fetched {:.1} MiB of wbxml in {:.2} s ({:.0} MiB/s; first byte after {:.0} ms)",
        received as f64 / 1048576.0,
        elapsed.as_secs_f64(),
        received as f64 / 1048576.0 / elapsed.as_secs_f64(),
        first_byte.unwrap_or_default().as_secs_f64() * 1000.0
    );
    println!(
        "  server rss before the fetch {:.1} MiB, peak during it {:.1} MiB: extra peak {:.1} MiB; cpu {:.2} s",
        mib(before.rss_kib),
        mib(after.hwm_kib),
        mib(after.hwm_kib.saturating_sub(before.rss_kib)),
        (after.cpu - before.cpu).as_secs_f64()
    );
    Ok(())
}

/// Delivers messages 0..n of the generator over `connections` LMTP sessions at once; returns
/// the bytes sent and the count of each message shape.
async fn deliver(
    lmtp: std::net::SocketAddr,
    seed: u64,
    n: u64,
    connections: u64,
) -> anyhow::Result<(usize, [usize; 3])> {
    let mut tasks = Vec::new();
    for c in 0..connections.max(1) {
        tasks.push(tokio::spawn(async move {
            let gen = MailGen::new(seed, USER);
            let mut session = LmtpClient::connect(lmtp).await?;
            let (mut bytes, mut shapes) = (0usize, [0usize; 3]);
            let rcpt = [USER.to_owned()];
            for i in (c..n).step_by(connections.max(1) as usize) {
                let (shape, m) = gen.message(i);
                bytes += m.len();
                shapes[shape as usize] += 1;
                let replies = session.deliver("sender@outside.test", &rcpt, &m).await?;
                if !replies.iter().all(|r| r.accepted) {
                    bail!("message {i} refused: {replies:?}");
                }
            }
            session.quit().await?;
            Ok((bytes, shapes))
        }));
    }
    let (mut bytes, mut shapes) = (0usize, [0usize; 3]);
    for t in tasks {
        let (b, s) = t.await??;
        bytes += b;
        for (total, one) in shapes.iter_mut().zip(s) {
            *total += one;
        }
    }
    Ok((bytes, shapes))
}

fn per_message(d: Duration, n: u64) -> f64 {
    d.as_secs_f64() * 1000.0 / n.max(1) as f64
}
