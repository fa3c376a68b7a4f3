//! Turn-taking on a real Asterisk call: the callee's audio goes through the module's VAD, its
//! pauses reach the recognizer (the Korean model, Vosk for real) and the end of turn is decided
//! from the words at the pause (supplied by the TEST FIXTURE, growing as a recognizer's partials
//! do). What is checked is order and causality, never a duration: the reply starts on the words at
//! the pause, before the turn's final result; a callee who pauses after "et" is not cut; a final
//! that means something else stops the reply and re-routes the turn, and the stored turn keeps
//! the final's words; a callee who goes on as the reply starts is one answer (rejoined); a "hum"
//! over a prompt resumes it and answers nothing.

mod support;

use std::time::Duration;
use support::ami::Message;
use support::pg::{count, fresh_database, SERVER};
use support::{speech, Asterisk, Options, TEST_MODEL};

fn start(db: &str) -> Asterisk {
    let conf = format!(
        "[general]\ntest_hooks = yes\n[asr]\nmodel = {TEST_MODEL}\nprewarm = 1\n[recording]\nenabled = no\n[database]\nurl = {db}\nspool = /tmp/minibot-spool-turns-{}/results.spool\n",
        std::process::id()
    );
    let asterisk = Asterisk::start(Options { minibot_conf: Some(conf), scenarios: include_str!("../asterisk-conf/minibot_scenarios.conf").into(), ..Options::default() });
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !asterisk.cli("minibot show metrics").contains("(16000, 1)") {
        assert!(std::time::Instant::now() < deadline, "no warm recognizer");
        std::thread::sleep(Duration::from_millis(100));
    }
    asterisk
}

/// Speech with silent pauses inside: `parts` spoken in turn, `pause_ms` of silence between them
/// (played audio, as a trunk sends it).
fn hesitant_speech(asterisk: &Asterisk, name: &str, parts: &[&str], pause_ms: u64) -> String {
    let dir = asterisk.host_path("sounds");
    for (ext, bytes_per_ms) in [("sln16", 32u64), ("sln", 16)] {
        let mut audio = Vec::new();
        for (i, text) in parts.iter().enumerate() {
            let part = format!("{name}-part{i}");
            speech(asterisk, &part, "fr", text);
            if i > 0 {
                audio.extend(std::iter::repeat_n(0u8, (pause_ms * bytes_per_ms) as usize));
            }
            audio.extend(std::fs::read(dir.join(format!("{part}.{ext}"))).unwrap());
        }
        std::fs::write(dir.join(format!("{name}.{ext}")), audio).unwrap();
    }
    format!("{}/sounds/{name}", asterisk.dir)
}

/// The callee plays `answers` (sound files), each after the bot has had time to ask; the bot's
/// recognizer is said to have heard `fixture` (MINIBOT_TEST_TRANSCRIPTS).
fn call(asterisk: &Asterisk, n: usize, answers: &[String], fixture: &[&str]) -> Vec<Message> {
    let mut callee = format!("[turns-callee-{n}]\nexten => callee,1,Answer()\n");
    for file in answers {
        callee += &format!(" same => n,Wait(3)\n same => n,Playback({file})\n");
    }
    callee += " same => n,Wait(20)\n";
    let bot = format!("[turns-{n}]\nexten => demo,1,Set(MINIBOT_TEST_TRANSCRIPTS={})\n same => n,MiniBot(demo)\n", fixture.join("|"));
    let conf = std::fs::read_to_string(asterisk.host_path("etc/extensions.conf")).unwrap();
    asterisk.write_config("extensions.conf", &format!("{conf}\n{callee}\n{bot}"));
    asterisk.reload_dialplan();
    let mut ami = asterisk.ami();
    let events = ami.call_until_ended(&format!("Local/demo@turns-{n}/n"), (&format!("turns-callee-{n}"), "callee"), "slin16", Duration::from_secs(120));
    assert!(events.iter().any(support::ami::call_ended), "the call did not end:\n{}", asterisk.log());
    events
}

fn trace(events: &[Message]) -> String {
    events
        .iter()
        .filter(|e| e.get("Event").is_some_and(|n| n.starts_with("MiniBot")))
        .map(|e| format!("{:.3} {} {:?} {:?} {:?} {:?}", e.timestamp(), e.get("Event").unwrap(), e.get("Step"), e.get("State").or(e.get("How")), e.get("Text").or(e.get("Intent")).or(e.get("Ending")), e.get("File")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Index of the first event after `from` matching `pred`.
fn find(events: &[Message], from: usize, pred: impl Fn(&Message) -> bool) -> Option<usize> {
    events.iter().skip(from).position(pred).map(|i| i + from)
}

#[test]
fn turns_end_on_their_words_at_a_pause_and_a_final_that_disagrees_corrects_course() {
    let db = fresh_database(SERVER);
    let asterisk = start(&db);

    // 1. A callee who hesitates after "et" at the greeting, then answers plainly.
    let answers = vec![
        hesitant_speech(&asterisk, "t-hello", &["oui et", "je vous écoute"], 600),
        speech(&asterisk, "t-q1", "fr", "j'ai un livret a et une assurance vie").0,
        speech(&asterisk, "t-q2", "fr", "oui l'inflation m'inquiète").0,
    ];
    let fixture = ["oui et / oui et je vous écoute >> oui et je vous écoute", "j'ai un livret a et une assurance vie", "oui l'inflation m'inquiète"];
    let events = call(&asterisk, 0, &answers, &fixture);
    let trace1 = trace(&events);
    let intents: Vec<(&str, &str)> = events.iter().filter(|e| e.is("MiniBotIntent")).map(|e| (e.get("Step").unwrap(), e.get("Intent").unwrap())).collect();
    assert_eq!(&intents[..3], [("hello", "positive"), ("q1", "positive"), ("q2", "positive")], "one turn per answer, the hesitant one whole:\n{trace1}");
    let ends: Vec<&Message> = events.iter().filter(|e| e.is("MiniBotTurnEnd")).collect();
    assert!(ends.len() >= 3 && ends.iter().all(|e| e.get("Mode") == Some("adaptive")), "{trace1}");
    assert_eq!(ends[0].get("Step"), Some("hello"));
    // Each reply started on the words at the pause, before that turn's final result.
    for step in ["hello", "q1", "q2"] {
        let end = find(&events, 0, |e| e.is("MiniBotTurnEnd") && e.get("Step") == Some(step)).unwrap_or_else(|| panic!("no adaptive end at {step}:\n{trace1}"));
        let reply = find(&events, end, |e| e.is("MiniBotPrompt") && e.get("State") == Some("started")).expect("a reply");
        let fin = find(&events, end, |e| e.is("MiniBotFinal") && e.get("Step") == Some(step)).unwrap_or_else(|| panic!("no final at {step}:\n{trace1}"));
        assert!(reply < fin, "at {step} the reply waited for the final:\n{trace1}");
        let check = find(&events, fin, |e| e.is("MiniBotTurnCheck") && e.get("Step") == Some(step)).unwrap_or_else(|| panic!("no check at {step}:\n{trace1}"));
        assert_eq!(events[check].get("How"), Some("confirmed"), "{trace1}");
    }
    // The pause after "et" did not end the turn: the greeting's one turn holds every word.
    let hello_finals: Vec<&str> = events.iter().filter(|e| e.is("MiniBotFinal") && e.get("Step") == Some("hello")).map(|e| e.get("Text").unwrap()).collect();
    assert_eq!(hello_finals, ["oui et je vous écoute"], "{trace1}");

    // 2. The words at the pause say yes, the final says no: the reply stops, the turn re-routes.
    let answers = vec![speech(&asterisk, "t-no", "fr", "non merci").0];
    let events = call(&asterisk, 1, &answers, &["oui >> non merci"]);
    let trace2 = trace(&events);
    let end = find(&events, 0, |e| e.is("MiniBotTurnEnd") && e.get("Step") == Some("hello")).unwrap_or_else(|| panic!("{trace2}"));
    let q1 = find(&events, end, |e| e.is("MiniBotPrompt") && e.get("Step") == Some("q1") && e.get("State") == Some("started")).unwrap_or_else(|| panic!("{trace2}"));
    let corrected = find(&events, q1, |e| e.is("MiniBotTurnCheck") && e.get("How") == Some("corrected")).unwrap_or_else(|| panic!("no correction:\n{trace2}"));
    let retry = find(&events, corrected, |e| e.is("MiniBotPrompt") && e.get("Step") == Some("retry") && e.get("State") == Some("started"));
    assert!(retry.is_some(), "the no leads to the rebuttal:\n{trace2}");
    let uniqueid = events.iter().find_map(|e| e.is("MiniBotCall").then(|| e.get("Uniqueid")).flatten()).expect("a MiniBotCall event").to_string();
    // The stored turn keeps the final's words and meaning.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let hello_rows = format!("SELECT count(*) FROM conversations c JOIN calls k ON k.call_key = c.call_key WHERE k.uniqueid = '{uniqueid}' AND c.step = 'hello'");
    while count(&db, &hello_rows) == 0 {
        assert!(std::time::Instant::now() < deadline, "no stored turn:\n{}", asterisk.cli("minibot show db"));
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(count(&db, &hello_rows), 1, "{trace2}");
    assert_eq!(count(&db, &format!("{hello_rows} AND c.text = 'non merci' AND c.intent = 'negative'")), 1, "{trace2}");

    // 3. A breath after "oui" long enough to end a complete answer, then the callee goes on over
    // the reply: the reply is taken back and both parts are one answer (a callback, not a yes
    // followed by an answer to the next question).
    let answers = vec![hesitant_speech(&asterisk, "t-rejoin", &["oui", "mais rappelez-moi demain"], 350)];
    let events = call(&asterisk, 2, &answers, &["oui", "+ mais rappelez-moi demain"]);
    let trace3 = trace(&events);
    let end = find(&events, 0, |e| e.is("MiniBotTurnEnd") && e.get("Step") == Some("hello")).unwrap_or_else(|| panic!("{trace3}"));
    let q1 = find(&events, end, |e| e.is("MiniBotPrompt") && e.get("Step") == Some("q1") && e.get("State") == Some("started")).unwrap_or_else(|| panic!("the pause ended the turn:\n{trace3}"));
    let rejoined = find(&events, q1, |e| e.is("MiniBotTurnCheck") && e.get("How") == Some("rejoined")).unwrap_or_else(|| panic!("not rejoined:\n{trace3}"));
    let intent = find(&events, rejoined, |e| e.is("MiniBotIntent")).unwrap_or_else(|| panic!("{trace3}"));
    assert_eq!((events[intent].get("Step"), events[intent].get("Intent")), (Some("hello"), Some("callback")), "{trace3}");
    assert!(find(&events, intent, |e| e.is("MiniBotPrompt") && e.get("Step") == Some("callback_ack")).is_some(), "{trace3}");
    let uniqueid = events.iter().find_map(|e| e.is("MiniBotCall").then(|| e.get("Uniqueid")).flatten()).expect("a MiniBotCall event").to_string();
    let rows = format!("SELECT count(*) FROM conversations c JOIN calls k ON k.call_key = c.call_key WHERE k.uniqueid = '{uniqueid}'");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while count(&db, &rows) == 0 {
        assert!(std::time::Instant::now() < deadline, "no stored turn:\n{}", asterisk.cli("minibot show db"));
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(count(&db, &format!("{rows} AND c.step = 'hello' AND c.text = 'oui mais rappelez-moi demain' AND c.intent = 'callback'")), 1, "{trace3}");
    assert_eq!(count(&db, &format!("{rows} AND c.step = 'q1'")), 0, "{trace3}");

    // 4. A "hum" over the greeting: the prompt stops at the voice (it might be an interruption),
    // resumes once the words are only a hum, and the answer after it is the greeting's one turn.
    let answers = vec![speech(&asterisk, "t-hum", "fr", "hum").0, speech(&asterisk, "t-yes", "fr", "oui je vous écoute").0];
    let events = call(&asterisk, 3, &answers, &["hum", "oui je vous écoute"]);
    let trace4 = trace(&events);
    let stop = find(&events, 0, |e| e.is("MiniBotBargeIn") && e.get("Step") == Some("hello")).unwrap_or_else(|| panic!("the hum did not stop the prompt:\n{trace4}"));
    let hum = find(&events, stop, |e| e.is("MiniBotTurnCheck") && e.get("How") == Some("backchannel")).unwrap_or_else(|| panic!("not a backchannel:\n{trace4}"));
    let resumed = find(&events, hum, |e| e.is("MiniBotPrompt") && e.get("Step") == Some("hello") && e.get("State") == Some("started"));
    assert!(resumed.is_some(), "the greeting did not resume:\n{trace4}");
    let intents: Vec<(&str, &str)> = events.iter().filter(|e| e.is("MiniBotIntent")).map(|e| (e.get("Step").unwrap(), e.get("Intent").unwrap())).collect();
    assert_eq!(intents.first(), Some(&("hello", "positive")), "the hum answered nothing:\n{trace4}");
}
