//! What happens to a contact after an attempt: done, opted out, tried again after a delay that
//! depends on the outcome, at the time the callee asked for, or given up after the last attempt.

use super::calendar::Calendar;
use crate::nlp::when::When;
use crate::domain::Outcome;
use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all (the first call included); a callback the callee asked for is kept past
    /// it, for at most `max_callbacks` more attempts.
    pub max_attempts: u32,
    pub max_callbacks: u32,
    /// A callback is never placed sooner than this after the call that asked for it.
    pub callback_min_delay: Duration,
    /// Delay before the next attempt, per outcome; an outcome without one is final.
    pub delays: Vec<(Outcome, Duration)>,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        let minutes = Duration::minutes;
        RetryPolicy {
            max_attempts: 4,
            max_callbacks: 2,
            callback_min_delay: minutes(15),
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
            Outcome::Callback if attempts >= self.max_attempts.saturating_add(self.max_callbacks) => Next::GaveUp,
            Outcome::Callback => Next::RetryAt(callback_at.unwrap_or_else(|| now + self.delay(outcome).unwrap_or(Duration::days(1)))),
            _ => match self.delay(outcome) {
                None => Next::Done,
                Some(_) if attempts >= self.max_attempts => Next::GaveUp,
                Some(delay) => Next::RetryAt(now + delay),
            },
        }
    }
}

/// When to place a callback the callee asked for, from the end of the call that asked, all in
/// the contact's zone: the time they named ("demain matin": tomorrow from 09:00; "dans une heure"),
/// never sooner than `min_delay` (a window still open starts then; one already over, such as "ce
/// soir" said at 21:30, is the same window the next day), then moved into the calendar's next
/// calling slot. None when the callee named no time.
pub fn callback_slot(when: When, ended: DateTime<Utc>, zone: Tz, calendar: &Calendar, min_delay: Duration) -> Option<DateTime<Utc>> {
    let earliest = ended + min_delay.max(Duration::zero());
    let asked = match when {
        When::In { minutes } => ended + Duration::minutes(i64::from(minutes)),
        When::At { days_ahead, from_minute, to_minute } => {
            // The part of the day asked for, on the day asked or, when it is closed or over,
            // on the next days (within two weeks) before any other time of day.
            let today = ended.with_timezone(&zone).date_naive();
            for day in 0..14u32 {
                let date = today + Duration::days(i64::from(days_ahead.saturating_add(day)));
                let (Some(from), Some(to)) = (local_instant(date, from_minute, zone), local_instant(date, to_minute.max(from_minute), zone)) else { continue };
                if let Some(open) = calendar.next_open(from.max(earliest), zone).filter(|open| *open < to) {
                    return Some(open);
                }
            }
            let date = today + Duration::days(i64::from(days_ahead));
            local_instant(date, from_minute, zone)?
        }
        When::Unspecified => return None,
    };
    let start = asked.max(earliest);
    Some(calendar.next_open(start, zone).unwrap_or(start))
}

/// A local date and minute of the day as an instant; in a spring-forward gap, an hour later.
fn local_instant(date: chrono::NaiveDate, minute: u32, zone: Tz) -> Option<DateTime<Utc>> {
    let minute = minute.min(1439);
    let time = NaiveTime::from_hms_opt(minute / 60, minute % 60, 0)?;
    let local = zone.from_local_datetime(&date.and_time(time)).earliest().or_else(|| zone.from_local_datetime(&(date.and_time(time) + Duration::hours(1))).earliest())?;
    Some(local.with_timezone(&Utc))
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
        assert_eq!(policy.after(Outcome::Callback, 1, now, None), Next::RetryAt(now + Duration::days(1)));
        assert_eq!(Next::GaveUp.status(), "failed");
    }

    /// One row: what the callee said, when the call ended (local time in the zone), and the
    /// local time of the callback, with the calendar of the sample campaign (mon-fri 10-13 14-20,
    /// French holidays) and a 15-minute minimum.
    struct Case {
        said: &'static str,
        zone: Tz,
        ended: (i32, u32, u32, u32, u32),
        expected: (i32, u32, u32, u32, u32),
        why: &'static str,
    }

    #[test]
    fn callbacks_land_on_the_next_allowed_slot_in_the_contact_zone() {
        use crate::campaign::calendar::{CallingHours, Holidays};
        use crate::nlp::when::{parse_callback, LocalNow};
        use chrono_tz::{America::Martinique, Europe::Paris};
        let calendar = Calendar { hours: CallingHours::parse("mon-fri 10:00-13:00 14:00-20:00").unwrap(), holidays: Holidays::France, closed: Vec::new() };
        let cases = [
            // 2026-12-02 is a Wednesday.
            Case { said: "rappelez-moi demain matin", zone: Paris, ended: (2026, 12, 2, 11, 0), expected: (2026, 12, 3, 10, 0), why: "09:00 asked, calls from 10:00" },
            Case { said: "rappelez-moi cet après-midi", zone: Paris, ended: (2026, 12, 2, 15, 0), expected: (2026, 12, 2, 15, 15), why: "window open: the minimum delay, never now" },
            Case { said: "rappelez-moi cet après-midi", zone: Paris, ended: (2026, 12, 2, 11, 0), expected: (2026, 12, 2, 14, 0), why: "the window ahead" },
            Case { said: "rappelez ce soir", zone: Paris, ended: (2026, 12, 2, 21, 30), expected: (2026, 12, 3, 18, 0), why: "evening over: tomorrow evening" },
            Case { said: "rappelez ce soir", zone: Paris, ended: (2026, 12, 2, 19, 50), expected: (2026, 12, 3, 18, 0), why: "the rest of the window is too close" },
            Case { said: "rappelez dans dix minutes", zone: Paris, ended: (2026, 12, 2, 11, 0), expected: (2026, 12, 2, 11, 15), why: "too close: the minimum delay" },
            Case { said: "rappelez dans une heure", zone: Paris, ended: (2026, 12, 2, 12, 30), expected: (2026, 12, 2, 14, 0), why: "13:30 is the lunch break" },
            Case { said: "vers dix-huit heures", zone: Paris, ended: (2026, 12, 4, 18, 30), expected: (2026, 12, 7, 17, 45), why: "Friday evening gone: Monday at that time, not the weekend" },
            Case { said: "rappelez-moi à vingt et une heures", zone: Paris, ended: (2026, 12, 2, 11, 0), expected: (2026, 12, 3, 10, 0), why: "never inside the hours: the next slot" },
            Case { said: "demain matin", zone: Paris, ended: (2026, 12, 24, 11, 0), expected: (2026, 12, 28, 10, 0), why: "Christmas, then a weekend" },
            Case { said: "rappelez-moi lundi", zone: Paris, ended: (2027, 3, 26, 11, 0), expected: (2027, 3, 30, 10, 0), why: "Easter Monday 2027 (29 March) is a holiday" },
            Case { said: "demain matin", zone: Paris, ended: (2027, 3, 27, 19, 0), expected: (2027, 3, 30, 10, 0), why: "Saturday 27: Sunday is DST and Easter, Monday 29 is Easter Monday" },
            Case { said: "demain à 10h30", zone: Paris, ended: (2026, 10, 24, 11, 0), expected: (2026, 10, 26, 10, 15), why: "Sunday (the day DST ends) is closed" },
            Case { said: "rappelez ce soir", zone: Martinique, ended: (2026, 12, 2, 21, 30), expected: (2026, 12, 3, 18, 0), why: "the contact's zone, not the server's" },
            Case { said: "rappelez plus tard", zone: Paris, ended: (2026, 12, 2, 11, 0), expected: (0, 0, 0, 0, 0), why: "no time named" },
        ];
        for case in cases {
            let (y, mo, d, h, mi) = case.ended;
            let ended = case.zone.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap().with_timezone(&Utc);
            let when = parse_callback(case.said, LocalNow::at(ended, case.zone));
            let slot = callback_slot(when, ended, case.zone, &calendar, Duration::minutes(15));
            let (y, mo, d, h, mi) = case.expected;
            let expected = (y > 0).then(|| case.zone.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap().with_timezone(&Utc));
            assert_eq!(slot, expected, "{} at {:?} ({}): {when:?}", case.said, case.ended, case.why);
            if let Some(slot) = slot {
                assert!(slot >= ended + Duration::minutes(15), "{}: never sooner than the minimum", case.said);
                assert!(calendar.is_open(slot.with_timezone(&case.zone).naive_local()), "{}: inside the calling hours", case.said);
            }
        }
    }

    #[test]
    fn callbacks_are_bounded_past_the_last_attempt() {
        let policy = RetryPolicy::default();
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap();
        let asked = now + Duration::days(1);
        assert_eq!(policy.after(Outcome::Callback, 4, now, Some(asked)), Next::RetryAt(asked), "a callback is kept past max_attempts");
        assert_eq!(policy.after(Outcome::Callback, 5, now, Some(asked)), Next::RetryAt(asked));
        assert_eq!(policy.after(Outcome::Callback, 6, now, Some(asked)), Next::GaveUp, "but at most max_callbacks more attempts");
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
