//! The mutation root: admin operations (pull now, re-run a series, backfill a range, requeue dead jobs).

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Duration, Utc};
use streamlens_domain::config::SourceKind;
use streamlens_domain::ids::SeriesId;
use streamlens_domain::pulls::{PullId, Trigger};
use streamlens_jobs::admin::{self, AdminError};
use streamlens_jobs::jobs::PullSource;

use super::error::{OrInternal, bad_input, internal, not_found};
use super::gateway;

/// The mutation root.
#[derive(Debug, Default)]
pub struct Mutation;

/// A pull that was enqueued.
#[derive(Debug, Clone, SimpleObject)]
pub struct PullEnqueued {
    /// The source.
    pub source: ID,
    /// The id its pull record will carry.
    pub pull_id: ID,
}

/// A re-run that was enqueued.
#[derive(Debug, Clone, SimpleObject)]
pub struct RerunEnqueued {
    /// The series.
    pub series: ID,
    /// The new run's id.
    pub run_id: ID,
}

/// Dead jobs put back in one queue.
#[derive(Debug, Clone, SimpleObject)]
pub struct Requeued {
    /// The queue.
    pub queue: String,
    /// How many.
    pub jobs: u64,
}

/// Longest range one backfill may ask for.
const LONGEST_BACKFILL_DAYS: i64 = 92;

#[Object]
impl Mutation {
    /// Pulls `source` now (admin, `sources:pull`); its series follow through the pipeline.
    async fn pull_now(&self, ctx: &Context<'_>, source: ID) -> Result<PullEnqueued> {
        let gw = gateway(ctx);
        let source = gw.source_id(Some(&source))?;
        let pull_id = streamlens_jobs::runtime::pull_now(&gw.queue, source.clone())
            .await
            .or_internal()?;
        tracing::info!(source = %source, pull.id = %pull_id, "pull enqueued by the API");
        Ok(PullEnqueued {
            source: ID(source.to_string()),
            pull_id: ID(pull_id.to_string()),
        })
    }

    /// Starts a new run of a series' pipeline (admin, `series:rerun`): rollups and rankings come out identical.
    async fn rerun_series(&self, ctx: &Context<'_>, id: ID) -> Result<RerunEnqueued> {
        let gw = gateway(ctx);
        let series = SeriesId::parse(&id).map_err(|e| bad_input(format!("series id: {e}")))?;
        match admin::rerun_series(&gw.storage, &gw.queue, &series).await {
            Ok(run_id) => Ok(RerunEnqueued {
                series: ID(series.to_string()),
                run_id: ID(run_id.to_string()),
            }),
            Err(AdminError::NoSeries(_)) => Err(not_found(format!("no series {series}"))),
            Err(e) => Err(internal(e)),
        }
    }

    /// Pulls the past range `[from, to)` of a history source (admin, `sources:pull`), at most 92 days.
    async fn backfill(
        &self,
        ctx: &Context<'_>,
        source: ID,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<PullEnqueued> {
        let gw = gateway(ctx);
        let config = gw.source(Some(&source))?;
        if config.kind != SourceKind::History {
            return Err(bad_input(format!(
                "source {} is a live source: it has no past to pull",
                config.id
            )));
        }
        if from >= to {
            return Err(bad_input("`from` must be before `to`"));
        }
        if to > Utc::now() {
            return Err(bad_input("`to` is in the future: only the past can be backfilled"));
        }
        if to - from > Duration::days(LONGEST_BACKFILL_DAYS) {
            return Err(bad_input(format!("at most {LONGEST_BACKFILL_DAYS} days at once")));
        }
        let pull_id = PullId::generate();
        gw.queue
            .push(PullSource {
                source: config.id.clone(),
                trigger: Trigger::Backfill,
                at: Utc::now(),
                range: Some((from, to)),
                pull_id: Some(pull_id.clone()),
            })
            .await
            .or_internal()?;
        Ok(PullEnqueued {
            source: ID(config.id.to_string()),
            pull_id: ID(pull_id.to_string()),
        })
    }

    /// Puts every dead job back in its queue with a fresh attempt budget (admin).
    async fn requeue_dead_jobs(&self, ctx: &Context<'_>) -> Result<Vec<Requeued>> {
        let gw = gateway(ctx);
        let done = admin::requeue_dead(&gw.queue).await.or_internal()?;
        Ok(done
            .into_iter()
            .map(|(queue, jobs)| Requeued {
                queue: queue.to_owned(),
                jobs,
            })
            .collect())
    }
}
