//! `minibot prompts install <campaign> <dir>`: recorded prompts into Asterisk's sounds, at both
//! rates, checked against the campaign's scenario (src/scenario/recorded.rs). The scenario is read
//! from the file as the next reload will read it, so a campaign disabled for a missing prompt can be
//! given its recordings, then reloaded. On the CLI's thread: only files, no call is touched.

use super::run;
use crate::ast::cli::{CliArgs, CliCommand, CliResult};
use crate::host::files;
use crate::scenario::recorded::{plan, MAX_PROMPT_SECONDS};
use std::path::Path;

/// A recording larger than this is not read (a 30 s studio WAV is about 10 MB).
const MAX_FILE_BYTES: u64 = 200 * 1024 * 1024;

pub fn commands() -> Vec<CliCommand> {
    vec![CliCommand {
        command: "minibot prompts install",
        summary: "Install a campaign's recorded prompts (WAV) at 8 and 16 kHz",
        usage: "Usage: minibot prompts install <campaign> <directory>\n       \
                Each WAV of <directory> (an absolute path) named after one of the campaign's prompts\n       \
                (hello.wav for minibot/demo/hello), at any rate, channels and sample format, is trimmed of\n       \
                its leading silence and written as the prompt's .sln (8 kHz) and .sln16 (16 kHz) in\n       \
                Asterisk's sounds for [general] language. Reported: prompts with no recording, recordings\n       \
                no prompt uses, recordings too long or unreadable (MP3: convert to WAV first).\n       \
                Then: module reload res_minibot.so (calls already running keep the old sounds).\n",
        handler: prompts_install,
    }]
}

fn prompts_install(args: &CliArgs) -> CliResult {
    let [_, _, _, campaign, dir] = args.argv.as_slice() else { return CliResult::ShowUsage };
    let (campaign, dir) = (campaign.clone(), dir.clone());
    run(args, || {
        if !dir.starts_with('/') {
            return Err(format!("'{dir}': give the directory as an absolute path (Asterisk's working directory is not yours)"));
        }
        let (settings, _) = files::read_settings()?;
        let scenarios = crate::scenario::load_each(&read_scenarios_document()?).0;
        let scenario = scenarios.get(&campaign).ok_or_else(|| {
            format!("no campaign '{campaign}' in {} (campaigns: {})", crate::scenario::SCENARIO_FILE, scenarios.keys().cloned().collect::<Vec<_>>().join(", "))
        })?;
        let recordings = read_dir(Path::new(&dir))?;
        let plan = plan(scenario, recordings);
        let sounds = format!("{}/sounds/{}", crate::ast::data_dir(), settings.language);
        let mut out = String::new();
        for recorded in &plan.ready {
            let base = if recorded.prompt.starts_with('/') { recorded.prompt.clone() } else { format!("{sounds}/{}", recorded.prompt) };
            write(&format!("{base}.sln"), &recorded.sln)?;
            write(&format!("{base}.sln16"), &recorded.sln16)?;
            let long = if recorded.seconds > MAX_PROMPT_SECONDS { format!(" TOO LONG (over {MAX_PROMPT_SECONDS:.0} s: callees hang up)") } else { String::new() };
            out += &format!(
                "installed {}: {} ({}, {:.1} s, {} ms of leading silence trimmed) -> {base}.sln, .sln16{long}\n",
                recorded.prompt, recorded.file, recorded.format, recorded.seconds, recorded.trimmed_ms
            );
        }
        for (file, reason) in &plan.refused {
            out += &format!("refused {file}: {reason}\n");
        }
        for file in &plan.unused {
            out += &format!("unused {file}: no prompt of campaign {campaign} is named after it\n");
        }
        for prompt in &plan.missing {
            let state = if crate::ast::sound_exists(prompt, &settings.language) { "the installed one stays" } else { "NONE INSTALLED: the campaign stays disabled" };
            out += &format!("missing {prompt}: no recording in {dir} ({state})\n");
        }
        out += &format!(
            "{} prompt(s) installed, {} missing, {} unused, {} refused; then: module reload res_minibot.so\n",
            plan.ready.len(),
            plan.missing.len(),
            plan.unused.len(),
            plan.refused.len()
        );
        Ok(out)
    })
}

fn read_scenarios_document() -> Result<crate::config::document::Document, String> {
    match crate::ast::config::load(crate::scenario::SCENARIO_FILE) {
        Ok(document) => Ok(document),
        Err(_) => Err(format!("{}/{} cannot be read", crate::ast::config_dir(), crate::scenario::SCENARIO_FILE)),
    }
}

/// The directory's regular files (name, contents), bounded in size.
fn read_dir(dir: &Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = std::fs::metadata(&path) else { continue };
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(String::from) else { continue };
        if !meta.is_file() {
            continue;
        }
        if meta.len() > MAX_FILE_BYTES {
            return Err(format!("{}: {} MB, more than a prompt can be", path.display(), meta.len() / 1024 / 1024));
        }
        files.push((name, std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?));
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}

/// Written beside, then renamed: Asterisk never plays a half-written sound.
fn write(path: &str, bytes: &[u8]) -> Result<(), String> {
    let target = Path::new(path);
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    let temporary = format!("{path}.new");
    std::fs::write(&temporary, bytes).and_then(|()| std::fs::rename(&temporary, target)).map_err(|e| format!("{path}: {e}"))
}
