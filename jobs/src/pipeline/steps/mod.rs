//! The steps, one file each, and [`registry`], the one list of them.
//!
//! | step | needs | output (`clean/{source}/{day}/{slot}/{step}.json.zst`, or per period) | metadata written |
//! |---|---|---|---|
//! | [`prepare`] | (the series' data) | prepared records; invalid records with their reasons; counts | |
//! | [`viewers`] | prepare | slot facts: each channel's viewers, game, language | |
//! | [`channels`] | prepare | profiles; title and game changes against the previous slot | profiles, lookups, history |
//! | [`games`] | prepare | per-game viewers and channels | game names (Helix lookup, cached) |
//! | [`languages`] | prepare | per-language viewers and channels | |
//! | [`rollups`] | viewers, games, languages | (`rollups/…`: the hour) | hour stats, minute data; `RollUp` of the day |
//! | [`rankings`] | rollups | (`rankings/…`: the hour's) | the hour's ranking pages |
//! | [`broadcasts`] | rollups | (`broadcasts/…`: the hour's) | broadcasts of the hour and the hours after it while they change |
//! | [`finalize`] | rankings, broadcasts, channels | | series `ready`; `SeriesReady` published |

pub mod broadcasts;
pub mod channels;
pub mod finalize;
pub mod games;
pub mod languages;
pub mod prepare;
pub mod rankings;
pub mod rollups;
pub mod viewers;

use super::Step;

/// Every step. The DAG's order follows from what each step needs; adding a step is one line here.
pub fn registry() -> Vec<Box<dyn Step>> {
    vec![
        Box::new(prepare::Prepare),
        Box::new(viewers::Viewers),
        Box::new(channels::Channels),
        Box::new(games::Games),
        Box::new(languages::Languages),
        Box::new(rollups::Rollups),
        Box::new(rankings::Rankings),
        Box::new(broadcasts::Broadcasts),
        Box::new(finalize::Finalize),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::waves;

    #[test]
    fn the_dag_runs_prepare_then_the_slot_steps_together_then_rollups_rankings_finalize() {
        let steps = registry();
        let waves: Vec<Vec<&str>> = waves(&steps)
            .iter()
            .map(|w| w.iter().map(|s| s.name()).collect())
            .collect();
        assert_eq!(
            waves,
            vec![
                vec!["prepare"],
                vec!["viewers", "channels", "games", "languages"],
                vec!["rollups"],
                vec!["rankings", "broadcasts"],
                vec!["finalize"],
            ]
        );
    }
}
