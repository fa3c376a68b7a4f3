//! Campaign commands: create and drive campaigns, import contacts and opposition lists, report,
//! export. Each opens its own bounded database connection on the CLI's thread (never a channel's).

use super::{database, run};
use crate::ast::cli::{CliArgs, CliCommand, CliResult};
use crate::host::operator;
use crate::phone;
use crate::store::campaigns as db;

pub fn commands() -> Vec<CliCommand> {
    let verb = |command, summary, usage| CliCommand { command, summary, usage, handler: campaign_verb };
    vec![
        verb("minibot campaign create", "Create a campaign from its scenario", "Usage: minibot campaign create <name>\n       Creates the campaign (its scenario, dialing and calling rules come from minibot_scenarios.conf).\n"),
        verb("minibot campaign start", "Start dialing a campaign", "Usage: minibot campaign start <name>\n       The dialers of every node sharing the database start calling its due contacts.\n"),
        verb("minibot campaign pause", "Pause a campaign", "Usage: minibot campaign pause <name>\n       No new call; calls in progress end normally.\n"),
        verb("minibot campaign resume", "Resume a paused campaign", "Usage: minibot campaign resume <name>\n"),
        verb("minibot campaign stop", "Stop a campaign", "Usage: minibot campaign stop <name>\n       No new call; the queue is kept (start again later).\n"),
        CliCommand { command: "minibot show campaigns", summary: "List campaigns and their progress", usage: "Usage: minibot show campaigns\n", handler: show_campaigns },
        CliCommand {
            command: "minibot show campaign",
            summary: "Report on one campaign",
            usage: "Usage: minibot show campaign <name>\n       Progress, outcomes, lead classes, the funnel, answering machines, turn latency.\n",
            handler: show_campaign,
        },
        CliCommand {
            command: "minibot contacts import",
            summary: "Import contacts into a campaign",
            usage: "Usage: minibot contacts import <campaign> <file.csv>\n       CSV with a header row: phone, first_name, last_name, consent, timezone (comma or semicolon);\n       any other column (crm_id, agence...) is the contact's own field: exported beside its answers,\n       MINIBOT_FIELD_<NAME> in the dialplan, {name} in the campaign's llm_instructions.\n       Bad rows are reported by line, good rows kept; duplicates and opted-out numbers are not queued.\n",
            handler: contacts_import,
        },
        CliCommand {
            command: "minibot optout import",
            summary: "Import an opposition list",
            usage: "Usage: minibot optout import <file>\n       One number per line (or a CSV with a phone column): never called again, by any campaign.\n",
            handler: optout_import,
        },
        CliCommand { command: "minibot export leads", summary: "Export a campaign's leads", usage: "Usage: minibot export leads <campaign> <file.csv>\n", handler: export_csv },
        CliCommand { command: "minibot export calls", summary: "Export a campaign's calls", usage: "Usage: minibot export calls <campaign> <file.csv>\n", handler: export_csv },
    ]
}

fn campaign_verb(args: &CliArgs) -> CliResult {
    if args.argv.len() != 4 {
        return CliResult::ShowUsage;
    }
    let (verb, name) = (args.argv[2].clone(), args.argv[3].clone());
    run(args, || Ok(operator::campaign_verb(&verb, &name)? + "\n"))
}

fn show_campaigns(args: &CliArgs) -> CliResult {
    if args.argv.len() != 3 {
        return CliResult::ShowUsage;
    }
    run(args, || {
        let rows = operator::progress()?;
        let mut out = format!("{:<20} {:<9} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}\n", "Campaign", "Status", "Contacts", "Pending", "Dialing", "Done", "Closed", "Calls");
        for (name, status, contacts, pending, leased, done, closed, calls) in &rows {
            out += &format!("{name:<20} {status:<9} {contacts:>8} {pending:>8} {leased:>8} {done:>8} {closed:>8} {calls:>8}\n");
        }
        out += &format!("{} campaign(s)\n", rows.len());
        // A campaign whose scenario or prompts have an error does not run on this node.
        for (name, reason) in crate::host::state::with_bot(|bot| bot.disabled.clone()).unwrap_or_default().iter() {
            out += &format!("{name}: disabled on this node: {reason}\n");
        }
        Ok(out)
    })
}

fn show_campaign(args: &CliArgs) -> CliResult {
    if args.argv.len() != 4 {
        return CliResult::ShowUsage;
    }
    let name = args.argv[3].clone();
    run(args, || {
        let (report, flow) = operator::report(&name)?;
        Ok(operator::format_report(&name, &report, &flow))
    })
}

fn contacts_import(args: &CliArgs) -> CliResult {
    if args.argv.len() != 5 {
        return CliResult::ShowUsage;
    }
    let (name, path) = (args.argv[3].clone(), args.argv[4].clone());
    run(args, || {
        let file = std::fs::File::open(&path).map_err(|e| format!("{path}: {e}"))?;
        let imported = operator::import_contacts(&name, std::io::BufReader::new(file), &path)?;
        Ok(imported.describe(&path, &name, 50))
    })
}

fn optout_import(args: &CliArgs) -> CliResult {
    if args.argv.len() != 4 {
        return CliResult::ShowUsage;
    }
    let path = args.argv[3].clone();
    run(args, || {
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
        let (mut client, settings) = database()?;
        let country = settings.default_country.clone();
        let mut phones = Vec::new();
        let mut bad = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let field = line.split([',', ';']).next().unwrap_or("").trim().trim_matches('"');
            if field.is_empty() || (i == 0 && !field.chars().any(|c| c.is_ascii_digit())) {
                continue; // blank line or header
            }
            match phone::normalize(field, Some(&country)) {
                Ok(p) => phones.push(p),
                Err(reason) => bad.push(format!("  line {}: {reason}\n", i + 1)),
            }
        }
        let added = db::import_opt_outs(&mut client, &phones, "opposition list")?;
        Ok(format!("{path}: {} number(s) read, {added} new on the opt-out list, {} bad line(s)\n{}", phones.len(), bad.len(), bad.concat()))
    })
}

fn export_csv(args: &CliArgs) -> CliResult {
    if args.argv.len() != 5 {
        return CliResult::ShowUsage;
    }
    let (what, name, path) = (args.argv[2].clone(), args.argv[3].clone(), args.argv[4].clone());
    run(args, || {
        let file = std::fs::File::create(&path).map_err(|e| format!("{path}: {e}"))?;
        let written = operator::export_csv(&name, what == "leads", std::io::BufWriter::new(file))?;
        Ok(format!("{written} {what} row(s) of '{name}' written to {path}\n"))
    })
}
