//! Whether a contact may be dialed now, and if not, from when: the opt-out list, the calling
//! calendar in the contact's zone, at most N calls per contact in D days for one company, and a
//! pause after an explicit refusal. Consent recorded before the call lifts the calendar and the
//! frequency limit, never an opt-out.

use super::calendar::Calendar;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

#[derive(Debug, Clone, PartialEq)]
pub struct ContactRules {
    pub calendar: Calendar,
    /// At most `max_calls` calls to one contact in `per_days` days, for one company.
    pub max_calls: u32,
    pub per_days: u32,
    /// No call for this many days after the contact said no.
    pub refusal_pause_days: u32,
}

impl Default for ContactRules {
    fn default() -> ContactRules {
        ContactRules { calendar: Calendar::default(), max_calls: 4, per_days: 30, refusal_pause_days: 60 }
    }
}

/// What the database knows about a contact when its row is due.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContactHistory {
    pub opted_out: bool,
    pub consent: bool,
    /// Calls to this number by the company within the last `per_days` days, oldest first.
    pub recent_calls: Vec<DateTime<Utc>>,
    pub last_refusal: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Dial,
    /// Not before this instant, and why (for the log and the report).
    Later { at: DateTime<Utc>, why: &'static str },
    Never { why: &'static str },
}

pub fn judge(now: DateTime<Utc>, zone: Tz, rules: &ContactRules, history: &ContactHistory) -> Verdict {
    if history.opted_out {
        return Verdict::Never { why: "on the opt-out list" };
    }
    let mut earliest = now;
    let mut why = "";
    if let Some(refused) = history.last_refusal {
        let until = refused + Duration::days(i64::from(rules.refusal_pause_days));
        if until > earliest {
            (earliest, why) = (until, "refused recently");
        }
    }
    if !history.consent {
        let window = Duration::days(i64::from(rules.per_days));
        let recent: Vec<_> = history.recent_calls.iter().filter(|t| **t > now - window).collect();
        if rules.max_calls == 0 {
            return Verdict::Never { why: "max_calls_per_contact is 0" };
        }
        if recent.len() >= rules.max_calls as usize {
            // Allowed again once enough of the oldest calls have left the window.
            let frees = *recent[recent.len() - rules.max_calls as usize] + window;
            if frees > earliest {
                (earliest, why) = (frees, "call limit per contact reached");
            }
        }
        match rules.calendar.next_open(earliest, zone) {
            Some(open) if open > earliest => {
                if why.is_empty() {
                    why = "outside calling hours";
                }
                earliest = open;
            }
            Some(_) => {}
            None => return Verdict::Never { why: "the calling hours never open" },
        }
    }
    if earliest > now {
        Verdict::Later { at: earliest, why }
    } else {
        Verdict::Dial
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const PARIS: Tz = chrono_tz::Europe::Paris;

    fn paris(d: u32, h: u32) -> DateTime<Utc> {
        PARIS.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn hours_limit_refusal_and_opt_out() {
        let rules = ContactRules::default();
        let fresh = ContactHistory::default();
        assert_eq!(judge(paris(26, 11), PARIS, &rules, &fresh), Verdict::Dial);
        assert_eq!(judge(paris(26, 21), PARIS, &rules, &fresh), Verdict::Later { at: paris(27, 10), why: "outside calling hours" });
        let opted_out = ContactHistory { opted_out: true, consent: true, ..fresh.clone() };
        assert_eq!(judge(paris(26, 11), PARIS, &rules, &opted_out), Verdict::Never { why: "on the opt-out list" });

        // Four calls in the last 30 days: the fifth waits until the oldest is 30 days old, then
        // for the calendar (5 November + 30 days = Saturday 5 December -> Monday 7th, 10:00).
        let calls = vec![paris(5, 11), paris(12, 11), paris(19, 11), paris(24, 11)];
        let busy = ContactHistory { recent_calls: calls.clone(), ..fresh.clone() };
        let later = PARIS.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap().with_timezone(&Utc);
        assert_eq!(judge(paris(26, 11), PARIS, &rules, &busy), Verdict::Later { at: later, why: "call limit per contact reached" });
        let three = ContactHistory { recent_calls: calls[1..].to_vec(), ..fresh.clone() };
        assert_eq!(judge(paris(26, 11), PARIS, &rules, &three), Verdict::Dial);

        // Consent lifts hours and the limit, not the refusal pause.
        let consented = ContactHistory { consent: true, recent_calls: calls, ..fresh.clone() };
        assert_eq!(judge(paris(26, 21), PARIS, &rules, &consented), Verdict::Dial);
        let refused = ContactHistory { consent: true, last_refusal: Some(paris(20, 11)), ..fresh };
        match judge(paris(26, 11), PARIS, &rules, &refused) {
            Verdict::Later { at, why } => assert_eq!((at, why), (paris(20, 11) + Duration::days(60), "refused recently")),
            other => panic!("{other:?}"),
        }
    }
}
