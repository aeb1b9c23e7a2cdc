//! `finalize`: marks the series `ready` and publishes `SeriesReady`.

use async_trait::async_trait;
use chrono::Utc;
use streamlens_domain::series::SeriesStatus;

use super::registry;
use crate::notify::Event;
use crate::observability;
use crate::pipeline::{Counts, PipelineError, Step, StepContext, set_series_status};

/// The step.
#[derive(Debug)]
pub struct Finalize;

#[async_trait]
impl Step for Finalize {
    fn name(&self) -> &'static str {
        "finalize"
    }

    fn needs(&self) -> &'static [&'static str] {
        &["rankings", "broadcasts", "channels"]
    }

    async fn run(&self, cx: &StepContext<'_>) -> Result<Counts, PipelineError> {
        set_series_status(cx.pipeline, cx.series, SeriesStatus::Ready).await?;
        metrics::counter!(
            observability::SERIES_PROCESSED,
            "source" => cx.series.source.to_string(),
            "outcome" => "ready"
        )
        .increment(1);
        cx.pipeline
            .notifier
            .publish(Event::SeriesReady {
                series: cx.series.id.clone(),
                source: cx.series.source.clone(),
                slot: cx.series.slot,
                finished_at: Utc::now(),
                steps: registry().iter().map(|s| s.name().to_owned()).collect(),
            })
            .await;
        Ok(Counts::new())
    }
}
