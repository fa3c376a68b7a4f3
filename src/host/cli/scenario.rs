//! `minibot scenario try`: a campaign's dry run by typing (src/call/dry_run.rs), on the CLI's
//! thread: the LLM tier is waited for here, never on a channel.

use super::run;
use crate::ast::cli::{CliArgs, CliCommand, CliResult};
use crate::call::dry_run::{dry_run, Answer};
use crate::host::state::with_bot;

pub fn commands() -> Vec<CliCommand> {
    vec![CliCommand {
        command: "minibot scenario try",
        summary: "Run a campaign's scenario with typed answers (no call)",
        usage: "Usage: minibot scenario try <campaign> [\"answer\" ...]\n       \
                Runs the campaign's scenario with the callee's answers given as text, in quotes, one\n       \
                argument per answer: the real classifier, LLM tier, transitions and scoring, with each\n       \
                step, intent, tier, confidence and the bot's next words, then the outcome, lead class and\n       \
                what would be stored. No call is placed and nothing is stored.\n       \
                An answer may also be - (silence), #1 (a key), . (the callee hangs up) or !words (said\n       \
                over the prompt). When the answers run out, the callee hangs up.\n",
        handler: scenario_try,
    }]
}

fn scenario_try(args: &CliArgs) -> CliResult {
    let Some(campaign) = args.argv.get(3).cloned() else { return CliResult::ShowUsage };
    let typed = args.argv[4..].to_vec();
    run(args, || {
        let answers = typed.iter().map(|a| Answer::parse(a)).collect::<Result<Vec<_>, _>>()?;
        let (scenario, settings, intents, disabled) = with_bot(|bot| {
            (bot.scenarios.get(&campaign).cloned(), bot.settings.clone(), bot.intents.detached(), bot.disabled.get(&campaign).cloned())
        })
        .ok_or("MiniBot is not loaded")?;
        let scenario = match (scenario, disabled) {
            (Some(scenario), _) => scenario,
            (None, Some(reason)) => return Err(format!("campaign '{campaign}' is disabled: {reason}")),
            (None, None) => {
                let known = with_bot(|bot| bot.scenarios.keys().cloned().collect::<Vec<_>>().join(", ")).unwrap_or_default();
                return Err(format!("no campaign '{campaign}' in minibot_scenarios.conf (campaigns: {known})"));
            }
        };
        let local_now = crate::nlp::when::LocalNow::at(chrono::Utc::now(), scenario.dialing.timezone);
        let recorded = settings.recording_enabled && scenario.record;
        let run = dry_run(scenario, settings.limits, settings.turn.clone(), answers, recorded, local_now, &|context, text| intents.understand_blocking(context, text));
        let mut out = format!("Dry run of campaign '{campaign}' ({} typed answer(s))\n", typed.len());
        for line in &run.lines {
            out += line;
            out += "\n";
        }
        if run.unused > 0 {
            out += &format!("({} answer(s) left unused: the call ended before them)\n", run.unused);
        }
        Ok(out)
    })
}
