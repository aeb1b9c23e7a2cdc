//! Streamlens' vocabulary and rules: everything the background jobs and the gateway agree on, with no HTTP server
//! and no queue.
//!
//! # Layout
//!
//! - [`ids`]: validated identifiers: [`ids::ChannelId`], [`ids::GameId`], [`ids::StreamId`], [`ids::Login`],
//!   [`ids::Language`], [`ids::SourceId`] and [`ids::SeriesId`] (a source and a slot).
//! - [`time`]: [`time::Slot`] (the grid snapshots are taken on, a UTC minute by default) and [`time::Period`]
//!   (hour, day, ISO week, month) with their boundaries and previous period.
//! - [`helix`]: the Twitch Helix stream record exactly as the API sends it, and lenient page parsing.
//! - [`record`]: the prepared record every pipeline step reads, and the per-snapshot dedupe.
//! - [`pulls`]: a pull as kept (pages as received, status, quarantined pages) and what triggered it.
//! - [`series`]: a series (one source, one slot), its status and its data.
//! - [`metrics`]: the metric definitions (hours watched, airtime, averages, peaks, broadcasts, group stats,
//!   coverage) as pure functions.
//! - [`rollup`]: period totals per channel, game, language and the platform, recomputed from the level below, and
//!   the rankings built on them.
//! - [`storage`]: the ports and their adapters: [`storage::blob`] (local files, S3) and [`storage::meta`] (SQLite,
//!   DynamoDB), with the key design for every access pattern in [`storage::meta::keys`].
//! - [`config`]: the typed configuration from `STREAMLENS_*` variables and a TOML file.
//! - [`telemetry`]: log set-up shared by the binaries.

pub mod config;
pub mod helix;
pub mod ids;
pub mod metrics;
pub mod pulls;
pub mod record;
pub mod rollup;
pub mod series;
pub mod storage;
pub mod telemetry;
pub mod time;
