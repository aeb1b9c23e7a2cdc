//! The scheduler: per-source cron schedules on apalis-cron, exactly one active scheduler across processes, and the
//! upkeep that keeps the system whole.
//!
//! Every scheduler process runs the same cron workers; at each tick only the leader ([`leader`]) enqueues, and the
//! pushed job carries an idempotency key per source and tick, so a tick enqueues one pull even at the moment
//! leadership moves. The cron handlers only enqueue and never carry a concurrency limit: apalis-cron stops a cron
//! worker that falls a tick behind (the monitor restarts it).
//!
//! Upkeep, also leader-only: every minute the reconciler ([`crate::ingest::reconcile`]) starts the series whose raw
//! data exists without one, and re-runs series whose run stalled with no job left; every hour finished jobs are
//! purged from the queues and expired metadata items (old minute data) removed.
//!
//! - [`leader`]: the Redis leader lock, or sole leadership in the embedded setup.

pub mod leader;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use apalis::prelude::{BoxDynError, Data, Monitor, WorkerBuilder, WorkerBuilderExt};
use apalis_cron::{CronScheduler, Tick};
use chrono::{DateTime, Utc};
use streamlens_domain::config::SourceConfig;
use streamlens_domain::ids::SourceId;
use streamlens_domain::pulls::Trigger;
use streamlens_domain::storage::Storage;

use crate::admin;
use crate::ingest::reconcile::{reconcile, stalled_series};
use crate::jobs::{PullSource, RunPipeline, StartSeries};
use crate::pipeline::run::{RunId, RunTrigger};
use crate::queue::worker::worker_name;
use crate::queue::{Queue, QueueError};
use leader::{LEASE, Leadership, RedisLock};

/// How far back the reconciler looks each minute.
pub const RECONCILE_WINDOW: chrono::Duration = chrono::Duration::hours(2);

/// Leadership for schedulers sharing `queue`: a Redis lock with a Redis queue, sole leadership otherwise.
pub fn leadership_for(queue: &Queue) -> Leadership {
    match queue {
        Queue::Redis(redis) => Leadership::Redis(RedisLock::new(
            redis.connection(),
            format!("{}:scheduler:leader", redis.settings().namespace),
            LEASE,
        )),
        Queue::Sqlite(_) => Leadership::Solo,
    }
}

/// What the cron handlers reach.
#[derive(Debug, Clone)]
struct TickContext {
    storage: Storage,
    queue: Queue,
    leadership: Leadership,
    sources: Arc<Vec<SourceId>>,
}

/// One source's schedule.
#[derive(Debug, Clone)]
struct SourceTick {
    source: SourceId,
}

fn tick_time(tick: &Tick) -> DateTime<Utc> {
    DateTime::from_timestamp(i64::try_from(tick.get_timestamp()).unwrap_or(0), 0).unwrap_or_default()
}

/// Enqueues the source's pull for this tick, if this process leads.
async fn on_source_tick(tick: Tick, ctx: Data<TickContext>, source: Data<SourceTick>) -> Result<(), BoxDynError> {
    if !ctx.leadership.lead().await? {
        return Ok(());
    }
    let job = PullSource {
        source: source.source.clone(),
        trigger: Trigger::Schedule,
        at: tick_time(&tick),
        range: None,
        pull_id: None,
    };
    ctx.queue.push(job).await?;
    tracing::debug!(source = %source.source, at = %tick_time(&tick), "pull enqueued");
    Ok(())
}

/// Starts the series whose raw data has none, if this process leads.
async fn on_reconcile_tick(tick: Tick, ctx: Data<TickContext>) -> Result<(), BoxDynError> {
    if !ctx.leadership.lead().await? {
        return Ok(());
    }
    let now = tick_time(&tick);
    let found = reconcile(&ctx.storage, &ctx.sources, now - RECONCILE_WINDOW, now).await?;
    if !found.missing.is_empty() || found.abandoned > 0 {
        tracing::info!(missing = found.missing.len(), abandoned = found.abandoned, "reconciled");
    }
    let starts: Vec<StartSeries> = found
        .missing
        .into_iter()
        .map(|m| StartSeries {
            source: m.source,
            slot: m.slot,
            pull_id: m.pull_id,
            trigger: m.trigger,
        })
        .collect();
    ctx.queue.push_all(starts).await?;

    // Series whose run never finished: only when no pipeline job waits or runs (a backlog finishes them).
    if ctx.queue.depth::<RunPipeline>().await?.backlog() == 0 {
        let stalled = stalled_series(&ctx.storage, &ctx.sources, now).await?;
        if !stalled.is_empty() {
            tracing::info!(stalled = stalled.len(), "re-running stalled series");
        }
        let runs: Vec<RunPipeline> = stalled
            .into_iter()
            .map(|series| RunPipeline {
                series,
                run_id: RunId::generate(),
                trigger: RunTrigger::Reconcile,
            })
            .collect();
        ctx.queue.push_all(runs).await?;
    }
    Ok(())
}

/// Purges finished jobs and expired items, if this process leads.
async fn on_upkeep_tick(tick: Tick, ctx: Data<TickContext>) -> Result<(), BoxDynError> {
    if !ctx.leadership.lead().await? {
        return Ok(());
    }
    let jobs = admin::purge_done(&ctx.queue).await?;
    let items = ctx.storage.meta.purge_expired(tick_time(&tick).timestamp()).await?;
    tracing::info!(jobs, items, "purged finished jobs and expired items");
    Ok(())
}

/// The scheduler of one process.
#[derive(Debug)]
pub struct Scheduler {
    ctx: TickContext,
    sources: Vec<SourceConfig>,
}

impl Scheduler {
    /// A scheduler for `sources`, enqueueing on `queue`.
    pub fn new(storage: Storage, queue: Queue, sources: Vec<SourceConfig>) -> Self {
        let leadership = leadership_for(&queue);
        Self {
            ctx: TickContext {
                storage,
                queue,
                leadership,
                sources: Arc::new(sources.iter().map(|s| s.id.clone()).collect()),
            },
            sources,
        }
    }

    /// This scheduler's leadership (for tests and status).
    pub fn leadership(&self) -> &Leadership {
        &self.ctx.leadership
    }

    /// Runs the schedules until `shutdown` resolves, then gives leadership up.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), QueueError> {
        let bad = |e: String| QueueError::Workers(e);
        let mut monitor = Monitor::new()
            .should_restart(|worker, error| {
                tracing::warn!(worker = worker.name(), %error, "scheduler worker stopped; restarting it");
                true
            })
            .shutdown_timeout(Duration::from_secs(5));
        for source in &self.sources {
            let schedule = source.schedule.cron().map_err(bad)?;
            let ctx = self.ctx.clone();
            let tick = SourceTick {
                source: source.id.clone(),
            };
            let name = worker_name(&format!("schedule-{}", source.id));
            monitor = monitor.register(move |_| {
                WorkerBuilder::new(name.as_str())
                    .backend(CronScheduler::new(schedule.clone()))
                    .catch_panic()
                    .data(ctx.clone())
                    .data(tick.clone())
                    .build(on_source_tick)
            });
            tracing::info!(source = %source.id, schedule = %source.schedule, "scheduled");
        }
        let every_minute = cron::Schedule::from_str("30 * * * * *").map_err(|e| bad(e.to_string()))?;
        let every_hour = cron::Schedule::from_str("0 0 * * * *").map_err(|e| bad(e.to_string()))?;
        let (ctx, name) = (self.ctx.clone(), worker_name("reconcile"));
        monitor = monitor.register(move |_| {
            WorkerBuilder::new(name.as_str())
                .backend(CronScheduler::new(every_minute.clone()))
                .catch_panic()
                .data(ctx.clone())
                .build(on_reconcile_tick)
        });
        let (ctx, name) = (self.ctx.clone(), worker_name("upkeep"));
        monitor = monitor.register(move |_| {
            WorkerBuilder::new(name.as_str())
                .backend(CronScheduler::new(every_hour.clone()))
                .catch_panic()
                .data(ctx.clone())
                .build(on_upkeep_tick)
        });

        // Hold leadership between ticks, so it does not change hands at every tick.
        let leadership = self.ctx.leadership.clone();
        let renew = tokio::spawn(async move {
            let mut every = tokio::time::interval(LEASE / 3);
            loop {
                every.tick().await;
                if let Err(error) = leadership.lead().await {
                    tracing::warn!(%error, "cannot reach Redis to hold scheduler leadership");
                }
            }
        });
        let result = monitor
            .run_with_signal(async move {
                shutdown.await;
                Ok(())
            })
            .await;
        renew.abort();
        self.ctx.leadership.resign().await;
        result.map_err(|e| bad(e.to_string()))
    }
}
