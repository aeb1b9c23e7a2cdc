//! The configured sources with their clients, built once per process.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use streamlens_domain::config::{SimulatorSettings, SourceConfig, SourceKind};
use streamlens_domain::ids::SourceId;

use super::helix::{HelixClient, HelixSettings};
use super::history::{HistoryClient, HistorySettings};
use super::http::{ApiError, RetryPolicy};
use crate::simulator::{self, SimulatorConfig, SimulatorHandle, WorldConfig};

/// A client for one source.
#[derive(Debug)]
pub enum SourceClient {
    /// Helix (Twitch or the simulator): pulls "now".
    Helix(HelixClient),
    /// A `/v1/snapshots` endpoint: pulls past ranges.
    History(HistoryClient),
}

/// One source: its config and its client.
#[derive(Debug)]
pub struct Source {
    /// How it is configured.
    pub config: SourceConfig,
    /// How to reach it.
    pub client: SourceClient,
}

/// Every configured source, by id, and the in-process simulator when a source needs it.
#[derive(Debug)]
pub struct Sources {
    sources: BTreeMap<SourceId, Arc<Source>>,
    simulator: Option<SimulatorHandle>,
}

/// Why the sources could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SourcesError {
    /// The in-process simulator did not start.
    #[error("starting the built-in simulator: {0}")]
    Simulator(std::io::Error),
    /// A client could not be built.
    #[error("source {source_id}: {error}")]
    Client {
        /// The source.
        source_id: SourceId,
        /// Why.
        error: ApiError,
    },
}

impl Sources {
    /// Builds a client for each source, starting the in-process simulator if a `simulator` source has no
    /// `base_url`.
    pub async fn start(configs: &[SourceConfig], simulator: SimulatorSettings) -> Result<Self, SourcesError> {
        let defaults = SimulatorConfig::default();
        let needs_simulator = configs
            .iter()
            .any(|c| c.kind == SourceKind::Simulator && c.base_url.is_none());
        let handle = if needs_simulator {
            let config = SimulatorConfig {
                world: WorldConfig {
                    seed: simulator.seed,
                    channels: simulator.channels,
                    ..WorldConfig::default()
                },
                speed: simulator.speed,
                ..SimulatorConfig::default()
            };
            let handle = simulator::spawn(config, SocketAddr::from(([127, 0, 0, 1], 0)))
                .await
                .map_err(SourcesError::Simulator)?;
            tracing::info!(url = %handle.base_url, channels = simulator.channels, "built-in simulator started");
            Some(handle)
        } else {
            None
        };

        let mut sources = BTreeMap::new();
        for config in configs {
            let client_error = |error| SourcesError::Client {
                source_id: config.id.clone(),
                error,
            };
            let client = match config.kind {
                SourceKind::Helix | SourceKind::Simulator => {
                    let (base, token_url) = match (config.kind, &config.base_url, &handle) {
                        (SourceKind::Simulator, None, Some(sim)) => {
                            (format!("{}/helix", sim.base_url), sim.token_url())
                        }
                        (SourceKind::Simulator, Some(base), _) => (
                            format!("{base}/helix"),
                            config.token_url.clone().unwrap_or(format!("{base}/oauth2/token")),
                        ),
                        (_, base, _) => (
                            base.clone().unwrap_or_else(|| "https://api.twitch.tv/helix".into()),
                            config
                                .token_url
                                .clone()
                                .unwrap_or_else(|| "https://id.twitch.tv/oauth2/token".into()),
                        ),
                    };
                    let (client_id, client_secret) = match config.kind {
                        SourceKind::Simulator => (
                            config.client_id.clone().unwrap_or(defaults.client_id.clone()),
                            config
                                .client_secret
                                .clone()
                                .unwrap_or_else(|| SecretString::from(defaults.client_secret.clone())),
                        ),
                        _ => (
                            config.client_id.clone().unwrap_or_default(),
                            config
                                .client_secret
                                .clone()
                                .unwrap_or_else(|| SecretString::from(String::new())),
                        ),
                    };
                    SourceClient::Helix(
                        HelixClient::new(HelixSettings {
                            base_url: base,
                            token_url,
                            client_id,
                            client_secret,
                            page_cap: config.page_cap,
                            timeout: Duration::from_secs(15),
                            retry: RetryPolicy::default(),
                        })
                        .map_err(client_error)?,
                    )
                }
                SourceKind::History => SourceClient::History(
                    HistoryClient::new(HistorySettings {
                        base_url: config.base_url.clone().unwrap_or_default(),
                        token: config.token.clone(),
                        slot_length: config.slot_length,
                        page_cap: config.page_cap,
                        timeout: Duration::from_secs(60),
                        retry: RetryPolicy::default(),
                    })
                    .map_err(client_error)?,
                ),
            };
            sources.insert(
                config.id.clone(),
                Arc::new(Source {
                    config: config.clone(),
                    client,
                }),
            );
        }
        Ok(Self {
            sources,
            simulator: handle,
        })
    }

    /// The source with this id.
    pub fn get(&self, id: &SourceId) -> Option<Arc<Source>> {
        self.sources.get(id).cloned()
    }

    /// Every source, by id.
    pub fn all(&self) -> impl Iterator<Item = &Arc<Source>> {
        self.sources.values()
    }

    /// The in-process simulator, when one runs.
    pub fn simulator(&self) -> Option<&SimulatorHandle> {
        self.simulator.as_ref()
    }
}
