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

/// Calls a node may have in progress now: `ramp_calls`, and as many more every `ramp_s` since it
/// got busy (`busy_since`; None: idle). A burst is spread out; once ramped up, only the other
/// bounds apply.
pub fn ramped(busy_since: Option<std::time::Instant>, now: std::time::Instant, config: &super::DialerConfig) -> u32 {
    let Some(since) = busy_since else { return config.ramp_calls };
    if config.ramp_s == 0 {
        return u32::MAX;
    }
    let steps = now.saturating_duration_since(since).as_secs() / u64::from(config.ramp_s);
    config.ramp_calls.saturating_mul(1 + steps.min(u64::from(u32::MAX)) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_node_ramps_up_by_steps_and_an_idle_one_starts_over() {
        use std::time::{Duration, Instant};
        let config = crate::campaign::DialerConfig { ramp_calls: 2, ramp_s: 8, ..Default::default() };
        let t0 = Instant::now();
        assert_eq!(ramped(None, t0, &config), 2, "idle: two calls may start");
        assert_eq!(ramped(Some(t0), t0 + Duration::from_secs(7), &config), 2);
        assert_eq!(ramped(Some(t0), t0 + Duration::from_secs(8), &config), 4);
        assert_eq!(ramped(Some(t0), t0 + Duration::from_secs(40), &config), 12);
        assert_eq!(ramped(Some(t0), t0, &crate::campaign::DialerConfig { ramp_s: 0, ..config }), u32::MAX, "ramp_s = 0: no ramp");
    }
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
