//! How fast a campaign starts calls: a token bucket (new calls per second, with a burst of one
//! second's worth) beside the campaign's limit on calls in progress.

use std::time::Instant;

#[derive(Debug, Clone)]
pub struct Pacer {
    per_second: f64,
    tokens: f64,
    last: Instant,
}

impl Pacer {
    pub fn new(per_second: f64, now: Instant) -> Pacer {
        Pacer { per_second, tokens: per_second.min(1.0), last: now }
    }

    pub fn set_rate(&mut self, per_second: f64) {
        self.per_second = per_second;
    }

    /// How many calls may start now, given `in_progress` of at most `max_concurrent`; the
    /// caller then `take`s what it actually started.
    pub fn available(&mut self, now: Instant, in_progress: u32, max_concurrent: u32) -> u32 {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.per_second.max(1.0));
        let by_rate = self.tokens.floor() as u32;
        by_rate.min(max_concurrent.saturating_sub(in_progress))
    }

    pub fn take(&mut self, started: u32) {
        self.tokens = (self.tokens - f64::from(started)).max(0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rate_and_concurrency_bound_new_calls() {
        let t0 = Instant::now();
        let mut pacer = Pacer::new(2.0, t0);
        assert_eq!(pacer.available(t0, 0, 10), 1, "one to start with");
        pacer.take(1);
        assert_eq!(pacer.available(t0 + Duration::from_millis(250), 1, 10), 0);
        assert_eq!(pacer.available(t0 + Duration::from_millis(1000), 1, 10), 2, "two per second, burst of one second");
        assert_eq!(pacer.available(t0 + Duration::from_secs(60), 1, 10), 2, "no hoarding while idle");
        assert_eq!(pacer.available(t0 + Duration::from_secs(61), 9, 10), 1, "the concurrency limit");
        pacer.take(1);
        let mut slow = Pacer::new(0.2, t0);
        assert_eq!(slow.available(t0, 0, 5), 0);
        assert_eq!(slow.available(t0 + Duration::from_secs(5), 0, 5), 1, "one every five seconds");
    }
}
