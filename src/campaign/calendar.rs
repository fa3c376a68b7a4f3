//! When a contact may be called: weekly calling hours and public holidays, in the contact's own
//! time zone. French law (since 1 March 2023) allows unsolicited calls to consumers Monday to
//! Friday, 10:00-13:00 and 14:00-20:00, never on public holidays; campaigns may set stricter or,
//! with the callee's consent, other hours.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// Weekdays and daily windows (minutes after local midnight, end excluded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallingHours {
    /// Monday first.
    pub days: [bool; 7],
    pub windows: Vec<(u32, u32)>,
}

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl CallingHours {
    /// The French rule for consumers: Monday to Friday, 10:00-13:00 and 14:00-20:00.
    pub fn french() -> CallingHours {
        CallingHours { days: [true, true, true, true, true, false, false], windows: vec![(600, 780), (840, 1200)] }
    }

    /// "mon-fri 10:00-13:00 14:00-20:00", "mon,wed,sat 09:30-12:00", "always".
    pub fn parse(text: &str) -> Result<CallingHours, String> {
        let text = text.trim().to_ascii_lowercase();
        if text == "always" {
            return Ok(CallingHours { days: [true; 7], windows: vec![(0, 1440)] });
        }
        let mut words = text.split_whitespace();
        let days_word = words.next().ok_or("empty calling hours (e.g. mon-fri 10:00-13:00 14:00-20:00)")?;
        let mut days = [false; 7];
        for part in days_word.split(',') {
            let day = |name: &str| DAY_NAMES.iter().position(|d| *d == name).ok_or_else(|| format!("'{name}' is not a day (mon..sun)"));
            match part.split_once('-') {
                Some((from, to)) => {
                    let (from, to) = (day(from)?, day(to)?);
                    if from > to {
                        return Err(format!("'{part}': days run from monday to sunday"));
                    }
                    days[from..=to].iter_mut().for_each(|d| *d = true);
                }
                None => days[day(part)?] = true,
            }
        }
        let mut windows = Vec::new();
        for window in words {
            let (from, to) = window.split_once('-').ok_or_else(|| format!("'{window}' is not a window (HH:MM-HH:MM)"))?;
            let (from, to) = (minute_of_day(from)?, minute_of_day(to)?);
            if from >= to {
                return Err(format!("'{window}': a window ends after it starts"));
            }
            windows.push((from, to));
        }
        if windows.is_empty() {
            return Err(format!("'{text}': no time window (e.g. mon-fri 10:00-13:00 14:00-20:00)"));
        }
        windows.sort_unstable();
        if windows.windows(2).any(|w| w[0].1 > w[1].0) {
            return Err(format!("'{text}': windows overlap"));
        }
        Ok(CallingHours { days, windows })
    }
}

fn minute_of_day(text: &str) -> Result<u32, String> {
    let (h, m) = text.split_once(':').ok_or_else(|| format!("'{text}' is not a time (HH:MM)"))?;
    let (h, m): (u32, u32) = (h.parse().map_err(|_| format!("'{text}' is not a time"))?, m.parse().map_err(|_| format!("'{text}' is not a time"))?);
    if m >= 60 || h * 60 + m > 1440 {
        return Err(format!("'{text}' is not a time of day"));
    }
    Ok(h * 60 + m)
}

/// Which public holidays close the calling days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holidays {
    /// The eleven French public holidays.
    France,
    /// France, plus Good Friday and St Stephen's Day (Alsace and Moselle).
    AlsaceMoselle,
    None,
}

impl Holidays {
    pub fn parse(text: &str) -> Result<Holidays, String> {
        match text.trim() {
            "fr" | "france" => Ok(Holidays::France),
            "fr-alsace-moselle" => Ok(Holidays::AlsaceMoselle),
            "none" => Ok(Holidays::None),
            other => Err(format!("'{other}': holidays are fr, fr-alsace-moselle or none")),
        }
    }

    pub fn contains(self, date: NaiveDate) -> bool {
        match self {
            Holidays::None => false,
            Holidays::France | Holidays::AlsaceMoselle => french_holidays(date.year(), self == Holidays::AlsaceMoselle).contains(&date),
        }
    }
}

/// Easter Sunday (Gregorian calendar, the anonymous algorithm).
pub fn easter(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).expect("Easter is a date")
}

/// The French public holidays of a year (Labour Code L3133-1), with Alsace-Moselle's two more.
pub fn french_holidays(year: i32, alsace_moselle: bool) -> Vec<NaiveDate> {
    let date = |m, d| NaiveDate::from_ymd_opt(year, m, d).expect("fixed holiday");
    let easter = easter(year);
    let mut days = vec![
        date(1, 1),
        easter + Duration::days(1),  // Easter Monday
        date(5, 1),
        date(5, 8),
        easter + Duration::days(39), // Ascension
        easter + Duration::days(50), // Whit Monday
        date(7, 14),
        date(8, 15),
        date(11, 1),
        date(11, 11),
        date(12, 25),
    ];
    if alsace_moselle {
        days.push(easter - Duration::days(2)); // Good Friday
        days.push(date(12, 26));
    }
    days
}

/// Calling hours, holidays and days a campaign adds (e.g. a bridge day).
#[derive(Debug, Clone, PartialEq)]
pub struct Calendar {
    pub hours: CallingHours,
    pub holidays: Holidays,
    pub closed: Vec<NaiveDate>,
}

impl Default for Calendar {
    fn default() -> Calendar {
        Calendar { hours: CallingHours::french(), holidays: Holidays::France, closed: Vec::new() }
    }
}

impl Calendar {
    fn open_day(&self, date: NaiveDate) -> bool {
        self.hours.days[date.weekday().num_days_from_monday() as usize] && !self.holidays.contains(date) && !self.closed.contains(&date)
    }

    /// Whether a call may start at this local time.
    pub fn is_open(&self, local: NaiveDateTime) -> bool {
        let minute = local.time().num_seconds_from_midnight() / 60;
        self.open_day(local.date()) && self.hours.windows.iter().any(|&(from, to)| minute >= from && minute < to)
    }

    /// The first instant at or after `at` when a call may start, in the zone `tz`; None when the
    /// calendar never opens (within a year and a half).
    pub fn next_open(&self, at: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        let local = at.with_timezone(&tz).naive_local();
        let now_minute = local.time().num_seconds_from_midnight() / 60;
        for day in 0..550 {
            let date = local.date() + Duration::days(day);
            if !self.open_day(date) {
                continue;
            }
            for &(from, to) in &self.hours.windows {
                if day == 0 && now_minute >= to {
                    continue;
                }
                if day == 0 && now_minute >= from {
                    return Some(at); // inside the window now
                }
                if let Some(start) = to_utc(date, from, tz) {
                    if start >= at {
                        return Some(start);
                    }
                }
            }
        }
        None
    }
}

/// A local date and minute as an instant; in a spring-forward gap, the first instant after it.
fn to_utc(date: NaiveDate, minute: u32, tz: Tz) -> Option<DateTime<Utc>> {
    let time = |m: u32| if m >= 1440 { None } else { NaiveTime::from_hms_opt(m / 60, m % 60, 0) };
    for shift in [0, 30, 60, 120] {
        let local = date.and_time(time(minute + shift)?);
        if let Some(instant) = tz.from_local_datetime(&local).earliest() {
            return Some(instant.with_timezone(&Utc));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paris(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        chrono_tz::Europe::Paris.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn easter_and_the_french_holidays() {
        assert_eq!(easter(2024), NaiveDate::from_ymd_opt(2024, 3, 31).unwrap());
        assert_eq!(easter(2025), NaiveDate::from_ymd_opt(2025, 4, 20).unwrap());
        assert_eq!(easter(2026), NaiveDate::from_ymd_opt(2026, 4, 5).unwrap());
        assert_eq!(easter(2027), NaiveDate::from_ymd_opt(2027, 3, 28).unwrap());
        let days = french_holidays(2026, false);
        assert_eq!(days.len(), 11);
        for (m, d) in [(4, 6), (5, 14), (5, 25), (7, 14), (11, 11)] {
            assert!(days.contains(&NaiveDate::from_ymd_opt(2026, m, d).unwrap()), "2026-{m}-{d}");
        }
        assert!(Holidays::AlsaceMoselle.contains(NaiveDate::from_ymd_opt(2026, 4, 3).unwrap()), "Good Friday");
        assert!(!Holidays::France.contains(NaiveDate::from_ymd_opt(2026, 4, 3).unwrap()));
    }

    #[test]
    fn parses_hours_and_refuses_nonsense() {
        assert_eq!(CallingHours::parse("mon-fri 10:00-13:00 14:00-20:00").unwrap(), CallingHours::french());
        let h = CallingHours::parse("mon,wed,sat 09:30-12:00").unwrap();
        assert_eq!(h.days, [true, false, true, false, false, true, false]);
        assert_eq!(h.windows, vec![(570, 720)]);
        assert_eq!(CallingHours::parse("always").unwrap().windows, vec![(0, 1440)]);
        for bad in ["", "mon-fri", "fri-mon 10:00-12:00", "mon 12:00-10:00", "xyz 10:00-12:00", "mon 10:00-12:00 11:00-13:00", "mon 25:00-26:00"] {
            assert!(CallingHours::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn next_open_follows_windows_weekends_holidays_and_zones() {
        let cal = Calendar::default();
        let tz = chrono_tz::Europe::Paris;
        // Thursday 26 November 2026, 11:00 in Paris: open now.
        let now = paris(2026, 11, 26, 11, 0);
        assert_eq!(cal.next_open(now, tz), Some(now));
        // 13:30: lunch break, opens at 14:00.
        assert_eq!(cal.next_open(paris(2026, 11, 26, 13, 30), tz), Some(paris(2026, 11, 26, 14, 0)));
        // Friday 20:00 (the end is excluded): Monday 10:00.
        assert_eq!(cal.next_open(paris(2026, 11, 27, 20, 0), tz), Some(paris(2026, 11, 30, 10, 0)));
        // Thursday 24 December, 21:00: the 25th is a holiday, then the weekend: Monday 28th.
        assert_eq!(cal.next_open(paris(2026, 12, 24, 21, 0), tz), Some(paris(2026, 12, 28, 10, 0)));
        // Easter Monday 2026 (6 April) is closed all day.
        assert_eq!(cal.next_open(paris(2026, 4, 6, 9, 0), tz), Some(paris(2026, 4, 7, 10, 0)));
        // A contact in Martinique (UTC-4): 10:00 there is 15:00 in Paris.
        let fort_de_france = chrono_tz::America::Martinique;
        let paris_9am = paris(2026, 11, 26, 9, 0);
        let opens = cal.next_open(paris_9am, fort_de_france).unwrap();
        assert_eq!(opens, paris(2026, 11, 26, 15, 0));
        assert!(!cal.is_open(paris_9am.with_timezone(&fort_de_france).naive_local()));
        // A campaign's own closed day.
        let bridge = Calendar { closed: vec![NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()], ..Calendar::default() };
        assert_eq!(bridge.next_open(now, tz), Some(paris(2026, 11, 27, 10, 0)));
        // Never open.
        let never = Calendar { hours: CallingHours { days: [false; 7], windows: vec![(0, 1440)] }, ..Calendar::default() };
        assert_eq!(never.next_open(now, tz), None);
    }

    #[test]
    fn daylight_saving_gaps_open_after_the_gap() {
        // 29 March 2026: Paris jumps from 02:00 to 03:00; a window starting at 02:30 opens at 03:00.
        let cal = Calendar { hours: CallingHours::parse("sun 02:30-05:00").unwrap(), holidays: Holidays::None, closed: vec![] };
        let before = paris(2026, 3, 28, 12, 0);
        let opens = cal.next_open(before, chrono_tz::Europe::Paris).unwrap();
        assert_eq!(opens, paris(2026, 3, 29, 3, 0));
    }
}
