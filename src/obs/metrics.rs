//! Timing samples kept for `minibot show metrics` and the benchmarks: the last N values of each
//! measure, summarized on demand (median, p95, p99, max). Recording is one uncontended lock.

use parking_lot::Mutex;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const KEEP: usize = 20_000;

pub struct Samples {
    /// Each value with when it was recorded (`recent` looks at the last while only).
    values: Mutex<VecDeque<(Instant, f64)>>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub count: usize,
    pub median: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Samples {
    pub const fn new() -> Samples {
        Samples { values: Mutex::new(VecDeque::new()) }
    }

    pub fn record(&self, value: f64) {
        let mut values = self.values.lock();
        if values.len() == KEEP {
            values.pop_front();
        }
        values.push_back((Instant::now(), value));
    }

    pub fn record_us(&self, elapsed: Duration) {
        self.record(elapsed.as_secs_f64() * 1e6);
    }

    pub fn record_ms(&self, elapsed: Duration) {
        self.record(elapsed.as_secs_f64() * 1e3);
    }

    pub fn clear(&self) {
        self.values.lock().clear();
    }

    pub fn summary(&self) -> Option<Summary> {
        let mut sorted: Vec<f64> = self.values.lock().iter().map(|(_, v)| *v).collect();
        summarize(&mut sorted)
    }

    /// The summary of the `n` latest values recorded within `window`: how things are going now
    /// (a slow start long past says nothing of now, however few values came since).
    pub fn recent(&self, n: usize, window: Duration) -> Option<Summary> {
        let now = Instant::now();
        let values = self.values.lock();
        let mut latest: Vec<f64> = values.iter().rev().take(n).take_while(|(at, _)| now.saturating_duration_since(*at) <= window).map(|(_, v)| *v).collect();
        drop(values);
        summarize(&mut latest)
    }
}

impl Default for Samples {
    fn default() -> Self {
        Samples::new()
    }
}

pub fn summarize(values: &mut [f64]) -> Option<Summary> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
    Some(Summary { count: values.len(), median: at(0.5), p95: at(0.95), p99: at(0.99), max: values[values.len() - 1] })
}

/// The module's measures: per-frame CPU on the media path, recognition latency, outgoing audio.
pub struct Metrics {
    /// WebRTC VAD per 20 ms frame, microseconds.
    pub vad_frame_us: Samples,
    /// Vosk accept_waveform per chunk fed, microseconds.
    pub asr_feed_us: Samples,
    /// Audiohook callback on the read path (everything the media thread does per frame), microseconds.
    pub read_hook_us: Samples,
    /// From the segmenter's end of turn to Vosk's final result, milliseconds.
    pub turn_final_ms: Samples,
    /// Interval between consecutive outgoing (prompt) frames while the callee speaks, milliseconds.
    pub write_gap_talking_ms: Samples,
    /// Interval between consecutive outgoing frames of a prompt (pauses between prompts left
    /// out), milliseconds: the jitter the callee hears.
    pub write_gap_ms: Samples,
    /// Outgoing frames of a prompt, and those that left more than 20 ms late (a gap over 40 ms).
    pub frames_out: AtomicU64,
    pub late_frames: AtomicU64,
    /// From the onset decision to the prompt being stopped, milliseconds.
    pub barge_in_stop_ms: Samples,
    /// Recognizers that failed during a call (the call went on DTMF-only).
    pub asr_failures: AtomicU64,
    /// Turns that waited past `[call] processing_timeout_ms` for their text and intent.
    pub processing_timeouts: AtomicU64,
    /// Calls ended by `[call] max_duration_s`.
    pub max_duration_ends: AtomicU64,
}

impl Metrics {
    pub const fn new() -> Metrics {
        Metrics {
            vad_frame_us: Samples::new(),
            asr_feed_us: Samples::new(),
            read_hook_us: Samples::new(),
            turn_final_ms: Samples::new(),
            write_gap_talking_ms: Samples::new(),
            write_gap_ms: Samples::new(),
            frames_out: AtomicU64::new(0),
            late_frames: AtomicU64::new(0),
            barge_in_stop_ms: Samples::new(),
            asr_failures: AtomicU64::new(0),
            processing_timeouts: AtomicU64::new(0),
            max_duration_ends: AtomicU64::new(0),
        }
    }

    pub fn all(&self) -> [(&'static str, &'static str, &Samples); 7] {
        [
            ("vad_frame", "us", &self.vad_frame_us),
            ("asr_feed", "us", &self.asr_feed_us),
            ("read_hook", "us", &self.read_hook_us),
            ("turn_to_final", "ms", &self.turn_final_ms),
            ("write_gap_talking", "ms", &self.write_gap_talking_ms),
            ("write_gap", "ms", &self.write_gap_ms),
            ("barge_in_stop", "ms", &self.barge_in_stop_ms),
        ]
    }

    pub fn report(&self) -> String {
        let mut out = format!("{:<20} {:>8} {:>10} {:>10} {:>10} {:>10}\n", "measure", "count", "median", "p95", "p99", "max");
        for (name, unit, samples) in self.all() {
            match samples.summary() {
                Some(s) => {
                    out += &format!(
                        "{:<20} {:>8} {:>10.3} {:>10.3} {:>10.3} {:>10.3}\n",
                        format!("{name} ({unit})"),
                        s.count,
                        s.median,
                        s.p95,
                        s.p99,
                        s.max
                    )
                }
                None => out += &format!("{:<20} {:>8}\n", format!("{name} ({unit})"), 0),
            }
        }
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        out += &format!("outgoing frames: {} sent in prompts, {} more than 20 ms late\n", g(&self.frames_out), g(&self.late_frames));
        out += &format!(
            "bounds: asr failures {} | processing timeouts {} | calls ended at max duration {}\n",
            g(&self.asr_failures),
            g(&self.processing_timeouts),
            g(&self.max_duration_ends)
        );
        out
    }
}

pub static METRICS: Metrics = Metrics::new();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_percentiles() {
        let samples = Samples::new();
        assert!(samples.summary().is_none());
        for v in (1..=100).rev() {
            samples.record(v as f64);
        }
        let s = samples.summary().unwrap();
        assert_eq!((s.count, s.median, s.p95, s.p99, s.max), (100, 51.0, 95.0, 99.0, 100.0));
    }

    #[test]
    fn keeps_only_the_latest_values() {
        let samples = Samples::new();
        for v in 0..(KEEP + 10) {
            samples.record(v as f64);
        }
        let s = samples.summary().unwrap();
        assert_eq!(s.count, KEEP);
        assert_eq!(s.max, (KEEP + 9) as f64);
        let recent = samples.recent(10, Duration::from_secs(60)).unwrap();
        assert_eq!((recent.count, recent.max), (10, (KEEP + 9) as f64));
        assert!(recent.median >= (KEEP - 1) as f64, "only the latest values");
    }

    /// Values older than the window are not "recent", however few came since.
    #[test]
    fn recent_values_are_the_last_while_only() {
        let samples = Samples::new();
        samples.record(2400.0);
        samples.record(2300.0);
        std::thread::sleep(Duration::from_millis(30));
        samples.record(180.0);
        assert_eq!(samples.recent(200, Duration::from_millis(20)).map(|s| (s.count, s.max)), Some((1, 180.0)));
        assert_eq!(samples.recent(200, Duration::from_secs(60)).map(|s| s.count), Some(3));
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(samples.recent(200, Duration::from_millis(20)), None);
    }
}
