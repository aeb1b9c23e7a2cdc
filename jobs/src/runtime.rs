//! What a Streamlens process runs on: its configuration, the stores, the queue, and (for workers) the sources.
//!
//! Every binary starts the same way: [`Runtime::start`], then runs workers ([`Runtime::run_workers`]), the
//! scheduler ([`Runtime::scheduler`]), the gateway, or all of them in one process.

use std::sync::Arc;

use anyhow::Context as _;
use chrono::Utc;
use streamlens_domain::config::{Config, PubSubUrl};
use streamlens_domain::ids::SourceId;
use streamlens_domain::pulls::{PullId, Trigger};
use streamlens_domain::storage::Storage;

use crate::jobs::{JobContext, PullSource, register_all};
use crate::notify::{EventBridge, Notifier};
use crate::pipeline::locks::Locks;
use crate::queue::worker::Registrar;
use crate::queue::{Queue, QueueError, QueueSettings};
use crate::scheduler::Scheduler;
use crate::sources::registry::Sources;

/// The shared parts of a process.
#[derive(Debug, Clone)]
pub struct Runtime {
    /// The configuration it was started with.
    pub config: Arc<Config>,
    /// The blob and metadata stores.
    pub storage: Storage,
    /// The job queue.
    pub queue: Queue,
    /// Locks shared by every process of the deployment (Redis), or by this one (embedded).
    pub locks: Locks,
    /// Where events go.
    pub notifier: Notifier,
}

/// Why a manual pull was refused.
#[derive(Debug, thiserror::Error)]
pub enum PullNowError {
    /// No such source is configured.
    #[error("no source {0:?} is configured")]
    UnknownSource(String),
    /// The queue failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
}

impl Runtime {
    /// Installs the metrics registry ([`crate::observability`]), opens the stores and connects to the queue.
    pub async fn start(config: Config) -> anyhow::Result<Self> {
        crate::observability::install();
        let storage = Storage::open(&config.storage).await.context("opening the stores")?;
        let settings = QueueSettings {
            concurrency: config.worker_concurrency,
            namespace: config.queue_namespace.clone(),
            ..QueueSettings::default()
        };
        let queue = Queue::connect(&config.queue, settings)
            .await
            .with_context(|| format!("connecting to the queue {} (STREAMLENS_QUEUE)", config.queue))?;
        tracing::info!(
            blobs = %config.storage.blobs,
            meta = %config.storage.meta,
            queue = %config.queue,
            "stores and queue open"
        );
        let locks = match &queue {
            Queue::Redis(redis) => Locks::Redis {
                connection: redis.connection(),
                namespace: redis.settings().namespace.clone(),
            },
            Queue::Sqlite(_) => Locks::local(),
        };
        let notifier = match &config.pubsub {
            PubSubUrl::Memory => Notifier::in_process(),
            PubSubUrl::Off => Notifier::off(),
            PubSubUrl::Redis(url) => Notifier::redis(url, &queue.settings().namespace)
                .await
                .with_context(|| format!("connecting to pub/sub {} (STREAMLENS_PUBSUB)", config.pubsub))?,
        };
        let notifier = match &config.eventbridge_bus {
            None => notifier,
            Some(bus) => notifier.with_eventbridge(
                EventBridge::connect(bus, &config.storage.aws)
                    .await
                    .map_err(anyhow::Error::msg)
                    .context("setting up EventBridge (STREAMLENS_EVENTBRIDGE_BUS)")?,
            ),
        };
        Ok(Self {
            config: Arc::new(config),
            storage,
            queue,
            locks,
            notifier,
        })
    }

    /// Builds a client per source (starting the built-in simulator when a source needs it).
    pub async fn start_sources(&self) -> anyhow::Result<Arc<Sources>> {
        let sources = Sources::start(&self.config.sources, self.config.simulator)
            .await
            .context("setting up the sources")?;
        Ok(Arc::new(sources))
    }

    /// Runs a worker per job type until `shutdown` resolves; running jobs finish first.
    pub async fn run_workers(
        &self,
        sources: Arc<Sources>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), QueueError> {
        // Queue metrics for CloudWatch, when configured: written while the workers run.
        let reporter = self
            .config
            .cloudwatch_namespace
            .clone()
            .map(|namespace| tokio::spawn(crate::cloudwatch::report(self.queue.clone(), namespace)));
        let result = register_all(Registrar::new(self.job_context(sources)))
            .run(shutdown)
            .await;
        if let Some(reporter) = reporter {
            reporter.abort();
        }
        result
    }

    /// What jobs reach: the stores, the queue, the sources, the locks and the notifier of this runtime.
    pub fn job_context(&self, sources: Arc<Sources>) -> JobContext {
        let mut ctx = JobContext::new(
            self.storage.clone(),
            self.queue.clone(),
            sources,
            self.locks.clone(),
            self.notifier.clone(),
        );
        ctx.pipeline.settings.minute_retention = chrono::Duration::days(i64::from(self.config.minute_retention_days));
        ctx
    }

    /// The scheduler for the configured sources.
    pub fn scheduler(&self) -> Scheduler {
        Scheduler::new(self.storage.clone(), self.queue.clone(), self.config.sources.clone())
    }

    /// Enqueues a pull of `source` now and returns the id its pull record will carry (the record appears under
    /// `RAW#{source}` once a worker starts the pull).
    pub async fn pull_now(&self, source: &str) -> Result<PullId, PullNowError> {
        let source = self
            .config
            .source(source)
            .map(|s| s.id.clone())
            .ok_or_else(|| PullNowError::UnknownSource(source.to_owned()))?;
        pull_now(&self.queue, source).await
    }
}

/// Enqueues a manual pull of `source` and returns its pull id.
pub async fn pull_now(queue: &Queue, source: SourceId) -> Result<PullId, PullNowError> {
    let pull_id = PullId::generate();
    queue
        .push(PullSource {
            source,
            trigger: Trigger::Manual,
            at: Utc::now(),
            range: None,
            pull_id: Some(pull_id.clone()),
        })
        .await?;
    Ok(pull_id)
}

/// Loads the configuration and installs logging, or says why not on stderr and returns the exit code (2).
#[allow(clippy::print_stderr)]
pub fn configure(binary: &str) -> Result<Config, std::process::ExitCode> {
    let config = Config::load().map_err(|error| {
        eprintln!("{binary}: configuration error: {error}");
        std::process::ExitCode::from(2)
    })?;
    streamlens_domain::telemetry::init(&config.log).map_err(|error| {
        eprintln!("{binary}: {error}");
        std::process::ExitCode::from(2)
    })?;
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
    Ok(config)
}
