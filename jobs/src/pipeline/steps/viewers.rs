//! `viewers`: each channel's concurrent viewers in this slot, with its game and language (the slot facts every
//! rollup is built from).

use async_trait::async_trait;
use streamlens_domain::rollup::slot_facts;

use super::prepare::Prepared;
use crate::pipeline::{Counts, PipelineError, Step, StepContext};

/// The step.
#[derive(Debug)]
pub struct Viewers;

#[async_trait]
impl Step for Viewers {
    fn name(&self) -> &'static str {
        "viewers"
    }

    fn needs(&self) -> &'static [&'static str] {
        &["prepare"]
    }

    async fn run(&self, cx: &StepContext<'_>) -> Result<Counts, PipelineError> {
        let prepared = cx.outputs.load::<Prepared>(cx.pipeline, "prepare").await?;
        let facts = slot_facts(&prepared.streams);
        let counts = Counts::from([
            ("channels".to_owned(), facts.len() as u64),
            ("viewers".to_owned(), facts.iter().map(|f| f.viewers).sum()),
        ]);
        cx.outputs.save(cx.pipeline, self.name(), facts).await?;
        Ok(counts)
    }
}
