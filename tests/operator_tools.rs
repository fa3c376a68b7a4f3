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

fn start(db: &str, llm: &LlmServer) -> Asterisk {
    let http_port = free_port();
    let conf = support::demo_conf(&llm.url(), db, &format!("/tmp/minibot-tools-{}", std::process::id()))
        .replace(";jwt_secret = change-me-to-32-or-more-random-bytes-please", "jwt_secret = a-secret-of-thirty-two-bytes-or-more");
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
    let asterisk = start(&db, &llm);

    let report = asterisk.cli("minibot check");
    eprintln!("{report}");
    assert!(report.contains("MiniBot check: 0 failure(s)"), "{report}");
    assert!(has(&report, "ok", "config", "minibot.conf read"), "{report}");
    assert!(has(&report, "ok", "campaigns", "demo, renovation"), "{report}");
    assert!(has(&report, "ok", "prompts", "demo:") && has(&report, "ok", "prompts", "at 8 and 16 kHz"), "{report}");
    assert!(has(&report, "ok", "asr", support::TEST_MODEL), "{report}");
    assert!(has(&report, "ok", "intents", "minibot/intents.model"), "{report}");
    assert!(has(&report, "ok", "database", "reachable, schema up to date"), "{report}");
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
    let asterisk = start(&db, &llm);
    let metrics_before = asterisk.cli("minibot show metrics");

    // A callee who takes the time, owns savings, worries, is unhappy with the bank, and accepts.
    let run = asterisk.cli(
        "minibot scenario try demo \"oui allez-y\" \"j'ai un livret A et une assurance vie\" \"oui ça me préoccupe\" \"non pas du tout\" \"oui volontiers\"",
    );
    eprintln!("{run}");
    assert!(run.contains("Dry run of campaign 'demo' (5 typed answer(s))"), "{run}");
    assert!(run.contains("[hello] bot: Bonjour, je vous appelle au sujet de votre épargne"), "{run}");
    assert!(run.contains("names assurance_vie livret_a") || run.contains("names livret_a assurance_vie"), "{run}");
    assert!(run.contains("[is_leads] bot: Souhaiteriez-vous"), "{run}");
    assert!(run.contains("end: status SUCCESS, outcome appointment"), "{run}");
    assert!(run.contains("lead: hot"), "{run}");
    assert!(run.contains("nothing was stored"), "{run}");
    // Every answer's intent, its tier and confidence.
    assert_eq!(run.matches("  understood: ").count(), 5, "{run}");
    assert!(run.contains(" tier, "), "{run}");

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
