//! eas-contacts-bench: what a phone's first Sync of a large address book costs the one-process
//! `eas-server`: server CPU per contact, wall time and peak RSS. Starts the real server, imports
//! generated contacts (a share of them with a photo) through the admin API as vCards, then syncs
//! the Contacts folder as a phone in windows (docs/benchmarks.md has the numbers).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use base64::Engine;
use clap::Parser;
use eas_load::admin::Admin;
use eas_load::http::{Connection, Endpoint};
use eas_load::phone::Phone;
use eas_load::procstat::{mib, ProcStat};
use eas_load::request::SyncOptions;
use eas_load::server::ServerProcess;

const USER: &str = "jdoe@example.loc";
const PASSWORD: &str = "demo-jdoe-1";

#[derive(Parser)]
#[command(about = "Contacts Sync benchmark against the real eas-server")]
struct Args {
    /// The eas-server binary.
    #[arg(long, env = "EAS_SERVER_BIN")]
    server_bin: PathBuf,
    /// Contacts imported before the Sync.
    #[arg(long, default_value_t = 5_000)]
    contacts: usize,
    /// Every n-th contact has a photo (10: one in ten).
    #[arg(long, default_value_t = 10)]
    photo_every: usize,
    /// Size of each photo in bytes (a JPEG thumbnail a phone keeps is 10-30 KB).
    #[arg(long, default_value_t = 20_000)]
    photo_bytes: usize,
    /// Sync window (WindowSize).
    #[arg(long, default_value_t = 100)]
    window: u32,
    /// Protocol version of the phone.
    #[arg(long, default_value = "16.1")]
    version: String,
    /// Contacts per import request.
    #[arg(long, default_value_t = 500)]
    batch: usize,
}

/// A photo of `size` bytes: a JPEG start-of-image marker and pseudo-random data (a photo does
/// not compress, so neither should the stand-in).
fn photo(size: usize, seed: u64) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE0];
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    while out.len() < size {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(size.max(4));
    out
}

/// One vCard 3.0 with the fields a phone's address book usually has.
fn vcard(i: usize, with_photo: Option<&[u8]>) -> String {
    let mut v = String::new();
    let _ = write!(
        v,
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Family{i};Given{i};;;\r\nFN:Given{i} Family{i}\r\n\
         EMAIL;TYPE=INTERNET,WORK:given{i}@example.org\r\nEMAIL;TYPE=INTERNET,HOME:g{i}@example.net\r\n\
         TEL;TYPE=CELL:+1 555 {:04}\r\nTEL;TYPE=WORK:+1 556 {:04}\r\nORG:Company {}\r\n\
         TITLE:Title {}\r\nADR;TYPE=HOME:;;{} Main Street;Springfield;;12345;USA\r\n\
         BDAY:19{:02}-{:02}-{:02}\r\nNOTE:Contact number {i}, imported by the benchmark.\r\n",
        i % 10_000,
        (i * 7) % 10_000,
        i % 97,
        i % 13,
        i % 1000,
        50 + i % 50,
        1 + i % 12,
        1 + i % 28,
    );
    if let Some(p) = with_photo {
        let b64 = base64::engine::general_purpose::STANDARD.encode(p);
        let _ = write!(v, "PHOTO;ENCODING=b;TYPE=JPEG:{b64}\r\n");
    }
    v.push_str("END:VCARD\r\n");
    v
}

fn per_item(d: Duration, n: usize) -> f64 {
    d.as_secs_f64() * 1000.0 / n.max(1) as f64
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let server = ServerProcess::start(&args.server_bin, &[])?;
    let pid = server.pid();
    let started = ProcStat::read(pid)?;
    println!(
        "== sync of {} contacts, a photo of {} bytes on one in {} (server pid {pid}, {})",
        args.contacts, args.photo_bytes, args.photo_every, args.version
    );
    println!("server after start: rss {:.1} MiB", mib(started.rss_kib));

    let mut admin = Admin::new(&server.admin_url, &server.admin_token()?)?;
    let t = Instant::now();
    let (mut imported, mut photos, mut file_bytes) = (0u64, 0usize, 0usize);
    let mut i = 0;
    while i < args.contacts {
        let mut file = String::new();
        for j in i..(i + args.batch).min(args.contacts) {
            let p = (args.photo_every > 0 && j % args.photo_every == 0)
                .then(|| photo(args.photo_bytes, j as u64));
            photos += usize::from(p.is_some());
            file.push_str(&vcard(j, p.as_deref()));
        }
        file_bytes += file.len();
        imported += admin.import_vcards(USER, file).await.context("import")?;
        i += args.batch;
    }
    let import = t.elapsed();
    if imported as usize != args.contacts {
        bail!("imported {imported} contacts, expected {}", args.contacts);
    }
    let after_import = ProcStat::read(pid)?;
    println!(
        "imported {imported} contacts ({photos} with a photo, {:.1} MiB of vCard) in {:.1} s: server cpu {:.3} ms/contact, peak rss {:.1} MiB",
        file_bytes as f64 / 1048576.0,
        import.as_secs_f64(),
        per_item(after_import.cpu - started.cpu, args.contacts),
        mib(after_import.hwm_kib)
    );

    ProcStat::reset_peak(pid)?;
    let before = ProcStat::read(pid)?;
    let t = Instant::now();
    let conn = Connection::new(Endpoint::parse(&server.eas_url)?, None);
    let mut phone = Phone::new(conn, USER, PASSWORD, "contactsbench1", &args.version);
    phone.provision().await.context("provision")?;
    let folder = phone
        .folder_sync()
        .await
        .context("foldersync")?
        .into_iter()
        .find(|f| f.kind == 9)
        .map(|f| f.server_id)
        .context("no Contacts folder")?;
    let opts = SyncOptions {
        window: args.window,
        filter: None,
        body: Some((1, 32_768)),
    };
    let mut client_time = Duration::ZERO;
    let (first, d) = eas_load::phone::timed(phone.sync(&folder, "0", opts)).await;
    client_time += d;
    let mut key = first?.key;
    let (mut items, mut windows, mut wire) = (0usize, 0usize, 0usize);
    loop {
        let (page, d) = eas_load::phone::timed(phone.sync(&folder, &key, opts)).await;
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
    if items != args.contacts {
        bail!("synced {items} contacts, expected {}", args.contacts);
    }
    println!(
        "synced {items} contacts in {windows} windows of {} ({:.1} MiB of wbxml)",
        args.window,
        wire as f64 / 1048576.0
    );
    println!(
        "  total wall time (provision, foldersync, sync 0, windows): {:.2} s",
        total.as_secs_f64()
    );
    println!(
        "  client-observed time per contact (sync requests only): {:.3} ms",
        per_item(client_time, items)
    );
    println!(
        "  server cpu (utime+stime) per contact: {:.3} ms ({:.2} s in all)",
        per_item(after.cpu - before.cpu, items),
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
