//! `StartSeries`: copy one slot's data out of a raw pull into its series, once.

use serde::{Deserialize, Serialize};
use streamlens_domain::ids::{SeriesId, SourceId};
use streamlens_domain::pulls::{PullId, Trigger};
use streamlens_domain::time::Slot;

use super::{Job, JobContext, JobError, RunPipeline};
use crate::ingest::start_series::{Started, start_series};
use crate::pipeline::run::{RunId, RunTrigger};

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
        match start_series(&ctx.storage, &ctx.pages, &self.source, self.slot, &self.pull_id).await? {
            Started::New(series) => {
                tracing::debug!(series.id = %series.id, records = series.records, "series started");
                let trigger = match self.trigger {
                    Trigger::Schedule => RunTrigger::Schedule,
                    Trigger::Manual => RunTrigger::Manual,
                    Trigger::Backfill => RunTrigger::Backfill,
                };
                ctx.queue
                    .push(RunPipeline {
                        series: series.id,
                        run_id: RunId::generate(),
                        trigger,
                    })
                    .await?;
            }
            Started::Existing(id) => tracing::debug!(series.id = %id, "series already started"),
        }
        Ok(())
    }
}
