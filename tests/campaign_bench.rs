//! `make campaign-bench`: is every person's decision right when the node is busy? The demo's
//! personas (tests/data/campaign-personas.tsv, every one of them, at least 60 contacts) are dialed
//! by the module's own dialer at 1, 5 and 10 concurrent calls (`max_concurrent`), each run on a
//! fresh Asterisk and database. Per N: the share of contacts whose outcome, lead class, opt-out and
//! next call are what their persona must end with (goal: 100% at every N the node accepts; calls
//! the capacity bound holds back wait, they are not misjudged), the reaction p50/p95 from the
//! module's events (end of the callee's turn -> the bot's next prompt), the peak of calls in
//! progress and how often the node held calls back. The table goes to docs/benchmarks.md; the run
//! fails when a decision is wrong.
//!
//! MINIBOT_CAMPAIGN_BENCH_N=1,5,10 (the concurrencies), MINIBOT_CAMPAIGN_BENCH_CONTACTS=64.

mod support;

use std::time::{Duration, Instant};
use support::llm::LlmServer;
use support::pg::{fresh_database, SERVER};
use support::callees;

const PERSONAS: &str = include_str!("data/campaign-personas.tsv");

struct Run {
    n: u32,
    contacts: usize,
    right: [usize; 5],
    reaction: Option<(f64, f64)>,
    turns: usize,
    peak: i64,
    held: u64,
    seconds: f64,
}

fn env_list(name: &str, default: &str) -> Vec<u32> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty()).unwrap_or_else(|| default.into()).split(',').map(|n| n.trim().parse().expect(name)).collect()
}

fn main() {
    let personas = callees::parse(PERSONAS).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let concurrencies = env_list("MINIBOT_CAMPAIGN_BENCH_N", "1,5,10");
    let count = env_list("MINIBOT_CAMPAIGN_BENCH_CONTACTS", "64")[0] as usize;
    let names: Vec<&String> = personas.keys().collect();
    // Every persona, in turn; one contact in eight lives in Martinique (another zone, same rules).
    let cast: Vec<(String, &callees::Persona)> = (0..count.max(names.len())).map(|i| (format!("+3361{:07}", 1000 + i), &personas[names[i % names.len()]])).collect();
    let csv: String = std::iter::once("telephone;fuseau;persona".to_string())
        .chain(cast.iter().enumerate().map(|(i, (phone, p))| format!("{phone};{};{}", if i % 8 == 7 { "America/Martinique" } else { "" }, p.name)))
        .collect::<Vec<_>>()
        .join("\n");
    println!("== campaign-bench: {} contacts ({} personas) at N = {concurrencies:?}", cast.len(), names.len());
    let llm = LlmServer::start();
    let mut runs = Vec::new();
    for &n in &concurrencies {
        let run = campaign(&llm, &cast, &csv, n);
        println!(
            "N = {n}: all right {}/{}; outcome {}, lead {}, opt-out {}, next call {}; reaction p50/p95 {:?} over {} turns; peak {} calls; held {} polls; {:.0} s",
            run.right[0], run.contacts, run.right[1], run.right[2], run.right[3], run.right[4], run.reaction, run.turns, run.peak, run.held, run.seconds
        );
        runs.push(run);
    }
    let pct = |k: usize, n: usize| format!("{:.1}%", 100.0 * k as f64 / n.max(1) as f64);
    let mut table = String::from(
        "| N | contacts | all right | outcome | lead | opt-out | next call | reaction p50 / p95 (ms) | peak calls | polls held | run |\n|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in &runs {
        let reaction = r.reaction.map_or("-".into(), |(a, b)| format!("{a:.0} / {b:.0} ({} turns)", r.turns));
        table += &format!(
            "| {} | {} | {} | {} | {} | {} | {} | {reaction} | {} | {} | {:.0} s |\n",
            r.n,
            r.contacts,
            pct(r.right[0], r.contacts),
            pct(r.right[1], r.contacts),
            pct(r.right[2], r.contacts),
            pct(r.right[3], r.contacts),
            pct(r.right[4], r.contacts),
            r.peak,
            r.held,
            r.seconds
        );
    }
    println!("\n{table}");
    support::write_benchmarks("campaign", "Campaign benchmark: every person's decision at 1, 5 and 10 calls", &table);
    let wrong: usize = runs.iter().map(|r| r.contacts - r.right[0]).sum();
    if wrong > 0 {
        println!("{wrong} decision(s) wrong (see above)");
        drop(llm); // exit() runs no destructor
        std::process::exit(1);
    }
}

fn campaign(llm: &LlmServer, cast: &[(String, &callees::Persona)], csv: &str, n: u32) -> Run {
    let started = Instant::now();
    let db = fresh_database(SERVER);
    let spool = format!("/tmp/minibot-campaign-bench-{}-{n}", std::process::id());
    let (asterisk, director) = callees::campaign_node(&llm.url(), &db, &spool, "bench-callees", cast, Some(n));
    std::fs::write(asterisk.host_path("contacts.csv"), csv).unwrap();
    for command in ["minibot campaign create demo".to_string(), format!("minibot contacts import demo {}/contacts.csv", asterisk.dir), "minibot campaign start demo".into()] {
        println!("*CLI> {command}\n{}", asterisk.cli(&command).trim_end());
    }
    let mut client = postgres::Client::connect(&db, postgres::NoTls).expect("database");
    let count = |client: &mut postgres::Client, sql: &str| client.query_one(sql, &[]).map(|r| r.get::<_, i64>(0)).unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(3600);
    loop {
        let attempted = count(&mut client, "SELECT count(DISTINCT phone) FROM calls");
        let leased = count(&mut client, "SELECT count(*) FROM call_queue WHERE status = 'leased'");
        if attempted >= cast.len() as i64 && leased == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "N = {n}: the campaign did not finish within an hour ({attempted} called)");
        std::thread::sleep(Duration::from_millis(500));
    }
    let reactions = director.stop();
    let verdicts = callees::check(&db, cast, chrono_tz::Europe::Paris);
    let wrong = callees::print_verdicts(&verdicts, |_| String::new());
    println!("N = {n}: {wrong} wrong");
    let about = |word: &str| verdicts.iter().filter(|v| !v.problems.iter().any(|p| p.starts_with(word))).count();
    let peak = count(
        &mut client,
        "SELECT coalesce(max((SELECT count(*) FROM calls d WHERE d.dialed_at <= c.dialed_at AND d.ended_at > c.dialed_at)), 0) FROM calls c",
    );
    let status = asterisk.cli("minibot show status");
    let held = status.split("polls held by the capacity bound ").nth(1).and_then(|r| r.split(',').next()).and_then(|n| n.trim().parse().ok()).unwrap_or(0);
    Run {
        n,
        contacts: verdicts.len(),
        right: [
            verdicts.iter().filter(|v| v.problems.is_empty()).count(),
            about("outcome"),
            about("lead"),
            about("on the opt-out list"),
            verdicts.iter().filter(|v| !v.problems.iter().any(|p| p.starts_with("queue") || p.starts_with("next"))).count(),
        ],
        reaction: callees::percentiles(&reactions),
        turns: reactions.len(),
        peak,
        held,
        seconds: started.elapsed().as_secs_f64(),
    }
}
