//! The external APIs Streamlens pulls from.
//!
//! - [`http`]: the request loop the clients share: credentials, rate limits, retries, retryable and permanent errors.
//! - [`helix`]: the Twitch Helix client (app tokens, paged streams, games and users lookups).
//! - [`history`]: the client of the `/v1/snapshots` time-series contract, for scheduled range pulls and backfills.

pub mod helix;
pub mod history;
pub mod http;
