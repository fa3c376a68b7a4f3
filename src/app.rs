//! The dialplan application `MiniBot(campaign[,options])`.
//!
//! For now it answers, checks its arguments and the module settings, logs the campaign and sets
//! MINIBOTSTATUS; the media path (audiohook, VAD, ASR) and the scenario plug in here.

use crate::ast::app::{self, AppExit, Application};
use crate::ast::channel::Channel;
use crate::call::{parse_args, CallStatus};
use crate::module::with_bot;
use std::ffi::CStr;

pub const STATUS_VARIABLE: &str = "MINIBOTSTATUS";

pub struct MiniBot;

impl Application for MiniBot {
    const NAME: &'static CStr = c"MiniBot";
    const SYNOPSIS: &'static CStr = c"Run a MiniBot qualification call for a campaign.";
    const DESCRIPTION: &'static CStr = c"MiniBot(campaign[,options])\n\
  campaign: the campaign whose scenario the bot plays (letters, digits, '_', '-', '.').\n\
  options:\n\
    n - do not answer the channel first.\n\
The bot listens to the callee (VAD + speech recognition with barge-in), plays the campaign's\n\
scenario and stores the outcome. Configuration: minibot.conf.\n\
On return, MINIBOTSTATUS is one of:\n\
  SUCCESS    - the call ran to its end\n\
  NOCAMPAIGN - no campaign or an invalid campaign name was given\n\
  DISABLED   - the module is disabled in minibot.conf\n\
  HANGUP     - the callee hung up\n\
  ERROR      - an internal error occurred (see the log)\n";

    fn exec(channel: &Channel, data: &str) -> AppExit {
        let Some((settings, stats)) = with_bot(|bot| (bot.settings.clone(), bot.stats.clone())) else {
            channel.set_variable(STATUS_VARIABLE, CallStatus::Error.as_str());
            return AppExit::Continue;
        };
        let mut call = stats.call_started();
        let status = run(channel, data, settings.enabled);
        call.set_status(status);
        channel.set_variable(STATUS_VARIABLE, status.as_str());
        log::info!("MiniBot on {} ended with {STATUS_VARIABLE}={status}", channel.name());
        match status {
            CallStatus::Hangup => AppExit::Hangup,
            _ => AppExit::Continue,
        }
    }

    fn on_panic(channel: &Channel) {
        channel.set_variable(STATUS_VARIABLE, CallStatus::Error.as_str());
    }
}

fn run(channel: &Channel, data: &str, enabled: bool) -> CallStatus {
    let args = match parse_args(data) {
        Ok(args) => args,
        Err(problem) => {
            log::warn!("MiniBot on {}: {problem}", channel.name());
            return problem.status();
        }
    };
    if !enabled {
        log::warn!("MiniBot on {}: module disabled in minibot.conf, campaign '{}' not run", channel.name(), args.campaign);
        return CallStatus::Disabled;
    }
    if !args.options.no_answer && channel.answer().is_err() {
        return CallStatus::Hangup;
    }
    log::info!("MiniBot on {} (uniqueid {}): campaign '{}'", channel.name(), channel.unique_id(), args.campaign);
    if channel.is_hung_up() {
        return CallStatus::Hangup;
    }
    CallStatus::Success
}

pub fn register() -> Result<(), String> {
    app::register::<MiniBot>()
}

pub fn unregister() {
    app::unregister::<MiniBot>()
}
