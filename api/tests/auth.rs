//! Authentication and authorization over HTTP and websockets: forged tokens, the access matrix of every role,
//! minute data for viewers, anonymous access, API keys, an external issuer's tokens (JWKS), and the REST twins.
//!
//! The keys under `tests/fixtures/` are test-only keys made for these tests.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use futures::{SinkExt as _, StreamExt as _};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use streamlens_api::auth::Auth;
use streamlens_api::{App, serve};
use streamlens_domain::config::Config;
use streamlens_domain::ids::SourceId;
use streamlens_domain::storage::meta::{Query, keys};
use streamlens_jobs::runtime::Runtime;
use support::Backend;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_util::sync::CancellationToken;

const SECRET: &str = "a-test-secret-of-more-than-thirty-two-bytes";
const ADMIN_PASSWORD: &str = "correct horse battery staple";
const ISSUER: &str = "https://issuer.example.test";
const AUDIENCE: &str = "streamlens-web";

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

/// Serves `body` at `/jwks.json` on loopback; returns its URL.
async fn serve_jwks(body: String) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
    let router = axum::Router::new().route("/jwks.json", axum::routing::get(move || async move { body }));
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

/// The embedded default with a known secret and admin, anonymous reads as `anonymous`, an external issuer, and,
/// when `pull`, one pull of the simulator processed.
async fn start(backend: Backend, anonymous: bool, pull: bool) -> Server {
    let jwks = serve_jwks(include_str!("fixtures/external-issuer-jwks.json").to_owned()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut env: HashMap<String, String> = HashMap::new();
    support::backend_env(backend, &mut env);
    env.extend(
        [
            ("STREAMLENS_DATA_DIR", dir.path().display().to_string()),
            ("STREAMLENS_JWT_SECRET", SECRET.to_owned()),
            ("STREAMLENS_ADMIN_PASSWORD", ADMIN_PASSWORD.to_owned()),
            ("STREAMLENS_ANONYMOUS", anonymous.to_string()),
            ("STREAMLENS_JWKS_URL", jwks),
            ("STREAMLENS_JWKS_ISSUER", ISSUER.to_owned()),
            ("STREAMLENS_JWKS_AUDIENCE", AUDIENCE.to_owned()),
            ("STREAMLENS_RATE_LIMIT", "0".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v)),
    );
    let config = Config::from_env(&env).unwrap();
    let runtime = Runtime::start(config).await.unwrap();
    let stop = CancellationToken::new();
    if pull {
        let sources = runtime.start_sources().await.unwrap();
        tokio::spawn({
            let (runtime, stop) = (runtime.clone(), stop.clone());
            async move { runtime.run_workers(sources, stop.cancelled_owned()).await }
        });
    }
    let auth = Auth::new(&runtime.config.auth, runtime.storage.meta.clone())
        .await
        .unwrap();
    assert_eq!(auth.ensure_admin(&runtime.config.auth).await.unwrap(), None);
    let app = App::from_runtime(&runtime, auth).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve(listener, app, stop.clone().cancelled_owned()));
    if pull {
        runtime.pull_now("simulator").await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            let ready = runtime
                .storage
                .meta
                .query(&Query::gsi1(keys::series_status_partition(&SourceId::simulator(), "ready")).limit(1))
                .await
                .unwrap();
            if !ready.items.is_empty() {
                break;
            }
            assert!(Instant::now() < deadline, "no series ready after 3 minutes");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    Server {
        base,
        runtime,
        stop,
        _dir: dir,
    }
}

async fn post(server: &Server, token: Option<&str>, query: &str, variables: Value) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}/graphql", server.base))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn codes(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["extensions"]["code"].as_str().unwrap_or("NO CODE").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn login(server: &Server, login: &str, password: &str) -> String {
    let (status, body) = post(
        server,
        None,
        "mutation($l: String!, $p: String!) { login(login: $l, password: $p) { token expiresAt user { login role } } }",
        json!({ "l": login, "p": password }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["data"]["login"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("login failed: {body}"))
        .to_owned()
}

/// Creates `login` with `role` as the admin and returns a token for them.
async fn user_token(server: &Server, admin: &str, login_name: &str, role: &str) -> String {
    let password = format!("{login_name}-password-long-enough");
    let (_, body) = post(
        server,
        Some(admin),
        &format!(
            "mutation($l: String!, $p: String!) {{ createUser(login: $l, password: $p, role: {role}) {{ login }} }}"
        ),
        json!({ "l": login_name, "p": password }),
    )
    .await;
    assert!(body["errors"].is_null(), "{body}");
    login(server, login_name, &password).await
}

#[derive(serde::Serialize)]
struct Claims<'a> {
    sub: &'a str,
    iss: &'a str,
    aud: &'a str,
    exp: i64,
    iat: i64,
    role: &'a str,
}

fn claims<'a>(sub: &'a str, role: &'a str) -> Claims<'a> {
    let now = chrono::Utc::now().timestamp();
    Claims {
        sub,
        iss: "streamlens",
        aud: "streamlens",
        exp: now + 600,
        iat: now,
        role,
    }
}

fn hs256(claims: &Claims<'_>, secret: &str) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn rs256(claims: &impl serde::Serialize, pem: &str, kid: &str) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    encode(&header, claims, &EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap()).unwrap()
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

async fn forged_tokens_are_refused_with_unauthenticated(backend: Backend) {
    let server = start(backend, true, false).await;
    let admin = login(&server, "admin", ADMIN_PASSWORD).await;
    let viewer = user_token(&server, &admin, "vera", "VIEWER").await;
    let me = "{ me { login role permissions } }";
    let (status, body) = post(&server, Some(&viewer), me, Value::Null).await;
    assert_eq!(
        (status, body["data"]["me"]["role"].as_str()),
        (200, Some("VIEWER")),
        "{body}"
    );
    let (_, body) = post(&server, Some(&admin), me, Value::Null).await;
    assert_eq!(body["data"]["me"]["role"], "ADMIN", "{body}");

    let now = chrono::Utc::now().timestamp();
    let mut forged: Vec<(&str, String)> = Vec::new();
    forged.push((
        "signed with another secret",
        hs256(&claims("admin", "admin"), "another-secret-of-more-than-32-bytes!"),
    ));
    let mut expired = claims("admin", "admin");
    expired.exp = now - 3600;
    forged.push(("expired an hour ago", hs256(&expired, SECRET)));
    let mut wrong_aud = claims("admin", "admin");
    wrong_aud.aud = "someone-else";
    forged.push(("for another audience", hs256(&wrong_aud, SECRET)));
    let mut wrong_iss = claims("admin", "admin");
    wrong_iss.iss = "https://evil.example";
    forged.push(("from another issuer", hs256(&wrong_iss, SECRET)));
    // The viewer's own token with its role claim edited to admin: the signature no longer matches.
    let mut parts: Vec<String> = viewer.split('.').map(str::to_owned).collect();
    let mut payload: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &parts[1]).unwrap(),
    )
    .unwrap();
    payload["role"] = json!("admin");
    payload["sub"] = json!("admin");
    parts[1] = b64(payload.to_string().as_bytes());
    forged.push(("role claim edited", parts.join(".")));
    // `alg` swapped to none, with the signature dropped.
    let none_header = b64(br#"{"alg":"none","typ":"JWT"}"#);
    forged.push((
        "alg none",
        format!(
            "{none_header}.{}.",
            b64(serde_json::to_vec(&payload).unwrap().as_slice())
        ),
    ));
    // `alg` swapped to HS512 with the right secret.
    forged.push((
        "alg HS512",
        encode(
            &Header::new(Algorithm::HS512),
            &claims("admin", "admin"),
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap(),
    ));
    // An RS256 token from a key the external issuer never published, claiming its key id.
    let external =
        json!({ "sub": "mallory", "iss": ISSUER, "aud": AUDIENCE, "exp": now + 600, "cognito:groups": ["admin"] });
    forged.push((
        "RS256 with an unpublished key",
        rs256(&external, include_str!("fixtures/attacker-rsa.pem"), "test-1"),
    ));
    // No exp / iss / aud.
    forged.push((
        "without exp, iss and aud",
        encode(
            &Header::new(Algorithm::HS256),
            &json!({ "sub": "admin", "role": "admin" }),
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap(),
    ));
    forged.push(("not a JWT", "not-a-token".to_owned()));
    forged.push((
        "unknown API key",
        "slk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_owned(),
    ));
    for (what, token) in &forged {
        let (status, body) = post(&server, Some(token), me, Value::Null).await;
        assert_eq!(status, 401, "{what}: {body}");
        assert_eq!(codes(&body), ["UNAUTHENTICATED"], "{what}: {body}");
        assert!(body["data"].is_null(), "{what}: {body}");
    }

    // The external issuer's own token is accepted, with the role its groups name.
    let token = rs256(&external, include_str!("fixtures/external-issuer-rsa.pem"), "test-1");
    let (status, body) = post(&server, Some(&token), me, Value::Null).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["me"],
        json!({ "login": "mallory", "role": "ADMIN", "permissions": ["minute-data:read", "runs:read", "series:rerun", "sources:pull", "users:manage"] })
    );
    // ... but not for another audience.
    let other = json!({ "sub": "x", "iss": ISSUER, "aud": "other-app", "exp": now + 600 });
    let token = rs256(&other, include_str!("fixtures/external-issuer-rsa.pem"), "test-1");
    assert_eq!(post(&server, Some(&token), me, Value::Null).await.0, 401);

    // A wrong password and an unknown login get the same refusal.
    for (l, p) in [("admin", "not the password at all"), ("nobody", ADMIN_PASSWORD)] {
        let (_, body) = post(
            &server,
            None,
            "mutation($l: String!, $p: String!) { login(login: $l, password: $p) { token } }",
            json!({ "l": l, "p": p }),
        )
        .await;
        assert_eq!(codes(&body), ["UNAUTHENTICATED"], "{body}");
        assert_eq!(body["errors"][0]["message"], "wrong login or password");
    }

    // A disabled user's token stops working.
    let (_, body) = post(
        &server,
        Some(&admin),
        "mutation { updateUser(login: \"vera\", disabled: true) { disabled } }",
        Value::Null,
    )
    .await;
    assert_eq!(body["data"]["updateUser"]["disabled"], true, "{body}");
    let (status, body) = post(&server, Some(&viewer), me, Value::Null).await;
    assert_eq!(
        (status, codes(&body)),
        (401, vec!["UNAUTHENTICATED".to_owned()]),
        "{body}"
    );
}

/// What a role gets from one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Answered (perhaps with an input error, but not refused).
    Allowed,
    /// `FORBIDDEN`.
    Forbidden,
    /// `UNAUTHENTICATED`.
    Unauthenticated,
}
use Outcome::{Allowed as A, Forbidden as F, Unauthenticated as U};

async fn the_access_matrix_holds_for_every_role(backend: Backend) {
    let server = start(backend, false, true).await;
    let admin = login(&server, "admin", ADMIN_PASSWORD).await;
    let viewer = user_token(&server, &admin, "vic", "VIEWER").await;
    let analyst = user_token(&server, &admin, "ana", "ANALYST").await;
    // The hour's ranking follows its series a moment later.
    let deadline = Instant::now() + Duration::from_secs(120);
    let login_name = loop {
        let (_, body) = post(
            &server,
            Some(&admin),
            "{ rankings(entity: CHANNEL, period: HOUR, first: 1) { edges { node { channel { login } } } } }",
            Value::Null,
        )
        .await;
        if let Some(login) = body["data"]["rankings"]["edges"][0]["node"]["channel"]["login"].as_str() {
            break login.to_owned();
        }
        assert!(Instant::now() < deadline, "no ranking after 2 minutes: {body}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let (_, body) = post(
        &server,
        Some(&admin),
        "{ seriesList(status: READY, first: 1) { edges { node { id } } } }",
        Value::Null,
    )
    .await;
    let series = body["data"]["seriesList"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let now = chrono::Utc::now();
    let from = (now - chrono::Duration::hours(2)).to_rfc3339();
    let to = now.to_rfc3339();
    let vars = json!({ "login": login_name, "series": series, "from": from, "to": to });

    // Every root field and every guarded nested field, and who may use it: no credentials (anonymous reads off),
    // viewer, analyst, admin.
    let matrix: Vec<(&str, &str, [Outcome; 4])> = vec![
        ("Query.sources", "{ sources { id } }", [U, A, A, A]),
        (
            "Query.channel",
            "query($login: String) { channel(login: $login) { login } }",
            [U, A, A, A],
        ),
        (
            "Query.channels",
            "{ channels(first: 1) { edges { node { login } } } }",
            [U, A, A, A],
        ),
        ("Query.game", "{ game(id: \"1\") { name } }", [U, A, A, A]),
        (
            "Query.games",
            "{ games(first: 1) { edges { node { rank } } } }",
            [U, A, A, A],
        ),
        ("Query.languages", "{ languages { language } }", [U, A, A, A]),
        (
            "Query.platform",
            "{ platform(period: HOUR) { peakChannels } }",
            [U, A, A, A],
        ),
        (
            "Query.rankings",
            "{ rankings(entity: GAME, period: DAY, first: 1) { edges { node { rank } } } }",
            [U, A, A, A],
        ),
        (
            "Query.series",
            "query($series: ID!) { series(id: $series) { status } }",
            [U, A, A, A],
        ),
        (
            "Query.seriesList",
            "{ seriesList(status: READY, first: 1) { edges { node { id } } } }",
            [U, A, A, A],
        ),
        ("Query.deadJobs", "{ deadJobs { id } }", [U, F, F, A]),
        ("Query.me", "{ me { login } }", [U, A, A, A]),
        (
            "Query.users",
            "{ users(first: 10) { edges { node { login } } } }",
            [U, F, F, A],
        ),
        ("Query.groups", "{ groups { name } }", [U, F, F, A]),
        (
            "Series.runs",
            "query($series: ID!) { series(id: $series) { runs { id } } }",
            [U, F, F, A],
        ),
        (
            "Channel.viewers(HOUR)",
            "query($login: String, $from: DateTime!, $to: DateTime!) { channel(login: $login) { viewers(from: $from, to: $to, granularity: HOUR) { at } } }",
            [U, A, A, A],
        ),
        (
            "Channel.viewers(MINUTE)",
            "query($login: String, $from: DateTime!, $to: DateTime!) { channel(login: $login) { viewers(from: $from, to: $to, granularity: MINUTE) { at } } }",
            [U, F, A, A],
        ),
        (
            "Mutation.login",
            "mutation { login(login: \"x\", password: \"y\") { token } }",
            [U, U, U, U],
        ),
        (
            "Mutation.pullNow",
            "mutation { pullNow(source: \"simulator\") { pullId } }",
            [U, F, F, A],
        ),
        (
            "Mutation.rerunSeries",
            "mutation($series: ID!) { rerunSeries(id: $series) { runId } }",
            [U, F, F, A],
        ),
        (
            "Mutation.backfill",
            "mutation($from: DateTime!, $to: DateTime!) { backfill(source: \"simulator\", from: $from, to: $to) { pullId } }",
            [U, F, F, A],
        ),
        (
            "Mutation.requeueDeadJobs",
            "mutation { requeueDeadJobs { jobs } }",
            [U, F, F, A],
        ),
        (
            "Mutation.createUser",
            "mutation { createUser(login: \"svc-matrix\", role: VIEWER) { login } }",
            [U, F, F, A],
        ),
        (
            "Mutation.updateUser",
            "mutation { updateUser(login: \"vic\", role: VIEWER) { login } }",
            [U, F, F, A],
        ),
        (
            "Mutation.putGroup",
            "mutation { putGroup(name: \"ops\", permissions: [\"runs:read\"]) { name } }",
            [U, F, F, A],
        ),
        (
            "Mutation.setGroupMember",
            "mutation { setGroupMember(login: \"ana\", group: \"ops\", member: false) { login } }",
            [U, F, F, A],
        ),
        (
            "Mutation.createApiKey",
            "mutation { createApiKey(login: \"vic\", name: \"matrix\") { name } }",
            [U, F, F, A],
        ),
    ];

    // The matrix names every root field of the schema (read by introspection): a new field must be added here with
    // its access.
    let (_, body) = post(
        &server,
        Some(&admin),
        "{ __schema { queryType { fields { name } } mutationType { fields { name } } } }",
        Value::Null,
    )
    .await;
    let mut fields = BTreeSet::new();
    for (root, key) in [("Query", "queryType"), ("Mutation", "mutationType")] {
        for field in body["data"]["__schema"][key]["fields"].as_array().unwrap() {
            fields.insert(format!("{root}.{}", field["name"].as_str().unwrap()));
        }
    }
    let listed: BTreeSet<String> = matrix
        .iter()
        .map(|(name, _, _)| name.split('(').next().unwrap().to_owned())
        .collect();
    let missing: Vec<_> = fields.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "root fields without an entry in the access matrix: {missing:?}"
    );

    let callers = [
        ("no credentials", None),
        ("viewer", Some(&viewer)),
        ("analyst", Some(&analyst)),
        ("admin", Some(&admin)),
    ];
    let mut wrong = Vec::new();
    for (field, query, expected) in &matrix {
        for ((who, token), want) in callers.iter().zip(expected) {
            let (status, body) = post(&server, token.map(String::as_str), query, vars.clone()).await;
            let codes = codes(&body);
            let got = if codes.iter().any(|c| c == "UNAUTHENTICATED") {
                U
            } else if codes.iter().any(|c| c == "FORBIDDEN") {
                F
            } else {
                A
            };
            let invalid = codes.iter().any(|c| c.starts_with("GRAPHQL_"));
            if got != *want || status >= 500 || invalid {
                wrong.push(format!(
                    "{field} as {who}: expected {want:?}, got {got:?} ({status}) {body}"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // A viewer asking for minute data gets FORBIDDEN on that field and the rest of the response.
    let (status, body) = post(
        &server,
        Some(&viewer),
        "query($login: String, $from: DateTime!, $to: DateTime!) { channel(login: $login) { login \
           hourly: viewers(from: $from, to: $to, granularity: HOUR) { at } \
           minutes: viewers(from: $from, to: $to, granularity: MINUTE) { at viewers } } }",
        vars.clone(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(codes(&body), ["FORBIDDEN"], "{body}");
    assert_eq!(body["errors"][0]["path"], json!(["channel", "minutes"]), "{body}");
    assert_eq!(body["data"]["channel"]["login"], login_name.as_str(), "{body}");
    assert!(body["data"]["channel"]["hourly"].is_array(), "{body}");
    // As the specification says: the failed field is there, null (not left out).
    assert_eq!(body["data"]["channel"].get("minutes"), Some(&Value::Null), "{body}");
    // The analyst sees the minutes.
    let (_, body) = post(&server, Some(&analyst), "query($login: String, $from: DateTime!, $to: DateTime!) { channel(login: $login) { viewers(from: $from, to: $to, granularity: MINUTE) { viewers } } }", vars.clone()).await;
    assert!(
        !body["data"]["channel"]["viewers"].as_array().unwrap().is_empty(),
        "{body}"
    );

    // A group grants a viewer a permission: runs:read through "ops".
    let (_, body) = post(
        &server,
        Some(&admin),
        "mutation { setGroupMember(login: \"vic\", group: \"ops\", member: true) { login } }",
        Value::Null,
    )
    .await;
    assert!(body["errors"].is_null(), "{body}");
    let (_, body) = post(
        &server,
        Some(&viewer),
        "query($series: ID!) { series(id: $series) { runs { id } } }",
        vars.clone(),
    )
    .await;
    assert!(
        body["errors"].is_null() && body["data"]["series"]["runs"].is_array(),
        "{body}"
    );

    // A service account's API key works like a token, and only for what its role allows.
    let (_, body) = post(
        &server,
        Some(&admin),
        "mutation { createApiKey(login: \"svc-matrix\", name: \"ci\") { key } }",
        Value::Null,
    )
    .await;
    let key = body["data"]["createApiKey"]["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("slk_"));
    let (_, body) = post(&server, Some(&key), "{ me { login role credential } }", Value::Null).await;
    assert_eq!(
        body["data"]["me"],
        json!({ "login": "svc-matrix", "role": "VIEWER", "credential": "api-key" })
    );
    let (_, body) = post(
        &server,
        Some(&key),
        "mutation { pullNow(source: \"simulator\") { pullId } }",
        Value::Null,
    )
    .await;
    assert_eq!(codes(&body), ["FORBIDDEN"], "{body}");

    // The REST twins: 401 without credentials, 403 for a viewer, 202 for an admin.
    let client = reqwest::Client::new();
    let url = format!("{}/api/v1/sources/simulator/pull", server.base);
    assert_eq!(client.post(&url).send().await.unwrap().status().as_u16(), 401);
    assert_eq!(
        client
            .post(&url)
            .bearer_auth(&viewer)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        403
    );
    let response = client.post(&url).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 202);
    let url = format!("{}/api/v1/series/{series}/rerun", server.base);
    assert_eq!(
        client
            .post(&url)
            .bearer_auth(&analyst)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        403
    );
    assert_eq!(
        client
            .post(&url)
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        202
    );
}

async fn ws_init(server: &Server, payload: Value) -> Option<Value> {
    let url = format!("{}/graphql", server.base.replace("http://", "ws://"));
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    socket
        .send(Message::text(
            json!({ "type": "connection_init", "payload": payload }).to_string(),
        ))
        .await
        .unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(10), socket.next())
        .await
        .unwrap();
    match answer {
        Some(Ok(Message::Text(text))) => Some(serde_json::from_str(&text).unwrap()),
        _ => None,
    }
}

async fn without_anonymous_reads_only_login_is_open_and_websockets_need_a_token(backend: Backend) {
    let server = start(backend, false, false).await;
    let (status, body) = post(&server, None, "{ sources { id } }", Value::Null).await;
    assert_eq!(
        (status, codes(&body)),
        (200, vec!["UNAUTHENTICATED".to_owned()]),
        "{body}"
    );
    let admin = login(&server, "admin", ADMIN_PASSWORD).await;
    let (_, body) = post(&server, Some(&admin), "{ sources { id } }", Value::Null).await;
    assert_eq!(body["data"]["sources"][0]["id"], "simulator", "{body}");

    // connection_init without a token is refused (the socket closes); with one, acknowledged.
    let refused = ws_init(&server, json!({})).await;
    assert!(
        refused.as_ref().is_none_or(|m| m["type"] != "connection_ack"),
        "{refused:?}"
    );
    let refused = ws_init(&server, json!({ "Authorization": "Bearer forged" })).await;
    assert!(
        refused.as_ref().is_none_or(|m| m["type"] != "connection_ack"),
        "{refused:?}"
    );
    let ack = ws_init(&server, json!({ "Authorization": format!("Bearer {admin}") })).await;
    assert_eq!(ack.unwrap()["type"], "connection_ack");
    assert!(server.runtime.config.auth.jwks.is_some());
}

/// A query answered (and cached) before a mutation is not served after it: the new user is listed at once.
async fn a_cached_answer_is_not_served_after_a_mutation(backend: Backend) {
    let server = start(backend, true, false).await;
    let admin = login(&server, "admin", ADMIN_PASSWORD).await;
    let users = || async {
        let (status, body) = post(
            &server,
            Some(&admin),
            "{ users(first: 100) { nodes { login } } }",
            json!({}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        body["data"]["users"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["login"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let before = users().await;
    assert_eq!(users().await, before, "the second answer is the cached first");
    user_token(&server, &admin, "after-the-cache", "VIEWER").await;
    let after = users().await;
    assert!(
        after.contains(&"after-the-cache".to_owned()),
        "stale after the mutation: {after:?}"
    );
    assert_eq!(after.len(), before.len() + 1);
}

on_both_backends!(
    a_cached_answer_is_not_served_after_a_mutation,
    forged_tokens_are_refused_with_unauthenticated,
    the_access_matrix_holds_for_every_role,
    without_anonymous_reads_only_login_is_open_and_websockets_need_a_token,
);
