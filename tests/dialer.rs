//! The campaign dialer against a real Asterisk 22 (Local channels stand for the callees) and a real
//! PostgreSQL: contacts imported from CSV, calls placed by the module itself, outcomes and retries
//! written with the queue row, two nodes sharing one campaign, a node killed mid-campaign, calling
//! hours that exclude now, opposition lists blocking every campaign.

mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};
use support::pg::{count, fresh_database, SERVER};
use support::{Asterisk, Options};

/// The callees: the last digit says how they answer.
const DIALPLAN: &str = r#"
[minibot-dialer]
exten => s,1,MiniBot(${MINIBOT_CAMPAIGN})
 same => n,Hangup()
; The contact's own fields reach the dialplan after MiniBot() (here at the hangup).
exten => h,1,Verbose(1,MINIBOT fields ${MINIBOT_FIELD_CRM_ID} ${MINIBOT_FIELD_AGENCE})

[callees]
; ...1 busy, ...2 congestion, ...3 rings and never answers, ...4 answers and stays on the line,
; anything else answers, listens a second and hangs up.
exten => _X.,1,GotoIf($[${EXTEN:-1} = 1]?busy)
 same => n,GotoIf($[${EXTEN:-1} = 2]?congestion)
 same => n,GotoIf($[${EXTEN:-1} = 3]?ring)
 same => n,GotoIf($[${EXTEN:-1} = 4]?long)
 same => n,Answer()
 same => n,Wait(1)
 same => n,Hangup()
 same => n(busy),Busy(5)
 same => n(congestion),Congestion(5)
 same => n(ring),Ringing()
 same => n,Wait(30)
 same => n(long),Answer()
 same => n,Wait(120)
"#;

fn scenario(name: &str, extra: &str) -> String {
    format!(
        "[{name}]\nstart = hello\ndial = Local/${{PHONE_DIGITS}}@callees\nring_timeout = 5s\ncalls_per_second = 20\n\
         hours = always\nholidays = none\n{extra}\n\
         [{name}.hello]\nprompt = hello-world\nlisten = 1\nnext = bye\n[{name}.bye]\nprompt = vm-goodbye\nlisten = 0\n"
    )
}

/// A node of the campaign's cluster. No ramp-up (these tests place calls together on purpose; the
/// ramp has its unit test and runs in `make demo` and `make campaign-bench`).
fn node(db: &str, name: &str, scenarios: String, lease_s: u32) -> Asterisk {
    let conf = format!(
        "[general]\ntest_hooks = yes\n[database]\nurl = {db}\nretry_ms = 200\nnode = {name}\nspool = /tmp/minibot-dialer-{}-{name}/results.spool\n\
         [dialer]\npoll_ms = 100\nlease_s = {lease_s}\nmax_calls = 40\nramp_calls = 40\n[calllog]\nfile = minibot/calls.jsonl\n",
        std::process::id()
    );
    Asterisk::start(Options { minibot_conf: Some(conf), scenarios, dialplan: DIALPLAN.into(), ..Options::default() })
}

/// Writes a file inside the instance's directory; returns its path as Asterisk sees it.
fn file(asterisk: &Asterisk, name: &str, contents: &str) -> String {
    std::fs::write(asterisk.host_path(name), contents).unwrap();
    format!("{}/{name}", asterisk.dir)
}

fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool, context: impl Fn() -> String) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}:\n{}", context());
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn rows(db: &str, sql: &str) -> Vec<Vec<String>> {
    let mut client = postgres::Client::connect(db, postgres::NoTls).unwrap();
    client.query(sql, &[]).unwrap().iter().map(|r| (0..r.len()).map(|i| r.get::<_, Option<String>>(i).unwrap_or_default()).collect()).collect()
}

#[test]
fn contacts_are_imported_dialed_recorded_and_retried_by_outcome() {
    let db = fresh_database(SERVER);
    let asterisk = node(&db, "n1", scenario("demo", ""), 30);
    // With the contact's own columns (a CRM's id, its agency).
    let csv = "phone;first_name;last_name;consent;CRM ID;Agence\n\
               06 00 00 00 10;Zoé;Lefèvre;oui;CRM-010;\"Lyon, Part-Dieu \"\"3e\"\"\"\n\
               0600000011;Jean;Busy;;CRM-011;\n\
               +33600000012;Ann;Congestion;;;\n\
               +33600000013;Paul;NoAnswer;;;\n\
               0600000010;Zoé;Again;;;\n\
               12345;Bad;Number;;;\n\
               +33600000015;Opted;Out;;;\n\
               +33600000016;Later;Opposed;;;\n";
    let path = file(&asterisk, "contacts.csv", csv);
    assert!(asterisk.cli("minibot campaign create demo").contains("created"));
    assert!(asterisk.cli("minibot campaign create demo").contains("already exists"));
    // An opposition list first: its number is blocked for every campaign.
    let list = file(&asterisk, "opposition.txt", "numero\n+33600000015\nnot a number\n");
    let out = asterisk.cli(&format!("minibot optout import {list}"));
    assert!(out.contains("1 new on the opt-out list") && out.contains("line 3"), "{out}");
    let out = asterisk.cli(&format!("minibot contacts import demo {path}"));
    assert!(out.contains("5 queued") && out.contains("1 on the opt-out list") && out.contains("1 duplicate"), "{out}");
    assert!(out.contains("line 7:") && out.contains("E.164") && out.contains("line 6: duplicate of line 2") && out.contains("line 8: on the opt-out list"), "{out}");
    assert!(!out.contains("12345"), "a bad number is masked in the report: {out}");
    let again = asterisk.cli(&format!("minibot contacts import demo {path}"));
    assert!(again.contains("0 queued") && again.contains("5 already in the campaign"), "{again}");
    // The contact's own columns are kept for this campaign, quotes and commas as written.
    assert_eq!(count(&db, r#"SELECT count(*) FROM call_queue WHERE fields = '{"crm_id": "CRM-010", "agence": "Lyon, Part-Dieu \"3e\""}'::jsonb"#), 1);
    assert_eq!(count(&db, r#"SELECT count(*) FROM call_queue WHERE fields = '{"crm_id": "CRM-011"}'::jsonb"#), 1);
    // A new file replaces them (the file is what the CRM says now).
    let update = file(&asterisk, "update.csv", "phone;CRM ID;produit\n0600000011;CRM-011b;PEL\n");
    assert!(asterisk.cli(&format!("minibot contacts import demo {update}")).contains("1 already in the campaign"));
    assert_eq!(count(&db, r#"SELECT count(*) FROM call_queue WHERE fields = '{"crm_id": "CRM-011b", "produit": "PEL"}'::jsonb"#), 1);
    // An opposition list imported after the contact was queued closes its row at once.
    let later = file(&asterisk, "opposition2.txt", "+33600000016\n");
    assert!(asterisk.cli(&format!("minibot optout import {later}")).contains("1 new on the opt-out list"));
    assert_eq!(count(&db, "SELECT count(*) FROM call_queue WHERE status = 'do_not_call'"), 1);
    assert_eq!(count(&db, "SELECT count(*) FROM call_queue WHERE consent"), 1, "consent is given to the campaign's company");

    assert!(asterisk.cli("minibot campaign start demo").contains("created -> running"));
    wait_until("4 calls", Duration::from_secs(60), || count(&db, "SELECT count(*) FROM calls") >= 4, || asterisk.log());
    wait_until("4 queue rows moved", Duration::from_secs(10), || count(&db, "SELECT count(*) FROM call_queue WHERE status <> 'leased'") == 5, || asterisk.log());
    let calls: HashMap<String, Vec<String>> = rows(
        &db,
        "SELECT k.phone, k.outcome, k.status, q.status, (extract(epoch FROM q.next_attempt_at - k.ended_at) / 60)::INT::TEXT,
                k.attempt::TEXT, k.node, (k.dialed_at IS NOT NULL)::TEXT, (k.contact_id = q.contact_id)::TEXT
         FROM calls k JOIN call_queue q ON q.id = k.queue_id",
    )
    .into_iter()
    .map(|r| (r[0].clone(), r[1..].to_vec()))
    .collect();
    let expect = |phone: &str, outcome: &str, status: &str, queue: &str, minutes: Option<&str>| {
        let row = calls.get(phone).unwrap_or_else(|| panic!("no call to {phone}: {calls:?}"));
        assert_eq!((row[0].as_str(), row[1].as_str(), row[2].as_str()), (outcome, status, queue), "{phone}: {row:?}");
        if let Some(m) = minutes {
            assert_eq!(row[3], m, "{phone}: minutes to the retry {row:?}");
        }
        assert_eq!((row[4].as_str(), row[5].as_str(), row[6].as_str(), row[7].as_str()), ("1", "n1", "true", "true"), "{phone}: {row:?}");
    };
    // The answered callee listens a second and hangs up during the bot's greeting (retried in a day).
    expect("+33600000010", "hangup_early", "HANGUP", "pending", Some("1440"));
    expect("+33600000011", "busy", "NOTREACHED", "pending", Some("20"));
    expect("+33600000012", "congestion", "NOTREACHED", "pending", Some("10"));
    expect("+33600000013", "unanswered", "NOTREACHED", "pending", Some("120"));
    assert_eq!(count(&db, "SELECT count(*) FROM calls WHERE phone IN ('+33600000015', '+33600000016')"), 0, "opted out: never dialed");

    let report = asterisk.cli("minibot show campaign demo");
    for needle in ["Campaign demo: running", "Contacts: 5", "do_not_call 1", "busy 1", "congestion 1", "unanswered 1", "appointment"] {
        assert!(report.contains(needle), "{needle}:\n{report}");
    }
    let listing = asterisk.cli("minibot show campaigns");
    assert!(listing.contains("demo") && listing.contains("running"), "{listing}");
    assert!(asterisk.cli("minibot show status").contains("Dialer:"), "status shows the dialer");
    let export = format!("{}/calls.csv", asterisk.dir);
    assert!(asterisk.cli(&format!("minibot export calls demo {export}")).contains("4 calls row(s)"));
    let text = std::fs::read_to_string(asterisk.host_path("calls.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>()[..3], ["phone", "first_name", "last_name"]);
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 4);
    assert!(records.iter().any(|r| &r[1] == "Zoé" && &r[2] == "Lefèvre"), "accents survive: {text}");
    // The contact's own columns come back beside the call, and reached the dialplan.
    let header: Vec<String> = csv::Reader::from_reader(text.as_bytes()).headers().unwrap().iter().map(String::from).collect();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no {name} column: {header:?}"));
    let zoe = records.iter().find(|r| &r[1] == "Zoé").unwrap();
    assert_eq!((&zoe[column("crm_id")], &zoe[column("agence")]), ("CRM-010", "Lyon, Part-Dieu \"3e\""), "{text}");
    // In the dialplan, without what would split an application's arguments.
    asterisk.wait_log("MINIBOT fields CRM-010 Lyon  Part-Dieu  3e", Duration::from_secs(10)); // the dialplan sees MINIBOT_FIELD_*

    assert!(asterisk.cli("minibot campaign pause demo").contains("running -> paused"));
    assert!(asterisk.cli("minibot campaign pause demo").contains("cannot become paused"));
    // Unload with the dialer idle stops and joins its threads.
    let out = asterisk.cli("module unload res_minibot.so");
    assert!(out.contains("Unloaded") || asterisk.cli("module show like minibot").contains("0 modules"), "{out}");
}

#[test]
fn calling_hours_that_exclude_now_place_no_call_and_say_why() {
    let db = fresh_database(SERVER);
    // Only the day after tomorrow, in the morning: never now, and more than a day away even if
    // midnight passes during the test.
    let weekday = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Paris).format("%u").to_string().parse::<usize>().unwrap(); // 1 = Monday
    let day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][(weekday - 1 + 2) % 7];
    let conf = scenario("demo", "").replace("hours = always", &format!("hours = {day} 10:00-11:00"));
    let asterisk = node(&db, "n1", conf, 30);
    let path = file(&asterisk, "contacts.csv", "phone\n+33600000020\n+33600000030\n");
    asterisk.cli("minibot campaign create demo");
    assert!(asterisk.cli(&format!("minibot contacts import demo {path}")).contains("2 queued"));
    asterisk.cli("minibot campaign start demo");
    wait_until(
        "rows postponed",
        Duration::from_secs(20),
        || count(&db, "SELECT count(*) FROM call_queue WHERE waiting_for = 'outside calling hours' AND next_attempt_at > now() + interval '10 hours'") == 2,
        || format!("{:?}\n{}", rows(&db, "SELECT status, waiting_for, next_attempt_at::TEXT FROM call_queue"), asterisk.log()),
    );
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(count(&db, "SELECT count(*) FROM calls"), 0, "no call outside the calling hours");
    assert_eq!(count(&db, "SELECT count(*) FROM call_queue WHERE attempts > 0"), 0, "a postponed row is no attempt");
    assert!(asterisk.cli("minibot show campaign demo").contains("outside calling hours 2"));
}

#[test]
fn two_nodes_dial_one_campaign_without_calling_anyone_twice() {
    let db = fresh_database(SERVER);
    let conf = scenario("demo", "max_concurrent = 5");
    let a = node(&db, "a", conf.clone(), 30);
    let b = node(&db, "b", conf, 30);
    let contacts: String = (0..200).map(|i| format!("+3360010{i:04}0\n")).collect();
    let path = file(&a, "contacts.csv", &format!("phone\n{contacts}"));
    a.cli("minibot campaign create demo");
    assert!(a.cli(&format!("minibot contacts import demo {path}")).contains("200 queued"));
    let started = Instant::now();
    b.cli("minibot campaign start demo"); // the state is in the database: node a sees it too
    wait_until("200 calls", Duration::from_secs(300), || count(&db, "SELECT count(*) FROM calls") >= 200, || a.log());
    eprintln!("200 calls on 2 nodes in {:.1} s", started.elapsed().as_secs_f64());
    assert_eq!(count(&db, "SELECT count(DISTINCT phone) FROM calls"), 200, "every contact called");
    assert_eq!(count(&db, "SELECT count(*) FROM calls"), 200, "nobody called twice");
    // The most calls of one node in progress at once: at each call's dial, the node's calls dialed
    // before it and not yet ended.
    let peak: HashMap<String, i64> = rows(
        &db,
        "SELECT c.node, max((SELECT count(*) FROM calls d WHERE d.node = c.node AND d.dialed_at <= c.dialed_at AND d.ended_at > c.dialed_at))::TEXT
         FROM calls c GROUP BY c.node",
    )
    .into_iter()
    .map(|r| (r[0].clone(), r[1].parse().unwrap()))
    .collect();
    eprintln!("peak calls in progress per node: {peak:?}");
    assert!(peak.values().all(|n| *n <= 5), "max_concurrent = 5 per node: {peak:?}");
    let by_node = rows(&db, "SELECT node, count(*)::TEXT FROM calls GROUP BY 1");
    assert_eq!(by_node.len(), 2, "both nodes dialed: {by_node:?}");
    wait_until("every row moved on", Duration::from_secs(10), || count(&db, "SELECT count(*) FROM call_queue WHERE status = 'leased'") == 0, || a.log());
    assert_eq!(count(&db, "SELECT count(*) FROM calls WHERE outcome IS NULL OR queue_id IS NULL"), 0, "every outcome recorded");
}

#[test]
fn a_dead_node_s_contacts_are_dialed_by_another_once_its_lease_expires() {
    let db = fresh_database(SERVER);
    let mut a = node(&db, "a", scenario("demo", ""), 10);
    // Callees who stay on the line: node a holds their rows when it dies.
    let path = file(&a, "contacts.csv", "phone\n+33600000104\n+33600000204\n+33600000304\n");
    a.cli("minibot campaign create demo");
    a.cli(&format!("minibot contacts import demo {path}"));
    a.cli("minibot campaign start demo");
    wait_until("3 calls in progress on a", Duration::from_secs(20), || count(&db, "SELECT count(*) FROM call_queue WHERE lease_owner = 'a' AND attempts = 1") == 3, || a.log());
    unsafe { libc::kill(a.pid() as i32, libc::SIGKILL) };
    let killed = Instant::now();
    a.stop();
    let b = node(&db, "b", scenario("demo", "").replace("Local/${PHONE_DIGITS}@callees", "Local/${PHONE_DIGITS}0@callees"), 10);
    wait_until("b dials a's contacts", Duration::from_secs(90), || count(&db, "SELECT count(*) FROM calls WHERE node = 'b'") == 3, || b.log());
    let waited = killed.elapsed();
    assert!(waited >= Duration::from_secs(8), "b took the rows only once the lease had expired ({waited:?})");
    assert_eq!(count(&db, "SELECT count(*) FROM call_queue WHERE attempts = 2"), 3, "the lost attempt counts");
    assert_eq!(count(&db, "SELECT count(*) FROM calls WHERE attempt = 2 AND node = 'b'"), 3);
}

#[test]
fn writers_blocked_longer_than_the_lease_never_let_a_contact_be_dialed_twice() {
    let db = fresh_database(SERVER);
    let a = node(&db, "a", scenario("demo", ""), 10);
    // Every call record blocks (a trigger waits for a lock this test holds), for many leases: the
    // records wait in the writers, time out, go to the spool and are replayed once it lets go.
    let mut holder = postgres::Client::connect(&db, postgres::NoTls).unwrap();
    wait_until("the schema", Duration::from_secs(30), || count(&db, "SELECT count(*) FROM pg_tables WHERE tablename = 'calls'") == 1, || a.log());
    holder
        .batch_execute(
            "CREATE FUNCTION test_hold_records() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_advisory_xact_lock(4242); RETURN NEW; END $$;
             CREATE TRIGGER test_hold_records BEFORE INSERT ON calls FOR EACH ROW EXECUTE FUNCTION test_hold_records();
             SELECT pg_advisory_lock(4242);",
        )
        .unwrap();
    // Callees who answer, listen a second and hang up (a retry 24 h later).
    let path = file(&a, "contacts.csv", "phone\n+33600000105\n+33600000205\n+33600000305\n");
    a.cli("minibot campaign create demo");
    a.cli(&format!("minibot contacts import demo {path}"));
    a.cli("minibot campaign start demo");
    wait_until("3 rows dialed by a", Duration::from_secs(20), || count(&db, "SELECT count(*) FROM call_queue WHERE lease_owner = 'a' AND attempts = 1") == 3, || a.log());
    // A second node, with nothing of its own waiting, would take any row whose lease lapsed.
    let b = node(&db, "b", scenario("demo", ""), 10);
    let ended = Instant::now();
    wait_until("a's records spooled", Duration::from_secs(60), || a.cli("minibot show db").contains("Spooled:       3"), || a.cli("minibot show db"));
    while ended.elapsed() < Duration::from_secs(25) {
        assert_eq!(count(&db, "SELECT count(*) FROM call_queue WHERE attempts > 1 OR lease_owner = 'b'"), 0, "a row was taken again:\n{}", b.log());
        std::thread::sleep(Duration::from_millis(200));
    }
    holder.batch_execute("SELECT pg_advisory_unlock(4242); DROP TRIGGER test_hold_records ON calls;").unwrap();
    wait_until("the records written", Duration::from_secs(60), || count(&db, "SELECT count(*) FROM calls") >= 3, || a.cli("minibot show db"));
    wait_until("every row moved on", Duration::from_secs(20), || count(&db, "SELECT count(*) FROM call_queue WHERE status = 'leased'") == 0, || a.log());
    assert_eq!(count(&db, "SELECT count(*) FROM calls"), 3, "nobody dialed twice");
    assert_eq!(count(&db, "SELECT count(*) FROM call_queue WHERE attempts = 1 AND status = 'pending'"), 3, "each row: one attempt, its retry scheduled");
    assert_eq!(count(&db, "SELECT count(*) FROM calls WHERE node = 'b'"), 0);
}

#[test]
fn answering_machines_are_told_from_people_by_amd_and_the_module() {
    let db = fresh_database(SERVER);
    let conf = format!(
        "[general]\ntest_hooks = yes\n[database]\nurl = {db}\nretry_ms = 200\nnode = n1\nspool = /tmp/minibot-dialer-amd-{}/results.spool\n[dialer]\npoll_ms = 100\n",
        std::process::id()
    );
    let dialplan = "[minibot-dialer]\nexten => s,1,AMD()\n same => n,MiniBot(${MINIBOT_CAMPAIGN})\n same => n,Hangup()\n";
    let scenarios = scenario("demo", "on_machine = message vm-goodbye").replace("@callees", "@amd-callees");
    let asterisk = Asterisk::start(Options {
        minibot_conf: Some(conf),
        scenarios,
        dialplan: dialplan.into(),
        extra_modules: vec!["app_amd.so".into()],
        extra_configs: vec![("amd.conf".into(), include_str!("../asterisk-conf/amd.conf").into())],
        ..Options::default()
    });
    // A voicemail: its greeting, then a beep; a person: "allô ?" then silence, waiting.
    let (greeting, _) = support::speech(
        &asterisk,
        "greeting",
        "fr",
        "Bonjour, vous êtes bien sur la messagerie de Martine Durand. Je ne suis pas disponible pour le moment, laissez-moi un message après le bip.",
    );
    let (allo, _) = support::speech(&asterisk, "allo", "fr", "allô ?");
    // A phone line is never digitally silent: the callee's side sends its room's faint noise
    // between words (AMD measures silence on the frames it gets).
    for (name, synth) in [("beep", "0.5 sine 1000 vol 0.5"), ("room", "20 whitenoise vol 0.003"), ("pause", "0.5 whitenoise vol 0.003")] {
        for (ext, rate) in [("sln16", "16000"), ("sln", "8000")] {
            let out = asterisk.host_path(&format!("sounds/{name}.{ext}"));
            let status = std::process::Command::new("sox")
                .args(["-n", "-t", "raw", "-r", rate, "-c", "1", "-b", "16", "-e", "signed-integer"])
                .arg(&out)
                .arg("synth")
                .args(synth.split_whitespace())
                .status()
                .unwrap();
            assert!(status.success());
        }
    }
    let sound = |name: &str| format!("{}/sounds/{name}", asterisk.dir);
    let (beep, room, pause) = (sound("beep"), sound("room"), sound("pause"));
    let callees = format!(
        "[amd-callees]\nexten => 33600000007,1,Answer()\n same => n,Playback({greeting})\n same => n,Playback({beep})\n same => n,Playback({room})\n\
         exten => 33600000008,1,Answer()\n same => n,Playback({pause})\n same => n,Playback({allo})\n same => n,Playback({room})\n"
    );
    let base = std::fs::read_to_string(asterisk.host_path("etc/extensions.conf")).unwrap();
    asterisk.write_config("extensions.conf", &format!("{base}\n{callees}"));
    asterisk.reload_dialplan();
    let mut ami = asterisk.ami();
    let path = file(&asterisk, "contacts.csv", "phone\n+33600000007\n+33600000008\n");
    asterisk.cli("minibot campaign create demo");
    asterisk.cli(&format!("minibot contacts import demo {path}"));
    asterisk.cli("minibot campaign start demo");
    wait_until("2 calls", Duration::from_secs(90), || count(&db, "SELECT count(*) FROM calls") >= 2, || asterisk.log());
    let verdicts: HashMap<String, Vec<String>> = rows(&db, "SELECT phone, outcome, coalesce(amd_verdict, ''), (SELECT count(*) FROM conversations v WHERE v.call_key = k.call_key)::TEXT FROM calls k")
        .into_iter()
        .map(|r| (r[0].clone(), r[1..].to_vec()))
        .collect();
    let machine = &verdicts["+33600000007"];
    assert_eq!(machine[0], "answering_machine", "{verdicts:?}");
    assert!(machine[1].starts_with("machine: amd MACHINE") && machine[1].contains("+ beep (1000 Hz)"), "{verdicts:?}");
    assert_eq!(machine[2], "0", "the bot never spoke to the machine: {verdicts:?}");
    let person = &verdicts["+33600000008"];
    assert!(person[1].starts_with("human: amd HUMAN"), "{verdicts:?}");
    assert_ne!(person[0], "answering_machine");
    assert_ne!(person[2], "0", "the bot ran its scenario with the person: {verdicts:?}");
    // The message was left after the beep.
    let message = ami.wait_event(Duration::from_secs(5), |e| e.is("MiniBotMessage")).expect("a message left");
    assert_eq!(message.get("AfterBeep"), Some("yes"), "{message:?}");
    assert_eq!(message.get("File"), Some("vm-goodbye"));
    assert_eq!(count(&db, "SELECT count(*) FROM call_queue q JOIN contacts c ON c.id = q.contact_id WHERE c.phone = '+33600000007' AND q.status = 'pending' AND q.next_attempt_at > now() + interval '3 hours'"), 1, "a machine is retried later (4 h)");
    let report = asterisk.cli("minibot show campaign demo");
    assert!(report.contains("Answering machine verdicts:") && report.contains("machine: amd MACHINE") && report.contains("human: amd HUMAN"), "{report}");
}

#[test]
fn twenty_thousand_contacts_import_at_once_and_campaign_state_survives_a_restart() {
    let db = fresh_database(SERVER);
    // No dial string: this node never dials; the campaign is only state.
    let scenarios = scenario("demo", "").replace("dial = Local/${PHONE_DIGITS}@callees\n", "");
    let mut asterisk = node(&db, "n1", scenarios.clone(), 30);
    let rows: String = (0..20_000).map(|i| format!("+3361{i:07},Prénom {i},\"Nom, {i}\"\n")).collect();
    let path = file(&asterisk, "big.csv", &format!("phone,first_name,last_name\n{rows}0600000000,Bad,\n"));
    asterisk.cli("minibot campaign create demo");
    let started = Instant::now();
    let out = asterisk.cli(&format!("minibot contacts import demo {path}"));
    let elapsed = started.elapsed();
    eprintln!("20 000 contacts imported in {:.2} s through the CLI: {}", elapsed.as_secs_f64(), out.lines().next().unwrap_or(""));
    assert!(out.contains("20001 good row(s), 20001 queued"), "{out}");
    assert_eq!(count(&db, "SELECT count(*) FROM call_queue"), 20_001);
    assert_eq!(count(&db, "SELECT count(*) FROM contacts WHERE last_name = 'Nom, 19999'"), 1, "quoted commas");
    assert!(asterisk.cli("minibot campaign start demo").contains("no 'dial' string"), "nothing to dial with");
    // The state lives in PostgreSQL: a restarted node (or another one) sees it.
    let mut client = postgres::Client::connect(&db, postgres::NoTls).unwrap();
    client.execute("UPDATE campaigns SET status = 'paused' WHERE name = 'demo'", &[]).unwrap();
    asterisk.stop();
    let again = node(&db, "n1", scenarios, 30);
    let listing = again.cli("minibot show campaigns");
    assert!(listing.contains("demo") && listing.contains("paused") && listing.contains("20001"), "{listing}");
    assert!(again.cli("minibot campaign resume demo").contains("no 'dial' string"));
}


#[test]
fn no_full_phone_number_in_the_module_s_log_lines_json_log_or_ami_events() {
    let db = fresh_database(SERVER);
    let asterisk = node(&db, "n1", scenario("demo", ""), 30);
    let mut ami = asterisk.ami();
    let numbers = ["+33600000020", "+33600000011", "+33600000030"];
    let path = file(&asterisk, "contacts.csv", &format!("phone\n{}\n", numbers.join("\n")));
    asterisk.cli("minibot campaign create demo");
    asterisk.cli(&format!("minibot contacts import demo {path}"));
    asterisk.cli("minibot campaign start demo");
    wait_until("3 calls", Duration::from_secs(60), || count(&db, "SELECT count(*) FROM calls") >= 3, || asterisk.log());
    let events = ami.collect_until(Duration::from_secs(2), |_| false);
    asterisk.cli("minibot show status"); // a CLI line too
    // Every form a number takes: E.164, without '+', national.
    let forms: Vec<String> = numbers.iter().flat_map(|n| [n.to_string(), n[1..].to_string(), format!("0{}", &n[3..])]).collect();
    let leaks = |text: &str| forms.iter().filter(|f| text.contains(f.as_str())).cloned().collect::<Vec<_>>();
    // The module's own lines in Asterisk's log (Asterisk's core logs the dial string it runs).
    let log = asterisk.log();
    let ours: Vec<&str> = log.lines().filter(|l| l.contains("src/")).collect();
    assert!(ours.len() > 10 && ours.iter().any(|l| l.contains("dialer: calling +33 6 .. .. .. 20")), "{}", ours.join("\n"));
    for line in &ours {
        assert!(leaks(line).is_empty(), "a full number in the module's log: {line}");
    }
    let minibot_events: Vec<String> = events.iter().filter(|e| e.get("Event").is_some_and(|n| n.starts_with("MiniBot"))).map(|e| format!("{:?}", e.0)).collect();
    assert!(!minibot_events.is_empty());
    for e in &minibot_events {
        assert!(leaks(e).is_empty(), "a full number in an AMI event: {e}");
    }
    // The per-call JSON log: one JSON object per line, the dialer's and the bot's events, masked.
    let json = std::fs::read_to_string(asterisk.host_path("log/minibot/calls.jsonl")).expect("the per-call JSON log");
    let lines: Vec<serde_json::Value> = json.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    let kinds: std::collections::BTreeSet<&str> = lines.iter().filter_map(|l| l["event"].as_str()).collect();
    for kind in ["dial", "attempt", "call", "step", "prompt"] {
        assert!(kinds.contains(kind), "no '{kind}' event in the JSON log: {kinds:?}");
    }
    assert!(lines.iter().all(|l| l["ts"].is_string() && l["call"].as_str().is_some_and(|c| c.starts_with("minibot-n1-"))), "{json}");
    assert!(leaks(&json).is_empty(), "a full number in the JSON log: {:?}", leaks(&json));
    assert!(asterisk.cli("minibot show status").contains("Call log:"));
}

#[test]
fn persona_files_with_mistakes_are_refused_with_their_line() {
    use support::callees::parse;
    let err = parse("p\texpect\toutcome=won lead=hot queue=done next=none\n").unwrap_err();
    assert!(err.contains("line 1") && err.contains("'won' is not an outcome"), "{err}");
    let err = parse("# comment\np\tanswer\tsoon\toui\n").unwrap_err();
    assert!(err.contains("line 2") && err.contains("not a delay"), "{err}");
    let err = parse("p\tanswer\t0.5\toui\n").unwrap_err();
    assert!(err.contains("an `expect` line"), "{err}");
    let err = parse("p\texpect\toutcome=callback lead=cold queue=pending next=tomorrow\n").unwrap_err();
    assert!(err.contains("HH:MM"), "{err}");
    let err = parse("p\tshout\toui\n").unwrap_err();
    assert!(err.contains("line 1") && err.contains("none of"), "{err}");
    // The shipped file reads, and every persona says what it must end with.
    let personas = parse(include_str!("data/campaign-personas.tsv")).unwrap();
    assert!(personas.len() >= 15, "{:?}", personas.keys());
}
