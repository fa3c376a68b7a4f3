//! The module inside a real Asterisk 22 (sandbox): load, application docs, CLI, a Local call,
//! bad arguments, bad configuration, panics at the FFI boundary, unload/load cycles.

mod support;

use std::time::Duration;
use support::{sample_conf_alone, Asterisk, Options};

const CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// Places a Local call into `exten` and returns the MINIBOTSTATUS the dialplan reported.
fn call_status(asterisk: &Asterisk, exten: &str, campaign_label: &str) -> String {
    let mut ami = asterisk.ami();
    let response = ami.originate_local("minibot-test", exten, "callee");
    assert_eq!(response.get("Response"), Some("Success"), "originate: {response:?}");
    let event = ami
        .wait_event(CALL_TIMEOUT, |e| {
            e.get("Event") == Some("UserEvent")
                && e.get("UserEvent") == Some("MiniBotDone")
                && e.get("Campaign") == Some(campaign_label)
        })
        .unwrap_or_else(|| panic!("no MiniBotDone event for {exten}; log:\n{}", asterisk.log()));
    event.get("Status").unwrap_or("").to_string()
}

fn module_running(asterisk: &Asterisk) -> bool {
    let out = asterisk.cli("module show like res_minibot");
    out.lines().any(|l| l.contains("res_minibot.so") && l.contains(" Running") && !l.contains("Not Running"))
}

#[test]
fn module_loads_and_documents_itself() {
    let sample = include_str!("../dialplan/extensions_minibot.conf");
    let asterisk = Asterisk::start(Options { dialplan: sample.into(), ..Options::default() });
    assert!(module_running(&asterisk), "{}", asterisk.cli("module show like res_minibot"));

    // The sample dialplan loads whole: each context, no extension declared twice.
    for (context, app) in [("minibot-outbound", "MiniBot(${EXTEN:9})"), ("minibot-dialer", "AMD()"), ("minibot-demo", "MiniBot(demo)")] {
        let shown = asterisk.cli(&format!("dialplan show {context}"));
        assert!(shown.contains(app), "{context}:\n{shown}");
    }
    assert!(!asterisk.log().contains("already in use"), "{}", asterisk.log());

    let app = asterisk.cli("core show application MiniBot");
    assert!(app.contains("Run a MiniBot qualification call"), "{app}");
    assert!(app.contains("MiniBot(campaign[,options])") && app.contains("NOCAMPAIGN"), "{app}");

    let version = asterisk.cli("minibot show version");
    assert!(version.contains(&format!("MiniBot {}", env!("CARGO_PKG_VERSION"))), "{version}");
    assert!(version.contains("on Asterisk 22."), "{version}");

    let status = asterisk.cli("minibot show status");
    assert!(status.contains("Enabled:       yes") && status.contains("Calls started: 0"), "{status}");
    assert!(status.contains("Language:      fr"), "{status}");

    let help = asterisk.cli("core show help minibot");
    assert!(help.contains("minibot show status") && help.contains("minibot show version"), "{help}");
    assert!(asterisk.log().contains("MiniBot 0.1.0"), "load notice missing:\n{}", asterisk.log());
}

#[test]
fn local_calls_end_with_a_status() {
    let asterisk = Asterisk::start(Options::default());
    assert_eq!(call_status(&asterisk, "demo", "demo"), "SUCCESS");
    assert!(asterisk.log().contains("campaign 'demo'"), "{}", asterisk.log());

    assert_eq!(call_status(&asterisk, "nocampaign", "none"), "NOCAMPAIGN");
    asterisk.wait_log("no campaign given", Duration::from_secs(5));

    assert_eq!(call_status(&asterisk, "badname", "bad"), "NOCAMPAIGN");
    asterisk.wait_log("campaign name '../../etc/passwd' is invalid", Duration::from_secs(5));

    let status = asterisk.cli("minibot show status");
    assert!(status.contains("Calls started: 3") && status.contains("Calls active:  0"), "{status}");
    assert!(status.contains("SUCCESS      1") && status.contains("NOCAMPAIGN   2"), "{status}");
}

#[test]
fn disabled_module_leaves_calls_alone() {
    let asterisk = Asterisk::start(Options { minibot_conf: Some("[general]\nenabled = no\n".into()), ..Options::default() });
    assert_eq!(call_status(&asterisk, "demo", "demo"), "DISABLED");
}

#[test]
fn bad_config_declines_load_and_reload_keeps_previous_settings() {
    let asterisk = Asterisk::start(Options::default());
    asterisk.write_config("minibot.conf", "; MiniBot\n[general]\nenabled = yes\nlog_level = loud\n");

    asterisk.cli("module reload res_minibot.so");
    asterisk.wait_log("minibot.conf line 4, section [general], key 'log_level': 'loud' is not a log level", Duration::from_secs(5));
    assert!(asterisk.log().contains("keeping the previous configuration"), "{}", asterisk.log());
    assert!(module_running(&asterisk));
    assert_eq!(call_status(&asterisk, "demo", "demo"), "SUCCESS");

    asterisk.cli("module unload res_minibot.so");
    assert!(!module_running(&asterisk));
    asterisk.cli("module load res_minibot.so");
    let log = asterisk.wait_log("res_minibot declined to load: ", Duration::from_secs(5));
    let expected = format!("declined to load: {}/etc/minibot.conf line 4, section [general], key 'log_level'", asterisk.dir);
    assert!(log.contains(&expected), "{log}");
    assert!(!module_running(&asterisk), "a bad config must decline the load");

    asterisk.write_config("minibot.conf", "[general]\nenabled = no\n");
    asterisk.cli("module load res_minibot.so");
    assert!(module_running(&asterisk), "{}", asterisk.log());
    assert_eq!(call_status(&asterisk, "demo", "demo"), "DISABLED");

    asterisk.write_config("minibot.conf", "[general]\nenabled = yes\nlanguage = fr_FR\n");
    asterisk.cli("module reload res_minibot.so");
    asterisk.wait_log("MiniBot configuration reloaded", Duration::from_secs(5));
    assert!(asterisk.cli("minibot show status").contains("Language:      fr_FR"));
    assert_eq!(call_status(&asterisk, "demo", "demo"), "SUCCESS");
}

#[test]
fn missing_config_runs_with_defaults() {
    let asterisk = Asterisk::start(Options { minibot_conf: None, ..Options::default() });
    assert!(module_running(&asterisk));
    asterisk.wait_log("minibot.conf not found", Duration::from_secs(5));
    asterisk.wait_log("minibot.conf: running with default settings", Duration::from_secs(5));
    assert_eq!(call_status(&asterisk, "demo", "demo"), "SUCCESS");
}

#[test]
fn a_panic_is_caught_at_the_ffi_boundary() {
    let mut asterisk = Asterisk::start(Options::default());
    asterisk.cli("minibot test panic");
    asterisk.wait_log("recovered from a panic in CLI command", Duration::from_secs(5));
    assert!(asterisk.log().contains("test panic requested from the CLI"), "{}", asterisk.log());
    assert!(asterisk.is_running(), "Asterisk died:\n{}", asterisk.console());
    assert!(asterisk.cli("core show version").contains("Asterisk 22"));
    assert_eq!(call_status(&asterisk, "demo", "demo"), "SUCCESS");
}

/// With the sample configuration's threads and intent model (no database, LLM or recognizer model
/// can run here). Before the fix each cycle held ~7-9 MB more: the model's dense 7 MB table and its
/// 1.6 MB text, freed into the arena of whichever Asterisk thread ran the command.
///
/// Two measures, because RSS alone cannot tell a leak from glibc's arenas: the heap in use
/// (allocated, not freed) must come back to where it was, cycle after cycle; RSS may wander with
/// what the arenas of the CLI's threads keep (measured 2026-12-04 over 200 cycles with the 1.5 MB
/// model: ~+14 MB over the first 20 cycles, as the arenas of the CLI's threads fill, then flat within
/// 4 MB; the heap in use flat from the first), but not climb by a copy per cycle.
#[test]
fn unload_load_cycles_keep_asterisk_up_and_memory_flat() {
    let mut asterisk = Asterisk::start(Options { minibot_conf: Some(sample_conf_alone()), ..Options::default() });
    assert!(asterisk.threads() > 0 && asterisk.log().contains("per-call JSON log"), "the call log's thread runs:\n{}", asterisk.log());
    let cycle = |asterisk: &Asterisk| {
        asterisk.cli("module unload res_minibot.so");
        assert!(!module_running(asterisk), "unload failed");
        asterisk.cli("module load res_minibot.so");
        assert!(module_running(asterisk), "load failed:\n{}", asterisk.log());
    };
    let (rss_first, threads_first) = (asterisk.rss_kib(), asterisk.threads());
    for _ in 0..25 {
        cycle(&asterisk); // warm-up: the arenas of the CLI's threads fill (~20 cycles), then hold
    }
    let (rss_before, heap_before) = (asterisk.rss_kib(), asterisk.heap_in_use_mib());
    let mut curve = Vec::new();
    for i in 1..=50 {
        cycle(&asterisk);
        if i % 10 == 0 {
            curve.push(format!("{i}: {} KiB / {:.1} MiB", asterisk.rss_kib(), asterisk.heap_in_use_mib()));
        }
    }
    let (rss_after, heap_after, threads_after) = (asterisk.rss_kib(), asterisk.heap_in_use_mib(), asterisk.threads());
    assert!(asterisk.is_running());
    let rss_growth = rss_after.saturating_sub(rss_before);
    let heap_growth = heap_after - heap_before;
    eprintln!(
        "first load {rss_first} KiB, {threads_first} threads; after 75 cycles {threads_after} threads\n\
         over the last 50 unload/load cycles: RSS {rss_before} -> {rss_after} KiB (+{rss_growth} KiB), heap in use {heap_before:.1} -> {heap_after:.1} MiB ({heap_growth:+.1} MiB)\n  after cycles (RSS / heap in use): {}",
        curve.join(", ")
    );
    assert!(heap_before > 0.0, "the heap figure is read from minibot show metrics");
    // A thread a load starts and the unload does not join keeps its stack: one per cycle.
    assert!(threads_after <= threads_first + 2, "threads {threads_first} -> {threads_after} over 75 cycles");
    // A leak of any part a load allocates (the model alone is 13.6 MB) adds it 50 times; measured
    // +0.0 to +0.1 MiB.
    assert!(heap_growth < 1.0, "the heap in use grew {heap_growth:.1} MiB over 50 cycles: a leak");
    // The old fault (a 7-9 MB copy held per arena) climbed past 100 MB; after the warm-up RSS
    // moved by +1 to +7 MB here (+13 MB on CI after a 5-cycle warm-up).
    assert!(rss_growth < 24 * 1024, "RSS grew by {rss_growth} KiB over 50 cycles ({rss_before} -> {rss_after})");
    // The warm-up too: a copy of what a load frees, held by each of the arenas (16 on 2 cores),
    // fills them during the warm-up, where the last 50 cycles no longer see it. Measured: +19 MB
    // from the first load with the linear model, whose rows grow by doubling; +42 MB with the
    // network's 5 MB of rows grown so; +1 MB since a network's rows are reserved at their size
    // (its `rows` line): each load's block then goes back to the system when freed.
    let total_growth = rss_after.saturating_sub(rss_first);
    assert!(total_growth < 24 * 1024, "RSS grew by {total_growth} KiB from the first load ({rss_first} -> {rss_after})");
    assert_eq!(call_status(&asterisk, "demo", "demo"), "SUCCESS");
    assert!(asterisk.cli("minibot show status").contains("Calls started: 1"), "state must start fresh at each load");
}

#[test]
fn campaign_without_scenario_ends_with_nocampaign() {
    let asterisk = Asterisk::start(Options {
        dialplan: "[minibot-test]\nexten => other,1,MiniBot(other)\n same => n,UserEvent(MiniBotDone,Campaign: other,Status: ${MINIBOTSTATUS})\n".into(),
        ..Options::default()
    });
    assert_eq!(call_status(&asterisk, "other", "other"), "NOCAMPAIGN");
    asterisk.wait_log("no scenario for campaign 'other'", Duration::from_secs(5));
}

/// A campaign whose prompt or step is missing is disabled with its error (file and line); the
/// module loads and the other campaigns run.
#[test]
fn a_campaign_with_a_missing_prompt_or_step_stops_alone() {
    let good = "[other]\nstart = hello\n[other.hello]\nprompt = beep\nlisten = 0\n";
    let scenarios = format!("[demo]\nstart = hello\n[demo.hello]\nprompt = no-such-sound\nlisten = 1\n{good}");
    let dialplan = "[minibot-test]\nexten => other,1,MiniBot(other)\n same => n,UserEvent(MiniBotDone,Campaign: other,Status: ${MINIBOTSTATUS})\n";
    let asterisk = Asterisk::start(Options { scenarios, dialplan: dialplan.into(), ..Options::default() });
    assert!(module_running(&asterisk));
    let reason = format!("{}/etc/minibot_scenarios.conf line 4, section [demo.hello], key 'prompt': sound file 'no-such-sound' not found for language fr", asterisk.dir);
    asterisk.wait_log(&format!("campaign 'demo' disabled: {reason}"), Duration::from_secs(5));
    let status = asterisk.cli("minibot show status");
    assert!(status.contains("Scenarios:     other") && status.contains(&format!("Disabled:      demo: {reason}")), "{status}");
    assert_eq!(call_status(&asterisk, "demo", "demo"), "DISABLED");
    asterisk.wait_log("campaign 'demo' is disabled", Duration::from_secs(5));
    assert_eq!(call_status(&asterisk, "other", "other"), "SUCCESS", "the other campaign runs");

    // A step error is the campaign's too, and a reload that fixes it brings it back.
    asterisk.write_config("minibot_scenarios.conf", &format!("[demo]\nstart = hello\n[demo.hello]\nprompt = beep\nnext = q9\n{good}"));
    asterisk.cli("module reload res_minibot.so");
    asterisk.wait_log("line 5, section [demo.hello], key 'next': step 'q9' is not declared in scenario demo", Duration::from_secs(5));
    assert!(module_running(&asterisk));
    asterisk.write_config("minibot_scenarios.conf", &format!("[demo]\nstart = hello\n[demo.hello]\nprompt = beep\nlisten = 0\n{good}"));
    asterisk.cli("module reload res_minibot.so");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while asterisk.cli("minibot show status").contains("Disabled:") {
        assert!(std::time::Instant::now() < deadline, "{}", asterisk.cli("minibot show status"));
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(call_status(&asterisk, "demo", "demo"), "SUCCESS");
}

/// A prompt that starts with silence makes every answer wait for it: a warning at load that
/// names the file and the line; trimmed prompts (the sample campaigns') pass without one.
#[test]
fn a_prompt_starting_with_silence_is_a_load_warning() {
    let asterisk = Asterisk::start(Options { scenarios: include_str!("../asterisk-conf/minibot_scenarios.conf").into(), ..Options::default() });
    assert!(module_running(&asterisk));
    assert!(!asterisk.log().contains("ms of silence"), "the sample prompts are trimmed:\n{}", asterisk.log());
    let mut audio = vec![0u8; 80 * 32]; // 80 ms of silence at 16 kHz
    audio.extend((0..16000).flat_map(|i| (((i as f64 * 0.05).sin() * 8000.0) as i16).to_le_bytes()));
    // In the sandbox's French sounds, where a prompt name is looked up.
    let name = format!("padded-{}", std::process::id());
    let file = support::resolve_in_root(&support::sandbox_root(), "/usr/share/asterisk/sounds/fr").join(format!("{name}.sln16"));
    std::fs::write(&file, audio).unwrap();
    asterisk.write_config("minibot_scenarios.conf", &format!("[demo]\nstart = hello\n[demo.hello]\nprompt = {name}\nlisten = 0\n"));
    asterisk.cli("module reload res_minibot.so");
    let warned = format!("line 4, section [demo.hello], key 'prompt': /usr/share/asterisk/sounds/fr/{name}.sln16 starts with 80 ms of silence");
    let seen = std::panic::catch_unwind(|| asterisk.wait_log(&warned, Duration::from_secs(5)));
    let _ = std::fs::remove_file(&file);
    assert!(seen.is_ok(), "no warning");
    assert!(module_running(&asterisk), "a warning, not a refusal");
}

#[test]
fn a_missing_model_declines_the_load_unless_dtmf_only_is_allowed() {
    let conf = "[general]\n[asr]\nmodel = /opt/minibot/models/none\n";
    let asterisk = Asterisk::start(Options { minibot_conf: Some(conf.into()), ..Options::default() });
    assert!(!module_running(&asterisk));
    asterisk.wait_log("declined to load: minibot.conf [asr] model: Vosk model directory /opt/minibot/models/none does not exist", Duration::from_secs(5));

    asterisk.write_config("minibot.conf", &format!("{conf}on_model_error = dtmf_only\n"));
    asterisk.cli("module load res_minibot.so");
    assert!(module_running(&asterisk), "{}", asterisk.log());
    asterisk.wait_log("on_model_error = dtmf_only, running without ASR", Duration::from_secs(5));
    assert!(asterisk.cli("minibot show status").contains("ASR:           none"));
    assert_eq!(call_status(&asterisk, "demo", "demo"), "SUCCESS");
}

/// The learned intent model (`make train`) loads with the module and is what classifies; one that
/// cannot be read refuses the load, naming the file.
#[test]
fn the_intent_model_loads_and_a_bad_one_declines_the_load() {
    let asterisk = Asterisk::start(Options::default());
    let status = asterisk.cli("minibot show status");
    assert!(status.contains("Intent model:  minibot/intents.model (") && status.contains("training +"), "{status}");
    asterisk.wait_log("intent model /usr/share/asterisk/minibot/intents.model:", Duration::from_secs(5));

    asterisk.cli("module unload res_minibot.so");
    std::fs::write(asterisk.host_path("etc/broken.model"), "minibot-intent-model 5\nbits 12\nclasses yes no\n").unwrap();
    asterisk.write_config("minibot.conf", &format!("[intent]\nmodel = {}/etc/broken.model\n", asterisk.dir));
    asterisk.cli("module load res_minibot.so");
    assert!(!module_running(&asterisk));
    asterisk.wait_log(&format!("minibot.conf [intent] model: {}/etc/broken.model: classes 'yes no' are not this module's intents", asterisk.dir), Duration::from_secs(5));

    asterisk.write_config("minibot.conf", "[intent]\nmodel = minibot/none.model\n");
    asterisk.cli("module load res_minibot.so");
    assert!(!module_running(&asterisk));
    asterisk.wait_log("cannot read /usr/share/asterisk/minibot/none.model", Duration::from_secs(5));

    // Empty: the rules alone, said in the status.
    asterisk.write_config("minibot.conf", "[intent]\nmodel =\n");
    asterisk.cli("module load res_minibot.so");
    assert!(module_running(&asterisk), "{}", asterisk.log());
    assert!(asterisk.cli("minibot show status").contains("Intent model:  none (rules alone)"));
    // A reload reads the model again (how a retrained one goes live).
    asterisk.write_config("minibot.conf", "[intent]\nmodel = minibot/intents.model\n");
    asterisk.cli("module reload res_minibot.so");
    assert!(asterisk.cli("minibot show status").contains("Intent model:  minibot/intents.model ("), "{}", asterisk.log());
}

#[test]
fn live_calls_are_listed_and_unload_is_refused_while_they_run() {
    let scenarios = "[demo]\nstart = hello\n[demo.hello]\nprompt = demo-congrats\nlisten = 1\n";
    let asterisk = Asterisk::start(Options { scenarios: scenarios.into(), ..Options::default() });
    let mut ami = asterisk.ami();
    ami.originate_local("minibot-test", "demo", "callee");
    ami.wait_event(CALL_TIMEOUT, |e| e.get("Event") == Some("MiniBotPrompt")).expect("prompt started");
    let calls = asterisk.cli("minibot show calls");
    assert!(calls.contains("Local/demo@minibot-test") && calls.contains(" hello ") && calls.contains("1 active MiniBot call(s)"), "{calls}");
    let channel = calls.lines().find(|l| l.starts_with("Local/demo")).unwrap().split_whitespace().next().unwrap().to_string();
    let call = asterisk.cli(&format!("minibot show call {channel}"));
    assert!(call.contains("Campaign: demo") && call.contains("Step: hello") && call.contains("Rate: 16000 Hz"), "{call}");

    let unload = asterisk.cli("module unload res_minibot.so");
    assert!(module_running(&asterisk), "unload must be refused while a call runs: {unload}");
    assert!(asterisk.cli("minibot show calls").contains("1 active"), "the call must go on");

    asterisk.cli(&format!("channel request hangup {channel}"));
    ami.wait_event(CALL_TIMEOUT, |e| e.get("Event") == Some("MiniBotCall") && e.get("State") == Some("ended")).expect("call ended");
    assert!(asterisk.cli("minibot show calls").contains("0 active"));
    asterisk.cli("module unload res_minibot.so");
    assert!(!module_running(&asterisk), "with no call left, unload goes through");
}

/// `module unload -f` ignores Asterisk's module references: the module itself must refuse while a
/// channel runs its code (before, this crashed Asterisk about one time in five, mid-call).
#[test]
fn forced_unload_is_refused_while_calls_run_and_asterisk_stays_up() {
    let scenarios = "[demo]\nstart = hello\n[demo.hello]\nprompt = demo-congrats\nlisten = 1\n";
    let mut asterisk = Asterisk::start(Options { scenarios: scenarios.into(), ..Options::default() });
    // Verbose level 5 in the log shows Asterisk unregistering the application.
    asterisk.write_config("logger.conf", "[general]\ndateformat = %F %T.%3q\n[logfiles]\nmessages.log => notice,warning,error,verbose(5)\n");
    asterisk.cli("logger reload");
    let mut refused = 0;
    for round in 0..8 {
        let mut ami = asterisk.ami();
        ami.originate_local("minibot-test", "demo", "callee");
        ami.wait_event(CALL_TIMEOUT, |e| e.get("Event") == Some("MiniBotPrompt")).expect("prompt started");
        // Different moments of the call: at once, and a little later.
        std::thread::sleep(Duration::from_millis(37 * round));
        let unload = asterisk.cli("module unload -f res_minibot.so");
        assert!(asterisk.is_running(), "Asterisk died on a forced unload mid-call (round {round}):\n{}", asterisk.console());
        // -f first hangs the call up, then asks the module: it refuses while the call is still
        // inside MiniBot() and stays loaded; if the call already left, the unload is clean.
        ami.wait_event(CALL_TIMEOUT, |e| e.get("Event") == Some("MiniBotCall") && e.get("State") == Some("ended")).expect("call ended");
        if module_running(&asterisk) {
            refused += 1;
            assert!(asterisk.cli("core show application MiniBot").contains("MiniBot(campaign"), "the application is registered again");
        } else {
            assert!(unload.contains("Unloaded"), "round {round}: {unload}");
            asterisk.cli("module load res_minibot.so");
            assert!(module_running(&asterisk), "round {round}: loads again\n{}", asterisk.log());
        }
    }
    assert!(refused >= 1, "no forced unload met a call inside MiniBot()");
    // A refused unload never unregistered the application: Asterisk frees its record of it, whose
    // name and module the channels inside still read (a crash under load, found by the soak).
    let unregistered = asterisk.log().matches("Unregistered application 'MiniBot'").count();
    assert_eq!(unregistered, 8 - refused, "only unloads that went through unregister MiniBot()\n{}", asterisk.log());
    assert!(asterisk.log().contains("call(s) are running MiniBot()"), "{}", asterisk.log());
    // With no call left the unload goes through, and the module loads again and takes calls.
    asterisk.cli("module unload res_minibot.so");
    assert!(!module_running(&asterisk));
    asterisk.cli("module load res_minibot.so");
    let mut ami = asterisk.ami();
    ami.originate_local("minibot-test", "demo", "callee");
    ami.wait_event(CALL_TIMEOUT, |e| e.get("Event") == Some("MiniBotPrompt")).expect("calls run again after the reload");
}
