//! The simulator: a Helix-compatible HTTP server over a deterministic simulated platform, with fault injection.
//!
//! It speaks what Streamlens' clients speak to the real thing, so the same code paths run against both:
//!
//! - `POST /oauth2/token` (client credentials) issues app tokens; `GET /helix/streams`, `/helix/games` and
//!   `/helix/users` require `Client-Id` and `Authorization: Bearer`, answer with Helix's bodies, opaque cursors and
//!   rate-limit headers (`Ratelimit-Limit`, `-Remaining`, `-Reset`; 429 when the bucket is empty);
//! - `GET /v1/snapshots?from=&to=&cursor=` serves the past as the `history` source contract describes.
//!
//! - [`world`]: the simulated channels, broadcasts and viewers, a pure function of seed, channel and minute.
//! - [`games`]: the game mix, calibrated on published figures.
//! - [`clock`]: simulated time, real or faster.
//! - [`faults`]: 429 bursts, 5xx, slow pages, malformed bodies, duplicated or skipped entries across pages.
//! - [`helix_api`] and [`history_api`]: the handlers.
//!
//! Run it in-process with [`spawn`], or as its own process with the `simulator` binary.

pub mod clock;
pub mod faults;
pub mod games;
pub mod helix_api;
pub mod history_api;
pub mod world;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use tokio::net::TcpListener;

pub use clock::SimClock;
pub use faults::Faults;
pub use world::{World, WorldConfig};

use world::LiveStream;

/// Everything the simulator is set up with.
#[derive(Debug, Clone)]
pub struct SimulatorConfig {
    /// The world to simulate.
    pub world: WorldConfig,
    /// Simulated time at start-up (default: now).
    pub start: Option<DateTime<Utc>>,
    /// How much faster than real time the clock runs.
    pub speed: f64,
    /// The app's client id, accepted by `/oauth2/token` and required in `Client-Id`.
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: String,
    /// Lifetime of issued tokens (Twitch's are about 60 days).
    pub token_ttl: Duration,
    /// A bearer token `/v1/snapshots` requires, if any.
    pub history_token: Option<String>,
    /// Points per minute in each client's rate-limit bucket (Twitch gives app tokens 800).
    pub rate_limit_per_minute: u32,
    /// Most streams one `/v1/snapshots` page carries (whole snapshots; at least one per page).
    pub history_page_records: usize,
    /// The faults to inject.
    pub faults: Faults,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        Self {
            world: WorldConfig::default(),
            start: None,
            speed: 1.0,
            client_id: "streamlens-simulator".into(),
            client_secret: "streamlens-simulator-secret".into(),
            token_ttl: Duration::from_secs(60 * 24 * 3600),
            history_token: None,
            rate_limit_per_minute: 800,
            history_page_records: 20_000,
            faults: Faults::default(),
        }
    }
}

/// A client's rate-limit bucket.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    points: f64,
    refreshed: Instant,
}

/// The shared state of a running simulator.
#[derive(Debug)]
pub struct Simulator {
    config: SimulatorConfig,
    world: World,
    clock: SimClock,
    /// Issued tokens: token → (client id, expiry).
    tokens: Mutex<HashMap<String, (String, Instant)>>,
    buckets: Mutex<HashMap<String, Bucket>>,
    requests: AtomicU64,
    burst_left: AtomicU32,
    /// The last few snapshots, so paging through one minute computes it once.
    snapshots: Mutex<SnapshotCache>,
}

/// Recent snapshots by minute.
type SnapshotCache = VecDeque<(DateTime<Utc>, Arc<Vec<LiveStream>>)>;

impl Simulator {
    /// A simulator for `config`.
    pub fn new(config: SimulatorConfig) -> Self {
        let clock = SimClock::new(config.start.unwrap_or_else(Utc::now), config.speed);
        Self {
            world: World::new(config.world.clone()),
            clock,
            config,
            tokens: Mutex::new(HashMap::new()),
            buckets: Mutex::new(HashMap::new()),
            requests: AtomicU64::new(0),
            burst_left: AtomicU32::new(0),
            snapshots: Mutex::new(VecDeque::new()),
        }
    }

    /// The simulated world.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// The simulated time now.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The settings.
    pub fn config(&self) -> &SimulatorConfig {
        &self.config
    }

    /// Everything live at `minute`, most viewers first; cached for the last few minutes asked for.
    pub fn snapshot(&self, minute: DateTime<Utc>) -> Arc<Vec<LiveStream>> {
        {
            let cache = self.snapshots.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some((_, snapshot)) = cache.iter().find(|(m, _)| *m == minute) {
                return Arc::clone(snapshot);
            }
        }
        let snapshot = Arc::new(self.world.snapshot(minute));
        let mut cache = self.snapshots.lock().unwrap_or_else(PoisonError::into_inner);
        cache.push_back((minute, Arc::clone(&snapshot)));
        while cache.len() > 4 {
            cache.pop_front();
        }
        snapshot
    }

    /// Counts a request and draws its fault.
    fn next_fault(&self) -> faults::Draw {
        let n = self.requests.fetch_add(1, Ordering::Relaxed);
        if self.burst_left.load(Ordering::Relaxed) > 0 {
            self.burst_left.fetch_sub(1, Ordering::Relaxed);
            return faults::Draw::RateLimitBurst;
        }
        let draw = self.config.faults.draw(self.config.world.seed, n);
        if draw == faults::Draw::RateLimitBurst {
            let len = self.config.faults.rate_limit_burst_len.max(1);
            self.burst_left.store(len - 1, Ordering::Relaxed);
        }
        draw
    }

    /// How many requests the simulator has answered or refused.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Issues a token for `client_id`.
    fn issue_token(&self, client_id: &str) -> String {
        let token = uuid::Uuid::new_v4().simple().to_string();
        let expiry = Instant::now() + self.config.token_ttl;
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(token.clone(), (client_id.to_owned(), expiry));
        token
    }

    /// Revokes every issued token, as Twitch does when an app's secret is rotated: clients must fetch new ones.
    pub fn revoke_tokens(&self) {
        self.tokens.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }

    /// Whether `token` is live and belongs to `client_id`.
    fn token_valid(&self, token: &str, client_id: &str) -> bool {
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(token)
            .is_some_and(|(client, expiry)| client == client_id && *expiry > Instant::now())
    }

    /// Takes one point from `client_id`'s bucket: `(allowed, remaining, seconds until full)`.
    fn take_point(&self, client_id: &str) -> (bool, u32, u64) {
        let capacity = f64::from(self.config.rate_limit_per_minute.max(1));
        let per_second = capacity / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let bucket = buckets.entry(client_id.to_owned()).or_insert(Bucket {
            points: capacity,
            refreshed: Instant::now(),
        });
        let now = Instant::now();
        bucket.points = (bucket.points + now.duration_since(bucket.refreshed).as_secs_f64() * per_second).min(capacity);
        bucket.refreshed = now;
        let allowed = bucket.points >= 1.0;
        if allowed {
            bucket.points -= 1.0;
        }
        let until_full = ((capacity - bucket.points) / per_second).ceil() as u64;
        (allowed, bucket.points.floor() as u32, until_full)
    }
}

/// The simulator's routes.
pub fn router(simulator: Arc<Simulator>) -> Router {
    Router::new()
        .route("/oauth2/token", post(helix_api::token))
        .route("/helix/streams", get(helix_api::streams))
        .route("/helix/games", get(helix_api::games))
        .route("/helix/users", get(helix_api::users))
        .route("/v1/snapshots", get(history_api::snapshots))
        .with_state(simulator)
}

/// A simulator serving on a local port until dropped or stopped.
#[derive(Debug)]
pub struct SimulatorHandle {
    /// Its base URL, e.g. `http://127.0.0.1:41234`.
    pub base_url: String,
    /// The shared state (for the world and the clock).
    pub simulator: Arc<Simulator>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl SimulatorHandle {
    /// The token URL to configure a Helix client with.
    pub fn token_url(&self) -> String {
        format!("{}/oauth2/token", self.base_url)
    }

    /// Stops serving and waits for the server to finish.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for SimulatorHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts a simulator on `address` (port 0 for any free port) in this process.
pub async fn spawn(config: SimulatorConfig, address: SocketAddr) -> std::io::Result<SimulatorHandle> {
    let listener = TcpListener::bind(address).await?;
    let base_url = format!("http://{}", listener.local_addr()?);
    let simulator = Arc::new(Simulator::new(config));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let app = router(Arc::clone(&simulator));
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    Ok(SimulatorHandle {
        base_url,
        simulator,
        stop: Some(stop),
        task,
    })
}
