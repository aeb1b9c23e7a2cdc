//! The gateway under load: this process drives the `streamlens` binary (a second process, the all-in-one run of the
//! README on the embedded default) over loopback.
//!
//! Run with `scripts/bench.sh gateway` (or `cargo bench -p streamlens-api --bench gateway`); `docs/BENCHMARKS.md` has
//! the figures.
//!
//! - The dashboard query (the day's top 20 channels with their games) for 10 s from 32 concurrent keep-alive
//!   connections, sent by wrk (a third process; `wrk-graphql.lua` beside this file): answered from the response
//!   cache (the same query every time); uncached (each request names a different instant of the same day in `at`,
//!   so every one misses the response cache and is executed, reading its ranking page, channels and games through
//!   the entity cache); and, in the same run, a plain axum handler (this binary again, as a fourth process)
//!   answering the same bytes. The plain handler and the cached gateway take five 2-second turns each, alternating,
//!   and their medians are compared. Requests a second and latency percentiles of each.
//! - 1,000 websocket subscribers (`graphql-transport-ws`) of `seriesReady`: how many receive each of the next two
//!   series, and the server's resident memory (`VmRSS`, `VmHWM`) under that load.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::print_stdout, missing_docs)]

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

const GATEWAY_PORT: u16 = 17_781;
const PLAIN_PORT: u16 = 17_782;
const CONCURRENCY: usize = 32;
const LOAD_FOR: Duration = Duration::from_secs(10);
/// The plain handler and the cached gateway take turns, this many rounds of `LOAD_FOR / ROUNDS` each: a machine whose
/// speed drifts (neighbours, frequency) then weighs on both alike, and the medians are compared.
const ROUNDS: u32 = 5;
const SUBSCRIBERS: usize = 1_000;

const DASHBOARD: &str = "query($at: DateTime) { rankings(entity: CHANNEL, period: DAY, at: $at, first: 20) { \
    totalCount edges { node { rank value rankChange channel { login displayName game { name } } } } } }";

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn status_kb(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// CPU time of process `pid` so far (user and system), from `/proc/{pid}/stat`.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name (which may hold spaces), from the third on: utime and stime are 14 and 15.
    let after_name = stat.rsplit_once(") ").map_or("", |(_, rest)| rest);
    let ticks: u64 = after_name
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|t| t.parse::<u64>().ok())
        .sum();
    // Linux counts in clock ticks of 1/100 s (USER_HZ).
    Duration::from_millis(ticks * 10)
}

/// Waits until process `pid` uses under 5 % of a core over a second, at most `limit`; says how it went.
async fn wait_until_idle(pid: u32, limit: Duration) -> String {
    let started = Instant::now();
    while started.elapsed() < limit {
        let before = cpu_time(pid);
        tokio::time::sleep(Duration::from_secs(1)).await;
        let used = cpu_time(pid).saturating_sub(before);
        if used < Duration::from_millis(50) {
            return format!("idle after {:.0} s", started.elapsed().as_secs_f64());
        }
    }
    format!("still busy after {} s; measuring anyway", limit.as_secs())
}

/// `serve-plain PORT FILE`: answers every POST /graphql with the bytes of FILE, as JSON.
async fn serve_plain(port: u16, file: &str) {
    let body = bytes::Bytes::from(std::fs::read(file).expect("body file"));
    let router = axum::Router::new().route(
        "/graphql",
        axum::routing::post(move || {
            let body = body.clone();
            async move { ([(axum::http::header::CONTENT_TYPE, "application/json")], body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("bind");
    axum::serve(listener, router).await.expect("serve");
}

/// What one row of load gave: wrk's figures.
#[derive(serde::Deserialize)]
struct Load {
    requests: u64,
    duration_us: u64,
    /// Bytes read, headers included.
    bytes: u64,
    p50_us: u64,
    p99_us: u64,
    /// Connection errors, timeouts and answers other than 2xx.
    failures: u64,
}

/// What each request of a row posts.
enum Body {
    /// The same bytes every time.
    Fixed(Vec<u8>),
    /// The dashboard query at a different instant of `day` each time, from `offset_ms` into the day.
    Instants { day: chrono::NaiveDate, offset_ms: u64 },
}

/// Loads `url` with wrk (a second process: C, two threads, far lighter than a client in this process) from
/// `connections` keep-alive connections for `duration`; `api/benches/wrk-graphql.lua` builds the requests and prints
/// the figures.
fn load(url: &str, connections: usize, duration: Duration, body: &Body) -> Load {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/wrk-graphql.lua");
    let mut wrk = Command::new("wrk");
    wrk.args([
        format!("--threads={}", connections.min(2)),
        format!("--connections={connections}"),
        // wrk counts whole seconds.
        format!("--duration={}s", duration.as_secs().max(1)),
        "--latency".into(),
        format!("--script={script}"),
        url.into(),
    ]);
    match body {
        Body::Fixed(bytes) => {
            wrk.env("WRK_BODY", String::from_utf8(bytes.clone()).unwrap());
        }
        Body::Instants { day, offset_ms } => {
            let template = String::from_utf8(request_body(Some("@AT@".into()))).unwrap();
            let (before, after) = template.split_once("@AT@").unwrap();
            wrk.env("WRK_BEFORE", before)
                .env("WRK_AFTER", after)
                .env("WRK_DAY", day.to_string())
                .env("WRK_OFFSET", offset_ms.to_string());
        }
    }
    let output = wrk
        .output()
        .expect("wrk is needed for the load (Debian: apt-get install wrk; scripts/bench.sh installs it)");
    assert!(
        output.status.success(),
        "wrk: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .expect("wrk's figures");
    serde_json::from_str(line).expect("wrk's figures")
}

/// The median of `values` (sorted in place).
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Prints a row; returns its requests a second. An answer is counted wrong when wrk saw an error or a status other
/// than 2xx; answers shorter on average than `expected` (an error instead of the ranking) fail the benchmark.
fn report(name: &str, load: &Load, expected: &[u8]) -> f64 {
    let rate = load.requests as f64 / (load.duration_us as f64 / 1e6);
    println!(
        "{name:<28} {rate:>9.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms   ({} requests, {} wrong answers)",
        load.p50_us as f64 / 1000.0,
        load.p99_us as f64 / 1000.0,
        load.requests,
        load.failures
    );
    let average = load.bytes / load.requests.max(1);
    assert!(
        average >= expected.len() as u64,
        "{name}: {average} bytes an answer, headers included, for a ranking of {} bytes",
        expected.len()
    );
    rate
}

fn request_body(at: Option<String>) -> Vec<u8> {
    serde_json::to_vec(&json!({ "query": DASHBOARD, "variables": { "at": at } })).unwrap()
}

async fn subscriber(
    base: String,
    received: Arc<[std::sync::atomic::AtomicUsize; 2]>,
    ready: Arc<tokio::sync::Barrier>,
) {
    let url = format!("{}/graphql", base.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("websocket");
    socket
        .send(Message::text(
            json!({ "type": "connection_init", "payload": {} }).to_string(),
        ))
        .await
        .unwrap();
    let _ack = socket.next().await;
    socket
        .send(Message::text(
            json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { seriesReady { series } }" } })
                .to_string(),
        ))
        .await
        .unwrap();
    ready.wait().await;
    let mut seen = 0;
    while seen < 2 {
        match socket.next().await {
            Some(Ok(Message::Text(text))) => {
                let message: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                if message["type"] == "next" {
                    received[seen].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    seen += 1;
                }
            }
            Some(Ok(Message::Ping(data))) => {
                let _ = socket.send(Message::Pong(data)).await;
            }
            Some(Ok(_)) => {}
            _ => break,
        }
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("serve-plain") {
        serve_plain(args[2].parse().expect("port"), &args[3]).await;
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let gateway = Killed(
        Command::new(env!("CARGO_BIN_EXE_streamlens"))
            .env("STREAMLENS_DATA_DIR", dir.path())
            .env("STREAMLENS_LISTEN", format!("127.0.0.1:{GATEWAY_PORT}"))
            .env("STREAMLENS_RATE_LIMIT", "0")
            .env("STREAMLENS_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("streamlens"),
    );
    let pid = gateway.0.id();
    let base = format!("http://127.0.0.1:{GATEWAY_PORT}");
    let url = format!("{base}/graphql");
    let client = reqwest::Client::new();

    // The day's ranking appears once the first series and its day roll-up are done.
    let deadline = Instant::now() + Duration::from_secs(180);
    let expected = loop {
        let answer = client
            .post(&url)
            .header("content-type", "application/json")
            .body(request_body(None))
            .send()
            .await;
        if let Ok(answer) = answer {
            let bytes = answer.bytes().await.unwrap_or_default();
            let json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            if json["data"]["rankings"]["edges"]
                .as_array()
                .is_some_and(|e| e.len() == 20)
            {
                break bytes.to_vec();
            }
        }
        assert!(
            Instant::now() < deadline,
            "no day ranking of 20 channels after 3 minutes"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    // The first series' day, week and month roll-ups follow it in jobs of the same process: the rows start once the
    // gateway has settled (under 5 % of a core for a second), so they measure answers, not the roll-ups beside them.
    let settled = wait_until_idle(pid, Duration::from_secs(60)).await;
    println!("gateway settled after the first series: {settled}");
    let idle_rss = status_kb(pid, "VmRSS:");
    let file = dir.path().join("dashboard.json");
    std::fs::write(&file, &expected).unwrap();
    let _plain = Killed(
        Command::new(std::env::current_exe().unwrap())
            .args(["serve-plain", &PLAIN_PORT.to_string(), &file.display().to_string()])
            .spawn()
            .expect("plain server"),
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    println!(
        "dashboard query: the day's top 20 channels with games ({} bytes); {CONCURRENCY} connections from wrk, {} s \
         a row (the plain handler and the cached gateway in {ROUNDS} alternating turns)",
        expected.len(),
        LOAD_FOR.as_secs()
    );

    // The same day, a different instant each request: the same answer, a new cache key every time.
    let day = chrono::Utc::now().date_naive();
    let plain_url = format!("http://127.0.0.1:{PLAIN_PORT}/graphql");
    let fixed = Body::Fixed(request_body(None));
    let (mut plain_rounds, mut cached_rounds) = (Vec::new(), Vec::new());
    for round in 1..=ROUNDS {
        let turn = LOAD_FOR / ROUNDS;
        let plain = report(
            &format!("plain axum handler, {round}"),
            &load(&plain_url, CONCURRENCY, turn, &fixed),
            &expected,
        );
        let cached = report(
            &format!("gateway, cached, {round}"),
            &load(&url, CONCURRENCY, turn, &fixed),
            &expected,
        );
        plain_rounds.push(plain);
        cached_rounds.push(cached);
    }
    let (plain, cached) = (median(&mut plain_rounds), median(&mut cached_rounds));
    println!(
        "medians of {ROUNDS} rounds: plain axum handler {plain:.0} req/s, gateway cached {cached:.0} req/s ({:.2}x)",
        cached / plain
    );
    let uncached = report(
        "gateway, uncached",
        &load(&url, CONCURRENCY, LOAD_FOR, &Body::Instants { day, offset_ms: 0 }),
        &expected,
    );
    // The same at a light load: latency without queueing behind 31 other requests on two cores.
    report(
        "gateway, uncached, 4 conns",
        &load(
            &url,
            4,
            LOAD_FOR,
            &Body::Instants {
                day,
                offset_ms: 50_000_000,
            },
        ),
        &expected,
    );
    println!(
        "cached / plain: {:.2}; uncached / plain: {:.2}; gateway RSS idle {:.1} MB, after the load {:.1} MB",
        cached / plain,
        uncached / plain,
        idle_rss as f64 / 1024.0,
        status_kb(pid, "VmRSS:") as f64 / 1024.0
    );

    // 1,000 subscribers, each waiting for the next two series.
    let received = Arc::new([
        std::sync::atomic::AtomicUsize::new(0),
        std::sync::atomic::AtomicUsize::new(0),
    ]);
    let ready = Arc::new(tokio::sync::Barrier::new(SUBSCRIBERS + 1));
    let connecting = Instant::now();
    let subscribers: Vec<_> = (0..SUBSCRIBERS)
        .map(|_| tokio::spawn(subscriber(base.clone(), Arc::clone(&received), Arc::clone(&ready))))
        .collect();
    ready.wait().await;
    println!(
        "{SUBSCRIBERS} subscribers connected and subscribed in {:.2} s; gateway RSS {:.1} MB",
        connecting.elapsed().as_secs_f64(),
        status_kb(pid, "VmRSS:") as f64 / 1024.0
    );
    let waited = tokio::time::timeout(Duration::from_secs(150), futures::future::join_all(subscribers)).await;
    println!(
        "series 1 reached {} of {SUBSCRIBERS}, series 2 reached {} of {SUBSCRIBERS}{}; gateway RSS {:.1} MB, peak {:.1} MB",
        received[0].load(std::sync::atomic::Ordering::Relaxed),
        received[1].load(std::sync::atomic::Ordering::Relaxed),
        if waited.is_err() {
            " (timed out after 150 s)"
        } else {
            ""
        },
        status_kb(pid, "VmRSS:") as f64 / 1024.0,
        status_kb(pid, "VmHWM:") as f64 / 1024.0
    );
}
