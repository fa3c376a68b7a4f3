//! The `minibot ...` CLI commands.

mod campaigns;
mod check;
mod gdpr;
mod prompts;
mod scenario;

use crate::ast::cli::{self, CliArgs, CliCommand, CliResult};
use crate::host::state::with_bot;
use crate::call::live;
use crate::obs::format_uptime;
use crate::obs::metrics::METRICS;

pub fn commands(test_hooks: bool) -> Vec<CliCommand> {
    let mut commands = vec![
        CliCommand {
            command: "minibot show status",
            summary: "Show MiniBot's state, settings and call counters",
            usage: "Usage: minibot show status\n       Shows uptime, configuration in force and call counters.\n",
            handler: show_status,
        },
        CliCommand {
            command: "minibot token create",
            summary: "Print a signed token for the control endpoints",
            usage: "Usage: minibot token create <subject> <viewer|operator|admin> <days>\n       Prints a bearer token (JWT, HS256, signed with [http] jwt_secret) for <subject>,\n       valid <days> days (1-366), for the HTTP control endpoints and the live page.\n",
            handler: token_create,
        },
        CliCommand {
            command: "minibot show version",
            summary: "Show the MiniBot module version",
            usage: "Usage: minibot show version\n       Shows the module version, its git revision and the Asterisk version.\n",
            handler: show_version,
        },
        CliCommand {
            command: "minibot show calls",
            summary: "List live MiniBot calls",
            usage: "Usage: minibot show calls\n       Lists calls in MiniBot(): step, state (responding/listening/processing), VAD, last partial.\n",
            handler: show_calls,
        },
        CliCommand {
            command: "minibot show call",
            summary: "Show one live MiniBot call and its turns",
            usage: "Usage: minibot show call <channel>\n       Shows a live call's state and turns (a channel name prefix is enough).\n",
            handler: show_call,
        },
        CliCommand {
            command: "minibot show transcript",
            summary: "Show a stored call's transcript",
            usage: "Usage: minibot show transcript <call>\n       A call from the database (its key node/uniqueid, its uniqueid or its id): the turns with\n       speaker, time offset, text and intent, the result and the recording's path.\n",
            handler: show_transcript,
        },
        CliCommand {
            command: "minibot show metrics",
            summary: "Show media and recognition timings",
            usage: "Usage: minibot show metrics\n       Per-frame CPU of VAD and Vosk, turn-end-to-final latency, outgoing audio gaps, barge-in stop delay.\n",
            handler: show_metrics,
        },
        CliCommand {
            command: "minibot show db",
            summary: "Show the database connection, queue and spool",
            usage: "Usage: minibot show db\n       Connection state, writer queue depth, spool size and counters.\n",
            handler: show_db,
        },
        CliCommand {
            command: "minibot db migrate",
            summary: "Apply the database migrations now",
            usage: "Usage: minibot db migrate\n       Applies the missing schema migrations (also done at load and on reconnect).\n",
            handler: db_migrate,
        },
    ];
    commands.extend(campaigns::commands());
    commands.extend(gdpr::commands());
    commands.extend(scenario::commands());
    commands.extend(check::commands());
    commands.extend(prompts::commands());
    if test_hooks {
        commands.push(CliCommand {
            command: "minibot test panic",
            summary: "Panic inside a CLI handler (test_hooks=yes only)",
            usage: "Usage: minibot test panic\n       Proves a Rust panic is caught at the FFI boundary.\n",
            handler: test_panic,
        });
    }
    commands
}

/// Runs a command's body: its text on the console, or "Error: ..." when it failed.
fn run(args: &CliArgs, f: impl FnOnce() -> Result<String, String>) -> CliResult {
    match f() {
        Ok(text) => args.print(&text),
        Err(e) => args.print(&format!("Error: {e}\n")),
    }
    CliResult::Success
}

use crate::host::operator::database;

fn show_transcript(args: &CliArgs) -> CliResult {
    if args.argv.len() != 4 {
        return CliResult::ShowUsage;
    }
    let call = args.argv[3].clone();
    run(args, || {
        let (mut client, _) = database()?;
        let stored = crate::store::transcript::read(&mut client, &call)?.ok_or_else(|| format!("no call '{call}' in the database"))?;
        Ok(crate::store::transcript::format(&stored, crate::phone::mask))
    })
}

pub fn register(commands: Vec<CliCommand>) -> Result<(), String> {
    cli::register(commands)
}

fn token_create(args: &CliArgs) -> CliResult {
    let [_, _, _, subject, role, days] = args.argv.as_slice() else { return CliResult::ShowUsage };
    let (Some(role), Ok(days)) = (crate::access::Role::parse(role), days.parse::<u32>()) else { return CliResult::ShowUsage };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let made = with_bot(|bot| crate::access::issue(&bot.settings.http.jwt_secret, subject, role, days, now)).unwrap_or_else(|| Err("MiniBot is not loaded".into()));
    match made {
        Ok(token) => args.print(&format!("{token}\n")),
        Err(reason) => args.print(&format!("No token: {reason}\n")),
    }
    CliResult::Success
}

fn show_version(args: &CliArgs) -> CliResult {
    if args.argv.len() != 3 {
        return CliResult::ShowUsage;
    }
    args.print(&format!("MiniBot {} on Asterisk {}\n", crate::version(), crate::ast::asterisk_version()));
    CliResult::Success
}

fn show_status(args: &CliArgs) -> CliResult {
    if args.argv.len() != 3 {
        return CliResult::ShowUsage;
    }
    let text = with_bot(|bot| {
        let snap = bot.stats.snapshot();
        let s = &bot.settings;
        let mut out = String::new();
        out += &format!("MiniBot {}\n", crate::version());
        out += &format!("  Uptime:        {}\n", format_uptime(bot.loaded_at.elapsed()));
        if let Some(at) = bot.reloaded_at {
            out += &format!("  Last reload:   {} ago\n", format_uptime(at.elapsed()));
        }
        out += &format!("  Enabled:       {}\n", if s.enabled { "yes" } else { "no" });
        out += &format!("  Language:      {}\n", s.language);
        out += &format!("  Log level:     {}\n", s.log_level);
        out += &format!("  Scenarios:     {}\n", bot.scenarios.keys().cloned().collect::<Vec<_>>().join(", "));
        for (name, reason) in bot.disabled.iter() {
            out += &format!("  Disabled:      {name}: {reason}\n");
        }
        out += &match &bot.asr {
            Some(engine) => format!("  ASR:           {} ({:?})\n", s.asr.model_path, engine.mode()),
            None => "  ASR:           none (DTMF and speech/no-speech only)\n".to_string(),
        };
        out += &match &bot.intents.model() {
            Some(model) => format!("  Intent model:  {} ({})\n", s.intent.model, model.provenance),
            None => "  Intent model:  none (rules alone)\n".to_string(),
        };
        out += &match &bot.dialer {
            Some(dialer) => {
                let d = dialer.stats();
                let n = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
                format!(
                    "  Dialer:        {} call(s) placed and not ended; rows claimed {}, dialed {}, answered {}, postponed by the rules {}, closed {}\n                 polls held by the capacity bound {}, by results waiting in the spool {}; database errors {}\n",
                    dialer.in_flight(),
                    n(&d.claimed),
                    n(&d.dialed),
                    n(&d.answered),
                    n(&d.postponed),
                    n(&d.closed),
                    n(&d.held_by_capacity),
                    n(&d.held_by_store),
                    n(&d.db_errors)
                )
            }
            None => "  Dialer:        off (no database, or [dialer] enabled = no)\n".to_string(),
        };
        out += &match &bot.calllog {
            Some(log) => {
                let st = &log.stats;
                let n = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
                format!("  Call log:      {} ({} lines, {} dropped, {} rotations)\n", log.path.display(), n(&st.written), n(&st.dropped), n(&st.rotations))
            }
            None => "  Call log:      off\n".to_string(),
        };
        out += &format!("  Calls active:  {}\n", snap.active);
        out += &format!("  Calls started: {}\n", snap.started);
        for (status, count) in snap.ended {
            out += &format!("    {:<12} {count}\n", status.as_str());
        }
        out
    });
    args.print(&text.unwrap_or_else(|| "MiniBot is not loaded\n".into()));
    CliResult::Success
}

fn show_calls(args: &CliArgs) -> CliResult {
    if args.argv.len() != 3 {
        return CliResult::ShowUsage;
    }
    let calls = with_bot(|bot| bot.calls.list()).unwrap_or_default();
    args.print(&live::format_calls(&calls));
    CliResult::Success
}

fn show_call(args: &CliArgs) -> CliResult {
    if args.argv.len() != 4 {
        return CliResult::ShowUsage;
    }
    match with_bot(|bot| bot.calls.find(&args.argv[3])).flatten() {
        Some(call) => args.print(&live::format_call(&call)),
        None => args.print(&format!("No MiniBot call on {}\n", args.argv[3])),
    }
    CliResult::Success
}

fn show_metrics(args: &CliArgs) -> CliResult {
    if args.argv.len() != 3 {
        return CliResult::ShowUsage;
    }
    let mut text = METRICS.report();
    if let Some(intents) = with_bot(|bot| bot.intents.clone()) {
        text += &intents.report();
    }
    let heap = crate::ast::heap::heap();
    text += &format!("heap: {:.1} MiB in use, {:.1} MiB held by the allocator\n", heap.in_use as f64 / 1048576.0, heap.held as f64 / 1048576.0);
    if let Some(Some(engine)) = with_bot(|bot| bot.asr.clone()) {
        let (in_use, live) = engine.recognizers();
        text += &format!(
            "ASR: mode {:?}, warm recognizers {:?}, in use {in_use}, alive {live}, workers {}, queue drops {}, rebuilt {}\n",
            engine.mode(),
            engine.idle_counts(),
            engine.active_workers(),
            engine.queue_drops(),
            engine.rebuilds()
        );
    }
    args.print(&text);
    CliResult::Success
}

fn show_db(args: &CliArgs) -> CliResult {
    if args.argv.len() != 3 {
        return CliResult::ShowUsage;
    }
    let text = match with_bot(|bot| bot.store.clone()).flatten() {
        Some(store) => store.report(),
        None => "Database: none configured ([database] url in minibot.conf)\n".into(),
    };
    args.print(&text);
    CliResult::Success
}

fn db_migrate(args: &CliArgs) -> CliResult {
    if args.argv.len() != 3 {
        return CliResult::ShowUsage;
    }
    let Some((url, verify)) = with_bot(|bot| (bot.settings.database.url.clone(), bot.settings.database.tls_verify)).filter(|(u, _)| !u.is_empty()) else {
        args.print("Database: none configured\n");
        return CliResult::Success;
    };
    // The CLI's own thread: a blocking connection is fine here, never on a channel.
    match crate::store::connect(&url, verify) {
        Ok(_) => args.print("Database schema is up to date\n"),
        Err(e) => args.print(&format!("Migration failed: {e}\n")),
    }
    CliResult::Success
}

fn test_panic(_args: &CliArgs) -> CliResult {
    panic!("test panic requested from the CLI");
}
