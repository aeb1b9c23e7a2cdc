//! `RunPipeline`: run (or resume) one run of a series' pipeline.

use serde::{Deserialize, Serialize};
use streamlens_domain::ids::SeriesId;

use super::{Job, JobContext, JobError};
use crate::pipeline::run::{RunId, RunTrigger};

/// Run the pipeline of `series` as run `run_id`. A retried job resumes the same run at its first unfinished step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunPipeline {
    /// The series.
    pub series: SeriesId,
    /// The run (handed out when the run was asked for; its record appears under the series).
    pub run_id: RunId,
    /// What asked for it.
    pub trigger: RunTrigger,
}

impl Job for RunPipeline {
    const QUEUE: &'static str = "run-pipeline";
    const MAX_ATTEMPTS: usize = 4;

    fn idempotency_key(&self) -> Option<String> {
        Some(format!("run:{}:{}", self.series, self.run_id))
    }

    fn series_id(&self) -> Option<SeriesId> {
        Some(self.series.clone())
    }

    async fn run(self, ctx: &JobContext, attempt: usize) -> Result<(), JobError> {
        let last = attempt >= Self::MAX_ATTEMPTS;
        match crate::pipeline::run(&ctx.pipeline, &self.series, &self.run_id, self.trigger, last).await {
            Ok(outcome) => {
                tracing::debug!(series.id = %self.series, ran = ?outcome.ran, skipped = ?outcome.skipped, "pipeline done");
                Ok(())
            }
            Err(error) if error.is_retryable() => Err(JobError::Retry(error.to_string())),
            Err(error) => Err(JobError::Abort(error.to_string())),
        }
    }
}
