//! The operator's tools on a real Asterisk 22 with the sample campaigns, the real PostgreSQL, the
//! real LLM server and a PJSIP trunk endpoint: `minibot check` says ok for each part of a good
//! installation and names what to fix in a broken one (read from the files as the next reload
//! would, nothing applied), and `minibot scenario try` runs a campaign by typing, through the
//! real classifier, LLM tier and scoring, storing nothing.

mod support;

use support::llm::LlmServer;
use support::pg::{count, fresh_database, SERVER};
use support::{free_port, Asterisk, Options, PJSIP_MODULES};

const SCENARIOS: &str = include_str!("../asterisk-conf/minibot_scenarios.conf");

/// The trunk the sample campaigns dial (`dial = PJSIP/${PHONE}@trunk`).
fn pjsip_conf(port: u16) -> String {
    format!(
        "[transport-udp]\ntype = transport\nprotocol = udp\nbind = 127.0.0.1:{port}\n\n\
         [trunk]\ntype = endpoint\ntransport = transport-udp\ncontext = minibot-dialer\ndisallow = all\nallow = alaw,g722\naors = trunk\n\n\
         [trunk]\ntype = aor\ncontact = sip:127.0.0.1:{}\n",
        port + 1
    )
}

/// `name`: the test's own spool. A dry run waits for the LLM anyway: a long deadline keeps its
/// tier's answer on a loaded machine (under [call] processing_timeout_ms; in calls the local answer stands at 1.2 s).
fn start(name: &str, db: &str, llm: &LlmServer) -> Asterisk {
    let http_port = free_port();
    let conf = support::demo_conf(&llm.url(), db, &format!("/tmp/minibot-tools-{}-{name}", std::process::id()))
        .replace(";jwt_secret = change-me-to-32-or-more-random-bytes-please", "jwt_secret = a-secret-of-thirty-two-bytes-or-more")
        .replace("deadline_ms = 1200", "deadline_ms = 4500");
    Asterisk::start(Options {
        minibot_conf: Some(conf),
        scenarios: SCENARIOS.into(),
        dialplan: include_str!("../dialplan/extensions_minibot.conf").into(),
        extra_modules: PJSIP_MODULES.iter().map(|m| m.to_string()).collect(),
        extra_configs: vec![
            ("pjsip.conf".into(), pjsip_conf(free_port())),
            ("http.conf".into(), format!("[general]\nenabled = yes\nbindaddr = 127.0.0.1\nbindport = {http_port}\n")),
        ],
        ..Options::default()
    })
}

/// The report's line for `what` with `mark` ("ok", "warn", "FAIL") containing `words`.
fn has(report: &str, mark: &str, what: &str, words: &str) -> bool {
    report.lines().any(|l| l.starts_with(mark) && l[4..].trim_start().starts_with(what) && l.contains(words))
}

#[test]
fn check_says_ok_for_each_part_and_names_what_to_fix() {
    let db = fresh_database(SERVER);
    let llm = LlmServer::start();
    let asterisk = start("check", &db, &llm);

    let report = asterisk.cli("minibot check");
    eprintln!("{report}");
    assert!(report.contains("MiniBot check: 0 failure(s)"), "{report}");
    assert!(has(&report, "ok", "config", "minibot.conf read"), "{report}");
    assert!(has(&report, "ok", "campaigns", "demo, renovation"), "{report}");
    assert!(has(&report, "ok", "prompts", "demo:") && has(&report, "ok", "prompts", "at 8 and 16 kHz"), "{report}");
    assert!(has(&report, "ok", "asr", support::TEST_MODEL), "{report}");
    assert!(has(&report, "ok", "intents", "minibot/intents.model"), "{report}");
    // Reachable; its schema is migrated by the module as its writers connect (perhaps not yet).
    assert!(has(&report, "ok", "database", "reachable, schema up to date") || has(&report, "warn", "database", "not applied yet"), "{report}");
    // The real LLM server answered one classification (a warning if slower than a turn may wait:
    // a cold server on a busy machine is slow, not broken).
    assert!(has(&report, "ok", "llm", "classified") || has(&report, "warn", "llm", "classified"), "{report}");
    assert!(has(&report, "ok", "dialplan", "[minibot-dialer] has s,1"), "{report}");
    assert!(has(&report, "ok", "trunk", "demo: PJSIP/trunk exists"), "{report}");
    assert!(has(&report, "warn", "http", "no TLS"), "{report}");
    assert!(has(&report, "ok", "tokens", "jwt_secret set"), "{report}");

    // Broken files: what the next reload would do is reported, nothing is applied.
    let conf = std::fs::read_to_string(asterisk.host_path("etc/minibot.conf")).unwrap();
    let dead_port = free_port();
    let broken = conf
        .replace(&db, &format!("host=127.0.0.1 port={dead_port} user=minibot dbname=minibot"))
        .replace(&llm.url(), &format!("http://127.0.0.1:{dead_port}"))
        .replace("context = minibot-dialer", "context = no-such-context");
    asterisk.write_config("minibot.conf", &broken);
    // The demo loses a prompt (it would be disabled); the renovation dials a trunk that is not there.
    let at = SCENARIOS.rfind("dial = PJSIP/${PHONE}@trunk").unwrap();
    let scenarios = format!("{}dial = PJSIP/${{PHONE}}@no-such-trunk{}", &SCENARIOS[..at], &SCENARIOS[at + "dial = PJSIP/${PHONE}@trunk".len()..])
        .replace("prompt = minibot/demo/q2\n", "prompt = minibot/demo/q2-new\n");
    asterisk.write_config("minibot_scenarios.conf", &scenarios);
    let report = asterisk.cli("minibot check");
    assert!(has(&report, "FAIL", "campaigns", "demo would be disabled") && report.contains("'minibot/demo/q2-new' not found"), "{report}");
    assert!(has(&report, "FAIL", "database", &format!("127.0.0.1:{dead_port}")), "{report}");
    assert!(has(&report, "FAIL", "llm", "is the server running"), "{report}");
    assert!(has(&report, "FAIL", "dialplan", "no [no-such-context] s,1"), "{report}");
    assert!(has(&report, "FAIL", "trunk", "renovation: dial = PJSIP/${PHONE}@no-such-trunk: no endpoint PJSIP/no-such-trunk"), "{report}");
    assert!(report.contains("MiniBot check: 5 failure(s)"), "{report}");
    // The running configuration is the one loaded.
    let status = asterisk.cli("minibot show status");
    assert!(status.contains("Scenarios:     demo, renovation") && !status.contains("Disabled:"), "{status}");
}

#[test]
fn a_campaign_is_tried_by_typing_and_nothing_is_stored() {
    let db = fresh_database(SERVER);
    let llm = LlmServer::start();
    let asterisk = start("try", &db, &llm);
    let metrics_before = asterisk.cli("minibot show metrics");

    // A callee who takes the time, owns savings, worries, is unhappy with the bank, and accepts.
    let run = asterisk.cli(
        "minibot scenario try demo \"oui allez-y\" \"j'ai un livret A et une assurance vie\" \"oui ça me préoccupe\" \"non pas du tout\" \"oui volontiers\"",
    );
    eprintln!("{run}");
    assert!(run.contains("Dry run of campaign 'demo' (5 typed answer(s))"), "{run}");
    assert!(run.contains("[hello] bot: Bonjour, ici Julie, l'assistante virtuelle du cabinet Patrimoine Conseil. Je vous appelle au sujet de votre épargne"), "{run}");
    assert!(run.contains("names assurance_vie livret_a") || run.contains("names livret_a assurance_vie"), "{run}");
    assert!(run.contains("[is_leads] bot: Souhaiteriez-vous"), "{run}");
    assert!(run.contains("[recording notice] bot: Cet appel est enregistré"), "the words of every prompt, the notice's too: {run}");
    assert!(run.contains("end: status SUCCESS, outcome appointment"), "{run}");
    assert!(run.contains("lead: hot"), "{run}");
    assert!(run.contains("nothing was stored"), "{run}");
    // Every answer's intent, its tier and confidence.
    assert_eq!(run.matches("  understood: ").count(), 5, "{run}");
    assert!(run.contains(" tier, "), "{run}");

    // "Pardon ?" is no answer: the question is played again and the answer after it counts;
    // a hesitation only makes the bot wait.
    let run = asterisk.cli("minibot scenario try demo \"oui allez-y\" \"pardon ? vous pouvez répéter\" \"euh... attendez\" \"j'ai un livret A\"");
    assert!(run.contains("the question again (asked to repeat)"), "{run}");
    assert!(run.contains("waits (hesitation)"), "{run}");
    assert_eq!(run.matches("[q1] bot: ").count(), 2, "q1 asked twice: {run}");
    assert!(run.contains("names livret_a"), "{run}");
    assert!(!run.contains("asked again"), "no reprompt was counted: {run}");

    // An opt-out said over the prompt, at once.
    let run = asterisk.cli("minibot scenario try demo \"!ne m'appelez plus jamais\"");
    assert!(run.contains("callee (over the prompt)") && run.contains("outcome do_not_call"), "{run}");
    assert!(run.contains("the number on the do-not-call list"), "{run}");

    // Bad input: a clear error.
    let run = asterisk.cli("minibot scenario try nosuch \"oui\"");
    assert!(run.contains("Error: no campaign 'nosuch' in minibot_scenarios.conf (campaigns: demo, renovation)"), "{run}");
    let run = asterisk.cli("minibot scenario try demo \"#12\"");
    assert!(run.contains("Error: '#12': a key is # and one of 0-9 * #"), "{run}");

    // No call and no record: the database and the call counters are as they were.
    assert_eq!(count(&db, "SELECT count(*) FROM calls"), 0);
    assert_eq!(count(&db, "SELECT count(*) FROM do_not_call"), 0);
    assert!(asterisk.cli("minibot show status").contains("Calls started: 0"));
    let intents = |text: &str| text.lines().find(|l| l.starts_with("Intents:")).unwrap_or_default().to_string();
    assert_eq!(intents(&asterisk.cli("minibot show metrics")), intents(&metrics_before), "a dry run is not counted as calls' turns");
}

/// A WAV of a tone (`seconds` long after `silent_ms` of silence), as a studio would hand it over.
fn recording(rate: u32, channels: u16, silent_ms: u32, seconds: f32) -> Vec<u8> {
    let silent = (rate * silent_ms / 1000) as usize;
    let voiced = (rate as f32 * seconds) as usize;
    let samples: Vec<i16> =
        (0..silent + voiced).map(|i| if i < silent { 0 } else { ((i as f32 * 300.0 * 6.283 / rate as f32).sin() * 7000.0) as i16 }).collect();
    res_minibot::audio::wav::write_wav(&samples, rate, channels)
}

#[test]
fn recorded_prompts_are_installed_at_both_rates_and_checked_against_the_scenario() {
    let campaign = format!("voice{}", std::process::id());
    let scenarios = format!(
        "[{campaign}]\nstart = hello\nreprompt = minibot/{campaign}/again\nreprompt_words = Pardon ?\n\
         [{campaign}.hello]\nprompt = minibot/{campaign}/hello\nwords = Bonjour, avez-vous deux minutes ?\nnext = bye\n\
         [{campaign}.bye]\nprompt = minibot/{campaign}/bye\nlisten = 0\nwords = Au revoir.\noutcome = not_interested\n"
    );
    let asterisk = Asterisk::start(Options { minibot_conf: Some(support::sample_conf_alone()), scenarios: scenarios.clone(), ..Options::default() });
    assert!(asterisk.cli("minibot show status").contains(&format!("Disabled:      {campaign}")), "no recordings yet");
    // sounds/fr is an absolute symlink inside the root (Debian's alternatives).
    let sounds = support::resolve_in_root(&asterisk.root, "/usr/share/asterisk/sounds/fr").join(format!("minibot/{campaign}"));
    let dir = format!("/tmp/minibot-recordings-{}", std::process::id());
    let host_dir = asterisk.root.join(dir.trim_start_matches('/'));
    std::fs::create_dir_all(&host_dir).unwrap();
    std::fs::write(host_dir.join("hello.wav"), recording(44100, 2, 250, 1.5)).unwrap();
    std::fs::write(host_dir.join("hello.mp3"), b"ID3\x04\x00\x00\x00\x00\x00\x00 an mp3").unwrap();
    std::fs::write(host_dir.join("bye.wav"), recording(8000, 1, 0, 31.0)).unwrap();
    std::fs::write(host_dir.join("again.wav"), b"").unwrap();
    std::fs::write(host_dir.join("jingle.wav"), recording(16000, 1, 0, 0.5)).unwrap();

    let out = asterisk.cli(&format!("minibot prompts install {campaign} {dir}"));
    eprintln!("{out}");
    assert!(out.contains(&format!("installed minibot/{campaign}/hello: hello.wav (44100 Hz stereo 16-bit, 1.5 s, 245 ms of leading silence trimmed)")), "{out}");
    assert!(out.contains(&format!("installed minibot/{campaign}/bye: bye.wav (8000 Hz mono 16-bit, 31.0 s")) && out.contains("TOO LONG"), "{out}");
    assert!(out.contains("refused again.wav: the file is empty (0 bytes)"), "{out}");
    assert!(out.contains("refused hello.mp3: an MP3, which is not read here: convert it to WAV first"), "{out}");
    assert!(out.contains(&format!("unused jingle.wav: no prompt of campaign {campaign} is named after it")), "{out}");
    assert!(out.contains(&format!("missing minibot/{campaign}/again: no recording in {dir} (NONE INSTALLED: the campaign stays disabled)")), "{out}");
    assert!(out.contains("2 prompt(s) installed, 1 missing, 1 unused, 2 refused"), "{out}");
    // Both rates, the same 1.5 s, starting within a few milliseconds of the voice.
    let narrow = std::fs::read(sounds.join("hello.sln")).unwrap();
    let wide = std::fs::read(sounds.join("hello.sln16")).unwrap();
    assert!((narrow.len() as i64 - 2 * 8000 * 3 / 2 - 2 * 40).abs() <= 4 && (wide.len() as i64 - 2 * (narrow.len() as i64)).abs() <= 4, "{} {}", narrow.len(), wide.len());
    let samples: Vec<i16> = wide.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect();
    assert!(res_minibot::audio::leading_silence_ms(&samples, 16000).unwrap() <= 6);

    // The last recording, then a reload: the campaign runs. A prompt's older file in another
    // format is set aside (Asterisk would have played it on G.711 calls).
    std::fs::write(host_dir.join("again.wav"), recording(22050, 1, 100, 1.0)).unwrap();
    std::fs::write(sounds.join("hello.ulaw"), vec![0xffu8; 8000]).unwrap();
    let out = asterisk.cli(&format!("minibot prompts install {campaign} {dir}"));
    assert!(out.contains("3 prompt(s) installed, 0 missing"), "{out}");
    assert!(out.contains(&format!("set aside /usr/share/asterisk/sounds/fr/minibot/{campaign}/hello.ulaw")) && !sounds.join("hello.ulaw").exists(), "{out}");
    asterisk.cli("module reload res_minibot.so");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while asterisk.cli("minibot show status").contains("Disabled:") {
        assert!(std::time::Instant::now() < deadline, "{}", asterisk.cli("minibot show status"));
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let report = asterisk.cli("minibot check");
    assert!(report.contains(&format!("ok    prompts   {campaign}: 3 prompt(s) at 8 and 16 kHz")), "{report}");

    // A studio WAV dropped into the sounds by hand is one Asterisk cannot play: named.
    std::fs::write(sounds.join("bye.wav"), recording(44100, 2, 0, 0.5)).unwrap();
    let report = asterisk.cli("minibot check");
    assert!(report.contains("bye.wav: 44100 Hz stereo 16-bit where Asterisk's .wav is 8000 Hz mono 16-bit"), "{report}");

    // Bad input: a relative directory, an unknown campaign.
    assert!(asterisk.cli(&format!("minibot prompts install {campaign} recordings")).contains("give the directory as an absolute path"));
    assert!(asterisk.cli(&format!("minibot prompts install nosuch {dir}")).contains("Error: no campaign 'nosuch'"));
    let _ = std::fs::remove_dir_all(&host_dir);
    let _ = std::fs::remove_dir_all(&sounds);
}
