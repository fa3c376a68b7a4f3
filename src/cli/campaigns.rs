//! Campaign commands: create and drive campaigns, import contacts and opposition lists, report,
//! export. Each opens its own bounded database connection on the CLI's thread (never a channel's).

use super::{database, run};
use crate::ast::cli::{CliArgs, CliCommand, CliResult};
use crate::campaign::{contacts, export, transition};
use crate::module::with_bot;
use crate::phone;
use crate::store::campaigns::{self as db, Counts, Report};

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
            usage: "Usage: minibot contacts import <campaign> <file.csv>\n       CSV with a header row: phone, first_name, last_name, consent, timezone (comma or semicolon).\n       Bad rows are reported by line, good rows kept; duplicates and opted-out numbers are not queued.\n",
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
    let (verb, name) = (args.argv[2].as_str(), args.argv[3].as_str());
    run(args, || {
        let dialing = with_bot(|bot| bot.scenarios.get(name).map(|s| s.dialing.clone()))
            .flatten()
            .ok_or_else(|| format!("no scenario '{name}' in minibot_scenarios.conf"))?;
        let (mut client, _) = database()?;
        if verb == "create" {
            db::create(&mut client, name, &dialing.company)?;
            let hint = if dialing.dial.is_empty() { " (its scenario has no 'dial' string: add one before starting it)" } else { "" };
            return Ok(format!("Campaign '{name}' created{hint}\n"));
        }
        let (from, to) = transition(verb).ok_or("unknown command")?;
        if to == "running" && dialing.dial.is_empty() {
            return Err(format!("campaign '{name}' has no 'dial' string in minibot_scenarios.conf: nothing to dial with"));
        }
        let was = db::set_status(&mut client, name, from, to, &dialing.company)?;
        Ok(format!("Campaign '{name}': {was} -> {to}\n"))
    })
}

fn show_campaigns(args: &CliArgs) -> CliResult {
    if args.argv.len() != 3 {
        return CliResult::ShowUsage;
    }
    run(args, || {
        let (mut client, _) = database()?;
        let rows = db::progress(&mut client)?;
        let mut out = format!("{:<20} {:<9} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}\n", "Campaign", "Status", "Contacts", "Pending", "Dialing", "Done", "Closed", "Calls");
        for (name, status, contacts, pending, leased, done, closed, calls) in &rows {
            out += &format!("{name:<20} {status:<9} {contacts:>8} {pending:>8} {leased:>8} {done:>8} {closed:>8} {calls:>8}\n");
        }
        out += &format!("{} campaign(s)\n", rows.len());
        Ok(out)
    })
}

fn show_campaign(args: &CliArgs) -> CliResult {
    if args.argv.len() != 4 {
        return CliResult::ShowUsage;
    }
    let name = args.argv[3].clone();
    run(args, || {
        let (mut client, _) = database()?;
        let report = db::report(&mut client, &name)?.ok_or_else(|| format!("no campaign '{name}'"))?;
        let flow: Vec<String> = with_bot(|bot| {
            bot.scenarios.get(&name).map(|s| {
                s.flow_order()
                    .into_iter()
                    .filter(|step| s.steps[*step].listen_ms > 0)
                    .map(str::to_string)
                    .collect()
            })
        })
        .flatten()
        .unwrap_or_default();
        Ok(format_report(&name, &report, &flow))
    })
}

fn count_of(counts: &Counts, key: &str) -> i64 {
    counts.iter().find(|(k, _)| k == key).map_or(0, |(_, n)| *n)
}

fn format_counts(title: &str, counts: &Counts) -> String {
    if counts.is_empty() {
        return format!("  {title}: none\n");
    }
    let items: Vec<String> = counts.iter().map(|(k, n)| format!("{} {n}", if k.is_empty() { "-" } else { k })).collect();
    format!("  {title}: {}\n", items.join(", "))
}

/// The campaign report: progress, outcomes, leads, the funnel from the first question to the
/// appointment, answering machines, turn latency.
pub fn format_report(name: &str, r: &Report, flow: &[String]) -> String {
    let mut out = format!("Campaign {name}: {}{}\n", r.status, if r.company.is_empty() { String::new() } else { format!(" (company {})", r.company) });
    let contacts: i64 = r.queue.iter().map(|(_, n)| n).sum();
    out += &format!("  Contacts: {contacts} ({})\n", r.queue.iter().map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(", "));
    out += &format_counts("Waiting for", &r.waiting);
    out += &format!("  Calls: {} ({} answered)\n", r.calls, r.answered);
    out += &format_counts("Outcomes", &r.outcomes);
    out += &format_counts("Lead classes", &r.leads);
    out += &format_counts("Answering machine verdicts", &r.amd);
    out += "  Funnel:\n";
    out += &format!("    {:<24} {:>6}\n", "answered", r.answered);
    for step in flow {
        out += &format!("    {:<24} {:>6}\n", step, count_of(&r.steps, step));
    }
    let leads: i64 = r.leads.iter().filter(|(k, _)| k != crate::qualify::NOT_QUALIFIED).map(|(_, n)| n).sum();
    out += &format!("    {:<24} {:>6}\n", "lead", leads);
    out += &format!("    {:<24} {:>6}\n", "appointment", count_of(&r.outcomes, "appointment"));
    match r.mean_turn_ms {
        Some(ms) => out += &format!("  Mean turn latency (end of speech -> intent): {ms:.0} ms\n"),
        None => out += "  Mean turn latency: no turn yet\n",
    }
    out
}

fn contacts_import(args: &CliArgs) -> CliResult {
    if args.argv.len() != 5 {
        return CliResult::ShowUsage;
    }
    let (name, path) = (args.argv[3].clone(), args.argv[4].clone());
    run(args, || {
        let started = std::time::Instant::now();
        let file = std::fs::File::open(&path).map_err(|e| format!("{path}: {e}"))?;
        let (mut client, settings) = database()?;
        let country = settings.default_country.clone();
        let campaign = db::get(&mut client, &name)?.ok_or_else(|| format!("no campaign '{name}' (minibot campaign create {name})"))?;
        let parsed = contacts::parse(std::io::BufReader::new(file), Some(&country)).map_err(|e| format!("{path}: {e}"))?;
        let counts = db::import_contacts(&mut client, campaign.id, &parsed.rows)?;
        let mut out = format!(
            "{path}: {} good row(s), {} queued in '{name}', {} already in the campaign, {} on the opt-out list, {} duplicate(s) in the file, {} bad row(s) ({} ms)\n",
            parsed.rows.len(),
            counts.queued,
            counts.already_queued.len(),
            counts.opted_out.len(),
            parsed.duplicates.len(),
            parsed.errors.len(),
            started.elapsed().as_millis()
        );
        const SHOWN: usize = 50;
        for (line, reason) in parsed.errors.iter().take(SHOWN) {
            out += &format!("  line {line}: {reason}\n");
        }
        for (line, first) in parsed.duplicates.iter().take(SHOWN) {
            out += &format!("  line {line}: duplicate of line {first}\n");
        }
        for line in counts.opted_out.iter().take(SHOWN) {
            out += &format!("  line {line}: on the opt-out list, not queued\n");
        }
        for line in counts.already_queued.iter().take(SHOWN) {
            out += &format!("  line {line}: already in the campaign\n");
        }
        let listed = [parsed.errors.len(), parsed.duplicates.len(), counts.opted_out.len(), counts.already_queued.len()];
        if listed.iter().any(|n| *n > SHOWN) {
            out += &format!("  (the first {SHOWN} of each kind are listed)\n");
        }
        Ok(out)
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
        let (mut client, _) = database()?;
        db::get(&mut client, &name)?.ok_or_else(|| format!("no campaign '{name}'"))?;
        let rows = db::export_rows(&mut client, &name, what == "leads")?;
        let file = std::fs::File::create(&path).map_err(|e| format!("{path}: {e}"))?;
        let written = export::write_csv(std::io::BufWriter::new(file), export::LEAD_COLUMNS, rows).map_err(|e| format!("{path}: {e}"))?;
        Ok(format!("{written} {what} row(s) of '{name}' written to {path}\n"))
    })
}
