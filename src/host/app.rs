//! The dialplan application `MiniBot(campaign[,options])`: the call's loop, in the manner of
//! app_speech_utils' SpeechBackground. It plays the scenario's prompts while an audiohook feeds
//! the callee's audio through VAD and the recognizer; speech stops the prompt (barge-in).

use crate::amd::{AsteriskAmd, MachineDetector, Verdict};
use crate::ast::app::{self, AppExit, Application};
use crate::ast::audiohook::{AudioHook, AudioSink, Direction};
use crate::ast::channel::{Channel, Input as ChannelInput};
use crate::ast::manager;
use crate::call::controller::{Action, CallEvent, Controller, Input, Phase};
use crate::call::live::LiveCall;
use crate::call::media::{MediaEvent, MediaPipeline, MediaState};
use crate::call::parse_args;
use crate::host::state::{current, with_bot, Bot};
use crate::nlp::service::{Pending, Understood};
use crate::obs::metrics::METRICS;
use crate::qualify::Qualification;
use crate::recording::Tap;
use crate::scenario::Scenario;
use crate::domain::{CallStatus, Outcome, Turn};
use crossbeam_channel::{unbounded, Receiver};
use std::collections::VecDeque;
use std::ffi::CStr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

pub const STATUS_VARIABLE: &str = "MINIBOTSTATUS";

/// Longest wait on the channel per loop turn: the controller's timers tick at least this often.
const WAIT_MS: i32 = 20;

pub struct MiniBot;

impl Application for MiniBot {
    const NAME: &'static CStr = c"MiniBot";
    const SYNOPSIS: &'static CStr = c"Run a MiniBot qualification call for a campaign.";
    const DESCRIPTION: &'static CStr = c"MiniBot(campaign[,options])\n\
  campaign: the campaign whose scenario the bot plays (letters, digits, '_', '-', '.'),\n\
            a section of minibot_scenarios.conf.\n\
  options:\n\
    n - do not answer the channel first.\n\
The bot listens to the callee (VAD + speech recognition with barge-in), plays the campaign's\n\
scenario and stores the outcome. Configuration: minibot.conf, minibot_scenarios.conf.\n\
On return, MINIBOTSTATUS is one of:\n\
  SUCCESS    - the call ran to its end\n\
  NOCAMPAIGN - no campaign, an invalid name, or no scenario for it\n\
  DISABLED   - the module is disabled in minibot.conf\n\
  HANGUP     - the callee hung up\n\
  ERROR      - an internal error occurred (see the log)\n";

    fn exec(channel: &Channel, data: &str) -> AppExit {
        let Some(stats) = with_bot(|bot| bot.stats.clone()) else {
            channel.set_variable(STATUS_VARIABLE, CallStatus::Error.as_str());
            return AppExit::Continue;
        };
        let mut call = stats.call_started();
        let status = run(channel, data);
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

/// TEST FIXTURE (test_hooks = yes only): `MINIBOT_TEST_TRANSCRIPTS`, '|'-separated, replaces the
/// recognizer's final text turn by turn. No French Vosk model can be fetched on the test
/// machines; speech detection and recognition still run for real, only the words are supplied.
const TEST_TRANSCRIPTS_VARIABLE: &str = "MINIBOT_TEST_TRANSCRIPTS";

fn run(channel: &Channel, data: &str) -> CallStatus {
    let args = match parse_args(data) {
        Ok(args) => args,
        Err(problem) => {
            log::warn!("MiniBot on {}: {problem}", channel.name());
            return problem.status();
        }
    };
    // The snapshot of the module's state this call runs with (a reload affects later calls only).
    let Some(bot) = current() else { return CallStatus::Error };
    if !bot.settings.enabled {
        log::warn!("MiniBot on {}: module disabled in minibot.conf, campaign '{}' not run", channel.name(), args.campaign);
        return CallStatus::Disabled;
    }
    let Some(scenario) = bot.scenarios.get(&args.campaign).cloned() else {
        log::warn!("MiniBot on {}: no scenario for campaign '{}' in minibot_scenarios.conf", channel.name(), args.campaign);
        return CallStatus::NoCampaign;
    };
    if !args.options.no_answer && channel.answer().is_err() {
        return CallStatus::Hangup;
    }
    let phone = callee_number(channel, &bot.settings.default_country);
    let shown = phone.as_deref().map_or_else(|| "unknown".to_string(), crate::phone::mask);
    log::info!("MiniBot on {} (uniqueid {}): campaign '{}', callee {shown}", channel.name(), channel.unique_id(), args.campaign);
    converse(channel, &args.campaign, phone, scenario, &bot)
}

/// Where the dialer (or the dialplan) puts the callee's number.
pub const PHONE_VARIABLE: &str = "MINIBOT_PHONE";
/// Where the dialer puts the contact's time zone (callbacks are read in it).
pub const ZONE_VARIABLE: &str = "MINIBOT_TZ";

/// The callee's number in E.164: MINIBOT_PHONE, else the connected line, else the number dialed.
fn callee_number(channel: &Channel, default_country: &str) -> Option<String> {
    let variable = channel.variable(PHONE_VARIABLE);
    let (connected, dialed) = channel.party_numbers();
    let sources = [(PHONE_VARIABLE, variable.as_str()), ("connected line", connected.as_str()), ("dialed number", dialed.as_str())];
    let (number, problems) = crate::call::callee_number(&sources, default_country);
    for problem in problems {
        log::warn!("MiniBot on {}: {problem}", channel.name());
    }
    number
}

/// Feeds the audiohook's frames to the media pipeline, and a copy to the call's recording.
struct Sink(MediaPipeline, Option<Tap>);

impl AudioSink for Sink {
    fn frame(&mut self, direction: Direction, samples: &[i16], sample_rate: u32) {
        if let Some(tap) = &self.1 {
            tap.frame(direction == Direction::Read, samples, sample_rate);
        }
        match direction {
            Direction::Read => self.0.on_read(samples, sample_rate),
            Direction::Write => self.0.on_write(samples, sample_rate),
        }
    }
}

/// The call's recording, when its campaign records and the node allows it (None otherwise, or
/// when the recorder cannot start: the call goes on unrecorded).
fn start_recording(channel: &Channel, campaign: &str, scenario: &Scenario, rate: u32, bot: &Bot) -> Option<Tap> {
    if !(bot.settings.recording_enabled && scenario.record) {
        return None;
    }
    let date = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let path = crate::recording::path_for(bot.recorder.dir(), campaign, &date, &channel.unique_id());
    bot.recorder.start(path, rate).map_err(|reason| log::error!("MiniBot on {}: {reason}; not recorded", channel.name())).ok()
}

/// A call inside MiniBot(): media wired to the channel, the conversation, then its result.
fn converse(channel: &Channel, campaign: &str, phone: Option<String>, scenario: Arc<Scenario>, bot: &Bot) -> CallStatus {
    let native_rate = channel.native_read_rate();
    // The audiohook sees native-rate frames whatever the read format; reading slin16 spares a
    // translation on a 16 kHz channel. The caller's read format is restored on return.
    let _read_format = channel.keep_read_format();
    if native_rate == 16000 && !channel.set_read_slin16() {
        log::warn!("MiniBot on {}: cannot read slin16", channel.name());
    }
    let answered_at_ms = unix_ms();
    let mut call = CallInfo { channel, campaign, phone, answered_at_ms, bot, recording: None };
    // Nothing is recorded before the callee has heard the notice (below).
    let Some(media) = start_media(channel, native_rate, bot) else {
        // Every answered call leaves its row, even one gone before the bot could listen.
        let (status, outcome) = if channel.is_hung_up() { (CallStatus::Hangup, Outcome::HangupEarly) } else { (CallStatus::Error, Outcome::Failed) };
        store_result(&call, &CallResult { status, outcome, qualification: Qualification::none(), callback: None, turns: &[], machine: None });
        return status;
    };
    let registered = bot.calls.add(channel.name(), campaign.to_string(), call.phone.clone(), media.state.clone());
    let live = registered.call.clone();
    live.view.lock().rate = native_rate;
    event(channel, "MiniBotCall", &[("State", "started".into()), ("Uniqueid", channel.unique_id()), ("Campaign", campaign.into()), ("Rate", native_rate.to_string()),
        ("Format", channel.native_read_format_name()), ("Asr", if media.asr_enabled { "yes" } else { "no" }.into()),
        ("Phone", call.phone.as_deref().map_or_else(String::new, crate::phone::mask))]);
    let controller = Controller::new(scenario.clone(), media.asr_enabled, Instant::now()).with_limits(bot.settings.limits);
    // Answering machines: AMD()'s verdict (when the dialplan ran it) weighed with our own evidence.
    let amd = AsteriskAmd::from_variables(&channel.variable("AMDSTATUS"), &channel.variable("AMDCAUSE"));
    let had_amd = amd.is_some();
    let mut machine = Machine { detector: MachineDetector::new(bot.settings.amd, amd), started: Instant::now() };
    let first = if machine.detector.wait_first() { wait_for_machine_evidence(channel, &media, &mut machine) } else { Some(Verdict::Human) };
    let (status, outcome, controller) = match first {
        None => (CallStatus::Hangup, Outcome::HangupEarly, controller),
        Some(Verdict::Machine) => (CallStatus::Success, Outcome::AnsweringMachine, controller),
        Some(Verdict::Human) => match recording_notice(&scenario, bot) {
            Some(notice) if !play_notice(channel, &media, notice) => (CallStatus::Hangup, Outcome::HangupEarly, controller),
            notice => {
                if notice.is_some() {
                    // Told: from now on the call is recorded (a machine's greeting never is).
                    let tap = start_recording(channel, campaign, &scenario, crate::audio::processing_rate(native_rate), bot);
                    media.hook.with_sink(|sink| sink.1 = tap);
                }
                run_conversation(channel, bot, &live, controller, &media, &mut machine)
            }
        },
    };
    if outcome == Outcome::AnsweringMachine && status != CallStatus::Hangup {
        if let crate::campaign::MachineAction::LeaveMessage(prompt) = &scenario.dialing.on_machine {
            live.view.lock().phase = "leaving a message";
            leave_message(channel, &media, &mut machine, prompt, bot.settings.amd);
        }
    }
    // The recording's path goes in the record unless its file could not be created (the writer
    // closes it once the hook is gone).
    call.recording = media.hook.with_sink(|sink| sink.1.as_ref().filter(|t| t.has_file()).map(|t| t.path().to_string_lossy().into_owned()));
    // Removing the hook drops the pipeline, whose recognizer session ends its worker, and the
    // recording's tap, which closes the file.
    drop(media);
    let is_machine = outcome == Outcome::AnsweringMachine;
    let verdict = (had_amd || is_machine).then(|| machine.detector.describe(is_machine));
    if had_amd || is_machine {
        let (verdict, evidence) = machine.detector.evidence(is_machine);
        crate::obs::prom::RECORDED.amd_verdicts.inc(&[verdict, evidence]);
    }
    if let Some(v) = &verdict {
        log::info!("MiniBot on {}: {v}", channel.name());
    }
    live.view.lock().phase = "qualifying";
    conclude(&call, &scenario, status, outcome, &controller, verdict);
    status
}

/// The answering-machine detector and the time it counts from.
struct Machine {
    detector: MachineDetector,
    started: Instant,
}

impl Machine {
    fn ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn ms_at(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.started).as_millis() as u64
    }

    /// What the media reports, as evidence, at the time the media saw it (not when it is read).
    fn observe(&mut self, event: &MediaEvent) {
        match event {
            MediaEvent::SpeechStarted { confirmed_at, onset_ms, .. } => self.detector.speech_started(self.ms_at(*confirmed_at).saturating_sub(*onset_ms)),
            MediaEvent::SpeechEnded { at, .. } => self.detector.speech_ended(self.ms_at(*at)),
            MediaEvent::Beep(hz) => self.detector.beep(self.ms(), *hz),
            MediaEvent::Rate(_) => {}
        }
    }
}

/// AMD() heard a machine: the bot holds its first prompt and listens for a beep, the end of a
/// greeting, or a person's short "allô ?". None: the callee hung up.
fn wait_for_machine_evidence(channel: &Channel, media: &Media, machine: &mut Machine) -> Option<Verdict> {
    loop {
        if let ChannelInput::HungUp = channel.wait(WAIT_MS) {
            return None;
        }
        media.hook.with_sink(|sink| sink.0.tick(Instant::now()));
        for event in media.events.try_iter() {
            machine.observe(&event);
        }
        for _ in media.recognized.try_iter() {} // the greeting's words are not answers
        if let Some(verdict) = machine.detector.while_waiting(machine.ms()) {
            return Some(verdict);
        }
    }
}

/// Leaves the campaign's message on a machine: after the beep (or once the greeting has ended),
/// played in full, then the call ends.
fn leave_message(channel: &Channel, media: &Media, machine: &mut Machine, prompt: &str, config: crate::amd::AmdConfig) {
    let deadline = Instant::now() + std::time::Duration::from_millis(u64::from(config.max_wait_ms));
    let mut quiet_since = (!media.state.speaking.load(Ordering::Relaxed)).then(Instant::now);
    while !machine.detector.beep_heard() && Instant::now() < deadline {
        if let ChannelInput::HungUp = channel.wait(WAIT_MS) {
            return;
        }
        media.hook.with_sink(|sink| sink.0.tick(Instant::now()));
        for event in media.events.try_iter() {
            match event {
                MediaEvent::SpeechStarted { .. } => quiet_since = None,
                MediaEvent::SpeechEnded { .. } => quiet_since = Some(Instant::now()),
                _ => {}
            }
            machine.observe(&event);
        }
        if quiet_since.is_some_and(|t| t.elapsed().as_millis() as u32 >= config.silence_ms) {
            break;
        }
    }
    event(channel, "MiniBotMessage", &[("File", prompt.to_string()), ("AfterBeep", if machine.detector.beep_heard() { "yes" } else { "no" }.into())]);
    if let Err(reason) = channel.start_playback(prompt) {
        log::error!("MiniBot on {}: {reason}", channel.name());
        return;
    }
    while channel.is_playing() {
        if let ChannelInput::HungUp = channel.wait(WAIT_MS) {
            break;
        }
    }
    channel.stop_playback();
}

/// The legal notice to play before the first question: the campaign's, when its calls are
/// recorded on this node (a recording campaign always has one: checked at load).
fn recording_notice<'a>(scenario: &'a Scenario, bot: &Bot) -> Option<&'a str> {
    scenario.recording_notice.as_deref().filter(|_| bot.settings.recording_enabled && scenario.record)
}

/// The callee refused the recording: it stops and its file is deleted; the record names none.
fn stop_recording(channel: &Channel, media: &Media) {
    if let Some(tap) = media.hook.with_sink(|sink| sink.1.take()) {
        tap.discard();
        event(channel, "MiniBotRecording", &[("State", "deleted".into()), ("Reason", "objection".into())]);
    }
}

/// Plays the recording notice in full (the callee is told before anything else is said; what
/// they say meanwhile is not an answer). False: the callee hung up.
fn play_notice(channel: &Channel, media: &Media, notice: &str) -> bool {
    event(channel, "MiniBotPrompt", &[("Step", "recording_notice".into()), ("File", notice.to_string()), ("State", "started".into())]);
    if let Err(reason) = channel.start_playback(notice) {
        log::error!("MiniBot on {}: recording notice: {reason}", channel.name());
        return !channel.is_hung_up();
    }
    let mut hung_up = false;
    while channel.is_playing() {
        if let ChannelInput::HungUp = channel.wait(WAIT_MS) {
            hung_up = true;
            break;
        }
        media.hook.with_sink(|sink| sink.0.tick(Instant::now()));
        for _ in media.events.try_iter() {}
        for _ in media.recognized.try_iter() {}
    }
    channel.stop_playback();
    !hung_up
}

/// What identifies a call in its record.
struct CallInfo<'a> {
    channel: &'a Channel,
    campaign: &'a str,
    phone: Option<String>,
    answered_at_ms: i64,
    bot: &'a Bot,
    /// The recording's path, once it is known to have been written.
    recording: Option<String>,
}

/// The call's media: the audiohook feeding VAD and the recognizer, and what comes back.
struct Media {
    hook: AudioHook<Sink>,
    events: Receiver<MediaEvent>,
    recognized: Receiver<crate::asr::AsrEvent>,
    state: Arc<MediaState>,
    asr_enabled: bool,
}

fn start_media(channel: &Channel, native_rate: u32, bot: &Bot) -> Option<Media> {
    let rate = crate::audio::processing_rate(native_rate);
    let (media_tx, events) = unbounded();
    let (asr_tx, recognized) = unbounded();
    let asr = bot.asr.as_ref().and_then(|engine| {
        engine.session(rate, asr_tx).map_err(|reason| log::error!("MiniBot on {}: {reason}; continuing without ASR", channel.name())).ok()
    });
    let asr_enabled = asr.is_some();
    let state = Arc::new(MediaState::default());
    let pipeline = MediaPipeline::new(bot.settings.vad, rate, asr, media_tx, state.clone());
    // No recording tap yet: it is added once the notice has played.
    match AudioHook::attach(channel, c"MiniBot", Sink(pipeline, None)) {
        Ok(hook) => Some(Media { hook, events, recognized, state, asr_enabled }),
        Err(reason) => {
            log::warn!("MiniBot on {}: {reason}", channel.name());
            None
        }
    }
}

/// TEST FIXTURE (test_hooks = yes only): the recognizer's final texts, turn by turn.
fn fixture_transcripts(channel: &Channel, bot: &Bot) -> VecDeque<String> {
    if !bot.test_hooks {
        return VecDeque::new();
    }
    let value = channel.variable(TEST_TRANSCRIPTS_VARIABLE);
    if !value.is_empty() {
        log::warn!("MiniBot on {}: TEST FIXTURE {TEST_TRANSCRIPTS_VARIABLE} supplies the recognizer's text", channel.name());
    }
    value.split('|').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

/// The conversation's loop: applies the controller's actions to the channel, and feeds it what
/// the channel, the media and the intent service report, until the scenario or the callee ends it.
fn run_conversation(
    channel: &Channel,
    bot: &Bot,
    live: &LiveCall,
    mut controller: Controller,
    media: &Media,
    machine: &mut Machine,
) -> (CallStatus, Outcome, Controller) {
    let mut fixture = fixture_transcripts(channel, bot);
    let mut understanding: Vec<(u64, Pending)> = Vec::new();
    let mut outcome = Outcome::Failed;
    let mut pending = controller.start(Instant::now());
    update_view(live, &controller);
    let mut playing = false;
    let mut hung_up = false;
    let mut machine_detected = false;
    // When the callee's last turn ended, and which tier understood it, for the reaction histogram.
    let mut speech_ended_at: Option<Instant> = None;
    let mut last_tier: &'static str = "none";
    let mut status = None;
    while status.is_none() {
        let mut follow_up = Vec::new();
        for action in std::mem::take(&mut pending) {
            match action {
                Action::Play(file) => match (channel.start_playback(&file), speech_ended_at.take()) {
                    (Ok(()), ended) => {
                        playing = true;
                        // The callee's answer ended, the bot speaks again: the reaction the callee hears.
                        if let Some(ended) = ended {
                            crate::obs::prom::RECORDED.reaction.observe(&[last_tier], ended.elapsed().as_secs_f64());
                        }
                    }
                    (Err(reason), _) => {
                        log::error!("MiniBot on {}: {reason}", channel.name());
                        playing = false;
                    }
                },
                Action::StopPrompt => {
                    channel.stop_playback();
                    playing = false;
                }
                Action::Event(e) => emit(channel, live, e),
                Action::StopRecording => stop_recording(channel, media),
                Action::Classify { turn, text, context } => match bot.intents.understand(&context, &text) {
                    Understood::Ready { classification, tier, latency } => {
                        last_tier = tier.as_str();
                        follow_up.extend(controller.handle(Input::Classified { turn, classification, tier, latency }, Instant::now()));
                    }
                    Understood::Pending(waiting) => understanding.push((turn, waiting)),
                },
                Action::End { status: s, outcome: o } => {
                    status = Some(s);
                    outcome = o;
                }
            }
        }
        // Classify answered at once can end the call or start a prompt: apply before waiting.
        if !follow_up.is_empty() && status.is_none() {
            pending = follow_up;
            continue;
        }
        if status.is_some() {
            break;
        }
        let mut inputs = Vec::new();
        if hung_up {
            // The callee is gone but their last turn is still being understood: the channel has
            // nothing more to say, the media and the intent service do.
            std::thread::sleep(std::time::Duration::from_millis(WAIT_MS as u64));
        } else {
            match channel.wait(WAIT_MS) {
                ChannelInput::HungUp => {
                    log::debug!("MiniBot on {}: channel hung up", channel.name());
                    hung_up = true;
                    playing = false;
                    inputs.push(Input::HungUp)
                }
                ChannelInput::Dtmf(digit) => inputs.push(Input::Dtmf(digit)),
                ChannelInput::Timeout | ChannelInput::Frame => {}
            }
        }
        media.hook.with_sink(|sink| sink.0.tick(Instant::now()));
        if hung_up {
            // Nothing plays any more.
        } else if controller.phase() == Phase::Responding && !playing {
            inputs.push(Input::PromptFailed);
        } else if playing && !channel.is_playing() {
            channel.stop_playback();
            playing = false;
            inputs.push(Input::PromptFinished);
        }
        for event in media.events.try_iter() {
            machine.observe(&event);
            match event {
                MediaEvent::SpeechStarted { confirmed_at, .. } => inputs.push(Input::SpeechStarted { confirmed_at }),
                MediaEvent::SpeechEnded { at, .. } => {
                    // Only an answer the bot waits for: not speech over a prompt it did not stop.
                    if controller.phase() != Phase::Responding {
                        speech_ended_at = Some(at);
                        last_tier = "none"; // until the turn is understood
                    }
                    inputs.push(Input::SpeechEnded)
                }
                MediaEvent::Rate(r) => live.view.lock().rate = r,
                MediaEvent::Beep(_) => {}
            }
        }
        if !machine_detected && machine.detector.during_call(machine.ms()) == Some(Verdict::Machine) {
            machine_detected = true;
            inputs.push(Input::MachineDetected);
        }
        for result in media.recognized.try_iter() {
            inputs.push(recognizer_input(channel, result, &mut fixture));
        }
        // Each turn's intent, as it comes (a late turn's and a new one's may both be awaited).
        understanding.retain(|(turn, waiting)| match bot.intents.poll(waiting, Instant::now()) {
            Some((classification, tier, latency)) => {
                last_tier = tier.as_str();
                inputs.push(Input::Classified { turn: *turn, classification, tier, latency });
                false
            }
            None => true,
        });
        inputs.push(Input::Tick);
        // After the wait: a barge-in's stop delay runs from the onset decision to now.
        let now = Instant::now();
        for input in inputs {
            pending.extend(controller.handle(input, now));
        }
        update_view(live, &controller);
    }
    if playing {
        channel.stop_playback();
    }
    (status.unwrap_or(CallStatus::Error), outcome, controller)
}

fn recognizer_input(channel: &Channel, result: crate::asr::AsrEvent, fixture: &mut VecDeque<String>) -> Input {
    match result {
        crate::asr::AsrEvent::Partial { text } => Input::Partial(text),
        crate::asr::AsrEvent::Final { text, latency } => {
            // One fixture line per speech turn, whatever the (Korean) model made of it.
            let text = fixture.pop_front().unwrap_or(text);
            Input::Final { text, latency }
        }
        crate::asr::AsrEvent::Failed { reason } => {
            log::error!("MiniBot on {}: speech recognition failed ({reason}); the call goes on with DTMF only", channel.name());
            Input::AsrFailed(reason)
        }
    }
}

/// The call's result: scored by the campaign's rules, then handed to the dialplan (variables),
/// the store and AMI.
fn conclude(call: &CallInfo, scenario: &Scenario, status: CallStatus, outcome: Outcome, controller: &Controller, machine: Option<String>) {
    let turns = controller.turns();
    let qualification = crate::qualify::qualify(turns, outcome, &scenario.scoring);
    let channel = call.channel;
    // One clock: the contact's zone (the dialer's MINIBOT_TZ), else the campaign's.
    let zone = channel.variable(ZONE_VARIABLE).parse::<chrono_tz::Tz>().unwrap_or(scenario.dialing.timezone);
    let local_now = crate::nlp::when::LocalNow::at(chrono::Utc::now(), zone);
    let callback = (outcome == Outcome::Callback).then(|| controller.callback_text().map(|t| crate::nlp::when::parse_callback(t, local_now))).flatten();
    channel.set_variable("MINIBOTOUTCOME", outcome.as_str());
    channel.set_variable("MINIBOTSCORE", &qualification.score.to_string());
    channel.set_variable("MINIBOTLEAD", &qualification.class);
    let mut fields = vec![
        ("Campaign", call.campaign.to_string()),
        ("Outcome", outcome.as_str().into()),
        ("Score", qualification.score.to_string()),
        ("Lead", qualification.class.clone()),
        ("Reasons", qualification.reasons.join("; ")),
        ("Turns", turns.len().to_string()),
    ];
    if let Some(when) = callback {
        fields.push(("Callback", when.describe()));
    }
    if let Some(verdict) = &machine {
        fields.push(("Machine", verdict.clone()));
    }
    crate::obs::prom::RECORDED.calls_ended.inc(&[outcome.as_str(), status.as_str()]);
    crate::obs::prom::RECORDED.leads.inc(&[&qualification.class]);
    store_result(call, &CallResult { status, outcome, qualification, callback, turns, machine });
    event(channel, "MiniBotResult", &fields);
    event(channel, "MiniBotCall", &[("State", "ended".into()), ("Campaign", call.campaign.into()), ("Status", status.as_str().into()),
        ("Outcome", outcome.as_str().into()), ("Turns", turns.len().to_string())]);
}

/// How a call ended, for its record.
struct CallResult<'a> {
    status: CallStatus,
    outcome: Outcome,
    qualification: Qualification,
    callback: Option<crate::nlp::when::When>,
    turns: &'a [Turn],
    /// The answering-machine verdict and what decided it (calls where AMD ran or a machine answered).
    machine: Option<String>,
}

/// Hands the call's record to the store's threads: no SQL on the channel thread.
fn store_result(call: &CallInfo, result: &CallResult) {
    let channel = call.channel;
    let record = crate::store::record::CallRecord {
        key: format!("{}/{}", call.bot.settings.node, channel.unique_id()),
        uniqueid: channel.unique_id(),
        channel: channel.name(),
        campaign: call.campaign.to_string(),
        phone: call.phone.clone(),
        answered_at_ms: call.answered_at_ms,
        ended_at_ms: unix_ms(),
        status: result.status.as_str().into(),
        outcome: result.outcome.as_str().into(),
        score: result.qualification.score as i32,
        lead_class: result.qualification.class.clone(),
        reasons: result.qualification.reasons.clone(),
        callback_when: result.callback.map(|w| w.describe()),
        amd_verdict: result.machine.clone(),
        recording: call.recording.clone(),
        dial: None,
        turns: result.turns.iter().map(turn_record).collect(),
    };
    // A call the campaign dialer placed gets what its contact's queue row becomes.
    let record = match &call.bot.dialer {
        Some(dialer) => dialer.hand_over(&channel.unique_id(), record, result.callback),
        None => record,
    };
    if let Some(store) = &call.bot.store {
        store.submit(record);
    }
}

fn unix_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

fn turn_record(t: &Turn) -> crate::store::record::TurnRecord {
    crate::store::record::TurnRecord {
        step: t.step.clone(),
        question: t.question.clone(),
        text: t.text.clone(),
        intent: t.intent.map(|i| i.as_str().to_string()),
        confidence: t.intent.map(|_| t.confidence),
        entities: t.entities.clone(),
        sentiment: t.sentiment.map(|s| s.as_str().to_string()),
        tier: t.tier.map(|x| x.as_str().to_string()),
        asr_ms: t.intent.map(|_| t.asr_ms as f32),
        intent_ms: t.intent.map(|_| t.intent_ms as f32),
        barge_in: t.barged_in,
        dtmf: t.dtmf.map(|d| d.to_string()),
        no_input: t.no_input,
        at_ms: t.at_ms as i64,
    }
}

fn update_view(live: &LiveCall, controller: &Controller) {
    let mut view = live.view.lock();
    view.phase = controller.state_label();
    if view.step != controller.step() {
        view.step = controller.step().to_string();
    }
    if view.last_partial != controller.last_partial() {
        view.last_partial = controller.last_partial().to_string();
    }
    if view.turns.len() != controller.turns().len() {
        view.turns = controller.turns().to_vec();
    }
}

/// An AMI event, and the same as a line of the per-call JSON log (without transcripts); values
/// have their phone numbers masked (AMI and logs reach dashboards and other people's disks).
fn event(channel: &Channel, name: &str, fields: &[(&str, String)]) {
    let masked: Vec<(&str, String)> = fields.iter().map(|(k, v)| (*k, crate::phone::mask_in_text(v))).collect();
    let short = name.strip_prefix("MiniBot").unwrap_or(name).to_lowercase();
    crate::obs::calllog::event(&channel.unique_id(), &short, &masked);
    // Every AMI event names its call: with calls in parallel, a supervisor (or a test's callee)
    // tells them apart by the channel's uniqueid (the channel's name carries the number).
    let mut ami = masked;
    if !ami.iter().any(|(k, _)| *k == "Uniqueid") {
        ami.insert(0, ("Uniqueid", channel.unique_id()));
    }
    manager::call_event(channel, name, &ami);
}

/// Sends a controller event to AMI (and keeps the live view's counters).
fn emit(channel: &Channel, live: &LiveCall, e: CallEvent) {
    let ms = |v: f64| format!("{v:.1}");
    match e {
        CallEvent::StepEntered { step } => event(channel, "MiniBotStep", &[("Step", step)]),
        CallEvent::PromptStarted { step, file } => {
            event(channel, "MiniBotPrompt", &[("Step", step), ("File", file), ("State", "started".into())])
        }
        CallEvent::PromptFinished { step, file, played_ms } => event(
            channel,
            "MiniBotPrompt",
            &[("Step", step), ("File", file), ("State", "finished".into()), ("PlayedMs", played_ms.to_string())],
        ),
        CallEvent::BargeIn { step, file, played_ms, stop_delay_ms, by } => {
            METRICS.barge_in_stop_ms.record(stop_delay_ms);
            crate::obs::prom::RECORDED.barge_ins.inc(&[by]);
            live.view.lock().barge_ins += 1;
            event(
                channel,
                "MiniBotBargeIn",
                &[("Step", step), ("File", file), ("PlayedMs", played_ms.to_string()), ("StopDelayMs", ms(stop_delay_ms)), ("By", by.into())],
            )
        }
        CallEvent::SpeechStarted { step } => event(channel, "MiniBotSpeech", &[("Step", step), ("State", "started".into())]),
        CallEvent::SpeechEnded { step } => event(channel, "MiniBotSpeech", &[("Step", step), ("State", "ended".into())]),
        CallEvent::Partial { step, text } => event(channel, "MiniBotPartial", &[("Step", step), ("Text", text)]),
        CallEvent::Final { step, text, latency_ms } => {
            event(channel, "MiniBotFinal", &[("Step", step), ("Text", text), ("LatencyMs", ms(latency_ms))])
        }
        CallEvent::NoInput { step, waited_ms } => event(channel, "MiniBotNoInput", &[("Step", step), ("WaitedMs", waited_ms.to_string())]),
        CallEvent::Intent { step, intent, confidence, tier, latency_ms, entities, sentiment } => event(
            channel,
            "MiniBotIntent",
            &[
                ("Step", step),
                ("Intent", intent.as_str().into()),
                ("Confidence", format!("{confidence:.2}")),
                ("Tier", tier.as_str().into()),
                ("LatencyMs", ms(latency_ms)),
                ("Entities", entities.join(",")),
                ("Sentiment", sentiment.as_str().into()),
            ],
        ),
        CallEvent::Reprompt { step, count } => event(channel, "MiniBotReprompt", &[("Step", step), ("Count", count.to_string())]),
        CallEvent::Dtmf { step, digit } => event(channel, "MiniBotDtmf", &[("Step", step), ("Digit", digit.to_string())]),
        CallEvent::AsrFailed { step, reason } => {
            METRICS.asr_failures.fetch_add(1, Ordering::Relaxed);
            event(channel, "MiniBotAsrFailed", &[("Step", step), ("Reason", reason)])
        }
        CallEvent::LateResult { step, intent, how } => {
            crate::obs::prom::RECORDED.late_results.inc(&[how]);
            log::info!("MiniBot on {}: a late {intent} at step {step} counted ({how})", channel.name());
            event(channel, "MiniBotLateResult", &[("Step", step), ("Intent", intent.as_str().into()), ("How", how.into())])
        }
        CallEvent::Limit { step, limit, waited_ms } => {
            match limit {
                "max_duration" => METRICS.max_duration_ends.fetch_add(1, Ordering::Relaxed),
                "processing_timeout" => METRICS.processing_timeouts.fetch_add(1, Ordering::Relaxed),
                _ => 0,
            };
            log::warn!("MiniBot on {}: {limit} reached at step {step} after {waited_ms} ms", channel.name());
            event(channel, "MiniBotLimit", &[("Step", step), ("Limit", limit.into()), ("WaitedMs", waited_ms.to_string())])
        }
    }
}

pub fn register() -> Result<(), String> {
    app::register::<MiniBot>()
}

pub fn unregister() {
    app::unregister::<MiniBot>()
}
