use super::*;
use crate::config::document::Document;

/// A short scenario: hello, one question, goodbye; `extra` adds campaign keys.
fn scenario(extra: &str) -> Arc<Scenario> {
    let text = format!(
        "[t]\nstart = hello\n{extra}\n[t.hello]\nprompt = p-hello\nlisten = 3\nnext = q1\n\
         [t.q1]\nprompt = p-q1\nlisten = 5\nnext = bye\n[t.bye]\nprompt = p-bye\nlisten = 0\noutcome = not_interested\n"
    );
    crate::scenario::load(&Document::parse_str("s.conf", &text).unwrap()).unwrap()["t"].clone()
}

/// A session and its fake clock; what it asked for, in words.
struct Call {
    s: Session,
    t0: Instant,
    now: Instant,
    log: Vec<String>,
}

impl Call {
    fn new(extra: &str, amd: Option<(&str, &str)>, recorded: bool) -> Call {
        Call::with_fixture(extra, amd, recorded, VecDeque::new())
    }

    fn with_fixture(extra: &str, amd: Option<(&str, &str)>, recorded: bool, fixture: VecDeque<FixtureTurn>) -> Call {
        let now = Instant::now();
        let scenario = scenario(extra);
        let controller = Controller::new(scenario.clone(), true, now);
        let setup = SessionSetup {
            amd: AmdConfig::default(),
            asterisk_amd: amd.and_then(|(status, cause)| AsteriskAmd::from_variables(status, cause)),
            recorded,
            fixture,
        };
        let mut call = Call { s: Session::new(controller, scenario, setup, now), t0: now, now, log: Vec::new() };
        let actions = call.s.start(now);
        call.apply(actions);
        call
    }

    /// Moves the clock to `ms` after the start.
    fn at(&mut self, ms: u64) -> Instant {
        self.now = self.t0 + Duration::from_millis(ms);
        self.now
    }

    fn send(&mut self, input: Input) {
        let actions = self.s.handle(input, self.now);
        self.apply(actions);
    }

    fn apply(&mut self, actions: Vec<Action>) {
        for action in actions {
            self.log.push(match action {
                Action::Play(file) => format!("play {file}"),
                Action::PlayFrom { file, from_ms } => format!("resume {file} at {from_ms}"),
                Action::StopPrompt => "stop".into(),
                Action::StartRecording => "record".into(),
                Action::StopRecording => "stop recording".into(),
                Action::EndTurnAfter { silence_ms, .. } => format!("end turn after {silence_ms}"),
                Action::End { status, outcome } => format!("end {status} {}", outcome.as_str()),
                Action::Event(CallEvent::Message { file, after_beep }) => format!("message {file} after_beep={after_beep}"),
                Action::Event(CallEvent::Reaction { tier, seconds }) => format!("reaction {tier} {:.0} ms", seconds * 1000.0),
                Action::Event(CallEvent::BargeIn { .. }) => "barge-in".into(),
                Action::Classify { turn, text, .. } => format!("classify {turn} {text}"),
                Action::Event(_) => continue,
            });
        }
    }

    fn speech(&mut self, from_ms: u64, to_ms: u64) {
        let started = self.at(from_ms + 200);
        self.send(Input::Media(MediaEvent::SpeechStarted { confirmed_at: started, stream_ms: from_ms + 200, onset_ms: 200 }));
        let ended = self.at(to_ms);
        self.send(Input::Media(MediaEvent::SpeechEnded { at: ended, last_voice_at: ended, stream_ms: to_ms, speech_ms: to_ms - from_ms }));
    }

    fn taken(&mut self) -> Vec<String> {
        std::mem::take(&mut self.log)
    }
}

#[test]
fn without_amd_the_scenario_starts_at_once() {
    let mut call = Call::new("", None, false);
    assert_eq!(call.taken(), ["play p-hello"]);
    assert_eq!(call.s.state_label(), "hello");
}

#[test]
fn amd_machine_waits_then_a_beep_hangs_up() {
    let mut call = Call::new("", Some(("MACHINE", "LONGGREETING-3000-2500")), false);
    assert!(call.taken().is_empty(), "the first prompt waits for the evidence");
    assert_eq!(call.s.next_deadline(), Some(call.t0 + Duration::from_millis(15_000)), "bounded by max_wait_ms");
    call.speech(0, 3000);
    call.at(3500);
    call.send(Input::Tick);
    assert!(call.taken().is_empty());
    call.at(3600);
    call.send(Input::Media(MediaEvent::Beep(1000)));
    assert_eq!(call.taken(), ["end SUCCESS answering_machine"]);
    let (words, (verdict, evidence)) = call.s.machine_verdict(Outcome::AnsweringMachine).unwrap();
    assert_eq!((verdict, evidence), ("machine", "amd+beep"), "{words}");
}

#[test]
fn amd_machine_overruled_by_a_short_answer_then_silence() {
    let mut call = Call::new("", Some(("MACHINE", "")), false);
    call.speech(0, 600); // "allô ?"
    call.at(1500);
    call.send(Input::Tick);
    assert!(call.taken().is_empty(), "not yet {} ms of silence", 1500);
    call.at(2100);
    call.send(Input::Tick);
    assert_eq!(call.taken(), ["play p-hello"], "a person: the scenario starts");
    assert_eq!(call.s.machine_verdict(Outcome::NotInterested).unwrap().1, ("human", "short_answer"));
}

#[test]
fn amd_machine_with_nothing_heard_decides_at_its_deadline() {
    let mut call = Call::new("", Some(("MACHINE", "")), false);
    call.speech(0, 6000); // a long greeting, then a silence never long enough before the bound
    call.speech(6200, 14_900);
    call.at(15_000);
    call.send(Input::Tick);
    assert_eq!(call.taken(), ["end SUCCESS answering_machine"]);
}

#[test]
fn a_hangup_while_waiting_for_machine_evidence_ends_early() {
    let mut call = Call::new("", Some(("MACHINE", "")), false);
    call.at(800);
    call.send(Input::HungUp);
    assert_eq!(call.taken(), ["end HANGUP hangup_early"]);
    call.send(Input::Tick);
    assert!(call.taken().is_empty(), "nothing after the end");
}

#[test]
fn the_recording_notice_plays_first_and_recording_starts_after_it() {
    let mut call = Call::new("record = yes\nrecording_notice = p-notice", None, true);
    assert_eq!(call.taken(), ["play p-notice"]);
    call.speech(300, 900); // said over the notice: neither an answer nor a barge-in
    assert!(call.taken().is_empty());
    assert_eq!(call.s.next_deadline(), None, "the notice is never cut short");
    call.at(4000);
    call.send(Input::PromptFinished);
    assert_eq!(call.taken(), ["record", "play p-hello"]);
}

#[test]
fn a_notice_that_cannot_play_means_no_recording() {
    let mut call = Call::new("record = yes\nrecording_notice = p-notice", None, true);
    call.taken();
    call.send(Input::PromptFailed);
    assert_eq!(call.taken(), ["play p-hello"], "not told, so not recorded");
}

#[test]
fn a_campaign_recorded_elsewhere_plays_no_notice_here() {
    let mut call = Call::new("record = yes\nrecording_notice = p-notice", None, false);
    assert_eq!(call.taken(), ["play p-hello"]);
}

#[test]
fn a_hangup_during_the_notice_ends_early() {
    let mut call = Call::new("record = yes\nrecording_notice = p-notice", None, true);
    call.taken();
    call.at(1200);
    call.send(Input::HungUp);
    assert_eq!(call.taken(), ["end HANGUP hangup_early"]);
}

#[test]
fn the_message_is_left_after_the_beep() {
    let mut call = Call::new("on_machine = message p-voicemail", Some(("MACHINE", "")), false);
    call.speech(0, 3000);
    call.at(3300);
    call.send(Input::Media(MediaEvent::Beep(1000)));
    assert_eq!(call.taken(), ["message p-voicemail after_beep=true", "play p-voicemail"]);
    assert_eq!(call.s.state_label(), "leaving a message");
    call.at(9000);
    call.send(Input::PromptFinished);
    assert_eq!(call.taken(), ["end SUCCESS answering_machine"]);
}

#[test]
fn without_a_beep_the_message_starts_once_the_greeting_is_quiet() {
    let mut call = Call::new("on_machine = message p-voicemail", Some(("MACHINE", "")), false);
    call.speech(0, 5000); // a greeting: longer than a person's answer
    call.at(6500);
    call.send(Input::Tick);
    // The detector decides (greeting ended + silence_ms); the message waits for silence_ms
    // counted from now, on the session's own clock.
    let log = call.taken();
    assert!(log.is_empty(), "{log:?}");
    let quiet_until = call.s.next_deadline().unwrap();
    assert_eq!(quiet_until, call.t0 + Duration::from_millis(8000));
    call.at(7000);
    call.send(Input::Tick);
    assert!(call.taken().is_empty());
    call.at(8000);
    call.send(Input::Tick);
    assert_eq!(call.taken(), ["message p-voicemail after_beep=false", "play p-voicemail"]);
}

#[test]
fn a_machine_that_never_stops_talking_gets_its_message_at_max_wait() {
    let mut call = Call::new("on_machine = message p-voicemail", Some(("MACHINE", "")), false);
    call.at(15_000);
    call.send(Input::Tick); // the detector: machine, nothing heard
    call.at(15_100);
    let started = call.now;
    call.send(Input::Media(MediaEvent::SpeechStarted { confirmed_at: started, stream_ms: 15_100, onset_ms: 200 }));
    assert!(call.taken().is_empty());
    call.at(30_000);
    call.send(Input::Tick);
    assert_eq!(call.taken(), ["message p-voicemail after_beep=false", "play p-voicemail"]);
    call.send(Input::HungUp);
    assert_eq!(call.taken(), ["end SUCCESS answering_machine"]);
}

#[test]
fn a_long_greeting_during_the_conversation_becomes_the_message() {
    let mut call = Call::new("on_machine = message p-voicemail", Some(("NOTSURE", "")), false);
    assert_eq!(call.taken(), ["play p-hello"]);
    let started = call.at(300);
    call.send(Input::Media(MediaEvent::SpeechStarted { confirmed_at: started, stream_ms: 300, onset_ms: 200 }));
    call.at(4500);
    call.send(Input::Tick);
    let log = call.taken();
    assert!(log.contains(&"barge-in".to_string()) && log.contains(&"stop".to_string()), "{log:?}");
    assert!(!log.iter().any(|l| l.starts_with("end")), "the message, not the end: {log:?}");
    let ended = call.at(6000);
    call.send(Input::Media(MediaEvent::SpeechEnded { at: ended, last_voice_at: ended, stream_ms: 6000, speech_ms: 5900 }));
    call.at(7500);
    call.send(Input::Tick);
    assert_eq!(call.taken(), ["message p-voicemail after_beep=false", "play p-voicemail"]);
}

#[test]
fn the_reaction_runs_from_the_answer_to_the_next_prompt_with_its_tier() {
    let mut call = Call::with_fixture("", None, false, VecDeque::from([FixtureTurn::parse("oui")]));
    assert_eq!(call.taken(), ["play p-hello"]);
    call.at(2000);
    call.send(Input::PromptFinished);
    call.speech(2500, 3000);
    call.at(3100);
    call.send(Input::Recognized(AsrEvent::Final { text: "안녕".into(), latency: Duration::from_millis(100) }));
    assert_eq!(call.taken(), ["classify 1 oui"], "the fixture's line, not the model's words");
    let classification = crate::nlp::classifier::classify(&crate::domain::StepContext::default(), "oui");
    call.send(Input::Classified { turn: 1, classification, tier: Tier::Local, latency: Duration::from_millis(1) });
    assert!(call.taken().contains(&"play p-q1".to_string()), "the fixture's 'oui' moved the call on");
    call.at(3250);
    call.send(Input::PromptStarted);
    assert_eq!(call.taken(), ["reaction local 250 ms"]);
    call.at(4000);
    call.send(Input::PromptStarted);
    assert!(call.taken().is_empty(), "one reaction per answer");
}

/// Answered at the pause: the reaction runs from the callee's last voiced frame, and the
/// fixture's words grow with the audio decoded (one word per 150 ms) until the final's line.
#[test]
fn an_answer_at_the_pause_reacts_from_the_last_word_with_the_fixtures_growing_words() {
    let mut call = Call::with_fixture("", None, false, VecDeque::from([FixtureTurn::parse("oui tout à fait")]));
    call.at(2000);
    call.send(Input::PromptFinished);
    call.taken();
    let started = call.at(2700);
    call.send(Input::Media(MediaEvent::SpeechStarted { confirmed_at: started, stream_ms: 2700, onset_ms: 200 }));
    call.send(Input::Recognized(AsrEvent::Partial { text: "안".into(), heard_ms: 280, pause: None }));
    assert_eq!(call.s.controller().last_partial(), "oui tout", "two words for 280 ms of audio");
    let last_voice_at = call.at(3000);
    call.at(3100);
    call.send(Input::Media(MediaEvent::SpeechPaused { last_voice_at, seq: 1 }));
    call.send(Input::Recognized(AsrEvent::Partial { text: "안녕".into(), heard_ms: 900, pause: Some(1) }));
    assert_eq!(call.taken(), ["end turn after 300", "classify 1 oui tout à fait"]);
    let classification = crate::nlp::classifier::classify(&crate::domain::StepContext::default(), "oui tout à fait");
    call.send(Input::Classified { turn: 1, classification, tier: Tier::Local, latency: Duration::from_millis(1) });
    assert_eq!(call.taken(), ["end turn after 200"]);
    // The media path ends the turn after its 200 ms of silence.
    call.at(3200);
    call.send(Input::Media(MediaEvent::SpeechEnded { at: call.now, last_voice_at, stream_ms: 3200, speech_ms: 500 }));
    assert_eq!(call.taken(), ["play p-q1"]);
    call.at(3230);
    call.send(Input::PromptStarted);
    assert_eq!(call.taken(), ["reaction local 230 ms"], "from the last voiced frame, not the end of turn");
    call.send(Input::Recognized(AsrEvent::Final { text: "안녕하세요".into(), latency: Duration::from_millis(60) }));
    assert!(call.taken().is_empty(), "the fixture's final is the pause's words: confirmed");
    assert_eq!(call.s.controller().turns()[0].text, "oui tout à fait");
}

#[test]
fn a_fixture_line_may_give_the_words_at_the_pause_and_a_different_final() {
    let mut turn = FixtureTurn::parse(" oui mais / oui mais rappelez-moi >> oui mais rappelez-moi demain ");
    assert_eq!((turn.at_pauses.as_slice(), turn.final_text.as_str()), (&["oui mais".to_string(), "oui mais rappelez-moi".to_string()][..], "oui mais rappelez-moi demain"));
    assert_eq!(turn.words_at(10, false), "oui mais", "before the first pause");
    assert_eq!(turn.words_at(10_000, true), "oui mais");
    assert_eq!(turn.words_at(10_000, false), "oui mais", "between pauses, the last pause's words");
    assert_eq!(turn.words_at(10_000, true), "oui mais rappelez-moi");
    assert_eq!(turn.words_at(10_000, true), "oui mais rappelez-moi", "the last one stays");
    let mut plain = FixtureTurn::parse("non merci");
    assert_eq!((plain.words_at(0, false), plain.words_at(100, false), plain.words_at(301, true)), ("".to_string(), "non".to_string(), "non merci".to_string()));
}
