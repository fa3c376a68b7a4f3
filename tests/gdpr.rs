//! Personal data against the sandbox: the retention purge the module schedules itself removes
//! only what is older than the period; `gdpr export` writes what is held about a person;
//! `gdpr forget` erases it everywhere and blocks the number for every campaign.

mod support;

use std::time::{Duration, Instant};
use support::pg::{count, fresh_database, SERVER};
use support::{Asterisk, Options};

#[test]
fn retention_purges_only_old_transcripts_and_forget_erases_and_blocks() {
    let db = fresh_database(SERVER);
    // Recordings of both calls, and a file outside the recording directory that a row points at.
    let recordings = format!("/tmp/minibot-gdpr-rec-{}", std::process::id());
    let on_host = |p: &str| support::sandbox_root().join(p.trim_start_matches('/'));
    let _ = std::fs::remove_dir_all(on_host(&recordings));
    std::fs::create_dir_all(on_host(&format!("{recordings}/demo"))).unwrap();
    let (old_wav, new_wav, outside) = (format!("{recordings}/demo/old.wav"), format!("{recordings}/demo/new.wav"), format!("{recordings}-outside.wav"));
    for f in [&old_wav, &new_wav, &outside] {
        std::fs::write(on_host(f), b"RIFF").unwrap();
    }
    let mut client = res_minibot::store::connect(&db, false).expect("schema");
    // A call from 400 days ago and one from today, each with two turns; today's callee is a
    // contact queued in a campaign.
    client
        .batch_execute(
            "INSERT INTO campaigns (name, scenario, status) VALUES ('demo', 'demo', 'paused');
             INSERT INTO contacts (phone, first_name, last_name) VALUES ('+33600000002', 'Zoé', 'Lefèvre');
             INSERT INTO call_queue (campaign_id, contact_id) SELECT p.id, c.id FROM campaigns p, contacts c;
             INSERT INTO calls (call_key, uniqueid, channel, campaign, phone, ended_at, status, outcome, transcript, reasons)
             VALUES ('n1/old', 'old', 'PJSIP/x', 'demo', '+33600000001', now() - interval '400 days', 'SUCCESS', 'appointment',
                     '[q1] -> j''ai un livret A', '{\"assets: livret_a (+10)\"}'),
                    ('n1/new', 'new', 'PJSIP/y', 'demo', '+33600000002', now(), 'SUCCESS', 'callback',
                     '[hello] -> rappelez-moi demain', '{}'),
                    ('n1/old2', 'old2', 'PJSIP/z', 'demo', '+33600000003', now() - interval '400 days', 'SUCCESS', 'refused', '', '{}');
             INSERT INTO conversations (call_key, turn, step, text) VALUES ('n1/old', 0, 'hello', 'oui'), ('n1/old', 1, 'q1', 'un livret A'),
                    ('n1/new', 0, 'hello', 'rappelez-moi demain'), ('n1/new', 1, 'bye', '');",
        )
        .unwrap();
    for (key, path) in [("n1/old", &old_wav), ("n1/new", &new_wav), ("n1/old2", &outside)] {
        client.execute("UPDATE calls SET recording_path = $2 WHERE call_key = $1", &[&key, path]).unwrap();
    }
    let conf = format!(
        "[general]\ntest_hooks = yes\n[database]\nurl = {db}\nspool = /tmp/minibot-gdpr-{}/results.spool\n[gdpr]\nretention_days = 365\npurge_interval_min = 60\n\
         [recording]\ndir = {recordings}\n",
        std::process::id()
    );
    let asterisk = Asterisk::start(Options { minibot_conf: Some(conf), ..Options::default() });

    // The module purges at load, on its own: the old call keeps its outcome, loses what was said.
    let deadline = Instant::now() + Duration::from_secs(20);
    while count(&db, "SELECT count(*) FROM conversations WHERE call_key = 'n1/old'") > 0 {
        assert!(Instant::now() < deadline, "no purge at load:\n{}", asterisk.log());
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(count(&db, "SELECT count(*) FROM calls WHERE call_key = 'n1/old' AND transcript = '' AND reasons = '{}' AND outcome = 'appointment'"), 1);
    assert_eq!(count(&db, "SELECT count(*) FROM conversations WHERE call_key = 'n1/new'"), 2, "recent turns stay");
    assert_eq!(count(&db, "SELECT count(*) FROM calls WHERE call_key = 'n1/new' AND transcript <> ''"), 1);
    // The old recording is deleted with the transcript; the recent one stays; a path outside the
    // recording directory is never deleted, whatever the database says.
    assert!(!on_host(&old_wav).exists(), "the old recording is purged");
    assert!(on_host(&new_wav).exists() && on_host(&outside).exists());
    assert_eq!(count(&db, "SELECT count(*) FROM calls WHERE call_key = 'n1/old' AND recording_path IS NULL"), 1);
    assert_eq!(count(&db, "SELECT count(*) FROM calls WHERE call_key = 'n1/old2' AND recording_path IS NOT NULL"), 1, "a file left keeps its row's path");
    asterisk.wait_log("is not under", Duration::from_secs(10)); // the outside path is reported
    let out = asterisk.cli("minibot gdpr purge");
    assert!(out.contains("0 transcripts blanked, 0 turns and 0 recordings deleted"), "{out}");
    assert!(asterisk.cli("minibot gdpr purge 0").contains("not a number of days from 1"), "0 would erase everything");

    // Right of access: everything held about the person, in one file.
    let export = format!("{}/export.json", asterisk.dir);
    let out = asterisk.cli(&format!("minibot gdpr export 06 00 00 00 02 {export}"));
    assert!(out.contains("1 call(s)") && !out.contains("0600000002") && !out.contains("+33600000002"), "{out}");
    let document: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(asterisk.host_path("export.json")).unwrap()).unwrap();
    assert_eq!(document["contact"]["first_name"], "Zoé");
    assert_eq!(document["campaigns"][0]["campaign"], "demo");
    assert_eq!(document["calls"][0]["outcome"], "callback");
    assert_eq!(document["calls"][0]["turns"][0]["text"], "rappelez-moi demain");
    assert_eq!(document["calls"][0]["channel"], "PJSIP/y", "every column");
    let mode = std::fs::metadata(asterisk.host_path("export.json")).map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o777).unwrap();
    assert_eq!(mode, 0o600, "personal data readable by Asterisk's user only");

    // Right to erasure: nothing left but the opt-out, which blocks every campaign.
    let out = asterisk.cli("minibot gdpr forget +33600000002");
    assert!(out.contains("1 call(s), 2 turn(s), 1 recording(s), 1 queue row(s), 1 contact(s), 0 spooled record(s), 0 call log line(s) erased"), "{out}");
    assert!(!on_host(&new_wav).exists(), "forget deletes the person's recordings");
    let _ = std::fs::remove_dir_all(on_host(&recordings));
    let _ = std::fs::remove_file(on_host(&outside));
    for sql in [
        "SELECT count(*) FROM contacts WHERE phone = '+33600000002'",
        "SELECT count(*) FROM calls WHERE phone = '+33600000002'",
        "SELECT count(*) FROM conversations WHERE call_key = 'n1/new'",
        "SELECT count(*) FROM call_queue",
    ] {
        assert_eq!(count(&db, sql), 0, "{sql}");
    }
    assert_eq!(count(&db, "SELECT count(*) FROM do_not_call WHERE phone = '+33600000002'"), 1);
    std::fs::write(asterisk.host_path("again.csv"), "phone,first_name\n+33600000002,Zoé\n").unwrap();
    let again = asterisk.cli(&format!("minibot contacts import demo {}/again.csv", asterisk.dir));
    assert!(again.contains("0 queued") && again.contains("1 on the opt-out list"), "{again}");
    assert!(!asterisk.log().lines().filter(|l| l.contains("src/")).any(|l| l.contains("600000002")), "the module never logs the number");
}

/// A WAV file's first bytes: what a recording looks like on disk.
const WAV_HEAD: &[u8] = b"RIFF\x24\x00\x00\x00WAVEfmt ";

#[test]
fn forget_refuses_during_a_live_call_then_erases_set_aside_lines_recordings_anywhere_and_the_call_log() {
    let db = fresh_database(SERVER);
    let pid = std::process::id();
    let on_host = |p: &str| support::sandbox_root().join(p.trim_start_matches('/'));
    let (recordings, old_dir, log_dir, spool_dir) =
        (format!("/tmp/minibot-gdpr2-rec-{pid}"), format!("/tmp/minibot-gdpr2-old-{pid}"), format!("/tmp/minibot-gdpr2-log-{pid}"), format!("/tmp/minibot-gdpr2-spool-{pid}"));
    for d in [&recordings, &old_dir, &log_dir, &spool_dir] {
        let _ = std::fs::remove_dir_all(on_host(d));
        std::fs::create_dir_all(on_host(d)).unwrap();
    }
    // The person's recordings: one in a directory the node no longer uses (the rows still point
    // there), one named by a set-aside record; and a file that is no recording, which a row of
    // theirs names too: never deleted.
    let (moved, set_aside_wav, not_a_recording) = (format!("{old_dir}/p1.wav"), format!("{old_dir}/p4.wav"), format!("{old_dir}/notes.wav"));
    std::fs::write(on_host(&moved), WAV_HEAD).unwrap();
    std::fs::write(on_host(&set_aside_wav), WAV_HEAD).unwrap();
    std::fs::write(on_host(&not_a_recording), b"meeting notes").unwrap();
    let mut client = res_minibot::store::connect(&db, false).expect("schema");
    client
        .batch_execute(&format!(
            "INSERT INTO calls (call_key, uniqueid, channel, campaign, phone, ended_at, status, outcome, transcript, reasons, recording_path)
             VALUES ('n1/p1', 'p1', 'PJSIP/a', 'g', '+33600000005', now(), 'SUCCESS', 'callback', '', '{{}}', '{moved}'),
                    ('n1/p2', 'p2', 'PJSIP/b', 'g', '+33600000005', now(), 'SUCCESS', 'callback', '', '{{}}', '{not_a_recording}'),
                    ('n1/q1', 'q1', 'PJSIP/c', 'g', '+33600000006', now(), 'SUCCESS', 'callback', '', '{{}}', NULL);"
        ))
        .unwrap();
    // A record of theirs the database once refused, kept in the spool's .rejected file.
    let mut refused = res_minibot::store::record::CallRecord { key: "n1/p4".into(), uniqueid: "p4".into(), phone: Some("+33600000005".into()), ..Default::default() };
    refused.recording = Some(set_aside_wav.clone());
    std::fs::write(on_host(&format!("{spool_dir}/results.spool.rejected")), format!("# 1795600000: 22021: invalid byte\n{}\n", refused.to_json())).unwrap();
    // The call log, with lines of their calls and of someone else's.
    let log = format!("{log_dir}/calls.jsonl");
    let lines: String = ["p1", "p2", "p4", "q1", "p1"].iter().map(|c| format!("{{\"ts\":\"2026-12-03T10:00:00Z\",\"call\":\"{c}\",\"event\":\"step\"}}\n")).collect();
    std::fs::write(on_host(&log), lines).unwrap();
    let conf = format!(
        "[general]\ntest_hooks = yes\n[database]\nurl = {db}\nspool = {spool_dir}/results.spool\n[recording]\ndir = {recordings}\n[calllog]\nfile = {log}\n"
    );
    let asterisk = Asterisk::start(Options {
        minibot_conf: Some(conf),
        scenarios: "[g]\nstart = hello\n[g.hello]\nprompt = hello-world\nlisten = 60\n".into(),
        dialplan: "[gd]\nexten => bot,1,Set(MINIBOT_PHONE=06 00 00 00 05)\n same => n,MiniBot(g)\nexten => callee,1,Answer()\n same => n,Wait(60)\n".into(),
        ..Options::default()
    });

    // An inbound call with the person in progress: refused, and nothing touched.
    let mut ami = asterisk.ami();
    ami.originate_local("gd", "bot", "callee");
    ami.wait_event(Duration::from_secs(20), |e| e.is("MiniBotCall") && e.get("State") == Some("started")).expect("the call started");
    let out = asterisk.cli("minibot gdpr forget 06 00 00 00 05");
    assert!(out.contains("in progress"), "{out}");
    assert!(std::fs::read_to_string(on_host(&format!("{spool_dir}/results.spool.rejected"))).unwrap().contains("p4"), "refused before anything was erased");
    assert!(on_host(&moved).exists() && std::fs::read_to_string(on_host(&log)).unwrap().contains("\"p1\""));
    asterisk.cli("channel request hangup all");
    ami.wait_event(Duration::from_secs(20), |e| e.is("MiniBotCall") && e.get("State") == Some("ended")).expect("the call ended");
    let deadline = Instant::now() + Duration::from_secs(20);
    while count(&db, "SELECT count(*) FROM calls WHERE campaign = 'g' AND uniqueid NOT IN ('p1', 'p2', 'q1')") == 0 {
        assert!(Instant::now() < deadline, "the live call's record:\n{}", asterisk.log());
        std::thread::sleep(Duration::from_millis(100));
    }

    // Then everywhere: the database (the live call's record included), the set-aside line, the
    // recordings wherever the rows point (the file that is no recording stays), the call log.
    let out = asterisk.cli("minibot gdpr forget 06 00 00 00 05");
    assert!(out.contains("3 call(s)") && out.contains("2 recording(s)") && out.contains("1 spooled record(s)"), "{out}");
    assert_eq!(count(&db, "SELECT count(*) FROM calls WHERE phone = '+33600000005'"), 0);
    assert_eq!(count(&db, "SELECT count(*) FROM calls WHERE uniqueid = 'q1'"), 1, "someone else's call stays");
    assert!(!std::fs::read_to_string(on_host(&format!("{spool_dir}/results.spool.rejected"))).unwrap_or_default().contains("p4"));
    assert!(!on_host(&moved).exists() && !on_host(&set_aside_wav).exists(), "the recordings, wherever they are");
    assert!(on_host(&not_a_recording).exists(), "a path in the database never deletes a file that is no recording");
    let left = std::fs::read_to_string(on_host(&log)).unwrap();
    for call in ["\"p1\"", "\"p2\"", "\"p4\""] {
        assert!(!left.contains(call), "{call} still in the call log:\n{left}");
    }
    assert!(left.contains("\"q1\""), "{left}");
    assert!(out.contains("call log line(s) erased"), "{out}");
    assert_eq!(count(&db, "SELECT count(*) FROM do_not_call WHERE phone = '+33600000005'"), 1);
}
