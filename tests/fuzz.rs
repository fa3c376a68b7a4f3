//! Property tests of everything that reads outside input: minibot.conf and the scenarios (an
//! operator's typing), the spool (a disk after a crash), the LLM's answers (a model's whims) and
//! the callback times (a recognizer's words). On any input: no panic, a clear error with its
//! location for bad input, and nothing lost. Bounded: a fixed number of cases each, seconds in all.

mod support;

use proptest::prelude::*;
use res_minibot::config::document::Document;
use res_minibot::settings::Settings;
use res_minibot::nlp::llm::{parse_response, Api, LlmError};
use res_minibot::nlp::when::{parse_callback, LocalNow, When};
use res_minibot::store::record::CallRecord;
use res_minibot::store::spool::{Disposition, Spool};

/// Lines that look like configuration: sections, known and unknown keys, odd values.
fn config_text() -> impl Strategy<Value = String> {
    let section = prop_oneof![
        Just("[general]".to_string()),
        Just("[asr]".to_string()),
        Just("[vad]".to_string()),
        Just("[llm]".to_string()),
        Just("[database]".to_string()),
        Just("[call]".to_string()),
        Just("[qualification]".to_string()),
        Just("[demo]".to_string()),
        Just("[demo.hello]".to_string()),
        Just("[demo.bye]".to_string()),
        "\\[[a-z.]{0,12}\\]?",
    ];
    let key = prop_oneof![
        Just("enabled"), Just("language"), Just("default_country"), Just("onset_ms"), Just("max_speech_ms"), Just("url"),
        Just("timeout_ms"), Just("hot"), Just("warm"), Just("max_duration_s"), Just("start"), Just("prompt"), Just("listen"),
        Just("next"), Just("on_negative"), Just("outcome"), Just("barge_in"), Just("reprompt"), Just("max_reprompts"), Just("context"),
    ];
    let value = prop_oneof![
        Just(String::new()),
        Just("yes".to_string()),
        Just("bye".to_string()),
        Just("hello".to_string()),
        Just("postgres://u@h/db?sslmode=require".to_string()),
        "-?[0-9]{1,12}(\\.[0-9]{1,3})?",
        "[ -~]{0,24}",
        "\\PC{0,12}",
    ];
    let line = prop_oneof![
        section,
        (key, "[ =>]{1,3}", value).prop_map(|(k, sep, v)| format!("{k}{sep}{v}")),
        "[ -~]{0,30}",
        Just("; comment".to_string()),
    ];
    prop::collection::vec(line, 0..30).prop_map(|lines| lines.join("\n"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn settings_never_panic_and_errors_name_a_line_of_the_file(text in config_text()) {
        let lines = text.lines().count() as u32;
        match Document::parse_str("minibot.conf", &text) {
            Err(e) => prop_assert!(e.line >= 1 && e.line <= lines, "{e}"),
            Ok(document) => {
                if let Err(e) = Settings::from_document(&document) {
                    prop_assert!(e.line <= lines, "{e}");
                    prop_assert!(e.to_string().starts_with("minibot.conf"), "{e}");
                }
            }
        }
    }

    #[test]
    fn scenarios_never_panic_and_errors_name_their_file(text in config_text()) {
        if let Ok(document) = Document::parse_str("minibot_scenarios.conf", &text) {
            if let Err(e) = res_minibot::scenario::load(&document) {
                prop_assert!(e.to_string().starts_with("minibot_scenarios.conf"), "{e}");
                prop_assert!(!e.message.is_empty());
            }
        }
    }

    #[test]
    fn llm_answers_never_panic(body in "\\PC{0,200}", content in "\\PC{0,120}", intent in "[a-z_]{0,20}") {
        for api in [Api::Ollama, Api::OpenAi] {
            let _ = parse_response(api, &body, &support::sample_step("q1"));
        }
        // Well-formed envelopes around arbitrary content, and arbitrary labels.
        let content_json = serde_json::Value::String(content).to_string();
        let _ = parse_response(Api::Ollama, &format!("{{\"message\":{{\"content\":{content_json}}}}}"), &support::sample_step("q1"));
        let answer = serde_json::json!({"intent": intent, "sentiment": "neutral", "entities": ["livret_a", 3, null]}).to_string();
        let envelope = serde_json::json!({"choices": [{"message": {"content": answer}}]}).to_string();
        match parse_response(Api::OpenAi, &envelope, &support::sample_step("q1")) {
            Ok(c) => prop_assert_eq!(c.intent.as_str(), intent.as_str()),
            Err(e) => prop_assert_eq!(e, LlmError::BadLabel(intent.clone())),
        }
    }

    #[test]
    fn callback_times_never_panic_and_stay_on_the_clock(
        words in prop::collection::vec(prop_oneof![
            Just("dans"), Just("demain"), Just("heures"), Just("heure"), Just("minutes"), Just("jours"), Just("semaines"), Just("mois"),
            Just("vers"), Just("a"), Just("midi"), Just("et"), Just("demie"), Just("quart"), Just("lundi"), Just("soir"), Just("matin"),
            Just("dix"), Just("huit"), Just("vingt"), Just("4294967295"), Just("18h30"), Just("99h"), Just("0h"), Just("h"),
        ], 0..12),
        free in "\\PC{0,40}",
        weekday in 0u32..20,
        minute in 0u32..3000,
    ) {
        let now = LocalNow { weekday, minute_of_day: minute };
        for text in [words.join(" "), free] {
            match parse_callback(&text, now) {
                When::At { from_minute, to_minute, .. } => {
                    prop_assert!(from_minute <= to_minute && to_minute < 24 * 60, "{text}: {from_minute}-{to_minute}");
                }
                When::In { .. } | When::Unspecified => {}
            }
        }
    }

    #[test]
    fn a_spool_of_any_bytes_loses_no_line_and_never_panics(
        lines in prop::collection::vec(prop_oneof![
            prop::collection::vec(any::<u8>(), 0..80),
            Just(b"{\"key\":\"n/1\",\"turns\":[]}".to_vec()),
        ], 0..20),
        torn in prop::collection::vec(any::<u8>(), 0..30),
    ) {
        let dir = std::env::temp_dir().join(format!("minibot-fuzz-spool-{}-{}", std::process::id(), rand_suffix()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("results.spool");
        // Lines without newlines inside; a torn tail without its newline.
        let clean: Vec<Vec<u8>> = lines.iter().map(|l| l.iter().copied().filter(|b| *b != b'\n').collect()).collect();
        let mut bytes: Vec<u8> = clean.iter().flat_map(|l| l.iter().copied().chain([b'\n'])).collect();
        let torn: Vec<u8> = torn.into_iter().filter(|b| *b != b'\n').collect();
        bytes.extend_from_slice(&torn);
        std::fs::write(&path, &bytes).unwrap();
        let (spool, cut) = Spool::open(&path).unwrap();
        prop_assert_eq!(cut, torn.len());
        let mut decoded = 0;
        let outcome = spool.replay(|line| match CallRecord::from_spool_line(line) {
            Ok(_) => { decoded += 1; Disposition::Done }
            Err(reason) => Disposition::SetAside(reason),
        }).unwrap().unwrap();
        let meaningful = clean.iter().filter(|l| !l.iter().all(u8::is_ascii_whitespace)).count() as u64;
        prop_assert!(outcome.finished);
        prop_assert_eq!(outcome.done + outcome.set_aside, meaningful, "every line is either replayed or set aside");
        prop_assert_eq!(outcome.done, decoded);
        // What was set aside is kept, byte for byte.
        let rejected = std::fs::read(spool.rejected_path()).unwrap_or_default();
        for line in clean.iter().filter(|l| !l.iter().all(u8::is_ascii_whitespace)) {
            if CallRecord::from_spool_line(line).is_err() {
                prop_assert!(rejected.windows(line.len()).any(|w| w == line.as_slice()), "a bad line was lost");
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::SeqCst)
}

#[test]
fn the_llm_request_is_valid_json_for_every_kind_of_step() {
    for step in ["hello", "q1", "q2", "is_leads", "bye_failed"] {
        let config = res_minibot::nlp::llm::LlmConfig::default();
        let (_, body) = res_minibot::nlp::llm::build_request(&config, &support::sample_step(step), &[(res_minibot::domain::Intent::Positive, "\"é\\".into())], "\u{0}\"\\ é");
        assert!(serde_json::from_str::<serde_json::Value>(&body).is_ok());
    }
}
