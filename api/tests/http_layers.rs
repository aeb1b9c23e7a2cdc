//! The HTTP layers of the gateway: the rate limit per caller, CORS from configuration, the explorer switch.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::HashMap;

use serde_json::{Value, json};
use streamlens_api::{App, serve};
use streamlens_domain::config::{Config, GatewayConfig};
use streamlens_jobs::runtime::Runtime;
use tokio_util::sync::CancellationToken;

/// A gateway over a fresh embedded runtime (no pulls), with `gateway` settings; returns its base URL.
async fn gateway(gateway: GatewayConfig) -> (String, CancellationToken, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let env = HashMap::from([("STREAMLENS_DATA_DIR".to_owned(), dir.path().display().to_string())]);
    let runtime = Runtime::start(Config::from_env(&env).unwrap()).await.unwrap();
    let auth = streamlens_api::auth::Auth::new(&runtime.config.auth, runtime.storage.meta.clone())
        .await
        .unwrap();
    let app = App::from_runtime(&runtime, auth).await.unwrap().with_gateway(gateway);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let stop = CancellationToken::new();
    tokio::spawn(serve(listener, app, stop.clone().cancelled_owned()));
    (base, stop, dir)
}

async fn sources(client: &reqwest::Client, base: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = client
        .post(format!("{base}/graphql"))
        .json(&json!({ "query": "{ sources { id } }" }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_over_its_rate_limit_gets_429_and_others_are_still_served() {
    let (base, _stop, _dir) = gateway(GatewayConfig {
        rate_limit_per_minute: 5,
        ..GatewayConfig::default()
    })
    .await;
    let client = reqwest::Client::new();
    for _ in 0..5 {
        assert_eq!(sources(&client, &base, None).await.0, 200);
    }
    let (status, body) = sources(&client, &base, None).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED", "{body}");
    // Another caller (another credential) has its own budget.
    let (status, body) = sources(&client, &base, Some("another-caller")).await;
    assert_ne!(status, 429, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_answers_configured_origins_only() {
    let (base, _stop, _dir) = gateway(GatewayConfig {
        cors_origins: vec!["https://app.example.com".into()],
        ..GatewayConfig::default()
    })
    .await;
    let client = reqwest::Client::new();
    let preflight = |origin: &'static str| {
        client
            .request(reqwest::Method::OPTIONS, format!("{base}/graphql"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "content-type, authorization")
            .send()
    };
    let allowed = preflight("https://app.example.com").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    let refused = preflight("https://elsewhere.example.com").await.unwrap();
    assert!(refused.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_explorer_off_there_is_no_graphiql_and_no_introspection() {
    let (base, _stop, _dir) = gateway(GatewayConfig {
        explorer: false,
        ..GatewayConfig::default()
    })
    .await;
    let client = reqwest::Client::new();
    assert_eq!(client.get(&base).send().await.unwrap().status().as_u16(), 404);
    let body: Value = client
        .post(format!("{base}/graphql"))
        .json(&json!({ "query": "{ __schema { queryType { name } } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // The schema is not described (async-graphql answers introspection fields with null when it is disabled).
    assert!(body["data"]["__schema"].is_null(), "{body}");
    assert_eq!(sources(&client, &base, None).await.0, 200);

    let (on, _stop, _dir) = gateway(GatewayConfig::default()).await;
    let page = client.get(&on).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.text().await.unwrap().contains("graphiql"));
}
