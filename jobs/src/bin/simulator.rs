//! `simulator`: the Helix-compatible simulator as its own process.
//!
//! ```sh
//! cargo run -p streamlens-jobs --bin simulator -- --listen 127.0.0.1:7000 --channels 10000 --speed 60
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::Parser;
use streamlens_jobs::simulator::{self, Faults, SimulatorConfig, WorldConfig};

/// A Helix-compatible simulator of a live-stream platform.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "SIMULATOR_LISTEN", default_value = "127.0.0.1:7000")]
    listen: SocketAddr,
    /// Seed of the world: the same seed, the same world.
    #[arg(long, env = "SIMULATOR_SEED", default_value_t = 2026)]
    seed: u64,
    /// Channels in the world.
    #[arg(long, env = "SIMULATOR_CHANNELS", default_value_t = 2_000)]
    channels: usize,
    /// How many times faster than real time the clock runs.
    #[arg(long, env = "SIMULATOR_SPEED", default_value_t = 1.0)]
    speed: f64,
    /// Simulated time at start (RFC 3339); default now.
    #[arg(long, env = "SIMULATOR_START")]
    start: Option<DateTime<Utc>>,
    /// The app's client id.
    #[arg(long, env = "SIMULATOR_CLIENT_ID", default_value = "streamlens-simulator")]
    client_id: String,
    /// The app's client secret.
    #[arg(long, env = "SIMULATOR_CLIENT_SECRET", default_value = "streamlens-simulator-secret")]
    client_secret: String,
    /// Token lifetime in seconds.
    #[arg(long, default_value_t = 5_184_000)]
    token_ttl: u64,
    /// Bearer token `/v1/snapshots` requires (none by default).
    #[arg(long, env = "SIMULATOR_HISTORY_TOKEN")]
    history_token: Option<String>,
    /// Rate-limit points per minute per client.
    #[arg(long, default_value_t = 800)]
    rate_limit: u32,
    /// A TOML file of faults to inject (keys: rate_limit_burst_rate, rate_limit_burst_len, server_error_rate,
    /// slow_page_rate, slow_page_delay (ms), malformed_rate, duplicate_rate, skip_rate).
    #[arg(long)]
    faults: Option<PathBuf>,
    /// Inject every fault at the rates the fault tests use.
    #[arg(long, conflicts_with = "faults")]
    chaos: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
        .init();
    let faults = match (&args.faults, args.chaos) {
        (_, true) => Faults::chaos(),
        (Some(path), false) => match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| toml::from_str::<Faults>(&text).map_err(|e| e.to_string()))
        {
            Ok(faults) => faults,
            Err(error) => {
                eprintln!("simulator: --faults {}: {error}", path.display());
                return ExitCode::from(2);
            }
        },
        (None, false) => Faults::default(),
    };
    let config = SimulatorConfig {
        world: WorldConfig {
            seed: args.seed,
            channels: args.channels,
            ..WorldConfig::default()
        },
        start: args.start,
        speed: args.speed,
        client_id: args.client_id,
        client_secret: args.client_secret,
        token_ttl: Duration::from_secs(args.token_ttl),
        history_token: args.history_token,
        rate_limit_per_minute: args.rate_limit,
        faults,
        ..SimulatorConfig::default()
    };
    let handle = match simulator::spawn(config, args.listen).await {
        Ok(handle) => handle,
        Err(error) => {
            eprintln!("simulator: cannot listen on {}: {error}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(url = %handle.base_url, channels = args.channels, speed = args.speed, "simulator listening");
    streamlens_jobs::shutdown::signal().await;
    handle.stop().await;
    ExitCode::SUCCESS
}
