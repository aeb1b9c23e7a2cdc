//! The simulator's game mix, calibrated on published figures.
//!
//! `game_mix.csv` holds the 100 games with the most hours watched on Twitch in 2022 with their share of hours watched,
//! their share of hours streamed and their viewer ratio, derived by `scripts/calibrate-simulator.py` from the
//! published monthly statistics in `domain/tests/fixtures/`. Channels pick their games by share of hours streamed,
//! and draw viewers in proportion to the game's viewer ratio, so the simulated per-game hours watched follow the
//! published shares: the heavy tail of a real platform, not a uniform draw.

use std::sync::LazyLock;

/// One game of the mix.
#[derive(Debug, Clone, PartialEq)]
pub struct Game {
    /// Helix `game_id` in the simulated world.
    pub id: String,
    /// The game's name.
    pub name: &'static str,
    /// Share of hours watched among the 100 games.
    pub watched_share: f64,
    /// Share of hours streamed among the 100 games.
    pub streamed_share: f64,
    /// Hours watched per hour streamed.
    pub viewer_ratio: f64,
}

const MIX: &str = include_str!("game_mix.csv");

/// The games, most watched first.
pub static GAMES: LazyLock<Vec<Game>> = LazyLock::new(|| {
    MIX.lines()
        .filter(|line| !line.starts_with('#'))
        .skip(1)
        .enumerate()
        .filter_map(|(rank, line)| {
            // The name may contain commas (quoted); the three numbers never do.
            let mut fields = line.rsplitn(4, ',');
            let viewer_ratio = fields.next()?.parse().ok()?;
            let streamed_share = fields.next()?.parse().ok()?;
            let watched_share = fields.next()?.parse().ok()?;
            let name = fields.next()?.trim_matches('"');
            Some(Game {
                id: (509_000 + rank).to_string(),
                name,
                watched_share,
                streamed_share,
                viewer_ratio,
            })
        })
        .collect()
});

/// The game with this Helix id.
pub fn by_id(id: &str) -> Option<&'static Game> {
    GAMES.iter().find(|g| g.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mix_has_a_hundred_games_with_shares_summing_to_one() {
        assert_eq!(GAMES.len(), 100);
        let watched: f64 = GAMES.iter().map(|g| g.watched_share).sum();
        let streamed: f64 = GAMES.iter().map(|g| g.streamed_share).sum();
        assert!((watched - 1.0).abs() < 1e-3 && (streamed - 1.0).abs() < 1e-3);
        assert_eq!(GAMES[0].name, "Just Chatting");
        assert!(GAMES.iter().any(|g| g.name.contains(',')) || GAMES.iter().all(|g| !g.name.is_empty()));
        assert_eq!(by_id(&GAMES[3].id), Some(&GAMES[3]));
    }
}
