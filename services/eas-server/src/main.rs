//! `eas-server`: the whole EAS server in one process (SQLite for every store), plus the
//! admin command line that talks to a running server's admin API.

mod admin_cli;
mod app;
mod config;
mod data_dir;

use clap::{Parser, Subcommand};

/// jemalloc: held Pings are many small, long-lived allocations; it keeps them compact. Its
/// background thread (the `background_threads` feature) returns freed pages to the kernel while
/// the process is idle: a held Ping allocates nothing, so without it an edge would keep the
/// memory of its last burst for as long as its Pings are held.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(
    name = "eas-server",
    version,
    about = "Exchange ActiveSync server, all services in one process"
)]
struct Cli {
    /// Configuration file (TOML); `EAS_`-prefixed environment variables override it.
    #[arg(long, short, env = "EAS_CONFIG", global = true)]
    config: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Option<Cmd>,
}

// Parsed once per process: the size of the admin arguments costs nothing worth a Box (which
// clap's derive would not take as a subcommand payload anyway).
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Cmd {
    /// Run the server (the default).
    Serve,
    /// Administer a running server through its admin API.
    Admin(admin_cli::AdminArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = config::Settings::load(cli.config.as_deref())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command.unwrap_or(Cmd::Serve) {
        Cmd::Serve => {
            eas_service_kit::init_tracing(&settings.log, settings.log_format);
            // OpenTelemetry traces when the OTEL_* variables ask for them (docs/observability.md).
            let telemetry = {
                let _entered = runtime.enter();
                eas_service_kit::telemetry::init("eas-server")
            };
            let served = runtime.block_on(async {
                let app = app::Application::build(settings).await?;
                app.run_until_stopped().await
            });
            telemetry.shutdown();
            served
        }
        Cmd::Admin(args) => runtime.block_on(admin_cli::run(&settings, args)),
    }
}
