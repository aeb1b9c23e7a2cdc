//! `rankings`: recomputes the rankings of this series' hour from its rollup (channels and games by hours watched,
//! average viewers and peak viewers; overall, per language and per game; with rank changes), and announces it
//! (`RankingsUpdated`).

use async_trait::async_trait;
use streamlens_domain::time::{Period, PeriodKind};

use crate::notify::Event;
use crate::pipeline::rollups::rerank;
use crate::pipeline::{Counts, PipelineError, Step, StepContext};

/// The step.
#[derive(Debug)]
pub struct Rankings;

#[async_trait]
impl Step for Rankings {
    fn name(&self) -> &'static str {
        "rankings"
    }

    fn needs(&self) -> &'static [&'static str] {
        &["rollups"]
    }

    async fn run(&self, cx: &StepContext<'_>) -> Result<Counts, PipelineError> {
        let hour = Period::containing(PeriodKind::Hour, cx.series.slot.start());
        let lists = rerank(cx.pipeline, &cx.series.source, hour).await?;
        cx.pipeline
            .notifier
            .publish(Event::RankingsUpdated {
                source: cx.series.source.clone(),
                period: hour,
            })
            .await;
        Ok(Counts::from([("lists".to_owned(), lists as u64)]))
    }
}
