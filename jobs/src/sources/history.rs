//! The `history` source client: past snapshots from any endpoint of the `/v1/snapshots` contract.
//!
//! `GET {base_url}/v1/snapshots?from=RFC3339&to=RFC3339[&cursor=…]`, with `Authorization: Bearer <token>` when
//! configured, answers `{"snapshots": [{"slot": "…", "streams": [<Helix stream objects>]}], "cursor": "…" | null}`
//! in slot order; the client pages until `cursor` is null. Used by the daily, weekly and monthly pulls and by
//! backfills: one pull of a range fans out into one series per slot.

use std::collections::HashSet;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use secrecy::SecretString;
use serde::Deserialize;
use streamlens_domain::helix::{HelixStream, RejectedRecord};
use streamlens_domain::time::{Slot, SlotLength};

use super::http::{self, ApiError, Authorizer, RateGate, RetryPolicy};

/// Where and how to reach a history endpoint.
#[derive(Debug, Clone)]
pub struct HistorySettings {
    /// The endpoint's base URL (the contract's paths are under it).
    pub base_url: String,
    /// A bearer token, if the endpoint wants one.
    pub token: Option<SecretString>,
    /// The slot length of its snapshots.
    pub slot_length: SlotLength,
    /// Most pages one pull reads.
    pub page_cap: u32,
    /// Timeout of one request.
    pub timeout: Duration,
    /// Retries and backoff.
    pub retry: RetryPolicy,
}

/// A history API client.
#[derive(Debug)]
pub struct HistoryClient {
    http: reqwest::Client,
    settings: HistorySettings,
    gate: RateGate,
}

/// One snapshot of a page: a slot and its streams.
#[derive(Debug, Clone)]
pub struct SnapshotRead {
    /// The slot.
    pub slot: Slot,
    /// Streams of the slot, each stream id once.
    pub streams: Vec<HelixStream>,
    /// Repeated stream ids dropped.
    pub duplicates: usize,
    /// Records that could not be read, with reasons.
    pub rejected: Vec<RejectedRecord>,
}

/// One page as received, with its snapshots parsed.
#[derive(Debug, Clone)]
pub struct HistoryPageRead {
    /// Page number, from 1.
    pub number: u32,
    /// The body, byte for byte as received.
    pub body: Bytes,
    /// The page's snapshots.
    pub snapshots: Vec<SnapshotRead>,
}

/// What one step of paging produced.
#[derive(Debug, Clone)]
pub enum HistoryPage {
    /// A page was read.
    Page(HistoryPageRead),
    /// The body broke the contract; paging stops (the pull is failed, the page quarantined).
    Malformed {
        /// Page number, from 1.
        number: u32,
        /// The body as received.
        body: Bytes,
        /// Why it could not be read.
        reason: String,
    },
}

#[derive(Deserialize)]
struct Envelope {
    snapshots: Vec<RawSnapshot>,
    #[serde(default)]
    cursor: Option<String>,
}

#[derive(Deserialize)]
struct RawSnapshot {
    slot: String,
    streams: Vec<serde_json::Value>,
}

impl HistoryClient {
    /// A client for `settings`.
    pub fn new(settings: HistorySettings) -> Result<Self, ApiError> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .user_agent(concat!("streamlens/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ApiError::Transport(e.to_string()))?;
        Ok(Self {
            http,
            settings,
            gate: RateGate::default(),
        })
    }

    /// The slot length of this endpoint's snapshots.
    pub fn slot_length(&self) -> SlotLength {
        self.settings.slot_length
    }

    /// Starts paging through the snapshots of `[from, to)`.
    pub fn snapshots(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> HistoryPager<'_> {
        HistoryPager {
            client: self,
            from,
            to,
            cursor: None,
            seen_cursors: HashSet::new(),
            pages: 0,
            done: false,
        }
    }

    fn authorizer(&self) -> Box<dyn Authorizer> {
        match &self.settings.token {
            Some(token) => Box::new(http::Bearer(token.clone())),
            None => Box::new(http::Anonymous),
        }
    }
}

/// Pages through `/v1/snapshots` for one pull.
#[derive(Debug)]
pub struct HistoryPager<'a> {
    client: &'a HistoryClient,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    cursor: Option<String>,
    seen_cursors: HashSet<String>,
    pages: u32,
    done: bool,
}

impl HistoryPager<'_> {
    /// The next page, or `None` when there are no more.
    pub async fn next_page(&mut self) -> Result<Option<HistoryPage>, ApiError> {
        if self.done {
            return Ok(None);
        }
        if self.pages >= self.client.settings.page_cap {
            return Err(ApiError::Malformed(format!(
                "more than {} pages for one range: narrow the range or raise the page cap",
                self.client.settings.page_cap
            )));
        }
        let from = self.from.to_rfc3339_opts(SecondsFormat::Secs, true);
        let to = self.to.to_rfc3339_opts(SecondsFormat::Secs, true);
        let url = format!("{}/v1/snapshots", self.client.settings.base_url);
        let mut query = vec![("from", from.as_str()), ("to", to.as_str())];
        if let Some(cursor) = &self.cursor {
            query.push(("cursor", cursor.as_str()));
        }
        let auth = self.client.authorizer();
        let fetched = http::send(
            || self.client.http.get(&url).query(&query),
            auth.as_ref(),
            &self.client.gate,
            self.client.settings.retry,
        )
        .await?;
        self.pages += 1;
        let number = self.pages;
        let malformed = |reason: String| {
            Ok(Some(HistoryPage::Malformed {
                number,
                body: fetched.body.clone(),
                reason,
            }))
        };
        let envelope: Envelope = match serde_json::from_slice(&fetched.body) {
            Ok(envelope) => envelope,
            Err(e) => {
                self.done = true;
                return malformed(format!("not a snapshots page: {e}"));
            }
        };
        let mut snapshots = Vec::with_capacity(envelope.snapshots.len());
        for raw in envelope.snapshots {
            let slot = DateTime::parse_from_rfc3339(&raw.slot)
                .ok()
                .and_then(|t| Slot::new(t.with_timezone(&Utc), self.client.settings.slot_length).ok());
            let Some(slot) = slot else {
                self.done = true;
                return malformed(format!("slot {:?} is not a slot start of this source", raw.slot));
            };
            let mut seen = HashSet::with_capacity(raw.streams.len());
            let (mut streams, mut rejected, mut duplicates) = (Vec::with_capacity(raw.streams.len()), Vec::new(), 0);
            for (index, value) in raw.streams.into_iter().enumerate() {
                match serde_path_to_error::deserialize::<_, HelixStream>(&value) {
                    Ok(stream) if seen.insert(stream.id.clone()) => streams.push(stream),
                    Ok(_) => duplicates += 1,
                    Err(e) => rejected.push(RejectedRecord {
                        index,
                        reason: e.to_string(),
                        raw: value,
                    }),
                }
            }
            snapshots.push(SnapshotRead {
                slot,
                streams,
                duplicates,
                rejected,
            });
        }
        match envelope.cursor.filter(|c| !c.is_empty()) {
            None => self.done = true,
            Some(cursor) if !self.seen_cursors.insert(cursor.clone()) => {
                self.done = true;
                tracing::warn!(page = number, "history endpoint repeated a cursor; stopping");
            }
            Some(cursor) => self.cursor = Some(cursor),
        }
        Ok(Some(HistoryPage::Page(HistoryPageRead {
            number,
            body: fetched.body,
            snapshots,
        })))
    }
}
