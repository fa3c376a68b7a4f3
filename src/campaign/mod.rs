//! Campaign policy as pure data and functions: how a campaign is dialed (dial string, pacing,
//! retries), the French calling rules, contact files in and results out. The dialer (src/dialer)
//! applies them; the database (src/store) keeps the state.
//!
//! Dialing keys of a `[campaign]` section in minibot_scenarios.conf:
//! ```text
//! dial = PJSIP/${PHONE}@trunk     ; the channel to call (${PHONE}: +33..., ${PHONE_DIGITS}: 33...)
//! caller_id = "Patrimoine Conseil" <+33170000000>
//! max_concurrent = 10            ; calls ringing or in progress, per node
//! calls_per_second = 1           ; new calls per second, per node
//! ring_timeout = 30s
//! max_attempts = 4               ; attempts in all; a callback the callee asked for is kept past it,
//! max_callbacks = 2              ; ... for at most this many more attempts
//! callback_min_delay = 15m       ; a callback is never placed sooner (then: the next calling slot)
//! retry_busy = 20m               ; retry_<outcome> = delay; an outcome without one is final
//! hours = mon-fri 10:00-13:00 14:00-20:00   ; in the contact's zone ("always" with consent-only lists)
//! holidays = fr                  ; fr, fr-alsace-moselle, none
//! closed = 2026-12-24, 2026-12-31
//! timezone = Europe/Paris        ; contacts without their own
//! max_calls_per_contact = 4/30d  ; per company, all its campaigns together
//! refusal_pause = 60d            ; no call after an explicit "no" for this long
//! company = Patrimoine Conseil   ; campaigns of one company share the limits (default: all)
//! on_machine = hangup            ; or: message minibot/demo/voicemail (left after the beep)
//! ```

pub mod calendar;
pub mod contacts;
pub mod export;
pub mod pacing;
pub mod plan;
pub mod retry;
pub mod rules;

use crate::config::document::{ConfigError, FromKeys, Key};
use crate::domain::Outcome;
use calendar::{CallingHours, Holidays};
use chrono::{Duration, NaiveDate};
use chrono_tz::Tz;
use retry::{parse_delay, RetryPolicy};
use rules::ContactRules;

/// What to do once the call is known to have reached an answering machine.
#[derive(Debug, Clone, PartialEq)]
pub enum MachineAction {
    HangUp,
    /// Play this sound file after the beep, then hang up.
    LeaveMessage(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Dialing {
    /// Empty: the module does not dial this campaign (calls come from the dialplan).
    pub dial: String,
    pub caller_id: String,
    pub max_concurrent: u32,
    pub calls_per_second: f64,
    pub ring_timeout_s: u32,
    pub retry: RetryPolicy,
    pub rules: ContactRules,
    pub timezone: Tz,
    pub company: String,
    pub on_machine: MachineAction,
}

impl Default for Dialing {
    fn default() -> Dialing {
        Dialing {
            dial: String::new(),
            caller_id: String::new(),
            max_concurrent: 5,
            calls_per_second: 1.0,
            ring_timeout_s: 30,
            retry: RetryPolicy::default(),
            rules: ContactRules::default(),
            timezone: chrono_tz::Europe::Paris,
            company: String::new(),
            on_machine: MachineAction::HangUp,
        }
    }
}

pub const KEYS: &str = "dial, caller_id, max_concurrent, calls_per_second, ring_timeout, max_attempts, max_callbacks, callback_min_delay, retry_<outcome>, hours, \
                        holidays, closed, timezone, max_calls_per_contact, refusal_pause, company, on_machine";

impl Dialing {
    /// The endpoint a PJSIP dial string names (`PJSIP/${PHONE}@trunk`, `PJSIP/trunk/sip:...`), as
    /// Asterisk names endpoints: "PJSIP/trunk". None for other technologies.
    pub fn endpoint(&self) -> Option<String> {
        let rest = self.dial.strip_prefix("PJSIP/")?;
        // `endpoint/uri` (the URI may hold an @) or `number@endpoint`.
        let name = match (rest.find('/'), rest.find('@')) {
            (Some(slash), Some(at)) if slash < at => &rest[..slash],
            (Some(slash), None) => &rest[..slash],
            (_, Some(_)) => rest.rsplit_once('@').map(|(_, endpoint)| endpoint)?,
            (None, None) => rest,
        };
        (!name.is_empty() && !name.contains('$')).then(|| format!("PJSIP/{name}"))
    }

    /// Reads one key of a `[campaign]` section; None when the key is not about dialing.
    pub fn read(&mut self, key: &str, value: &str) -> Option<Result<(), String>> {
        let value = value.trim();
        let result = match key {
            "dial" => dial_string(value).map(|d| self.dial = d),
            "caller_id" => Ok(self.caller_id = value.to_string()),
            "max_concurrent" => bounded(value, 1, 1000).map(|n| self.max_concurrent = n),
            "calls_per_second" => match value.parse::<f64>() {
                Ok(r) if (0.01..=100.0).contains(&r) => Ok(self.calls_per_second = r),
                _ => Err(format!("'{value}': calls_per_second is a number from 0.01 to 100")),
            },
            "ring_timeout" => seconds(value, 5, 300).map(|s| self.ring_timeout_s = s),
            "max_attempts" => bounded(value, 1, 50).map(|n| self.retry.max_attempts = n),
            "max_callbacks" => bounded(value, 0, 20).map(|n| self.retry.max_callbacks = n),
            "callback_min_delay" => parse_delay(value).and_then(|d| match d {
                d if d >= Duration::minutes(1) && d <= Duration::days(7) => Ok(self.retry.callback_min_delay = d),
                _ => Err(format!("'{value}': callback_min_delay is from 1m to 7d")),
            }),
            "hours" => CallingHours::parse(value).map(|h| self.rules.calendar.hours = h),
            "holidays" => Holidays::parse(value).map(|h| self.rules.calendar.holidays = h),
            "closed" => dates(value).map(|d| self.rules.calendar.closed = d),
            "timezone" => value.parse::<Tz>().map(|z| self.timezone = z).map_err(|_| format!("'{value}' is not a time zone (e.g. Europe/Paris)")),
            "max_calls_per_contact" => calls_per_days(value).map(|(n, d)| (self.rules.max_calls, self.rules.per_days) = (n, d)),
            "refusal_pause" => days(value).map(|d| self.rules.refusal_pause_days = d),
            "company" => Ok(self.company = value.to_string()),
            "on_machine" => machine_action(value).map(|a| self.on_machine = a),
            _ => match key.strip_prefix("retry_") {
                Some(name) => match Outcome::parse(name) {
                    Some(Outcome::DoNotCall) => Err("an opt-out is never retried".to_string()),
                    Some(outcome) => parse_delay(value).map(|delay| {
                        self.retry.delays.retain(|(o, _)| *o != outcome);
                        if delay > Duration::zero() {
                            self.retry.delays.push((outcome, delay));
                        }
                    }),
                    None => Err(format!("'{key}': retry_<outcome> names an outcome ({})", Outcome::names())),
                },
                None => return None,
            },
        };
        Some(result)
    }

    /// The dial string for one number.
    pub fn dial_string_for(&self, phone: &str) -> String {
        self.dial.replace("${PHONE_DIGITS}", phone.trim_start_matches('+')).replace("${PHONE}", phone)
    }
}

fn dial_string(value: &str) -> Result<String, String> {
    let (tech, rest) = value.split_once('/').ok_or_else(|| format!("'{value}': a dial string is TECH/resource (PJSIP/${{PHONE}}@trunk)"))?;
    if tech.is_empty() || rest.is_empty() || !value.contains("${PHONE") {
        return Err(format!("'{value}': a dial string is TECH/resource with ${{PHONE}} or ${{PHONE_DIGITS}} in it"));
    }
    Ok(value.to_string())
}

fn bounded(value: &str, min: u32, max: u32) -> Result<u32, String> {
    match value.parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!("'{value}' is not a whole number from {min} to {max}")),
    }
}

fn seconds(value: &str, min: u32, max: u32) -> Result<u32, String> {
    let delay = if value.chars().all(|c| c.is_ascii_digit()) { parse_delay(&format!("{value}s"))? } else { parse_delay(value)? };
    let s = delay.num_seconds();
    if s < i64::from(min) || s > i64::from(max) {
        return Err(format!("'{value}' is not between {min} and {max} seconds"));
    }
    Ok(s as u32)
}

fn days(value: &str) -> Result<u32, String> {
    let value = value.trim();
    let n = value.strip_suffix('d').unwrap_or(value);
    bounded(n, 0, 3650)
}

fn calls_per_days(value: &str) -> Result<(u32, u32), String> {
    let (n, d) = value.split_once('/').ok_or_else(|| format!("'{value}': max_calls_per_contact is calls/days (4/30d)"))?;
    Ok((bounded(n.trim(), 0, 1000)?, days(d)?.max(1)))
}

fn dates(value: &str) -> Result<Vec<NaiveDate>, String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| format!("'{d}' is not a date (YYYY-MM-DD)")))
        .collect()
}

fn machine_action(value: &str) -> Result<MachineAction, String> {
    match value.split_whitespace().collect::<Vec<_>>().as_slice() {
        ["hangup"] => Ok(MachineAction::HangUp),
        ["message", prompt] if !prompt.contains("..") => Ok(MachineAction::LeaveMessage(prompt.to_string())),
        _ => Err(format!("'{value}': on_machine is hangup, or message <sound file>")),
    }
}

/// The node's dialer (`[dialer]` in minibot.conf): what every campaign on this node shares.
#[derive(Debug, Clone, PartialEq)]
pub struct DialerConfig {
    /// No: this node never dials (campaigns may still run on other nodes).
    pub enabled: bool,
    /// The dialplan context campaign calls go to, at exten `s` with MINIBOT_CAMPAIGN set (it
    /// runs AMD(), then MiniBot(${MINIBOT_CAMPAIGN})).
    pub context: String,
    /// Calls ringing or in progress on this node, all campaigns together.
    pub max_calls: u32,
    /// How long a claimed row stays this node's without renewal (a dead node's rows come back).
    pub lease_s: u32,
    pub poll_ms: u32,
    /// No new call while, with calls in progress, the recent turn-end -> transcript p95 or the
    /// outgoing audio gap p95 is over these bounds: the machine is saturated.
    pub max_turn_ms: u32,
    pub max_audio_gap_ms: u32,
    /// No new call while any call's recognizer has more than this much audio waiting (ms): the
    /// node has no room now, before latency is lost.
    pub max_backlog_ms: u32,
    /// Ramp-up: a node that gets busy may have `ramp_calls` calls in progress, and as many more
    /// every `ramp_s` seconds (greetings, AMD and first answers all at once are the busiest
    /// moment), so a campaign starts gradually instead of in a burst.
    pub ramp_calls: u32,
    pub ramp_s: u32,
}

impl Default for DialerConfig {
    fn default() -> DialerConfig {
        DialerConfig {
            enabled: true,
            context: "minibot-dialer".into(),
            max_calls: 60,
            lease_s: 60,
            poll_ms: 500,
            max_turn_ms: 1500,
            max_audio_gap_ms: 60,
            max_backlog_ms: 400,
            ramp_calls: 2,
            ramp_s: 8,
        }
    }
}

/// What each campaign command does to its state: (command, from states, to state). The state
/// lives in PostgreSQL, so it survives a restart and every node sees it.
pub const TRANSITIONS: &[(&str, &[&str], &str)] = &[
    ("start", &["created", "stopped", "finished"], "running"),
    ("pause", &["running"], "paused"),
    ("resume", &["paused"], "running"),
    ("stop", &["created", "running", "paused"], "stopped"),
];

pub fn transition(command: &str) -> Option<(&'static [&'static str], &'static str)> {
    TRANSITIONS.iter().find(|(c, _, _)| *c == command).map(|(_, from, to)| (*from, *to))
}

/// `[dialer]` in minibot.conf.
impl FromKeys for DialerConfig {
    fn apply(&mut self, key: &Key) -> Result<bool, ConfigError> {
        match key.name() {
            "enabled" => self.enabled = key.boolean()?,
            "context" => {
                let value = key.value();
                if value.is_empty() || !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                    return Err(key.error(format!("'{value}' is not a dialplan context name")));
                }
                self.context = value.to_string();
            }
            "max_calls" => self.max_calls = key.number(1, 10_000)?,
            "lease_s" => self.lease_s = key.number(10, 3600)?,
            "poll_ms" => self.poll_ms = key.number(50, 60_000)?,
            "max_turn_ms" => self.max_turn_ms = key.number(50, 60_000)?,
            "max_audio_gap_ms" => self.max_audio_gap_ms = key.number(20, 10_000)?,
            "max_backlog_ms" => self.max_backlog_ms = key.number(100, 60_000)?,
            "ramp_calls" => self.ramp_calls = key.number(1, 10_000)?,
            "ramp_s" => self.ramp_s = key.number(0, 600)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_a_dial_string_names() {
        let endpoint = |dial: &str| Dialing { dial: dial.into(), ..Dialing::default() }.endpoint();
        assert_eq!(endpoint("PJSIP/${PHONE}@trunk").as_deref(), Some("PJSIP/trunk"));
        assert_eq!(endpoint("PJSIP/trunk/sip:${PHONE}@10.0.0.1").as_deref(), Some("PJSIP/trunk"));
        assert_eq!(endpoint("IAX2/peer/${PHONE}"), None);
        assert_eq!(endpoint("PJSIP/${PHONE}"), None);
        assert_eq!(endpoint("PJSIP/trunk/sips:${PHONE}@carrier.example").as_deref(), Some("PJSIP/trunk"));
        assert_eq!(endpoint("PJSIP/trunk/tel:${PHONE}").as_deref(), Some("PJSIP/trunk"));
        assert_eq!(endpoint("PJSIP/${PHONE}@${TRUNK}"), None, "a variable names no endpoint to check");
    }

    #[test]
    fn reads_dialing_keys_and_refuses_bad_values() {
        let mut d = Dialing::default();
        for (k, v) in [
            ("dial", "Local/${PHONE_DIGITS}@callees"),
            ("max_concurrent", "20"),
            ("calls_per_second", "2.5"),
            ("ring_timeout", "25s"),
            ("max_attempts", "3"),
            ("retry_busy", "5m"),
            ("retry_answering_machine", "0"),
            ("hours", "mon-sat 09:00-12:00"),
            ("holidays", "fr-alsace-moselle"),
            ("closed", "2026-12-24, 2026-12-31"),
            ("timezone", "America/Martinique"),
            ("max_calls_per_contact", "3/14d"),
            ("refusal_pause", "90d"),
            ("on_machine", "message minibot/demo/voicemail"),
        ] {
            d.read(k, v).unwrap().unwrap_or_else(|e| panic!("{k}: {e}"));
        }
        assert_eq!(d.dial_string_for("+33612345678"), "Local/33612345678@callees");
        assert_eq!((d.max_concurrent, d.ring_timeout_s, d.retry.max_attempts), (20, 25, 3));
        assert_eq!(d.retry.delay(Outcome::Busy), Some(Duration::minutes(5)));
        assert_eq!(d.retry.delay(Outcome::AnsweringMachine), None, "0: final");
        assert_eq!((d.rules.max_calls, d.rules.per_days, d.rules.refusal_pause_days), (3, 14, 90));
        assert_eq!(d.rules.calendar.closed.len(), 2);
        assert_eq!(d.on_machine, MachineAction::LeaveMessage("minibot/demo/voicemail".into()));
        assert!(d.read("start", "hello").is_none(), "not a dialing key");
        for (k, v) in [
            ("dial", "nothing"),
            ("dial", "PJSIP/0123@trunk"),
            ("max_concurrent", "0"),
            ("calls_per_second", "fast"),
            ("ring_timeout", "1h"),
            ("retry_do_not_call", "1d"),
            ("retry_sometimes", "1d"),
            ("hours", "weekdays"),
            ("timezone", "Paris"),
            ("closed", "24/12/2026"),
            ("max_calls_per_contact", "4"),
            ("on_machine", "sing"),
        ] {
            assert!(d.read(k, v).unwrap().is_err(), "{k} = {v}");
        }
    }
}
