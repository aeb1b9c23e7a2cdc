//! Fault injection: the failures real Helix clients meet, on demand and reproducible from the seed.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::world::{mix, unit};

/// Which faults the simulator injects, and how often. All rates are per request, 0.0 to 1.0; the default injects
/// none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Chance that a request starts a burst of 429s (with `Ratelimit-Reset` one second ahead).
    pub rate_limit_burst_rate: f64,
    /// How many requests in a row a 429 burst answers.
    pub rate_limit_burst_len: u32,
    /// Chance of a 500, 502 or 503.
    pub server_error_rate: f64,
    /// Chance that a page is answered after `slow_page_delay`.
    pub slow_page_rate: f64,
    /// The delay of a slow page.
    #[serde(with = "millis")]
    pub slow_page_delay: Duration,
    /// Chance that a `/helix/streams` page body is cut off mid-JSON (with status 200, as a broken proxy would).
    pub malformed_rate: f64,
    /// Chance that a page starts a few entries early, repeating the end of the previous page (the list re-sorted
    /// while the client paged).
    pub duplicate_rate: f64,
    /// Chance that a page starts a few entries late, skipping some.
    pub skip_rate: f64,
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

impl Faults {
    /// Every fault at once, at rates a client must survive: what the fault tests run against.
    pub fn chaos() -> Self {
        Self {
            rate_limit_burst_rate: 0.03,
            rate_limit_burst_len: 3,
            server_error_rate: 0.05,
            slow_page_rate: 0.02,
            slow_page_delay: Duration::from_millis(300),
            malformed_rate: 0.0,
            duplicate_rate: 0.2,
            skip_rate: 0.0,
        }
    }

    /// Whether any fault is switched on.
    pub fn any(&self) -> bool {
        self != &Self::default()
    }
}

/// The fault drawn for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Draw {
    /// Answer normally.
    None,
    /// Start a 429 burst.
    RateLimitBurst,
    /// Answer with this 5xx status.
    ServerError(u16),
    /// Answer after a delay.
    Slow,
    /// Cut the body off.
    Malformed,
    /// Shift the page start back by this many entries.
    Duplicate(usize),
    /// Shift the page start forward by this many entries.
    Skip(usize),
}

impl Faults {
    /// The fault for request number `n`, reproducible from the seed.
    pub fn draw(&self, seed: u64, n: u64) -> Draw {
        let u = unit(mix(&[seed, 0xFA17, n]));
        let shift = 1 + (mix(&[seed, 0xFA18, n]) % 5) as usize;
        let mut edge = 0.0;
        let mut hit = |rate: f64| {
            edge += rate;
            u < edge
        };
        if hit(self.rate_limit_burst_rate) {
            Draw::RateLimitBurst
        } else if hit(self.server_error_rate) {
            Draw::ServerError([500, 502, 503][(n % 3) as usize])
        } else if hit(self.slow_page_rate) {
            Draw::Slow
        } else if hit(self.malformed_rate) {
            Draw::Malformed
        } else if hit(self.duplicate_rate) {
            Draw::Duplicate(shift)
        } else if hit(self.skip_rate) {
            Draw::Skip(shift)
        } else {
            Draw::None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_faults_by_default_and_rates_are_respected() {
        let none = Faults::default();
        assert!(!none.any());
        assert!((0..1000).all(|n| none.draw(1, n) == Draw::None));
        let errors = Faults {
            server_error_rate: 0.1,
            ..Faults::default()
        };
        let hits = (0..10_000)
            .filter(|&n| matches!(errors.draw(1, n), Draw::ServerError(_)))
            .count();
        assert!((800..1200).contains(&hits), "{hits}");
    }

    #[test]
    fn faults_parse_from_toml_with_millisecond_delays() {
        let faults: Faults = toml::from_str("server_error_rate = 0.5\nslow_page_delay = 250\n").unwrap();
        assert_eq!(faults.slow_page_delay, Duration::from_millis(250));
        assert!(toml::from_str::<Faults>("nonsense = 1").is_err());
    }
}
