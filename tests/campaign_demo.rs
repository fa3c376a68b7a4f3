//! `make demo`: a whole campaign on the sandboxed Asterisk 22. Twenty simulated contacts
//! (tests/data/campaign-demo.csv) answer as their persona says (tests/data/campaign-personas.tsv):
//! interested, refusing, asking to be called back, opting out, a voicemail with its beep, silent,
//! hanging up mid-call, busy, never answering. The module's own dialer calls them through Local
//! channels, AMD() and MiniBot's hybrid detection sort machines from people, the LLM server and
//! PostgreSQL run for real, and the campaign report is printed at the end.

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use support::llm::LlmServer;
use support::pg::{fresh_database, SERVER};
use support::{speech, Asterisk, Options, TEST_MODEL};

const CONTACTS: &str = include_str!("data/campaign-demo.csv");
const PERSONAS: &str = include_str!("data/campaign-personas.tsv");

/// persona -> [(seconds of listening, words)]
fn personas() -> BTreeMap<String, Vec<(f64, String)>> {
    let mut out: BTreeMap<String, Vec<(f64, String)>> = BTreeMap::new();
    for line in PERSONAS.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields.len(), 3, "campaign-personas.tsv: '{line}' is not persona<TAB>seconds<TAB>words");
        out.entry(fields[0].to_string()).or_default().push((fields[1].parse().expect("seconds"), fields[2].to_string()));
    }
    out
}

/// (E.164 phone, first name, persona) of each good row of the contact file.
fn contacts() -> Vec<(String, String, String)> {
    let mut reader = csv::ReaderBuilder::new().delimiter(b';').from_reader(CONTACTS.as_bytes());
    let mut seen = std::collections::HashSet::new();
    reader
        .records()
        .filter_map(|r| {
            let r = r.expect("campaign-demo.csv");
            let phone = res_minibot::phone::normalize(&r[0], Some("33")).ok()?;
            seen.insert(phone.clone()).then(|| (phone, r[1].to_string(), r[5].to_string()))
        })
        .collect()
}

fn sox(asterisk: &Asterisk, name: &str, synth: &str) -> String {
    for (ext, rate) in [("sln16", "16000"), ("sln", "8000")] {
        let status = std::process::Command::new("sox")
            .args(["-n", "-t", "raw", "-r", rate, "-c", "1", "-b", "16", "-e", "signed-integer"])
            .arg(asterisk.host_path(&format!("sounds/{name}.{ext}")))
            .arg("synth")
            .args(synth.split_whitespace())
            .status()
            .expect("sox");
        assert!(status.success());
    }
    format!("{}/sounds/{name}", asterisk.dir)
}

fn main() {
    let started = Instant::now();
    println!("== MiniBot demo: a campaign of 20 contacts dialed by the module on a sandboxed Asterisk 22");
    println!("starting PostgreSQL's demo database and the LLM server (llama-server + Gemma 3 270M) ...");
    let db = fresh_database(SERVER);
    let llm = LlmServer::start();
    let conf = support::demo_conf(&llm.url(), &db, "/tmp/minibot-campaign-demo-spool")
        .replace("poll_ms = 500", "poll_ms = 200");
    // The sample campaign as shipped, but dialing the simulated contacts, and at any hour.
    let scenarios = include_str!("../asterisk-conf/minibot_scenarios.conf")
        .replacen("dial = PJSIP/${PHONE}@trunk", "dial = Local/${PHONE_DIGITS}@demo-callees", 1)
        .replacen("hours = mon-fri 10:00-13:00 14:00-20:00", "hours = always", 1)
        .replacen("holidays = fr", "holidays = none", 1)
        .replacen("calls_per_second = 1", "calls_per_second = 2", 1);
    let asterisk = Asterisk::start(Options {
        minibot_conf: Some(conf),
        scenarios,
        extra_modules: vec!["app_amd.so".into(), "app_stack.so".into()],
        extra_configs: vec![("amd.conf".into(), include_str!("../asterisk-conf/amd.conf").into())],
        ..Options::default()
    });
    println!("{}", asterisk.cli("minibot show version").trim());
    println!(
        "No French Vosk model can be fetched on this machine: the recognizer runs the Korean test model\n\
         ({TEST_MODEL}) on the contacts' French audio, and the words of each turn come from the TEST FIXTURE\n\
         MINIBOT_TEST_TRANSCRIPTS (each persona's script); speech detection, barge-in, AMD, the beep detector,\n\
         intents, transitions, qualification, the dialer and the database run for real.\n\
         The sample campaign keeps the French calling rules (weekdays 10-13 h and 14-20 h, no public holiday);\n\
         this demo sets hours = always and holidays = none so that it runs at any hour.\n"
    );

    // The contacts' side: their audio, and a continuous faint room noise between words (a phone
    // line is never digitally silent, and AMD() measures silence on what it receives).
    let personas = personas();
    let contacts = contacts();
    let room = sox(&asterisk, "room", "1 whitenoise vol 0.003");
    let half = sox(&asterisk, "room-half", "0.5 whitenoise vol 0.003");
    let beep = sox(&asterisk, "beep", "0.6 sine 1000 vol 0.5");
    let (allo, _) = speech(&asterisk, "allo", "fr", "allô ?");
    let wait = |seconds: f64| -> String {
        let halves = (seconds * 2.0).round().max(1.0) as usize;
        let files: Vec<&str> = (0..halves).map(|_| half.as_str()).collect();
        format!(" same => n,Playback({})\n", files.join("&"))
    };
    let mut callees = String::from("[demo-callees]\n");
    let mut transcripts = String::from("[demo-transcripts]\n");
    let mut spoken: BTreeMap<String, String> = BTreeMap::new();
    for (phone, _, persona) in &contacts {
        let exten = phone.trim_start_matches('+');
        let lines = personas.get(persona).cloned().unwrap_or_default();
        let mut said = Vec::new();
        callees += &format!("exten => {exten},1,NoOp({persona})\n");
        match persona.as_str() {
            "busy" => callees += " same => n,Busy(10)\n",
            "no_answer" => callees += " same => n,Ringing()\n same => n,Wait(60)\n",
            _ => {
                callees += " same => n,Answer()\n";
                if persona == "voicemail" {
                    let (greeting, _) = speech(&asterisk, "voicemail", "fr", &lines[0].1);
                    callees += &format!("{} same => n,Playback({greeting})\n same => n,Playback({beep})\n", wait(0.5));
                    said.push(lines[0].1.clone());
                } else {
                    callees += &format!("{} same => n,Playback({allo})\n", wait(0.5));
                    for (i, (seconds, words)) in lines.iter().enumerate() {
                        let file = spoken.entry(words.clone()).or_insert_with(|| speech(&asterisk, &format!("{persona}-{i}"), "fr", words).0).clone();
                        // AMD() listens for about 1 s after the "allô" before the bot speaks.
                        let seconds = if i == 0 { seconds + 1.0 } else { *seconds };
                        callees += &format!("{} same => n,Playback({file})\n", wait(seconds));
                        said.push(words.clone());
                    }
                }
                if persona == "hangup" {
                    callees += &format!("{} same => n,Hangup()\n", wait(3.0));
                } else {
                    let files: Vec<&str> = (0..60).map(|_| room.as_str()).collect();
                    callees += &format!(" same => n,Playback({})\n", files.join("&"));
                }
            }
        }
        transcripts += &format!("exten => {exten},1,Set(MINIBOT_TEST_TRANSCRIPTS={})\n same => n,Return()\n", said.join("|"));
    }
    let dialer = "[minibot-dialer]\nexten => s,1,Gosub(demo-transcripts,${MINIBOT_PHONE:1},1)\n same => n,AMD()\n\
                  same => n,MiniBot(${MINIBOT_CAMPAIGN})\n same => n,Hangup()\n";
    let base = std::fs::read_to_string(asterisk.host_path("etc/extensions.conf")).unwrap();
    asterisk.write_config("extensions.conf", &format!("{base}\n{dialer}\n{transcripts}\n{callees}"));
    asterisk.cli("dialplan reload");
    let warm = Instant::now() + Duration::from_secs(30);
    while !asterisk.cli("minibot show metrics").contains("(16000, ") {
        if Instant::now() > warm {
            println!("(no warm recognizer after 30 s: the first calls will wait ~0.4 s for one)");
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }

    let contacts_path = format!("{}/contacts.csv", asterisk.dir);
    std::fs::write(asterisk.host_path("contacts.csv"), CONTACTS).unwrap();
    for command in ["minibot campaign create demo".to_string(), format!("minibot contacts import demo {contacts_path}"), "minibot campaign start demo".into()] {
        println!("*CLI> {command}\n{}", asterisk.cli(&command).trim_end());
    }

    let mut client = postgres::Client::connect(&db, postgres::NoTls).expect("database");
    let count = |client: &mut postgres::Client, sql: &str| client.query_one(sql, &[]).map(|r| r.get::<_, i64>(0)).unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(360);
    let mut last = -1;
    loop {
        let attempted = count(&mut client, "SELECT count(DISTINCT phone) FROM calls");
        let leased = count(&mut client, "SELECT count(*) FROM call_queue WHERE status = 'leased'");
        if attempted != last {
            println!("{:6.1} s  contacts called: {attempted}/{}, calls in progress: {leased}", started.elapsed().as_secs_f64(), contacts.len());
            last = attempted;
        }
        if attempted >= contacts.len() as i64 && leased == 0 {
            break; // every contact had its first call (retries are hours away)
        }
        if Instant::now() > deadline {
            println!("the campaign did not finish within 6 minutes: {attempted} contacts called, {leased} rows in progress");
            println!("{}\n{}", asterisk.cli("minibot show calls").trim_end(), asterisk.cli("minibot show status").trim_end());
            std::process::exit(1);
        }
        std::thread::sleep(Duration::from_millis(500));
    }

    println!("\n-- each contact (read back from PostgreSQL)");
    let persona_of: BTreeMap<&str, (&str, &str)> = contacts.iter().map(|(p, n, s)| (p.as_str(), (n.as_str(), s.as_str()))).collect();
    let rows = client
        .query(
            "SELECT c.phone, coalesce(k.outcome, '-'), coalesce(k.score, 0), coalesce(k.lead_class, '-'), coalesce(k.amd_verdict, ''),
                    q.status, coalesce(to_char(q.next_attempt_at AT TIME ZONE 'Europe/Paris', 'DD/MM HH24:MI'), ''), coalesce(k.callback_when, '')
             FROM call_queue q JOIN contacts c ON c.id = q.contact_id LEFT JOIN calls k ON k.queue_id = q.id ORDER BY c.phone",
            &[],
        )
        .unwrap();
    println!("{:<18} {:<9} {:<17} {:<16} {:>5} {:<13} {:<12} next", "phone", "name", "persona", "outcome", "score", "lead", "queue");
    for r in &rows {
        let phone: String = r.get(0);
        let (name, persona) = persona_of.get(phone.as_str()).copied().unwrap_or(("?", "?"));
        let (queue, next): (String, String) = (r.get(5), r.get(6));
        let amd: String = r.get(4);
        let callback: String = r.get(7);
        println!(
            "{:<18} {:<9} {:<17} {:<16} {:>5} {:<13} {:<12} {}{}{}",
            res_minibot::phone::mask(&phone),
            name,
            persona,
            r.get::<_, String>(1),
            r.get::<_, i32>(2),
            r.get::<_, String>(3),
            queue,
            if queue == "pending" { next } else { String::new() },
            if callback.is_empty() { String::new() } else { format!(" (asked: {callback})") },
            if amd.is_empty() { String::new() } else { format!("\n{:>20}{amd}", "") }
        );
    }
    println!("\n*CLI> minibot show campaign demo\n{}", asterisk.cli("minibot show campaign demo").trim_end());
    let leads = format!("{}/leads.csv", asterisk.dir);
    println!("\n*CLI> minibot export leads demo {leads}\n{}", asterisk.cli(&format!("minibot export leads demo {leads}")).trim_end());
    println!("{}", std::fs::read_to_string(asterisk.host_path("leads.csv")).unwrap_or_default().trim_end());
    println!("\nAn opt-out blocks the number for every campaign: the same file imported into another campaign:");
    for command in ["minibot campaign create renovation".to_string(), format!("minibot contacts import renovation {contacts_path}")] {
        println!("*CLI> {command}\n{}", asterisk.cli(&command).trim_end());
    }
    println!("\n*CLI> minibot show campaigns\n{}", asterisk.cli("minibot show campaigns").trim_end());
    println!("\n*CLI> minibot show status\n{}", asterisk.cli("minibot show status").trim_end());
    println!("\ndemo finished in {:.1} s", started.elapsed().as_secs_f64());
}
