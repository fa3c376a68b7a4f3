//! `make bench`: figures for the media path on this machine, printed as a table.
//! - per-frame CPU of VAD and of Vosk's accept_waveform (median, p99, max);
//! - outgoing-audio gaps while the callee talks over a prompt (a prompt with barge_in = no),
//!   worker vs inline decoding: the jitter Vosk's decode spikes would cause on the media thread;
//! - turn-end-to-final latency, reaction latency (callee stops -> next prompt starts);
//! - Asterisk CPU per call and memory per call at several concurrencies.

mod support;

use std::time::{Duration, Instant};
use support::ami::Message;
use support::{speech, Asterisk, Options};

const SCENARIO: &str = "[bench]\nstart = notice\n\
    [bench.notice]\nprompt = demo-congrats\nbarge_in = no\nlisten = 1\nnext = bye\n\
    [bench.bye]\nprompt = vm-goodbye\nlisten = 0\n\
    [react]\nstart = q\n\
    [react.q]\nprompt = beep\nlisten = 5\nnext = q2\n\
    [react.q2]\nprompt = beep\nlisten = 5\nnext = bye\n\
    [react.bye]\nprompt = vm-goodbye\nlisten = 0\n";

const DIALPLAN: &str = "[bench]\nexten => bench,1,MiniBot(bench)\nexten => react,1,MiniBot(react)\n";

fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap().split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap() // utime + stime
}

fn start(mode: &str) -> Asterisk {
    let mut options = Options::with_asr(&format!("mode = {mode}\nprewarm = 2"));
    options.scenarios = SCENARIO.into();
    options.dialplan = DIALPLAN.into();
    let asterisk = Asterisk::start(options);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !asterisk.cli("minibot show metrics").contains("(16000, 2)") {
        assert!(Instant::now() < deadline, "recognizers never warmed");
        std::thread::sleep(Duration::from_millis(200));
    }
    asterisk
}

/// The callee talks in three utterances with 1 s pauses over the bot's 29 s notice, then hangs up.
fn callee(asterisk: &Asterisk) {
    let lines = ["bonjour oui je vous écoute", "j'ai un livret A et une assurance vie", "rappelez moi demain matin"];
    let mut dialplan = String::from("[callee]\nexten => talk,1,Answer()\n same => n,Wait(1)\n");
    for (i, text) in lines.iter().enumerate() {
        let (file, _) = speech(asterisk, &format!("b{i}"), "fr", text);
        dialplan += &format!(" same => n,UserEvent(CalleeTalk,State: start)\n same => n,Playback({file})\n same => n,UserEvent(CalleeTalk,State: stop)\n same => n,Wait(1.2)\n");
    }
    dialplan += " same => n,Hangup()\n";
    let conf = std::fs::read_to_string(asterisk.host_path("etc/extensions.conf")).unwrap();
    asterisk.write_config("extensions.conf", &format!("{conf}\n{dialplan}"));
    asterisk.cli("dialplan reload");
}

fn originate(ami: &mut support::ami::Ami, bot: &str) {
    ami.action(
        "Originate",
        &[("Channel", &format!("Local/{bot}@bench/n")), ("Context", "callee"), ("Exten", "talk"), ("Priority", "1"), ("Async", "true"), ("Codecs", "slin16")],
    );
}

fn metric(report: &str, name: &str) -> String {
    report.lines().find(|l| l.starts_with(name)).map(|l| l.split_whitespace().skip(2).collect::<Vec<_>>().join(" ")).unwrap_or_else(|| "-".into())
}

fn load_run(mode: &str, concurrency: usize) {
    let asterisk = start(mode);
    callee(&asterisk);
    let rss_before = asterisk.rss_kib();
    let cpu_before = cpu_ticks(asterisk.pid());
    let wall = Instant::now();
    let mut ami = asterisk.ami();
    for _ in 0..concurrency {
        originate(&mut ami, "bench");
    }
    let mut ended = 0;
    let mut peak_rss = rss_before;
    let deadline = Instant::now() + Duration::from_secs(120);
    while ended < concurrency && Instant::now() < deadline {
        if ami.wait_event(Duration::from_millis(500), |e| e.is("MiniBotCall") && e.get("State") == Some("ended")).is_some() {
            ended += 1;
        }
        peak_rss = peak_rss.max(asterisk.rss_kib());
    }
    let seconds = wall.elapsed().as_secs_f64();
    let ticks = cpu_ticks(asterisk.pid()) - cpu_before;
    let cpu_s = ticks as f64 / 100.0; // USER_HZ
    let report = asterisk.cli("minibot show metrics");
    println!(
        "{mode:<6} {concurrency:>3} calls  {seconds:5.1}s  CPU {:5.1}% of a core per call  mem/call {:6.1} MB  \
         vad {}  asr_feed {}  write_gap_talking {}  turn_to_final {}  queue drops: {}",
        100.0 * cpu_s / seconds / concurrency as f64,
        (peak_rss.saturating_sub(rss_before)) as f64 / 1024.0 / concurrency as f64,
        metric(&report, "vad_frame"),
        metric(&report, "asr_feed"),
        metric(&report, "write_gap_talking"),
        metric(&report, "turn_to_final"),
        report.split("queue drops ").nth(1).unwrap_or("?").trim(),
    );
    assert_eq!(ended, concurrency, "not every call ended:\n{}", asterisk.log());
}

/// Callee stops talking -> the bot's next prompt starts (hangover + final result + prompt start).
fn reaction_run() {
    let asterisk = start("worker");
    callee(&asterisk);
    let mut ami = asterisk.ami();
    originate(&mut ami, "react");
    let events: Vec<Message> = ami.collect_until(Duration::from_secs(60), |e| e.is("MiniBotCall") && e.get("State") == Some("ended"));
    let stops: Vec<&Message> = events.iter().filter(|e| e.get("UserEvent") == Some("CalleeTalk") && e.get("State") == Some("stop")).collect();
    let prompts: Vec<&Message> = events.iter().filter(|e| e.is("MiniBotPrompt") && e.get("State") == Some("started")).collect();
    let mut reactions = Vec::new();
    for stop in stops {
        if let Some(next) = prompts.iter().find(|p| p.timestamp() > stop.timestamp()) {
            reactions.push((next.timestamp() - stop.timestamp()) * 1000.0);
        }
    }
    println!("reaction latency (callee stops -> next prompt starts), ms: {reactions:.0?}");
}

fn main() {
    println!("== MiniBot media benchmark ({} cores)", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    println!("measures: median p95 p99 max (vad/asr_feed in us per 20 ms frame; gaps and latencies in ms)\n");
    reaction_run();
    for (mode, concurrency) in [("inline", 1), ("worker", 1), ("inline", 4), ("worker", 4), ("worker", 8)] {
        load_run(mode, concurrency);
    }
}
