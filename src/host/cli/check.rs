//! `minibot check`: everything a campaign needs, each on one line that says ok or what to fix.
//! The files are read as the next reload would read them (src/host/files.rs), not as the running
//! snapshot holds them; the database and the LLM are asked on the CLI's thread, with the
//! configured timeouts. Nothing is changed.

use crate::ast::cli::{CliArgs, CliCommand, CliResult};
use crate::ast::{self, config::LoadError};
use crate::config::document::{parse_bool, Document};
use crate::host::files;
use crate::host::state::with_bot;
use crate::scenario::{Scenario, Scenarios};
use crate::settings::Settings;
use std::sync::Arc;

pub fn commands() -> Vec<CliCommand> {
    vec![CliCommand {
        command: "minibot check",
        summary: "Check the configuration, prompts, models, database, LLM, dialplan and trunks",
        usage: "Usage: minibot check\n       \
                Reads minibot.conf and minibot_scenarios.conf as the next reload would, and checks every\n       \
                prompt at 8 and 16 kHz, the speech and intent models, the database (reachable, schema),\n       \
                the LLM server (reachable, model present, one classification), the dialplan context and\n       \
                the trunk endpoints the campaigns dial, the HTTP server and the token secret.\n       \
                Each line says ok, warn or FAIL with what to fix; the last line counts the failures\n       \
                (\"MiniBot check: N failure(s)\"), for scripts.\n",
        handler: check,
    }]
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mark {
    Ok,
    Warn,
    Fail,
}

struct Report {
    lines: Vec<(Mark, &'static str, String)>,
}

impl Report {
    fn add(&mut self, mark: Mark, what: &'static str, text: impl Into<String>) {
        self.lines.push((mark, what, text.into()));
    }

    fn result(&mut self, what: &'static str, result: Result<String, String>) {
        match result {
            Ok(text) => self.add(Mark::Ok, what, text),
            Err(text) => self.add(Mark::Fail, what, text),
        }
    }

    fn text(&self) -> String {
        let mut out = String::new();
        for (mark, what, text) in &self.lines {
            let mark = match mark {
                Mark::Ok => "ok  ",
                Mark::Warn => "warn",
                Mark::Fail => "FAIL",
            };
            out += &format!("{mark}  {what:<9} {text}\n");
        }
        let failures = self.lines.iter().filter(|(m, _, _)| *m == Mark::Fail).count();
        let warnings = self.lines.iter().filter(|(m, _, _)| *m == Mark::Warn).count();
        out += &format!("MiniBot check: {failures} failure(s), {warnings} warning(s)\n");
        out
    }
}

fn check(args: &CliArgs) -> CliResult {
    if args.argv.len() != 2 {
        return CliResult::ShowUsage;
    }
    let mut report = Report { lines: Vec::new() };
    let settings = match files::read_settings() {
        Ok((settings, warnings)) => {
            report.add(Mark::Ok, "config", format!("{}/{} read", ast::config_dir(), crate::settings::CONFIG_FILE));
            for warning in warnings {
                report.add(Mark::Warn, "config", warning);
            }
            settings
        }
        Err(e) => {
            report.add(Mark::Fail, "config", e);
            args.print(&report.text());
            return CliResult::Success;
        }
    };
    let scenarios = scenarios(&mut report, &settings);
    prompts(&mut report, &settings, &scenarios);
    models(&mut report, &settings);
    let (mark, text) = database(&settings);
    report.add(mark, "database", text);
    llm(&mut report, &settings, &scenarios);
    dialplan(&mut report, &settings, &scenarios);
    http(&mut report, &settings);
    args.print(&report.text());
    CliResult::Success
}

fn scenarios(report: &mut Report, settings: &Settings) -> Scenarios {
    match files::read_scenarios(settings) {
        Ok((scenarios, disabled, warnings)) => {
            if !scenarios.is_empty() {
                report.add(Mark::Ok, "campaigns", scenarios.keys().cloned().collect::<Vec<_>>().join(", "));
            } else if disabled.is_empty() {
                report.add(Mark::Warn, "campaigns", format!("none in {}", crate::scenario::SCENARIO_FILE));
            }
            for (name, reason) in disabled {
                report.add(Mark::Fail, "campaigns", format!("{name} would be disabled: {reason}"));
            }
            for warning in warnings {
                report.add(Mark::Warn, "prompts", warning);
            }
            scenarios
        }
        Err(e) => {
            report.add(Mark::Fail, "campaigns", e);
            Scenarios::new()
        }
    }
}

/// Every prompt at both rates: the file Asterisk plays on an 8 kHz (G.711) call and on a 16 kHz
/// (G.722) one; otherwise Asterisk resamples on each call, and an 8 kHz recording sounds dull
/// on a wideband line.
fn prompts(report: &mut Report, settings: &Settings, scenarios: &Scenarios) {
    for (name, scenario) in scenarios {
        let prompts = scenario.prompt_names();
        let mut missing = Vec::new();
        for prompt in &prompts {
            let found = files::prompt_files(prompt, &settings.language);
            for (path, extension, _) in &found {
                if let Some(problem) = unplayable(path, extension) {
                    report.add(Mark::Fail, "prompts", format!("{name}: {path}: {problem} (minibot prompts install {name} <dir> writes playable ones)"));
                }
            }
            let rates: Vec<u32> = found.into_iter().map(|(_, _, rate)| rate).collect();
            let lacking: Vec<&str> = [(8000, "8 kHz"), (16000, "16 kHz")].into_iter().filter(|(r, _)| !rates.contains(r)).map(|(_, n)| n).collect();
            if !lacking.is_empty() {
                missing.push(format!("{prompt} (no {})", lacking.join(", no ")));
            }
        }
        if missing.is_empty() {
            report.add(Mark::Ok, "prompts", format!("{name}: {} prompt(s) at 8 and 16 kHz ({})", prompts.len(), settings.language));
        } else {
            report.add(
                Mark::Warn,
                "prompts",
                format!("{name}: {} (Asterisk resamples them on each call: minibot prompts install {name} <dir> writes both)", missing.join(", ")),
            );
        }
    }
}

/// Why Asterisk cannot play a prompt's file: empty, or a WAV it does not read (its format_wav
/// plays 8 kHz mono 16-bit only; `wav16` is the 16 kHz one).
fn unplayable(path: &str, extension: &str) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    if bytes.is_empty() {
        return Some("0 bytes".into());
    }
    let wanted = match extension {
        "wav" => 8000,
        "wav16" => 16000,
        _ => return None,
    };
    match crate::audio::wav::read_wav(&bytes) {
        Ok((_, format)) if format.rate == wanted && format.channels == 1 && format.bits == 16 && !format.float => None,
        Ok((_, format)) => Some(format!("{} where Asterisk's .{extension} is {wanted} Hz mono 16-bit", format.describe())),
        Err(reason) => Some(reason),
    }
}

fn models(report: &mut Report, settings: &Settings) {
    let asr = &settings.asr.model_path;
    if asr.is_empty() {
        report.add(Mark::Warn, "asr", "no [asr] model: calls run on keys and speech/no-speech only (make install-model)");
    } else if let Err(reason) = crate::asr::check_model_dir(asr) {
        report.add(Mark::Fail, "asr", format!("{reason}: make install-model MODEL=small (or set [asr] model)"));
    } else {
        // What runs is what the last load read; a changed path takes effect at the next load.
        let running = with_bot(|bot| bot.asr.is_some() && bot.settings.asr.model_path == *asr).unwrap_or(false);
        let state = if running { "loaded" } else { "not the model running: it loads at the next module load" };
        report.add(if running { Mark::Ok } else { Mark::Warn }, "asr", format!("{asr} ({state})"));
    }
    report.result(
        "intents",
        match files::intent_model(&settings.intent.model) {
            Ok(Some(model)) => Ok(format!("{} ({})", settings.intent.model, model.provenance)),
            Ok(None) => Ok("no [intent] model: the rules alone".into()),
            Err(e) => Err(e),
        },
    );
}

fn database(settings: &Settings) -> (Mark, String) {
    let config = &settings.database;
    if config.url.is_empty() {
        return (Mark::Ok, "none configured: calls are not stored, campaigns are not dialed".into());
    }
    let where_ = crate::store::db::redact(&config.url);
    let mut client = match crate::store::db::connect(config) {
        Ok(client) => client,
        Err(e) => return (Mark::Fail, format!("{where_}: {e}")),
    };
    match crate::store::schema::pending(&mut client) {
        Err(e) => (Mark::Fail, format!("{where_}: {}", crate::store::db::error_chain(&e))),
        Ok(pending) if pending.is_empty() => (Mark::Ok, format!("{where_}: reachable, schema up to date")),
        // The module applies them when it connects (at load, on reconnect): not yet is a warning.
        Ok(versions) => (
            Mark::Warn,
            format!("{where_}: reachable, {} migration(s) not applied yet ({versions:?}): applied when the module connects, or now: minibot db migrate", versions.len()),
        ),
    }
}

fn llm(report: &mut Report, settings: &Settings, scenarios: &Scenarios) {
    if settings.llm.url.is_empty() {
        report.add(Mark::Ok, "llm", "none configured: the local model answers alone");
        return;
    }
    // One real classification, at the first campaign's first step.
    let context = scenarios.values().next().and_then(|s| s.steps.get(&s.start)).map(|step| (*step.context).clone()).unwrap_or_default();
    match crate::nlp::llm::check(&settings.llm, settings.intent.deadline_ms, &context, "oui, allez-y") {
        Ok((text, in_time)) => report.add(if in_time { Mark::Ok } else { Mark::Warn }, "llm", text),
        Err(text) => report.add(Mark::Fail, "llm", text),
    }
}

fn dialplan(report: &mut Report, settings: &Settings, scenarios: &Scenarios) {
    let dialed: Vec<&Arc<Scenario>> = scenarios.values().filter(|s| !s.dialing.dial.is_empty()).collect();
    if settings.dialer.enabled && !dialed.is_empty() {
        let context = &settings.dialer.context;
        if ast::extension_exists(context, "s") {
            report.add(Mark::Ok, "dialplan", format!("[{context}] has s,1 for the dialer's calls"));
        } else {
            report.add(Mark::Fail, "dialplan", format!("no [{context}] s,1 in the dialplan (the dialer's calls go there): see dialplan/extensions_minibot.conf"));
        }
    }
    for scenario in dialed {
        let dial = &scenario.dialing.dial;
        match scenario.dialing.endpoint() {
            Some(endpoint) if ast::endpoint_exists(&endpoint) => report.add(Mark::Ok, "trunk", format!("{}: {endpoint} exists", scenario.name)),
            Some(endpoint) => report.add(Mark::Fail, "trunk", format!("{}: dial = {dial}: no endpoint {endpoint} (pjsip show endpoints; see asterisk-conf/pjsip-trunk.conf.sample)", scenario.name)),
            None => report.add(Mark::Warn, "trunk", format!("{}: dial = {dial}: only PJSIP endpoints are checked", scenario.name)),
        }
    }
}

fn http(report: &mut Report, settings: &Settings) {
    let general = match ast::config::load("http.conf") {
        Ok(document) => section(&document, "general"),
        Err(LoadError::Missing) => Vec::new(),
        Err(LoadError::Invalid) => {
            report.add(Mark::Fail, "http", "http.conf could not be parsed");
            return;
        }
    };
    let value = |key: &str| general.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.clone());
    if value("enabled").as_deref().and_then(parse_bool) != Some(true) {
        report.add(Mark::Warn, "http", "Asterisk's HTTP server is off (http.conf [general] enabled = yes): no health, metrics, live page nor control API");
    } else {
        let tls = value("tlsenable").as_deref().and_then(parse_bool) == Some(true);
        let Some(address) = value("bindaddr") else {
            report.add(Mark::Warn, "http", "http.conf [general] enabled = yes but no bindaddr: Asterisk does not listen (bindaddr = 127.0.0.1, or a management address)");
            return tokens(report, settings);
        };
        let plain = format!("{address}:{}", value("bindport").unwrap_or_else(|| "8088".into()));
        let text = if tls { format!("on ({plain}, TLS {})", value("tlsbindaddr").unwrap_or_default()) } else { format!("on ({plain}, no TLS: keep it on a management network)") };
        report.add(if tls { Mark::Ok } else { Mark::Warn }, "http", text);
    }
    tokens(report, settings);
}

fn tokens(report: &mut Report, settings: &Settings) {
    if settings.http.jwt_secret.is_set() {
        report.add(Mark::Ok, "tokens", "[http] jwt_secret set: minibot token create <subject> <role> <days>");
    } else {
        report.add(Mark::Warn, "tokens", "no [http] jwt_secret: the control endpoints refuse every request (set 32 bytes or more)");
    }
}

fn section(document: &Document, name: &str) -> Vec<(String, String)> {
    document.sections.iter().filter(|s| s.name == name).flat_map(|s| s.entries.iter().map(|e| (e.key.clone(), e.value.trim().to_string()))).collect()
}
