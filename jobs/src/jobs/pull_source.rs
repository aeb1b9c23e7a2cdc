//! `PullSource`: pull a source and store what it answers, then start a series per slot.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use streamlens_domain::ids::SourceId;
use streamlens_domain::pulls::{PullId, PullStatus, Trigger};

use super::{Job, JobContext, JobError, StartSeries};
use crate::ingest::pull::{PullRequest, pull};

/// Pull `source`. For a live source the pull is "now"; for a range source, the schedule's range at `at`, or `range`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullSource {
    /// The source.
    pub source: SourceId,
    /// What asked for it.
    pub trigger: Trigger,
    /// The schedule tick (or request time) it stands for.
    pub at: DateTime<Utc>,
    /// An explicit range for a range source.
    #[serde(default)]
    pub range: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// The id handed out for this pull before it ran ([`crate::pull_now`]); retries get ids of their own.
    #[serde(default)]
    pub pull_id: Option<PullId>,
}

impl Job for PullSource {
    const QUEUE: &'static str = "pull-source";
    const MAX_ATTEMPTS: usize = 3;

    fn idempotency_key(&self) -> Option<String> {
        let time = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
        match (self.trigger, self.range) {
            (Trigger::Schedule, _) => Some(format!("pull:{}:{}", self.source, time(self.at))),
            (Trigger::Backfill, Some((from, to))) => Some(format!("pull:{}:{}:{}", self.source, time(from), time(to))),
            // An admin's "pull now" always pulls.
            _ => None,
        }
    }

    async fn run(self, ctx: &JobContext, _attempt: usize) -> Result<(), JobError> {
        let source = ctx
            .sources
            .get(&self.source)
            .ok_or_else(|| JobError::Abort(format!("no source {:?} is configured", self.source.as_str())))?;
        let request = PullRequest {
            trigger: self.trigger,
            at: self.at,
            range: self.range,
            pull_id: self.pull_id,
        };
        let record = pull(&ctx.storage, &source, request).await?;
        if record.status != PullStatus::Succeeded {
            // A page was quarantined: the pull is recorded as failed; another pull may get a clean answer.
            return Err(JobError::Retry(record.error.unwrap_or_else(|| "pull failed".into())));
        }
        let starts: Vec<StartSeries> = record
            .slots
            .iter()
            .map(|&slot| StartSeries {
                source: record.source.clone(),
                slot,
                pull_id: record.pull_id.clone(),
                trigger: record.trigger,
            })
            .collect();
        tracing::info!(
            source = %record.source,
            pull.id = %record.pull_id,
            pages = record.pages.len(),
            records = record.records,
            series = starts.len(),
            "pull stored"
        );
        ctx.queue.push_all(starts).await?;
        Ok(())
    }
}
