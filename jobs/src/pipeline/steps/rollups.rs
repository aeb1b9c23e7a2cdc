//! `rollups`: adds this series' slot facts to the hour's totals (or recomputes the hour from every observed slot in
//! it, when the slot is in them already), and asks for the day to be recomputed (a `RollUp` job per day and 10-second bucket, which goes on to the week and month).

use async_trait::async_trait;
use chrono::Utc;
use streamlens_domain::rollup::SlotFact;
use streamlens_domain::time::{Period, PeriodKind};

use crate::jobs::RollUp;
use crate::pipeline::rollups::{add_slot, bucket};
use crate::pipeline::{Counts, PipelineError, Step, StepContext};

/// The step.
#[derive(Debug)]
pub struct Rollups;

#[async_trait]
impl Step for Rollups {
    fn name(&self) -> &'static str {
        "rollups"
    }

    fn needs(&self) -> &'static [&'static str] {
        &["viewers", "games", "languages"]
    }

    async fn run(&self, cx: &StepContext<'_>) -> Result<Counts, PipelineError> {
        let source = &cx.series.source;
        let slot = cx.series.slot;
        let facts = cx.outputs.load::<Vec<SlotFact>>(cx.pipeline, "viewers").await?;
        let rollup = add_slot(cx.pipeline, source, slot, &facts).await?;
        let day = Period::containing(PeriodKind::Day, slot.start());
        cx.pipeline
            .queue
            .push(RollUp {
                source: source.clone(),
                period: day,
                slot_length: slot.length(),
                not_before: bucket(Utc::now(), cx.pipeline.settings.rollup_bucket),
            })
            .await?;
        Ok(Counts::from([
            ("hour_slots".to_owned(), rollup.observed_slots),
            ("hour_channels".to_owned(), rollup.channels.len() as u64),
            ("hour_games".to_owned(), rollup.games.len() as u64),
        ]))
    }
}
