//! The `minibot ...` CLI commands.

use crate::ast::cli::{self, CliArgs, CliCommand, CliResult};
use crate::module::with_bot;
use crate::obs::format_uptime;

pub fn commands(test_hooks: bool) -> Vec<CliCommand> {
    let mut commands = vec![
        CliCommand {
            command: "minibot show status",
            summary: "Show MiniBot's state, settings and call counters",
            usage: "Usage: minibot show status\n       Shows uptime, configuration in force and call counters.\n",
            handler: show_status,
        },
        CliCommand {
            command: "minibot show version",
            summary: "Show the MiniBot module version",
            usage: "Usage: minibot show version\n       Shows the module version, its git revision and the Asterisk version.\n",
            handler: show_version,
        },
    ];
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

pub fn register(commands: Vec<CliCommand>) -> Result<(), String> {
    cli::register(commands)
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

fn test_panic(_args: &CliArgs) -> CliResult {
    panic!("test panic requested from the CLI");
}
