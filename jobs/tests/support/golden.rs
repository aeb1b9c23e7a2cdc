//! A hand-made series set: three channels over two days, 15-minute slots, served by an in-test endpoint of the
//! `history` contract (`GET /v1/snapshots?from=&to=`).
//!
//! | slot (UTC)     | alpha (1001, en)    | bravo (1002, de)            | charlie (1003, en) | other            |
//! |----------------|---------------------|-----------------------------|--------------------|------------------|
//! | 11-20 22:00    | 100 G1              | 40 G1                       |                    |                  |
//! | 22:15          | 120                 | 40, listed twice            |                    |                  |
//! | 22:30          | 110                 | 60 G2, new title            | 10 G2              |                  |
//! | 22:45          | (off: reconnecting) | 60                          | 20                 |                  |
//! | 23:00          | 90, new stream id   | 80                          | 30                 |                  |
//! | 23:15          | 100                 | 80                          |                    | 1004: -5 viewers |
//! | 23:30          | 100                 | 70                          |                    | 1005: not live   |
//! | 23:45          | 80                  | 50                          |                    |                  |
//! | 11-21 00:00    | 65                  |                             | 40, new stream     |                  |
//! | 00:15          | 50                  |                             | 40                 |                  |
//! | 00:30          | 30                  |                             | 45                 |                  |
//! | 00:45          | (no snapshot: the slot is missing)                                                     |
//! | 01:00          |                     |                             | 50                 |                  |
//! | 01:15          |                     |                             | 60                 |                  |
//! | 10:00          |                     | 200 G1, new stream          |                    |                  |
//!
//! G1 is game 509658, G2 game 21779. Both days are in ISO week 2026-W47 and in November.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::Json;
use axum::extract::Query;
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// The source id the set is served under.
pub const SOURCE: &str = "golden";
/// Game 1.
pub const G1: &str = "509658";
/// Game 2.
pub const G2: &str = "21779";
/// Channel ids.
pub const ALPHA: &str = "1001";
pub const BRAVO: &str = "1002";
pub const CHARLIE: &str = "1003";
/// The first slot and the end of the last.
pub const FROM: &str = "2026-11-20T22:00:00Z";
pub const TO: &str = "2026-11-21T10:15:00Z";

pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).expect("time").with_timezone(&Utc)
}

struct Stream {
    channel: &'static str,
    id: &'static str,
    started_at: &'static str,
    game: &'static str,
    title: &'static str,
}

const A1: Stream = Stream {
    channel: ALPHA,
    id: "9001",
    started_at: "2026-11-20T21:50:00Z",
    game: G1,
    title: "alpha live",
};
const A2: Stream = Stream {
    id: "9002",
    started_at: "2026-11-20T22:58:00Z",
    ..A1
};
const B1: Stream = Stream {
    channel: BRAVO,
    id: "9101",
    started_at: "2026-11-20T21:55:00Z",
    game: G1,
    title: "bravo chats",
};
const B1_LEAGUE: Stream = Stream {
    game: G2,
    title: "bravo plays league",
    ..B1
};
const B2: Stream = Stream {
    id: "9102",
    started_at: "2026-11-21T09:58:00Z",
    title: "bravo morning",
    ..B1
};
const C1: Stream = Stream {
    channel: CHARLIE,
    id: "9201",
    started_at: "2026-11-20T22:25:00Z",
    game: G2,
    title: "charlie ranked",
};
const C2: Stream = Stream {
    id: "9202",
    started_at: "2026-11-20T23:58:00Z",
    ..C1
};
const D: Stream = Stream {
    channel: "1004",
    id: "9301",
    started_at: "2026-11-20T23:00:00Z",
    game: G1,
    title: "delta",
};
const E: Stream = Stream {
    channel: "1005",
    id: "9401",
    started_at: "2026-11-20T23:20:00Z",
    game: G1,
    title: "echo",
};

fn helix(stream: &Stream, viewers: i64, kind: &str) -> Value {
    let (login, name, language) = match stream.channel {
        ALPHA => ("alpha", "Alpha", "en"),
        BRAVO => ("bravo", "Bravo", "de"),
        CHARLIE => ("charlie", "Charlie", "en"),
        "1004" => ("delta", "Delta", "en"),
        _ => ("echo", "Echo", "en"),
    };
    let game_name = if stream.game == G1 {
        "Just Chatting"
    } else {
        "League of Legends"
    };
    json!({
        "id": stream.id,
        "user_id": stream.channel,
        "user_login": login,
        "user_name": name,
        "game_id": stream.game,
        "game_name": game_name,
        "type": kind,
        "title": stream.title,
        "viewer_count": viewers,
        "started_at": stream.started_at,
        "language": language,
        "thumbnail_url": format!("https://static-cdn.jtvnw.net/previews-ttv/live_user_{login}-{{width}}x{{height}}.jpg"),
        "tag_ids": [],
        "tags": [],
        "is_mature": false
    })
}

fn live(stream: &Stream, viewers: i64) -> Value {
    helix(stream, viewers, "live")
}

/// Every snapshot of the set, in slot order.
pub fn snapshots() -> Vec<(DateTime<Utc>, Vec<Value>)> {
    let d1 = |hm: &str| at(&format!("2026-11-20T{hm}:00Z"));
    let d2 = |hm: &str| at(&format!("2026-11-21T{hm}:00Z"));
    vec![
        (d1("22:00"), vec![live(&A1, 100), live(&B1, 40)]),
        (d1("22:15"), vec![live(&A1, 120), live(&B1, 40), live(&B1, 40)]),
        (d1("22:30"), vec![live(&A1, 110), live(&B1_LEAGUE, 60), live(&C1, 10)]),
        (d1("22:45"), vec![live(&B1_LEAGUE, 60), live(&C1, 20)]),
        (d1("23:00"), vec![live(&A2, 90), live(&B1_LEAGUE, 80), live(&C1, 30)]),
        (d1("23:15"), vec![live(&A2, 100), live(&B1_LEAGUE, 80), live(&D, -5)]),
        (
            d1("23:30"),
            vec![live(&A2, 100), live(&B1_LEAGUE, 70), helix(&E, 7, "")],
        ),
        (d1("23:45"), vec![live(&A2, 80), live(&B1_LEAGUE, 50)]),
        (d2("00:00"), vec![live(&A2, 65), live(&C2, 40)]),
        (d2("00:15"), vec![live(&A2, 50), live(&C2, 40)]),
        (d2("00:30"), vec![live(&A2, 30), live(&C2, 45)]),
        (d2("01:00"), vec![live(&C2, 50)]),
        (d2("01:15"), vec![live(&C2, 60)]),
        (d2("10:00"), vec![live(&B2, 200)]),
    ]
}

async fn answer(Query(query): Query<HashMap<String, String>>) -> Json<Value> {
    let bound = |name: &str| {
        query
            .get(name)
            .and_then(|v| DateTime::parse_from_rfc3339(v).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    let (from, to) = (
        bound("from").unwrap_or(DateTime::<Utc>::MIN_UTC),
        bound("to").unwrap_or(DateTime::<Utc>::MAX_UTC),
    );
    let snapshots: Vec<Value> = snapshots()
        .into_iter()
        .filter(|(slot, _)| *slot >= from && *slot < to)
        .map(|(slot, streams)| json!({"slot": slot.format("%Y-%m-%dT%H:%M:%SZ").to_string(), "streams": streams}))
        .collect();
    Json(json!({ "snapshots": snapshots, "cursor": null }))
}

/// Serves the set on a loopback port; returns its base URL.
pub async fn serve() -> String {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = axum::Router::new().route("/v1/snapshots", get(answer));
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}
