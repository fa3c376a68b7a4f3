//! `make demo`: a whole campaign on the sandboxed Asterisk 22. Twenty-three simulated contacts
//! (tests/data/campaign-demo.csv) answer as their persona says (tests/data/campaign-personas.tsv):
//! interested, refusing, asking to be called back, opting out (one just before hanging up),
//! interrupting, hesitating, a voicemail with its beep, silent, hanging up mid-call, busy, never
//! answering; each speaks when the bot has asked (tests/support/callees.rs). The module's own
//! dialer calls them through Local channels, AMD() and MiniBot's hybrid detection sort machines
//! from people, the LLM server and PostgreSQL run for real. Each contact's decision is printed
//! beside what its persona must end with, and the demo fails when one differs.

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use support::llm::LlmServer;
use support::pg::{fresh_database, SERVER};
use support::{callees, TEST_MODEL};

const CONTACTS: &str = include_str!("data/campaign-demo.csv");
const PERSONAS: &str = include_str!("data/campaign-personas.tsv");

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

fn main() {
    let started = Instant::now();
    println!("== MiniBot demo: a campaign of 23 contacts dialed by the module on a sandboxed Asterisk 22");
    println!("starting PostgreSQL's demo database and the LLM server (llama-server + Gemma 3 270M) ...");
    let db = fresh_database(SERVER);
    let llm = LlmServer::start();
    // The contacts' side: people who answer when asked (tests/support/callees.rs), each as its
    // persona says, and what each must end with.
    let personas = callees::parse(PERSONAS).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let contacts = contacts();
    let cast: Vec<(String, &callees::Persona)> = contacts
        .iter()
        .map(|(phone, _, persona)| {
            let p = personas.get(persona).unwrap_or_else(|| {
                eprintln!("campaign-demo.csv: {} has persona '{persona}', which campaign-personas.tsv does not describe", res_minibot::phone::mask(phone));
                std::process::exit(2)
            });
            (phone.clone(), p)
        })
        .collect();
    // The sample campaign as shipped, but dialing the simulated contacts, and at any hour.
    let (asterisk, director) = callees::campaign_node(&llm.url(), &db, "/tmp/minibot-campaign-demo-spool", "demo-callees", &cast, None);
    println!("{}", asterisk.cli("minibot show version").trim());
    println!(
        "No French Vosk model can be fetched on this machine: the recognizer runs the Korean test model\n\
         ({TEST_MODEL}) on the contacts' French audio, and the words of each turn come from the TEST FIXTURE\n\
         MINIBOT_TEST_TRANSCRIPTS (each persona's script); speech detection, barge-in, AMD, the beep detector,\n\
         intents, transitions, qualification, the dialer and the database run for real.\n\
         The sample campaign keeps the French calling rules (weekdays 10-13 h and 14-20 h, no public holiday);\n\
         this demo sets hours = always and holidays = none so that it runs at any hour.\n"
    );

    let contacts_path = format!("{}/contacts.csv", asterisk.dir);
    std::fs::write(asterisk.host_path("contacts.csv"), CONTACTS).unwrap();
    for command in ["minibot campaign create demo".to_string(), format!("minibot contacts import demo {contacts_path}"), "minibot campaign start demo".into()] {
        println!("*CLI> {command}\n{}", asterisk.cli(&command).trim_end());
    }

    let mut client = postgres::Client::connect(&db, postgres::NoTls).expect("database");
    let count = |client: &mut postgres::Client, sql: &str| client.query_one(sql, &[]).map(|r| r.get::<_, i64>(0)).unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(600);
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
            println!("the campaign did not finish within 10 minutes: {attempted} contacts called, {leased} rows in progress");
            println!("{}\n{}", asterisk.cli("minibot show calls").trim_end(), asterisk.cli("minibot show status").trim_end());
            // exit() runs no destructor: stop the sandbox's Asterisk and the LLM server first.
            drop((director, asterisk, llm));
            std::process::exit(1);
        }
        std::thread::sleep(Duration::from_millis(500));
    }

    let reactions = director.stop();
    println!("\n-- each contact (read back from PostgreSQL), beside what its persona must end with");
    let verdicts = callees::check(&db, &cast, chrono_tz::Europe::Paris);
    let names: BTreeMap<&str, &str> = contacts.iter().map(|(p, n, _)| (p.as_str(), n.as_str())).collect();
    let wrong = callees::print_verdicts(&verdicts, |phone| names.get(phone).copied().unwrap_or("?").to_string());
    if let Some((p50, p95)) = callees::percentiles(&reactions) {
        println!("reaction (the module's events: end of the callee's turn -> the bot's next prompt): p50 {p50:.0} ms, p95 {p95:.0} ms over {} turns", reactions.len());
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
    if wrong > 0 {
        println!("{wrong} contact(s) did not get the decision their persona must end with (see above)");
        drop((asterisk, llm)); // exit() runs no destructor
        std::process::exit(1);
    }
    println!("every contact got the decision its persona must end with");
}
