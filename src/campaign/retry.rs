//! What happens to a contact after an attempt: done, opted out, tried again after a delay that
//! depends on the outcome, at the time the callee asked for, or given up after the last attempt.

use crate::nlp::when::When;
use crate::vocab::Outcome;
use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all (the first call included); a callback the callee asked for is always kept.
    pub max_attempts: u32,
    /// Delay before the next attempt, per outcome; an outcome without one is final.
    pub delays: Vec<(Outcome, Duration)>,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        let minutes = Duration::minutes;
        RetryPolicy {
            max_attempts: 4,
            delays: vec![
                (Outcome::Unanswered, minutes(120)),
                (Outcome::Busy, minutes(20)),
                (Outcome::Congestion, minutes(10)),
                (Outcome::AnsweringMachine, minutes(240)),
                (Outcome::NoAnswer, minutes(120)),
                (Outcome::HangupEarly, minutes(24 * 60)),
                (Outcome::Failed, minutes(30)),
                (Outcome::Unreachable, minutes(24 * 60)),
                (Outcome::Callback, minutes(24 * 60)), // when the callee named no time
            ],
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Next {
    /// Nothing more to do with this contact in this campaign.
    Done,
    OptedOut,
    RetryAt(DateTime<Utc>),
    /// The last attempt is spent.
    GaveUp,
}

impl Next {
    /// The queue row's status.
    pub fn status(&self) -> &'static str {
        match self {
            Next::Done => "done",
            Next::OptedOut => "do_not_call",
            Next::RetryAt(_) => "pending",
            Next::GaveUp => "failed",
        }
    }
}

impl RetryPolicy {
    pub fn delay(&self, outcome: Outcome) -> Option<Duration> {
        self.delays.iter().find(|(o, _)| *o == outcome).map(|(_, d)| *d)
    }

    /// After attempt number `attempts` ended with `outcome` at `now`; `callback_at` is the time
    /// the callee asked for (the calendar moves it into calling hours later, at dial time).
    pub fn after(&self, outcome: Outcome, attempts: u32, now: DateTime<Utc>, callback_at: Option<DateTime<Utc>>) -> Next {
        match outcome {
            Outcome::DoNotCall => Next::OptedOut,
            Outcome::Callback => Next::RetryAt(callback_at.unwrap_or_else(|| now + self.delay(outcome).unwrap_or(Duration::days(1)))),
            _ => match self.delay(outcome) {
                None => Next::Done,
                Some(_) if attempts >= self.max_attempts => Next::GaveUp,
                Some(delay) => Next::RetryAt(now + delay),
            },
        }
    }
}

/// The instant a callback asks for ("demain matin": tomorrow at 09:00 in the contact's zone),
/// from the end of the call; None when the callee named no time.
pub fn callback_instant(when: When, ended: DateTime<Utc>, zone: Tz) -> Option<DateTime<Utc>> {
    match when {
        When::In { minutes } => Some(ended + Duration::minutes(i64::from(minutes))),
        When::At { days_ahead, from_minute, .. } => {
            let date = ended.with_timezone(&zone).date_naive() + Duration::days(i64::from(days_ahead));
            let time = NaiveTime::from_hms_opt(from_minute.min(1439) / 60, from_minute.min(1439) % 60, 0)?;
            let local = zone.from_local_datetime(&date.and_time(time)).earliest().or_else(|| zone.from_local_datetime(&(date.and_time(time) + Duration::hours(1))).earliest())?;
            Some(local.with_timezone(&Utc).max(ended))
        }
        When::Unspecified => None,
    }
}

/// "90s", "30m", "2h", "1d" (or a bare number of minutes).
pub fn parse_delay(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let n: i64 = number.parse().map_err(|_| format!("'{text}' is not a delay (90s, 30m, 2h, 1d)"))?;
    let delay = match unit.trim() {
        "s" => Duration::seconds(n),
        "" | "m" | "min" => Duration::minutes(n),
        "h" => Duration::hours(n),
        "d" => Duration::days(n),
        other => return Err(format!("'{other}' is not a unit of delay (s, m, h, d)")),
    };
    if n > 3650 * 24 * 60 {
        return Err(format!("'{text}' is more than ten years"));
    }
    Ok(delay)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn outcomes_decide_the_next_attempt() {
        let policy = RetryPolicy::default();
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap();
        assert_eq!(policy.after(Outcome::Appointment, 1, now, None), Next::Done);
        assert_eq!(policy.after(Outcome::NotInterested, 1, now, None), Next::Done);
        assert_eq!(policy.after(Outcome::DoNotCall, 1, now, None), Next::OptedOut);
        assert_eq!(policy.after(Outcome::Busy, 1, now, None), Next::RetryAt(now + Duration::minutes(20)));
        assert_eq!(policy.after(Outcome::Unanswered, 4, now, None), Next::GaveUp);
        let asked = now + Duration::days(1);
        assert_eq!(policy.after(Outcome::Callback, 9, now, Some(asked)), Next::RetryAt(asked), "a callback is kept");
        assert_eq!(policy.after(Outcome::Callback, 1, now, None), Next::RetryAt(now + Duration::days(1)));
        assert_eq!(Next::GaveUp.status(), "failed");
    }

    #[test]
    fn callbacks_become_instants_in_the_contact_zone() {
        let paris = chrono_tz::Europe::Paris;
        let ended = paris.with_ymd_and_hms(2026, 11, 26, 11, 0, 0).unwrap().with_timezone(&Utc);
        let tomorrow_9 = paris.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap().with_timezone(&Utc);
        assert_eq!(callback_instant(When::At { days_ahead: 1, from_minute: 540, to_minute: 720 }, ended, paris), Some(tomorrow_9));
        assert_eq!(callback_instant(When::In { minutes: 60 }, ended, paris), Some(ended + Duration::hours(1)));
        assert_eq!(callback_instant(When::At { days_ahead: 0, from_minute: 540, to_minute: 720 }, ended, paris), Some(ended), "never in the past");
        assert_eq!(callback_instant(When::Unspecified, ended, paris), None);
    }

    #[test]
    fn delays_parse_with_units() {
        assert_eq!(parse_delay("90s").unwrap(), Duration::seconds(90));
        assert_eq!(parse_delay("30m").unwrap(), Duration::minutes(30));
        assert_eq!(parse_delay("45").unwrap(), Duration::minutes(45));
        assert_eq!(parse_delay("2h").unwrap(), Duration::hours(2));
        assert_eq!(parse_delay("1d").unwrap(), Duration::days(1));
        for bad in ["", "h", "2y", "-3m", "99999999999d"] {
            assert!(parse_delay(bad).is_err(), "{bad}");
        }
    }
}
