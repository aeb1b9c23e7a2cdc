//! Streamlens background work: what runs without a client waiting.
//!
//! # Layout
//!
//! - [`sources`]: the external API clients (Twitch Helix, history endpoints) and their shared retry loop.
//! - [`ingest`]: pulls stored as received, series started from them, and the reconciler.
//! - [`shutdown`]: the signal (ctrl-c, SIGTERM) every binary stops on.
//! - [`simulator`]: a Helix-compatible server over a deterministic simulated platform, with fault injection; the
//!   default source, and the test double for every client here.
//!
//! This crate builds on the vocabulary, metric definitions and storage ports of [`streamlens_domain`], re-exported
//! as [`domain`] so job code names one crate.

pub use streamlens_domain as domain;

pub mod ingest;
pub mod shutdown;
pub mod simulator;
pub mod sources;
