//! The call controller: turns media and recognition events into prompts, barge-ins, turns and the
//! call's end, following the campaign's scenario. Pure and driven by `handle(input, now)`, so
//! every transition is unit-tested without a channel or a clock.

use super::CallStatus;
use crate::scenario::Scenario;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Conversation state, as `minibot show calls` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// A prompt is playing (the callee can barge in).
    Responding,
    /// Waiting for, or hearing, the callee.
    Listening,
    /// The callee stopped talking; waiting for the recognizer's final result.
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
    Dtmf(char),
    /// Time passes (no-input timeouts).
    Tick,
    HungUp,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Play(String),
    StopPrompt,
    Event(CallEvent),
    End(CallStatus),
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
    NoInput { step: String, waited_ms: u64 },
    Dtmf { step: String, digit: char },
}

/// One exchange: what the callee answered at a step.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub step: String,
    pub text: String,
    pub dtmf: Option<char>,
    pub no_input: bool,
    pub barged_in: bool,
    pub at_ms: u64,
}

pub struct Controller {
    scenario: Arc<Scenario>,
    /// Without a recognizer, any speech turn counts as an answer.
    asr_enabled: bool,
    step: String,
    phase: Phase,
    call_started: Instant,
    prompt_started: Option<Instant>,
    listen_deadline: Option<Instant>,
    speaking: bool,
    barged_in: bool,
    turns: Vec<Turn>,
    last_partial: String,
}

impl Controller {
    pub fn new(scenario: Arc<Scenario>, asr_enabled: bool, now: Instant) -> Controller {
        Controller {
            step: scenario.start.clone(),
            scenario,
            asr_enabled,
            phase: Phase::Responding,
            call_started: now,
            prompt_started: None,
            listen_deadline: None,
            speaking: false,
            barged_in: false,
            turns: Vec::new(),
            last_partial: String::new(),
        }
    }

    pub fn phase(&self) -> Phase {
        self.phase
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
            Input::HungUp => self.end(CallStatus::Hangup, &mut actions),
            Input::PromptFinished | Input::PromptFailed if self.phase == Phase::Responding => {
                let file = self.scenario.step(&step).prompt.clone();
                let played_ms = self.prompt_started.map_or(0, |t| ms(now - t));
                actions.push(Action::Event(CallEvent::PromptFinished { step: step.clone(), file, played_ms }));
                self.prompt_started = None;
                if self.scenario.step(&step).listen_ms == 0 {
                    let next = self.scenario.step(&step).next.clone();
                    self.go(next, now, &mut actions);
                } else {
                    self.phase = Phase::Listening;
                    if !self.speaking {
                        self.listen_deadline = Some(now + Duration::from_millis(self.scenario.step(&step).listen_ms as u64));
                    }
                }
            }
            Input::PromptFinished | Input::PromptFailed => {}
            Input::SpeechStarted { confirmed_at } => {
                self.speaking = true;
                self.listen_deadline = None;
                actions.push(Action::Event(CallEvent::SpeechStarted { step: step.clone() }));
                if self.phase == Phase::Responding && self.scenario.step(&step).barge_in {
                    self.barge_in(now, now.saturating_duration_since(confirmed_at), "speech", &mut actions);
                }
            }
            Input::SpeechEnded => {
                self.speaking = false;
                actions.push(Action::Event(CallEvent::SpeechEnded { step: step.clone() }));
                if self.phase == Phase::Listening {
                    self.phase = Phase::Processing;
                }
            }
            Input::Partial(text) => {
                self.last_partial = text.clone();
                actions.push(Action::Event(CallEvent::Partial { step, text }));
            }
            Input::Final { text, latency } => {
                let text = text.trim().to_string();
                actions.push(Action::Event(CallEvent::Final {
                    step: step.clone(),
                    text: text.clone(),
                    latency_ms: latency.as_secs_f64() * 1000.0,
                }));
                if text.is_empty() && self.asr_enabled {
                    // Noise that passed the onset: keep waiting for a real answer.
                    if self.phase == Phase::Processing {
                        self.phase = Phase::Listening;
                        self.listen_deadline = Some(now + Duration::from_millis(self.scenario.step(&step).listen_ms as u64));
                    }
                    return actions;
                }
                if self.phase == Phase::Responding {
                    return actions; // a late result from before this prompt
                }
                self.record(Turn { step: step.clone(), text, dtmf: None, no_input: false, barged_in: self.barged_in, at_ms: 0 }, now);
                let next = self.scenario.step(&step).next.clone();
                self.go(next, now, &mut actions);
            }
            Input::Dtmf(digit) => {
                actions.push(Action::Event(CallEvent::Dtmf { step: step.clone(), digit }));
                if self.phase == Phase::Responding && !self.scenario.step(&step).barge_in {
                    return actions; // keys pressed during a prompt that must play in full
                }
                if self.phase == Phase::Responding {
                    self.barge_in(now, Duration::ZERO, "dtmf", &mut actions);
                }
                self.record(
                    Turn { step: step.clone(), text: String::new(), dtmf: Some(digit), no_input: false, barged_in: self.barged_in, at_ms: 0 },
                    now,
                );
                let next = self.scenario.step(&step).next.clone();
                self.go(next, now, &mut actions);
            }
            Input::Tick => {
                if let Some(deadline) = self.listen_deadline {
                    if self.phase == Phase::Listening && !self.speaking && now >= deadline {
                        let waited_ms = self.scenario.step(&step).listen_ms as u64;
                        actions.push(Action::Event(CallEvent::NoInput { step: step.clone(), waited_ms }));
                        self.record(
                            Turn { step: step.clone(), text: String::new(), dtmf: None, no_input: true, barged_in: false, at_ms: 0 },
                            now,
                        );
                        let s = self.scenario.step(&step);
                        let next = s.no_input.clone().or_else(|| s.next.clone());
                        self.go(next, now, &mut actions);
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

    fn barge_in(&mut self, now: Instant, stop_delay: Duration, by: &'static str, actions: &mut Vec<Action>) {
        let file = self.scenario.step(&self.step).prompt.clone();
        let played_ms = self.prompt_started.map_or(0, |t| ms(now - t));
        actions.push(Action::StopPrompt);
        actions.push(Action::Event(CallEvent::BargeIn {
            step: self.step.clone(),
            file,
            played_ms,
            stop_delay_ms: stop_delay.as_secs_f64() * 1000.0,
            by,
        }));
        self.barged_in = true;
        self.prompt_started = None;
        self.phase = Phase::Listening;
    }

    fn record(&mut self, mut turn: Turn, now: Instant) {
        turn.at_ms = ms(now - self.call_started);
        self.turns.push(turn);
    }

    fn go(&mut self, next: Option<String>, now: Instant, actions: &mut Vec<Action>) {
        match next {
            Some(step) => self.enter(&step, now, actions),
            None => self.end(CallStatus::Success, actions),
        }
    }

    fn enter(&mut self, step: &str, now: Instant, actions: &mut Vec<Action>) {
        self.step = step.to_string();
        self.phase = Phase::Responding;
        self.barged_in = false;
        self.listen_deadline = None;
        self.prompt_started = Some(now);
        let file = self.scenario.step(step).prompt.clone();
        actions.push(Action::Event(CallEvent::StepEntered { step: step.to_string() }));
        actions.push(Action::Event(CallEvent::PromptStarted { step: step.to_string(), file: file.clone() }));
        actions.push(Action::Play(file));
    }

    fn end(&mut self, status: CallStatus, actions: &mut Vec<Action>) {
        if self.prompt_started.take().is_some() {
            actions.push(Action::StopPrompt);
        }
        self.phase = Phase::Ended;
        self.listen_deadline = None;
        actions.push(Action::End(status));
    }
}

fn ms(d: Duration) -> u64 {
    d.as_millis() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Document;

    fn scenario() -> Arc<Scenario> {
        let text = "[t]\nstart = hello\n[t.hello]\nprompt = p-hello\nlisten = 3\nnext = q1\nno_input = bye\n\
                    [t.q1]\nprompt = p-q1\nlisten = 5\nnext = bye\n[t.bye]\nprompt = p-bye\nlisten = 0\n";
        let scenarios = crate::scenario::load(&Document::parse_str("s.conf", text).unwrap()).unwrap();
        Arc::new(scenarios["t"].clone())
    }

    fn plays(actions: &[Action]) -> Vec<String> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Play(f) => Some(format!("play {f}")),
                Action::StopPrompt => Some("stop".into()),
                Action::End(s) => Some(format!("end {s}")),
                Action::Event(CallEvent::BargeIn { by, .. }) => Some(format!("barge-in by {by}")),
                Action::Event(CallEvent::NoInput { .. }) => Some("no input".into()),
                Action::Event(_) => None,
            })
            .collect()
    }

    #[test]
    fn answers_walk_the_scenario_to_its_end() {
        let t0 = Instant::now();
        let mut c = Controller::new(scenario(), true, t0);
        assert_eq!(plays(&c.start(t0)), ["play p-hello"]);
        assert_eq!(c.phase(), Phase::Responding);
        assert!(plays(&c.handle(Input::PromptFinished, t0 + Duration::from_secs(2))).is_empty());
        assert_eq!(c.phase(), Phase::Listening);
        c.handle(Input::SpeechStarted { confirmed_at: t0 }, t0 + Duration::from_secs(3));
        c.handle(Input::SpeechEnded, t0 + Duration::from_secs(4));
        assert_eq!(c.phase(), Phase::Processing);
        let a = c.handle(Input::Final { text: "oui".into(), latency: Duration::from_millis(400) }, t0 + Duration::from_secs(4));
        assert_eq!(plays(&a), ["play p-q1"]);
        assert_eq!(c.step(), "q1");
        c.handle(Input::PromptFinished, t0 + Duration::from_secs(6));
        c.handle(Input::Dtmf('1'), t0 + Duration::from_secs(7));
        assert_eq!(c.step(), "bye");
        let a = c.handle(Input::PromptFinished, t0 + Duration::from_secs(9));
        assert_eq!(plays(&a), ["end SUCCESS"]);
        assert_eq!(c.phase(), Phase::Ended);
        let turns: Vec<_> = c.turns().iter().map(|t| (t.step.as_str(), t.text.as_str(), t.dtmf)).collect();
        assert_eq!(turns, [("hello", "oui", None), ("q1", "", Some('1'))]);
    }

    #[test]
    fn speech_during_a_prompt_barges_in() {
        let t0 = Instant::now();
        let mut c = Controller::new(scenario(), true, t0);
        c.start(t0);
        let confirmed = t0 + Duration::from_millis(1500);
        let a = c.handle(Input::SpeechStarted { confirmed_at: confirmed }, confirmed + Duration::from_millis(3));
        assert_eq!(plays(&a), ["stop", "barge-in by speech"]);
        let Some(Action::Event(CallEvent::BargeIn { played_ms, stop_delay_ms, .. })) = a.get(2) else { panic!("{a:?}") };
        assert_eq!(*played_ms, 1503);
        assert!((stop_delay_ms - 3.0).abs() < 0.01);
        assert_eq!(c.phase(), Phase::Listening);
        // The prompt's end, reported after the stop, changes nothing.
        assert!(c.handle(Input::PromptFinished, confirmed + Duration::from_millis(30)).is_empty());
        c.handle(Input::SpeechEnded, t0 + Duration::from_secs(3));
        c.handle(Input::Final { text: "non merci".into(), latency: Duration::ZERO }, t0 + Duration::from_secs(3));
        assert!(c.turns()[0].barged_in);
    }

    #[test]
    fn prompts_without_barge_in_play_to_their_end() {
        let t0 = Instant::now();
        let text = "[t]\nstart = notice\n[t.notice]\nprompt = p-notice\nlisten = 3\nnext = bye\nbarge_in = no\n\
                    [t.bye]\nprompt = p-bye\nlisten = 0\n";
        let scenarios = crate::scenario::load(&Document::parse_str("s.conf", text).unwrap()).unwrap();
        let mut c = Controller::new(Arc::new(scenarios["t"].clone()), true, t0);
        c.start(t0);
        assert!(plays(&c.handle(Input::SpeechStarted { confirmed_at: t0 }, t0)).is_empty());
        assert!(plays(&c.handle(Input::Dtmf('1'), t0)).is_empty());
        c.handle(Input::SpeechEnded, t0 + Duration::from_secs(1));
        // What was said over the notice is not an answer to it.
        assert!(plays(&c.handle(Input::Final { text: "allo".into(), latency: Duration::ZERO }, t0)).is_empty());
        assert_eq!(c.phase(), Phase::Responding);
        c.handle(Input::PromptFinished, t0 + Duration::from_secs(2));
        assert_eq!(c.phase(), Phase::Listening);
        assert!(c.turns().is_empty());
    }

    #[test]
    fn dtmf_interrupts_a_prompt() {
        let t0 = Instant::now();
        let mut c = Controller::new(scenario(), true, t0);
        c.start(t0);
        assert_eq!(plays(&c.handle(Input::Dtmf('5'), t0)), ["stop", "barge-in by dtmf", "play p-q1"]);
    }

    #[test]
    fn silence_after_the_prompt_is_no_input() {
        let t0 = Instant::now();
        let mut c = Controller::new(scenario(), true, t0);
        c.start(t0);
        let end = t0 + Duration::from_secs(1);
        c.handle(Input::PromptFinished, end);
        assert_eq!(c.next_deadline(), Some(end + Duration::from_secs(3)));
        assert!(c.handle(Input::Tick, end + Duration::from_millis(2999)).is_empty());
        assert_eq!(plays(&c.handle(Input::Tick, end + Duration::from_secs(3))), ["no input", "play p-bye"]);
        assert!(c.turns()[0].no_input);
    }

    #[test]
    fn talking_holds_the_no_input_timer_and_noise_restarts_it() {
        let t0 = Instant::now();
        let mut c = Controller::new(scenario(), true, t0);
        c.start(t0);
        c.handle(Input::PromptFinished, t0);
        c.handle(Input::SpeechStarted { confirmed_at: t0 }, t0 + Duration::from_secs(2));
        assert!(c.handle(Input::Tick, t0 + Duration::from_secs(10)).is_empty(), "no timeout while talking");
        c.handle(Input::SpeechEnded, t0 + Duration::from_secs(11));
        let a = c.handle(Input::Final { text: " ".into(), latency: Duration::ZERO }, t0 + Duration::from_secs(11));
        assert!(plays(&a).is_empty(), "an empty result is noise: {a:?}");
        assert_eq!(c.phase(), Phase::Listening);
        assert_eq!(c.next_deadline(), Some(t0 + Duration::from_secs(14)));
    }

    #[test]
    fn without_asr_any_speech_turn_is_an_answer() {
        let t0 = Instant::now();
        let mut c = Controller::new(scenario(), false, t0);
        c.start(t0);
        c.handle(Input::PromptFinished, t0);
        c.handle(Input::SpeechStarted { confirmed_at: t0 }, t0);
        c.handle(Input::SpeechEnded, t0);
        assert_eq!(plays(&c.handle(Input::Final { text: String::new(), latency: Duration::ZERO }, t0)), ["play p-q1"]);
    }

    #[test]
    fn hangup_stops_everything() {
        let t0 = Instant::now();
        let mut c = Controller::new(scenario(), true, t0);
        c.start(t0);
        assert_eq!(plays(&c.handle(Input::HungUp, t0)), ["stop", "end HANGUP"]);
        assert!(c.handle(Input::Tick, t0 + Duration::from_secs(60)).is_empty());
    }
}
