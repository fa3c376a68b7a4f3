//! Observability: counters shared by calls and the CLI, timing metrics, and the text the CLI prints.

pub mod metrics;
pub mod prom;
pub mod calllog;

use crate::domain::CallStatus;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Lock-free call counters: calls update them, `minibot show status` reads them.
#[derive(Default)]
pub struct CallStats {
    started: AtomicU64,
    active: AtomicU64,
    ended: [AtomicU64; CallStatus::ALL.len()],
}

impl CallStats {
    /// Counts a call in; the guard counts it out with its status when dropped (also on panic).
    pub fn call_started(&self) -> ActiveCall<'_> {
        self.started.fetch_add(1, Ordering::Relaxed);
        self.active.fetch_add(1, Ordering::Relaxed);
        ActiveCall { stats: self, status: CallStatus::Error }
    }

    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            started: self.started.load(Ordering::Relaxed),
            active: self.active.load(Ordering::Relaxed),
            ended: CallStatus::ALL.map(|s| (s, self.ended[s.index()].load(Ordering::Relaxed))),
        }
    }
}

pub struct ActiveCall<'a> {
    stats: &'a CallStats,
    status: CallStatus,
}

impl ActiveCall<'_> {
    pub fn set_status(&mut self, status: CallStatus) {
        self.status = status;
    }
}

impl Drop for ActiveCall<'_> {
    fn drop(&mut self) {
        self.stats.active.fetch_sub(1, Ordering::Relaxed);
        self.stats.ended[self.status.index()].fetch_add(1, Ordering::Relaxed);
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatsSnapshot {
    pub started: u64,
    pub active: u64,
    pub ended: [(CallStatus, u64); CallStatus::ALL.len()],
}

/// "1d 02:03:04" style uptime for the CLI.
pub fn format_uptime(uptime: Duration) -> String {
    let s = uptime.as_secs();
    let (days, h, m, sec) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    if days > 0 {
        format!("{days}d {h:02}:{m:02}:{sec:02}")
    } else {
        format!("{h:02}:{m:02}:{sec:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_counts_calls_in_and_out_with_status() {
        let stats = CallStats::default();
        {
            let mut call = stats.call_started();
            assert_eq!(stats.snapshot().active, 1);
            call.set_status(CallStatus::Success);
        }
        {
            let _call = stats.call_started(); // ends without a status: counted as an error
        }
        let snap = stats.snapshot();
        assert_eq!((snap.started, snap.active), (2, 0));
        assert_eq!(snap.ended[CallStatus::Success.index()].1, 1);
        assert_eq!(snap.ended[CallStatus::Error.index()].1, 1);
    }

    #[test]
    fn uptime_format() {
        assert_eq!(format_uptime(Duration::from_secs(59)), "00:00:59");
        assert_eq!(format_uptime(Duration::from_secs(90_061)), "1d 01:01:01");
    }
}
