//! `minibot gdpr purge|forget|export`: the data-protection officer's commands.

use super::{database, run};
use crate::ast::cli::{CliArgs, CliCommand, CliResult};
use crate::phone;
use crate::store::gdpr;

pub fn commands() -> Vec<CliCommand> {
    vec![
        CliCommand {
            command: "minibot gdpr purge",
            summary: "Purge transcripts older than the retention period",
            usage: "Usage: minibot gdpr purge [days]\n       Blanks transcripts and deletes the turns and recordings of calls that ended more than [gdpr] retention_days\n       (or <days>) ago; outcomes and scores stay.\n",
            handler: purge,
        },
        CliCommand {
            command: "minibot gdpr forget",
            summary: "Erase everything about a phone number and block it",
            usage: "Usage: minibot gdpr forget <phone>\n       Deletes the contact, its queue rows, calls, turns and recordings, and puts the number on the opt-out list.\n",
            handler: forget,
        },
        CliCommand {
            command: "minibot gdpr export",
            summary: "Write everything held about a phone number",
            usage: "Usage: minibot gdpr export <phone> <file.json>\n       The contact, campaigns, calls with their turns, opt-out: the right of access.\n",
            handler: export,
        },
    ]
}

/// The directory the running recorder writes to (recordings are deleted only under it).
fn recordings_dir() -> String {
    crate::host::state::with_bot(|bot| bot.recorder.dir().to_string()).unwrap_or_default()
}

fn purge(args: &CliArgs) -> CliResult {
    if !(3..=4).contains(&args.argv.len()) {
        return CliResult::ShowUsage;
    }
    let days = args.argv.get(3).cloned();
    run(args, || {
        let (mut client, settings) = database()?;
        let configured = settings.retention_days;
        let days = match days {
            // 0 would purge everything up to now: a typo must not erase a campaign's history.
            Some(d) => d.parse::<u32>().ok().filter(|n| (1..=36_500).contains(n)).ok_or_else(|| format!("'{d}' is not a number of days from 1 to 36500"))?,
            None if configured > 0 => configured,
            None => return Err("no retention period: [gdpr] retention_days is 0 (keep); give the days".into()),
        };
        let purged = gdpr::purge(&mut client, days, &recordings_dir())?;
        log::info!("gdpr purge ({days} days) from the CLI: {} transcripts blanked, {} turns and {} recordings deleted", purged.calls, purged.turns, purged.recordings);
        Ok(format!("Calls older than {days} days: {} transcripts blanked, {} turns and {} recordings deleted\n", purged.calls, purged.turns, purged.recordings))
    })
}

fn forget(args: &CliArgs) -> CliResult {
    if args.argv.len() < 4 {
        return CliResult::ShowUsage;
    }
    let raw = args.argv[3..].concat(); // "06 12 34 56 78" arrives as five words
    run(args, || {
        let (mut client, settings) = database()?;
        let country = settings.default_country.clone();
        let number = phone::normalize(&raw, Some(&country))?;
        // Refuse first, before anything is touched: a call with the person in progress (dialed or
        // inbound) or a record of theirs in the writers' hands would come back after the erasure.
        let (calls, store) = crate::host::state::with_bot(|bot| (bot.calls.clone(), bot.store.clone())).ok_or("MiniBot is not loaded")?;
        if calls.with_phone(&number) {
            return Err("a call with this number is in progress: try again once it has ended".into());
        }
        if store.as_ref().is_some_and(|s| s.queued_for(&number) > 0) {
            return Err("a record of this number is being written to the database: try again in a moment".into());
        }
        gdpr::refuse_while_dialed(&mut client, &number)?;
        // Then everywhere: the spool (a record waiting there would come back), the database, the
        // recordings wherever their rows point, the call log.
        let spooled = match &store {
            Some(store) => store.erase_from_spool(&number, &gdpr::contact_ids(&mut client, &number)?)?,
            None => Default::default(),
        };
        let mut gone = gdpr::forget(&mut client, &number, &recordings_dir())?;
        gone.recordings += gdpr::delete_person_recordings(&spooled.recordings, &recordings_dir())?;
        let log_lines = crate::obs::calllog::erase_calls(&[spooled.calls.as_slice(), gone.call_ids.as_slice()].concat())?;
        let spooled = spooled.lines;
        log::info!(
            "gdpr forget {}: {} calls, {} turns, {} recordings, {} queue rows, {} contact(s), {spooled} spooled record(s), {log_lines} call log line(s) erased; opted out",
            phone::mask(&number), gone.calls, gone.turns, gone.recordings, gone.queue_rows, gone.contacts
        );
        Ok(format!(
            "{}: {} call(s), {} turn(s), {} recording(s), {} queue row(s), {} contact(s), {spooled} spooled record(s), {log_lines} call log line(s) erased; the number is on the opt-out list\n",
            phone::mask(&number),
            gone.calls,
            gone.turns,
            gone.recordings,
            gone.queue_rows,
            gone.contacts
        ))
    })
}

fn export(args: &CliArgs) -> CliResult {
    if args.argv.len() < 5 {
        return CliResult::ShowUsage;
    }
    let last = args.argv.len() - 1;
    let (raw, path) = (args.argv[3..last].concat(), args.argv[last].clone());
    run(args, || {
        let (mut client, settings) = database()?;
        let country = settings.default_country.clone();
        let number = phone::normalize(&raw, Some(&country))?;
        let document = gdpr::export(&mut client, &number)?;
        let text = serde_json::to_string_pretty(&document).map_err(|e| e.to_string())?;
        // Personal data: readable by Asterisk's user only.
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&path).map_err(|e| format!("{path}: {e}"))?;
        file.write_all((text + "\n").as_bytes()).map_err(|e| format!("{path}: {e}"))?;
        log::info!("gdpr export of {} written to {path}", phone::mask(&number));
        let calls = document["calls"].as_array().map_or(0, Vec::len);
        Ok(format!("{}: {calls} call(s) and the contact's data written to {path}\n", phone::mask(&number)))
    })
}
