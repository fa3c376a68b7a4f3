//! The call controller: turns media, recognition and understanding events into prompts,
//! barge-ins, turns and the call's end, following the campaign's scenario. Pure and driven by
//! `handle(input, now)`, so every transition is unit-tested without a channel or a clock.
//!
//! A turn: the callee's speech ends -> the recognizer's final text -> `Action::Classify` (the
//! intent service answers with `Input::Classified`, within its deadline) -> the step's transition.
//! With the adaptive end of turn (`turn_taking.rs`) the words at a pause decide sooner, and the
//! final text checks the decision.

use crate::domain::{CallStatus, Classification, Intent, Outcome, Repair, Sentiment, StepContext, Tier, Topic, Turn};
use crate::nlp::turn_end::TurnConfig;
use crate::scenario::{Scenario, Trigger};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};
use crate::config::document::{ConfigError, FromKeys, Key};

/// Conversation state, as `minibot show calls` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// A prompt is playing (the callee can barge in).
    Responding,
    /// Waiting for, or hearing, the callee.
    Listening,
    /// The callee stopped talking; waiting for the recognizer's text and its intent.
    Processing,
    Ended,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Responding => "responding",
            Phase::Listening => "listening",
            Phase::Processing => "processing",
            Phase::Ended => "ended",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// The prompt played to its end.
    PromptFinished,
    /// The prompt could not be played.
    PromptFailed,
    /// The segmenter confirmed speech; `confirmed_at` is when it decided.
    SpeechStarted { confirmed_at: Instant },
    /// A short silence inside the callee's speech; their last voiced frame ended at
    /// `last_voice_at`. `seq` numbers the pause for the media path.
    SpeechPaused { last_voice_at: Instant, seq: u64 },
    /// They went on after the pause.
    SpeechResumed,
    SpeechEnded,
    /// The words so far; `pause`: asked for at that pause (the end of turn is decided on them).
    Partial { text: String, pause: Option<u64> },
    Final { text: String, latency: Duration },
    /// The intent service's answer to the `Action::Classify` of turn `turn`.
    Classified { turn: u64, classification: Classification, tier: Tier, latency: Duration },
    Dtmf(char),
    /// The recognizer stopped working: the call goes on with DTMF only.
    AsrFailed(String),
    /// Time passes (no-input timeouts, the call's bounds).
    Tick,
    HungUp,
    /// The answering-machine detector heard a machine (a beep, a long greeting): the call ends
    /// with that outcome, whatever the step.
    MachineDetected,
}

/// Bounds on every state, so that no call can hang in dead air (from `[call]` in minibot.conf).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CallLimits {
    /// The whole call; then it ends as if the scenario had.
    pub max_duration: Duration,
    /// From the end of the callee's speech to its text and intent; then the answer counts as
    /// unclear (the recognizer failed, or its end of turn was lost). The text, if it comes later,
    /// still counts (see `Due`).
    pub processing_timeout: Duration,
    /// After a hangup, how long the last turn's text and intent are awaited (an opt-out or a
    /// callback said just before hanging up must reach the record).
    pub last_words: Duration,
}

impl Default for CallLimits {
    fn default() -> Self {
        CallLimits { max_duration: Duration::from_secs(600), processing_timeout: Duration::from_millis(5000), last_words: Duration::from_millis(2000) }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Play(String),
    /// A prompt stopped for a backchannel, played again from `from_ms`.
    PlayFrom { file: String, from_ms: u64 },
    StopPrompt,
    /// Ask the intent service what `text` means at this step; its answer names `turn`.
    Classify { turn: u64, text: String, context: Arc<StepContext> },
    Event(CallEvent),
    /// The callee has heard the recording notice: the recording starts (from the session).
    StartRecording,
    /// The callee refused the recording: stop it and delete what was recorded.
    StopRecording,
    /// The words at pause `pause` say this much silence ends the turn: the media path ends it
    /// then (in its own stream time), unless the callee speaks again first.
    EndTurnAfter { pause: u64, silence_ms: u32 },
    End { status: CallStatus, outcome: Outcome },
}

/// What happened, for AMI events, the call's record and the CLI.
#[derive(Debug, Clone, PartialEq)]
pub enum CallEvent {
    StepEntered { step: String },
    PromptStarted { step: String, file: String },
    PromptFinished { step: String, file: String, played_ms: u64 },
    BargeIn { step: String, file: String, played_ms: u64, stop_delay_ms: f64, by: &'static str },
    SpeechStarted { step: String },
    SpeechEnded { step: String },
    Partial { step: String, text: String },
    Final { step: String, text: String, latency_ms: f64 },
    Intent { step: String, intent: Intent, confidence: f32, tier: Tier, latency_ms: f64, entities: Vec<String>, sentiment: Sentiment },
    NoInput { step: String, waited_ms: u64 },
    Dtmf { step: String, digit: char },
    Reprompt { step: String, count: u32 },
    /// The callee asked to hear the question again (`repeat`), or only hesitated (`hesitation`).
    Repair { step: String, how: &'static str },
    AsrFailed { step: String, reason: String },
    /// A bound of [`CallLimits`] was reached: "processing_timeout", "max_duration" or "last_words".
    Limit { step: String, limit: &'static str, waited_ms: u64 },
    /// A turn's text or intent arrived after the turn was given up (`processing_timeout`) or after
    /// the callee hung up, and was applied: `how` is "answer" (taken as the answer to the question
    /// asked again), "sticky" (its opt-out or callback applied), "stored" (kept in the record
    /// only) or "last_words" (after the hangup).
    LateResult { step: String, intent: Intent, how: &'static str },
    /// The bot spoke again `seconds` after the callee's answer ended, understood by `tier` (from
    /// the session).
    Reaction { tier: &'static str, seconds: f64 },
    /// A machine answered: the campaign's message starts, after its beep or not (from the session).
    Message { file: String, after_beep: bool },
    /// The end of turn decided from the words at a pause, `silence_ms` after the callee's last
    /// voiced frame (`mode` "adaptive": the reply starts; "shadow": only counted).
    TurnEnded { step: String, ending: &'static str, mode: &'static str, silence_ms: u64, tier: Tier },
    /// What became of a turn decided at a pause once its final text was understood: "confirmed",
    /// "corrected" (stopped and re-routed), "kept" (the call had moved on), "sticky" (its opt-out
    /// or callback applied), "last_words"; in shadow mode "shadow_agreed", "shadow_disagreed" and
    /// "shadow_cut" (the callee went on after the moment the adaptive end would have cut them).
    /// Any answer: "rejoined" (the callee went on as its reply started: the reply was taken back,
    /// both parts are one answer). Over a prompt: "backchannel" (only "hm": the prompt resumed).
    TurnChecked { step: String, how: &'static str },
    /// An opt-out the model was unsure of (`confirm_opt_out`), heard at `step`, as the call ends:
    /// "asked" (it was asked back), then "taken_back" if the callee's yes undid it (else it stood).
    OptOutAskedBack { step: String, answer: &'static str },
}

/// A turn's text waiting for its intent, and the step it answers.
#[derive(Debug, Clone, PartialEq)]
struct PendingTurn {
    id: u64,
    text: String,
    asr_ms: f64,
    step: String,
    /// The turn was given up at `processing_timeout` (the call moved on meanwhile).
    late: bool,
}

/// A speech segment whose final text has not come yet. The recognizer finalizes every segment,
/// in order: the next final is the oldest segment's, whatever happened since.
#[derive(Debug, Clone, PartialEq)]
struct Due {
    step: String,
    kind: DueKind,
    since: Instant,
    /// The segment continues a reopened answer: its words follow the carried ones.
    continues: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum DueKind {
    /// An answer the call waits for.
    Answer,
    /// Given up at `processing_timeout`: it still counts when it comes.
    GivenUp,
    /// Said over a prompt that cannot be interrupted: not an answer.
    OverPrompt,
    /// Answered already on the words at its pause: its final checks that answer.
    Committed,
}

/// A segment whose final never came (an end of turn lost) is forgotten after this: later finals
/// must not be taken for it.
const DUE_FORGOTTEN: Duration = Duration::from_secs(30);
/// Requests to repeat and hesitations heard at one step before they count as unclear answers.
const MAX_REPAIRS: u32 = 2;

/// The call is over (the callee hung up, or the scenario ended) but turns are still being
/// recognized or understood: nothing more is played, and the call ends when they are known or at
/// `until`, with `outcome` unless what they say decides otherwise.
#[derive(Debug, Clone, PartialEq)]
struct Closing {
    until: Instant,
    status: CallStatus,
    outcome: Outcome,
    hung_up: bool,
}

/// An unsure opt-out asked back in this call (once at most): where it was heard, and where the
/// asking stands. Counted when the call ends, from what stands then (a turn decided at a pause and
/// undone by its final text undoes this with it).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct OptOutCheck {
    heard_at: String,
    answer: CheckAnswer,
}

#[derive(Debug, Clone, PartialEq)]
enum CheckAnswer {
    /// At the `confirm_opt_out` step, waiting: the outcome the call had before the opt-out.
    Awaited { outcome_before: Option<Outcome> },
    /// Its answer was heard and was no yes, or the call went elsewhere.
    Stood,
    /// The callee's yes took it back.
    TakenBack,
}

/// How an answer was heard, beyond its intent: what routing it needs to know.
#[derive(Debug, Clone, Copy)]
pub(super) struct Heard {
    /// An opt-out said without opt-out words that the tier is not sure of
    /// (`Classification::opt_out_unsure`): asked back.
    unsure_opt_out: bool,
    /// Understood by the local model at `llm_below` or above (now or cached) or keyed: only such a
    /// "yes" takes an opt-out back (not the LLM's reading, nor the model's own unsure one).
    firsthand: bool,
}

impl Heard {
    pub(super) fn of(classification: &Classification, tier: Tier) -> Heard {
        Heard { unsure_opt_out: classification.opt_out_unsure, firsthand: matches!(tier, Tier::Local | Tier::CacheOfLocal | Tier::Dtmf) }
    }
}

pub struct Controller {
    scenario: Arc<Scenario>,
    limits: CallLimits,
    /// When the phase became Processing (the bound on waiting for text and intent runs from it).
    processing_since: Option<Instant>,
    /// Without a recognizer, speech counts as an unclear answer (DTMF still works).
    asr_enabled: bool,
    step: String,
    phase: Phase,
    call_started: Instant,
    /// Prompts still to play in this step (an answer to a question, then the step's question).
    queue: VecDeque<String>,
    playing: Option<String>,
    prompt_started: Option<Instant>,
    listen_deadline: Option<Instant>,
    speaking: bool,
    barged_in: bool,
    reprompts: u32,
    /// Requests to repeat and hesitations at this step, bounded so that they cannot loop.
    repairs: u32,
    questions: u32,
    /// Turns whose text waits for its intent.
    pending: Vec<PendingTurn>,
    next_turn: u64,
    /// Segments whose final text has not come yet, oldest first.
    finals_due: VecDeque<Due>,
    closing: Option<Closing>,
    turns: Vec<Turn>,
    last_partial: String,
    /// Set by answers that decide the outcome whatever the last step says.
    sticky_outcome: Option<Outcome>,
    /// An unsure opt-out asked back at the campaign's `confirm_opt_out` step; once per call: a
    /// second unsure one stands.
    opt_out_check: Option<OptOutCheck>,
    callback_text: Option<String>,
    /// The callee refused the recording (said once is enough).
    recording_refused: bool,
    /// How turns end (adaptive, fixed, shadow) and the waits.
    turn_config: TurnConfig,
    /// The end of turn being decided at the callee's pause.
    early: Option<turn_taking::Early>,
    /// Turns answered at their pause, oldest first, waiting for their final text.
    commits: VecDeque<turn_taking::Commit>,
    /// Turns whose final text differed from their pause's words, waiting for its intent.
    checks: Vec<turn_taking::Commit>,
    /// Shadow mode: the intent of the pause's words of the turn whose final is being understood.
    shadow_intent: Option<Intent>,
    /// The callee's latest pause: words that answer an earlier one (a lagging decoder) are not
    /// taken for it, and a pause whose request was lost leaves no count behind.
    last_pause: u64,
    /// The voice answer the reply playing follows: reopened if the callee goes on at once.
    reopen: Option<turn_taking::Reopen>,
    /// A reopened answer's words: the part the callee says now continues them.
    carry: Option<turn_taking::Carry>,
    /// The prompt the callee's voice stopped: it resumes if they only said "hm".
    held: Option<Held>,
    /// The prompt was resumed at a pause of the voice that stopped it: if that voice goes on,
    /// it was not only a hum.
    resumed_at_pause: bool,
    /// Where in its file the prompt playing started (ms; a resumed prompt's offset).
    prompt_from_ms: u64,
    /// Answers routed so far: a reply is taken back only while its answer is the last one routed.
    routes: u64,
    /// Replies taken back since a prompt last played to its end (bounded: a voice that never
    /// stops, a television, would otherwise keep every reply from starting).
    rejoins_since_prompt: u32,
}

/// A prompt stopped by the callee's voice, as it was.
#[derive(Debug, Clone, PartialEq)]
struct Held {
    file: String,
    played_ms: u64,
    /// Prompts that were to follow it.
    queue: VecDeque<String>,
    barged_in: bool,
}

/// A resumed prompt starts this much before where it was stopped: the word the callee spoke over
/// is heard again (a person picks up their sentence the same way).
const RESUME_REWIND_MS: u64 = 500;

impl Controller {
    pub fn new(scenario: Arc<Scenario>, asr_enabled: bool, now: Instant) -> Controller {
        Controller {
            step: scenario.start.clone(),
            scenario,
            limits: CallLimits::default(),
            processing_since: None,
            asr_enabled,
            phase: Phase::Responding,
            call_started: now,
            queue: VecDeque::new(),
            playing: None,
            prompt_started: None,
            listen_deadline: None,
            speaking: false,
            barged_in: false,
            reprompts: 0,
            repairs: 0,
            questions: 0,
            pending: Vec::new(),
            next_turn: 0,
            finals_due: VecDeque::new(),
            closing: None,
            turns: Vec::new(),
            last_partial: String::new(),
            sticky_outcome: None,
            opt_out_check: None,
            callback_text: None,
            recording_refused: false,
            turn_config: TurnConfig::default(),
            early: None,
            commits: VecDeque::new(),
            checks: Vec::new(),
            shadow_intent: None,
            last_pause: 0,
            reopen: None,
            carry: None,
            held: None,
            resumed_at_pause: false,
            prompt_from_ms: 0,
            routes: 0,
            rejoins_since_prompt: 0,
        }
    }

    pub fn with_turn_config(mut self, config: TurnConfig) -> Controller {
        self.turn_config = config;
        self
    }

    pub fn with_limits(mut self, limits: CallLimits) -> Controller {
        self.limits = limits;
        self
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The conversation state as operators know it: hello (the introduction playing), listening,
    /// processing, responding, closing (a last step playing), ended. "qualifying" is shown by the
    /// call loop while it scores the call.
    pub fn state_label(&self) -> &'static str {
        match self.phase {
            Phase::Responding if self.is_last_step() => "closing",
            Phase::Responding if self.step == self.scenario.start => "hello",
            phase => phase.as_str(),
        }
    }
    pub fn step(&self) -> &str {
        &self.step
    }
    pub fn turns(&self) -> &[Turn] {
        &self.turns
    }
    pub fn last_partial(&self) -> &str {
        &self.last_partial
    }
    /// What the callee said when asking for a callback (for the time it names).
    pub fn callback_text(&self) -> Option<&str> {
        self.callback_text.as_deref()
    }
    /// The next final result is a segment continuing a reopened answer (TEST FIXTURE: its words
    /// were given whole with the answer's first part).
    pub fn next_final_continues(&self) -> bool {
        self.finals_due.front().is_some_and(|d| d.continues)
    }
    /// The callee is saying more of a reopened answer (TEST FIXTURE: no words of its own).
    pub fn continuing(&self) -> bool {
        self.speaking && self.phase != Phase::Responding && self.carry_for(&self.step).is_some()
    }

    pub fn start(&mut self, now: Instant) -> Vec<Action> {
        let mut actions = Vec::new();
        let start = self.scenario.start.clone();
        self.enter(&start, now, &mut actions);
        actions
    }

    pub fn handle(&mut self, input: Input, now: Instant) -> Vec<Action> {
        let mut actions = Vec::new();
        if self.phase == Phase::Ended {
            return actions;
        }
        if self.closing.is_some() {
            self.while_closing(input, now, &mut actions);
            return actions;
        }
        match input {
            Input::HungUp => self.on_hangup(now, &mut actions),
            Input::PromptFinished | Input::PromptFailed => self.on_prompt_done(now, &mut actions),
            Input::SpeechStarted { confirmed_at } => self.on_speech_started(confirmed_at, now, &mut actions),
            Input::SpeechPaused { last_voice_at, seq } => self.on_pause(last_voice_at, seq, &mut actions),
            Input::SpeechResumed => self.on_resume(now, &mut actions),
            Input::SpeechEnded => return self.on_speech_ended(now, actions),
            Input::Partial { text, pause } => {
                self.last_partial = text.clone();
                actions.push(Action::Event(CallEvent::Partial { step: self.step.clone(), text: text.clone() }));
                if let Some(seq) = pause {
                    self.on_pause_words(seq, text, now, &mut actions);
                }
            }
            Input::Final { text, latency } => self.on_final(text, latency, now, &mut actions),
            Input::Classified { turn, classification, tier, latency } => self.on_classified(turn, classification, tier, latency, now, &mut actions),
            Input::Dtmf(digit) => self.on_dtmf(digit, now, &mut actions),
            Input::AsrFailed(reason) => self.on_asr_failed(reason, now, &mut actions),
            Input::MachineDetected => {
                self.stick(Outcome::AnsweringMachine);
                let outcome = self.sticky_outcome.unwrap_or(Outcome::AnsweringMachine); // an opt-out heard stands
                self.end(CallStatus::Success, outcome, &mut actions);
            }
            Input::Tick => self.on_tick(now, &mut actions),
        }
        actions
    }

    fn on_asr_failed(&mut self, reason: String, now: Instant, actions: &mut Vec<Action>) {
        self.asr_enabled = false;
        actions.push(Action::Event(CallEvent::AsrFailed { step: self.step.clone(), reason }));
        self.finals_due.clear(); // no final will come any more
        self.commits.clear(); // nor the finals that would have checked them
        if self.early.as_ref().is_some_and(|e| e.is_ended() && e.asked.is_none()) {
            self.early = None; // nor the words it waited for
        }
        if self.phase == Phase::Processing && !self.pending.iter().any(|p| !p.late) {
            // The text this turn waited for will not come.
            self.retry_or(Trigger::Intent(Intent::Unclear), now, actions);
        }
    }

    fn on_hangup(&mut self, now: Instant, actions: &mut Vec<Action>) {
        let outcome = if self.phase == Phase::Responding && self.is_last_step() {
            self.final_outcome() // gone during the goodbye: the call had reached its end
        } else {
            self.sticky_outcome.unwrap_or(Outcome::HangupEarly)
        };
        if self.prompt_started.take().is_some() {
            actions.push(Action::StopPrompt);
        }
        self.close(CallStatus::Hangup, outcome, true, now, actions);
    }

    /// Ends the call, or, while turns are still being recognized or understood (the last words
    /// may be an opt-out or a callback), waits for them first (bounded by `last_words`).
    fn close(&mut self, status: CallStatus, outcome: Outcome, hung_up: bool, now: Instant, actions: &mut Vec<Action>) {
        if !self.turn_in_flight() || self.limits.last_words.is_zero() {
            return self.end(status, outcome, actions);
        }
        self.queue.clear();
        self.listen_deadline = None;
        self.playing = None;
        self.closing = Some(Closing { until: now + self.limits.last_words, status, outcome, hung_up });
    }

    /// Turns the callee has started whose intent is not known yet.
    fn turn_in_flight(&self) -> bool {
        (self.speaking && self.phase != Phase::Responding && self.asr_enabled)
            || !self.pending.is_empty()
            || !self.commits.is_empty()
            || !self.checks.is_empty()
            || self.early.as_ref().is_some_and(|e| e.is_ended())
            || self.finals_due.iter().any(|d| d.kind != DueKind::OverPrompt)
    }

    /// The call is over but turns are in flight: their text and intent still count, nothing more
    /// is played, and the call ends once they are known or `last_words` has passed.
    fn while_closing(&mut self, input: Input, now: Instant, actions: &mut Vec<Action>) {
        let step = self.step.clone();
        match input {
            Input::HungUp => {
                if let Some(closing) = self.closing.as_mut() {
                    closing.hung_up = true;
                }
            }
            Input::SpeechEnded => {
                self.speaking = false;
                actions.push(Action::Event(CallEvent::SpeechEnded { step: step.clone() }));
                if self.asr_enabled {
                    let due = self.due(step, DueKind::Answer, now);
                    self.finals_due.push_back(due);
                }
            }
            Input::Final { text, latency } => {
                let text = text.trim().to_string();
                let latency_ms = latency.as_secs_f64() * 1000.0;
                let mut due = self.finals_due.pop_front().unwrap_or(Due { step, kind: DueKind::Answer, since: now, continues: false });
                if due.kind == DueKind::Committed && self.final_answers_unchecked_turn(&due.step).is_some() {
                    due.kind = DueKind::GivenUp; // the last words, whatever they answered
                }
                actions.push(Action::Event(CallEvent::Final { step: due.step.clone(), text: text.clone(), latency_ms }));
                let text = if due.kind == DueKind::Committed { text } else { self.joined(&due.step, &text) };
                match due.kind {
                    DueKind::Committed => self.check_final(text, latency_ms, actions),
                    DueKind::OverPrompt => {}
                    _ if text.is_empty() => {}
                    kind => self.ask(PendingTurn { id: 0, text, asr_ms: latency_ms, step: due.step, late: kind == DueKind::GivenUp }, actions),
                }
            }
            Input::Classified { turn, classification, tier, latency } if self.checks.iter().any(|c| c.check == Some(turn)) => {
                let intent = classification.intent;
                if let Some(commit) = self.take_check(turn, &classification, tier, latency) {
                    actions.push(Action::Event(CallEvent::TurnChecked { step: commit.step.clone(), how: "last_words" }));
                    self.weigh_last_words(&commit.step, intent);
                }
            }
            Input::Classified { turn, classification, tier, latency } if self.last_words_at_pause(turn, &classification, tier, latency, now, actions) => {}
            Input::Classified { turn, classification, tier, latency } => {
                let Some(i) = self.pending.iter().position(|p| p.id == turn) else { return };
                let turn = self.pending.remove(i);
                let intent = classification.intent;
                self.record_answer(&turn, &classification, tier, latency, now, actions);
                actions.push(Action::Event(CallEvent::LateResult { step: turn.step.clone(), intent, how: "last_words" }));
                self.weigh_last_words(&turn.step, intent);
            }
            Input::AsrFailed(_) => {
                self.asr_enabled = false;
                self.finals_due.clear();
            }
            Input::Tick => {
                if self.closing.as_ref().is_some_and(|c| now >= c.until) {
                    actions.push(Action::Event(CallEvent::Limit { step, limit: "last_words", waited_ms: ms(self.limits.last_words) }));
                    let Closing { status, outcome, .. } = self.closing.take().expect("closing");
                    return self.end(status, outcome, actions);
                }
            }
            _ => {}
        }
        if !self.turn_in_flight() {
            if let Some(Closing { status, outcome, .. }) = self.closing.take() {
                self.end(status, outcome, actions);
            }
        }
    }

    /// What last words decide once the call is over: an opt-out, a machine or a callback whatever
    /// the step (an opt-out above all); after a hangup, an answer that leads the scenario to its
    /// end takes that end's outcome (a "oui" to the adviser's visit is a lead even if the goodbye
    /// was not heard). Anything else leaves the outcome the call had.
    fn weigh_last_words(&mut self, answered: &str, intent: Intent) {
        let Some(closing) = self.closing.as_ref() else { return };
        let (current, hung_up) = (closing.outcome, closing.hung_up);
        let rank = |o: Outcome| match o {
            Outcome::DoNotCall => 3,
            Outcome::AnsweringMachine => 2,
            Outcome::Callback => 1,
            _ => 0,
        };
        let said = match Self::sticky_for(intent) {
            Some(sticky) => {
                self.stick(sticky);
                Some(sticky)
            }
            None if hung_up && answered == self.step && current == Outcome::HangupEarly && matches!(intent, Intent::Positive | Intent::Negative) => {
                match self.current().after(Trigger::Intent(intent)).map(str::to_string) {
                    None => Some(self.final_outcome()),
                    Some(target) => {
                        let target = self.scenario.step(&target);
                        (target.listen_ms == 0 && target.next.is_none()).then_some(target.outcome).flatten()
                    }
                }
            }
            None => None,
        };
        if let (Some(said), Some(closing)) = (said, self.closing.as_mut()) {
            if rank(said) >= rank(closing.outcome) {
                closing.outcome = said;
            }
        }
    }

    /// Sets the outcome an answer decides whatever the step; an opt-out once heard is never
    /// replaced by a callback or a machine (only a yes where it is asked back takes it back).
    fn stick(&mut self, outcome: Outcome) {
        if self.sticky_outcome != Some(Outcome::DoNotCall) {
            self.sticky_outcome = Some(outcome);
        }
    }

    /// Intents that decide the outcome whatever the step says.
    fn sticky_for(intent: Intent) -> Option<Outcome> {
        match intent {
            Intent::DoNotCall => Some(Outcome::DoNotCall),
            Intent::Callback => Some(Outcome::Callback),
            Intent::AnsweringMachine => Some(Outcome::AnsweringMachine),
            _ => None,
        }
    }

    fn on_prompt_done(&mut self, now: Instant, actions: &mut Vec<Action>) {
        if self.phase != Phase::Responding {
            return;
        }
        let file = self.playing.take().unwrap_or_default();
        let played_ms = self.played_ms(now);
        actions.push(Action::Event(CallEvent::PromptFinished { step: self.step.clone(), file, played_ms }));
        self.prompt_started = None;
        self.rejoins_since_prompt = 0;
        if let Some(next) = self.queue.pop_front() {
            self.play(next, now, actions);
        } else if self.current().listen_ms == 0 {
            let next = self.current().next.clone();
            self.go(next.as_deref(), now, actions);
        } else {
            self.listen(now);
        }
    }

    fn on_speech_started(&mut self, confirmed_at: Instant, now: Instant, actions: &mut Vec<Action>) {
        self.speaking = true;
        self.listen_deadline = None;
        actions.push(Action::Event(CallEvent::SpeechStarted { step: self.step.clone() }));
        if self.phase == Phase::Responding && self.rejoins(now) {
            return self.rejoin(now, actions);
        }
        if self.phase == Phase::Responding && self.current().barge_in {
            self.barge_in(now, now.saturating_duration_since(confirmed_at), "speech", actions);
        }
    }

    fn on_speech_ended(&mut self, now: Instant, mut actions: Vec<Action>) -> Vec<Action> {
        self.speaking = false;
        let step = self.step.clone();
        actions.push(Action::Event(CallEvent::SpeechEnded { step: step.clone() }));
        if let Some(answered) = self.asr_enabled.then(|| self.turn_ended_early(now, &mut actions)).flatten() {
            // Answered on the words at its pause: its final only checks that answer.
            let due = self.due(answered, DueKind::Committed, now);
            self.finals_due.push_back(due);
            return actions;
        }
        if self.asr_enabled {
            // Every segment gets its final: say now what it will be.
            let kind = if self.phase == Phase::Responding { DueKind::OverPrompt } else { DueKind::Answer };
            let due = self.due(step, kind, now);
            self.finals_due.push_back(due);
            if self.phase == Phase::Listening {
                self.start_processing(now);
            }
            return actions;
        }
        if self.phase != Phase::Listening {
            return actions;
        }
        // No recognizer: speech that is not keys is an unclear answer.
        let unclear = Classification { intent: Intent::Unclear, confidence: 0.0, entities: Vec::new(), sentiment: Sentiment::Neutral, topic: None, repair: None, opt_out_unsure: false };
        let turn = self.new_turn_id();
        self.pending.push(PendingTurn { id: turn, text: String::new(), asr_ms: 0.0, step, late: false });
        self.start_processing(now);
        actions.extend(self.handle(Input::Classified { turn, classification: unclear, tier: Tier::Local, latency: Duration::ZERO }, now));
        actions
    }

    fn on_final(&mut self, text: String, latency: Duration, now: Instant, actions: &mut Vec<Action>) {
        let step = self.step.clone();
        let text = text.trim().to_string();
        let latency_ms = latency.as_secs_f64() * 1000.0;
        let default_kind = if self.phase == Phase::Responding { DueKind::OverPrompt } else { DueKind::Answer };
        let mut due = self.finals_due.pop_front().unwrap_or(Due { step: step.clone(), kind: default_kind, since: now, continues: false });
        if due.kind == DueKind::Committed {
            if let Some(kind) = self.final_answers_unchecked_turn(&due.step) {
                due.kind = kind;
            }
        }
        // Named by the step the words answered (the call may have moved on since).
        actions.push(Action::Event(CallEvent::Final { step: due.step.clone(), text: text.clone(), latency_ms }));
        match due.kind {
            DueKind::Committed => self.check_final(text, latency_ms, actions),
            DueKind::OverPrompt => {} // not an answer to the prompt it was said over
            DueKind::GivenUp => {
                // The text of a turn given up earlier: it still counts (see `on_late_intent`).
                let text = self.joined(&due.step, &text);
                if !text.is_empty() {
                    self.ask(PendingTurn { id: 0, text, asr_ms: latency_ms, step: due.step, late: true }, actions);
                }
            }
            DueKind::Answer if self.phase == Phase::Responding => {} // answered meanwhile (keys)
            DueKind::Answer if self.carry_for(&due.step).is_some() => {
                // The rest of a reopened answer: understood with its first part.
                let text = self.joined(&due.step, &text);
                self.start_processing(now);
                self.ask(PendingTurn { id: 0, text, asr_ms: latency_ms, step: due.step, late: false }, actions);
            }
            DueKind::Answer if self.held.is_some() && (text.is_empty() || self.turn_config.is_backchannel(&text)) && !self.awaits_answer() && !self.speaking => {
                self.resume(now, actions);
            }
            DueKind::Answer if text.is_empty() => {
                // Noise that passed the onset: keep waiting for a real answer.
                if self.phase == Phase::Processing && !self.awaits_answer() {
                    self.listen(now);
                }
            }
            DueKind::Answer => {
                self.start_processing(now);
                self.ask(PendingTurn { id: 0, text, asr_ms: latency_ms, step: due.step, late: false }, actions);
            }
        }
    }

    /// The final a segment just ended at `step` will bring: an answer continues a reopened answer
    /// at that step, if there is one.
    fn due(&self, step: String, kind: DueKind, now: Instant) -> Due {
        let continues = kind == DueKind::Answer && self.carry_for(&step).is_some();
        Due { step, kind, since: now, continues }
    }

    /// Whether an answer of the current turn is still on its way (a final due, an intent pending).
    fn awaits_answer(&self) -> bool {
        self.finals_due.iter().any(|d| d.kind == DueKind::Answer) || self.pending.iter().any(|p| !p.late)
    }

    fn new_turn_id(&mut self) -> u64 {
        self.next_turn += 1;
        self.next_turn
    }

    /// Asks the intent service what a turn means at the step it answers; words that refuse the
    /// recording stop it, whatever else they mean.
    fn ask(&mut self, mut turn: PendingTurn, actions: &mut Vec<Action>) {
        self.hear_recording_objection(&turn.text, actions);
        turn.id = self.new_turn_id();
        let context = self.scenario.step(&turn.step).context.clone();
        actions.push(Action::Classify { turn: turn.id, text: turn.text.clone(), context });
        self.pending.push(turn);
    }

    fn on_classified(&mut self, turn: u64, classification: Classification, tier: Tier, latency: Duration, now: Instant, actions: &mut Vec<Action>) {
        if self.early.as_ref().is_some_and(|e| e.asked == Some(turn)) {
            return self.on_pause_understood(classification, tier, latency, now, actions);
        }
        if self.checks.iter().any(|c| c.check == Some(turn)) {
            return self.on_check(turn, classification, tier, latency, now, actions);
        }
        let Some(i) = self.pending.iter().position(|p| p.id == turn) else { return };
        let turn = self.pending.remove(i);
        if turn.late {
            return self.on_late_intent(turn, classification, tier, latency, now, actions);
        }
        if self.phase != Phase::Processing || turn.step != self.step {
            return; // the call moved on meanwhile (keys, or an earlier answer of this turn)
        }
        self.compare_shadow(classification.intent, actions);
        let before = turn_taking::Checkpoint::of(self);
        self.answer_turn(&turn, &classification, tier, latency, before, now, actions);
    }

    fn on_late_intent(&mut self, turn: PendingTurn, classification: Classification, tier: Tier, latency: Duration, now: Instant, actions: &mut Vec<Action>) {
        let intent = classification.intent;
        self.record_answer(&turn, &classification, tier, latency, now, actions);
        if turn.step == self.step && self.phase != Phase::Processing {
            actions.push(Action::Event(CallEvent::LateResult { step: turn.step, intent, how: "answer" }));
            self.stop_reply(actions);
            self.queue.clear();
            self.phase = Phase::Processing;
            self.route(intent, classification.topic, classification.repair, Heard::of(&classification, tier), now, actions);
        } else if Self::sticky_for(intent).is_some() {
            actions.push(Action::Event(CallEvent::LateResult { step: turn.step.clone(), intent, how: "sticky" }));
            self.apply_sticky(&turn.step, intent, now, actions);
        } else {
            actions.push(Action::Event(CallEvent::LateResult { step: turn.step, intent, how: "stored" }));
        }
    }

    /// Stops the prompt playing, if any.
    fn stop_reply(&mut self, actions: &mut Vec<Action>) {
        if self.prompt_started.take().is_some() {
            actions.push(Action::StopPrompt);
        }
        self.playing = None;
    }

    /// An opt-out, a callback or a machine heard after the call moved on from `answered`: the
    /// reply stops and the call follows that step's transition for it, with its outcome.
    fn apply_sticky(&mut self, answered: &str, intent: Intent, now: Instant, actions: &mut Vec<Action>) {
        let target = self.scenario.step(answered).explicit(Trigger::Intent(intent)).map(str::to_string);
        self.routes += 1;
        self.stop_reply(actions);
        if let Some(sticky) = Self::sticky_for(intent) {
            self.stick(sticky);
        }
        self.go(target.as_deref(), now, actions);
    }

    /// Words that refuse the recording stop it, whatever else they mean (said once is enough).
    fn hear_recording_objection(&mut self, words: &str, actions: &mut Vec<Action>) {
        if !self.recording_refused && self.scenario.objects_to_recording(words) {
            self.recording_refused = true;
            actions.push(Action::StopRecording);
        }
    }

    /// The Intent event and the turn's record; a callback keeps its words (for the time they name).
    fn record_answer(&mut self, turn: &PendingTurn, classification: &Classification, tier: Tier, latency: Duration, now: Instant, actions: &mut Vec<Action>) {
        let latency_ms = latency.as_secs_f64() * 1000.0;
        actions.push(Action::Event(CallEvent::Intent {
            step: turn.step.clone(),
            intent: classification.intent,
            confidence: classification.confidence,
            tier,
            latency_ms,
            entities: classification.entities.clone(),
            sentiment: classification.sentiment,
        }));
        self.record(
            Turn {
                step: turn.step.clone(),
                kind: self.scenario.step(&turn.step).context.kind,
                text: turn.text.clone(),
                intent: Some(classification.intent),
                confidence: classification.confidence,
                entities: classification.entities.iter().map(|e| e.to_string()).collect(),
                sentiment: Some(classification.sentiment),
                tier: Some(tier),
                asr_ms: turn.asr_ms,
                intent_ms: latency_ms,
                barged_in: self.barged_in,
                ..Turn::default()
            },
            now,
        );
        if classification.intent == Intent::Callback {
            self.callback_text = Some(turn.text.clone());
        }
        if self.carry_for(&turn.step).is_some() {
            self.carry = None; // the reopened answer is answered
        }
    }

    fn on_dtmf(&mut self, digit: char, now: Instant, actions: &mut Vec<Action>) {
        let step = self.step.clone();
        actions.push(Action::Event(CallEvent::Dtmf { step: step.clone(), digit }));
        if self.phase == Phase::Responding && !self.current().barge_in {
            return; // keys pressed during a prompt that must play in full
        }
        if self.phase == Phase::Responding {
            self.barge_in(now, Duration::ZERO, "dtmf", actions);
        }
        // The keypad convention of IVRs: 1 yes, 2 no, 9 never call me again.
        let intent = match digit {
            '1' => Intent::Positive,
            '2' => Intent::Negative,
            '9' => Intent::DoNotCall,
            _ => Intent::Unclear,
        };
        self.pending.retain(|p| p.late); // keys answer the turn; late ones still count
        self.carry = None;
        self.held = None;
        self.rejoins_since_prompt = 0;
        if !self.early.as_ref().is_some_and(|e| e.is_ended()) {
            self.early = None;
        }
        self.record(
            Turn {
                step: step.clone(),
                kind: self.current().context.kind,
                intent: Some(intent),
                confidence: 1.0,
                tier: Some(Tier::Dtmf),
                dtmf: Some(digit),
                barged_in: self.barged_in,
                ..Turn::default()
            },
            now,
        );
        self.route(intent, None, None, Heard { unsure_opt_out: false, firsthand: true }, now, actions);
    }

    fn on_tick(&mut self, now: Instant, actions: &mut Vec<Action>) {
        self.decide_early(now, actions);
        let step = self.step.clone();
        // A segment whose final never came (its end of turn lost): later finals are not its.
        while self.finals_due.front().is_some_and(|d| now.saturating_duration_since(d.since) >= DUE_FORGOTTEN) {
            if self.finals_due.pop_front().is_some_and(|d| d.kind == DueKind::Committed) {
                self.commits.pop_front(); // its check will never come
            }
        }
        let elapsed = now.saturating_duration_since(self.call_started);
        if elapsed >= self.limits.max_duration {
            actions.push(Action::Event(CallEvent::Limit { step, limit: "max_duration", waited_ms: ms(elapsed) }));
            let outcome = self.final_outcome();
            self.end(CallStatus::Success, outcome, actions);
            return;
        }
        if let Some(deadline) = self.processing_deadline() {
            if now >= deadline {
                let waited = now.saturating_duration_since(self.processing_since.unwrap_or(now));
                actions.push(Action::Event(CallEvent::Limit { step: step.clone(), limit: "processing_timeout", waited_ms: ms(waited) }));
                // The turn is given up, not forgotten: its text or intent still counts if it comes.
                for due in self.finals_due.iter_mut().filter(|d| d.kind == DueKind::Answer) {
                    due.kind = DueKind::GivenUp;
                }
                for turn in &mut self.pending {
                    turn.late = true;
                }
                self.retry_or(Trigger::Intent(Intent::Unclear), now, actions);
                return;
            }
        }
        if let Some(deadline) = self.listen_deadline {
            if self.phase == Phase::Listening && !self.speaking && now >= deadline {
                let waited_ms = self.current().listen_ms as u64;
                actions.push(Action::Event(CallEvent::NoInput { step: step.clone(), waited_ms }));
                self.record(Turn { step, kind: self.current().context.kind, no_input: true, ..Turn::default() }, now);
                self.retry_or(Trigger::NoInput, now, actions);
            }
        }
    }

    fn processing_deadline(&self) -> Option<Instant> {
        match (self.phase, self.processing_since) {
            (Phase::Processing, Some(since)) => Some(since + self.limits.processing_timeout),
            _ => None,
        }
    }

    /// When `handle(Tick)` next has something to do: the nearest of the listening, processing,
    /// last-words and whole-call deadlines.
    pub fn next_deadline(&self) -> Option<Instant> {
        if let Some(closing) = &self.closing {
            return Some(closing.until); // nothing else counts while the last words are awaited
        }
        let whole_call = (self.phase != Phase::Ended).then(|| self.call_started + self.limits.max_duration);
        [self.listen_deadline, self.processing_deadline(), self.early_deadline(), whole_call].into_iter().flatten().min()
    }

    fn current(&self) -> &crate::scenario::Step {
        self.scenario.step(&self.step)
    }

    fn is_last_step(&self) -> bool {
        let step = self.current();
        step.listen_ms == 0 && step.next.is_none()
    }

    fn route(&mut self, intent: Intent, topic: Option<Topic>, repair: Option<Repair>, heard: Heard, now: Instant, actions: &mut Vec<Action>) {
        self.routes += 1;
        let trigger = Trigger::Intent(intent);
        match intent {
            Intent::AnsweringMachine => {
                self.stick(Outcome::AnsweringMachine);
                let target = self.current().explicit(trigger).map(str::to_string);
                self.go(target.as_deref(), now, actions);
            }
            Intent::DoNotCall => {
                let before = self.sticky_outcome;
                // From here the opt-out stands, whatever happens next, unless the callee says yes
                // to being called again when it is asked back (a no, a hangup, a silence, an
                // unclear answer, a callback keep it).
                self.sticky_outcome = Some(Outcome::DoNotCall);
                if let Some(confirm) = self.scenario.confirm_opt_out.clone().filter(|c| heard.unsure_opt_out && self.opt_out_check.is_none() && *c != self.step) {
                    self.opt_out_check = Some(OptOutCheck { heard_at: self.step.clone(), answer: CheckAnswer::Awaited { outcome_before: before } });
                    return self.enter(&confirm, now, actions);
                }
                let target = self.current().explicit(trigger).map(str::to_string);
                self.go(target.as_deref(), now, actions);
            }
            Intent::Callback => {
                self.stick(Outcome::Callback);
                let target = self.current().explicit(trigger).map(str::to_string);
                self.go(target.as_deref(), now, actions);
            }
            Intent::Question => {
                let answer = topic.and_then(|t| self.scenario.answer(t)).map(str::to_string);
                match (answer, self.current().explicit(trigger).map(str::to_string)) {
                    (Some(answer), _) if self.questions < 2 => {
                        // Answer, then ask the step's question again.
                        self.questions += 1;
                        let prompt = self.current().prompt.clone();
                        self.queue.push_back(prompt);
                        self.play(answer, now, actions);
                    }
                    (_, Some(target)) => self.go(Some(&target), now, actions),
                    _ => self.retry_or(trigger, now, actions),
                }
            }
            Intent::Unclear => self.unclear(repair, now, actions),
            Intent::Positive if heard.firsthand && self.scenario.confirm_opt_out.as_deref() == Some(self.step.as_str()) && self.awaits_opt_out_answer() => {
                // "Yes" to "may we go on calling you?": it was not an opt-out; back to the
                // question it was heard at, which is asked again. Anything else keeps it.
                let check = self.opt_out_check.as_mut().expect("asked back");
                if let CheckAnswer::Awaited { outcome_before } = std::mem::replace(&mut check.answer, CheckAnswer::TakenBack) {
                    self.sticky_outcome = outcome_before;
                }
                let heard_at = check.heard_at.clone();
                self.enter(&heard_at, now, actions);
            }
            Intent::Positive | Intent::Negative => {
                let target = self.current().after(trigger).map(str::to_string);
                self.go(target.as_deref(), now, actions);
            }
        }
    }

    /// An unclear turn that is no answer: a request to hear the question again replays it, a
    /// hesitation waits for the rest; neither counts as a reprompt. Past `MAX_REPAIRS` at a step
    /// (a line too bad to hear, a callee who never says more), it is an unclear answer.
    fn unclear(&mut self, repair: Option<Repair>, now: Instant, actions: &mut Vec<Action>) {
        match repair {
            Some(repair) if self.repairs < MAX_REPAIRS && self.current().listen_ms > 0 => {
                self.repairs += 1;
                actions.push(Action::Event(CallEvent::Repair { step: self.step.clone(), how: repair.as_str() }));
                match repair {
                    Repair::Repeat => {
                        let prompt = self.current().prompt.clone();
                        self.play(prompt, now, actions);
                    }
                    Repair::Hesitation => self.listen(now),
                }
            }
            _ => self.retry_or(Trigger::Intent(Intent::Unclear), now, actions),
        }
    }

    /// Unclear answer or silence: ask again (up to max_reprompts), then follow the step's
    /// transition for it, else `next`, else end politely.
    fn retry_or(&mut self, trigger: Trigger, now: Instant, actions: &mut Vec<Action>) {
        let max = self.scenario.max_reprompts_for(self.current());
        let reprompt = self.scenario.reprompt_for(self.current()).map(str::to_string);
        if let (Some(reprompt), true) = (reprompt, self.reprompts < max) {
            self.reprompts += 1;
            actions.push(Action::Event(CallEvent::Reprompt { step: self.step.clone(), count: self.reprompts }));
            self.play(reprompt, now, actions);
            return;
        }
        let target = self.current().after(trigger).map(str::to_string);
        self.go(target.as_deref(), now, actions);
    }

    fn barge_in(&mut self, now: Instant, stop_delay: Duration, by: &'static str, actions: &mut Vec<Action>) {
        let file = self.playing.take().unwrap_or_default();
        let played_ms = self.played_ms(now);
        if by == "speech" && self.current().listen_ms > 0 {
            self.held = Some(Held { file: file.clone(), played_ms, queue: self.queue.clone(), barged_in: self.barged_in });
        }
        actions.push(Action::StopPrompt);
        actions.push(Action::Event(CallEvent::BargeIn {
            step: self.step.clone(),
            file,
            played_ms,
            stop_delay_ms: stop_delay.as_secs_f64() * 1000.0,
            by,
        }));
        self.queue.clear();
        self.barged_in = true;
        self.prompt_started = None;
        self.phase = Phase::Listening;
        if self.current().listen_ms == 0 {
            // Interrupting a goodbye does not make it a question.
            let next = self.current().next.clone();
            self.go(next.as_deref(), now, actions);
        }
    }

    fn start_processing(&mut self, now: Instant) {
        if self.phase != Phase::Processing {
            self.phase = Phase::Processing;
            self.processing_since = Some(now);
        }
    }

    fn record(&mut self, mut turn: Turn, now: Instant) {
        turn.at_ms = ms(now - self.call_started);
        turn.question = self.scenario.step(&turn.step).context.question.clone();
        self.turns.push(turn);
    }

    fn listen(&mut self, now: Instant) {
        self.phase = Phase::Listening;
        self.listen_deadline = if self.speaking { None } else { Some(now + Duration::from_millis(self.current().listen_ms as u64)) };
    }

    fn go(&mut self, next: Option<&str>, now: Instant, actions: &mut Vec<Action>) {
        match next {
            Some(step) => self.enter(step, now, actions),
            None => {
                // The scenario is over; an answer still on its way may yet be an opt-out.
                let outcome = self.final_outcome();
                self.close(CallStatus::Success, outcome, false, now, actions)
            }
        }
    }

    fn final_outcome(&self) -> Outcome {
        if let Some(sticky) = self.sticky_outcome.filter(|o| matches!(o, Outcome::DoNotCall | Outcome::AnsweringMachine)) {
            return sticky;
        }
        // Nobody ever said a word (the no-input path led to a goodbye): nobody was reached, whatever
        // that goodbye's outcome; a refusal would keep the person from being called for weeks.
        if self.turns.iter().all(|t| t.no_input) && (!self.turns.is_empty() || self.current().outcome.is_none()) {
            return Outcome::NoAnswer;
        }
        if let Some(outcome) = self.current().outcome {
            return outcome;
        }
        if let Some(sticky) = self.sticky_outcome {
            return sticky;
        }
        Outcome::Completed
    }

    fn enter(&mut self, step: &str, now: Instant, actions: &mut Vec<Action>) {
        if step != self.step {
            self.reprompts = 0;
            self.repairs = 0;
            self.questions = 0;
        }
        if self.carry.as_ref().is_some_and(|c| c.step != step) {
            self.carry = None;
        }
        if self.scenario.confirm_opt_out.as_deref() != Some(step) && self.awaits_opt_out_answer() {
            // Its answer was heard, or the call went elsewhere: it stands.
            if let Some(check) = self.opt_out_check.as_mut() {
                check.answer = CheckAnswer::Stood;
            }
        }
        self.step = step.to_string();
        self.barged_in = false;
        self.listen_deadline = None;
        self.queue.clear();
        actions.push(Action::Event(CallEvent::StepEntered { step: step.to_string() }));
        let prompt = self.current().prompt.clone();
        self.play(prompt, now, actions);
    }

    fn play(&mut self, file: String, now: Instant, actions: &mut Vec<Action>) {
        self.start_prompt(file, 0, now, actions);
    }

    /// The prompt the callee only hummed over plays on, from a little before where it stopped.
    fn resume(&mut self, now: Instant, actions: &mut Vec<Action>) {
        let Some(held) = self.held.take() else { return };
        actions.push(Action::Event(CallEvent::TurnChecked { step: self.step.clone(), how: "backchannel" }));
        self.queue = held.queue;
        self.barged_in = held.barged_in;
        self.processing_since = None;
        self.start_prompt(held.file, held.played_ms.saturating_sub(RESUME_REWIND_MS), now, actions);
    }

    /// How far into its file the prompt playing is.
    fn played_ms(&self, now: Instant) -> u64 {
        self.prompt_started.map_or(0, |t| self.prompt_from_ms + ms(now - t))
    }

    fn start_prompt(&mut self, file: String, from_ms: u64, now: Instant, actions: &mut Vec<Action>) {
        // The bot speaks: no pause is being decided (a turn already ended still is answered).
        if !self.early.as_ref().is_some_and(|e| e.is_ended()) {
            self.early = None;
        }
        self.held = None;
        self.resumed_at_pause = false;
        self.phase = Phase::Responding;
        self.listen_deadline = None;
        self.prompt_started = Some(now);
        self.prompt_from_ms = from_ms;
        self.playing = Some(file.clone());
        actions.push(Action::Event(CallEvent::PromptStarted { step: self.step.clone(), file: file.clone() }));
        actions.push(if from_ms == 0 { Action::Play(file) } else { Action::PlayFrom { file, from_ms } });
    }

    /// An unsure opt-out is being asked back and its answer is not heard yet.
    fn awaits_opt_out_answer(&self) -> bool {
        matches!(self.opt_out_check, Some(OptOutCheck { answer: CheckAnswer::Awaited { .. }, .. }))
    }

    fn end(&mut self, status: CallStatus, outcome: Outcome, actions: &mut Vec<Action>) {
        if self.prompt_started.take().is_some() {
            actions.push(Action::StopPrompt);
        }
        self.phase = Phase::Ended;
        self.listen_deadline = None;
        self.closing = None;
        if let Some(check) = self.opt_out_check.take() {
            actions.push(Action::Event(CallEvent::OptOutAskedBack { step: check.heard_at.clone(), answer: "asked" }));
            if check.answer == CheckAnswer::TakenBack {
                actions.push(Action::Event(CallEvent::OptOutAskedBack { step: check.heard_at, answer: "taken_back" }));
            }
        }
        actions.push(Action::End { status, outcome });
    }
}

fn ms(d: Duration) -> u64 {
    d.as_millis() as u64
}

/// `[call]` in minibot.conf.
impl FromKeys for CallLimits {
    fn apply(&mut self, key: &Key) -> Result<bool, ConfigError> {
        match key.name() {
            "max_duration_s" => self.max_duration = Duration::from_secs(u64::from(key.number(10, 86_400)?)),
            "processing_timeout_ms" => self.processing_timeout = Duration::from_millis(u64::from(key.number(200, 120_000)?)),
            "last_words_ms" => self.last_words = Duration::from_millis(u64::from(key.number(0, 10_000)?)),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

mod turn_taking;

#[cfg(test)]
mod tests;
