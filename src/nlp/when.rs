//! When the callee wants to be called back, from French as an ASR writes it: "demain matin",
//! "vers dix-huit heures", "la semaine prochaine", "dans une heure", "jeudi après-midi".
//! Relative to the call's local time, so the dialer can schedule the retry.

use super::normalize::{padded, tokens};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// `days_ahead` days from today, between two times (minutes after midnight).
    At { days_ahead: u32, from_minute: u32, to_minute: u32 },
    /// This many minutes from now.
    In { minutes: u32 },
    /// "plus tard", "un autre jour": a callback with no time given.
    Unspecified,
}

/// The call's local time.
#[derive(Debug, Clone, Copy)]
pub struct LocalNow {
    /// 0 = Monday .. 6 = Sunday.
    pub weekday: u32,
    pub minute_of_day: u32,
}

impl LocalNow {
    /// The weekday and time at `instant` in the contact's zone: the one clock that callbacks,
    /// calling hours and their records share.
    pub fn at(instant: chrono::DateTime<chrono::Utc>, zone: chrono_tz::Tz) -> LocalNow {
        use chrono::{Datelike, Timelike};
        let local = instant.with_timezone(&zone);
        LocalNow { weekday: local.weekday().num_days_from_monday(), minute_of_day: local.hour() * 60 + local.minute() }
    }
}

const WEEKDAYS: [&str; 7] = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"];

fn number_word(word: &str) -> Option<u32> {
    const UNITS: [&str; 21] = [
        "zero", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze", "douze", "treize",
        "quatorze", "quinze", "seize", "dix sept", "dix huit", "dix neuf", "vingt",
    ];
    if word == "une" {
        return Some(1);
    }
    if let Some(n) = UNITS.iter().position(|u| *u == word) {
        return Some(n as u32);
    }
    match word {
        "trente" => Some(30),
        "quarante" => Some(40),
        "cinquante" => Some(50),
        "vingt et un" | "vingt et une" => Some(21),
        "vingt deux" => Some(22),
        "vingt trois" => Some(23),
        // Digits as the recognizer writes them; nobody asks to be called back in 10,000 units.
        _ => word.parse().ok().filter(|n| *n <= 9999),
    }
}

/// Reads a number at `toks[i..]` (one or two words), returning it and the words used.
fn number_at(toks: &[String], i: usize) -> Option<(u32, usize)> {
    if i + 2 < toks.len() {
        if let Some(n) = number_word(&toks[i..i + 3].join(" ")) {
            return Some((n, 3));
        }
    }
    if i + 1 < toks.len() {
        if let Some(n) = number_word(&toks[i..i + 2].join(" ")) {
            return Some((n, 2));
        }
    }
    let tok = toks.get(i)?;
    // "18h", "18h30"
    if let Some((h, m)) = tok.split_once('h') {
        if let Ok(h) = h.parse::<u32>() {
            let m: u32 = if m.is_empty() { 0 } else { m.parse().ok()? };
            if h >= 24 || m >= 60 {
                return None;
            }
            return Some((10_000 + h * 100 + m, 1)); // flagged as a clock time
        }
    }
    number_word(tok).map(|n| (n, 1))
}

/// A clock time ("dix-huit heures", "18h30", "midi") as minutes after midnight.
fn clock_time(toks: &[String]) -> Option<u32> {
    for i in 0..toks.len() {
        if toks[i] == "midi" && (i == 0 || toks[i - 1] != "apres") {
            return Some(12 * 60);
        }
        if let Some((n, used)) = number_at(toks, i) {
            if n >= 10_000 {
                let (h, m) = ((n - 10_000) / 100, (n - 10_000) % 100);
                if h < 24 && m < 60 {
                    return Some(h * 60 + m);
                }
            }
            if toks.get(i + used).is_some_and(|t| t == "heures" || t == "heure" || t == "h") && n < 24 {
                let rest = &toks[(i + used + 1).min(toks.len())..];
                let minutes = match rest {
                    [a, b, ..] if a == "et" && b == "demie" => 30,
                    [a, b, ..] if a == "et" && b == "quart" => 15,
                    _ => number_at(rest, 0).filter(|(m, _)| *m < 60).map_or(0, |(m, _)| m),
                };
                return Some(n * 60 + minutes);
            }
        }
    }
    None
}

pub fn parse_callback(utterance: &str, now: LocalNow) -> When {
    let toks = tokens(utterance);
    let text = padded(&toks);
    // "dans une heure", "dans vingt minutes", "dans deux jours", "dans quinze jours"
    if let Some(i) = toks.iter().position(|t| t == "dans") {
        if let Some((n, used)) = number_at(&toks, i + 1) {
            match toks.get(i + 1 + used).map(String::as_str) {
                // Checked: a number the recognizer made up must not wrap into a near date.
                Some("minute" | "minutes") => return When::In { minutes: n },
                Some("heure" | "heures") => return n.checked_mul(60).map_or(When::Unspecified, |minutes| When::In { minutes }),
                Some("jour" | "jours") => return day_window(n, &text, None),
                Some("semaine" | "semaines") => return n.checked_mul(7).map_or(When::Unspecified, |d| day_window(d, &text, None)),
                Some("mois") => return n.checked_mul(30).map_or(When::Unspecified, |d| day_window(d, &text, None)),
                _ => {}
            }
        }
    }
    let clock = clock_time(&toks);
    let mut days = None;
    if text.contains(" apres demain ") {
        days = Some(2);
    } else if text.contains(" demain ") {
        days = Some(1);
    } else if text.contains(" aujourd hui ") || text.contains(" ce soir ") || text.contains(" cet apres midi ") || text.contains(" ce matin ") {
        days = Some(0);
    } else if text.contains(" semaine prochaine ") {
        days = Some(7 - now.weekday % 7); // next Monday
    } else if text.contains(" mois prochain ") {
        days = Some(30);
    } else if let Some(day) = WEEKDAYS.iter().position(|d| toks.iter().any(|t| t == d)) {
        let ahead = (day as u32 + 7 - now.weekday % 7) % 7;
        days = Some(if ahead == 0 { 7 } else { ahead });
    }
    if days.is_none() && clock.is_none() && !has_part_of_day(&text) {
        return When::Unspecified;
    }
    let days = days.unwrap_or_else(|| {
        // A time of day alone means today if it is still ahead, else tomorrow.
        let start = clock.unwrap_or_else(|| part_of_day(&text).map_or(0, |p| p.0));
        if start > now.minute_of_day {
            0
        } else {
            1
        }
    });
    day_window(days, &text, clock)
}

fn has_part_of_day(text: &str) -> bool {
    part_of_day(text).is_some()
}

fn part_of_day(text: &str) -> Option<(u32, u32)> {
    if text.contains(" apres midi ") {
        Some((14 * 60, 18 * 60))
    } else if text.contains(" matin ") || text.contains(" matinee ") {
        Some((9 * 60, 12 * 60))
    } else if text.contains(" soir ") || text.contains(" soiree ") || text.contains(" fin de journee ") {
        Some((18 * 60, 20 * 60))
    } else if text.contains(" midi ") {
        Some((12 * 60, 14 * 60))
    } else {
        None
    }
}

fn day_window(days_ahead: u32, text: &str, clock: Option<u32>) -> When {
    let (from_minute, to_minute) = match clock {
        Some(t) => (t.saturating_sub(15), (t + 15).min(24 * 60 - 1)),
        None => part_of_day(text).unwrap_or((9 * 60, 19 * 60)),
    };
    When::At { days_ahead, from_minute, to_minute }
}

impl When {
    /// "J+1 09:00-12:00", "in 60 min", "unspecified": for records and logs.
    pub fn describe(&self) -> String {
        match self {
            When::At { days_ahead, from_minute, to_minute } => format!(
                "J+{days_ahead} {:02}:{:02}-{:02}:{:02}",
                from_minute / 60,
                from_minute % 60,
                to_minute / 60,
                to_minute % 60
            ),
            When::In { minutes } => format!("in {minutes} min"),
            When::Unspecified => "unspecified".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Wednesday 10:30.
    const NOW: LocalNow = LocalNow { weekday: 2, minute_of_day: 10 * 60 + 30 };

    fn at(days_ahead: u32, from: (u32, u32), to: (u32, u32)) -> When {
        When::At { days_ahead, from_minute: from.0 * 60 + from.1, to_minute: to.0 * 60 + to.1 }
    }

    #[test]
    fn days_and_parts_of_day() {
        assert_eq!(parse_callback("rappelez-moi demain matin", NOW), at(1, (9, 0), (12, 0)));
        assert_eq!(parse_callback("je suis au travail rappelez-moi ce soir", NOW), at(0, (18, 0), (20, 0)));
        assert_eq!(parse_callback("la semaine prochaine", NOW), at(5, (9, 0), (19, 0)));
        assert_eq!(parse_callback("plutôt jeudi après-midi", NOW), at(1, (14, 0), (18, 0)));
        assert_eq!(parse_callback("mercredi", NOW), at(7, (9, 0), (19, 0)));
        assert_eq!(parse_callback("après-demain", NOW), at(2, (9, 0), (19, 0)));
    }

    #[test]
    fn clock_times() {
        assert_eq!(parse_callback("vers dix-huit heures", NOW), at(0, (17, 45), (18, 15)));
        assert_eq!(parse_callback("demain à 18h30", NOW), at(1, (18, 15), (18, 45)));
        assert_eq!(parse_callback("à neuf heures et demie", NOW), at(1, (9, 15), (9, 45)), "09:30 has passed today");
        assert_eq!(parse_callback("à midi", NOW), at(0, (11, 45), (12, 15)));
        assert_eq!(parse_callback("vers quatorze heures trente", NOW), at(0, (14, 15), (14, 45)));
    }

    #[test]
    fn local_time_is_the_contact_s() {
        use chrono::TimeZone;
        // 2026-11-25 11:05 UTC is a Wednesday: 12:05 in Paris, 07:05 in Martinique.
        let instant = chrono::Utc.with_ymd_and_hms(2026, 11, 25, 11, 5, 0).unwrap();
        let paris = LocalNow::at(instant, chrono_tz::Europe::Paris);
        assert_eq!((paris.weekday, paris.minute_of_day), (2, 12 * 60 + 5));
        let martinique = LocalNow::at(instant, chrono_tz::America::Martinique);
        assert_eq!((martinique.weekday, martinique.minute_of_day), (2, 7 * 60 + 5));
        // Late on Sunday in Paris is already Monday in Réunion.
        let sunday = chrono::Utc.with_ymd_and_hms(2026, 11, 29, 21, 30, 0).unwrap();
        assert_eq!(LocalNow::at(sunday, chrono_tz::Indian::Reunion).weekday, 0);
    }

    #[test]
    fn delays_and_unspecified() {
        assert_eq!(parse_callback("rappelez dans une heure", NOW), When::In { minutes: 60 });
        assert_eq!(parse_callback("dans vingt minutes", NOW), When::In { minutes: 20 });
        assert_eq!(parse_callback("dans quinze jours", NOW), at(15, (9, 0), (19, 0)));
        assert_eq!(parse_callback("rappelez plus tard", NOW), When::Unspecified);
        assert_eq!(at(1, (9, 0), (12, 0)).describe(), "J+1 09:00-12:00");
    }

    #[test]
    fn huge_numbers_never_wrap_into_a_near_date() {
        for text in ["rappelez moi dans 4294967295 heures", "dans 99999999 semaines", "vers 4294967h30", "dans 715827883 mois", "a 99h99"] {
            let when = parse_callback(text, NOW);
            assert!(!matches!(when, When::In { minutes } if minutes < 60 * 24 * 365), "{text}: {when:?}");
            assert!(!matches!(when, When::At { days_ahead: 0, .. }), "{text}: {when:?}");
        }
        let odd_clock = LocalNow { weekday: 12, minute_of_day: 0 };
        let _ = parse_callback("la semaine prochaine lundi", odd_clock);
    }
}
