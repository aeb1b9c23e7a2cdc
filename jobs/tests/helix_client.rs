//! The Helix client against the simulator (tokens, paging, faults, lookups) and against crafted servers (Helix's
//! paging quirks).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde_json::json;
use streamlens_jobs::simulator::{self, Faults, SimulatorConfig, SimulatorHandle, WorldConfig};
use streamlens_jobs::sources::helix::{HelixClient, HelixSettings, PageResult, StopReason};
use streamlens_jobs::sources::http::{ApiError, RetryPolicy};

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 8,
        min_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(50),
        max_rate_limit_wait: Duration::from_secs(5),
    }
}

fn settings(base: &str, token_url: &str, client_id: &str, secret: &str) -> HelixSettings {
    HelixSettings {
        base_url: format!("{base}/helix"),
        token_url: token_url.to_owned(),
        client_id: client_id.to_owned(),
        client_secret: SecretString::from(secret.to_owned()),
        page_cap: 1_000,
        timeout: Duration::from_secs(5),
        retry: fast_retries(),
    }
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

async fn start(config: SimulatorConfig) -> (SimulatorHandle, HelixClient) {
    let sim = simulator::spawn(config.clone(), SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let client = HelixClient::new(settings(
        &sim.base_url,
        &sim.token_url(),
        &config.client_id,
        &config.client_secret,
    ))
    .unwrap();
    (sim, client)
}

/// A busy evening, frozen (speed ~0) so every page reads the same minute.
fn evening(channels: usize, faults: Faults) -> SimulatorConfig {
    SimulatorConfig {
        world: WorldConfig {
            channels,
            ..WorldConfig::default()
        },
        start: Some(at("2026-11-26T20:00:30Z")),
        speed: 0.001,
        faults,
        ..SimulatorConfig::default()
    }
}

/// Pages to the end; returns every distinct stream id and how many duplicates were dropped.
async fn pull_all(client: &HelixClient) -> (Vec<String>, usize, StopReason) {
    let mut pager = client.streams();
    let mut ids = Vec::new();
    let mut duplicates = 0;
    while let Some(result) = pager.next_page().await.unwrap() {
        match result {
            PageResult::Page(page) => {
                duplicates += page.duplicates;
                ids.extend(page.streams.into_iter().map(|s| s.id));
            }
            PageResult::Malformed(page) => {
                panic!("malformed page {}: {}", page.number, page.reason)
            }
        }
    }
    (ids, duplicates, pager.stop_reason().unwrap())
}

#[tokio::test]
async fn a_pull_reads_every_live_stream_once_in_viewer_order() {
    let (sim, client) = start(evening(2_000, Faults::default())).await;
    let (ids, duplicates, stop) = pull_all(&client).await;
    let expected: Vec<String> = sim
        .simulator
        .snapshot(at("2026-11-26T20:00:00Z"))
        .iter()
        .map(|s| s.stream_id.clone())
        .collect();
    assert!(expected.len() > 300);
    assert_eq!(ids, expected);
    assert_eq!((duplicates, stop), (0, StopReason::End));
}

#[tokio::test]
async fn faults_are_survived_and_duplicates_counted_once() {
    let (sim, client) = start(evening(3_000, Faults::chaos())).await;
    let (ids, duplicates, _) = pull_all(&client).await;
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "a stream came twice");
    assert_eq!(ids.len(), sim.simulator.snapshot(at("2026-11-26T20:00:00Z")).len());
    assert!(duplicates > 0, "the duplicate fault never fired");
    assert!(
        sim.simulator.requests() > ids.len() as u64 / 100,
        "no request was refused or failed"
    );
}

#[tokio::test]
async fn a_malformed_page_stops_paging_and_is_handed_back() {
    let faults = Faults {
        malformed_rate: 1.0,
        ..Faults::default()
    };
    let (_sim, client) = start(evening(2_000, faults)).await;
    let mut pager = client.streams();
    let mut malformed = None;
    while let Some(result) = pager.next_page().await.unwrap() {
        if let PageResult::Malformed(page) = result {
            malformed = Some(page);
        }
    }
    let page = malformed.expect("no malformed page in the pull");
    assert_eq!(page.number, 1);
    assert!(!page.body.is_empty());
    assert!(page.reason.contains("malformed"), "{}", page.reason);
    assert_eq!(pager.stop_reason(), Some(StopReason::Malformed));
}

#[tokio::test]
async fn tokens_are_renewed_before_they_expire() {
    let config = SimulatorConfig {
        token_ttl: Duration::from_millis(400),
        ..evening(200, Faults::default())
    };
    let (_sim, client) = start(config).await;
    for _ in 0..4 {
        pull_all(&client).await;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn a_revoked_token_is_replaced_on_the_401() {
    let (sim, client) = start(evening(200, Faults::default())).await;
    let (first, _, _) = pull_all(&client).await;
    sim.simulator.revoke_tokens();
    let (second, _, _) = pull_all(&client).await;
    assert_eq!(first, second);
}

#[tokio::test]
async fn wrong_credentials_are_a_permanent_error() {
    let config = evening(200, Faults::default());
    let sim = simulator::spawn(config.clone(), SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let client = HelixClient::new(settings(&sim.base_url, &sim.token_url(), &config.client_id, "wrong")).unwrap();
    let err = client.streams().next_page().await.unwrap_err();
    assert!(matches!(err, ApiError::Unauthorized(_)), "{err}");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn games_and_users_are_looked_up_a_hundred_at_a_time() {
    let (sim, client) = start(evening(500, Faults::default())).await;
    let ids: Vec<String> = sim
        .simulator
        .world()
        .channels()
        .iter()
        .take(250)
        .map(|c| c.id.clone())
        .collect();
    let before = sim.simulator.requests();
    let users = client.users(&ids).await.unwrap();
    assert_eq!(users.len(), 250);
    assert_eq!(sim.simulator.requests() - before, 3);
    assert_eq!(users[0].login, sim.simulator.world().channels()[0].login);
    let games = client
        .games(&["509000".into(), "509001".into(), "nope".into()])
        .await
        .unwrap();
    assert_eq!(
        games.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(),
        ["Just Chatting", "League of Legends"]
    );
}

/// A server that serves `pages` in turn on `/helix/streams`, after issuing a token.
async fn crafted(pages: Vec<serde_json::Value>) -> (String, Arc<AtomicUsize>) {
    let served = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&served);
    let pages = Arc::new(pages);
    let app = Router::new()
        .route(
            "/oauth2/token",
            post(|| async { axum::Json(json!({"access_token": "t", "expires_in": 3600})) }),
        )
        .route(
            "/helix/streams",
            get(move || {
                let pages = Arc::clone(&pages);
                let counter = Arc::clone(&counter);
                async move {
                    let n = counter.fetch_add(1, Ordering::SeqCst);
                    axum::Json(pages[n.min(pages.len() - 1)].clone())
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, served)
}

fn stream(id: &str) -> serde_json::Value {
    json!({"id": id, "user_id": id, "user_login": format!("u{id}"), "user_name": "U", "game_id": "1",
           "game_name": "G", "type": "live", "title": "t", "viewer_count": 5,
           "started_at": "2026-11-26T19:00:00Z", "language": "en", "thumbnail_url": "", "tags": null})
}

#[tokio::test]
async fn paging_stops_on_a_repeated_cursor() {
    let (base, served) = crafted(vec![
        json!({"data": [stream("1")], "pagination": {"cursor": "a"}}),
        json!({"data": [stream("2")], "pagination": {"cursor": "b"}}),
        json!({"data": [stream("1")], "pagination": {"cursor": "a"}}),
    ])
    .await;
    let client = HelixClient::new(settings(&base, &format!("{base}/oauth2/token"), "c", "s")).unwrap();
    let (ids, duplicates, stop) = pull_all(&client).await;
    assert_eq!(ids, ["1", "2"]);
    assert_eq!((duplicates, stop), (1, StopReason::RepeatedCursor));
    assert_eq!(served.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn paging_stops_on_an_empty_page_and_at_the_cap() {
    let (base, _) = crafted(vec![
        json!({"data": [stream("1")], "pagination": {"cursor": "a"}}),
        json!({"data": [], "pagination": {"cursor": "b"}}),
    ])
    .await;
    let client = HelixClient::new(settings(&base, &format!("{base}/oauth2/token"), "c", "s")).unwrap();
    let (ids, _, stop) = pull_all(&client).await;
    assert_eq!((ids.len(), stop), (1, StopReason::EmptyPage));

    let endless: Vec<_> = (0..50)
        .map(|i| json!({"data": [stream(&i.to_string())], "pagination": {"cursor": format!("c{i}")}}))
        .collect();
    let (base, _) = crafted(endless).await;
    let mut capped = settings(&base, &format!("{base}/oauth2/token"), "c", "s");
    capped.page_cap = 7;
    let client = HelixClient::new(capped).unwrap();
    let (ids, _, stop) = pull_all(&client).await;
    assert_eq!((ids.len(), stop), (7, StopReason::PageCap));
}

#[tokio::test]
async fn server_errors_are_retried_then_reported_as_retryable() {
    let faults = Faults {
        server_error_rate: 1.0,
        ..Faults::default()
    };
    let (sim, client) = start(evening(200, faults)).await;
    let err = client.streams().next_page().await.unwrap_err();
    assert!(matches!(err, ApiError::Exhausted { attempts: 8, .. }), "{err}");
    assert!(err.is_retryable());
    assert_eq!(sim.simulator.requests(), 8);
}
