//! The external APIs Streamlens pulls from.
//!
//! - [`http`]: the request loop the clients share: credentials, rate limits, retries, retryable and permanent errors.
//! - [`helix`]: the Twitch Helix client (app tokens, paged streams, games and users lookups).
//! - [`history`]: the client of the `/v1/snapshots` time-series contract, for scheduled range pulls and backfills.
//! - [`registry`]: the configured sources with their clients (and the in-process simulator when one is needed).

pub mod helix;
pub mod history;
pub mod http;
pub mod registry;
