//! Call recordings against the sandbox: one stereo WAV per call, the callee on the left and the
//! bot on the right, each where it spoke (sox statistics over windows placed by the call's own
//! AMI events); the legal notice first and nothing recorded before it has played (a hangup during
//! the notice leaves no file); a callee who objects has the recording stopped and deleted; the
//! path in `calls`, `minibot show transcript`; a campaign with `record = no` leaves none.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use support::ami::Message;
use support::pg::{count, fresh_database, SERVER};
use support::{speech, Asterisk, Options, TEST_MODEL};

const SCENARIOS: &str = "[rec]\nstart = hello\nrecord = yes\nrecording_notice = minibot/demo/notice\n\
                         recording_objection = je ne veux pas être enregistré, pas d'enregistrement\n\
                         [rec.hello]\nprompt = hello-world\nlisten = 6\nnext = bye\n\
                         [rec.bye]\nprompt = vm-goodbye\nlisten = 0\n\
                         [norec]\nstart = hello\nrecord = no\n[norec.hello]\nprompt = hello-world\nlisten = 0\n";

const DIALPLAN: &str = "[minibot-rec]\nexten => rec,1,MiniBot(rec)\n same => n,Hangup()\nexten => norec,1,MiniBot(norec)\n same => n,Hangup()\n\
                        exten => object,1,Set(MINIBOT_TEST_TRANSCRIPTS=non je ne veux pas être enregistré)\n same => n,MiniBot(rec)\n same => n,Hangup()\n";

/// RMS amplitude (0-1) of one channel (1 left, 2 right) of `file` over [start, start + length] s.
fn rms(file: &Path, channel: u32, start: f64, length: f64) -> f64 {
    let out = Command::new("sox")
        .arg(file)
        .args(["-n", "remix", &channel.to_string(), "trim", &format!("{start:.3}"), &format!("{length:.3}"), "stat"])
        .output()
        .expect("sox");
    let text = String::from_utf8_lossy(&out.stderr);
    text.lines()
        .find(|l| l.starts_with("RMS     amplitude:"))
        .and_then(|l| l.split(':').nth(1))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("sox stat on {}: {text}", file.display()))
}

/// (channels, rate, seconds) as sox reads the file's header.
fn info(file: &Path) -> (u32, u32, f64) {
    let get = |flag: &str| {
        let out = Command::new("sox").args(["--i", flag]).arg(file).output().expect("sox");
        assert!(out.status.success(), "sox --i {}: {}", file.display(), String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    (get("-c").parse().unwrap(), get("-r").parse().unwrap(), get("-D").parse().unwrap())
}

fn originate(asterisk: &Asterisk, bot: &str, callee: &str) -> Vec<Message> {
    let mut ami = asterisk.ami();
    let events = ami.call_until_ended(&format!("Local/{bot}@minibot-rec/n"), ("minibot-callee", callee), "slin16", Duration::from_secs(60));
    assert!(events.iter().any(support::ami::call_ended), "the call did not end:\n{}", asterisk.log());
    events
}

fn event<'a>(events: &'a [Message], pred: impl Fn(&Message) -> bool, what: &str) -> &'a Message {
    events.iter().find(|e| pred(e)).unwrap_or_else(|| {
        let seen: Vec<String> = events
            .iter()
            .filter(|e| e.get("Event").is_some_and(|n| n.starts_with("MiniBot") || n == "UserEvent"))
            .map(|e| format!("{} {:?} {:?} {:?}", e.get("Event").unwrap_or(""), e.get("Step"), e.get("State"), e.get("Text").or(e.get("Intent"))))
            .collect();
        panic!("no {what} event among:\n{}", seen.join("\n"))
    })
}

/// The recording of the call whose bot channel is `channel`, once written: (path in the
/// sandbox, path on the host).
fn recording_of(db: &str, uniqueid: &str, asterisk: &Asterisk) -> (String, PathBuf) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut client = postgres::Client::connect(db, postgres::NoTls).unwrap();
    loop {
        let row = client.query_opt("SELECT recording_path FROM calls WHERE uniqueid = $1", &[&uniqueid]).unwrap();
        if let Some(row) = row {
            let path: Option<String> = row.get(0);
            let path = path.expect("the call's row has its recording's path");
            let host = support::sandbox_root().join(path.trim_start_matches('/'));
            // The writer closes the file just after the call's end: wait until it stops growing.
            let mut last = 0;
            loop {
                let size = std::fs::metadata(&host).map_or(0, |m| m.len());
                if size > 44 && size == last {
                    return (path, host);
                }
                assert!(Instant::now() < deadline, "the recording {} is not complete", host.display());
                last = size;
                std::thread::sleep(Duration::from_millis(300));
            }
        }
        assert!(Instant::now() < deadline, "no row for {uniqueid}:\n{}", asterisk.log());
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn calls_are_recorded_in_stereo_with_each_side_where_it_spoke() {
    let db = fresh_database(SERVER);
    // The recognizer runs (the objection is heard through the TEST FIXTURE's words).
    let conf = format!(
        "[general]\ntest_hooks = yes\n[asr]\nmodel = {TEST_MODEL}\nprewarm = 1\n[database]\nurl = {db}\nretry_ms = 200\nspool = /tmp/minibot-rec-{}/results.spool\n",
        std::process::id()
    );
    let asterisk = Asterisk::start(Options { minibot_conf: Some(conf), scenarios: SCENARIOS.into(), dialplan: DIALPLAN.into(), ..Options::default() });
    let (talk, talk_ms) = speech(&asterisk, "rec-talk", "fr", "bonjour, oui, je vous écoute, allez-y, je vous écoute");
    // The callee says nothing during the notice and the first prompt, then talks once; another
    // hangs up in the middle of the notice.
    let conf = std::fs::read_to_string(asterisk.host_path("etc/extensions.conf")).unwrap();
    asterisk.write_config(
        "extensions.conf",
        &format!(
            "{conf}\n[minibot-callee]\n\
             exten => talk,1,Answer()\n same => n,Wait(8.5)\n same => n,UserEvent(CalleeTalk,State: start)\n same => n,Playback({talk})\n\
             same => n,UserEvent(CalleeTalk,State: stop)\n same => n,Wait(30)\n\
             exten => drop,1,Answer()\n same => n,Wait(2.5)\n same => n,Hangup()\n\
             exten => quiet,1,Answer()\n same => n,Wait(10)\n"
        ),
    );
    asterisk.reload_dialplan();

    let events = originate(&asterisk, "rec", "talk");
    let started = event(&events, |e| e.is("MiniBotCall") && e.get("State") == Some("started"), "MiniBotCall started");
    let uniqueid = started.get("Uniqueid").expect("Uniqueid").to_string();
    let t0 = started.timestamp();
    let at = |e: &Message| e.timestamp() - t0;
    let notice = event(&events, |e| e.is("MiniBotPrompt") && e.get("Step") == Some("recording_notice"), "notice prompt");
    let hello = event(&events, |e| e.is("MiniBotPrompt") && e.get("Step") == Some("hello") && e.get("State") == Some("started"), "hello prompt");
    let hello_done = event(&events, |e| e.is("MiniBotPrompt") && e.get("Step") == Some("hello") && e.get("State") == Some("finished"), "hello finished");
    assert!(at(notice) < at(hello), "the legal notice comes first");
    let talk_start = event(&events, |e| e.is("UserEvent") && e.get("State") == Some("start"), "CalleeTalk start");
    let talk_stop = event(&events, |e| e.is("UserEvent") && e.get("State") == Some("stop"), "CalleeTalk stop");
    assert!(at(talk_start) > at(hello_done), "the callee talks after the bot's prompt (timeline)");

    let (path, file) = recording_of(&db, &uniqueid, &asterisk);
    assert!(path.starts_with(&format!("{}/spool/monitor/minibot/rec/", asterisk.dir)), "{path}");
    let (channels, rate, seconds) = info(&file);
    assert_eq!((channels, rate), (2, 16000), "stereo at the call's 16 kHz");
    assert!(seconds > at(talk_stop) - at(hello), "the file covers the call from its first prompt ({seconds:.1} s)");
    let mode = std::fs::metadata(&file).map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o777).unwrap();
    assert_eq!(mode, 0o640);

    // Nothing before the notice has played: the file starts with the first prompt.
    let rec0 = at(hello);
    let ended = event(&events, |e| e.is("MiniBotCall") && e.get("State") == Some("ended"), "MiniBotCall ended");
    eprintln!("recorded {seconds:.2} s of a call of {:.2} s whose notice ended at {rec0:.2} s", at(ended));
    assert!(seconds <= at(ended) - rec0 + 0.5, "{seconds:.2} s recorded: the notice ({:.2}-{rec0:.2} s) is in the file", at(notice));
    // The bot speaking (the first prompt): energy on the right only.
    let (from, to) = (at(hello) - rec0 + 0.3, at(hello_done) - rec0 - 0.3);
    let (left, right) = (rms(&file, 1, from, to - from), rms(&file, 2, from, to - from));
    eprintln!("hello {from:.2}-{to:.2} s: left {left:.4} right {right:.4}");
    assert!(right > 0.02 && left < 0.002, "while the bot speaks: left {left:.4}, right {right:.4}");
    // The callee speaking: energy on the left only.
    let (from, to) = (at(talk_start) - rec0 + 0.3, at(talk_start) - rec0 + talk_ms as f64 / 1000.0 - 0.3);
    let (left, right) = (rms(&file, 1, from, to - from), rms(&file, 2, from, to - from));
    eprintln!("callee {from:.2}-{to:.2} s: left {left:.4} right {right:.4}");
    assert!(left > 0.02 && right < 0.002, "while the callee speaks: left {left:.4}, right {right:.4}");
    // Silence on both sides between the bot's prompt and the callee's answer.
    let (from, to) = (at(hello_done) - rec0 + 0.3, at(talk_start) - rec0 - 0.3);
    if to - from > 0.3 {
        let (left, right) = (rms(&file, 1, from, to - from), rms(&file, 2, from, to - from));
        assert!(left < 0.002 && right < 0.002, "silence {from:.2}-{to:.2} s: left {left:.4}, right {right:.4}");
    }

    // The transcript command shows the call, its recording and its turns.
    let shown = asterisk.cli(&format!("minibot show transcript {uniqueid}"));
    assert!(shown.contains(&format!("Recording: {path}")) && shown.contains("callee  [hello]"), "{shown}");
    assert!(asterisk.cli("minibot show transcript nosuchcall").contains("no call 'nosuchcall'"));

    // A hangup in the middle of the notice: the callee was not told yet, nothing is recorded.
    let events = originate(&asterisk, "rec", "drop");
    let started = event(&events, |e| e.is("MiniBotCall") && e.get("State") == Some("started"), "MiniBotCall started");
    let uniqueid = started.get("Uniqueid").unwrap().to_string();
    event(&events, |e| e.is("MiniBotPrompt") && e.get("Step") == Some("recording_notice"), "notice prompt");
    assert!(!events.iter().any(|e| e.is("MiniBotPrompt") && e.get("Step") == Some("hello")), "the call ended during the notice");
    let deadline = Instant::now() + Duration::from_secs(20);
    while count(&db, &format!("SELECT count(*) FROM calls WHERE uniqueid = '{uniqueid}'")) == 0 {
        assert!(Instant::now() < deadline, "no row for the call that hung up during the notice");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(count(&db, &format!("SELECT count(*) FROM calls WHERE uniqueid = '{uniqueid}' AND status = 'HANGUP' AND recording_path IS NULL")), 1);

    // A callee who objects: the recording stops and its file is deleted; the row names none.
    let events = originate(&asterisk, "object", "talk");
    let started = event(&events, |e| e.is("MiniBotCall") && e.get("State") == Some("started"), "MiniBotCall started");
    let uniqueid = started.get("Uniqueid").unwrap().to_string();
    let deleted = event(&events, |e| e.is("MiniBotRecording") && e.get("State") == Some("deleted"), "recording deleted");
    assert_eq!(deleted.get("Reason"), Some("objection"));
    let deadline = Instant::now() + Duration::from_secs(20);
    while count(&db, &format!("SELECT count(*) FROM calls WHERE uniqueid = '{uniqueid}'")) == 0 {
        assert!(Instant::now() < deadline, "no row for the call that objected");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(count(&db, &format!("SELECT count(*) FROM calls WHERE uniqueid = '{uniqueid}' AND recording_path IS NULL")), 1);
    let dir = asterisk.host_path("spool/monitor/minibot/rec");
    let of_call = || walk(&dir).into_iter().filter(|p| p.contains(&uniqueid.replace(['/', ' '], "_"))).collect::<Vec<_>>();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !of_call().is_empty() {
        assert!(Instant::now() < deadline, "the objected recording is still on disk: {:?}", of_call());
        std::thread::sleep(Duration::from_millis(100));
    }

    // A campaign that does not record leaves no file and no path.
    let events = originate(&asterisk, "norec", "quiet");
    let uniqueid = event(&events, |e| e.is("MiniBotCall") && e.get("State") == Some("started"), "started").get("Uniqueid").unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(20);
    while count(&db, &format!("SELECT count(*) FROM calls WHERE uniqueid = '{uniqueid}'")) == 0 {
        assert!(Instant::now() < deadline, "no row for the norec call");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(count(&db, &format!("SELECT count(*) FROM calls WHERE uniqueid = '{uniqueid}' AND recording_path IS NULL")), 1);
    assert!(!asterisk.host_path("spool/monitor/minibot/norec").exists());

    // Unload closes everything and joins the writer.
    assert!(asterisk.cli("module unload res_minibot.so").contains("Unloaded"), "{}", asterisk.log());
}

/// Every file under `dir`, as strings.
fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path.to_string_lossy().into_owned());
        }
    }
    out
}
