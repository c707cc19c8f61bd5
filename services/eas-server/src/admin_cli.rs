//! `eas-server admin ...`: the admin command line, a thin client of the admin HTTP API.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::{json, Value};

use crate::config::Settings;

#[derive(Args)]
pub struct AdminArgs {
    /// Base URL of the admin API (default: the configured `admin_listen`).
    #[arg(long, env = "EAS_ADMIN_URL")]
    url: Option<String>,
    /// Admin token (default: `EAS_ADMIN_TOKEN`, else the file `admin-token` in the data directory).
    #[arg(long, env = "EAS_ADMIN_TOKEN", hide_env_values = true)]
    token: Option<String>,
    #[command(subcommand)]
    what: What,
}

#[derive(Subcommand)]
enum What {
    /// Mail domains.
    #[command(subcommand)]
    Domains(DomainCmd),
    /// User accounts, their GAL fields and photos.
    #[command(subcommand, alias = "user")]
    Users(UserCmd),
    /// Extra addresses of a user.
    #[command(subcommand)]
    Aliases(AliasCmd),
    /// Phones: list, approve, block, wipe.
    #[command(subcommand)]
    Devices(DeviceCmd),
    /// A user's address book: vCard import and export.
    #[command(subcommand)]
    Contacts(ContactsCmd),
    /// A user's calendars: iCalendar import and export, sharing with other users.
    #[command(subcommand)]
    Calendar(CalendarCmd),
}

#[derive(Subcommand)]
enum CalendarCmd {
    /// Adds every event of an iCalendar FILE to the user's calendar (an event whose UID is
    /// there already replaces it); phones get them on their next Sync.
    Import {
        user: String,
        file: std::path::PathBuf,
        /// A calendar as phones see it (`cal:7`); default: the Calendar.
        #[arg(long)]
        folder: Option<String>,
    },
    /// Writes the user's calendar to FILE as iCalendar (`-` for standard output).
    Export {
        user: String,
        file: std::path::PathBuf,
        #[arg(long)]
        folder: Option<String>,
    },
    /// Shares one of OWNER's calendars with GRANTEE (or changes the access of a share).
    Share {
        owner: String,
        grantee: String,
        /// read or read-write.
        #[arg(long, default_value = "read")]
        access: String,
        /// The owner's calendar as phones see it (`cal:7`); default: the Calendar.
        #[arg(long)]
        folder: Option<String>,
    },
    /// Withdraws a share.
    Unshare {
        owner: String,
        grantee: String,
        #[arg(long)]
        folder: Option<String>,
    },
    /// The shares of the user's calendars and those made to the user.
    Shares { user: String },
}

#[derive(Subcommand)]
enum ContactsCmd {
    /// Adds every vCard (2.1, 3.0 or 4.0) of FILE to the user's contacts; phones get them on
    /// their next Sync.
    Import {
        user: String,
        file: std::path::PathBuf,
        /// A contacts folder as phones see it (`con:7`); default: the Contacts folder.
        #[arg(long)]
        folder: Option<String>,
    },
    /// Writes the user's contacts to FILE as vCards (`-` for standard output).
    Export {
        user: String,
        file: std::path::PathBuf,
        #[arg(long)]
        folder: Option<String>,
        /// vCard version: 3 or 4.
        #[arg(long, default_value_t = 4)]
        version: u32,
    },
}

#[derive(Subcommand)]
enum DomainCmd {
    List,
    Add {
        name: String,
        /// allow_all, require_approval or block; default: the server's global policy.
        #[arg(long)]
        approval: Option<String>,
    },
    /// Set the device-approval policy of a domain (`inherit` for the global default).
    SetApproval {
        name: String,
        approval: String,
    },
    Delete {
        name: String,
    },
}

#[derive(Subcommand)]
enum UserCmd {
    List {
        #[arg(long)]
        domain: Option<String>,
    },
    Show {
        address: String,
    },
    Add {
        address: String,
        #[arg(long)]
        name: String,
        /// The password; read from standard input when omitted.
        #[arg(long)]
        password: Option<String>,
    },
    /// Set a new password (read from standard input when --password is omitted).
    Passwd {
        address: String,
        #[arg(long)]
        password: Option<String>,
    },
    Rename {
        address: String,
        name: String,
    },
    Disable {
        address: String,
    },
    Enable {
        address: String,
    },
    Delete {
        address: String,
    },
    /// Set what the global address list shows of a user; an empty value ("") clears a field,
    /// a field not given stays as it is.
    SetDirectory {
        address: String,
        #[arg(long)]
        first_name: Option<String>,
        #[arg(long)]
        last_name: Option<String>,
        /// Job title.
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        company: Option<String>,
        /// Office location.
        #[arg(long)]
        office: Option<String>,
        /// Business phone.
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        mobile: Option<String>,
        #[arg(long)]
        home_phone: Option<String>,
    },
    /// Set the user's photo from a JPEG or PNG file (at most 100 KB), or remove it.
    Photo {
        address: String,
        #[arg(required_unless_present = "clear")]
        file: Option<PathBuf>,
        /// Remove the photo.
        #[arg(long, conflicts_with = "file")]
        clear: bool,
    },
    /// Whether the user's devices are offered calendars other users shared: on, off, or
    /// default (each device type's default); a device's own setting wins.
    SharedCalendars {
        address: String,
        setting: String,
    },
    /// The user's own calendar time zone (an IANA name such as Europe/Paris, or default for
    /// the server's, edge.calendar.time_zone) and first day of the week.
    TimeZone {
        address: String,
        zone: String,
        /// 0 (Sunday) to 6 (Saturday); without it, the server's (edge.calendar.first_day_of_week).
        #[arg(long)]
        first_day_of_week: Option<u8>,
    },
}

#[derive(Subcommand)]
enum AliasCmd {
    Add { address: String, alias: String },
    Remove { alias: String },
}

#[derive(Subcommand)]
enum DeviceCmd {
    List {
        #[arg(long)]
        user: Option<String>,
        /// Only devices awaiting approval.
        #[arg(long)]
        pending: bool,
    },
    Show {
        user: String,
        device_id: String,
    },
    Approve {
        user: String,
        device_id: String,
    },
    Block {
        user: String,
        device_id: String,
    },
    Wipe {
        user: String,
        device_id: String,
        /// Remove only this account from the phone (protocol 16.1 phones).
        #[arg(long)]
        account_only: bool,
    },
    /// Forget the device; it must provision again.
    Remove {
        user: String,
        device_id: String,
    },
    /// Whether the device is offered calendars other users shared: on, off, or default (its
    /// device type's default, edge.calendar.shared_calendar_device_types).
    SharedCalendars {
        user: String,
        device_id: String,
        setting: String,
    },
}

/// What a request sends: JSON, or raw bytes (a photo).
enum Payload {
    Json(Value),
    Bytes(Vec<u8>),
}

impl From<Value> for Payload {
    fn from(v: Value) -> Self {
        Payload::Json(v)
    }
}

fn read_password(given: Option<String>) -> anyhow::Result<String> {
    if let Some(p) = given {
        return Ok(p);
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let p = line.trim_end_matches(['\r', '\n']).to_owned();
    if p.is_empty() {
        anyhow::bail!("empty password on standard input");
    }
    Ok(p)
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub async fn run(settings: &Settings, args: AdminArgs) -> anyhow::Result<()> {
    let base = args
        .url
        .unwrap_or_else(|| format!("http://{}", settings.admin_listen));
    let token = match args.token {
        Some(t) => t,
        None => std::fs::read_to_string(settings.data_dir.join("admin-token"))
            .map(|t| t.trim().to_owned())
            .map_err(|e| {
                anyhow::anyhow!("no admin token given and none in the data directory: {e}")
            })?,
    };
    let what = match args.what {
        What::Contacts(c) => return contacts(&base, &token, c).await,
        What::Calendar(CalendarCmd::Import { user, file, folder }) => {
            let path = format!(
                "/admin/users/{}/calendar/import?{}",
                enc(&user),
                folder_query(&folder)
            );
            return upload(&base, &token, &path, "text/calendar", &file).await;
        }
        What::Calendar(CalendarCmd::Export { user, file, folder }) => {
            let path = format!(
                "/admin/users/{}/calendar/export?{}",
                enc(&user),
                folder_query(&folder)
            );
            return download(&base, &token, &path, &file).await;
        }
        other => other,
    };
    let (method, path, body): (Method, String, Option<Payload>) = match what {
        What::Domains(c) => match c {
            DomainCmd::List => (Method::GET, "/admin/domains".into(), None),
            DomainCmd::Add { name, approval } => (
                Method::POST,
                "/admin/domains".into(),
                Some(json!({ "name": name, "approval": approval }).into()),
            ),
            DomainCmd::SetApproval { name, approval } => {
                let a = if approval == "inherit" {
                    Value::Null
                } else {
                    json!(approval)
                };
                (
                    Method::PATCH,
                    format!("/admin/domains/{}", enc(&name)),
                    Some(json!({ "approval": a }).into()),
                )
            }
            DomainCmd::Delete { name } => (
                Method::DELETE,
                format!("/admin/domains/{}", enc(&name)),
                None,
            ),
        },
        What::Users(c) => {
            match c {
                UserCmd::List { domain } => match domain {
                    Some(d) => (
                        Method::GET,
                        format!("/admin/users?domain={}", enc(&d)),
                        None,
                    ),
                    None => (Method::GET, "/admin/users".into(), None),
                },
                UserCmd::Show { address } => {
                    (Method::GET, format!("/admin/users/{}", enc(&address)), None)
                }
                UserCmd::Add {
                    address,
                    name,
                    password,
                } => {
                    let password = read_password(password)?;
                    (
                    Method::POST,
                    "/admin/users".into(),
                    Some(json!({ "address": address, "display_name": name, "password": password }).into()),
                )
                }
                UserCmd::Passwd { address, password } => {
                    let password = read_password(password)?;
                    (
                        Method::PATCH,
                        format!("/admin/users/{}", enc(&address)),
                        Some(json!({ "password": password }).into()),
                    )
                }
                UserCmd::Rename { address, name } => (
                    Method::PATCH,
                    format!("/admin/users/{}", enc(&address)),
                    Some(json!({ "display_name": name }).into()),
                ),
                UserCmd::Disable { address } => (
                    Method::PATCH,
                    format!("/admin/users/{}", enc(&address)),
                    Some(json!({ "disabled": true }).into()),
                ),
                UserCmd::Enable { address } => (
                    Method::PATCH,
                    format!("/admin/users/{}", enc(&address)),
                    Some(json!({ "disabled": false }).into()),
                ),
                UserCmd::Delete { address } => (
                    Method::DELETE,
                    format!("/admin/users/{}", enc(&address)),
                    None,
                ),
                UserCmd::SetDirectory {
                    address,
                    first_name,
                    last_name,
                    title,
                    company,
                    office,
                    phone,
                    mobile,
                    home_phone,
                } => {
                    let fields = [
                        ("first_name", first_name),
                        ("last_name", last_name),
                        ("title", title),
                        ("company", company),
                        ("office", office),
                        ("phone", phone),
                        ("mobile_phone", mobile),
                        ("home_phone", home_phone),
                    ];
                    let changes: serde_json::Map<String, Value> = fields
                        .into_iter()
                        .filter_map(|(name, value)| value.map(|v| (name.to_owned(), json!(v))))
                        .collect();
                    if changes.is_empty() {
                        anyhow::bail!("nothing to set: give at least one field, e.g. --title");
                    }
                    (
                        Method::PATCH,
                        format!("/admin/users/{}/directory", enc(&address)),
                        Some(Value::Object(changes).into()),
                    )
                }
                UserCmd::Photo {
                    address,
                    file,
                    clear,
                } => {
                    let path = format!("/admin/users/{}/photo", enc(&address));
                    match file {
                        Some(file) if !clear => {
                            let data = std::fs::read(&file)
                                .map_err(|e| anyhow::anyhow!("reading {}: {e}", file.display()))?;
                            (Method::PUT, path, Some(Payload::Bytes(data)))
                        }
                        _ => (Method::DELETE, path, None),
                    }
                }
                UserCmd::SharedCalendars { address, setting } => (
                    Method::POST,
                    format!("/admin/users/{}/shared-calendars", enc(&address)),
                    Some(json!({ "enabled": on_off_default(&setting)? }).into()),
                ),
                UserCmd::TimeZone {
                    address,
                    zone,
                    first_day_of_week,
                } => (
                    Method::PUT,
                    format!("/admin/users/{}/calendar-settings", enc(&address)),
                    Some(
                        json!({
                            "time_zone": Some(zone).filter(|z| z != "default"),
                            "first_day_of_week": first_day_of_week,
                        })
                        .into(),
                    ),
                ),
            }
        }
        What::Aliases(c) => match c {
            AliasCmd::Add { address, alias } => (
                Method::POST,
                format!("/admin/users/{}/aliases", enc(&address)),
                Some(json!({ "alias": alias }).into()),
            ),
            AliasCmd::Remove { alias } => (
                Method::DELETE,
                format!("/admin/aliases/{}", enc(&alias)),
                None,
            ),
        },
        What::Devices(c) => {
            let dev = |u: &str, d: &str| format!("/admin/devices/{}/{}", enc(u), enc(d));
            match c {
                DeviceCmd::List { user, pending } => {
                    let mut q = Vec::new();
                    if let Some(u) = user {
                        q.push(format!("user={}", enc(&u)));
                    }
                    if pending {
                        q.push("approval=pending".to_owned());
                    }
                    let qs = if q.is_empty() {
                        String::new()
                    } else {
                        format!("?{}", q.join("&"))
                    };
                    (Method::GET, format!("/admin/devices{qs}"), None)
                }
                DeviceCmd::Show { user, device_id } => (Method::GET, dev(&user, &device_id), None),
                DeviceCmd::Approve { user, device_id } => (
                    Method::POST,
                    format!("{}/approve", dev(&user, &device_id)),
                    None,
                ),
                DeviceCmd::Block { user, device_id } => (
                    Method::POST,
                    format!("{}/block", dev(&user, &device_id)),
                    None,
                ),
                DeviceCmd::Wipe {
                    user,
                    device_id,
                    account_only,
                } => (
                    Method::POST,
                    format!("{}/wipe", dev(&user, &device_id)),
                    Some(json!({ "account_only": account_only }).into()),
                ),
                DeviceCmd::Remove { user, device_id } => {
                    (Method::DELETE, dev(&user, &device_id), None)
                }
                DeviceCmd::SharedCalendars {
                    user,
                    device_id,
                    setting,
                } => (
                    Method::POST,
                    format!("{}/shared-calendars", dev(&user, &device_id)),
                    Some(json!({ "enabled": on_off_default(&setting)? }).into()),
                ),
            }
        }
        What::Calendar(c) => {
            let shares = |u: &str| format!("/admin/users/{}/calendar/shares", enc(u));
            match c {
                CalendarCmd::Share {
                    owner,
                    grantee,
                    access,
                    folder,
                } => (
                    Method::PUT,
                    shares(&owner),
                    Some(json!({ "grantee": grantee, "access": access, "folder": folder }).into()),
                ),
                CalendarCmd::Unshare {
                    owner,
                    grantee,
                    folder,
                } => (
                    Method::DELETE,
                    format!(
                        "{}?grantee={}&{}",
                        shares(&owner),
                        enc(&grantee),
                        folder_query(&folder)
                    ),
                    None,
                ),
                CalendarCmd::Shares { user } => (Method::GET, shares(&user), None),
                CalendarCmd::Import { .. } | CalendarCmd::Export { .. } => unreachable_files()?,
            }
        }
        What::Contacts(_) => unreachable_files()?,
    };
    let client = reqwest::Client::new();
    let mut req = client
        .request(method, format!("{}{}", base.trim_end_matches('/'), path))
        .bearer_auth(token);
    match body {
        Some(Payload::Json(b)) => req = req.json(&b),
        // The server tells JPEG from PNG by the bytes.
        Some(Payload::Bytes(data)) => {
            req = req
                .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                .body(data)
        }
        None => {}
    }
    let resp = req.send().await?;
    let status = resp.status();
    let text = resp.text().await?;
    let shown = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or(text);
    if !shown.is_empty() {
        // The command's output: a failed write is the command's error, not a panic.
        use std::io::Write;
        writeln!(std::io::stdout().lock(), "{shown}")
            .map_err(|e| anyhow::anyhow!("writing the answer to stdout: {e}"))?;
    }
    if !status.is_success() {
        anyhow::bail!("admin api answered {status}");
    }
    Ok(())
}

/// File uploads and downloads are answered before the JSON commands; reaching the JSON path with
/// one is a bug in this file, reported as an error rather than a panic.
fn unreachable_files() -> anyhow::Result<(Method, String, Option<Payload>)> {
    anyhow::bail!("file imports and exports are not JSON requests")
}

/// `on`, `off` or `default` as JSON `true`, `false` or `null`.
fn on_off_default(setting: &str) -> anyhow::Result<Value> {
    Ok(match setting {
        "on" => json!(true),
        "off" => json!(false),
        "default" => Value::Null,
        other => anyhow::bail!("{other:?}: on, off or default"),
    })
}

/// `folder=ID` for a query string, or nothing.
fn folder_query(folder: &Option<String>) -> String {
    folder
        .as_ref()
        .map(|f| format!("folder={}", enc(f)))
        .unwrap_or_default()
}

/// POSTs FILE to `path`; the answer goes to standard output.
async fn upload(
    base: &str,
    token: &str,
    path: &str,
    content_type: &str,
    file: &std::path::Path,
) -> anyhow::Result<()> {
    use std::io::Write;
    let data =
        std::fs::read(file).map_err(|e| anyhow::anyhow!("reading {}: {e}", file.display()))?;
    let resp = reqwest::Client::new()
        .post(format!("{}{path}", base.trim_end_matches('/')))
        .bearer_auth(token)
        .header("Content-Type", content_type)
        .body(data)
        .send()
        .await?;
    let status = resp.status();
    let text = resp.text().await?;
    writeln!(std::io::stdout().lock(), "{text}")
        .map_err(|e| anyhow::anyhow!("writing the answer to stdout: {e}"))?;
    if !status.is_success() {
        anyhow::bail!("admin api answered {status}");
    }
    Ok(())
}

/// GETs `path` into FILE (`-`: standard output); an error answer goes to standard error.
async fn download(
    base: &str,
    token: &str,
    path: &str,
    file: &std::path::Path,
) -> anyhow::Result<()> {
    use std::io::Write;
    let resp = reqwest::Client::new()
        .get(format!("{}{path}", base.trim_end_matches('/')))
        .bearer_auth(token)
        .send()
        .await?;
    let status = resp.status();
    let data = resp.bytes().await?;
    if !status.is_success() {
        let text = String::from_utf8_lossy(&data);
        writeln!(std::io::stderr().lock(), "{text}")
            .map_err(|e| anyhow::anyhow!("writing the answer to stderr: {e}"))?;
        anyhow::bail!("admin api answered {status}");
    }
    if file.as_os_str() == "-" {
        std::io::stdout()
            .lock()
            .write_all(&data)
            .map_err(|e| anyhow::anyhow!("writing to stdout: {e}"))?;
    } else {
        std::fs::write(file, &data)
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", file.display()))?;
    }
    Ok(())
}

/// `admin contacts import|export`: a vCard file up or down.
async fn contacts(base: &str, token: &str, cmd: ContactsCmd) -> anyhow::Result<()> {
    match cmd {
        ContactsCmd::Import { user, file, folder } => {
            let path = format!(
                "/admin/users/{}/contacts/import?{}",
                enc(&user),
                folder_query(&folder)
            );
            upload(base, token, &path, "text/vcard", &file).await
        }
        ContactsCmd::Export {
            user,
            file,
            folder,
            version,
        } => {
            let path = format!(
                "/admin/users/{}/contacts/export?version={version}&{}",
                enc(&user),
                folder_query(&folder)
            );
            download(base, token, &path, &file).await
        }
    }
}
