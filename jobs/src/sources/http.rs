//! The request loop every external API client shares: credentials, rate-limit waits, retries with jittered backoff,
//! and errors sorted into retryable and permanent.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use backon::{BackoffBuilder, ExponentialBuilder};
use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, StatusCode};

/// What went wrong talking to an external API. [`ApiError::is_retryable`] sorts the causes: a job retries on a
/// retryable error and gives up on a permanent one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The credentials were refused, even after fetching fresh ones: permanent until config changes.
    #[error("credentials refused: {0}")]
    Unauthorized(String),
    /// An HTTP error answer.
    #[error("HTTP {status}: {message}")]
    Status {
        /// The status code.
        status: u16,
        /// The answer's message, shortened.
        message: String,
    },
    /// No answer: connection refused or reset, timeout, DNS.
    #[error("transport: {0}")]
    Transport(String),
    /// An answer that is not what the API's contract says (not JSON, missing fields).
    #[error("malformed answer: {0}")]
    Malformed(String),
    /// Retryable failures until the attempts ran out; the last one is kept.
    #[error("gave up after {attempts} attempts: {last}")]
    Exhausted {
        /// How many requests were made.
        attempts: usize,
        /// The last failure.
        last: Box<ApiError>,
    },
}

impl ApiError {
    /// Whether trying again later may succeed: server errors, rate limits, timeouts and connection failures are
    /// retryable; refused credentials, other 4xx answers and malformed bodies are not.
    pub fn is_retryable(&self) -> bool {
        match self {
            ApiError::Status { status, .. } => *status == 429 || *status >= 500,
            ApiError::Transport(_) | ApiError::Exhausted { .. } => true,
            ApiError::Unauthorized(_) | ApiError::Malformed(_) => false,
        }
    }
}

/// How hard to try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Requests per call at most, the first included.
    pub max_attempts: usize,
    /// First backoff delay (jittered, doubling).
    pub min_delay: Duration,
    /// Longest backoff delay.
    pub max_delay: Duration,
    /// Longest wait for a rate-limit reset; a longer one is a failure.
    pub max_rate_limit_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            min_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
            max_rate_limit_wait: Duration::from_secs(65),
        }
    }
}

/// Adds credentials to requests.
#[async_trait]
pub trait Authorizer: Send + Sync {
    /// Adds the credentials (fetching them first if needed).
    async fn authorize(&self, request: RequestBuilder) -> Result<RequestBuilder, ApiError>;

    /// Called after a 401: drops the credentials in hand and fetches new ones. Returns whether a retry may succeed.
    async fn refresh(&self) -> Result<bool, ApiError>;
}

/// No credentials.
#[derive(Debug, Clone, Copy)]
pub struct Anonymous;

#[async_trait]
impl Authorizer for Anonymous {
    async fn authorize(&self, request: RequestBuilder) -> Result<RequestBuilder, ApiError> {
        Ok(request)
    }

    async fn refresh(&self) -> Result<bool, ApiError> {
        Ok(false)
    }
}

/// A fixed bearer token.
#[derive(Debug, Clone)]
pub struct Bearer(pub secrecy::SecretString);

#[async_trait]
impl Authorizer for Bearer {
    async fn authorize(&self, request: RequestBuilder) -> Result<RequestBuilder, ApiError> {
        Ok(request.bearer_auth(secrecy::ExposeSecret::expose_secret(&self.0)))
    }

    async fn refresh(&self) -> Result<bool, ApiError> {
        Ok(false)
    }
}

/// The rate-limit state the last answer announced (`Ratelimit-Remaining`, `Ratelimit-Reset`), so the next request
/// waits for the bucket to refill instead of hitting a 429.
#[derive(Debug, Default)]
pub struct RateGate {
    state: Mutex<Option<(u32, SystemTime)>>,
}

/// Reads `Ratelimit-Reset` (Unix seconds) as a time.
fn reset_of(headers: &HeaderMap) -> Option<SystemTime> {
    let secs: u64 = headers.get("ratelimit-reset")?.to_str().ok()?.trim().parse().ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(secs))
}

impl RateGate {
    fn record(&self, headers: &HeaderMap) {
        let remaining = headers
            .get("ratelimit-remaining")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u32>().ok());
        if let (Some(remaining), Some(reset)) = (remaining, reset_of(headers)) {
            *self.state.lock().unwrap_or_else(PoisonError::into_inner) = Some((remaining, reset));
        }
    }

    /// How long to wait before the next request: until the reset when the bucket is empty.
    fn wait(&self) -> Duration {
        match *self.state.lock().unwrap_or_else(PoisonError::into_inner) {
            Some((0, reset)) => reset.duration_since(SystemTime::now()).unwrap_or_default(),
            _ => Duration::ZERO,
        }
    }
}

/// A successful answer.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The body, byte for byte as received.
    pub body: Bytes,
    /// The answer's headers.
    pub headers: HeaderMap,
}

fn shorten(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned()
}

/// Sends the request `build` makes until it succeeds, fails permanently or runs out of attempts.
///
/// 2xx answers return. A 401 asks the authorizer for fresh credentials once. A 429 waits until `Ratelimit-Reset`
/// (or `Retry-After`, or a backoff delay) and tries again; 5xx answers and transport failures back off with jitter
/// and try again; other 4xx answers fail at once.
pub async fn send(
    build: impl Fn() -> RequestBuilder,
    auth: &dyn Authorizer,
    gate: &RateGate,
    policy: RetryPolicy,
) -> Result<Fetched, ApiError> {
    let mut backoff = ExponentialBuilder::default()
        .with_jitter()
        .with_min_delay(policy.min_delay)
        .with_max_delay(policy.max_delay)
        .without_max_times()
        .build();
    let mut refreshed = false;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let wait = gate.wait();
        if wait > policy.max_rate_limit_wait {
            return Err(ApiError::Status {
                status: 429,
                message: format!("rate limit resets in {} s", wait.as_secs()),
            });
        }
        if !wait.is_zero() {
            tracing::debug!(wait_ms = wait.as_millis() as u64, "waiting for the rate limit to reset");
            tokio::time::sleep(wait).await;
        }
        let request = auth.authorize(build()).await?;
        // The failure of this attempt, and how long to wait before the next one (None: back off).
        let (failure, wait): (ApiError, Option<Duration>) = match request.send().await {
            Err(e) => (ApiError::Transport(e.without_url().to_string()), None),
            Ok(response) => {
                let status = response.status();
                let headers = response.headers().clone();
                gate.record(&headers);
                match response.bytes().await {
                    Err(e) => (ApiError::Transport(e.without_url().to_string()), None),
                    Ok(body) if status.is_success() => return Ok(Fetched { body, headers }),
                    Ok(body) if status == StatusCode::UNAUTHORIZED => {
                        if !refreshed && auth.refresh().await? {
                            refreshed = true;
                            attempts -= 1;
                            continue;
                        }
                        return Err(ApiError::Unauthorized(shorten(&body)));
                    }
                    Ok(body) => {
                        let failure = ApiError::Status {
                            status: status.as_u16(),
                            message: shorten(&body),
                        };
                        if !failure.is_retryable() {
                            return Err(failure);
                        }
                        let reset = (status == StatusCode::TOO_MANY_REQUESTS)
                            .then(|| retry_after(&headers))
                            .flatten();
                        if reset.is_some_and(|wait| wait > policy.max_rate_limit_wait) {
                            return Err(failure);
                        }
                        // A reset is a whole second: add a little so the bucket has refilled on arrival.
                        (failure, reset.map(|wait| wait + Duration::from_millis(50)))
                    }
                }
            }
        };
        if attempts >= policy.max_attempts {
            return Err(ApiError::Exhausted {
                attempts,
                last: Box::new(failure),
            });
        }
        let delay = wait.unwrap_or_else(|| backoff.next().unwrap_or(policy.max_delay));
        tracing::debug!(error = %failure, delay_ms = delay.as_millis() as u64, attempt = attempts, "retrying");
        tokio::time::sleep(delay).await;
    }
}

/// How long a 429 asks to wait: until `Ratelimit-Reset`, or `Retry-After` seconds.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    reset_of(headers)
        .map(|reset| reset.duration_since(SystemTime::now()).unwrap_or_default())
        .or_else(|| {
            let secs = headers.get("retry-after")?.to_str().ok()?.trim().parse::<u64>().ok()?;
            Some(Duration::from_secs(secs))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_sort_into_retryable_and_permanent() {
        let status = |status| ApiError::Status {
            status,
            message: String::new(),
        };
        assert!(status(500).is_retryable());
        assert!(status(503).is_retryable());
        assert!(status(429).is_retryable());
        assert!(!status(400).is_retryable());
        assert!(!status(404).is_retryable());
        assert!(ApiError::Transport("reset".into()).is_retryable());
        assert!(!ApiError::Unauthorized("no".into()).is_retryable());
        assert!(!ApiError::Malformed("no".into()).is_retryable());
    }

    #[test]
    fn an_empty_bucket_waits_for_its_reset() {
        let gate = RateGate::default();
        assert_eq!(gate.wait(), Duration::ZERO);
        let mut headers = HeaderMap::new();
        let reset = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() + 2;
        headers.insert("ratelimit-remaining", "0".parse().unwrap());
        headers.insert("ratelimit-reset", reset.to_string().parse().unwrap());
        gate.record(&headers);
        assert!(gate.wait() > Duration::from_millis(500));
        headers.insert("ratelimit-remaining", "10".parse().unwrap());
        gate.record(&headers);
        assert_eq!(gate.wait(), Duration::ZERO);
    }
}
