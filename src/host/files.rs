//! The operator's files as a load reads them: minibot.conf, minibot_scenarios.conf with every
//! prompt looked up in Asterisk's sounds, the learned intent model. Nothing is logged or applied
//! here: the module's load and reload log and apply; `minibot check` reads the same files the same
//! way and reports, so that what it says is what the next reload will do.

use crate::ast::{self, config::LoadError};
use crate::config::document::Document;
use crate::host::state;
use crate::nlp::model::IntentModel;
use crate::scenario::{self, Disabled, Scenarios, SCENARIO_FILE};
use crate::settings::{Settings, CONFIG_FILE};
use std::sync::Arc;

/// Reads a file through Asterisk; a missing file is an empty document (and a warning).
pub fn read_document(file: &str, warnings: &mut Vec<String>) -> Result<Document, String> {
    match ast::config::load(file) {
        Ok(document) => Ok(document),
        Err(LoadError::Missing) => {
            warnings.push(format!("{}/{file} not found", ast::config_dir()));
            Ok(Document::default())
        }
        Err(LoadError::Invalid) => Err(format!("{}/{file} could not be parsed (see the previous error)", ast::config_dir())),
    }
}

/// minibot.conf and its warnings; a missing file means defaults, a wrong value refuses with its
/// location.
pub fn read_settings() -> Result<(Settings, Vec<String>), String> {
    let mut warnings = Vec::new();
    let document = read_document(CONFIG_FILE, &mut warnings)?;
    if document.sections.is_empty() {
        warnings.push(format!("{CONFIG_FILE}: running with default settings"));
    }
    let loaded = Settings::from_document(&document).map_err(|e| e.to_string())?;
    warnings.extend(loaded.warnings);
    Ok((loaded.settings, warnings))
}

/// minibot_scenarios.conf, every prompt checked to exist in the configured language. A campaign
/// with an error is disabled with it (returned beside the campaigns that load): the others run.
/// Only a file that cannot be read at all is an error. Also: warnings (prompts that start with
/// silence).
pub fn read_scenarios(settings: &Settings) -> Result<(Scenarios, Disabled, Vec<String>), String> {
    let mut warnings = Vec::new();
    let document = read_document(SCENARIO_FILE, &mut warnings)?;
    let (mut scenarios, errors) = scenario::load_each(&document);
    let mut disabled: Disabled = errors.into_iter().map(|(name, error)| (name, error.to_string())).collect();
    for (name, scenario) in &scenarios {
        let missing = scenario.prompts().into_iter().find(|(_, _, prompt, _)| !ast::sound_exists(prompt, &settings.language));
        if let Some((section, key, prompt, (file, line))) = missing {
            let reason = format!("{file} line {line}, section [{section}], key '{key}': sound file '{prompt}' not found for language {}", settings.language);
            disabled.insert(name.clone(), reason);
        }
    }
    scenarios.retain(|name, _| !disabled.contains_key(name));
    for scenario in scenarios.values() {
        for (section, key, prompt, (file, line)) in scenario.prompts() {
            for (path, silent_ms) in leading_silences(prompt, &settings.language) {
                warnings.push(format!(
                    "{file} line {line}, section [{section}], key '{key}': {path} starts with {silent_ms} ms of silence, which the callee waits through \
                     before each answer: trim it (minibot prompts install does)"
                ));
            }
        }
    }
    Ok((scenarios, disabled, warnings))
}

/// A prompt starting with more silence than this is a load warning.
const PROMPT_SILENCE_MS: u64 = 30;

/// Where a prompt's files are for `language` (without extension): under Asterisk's sounds, or
/// the path itself when absolute.
pub fn prompt_path(prompt: &str, language: &str) -> String {
    if prompt.starts_with('/') {
        prompt.to_string()
    } else {
        format!("{}/sounds/{language}/{prompt}", ast::data_dir())
    }
}

/// The prompt's files Asterisk may play: (path, format, sample rate), for each format the module
/// knows the rate of.
pub fn prompt_files(prompt: &str, language: &str) -> Vec<(String, &'static str, u32)> {
    let bases = if prompt.starts_with('/') { vec![prompt.to_string()] } else { vec![prompt_path(prompt, language), format!("{}/sounds/{prompt}", ast::data_dir())] };
    let mut found = Vec::new();
    for base in bases {
        for (extension, rate) in [("sln16", 16000), ("sln", 8000), ("wav16", 16000), ("wav", 8000), ("g722", 16000), ("ulaw", 8000), ("alaw", 8000), ("gsm", 8000)] {
            let path = format!("{base}.{extension}");
            if std::path::Path::new(&path).is_file() {
                found.push((path, extension, rate));
            }
        }
        if !found.is_empty() {
            break; // the language's own files are the ones played
        }
    }
    found
}

/// The prompt's files (in the formats the module can read) that start with more than
/// `PROMPT_SILENCE_MS` of silence.
fn leading_silences(prompt: &str, language: &str) -> Vec<(String, u64)> {
    let mut found = Vec::new();
    for (path, extension, _) in prompt_files(prompt, language) {
        let Ok(bytes) = std::fs::read(&path) else { continue };
        let silent = crate::audio::decode_sound(extension, &bytes).and_then(|(samples, rate)| crate::audio::leading_silence_ms(&samples, rate));
        if let Some(ms) = silent.filter(|ms| *ms > PROMPT_SILENCE_MS) {
            found.push((path, ms));
        }
    }
    found
}

/// The learned intent model named by `[intent] model`; one that cannot be read is an error (an
/// operator who installed a model expects it to be used). Empty: the rules alone.
pub fn intent_model(model: &str) -> Result<Option<Arc<IntentModel>>, String> {
    if model.is_empty() {
        return Ok(None);
    }
    let path = state::under(&ast::data_dir(), model);
    let file = std::fs::File::open(&path)
        .map_err(|e| format!("{CONFIG_FILE} [intent] model: cannot read {path}: {e} (`make train` then `make install` puts it there)"))?;
    let loaded = IntentModel::read(std::io::BufReader::new(file)).map_err(|e| format!("{CONFIG_FILE} [intent] model: {path}: {e}"))?;
    Ok(Some(Arc::new(loaded)))
}
