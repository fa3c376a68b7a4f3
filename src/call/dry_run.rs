//! `minibot scenario try`: a campaign run by typing. The callee's answers come as text; the real
//! session (controller, transitions, limits, scoring) runs on a made-up clock, each answer's
//! intent comes from the caller's `understand` (the module passes its intent service: the learned
//! model, then the LLM tier when unsure), and every step, intent, tier, confidence, the bot's next
//! words and the call's end are written out. No call, no sound, nothing stored.
//!
//! An answer is the callee's words, or: `-` silence (until the step's no-input timeout),
//! `#<digit>` a key pressed, `.` the callee hangs up, `!words` words said over the prompt
//! (a barge-in). When the answers run out while the bot waits, the callee hangs up.

use super::controller::{Action, CallEvent, CallLimits, Controller, Phase};
use super::media::MediaEvent;
use super::result::CallResult;
use super::session::{Input, Session, SessionSetup};
use crate::amd::AmdConfig;
use crate::asr::AsrEvent;
use crate::domain::{Classification, Outcome, StepContext, Tier};
use crate::nlp::turn_end::TurnConfig;
use crate::nlp::when::LocalNow;
use crate::scenario::Scenario;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the callee does next.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Says(String),
    /// Said over the prompt, before it ends.
    Interrupts(String),
    Silence,
    Key(char),
    HangsUp,
}

impl Answer {
    pub fn parse(typed: &str) -> Result<Answer, String> {
        let typed = typed.trim();
        Ok(match typed {
            "" | "-" => Answer::Silence,
            "." => Answer::HangsUp,
            _ if typed.starts_with('#') => {
                let mut keys = typed[1..].chars();
                match (keys.next(), keys.next()) {
                    (Some(key), None) if key.is_ascii_digit() || key == '*' || key == '#' => Answer::Key(key),
                    _ => return Err(format!("'{typed}': a key is # and one of 0-9 * #, e.g. #1")),
                }
            }
            _ => match typed.strip_prefix('!') {
                Some(words) if !words.trim().is_empty() => Answer::Interrupts(words.trim().to_string()),
                Some(_) => return Err(format!("'{typed}': ! is followed by the words said over the prompt")),
                None => Answer::Says(typed.to_string()),
            },
        })
    }
}

/// The run, as lines for the operator, and the result the call would have had.
pub struct DryRun {
    pub lines: Vec<String>,
    pub result: Option<CallResult>,
    /// The answers the call ended before using.
    pub unused: usize,
}

/// How long a prompt is taken to play, and an answer to be said (the clock is made up).
const PROMPT_PLAYS: Duration = Duration::from_secs(3);
const ANSWER_LASTS: Duration = Duration::from_millis(1200);
/// A bound on the loop: every state of a call has a deadline, so this is never reached.
const MAX_STEPS: usize = 2000;

/// Runs `scenario` with `answers`; `recorded`: this node records the campaign's calls (its notice
/// plays first); `understand` answers each turn's (step, words).
pub fn dry_run(
    scenario: Arc<Scenario>,
    limits: CallLimits,
    turn: TurnConfig,
    answers: Vec<Answer>,
    recorded: bool,
    local_now: LocalNow,
    understand: &dyn Fn(&Arc<StepContext>, &str) -> (Classification, Tier, Duration),
) -> DryRun {
    let mut run = Run::new(scenario, limits, turn, answers, recorded);
    run.go(local_now, understand);
    DryRun { lines: run.lines, result: run.result, unused: run.answers.len() }
}

struct Run {
    scenario: Arc<Scenario>,
    session: Session,
    now: Instant,
    answers: VecDeque<Answer>,
    lines: Vec<String>,
    playing: bool,
    /// What plays is the recording notice.
    notice_playing: bool,
    result: Option<CallResult>,
    /// The callee has hung up: only time passes.
    gone: bool,
    /// `[turn] rejoin_ms`: speaking up this soon after a reply continues the answer before it.
    rejoin_ms: u32,
}

impl Run {
    fn new(scenario: Arc<Scenario>, limits: CallLimits, turn: TurnConfig, answers: Vec<Answer>, recorded: bool) -> Run {
        let now = Instant::now();
        let rejoin_ms = turn.rejoin_ms;
        let controller = Controller::new(scenario.clone(), true, now).with_limits(limits).with_turn_config(turn);
        // A recorded call plays its notice first.
        let setup = SessionSetup { amd: AmdConfig::default(), asterisk_amd: None, recorded, fixture: VecDeque::new() };
        let session = Session::new(controller, scenario.clone(), setup, now);
        Run { scenario, session, now, answers: answers.into(), lines: Vec::new(), playing: false, notice_playing: false, result: None, gone: false, rejoin_ms }
    }

    fn go(&mut self, local_now: LocalNow, understand: &dyn Fn(&Arc<StepContext>, &str) -> (Classification, Tier, Duration)) {
        let mut actions: VecDeque<Action> = self.session.start(self.now).into();
        // The callee's move (a turn's start, end and words), one input at a time, each after
        // what the one before it made the bot do.
        let mut inputs: VecDeque<(Instant, Input)> = VecDeque::new();
        for _ in 0..MAX_STEPS {
            while let Some(action) = actions.pop_front() {
                let more = self.act(action, local_now, understand);
                if self.result.is_some() {
                    return;
                }
                actions.extend(more);
            }
            if inputs.is_empty() {
                inputs.extend(self.callee_or_clock());
            }
            let Some((at, input)) = inputs.pop_front() else { continue };
            self.now = at;
            actions.extend(self.session.handle(input, self.now));
        }
        self.lines.push(format!("the run stopped after {MAX_STEPS} steps without an end (a defect: please report it)"));
    }

    /// What happens next when the bot has nothing more to do at once: inputs and their times.
    fn callee_or_clock(&mut self) -> Vec<(Instant, Input)> {
        if self.gone {
            return vec![self.tick()];
        }
        if self.playing {
            // The recording notice plays in full, and nothing said over it is an answer: an
            // interruption waits for the first prompt it can stop.
            let interrupts = self.answers.front().filter(|_| !self.notice_playing).cloned();
            if let Some(Answer::Interrupts(words)) = interrupts {
                self.answers.pop_front();
                self.lines.push(format!("  callee (over the prompt): \"{words}\""));
                // Past the moment where speaking up would continue the last answer (a rejoin):
                // typed over a prompt, the words answer it.
                self.now += Duration::from_millis(u64::from(self.rejoin_ms));
                return self.says(words);
            }
            self.now += PROMPT_PLAYS.max(Duration::from_millis(u64::from(self.rejoin_ms) + 1000));
            self.playing = false;
            return vec![(self.now, Input::PromptFinished)];
        }
        if self.session.controller().phase() != Phase::Listening {
            return vec![self.tick()];
        }
        match self.answers.pop_front() {
            Some(Answer::Says(words) | Answer::Interrupts(words)) => {
                self.lines.push(format!("  callee: \"{words}\""));
                self.says(words)
            }
            Some(Answer::Silence) => {
                self.lines.push("  callee: (silence)".into());
                vec![self.tick()]
            }
            Some(Answer::Key(key)) => {
                self.lines.push(format!("  callee presses {key}"));
                vec![(self.now, Input::Dtmf(key))]
            }
            Some(Answer::HangsUp) => self.hangs_up("callee hangs up"),
            None => self.hangs_up("no more answers: the callee hangs up"),
        }
    }

    fn hangs_up(&mut self, why: &str) -> Vec<(Instant, Input)> {
        self.lines.push(format!("  {why}"));
        self.gone = true;
        vec![(self.now, Input::HungUp)]
    }

    /// Time passes to the call's next deadline.
    fn tick(&mut self) -> (Instant, Input) {
        self.now = self.session.next_deadline().map_or(self.now + Duration::from_secs(1), |d| d.max(self.now));
        (self.now, Input::Tick)
    }

    /// The callee talks: the media reports the turn's start and end, the recognizer its words.
    fn says(&mut self, words: String) -> Vec<(Instant, Input)> {
        let started = self.now + Duration::from_millis(300);
        let ended = started + ANSWER_LASTS;
        let speech_ms = ANSWER_LASTS.as_millis() as u64;
        vec![
            (started, Input::Media(MediaEvent::SpeechStarted { confirmed_at: started, stream_ms: 0, onset_ms: 200 })),
            (ended, Input::Media(MediaEvent::SpeechEnded { at: ended, last_voice_at: ended, stream_ms: speech_ms, speech_ms })),
            (ended + Duration::from_millis(50), Input::Recognized(AsrEvent::Final { text: words, latency: Duration::from_millis(50) })),
        ]
    }

    fn act(&mut self, action: Action, local_now: LocalNow, understand: &dyn Fn(&Arc<StepContext>, &str) -> (Classification, Tier, Duration)) -> Vec<Action> {
        match action {
            Action::Play(file) | Action::PlayFrom { file, .. } => {
                self.notice_playing = self.scenario.recording_notice.as_deref() == Some(file.as_str()) && self.session.controller().turns().is_empty();
                let step = if self.notice_playing { "recording notice".to_string() } else { self.session.controller().step().to_string() };
                self.lines.push(format!("[{step}] bot: {}", self.words_of(&file)));
                self.playing = true;
                return self.session.handle(Input::PromptStarted, self.now);
            }
            Action::StopPrompt => self.playing = false,
            Action::Classify { turn, text, context } => {
                let (classification, tier, latency) = understand(&context, &text);
                return self.session.handle(Input::Classified { turn, classification, tier, latency }, self.now);
            }
            Action::Event(event) => self.describe(&event),
            Action::End { status, outcome } => {
                let result = CallResult::of(&self.session, &self.scenario, status, outcome, local_now);
                self.conclude(&result);
                self.result = Some(result);
            }
            Action::StartRecording | Action::StopRecording | Action::EndTurnAfter { .. } => {}
        }
        Vec::new()
    }

    /// A prompt's words as the scenario writes them, else its file.
    fn words_of(&self, file: &str) -> String {
        match self.scenario.words.get(file) {
            Some(words) => format!("{words} ({file})"),
            None => format!("({file})"),
        }
    }

    fn describe(&mut self, event: &CallEvent) {
        let line = match event {
            CallEvent::Intent { intent, confidence, tier, latency_ms, entities, .. } => {
                let named = if entities.is_empty() { String::new() } else { format!(", names {}", entities.join(" ")) };
                format!("  understood: {intent} ({confidence:.2}, {} tier, {latency_ms:.0} ms{named})", tier.as_str())
            }
            CallEvent::NoInput { waited_ms, .. } => format!("  no answer after {:.1} s", *waited_ms as f64 / 1000.0),
            CallEvent::Reprompt { count, .. } => format!("  asked again ({count})"),
            CallEvent::Repair { how: "repeat", .. } => "  the question again (asked to repeat)".to_string(),
            CallEvent::Repair { .. } => "  waits (hesitation)".to_string(),
            CallEvent::OptOutAskedBack { answer: "asked", .. } => "  an opt-out the model is unsure of: asked back".to_string(),
            CallEvent::OptOutAskedBack { .. } => "  the callee says calls may go on: no opt-out".to_string(),
            CallEvent::Dtmf { digit, .. } => format!("  key {digit}"),
            CallEvent::BargeIn { by, .. } => format!("  (the prompt stops: barge-in by {by})"),
            CallEvent::Limit { limit, .. } => format!("  limit reached: {limit}"),
            CallEvent::LateResult { intent, how, .. } => format!("  late answer: {intent} ({how})"),
            CallEvent::TurnChecked { how, .. } if *how != "confirmed" => format!("  turn: {how}"),
            _ => return,
        };
        self.lines.push(line);
    }

    fn conclude(&mut self, result: &CallResult) {
        let q = &result.qualification;
        self.lines.push(format!("end: status {}, outcome {}", result.status, result.outcome));
        self.lines.push(format!("lead: {} (score {}){}", q.class, q.score, if q.reasons.is_empty() { String::new() } else { format!(": {}", q.reasons.join("; ")) }));
        if let Some(when) = result.callback {
            self.lines.push(format!("callback: {}", when.describe()));
        }
        let answered = result.turns.iter().filter(|t| t.intent.is_some() || t.dtmf.is_some()).count();
        let mut stored = format!("would store: the call ({} turns, {answered} answered) with its outcome, score and lead", result.turns.len());
        if result.outcome == Outcome::DoNotCall {
            stored.push_str("; the number on the do-not-call list (never dialed again)");
        }
        self.lines.push(stored);
        self.lines.push("(dry run: no call was placed, nothing was stored)".into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::document::Document;
    use crate::nlp::classifier::classify;

    const SCENARIO: &str = "[t]\nstart = hello\nreprompt = p-reprompt\nmax_reprompts = 1\npoints_appointment = 30\nlead_hot = 50\n\
        [t.hello]\nprompt = p-hello\nlisten = 3\nkind = greeting\nquestion = Avez-vous deux minutes ?\nnext = q1\non_negative = bye_failed\non_do_not_call = dnc\n\
        [t.q1]\nprompt = p-q1\nlisten = 5\nquestion = Avez-vous un livret ?\nentity = livret_a: livret, livret a\npoints_entity = 20\nnext = offer\non_do_not_call = dnc\n\
        [t.offer]\nprompt = p-offer\nlisten = 5\nkind = offer\non_positive = bye_success\nnext = bye_failed\n\
        [t.dnc]\nprompt = p-dnc\nlisten = 0\noutcome = do_not_call\n\
        [t.bye_success]\nprompt = p-bye-ok\nlisten = 0\noutcome = appointment\n\
        [t.bye_failed]\nprompt = p-bye-ko\nlisten = 0\noutcome = not_interested\n";

    fn run(answers: &[&str]) -> DryRun {
        let scenario = crate::scenario::load(&Document::parse_str("s.conf", SCENARIO).unwrap()).unwrap()["t"].clone();
        let answers = answers.iter().map(|a| Answer::parse(a).unwrap()).collect();
        let now = LocalNow { weekday: 1, minute_of_day: 10 * 60 };
        dry_run(scenario, CallLimits::default(), TurnConfig::default(), answers, false, now, &|context, text| {
            (classify(context, text), Tier::Local, Duration::from_micros(10))
        })
    }

    #[test]
    fn a_typed_conversation_reaches_the_outcome_and_lead_it_would_in_a_call() {
        let run = run(&["oui allez-y", "j'ai un livret A", "oui je veux bien"]);
        let result = run.result.expect("an end");
        assert_eq!(result.outcome, Outcome::Appointment, "{:#?}", run.lines);
        assert_eq!(result.qualification.class, "hot", "{:#?}", run.lines);
        let text = run.lines.join("\n");
        assert!(text.contains("[hello] bot: Avez-vous deux minutes ? (p-hello)"), "{text}");
        assert!(text.contains("names livret_a"), "{text}");
        assert!(text.contains("[bye_success] bot: (p-bye-ok)"), "{text}");
        assert!(text.contains("nothing was stored"), "{text}");
    }

    #[test]
    fn an_opt_out_silence_keys_and_running_out_of_answers_end_as_in_a_call() {
        let run1 = run(&["ne m'appelez plus jamais"]);
        assert_eq!(run1.result.as_ref().unwrap().outcome, Outcome::DoNotCall, "{:#?}", run1.lines);
        assert!(run1.lines.join("\n").contains("do-not-call list"));

        // Silence through the reprompt: the step's no-input path (hello has none of its own: next).
        let run2 = run(&["-", "-"]);
        assert!(run2.lines.join("\n").contains("asked again (1)\n[hello] bot: (p-reprompt)"), "{:#?}", run2.lines);
        assert!(run2.lines.join("\n").contains("[q1] bot: Avez-vous un livret ?"), "{:#?}", run2.lines);
        let result = run2.result.unwrap();
        assert_eq!(result.turns.iter().filter(|t| t.no_input).count(), 2, "{:#?}", run2.lines);

        // The answers run out while the bot waits: a hangup, with what was said kept.
        let run3 = run(&["oui"]);
        let result = run3.result.unwrap();
        assert_eq!(result.status, crate::domain::CallStatus::Hangup, "{:#?}", run3.lines);
        assert_eq!(result.turns.iter().filter(|t| t.intent.is_some()).count(), 1);

        // Said over the prompt: the prompt stops and the words answer it (not the step before).
        let run4 = run(&["!oui", "!ne m'appelez plus"]);
        let text = run4.lines.join("\n");
        assert_eq!(text.matches("(the prompt stops: barge-in").count(), 2, "{text}");
        assert!(!text.contains("rejoined"), "{text}");
        let result = run4.result.unwrap();
        assert_eq!(result.outcome, Outcome::DoNotCall, "{text}");
        let steps: Vec<&str> = result.turns.iter().map(|t| t.step.as_str()).collect();
        assert_eq!(steps, ["hello", "q1"], "{text}");
    }

    #[test]
    fn typed_answers_are_read_or_refused_with_the_reason() {
        assert_eq!(Answer::parse("#1").unwrap(), Answer::Key('1'));
        assert_eq!(Answer::parse(" - ").unwrap(), Answer::Silence);
        assert_eq!(Answer::parse(".").unwrap(), Answer::HangsUp);
        assert!(Answer::parse("#12").unwrap_err().contains("one of 0-9"));
        assert!(Answer::parse("!").is_err());
    }
}
