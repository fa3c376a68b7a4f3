//! A call inside MiniBot() from the answer to the last sound, as one sans-IO machine: the wait for
//! machine evidence when AMD() said MACHINE, the recording notice, the conversation (the
//! `Controller`), then, on a machine, the message after the beep. Inputs in, actions out, time
//! passed in: the driver (src/host/app.rs) only waits on the channel until `next_deadline()` and
//! turns actions into Asterisk calls, so every stage and watchdog here is tested on a fake clock.

use super::controller::{Action, CallEvent, Controller, Input as Turn, Phase};
use super::media::MediaEvent;
use crate::amd::{AmdConfig, AsteriskAmd, MachineDetector, Verdict};
use crate::asr::AsrEvent;
use crate::campaign::MachineAction;
use crate::domain::{CallStatus, Classification, Outcome, Tier};
use crate::scenario::Scenario;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the driver reports, in the order it saw it.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    HungUp,
    Dtmf(char),
    /// The sound the session asked for started playing.
    PromptStarted,
    /// It played to its end.
    PromptFinished,
    /// It could not be played.
    PromptFailed,
    Media(MediaEvent),
    Recognized(AsrEvent),
    /// The intent service's answer to an `Action::Classify`.
    Classified { turn: u64, classification: Classification, tier: Tier, latency: Duration },
    /// Time passes.
    Tick,
}

/// Where the call is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Stage {
    /// AMD() heard a machine: the first prompt waits for a beep, the greeting's end, or a
    /// person's short "allô ?".
    AwaitingMachine,
    /// The recording notice plays in full; nothing said meanwhile is an answer.
    Notice,
    Conversation,
    /// A machine, and the campaign leaves a message: after the beep, or once the greeting has
    /// been quiet for `silence_ms`, or at `max_wait_ms` at the latest.
    /// `status`: how the call ends once the message has played (or the machine hung up).
    AwaitingBeep { status: CallStatus, quiet_since: Option<Instant>, until: Instant },
    Message { status: CallStatus },
    Done,
}

/// What the session is told at the start of the call.
pub struct SessionSetup {
    pub amd: AmdConfig,
    /// AMD()'s verdict, when the dialplan ran it.
    pub asterisk_amd: Option<AsteriskAmd>,
    /// The campaign records on this node: its notice plays first, and recording starts after it.
    pub recorded: bool,
    /// TEST FIXTURE (test_hooks only): the recognizer's texts, turn by turn.
    pub fixture: VecDeque<FixtureTurn>,
}

/// TEST FIXTURE: what the recognizer is said to have heard in one answer. Its words at each
/// pause are given (`at the first pause / at the second >> final`), else the final's words are
/// revealed as the turn's audio goes (one per `FIXTURE_WORD_MS` decoded, counting the
/// pre-roll), as a recognizer's partials grow. An answer the callee's pauses cut into several
/// segments (rejoined) is one line, unless the line of a later segment starts with `+` (its own
/// words: `oui`, then `+ mais rappelez-moi demain`).
#[derive(Debug, Clone, PartialEq)]
pub struct FixtureTurn {
    pub at_pauses: Vec<String>,
    pub final_text: String,
    pauses_seen: usize,
    /// `+`: the words of a segment continuing the previous line's answer.
    continues: bool,
}

/// TEST FIXTURE: audio per word revealed in the partial words.
pub const FIXTURE_WORD_MS: u64 = 150;

impl FixtureTurn {
    /// "words", or "words at a pause / at the next >> final words".
    pub fn parse(line: &str) -> FixtureTurn {
        let (continues, line) = match line.trim_start().strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, line),
        };
        let (at_pauses, final_text) = match line.split_once(">>") {
            Some((pauses, final_text)) => (pauses.split('/').map(|p| p.trim().to_string()).collect(), final_text),
            None => (Vec::new(), line),
        };
        FixtureTurn { at_pauses, final_text: final_text.trim().to_string(), pauses_seen: 0, continues }
    }

    /// The partial words after `heard_ms` of the turn's audio; `at_pause`: at a pause.
    fn words_at(&mut self, heard_ms: u64, at_pause: bool) -> String {
        if let Some(last) = self.at_pauses.len().checked_sub(1) {
            // Between pauses, the words of the last one (the first before any).
            let index = if at_pause { self.pauses_seen } else { self.pauses_seen.saturating_sub(1) };
            self.pauses_seen += usize::from(at_pause);
            return self.at_pauses[index.min(last)].clone();
        }
        let shown = heard_ms.div_ceil(FIXTURE_WORD_MS) as usize;
        self.final_text.split_whitespace().take(shown).collect::<Vec<_>>().join(" ")
    }
}

pub struct Session {
    controller: Controller,
    scenario: Arc<Scenario>,
    detector: MachineDetector,
    /// AMD() ran: the verdict goes in the record even when it was a person.
    had_amd: bool,
    started: Instant,
    stage: Stage,
    recorded: bool,
    fixture: VecDeque<FixtureTurn>,
    speaking: bool,
    machine_reported: bool,
    /// The callee's last answer ended then, understood by that tier: the reaction they hear runs
    /// until the bot's next prompt starts.
    reaction_from: Option<(Instant, &'static str)>,
}

impl Session {
    pub fn new(controller: Controller, scenario: Arc<Scenario>, setup: SessionSetup, now: Instant) -> Session {
        let had_amd = setup.asterisk_amd.is_some();
        Session {
            controller,
            scenario,
            detector: MachineDetector::new(setup.amd, setup.asterisk_amd),
            had_amd,
            started: now,
            stage: Stage::AwaitingMachine,
            recorded: setup.recorded,
            fixture: setup.fixture,
            speaking: false,
            machine_reported: false,
            reaction_from: None,
        }
    }

    pub fn controller(&self) -> &Controller {
        &self.controller
    }

    /// The call's state as operators know it (the live view, `minibot show calls`).
    pub fn state_label(&self) -> &'static str {
        match self.stage {
            Stage::AwaitingBeep { .. } | Stage::Message { .. } => "leaving a message",
            _ => self.controller.state_label(),
        }
    }

    /// The answering-machine verdict and what decided it, for calls where AMD() ran or a machine
    /// answered: (the record's words, (verdict, evidence) for the metrics).
    pub fn machine_verdict(&self, outcome: Outcome) -> Option<(String, (&'static str, &'static str))> {
        let is_machine = outcome == Outcome::AnsweringMachine;
        (self.had_amd || is_machine).then(|| (self.detector.describe(is_machine), self.detector.evidence(is_machine)))
    }

    pub fn start(&mut self, now: Instant) -> Vec<Action> {
        if self.detector.wait_first() {
            return Vec::new();
        }
        self.after_human(now)
    }

    pub fn handle(&mut self, input: Input, now: Instant) -> Vec<Action> {
        match self.stage {
            Stage::AwaitingMachine => self.awaiting_machine(input, now),
            Stage::Notice => self.notice(input, now),
            Stage::Conversation => self.conversation(input, now),
            Stage::AwaitingBeep { .. } => self.awaiting_beep(input, now),
            Stage::Message { status } => self.message(input, status),
            Stage::Done => Vec::new(),
        }
    }

    /// When `handle(Tick)` next has something to do.
    pub fn next_deadline(&self) -> Option<Instant> {
        match self.stage {
            Stage::AwaitingMachine => Some(self.started + Duration::from_millis(u64::from(self.detector.config().max_wait_ms))),
            Stage::Conversation => self.controller.next_deadline(),
            Stage::AwaitingBeep { quiet_since, until, .. } => {
                let quiet_enough = quiet_since.map(|t| t + Duration::from_millis(u64::from(self.detector.config().silence_ms)));
                Some(quiet_enough.map_or(until, |q| q.min(until)))
            }
            Stage::Notice | Stage::Message { .. } | Stage::Done => None,
        }
    }

    fn ms_at(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.started).as_millis() as u64
    }

    /// Whether the callee is speaking now (a machine's message waits for quiet).
    fn hear(&mut self, event: &MediaEvent) {
        match event {
            MediaEvent::SpeechStarted { .. } => self.speaking = true,
            MediaEvent::SpeechEnded { .. } => self.speaking = false,
            MediaEvent::SpeechPaused { .. } | MediaEvent::SpeechResumed | MediaEvent::Beep(_) | MediaEvent::Rate(_) => {}
        }
    }

    /// What the media reports, as evidence, at the time the media saw it (not when it is read).
    fn observe(&mut self, event: &MediaEvent, now: Instant) {
        self.hear(event);
        match event {
            MediaEvent::SpeechStarted { confirmed_at, onset_ms, .. } => {
                self.detector.speech_started(self.ms_at(*confirmed_at).saturating_sub(*onset_ms));
            }
            MediaEvent::SpeechEnded { at, .. } => self.detector.speech_ended(self.ms_at(*at)),
            MediaEvent::Beep(hz) => self.detector.beep(self.ms_at(now), *hz),
            MediaEvent::SpeechPaused { .. } | MediaEvent::SpeechResumed | MediaEvent::Rate(_) => {}
        }
    }

    fn end(&mut self, status: CallStatus, outcome: Outcome) -> Vec<Action> {
        self.stage = Stage::Done;
        vec![Action::End { status, outcome }]
    }

    fn awaiting_machine(&mut self, input: Input, now: Instant) -> Vec<Action> {
        match input {
            Input::HungUp => return self.end(CallStatus::Hangup, Outcome::HangupEarly),
            Input::Media(event) => self.observe(&event, now),
            // The greeting's words are not answers; keys pressed now neither.
            _ => {}
        }
        match self.detector.while_waiting(self.ms_at(now)) {
            Some(Verdict::Machine) => self.machine(CallStatus::Success, now),
            Some(Verdict::Human) => self.after_human(now),
            None => Vec::new(),
        }
    }

    /// A person: the recording notice when the call is recorded, then the scenario.
    fn after_human(&mut self, now: Instant) -> Vec<Action> {
        match self.scenario.recording_notice.clone().filter(|_| self.recorded) {
            Some(notice) => {
                self.stage = Stage::Notice;
                let step = "recording_notice".to_string();
                vec![Action::Event(CallEvent::PromptStarted { step, file: notice.clone() }), Action::Play(notice)]
            }
            None => self.converse(now),
        }
    }

    fn converse(&mut self, now: Instant) -> Vec<Action> {
        self.stage = Stage::Conversation;
        let actions = self.controller.start(now);
        self.from_controller(actions, now)
    }

    fn notice(&mut self, input: Input, now: Instant) -> Vec<Action> {
        match input {
            Input::HungUp => self.end(CallStatus::Hangup, Outcome::HangupEarly),
            Input::PromptFinished => {
                // Told: from now on the call is recorded (a machine's greeting never is).
                let mut actions = vec![Action::StartRecording];
                actions.extend(self.converse(now));
                actions
            }
            // Not told, not recorded: the call goes on without a recording.
            Input::PromptFailed => self.converse(now),
            // What the callee says over the notice is not an answer; whether they are speaking
            // still counts.
            Input::Media(event) => {
                self.hear(&event);
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn conversation(&mut self, input: Input, now: Instant) -> Vec<Action> {
        let mut actions = Vec::new();
        let turn = match input {
            Input::HungUp => Some(Turn::HungUp),
            Input::Dtmf(digit) => Some(Turn::Dtmf(digit)),
            Input::PromptStarted => {
                if let Some((ended, tier)) = self.reaction_from.take() {
                    actions.push(Action::Event(CallEvent::Reaction { tier, seconds: now.saturating_duration_since(ended).as_secs_f64() }));
                }
                None
            }
            Input::PromptFinished => Some(Turn::PromptFinished),
            Input::PromptFailed => {
                self.reaction_from = None;
                Some(Turn::PromptFailed)
            }
            Input::Media(event) => {
                self.observe(&event, now);
                let turn = match event {
                    MediaEvent::SpeechStarted { confirmed_at, .. } => Some(Turn::SpeechStarted { confirmed_at }),
                    MediaEvent::SpeechPaused { last_voice_at, seq } => Some(Turn::SpeechPaused { last_voice_at, seq }),
                    MediaEvent::SpeechResumed => Some(Turn::SpeechResumed),
                    MediaEvent::SpeechEnded { last_voice_at, .. } => {
                        // Only an answer the bot waits for: not speech over a prompt it did not
                        // stop, nor a turn already answered at its pause. What the callee hears
                        // runs from their last word.
                        if self.controller.phase() != Phase::Responding {
                            self.reaction_from = Some((last_voice_at, "none"));
                        }
                        Some(Turn::SpeechEnded)
                    }
                    MediaEvent::Rate(_) | MediaEvent::Beep(_) => None,
                };
                if let Some(turn) = turn {
                    let done = self.controller.handle(turn, now);
                    actions.extend(self.from_controller(done, now));
                }
                actions.extend(self.machine_during_call(now));
                return actions;
            }
            Input::Recognized(AsrEvent::Partial { text, heard_ms, pause }) => {
                // The fixture's words as they would have grown, whatever the (Korean) model made of them.
                let text = match self.fixture.front_mut() {
                    Some(turn) if self.controller.continuing() && !turn.continues => String::new(),
                    Some(turn) => turn.words_at(heard_ms, pause.is_some()),
                    None => text,
                };
                Some(Turn::Partial { text, pause })
            }
            Input::Recognized(AsrEvent::Final { text, latency }) => {
                // One fixture line per answer, whatever the (Korean) model made of it: a segment
                // continuing a reopened answer has no words of its own (its line gave them all).
                let own_words = self.fixture.front().is_some_and(|turn| turn.continues);
                let text = if self.controller.next_final_continues() && !self.fixture.is_empty() && !own_words {
                    String::new()
                } else {
                    self.fixture.pop_front().map_or(text, |turn| turn.final_text)
                };
                Some(Turn::Final { text, latency })
            }
            Input::Recognized(AsrEvent::Failed { reason }) => Some(Turn::AsrFailed(reason)),
            Input::Classified { turn, classification, tier, latency } => {
                if let Some((_, last_tier)) = &mut self.reaction_from {
                    *last_tier = tier.as_str();
                }
                Some(Turn::Classified { turn, classification, tier, latency })
            }
            Input::Tick => {
                actions.extend(self.machine_during_call(now));
                Some(Turn::Tick)
            }
        };
        if let Some(turn) = turn {
            let done = self.controller.handle(turn, now);
            actions.extend(self.from_controller(done, now));
        }
        actions
    }

    /// On calls where AMD() ran, a beep or a long greeting heard during the conversation.
    fn machine_during_call(&mut self, now: Instant) -> Vec<Action> {
        if self.machine_reported || self.stage != Stage::Conversation || self.detector.during_call(self.ms_at(now)) != Some(Verdict::Machine) {
            return Vec::new();
        }
        self.machine_reported = true;
        let done = self.controller.handle(Turn::MachineDetected, now);
        self.from_controller(done, now)
    }

    /// The controller's actions, its end turned into the message when a machine answered.
    fn from_controller(&mut self, actions: Vec<Action>, now: Instant) -> Vec<Action> {
        let mut out = Vec::with_capacity(actions.len());
        for action in actions {
            match action {
                // Answered at the pause: the reply the callee hears runs from their last word.
                Action::Event(CallEvent::TurnEnded { mode: "adaptive", silence_ms, tier, step, ending }) => {
                    let last_voice_at = now.checked_sub(Duration::from_millis(silence_ms)).unwrap_or(now);
                    self.reaction_from = Some((last_voice_at, tier.as_str()));
                    out.push(Action::Event(CallEvent::TurnEnded { step, ending, mode: "adaptive", silence_ms, tier }));
                }
                Action::End { status, outcome } if outcome == Outcome::AnsweringMachine && status != CallStatus::Hangup => {
                    out.extend(self.machine(status, now));
                }
                Action::End { status, outcome } => out.extend(self.end(status, outcome)),
                // A prompt resumed after a "hm" answers nothing: no reaction to measure.
                Action::PlayFrom { file, from_ms } => {
                    self.reaction_from = None;
                    out.push(Action::PlayFrom { file, from_ms });
                }
                other => out.push(other),
            }
        }
        out
    }

    /// A machine answered: its message when the campaign leaves one, else the end.
    fn machine(&mut self, status: CallStatus, now: Instant) -> Vec<Action> {
        if !matches!(self.scenario.dialing.on_machine, MachineAction::LeaveMessage(_)) {
            return self.end(status, Outcome::AnsweringMachine);
        }
        let until = now + Duration::from_millis(u64::from(self.detector.config().max_wait_ms));
        self.stage = Stage::AwaitingBeep { status, quiet_since: (!self.speaking).then_some(now), until };
        self.awaiting_beep(Input::Tick, now)
    }

    fn awaiting_beep(&mut self, input: Input, now: Instant) -> Vec<Action> {
        let Stage::AwaitingBeep { status, mut quiet_since, until } = self.stage else { return Vec::new() };
        match input {
            Input::HungUp => return self.end(status, Outcome::AnsweringMachine),
            Input::Media(event) => {
                match event {
                    MediaEvent::SpeechStarted { .. } => quiet_since = None,
                    MediaEvent::SpeechEnded { .. } => quiet_since = Some(now),
                    _ => {}
                }
                self.observe(&event, now);
            }
            _ => {}
        }
        self.stage = Stage::AwaitingBeep { status, quiet_since, until };
        let silence = Duration::from_millis(u64::from(self.detector.config().silence_ms));
        let quiet_enough = quiet_since.is_some_and(|t| now.saturating_duration_since(t) >= silence);
        if !(self.detector.beep_heard() || quiet_enough || now >= until) {
            return Vec::new();
        }
        let MachineAction::LeaveMessage(file) = self.scenario.dialing.on_machine.clone() else {
            return self.end(status, Outcome::AnsweringMachine);
        };
        self.stage = Stage::Message { status };
        vec![Action::Event(CallEvent::Message { file: file.clone(), after_beep: self.detector.beep_heard() }), Action::Play(file)]
    }

    fn message(&mut self, input: Input, status: CallStatus) -> Vec<Action> {
        match input {
            Input::HungUp | Input::PromptFinished | Input::PromptFailed => self.end(status, Outcome::AnsweringMachine),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests;
