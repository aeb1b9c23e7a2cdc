//! `languages`: viewers and live channels per broadcast language in this slot.
//!
//! The example of adding a step: this file and one line in [`super::registry`].

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use streamlens_domain::ids::Language;
use streamlens_domain::rollup::{SlotFact, slot_facts};

use super::prepare::Prepared;

use crate::pipeline::{Counts, PipelineError, Step, StepContext};

/// One language in one slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LanguageSlot {
    /// The language.
    pub language: Language,
    /// Σ viewers of its live channels.
    pub viewers: u64,
    /// Its live channels.
    pub channels: u64,
}

/// Per-language totals of a slot's facts, most viewers first (ties by language).
pub fn languages(facts: &[SlotFact]) -> Vec<LanguageSlot> {
    let mut per: BTreeMap<&Language, (u64, u64)> = BTreeMap::new();
    for fact in facts {
        if let Some(language) = &fact.language {
            let entry = per.entry(language).or_default();
            entry.0 += fact.viewers;
            entry.1 += 1;
        }
    }
    let mut out: Vec<LanguageSlot> = per
        .into_iter()
        .map(|(language, (viewers, channels))| LanguageSlot {
            language: language.clone(),
            viewers,
            channels,
        })
        .collect();
    out.sort_by(|a, b| b.viewers.cmp(&a.viewers).then_with(|| a.language.cmp(&b.language)));
    out
}

/// The step.
#[derive(Debug)]
pub struct Languages;

#[async_trait]
impl Step for Languages {
    fn name(&self) -> &'static str {
        "languages"
    }

    fn needs(&self) -> &'static [&'static str] {
        &["prepare"]
    }

    async fn run(&self, cx: &StepContext<'_>) -> Result<Counts, PipelineError> {
        let prepared = cx.outputs.load::<Prepared>(cx.pipeline, "prepare").await?;
        let out = languages(&slot_facts(&prepared.streams));
        let counts = Counts::from([("languages".to_owned(), out.len() as u64)]);
        cx.outputs.save_for_run(cx.pipeline, self.name(), out).await?;
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use streamlens_domain::ids::{ChannelId, Login, StreamId};

    fn fact(channel: &str, viewers: u64, language: Option<&str>) -> SlotFact {
        SlotFact {
            channel: ChannelId::parse(channel).unwrap(),
            login: Login::parse(format!("c{channel}")).unwrap(),
            viewers,
            game: None,
            language: language.map(|l| Language::parse(l).unwrap()),
            stream: StreamId::parse("s").unwrap(),
        }
    }

    #[test]
    fn totals_per_language_most_viewers_first() {
        let out = languages(&[
            fact("1", 10, Some("en")),
            fact("2", 30, Some("de")),
            fact("3", 5, Some("en")),
            fact("4", 9, None),
        ]);
        let view: Vec<(&str, u64, u64)> = out
            .iter()
            .map(|l| (l.language.as_str(), l.viewers, l.channels))
            .collect();
        assert_eq!(view, [("de", 30, 1), ("en", 15, 2)]);
    }
}
