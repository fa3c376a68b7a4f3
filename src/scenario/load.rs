//! Reading minibot_scenarios.conf into [`Scenarios`]: one function per kind of section, then the
//! checks that need the whole file (start steps, references), then each step's context for the
//! intent service. Every error names its file, line, section and key.

use super::{Scenario, Scenarios, Step, Trigger};
use crate::config::document::{parse_bool, ConfigError, Document, Entry, Section};
use crate::nlp::normalize::{padded, tokens};
use crate::qualify::{StepPoints, NOT_QUALIFIED};
use crate::domain::{EntityCues, Intent, Outcome, StepContext, StepKind, Topic};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A step while its section is read: what only the whole file can settle comes later.
struct StepDraft {
    step: Step,
    /// The section's line, for errors found once the whole file is read.
    line: u32,
    /// `points_entity...` entries, checked against the step's entities once all are read.
    entity_points: Vec<Entry>,
    kind: Option<StepKind>,
    question: String,
    /// The words of the step's own reprompt.
    reprompt_words: Option<Entry>,
    /// Where the step's words were given (`words`, or the older `question`).
    words_entry: Option<Entry>,
    entities: Vec<EntityCues>,
    topic: Vec<String>,
    none_entity: Option<String>,
    points: StepPoints,
}

/// References to check once every section is read: (scenario, section, target step, origin).
type Reference = (String, String, String, Entry);

/// Each campaign of the file on its own: a campaign with an error is left out with it (naming
/// file and line), and the others load. Campaigns in the order of the file.
pub fn load_each(document: &Document) -> (Scenarios, BTreeMap<String, ConfigError>) {
    let mut names: Vec<&str> = Vec::new();
    for section in &document.sections {
        let name = section.name.split('.').next().unwrap_or_default();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let (mut scenarios, mut errors) = (BTreeMap::new(), BTreeMap::new());
    for name in names {
        let own = |s: &&Section| s.name == name || s.name.strip_prefix(name).is_some_and(|rest| rest.starts_with('.'));
        let part = Document { file: document.file.clone(), sections: document.sections.iter().filter(own).cloned().collect() };
        match load(&part) {
            Ok(loaded) => scenarios.extend(loaded),
            Err(error) => {
                errors.insert(name.to_string(), error);
            }
        }
    }
    (scenarios, errors)
}

pub fn load(document: &Document) -> Result<Scenarios, ConfigError> {
    let mut scenarios = BTreeMap::new();
    let mut drafts: Vec<(String, StepDraft)> = Vec::new();
    let mut starts: Vec<(String, Entry)> = Vec::new();
    let mut references: Vec<Reference> = Vec::new();
    for section in &document.sections {
        match section.name.split_once('.') {
            None => {
                let start = read_campaign(document, section, &mut scenarios, &mut references)?;
                starts.push((section.name.clone(), start));
            }
            Some((campaign, step)) => {
                let draft = read_step(document, section, campaign, step, &mut references)?;
                if drafts.iter().any(|(c, d)| c == campaign && d.step.name == step) {
                    return Err(header_error(document, section, format!("step {step} is declared twice")));
                }
                drafts.push((campaign.to_string(), draft));
            }
        }
    }
    for (campaign, draft) in drafts {
        let Some(scenario) = scenarios.get_mut(&campaign) else {
            let section = format!("{campaign}.{}", draft.step.name);
            return Err(ConfigError::at(&document.file, draft.line, &section, "", "steps declared for a scenario without a [name] section"));
        };
        add_step(scenario, draft)?;
    }
    for scenario in scenarios.values_mut() {
        add_other_steps_entities(scenario);
    }
    check_references(&scenarios, &starts, &references)?;
    for (scenario, _, step, entry) in references.iter().filter(|(_, _, _, entry)| entry.key == "confirm_opt_out") {
        check_confirm_step(&scenarios[scenario], step, entry)?;
    }
    for scenario in scenarios.values() {
        check_scoring(document, scenario)?;
    }
    Ok(scenarios.into_iter().map(|(name, scenario)| (name, Arc::new(scenario))).collect())
}

fn header_error(document: &Document, section: &Section, message: String) -> ConfigError {
    ConfigError::at(&document.file, section.line, &section.name, "", &message)
}

/// `[campaign]`: what the whole campaign shares. Returns its `start` entry.
fn read_campaign(document: &Document, section: &Section, scenarios: &mut BTreeMap<String, Scenario>, references: &mut Vec<Reference>) -> Result<Entry, ConfigError> {
    if !valid_name(&section.name) {
        return Err(header_error(document, section, "a scenario name uses letters, digits, '_' or '-'".into()));
    }
    let scenario = scenarios.entry(section.name.clone()).or_insert_with(|| new_scenario(&section.name));
    scenario.origin = (document.file.clone(), section.line);
    let mut start = None;
    // `<sound key>_words`: the words of a campaign-wide prompt, matched to it once all keys are read.
    let mut words: Vec<(&str, &Entry)> = Vec::new();
    for entry in &section.entries {
        let value = entry.value.trim();
        let key = entry.key.as_str();
        match key {
            "start" => start = Some(entry.clone()),
            _ if key.strip_suffix("_words").is_some_and(|sound| CAMPAIGN_SOUNDS.contains(&sound)) => {
                words.push((key.strip_suffix("_words").unwrap_or_default(), entry));
            }
            "reprompt" => scenario.reprompt = Some(sound_name(&section.name, entry)?),
            "max_reprompts" => scenario.max_reprompts = reprompt_count(&section.name, entry)?,
            "answer_who" | "answer_number" | "answer_free" => {
                let topic = match key {
                    "answer_who" => Topic::WhoAreYou,
                    "answer_number" => Topic::HowGotNumber,
                    _ => Topic::IsItFree,
                };
                scenario.answers.insert(topic.as_str(), sound_name(&section.name, entry)?);
            }
            "llm_instructions" => scenario.llm_instructions = value.to_string(),
            "confirm_opt_out" => scenario.confirm_opt_out = Some(reference(&section.name, &section.name, entry, references)?),
            "record" => {
                scenario.record = parse_bool(value).ok_or_else(|| entry_error(&section.name, entry, format!("'{value}' is not yes or no")))?;
            }
            "recording_notice" => scenario.recording_notice = Some(sound_name(&section.name, entry)?),
            "recording_objection" => {
                scenario.recording_objection = cue_words(value);
                if scenario.recording_objection.is_empty() {
                    return Err(entry_error(&section.name, entry, "recording_objection lists what a callee says to refuse the recording".into()));
                }
            }
            _ if key.starts_with("lead_") => {
                let class = &key["lead_".len()..];
                if !valid_name(class) || class == NOT_QUALIFIED {
                    return Err(entry_error(&section.name, entry, format!("'{class}' cannot name a lead class")));
                }
                let from = points(&section.name, entry, 1)?;
                if let Some((other, _)) = scenario.scoring.leads.iter().find(|(c, at)| *at == from && c != class) {
                    return Err(entry_error(&section.name, entry, format!("lead class '{other}' already starts at {from}")));
                }
                set(&mut scenario.scoring.leads, class.to_string(), from);
                scenario.scoring.leads.sort_by(|a, b| b.1.cmp(&a.1));
            }
            _ if key.starts_with("points_") => {
                let outcome = Outcome::parse(&key["points_".len()..]).ok_or_else(|| {
                    entry_error(&section.name, entry, format!("'{key}': points_<outcome> names an outcome ({})", Outcome::names()))
                })?;
                set(&mut scenario.scoring.outcomes, outcome, points(&section.name, entry, 0)?);
            }
            other => match scenario.dialing.read(other, value) {
                Some(Ok(())) => {}
                Some(Err(message)) => return Err(entry_error(&section.name, entry, message)),
                None => {
                    return Err(entry_error(
                        &section.name,
                        entry,
                        format!(
                            "unknown key '{other}' (expected start, reprompt, max_reprompts, answer_who, answer_number, answer_free, \
                             llm_instructions, confirm_opt_out, record, recording_notice, recording_objection, points_<outcome>, lead_<class>, \
                             <sound key>_words, or a dialing key: {})",
                            crate::campaign::KEYS
                        ),
                    ))
                }
            },
        }
    }
    for (sound, entry) in words {
        let prompt = match sound {
            "reprompt" => scenario.reprompt.clone(),
            "recording_notice" => scenario.recording_notice.clone(),
            "on_machine" => match &scenario.dialing.on_machine {
                crate::campaign::MachineAction::LeaveMessage(prompt) => Some(prompt.clone()),
                _ => None,
            },
            answer => scenario.answers.get(answer.trim_start_matches("answer_")).cloned(),
        };
        let prompt = prompt.ok_or_else(|| entry_error(&section.name, entry, format!("'{}' gives the words of a {sound} prompt the campaign does not have", entry.key)))?;
        add_words(&mut scenario.words, &section.name, entry, &prompt)?;
    }
    if scenario.record && scenario.recording_notice.is_none() {
        // The callee is told before anything is recorded: no notice, no recording.
        let at = section.entries.iter().find(|e| e.key == "record").map_or(section.line, |e| e.line);
        return Err(ConfigError::at(
            &document.file,
            at,
            &section.name,
            "record",
            "record = yes needs recording_notice = <sound> (the callee is told before anything is recorded)",
        ));
    }
    start.ok_or_else(|| header_error(document, section, "scenario without 'start = <step>'".into())).inspect(|start| {
        scenario.start = start.value.trim().to_string();
    })
}

/// `[campaign.step]`: one step, its transitions and what its answer is worth.
fn read_step(
    document: &Document,
    section: &Section,
    campaign: &str,
    name: &str,
    references: &mut Vec<Reference>,
) -> Result<StepDraft, ConfigError> {
    if !valid_name(campaign) || !valid_name(name) {
        return Err(header_error(document, section, "a step section is [scenario.step], names of letters, digits, '_' or '-'".into()));
    }
    let mut draft = StepDraft {
        line: section.line,
        entity_points: Vec::new(),
        step: Step {
            name: name.to_string(),
            prompt: String::new(),
            listen_ms: 10_000,
            context: Arc::default(),
            next: None,
            transitions: BTreeMap::new(),
            barge_in: true,
            outcome: None,
            reprompt: None,
            max_reprompts: None,
            prompt_origin: (document.file.clone(), section.line),
        },
        kind: None,
        question: String::new(),
        reprompt_words: None,
        words_entry: None,
        entities: Vec::new(),
        topic: Vec::new(),
        none_entity: None,
        points: StepPoints::default(),
    };
    let section_name = section.name.as_str();
    for entry in &section.entries {
        let known = read_sound_key(&mut draft.step, section_name, entry)?
            || read_meaning_key(&mut draft, section_name, entry)?
            || read_points_key(&mut draft, section_name, entry)?
            || read_route_key(&mut draft.step, campaign, section_name, entry, references)?;
        if !known {
            return Err(entry_error(
                section_name,
                entry,
                format!(
                    "unknown key '{}' (expected prompt, words, listen, kind, entity, topic, none_entity, label, points_<intent>, \
                     points_entity, points_entity_<entity>, points_max, next, on_<intent>, no_input, barge_in, outcome, reprompt, reprompt_words, max_reprompts)",
                    entry.key
                ),
            ));
        }
    }
    if draft.step.prompt.is_empty() {
        return Err(header_error(document, section, "step without 'prompt = <sound file>'".into()));
    }
    check_entities(section_name, &draft)?;
    Ok(draft)
}

/// What the step plays and how long it listens: prompt, reprompt, max_reprompts, listen, barge_in.
fn read_sound_key(step: &mut Step, section: &str, entry: &Entry) -> Result<bool, ConfigError> {
    let value = entry.value.trim();
    match entry.key.as_str() {
        "prompt" => {
            step.prompt = sound_name(section, entry)?;
            step.prompt_origin = (entry.file.clone(), entry.line);
        }
        "reprompt" => step.reprompt = Some(sound_name(section, entry)?),
        "max_reprompts" => step.max_reprompts = Some(reprompt_count(section, entry)?),
        "listen" => {
            let seconds: f64 = value
                .parse()
                .ok()
                .filter(|s: &f64| (0.0..=120.0).contains(s))
                .ok_or_else(|| entry_error(section, entry, format!("'{value}' is not a number of seconds from 0 to 120")))?;
            step.listen_ms = (seconds * 1000.0).round() as u32;
        }
        "barge_in" => step.barge_in = parse_bool(value).ok_or_else(|| entry_error(section, entry, format!("'{value}' is not yes or no")))?,
        _ => return Ok(false),
    }
    Ok(true)
}

/// How the callee's answer is understood: kind, question, entity, none_entity.
fn read_meaning_key(draft: &mut StepDraft, section: &str, entry: &Entry) -> Result<bool, ConfigError> {
    let value = entry.value.trim();
    match entry.key.as_str() {
        "kind" => {
            let names = StepKind::ALL.map(|k| k.as_str()).join(", ");
            draft.kind = Some(StepKind::parse(value).ok_or_else(|| entry_error(section, entry, format!("'{value}' is not one of {names}")))?);
        }
        // The prompt's words: recorded (make prompts speaks them), shown to the LLM and in reports.
        "words" | "question" => {
            draft.question = value.to_string();
            draft.words_entry = Some(entry.clone());
        }
        "reprompt_words" => draft.reprompt_words = Some(entry.clone()),
        "entity" if !draft.topic.is_empty() => return Err(entry_error(section, entry, TOPIC_OR_ENTITIES.into())),
        "topic" if !draft.entities.is_empty() => return Err(entry_error(section, entry, TOPIC_OR_ENTITIES.into())),
        "entity" => {
            let read = entity(section, entry)?;
            if draft.entities.iter().any(|e| e.name == read.name) {
                return Err(entry_error(section, entry, format!("entity '{}' is declared twice", read.name)));
            }
            draft.entities.push(read);
        }
        "topic" => {
            let cues = cue_words(&entry.value);
            if cues.is_empty() {
                return Err(entry_error(section, entry, "topic has no words".into()));
            }
            draft.topic.extend(cues);
        }
        "none_entity" => {
            check_name(section, entry)?;
            draft.none_entity = Some(value.to_string());
        }
        "context" => return Err(entry_error(section, entry, "'context' is now 'kind' (greeting, question, offer or other)".into())),
        _ => return Ok(false),
    }
    Ok(true)
}

/// What the answer scores: label, points_entity, points_entity_<entity>, points_max, points_<intent>.
fn read_points_key(draft: &mut StepDraft, section: &str, entry: &Entry) -> Result<bool, ConfigError> {
    let key = entry.key.as_str();
    match key {
        "label" => draft.points.label = entry.value.trim().to_string(),
        "points_entity" => {
            draft.points.per_entity = points(section, entry, 0)?;
            draft.entity_points.push(entry.clone());
        }
        "points_max" => draft.points.max = Some(points(section, entry, 0)?),
        _ if key.starts_with("points_entity_") => {
            let name = &key["points_entity_".len()..];
            set(&mut draft.points.per_named, name.to_string(), points(section, entry, 0)?);
            draft.entity_points.push(entry.clone());
        }
        _ if key.starts_with("points_") => {
            let intent = Intent::parse(&key["points_".len()..])
                .ok_or_else(|| entry_error(section, entry, format!("unknown key '{key}' (points_<intent>, points_entity or points_max)")))?;
            set(&mut draft.points.per_intent, intent, points(section, entry, 0)?);
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// Where the call goes from here: outcome, next, on_<intent>, no_input.
fn read_route_key(step: &mut Step, campaign: &str, section: &str, entry: &Entry, references: &mut Vec<Reference>) -> Result<bool, ConfigError> {
    let value = entry.value.trim();
    match entry.key.as_str() {
        "outcome" => {
            step.outcome =
                Some(Outcome::parse(value).ok_or_else(|| entry_error(section, entry, format!("'{value}' is not an outcome ({})", Outcome::names())))?)
        }
        "next" => step.next = Some(reference(campaign, section, entry, references)?),
        key => match trigger_of(key) {
            Some(trigger) => {
                let target = reference(campaign, section, entry, references)?;
                step.transitions.insert(trigger, target);
            }
            None => return Ok(false),
        },
    }
    Ok(true)
}

/// A step's entity points name its entities, and its "none" entity is not one of them.
fn check_entities(section: &str, draft: &StepDraft) -> Result<(), ConfigError> {
    let declared = |name: &str| draft.entities.iter().any(|e| e.name == name);
    for entry in &draft.entity_points {
        match entry.key.strip_prefix("points_entity_") {
            Some(name) if !declared(name) => return Err(entry_error(section, entry, format!("the step has no entity '{name}'"))),
            None if draft.entities.is_empty() => return Err(entry_error(section, entry, "points_entity without any 'entity = name: words'".into())),
            _ => {}
        }
    }
    if let Some(none) = draft.none_entity.as_deref().filter(|none| declared(none)) {
        return Err(ConfigError::at(&draft.step.prompt_origin.0, draft.line, section, "none_entity", &format!("'{none}' is also one of the step's entities")));
    }
    Ok(())
}

/// A campaign that gives points sorts its calls into lead classes: otherwise every call would be
/// "not_qualified" whatever it earned.
fn check_scoring(document: &Document, scenario: &Scenario) -> Result<(), ConfigError> {
    let gives_points = !scenario.scoring.steps.is_empty() || scenario.scoring.outcomes.iter().any(|(_, p)| *p > 0);
    if gives_points && scenario.scoring.leads.is_empty() {
        return Err(ConfigError::at(&document.file, scenario.origin.1, &scenario.name, "", "points are given but no lead class is declared (lead_<class> = lowest score)"));
    }
    Ok(())
}

/// A step named by `next` or `on_<intent>`, checked once the whole file is read.
fn reference(campaign: &str, section: &str, entry: &Entry, references: &mut Vec<Reference>) -> Result<String, ConfigError> {
    check_name(section, entry)?;
    let target = entry.value.trim().to_string();
    references.push((campaign.into(), section.into(), target.clone(), entry.clone()));
    Ok(target)
}

/// Puts a read step into its scenario, with the context the intent service will see.
fn add_step(scenario: &mut Scenario, draft: StepDraft) -> Result<(), ConfigError> {
    let StepDraft { mut step, kind, question, entities, topic, none_entity, mut points, reprompt_words, words_entry, .. } = draft;
    let section = format!("{}.{}", scenario.name, step.name);
    match words_entry {
        // `question` (before `words` existed) was the step's own context: steps sharing a prompt
        // could word it differently; the first gives the prompt its words.
        Some(entry) if entry.key == "question" => {
            scenario.words.entry(step.prompt.clone()).or_insert_with(|| entry.value.trim().to_string());
        }
        Some(entry) => add_words(&mut scenario.words, &section, &entry, &step.prompt)?,
        None => {}
    }
    if let Some(entry) = reprompt_words {
        let reprompt = step.reprompt.clone().ok_or_else(|| entry_error(&section, &entry, "reprompt_words without a reprompt".into()))?;
        add_words(&mut scenario.words, &section, &entry, &reprompt)?;
    }
    let kind = kind.unwrap_or(if step.listen_ms == 0 { StepKind::Other } else { StepKind::Question });
    step.context = Arc::new(StepContext {
        id: format!("{}.{}", scenario.name, step.name),
        kind,
        question,
        entities,
        topic,
        elsewhere: Vec::new(), // filled once the campaign's every step is read
        none_entity: none_entity.clone(),
        llm_instructions: scenario.llm_instructions.clone(),
    });
    if !points.label.is_empty() {
        scenario.labels.push((step.name.clone(), points.label.clone()));
    }
    if !points.is_empty() {
        points.none_entity = none_entity;
        scenario.scoring.steps.push((step.name.clone(), points));
    }
    scenario.steps.insert(step.name.clone(), step);
    Ok(())
}

/// The sound keys of a `[campaign]` section, whose words are `<key>_words`.
const CAMPAIGN_SOUNDS: [&str; 6] = ["reprompt", "answer_who", "answer_number", "answer_free", "recording_notice", "on_machine"];

/// A prompt's words, written once: the same prompt given other words elsewhere is an error.
fn add_words(words: &mut BTreeMap<String, String>, section: &str, entry: &Entry, prompt: &str) -> Result<(), ConfigError> {
    let text = entry.value.trim().to_string();
    match words.get(prompt) {
        Some(known) if *known != text => Err(entry_error(section, entry, format!("prompt {prompt} already has other words: \"{known}\""))),
        _ => {
            words.insert(prompt.to_string(), text);
            Ok(())
        }
    }
}

/// Gives each step's context the entities and topics its campaign's other steps ask for, once
/// every step is read (a cue of the step's own is not another step's).
fn add_other_steps_entities(scenario: &mut Scenario) {
    let all: Vec<(String, EntityCues)> = scenario
        .steps
        .iter()
        .flat_map(|(name, step)| {
            let topic = (!step.context.topic.is_empty()).then(|| EntityCues { name: format!("topic of {name}"), cues: step.context.topic.clone() });
            step.context.entities.iter().cloned().chain(topic).map(move |e| (name.clone(), e))
        })
        .collect();
    for (name, step) in scenario.steps.iter_mut() {
        let own: Vec<&String> = step.context.entities.iter().flat_map(|e| &e.cues).chain(&step.context.topic).collect();
        let elsewhere: Vec<EntityCues> = all
            .iter()
            .filter(|(other, _)| other != name)
            .map(|(_, e)| EntityCues { name: e.name.clone(), cues: e.cues.iter().filter(|c| !own.contains(c)).cloned().collect() })
            .filter(|e| !e.cues.is_empty())
            .collect();
        Arc::make_mut(&mut step.context).elsewhere = elsewhere;
    }
}

fn check_references(scenarios: &BTreeMap<String, Scenario>, starts: &[(String, Entry)], references: &[Reference]) -> Result<(), ConfigError> {
    for (scenario, start) in starts {
        if !scenarios[scenario].steps.contains_key(start.value.trim()) {
            return Err(entry_error(scenario, start, format!("start step '{}' is not declared", start.value.trim())));
        }
    }
    for (scenario, section, target, origin) in references {
        if !scenarios.get(scenario).is_some_and(|s| s.steps.contains_key(target)) {
            return Err(entry_error(section, origin, format!("step '{target}' is not declared in scenario {scenario}")));
        }
    }
    Ok(())
}

/// The step that asks an unsure opt-out back waits for the answer, and is reached only that way
/// (a yes there takes an opt-out back: met by the flow, it would answer another question).
fn check_confirm_step(scenario: &Scenario, step: &str, entry: &Entry) -> Result<(), ConfigError> {
    if scenario.steps[step].listen_ms == 0 {
        return Err(entry_error(&scenario.name, entry, format!("confirm_opt_out step '{step}' does not listen (listen = 0): it asks whether the callee may be called again")));
    }
    let reached_by = scenario.steps.values().find(|s| s.next.as_deref() == Some(step) || s.transitions.values().any(|t| t == step)).map(|s| s.name.clone());
    match reached_by.or_else(|| (scenario.start == step).then(|| "start".to_string())) {
        Some(from) => Err(entry_error(&scenario.name, entry, format!("confirm_opt_out step '{step}' is also reached from {from}: it must be reached only to ask an opt-out back"))),
        None => Ok(()),
    }
}

/// `entity = name: word, other words`: the words normalized as the classifier reads speech.
fn entity(section: &str, entry: &Entry) -> Result<EntityCues, ConfigError> {
    let value = entry.value.trim();
    let (name, words) = value
        .split_once(':')
        .ok_or_else(|| entry_error(section, entry, format!("'{value}' is not 'name: word, other words'")))?;
    let name = name.trim();
    if !valid_name(name) {
        return Err(entry_error(section, entry, format!("'{name}' is not an entity name (letters, digits, '_' or '-')")));
    }
    let cues = cue_words(words);
    if cues.is_empty() {
        return Err(entry_error(section, entry, format!("entity '{name}' has no words")));
    }
    Ok(EntityCues { name: name.to_string(), cues })
}

/// A step's answer names one of its entities, or it says the step's topic: not both (what the
/// model learnt of a step with entities is what the turn names of them).
const TOPIC_OR_ENTITIES: &str = "a step has entities or a topic, not both (a topic names what a step without entities asks about)";

/// "words, other words" as the classifier matches them in a turn.
fn cue_words(words: &str) -> Vec<String> {
    words.split(',').map(tokens).filter(|t| !t.is_empty()).map(|t| padded(&t)).collect()
}

fn new_scenario(name: &str) -> Scenario {
    Scenario {
        name: name.to_string(),
        start: String::new(),
        reprompt: None,
        max_reprompts: 2,
        answers: BTreeMap::new(),
        steps: BTreeMap::new(),
        scoring: Default::default(),
        llm_instructions: String::new(),
        dialing: crate::campaign::Dialing::default(),
        record: false,
        recording_notice: None,
        recording_objection: Vec::new(),
        confirm_opt_out: None,
        words: BTreeMap::new(),
        labels: Vec::new(),
        origin: (String::new(), 0),
    }
}

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

fn reprompt_count(section: &str, entry: &Entry) -> Result<u32, ConfigError> {
    let value = entry.value.trim();
    value.parse().ok().filter(|n| *n <= 5).ok_or_else(|| entry_error(section, entry, format!("'{value}' is not a number from 0 to 5")))
}

/// Points: a whole number from `min` to 100.
fn points(section: &str, entry: &Entry, min: u32) -> Result<u32, ConfigError> {
    let value = entry.value.trim();
    value
        .parse()
        .ok()
        .filter(|n| (min..=100).contains(n))
        .ok_or_else(|| entry_error(section, entry, format!("'{value}' is not a whole number from {min} to 100")))
}

/// Sets `key`'s value in a list of pairs: a key given twice keeps its last value, as elsewhere in
/// Asterisk's files.
fn set<K: PartialEq, V>(pairs: &mut Vec<(K, V)>, key: K, value: V) {
    pairs.retain(|(k, _)| *k != key);
    pairs.push((key, value));
}

fn trigger_of(key: &str) -> Option<Trigger> {
    if key == "no_input" || key == "on_no_input" {
        return Some(Trigger::NoInput);
    }
    key.strip_prefix("on_").and_then(Intent::parse).map(Trigger::Intent)
}

fn check_name(section: &str, entry: &Entry) -> Result<(), ConfigError> {
    if valid_name(entry.value.trim()) {
        Ok(())
    } else {
        Err(entry_error(section, entry, format!("'{}' is not a name (letters, digits, '_' or '-')", entry.value.trim())))
    }
}

fn entry_error(section: &str, entry: &Entry, message: String) -> ConfigError {
    ConfigError::for_entry(section, entry, message)
}
