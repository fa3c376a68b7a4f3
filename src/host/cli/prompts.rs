//! `minibot prompts install <campaign> <dir>`: recorded prompts into Asterisk's sounds, at both
//! rates, checked against the campaign's scenario (src/scenario/recorded.rs). The scenario is read
//! from the file as the next reload will read it, so a campaign disabled for a missing prompt can be
//! given its recordings, then reloaded. On the CLI's thread: only files, no call is touched.

use super::run;
use crate::ast::cli::{CliArgs, CliCommand, CliResult};
use crate::host::files;
use crate::scenario::recorded::{is_recording, plan, MAX_PROMPT_SECONDS, OTHER_FORMATS};
use std::path::Path;

/// A recording larger than this is not read (a 30 s studio WAV is about 10 MB).
const MAX_FILE_BYTES: u64 = 100 * 1024 * 1024;

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
        let (scenarios, errors) = crate::scenario::load_each(&files::read_document(crate::scenario::SCENARIO_FILE, &mut Vec::new())?);
        if let Some(error) = errors.get(&campaign) {
            return Err(format!("campaign '{campaign}' has an error to fix first: {error}"));
        }
        let scenario = scenarios.get(&campaign).ok_or_else(|| {
            format!("no campaign '{campaign}' in {} (campaigns: {})", crate::scenario::SCENARIO_FILE, scenarios.keys().cloned().collect::<Vec<_>>().join(", "))
        })?;
        let recordings = read_dir(Path::new(&dir))?;
        let plan = plan(scenario, recordings);
        let mut out = String::new();
        let mut installed = 0;
        for recorded in &plan.ready {
            let base = files::prompt_path(&recorded.prompt, &settings.language);
            // Both rates written before either replaces the old (a failure leaves the old pair).
            if let Err(e) = write_pair(&base, &recorded.sln, &recorded.sln16) {
                out += &format!("FAILED {}: {e}\n", recorded.prompt);
                continue;
            }
            installed += 1;
            let long = if recorded.seconds > MAX_PROMPT_SECONDS { format!(" TOO LONG (over {MAX_PROMPT_SECONDS:.0} s: callees hang up)") } else { String::new() };
            out += &format!(
                "installed {}: {} ({}, {:.1} s, {} ms of leading silence trimmed) -> {base}.sln, .sln16{long}\n",
                recorded.prompt, recorded.file, recorded.format, recorded.seconds, recorded.trimmed_ms
            );
            for extension in OTHER_FORMATS {
                let old = format!("{base}.{extension}");
                if Path::new(&old).is_file() {
                    let aside = format!("{old}.replaced");
                    match std::fs::rename(&old, &aside) {
                        Ok(()) => out += &format!("  set aside {old} -> {aside} (Asterisk would have played it on some calls)\n"),
                        Err(e) => out += &format!("  FAILED to set aside {old}: {e} (Asterisk may still play it on some calls)\n"),
                    }
                }
            }
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
            installed,
            plan.missing.len(),
            plan.unused.len(),
            plan.refused.len()
        );
        Ok(out)
    })
}

/// The directory's recordings (name, contents), bounded in size; other files are not read.
fn read_dir(dir: &Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = std::fs::metadata(&path) else { continue };
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(String::from) else { continue };
        if !meta.is_file() || !is_recording(&name) {
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

/// `base.sln` and `base.sln16`, each written beside then renamed: Asterisk never plays a
/// half-written sound, and a write that fails replaces neither.
fn write_pair(base: &str, sln: &[u8], sln16: &[u8]) -> Result<(), String> {
    if let Some(parent) = Path::new(base).parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    let files = [(format!("{base}.sln"), sln), (format!("{base}.sln16"), sln16)];
    for (path, bytes) in &files {
        if let Err(e) = std::fs::write(format!("{path}.new"), bytes) {
            files.iter().for_each(|(p, _)| drop(std::fs::remove_file(format!("{p}.new"))));
            return Err(format!("{path}: {e}"));
        }
    }
    for (path, _) in &files {
        std::fs::rename(format!("{path}.new"), path).map_err(|e| format!("{path}: {e}"))?;
    }
    Ok(())
}
