//! A period's totals per channel, game, language and the platform, built from slot facts (an hour) or from the
//! totals of the periods inside it (a day from its hours; a week or a month from its days).
//!
//! Everything is a sum of whole minutes, a maximum, or a set, so combining parts gives exactly what computing from
//! the slots would: recomputing a period from the level below is how late, repeated or re-run series are absorbed
//! without ever counting a slot twice.

use std::borrow::Borrow;
use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::facts::SlotFact;
use crate::ids::{ChannelId, GameId, Language, Login, SourceId};
use crate::metrics::{ChannelStats, Coverage, GroupStats, Peak};
use crate::time::{Period, PeriodKind, Slot, SlotLength};

/// A group's totals (a game, a language, a game in a language, the platform).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupTotals {
    /// Σ viewers × s.
    pub viewer_minutes: u64,
    /// Σ airtime, minutes.
    pub stream_minutes: u64,
    /// The largest sum of viewers in one slot, and when.
    pub peak_viewers: Option<Peak>,
    /// The most channels live in one slot, and when.
    pub peak_channels: Option<Peak>,
    /// Every channel live at least once.
    pub streamers: BTreeSet<ChannelId>,
}

impl GroupTotals {
    fn add_slot(&mut self, slot: DateTime<Utc>, facts: &[&SlotFact], length: SlotLength) {
        let viewers: u64 = facts.iter().map(|f| f.viewers).sum();
        let minutes = u64::from(length.minutes());
        self.viewer_minutes += viewers * minutes;
        self.stream_minutes += facts.len() as u64 * minutes;
        self.peak_viewers = Peak::max(
            self.peak_viewers,
            Some(Peak {
                value: viewers,
                at: slot,
            }),
        );
        self.peak_channels = Peak::max(
            self.peak_channels,
            Some(Peak {
                value: facts.len() as u64,
                at: slot,
            }),
        );
        self.streamers.extend(facts.iter().map(|f| f.channel.clone()));
    }

    fn combine(&mut self, other: &GroupTotals) {
        self.viewer_minutes += other.viewer_minutes;
        self.stream_minutes += other.stream_minutes;
        self.peak_viewers = Peak::max(self.peak_viewers, other.peak_viewers);
        self.peak_channels = Peak::max(self.peak_channels, other.peak_channels);
        self.streamers.extend(other.streamers.iter().cloned());
    }

    /// The metric view over a period observed for `observed_minutes`.
    pub fn stats(&self, observed_minutes: u64) -> GroupStats {
        GroupStats {
            viewer_minutes: self.viewer_minutes,
            stream_minutes: self.stream_minutes,
            observed_minutes,
            peak_viewers: self.peak_viewers,
            peak_channels: self.peak_channels,
            unique_streamers: self.streamers.len() as u64,
        }
    }
}

/// One channel's totals in a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelTotals {
    /// Its login, as last seen in the period.
    pub login: Login,
    /// Its language, as last seen in the period.
    pub language: Option<Language>,
    /// Hours watched, airtime, peak over the period.
    pub stats: ChannelStats,
    /// The same, per game played.
    pub games: BTreeMap<GameId, ChannelStats>,
    /// For an hour of slots up to an hour long: viewers in each slot of the hour (`None`: not live or not observed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub minutes: Vec<Option<u64>>,
}

/// A period's totals: the output of a rollup, and the input of the rollups above it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodRollup {
    /// The source whose data it sums.
    pub source: SourceId,
    /// The period.
    pub period: Period,
    /// The source's slot length.
    pub slot_length: SlotLength,
    /// Slots of the period that were observed (had a series).
    pub observed_slots: u64,
    /// For an hour: the start of each observed slot, so that a new slot can be added to the totals in place
    /// ([`PeriodRollup::push_slot`]). Empty for longer periods.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub slots: BTreeSet<DateTime<Utc>>,
    /// Per channel.
    pub channels: BTreeMap<ChannelId, ChannelTotals>,
    /// Per game.
    pub games: BTreeMap<GameId, GroupTotals>,
    /// Per language.
    pub languages: BTreeMap<Language, GroupTotals>,
    /// Per game, per language.
    pub game_languages: BTreeMap<GameId, BTreeMap<Language, GroupTotals>>,
    /// The whole source.
    pub platform: GroupTotals,
}

impl PeriodRollup {
    /// A period with nothing observed yet.
    pub fn empty(source: SourceId, period: Period, slot_length: SlotLength) -> Self {
        Self {
            source,
            period,
            slot_length,
            observed_slots: 0,
            slots: BTreeSet::new(),
            channels: BTreeMap::new(),
            games: BTreeMap::new(),
            languages: BTreeMap::new(),
            game_languages: BTreeMap::new(),
            platform: GroupTotals::default(),
        }
    }

    /// Slots observed out of the period's.
    pub fn coverage(&self) -> Coverage {
        Coverage::of(self.period, self.slot_length, self.observed_slots)
    }

    /// Minutes observed: the denominator of group averages.
    pub fn observed_minutes(&self) -> u64 {
        self.observed_slots * u64::from(self.slot_length.minutes())
    }

    /// The totals of `period` from the facts of its observed slots (each slot once; slots outside the period are
    /// ignored). An observed slot with no live channel counts as observed with zero viewers.
    pub fn from_slots<F: Borrow<[SlotFact]>>(
        source: SourceId,
        period: Period,
        slot_length: SlotLength,
        slots: &[(Slot, F)],
    ) -> Self {
        let mut rollup = Self::empty(source, period, slot_length);
        let mut ordered: Vec<&(Slot, F)> = slots.iter().filter(|(s, _)| period.contains(s.start())).collect();
        ordered.sort_by_key(|(s, _)| *s);
        ordered.dedup_by_key(|(s, _)| *s);
        for (slot, facts) in ordered {
            rollup.add_slot(*slot, facts.borrow());
        }
        rollup
    }

    /// Adds `slot` to an hour's totals in place, when it is of this hour and slot length and not in the totals yet
    /// (in any order: a late series too). Returns whether it was added; a slot already in the totals (a repeated or
    /// re-run series, whose facts may have changed) is not, and the hour must then be recomputed from every slot with
    /// [`PeriodRollup::from_slots`]. Adding slots one by one, in any order, gives exactly what `from_slots` gives.
    pub fn push_slot(&mut self, slot: Slot, facts: &[SlotFact]) -> bool {
        let addable = self.can_push(slot);
        if addable {
            self.add_slot(slot, facts);
        }
        addable
    }

    /// Whether [`PeriodRollup::push_slot`] would add `slot`.
    pub fn can_push(&self, slot: Slot) -> bool {
        self.period.kind() == PeriodKind::Hour
            && slot.length() == self.slot_length
            && self.period.contains(slot.start())
            && !self.slots.contains(&slot.start())
            // Stored before slots were recorded: the hour cannot tell which slots it holds.
            && self.slots.len() as u64 == self.observed_slots
    }

    /// Adds one observed slot of this period that is not in the totals yet.
    fn add_slot(&mut self, slot: Slot, facts: &[SlotFact]) {
        let (period, slot_length) = (self.period, self.slot_length);
        let per_hour = (period.kind() == PeriodKind::Hour && slot_length.minutes() <= 60)
            .then(|| (60 / slot_length.minutes()) as usize);
        let rollup = self;
        rollup.observed_slots += 1;
        let at = slot.start();
        if period.kind() == PeriodKind::Hour {
            rollup.slots.insert(at);
        }
        let all: Vec<&SlotFact> = facts.iter().collect();
        rollup.platform.add_slot(at, &all, slot_length);
        let mut by_game: BTreeMap<&GameId, Vec<&SlotFact>> = BTreeMap::new();
        let mut by_language: BTreeMap<&Language, Vec<&SlotFact>> = BTreeMap::new();
        let mut by_game_language: BTreeMap<(&GameId, &Language), Vec<&SlotFact>> = BTreeMap::new();
        for fact in facts {
            if let Some(game) = &fact.game {
                by_game.entry(game).or_default().push(fact);
            }
            if let Some(language) = &fact.language {
                by_language.entry(language).or_default().push(fact);
            }
            if let (Some(game), Some(language)) = (&fact.game, &fact.language) {
                by_game_language.entry((game, language)).or_default().push(fact);
            }
            let channel = rollup
                .channels
                .entry(fact.channel.clone())
                .or_insert_with(|| ChannelTotals {
                    login: fact.login.clone(),
                    language: fact.language.clone(),
                    stats: ChannelStats::default(),
                    games: BTreeMap::new(),
                    minutes: per_hour.map(|n| vec![None; n]).unwrap_or_default(),
                });
            // The login and language of the channel's latest live slot win: in an hour, a slot added after a later
            // one leaves them. (Longer periods are built in time order.)
            let index = ((at - period.start()).num_minutes() / i64::from(slot_length.minutes())) as usize;
            let latest = channel.minutes.iter().skip(index + 1).all(Option::is_none);
            if latest {
                channel.login = fact.login.clone();
                channel.language = fact.language.clone();
            }
            channel.stats = channel.stats.plus_slot(at, fact.viewers, slot_length);
            if let Some(game) = &fact.game {
                let per_game = channel.games.entry(game.clone()).or_default();
                *per_game = per_game.plus_slot(at, fact.viewers, slot_length);
            }
            if let Some(cell) = channel.minutes.get_mut(index) {
                *cell = Some(fact.viewers);
            }
        }
        for (game, facts) in by_game {
            rollup
                .games
                .entry(game.clone())
                .or_default()
                .add_slot(at, &facts, slot_length);
        }
        for (language, facts) in by_language {
            rollup
                .languages
                .entry(language.clone())
                .or_default()
                .add_slot(at, &facts, slot_length);
        }
        for ((game, language), facts) in by_game_language {
            rollup
                .game_languages
                .entry(game.clone())
                .or_default()
                .entry(language.clone())
                .or_default()
                .add_slot(at, &facts, slot_length);
        }
    }

    /// The totals of `period` from the totals of the periods inside it (each part once; parts outside `period`, or
    /// of another source or slot length, are ignored).
    pub fn combine<P: Borrow<PeriodRollup>>(
        source: SourceId,
        period: Period,
        slot_length: SlotLength,
        parts: &[P],
    ) -> Self {
        let mut rollup = Self::empty(source, period, slot_length);
        let mut ordered: Vec<&PeriodRollup> = parts
            .iter()
            .map(Borrow::borrow)
            .filter(|p| {
                p.source == rollup.source
                    && p.slot_length == slot_length
                    && period.contains(p.period.start())
                    && p.period.kind() < period.kind()
            })
            .collect();
        ordered.sort_by_key(|p| p.period);
        ordered.dedup_by_key(|p| p.period);
        for part in ordered {
            rollup.observed_slots += part.observed_slots;
            rollup.platform.combine(&part.platform);
            for (id, totals) in &part.channels {
                match rollup.channels.get_mut(id) {
                    None => {
                        let mut totals = totals.clone();
                        totals.minutes.clear();
                        rollup.channels.insert(id.clone(), totals);
                    }
                    Some(channel) => {
                        channel.login = totals.login.clone();
                        channel.language = totals.language.clone();
                        channel.stats = channel.stats.combine(totals.stats);
                        for (game, stats) in &totals.games {
                            let per_game = channel.games.entry(game.clone()).or_default();
                            *per_game = per_game.combine(*stats);
                        }
                    }
                }
            }
            for (game, totals) in &part.games {
                rollup.games.entry(game.clone()).or_default().combine(totals);
            }
            for (language, totals) in &part.languages {
                rollup.languages.entry(language.clone()).or_default().combine(totals);
            }
            for (game, languages) in &part.game_languages {
                let entry = rollup.game_languages.entry(game.clone()).or_default();
                for (language, totals) in languages {
                    entry.entry(language.clone()).or_default().combine(totals);
                }
            }
        }
        rollup
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::StreamId;
    use proptest::prelude::*;

    fn fact(channel: &str, viewers: u64, game: &str, language: &str) -> SlotFact {
        SlotFact {
            channel: ChannelId::parse(channel).unwrap(),
            login: Login::parse(format!("c{channel}")).unwrap(),
            viewers,
            game: Some(GameId::parse(game).unwrap()),
            language: Some(Language::parse(language).unwrap()),
            stream: StreamId::parse(format!("s{channel}")).unwrap(),
        }
    }

    fn slot(minute: i64) -> Slot {
        Slot::minute(DateTime::from_timestamp(1_795_651_200 + minute * 60, 0).unwrap()).unwrap()
    }

    fn source() -> SourceId {
        SourceId::simulator()
    }

    #[test]
    fn an_hour_from_its_slots() {
        let hour = Period::containing(PeriodKind::Hour, slot(0).start());
        let slots = vec![
            (slot(0), vec![fact("1", 100, "g", "en"), fact("2", 50, "h", "de")]),
            (slot(1), vec![fact("1", 200, "g", "en")]),
            (slot(2), vec![]),
        ];
        let r = PeriodRollup::from_slots(source(), hour, SlotLength::MINUTE, &slots);
        assert_eq!(r.observed_slots, 3);
        assert_eq!(r.platform.viewer_minutes, 350);
        assert_eq!(r.platform.stream_minutes, 3);
        assert_eq!(r.platform.peak_viewers.unwrap().value, 200);
        assert_eq!(r.platform.peak_channels.unwrap().value, 2);
        assert_eq!(r.platform.streamers.len(), 2);
        let c1 = &r.channels[&ChannelId::parse("1").unwrap()];
        assert_eq!(c1.stats.viewer_minutes, 300);
        assert_eq!(&c1.minutes[..3], &[Some(100), Some(200), None]);
        assert_eq!(r.games[&GameId::parse("h").unwrap()].viewer_minutes, 50);
        assert_eq!(r.coverage().observed_slots, 3);
        let observed = r.platform.stats(r.observed_minutes());
        assert!((observed.average_viewers().unwrap() - 350.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn slots_outside_the_period_or_repeated_count_once_or_not_at_all() {
        let hour = Period::containing(PeriodKind::Hour, slot(0).start());
        let slots = vec![
            (slot(0), vec![fact("1", 100, "g", "en")]),
            (slot(0), vec![fact("1", 100, "g", "en")]),
            (slot(60), vec![fact("1", 999, "g", "en")]),
        ];
        let r = PeriodRollup::from_slots(source(), hour, SlotLength::MINUTE, &slots);
        assert_eq!((r.observed_slots, r.platform.viewer_minutes), (1, 100));
    }

    /// A random slot: its minute, and (channel, viewers, game, language) per live channel.
    type RandomSlot = (i64, Vec<(u8, u64, u8, u8)>);

    /// Random slots over two days, with a few channels, games and languages.
    fn day_of_slots() -> impl Strategy<Value = Vec<RandomSlot>> {
        prop::collection::vec(
            (
                0i64..2 * 1440,
                prop::collection::vec((0u8..6, 0u64..1000, 0u8..3, 0u8..2), 0..6),
            ),
            0..60,
        )
    }

    proptest! {
        #[test]
        fn a_day_from_its_hours_equals_the_day_from_its_slots(raw in day_of_slots()) {
            let to_facts = |v: &Vec<(u8, u64, u8, u8)>| {
                let mut facts: Vec<SlotFact> = v
                    .iter()
                    .map(|&(c, viewers, g, l)| fact(&c.to_string(), viewers, &format!("g{g}"), ["en", "de"][l as usize]))
                    .collect();
                facts.sort_by(|a, b| a.channel.cmp(&b.channel));
                facts.dedup_by(|a, b| a.channel == b.channel);
                facts
            };
            let slots: Vec<(Slot, Vec<SlotFact>)> = raw.iter().map(|(m, v)| (slot(*m), to_facts(v))).collect();
            let day = Period::containing(PeriodKind::Day, slot(0).start());
            let direct = PeriodRollup::from_slots(source(), day, SlotLength::MINUTE, &slots);
            let hours: Vec<PeriodRollup> = Period::covering(PeriodKind::Hour, day.start(), day.end())
                .map(|h| PeriodRollup::from_slots(source(), h, SlotLength::MINUTE, &slots))
                .collect();
            let combined = PeriodRollup::combine(source(), day, SlotLength::MINUTE, &hours);
            prop_assert_eq!(&combined, &direct);
            // Parts given twice, or in another order, change nothing.
            let mut twice = hours.clone();
            twice.extend(hours.iter().rev().cloned());
            prop_assert_eq!(PeriodRollup::combine(source(), day, SlotLength::MINUTE, &twice), direct);
        }

        #[test]
        fn an_hour_grown_slot_by_slot_in_any_order_equals_the_hour_from_its_slots(raw in day_of_slots(), seed in 0u8..60) {
            let mut slots: Vec<(Slot, Vec<SlotFact>)> = raw
                .iter()
                .map(|(m, v)| {
                    let mut facts: Vec<SlotFact> = v
                        .iter()
                        .map(|&(c, viewers, g, l)| fact(&c.to_string(), viewers, &format!("g{g}"), ["en", "de"][l as usize]))
                        .collect();
                    facts.sort_by(|a, b| a.channel.cmp(&b.channel));
                    facts.dedup_by(|a, b| a.channel == b.channel);
                    (slot(m % 60), facts)
                })
                .collect();
            slots.sort_by_key(|(s, _)| *s);
            slots.dedup_by_key(|(s, _)| *s);
            let hour = Period::containing(PeriodKind::Hour, slot(0).start());
            let direct = PeriodRollup::from_slots(source(), hour, SlotLength::MINUTE, &slots);
            let mut grown = PeriodRollup::empty(source(), hour, SlotLength::MINUTE);
            // In a scrambled order (minute m goes to place (37 m + seed) mod 61): late series are added in place too.
            let mut scrambled: Vec<&(Slot, Vec<SlotFact>)> = slots.iter().collect();
            scrambled.sort_by_key(|(s, _)| ((s.start() - hour.start()).num_minutes() * 37 + i64::from(seed)) % 61);
            for (slot, facts) in scrambled {
                // Stored and read back between slots, as the pipeline does.
                grown = serde_json::from_slice(&serde_json::to_vec(&grown).unwrap()).unwrap();
                prop_assert!(grown.push_slot(*slot, facts));
                // The same slot again is refused: it needs a recompute.
                prop_assert!(!grown.push_slot(*slot, facts));
            }
            prop_assert_eq!(grown, direct);
        }
    }
}
