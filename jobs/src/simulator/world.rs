//! The simulated platform: a deterministic world of channels whose state at any minute is a pure function of the
//! seed, the channel and the minute, so "now" and any minute of the past can be served in any order.
//!
//! - **Channels** get a popularity from a Zipf law over a seeded ranking (the top channel peaks near 80,000 viewers,
//!   the 100th near 500, the 1,000th near 40), a language with Twitch-like shares, a home time zone from the
//!   language, a usual start hour, and two games drawn from the calibrated game mix ([`super::games`]).
//! - **Broadcasts** are planned per channel per local day: whether the channel streams that day, when it starts,
//!   how long it runs, whether it drops and reconnects a few minutes later (a new stream id, the same broadcast), and
//!   whether it switches to its second game part-way.
//! - **Viewers** follow the channel's popularity, the game's viewer ratio, a diurnal cycle in the channel's time zone,
//!   a ramp after going live and a small per-minute wobble.

use std::collections::HashMap;

use chrono::{DateTime, Duration, DurationRound, TimeZone, Utc};

use super::games::{GAMES, Game};

/// Settings of a world.
#[derive(Debug, Clone, PartialEq)]
pub struct WorldConfig {
    /// Everything follows from the seed: the same seed gives the same world.
    pub seed: u64,
    /// How many channels exist (not all are live at once; about a third are at a busy hour).
    pub channels: usize,
    /// Viewers of the most popular channel at its peak.
    pub top_viewers: f64,
}

impl Default for WorldConfig {
    fn default() -> Self {
        Self {
            seed: 2026,
            channels: 2_000,
            top_viewers: 80_000.0,
        }
    }
}

/// A channel of the world.
#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    /// Its position in the world (0-based).
    pub index: usize,
    /// Helix `user_id`.
    pub id: String,
    /// Helix `user_login`.
    pub login: String,
    /// Helix `user_name`.
    pub display_name: String,
    /// Broadcast language code.
    pub language: &'static str,
    /// Home time zone, hours from UTC.
    pub utc_offset: i64,
    /// Peak viewers before game and time-of-day effects.
    pub popularity: f64,
    /// Chance of streaming on a given day.
    pub activity: f64,
    /// Usual local start hour.
    pub start_hour: f64,
    /// Main and second game (indexes into [`GAMES`]).
    pub games: [usize; 2],
    /// When the account was created (for `/helix/users`).
    pub created_at: DateTime<Utc>,
}

/// One live stream at one minute.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveStream {
    /// The channel's index.
    pub channel: usize,
    /// Helix stream `id`: changes at each reconnect.
    pub stream_id: String,
    /// The game being played (index into [`GAMES`]).
    pub game: usize,
    /// Concurrent viewers.
    pub viewers: u64,
    /// When this stream (since the last reconnect) started.
    pub started_at: DateTime<Utc>,
    /// Stream title.
    pub title: String,
}

/// One planned broadcast of one channel.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Plan {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    /// An outage `[from, to)` after which the stream comes back with a new id.
    outage: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// When the channel switches to its second game.
    switch_at: Option<DateTime<Utc>>,
    /// The local day the plan belongs to (days since 1970-01-01), part of the stream ids.
    day: i64,
}

/// Languages with their share of channels and a home UTC offset.
const LANGUAGES: [(&str, f64, i64); 13] = [
    ("en", 0.45, -5),
    ("es", 0.10, -3),
    ("pt", 0.07, -3),
    ("de", 0.07, 1),
    ("ru", 0.06, 3),
    ("fr", 0.05, 1),
    ("ja", 0.04, 9),
    ("ko", 0.03, 9),
    ("it", 0.03, 1),
    ("pl", 0.02, 1),
    ("tr", 0.02, 3),
    ("zh", 0.02, 8),
    ("other", 0.04, 0),
];

const SYLLABLES: [&str; 24] = [
    "ka", "zu", "mi", "ro", "lo", "ne", "ta", "vi", "qu", "xo", "shi", "ra", "po", "ge", "lux", "dan", "fy", "tor",
    "bel", "nix", "ar", "yo", "em", "ko",
];

const TITLES: [&str; 8] = [
    "{game} all day | !discord",
    "ranked grind, {game}",
    "first time playing {game}",
    "chill {game} stream",
    "{game} tournament practice",
    "road to top 500 in {game}",
    "late night {game}",
    "{game} with viewers",
];

/// SplitMix64 over the inputs: a fast, well-mixed hash that makes every random choice addressable.
pub(crate) fn mix(parts: &[u64]) -> u64 {
    let mut h: u64 = 0x9E37_79B9_7F4A_7C15;
    for &p in parts {
        h ^= p;
        h = h.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = h;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        h = z ^ (z >> 31);
    }
    h
}

/// A uniform number in `[0, 1)` from a hash.
pub(crate) fn unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// Picks an index from weights with a uniform draw `u` in `[0, 1)`.
fn pick(weights: impl Iterator<Item = f64> + Clone, u: f64) -> usize {
    let total: f64 = weights.clone().sum();
    let mut target = u * total;
    let mut last = 0;
    for (i, w) in weights.enumerate() {
        if target < w {
            return i;
        }
        target -= w;
        last = i;
    }
    last
}

/// The simulated platform.
#[derive(Debug, Clone)]
pub struct World {
    config: WorldConfig,
    channels: Vec<Channel>,
    by_id: HashMap<String, usize>,
    by_login: HashMap<String, usize>,
}

// Salts that keep the independent random choices independent.
const S_RANK: u64 = 1;
const S_LANG: u64 = 2;
const S_GAME: u64 = 3;
const S_NAME: u64 = 4;
const S_DAY: u64 = 5;
const S_WOBBLE: u64 = 6;
const S_TITLE: u64 = 7;

impl World {
    /// Builds the world for `config`.
    pub fn new(config: WorldConfig) -> Self {
        let n = config.channels.max(1);
        let seed = config.seed;
        // A seeded ranking: sort channels by a hash, rank r gets popularity top / r^1.1.
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&i| mix(&[seed, S_RANK, i as u64]));
        let mut rank = vec![0usize; n];
        for (r, &i) in order.iter().enumerate() {
            rank[i] = r + 1;
        }
        let epoch = Utc.with_ymd_and_hms(2012, 1, 1, 0, 0, 0).single().unwrap_or_default();
        let channels = (0..n)
            .map(|i| {
                let h = |salt: u64, k: u64| mix(&[seed, salt, i as u64, k]);
                let (language, _, utc_offset) = LANGUAGES[pick(LANGUAGES.iter().map(|l| l.1), unit(h(S_LANG, 0)))];
                let main = pick(GAMES.iter().map(|g| g.streamed_share), unit(h(S_GAME, 0)));
                let second = pick(GAMES.iter().map(|g| g.streamed_share), unit(h(S_GAME, 1)));
                let syllables = 2 + (h(S_NAME, 0) % 3) as usize;
                let mut login: String = (0..syllables)
                    .map(|k| SYLLABLES[(h(S_NAME, 1 + k as u64) % SYLLABLES.len() as u64) as usize])
                    .collect();
                login.push_str(&format!("{}", i % 1000));
                if i >= 1000 {
                    login.push_str(&format!("_{}", i / 1000));
                }
                let display_name = login
                    .char_indices()
                    .map(|(k, c)| if k == 0 { c.to_ascii_uppercase() } else { c })
                    .collect();
                Channel {
                    index: i,
                    id: format!("{}", 100_000_000 + mix(&[seed, S_NAME, i as u64]) % 800_000_000),
                    login,
                    display_name,
                    language,
                    utc_offset,
                    popularity: config.top_viewers / (rank[i] as f64).powf(1.1),
                    activity: 0.45 + 0.5 * unit(h(S_DAY, 0)),
                    start_hour: 9.0 + 12.0 * unit(h(S_DAY, 1)),
                    games: [main, second],
                    created_at: epoch + Duration::days((h(S_NAME, 9) % 4000) as i64),
                }
            })
            .collect::<Vec<Channel>>();
        let by_id = channels.iter().map(|c| (c.id.clone(), c.index)).collect();
        let by_login = channels.iter().map(|c| (c.login.clone(), c.index)).collect();
        Self {
            config,
            channels,
            by_id,
            by_login,
        }
    }

    /// The channel with this Helix user id.
    pub fn channel_by_id(&self, id: &str) -> Option<&Channel> {
        self.by_id.get(id).map(|&i| &self.channels[i])
    }

    /// The channel with this login (case-insensitive).
    pub fn channel_by_login(&self, login: &str) -> Option<&Channel> {
        self.by_login
            .get(&login.to_ascii_lowercase())
            .map(|&i| &self.channels[i])
    }

    /// The world's settings.
    pub fn config(&self) -> &WorldConfig {
        &self.config
    }

    /// Every channel.
    pub fn channels(&self) -> &[Channel] {
        &self.channels
    }

    /// The broadcast a channel plans for its local day `day`, if it streams that day.
    fn plan(&self, channel: &Channel, day: i64) -> Option<Plan> {
        let h = |k: u64| mix(&[self.config.seed, S_DAY, channel.index as u64, day as u64, k]);
        if unit(h(0)) >= channel.activity {
            return None;
        }
        let start_hour = channel.start_hour + 4.0 * (unit(h(1)) - 0.5);
        // Log-normal-ish duration around 3.5 hours, 30 minutes to 10 hours.
        let hours = (3.5 * (1.2 * (unit(h(2)) - 0.5) * 2.0).exp()).clamp(0.5, 10.0);
        let local_midnight = Utc.timestamp_opt(day * 86_400, 0).single()?;
        let start = (local_midnight - Duration::hours(channel.utc_offset)
            + Duration::minutes((start_hour * 60.0) as i64))
        .duration_trunc(Duration::minutes(1))
        .ok()?;
        let minutes = (hours * 60.0) as i64;
        let end = start + Duration::minutes(minutes);
        let outage = (unit(h(3)) < 0.3 && minutes > 60).then(|| {
            let from = start + Duration::minutes(20 + (h(4) % (minutes as u64 - 40)) as i64);
            (from, from + Duration::minutes(2 + (h(5) % 9) as i64))
        });
        let switch_at = (unit(h(6)) < 0.4 && minutes > 45)
            .then(|| start + Duration::minutes(15 + (h(7) % (minutes as u64 - 30)) as i64));
        Some(Plan {
            start,
            end,
            outage,
            switch_at,
            day,
        })
    }

    /// What `channel` is streaming at `minute` (truncated to the minute), if anything.
    pub fn stream_at(&self, index: usize, minute: DateTime<Utc>) -> Option<LiveStream> {
        let channel = self.channels.get(index)?;
        let minute = minute.duration_trunc(Duration::minutes(1)).ok()?;
        let local_day = (minute + Duration::hours(channel.utc_offset))
            .timestamp()
            .div_euclid(86_400);
        // A broadcast that started late yesterday may still run.
        let plan = [local_day - 1, local_day]
            .into_iter()
            .filter_map(|day| self.plan(channel, day))
            .find(|p| p.start <= minute && minute < p.end)?;
        let (segment, started_at) = match plan.outage {
            Some((from, to)) if minute >= from && minute < to => return None,
            Some((_, to)) if minute >= to => (1u64, to),
            _ => (0, plan.start),
        };
        let game = match plan.switch_at {
            Some(at) if minute >= at => channel.games[1],
            _ => channel.games[0],
        };
        let g: &Game = &GAMES[game];
        let local_hour = ((minute.timestamp() / 60) as f64 / 60.0 + channel.utc_offset as f64).rem_euclid(24.0);
        let diurnal = 0.65 + 0.35 * (std::f64::consts::TAU * (local_hour - 21.0) / 24.0).cos();
        let since = (minute - plan.start).num_minutes() as f64;
        let ramp = 1.0 - (-(since + 1.0) / 15.0).exp();
        let wobble = 1.0
            + 0.06
                * (unit(mix(&[
                    self.config.seed,
                    S_WOBBLE,
                    index as u64,
                    minute.timestamp() as u64,
                ])) - 0.5);
        // Games with a high viewer ratio draw more viewers per channel; normalised around the mix's typical ratio.
        let game_factor = (g.viewer_ratio / 40.0).sqrt().clamp(0.4, 2.0);
        let viewers = (channel.popularity * diurnal * ramp * wobble * game_factor)
            .round()
            .max(0.0) as u64;
        let stream_id =
            mix(&[self.config.seed, index as u64, plan.day as u64, segment]) % 90_000_000_000 + 10_000_000_000;
        let title_pick =
            (mix(&[self.config.seed, S_TITLE, index as u64, plan.day as u64]) % TITLES.len() as u64) as usize;
        Some(LiveStream {
            channel: index,
            stream_id: stream_id.to_string(),
            game,
            viewers,
            started_at,
            title: TITLES[title_pick].replace("{game}", g.name),
        })
    }

    /// Everything live at `minute`, most viewers first (ties by stream id, so the order is total and stable).
    pub fn snapshot(&self, minute: DateTime<Utc>) -> Vec<LiveStream> {
        let mut live: Vec<LiveStream> = (0..self.channels.len())
            .filter_map(|i| self.stream_at(i, minute))
            .collect();
        live.sort_by(|a, b| b.viewers.cmp(&a.viewers).then_with(|| a.stream_id.cmp(&b.stream_id)));
        live
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_same_seed_gives_the_same_world() {
        let a = World::new(WorldConfig::default());
        let b = World::new(WorldConfig::default());
        let t = at("2026-11-26T20:00:00Z");
        assert_eq!(a.snapshot(t), b.snapshot(t));
        assert_eq!(a.channels(), b.channels());
        let c = World::new(WorldConfig {
            seed: 7,
            ..WorldConfig::default()
        });
        assert_ne!(a.snapshot(t), c.snapshot(t));
    }

    #[test]
    fn ids_and_logins_are_unique_and_valid() {
        let world = World::new(WorldConfig {
            channels: 10_000,
            ..WorldConfig::default()
        });
        let ids: std::collections::HashSet<_> = world.channels().iter().map(|c| &c.id).collect();
        let logins: std::collections::HashSet<_> = world.channels().iter().map(|c| &c.login).collect();
        assert_eq!(logins.len(), 10_000);
        // Ids come from a hash; a clash among 10,000 in 800 million is possible but not for this seed.
        assert_eq!(ids.len(), 10_000);
        for c in world.channels() {
            assert!(streamlens_domain::ids::Login::parse(&c.login).is_ok(), "{}", c.login);
            assert!(streamlens_domain::ids::ChannelId::parse(&c.id).is_ok());
        }
    }

    #[test]
    fn a_busy_hour_looks_like_a_platform() {
        let world = World::new(WorldConfig::default());
        let live = world.snapshot(at("2026-11-26T20:00:00Z"));
        // Roughly a third of the channels are live, most viewers in the head, a long tail of small channels.
        assert!(live.len() > 300 && live.len() < 1_400, "{} live", live.len());
        let total: u64 = live.iter().map(|s| s.viewers).sum();
        let top10: u64 = live.iter().take(10).map(|s| s.viewers).sum();
        assert!(top10 as f64 > 0.2 * total as f64 && (top10 as f64) < 0.8 * total as f64);
        let median = live[live.len() / 2].viewers;
        assert!(median < 200, "median {median}");
        assert!(live.windows(2).all(|w| w[0].viewers >= w[1].viewers));
    }

    #[test]
    fn streams_persist_from_minute_to_minute_with_one_id() {
        let world = World::new(WorldConfig::default());
        let t = at("2026-11-26T20:00:00Z");
        let now: std::collections::HashMap<_, _> = world.snapshot(t).into_iter().map(|s| (s.channel, s)).collect();
        let next = world.snapshot(t + Duration::minutes(1));
        let continuing = next
            .iter()
            .filter(|s| now.get(&s.channel).is_some_and(|p| p.stream_id == s.stream_id))
            .count();
        assert!(continuing as f64 > 0.95 * now.len() as f64);
        let started = world.snapshot(t).into_iter().filter(|s| s.started_at <= t).count();
        assert_eq!(started, now.len());
    }

    #[test]
    fn over_a_day_channels_go_live_drop_reconnect_and_switch_games() {
        let world = World::new(WorldConfig {
            channels: 300,
            ..WorldConfig::default()
        });
        let start = at("2026-11-26T00:00:00Z");
        let (mut reconnects, mut switches) = (0, 0);
        for channel in 0..300 {
            let mut last: Option<LiveStream> = None;
            let mut offline_since: Option<i64> = None;
            for m in 0..1440 {
                let now = world.stream_at(channel, start + Duration::minutes(m));
                match (&last, &now) {
                    (Some(prev), Some(cur)) if prev.stream_id == cur.stream_id && prev.game != cur.game => {
                        switches += 1
                    }
                    (Some(_), None) => offline_since = Some(m),
                    (None, Some(_)) if offline_since.is_some_and(|o| m - o <= 15) => reconnects += 1,
                    _ => {}
                }
                last = now;
            }
        }
        assert!(reconnects > 5, "{reconnects} reconnects");
        assert!(switches > 5, "{switches} game switches");
    }

    #[test]
    fn the_game_mix_follows_the_calibration() {
        let world = World::new(WorldConfig {
            channels: 5_000,
            ..WorldConfig::default()
        });
        let mut per_game = vec![0usize; GAMES.len()];
        for c in world.channels() {
            per_game[c.games[0]] += 1;
        }
        // The most streamed games in the calibration are the most common main games here.
        let top = per_game
            .iter()
            .enumerate()
            .max_by_key(|(_, n)| **n)
            .map(|(i, _)| i)
            .unwrap();
        assert!(GAMES[top].streamed_share >= 0.05, "{}", GAMES[top].name);
    }
}
