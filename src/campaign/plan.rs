//! The dialer's decisions as pure functions, apart from the database and the call threads that
//! carry them out (src/host/dialer): how many rows a campaign may claim in this pass, and what
//! becomes of each claimed row (dial, wait, or never).

use super::rules::{self, ContactHistory, ContactRules, Verdict};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

/// What this node has going when a pass looks at one campaign.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Load {
    /// Unloading: no new call at all.
    pub held: bool,
    /// Calls in progress on this node.
    pub total: u32,
    /// The recognizers are behind, or the recent latencies are over their bounds.
    pub overloaded: bool,
    /// Calls in progress the ramp-up allows now.
    pub ramped: u32,
    /// New calls the campaign's pacer allows now (its rate and its own limit on calls in progress).
    pub paced: u32,
    /// The node's limit on calls in progress.
    pub max_calls: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// No campaign starts a call in this pass (unloading, or the node has no room).
    StopPass,
    /// This campaign claims up to this many rows (0: none now, the next campaign may).
    Claim(u32),
}

/// How many rows a campaign may claim now.
pub fn gate(load: &Load) -> Gate {
    // With no call in progress a slow recognizer cannot be the calls' fault: one call starts.
    if load.held || (load.total > 0 && load.overloaded) {
        return Gate::StopPass;
    }
    Gate::Claim(load.paced.min(load.max_calls.saturating_sub(load.total)).min(load.ramped.saturating_sub(load.total)))
}

/// What becomes of a claimed row.
#[derive(Debug, Clone, PartialEq)]
pub enum RowPlan {
    Dial,
    /// Back in the queue until `at`.
    Postpone { at: DateTime<Utc>, why: &'static str },
    /// Out of the queue for good, with this status (do_not_call or failed).
    Close { status: &'static str, why: &'static str },
}

/// How long a person being called by another campaign waits before this one tries.
pub const ELSEWHERE_RETRY_S: i64 = 60;

/// The row of a contact with `history`, whose local clock is in `zone`; `called_elsewhere`: another
/// campaign is calling the same person right now (one call at a time to a person).
pub fn plan_row(now: DateTime<Utc>, zone: Tz, rules: &ContactRules, history: &ContactHistory, called_elsewhere: bool) -> RowPlan {
    if called_elsewhere {
        return RowPlan::Postpone { at: now + Duration::seconds(ELSEWHERE_RETRY_S), why: "being called by another campaign" };
    }
    match rules::judge(now, zone, rules, history) {
        Verdict::Dial => RowPlan::Dial,
        Verdict::Later { at, why } => RowPlan::Postpone { at, why },
        Verdict::Never { why } => RowPlan::Close { status: if history.opted_out { "do_not_call" } else { "failed" }, why },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn load() -> Load {
        Load { held: false, total: 0, overloaded: false, ramped: 2, paced: 5, max_calls: 60 }
    }

    #[test]
    fn the_gate_takes_the_tightest_bound() {
        assert_eq!(gate(&load()), Gate::Claim(2), "the ramp-up: 2 calls at first");
        assert_eq!(gate(&Load { ramped: 40, ..load() }), Gate::Claim(5), "the pacer");
        assert_eq!(gate(&Load { ramped: 100, total: 58, ..load() }), Gate::Claim(2), "the node's limit");
        assert_eq!(gate(&Load { ramped: 4, total: 4, ..load() }), Gate::Claim(0), "ramped up to its bound for now");
        assert_eq!(gate(&Load { paced: 0, ..load() }), Gate::Claim(0));
    }

    #[test]
    fn an_unloading_or_overloaded_node_stops_the_pass() {
        assert_eq!(gate(&Load { held: true, ..load() }), Gate::StopPass);
        assert_eq!(gate(&Load { overloaded: true, total: 3, ramped: 40, ..load() }), Gate::StopPass);
        assert_eq!(gate(&Load { overloaded: true, ..load() }), Gate::Claim(2), "idle: nothing of ours slows the recognizers");
    }

    #[test]
    fn each_row_is_dialed_postponed_or_closed() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        let rules = ContactRules::default();
        let tuesday_10h = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        let fresh = ContactHistory::default();
        assert_eq!(plan_row(tuesday_10h, paris, &rules, &fresh, false), RowPlan::Dial);
        let elsewhere = plan_row(tuesday_10h, paris, &rules, &fresh, true);
        assert_eq!(elsewhere, RowPlan::Postpone { at: tuesday_10h + Duration::seconds(60), why: "being called by another campaign" });
        let opted_out = ContactHistory { opted_out: true, ..fresh.clone() };
        assert_eq!(plan_row(tuesday_10h, paris, &rules, &opted_out, false), RowPlan::Close { status: "do_not_call", why: "on the opt-out list" });
        let sunday = Utc.with_ymd_and_hms(2026, 12, 6, 9, 0, 0).unwrap();
        assert!(matches!(plan_row(sunday, paris, &rules, &fresh, false), RowPlan::Postpone { at, .. } if at > sunday), "no call on a Sunday");
    }
}
