//! Streamlens background work: what runs without a client waiting.
//!
//! This crate owns the external API clients (Twitch Helix, history endpoints) and the simulator, the job types and
//! their queue, the scheduler, the per-series pipeline and its notifications, and the `worker` and `scheduler`
//! binaries. It builds on the vocabulary, metric definitions and storage ports of [`streamlens_domain`], re-exported
//! here as [`domain`] so job code names one crate.

pub use streamlens_domain as domain;
