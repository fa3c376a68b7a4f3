//! The dialplan application `MiniBot(campaign[,options])`: the call's loop, in the manner of
//! app_speech_utils' SpeechBackground. It plays the scenario's prompts while an audiohook feeds
//! the callee's audio through VAD and the recognizer; speech stops the prompt (barge-in).

use crate::amd::AsteriskAmd;
use crate::ast::app::{self, AppExit, Application};
use crate::ast::audiohook::{AudioHook, AudioSink, Direction};
use crate::ast::channel::{Channel, Input as ChannelInput};
use crate::ast::manager;
use crate::asr::AsrEvent;
use crate::call::controller::{Action, CallEvent, Controller};
use crate::call::result::CallResult;
use crate::call::session::{FixtureTurn, Input, Session, SessionSetup};
use crate::call::live::LiveCall;
use crate::call::media::{MediaEvent, MediaPipeline, MediaState};
use crate::store::record::{CallIdentity, CallRecord};
use crate::call::parse_args;
use crate::host::state::{current, with_bot, Bot};
use crate::nlp::service::{Pending, Understood};
use crate::obs::metrics::METRICS;
use crate::recording::Tap;
use crate::scenario::Scenario;
use crate::domain::{CallStatus, Outcome};
use crossbeam_channel::{unbounded, Receiver};
use std::collections::VecDeque;
use std::ffi::CStr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

pub const STATUS_VARIABLE: &str = "MINIBOTSTATUS";

/// Longest wait on the channel per loop turn. Results from other threads wake the channel (a null
/// frame queued on it) and deadlines are waited for exactly: this only bounds how stale the live
/// view and the missing-audio clock of a silent line may get.
const WAIT_MS: i32 = 100;

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
  DISABLED   - the module is disabled in minibot.conf, or the campaign for an error in its scenario\n\
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
/// recognizer's text turn by turn: its partials (the words revealed as the turn's audio is
/// decoded, or the part before `>>`) and its final (the line, or the part after `>>`). No French
/// Vosk model can be fetched on the test machines; speech detection, pauses and recognition
/// still run for real, only the words are supplied.
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
    if let Some(reason) = bot.disabled.get(&args.campaign) {
        log::warn!("MiniBot on {}: campaign '{}' is disabled ({reason}): not run", channel.name(), args.campaign);
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

/// The call's recording, once the session says the callee has heard the notice (only on calls
/// its campaign records on this node: `SessionSetup::recorded`). None when the recorder cannot
/// start: the call goes on unrecorded.
fn start_recording(channel: &Channel, campaign: &str, rate: u32, bot: &Bot) -> Option<Tap> {
    let date = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let path = crate::recording::path_for(bot.recorder.dir(), campaign, &date, &channel.unique_id());
    bot.recorder.start(path, rate).map_err(|reason| log::error!("MiniBot on {}: {reason}; not recorded", channel.name())).ok()
}

/// A call inside MiniBot(): media wired to the channel, the call's session driven to its end,
/// then its result.
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
    // Nothing is recorded before the callee has heard the notice (the session says when).
    let Some(media) = start_media(channel, native_rate, bot) else {
        // Every answered call leaves its row, even one gone before the bot could listen.
        let (status, outcome) = if channel.is_hung_up() { (CallStatus::Hangup, Outcome::HangupEarly) } else { (CallStatus::Error, Outcome::Failed) };
        store_result(&call, &CallResult::unheard(status, outcome));
        return status;
    };
    let registered = bot.calls.add(channel.name(), campaign.to_string(), call.phone.clone(), media.state.clone());
    let live = registered.call.clone();
    live.view.lock().rate = native_rate;
    event(channel, "MiniBotCall", &[("State", "started".into()), ("Uniqueid", channel.unique_id()), ("Campaign", campaign.into()), ("Rate", native_rate.to_string()),
        ("Format", channel.native_read_format_name()), ("Asr", if media.asr_enabled { "yes" } else { "no" }.into()),
        ("Phone", call.phone.as_deref().map_or_else(String::new, crate::phone::mask))]);
    let controller = Controller::new(scenario.clone(), media.asr_enabled, Instant::now()).with_limits(bot.settings.limits).with_turn_config(bot.settings.turn.clone());
    let setup = SessionSetup {
        amd: bot.settings.amd,
        // Answering machines: AMD()'s verdict (when the dialplan ran it) weighed with our own evidence.
        asterisk_amd: AsteriskAmd::from_variables(&channel.variable("AMDSTATUS"), &channel.variable("AMDCAUSE")),
        recorded: bot.settings.recording_enabled && scenario.record,
        fixture: fixture_transcripts(channel, bot),
    };
    let mut session = Session::new(controller, scenario.clone(), setup, Instant::now());
    let recording_rate = crate::audio::processing_rate(native_rate);
    // The contact's own fields (a dialer call), for the LLM's instructions.
    let contact = crate::campaign::contacts::fields_from_json(&channel.variable(crate::campaign::contacts::FIELDS_VARIABLE));
    let (status, outcome) = drive(channel, bot, &live, &mut session, &media, &contact, &|| start_recording(channel, campaign, recording_rate, bot));
    // The recording's path goes in the record unless its file could not be created (the writer
    // closes it once the hook is gone).
    call.recording = media.hook.with_sink(|sink| sink.1.as_ref().filter(|t| t.has_file()).map(|t| t.path().to_string_lossy().into_owned()));
    // Removing the hook drops the pipeline, whose recognizer session ends its worker, and the
    // recording's tap, which closes the file.
    drop(media);
    if let Some((words, (verdict, evidence))) = session.machine_verdict(outcome) {
        crate::obs::prom::RECORDED.amd_verdicts.inc(&[verdict, evidence]);
        log::info!("MiniBot on {}: {words}", channel.name());
    }
    live.view.lock().phase = "qualifying";
    // One clock: the contact's zone (the dialer's MINIBOT_TZ), else the campaign's.
    let zone = channel.variable(ZONE_VARIABLE).parse::<chrono_tz::Tz>().unwrap_or(scenario.dialing.timezone);
    let local_now = crate::nlp::when::LocalNow::at(chrono::Utc::now(), zone);
    conclude(&call, &CallResult::of(&session, &scenario, status, outcome, local_now));
    status
}

/// The callee refused the recording: it stops and its file is deleted; the record names none.
fn stop_recording(channel: &Channel, media: &Media) {
    if let Some(tap) = media.hook.with_sink(|sink| sink.1.take()) {
        tap.discard();
        event(channel, "MiniBotRecording", &[("State", "deleted".into()), ("Reason", "objection".into())]);
    }
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
        engine.session(rate, asr_tx, channel.waker()).map_err(|reason| log::error!("MiniBot on {}: {reason}; continuing without ASR", channel.name())).ok()
    });
    let asr_enabled = asr.is_some();
    let state = Arc::new(MediaState::default());
    // Without a recognizer no words decide the end of turn: the fixed hangover does.
    let segmenter = if asr_enabled { bot.settings.segmenter() } else { bot.settings.vad };
    let pipeline = MediaPipeline::new(segmenter, rate, asr, media_tx, state.clone());
    // No recording tap yet: it is added once the notice has played.
    match AudioHook::attach(channel, c"MiniBot", Sink(pipeline, None)) {
        Ok(hook) => Some(Media { hook, events, recognized, state, asr_enabled }),
        Err(reason) => {
            log::warn!("MiniBot on {}: {reason}", channel.name());
            None
        }
    }
}

/// TEST FIXTURE (test_hooks = yes only): the recognizer's texts, turn by turn.
fn fixture_transcripts(channel: &Channel, bot: &Bot) -> VecDeque<FixtureTurn> {
    if !bot.test_hooks {
        return VecDeque::new();
    }
    let value = channel.variable(TEST_TRANSCRIPTS_VARIABLE);
    if !value.is_empty() {
        log::warn!("MiniBot on {}: TEST FIXTURE {TEST_TRANSCRIPTS_VARIABLE} supplies the recognizer's text", channel.name());
    }
    value.split('|').filter(|s| !s.trim().is_empty()).map(FixtureTurn::parse).collect()
}

/// The call's one loop: turns the session's actions into Asterisk calls, then waits for the
/// channel (until the nearest deadline of the session or of an LLM answer, and at most
/// `WAIT_MS`; the recognizer's results and the LLM's answers wake the channel from their
/// threads) and reports what the channel, the media, the recognizer and the intent service said,
/// until the session ends.
fn drive(
    channel: &Channel,
    bot: &Bot,
    live: &LiveCall,
    session: &mut Session,
    media: &Media,
    contact: &[(String, String)],
    start_recording: &dyn Fn() -> Option<Tap>,
) -> (CallStatus, Outcome) {
    let mut understanding: Vec<(u64, Pending)> = Vec::new();
    // The LLM's answers wake the channel as the decoder's results do.
    let waker = channel.waker();
    let mut pending = session.start(Instant::now());
    let mut playing = false;
    let mut hung_up = false;
    loop {
        update_view(live, session);
        // What an action answers at once (a prompt started or not, an intent already known) is
        // applied before waiting.
        let mut answered = Vec::new();
        for action in std::mem::take(&mut pending) {
            match action {
                Action::Play(file) => match channel.start_playback(&file) {
                    Ok(()) => {
                        playing = true;
                        answered.push(Input::PromptStarted);
                    }
                    Err(_) if channel.is_hung_up() => {
                        // Asterisk refuses a sound on a channel that is hanging up: the callee is
                        // gone, the prompt did not fail.
                        hung_up = true;
                        playing = false;
                        answered.push(Input::HungUp);
                    }
                    Err(reason) => {
                        log::error!("MiniBot on {}: {reason}", channel.name());
                        playing = false;
                        answered.push(Input::PromptFailed);
                    }
                },
                Action::PlayFrom { file, from_ms } => match channel.start_playback_from(&file, from_ms) {
                    Ok(()) => {
                        playing = true;
                        answered.push(Input::PromptStarted);
                    }
                    Err(_) => {
                        // Stopped for good: the call goes on as after the barge-in.
                        playing = false;
                        answered.push(Input::PromptFailed);
                    }
                },
                Action::StopPrompt => {
                    channel.stop_playback();
                    playing = false;
                }
                Action::Event(e) => emit(channel, live, e),
                Action::StartRecording => {
                    let tap = start_recording();
                    media.hook.with_sink(|sink| sink.1 = tap);
                }
                Action::StopRecording => stop_recording(channel, media),
                Action::EndTurnAfter { pause, silence_ms } => media.hook.with_sink(|sink| sink.0.end_turn_after(pause, silence_ms)),
                Action::Classify { turn, text, context } => match bot.intents.understand(&crate::scenario::for_contact(&context, contact), &text, &waker) {
                    Understood::Ready { classification, tier, latency } => answered.push(Input::Classified { turn, classification, tier, latency }),
                    Understood::Pending(waiting) => understanding.push((turn, waiting)),
                },
                Action::End { status, outcome } => {
                    if playing {
                        channel.stop_playback();
                    }
                    return (status, outcome);
                }
            }
        }
        if !answered.is_empty() {
            let now = Instant::now();
            for input in answered {
                pending.extend(session.handle(input, now));
            }
            continue;
        }
        let now = Instant::now();
        // At least a millisecond: a deadline just passed is handled by the Tick below.
        // While the callee speaks, a line that stops sending audio (silence suppression) is
        // silence counted by the media's clock every 20 ms.
        let bound = if media.state.speaking.load(Ordering::Relaxed) { crate::vad::FRAME_MS as i32 } else { WAIT_MS };
        let next = understanding.iter().map(|(_, waiting)| waiting.deadline()).chain(session.next_deadline()).min();
        let wait_ms = next.map_or(bound, |at| (at.saturating_duration_since(now).as_millis() as i32).clamp(1, bound));
        let mut inputs = Vec::new();
        // Whether the line sent nothing for the whole wait: only then is missing audio silence.
        // A frame read means audio is still coming, late only because this loop was (an inline
        // decoder, a busy machine): silence made up then would end a turn the callee is still in.
        let mut line_quiet = true;
        if hung_up {
            // The callee is gone but their last turn is still being understood: the channel has
            // nothing more to say, the media and the intent service do.
            std::thread::sleep(std::time::Duration::from_millis(wait_ms as u64));
        } else {
            match channel.wait(wait_ms) {
                ChannelInput::HungUp => {
                    log::debug!("MiniBot on {}: channel hung up", channel.name());
                    hung_up = true;
                    playing = false;
                    inputs.push(Input::HungUp);
                }
                ChannelInput::Dtmf(digit) => {
                    line_quiet = false;
                    inputs.push(Input::Dtmf(digit));
                }
                ChannelInput::Frame => line_quiet = false,
                ChannelInput::Timeout => {}
            }
        }
        if line_quiet {
            media.hook.with_sink(|sink| sink.0.tick(Instant::now()));
        }
        if !hung_up && playing && !channel.is_playing() {
            channel.stop_playback();
            playing = false;
            inputs.push(Input::PromptFinished);
        }
        for event in media.events.try_iter() {
            if let MediaEvent::Rate(rate) = event {
                live.view.lock().rate = rate;
            }
            inputs.push(Input::Media(event));
        }
        for result in media.recognized.try_iter() {
            if let AsrEvent::Failed { reason } = &result {
                log::error!("MiniBot on {}: speech recognition failed ({reason}); the call goes on with DTMF only", channel.name());
            }
            inputs.push(Input::Recognized(result));
        }
        // Each turn's intent, as it comes (a late turn's and a new one's may both be awaited).
        understanding.retain(|(turn, waiting)| match bot.intents.poll(waiting, Instant::now()) {
            Some((classification, tier, latency)) => {
                inputs.push(Input::Classified { turn: *turn, classification, tier, latency });
                false
            }
            None => true,
        });
        inputs.push(Input::Tick);
        // After the wait: a barge-in's stop delay runs from the onset decision to now.
        let now = Instant::now();
        for input in inputs {
            pending.extend(session.handle(input, now));
        }
    }
}

/// The call's result handed to the dialplan (variables), the store and AMI.
fn conclude(call: &CallInfo, result: &CallResult) {
    let channel = call.channel;
    channel.set_variable("MINIBOTOUTCOME", result.outcome.as_str());
    channel.set_variable("MINIBOTSCORE", &result.qualification.score.to_string());
    channel.set_variable("MINIBOTLEAD", &result.qualification.class);
    crate::obs::prom::RECORDED.calls_ended.inc(&[call.campaign, result.outcome.as_str(), result.status.as_str()]);
    crate::obs::prom::RECORDED.leads.inc(&[call.campaign, &result.qualification.class]);
    store_result(call, result);
    event(channel, "MiniBotResult", &result.fields(call.campaign));
    event(channel, "MiniBotCall", &[("State", "ended".into()), ("Campaign", call.campaign.into()), ("Status", result.status.as_str().into()),
        ("Outcome", result.outcome.as_str().into()), ("Turns", result.turns.len().to_string())]);
}

/// Hands the call's record to the store's threads: no SQL on the channel thread.
fn store_result(call: &CallInfo, result: &CallResult) {
    let channel = call.channel;
    let identity = CallIdentity {
        node: call.bot.settings.node.clone(),
        uniqueid: channel.unique_id(),
        channel: channel.name(),
        campaign: call.campaign.to_string(),
        phone: call.phone.clone(),
        answered_at_ms: call.answered_at_ms,
        ended_at_ms: unix_ms(),
        recording: call.recording.clone(),
    };
    let record = CallRecord::of_call(&identity, result);
    // A call the campaign dialer placed gets what its contact's queue row becomes.
    let record = match &call.bot.dialer {
        Some(dialer) => dialer.hand_over(&identity.uniqueid, record, result.callback),
        None => record,
    };
    if let Some(store) = &call.bot.store {
        store.submit(record);
    }
}

fn unix_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

fn update_view(live: &LiveCall, session: &Session) {
    let controller = session.controller();
    let mut view = live.view.lock();
    view.phase = session.state_label();
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
        CallEvent::Repair { step, how } => {
            crate::obs::prom::RECORDED.repairs.inc(&[how]);
            event(channel, "MiniBotRepair", &[("Step", step), ("How", how.to_string())])
        }
        CallEvent::OptOutAskedBack { step, answer } => {
            crate::obs::prom::RECORDED.opt_outs_asked_back.inc(&[&live.campaign, answer]);
            log::info!("MiniBot on {}: an unsure opt-out heard at step {step}: {answer}", channel.name());
            event(channel, "MiniBotOptOutCheck", &[("Step", step), ("Answer", answer.into())])
        }
        CallEvent::Dtmf { step, digit } => event(channel, "MiniBotDtmf", &[("Step", step), ("Digit", digit.to_string())]),
        CallEvent::AsrFailed { step, reason } => {
            METRICS.asr_failures.fetch_add(1, Ordering::Relaxed);
            event(channel, "MiniBotAsrFailed", &[("Step", step), ("Reason", reason)])
        }
        // The callee's answer ended, the bot speaks again: the reaction the callee hears.
        CallEvent::Reaction { tier, seconds } => crate::obs::prom::RECORDED.reaction.observe(&[&live.campaign, tier], seconds),
        CallEvent::Message { file, after_beep } => {
            event(channel, "MiniBotMessage", &[("File", file), ("AfterBeep", if after_beep { "yes" } else { "no" }.into())])
        }
        CallEvent::TurnEnded { step, ending, mode, silence_ms, tier } => {
            crate::obs::prom::RECORDED.turn_ends.inc(&[mode, ending]);
            crate::obs::prom::RECORDED.turn_end_silence.observe(&[mode], silence_ms as f64 / 1000.0);
            event(channel, "MiniBotTurnEnd", &[("Step", step), ("Ending", ending.into()), ("Mode", mode.into()), ("SilenceMs", silence_ms.to_string()), ("Tier", tier.as_str().into())])
        }
        CallEvent::TurnChecked { step, how } => {
            crate::obs::prom::RECORDED.turn_checks.inc(&[how]);
            if matches!(how, "corrected" | "shadow_disagreed" | "shadow_cut" | "rejoined") {
                log::info!("MiniBot on {}: the turn at step {step} decided at a pause: {how}", channel.name());
            }
            event(channel, "MiniBotTurnCheck", &[("Step", step), ("How", how.into())])
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
