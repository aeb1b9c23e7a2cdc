//! `RollUp`: recompute a day, week or month and its rankings from the level below.
//!
//! Series ask for their day's roll-up with a `not_before` at the end of a 10-second bucket; the idempotency key holds
//! the bucket, so all the series of a bucket make one job, which runs once the bucket is over (after each of them
//! wrote its hour). A day's roll-up then asks for its week's and month's the same way.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use streamlens_domain::ids::SourceId;
use streamlens_domain::time::{Period, PeriodKind, SlotLength};

use super::{Job, JobContext, JobError};
use crate::notify::Event;
use crate::pipeline::PipelineError;
use crate::pipeline::rollups::{bucket, recompute, rerank};

/// Recompute `period` of `source`, then its rankings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollUp {
    /// The source.
    pub source: SourceId,
    /// The period (a day, week or month; an hour is grown by each of its series).
    pub period: Period,
    /// The source's slot length.
    pub slot_length: SlotLength,
    /// The end of the bucket the request fell in: the job runs then.
    pub not_before: DateTime<Utc>,
}

impl Job for RollUp {
    const QUEUE: &'static str = "roll-up";
    const MAX_ATTEMPTS: usize = 4;

    fn idempotency_key(&self) -> Option<String> {
        Some(format!(
            "rollup:{}:{}:{}",
            self.source,
            self.period,
            self.not_before.timestamp()
        ))
    }

    fn not_before(&self) -> Option<DateTime<Utc>> {
        Some(self.not_before)
    }

    async fn run(self, ctx: &JobContext, _attempt: usize) -> Result<(), JobError> {
        let pipeline = &ctx.pipeline;
        let result: Result<(), PipelineError> = async {
            let rollup = recompute(pipeline, &self.source, self.period, self.slot_length).await?;
            let lists = rerank(pipeline, &self.source, self.period).await?;
            tracing::debug!(
                period = %self.period,
                channels = rollup.channels.len(),
                observed_slots = rollup.observed_slots,
                lists,
                "rolled up"
            );
            pipeline
                .notifier
                .publish(Event::RankingsUpdated {
                    source: self.source.clone(),
                    period: self.period,
                })
                .await;
            if self.period.kind() == PeriodKind::Day {
                let not_before = bucket(Utc::now(), pipeline.settings.rollup_bucket);
                let above = [PeriodKind::Week, PeriodKind::Month].map(|kind| RollUp {
                    source: self.source.clone(),
                    period: Period::containing(kind, self.period.start()),
                    slot_length: self.slot_length,
                    not_before,
                });
                pipeline.queue.push_all(above.to_vec()).await?;
            }
            Ok(())
        }
        .await;
        result.map_err(|error| {
            if error.is_retryable() {
                JobError::Retry(error.to_string())
            } else {
                JobError::Abort(error.to_string())
            }
        })
    }
}
