//! The gateway under load: this process drives the `streamlens` binary (a second process, the all-in-one run of the
//! README on the embedded default) over loopback.
//!
//! Run with `scripts/bench.sh gateway` (or `cargo bench -p streamlens-api --bench gateway`); `docs/BENCHMARKS.md` has
//! the figures.
//!
//! - The dashboard query (the day's top 20 channels with their games) for 10 s from 32 concurrent keep-alive
//!   connections: answered from the response cache (the same query every time); uncached (each request names a
//!   different instant of the same day in `at`, so every one misses the response cache and is executed, reading its
//!   ranking page, channels and games through the entity cache); and, in the same run, a plain axum handler (this
//!   binary again, as a third process) answering the same bytes. Requests a second and latency percentiles of each.
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

struct Load {
    requests: usize,
    seconds: f64,
    p50_ms: f64,
    p99_ms: f64,
    failures: usize,
}

/// Posts `body(n)` to `url` from `connections` connections for `LOAD_FOR`.
async fn load(
    url: &str,
    connections: usize,
    expected: &[u8],
    body: impl Fn(usize) -> Vec<u8> + Send + Sync + 'static,
) -> Load {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .build()
        .unwrap();
    let body = Arc::new(body);
    let counter = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let expected = Arc::new(expected.to_vec());
    let started = Instant::now();
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let (client, url, body, counter, expected) = (
                client.clone(),
                url.to_owned(),
                Arc::clone(&body),
                Arc::clone(&counter),
                Arc::clone(&expected),
            );
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut failures = 0;
                while started.elapsed() < LOAD_FOR {
                    let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let sent = Instant::now();
                    let response = client
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(body(n))
                        .send()
                        .await;
                    let ok = match response {
                        // A new series may change the day's figures during the run: an answer counts when it is a
                        // whole ranking of the same size.
                        Ok(r) if r.status().is_success() => {
                            r.bytes().await.is_ok_and(|b| b.len().abs_diff(expected.len()) < 512)
                        }
                        _ => false,
                    };
                    latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                    if !ok {
                        failures += 1;
                    }
                }
                (latencies, failures)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut failures = 0;
    for task in tasks {
        let (l, f) = task.await.unwrap();
        latencies.extend(l);
        failures += f;
    }
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Load {
        requests: latencies.len(),
        seconds,
        p50_ms: at(0.50),
        p99_ms: at(0.99),
        failures,
    }
}

fn report(name: &str, load: &Load) -> f64 {
    let rate = load.requests as f64 / load.seconds;
    println!(
        "{name:<28} {rate:>9.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms   ({} requests, {} wrong answers)",
        load.p50_ms, load.p99_ms, load.requests, load.failures
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
        "dashboard query: the day's top 20 channels with games ({} bytes); {CONCURRENCY} connections, {} s each",
        expected.len(),
        LOAD_FOR.as_secs()
    );

    // The same day, a different instant each request: the same answer, a new cache key every time.
    let day_start = chrono::Utc::now().date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc();
    let plain = report(
        "plain axum handler",
        &load(
            &format!("http://127.0.0.1:{PLAIN_PORT}/graphql"),
            CONCURRENCY,
            &expected,
            |_| request_body(None),
        )
        .await,
    );
    let cached = report(
        "gateway, cached",
        &load(&url, CONCURRENCY, &expected, |_| request_body(None)).await,
    );
    let uncached_answer = {
        let at = (day_start + chrono::Duration::milliseconds(1)).to_rfc3339();
        let answer = client
            .post(&url)
            .header("content-type", "application/json")
            .body(request_body(Some(at)))
            .send()
            .await
            .unwrap();
        answer.bytes().await.unwrap().to_vec()
    };
    let uncached = report(
        "gateway, uncached",
        &load(&url, CONCURRENCY, &uncached_answer, move |n| {
            let at = day_start + chrono::Duration::milliseconds(2 + n as i64);
            request_body(Some(at.to_rfc3339()))
        })
        .await,
    );
    // The same at a light load: latency without queueing behind 31 other requests on two cores.
    report(
        "gateway, uncached, 4 conns",
        &load(&url, 4, &uncached_answer, move |n| {
            let at = day_start + chrono::Duration::milliseconds(50_000_000 + n as i64);
            request_body(Some(at.to_rfc3339()))
        })
        .await,
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
