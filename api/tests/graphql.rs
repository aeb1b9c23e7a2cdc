//! The gateway end to end on the embedded default: the built-in simulator pulled once, its series through the
//! workers, then GraphQL over HTTP and websockets against the served router.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use streamlens_api::auth::{Auth, Principal};
use streamlens_api::{App, serve};
use streamlens_domain::config::Config;
use streamlens_domain::ids::SourceId;
use streamlens_domain::storage::meta::{Query, keys};
use streamlens_jobs::runtime::Runtime;
use support::Backend;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_util::sync::CancellationToken;

struct Server {
    base: String,
    runtime: Runtime,
    stop: CancellationToken,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn ready_series(runtime: &Runtime) -> usize {
    runtime
        .storage
        .meta
        .query(&Query::gsi1(keys::series_status_partition(&SourceId::simulator(), "ready")).limit(100))
        .await
        .unwrap()
        .items
        .len()
}

/// Streamlens as the all-in-one binary runs it, with one pull of the simulator processed.
async fn start(backend: Backend) -> Server {
    start_with(backend, &[]).await
}

/// Starts Streamlens on `backend` with `settings` on top (variable, value).
async fn start_with(backend: Backend, settings: &[(&str, &str)]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let mut env = HashMap::from([("STREAMLENS_DATA_DIR".to_owned(), dir.path().display().to_string())]);
    support::backend_env(backend, &mut env);
    env.extend(settings.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let config = Config::from_env(&env).expect("config");
    let runtime = Runtime::start(config).await.expect("runtime");
    let sources = runtime.start_sources().await.expect("sources");
    let stop = CancellationToken::new();
    tokio::spawn({
        let (runtime, stop) = (runtime.clone(), stop.clone());
        async move { runtime.run_workers(sources, stop.cancelled_owned()).await }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let auth = Auth::new(&runtime.config.auth, runtime.storage.meta.clone())
        .await
        .unwrap();
    auth.ensure_admin(&runtime.config.auth).await.unwrap();
    let app = App::from_runtime(&runtime, auth).await.unwrap();
    tokio::spawn(serve(listener, app, stop.clone().cancelled_owned()));
    runtime.pull_now("simulator").await.expect("pull");
    let deadline = Instant::now() + Duration::from_secs(120);
    while ready_series(&runtime).await == 0 {
        assert!(Instant::now() < deadline, "no series ready after 2 minutes");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Server {
        base,
        runtime,
        stop,
        _dir: dir,
    }
}

async fn post(server: &Server, query: &str, variables: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/graphql", server.base))
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Posts `query` until `done` holds for the answer: the day, week and month rollups follow their series in a
/// separate `RollUp` job, so their data appears a little after the series is ready.
async fn post_until(server: &Server, query: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (_, body) = post(server, query, Value::Null).await;
        if done(&body) {
            return body;
        }
        assert!(Instant::now() < deadline, "no such answer within 2 minutes: {body}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn codes(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["extensions"]["code"].as_str().unwrap_or("(none)").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn the_gateway_serves_rankings_channels_and_games_of_the_simulator(backend: Backend) {
    let server = start(backend).await;
    let (status, body) = post(
        &server,
        "{ rankings(entity: CHANNEL, period: HOUR, first: 5) { totalCount period { kind } \
           edges { cursor node { rank value rankChange channel { id login displayName game { id name } } } } \
           pageInfo { hasNextPage } } }",
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["errors"].is_null(), "{body}");
    let ranking = &body["data"]["rankings"];
    let edges = ranking["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 5, "{body}");
    assert!(ranking["totalCount"].as_u64().unwrap() > 5);
    assert_eq!(ranking["period"]["kind"], "HOUR");
    let ranks: Vec<u64> = edges.iter().map(|e| e["node"]["rank"].as_u64().unwrap()).collect();
    assert_eq!(ranks, [1, 2, 3, 4, 5]);
    let values: Vec<f64> = edges.iter().map(|e| e["node"]["value"].as_f64().unwrap()).collect();
    assert!(values.windows(2).all(|w| w[0] >= w[1]), "{values:?}");
    let first = &edges[0]["node"]["channel"];
    assert!(!first["login"].as_str().unwrap().is_empty(), "{body}");

    // The next page starts after the cursor.
    let after = edges[4]["cursor"].as_str().unwrap();
    let (_, next) = post(
        &server,
        "query($after: String) { rankings(entity: CHANNEL, period: HOUR, first: 3, after: $after) { edges { node { rank } } } }",
        json!({ "after": after }),
    )
    .await;
    let next_ranks: Vec<u64> = next["data"]["rankings"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["rank"].as_u64().unwrap())
        .collect();
    assert_eq!(next_ranks, [6, 7, 8], "{next}");

    // The same channel by login, with its stats for the hour and its viewers.
    let login = first["login"].as_str().unwrap();
    let (_, channel) = post(
        &server,
        "query($login: String) { channel(login: $login) { id login stats(period: HOUR) { hoursWatched airtimeHours \
           coverage { observedSlots expectedSlots } } } }",
        json!({ "login": login }),
    )
    .await;
    assert!(channel["errors"].is_null(), "{channel}");
    let stats = &channel["data"]["channel"]["stats"];
    assert_eq!(stats["coverage"]["observedSlots"], 1, "{channel}");
    assert_eq!(stats["coverage"]["expectedSlots"], 60, "{channel}");
    assert!(stats["hoursWatched"].as_f64().unwrap() > 0.0);

    // Games of the day, live channels, the platform, series.
    let overview = post_until(
        &server,
        "{ games(period: DAY, first: 3) { edges { node { rank game { name } } } } \
           channels(first: 3) { edges { viewers node { login } } } \
           platform(period: HOUR) { hoursWatched uniqueStreamers coverage { observedSlots } } \
           sources { id kind lastPull { status records } } \
           languages(period: HOUR) { language stats { hoursWatched } } }",
        |body| body["data"]["games"]["edges"].as_array().is_some_and(|e| !e.is_empty()),
    )
    .await;
    assert!(overview["errors"].is_null(), "{overview}");
    let data = &overview["data"];
    assert_eq!(data["games"]["edges"].as_array().unwrap().len(), 3, "{overview}");
    let live = data["channels"]["edges"].as_array().unwrap();
    assert_eq!(live.len(), 3, "{overview}");
    assert!(live[0]["viewers"].as_u64().unwrap() >= live[1]["viewers"].as_u64().unwrap());
    assert!(data["platform"]["uniqueStreamers"].as_u64().unwrap() > 0);
    assert_eq!(data["sources"][0]["id"], "simulator");
    assert!(!data["languages"].as_array().unwrap().is_empty());
}

async fn bad_requests_get_codes_and_the_server_keeps_serving(backend: Backend) {
    let server = start(backend).await;
    let (_, body) = post(
        &server,
        "{ rankings(entity: CHANNEL, period: HOUR, first: 101) { totalCount } }",
        Value::Null,
    )
    .await;
    assert_eq!(codes(&body), ["BAD_USER_INPUT"], "{body}");
    let (_, body) = post(
        &server,
        "{ rankings(entity: CHANNEL, period: HOUR) { totalCount } }",
        Value::Null,
    )
    .await;
    assert_eq!(codes(&body), ["GRAPHQL_VALIDATION_FAILED"], "{body}");
    let (_, body) = post(&server, "{ rankings(", Value::Null).await;
    assert_eq!(codes(&body), ["GRAPHQL_PARSE_FAILED"], "{body}");
    let (_, body) = post(&server, "{ series(id: \"nope\") { id } }", Value::Null).await;
    assert_eq!(codes(&body), ["BAD_USER_INPUT"], "{body}");

    // 20 levels deep.
    let mut deep = String::from("rank");
    for _ in 0..20 {
        deep =
            format!("channel {{ game {{ topChannels(period: HOUR, first: 1) {{ edges {{ node {{ {deep} }} }} }} }} }}");
    }
    let query = format!("{{ rankings(entity: CHANNEL, period: HOUR, first: 1) {{ edges {{ node {{ {deep} }} }} }} }}");
    let (_, body) = post(&server, &query, Value::Null).await;
    assert_eq!(codes(&body), ["QUERY_TOO_DEEP"], "{body}");

    // 1,000 aliases.
    let aliases: String = (0..1000).map(|i| format!("a{i}: sources {{ id }} ")).collect();
    let started = Instant::now();
    let (_, body) = post(&server, &format!("{{ {aliases} }}"), Value::Null).await;
    assert_eq!(codes(&body), ["TOO_MANY_ALIASES"], "{body}");
    assert!(started.elapsed() < Duration::from_secs(10));

    // A 10 MB body.
    let huge = format!(
        "{{\"query\": \"{{ sources {{ id }} }}\", \"padding\": \"{}\"}}",
        "x".repeat(10 << 20)
    );
    let response = reqwest::Client::new()
        .post(format!("{}/graphql", server.base))
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);
    let body: Value = response.json().await.unwrap();
    assert_eq!(codes(&body), ["PAYLOAD_TOO_LARGE"], "{body}");

    // Still serving.
    let (status, body) = post(&server, "{ sources { id } }", Value::Null).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["sources"][0]["id"], "simulator", "{body}");
    let health = reqwest::get(format!("{}/readyz", server.base)).await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
}

async fn a_series_ready_subscription_hears_each_new_series_over_both_websocket_protocols(backend: Backend) {
    let server = start(backend).await;
    let ws_url = format!("{}/graphql", server.base.replace("http://", "ws://"));
    for protocol in ["graphql-transport-ws", "graphql-ws"] {
        let mut request = ws_url.clone().into_client_request().unwrap();
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", protocol.parse().unwrap());
        let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("websocket");
        socket
            .send(Message::text(
                json!({ "type": "connection_init", "payload": {} }).to_string(),
            ))
            .await
            .unwrap();
        let ack = socket.next().await.unwrap().unwrap();
        assert!(ack.to_text().unwrap().contains("connection_ack"), "{ack:?}");
        let start_type = if protocol == "graphql-ws" { "start" } else { "subscribe" };
        socket
            .send(Message::text(
                json!({
                    "id": "1",
                    "type": start_type,
                    "payload": { "query": "subscription { seriesReady(source: \"simulator\") { series source slot steps } }" }
                })
                .to_string(),
            ))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        // Re-running the ready series makes it ready again.
        let ready = server
            .runtime
            .storage
            .meta
            .query(&Query::gsi1(keys::series_status_partition(&SourceId::simulator(), "ready")).limit(1))
            .await
            .unwrap();
        let series: streamlens_domain::series::SeriesRecord = ready.items[0].decode().unwrap();
        streamlens_jobs::admin::rerun_series(&server.runtime.storage, &server.runtime.queue, &series.id)
            .await
            .unwrap();
        let event = tokio::time::timeout(Duration::from_secs(60), async {
            loop {
                let message = socket.next().await.unwrap().unwrap();
                let text = message.to_text().unwrap_or_default().to_owned();
                if text.contains("seriesReady") {
                    return serde_json::from_str::<Value>(&text).unwrap();
                }
            }
        })
        .await
        .expect("a seriesReady event within a minute");
        let ready = &event["payload"]["data"]["seriesReady"];
        assert_eq!(ready["series"], series.id.to_string(), "{event}");
        assert_eq!(ready["source"], "simulator");
        assert!(ready["steps"].as_array().unwrap().iter().any(|s| s == "rankings"));
    }
}

/// A metadata store that counts the calls made through it.
#[derive(Debug)]
struct Counting {
    inner: std::sync::Arc<dyn streamlens_domain::storage::meta::MetaStore>,
    calls: std::sync::Mutex<Vec<(&'static str, usize)>>,
}

mod counting {
    use super::Counting;
    use async_trait::async_trait;
    use streamlens_domain::storage::meta::{Condition, Item, Key, MetaError, MetaStore, Page, Query, Update, WriteOp};

    impl Counting {
        fn note(&self, call: &'static str, keys: usize) {
            self.calls.lock().unwrap().push((call, keys));
        }
    }

    #[async_trait]
    impl MetaStore for Counting {
        fn adapter(&self) -> &'static str {
            self.inner.adapter()
        }
        async fn get(&self, key: &Key) -> Result<Option<Item>, MetaError> {
            self.note("get", 1);
            self.inner.get(key).await
        }
        async fn get_many(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, MetaError> {
            self.note("get_many", keys.len());
            self.inner.get_many(keys).await
        }
        async fn put(&self, item: Item, condition: Condition) -> Result<u64, MetaError> {
            self.note("put", 1);
            self.inner.put(item, condition).await
        }
        async fn update(&self, key: &Key, update: Update, condition: Condition) -> Result<Item, MetaError> {
            self.note("update", 1);
            self.inner.update(key, update, condition).await
        }
        async fn delete(&self, key: &Key, condition: Condition) -> Result<(), MetaError> {
            self.note("delete", 1);
            self.inner.delete(key, condition).await
        }
        async fn query(&self, query: &Query) -> Result<Page, MetaError> {
            self.note("query", 1);
            self.inner.query(query).await
        }
        async fn batch_write(&self, ops: Vec<WriteOp>) -> Result<(), MetaError> {
            self.note("batch_write", ops.len());
            self.inner.batch_write(ops).await
        }
        async fn purge_expired(&self, now: i64) -> Result<u64, MetaError> {
            self.inner.purge_expired(now).await
        }
    }
}

async fn a_ranking_of_100_rows_with_channels_and_games_reads_the_store_in_batches(backend: Backend) {
    // At the quietest hour of the simulator's day about one channel in twenty is live: 5,000 channels keep well over
    // 100 live whatever the time the test runs.
    let server = start_with(backend, &[("STREAMLENS_SIMULATOR_CHANNELS", "5000")]).await;
    let counting = std::sync::Arc::new(Counting {
        inner: server.runtime.storage.meta.clone(),
        calls: std::sync::Mutex::new(Vec::new()),
    });
    let storage = streamlens_domain::storage::Storage {
        blobs: server.runtime.storage.blobs.clone(),
        meta: counting.clone(),
    };
    let auth = Auth::new(&server.runtime.config.auth, server.runtime.storage.meta.clone())
        .await
        .unwrap();
    let app = App::new(
        storage,
        server.runtime.queue.clone(),
        server.runtime.config.sources.clone(),
        server.runtime.notifier.clone(),
        auth,
    );
    let request = async_graphql::Request::new(
        "{ rankings(entity: CHANNEL, period: HOUR, first: 100) { edges { node { rank \
           channel { login displayName game { id name } } } } } }",
    )
    .data(Principal::without_credentials(true));
    let first_version = app.cache.version();
    let response = app.schema.execute(request).await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let data = response.data.into_json().unwrap();
    let edges = data["rankings"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 100, "a page of 100 live channels");
    assert!(edges.iter().all(|e| e["node"]["channel"]["login"].is_string()));
    let calls = counting.calls.lock().unwrap().clone();
    // One ranking page, one batch of 100 channels, one batch of their games.
    let gets = calls.iter().filter(|(c, _)| *c == "get").count();
    let batches: Vec<usize> = calls
        .iter()
        .filter(|(c, _)| *c == "get_many")
        .map(|(_, n)| *n)
        .collect();
    assert_eq!(gets, 1, "{calls:?}");
    assert_eq!(batches.len(), 2, "{calls:?}");
    assert_eq!(batches[0], 100, "{calls:?}");
    assert_eq!(calls.len(), 3, "{calls:?}");

    // Asked again under the same data version (the response cache is not in this path): the page and the profiles
    // come decoded from memory. (A series may become ready meanwhile and move the version: then ask again.)
    let ask = || {
        app.schema.execute(
            async_graphql::Request::new(
                "{ rankings(entity: CHANNEL, period: HOUR, first: 100) { edges { node { rank \
                   channel { login displayName game { id name } } } } } }",
            )
            .data(Principal::without_credentials(true)),
        )
    };
    let mut warm = first_version;
    for attempt in 0.. {
        assert!(attempt < 5, "the data version kept moving");
        let version = app.cache.version();
        let before = counting.calls.lock().unwrap().len();
        let response = ask().await;
        assert!(response.errors.is_empty(), "{:?}", response.errors);
        if app.cache.version() != version {
            continue;
        }
        if version == warm {
            assert_eq!(counting.calls.lock().unwrap().len(), before, "no store read");
            break;
        }
        warm = version;
    }

    // A new data version (here a mutation's; a new series' likewise) reads the store again, in the same batches.
    app.cache.invalidate();
    let before = counting.calls.lock().unwrap().len();
    assert!(ask().await.errors.is_empty());
    let calls = counting.calls.lock().unwrap().clone();
    assert_eq!(
        calls[before..before + 3],
        calls[..3],
        "the page, the channels and the games read again: {calls:?}"
    );
}

async fn a_cached_answer_is_not_served_after_a_new_series_is_ready(backend: Backend) {
    let server = start(backend).await;
    let query = "{ platform(period: DAY) { coverage { observedSlots } } \
                   rankings(entity: CHANNEL, period: DAY, first: 1) { edges { node { value } } } }";
    let first = post_until(&server, query, |body| {
        body["data"]["platform"]["coverage"]["observedSlots"] == 1
    })
    .await;
    let (_, cached) = post(&server, query, Value::Null).await;
    assert_eq!(cached, first);
    // The next minute's slot: a new series.
    let now = chrono::Utc::now();
    let next_minute = 60 - u64::from(chrono::Timelike::second(&now)) + 1;
    tokio::time::sleep(Duration::from_secs(next_minute)).await;
    let mut events = server.runtime.notifier.subscribe();
    server.runtime.pull_now("simulator").await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    // The day's rollup follows the series in a RollUp job; wait until the answer moves.
    loop {
        let (_, body) = post(&server, query, Value::Null).await;
        if body["data"]["platform"]["coverage"]["observedSlots"] == 2 {
            break;
        }
        assert!(Instant::now() < deadline, "still the old answer: {body}");
        let _ = tokio::time::timeout(Duration::from_millis(500), events.recv()).await;
    }
}

on_both_backends!(
    the_gateway_serves_rankings_channels_and_games_of_the_simulator,
    bad_requests_get_codes_and_the_server_keeps_serving,
    a_series_ready_subscription_hears_each_new_series_over_both_websocket_protocols,
    a_ranking_of_100_rows_with_channels_and_games_reads_the_store_in_batches,
    a_cached_answer_is_not_served_after_a_new_series_is_ready,
);
