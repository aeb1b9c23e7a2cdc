//! `broadcasts`: recomputes the broadcasts touching this series' hour (reconnects within 15 minutes merged, across
//! hour and day boundaries), and the hours after it while they change.

use async_trait::async_trait;
use streamlens_domain::time::{Period, PeriodKind};

use crate::pipeline::rollups::rebroadcast;
use crate::pipeline::{Counts, PipelineError, Step, StepContext};

/// The step.
#[derive(Debug)]
pub struct Broadcasts;

#[async_trait]
impl Step for Broadcasts {
    fn name(&self) -> &'static str {
        "broadcasts"
    }

    fn needs(&self) -> &'static [&'static str] {
        &["rollups"]
    }

    async fn run(&self, cx: &StepContext<'_>) -> Result<Counts, PipelineError> {
        if cx.series.slot.length().minutes() > 60 {
            // Slots longer than an hour carry no minute data to find broadcasts in.
            return Ok(Counts::new());
        }
        let hour = Period::containing(PeriodKind::Hour, cx.series.slot.start());
        let hours = rebroadcast(cx.pipeline, &cx.series.source, hour).await?;
        Ok(Counts::from([("hours_rewritten".to_owned(), hours as u64)]))
    }
}
