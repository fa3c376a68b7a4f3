//! One call into MiniBot(): its dialplan arguments and the status it ends with.
//! Pure Rust; the Asterisk side (src/host/app.rs) turns these into channel operations.

pub mod controller;
pub mod dry_run;
pub mod live;
pub mod media;
pub mod result;
pub mod session;

use crate::domain::CallStatus;
use std::fmt;


/// `MiniBot(campaign[,options])`.
#[derive(Debug, Clone, PartialEq)]
pub struct AppArgs {
    pub campaign: String,
    pub options: AppOptions,
}

/// Single-letter options, Asterisk style.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AppOptions {
    /// `n`: do not answer the channel (the caller answered it already, or wants early media).
    pub no_answer: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ArgsError {
    NoCampaign,
    BadCampaignName(String),
    UnknownOption(char),
}

impl fmt::Display for ArgsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArgsError::NoCampaign => write!(f, "no campaign given: use MiniBot(campaign[,options])"),
            ArgsError::BadCampaignName(name) => write!(
                f,
                "campaign name '{name}' is invalid: use 1-64 letters, digits, '_', '-' or '.'"
            ),
            ArgsError::UnknownOption(c) => write!(f, "unknown option '{c}' (known: n)"),
        }
    }
}

impl ArgsError {
    pub fn status(&self) -> CallStatus {
        match self {
            ArgsError::NoCampaign | ArgsError::BadCampaignName(_) => CallStatus::NoCampaign,
            ArgsError::UnknownOption(_) => CallStatus::Error,
        }
    }
}

pub fn parse_args(data: &str) -> Result<AppArgs, ArgsError> {
    let mut parts = data.splitn(2, ',');
    let campaign = parts.next().unwrap_or("").trim().to_string();
    let option_text = parts.next().unwrap_or("").trim();
    if campaign.is_empty() {
        return Err(ArgsError::NoCampaign);
    }
    let valid = campaign.len() <= 64
        && campaign.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !campaign.starts_with('.');
    if !valid {
        return Err(ArgsError::BadCampaignName(campaign));
    }
    let mut options = AppOptions::default();
    for c in option_text.chars() {
        match c {
            'n' => options.no_answer = true,
            c if c.is_whitespace() => {}
            c => return Err(ArgsError::UnknownOption(c)),
        }
    }
    Ok(AppArgs { campaign, options })
}

/// The callee's number in E.164 from the first source that has a valid one, in order of trust
/// (`(source, raw)` pairs: the dialer's or dialplan's variable, then what the channel knows).
/// Returns the number and, for each source that had something unusable, why (masked).
pub fn callee_number(sources: &[(&str, &str)], default_country: &str) -> (Option<String>, Vec<String>) {
    let mut problems = Vec::new();
    for (source, raw) in sources {
        if raw.trim().is_empty() {
            continue;
        }
        match crate::phone::normalize(raw, Some(default_country)) {
            Ok(number) => return (Some(number), problems),
            Err(e) => problems.push(format!("{source}: {e}")),
        }
    }
    (None, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_callee_number_comes_from_the_first_valid_source() {
        let (number, problems) = callee_number(&[("MINIBOT_PHONE", "06 12 34 56 78"), ("connected line", "+33700000001")], "33");
        assert_eq!((number.as_deref(), problems.len()), (Some("+33612345678"), 0));
        let (number, problems) = callee_number(&[("MINIBOT_PHONE", ""), ("connected line", "abc"), ("dialed number", "0033700000001")], "33");
        assert_eq!(number.as_deref(), Some("+33700000001"));
        assert_eq!(problems.len(), 1);
        assert!(problems[0].starts_with("connected line:"), "{problems:?}");
        assert_eq!(callee_number(&[("MINIBOT_PHONE", " ")], "33").0, None);
    }

    #[test]
    fn campaign_and_options() {
        assert_eq!(parse_args("demo").unwrap(), AppArgs { campaign: "demo".into(), options: AppOptions::default() });
        let args = parse_args(" spring-2026 , n").unwrap();
        assert_eq!(args.campaign, "spring-2026");
        assert!(args.options.no_answer);
    }

    #[test]
    fn empty_campaign_is_nocampaign() {
        for data in ["", "   ", ",n"] {
            let err = parse_args(data).unwrap_err();
            assert_eq!(err, ArgsError::NoCampaign);
            assert_eq!(err.status(), CallStatus::NoCampaign);
        }
    }

    #[test]
    fn bad_names_and_options_are_refused() {
        for name in ["../etc", "a b", ".hidden", &"x".repeat(65), "démo"] {
            assert_eq!(parse_args(name).unwrap_err().status(), CallStatus::NoCampaign, "{name}");
        }
        assert_eq!(parse_args("demo,z").unwrap_err(), ArgsError::UnknownOption('z'));
    }

    #[test]
    fn statuses_have_stable_names_and_indexes() {
        let names: Vec<_> = CallStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names, ["SUCCESS", "NOCAMPAIGN", "DISABLED", "HANGUP", "ERROR"]);
        for (i, s) in CallStatus::ALL.iter().enumerate() {
            assert_eq!(s.index(), i);
        }
    }
}
