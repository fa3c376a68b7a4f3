//! Scenarios: the steps a campaign's call goes through, read from minibot_scenarios.conf.
//!
//! ```text
//! [demo]                        ; a scenario, named after the campaign
//! start = hello
//! reprompt = minibot/demo/reprompt   ; "sorry, I did not hear you" (unclear answer, no input)
//! max_reprompts = 2             ; then the step's on_unclear / on_no_input, or a polite end
//! answer_who = minibot/demo/answer_who        ; answers to frequent questions, after which
//! answer_number = minibot/demo/answer_number  ; the step's question is asked again
//! answer_free = minibot/demo/answer_free
//!
//! [demo.hello]                  ; a step: <scenario>.<step>
//! prompt = minibot/demo/hello   ; sound file, played in the call's language
//! listen = 10                   ; seconds to wait for an answer (0: no answer expected)
//! context = hello               ; what the question is about (hello, q1, q2, q3, closing, other;
//!                               ; default: the step's name when it is one of these)
//! next = q1                     ; after any answer without a transition of its own
//! on_negative = retry           ; on_<intent>: positive negative callback question
//! on_callback = callback_ack    ;   answering_machine do_not_call unclear no_input
//! barge_in = yes                ; no: the prompt plays to its end whatever the callee does
//! outcome = appointment         ; on a last step: the call's outcome when it ends here
//! ```
//! Pure Rust: the loader checks structure and references; the module checks that prompts exist.

use crate::call::Outcome;
use crate::config::{parse_bool, ConfigError, Document, Entry};
use crate::nlp::classifier::StepContext;
use crate::nlp::{Intent, Topic};
use std::collections::BTreeMap;

pub const SCENARIO_FILE: &str = "minibot_scenarios.conf";

/// Where a step goes on an event that is not an intent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Trigger {
    Intent(Intent),
    NoInput,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub name: String,
    pub prompt: String,
    /// How long to wait for an answer after the prompt; 0: go on (or end) after the prompt.
    pub listen_ms: u32,
    pub context: StepContext,
    pub next: Option<String>,
    pub transitions: BTreeMap<Trigger, String>,
    /// Whether speech or DTMF stops the prompt (a legal notice must play in full).
    pub barge_in: bool,
    pub outcome: Option<Outcome>,
    pub reprompt: Option<String>,
    pub max_reprompts: Option<u32>,
    /// Where the prompt was declared, for errors found later (a missing sound file).
    pub prompt_origin: (String, u32),
}

impl Step {
    /// The step after `trigger`: its own transition, else `next`.
    pub fn after(&self, trigger: Trigger) -> Option<&str> {
        self.transitions.get(&trigger).or(self.next.as_ref()).map(String::as_str)
    }

    /// Only an explicit transition (unclear answers and silences retry before using `next`).
    pub fn explicit(&self, trigger: Trigger) -> Option<&str> {
        self.transitions.get(&trigger).map(String::as_str)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub name: String,
    pub start: String,
    pub reprompt: Option<String>,
    pub max_reprompts: u32,
    pub answers: BTreeMap<&'static str, String>,
    pub steps: BTreeMap<String, Step>,
    origin: (String, u32),
}

impl Scenario {
    pub fn step(&self, name: &str) -> &Step {
        &self.steps[name] // references are checked at load
    }

    pub fn answer(&self, topic: Topic) -> Option<&str> {
        self.answers.get(topic.as_str()).map(String::as_str)
    }

    pub fn reprompt_for<'a>(&'a self, step: &'a Step) -> Option<&'a str> {
        step.reprompt.as_deref().or(self.reprompt.as_deref())
    }

    pub fn max_reprompts_for(&self, step: &Step) -> u32 {
        step.max_reprompts.unwrap_or(self.max_reprompts)
    }

    /// Every sound file the scenario plays: (section, key, file, where it was declared).
    pub fn prompts(&self) -> Vec<(String, &'static str, &str, (String, u32))> {
        let mut out = Vec::new();
        for step in self.steps.values() {
            out.push((format!("{}.{}", self.name, step.name), "prompt", step.prompt.as_str(), step.prompt_origin.clone()));
            if let Some(r) = &step.reprompt {
                out.push((format!("{}.{}", self.name, step.name), "reprompt", r.as_str(), step.prompt_origin.clone()));
            }
        }
        if let Some(r) = &self.reprompt {
            out.push((self.name.clone(), "reprompt", r.as_str(), self.origin.clone()));
        }
        for (topic, prompt) in &self.answers {
            let key = match *topic {
                "who" => "answer_who",
                "number" => "answer_number",
                _ => "answer_free",
            };
            out.push((self.name.clone(), key, prompt.as_str(), self.origin.clone()));
        }
        out
    }
}

pub type Scenarios = BTreeMap<String, Scenario>;

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn sound_name(section: &str, entry: &Entry) -> Result<String, ConfigError> {
    let value = entry.value.trim();
    if value.is_empty() || value.contains("..") || value.starts_with('/') || value.contains(' ') {
        return Err(entry_error(section, entry, format!("'{value}' is not a sound file name")));
    }
    Ok(value.to_string())
}

fn trigger_of(key: &str) -> Option<Trigger> {
    if key == "no_input" || key == "on_no_input" {
        return Some(Trigger::NoInput);
    }
    key.strip_prefix("on_").and_then(Intent::parse).map(Trigger::Intent)
}

fn new_scenario(name: &str) -> Scenario {
    Scenario {
        name: name.to_string(),
        start: String::new(),
        reprompt: None,
        max_reprompts: 2,
        answers: BTreeMap::new(),
        steps: BTreeMap::new(),
        origin: (String::new(), 0),
    }
}

pub fn load(document: &Document) -> Result<Scenarios, ConfigError> {
    let mut scenarios = Scenarios::new();
    let mut starts: Vec<(String, Entry)> = Vec::new();
    let mut references: Vec<(String, String, String, Entry)> = Vec::new(); // scenario, section, target, origin
    for section in &document.sections {
        let header_error = |message: String| ConfigError::at(&document.file, section.line, &section.name, "", &message);
        match section.name.split_once('.') {
            None => {
                if !valid_name(&section.name) {
                    return Err(header_error("a scenario name uses letters, digits, '_' or '-'".into()));
                }
                let scenario = scenarios.entry(section.name.clone()).or_insert_with(|| new_scenario(&section.name));
                scenario.origin = (document.file.clone(), section.line);
                let mut start = None;
                for entry in &section.entries {
                    let value = entry.value.trim();
                    match entry.key.as_str() {
                        "start" => start = Some(entry.clone()),
                        "reprompt" => scenario.reprompt = Some(sound_name(&section.name, entry)?),
                        "max_reprompts" => {
                            scenario.max_reprompts = value
                                .parse()
                                .ok()
                                .filter(|n| *n <= 5)
                                .ok_or_else(|| entry_error(&section.name, entry, format!("'{value}' is not a number from 0 to 5")))?
                        }
                        "answer_who" | "answer_number" | "answer_free" => {
                            let topic = match entry.key.as_str() {
                                "answer_who" => Topic::WhoAreYou,
                                "answer_number" => Topic::HowGotNumber,
                                _ => Topic::IsItFree,
                            };
                            scenario.answers.insert(topic.as_str(), sound_name(&section.name, entry)?);
                        }
                        other => {
                            return Err(entry_error(
                                &section.name,
                                entry,
                                format!("unknown key '{other}' (expected start, reprompt, max_reprompts, answer_who, answer_number, answer_free)"),
                            ))
                        }
                    }
                }
                let start = start.ok_or_else(|| header_error("scenario without 'start = <step>'".into()))?;
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
                    context: StepContext::from_name(step_name),
                    next: None,
                    transitions: BTreeMap::new(),
                    barge_in: true,
                    outcome: None,
                    reprompt: None,
                    max_reprompts: None,
                    prompt_origin: (document.file.clone(), section.line),
                };
                for entry in &section.entries {
                    let value = entry.value.trim();
                    let key = entry.key.as_str();
                    match key {
                        "prompt" => {
                            step.prompt = sound_name(&section.name, entry)?;
                            step.prompt_origin = (entry.file.clone(), entry.line);
                        }
                        "reprompt" => step.reprompt = Some(sound_name(&section.name, entry)?),
                        "max_reprompts" => {
                            step.max_reprompts = Some(
                                value
                                    .parse()
                                    .ok()
                                    .filter(|n| *n <= 5)
                                    .ok_or_else(|| entry_error(&section.name, entry, format!("'{value}' is not a number from 0 to 5")))?,
                            )
                        }
                        "listen" => {
                            let seconds: f64 = value
                                .parse()
                                .ok()
                                .filter(|s: &f64| (0.0..=120.0).contains(s))
                                .ok_or_else(|| entry_error(&section.name, entry, format!("'{value}' is not a number of seconds from 0 to 120")))?;
                            step.listen_ms = (seconds * 1000.0).round() as u32;
                        }
                        "context" => {
                            step.context = match value {
                                "other" => StepContext::Other,
                                v => match StepContext::from_name(v) {
                                    StepContext::Other => {
                                        return Err(entry_error(&section.name, entry, format!("'{value}' is not hello, q1, q2, q3, closing or other")))
                                    }
                                    c => c,
                                },
                            }
                        }
                        "barge_in" => {
                            step.barge_in = parse_bool(value).ok_or_else(|| entry_error(&section.name, entry, format!("'{value}' is not yes or no")))?;
                        }
                        "outcome" => {
                            step.outcome = Some(Outcome::parse(value).ok_or_else(|| {
                                entry_error(&section.name, entry, format!("'{value}' is not an outcome ({})", Outcome::names()))
                            })?)
                        }
                        "next" => {
                            check_step_name(&section.name, entry)?;
                            references.push((scenario_name.into(), section.name.clone(), value.into(), entry.clone()));
                            step.next = Some(value.to_string());
                        }
                        _ => match trigger_of(key) {
                            Some(trigger) => {
                                check_step_name(&section.name, entry)?;
                                references.push((scenario_name.into(), section.name.clone(), value.into(), entry.clone()));
                                step.transitions.insert(trigger, value.to_string());
                            }
                            None => {
                                return Err(entry_error(
                                    &section.name,
                                    entry,
                                    format!(
                                        "unknown key '{key}' (expected prompt, listen, context, next, on_<intent>, no_input, \
                                         barge_in, outcome, reprompt, max_reprompts)"
                                    ),
                                ))
                            }
                        },
                    }
                }
                if step.prompt.is_empty() {
                    return Err(header_error("step without 'prompt = <sound file>'".into()));
                }
                let scenario = scenarios.entry(scenario_name.to_string()).or_insert_with(|| new_scenario(scenario_name));
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
    for (scenario, section, target, origin) in &references {
        if !scenarios.get(scenario).is_some_and(|s| s.steps.contains_key(target)) {
            return Err(entry_error(section, origin, format!("step '{target}' is not declared in scenario {scenario}")));
        }
    }
    if let Some(orphan) = scenarios.values().find(|s| s.start.is_empty()) {
        return Err(ConfigError::at(&document.file, 0, &orphan.name, "", "steps declared for a scenario without a [name] section"));
    }
    Ok(scenarios)
}

fn check_step_name(section: &str, entry: &Entry) -> Result<(), ConfigError> {
    if valid_name(entry.value.trim()) {
        Ok(())
    } else {
        Err(entry_error(section, entry, format!("'{}' is not a step name", entry.value.trim())))
    }
}

fn entry_error(section: &str, entry: &Entry, message: String) -> ConfigError {
    ConfigError { file: entry.file.clone(), line: entry.line, section: section.into(), key: entry.key.clone(), message }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "[demo]\nstart = hello\nreprompt = r\nanswer_who = who\n\n\
        [demo.hello]\nprompt = minibot/hello\nlisten = 2.5\nnext = bye\non_negative = bye\nno_input = bye\n\n\
        [demo.bye]\nprompt = minibot/bye\nlisten = 0\noutcome = not_interested\n";

    fn parse(text: &str) -> Result<Scenarios, ConfigError> {
        load(&Document::parse_str("minibot_scenarios.conf", text).unwrap())
    }

    #[test]
    fn loads_steps_transitions_and_answers() {
        let scenarios = parse(SAMPLE).unwrap();
        let demo = &scenarios["demo"];
        assert_eq!((demo.start.as_str(), demo.max_reprompts), ("hello", 2));
        let hello = demo.step("hello");
        assert_eq!((hello.prompt.as_str(), hello.listen_ms, hello.context), ("minibot/hello", 2500, StepContext::Hello));
        assert_eq!(hello.after(Trigger::Intent(Intent::Negative)), Some("bye"));
        assert_eq!(hello.after(Trigger::Intent(Intent::Positive)), Some("bye"), "falls back to next");
        assert_eq!(hello.explicit(Trigger::Intent(Intent::Unclear)), None);
        assert_eq!(hello.after(Trigger::NoInput), Some("bye"));
        assert_eq!(hello.prompt_origin, ("minibot_scenarios.conf".to_string(), 7));
        assert_eq!(demo.step("bye").outcome, Some(Outcome::NotInterested));
        assert_eq!(demo.answer(Topic::WhoAreYou), Some("who"));
        assert_eq!(demo.prompts().len(), 4);
        assert!(hello.barge_in);
    }

    #[test]
    fn unknown_steps_are_refused_with_their_line() {
        let err = parse(&SAMPLE.replace("on_negative = bye", "on_negative = q9")).unwrap_err();
        assert_eq!(err.line, 10);
        assert!(err.to_string().contains("section [demo.hello], key 'on_negative': step 'q9' is not declared in scenario demo"), "{err}");
        let err = parse(&SAMPLE.replace("start = hello", "start = nope")).unwrap_err();
        assert_eq!((err.line, err.key.as_str()), (2, "start"));
    }

    #[test]
    fn malformed_steps_are_refused() {
        assert!(parse(&SAMPLE.replace("listen = 2.5", "listen = soon")).unwrap_err().to_string().contains("line 8"));
        assert!(parse(&SAMPLE.replace("prompt = minibot/hello", "prompt = ../../etc/passwd")).is_err());
        assert!(parse(&SAMPLE.replace("prompt = minibot/bye", "color = blue")).unwrap_err().to_string().contains("unknown key 'color'"));
        assert!(parse(&SAMPLE.replace("outcome = not_interested", "outcome = great")).unwrap_err().to_string().contains("not an outcome"));
        assert!(parse(&SAMPLE.replace("on_negative", "on_grumpy")).unwrap_err().to_string().contains("unknown key 'on_grumpy'"));
        assert!(parse(&SAMPLE.replace("listen = 0", "barge_in = maybe")).is_err());
        assert!(parse("[demo.hello]\nprompt = x\n").unwrap_err().to_string().contains("without a [name] section"));
        assert!(parse("[demo]\n").unwrap_err().to_string().contains("without 'start"));
    }
}
