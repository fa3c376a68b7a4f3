//! `make eval FILE=some.tsv [LLM=http://host:port]`: accuracy per intent, a confusion table and the
//! misses of the local classifier on a labelled file, ending with `accuracy: 0.NNN (N/M)`.

use res_minibot::nlp::classifier::{classify, StepContext};
use res_minibot::nlp::eval::{evaluate, parse, Outcome};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: eval FILE.tsv");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(2)
    });
    let examples = parse(&text).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(2)
    });
    let mut timings = Vec::new();
    let report = evaluate(&examples, |e| {
        let started = Instant::now();
        let c = classify(StepContext::from_name(&e.step), &e.utterance);
        timings.push(started.elapsed().as_secs_f64() * 1e6);
        Outcome { predicted: c.intent, entities: c.entities.iter().map(|s| s.to_string()).collect() }
    });
    let summary = res_minibot::obs::metrics::summarize(&mut timings);
    println!("== local classifier on {path}");
    if let Some(s) = summary {
        println!("latency per utterance: median {:.1} us, p95 {:.1} us, max {:.1} us\n", s.median, s.p95, s.max);
    }
    print!("{}", report.text);
}
