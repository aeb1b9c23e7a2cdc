//! The HTTP layers of the gateway: the rate limit per caller, CORS from configuration, the explorer switch, and
//! GraphQL over HTTP (media types, parameters, status codes).

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

/// Posts `body` with these headers; the status, the `Content-Type` and the JSON body.
async fn exchange(request: reqwest::RequestBuilder) -> (u16, String, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_over_http_negotiates_the_media_type_and_the_status_of_request_errors() {
    let (base, _stop, _dir) = gateway(GatewayConfig::default()).await;
    let client = reqwest::Client::new();
    let url = format!("{base}/graphql");
    let post = |accept: &str, body: &str| {
        client
            .post(&url)
            .header("content-type", "application/json")
            .header("accept", accept)
            .body(body.to_owned())
    };
    const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

    // A query: 200 with data, in the type asked for (twice: the second answer comes from the response cache).
    for _ in 0..2 {
        for (accept, expected) in [
            (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
            ("application/json", "application/json"),
            ("*/*", "application/json"),
        ] {
            let (status, content_type, body) = exchange(post(accept, r#"{"query":"{ sources { id } }"}"#)).await;
            assert_eq!(status, 200, "{body}");
            assert!(content_type.starts_with(expected), "{accept}: {content_type}");
            assert_eq!(body["data"]["sources"][0]["id"], "simulator", "{body}");
        }
    }
    let (status, _, body) = exchange(post("text/html", r#"{"query":"{ sources { id } }"}"#)).await;
    assert_eq!(
        (status, body["errors"][0]["extensions"]["code"].as_str()),
        (406, Some("NOT_ACCEPTABLE"))
    );

    // Request errors: no `data`; 400 under application/graphql-response+json, 200 under application/json.
    for (query, code) in [
        (r#"{"query":"{"}"#, "GRAPHQL_PARSE_FAILED"),
        (r#"{"query":"{ nope }"}"#, "GRAPHQL_VALIDATION_FAILED"),
        (
            r#"{"query":"query($n: Int!) { sources { id } }","variables":{"n":"x"}}"#,
            "GRAPHQL_VALIDATION_FAILED",
        ),
    ] {
        for (accept, expected_status) in [(GRAPHQL_RESPONSE, 400), ("application/json", 200)] {
            let (status, _, body) = exchange(post(accept, query)).await;
            assert_eq!(status, expected_status, "{accept} {query}: {body}");
            assert!(body.get("data").is_none(), "{query}: {body}");
            assert!(!body["errors"].as_array().unwrap().is_empty(), "{body}");
            if code != "GRAPHQL_VALIDATION_FAILED" || !query.contains("$n") {
                assert_eq!(body["errors"][0]["extensions"]["code"], code, "{body}");
            }
        }
    }

    // Not GraphQL-over-HTTP requests: 400 with BAD_REQUEST and what is wrong, whatever the media type.
    for (body, says) in [
        (r#"{ "not a JSON"#, "not JSON"),
        (r#"{"notquery":"{ sources { id } }"}"#, "no `query`"),
        (r#"{"query":0}"#, "`query` must be a string"),
        (r#"{"query":"{ sources { id } }","variables":"string"}"#, "`variables`"),
        (
            r#"{"query":"{ sources { id } }","extensions":["array"]}"#,
            "`extensions`",
        ),
    ] {
        for accept in [GRAPHQL_RESPONSE, "application/json"] {
            let (status, _, answer) = exchange(post(accept, body)).await;
            assert_eq!(status, 400, "{body}: {answer}");
            assert_eq!(answer["errors"][0]["extensions"]["code"], "BAD_REQUEST", "{answer}");
            assert!(
                answer["errors"][0]["message"].as_str().unwrap().contains(says),
                "{answer}"
            );
        }
    }
    let batch = format!("[{}]", [r#"{"query":"{ sources { id } }"}"#; 11].join(","));
    let (status, _, answer) = exchange(post("application/json", &batch)).await;
    assert_eq!(
        (status, answer["errors"][0]["extensions"]["code"].as_str()),
        (400, Some("BATCH_TOO_LARGE"))
    );
    let (status, _, answer) = exchange(post(
        "application/json",
        r#"[{"query":"{ sources { id } }"},{"query":"{"}]"#,
    ))
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer[0]["data"]["sources"][0]["id"], "simulator", "{answer}");
    assert!(answer[1].get("data").is_none(), "{answer}");

    // A body that is not declared JSON: 415.
    let (status, _, answer) = exchange(client.post(&url).body(r#"{"query":"{ sources { id } }"}"#)).await;
    assert_eq!(
        (status, answer["errors"][0]["extensions"]["code"].as_str()),
        (415, Some("UNSUPPORTED_MEDIA_TYPE"))
    );
    let (status, _, _) = exchange(
        client
            .post(&url)
            .header("content-type", "text/plain")
            .body(r#"{"query":"{ sources { id } }"}"#),
    )
    .await;
    assert_eq!(status, 415);

    // GET: queries, with variables as JSON text; a mutation is 405.
    let get = |params: &[(&str, &str)]| client.get(&url).query(params).header("accept", GRAPHQL_RESPONSE);
    let (status, _, body) = exchange(get(&[
        (
            "query",
            "query($first: Int!) { channels(first: $first) { pageInfo { hasNextPage } } }",
        ),
        ("variables", r#"{"first": 1}"#),
    ]))
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["data"]["channels"]["pageInfo"]["hasNextPage"].is_boolean(),
        "{body}"
    );
    let response = get(&[("query", "mutation { pullNow { pullId } }")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(response.headers()["allow"], "POST");
    let (status, _, body) = exchange(get(&[("query", "{ sources { id } }"), ("variables", "[1]")])).await;
    assert_eq!(
        (status, body["errors"][0]["extensions"]["code"].as_str()),
        (400, Some("BAD_REQUEST"))
    );
}
