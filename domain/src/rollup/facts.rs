//! Slot facts: one channel live in one slot, the unit every rollup is built from.

use serde::{Deserialize, Serialize};

use crate::ids::{ChannelId, GameId, Language, Login, StreamId};
use crate::record::PreparedStream;

/// One channel live in one slot, with what it was doing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotFact {
    /// The channel.
    pub channel: ChannelId,
    /// Its login in this slot.
    pub login: Login,
    /// Concurrent viewers.
    pub viewers: u64,
    /// The game played, if any.
    pub game: Option<GameId>,
    /// The broadcast language, if known.
    pub language: Option<Language>,
    /// The stream id (changes at each reconnect).
    pub stream: StreamId,
}

/// The facts of one slot from its prepared records: one per channel (a channel twice in one snapshot, with two stream
/// ids, counts once with its higher viewer count), sorted by channel id so the same records always give the same
/// bytes.
pub fn slot_facts(prepared: &[PreparedStream]) -> Vec<SlotFact> {
    let mut facts: Vec<SlotFact> = prepared
        .iter()
        .map(|p| SlotFact {
            channel: p.channel.clone(),
            login: p.login.clone(),
            viewers: p.viewers,
            game: p.game.clone(),
            language: p.language.clone(),
            stream: p.stream_id.clone(),
        })
        .collect();
    // Highest viewers first within a channel, so the dedupe keeps it; then by stream id for a total order.
    facts.sort_by(|a, b| {
        a.channel
            .cmp(&b.channel)
            .then(b.viewers.cmp(&a.viewers))
            .then(a.stream.cmp(&b.stream))
    });
    facts.dedup_by(|later, kept| later.channel == kept.channel);
    facts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::helix::HelixStream;

    fn stream(id: &str, channel: &str, viewers: i64) -> PreparedStream {
        PreparedStream::from_helix(&HelixStream {
            id: id.into(),
            user_id: channel.into(),
            user_login: format!("c{channel}"),
            user_name: channel.into(),
            game_id: "1".into(),
            game_name: "G".into(),
            stream_type: "live".into(),
            title: String::new(),
            viewer_count: viewers,
            started_at: "2026-11-26T10:00:00Z".into(),
            language: "en".into(),
            thumbnail_url: String::new(),
            tags: None,
            tag_ids: None,
            is_mature: None,
        })
        .unwrap()
    }

    #[test]
    fn one_fact_per_channel_with_the_higher_count_in_channel_order() {
        let facts = slot_facts(&[stream("s1", "2", 10), stream("s2", "1", 5), stream("s3", "2", 30)]);
        let view: Vec<(&str, u64, &str)> = facts
            .iter()
            .map(|f| (f.channel.as_str(), f.viewers, f.stream.as_str()))
            .collect();
        assert_eq!(view, [("1", 5, "s2"), ("2", 30, "s3")]);
    }
}
