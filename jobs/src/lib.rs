//! Streamlens background work: what runs without a client waiting.
//!
//! # Layout
//!
//! - [`admin`]: re-run a series, list and requeue dead jobs, queue depths.
//! - [`sources`]: the external API clients (Twitch Helix, history endpoints) and their shared retry loop.
//! - [`jobs`]: the job types (`PullSource`, `StartSeries`, `RunPipeline`, `RollUp`), one file each, and the function that registers them all.
//! - [`pipeline`]: the per-series DAG of steps, run records, rollups and rankings.
//! - [`notify`]: `SeriesReady` and `RankingsUpdated` events, in-process, through Redis pub/sub, or on EventBridge.
//! - [`observability`]: the metrics registry (jobs, series, steps, queue depths) in the Prometheus format.
//! - [`cloudwatch`]: queue and pull metrics as CloudWatch embedded-metric lines, for alarms and worker autoscaling.
//! - [`queue`]: the apalis queue on Redis or SQLite, with each backend's hazards handled, and the workers.
//! - [`runtime`]: what every process starts with (config, stores, queue, sources), and `pull_now`.
//! - [`scheduler`]: cron schedules per source with one leader across processes, and the upkeep (reconciler, purge).
//! - [`backfill`]: a past range pulled from a history source, or stored raw data replayed, into series.
//! - [`ingest`]: pulls stored as received, series started from them, and the reconciler.
//! - [`shutdown`]: the signal (ctrl-c, SIGTERM) every binary stops on.
//! - [`simulator`]: a Helix-compatible server over a deterministic simulated platform, with fault injection; the
//!   default source, and the test double for every client here.
//!
//! This crate builds on the vocabulary, metric definitions and storage ports of [`streamlens_domain`], re-exported
//! as [`domain`] so job code names one crate.

pub use runtime::{Runtime, pull_now};
pub use streamlens_domain as domain;

pub mod admin;
pub mod backfill;
pub mod cloudwatch;
pub mod ingest;
pub mod jobs;
pub mod notify;
pub mod observability;
pub mod pipeline;
pub mod queue;
pub mod runtime;
pub mod scheduler;
pub mod shutdown;
pub mod simulator;
pub mod sources;
