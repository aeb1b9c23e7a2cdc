//! The simulator's clock: real time, or faster, from a chosen start.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};

/// Simulated time: `start + (real time elapsed) × speed`. At speed 1 it is the wall clock (shifted to `start`); at
/// speed 60 a simulated hour passes in a real minute, for demos and for growing a history to backfill.
#[derive(Debug, Clone)]
pub struct SimClock {
    started: Instant,
    start: DateTime<Utc>,
    speed: f64,
}

impl SimClock {
    /// A clock reading `start` now and running `speed` times faster than real time (at least 0.001).
    pub fn new(start: DateTime<Utc>, speed: f64) -> Self {
        Self {
            started: Instant::now(),
            start,
            speed: speed.max(0.001),
        }
    }

    /// The wall clock.
    pub fn real_time() -> Self {
        Self::new(Utc::now(), 1.0)
    }

    /// The simulated time now.
    pub fn now(&self) -> DateTime<Utc> {
        let elapsed = self.started.elapsed().as_secs_f64() * self.speed;
        self.start + Duration::microseconds((elapsed * 1e6) as i64)
    }

    /// How many times faster than real time the clock runs.
    pub fn speed(&self) -> f64 {
        self.speed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fast_clock_runs_ahead() {
        let start = DateTime::parse_from_rfc3339("2026-11-26T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let clock = SimClock::new(start, 3600.0);
        std::thread::sleep(std::time::Duration::from_millis(20));
        let ahead = clock.now() - start;
        assert!(ahead >= Duration::seconds(60), "{ahead}");
    }
}
