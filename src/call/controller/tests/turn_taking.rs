//! The adaptive end of turn: decided from the words at a pause, counted by the media path, checked
//! by the final text.

use super::*;
use crate::nlp::turn_end::{Mode, TurnConfig};

impl Call {
    fn with_mode(mode: Mode) -> Call {
        let now = Instant::now();
        let controller = Controller::new(scenario(), true, now).with_turn_config(TurnConfig { mode, ..TurnConfig::default() });
        let mut call = Call { c: controller, now, log: Vec::new(), deferred: None };
        let actions = call.c.start(now);
        call.apply(actions);
        call.take_log();
        call
    }

    /// The prompt ends and, 300 ms later, the callee starts talking.
    fn starts_talking(&mut self) {
        self.at(500);
        self.send(Input::PromptFinished);
        self.voice_starts_after(300);
    }

    /// The callee's voice is confirmed `ms` after the last clock point.
    fn voice_starts_after(&mut self, ms: u64) {
        let t = self.at(ms);
        self.send(Input::SpeechStarted { confirmed_at: t });
    }

    /// The prompt ends and the callee talks for half a second, then pauses: 100 ms of silence
    /// later (pause 1) the recognizer's words so far are `words`. Returns when their voice stopped.
    fn pause_after(&mut self, words: &str) -> Instant {
        self.starts_talking();
        self.pause(1, 500, words)
    }

    /// `voiced_ms` more of speech, then pause `seq` and its words 100 ms later.
    fn pause(&mut self, seq: u64, voiced_ms: u64, words: &str) -> Instant {
        let last_voice_at = self.at(voiced_ms);
        self.at(100);
        self.send(Input::SpeechPaused { last_voice_at, seq });
        self.send(Input::Partial { text: words.into(), pause: Some(seq) });
        last_voice_at
    }

    /// The prompt ends, the callee talks, pauses (pause 1, no words heard for it yet) and goes on.
    fn went_on_after_a_first_pause() -> Call {
        let mut call = Call::with_mode(Mode::Adaptive);
        call.starts_talking();
        let first = call.at(300);
        call.send(Input::SpeechPaused { last_voice_at: first, seq: 1 });
        call.send(Input::SpeechResumed);
        call
    }

    /// The media path ends the turn `after_ms` after the last call's clock point.
    fn turn_ends(&mut self, after_ms: u64) {
        self.at(after_ms);
        self.send(Input::SpeechEnded);
    }
}

#[test]
fn a_complete_answer_ends_after_a_short_silence_and_its_final_confirms_it() {
    let mut call = Call::with_mode(Mode::Adaptive);
    call.pause_after("oui");
    assert_eq!(call.take_log(), ["end turn after 300", "intent positive", "end turn after 200"], "the usual hangover until the words say more");
    call.turn_ends(100); // 200 ms after the last voiced frame
    assert_eq!(call.take_log(), ["turn end complete adaptive 200 ms", "play p-q1"], "the reply starts on the pause's words");
    assert_eq!(call.c.step(), "q1");
    let actions = call.send(Input::Final { text: "oui".into(), latency: Duration::from_millis(80) });
    assert!(actions.iter().any(|a| matches!(a, Action::Event(CallEvent::Final { step, .. }) if step == "hello")), "named by the step it answered");
    assert_eq!(call.take_log(), ["check confirmed"]);
    let turns = call.c.turns();
    assert_eq!((turns.len(), turns[0].text.as_str(), turns[0].intent, turns[0].asr_ms), (1, "oui", Some(Intent::Positive), 80.0));
}

#[test]
fn more_words_in_the_final_with_the_same_meaning_are_stored_and_confirm() {
    let mut call = Call::with_mode(Mode::Adaptive);
    call.pause_after("oui");
    call.turn_ends(100);
    call.take_log();
    call.send(Input::Final { text: "oui d'accord".into(), latency: Duration::from_millis(80) });
    assert_eq!(call.take_log(), ["intent positive", "check confirmed"]);
    assert_eq!(call.c.turns()[0].text, "oui d'accord", "the stored turn keeps the final's words");
    assert_eq!(call.c.step(), "q1");
}

#[test]
fn words_that_announce_more_wait_and_a_callee_who_goes_on_is_one_turn() {
    let mut call = Call::with_mode(Mode::Adaptive);
    call.pause_after("oui mais");
    assert_eq!(call.take_log(), ["end turn after 300", "intent positive", "end turn after 800"]);
    call.at(500);
    call.send(Input::Tick);
    call.send(Input::SpeechResumed);
    assert!(call.take_log().is_empty(), "nothing decided");
    call.pause(2, 600, "oui mais rappelez-moi demain");
    assert_eq!(call.take_log(), ["end turn after 300", "intent callback", "end turn after 200"]);
    call.turn_ends(100);
    let log = call.take_log();
    assert!(log.contains(&"turn end complete adaptive 200 ms".to_string()) && log.contains(&"play p-cb".to_string()), "{log:?}");
    assert_eq!(call.c.turns().len(), 1, "one turn, not two");
}

#[test]
fn a_final_that_means_something_else_stops_the_reply_and_re_routes_the_turn() {
    let mut call = Call::with_mode(Mode::Adaptive);
    call.pause_after("oui");
    call.turn_ends(100);
    assert_eq!(call.c.step(), "q1");
    call.take_log();
    call.at(60);
    call.send(Input::Final { text: "oui mais rappelez-moi demain".into(), latency: Duration::from_millis(80) });
    assert_eq!(call.take_log(), ["intent callback", "check corrected", "stop", "play p-cb"]);
    assert_eq!(call.c.step(), "cb");
    let turns = call.c.turns();
    assert_eq!((turns.len(), turns[0].text.as_str(), turns[0].intent), (1, "oui mais rappelez-moi demain", Some(Intent::Callback)));
    call.at(500);
    call.send(Input::PromptFinished);
    assert_eq!(call.take_log().last().unwrap(), "end SUCCESS callback");
}

/// "oui" at the greeting, whose final says "ne m'appelez plus" and is slow to be understood (the
/// LLM) while the callee answers q1: the opt-out applies once understood. Returns the call with
/// the opt-out's goodbye playing.
fn opt_out_understood_after_the_call_moved_on() -> Call {
    let mut call = Call::with_mode(Mode::Adaptive);
    call.deferred = Some(Vec::new());
    call.pause_after("oui");
    call.understand("oui");
    call.turn_ends(100);
    call.send(Input::Final { text: "oui enfin non ne m'appelez plus".into(), latency: Duration::from_millis(80) });
    call.answer("j'ai un livret a");
    call.understand("j'ai un livret a");
    assert_eq!(call.c.step(), "q2");
    call.take_log();
    call.understand("oui enfin non ne m'appelez plus");
    let log = call.take_log();
    assert!(log.contains(&"check sticky".to_string()) && log.contains(&"play p-dnc".to_string()), "{log:?}");
    call
}

#[test]
fn an_opt_out_in_the_final_counts_even_after_the_call_moved_on() {
    let mut call = opt_out_understood_after_the_call_moved_on();
    call.at(500);
    call.send(Input::PromptFinished);
    assert_eq!(call.take_log().last().unwrap(), "end SUCCESS do_not_call");
}

#[test]
fn no_words_at_the_pause_leave_the_usual_hangover_and_the_final_decides() {
    let mut call = Call::with_mode(Mode::Adaptive);
    call.pause_after("");
    assert_eq!(call.take_log(), ["end turn after 300"], "nothing to understand");
    call.turn_ends(200);
    call.send(Input::Final { text: "oui".into(), latency: Duration::from_millis(60) });
    assert_eq!(call.take_log(), ["intent positive", "play p-q1"], "the final answers, as without pauses");
}

impl Call {
    /// The callee answers and stops; the usual hangover ends the turn before the decoder (running
    /// behind) has sent the pause's words.
    fn ended_before_its_pause_words() -> Call {
        let mut call = Call::with_mode(Mode::Adaptive);
        call.starts_talking();
        let last_voice_at = call.at(500);
        call.at(100);
        call.send(Input::SpeechPaused { last_voice_at, seq: 1 });
        assert_eq!(call.take_log(), ["end turn after 300"], "no later than the fixed end");
        call.turn_ends(200); // a lagging decoder: no words yet
        assert!(call.take_log().is_empty(), "nothing to answer on yet");
        call
    }
}

/// The decoder answers a pause before it decodes the rest of the turn: words late for the usual
/// hangover still come before the final, which waits for that rest (the first answer of ten calls
/// placed at once waited for its final: 700-1220 ms where its words were there earlier).
#[test]
fn words_late_for_the_usual_hangover_answer_the_turn_before_its_final() {
    let mut call = Call::ended_before_its_pause_words();
    call.send(Input::Partial { text: "oui".into(), pause: Some(1) });
    let log = call.take_log();
    assert!(log.contains(&"intent positive".to_string()) && log.contains(&"play p-q1".to_string()), "answered on the pause's words: {log:?}");
    assert!(log.iter().any(|l| l.starts_with("turn end ")), "{log:?}");
    call.send(Input::Final { text: "oui".into(), latency: Duration::from_millis(900) });
    assert_eq!(call.take_log(), ["check confirmed"]);
    let turns = call.c.turns();
    assert_eq!((turns.len(), turns[0].text.as_str(), turns[0].asr_ms), (1, "oui", 900.0));
}

#[test]
fn late_words_that_mean_something_else_in_the_final_are_corrected() {
    let mut call = Call::ended_before_its_pause_words();
    call.send(Input::Partial { text: "oui".into(), pause: Some(1) });
    call.take_log();
    call.send(Input::Final { text: "non merci".into(), latency: Duration::from_millis(900) });
    let log = call.take_log();
    assert!(log.contains(&"check corrected".to_string()), "{log:?}");
    assert_eq!(call.c.turns().last().map(|t| t.intent), Some(Some(Intent::Negative)));
}

#[test]
fn no_words_at_a_pause_heard_after_the_turn_ended_leave_it_to_its_final() {
    let mut call = Call::ended_before_its_pause_words();
    call.send(Input::Partial { text: "".into(), pause: Some(1) });
    assert!(call.take_log().is_empty());
    call.send(Input::Final { text: "oui".into(), latency: Duration::from_millis(900) });
    assert_eq!(call.take_log(), ["intent positive", "play p-q1"], "the final answers, as without pauses");
    assert_eq!(call.c.turns().len(), 1);
}

/// A pause request the decoder dropped (its queue full): the final answers the turn, at once.
#[test]
fn a_pause_whose_words_never_come_leaves_the_ended_turn_to_its_final() {
    let mut call = Call::ended_before_its_pause_words();
    call.send(Input::Final { text: "non merci".into(), latency: Duration::from_millis(900) });
    assert_eq!(call.take_log(), ["intent negative", "play p-retry"]);
    call.send(Input::Partial { text: "non merci".into(), pause: Some(1) });
    assert!(call.take_log().is_empty(), "nothing answered twice");
    assert_eq!(call.c.turns().len(), 1);
}

/// The callee goes on before the late words come: the first part is not lost (it answers, as
/// without pauses: "ne m'appelez plus... au revoir").
#[test]
fn a_callee_who_goes_on_before_the_late_words_come_loses_nothing() {
    let mut call = Call::ended_before_its_pause_words();
    call.voice_starts_after(100);
    let last_voice_at = call.at(300);
    call.send(Input::SpeechPaused { last_voice_at, seq: 2 });
    call.send(Input::SpeechResumed);
    call.send(Input::Partial { text: "ne m'appelez plus".into(), pause: Some(1) });
    call.at(300);
    call.send(Input::SpeechEnded);
    call.send(Input::Final { text: "ne m'appelez plus".into(), latency: Duration::from_millis(900) });
    call.send(Input::Final { text: "au revoir".into(), latency: Duration::from_millis(300) });
    let log = call.take_log();
    assert!(log.contains(&"intent do_not_call".to_string()) && log.contains(&"play p-dnc".to_string()), "{log:?}");
}

/// Gone before the late words came: the final is the last words, an opt-out decides the call.
#[test]
fn a_hangup_before_the_late_words_leaves_the_last_words_to_the_final() {
    let mut call = Call::ended_before_its_pause_words();
    call.send(Input::HungUp);
    call.send(Input::Partial { text: "ne m'appelez plus".into(), pause: Some(1) });
    call.send(Input::Final { text: "ne m'appelez plus".into(), latency: Duration::from_millis(900) });
    let log = call.take_log();
    assert_eq!(log.last().map(String::as_str), Some("end HANGUP do_not_call"), "{log:?}");
}

/// A hum over the prompt whose words come after its turn ended: the prompt still resumes.
#[test]
fn a_hum_heard_after_its_turn_ended_still_resumes_the_prompt() {
    let mut call = Call::with_mode(Mode::Adaptive);
    call.voice_starts_after(1500);
    assert_eq!(call.take_log(), ["stop", "barge-in speech"]);
    let last_voice_at = call.at(200);
    call.at(100);
    call.send(Input::SpeechPaused { last_voice_at, seq: 1 });
    call.turn_ends(200);
    call.send(Input::Partial { text: "hm".into(), pause: Some(1) });
    call.send(Input::Final { text: "hum".into(), latency: Duration::from_millis(400) });
    let log = call.take_log();
    assert!(log.contains(&"check backchannel".to_string()) && log.iter().any(|l| l.starts_with("resume p-hello")), "{log:?}");
    assert!(call.c.turns().is_empty(), "the hum is not a turn");
}

/// Keys answer while the late words are awaited, and the callee answers the next step at a
/// pause: each final checks its own turn (the first one's came first and is a late answer).
#[test]
fn finals_after_keys_check_their_own_turns() {
    let mut call = Call::ended_before_its_pause_words();
    call.send(Input::Dtmf('1'));
    call.take_log();
    call.voice_starts_after(300);
    call.pause(2, 400, "oui");
    call.turn_ends(100);
    call.take_log();
    call.send(Input::Final { text: "non".into(), latency: Duration::from_millis(900) });
    call.send(Input::Final { text: "oui".into(), latency: Duration::from_millis(300) });
    let log = call.take_log();
    assert!(!log.iter().any(|l| l == "check corrected"), "the first final is not the second turn's: {log:?}");
    assert!(log.contains(&"check confirmed".to_string()), "{log:?}");
}

/// Given up at processing_timeout before any words came: the final still counts (an opt-out).
#[test]
fn an_ended_turn_given_up_before_its_words_still_counts_when_they_come() {
    let mut call = Call::ended_before_its_pause_words();
    call.at(5_000);
    call.send(Input::Tick);
    call.take_log();
    call.send(Input::Final { text: "ne m'appelez plus".into(), latency: Duration::from_millis(5_000) });
    let log = call.take_log();
    assert!(log.iter().any(|l| l.contains("do_not_call")), "{log:?}");
}

#[test]
fn words_that_answer_an_earlier_pause_are_not_taken_for_the_latest() {
    let mut call = Call::went_on_after_a_first_pause();
    let second = call.at(400);
    call.send(Input::SpeechPaused { last_voice_at: second, seq: 2 });
    call.take_log();
    // A lagging decoder: the first pause's words come now.
    call.send(Input::Partial { text: "oui".into(), pause: Some(1) });
    assert!(call.take_log().is_empty(), "'oui' was the first pause's words: nothing decided on them");
    call.send(Input::Partial { text: "oui mais".into(), pause: Some(2) });
    assert_eq!(call.take_log(), ["intent positive", "end turn after 800"], "the latest words wait");
    let actions = call.send(Input::Tick);
    assert!(!actions.iter().any(|a| matches!(a, Action::EndTurnAfter { pause: 1, .. })));
}

#[test]
fn a_turn_ended_while_its_words_go_to_the_llm_waits_for_them_and_is_not_asked_twice() {
    let mut call = Call::with_mode(Mode::Adaptive);
    call.deferred = Some(Vec::new());
    call.pause_after("bof je sais pas trop");
    call.turn_ends(200); // the usual hangover ends the turn first
    call.send(Input::Final { text: "bof je sais pas trop".into(), latency: Duration::from_millis(60) });
    assert_eq!(call.deferred.as_ref().unwrap().len(), 1, "the final's words are not asked again");
    call.take_log();
    call.understand("bof je sais pas trop");
    let log = call.take_log();
    assert!(log.iter().any(|l| l.starts_with("turn end ")) && log.contains(&"check confirmed".to_string()), "{log:?}");
    assert_eq!(call.c.turns().len(), 1);
}

#[test]
fn shadow_mode_counts_what_the_adaptive_end_would_do_and_keeps_the_fixed_one() {
    let mut call = Call::with_mode(Mode::Shadow);
    call.pause_after("oui");
    call.at(100);
    call.send(Input::Tick);
    assert_eq!(call.take_log(), ["intent positive", "turn end complete shadow 200 ms"], "counted, not answered");
    assert_eq!(call.c.step(), "hello");
    call.send(Input::SpeechResumed);
    assert_eq!(call.take_log(), ["check shadow_cut"], "the adaptive end would have cut this callee");
    call.pause(2, 400, "oui non");
    call.turn_ends(200); // the fixed hangover (300 ms) ends the turn
    call.send(Input::Final { text: "oui non non".into(), latency: Duration::from_millis(50) });
    let log = call.take_log();
    assert!(log.contains(&"check shadow_agreed".to_string()) || log.contains(&"check shadow_disagreed".to_string()), "{log:?}");
    assert!(!log.iter().any(|l| l.starts_with("end turn after")));
}

#[test]
fn fixed_mode_ignores_pauses() {
    let mut call = Call::with_mode(Mode::Fixed);
    call.pause_after("oui");
    call.at(2000);
    call.send(Input::Tick);
    assert!(call.take_log().is_empty(), "nothing asked at the pause");
    call.send(Input::SpeechEnded);
    call.send(Input::Final { text: "oui".into(), latency: Duration::from_millis(50) });
    assert_eq!(call.take_log(), ["intent positive", "play p-q1"]);
}

#[test]
fn a_hangup_during_the_pause_leaves_the_last_words_to_the_final() {
    let mut call = Call::with_mode(Mode::Adaptive);
    call.pause_after("oui");
    call.send(Input::HungUp);
    assert!(!call.take_log().iter().any(|l| l.starts_with("end ") && !l.starts_with("end turn")), "the final may still be an opt-out");
    call.send(Input::SpeechEnded);
    call.send(Input::Final { text: "oui enfin non ne m'appelez plus jamais".into(), latency: Duration::from_millis(50) });
    let log = call.take_log();
    assert!(log.contains(&"late last_words".to_string()), "{log:?}");
    assert_eq!(log.last().unwrap(), "end HANGUP do_not_call", "{log:?}");
}

/// An opt-out said in a pause whose words go to the LLM, the turn ended and the callee gone
/// before the LLM answers: the opt-out still decides the call.
#[test]
fn an_opt_out_with_the_llm_when_the_callee_hangs_up_still_counts() {
    for final_first in [true, false] {
        let mut call = Call::with_mode(Mode::Adaptive);
        call.deferred = Some(Vec::new());
        call.pause_after("euh enlevez-moi de vos listes");
        call.turn_ends(200); // the usual hangover; the words are with the LLM
        if final_first {
            call.send(Input::Final { text: "euh enlevez-moi de vos listes".into(), latency: Duration::from_millis(60) });
        }
        call.send(Input::HungUp);
        assert!(!call.take_log().iter().any(|l| l.starts_with("end ") && !l.starts_with("end turn")), "waits for the last words");
        if !final_first {
            call.send(Input::Final { text: "euh enlevez-moi de vos listes".into(), latency: Duration::from_millis(60) });
        }
        let deferred = call.deferred.as_ref().unwrap().clone();
        let (turn, text, context) = deferred.into_iter().next().expect("the pause's words");
        let mut classification = classify(&context, &text);
        classification.intent = Intent::DoNotCall; // what the LLM understood
        call.send(Input::Classified { turn, classification, tier: Tier::Llm, latency: Duration::from_millis(900) });
        let log = call.take_log();
        assert_eq!(log.last().map(String::as_str), Some("end HANGUP do_not_call"), "final first: {final_first}: {log:?}");
    }
}

/// The callee took a breath after "oui" and goes on while the reply starts.
#[test]
fn a_callee_who_goes_on_as_the_reply_starts_is_one_answer() {
    let mut call = Call::with_mode(Mode::Adaptive);
    call.pause_after("oui");
    call.turn_ends(100);
    assert_eq!(call.take_log(), ["end turn after 300", "intent positive", "end turn after 200", "turn end complete adaptive 200 ms", "play p-q1"]);
    call.voice_starts_after(400);
    assert_eq!(call.take_log(), ["check rejoined", "stop"], "the reply is taken back, not barged in on");
    assert_eq!((call.c.step(), call.c.phase(), call.c.turns().len()), ("hello", Phase::Listening, 0));
    // The first part's final comes in meanwhile: it only completes the words carried.
    call.send(Input::Final { text: "oui".into(), latency: Duration::from_millis(80) });
    assert!(call.take_log().is_empty());
    call.pause(2, 700, "rappelez-moi demain");
    assert_eq!(call.take_log(), ["end turn after 300", "intent callback", "end turn after 200"], "understood with its first part");
    call.turn_ends(100);
    assert_eq!(call.take_log(), ["turn end complete adaptive 200 ms", "play p-cb"]);
    call.send(Input::Final { text: "rappelez-moi demain".into(), latency: Duration::from_millis(80) });
    assert_eq!(call.take_log(), ["check confirmed"]);
    let turns = call.c.turns();
    assert_eq!((turns.len(), turns[0].step.as_str(), turns[0].text.as_str(), turns[0].intent), (1, "hello", "oui rappelez-moi demain", Some(Intent::Callback)));
    assert_eq!(call.c.callback_text(), Some("oui rappelez-moi demain"));
}

#[test]
fn the_first_parts_final_arriving_late_still_heads_the_answer() {
    let mut call = Call::with_mode(Mode::Adaptive);
    call.pause_after("oui");
    call.turn_ends(100);
    call.voice_starts_after(400);
    call.at(700);
    call.send(Input::SpeechEnded); // no pause answered: the final decides
    call.take_log();
    call.send(Input::Final { text: "oui oui".into(), latency: Duration::from_millis(80) });
    assert!(call.take_log().is_empty(), "the first part's final");
    call.send(Input::Final { text: "mais pas maintenant rappelez-moi demain".into(), latency: Duration::from_millis(80) });
    assert_eq!(call.take_log(), ["intent callback", "play p-cb"]);
    assert_eq!(call.c.turns()[0].text, "oui oui mais pas maintenant rappelez-moi demain");
}

#[test]
fn a_callee_heard_later_answers_the_reply_and_an_opt_out_is_never_taken_back() {
    // Past the window: an interruption of the next question, which it answers.
    let mut call = Call::with_mode(Mode::Adaptive);
    call.pause_after("oui");
    call.turn_ends(100);
    call.voice_starts_after(1200);
    assert_eq!(call.take_log().last().unwrap(), "barge-in speech");
    assert_eq!((call.c.step(), call.c.turns().len()), ("q1", 1));

    // An opt-out: the callee going on is heard over its goodbye, the opt-out stands.
    let mut call = Call::with_mode(Mode::Adaptive);
    call.pause_after("ne m'appelez plus");
    call.turn_ends(100);
    assert_eq!(call.take_log().last().unwrap(), "play p-dnc");
    call.voice_starts_after(300);
    assert!(!call.take_log().contains(&"check rejoined".to_string()));
    assert_eq!(call.c.turns()[0].intent, Some(Intent::DoNotCall));

    // rejoin_ms = 0: never.
    let now = Instant::now();
    let config = TurnConfig { rejoin_ms: 0, ..TurnConfig::default() };
    let mut call = Call { c: Controller::new(scenario(), true, now).with_turn_config(config), now, log: Vec::new(), deferred: None };
    let actions = call.c.start(now);
    call.apply(actions);
    call.pause_after("oui");
    call.turn_ends(100);
    call.voice_starts_after(300);
    assert_eq!(call.take_log().last().unwrap(), "barge-in speech");
}

/// With the fixed hangover the reply waits for the final; going on over it is one answer too.
#[test]
fn fixed_mode_rejoins_the_answer_its_reply_followed() {
    let mut call = Call::with_mode(Mode::Fixed);
    call.answer("oui");
    assert_eq!(call.take_log(), ["intent positive", "play p-q1"]);
    call.speak();
    assert_eq!(call.take_log(), ["check rejoined", "stop"]);
    call.send(Input::Final { text: "mais pas maintenant rappelez-moi demain".into(), latency: Duration::from_millis(40) });
    assert_eq!(call.take_log(), ["intent callback", "play p-cb"]);
    let turns = call.c.turns();
    assert_eq!((turns.len(), turns[0].text.as_str()), (1, "oui mais pas maintenant rappelez-moi demain"));
}

/// The callee goes on while their first part is still being understood: no reply starts, and the
/// rest is not lost as words said over a prompt.
#[test]
fn a_callee_who_goes_on_before_the_reply_starts_is_one_answer() {
    for ended_before_understood in [false, true] {
        let mut call = Call::with_mode(Mode::Fixed);
        call.deferred = Some(Vec::new());
        call.answer("oui");
        call.voice_starts_after(300);
        if ended_before_understood {
            call.at(800);
            call.send(Input::SpeechEnded);
        }
        call.understand("oui");
        assert_eq!(call.take_log(), ["intent positive (oui)", "check rejoined"], "nothing played");
        assert_eq!((call.c.step(), call.c.turns().len()), ("hello", 0));
        if !ended_before_understood {
            call.at(800);
            call.send(Input::SpeechEnded);
        }
        call.send(Input::Final { text: "mais rappelez-moi demain".into(), latency: Duration::from_millis(40) });
        call.understand("oui mais rappelez-moi demain");
        assert_eq!(call.take_log(), ["intent callback (oui mais rappelez-moi demain)", "play p-cb"]);
        assert_eq!(call.c.turns().len(), 1);
    }
}

/// "hm" over a question is a listener's "go on": the prompt stops at the voice's onset (it may be
/// an interruption) and resumes, a little before where it stopped, once the words are only that.
#[test]
fn a_hum_over_a_prompt_resumes_it_and_answers_nothing() {
    // Heard at its pause (adaptive).
    let mut call = Call::with_mode(Mode::Adaptive);
    call.voice_starts_after(1500);
    assert_eq!(call.take_log(), ["stop", "barge-in speech"]);
    call.pause(1, 200, "hm");
    assert_eq!(call.take_log(), ["end turn after 300", "check backchannel", "resume p-hello at 1000"]);
    call.at(200);
    call.send(Input::SpeechEnded);
    call.send(Input::Final { text: "hum".into(), latency: Duration::from_millis(40) });
    assert!(call.take_log().is_empty(), "its final answers nothing");
    call.at(2000);
    call.send(Input::PromptFinished);
    call.answer("oui");
    assert_eq!(call.take_log(), ["intent positive", "play p-q1"]);
    assert_eq!(call.c.turns().len(), 1, "the hum is not a turn");

    // Heard in its final (fixed), or no words at all (a noise that passed the onset).
    for words in ["mmh", ""] {
        let mut call = Call::with_mode(Mode::Fixed);
        call.voice_starts_after(900);
        call.at(400);
        call.send(Input::SpeechEnded);
        call.send(Input::Final { text: words.into(), latency: Duration::from_millis(40) });
        assert_eq!(call.take_log(), ["stop", "barge-in speech", "check backchannel", "resume p-hello at 400"], "{words:?}");
        assert_eq!(call.c.phase(), Phase::Responding);
    }

    // A real interruption, or "hm" followed by words, is an answer.
    let mut call = Call::with_mode(Mode::Fixed);
    call.voice_starts_after(1500);
    call.at(800);
    call.send(Input::SpeechEnded);
    call.send(Input::Final { text: "hm non merci".into(), latency: Duration::from_millis(40) });
    assert_eq!(call.take_log(), ["stop", "barge-in speech", "intent negative", "play p-retry"]);
}

/// "hm... non, ne m'appelez plus": the prompt resumed at the hum's pause stops again when the
/// voice goes on, and the whole segment is the answer (an opt-out is never lost to a hum).
#[test]
fn a_hum_that_goes_on_is_an_answer_after_all() {
    let mut call = Call::with_mode(Mode::Adaptive);
    call.voice_starts_after(1500);
    call.pause(1, 200, "hm");
    assert_eq!(call.take_log(), ["stop", "barge-in speech", "end turn after 300", "check backchannel", "resume p-hello at 1000"]);
    call.at(150);
    call.send(Input::SpeechResumed);
    assert_eq!(call.take_log(), ["stop", "barge-in speech"], "the resumed prompt stops again");
    call.at(900);
    call.send(Input::SpeechEnded);
    call.send(Input::Final { text: "hm non ne m'appelez plus".into(), latency: Duration::from_millis(40) });
    assert_eq!(call.take_log(), ["intent do_not_call", "play p-dnc"]);

    // A noise's empty final while the callee has started a real answer: no resume over them.
    let mut call = Call::with_mode(Mode::Fixed);
    call.voice_starts_after(1500);
    call.at(300);
    call.send(Input::SpeechEnded);
    call.voice_starts_after(200);
    call.send(Input::Final { text: String::new(), latency: Duration::from_millis(40) });
    assert!(!call.take_log().iter().any(|l| l.starts_with("resume")), "resumed over the callee");
    call.at(800);
    call.send(Input::SpeechEnded);
    call.send(Input::Final { text: "non merci".into(), latency: Duration::from_millis(40) });
    assert_eq!(call.take_log(), ["intent negative", "play p-retry"]);
}

/// A second hum over a resumed prompt resumes it from its place in the file, not from the resume.
#[test]
fn a_second_hum_resumes_from_the_files_position() {
    let mut call = Call::with_mode(Mode::Fixed);
    for (after, at) in [(3000, 2500), (2000, 4000)] {
        call.voice_starts_after(after);
        call.at(300);
        call.send(Input::SpeechEnded);
        call.send(Input::Final { text: "mmh".into(), latency: Duration::from_millis(40) });
        assert_eq!(call.take_log().last().unwrap(), &format!("resume p-hello at {at}"));
    }
}

/// A reply taken back only while its answer is the last thing that routed the call.
#[test]
fn an_opt_out_heard_late_is_not_taken_back_by_a_rejoin() {
    let mut call = opt_out_understood_after_the_call_moved_on();
    call.voice_starts_after(500);
    assert!(!call.take_log().contains(&"check rejoined".to_string()), "the opt-out's goodbye was taken back");
    call.at(300);
    call.send(Input::HungUp);
    call.send(Input::SpeechEnded);
    call.send(Input::Final { text: "au revoir".into(), latency: Duration::from_millis(40) });
    call.understand("au revoir");
    let log = call.take_log();
    assert!(log.iter().any(|l| l.starts_with("end ") && l.ends_with(" do_not_call")), "the opt-out stands: {log:?}");
}

/// The callee hangs up right after going on: the two parts are their last words together.
#[test]
fn a_rejoined_answer_counts_whole_when_the_callee_hangs_up() {
    let mut call = Call::with_mode(Mode::Adaptive);
    call.pause_after("rappelez-moi");
    call.turn_ends(100);
    assert_eq!(call.take_log().last().unwrap(), "play p-cb");
    call.send(Input::Final { text: "rappelez-moi".into(), latency: Duration::from_millis(40) });
    call.voice_starts_after(300);
    assert!(call.take_log().contains(&"check rejoined".to_string()));
    call.at(600);
    call.send(Input::SpeechEnded);
    call.send(Input::HungUp);
    call.send(Input::Final { text: "demain matin".into(), latency: Duration::from_millis(40) });
    assert_eq!(call.take_log(), ["intent callback", "late last_words", "end HANGUP callback"]);
    assert_eq!(call.c.turns()[0].text, "rappelez-moi demain matin");
}

/// A voice that never stops (a television) cannot keep every reply from starting, and a reply
/// waiting for the rest of an answer is bounded like any answer awaited.
#[test]
fn rejoins_are_bounded() {
    let mut call = Call::with_mode(Mode::Fixed);
    call.answer("oui");
    for _ in 0..2 {
        call.speak();
        call.send(Input::Final { text: "oui".into(), latency: Duration::from_millis(40) });
    }
    assert_eq!(call.take_log().iter().filter(|l| *l == "check rejoined").count(), 2);
    call.voice_starts_after(300);
    assert_eq!(call.take_log().last().unwrap(), "barge-in speech", "the third time is an interruption");

    let mut call = Call::with_mode(Mode::Fixed);
    call.deferred = Some(Vec::new());
    call.answer("oui");
    call.speak(); // the rest, whose final never comes
    call.understand("oui");
    assert_eq!(call.c.phase(), Phase::Processing);
    call.at(6000);
    call.send(Input::Tick);
    assert!(call.take_log().iter().any(|l| l.starts_with("play p-retry") || l.starts_with("play p-reprompt")), "waited forever");
}

/// A pause whose request the decoder dropped (a full queue) leaves nothing behind: the next
/// pause's words decide (they used to be taken for the lost pause's, for the rest of the call).
#[test]
fn a_pause_whose_words_were_lost_leaves_nothing_behind() {
    let mut call = Call::went_on_after_a_first_pause();
    call.take_log();
    call.pause(2, 400, "oui");
    assert_eq!(call.take_log(), ["end turn after 300", "intent positive", "end turn after 200"]);
}

#[test]
fn a_yes_to_the_opt_out_asked_back_that_its_final_undoes_is_not_counted_as_taken_back() {
    let now = Instant::now();
    let controller = Controller::new(asking_back(), true, now).with_turn_config(TurnConfig { mode: Mode::Adaptive, ..TurnConfig::default() });
    let mut call = Call { c: controller, now, log: Vec::new(), deferred: None };
    let actions = call.c.start(now);
    call.apply(actions);
    call.answer("~bon écoutez ça suffit");
    assert_eq!(call.c.step(), "confirm");
    // "oui" at a pause takes the opt-out back and asks hello again; the final says no.
    call.pause_after("oui");
    call.turn_ends(100);
    let log = call.take_log();
    assert_eq!(call.c.step(), "hello", "{log:?}");
    call.at(60);
    call.send(Input::Final { text: "non merci".into(), latency: Duration::from_millis(80) });
    assert!(call.take_log().contains(&"check corrected".to_string()));
    assert_eq!(call.c.step(), "dnc");
    call.at(500);
    call.send(Input::PromptFinished);
    assert_eq!(call.take_log(), ["opt-out asked", "end SUCCESS do_not_call"], "the yes undone is not counted");
}
