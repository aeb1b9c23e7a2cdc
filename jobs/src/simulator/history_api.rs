//! The `history` source contract: `GET /v1/snapshots?from=RFC3339&to=RFC3339[&cursor=…]`.
//!
//! Answers `{"snapshots": [{"slot": "2026-11-26T11:27:00Z", "streams": [<Helix stream objects>]}], "cursor": …}`
//! with the snapshots of the one-minute slots in `[from, to)` that are in the simulated past, in slot order, whole
//! snapshots per page up to the configured number of streams; `cursor` is `null` on the last page.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use chrono::{DateTime, Duration, DurationRound, Utc};
use serde::Serialize;
use serde_json::json;
use streamlens_domain::helix::HelixStream;

use super::Simulator;
use super::faults::Draw;
use super::helix_api::{error, helix_stream, params};

/// The longest range one request may ask for.
const MAX_RANGE_DAYS: i64 = 31;

fn parse_time(value: Option<&str>, name: &str) -> Result<DateTime<Utc>, String> {
    let value = value.ok_or_else(|| format!("{name} is required (RFC 3339)"))?;
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("{name} is not an RFC 3339 time"))
}

/// One snapshot of an answer.
#[derive(Serialize)]
struct Snapshot {
    slot: String,
    streams: Vec<HelixStream>,
}

/// `GET /v1/snapshots`.
pub async fn snapshots(State(sim): State<Arc<Simulator>>, RawQuery(query): RawQuery, headers: HeaderMap) -> Response {
    if let Some(expected) = &sim.config.history_token {
        let given = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if given != Some(expected.as_str()) {
            return error(StatusCode::UNAUTHORIZED, "missing or invalid bearer token");
        }
    }
    match sim.next_fault() {
        Draw::ServerError(code) => {
            return error(
                StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                "simulated server error",
            );
        }
        Draw::RateLimitBurst => return error(StatusCode::TOO_MANY_REQUESTS, ""),
        Draw::Slow => tokio::time::sleep(sim.config.faults.slow_page_delay).await,
        _ => {}
    }
    let params = params(query.as_deref(), &[]);
    let get = |key: &str| params.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    let (from, to) = match (parse_time(get("from"), "from"), parse_time(get("to"), "to")) {
        (Ok(from), Ok(to)) => (from, to),
        (Err(message), _) | (_, Err(message)) => return error(StatusCode::BAD_REQUEST, &message),
    };
    if from >= to {
        return error(StatusCode::BAD_REQUEST, "from must be before to");
    }
    if to - from > Duration::days(MAX_RANGE_DAYS) {
        return error(StatusCode::BAD_REQUEST, "at most 31 days per request");
    }
    let minute = |t: DateTime<Utc>| t.duration_trunc(Duration::minutes(1)).unwrap_or(t);
    let mut slot = match get("cursor").filter(|c| !c.is_empty()) {
        Some(cursor) => {
            let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(cursor)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|s| s.parse::<i64>().ok())
                .and_then(|ts| DateTime::from_timestamp(ts, 0));
            match decoded {
                Some(slot) if slot >= from => slot,
                _ => return error(StatusCode::BAD_REQUEST, "invalid cursor"),
            }
        }
        None => {
            let first = minute(from);
            if first < from {
                first + Duration::minutes(1)
            } else {
                first
            }
        }
    };
    // Only the past exists: a slot is served once it has ended.
    let end = to.min(minute(sim.now()));
    let world = sim.world();
    let mut snapshots = Vec::new();
    let mut records = 0;
    while slot < end && (snapshots.is_empty() || records < sim.config.history_page_records) {
        let live = world.snapshot(slot);
        records += live.len();
        let streams: Vec<_> = live
            .iter()
            .map(|s| helix_stream(&world.channels()[s.channel], s))
            .collect();
        snapshots.push(Snapshot {
            slot: slot.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            streams,
        });
        slot += Duration::minutes(1);
    }
    let cursor =
        (slot < end).then(|| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(slot.timestamp().to_string()));
    axum::Json(json!({ "snapshots": snapshots, "cursor": cursor })).into_response()
}
