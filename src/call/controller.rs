//! The call controller: turns media, recognition and understanding events into prompts,
//! barge-ins, turns and the call's end, following the campaign's scenario. Pure and driven by
//! `handle(input, now)`, so every transition is unit-tested without a channel or a clock.
//!
//! A turn: the callee's speech ends -> the recognizer's final text -> `Action::Classify` (the
//! intent service answers with `Input::Classified`, within its deadline) -> the step's transition.

use crate::vocab::{CallStatus, Classification, Intent, Outcome, Sentiment, StepContext, Tier, Topic, Turn};
use crate::scenario::{Scenario, Trigger};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    SpeechEnded,
    Partial(String),
    Final { text: String, latency: Duration },
    /// The intent service's answer to the last `Action::Classify`.
    Classified { classification: Classification, tier: Tier, latency: Duration },
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
    /// unclear (the recognizer failed, or its end of turn was lost).
    pub processing_timeout: Duration,
}

impl Default for CallLimits {
    fn default() -> Self {
        CallLimits { max_duration: Duration::from_secs(600), processing_timeout: Duration::from_millis(5000) }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Play(String),
    StopPrompt,
    /// Ask the intent service what `text` means at this step.
    Classify { text: String, context: Arc<StepContext> },
    Event(CallEvent),
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
    AsrFailed { step: String, reason: String },
    /// A bound of [`CallLimits`] was reached: "processing_timeout" or "max_duration".
    Limit { step: String, limit: &'static str, waited_ms: u64 },
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
    questions: u32,
    /// The final text waiting for its intent.
    pending: Option<(String, f64)>,
    turns: Vec<Turn>,
    last_partial: String,
    /// Set by answers that decide the outcome whatever the last step says.
    sticky_outcome: Option<Outcome>,
    callback_text: Option<String>,
}

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
            questions: 0,
            pending: None,
            turns: Vec::new(),
            last_partial: String::new(),
            sticky_outcome: None,
            callback_text: None,
        }
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
        let step = self.step.clone();
        match input {
            Input::HungUp => {
                let outcome = if self.phase == Phase::Responding && self.is_last_step() {
                    self.final_outcome() // gone during the goodbye: the call had reached its end
                } else {
                    self.sticky_outcome.unwrap_or(Outcome::HangupEarly)
                };
                self.end(CallStatus::Hangup, outcome, &mut actions)
            }
            Input::PromptFinished | Input::PromptFailed if self.phase == Phase::Responding => {
                let file = self.playing.take().unwrap_or_default();
                let played_ms = self.prompt_started.map_or(0, |t| ms(now - t));
                actions.push(Action::Event(CallEvent::PromptFinished { step: step.clone(), file, played_ms }));
                self.prompt_started = None;
                if let Some(next) = self.queue.pop_front() {
                    self.play(next, now, &mut actions);
                } else if self.current().listen_ms == 0 {
                    let next = self.current().next.clone();
                    self.go(next.as_deref(), now, &mut actions);
                } else {
                    self.listen(now);
                }
            }
            Input::PromptFinished | Input::PromptFailed => {}
            Input::SpeechStarted { confirmed_at } => {
                self.speaking = true;
                self.listen_deadline = None;
                actions.push(Action::Event(CallEvent::SpeechStarted { step: step.clone() }));
                if self.phase == Phase::Responding && self.current().barge_in {
                    self.barge_in(now, now.saturating_duration_since(confirmed_at), "speech", &mut actions);
                }
            }
            Input::SpeechEnded => {
                self.speaking = false;
                actions.push(Action::Event(CallEvent::SpeechEnded { step: step.clone() }));
                if self.phase == Phase::Listening {
                    if self.asr_enabled {
                        self.start_processing(now);
                    } else {
                        // No recognizer: speech that is not keys is an unclear answer.
                        let unclear = Classification {
                            intent: Intent::Unclear,
                            confidence: 0.0,
                            entities: Vec::new(),
                            sentiment: Sentiment::Neutral,
                            topic: None,
                        };
                        self.pending = Some((String::new(), 0.0));
                        self.start_processing(now);
                        return self.handle(Input::Classified { classification: unclear, tier: Tier::Local, latency: Duration::ZERO }, now);
                    }
                }
            }
            Input::Partial(text) => {
                self.last_partial = text.clone();
                actions.push(Action::Event(CallEvent::Partial { step, text }));
            }
            Input::Final { text, latency } => {
                let text = text.trim().to_string();
                let latency_ms = latency.as_secs_f64() * 1000.0;
                actions.push(Action::Event(CallEvent::Final { step: step.clone(), text: text.clone(), latency_ms }));
                if self.phase == Phase::Responding {
                    return actions; // said over a prompt that cannot be interrupted: not an answer to it
                }
                if text.is_empty() {
                    // Noise that passed the onset: keep waiting for a real answer.
                    if self.phase == Phase::Processing {
                        self.listen(now);
                    }
                    return actions;
                }
                self.start_processing(now);
                self.pending = Some((text.clone(), latency_ms));
                actions.push(Action::Classify { text, context: self.current().context.clone() });
            }
            Input::Classified { classification, tier, latency } => {
                let Some((text, asr_ms)) = self.pending.take() else { return actions };
                if self.phase != Phase::Processing {
                    return actions;
                }
                let latency_ms = latency.as_secs_f64() * 1000.0;
                actions.push(Action::Event(CallEvent::Intent {
                    step: step.clone(),
                    intent: classification.intent,
                    confidence: classification.confidence,
                    tier,
                    latency_ms,
                    entities: classification.entities.clone(),
                    sentiment: classification.sentiment,
                }));
                self.record(
                    Turn {
                        step: step.clone(),
                        kind: self.current().context.kind,
                        text: text.clone(),
                        intent: Some(classification.intent),
                        confidence: classification.confidence,
                        entities: classification.entities.iter().map(|e| e.to_string()).collect(),
                        sentiment: Some(classification.sentiment),
                        tier: Some(tier),
                        asr_ms,
                        intent_ms: latency_ms,
                        barged_in: self.barged_in,
                        ..Turn::default()
                    },
                    now,
                );
                if classification.intent == Intent::Callback {
                    self.callback_text = Some(text);
                }
                self.route(classification.intent, classification.topic, now, &mut actions);
            }
            Input::Dtmf(digit) => {
                actions.push(Action::Event(CallEvent::Dtmf { step: step.clone(), digit }));
                if self.phase == Phase::Responding && !self.current().barge_in {
                    return actions; // keys pressed during a prompt that must play in full
                }
                if self.phase == Phase::Responding {
                    self.barge_in(now, Duration::ZERO, "dtmf", &mut actions);
                }
                // The keypad convention of IVRs: 1 yes, 2 no, 9 never call me again.
                let intent = match digit {
                    '1' => Intent::Positive,
                    '2' => Intent::Negative,
                    '9' => Intent::DoNotCall,
                    _ => Intent::Unclear,
                };
                self.pending = None;
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
                self.route(intent, None, now, &mut actions);
            }
            Input::AsrFailed(reason) => {
                self.asr_enabled = false;
                actions.push(Action::Event(CallEvent::AsrFailed { step: step.clone(), reason }));
                if self.phase == Phase::Processing && self.pending.is_none() {
                    // The text this turn waited for will not come.
                    self.retry_or(Trigger::Intent(Intent::Unclear), now, &mut actions);
                }
            }
            Input::MachineDetected => {
                self.sticky_outcome = Some(Outcome::AnsweringMachine);
                self.end(CallStatus::Success, Outcome::AnsweringMachine, &mut actions);
            }
            Input::Tick => {
                let elapsed = now.saturating_duration_since(self.call_started);
                if elapsed >= self.limits.max_duration {
                    actions.push(Action::Event(CallEvent::Limit { step: step.clone(), limit: "max_duration", waited_ms: ms(elapsed) }));
                    let outcome = self.final_outcome();
                    self.end(CallStatus::Success, outcome, &mut actions);
                    return actions;
                }
                if let (Phase::Processing, Some(since)) = (self.phase, self.processing_since) {
                    let waited = now.saturating_duration_since(since);
                    if waited >= self.limits.processing_timeout {
                        actions.push(Action::Event(CallEvent::Limit { step: step.clone(), limit: "processing_timeout", waited_ms: ms(waited) }));
                        self.pending = None;
                        self.retry_or(Trigger::Intent(Intent::Unclear), now, &mut actions);
                        return actions;
                    }
                }
                if let Some(deadline) = self.listen_deadline {
                    if self.phase == Phase::Listening && !self.speaking && now >= deadline {
                        let waited_ms = self.current().listen_ms as u64;
                        actions.push(Action::Event(CallEvent::NoInput { step: step.clone(), waited_ms }));
                        self.record(Turn { step: step.clone(), kind: self.current().context.kind, no_input: true, ..Turn::default() }, now);
                        self.retry_or(Trigger::NoInput, now, &mut actions);
                    }
                }
            }
        }
        actions
    }

    /// When `handle(Tick)` next has something to do.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.listen_deadline
    }

    fn current(&self) -> &crate::scenario::Step {
        self.scenario.step(&self.step)
    }

    fn is_last_step(&self) -> bool {
        let step = self.current();
        step.listen_ms == 0 && step.next.is_none()
    }

    fn route(&mut self, intent: Intent, topic: Option<Topic>, now: Instant, actions: &mut Vec<Action>) {
        let trigger = Trigger::Intent(intent);
        match intent {
            Intent::AnsweringMachine => {
                self.sticky_outcome = Some(Outcome::AnsweringMachine);
                let target = self.current().explicit(trigger).map(str::to_string);
                self.go(target.as_deref(), now, actions);
            }
            Intent::DoNotCall => {
                self.sticky_outcome = Some(Outcome::DoNotCall);
                let target = self.current().explicit(trigger).map(str::to_string);
                self.go(target.as_deref(), now, actions);
            }
            Intent::Callback => {
                self.sticky_outcome = Some(Outcome::Callback);
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
            Intent::Unclear => self.retry_or(trigger, now, actions),
            Intent::Positive | Intent::Negative => {
                let target = self.current().after(trigger).map(str::to_string);
                self.go(target.as_deref(), now, actions);
            }
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
        let played_ms = self.prompt_started.map_or(0, |t| ms(now - t));
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
                let outcome = self.final_outcome();
                self.end(CallStatus::Success, outcome, actions)
            }
        }
    }

    fn final_outcome(&self) -> Outcome {
        if let Some(sticky) = self.sticky_outcome.filter(|o| matches!(o, Outcome::DoNotCall | Outcome::AnsweringMachine)) {
            return sticky;
        }
        if let Some(outcome) = self.current().outcome {
            return outcome;
        }
        if let Some(sticky) = self.sticky_outcome {
            return sticky;
        }
        if self.turns.iter().all(|t| t.no_input) {
            return Outcome::NoAnswer;
        }
        Outcome::Completed
    }

    fn enter(&mut self, step: &str, now: Instant, actions: &mut Vec<Action>) {
        if step != self.step {
            self.reprompts = 0;
            self.questions = 0;
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
        self.phase = Phase::Responding;
        self.listen_deadline = None;
        self.prompt_started = Some(now);
        self.playing = Some(file.clone());
        actions.push(Action::Event(CallEvent::PromptStarted { step: self.step.clone(), file: file.clone() }));
        actions.push(Action::Play(file));
    }

    fn end(&mut self, status: CallStatus, outcome: Outcome, actions: &mut Vec<Action>) {
        if self.prompt_started.take().is_some() {
            actions.push(Action::StopPrompt);
        }
        self.phase = Phase::Ended;
        self.listen_deadline = None;
        actions.push(Action::End { status, outcome });
    }
}

fn ms(d: Duration) -> u64 {
    d.as_millis() as u64
}

#[cfg(test)]
mod tests;
