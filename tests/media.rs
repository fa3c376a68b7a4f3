//! The media path in a real Asterisk 22 with real libvosk and the (Korean) test model: speech
//! segmentation against the known timing of generated audio, barge-in, no-input, DTMF, partial
//! and final results, and hangups mid-prompt and mid-recognition with memory returned.
//! The callee side of each Local call plays espeak-ng speech at known moments (UserEvents mark
//! them, with AMI timestamps from the same clock as the bot's events).

mod support;

use std::time::Duration;
use support::ami::Message;
use support::{speech, Asterisk, Options};

/// hello: a 29 s prompt to barge into; q1: a beep; bye: a goodbye.
const MEDIA_SCENARIO: &str = "[media]\nstart = hello\n\
    [media.hello]\nprompt = demo-congrats\nlisten = 3\nnext = q1\nno_input = bye\n\
    [media.q1]\nprompt = beep\nlisten = 3\nnext = bye\nno_input = bye\n\
    [media.bye]\nprompt = vm-goodbye\nlisten = 0\n\
    [quiet]\nstart = hello\n\
    [quiet.hello]\nprompt = hello-world\nlisten = 2\nnext = bye\nno_input = bye\n\
    [quiet.bye]\nprompt = vm-goodbye\nlisten = 0\n";

const BOT_DIALPLAN: &str = "[minibot-media]\n\
    exten => media,1,MiniBot(media)\n same => n,UserEvent(MiniBotDone,Status: ${MINIBOTSTATUS})\n same => n,Hangup()\n\
    exten => quiet,1,MiniBot(quiet)\n same => n,UserEvent(MiniBotDone,Status: ${MINIBOTSTATUS})\n same => n,Hangup()\n";

fn start(asr_extra: &str) -> Asterisk {
    start_with_env(asr_extra, Vec::new())
}

fn start_with_env(asr_extra: &str, env: Vec<(String, String)>) -> Asterisk {
    let mut options = Options::with_asr(asr_extra);
    options.scenarios = MEDIA_SCENARIO.into();
    options.dialplan = BOT_DIALPLAN.into();
    options.env = env;
    let asterisk = Asterisk::start(options);
    // Calls start with a warm recognizer, as in production where the module loaded long ago.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !asterisk.cli("minibot show metrics").contains("warm recognizers [(8000, 1), (16000, 1)]") {
        // (prewarm = 1: one per rate, up to two once calls hand theirs back)
        assert!(std::time::Instant::now() < deadline, "recognizers never warmed:\n{}", asterisk.cli("minibot show metrics"));
        std::thread::sleep(Duration::from_millis(100));
    }
    asterisk
}

/// Adds callee extensions (written after start, since they name generated sound files).
fn add_callee(asterisk: &Asterisk, callee: &str) {
    let conf = std::fs::read_to_string(asterisk.host_path("etc/extensions.conf")).unwrap();
    asterisk.write_config("extensions.conf", &format!("{conf}\n[minibot-callee]\n{callee}\n"));
    asterisk.reload_dialplan();
}

/// Places a call from `bot` (in minibot-media) to `callee` (in minibot-callee) and returns every
/// event until the bot's call ends (MiniBotCall ended, also sent when the callee hangs up).
fn call(asterisk: &Asterisk, bot: &str, callee: &str, timeout: Duration) -> Vec<Message> {
    call_at(asterisk, bot, callee, timeout, "slin16")
}

/// The same, with the Local channel's native format `codec` (slin16, slin48, ulaw...).
fn call_at(asterisk: &Asterisk, bot: &str, callee: &str, timeout: Duration, codec: &str) -> Vec<Message> {
    let mut ami = asterisk.ami();
    let events = ami.call_until_ended(&format!("Local/{bot}@minibot-media/n"), ("minibot-callee", callee), codec, timeout);
    let ended = support::ami::call_ended;
    assert!(
        events.iter().any(ended),
        "call did not end within {timeout:?}; events: {:#?}\nlog:\n{}",
        names(&events),
        asterisk.log()
    );
    events
}

fn names(events: &[Message]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e.get("Event").is_some_and(|n| n.starts_with("MiniBot") || n == "UserEvent"))
        .map(|e| {
            let detail = ["State", "UserEvent", "Step", "Text", "By", "StopDelayMs", "LatencyMs", "Status"]
                .iter()
                .filter_map(|k| e.get(k).map(|v| format!("{k}={v}")))
                .collect::<Vec<_>>()
                .join(" ");
            format!("{:.3} {} {detail}", e.timestamp(), e.get("Event").unwrap())
        })
        .collect()
}

fn find<'a>(events: &'a [Message], event: &str, pred: impl Fn(&Message) -> bool) -> Vec<&'a Message> {
    events.iter().filter(|e| e.is(event) && pred(e)).collect()
}

fn user_events<'a>(events: &'a [Message], name: &str, state: &str) -> Vec<&'a Message> {
    find(events, "UserEvent", |e| e.get("UserEvent") == Some(name) && e.get("State") == Some(state))
}

fn ms_between(a: &Message, b: &Message) -> f64 {
    (b.timestamp() - a.timestamp()) * 1000.0
}

/// The callee talks twice over and after the bot's prompts, at marked moments.
fn conversation_checks(asr_extra: &str) {
    let asterisk = start(asr_extra);
    let (french, french_ms) = speech(&asterisk, "oui", "fr", "bonjour oui je vous écoute allez y");
    let (korean, korean_ms) = speech(&asterisk, "ko", "ko", "안녕하세요 저는 학생입니다 감사합니다");
    add_callee(
        &asterisk,
        &format!(
            "exten => talk,1,Answer()\n same => n,Wait(1)\n\
             same => n,UserEvent(CalleeTalk,State: start)\n same => n,Playback({french})\n same => n,UserEvent(CalleeTalk,State: stop)\n\
             same => n,Wait(2.5)\n\
             same => n,UserEvent(CalleeTalk,State: start)\n same => n,Playback({korean})\n same => n,UserEvent(CalleeTalk,State: stop)\n\
             same => n,Wait(30)\n"
        ),
    );
    let events = call(&asterisk, "media", "talk", Duration::from_secs(40));
    let trace = names(&events).join("\n");
    eprintln!("{trace}");

    let talk_starts = user_events(&events, "CalleeTalk", "start");
    let talk_stops = user_events(&events, "CalleeTalk", "stop");
    let speech_starts = find(&events, "MiniBotSpeech", |e| e.get("State") == Some("started"));
    let speech_ends = find(&events, "MiniBotSpeech", |e| e.get("State") == Some("ended"));
    assert_eq!((talk_starts.len(), talk_stops.len()), (2, 2), "{trace}");
    assert_eq!(speech_starts.len(), 2, "one speech segment per utterance ({french_ms} and {korean_ms} ms):\n{trace}");
    assert_eq!(speech_ends.len(), 2, "{trace}");
    // Order and causality only: timings are benchmark figures (docs/benchmarks.md), printed here.
    for i in 0..2 {
        // Confirmed only once the 200 ms onset has been heard, less the UserEvent's own lag
        // through the Local channel: a few frames, but ~100 ms seen on a loaded 2-core run (102
        // ms measured there, 180 ms unloaded). Confirming at the first voiced frame, without the
        // onset, would show about that lag alone.
        let onset = ms_between(talk_starts[i], speech_starts[i]);
        eprintln!("utterance {i}: speech confirmed {onset:.0} ms after it began");
        assert!(onset >= 60.0, "utterance {i}: speech confirmed {onset:.0} ms after it began, before the onset\n{trace}");
        // Ended only after the 300 ms hangover. The reference is the callee's UserEvent, sent when
        // its Playback returns: under load that lags the file's last frame (and the file's last
        // tens of ms are below the VAD's threshold), so the measured gap can be shorter than the
        // hangover itself (195 ms seen on a cold 2-core run); a turn that ended without waiting
        // for the hangover would show ~0 ms.
        let end = ms_between(talk_stops[i], speech_ends[i]);
        eprintln!("utterance {i}: turn ended {end:.0} ms after the speech");
        assert!(end >= 120.0, "utterance {i}: turn ended {end:.0} ms after the speech, before the hangover\n{trace}");
        // Each turn ends before the next utterance begins.
        if i == 0 {
            assert!(ms_between(speech_ends[0], talk_starts[1]) > 0.0, "{trace}");
        }
    }

    let barge_ins = find(&events, "MiniBotBargeIn", |_| true);
    assert_eq!(barge_ins.len(), 1, "{trace}");
    let barge_in = barge_ins[0];
    assert_eq!((barge_in.get("By"), barge_in.get("Step"), barge_in.get("File")), (Some("speech"), Some("hello"), Some("demo-congrats")));
    // The prompt was cut by the speech: after it was confirmed, and before the prompt's end.
    let prompt_started = find(&events, "MiniBotPrompt", |e| e.get("Step") == Some("hello") && e.get("State") == Some("started"));
    let expected = ms_between(prompt_started[0], speech_starts[0]);
    let played = barge_in.number("PlayedMs");
    eprintln!("barge-in: prompt stopped {} ms after the onset decision, cut after {played} ms (speech confirmed at {expected:.0} ms)", barge_in.number("StopDelayMs"));
    assert!(ms_between(speech_starts[0], barge_in) >= 0.0, "the barge-in follows the speech\n{trace}");
    assert!(find(&events, "MiniBotPrompt", |e| e.get("File") == Some("demo-congrats") && e.get("State") == Some("finished")).is_empty());

    let finals = find(&events, "MiniBotFinal", |_| true);
    assert_eq!(finals.len(), 2, "one final result per turn\n{trace}");
    for (i, f) in finals.iter().enumerate() {
        eprintln!("final {i}: {:.0} ms after the turn ended", f.number("LatencyMs"));
        assert!(ms_between(speech_ends[i], f) >= 0.0, "the final follows its turn's end\n{trace}");
    }
    let korean_final = finals[1].get("Text").unwrap_or("");
    assert!(korean_final.chars().count() >= 2, "the Korean model recognized nothing in Korean speech\n{trace}");
    assert!(!find(&events, "MiniBotPartial", |e| !e.get("Text").unwrap_or("").is_empty()).is_empty(), "no partial result\n{trace}");

    let ended = find(&events, "MiniBotCall", |e| e.get("State") == Some("ended"));
    assert_eq!(ended[0].get("Status"), Some("SUCCESS"), "{trace}");
    assert!(asterisk.cli("minibot show calls").contains("0 active MiniBot call(s)"));
    // The prompts' outgoing frames are counted, with those that left late (the bench's figure).
    let metrics = asterisk.cli("minibot show metrics");
    let sent: u64 = metrics
        .split("outgoing frames: ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no outgoing frame count: {metrics}"));
    assert!(sent > 50, "{sent} prompt frames counted: {metrics}");
}

#[test]
fn speech_turns_barge_in_and_recognition_on_a_worker() {
    conversation_checks("mode = worker");
}

#[test]
fn speech_turns_barge_in_and_recognition_inline() {
    conversation_checks("mode = inline");
}

/// Wideband codecs (Opus, G.722.1C, slin at any rate) reach the hook at 24-48 kHz: the audio is
/// resampled to 16 kHz for the VAD and the recognizer, which was built for 16 kHz.
#[test]
fn callee_audio_at_48_khz_is_resampled_for_vad_and_recognition() {
    let mut options = Options::with_asr("");
    options.scenarios = MEDIA_SCENARIO.into();
    options.dialplan = "[minibot-media]\n\
        exten => media,1,Set(BEFORE=${CHANNEL(audioreadformat)})\n same => n,MiniBot(media)\n\
        same => n,UserEvent(ReadFormat,Before: ${BEFORE},After: ${CHANNEL(audioreadformat)})\n same => n,Hangup()\n"
        .into();
    let asterisk = Asterisk::start(options);
    let (korean, _) = speech(&asterisk, "ko48", "ko", "안녕하세요 저는 학생입니다 감사합니다");
    add_callee(&asterisk, &format!("exten => talk48,1,Answer()\n same => n,Wait(1)\n same => n,Playback({korean})\n same => n,Wait(30)\n"));
    let mut ami = asterisk.ami();
    let events = call_at(&asterisk, "media", "talk48", Duration::from_secs(40), "slin48");
    let trace = names(&events).join("\n");
    let started = find(&events, "MiniBotCall", |e| e.get("State") == Some("started"));
    assert_eq!(started[0].get("Rate"), Some("48000"), "{trace}");
    assert_eq!(find(&events, "MiniBotSpeech", |e| e.get("State") == Some("started")).len(), 1, "{trace}");
    let finals = find(&events, "MiniBotFinal", |_| true);
    assert_eq!(finals.len(), 1, "{trace}");
    assert!(finals[0].get("Text").unwrap_or("").chars().count() >= 2, "the recognizer understood nothing of 48 kHz speech\n{trace}");
    // The dialplan finds the read format MiniBot() found.
    let format = ami.wait_event(Duration::from_secs(5), |e| e.get("UserEvent") == Some("ReadFormat")).expect("ReadFormat event");
    assert_eq!(format.get("Before"), format.get("After"), "{format:?}");
}

#[test]
fn silence_after_a_prompt_is_no_input() {
    let asterisk = start("");
    add_callee(&asterisk, "exten => silent,1,Answer()\n same => n,Wait(30)\n");
    let events = call(&asterisk, "quiet", "silent", Duration::from_secs(20));
    let trace = names(&events).join("\n");
    let prompt_done = find(&events, "MiniBotPrompt", |e| e.get("Step") == Some("hello") && e.get("State") == Some("finished"));
    let no_input = find(&events, "MiniBotNoInput", |_| true);
    assert_eq!((prompt_done.len(), no_input.len()), (1, 1), "{trace}");
    assert_eq!(no_input[0].get("WaitedMs"), Some("2000"));
    let waited = ms_between(prompt_done[0], no_input[0]);
    eprintln!("no-input after {waited:.0} ms");
    assert!(waited >= 1950.0, "no-input after {waited:.0} ms, before the 2 s of listening\n{trace}");
    assert!(find(&events, "MiniBotSpeech", |_| true).is_empty(), "silence is not speech\n{trace}");
    assert_eq!(find(&events, "MiniBotCall", |e| e.get("State") == Some("ended"))[0].get("Status"), Some("SUCCESS"));
}

#[test]
fn dtmf_interrupts_a_prompt() {
    let asterisk = start("");
    add_callee(&asterisk, "exten => keys,1,Answer()\n same => n,Wait(1.5)\n same => n,SendDTMF(5)\n same => n,Wait(30)\n");
    let events = call(&asterisk, "media", "keys", Duration::from_secs(20));
    let trace = names(&events).join("\n");
    let barge_in = find(&events, "MiniBotBargeIn", |_| true);
    assert_eq!(barge_in.len(), 1, "{trace}");
    assert_eq!(barge_in[0].get("By"), Some("dtmf"));
    let dtmf = find(&events, "MiniBotDtmf", |_| true);
    let prompt_started = find(&events, "MiniBotPrompt", |e| e.get("Step") == Some("hello") && e.get("State") == Some("started"));
    eprintln!("dtmf: prompt cut after {} ms, key at {:.0} ms", barge_in[0].number("PlayedMs"), ms_between(prompt_started[0], dtmf[0]));
    assert!(ms_between(dtmf[0], barge_in[0]) >= 0.0, "the key stops the prompt\n{trace}");
    assert_eq!(find(&events, "MiniBotDtmf", |_| true)[0].get("Digit"), Some("5"));
}

/// Places `warm_up` then `measured` calls that hang up mid-prompt or right after speaking
/// (mid-recognition); returns the RSS growth over the measured ones, in KiB.
fn hangup_calls(asterisk: &mut Asterisk, warm_up: usize, measured: usize) -> u64 {
    let (french, _) = speech(asterisk, "oui", "fr", "bonjour oui je vous écoute allez y");
    add_callee(
        asterisk,
        &format!(
            "exten => drop,1,Answer()\n same => n,Wait(0.7)\n same => n,Hangup()\n\
             exten => talkdrop,1,Answer()\n same => n,Wait(0.3)\n same => n,Playback({french})\n same => n,Hangup()\n"
        ),
    );
    let run = |n: usize| {
        for i in 0..n {
            let callee = if i % 2 == 0 { "drop" } else { "talkdrop" };
            let events = call(asterisk, "media", callee, Duration::from_secs(20));
            let ended = find(&events, "MiniBotCall", |e| e.get("State") == Some("ended"));
            assert_eq!(ended[0].get("Status"), Some("HANGUP"), "{}", names(&events).join("\n"));
        }
    };
    run(warm_up);
    let (before, anon_before, threads_before) = (asterisk.rss_kib(), asterisk.rss_anon_kib(), asterisk.threads());
    run(measured);
    let (after, anon_after) = (asterisk.rss_kib(), asterisk.rss_anon_kib());
    let growth = anon_after.saturating_sub(anon_before);
    eprintln!(
        "RSS before {before} KiB, after {measured} calls {after} KiB (+{} KiB); anonymous {anon_before} -> {anon_after} KiB (+{growth} KiB)",
        after.saturating_sub(before)
    );
    // Every thread a call started is gone (a worker left behind per call would show here first).
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while asterisk.threads() > threads_before + 1 {
        assert!(std::time::Instant::now() < deadline, "threads {threads_before} -> {}", asterisk.threads());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(asterisk.is_running());
    assert!(asterisk.cli("minibot show calls").contains("0 active MiniBot call(s)"));
    growth
}

#[test]
fn hangups_mid_prompt_and_mid_speech_leave_memory_flat() {
    // Without a recognizer: the module's own per-call state (hook, pipeline, controller, registry).
    let mut options = Options { scenarios: MEDIA_SCENARIO.into(), dialplan: BOT_DIALPLAN.into(), ..Options::default() };
    options.minibot_conf = Some("[general]\ntest_hooks = yes\n".into());
    let mut asterisk = Asterisk::start(options);
    let growth = hangup_calls(&mut asterisk, 4, 20);
    assert!(growth < 1024, "RSS grew by {growth} KiB over 20 calls");
}

#[test]
fn hangups_mid_recognition_release_recognizers_and_workers() {
    let mut asterisk = start_with_env("", vec![("MALLOC_ARENA_MAX".into(), "2".into())]);
    // The recognizer reaches its working size and malloc's arenas settle over the first calls;
    // Asterisk gets two arenas, as in the soak, so that what is measured is the module's growth
    // (with glibc's default arenas it varied from +11 to +72 MB from one machine to another). The
    // bound catches a leaked recognizer or audio buffer per call (50 MB, 1 MB), not a few KiB:
    // that is the soak's job (docs/soak.md).
    let growth = hangup_calls(&mut asterisk, 20, 20);
    assert!(growth < 24 * 1024, "anonymous memory grew by {growth} KiB over 20 calls");
    let metrics = asterisk.cli("minibot show metrics");
    assert!(metrics.contains("workers 0"), "{metrics}");
    let pooled: usize = ["(8000, ", "(16000, "]
        .iter()
        .map(|k| metrics.split(k).nth(1).and_then(|r| r.split(')').next()).and_then(|n| n.parse::<usize>().ok()).unwrap_or(99))
        .sum();
    assert!(pooled <= 4, "one call at a time: the pool holds 2 x prewarm per rate: {metrics}");
    // The module unloads cleanly after all that (no worker left behind), and loads again.
    let unload = asterisk.cli("module unload res_minibot.so");
    let listed = asterisk.cli("module show like res_minibot");
    assert!(listed.contains("Not Running"), "{unload}\n{listed}\n{}", asterisk.log());
    asterisk.cli("module load res_minibot.so");
    let listed = asterisk.cli("module show like res_minibot");
    assert!(listed.contains(" Running") && !listed.contains("Not Running"), "{listed}");
}
