use super::*;
use crate::config::document::Document;
use crate::nlp::classifier::classify;
use crate::domain::StepKind;

/// The demo flow, shortened: hello (retry on no), q1..q3 always continue, closing, goodbyes.
const SCENARIO: &str = "[t]\nstart = hello\nreprompt = p-reprompt\nmax_reprompts = 2\nanswer_who = p-who\n\
    [t.hello]\nprompt = p-hello\nlisten = 3\nkind = greeting\nnext = q1\non_negative = retry\non_unclear = retry\non_callback = cb\non_do_not_call = dnc\nno_input = bye_failed\n\
    [t.retry]\nprompt = p-retry\nlisten = 3\nkind = greeting\non_positive = q1\nnext = bye_failed\n\
    [t.q1]\nprompt = p-q1\nlisten = 5\nnext = q2\nentity = livret_a: livret, livret a\nentity = assurance_vie: assurance vie\nnone_entity = none\n\
    [t.q2]\nprompt = p-q2\nlisten = 5\nnext = q3\n\
    [t.q3]\nprompt = p-q3\nlisten = 5\nnext = is_leads\n\
    [t.is_leads]\nprompt = p-leads\nlisten = 5\nkind = offer\non_positive = bye_success\nnext = bye_failed\n\
    [t.cb]\nprompt = p-cb\nlisten = 0\noutcome = callback\n\
    [t.dnc]\nprompt = p-dnc\nlisten = 0\noutcome = do_not_call\n\
    [t.bye_success]\nprompt = p-bye-ok\nlisten = 0\noutcome = appointment\n\
    [t.bye_failed]\nprompt = p-bye-ko\nlisten = 0\noutcome = not_interested\n\
    [t.notice]\nprompt = p-notice\nbarge_in = no\nlisten = 3\nnext = q1\n";

fn scenario() -> Arc<Scenario> {
    let scenarios = crate::scenario::load(&Document::parse_str("s.conf", SCENARIO).unwrap()).unwrap();
    scenarios["t"].clone()
}

/// The local classifier's answer; a turn written "~words" is one the model would find only likely
/// an opt-out (the rules alone never say so).
fn understood(context: &StepContext, text: &str) -> Classification {
    match text.strip_prefix('~') {
        Some(words) => Classification { intent: Intent::DoNotCall, confidence: 0.9, opt_out_unsure: true, ..classify(context, words) },
        None => classify(context, text),
    }
}

/// A controller plus a clock, driving inputs the way the call loop does.
struct Call {
    c: Controller,
    now: Instant,
    log: Vec<String>,
    /// When set, Classify actions wait here (turn, text, step context) for the test to answer.
    deferred: Option<Vec<(u64, String, Arc<StepContext>)>>,
}

impl Call {
    fn new() -> Call {
        Call::with(scenario(), true)
    }

    fn with(scenario: Arc<Scenario>, asr: bool) -> Call {
        let now = Instant::now();
        let mut call = Call { c: Controller::new(scenario, asr, now), now, log: Vec::new(), deferred: None };
        let actions = call.c.start(now);
        call.apply(actions);
        call
    }

    fn at(&mut self, ms: u64) -> Instant {
        self.now += Duration::from_millis(ms);
        self.now
    }

    fn send(&mut self, input: Input) -> Vec<Action> {
        let actions = self.c.handle(input, self.now);
        self.apply(actions.clone());
        actions
    }

    /// Applies actions like the call loop: a Classify is answered by the local classifier.
    fn apply(&mut self, actions: Vec<Action>) {
        for action in actions {
            match action {
                Action::Play(f) => self.log.push(format!("play {f}")),
                Action::PlayFrom { file, from_ms } => self.log.push(format!("resume {file} at {from_ms}")),
                Action::StopPrompt => self.log.push("stop".into()),
                Action::StopRecording => self.log.push("stop recording".into()),
                Action::StartRecording => self.log.push("start recording".into()),
                Action::End { status, outcome } => self.log.push(format!("end {status} {outcome}")),
                Action::Classify { turn, text, context } if self.deferred.is_some() => {
                    self.deferred.as_mut().unwrap().push((turn, text, context));
                }
                Action::Classify { turn, text, context } => {
                    let classification = understood(&context, &text);
                    self.log.push(format!("intent {}", classification.intent));
                    let more = self.c.handle(Input::Classified { turn, classification, tier: Tier::Local, latency: Duration::from_micros(20) }, self.now);
                    self.apply(more);
                }
                Action::Event(CallEvent::BargeIn { by, .. }) => self.log.push(format!("barge-in {by}")),
                Action::Event(CallEvent::NoInput { .. }) => self.log.push("no input".into()),
                Action::Event(CallEvent::LateResult { how, .. }) => self.log.push(format!("late {how}")),
                Action::EndTurnAfter { silence_ms, .. } => self.log.push(format!("end turn after {silence_ms}")),
                Action::Event(CallEvent::TurnEnded { ending, mode, silence_ms, .. }) => self.log.push(format!("turn end {ending} {mode} {silence_ms} ms")),
                Action::Event(CallEvent::TurnChecked { how, .. }) => self.log.push(format!("check {how}")),
                Action::Event(CallEvent::OptOutAskedBack { answer, .. }) => self.log.push(format!("opt-out {answer}")),
                Action::Event(_) => {}
            }
        }
    }

    /// The prompt ends, the callee says `text` after a moment, and the turn completes.
    fn answer(&mut self, text: &str) {
        self.at(500);
        self.send(Input::PromptFinished);
        self.say(text);
    }

    fn say(&mut self, text: &str) {
        self.speak();
        self.send(Input::Final { text: text.into(), latency: Duration::from_millis(40) });
    }

    /// The callee talks for a second; what the recognizer makes of it is up to the test.
    fn speak(&mut self) {
        let t = self.at(300);
        self.send(Input::SpeechStarted { confirmed_at: t });
        self.at(1000);
        self.send(Input::SpeechEnded);
    }

    /// The prompt playing ends and the callee stays silent through every reprompt, until the
    /// flow moves on to another step.
    fn answer_nothing_until_next_step(&mut self) {
        let step = self.c.step().to_string();
        while self.c.step() == step {
            self.at(500);
            self.send(Input::PromptFinished);
            self.at(10_000);
            self.send(Input::Tick);
        }
    }

    /// Answers the deferred Classify whose text is `text` (the intent service's answer).
    fn understand(&mut self, text: &str) {
        let queue = self.deferred.as_mut().expect("deferred");
        let i = queue.iter().position(|(_, t, _)| t == text).unwrap_or_else(|| panic!("no deferred turn '{text}'"));
        let (turn, text, context) = queue.remove(i);
        let classification = understood(&context, &text);
        self.log.push(format!("intent {} ({text})", classification.intent));
        self.send(Input::Classified { turn, classification, tier: Tier::Llm, latency: Duration::from_millis(900) });
    }

    fn take_log(&mut self) -> Vec<String> {
        std::mem::take(&mut self.log)
    }
}

#[test]
fn the_demo_flow_ends_with_an_appointment() {
    let mut call = Call::new();
    assert_eq!(call.take_log(), ["play p-hello"]);
    call.answer("oui allez-y");
    call.answer("j'ai un livret a et une assurance vie");
    call.answer("oui ça m'inquiète");
    call.answer("non pas du tout satisfait");
    call.answer("oui rappelez-moi");
    call.at(500);
    call.send(Input::PromptFinished);
    assert_eq!(
        call.take_log(),
        [
            "intent positive", "play p-q1", "intent positive", "play p-q2", "intent positive", "play p-q3", "intent negative",
            "play p-leads", "intent positive", "play p-bye-ok", "end SUCCESS appointment"
        ]
    );
    let turns = call.c.turns();
    assert_eq!(turns.len(), 5);
    assert_eq!(turns[1].entities, ["livret_a", "assurance_vie"]);
    assert_eq!((turns[1].step.as_str(), turns[1].kind, turns[1].tier), ("q1", StepKind::Question, Some(Tier::Local)));
    assert_eq!(turns[3].intent, Some(Intent::Negative));
}

#[test]
fn a_no_gets_one_rebuttal_then_a_polite_end() {
    let mut call = Call::new();
    call.answer("non merci");
    call.answer("non vraiment pas");
    call.at(500);
    call.send(Input::PromptFinished);
    assert_eq!(call.take_log()[1..], ["intent negative", "play p-retry", "intent negative", "play p-bye-ko", "end SUCCESS not_interested"]);
}

#[test]
fn speech_during_a_prompt_barges_in() {
    let mut call = Call::new();
    let confirmed = call.at(1500);
    call.at(3);
    let actions = call.send(Input::SpeechStarted { confirmed_at: confirmed });
    let Some(Action::Event(CallEvent::BargeIn { played_ms, stop_delay_ms, file, .. })) = actions.get(2) else { panic!("{actions:?}") };
    assert_eq!((*played_ms, file.as_str()), (1503, "p-hello"));
    assert!((stop_delay_ms - 3.0).abs() < 0.01);
    assert_eq!(call.c.phase(), Phase::Listening);
    assert!(call.send(Input::PromptFinished).is_empty(), "the stopped prompt's end changes nothing");
    call.at(1000);
    call.send(Input::SpeechEnded);
    call.send(Input::Final { text: "oui".into(), latency: Duration::ZERO });
    assert!(call.c.turns()[0].barged_in);
    assert_eq!(call.c.step(), "q1");
}

#[test]
fn dtmf_interrupts_and_answers_with_the_keypad_convention() {
    let mut call = Call::new();
    call.take_log();
    call.send(Input::Dtmf('1'));
    assert_eq!(call.take_log(), ["stop", "barge-in dtmf", "play p-q1"]);
    assert_eq!((call.c.turns()[0].dtmf, call.c.turns()[0].tier), (Some('1'), Some(Tier::Dtmf)));
    call.send(Input::Dtmf('9'));
    assert_eq!(call.c.turns()[1].intent, Some(Intent::DoNotCall));
}

#[test]
fn silence_is_reprompted_twice_then_follows_no_input() {
    let mut call = Call::new();
    call.at(500);
    call.send(Input::PromptFinished);
    let deadline = call.c.next_deadline().unwrap();
    assert_eq!(deadline, call.now + Duration::from_secs(3));
    call.at(2999);
    assert!(call.send(Input::Tick).is_empty());
    for _ in 0..2 {
        call.at(1);
        call.send(Input::Tick);
        call.at(800);
        call.send(Input::PromptFinished);
        call.at(3000);
    }
    call.send(Input::Tick);
    assert_eq!(call.take_log()[1..], ["no input", "play p-reprompt", "no input", "play p-reprompt", "no input", "play p-bye-ko"]);
    call.send(Input::PromptFinished);
    // The goodbye says not_interested, but nobody said a word: nobody was reached.
    assert_eq!(call.take_log(), ["end SUCCESS no_answer"]);
}

#[test]
fn silence_all_along_is_no_answer() {
    let scenario = "[s]\nstart = a\n[s.a]\nprompt = x\nlisten = 1\n";
    let scenarios = crate::scenario::load(&Document::parse_str("s.conf", scenario).unwrap()).unwrap();
    let mut call = Call::with(scenarios["s"].clone(), true);
    call.send(Input::PromptFinished);
    call.at(1000);
    call.send(Input::Tick);
    assert_eq!(call.take_log().last().unwrap(), "end SUCCESS no_answer");
}

#[test]
fn unclear_answers_are_reprompted_then_the_flow_goes_on() {
    let mut call = Call::new();
    // Words that are an answer, just not a clear one ("euh" or "pardon ?" are not one: below).
    call.answer("bof");
    call.answer("peut-être");
    call.answer("ça dépend");
    assert_eq!(call.take_log()[1..], ["intent unclear", "play p-reprompt", "intent unclear", "play p-reprompt", "intent unclear", "play p-retry"]);
}

#[test]
fn questions_get_their_answer_and_the_question_again() {
    let mut call = Call::new();
    call.answer("vous êtes qui");
    assert_eq!(call.take_log()[1..], ["intent question", "play p-who"]);
    call.at(2000);
    call.send(Input::PromptFinished);
    assert_eq!(call.take_log(), ["play p-hello"], "then the step's question again");
    call.answer("ah d'accord oui allez-y");
    assert_eq!(call.c.step(), "q1");
    // A question with no answer prompt is an unclear answer: reprompted.
    call.answer("c'est quoi une assurance vie");
    assert_eq!(call.take_log(), ["intent positive", "play p-q1", "intent question", "play p-reprompt"]);
}

#[test]
fn callback_opt_out_and_machines_set_the_outcome() {
    let mut call = Call::new();
    call.answer("je suis au travail rappelez-moi ce soir");
    assert_eq!(call.c.callback_text(), Some("je suis au travail rappelez-moi ce soir"));
    call.send(Input::PromptFinished);
    assert_eq!(call.take_log()[1..], ["intent callback", "play p-cb", "end SUCCESS callback"]);

    let mut call = Call::new();
    call.answer("ne m'appelez plus");
    call.send(Input::PromptFinished);
    assert_eq!(call.take_log()[1..], ["intent do_not_call", "play p-dnc", "end SUCCESS do_not_call"]);

    let mut call = Call::new();
    call.say("bonjour vous êtes bien sur la messagerie de");
    assert_eq!(call.take_log()[1..], ["stop", "barge-in speech", "intent answering_machine", "end SUCCESS answering_machine"]);

    // The machine detector's verdict (a beep, a long greeting) ends the call mid-prompt, whatever the step.
    let mut call = Call::new();
    call.take_log();
    call.send(Input::MachineDetected);
    assert_eq!(call.take_log(), ["stop", "end SUCCESS answering_machine"]);
    assert!(call.send(Input::Tick).is_empty(), "ended");

    // Opting out at q2 (no transition there) still ends the call as do_not_call.
    let mut call = Call::new();
    call.answer("oui");
    call.answer("non");
    call.answer("arrêtez de m'appeler");
    assert_eq!(call.take_log().last().unwrap(), "end SUCCESS do_not_call");
}

#[test]
fn hangups_record_how_far_the_call_got() {
    let mut call = Call::new();
    call.answer("oui");
    call.send(Input::HungUp);
    assert_eq!(call.take_log().last().unwrap(), "end HANGUP hangup_early");

    let mut call = Call::new();
    call.answer("non");
    call.answer("non");
    call.send(Input::HungUp); // during the goodbye
    assert_eq!(call.take_log().last().unwrap(), "end HANGUP not_interested");
    assert!(call.send(Input::Tick).is_empty());
}

#[test]
fn prompts_without_barge_in_play_to_their_end() {
    let text = SCENARIO.replace("start = hello", "start = notice");
    let scenarios = crate::scenario::load(&Document::parse_str("s.conf", &text).unwrap()).unwrap();
    let mut call = Call::with(scenarios["t"].clone(), true);
    call.say("allo");
    call.send(Input::Dtmf('1'));
    assert_eq!(call.c.phase(), Phase::Responding);
    assert!(call.c.turns().is_empty(), "what was said over the notice is not an answer to it");
    call.send(Input::PromptFinished);
    assert_eq!(call.c.phase(), Phase::Listening);
}

#[test]
fn without_asr_speech_is_unclear_and_keys_answer() {
    let mut call = Call::with(scenario(), false);
    call.at(500);
    call.send(Input::PromptFinished);
    call.send(Input::SpeechStarted { confirmed_at: call.now });
    call.send(Input::SpeechEnded);
    assert_eq!(call.take_log()[1..], ["play p-reprompt"]);
    call.send(Input::PromptFinished);
    call.send(Input::Dtmf('1'));
    assert_eq!(call.c.step(), "q1");
}

#[test]
fn noise_restarts_the_wait() {
    let mut call = Call::new();
    call.at(500);
    call.send(Input::PromptFinished);
    call.say(" ");
    assert_eq!(call.c.phase(), Phase::Listening);
    assert_eq!(call.c.next_deadline(), Some(call.now + Duration::from_secs(3)));
}

#[test]
fn state_labels_follow_the_conversation() {
    let mut call = Call::new();
    assert_eq!(call.c.state_label(), "hello");
    call.at(500);
    call.send(Input::PromptFinished);
    assert_eq!(call.c.state_label(), "listening");
    call.say("oui");
    assert_eq!(call.c.state_label(), "responding");
    call.answer("non");
    call.answer("non");
    call.answer("non");
    call.answer("non");
    assert_eq!((call.c.step(), call.c.state_label()), ("bye_failed", "closing"));
}

#[test]
fn a_turn_whose_text_never_comes_is_unclear_after_the_processing_bound() {
    let mut call = Call::new();
    call.at(500);
    call.send(Input::PromptFinished);
    call.speak();
    assert_eq!(call.c.phase(), Phase::Processing);
    call.take_log();
    call.at(4900);
    assert!(call.send(Input::Tick).is_empty(), "still within the bound");
    call.at(100);
    let actions = call.send(Input::Tick);
    assert!(actions.iter().any(|a| matches!(a, Action::Event(CallEvent::Limit { limit: "processing_timeout", waited_ms: 5000, .. }))), "{actions:?}");
    // Unclear at hello: the scenario's reprompt.
    assert_eq!(call.take_log(), ["play p-reprompt"]);
    // The late final, over the reprompt, is the answer to the question asked again.
    call.send(Input::Final { text: "oui".into(), latency: Duration::from_secs(6) });
    assert_eq!(call.c.step(), "q1");
}

#[test]
fn a_failed_recognizer_leaves_the_call_on_dtmf() {
    let mut call = Call::new();
    call.at(500);
    call.send(Input::PromptFinished);
    call.speak();
    call.take_log();
    let actions = call.send(Input::AsrFailed("decoder refused".into()));
    assert!(actions.iter().any(|a| matches!(a, Action::Event(CallEvent::AsrFailed { .. }))));
    assert_eq!(call.take_log(), ["play p-reprompt"], "the turn waiting for text is unclear at once");
    call.at(500);
    call.send(Input::PromptFinished);
    call.send(Input::Dtmf('1'));
    assert_eq!(call.take_log(), ["play p-q1"], "keys still work");
    // Speech now counts as an unclear answer at once, without waiting for any text.
    call.at(500);
    call.send(Input::PromptFinished);
    call.speak();
    assert_eq!(call.take_log(), ["play p-reprompt"]);
    assert_eq!(call.c.phase(), Phase::Responding);
}

#[test]
fn no_call_outlives_its_maximum_duration() {
    let scenario = scenario();
    let now = Instant::now();
    let limits = CallLimits { max_duration: Duration::from_secs(60), ..CallLimits::default() };
    let mut c = Controller::new(scenario, true, now).with_limits(limits);
    c.start(now);
    // The callee keeps talking (a radio in the room): speech, never a final.
    c.handle(Input::PromptFinished, now + Duration::from_secs(2));
    c.handle(Input::SpeechStarted { confirmed_at: now + Duration::from_secs(3) }, now + Duration::from_secs(3));
    assert!(c.handle(Input::Tick, now + Duration::from_secs(59)).is_empty());
    let actions = c.handle(Input::Tick, now + Duration::from_secs(60));
    assert!(actions.iter().any(|a| matches!(a, Action::Event(CallEvent::Limit { limit: "max_duration", .. }))), "{actions:?}");
    assert!(actions.iter().any(|a| matches!(a, Action::End { status: CallStatus::Success, .. })), "{actions:?}");
    assert_eq!(c.phase(), Phase::Ended);
}

/// The callee's turn ends and the recognizer is slow: the turn is given up at the bound, the
/// reprompt starts, and the text arrives afterwards.
fn given_up_turn(call: &mut Call) {
    call.at(500);
    call.send(Input::PromptFinished);
    call.speak();
    call.take_log();
    call.at(5000);
    call.send(Input::Tick);
    assert_eq!(call.take_log(), ["play p-reprompt"]);
}

#[test]
fn a_final_that_comes_after_the_turn_was_given_up_is_the_answer_to_the_question_asked_again() {
    let mut call = Call::new();
    given_up_turn(&mut call);
    call.at(300);
    call.send(Input::Final { text: "oui allez-y".into(), latency: Duration::from_millis(5300) });
    assert_eq!(call.take_log(), ["intent positive", "late answer", "stop", "play p-q1"], "the reprompt stops, the call goes on from the answer");
    assert_eq!(call.c.turns().last().map(|t| t.text.as_str()), Some("oui allez-y"));
}

#[test]
fn a_late_opt_out_still_ends_the_call_as_an_opt_out_after_the_call_moved_on() {
    let mut call = Call::new();
    call.answer("oui");
    assert_eq!(call.c.step(), "q1");
    given_up_turn(&mut call);
    // The reprompt ended unanswered, the flow went on to q2 ...
    call.answer_nothing_until_next_step();
    assert_eq!(call.c.step(), "q2");
    call.take_log();
    // ... and only then the recognizer's text of the turn at q1 arrives.
    call.send(Input::Final { text: "ne m'appelez plus jamais".into(), latency: Duration::from_secs(9) });
    assert_eq!(call.take_log(), ["intent do_not_call", "late sticky", "stop", "end SUCCESS do_not_call"]);
}

#[test]
fn a_late_callback_is_kept_with_its_words() {
    let mut call = Call::new();
    given_up_turn(&mut call);
    call.at(200);
    call.send(Input::Final { text: "je suis au travail rappelez moi demain matin".into(), latency: Duration::from_millis(5200) });
    assert_eq!(call.c.callback_text(), Some("je suis au travail rappelez moi demain matin"));
    assert_eq!(call.c.step(), "cb");
    call.at(500);
    call.send(Input::PromptFinished);
    assert_eq!(call.take_log().last().unwrap(), "end SUCCESS callback");
}

#[test]
fn a_late_ordinary_answer_after_the_call_moved_on_is_stored_only() {
    let mut call = Call::new();
    call.answer("oui");
    given_up_turn(&mut call);
    call.answer_nothing_until_next_step();
    let turns = call.c.turns().len();
    call.take_log();
    call.send(Input::Final { text: "j'ai un livret a".into(), latency: Duration::from_secs(9) });
    assert_eq!(call.take_log(), ["intent positive", "late stored"]);
    assert_eq!(call.c.step(), "q2", "no re-route");
    assert_eq!(call.c.turns().len(), turns + 1);
    assert_eq!(call.c.turns().last().unwrap().step, "q1", "stored against the question it answered");
}

#[test]
fn an_opt_out_said_just_before_hanging_up_is_applied() {
    let mut call = Call::new();
    call.answer("oui");
    call.at(500);
    call.send(Input::PromptFinished);
    call.take_log();
    // "ne m'appelez plus" then the hangup 200 ms later: the segmenter has not ended the turn yet.
    let t = call.at(300);
    call.send(Input::SpeechStarted { confirmed_at: t });
    call.at(1200);
    let actions = call.send(Input::HungUp);
    assert!(!actions.iter().any(|a| matches!(a, Action::End { .. })), "the call waits for its last words: {actions:?}");
    call.at(100);
    assert!(call.send(Input::Tick).is_empty());
    call.at(300);
    call.send(Input::SpeechEnded);
    call.at(150);
    call.send(Input::Final { text: "ne m'appelez plus".into(), latency: Duration::from_millis(150) });
    assert_eq!(call.take_log(), ["intent do_not_call", "late last_words", "end HANGUP do_not_call"]);
    assert_eq!(call.c.turns().last().unwrap().text, "ne m'appelez plus");
}

#[test]
fn a_yes_said_while_hanging_up_takes_the_end_it_leads_to() {
    let mut call = Call::new();
    for answer in ["oui", "j'ai un livret a", "oui", "non"] {
        call.answer(answer);
    }
    assert_eq!(call.c.step(), "is_leads");
    call.at(500);
    call.send(Input::PromptFinished);
    call.speak();
    call.take_log();
    call.send(Input::HungUp);
    call.at(200);
    call.send(Input::Final { text: "oui".into(), latency: Duration::from_millis(200) });
    assert_eq!(call.take_log(), ["intent positive", "late last_words", "end HANGUP appointment"]);
}

#[test]
fn last_words_are_awaited_for_a_bounded_time_only() {
    let mut call = Call::new();
    call.at(500);
    call.send(Input::PromptFinished);
    call.speak();
    call.take_log();
    call.send(Input::HungUp);
    assert_eq!(call.c.next_deadline(), Some(call.now + Duration::from_secs(2)));
    call.at(1999);
    assert!(call.send(Input::Tick).is_empty());
    call.at(1);
    let actions = call.send(Input::Tick);
    assert!(actions.iter().any(|a| matches!(a, Action::Event(CallEvent::Limit { limit: "last_words", .. }))), "{actions:?}");
    assert_eq!(call.take_log(), ["end HANGUP hangup_early"]);
    // Nothing in flight at the hangup: the call ends at once, as before.
    let mut call = Call::new();
    call.answer("oui");
    call.send(Input::HungUp);
    assert_eq!(call.take_log().last().unwrap(), "end HANGUP hangup_early");
    // Empty text after the hangup: nothing to wait for any more.
    let mut call = Call::new();
    call.at(500);
    call.send(Input::PromptFinished);
    call.speak();
    call.take_log();
    call.send(Input::HungUp);
    call.send(Input::Final { text: " ".into(), latency: Duration::from_millis(100) });
    assert_eq!(call.take_log(), ["end HANGUP hangup_early"]);
}

#[test]
fn the_next_deadline_is_the_nearest_watchdog() {
    let mut call = Call::new();
    call.at(500);
    call.send(Input::PromptFinished);
    assert_eq!(call.c.next_deadline(), Some(call.now + Duration::from_secs(3)), "listening");
    call.speak();
    assert_eq!(call.c.next_deadline(), Some(call.now + Duration::from_secs(5)), "processing");
}

#[test]
fn a_callee_who_never_says_a_word_is_no_answer_even_when_the_goodbye_says_not_interested() {
    let mut call = Call::new();
    call.answer_nothing_until_next_step(); // hello: no_input = bye_failed (outcome not_interested)
    assert_eq!(call.c.step(), "bye_failed");
    call.at(500);
    call.send(Input::PromptFinished);
    assert_eq!(call.take_log().last().unwrap(), "end SUCCESS no_answer");
}

#[test]
fn words_that_refuse_the_recording_stop_it_once_and_the_call_goes_on() {
    let text = SCENARIO.replace("answer_who = p-who\n", "answer_who = p-who\nrecord = yes\nrecording_notice = p-notice\nrecording_objection = pas d'enregistrement\n");
    let scenarios = crate::scenario::load(&Document::parse_str("s.conf", &text).unwrap()).unwrap();
    let mut call = Call::with(scenarios["t"].clone(), true);
    call.take_log();
    call.answer("oui allez-y mais pas d'enregistrement");
    let log = call.take_log();
    assert_eq!(log[0], "stop recording", "before the turn is understood: {log:?}");
    assert!(log[1].starts_with("intent "), "the turn is still an answer: {log:?}");
    call.answer("pas d'enregistrement j'ai dit");
    assert!(!call.take_log().contains(&"stop recording".to_string()), "once");
}

#[test]
fn each_intent_goes_to_its_own_turn_whatever_order_they_come_in() {
    let mut call = Call::new();
    given_up_turn(&mut call); // turn A at hello, given up; the reprompt plays
    call.deferred = Some(Vec::new());
    // A's text comes late and goes to the (slow) LLM; meanwhile the callee answers the reprompt.
    call.send(Input::Final { text: "euh non".into(), latency: Duration::from_secs(6) });
    call.at(400);
    call.send(Input::PromptFinished);
    call.speak();
    call.send(Input::Final { text: "oui d'accord".into(), latency: Duration::from_millis(100) });
    call.take_log();
    // B's intent first, then A's: each is recorded with its own words.
    call.understand("oui d'accord");
    assert_eq!(call.c.step(), "q1", "B's yes moved the call on");
    call.understand("euh non");
    let turns: Vec<(&str, Option<Intent>)> = call.c.turns().iter().map(|t| (t.text.as_str(), t.intent)).collect();
    assert!(turns.contains(&("oui d'accord", Some(Intent::Positive))), "{turns:?}");
    assert!(turns.contains(&("euh non", Some(Intent::Negative))), "{turns:?}");
    assert_eq!(call.c.step(), "q1", "A's late no, after the call moved on, is stored only");
}

#[test]
fn finals_of_several_given_up_turns_are_credited_to_the_step_they_answered() {
    let mut call = Call::new();
    call.answer("oui");
    assert_eq!(call.c.step(), "q1");
    given_up_turn(&mut call); // A at q1
    call.at(400);
    call.send(Input::PromptFinished);
    call.speak(); // B at q1, given up too
    call.at(5000);
    call.send(Input::Tick);
    call.answer_nothing_until_next_step();
    assert_eq!(call.c.step(), "q2");
    call.take_log();
    call.send(Input::Final { text: "j'ai un livret a".into(), latency: Duration::from_secs(12) });
    call.send(Input::Final { text: "et une assurance vie".into(), latency: Duration::from_secs(9) });
    let q1: Vec<&str> = call.c.turns().iter().filter(|t| t.step == "q1" && !t.no_input).map(|t| t.text.as_str()).collect();
    assert_eq!(q1, ["j'ai un livret a", "et une assurance vie"], "both answered q1, not q2");
    assert_eq!((call.c.step(), call.c.phase()), ("q2", Phase::Responding), "q2's question goes on: no re-route for ordinary late answers");
}

#[test]
fn an_opt_out_after_a_late_answer_is_not_lost_when_the_callee_hangs_up() {
    let mut call = Call::new();
    given_up_turn(&mut call); // A at hello, given up
    call.at(400);
    call.send(Input::PromptFinished);
    call.speak(); // B: "ne m'appelez plus"
    call.take_log();
    call.send(Input::HungUp);
    call.send(Input::Final { text: "oui".into(), latency: Duration::from_secs(6) });
    assert!(!call.take_log().iter().any(|l| l.starts_with("end")), "B is still in flight");
    call.send(Input::Final { text: "ne m'appelez plus".into(), latency: Duration::from_millis(300) });
    assert_eq!(call.take_log().last().unwrap(), "end HANGUP do_not_call");
}

#[test]
fn a_scenario_that_ends_with_an_answer_still_on_its_way_waits_for_it() {
    let mut call = Call::new();
    for answer in ["oui", "j'ai un livret a", "oui", "non"] {
        call.answer(answer);
    }
    assert_eq!(call.c.step(), "is_leads");
    given_up_turn(&mut call); // the answer to the offer is late
    call.answer_nothing_until_next_step(); // no answer in time: the goodbye
    assert_eq!(call.c.step(), "bye_failed");
    call.at(500);
    call.send(Input::PromptFinished);
    assert!(!call.take_log().iter().any(|l| l.starts_with("end")), "the call waits for the late answer");
    call.send(Input::Final { text: "non et ne m'appelez plus jamais".into(), latency: Duration::from_secs(20) });
    assert_eq!(call.take_log().last().unwrap(), "end SUCCESS do_not_call");
}

#[test]
fn while_the_last_words_are_awaited_only_their_bound_is_a_deadline() {
    let mut call = Call::new();
    call.send(Input::PromptFinished);
    call.speak(); // its final has not come: processing, bounded by processing_timeout (5 s)
    call.at(4800);
    call.send(Input::HungUp);
    let until = call.now + Duration::from_millis(2000);
    call.at(1000); // past the processing bound, which no longer counts
    assert_eq!(call.c.next_deadline(), Some(until), "the driver waits for the last words' bound, it does not spin");
}

mod turn_taking;

#[test]
fn a_callee_who_asks_to_hear_the_question_again_hears_it_and_it_is_no_answer() {
    let mut call = Call::new();
    call.answer("oui");
    assert_eq!(call.c.step(), "q1");
    call.take_log();
    // "pardon ?" at q1: the question itself again, not the reprompt, and no reprompt counted.
    call.answer("pardon ?");
    assert_eq!(call.take_log(), ["intent unclear", "play p-q1"]);
    assert_eq!(call.c.step(), "q1");
    call.answer("hein ? vous pouvez répéter");
    assert_eq!(call.take_log(), ["intent unclear", "play p-q1"]);
    // Past two at a step the line or the callee is not getting there: an unclear answer.
    call.answer("j'entends mal");
    assert_eq!(call.take_log(), ["intent unclear", "play p-reprompt"]);
    // The answer after them is the step's answer.
    call.answer("un livret a");
    assert_eq!(call.c.step(), "q2");
    let q1: Vec<_> = call.c.turns().iter().filter(|t| t.step == "q1").map(|t| t.intent).collect();
    assert_eq!(q1.last(), Some(&Some(Intent::Positive)));
}

#[test]
fn a_hesitation_only_waits_for_the_rest_of_the_answer() {
    let mut call = Call::new();
    call.answer("oui");
    call.take_log();
    call.answer("euh... attendez");
    assert_eq!(call.take_log(), ["intent unclear"], "no prompt: the bot waits");
    assert_eq!(call.c.phase(), Phase::Listening);
    assert_eq!(call.c.step(), "q1");
    call.say("une assurance vie");
    assert_eq!(call.c.step(), "q2");
    // A hesitation followed by silence is asked again, as silence is.
    call.answer("ben");
    call.take_log();
    call.at(5_000);
    call.send(Input::Tick);
    assert_eq!(call.take_log(), ["no input", "play p-reprompt"]);
}

/// The demo flow with an opt-out the model finds only likely asked back at `confirm` ("may we
/// go on calling you?").
fn asking_back() -> Arc<Scenario> {
    let conf = SCENARIO.replacen("max_reprompts = 2\n", "max_reprompts = 2\nconfirm_opt_out = confirm\n", 1)
        + "[t.confirm]\nprompt = p-confirm\nlisten = 5\nmax_reprompts = 0\non_negative = dnc\non_callback = dnc\non_answering_machine = dnc\nnext = dnc\n";
    crate::scenario::load(&Document::parse_str("s.conf", &conf).unwrap()).unwrap()["t"].clone()
}

/// Only the local model's sure "yes" (heard now, or the same words cached from an earlier call)
/// or a key takes an opt-out back: never the LLM's reading, even cached, nor the model's unsure
/// answer left standing when the LLM failed or was late.
#[test]
fn a_cached_local_yes_is_firsthand_and_a_cached_llm_one_or_an_unsure_one_is_not() {
    let yes = classify(&StepContext::default(), "oui");
    let firsthand = |tier| Heard::of(&yes, tier).firsthand;
    assert!(firsthand(Tier::Local) && firsthand(Tier::CacheOfLocal) && firsthand(Tier::Dtmf));
    assert!(!firsthand(Tier::Llm) && !firsthand(Tier::CacheOfLlm) && !firsthand(Tier::LocalUnsure));
}

#[test]
fn an_unsure_opt_out_is_asked_back_and_stands_unless_the_callee_says_yes() {
    // "No" to "may we go on calling you?": the opt-out.
    let mut call = Call::with(asking_back(), true);
    call.answer("oui");
    call.answer("~bon écoutez ça suffit");
    call.answer("non merci");
    call.send(Input::PromptFinished);
    assert_eq!(call.take_log()[3..], ["intent do_not_call", "play p-confirm", "intent negative", "play p-dnc", "opt-out asked", "end SUCCESS do_not_call"]);

    // "Yes": it was not one; the question it was heard at is asked again, and the call goes on.
    let mut call = Call::with(asking_back(), true);
    call.answer("oui");
    call.answer("~bon écoutez ça suffit");
    call.answer("oui allez-y");
    assert_eq!(call.take_log()[3..], ["intent do_not_call", "play p-confirm", "intent positive", "play p-q1"]);
    call.answer("j'ai un livret a");
    assert_eq!(call.c.step(), "q2");
    call.send(Input::HungUp);
    assert_eq!(call.take_log()[3..], ["opt-out asked", "opt-out taken_back", "end HANGUP hangup_early"], "counted once, as the call ends");

    // A hangup, a silence, an unclear answer, a callback, a machine's verdict there keep it.
    let mut call = Call::with(asking_back(), true);
    call.answer("~bon écoutez ça suffit");
    call.send(Input::HungUp);
    assert_eq!(call.take_log().last().unwrap(), "end HANGUP do_not_call");
    let mut call = Call::with(asking_back(), true);
    call.answer("~bon écoutez ça suffit");
    call.answer_nothing_until_next_step();
    call.send(Input::PromptFinished);
    assert_eq!(call.take_log().last().unwrap(), "end SUCCESS do_not_call");
    let mut call = Call::with(asking_back(), true);
    call.answer("~bon écoutez ça suffit");
    call.answer("je sais pas trop");
    call.send(Input::PromptFinished);
    assert_eq!(call.take_log().last().unwrap(), "end SUCCESS do_not_call");
    let mut call = Call::with(asking_back(), true);
    call.answer("~bon écoutez ça suffit");
    call.answer("rappelez-moi demain");
    call.send(Input::PromptFinished);
    assert_eq!(call.take_log()[1..], ["intent do_not_call", "play p-confirm", "intent callback", "play p-dnc", "opt-out asked", "end SUCCESS do_not_call"]);
    let mut call = Call::with(asking_back(), true);
    call.answer("~bon écoutez ça suffit");
    call.send(Input::MachineDetected);
    assert_eq!(call.take_log().last().unwrap(), "end SUCCESS do_not_call");

    // Only a yes heard first hand: the LLM's reading of an unsure turn does not take it back.
    let mut call = Call::with(asking_back(), true);
    call.deferred = Some(Vec::new());
    call.answer("~bon écoutez ça suffit");
    call.understand("~bon écoutez ça suffit");
    call.at(500);
    call.send(Input::PromptFinished);
    call.say("ouais bon");
    let (turn, _, context) = call.deferred.as_mut().unwrap().pop().expect("the answer to the question asked back");
    let yes = understood(&context, "oui");
    let actions = call.c.handle(Input::Classified { turn, classification: yes, tier: Tier::Llm, latency: Duration::from_millis(900) }, call.now);
    call.apply(actions);
    call.send(Input::PromptFinished);
    assert_eq!(call.take_log().last().unwrap(), "end SUCCESS do_not_call");

    // Asked back once per call: the next unsure one stands. Opt-out words are never asked back.
    let mut call = Call::with(asking_back(), true);
    call.answer("~bon écoutez ça suffit");
    call.answer("oui");
    call.answer("~bon écoutez ça suffit");
    call.send(Input::PromptFinished);
    assert_eq!(call.take_log()[1..], ["intent do_not_call", "play p-confirm", "intent positive", "play p-hello", "intent do_not_call", "play p-dnc", "opt-out asked", "opt-out taken_back", "end SUCCESS do_not_call"]);
    let mut call = Call::with(asking_back(), true);
    call.answer("ne m'appelez plus");
    call.send(Input::PromptFinished);
    assert_eq!(call.take_log()[1..], ["intent do_not_call", "play p-dnc", "end SUCCESS do_not_call"]);

    // A campaign without a step to ask it back records it.
    let mut call = Call::new();
    call.answer("~bon écoutez ça suffit");
    call.send(Input::PromptFinished);
    assert_eq!(call.take_log()[1..], ["intent do_not_call", "play p-dnc", "end SUCCESS do_not_call"]);
}
