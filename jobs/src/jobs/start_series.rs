//! `StartSeries`: copy one slot's data out of a raw pull into its series, once.

use serde::{Deserialize, Serialize};
use streamlens_domain::ids::{SeriesId, SourceId};
use streamlens_domain::pulls::{PullId, Trigger};
use streamlens_domain::series::{SeriesRecord, SeriesStatus};
use streamlens_domain::storage::meta::keys;
use streamlens_domain::time::Slot;

use super::{Job, JobContext, JobError, RunPipeline};
use crate::ingest::IngestError;
use crate::ingest::start_series::{Started, start_series};
use crate::pipeline::run::RunTrigger;

/// Start the series of `source` for `slot` from the pull `pull_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartSeries {
    /// The source.
    pub source: SourceId,
    /// The slot.
    pub slot: Slot,
    /// The pull holding the slot's data.
    pub pull_id: PullId,
    /// What started the pull (the series' run is recorded as started by it).
    #[serde(default = "default_trigger")]
    pub trigger: Trigger,
}

fn default_trigger() -> Trigger {
    Trigger::Schedule
}

impl Job for StartSeries {
    const QUEUE: &'static str = "start-series";
    const MAX_ATTEMPTS: usize = 5;

    fn idempotency_key(&self) -> Option<String> {
        Some(format!("start:{}:{}:{}", self.source, self.slot, self.pull_id))
    }

    fn series_id(&self) -> Option<SeriesId> {
        Some(SeriesId::new(self.source.clone(), self.slot))
    }

    async fn run(self, ctx: &JobContext, _attempt: usize) -> Result<(), JobError> {
        let series = match start_series(&ctx.storage, &ctx.pages, &self.source, self.slot, &self.pull_id).await? {
            Started::New(series) => {
                tracing::debug!(series.id = %series.id, records = series.records, "series started");
                series.id
            }
            Started::Existing(id) => {
                // Still pending: the series was started (perhaps by this job, in a process killed before it went
                // on) but no run of it has begun, so its first run may never have been queued.
                let record = ctx
                    .storage
                    .meta
                    .get(&keys::series(&id))
                    .await
                    .map_err(IngestError::from)?;
                let pending = record
                    .map(|item| item.decode::<SeriesRecord>())
                    .transpose()
                    .map_err(IngestError::from)?
                    .is_some_and(|series| series.status == SeriesStatus::Pending);
                if !pending {
                    tracing::debug!(series.id = %id, "series already started");
                    return Ok(());
                }
                id
            }
        };
        let trigger = match self.trigger {
            Trigger::Schedule => RunTrigger::Schedule,
            Trigger::Manual => RunTrigger::Manual,
            Trigger::Backfill => RunTrigger::Backfill,
        };
        // The first run takes the id of the pull the series came from, so that starting it again queues the same
        // job (its idempotency key), not a second run.
        ctx.queue
            .push(RunPipeline {
                series,
                run_id: self.pull_id,
                trigger,
            })
            .await?;
        Ok(())
    }
}
