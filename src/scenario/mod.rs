//! Scenarios: the steps a campaign's call goes through, read from minibot_scenarios.conf.
//!
//! ```text
//! [demo]                  ; a scenario, named after the campaign
//! start = hello
//!
//! [demo.hello]            ; a step: <scenario>.<step>
//! prompt = minibot/demo/hello   ; sound file, played in the call's language
//! listen = 10             ; seconds to wait for an answer once the prompt ends (0: end after the prompt)
//! next = q1               ; step after an answer
//! no_input = bye          ; step after `listen` seconds of silence (default: next)
//! barge_in = yes          ; no: the prompt plays to its end whatever the callee does
//! ```
//! Pure Rust: the loader checks structure and references; the module checks that prompts exist.

use crate::config::{ConfigError, Document, Entry};
use std::collections::BTreeMap;

pub const SCENARIO_FILE: &str = "minibot_scenarios.conf";

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub name: String,
    pub prompt: String,
    /// How long to wait for an answer after the prompt; 0 ends the call after the prompt.
    pub listen_ms: u32,
    pub next: Option<String>,
    pub no_input: Option<String>,
    /// Whether speech or DTMF stops the prompt (a legal notice must play in full).
    pub barge_in: bool,
    /// Where the prompt was declared, for errors found later (a missing sound file).
    pub prompt_origin: (String, u32),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub name: String,
    pub start: String,
    pub steps: BTreeMap<String, Step>,
}

impl Scenario {
    pub fn step(&self, name: &str) -> &Step {
        &self.steps[name] // references are checked at load
    }
}

pub type Scenarios = BTreeMap<String, Scenario>;

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

pub fn load(document: &Document) -> Result<Scenarios, ConfigError> {
    let mut scenarios = Scenarios::new();
    let mut starts: Vec<(String, Entry)> = Vec::new();
    let mut references: Vec<(String, String, Entry)> = Vec::new(); // scenario, target step, origin
    for section in &document.sections {
        let header_error = |message: String| ConfigError::at(&document.file, section.line, &section.name, "", &message);
        match section.name.split_once('.') {
            None => {
                if !valid_name(&section.name) {
                    return Err(header_error("a scenario name uses letters, digits, '_' or '-'".into()));
                }
                let mut start = None;
                for entry in &section.entries {
                    match entry.key.as_str() {
                        "start" => start = Some(entry.clone()),
                        other => return Err(entry_error(&section.name, entry, format!("unknown key '{other}' (expected start)"))),
                    }
                }
                let start = start.ok_or_else(|| header_error("scenario without 'start = <step>'".into()))?;
                let scenario = scenarios.entry(section.name.clone()).or_insert_with(|| Scenario {
                    name: section.name.clone(),
                    start: String::new(),
                    steps: BTreeMap::new(),
                });
                scenario.start = start.value.clone();
                starts.push((section.name.clone(), start));
            }
            Some((scenario_name, step_name)) => {
                if !valid_name(scenario_name) || !valid_name(step_name) {
                    return Err(header_error("a step section is [scenario.step], names of letters, digits, '_' or '-'".into()));
                }
                let mut step = Step {
                    name: step_name.to_string(),
                    prompt: String::new(),
                    listen_ms: 10_000,
                    next: None,
                    no_input: None,
                    barge_in: true,
                    prompt_origin: (document.file.clone(), section.line),
                };
                for entry in &section.entries {
                    let value = entry.value.trim();
                    match entry.key.as_str() {
                        "prompt" => {
                            if value.is_empty() || value.contains("..") || value.starts_with('/') {
                                return Err(entry_error(&section.name, entry, format!("'{value}' is not a sound file name")));
                            }
                            step.prompt = value.to_string();
                            step.prompt_origin = (entry.file.clone(), entry.line);
                        }
                        "listen" => {
                            let seconds: f64 = value
                                .parse()
                                .ok()
                                .filter(|s: &f64| (0.0..=120.0).contains(s))
                                .ok_or_else(|| entry_error(&section.name, entry, format!("'{value}' is not a number of seconds from 0 to 120")))?;
                            step.listen_ms = (seconds * 1000.0).round() as u32;
                        }
                        "barge_in" => {
                            step.barge_in = crate::config::parse_bool(value)
                                .ok_or_else(|| entry_error(&section.name, entry, format!("'{value}' is not yes or no")))?;
                        }
                        "next" | "no_input" => {
                            if !valid_name(value) {
                                return Err(entry_error(&section.name, entry, format!("'{value}' is not a step name")));
                            }
                            references.push((scenario_name.to_string(), value.to_string(), entry.clone()));
                            if entry.key == "next" {
                                step.next = Some(value.to_string());
                            } else {
                                step.no_input = Some(value.to_string());
                            }
                        }
                        other => {
                            return Err(entry_error(
                                &section.name,
                                entry,
                                format!("unknown key '{other}' (expected prompt, listen, next, no_input, barge_in)"),
                            ))
                        }
                    }
                }
                if step.prompt.is_empty() {
                    return Err(header_error("step without 'prompt = <sound file>'".into()));
                }
                let scenario = scenarios.entry(scenario_name.to_string()).or_insert_with(|| Scenario {
                    name: scenario_name.to_string(),
                    start: String::new(),
                    steps: BTreeMap::new(),
                });
                if scenario.steps.insert(step_name.to_string(), step).is_some() {
                    return Err(header_error(format!("step {step_name} is declared twice")));
                }
            }
        }
    }
    for (scenario, start) in &starts {
        if !scenarios[scenario].steps.contains_key(&start.value) {
            return Err(entry_error(scenario, start, format!("start step '{}' is not declared", start.value)));
        }
    }
    for (scenario, target, origin) in &references {
        if !scenarios.get(scenario).is_some_and(|s| s.steps.contains_key(target)) {
            return Err(entry_error(&format!("{scenario}.?"), origin, format!("step '{target}' is not declared in scenario {scenario}")));
        }
    }
    if let Some(orphan) = scenarios.values().find(|s| s.start.is_empty()) {
        return Err(ConfigError::at(&document.file, 0, &orphan.name, "", "steps declared for a scenario without a [name] section"));
    }
    Ok(scenarios)
}

fn entry_error(section: &str, entry: &Entry, message: String) -> ConfigError {
    ConfigError { file: entry.file.clone(), line: entry.line, section: section.into(), key: entry.key.clone(), message }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "[demo]\nstart = hello\n\n[demo.hello]\nprompt = minibot/hello\nlisten = 2.5\nnext = bye\nno_input = bye\n\n[demo.bye]\nprompt = minibot/bye\nlisten = 0\n";

    fn parse(text: &str) -> Result<Scenarios, ConfigError> {
        load(&Document::parse_str("minibot_scenarios.conf", text).unwrap())
    }

    #[test]
    fn loads_steps_and_transitions() {
        let scenarios = parse(SAMPLE).unwrap();
        let demo = &scenarios["demo"];
        assert_eq!(demo.start, "hello");
        let hello = demo.step("hello");
        assert_eq!((hello.prompt.as_str(), hello.listen_ms), ("minibot/hello", 2500));
        assert_eq!((hello.next.as_deref(), hello.no_input.as_deref()), (Some("bye"), Some("bye")));
        assert_eq!(hello.prompt_origin, ("minibot_scenarios.conf".to_string(), 5));
        assert_eq!(demo.step("bye").listen_ms, 0);
        assert!(hello.barge_in);
        let quiet = parse(&SAMPLE.replace("listen = 0", "listen = 0\nbarge_in = no")).unwrap();
        assert!(!quiet["demo"].step("bye").barge_in);
        assert!(parse(&SAMPLE.replace("listen = 0", "barge_in = maybe")).is_err());
    }

    #[test]
    fn unknown_steps_are_refused_with_their_line() {
        let err = parse(&SAMPLE.replace("next = bye", "next = q9")).unwrap_err();
        assert_eq!(err.line, 7);
        assert!(err.to_string().contains("step 'q9' is not declared in scenario demo"), "{err}");
        let err = parse(&SAMPLE.replace("start = hello", "start = nope")).unwrap_err();
        assert_eq!((err.line, err.key.as_str()), (2, "start"));
    }

    #[test]
    fn malformed_steps_are_refused() {
        assert!(parse(&SAMPLE.replace("listen = 2.5", "listen = soon")).unwrap_err().to_string().contains("line 6"));
        assert!(parse(&SAMPLE.replace("prompt = minibot/hello", "prompt = ../../etc/passwd")).is_err());
        assert!(parse(&SAMPLE.replace("prompt = minibot/bye", "color = blue")).unwrap_err().to_string().contains("unknown key 'color'"));
        assert!(parse("[demo.hello]\nprompt = x\n").unwrap_err().to_string().contains("without a [name] section"));
        assert!(parse("[demo]\n").unwrap_err().to_string().contains("without 'start"));
    }
}
