//! The Helix endpoints: `POST /oauth2/token`, `GET /helix/streams`, `/helix/games`, `/helix/users`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use chrono::{DateTime, Duration, DurationRound, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Simulator;
use super::faults::Draw;
use super::games::GAMES;
use super::world::{Channel, LiveStream};
use streamlens_domain::helix::HelixStream;

/// Parses a query string or form body, keeping repeated keys (`user_id=1&user_id=2`).
pub(crate) fn params(query: Option<&str>, body: &[u8]) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    all.extend(form_urlencoded::parse(body).into_owned());
    all
}

fn values<'a>(params: &'a [(String, String)], key: &str) -> Vec<&'a str> {
    params
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .collect()
}

fn one<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a str> {
    values(params, key).into_iter().next()
}

/// A Helix error body: `{"error": "Bad Request", "status": 400, "message": "…"}`.
pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    let body = json!({
        "error": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "message": message,
    });
    (status, axum::Json(body)).into_response()
}

/// `POST /oauth2/token` with `client_id`, `client_secret` and `grant_type=client_credentials`, as query parameters or
/// a form body.
pub async fn token(State(sim): State<Arc<Simulator>>, RawQuery(query): RawQuery, body: Bytes) -> Response {
    let params = params(query.as_deref(), &body);
    if one(&params, "grant_type") != Some("client_credentials") {
        return error(StatusCode::BAD_REQUEST, "unsupported grant type");
    }
    if one(&params, "client_id") != Some(sim.config.client_id.as_str()) {
        return error(StatusCode::BAD_REQUEST, "invalid client");
    }
    if one(&params, "client_secret") != Some(sim.config.client_secret.as_str()) {
        return error(StatusCode::FORBIDDEN, "invalid client secret");
    }
    let token = sim.issue_token(&sim.config.client_id);
    axum::Json(json!({
        "access_token": token,
        "expires_in": sim.config.token_ttl.as_secs(),
        "token_type": "bearer",
    }))
    .into_response()
}

/// Rate-limit headers for one answer.
fn rate_headers(remaining: u32, reset: i64, limit: u32) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("ratelimit-limit", limit.to_string()),
        ("ratelimit-remaining", remaining.to_string()),
        ("ratelimit-reset", reset.to_string()),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    headers
}

/// Checks credentials and the rate limit, and applies the request's fault. `Ok` carries the headers to send and
/// the fault left for the handler (malformed bodies, page shifts).
async fn guard(sim: &Simulator, headers: &HeaderMap) -> Result<(HeaderMap, Draw), Response> {
    let client_id = headers.get("client-id").and_then(|v| v.to_str().ok()).unwrap_or("");
    if client_id.is_empty() {
        return Err(error(StatusCode::UNAUTHORIZED, "Client-Id header required"));
    }
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .unwrap_or("");
    if !sim.token_valid(token, client_id) {
        return Err(error(StatusCode::UNAUTHORIZED, "Invalid OAuth token"));
    }
    let limit = sim.config.rate_limit_per_minute;
    let (allowed, remaining, until_full) = sim.take_point(client_id);
    let now = Utc::now().timestamp();
    if !allowed {
        let mut response = error(StatusCode::TOO_MANY_REQUESTS, "");
        response
            .headers_mut()
            .extend(rate_headers(0, now + until_full as i64, limit));
        return Err(response);
    }
    let draw = sim.next_fault();
    match draw {
        Draw::RateLimitBurst => {
            let mut response = error(StatusCode::TOO_MANY_REQUESTS, "");
            response.headers_mut().extend(rate_headers(0, now + 1, limit));
            Err(response)
        }
        Draw::ServerError(code) => Err(error(
            StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "simulated server error",
        )),
        Draw::Slow => {
            tokio::time::sleep(sim.config.faults.slow_page_delay).await;
            Ok((rate_headers(remaining, now + until_full as i64, limit), Draw::None))
        }
        other => Ok((rate_headers(remaining, now + until_full as i64, limit), other)),
    }
}

/// Where a page starts: the minute paged through and the offset in its sorted list.
#[derive(Debug, Serialize, Deserialize)]
struct CursorBody {
    m: i64,
    o: usize,
}

fn encode_cursor(minute: DateTime<Utc>, offset: usize) -> String {
    let json = serde_json::to_vec(&json!({ "b": CursorBody { m: minute.timestamp(), o: offset } })).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

fn decode_cursor(cursor: &str) -> Option<(DateTime<Utc>, usize)> {
    #[derive(Deserialize)]
    struct Wrapper {
        b: CursorBody,
    }
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let wrapper: Wrapper = serde_json::from_slice(&json).ok()?;
    Some((DateTime::from_timestamp(wrapper.b.m, 0)?, wrapper.b.o))
}

/// A live stream as Helix sends it.
pub(crate) fn helix_stream(channel: &Channel, stream: &LiveStream) -> HelixStream {
    let game = &GAMES[stream.game];
    HelixStream {
        id: stream.stream_id.clone(),
        user_id: channel.id.clone(),
        user_login: channel.login.clone(),
        user_name: channel.display_name.clone(),
        game_id: game.id.clone(),
        game_name: game.name.to_owned(),
        stream_type: "live".into(),
        title: stream.title.clone(),
        viewer_count: i64::try_from(stream.viewers).unwrap_or(i64::MAX),
        started_at: stream.started_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        language: channel.language.to_owned(),
        thumbnail_url: format!(
            "https://static-cdn.jtvnw.net/previews-ttv/live_user_{}-{{width}}x{{height}}.jpg",
            channel.login
        ),
        tags: Some(vec![channel.language.to_uppercase()]),
        tag_ids: Some(Vec::new()),
        is_mature: Some(false),
    }
}

/// A `/helix/streams` body; a struct rather than `json!` so fields keep Helix's order (`id`, `user_id`, …).
#[derive(Serialize)]
struct StreamsBody<'a> {
    data: &'a [HelixStream],
    pagination: serde_json::Value,
}

/// `GET /helix/streams`: live streams, most viewers first, `first` (1 to 100, default 20) a page.
pub async fn streams(State(sim): State<Arc<Simulator>>, RawQuery(query): RawQuery, headers: HeaderMap) -> Response {
    let (mut out_headers, draw) = match guard(&sim, &headers).await {
        Ok(ok) => ok,
        Err(response) => return response,
    };
    let params = params(query.as_deref(), &[]);
    let first = match one(&params, "first").map(str::parse::<usize>) {
        None => 20,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        Some(_) => return error(StatusCode::BAD_REQUEST, "first must be between 1 and 100"),
    };
    let now = sim
        .now()
        .duration_trunc(Duration::minutes(1))
        .unwrap_or_else(|_| sim.now());
    let (minute, mut offset) = match (one(&params, "after"), one(&params, "before")) {
        (Some(after), _) if !after.is_empty() => match decode_cursor(after) {
            Some(position) => position,
            None => return error(StatusCode::BAD_REQUEST, "invalid cursor"),
        },
        (_, Some(before)) if !before.is_empty() => match decode_cursor(before) {
            Some((minute, end)) => (minute, end.saturating_sub(2 * first)),
            None => return error(StatusCode::BAD_REQUEST, "invalid cursor"),
        },
        _ => (now, 0),
    };
    match draw {
        Draw::Duplicate(k) if offset > 0 => offset = offset.saturating_sub(k),
        Draw::Skip(k) if offset > 0 => offset += k,
        _ => {}
    }

    let user_ids = values(&params, "user_id");
    let logins: Vec<String> = values(&params, "user_login")
        .iter()
        .map(|l| l.to_ascii_lowercase())
        .collect();
    let game_ids = values(&params, "game_id");
    let languages = values(&params, "language");
    if user_ids.len() > 100 || logins.len() > 100 || game_ids.len() > 100 || languages.len() > 100 {
        return error(StatusCode::BAD_REQUEST, "at most 100 values per filter");
    }
    let world = sim.world();
    let snapshot = sim.snapshot(minute);
    let matching: Vec<&LiveStream> = snapshot
        .iter()
        .filter(|s| {
            let channel = &world.channels()[s.channel];
            (user_ids.is_empty() || user_ids.contains(&channel.id.as_str()))
                && (logins.is_empty() || logins.contains(&channel.login))
                && (game_ids.is_empty() || game_ids.contains(&GAMES[s.game].id.as_str()))
                && (languages.is_empty() || languages.contains(&channel.language))
        })
        .collect();
    let end = (offset + first).min(matching.len());
    let page: Vec<HelixStream> = matching
        .get(offset.min(matching.len())..end)
        .unwrap_or(&[])
        .iter()
        .map(|s| helix_stream(&world.channels()[s.channel], s))
        .collect();
    let pagination = if end < matching.len() {
        json!({ "cursor": encode_cursor(minute, end) })
    } else {
        json!({})
    };
    let mut body = serde_json::to_vec(&StreamsBody {
        data: &page,
        pagination,
    })
    .unwrap_or_default();
    if draw == Draw::Malformed {
        body.truncate(body.len() / 2);
    }
    out_headers.insert("content-type", HeaderValue::from_static("application/json"));
    (out_headers, body).into_response()
}

/// `GET /helix/games?id=…&name=…` (up to 100 of each).
pub async fn games(State(sim): State<Arc<Simulator>>, RawQuery(query): RawQuery, headers: HeaderMap) -> Response {
    let (out_headers, _) = match guard(&sim, &headers).await {
        Ok(ok) => ok,
        Err(response) => return response,
    };
    let params = params(query.as_deref(), &[]);
    let (ids, names) = (values(&params, "id"), values(&params, "name"));
    if ids.len() + names.len() > 100 {
        return error(StatusCode::BAD_REQUEST, "at most 100 ids and names");
    }
    let data: Vec<_> = GAMES
        .iter()
        .filter(|g| ids.contains(&g.id.as_str()) || names.contains(&g.name))
        .map(|g| {
            json!({
                "id": g.id,
                "name": g.name,
                "box_art_url": format!("https://static-cdn.jtvnw.net/ttv-boxart/{}-{{width}}x{{height}}.jpg", g.id),
                "igdb_id": "",
            })
        })
        .collect();
    (out_headers, axum::Json(json!({ "data": data }))).into_response()
}

/// `GET /helix/users?id=…&login=…` (up to 100 of each).
pub async fn users(State(sim): State<Arc<Simulator>>, RawQuery(query): RawQuery, headers: HeaderMap) -> Response {
    let (out_headers, _) = match guard(&sim, &headers).await {
        Ok(ok) => ok,
        Err(response) => return response,
    };
    let params = params(query.as_deref(), &[]);
    let (ids, logins) = (values(&params, "id"), values(&params, "login"));
    if ids.len() + logins.len() > 100 {
        return error(StatusCode::BAD_REQUEST, "at most 100 ids and logins");
    }
    let world = sim.world();
    let found = ids
        .iter()
        .filter_map(|id| world.channel_by_id(id))
        .chain(logins.iter().filter_map(|login| world.channel_by_login(login)));
    let data: Vec<_> = found
        .map(|c| {
            let broadcaster_type = match c.popularity {
                p if p > 2_000.0 => "partner",
                p if p > 50.0 => "affiliate",
                _ => "",
            };
            json!({
                "id": c.id,
                "login": c.login,
                "display_name": c.display_name,
                "type": "",
                "broadcaster_type": broadcaster_type,
                "description": format!("{} streams in {}.", c.display_name, c.language),
                "profile_image_url": format!("https://static-cdn.jtvnw.net/jtv_user_pictures/{}-profile_image-300x300.png", c.login),
                "offline_image_url": "",
                "view_count": 0,
                "created_at": c.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            })
        })
        .collect();
    (out_headers, axum::Json(json!({ "data": data }))).into_response()
}
