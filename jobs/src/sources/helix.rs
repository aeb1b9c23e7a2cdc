//! The Twitch Helix client: app tokens, paged `GET /helix/streams`, and `/helix/games` and `/helix/users` lookups.
//!
//! The base URL is configurable, so the same client talks to Twitch (`https://api.twitch.tv/helix`), the simulator or
//! a test server. Paging follows REFERENCE-level knowledge of Helix's quirks: `first=100`; stop on an empty page, on a
//! cursor seen before and at a page cap; every stream id counted once per pull (the list re-sorts while a client
//! pages, so the same stream can come twice).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use reqwest::RequestBuilder;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use streamlens_domain::helix::{DataPage, HelixGame, HelixStream, HelixUser, RejectedRecord, StreamsPage};
use tokio::sync::Mutex;

use super::http::{self, ApiError, Authorizer, RateGate, RetryPolicy};

/// Where and how to reach a Helix API.
#[derive(Debug, Clone)]
pub struct HelixSettings {
    /// The API base, without a trailing slash: `https://api.twitch.tv/helix`, or `{simulator}/helix`.
    pub base_url: String,
    /// The token endpoint: `https://id.twitch.tv/oauth2/token`.
    pub token_url: String,
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: SecretString,
    /// Most pages one pull reads (100 streams each).
    pub page_cap: u32,
    /// Timeout of one request.
    pub timeout: Duration,
    /// Retries and backoff.
    pub retry: RetryPolicy,
}

impl HelixSettings {
    /// Settings for Twitch itself.
    pub fn twitch(client_id: String, client_secret: SecretString) -> Self {
        Self {
            base_url: "https://api.twitch.tv/helix".into(),
            token_url: "https://id.twitch.tv/oauth2/token".into(),
            client_id,
            client_secret,
            page_cap: 1_000,
            timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
        }
    }
}

/// An app access token and when to stop using it.
#[derive(Debug)]
struct AppToken {
    value: SecretString,
    renew_at: Instant,
}

/// Fetches and renews app tokens by client credentials.
#[derive(Debug)]
struct AppTokens {
    http: reqwest::Client,
    settings: HelixSettings,
    current: Mutex<Option<AppToken>>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: u64,
}

impl AppTokens {
    async fn fetch(&self) -> Result<AppToken, ApiError> {
        let form = [
            ("client_id", self.settings.client_id.as_str()),
            ("client_secret", self.settings.client_secret.expose_secret()),
            ("grant_type", "client_credentials"),
        ];
        let fetched = http::send(
            || self.http.post(&self.settings.token_url).form(&form),
            &http::Anonymous,
            &RateGate::default(),
            self.settings.retry,
        )
        .await
        .map_err(|e| match e {
            ApiError::Status {
                status: 400 | 403,
                message,
            } => ApiError::Unauthorized(message),
            other => other,
        })?;
        let answer: TokenAnswer =
            serde_json::from_slice(&fetched.body).map_err(|e| ApiError::Malformed(format!("token answer: {e}")))?;
        // Renew when 90 % of the lifetime has passed (Twitch's tokens live about 60 days).
        let lifetime = Duration::from_secs(answer.expires_in);
        Ok(AppToken {
            value: SecretString::from(answer.access_token),
            renew_at: Instant::now() + lifetime.mul_f64(0.9),
        })
    }
}

#[async_trait]
impl Authorizer for AppTokens {
    async fn authorize(&self, request: RequestBuilder) -> Result<RequestBuilder, ApiError> {
        let mut current = self.current.lock().await;
        if current.as_ref().is_none_or(|t| Instant::now() >= t.renew_at) {
            *current = Some(self.fetch().await?);
            tracing::debug!("fetched a Helix app token");
        }
        let token = current
            .as_ref()
            .map(|t| t.value.expose_secret().to_owned())
            .unwrap_or_default();
        Ok(request.header("Client-Id", &self.settings.client_id).bearer_auth(token))
    }

    async fn refresh(&self) -> Result<bool, ApiError> {
        *self.current.lock().await = Some(self.fetch().await?);
        tracing::info!("Helix refused the app token; fetched a new one");
        Ok(true)
    }
}

/// A Helix API client. Cheap to share: one per source.
#[derive(Debug)]
pub struct HelixClient {
    http: reqwest::Client,
    tokens: AppTokens,
    gate: RateGate,
}

impl HelixClient {
    /// A client for `settings`.
    pub fn new(settings: HelixSettings) -> Result<Self, ApiError> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .user_agent(concat!("streamlens/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ApiError::Transport(e.to_string()))?;
        Ok(Self {
            tokens: AppTokens {
                http: http.clone(),
                settings,
                current: Mutex::new(None),
            },
            http,
            gate: RateGate::default(),
        })
    }

    fn settings(&self) -> &HelixSettings {
        &self.tokens.settings
    }

    async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<http::Fetched, ApiError> {
        let url = format!("{}{path}", self.settings().base_url);
        http::send(
            || self.http.get(&url).query(query),
            &self.tokens,
            &self.gate,
            self.settings().retry,
        )
        .await
    }

    /// Starts paging through the live streams: one [`StreamsPager`] per pull.
    pub fn streams(&self) -> StreamsPager<'_> {
        StreamsPager {
            client: self,
            cursor: None,
            seen_cursors: HashSet::new(),
            seen_streams: HashSet::new(),
            pages: 0,
            stop: None,
        }
    }

    /// Looks up games by id, 100 per request.
    pub async fn games(&self, ids: &[String]) -> Result<Vec<HelixGame>, ApiError> {
        self.lookup("/games", ids).await
    }

    /// Looks up users (channel owners) by id, 100 per request.
    pub async fn users(&self, ids: &[String]) -> Result<Vec<HelixUser>, ApiError> {
        self.lookup("/users", ids).await
    }

    async fn lookup<T: serde::de::DeserializeOwned>(&self, path: &str, ids: &[String]) -> Result<Vec<T>, ApiError> {
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(100) {
            let query: Vec<(&str, &str)> = chunk.iter().map(|id| ("id", id.as_str())).collect();
            let fetched = self.get(path, &query).await?;
            let page: DataPage<T> =
                serde_json::from_slice(&fetched.body).map_err(|e| ApiError::Malformed(format!("{path}: {e}")))?;
            found.extend(page.data);
        }
        Ok(found)
    }
}

/// Why paging stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// The last page had no cursor.
    End,
    /// A page came back empty (Helix's answer to an exhausted or empty cursor).
    EmptyPage,
    /// A cursor came back that was seen before (Helix's last cursor can loop to page 1).
    RepeatedCursor,
    /// The page cap was reached.
    PageCap,
    /// A body was not a Helix page.
    Malformed,
}

/// One page as received, with its streams parsed.
#[derive(Debug, Clone)]
pub struct StreamsPageRead {
    /// Page number, from 1.
    pub number: u32,
    /// When the answer arrived.
    pub received_at: DateTime<Utc>,
    /// The body, byte for byte as received.
    pub body: Bytes,
    /// Streams on this page not seen earlier in this pull.
    pub streams: Vec<HelixStream>,
    /// Streams on this page already seen earlier in this pull (counted once).
    pub duplicates: usize,
    /// Records that could not be read, with reasons.
    pub rejected: Vec<RejectedRecord>,
}

/// A page whose body is not a Helix page at all, kept for quarantine.
#[derive(Debug, Clone)]
pub struct MalformedPage {
    /// Page number, from 1.
    pub number: u32,
    /// The body as received.
    pub body: Bytes,
    /// Why it could not be read.
    pub reason: String,
}

/// What one step of paging produced.
#[derive(Debug, Clone)]
pub enum PageResult {
    /// A page was read.
    Page(StreamsPageRead),
    /// The body was not a Helix page; paging stops (the pull is failed, the page quarantined).
    Malformed(MalformedPage),
}

/// Pages through `GET /helix/streams` for one pull.
#[derive(Debug)]
pub struct StreamsPager<'a> {
    client: &'a HelixClient,
    cursor: Option<String>,
    seen_cursors: HashSet<String>,
    seen_streams: HashSet<String>,
    pages: u32,
    stop: Option<StopReason>,
}

impl StreamsPager<'_> {
    /// The next page, or `None` once paging has stopped ([`StreamsPager::stop_reason`] says why).
    pub async fn next_page(&mut self) -> Result<Option<PageResult>, ApiError> {
        if self.stop.is_some() {
            return Ok(None);
        }
        if self.pages >= self.client.settings().page_cap {
            self.stop = Some(StopReason::PageCap);
            return Ok(None);
        }
        let mut query = vec![("first", "100")];
        if let Some(cursor) = &self.cursor {
            query.push(("after", cursor.as_str()));
        }
        let fetched = self.client.get("/streams", &query).await?;
        self.pages += 1;
        let number = self.pages;
        let received_at = Utc::now();
        let page = match StreamsPage::parse_lenient(&fetched.body) {
            Ok(page) => page,
            Err(e) => {
                self.stop = Some(StopReason::Malformed);
                return Ok(Some(PageResult::Malformed(MalformedPage {
                    number,
                    body: fetched.body,
                    reason: e.to_string(),
                })));
            }
        };
        if page.streams.is_empty() && page.rejected.is_empty() {
            self.stop = Some(StopReason::EmptyPage);
        } else {
            match page.pagination.next_cursor() {
                None => self.stop = Some(StopReason::End),
                Some(cursor) if !self.seen_cursors.insert(cursor.to_owned()) => {
                    self.stop = Some(StopReason::RepeatedCursor);
                }
                Some(cursor) => self.cursor = Some(cursor.to_owned()),
            }
        }
        let before = page.streams.len();
        let streams: Vec<HelixStream> = page
            .streams
            .into_iter()
            .filter(|s| self.seen_streams.insert(s.id.clone()))
            .collect();
        Ok(Some(PageResult::Page(StreamsPageRead {
            number,
            received_at,
            body: fetched.body,
            duplicates: before - streams.len(),
            streams,
            rejected: page.rejected,
        })))
    }

    /// Why paging stopped, once it has.
    pub fn stop_reason(&self) -> Option<StopReason> {
        self.stop
    }

    /// Distinct streams read so far.
    pub fn distinct_streams(&self) -> usize {
        self.seen_streams.len()
    }
}
