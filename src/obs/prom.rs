//! Prometheus text exposition (format 0.0.4): counters and histograms with labels, recorded where
//! things happen, and gauges/counters collected from the module's own state at scrape time.
//! Names follow Prometheus's conventions: base units in the name (`_seconds`), `_total` counters.

use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Counters by label values (in the order of `labels`).
pub struct CounterVec {
    pub name: &'static str,
    pub help: &'static str,
    pub labels: &'static [&'static str],
    values: Mutex<BTreeMap<Vec<String>, u64>>,
}

impl CounterVec {
    pub const fn new(name: &'static str, help: &'static str, labels: &'static [&'static str]) -> CounterVec {
        CounterVec { name, help, labels, values: Mutex::new(BTreeMap::new()) }
    }

    pub fn inc(&self, values: &[&str]) {
        *self.values.lock().entry(values.iter().map(|v| v.to_string()).collect()).or_default() += 1;
    }

    fn reset(&self) {
        self.values.lock().clear();
    }

    pub fn render(&self, out: &mut String) {
        header(out, self.name, self.help, "counter");
        for (values, n) in self.values.lock().iter() {
            let _ = writeln!(out, "{}{} {n}", self.name, label_set(self.labels, values, None));
        }
    }
}

#[derive(Clone, Default)]
struct Series {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

/// Histograms by label values; `bounds` are the buckets' upper bounds, ascending.
pub struct HistogramVec {
    pub name: &'static str,
    pub help: &'static str,
    pub labels: &'static [&'static str],
    pub bounds: &'static [f64],
    values: Mutex<BTreeMap<Vec<String>, Series>>,
}

impl HistogramVec {
    pub const fn new(name: &'static str, help: &'static str, labels: &'static [&'static str], bounds: &'static [f64]) -> HistogramVec {
        HistogramVec { name, help, labels, bounds, values: Mutex::new(BTreeMap::new()) }
    }

    fn reset(&self) {
        self.values.lock().clear();
    }

    pub fn observe(&self, values: &[&str], value: f64) {
        let mut all = self.values.lock();
        let series = all.entry(values.iter().map(|v| v.to_string()).collect()).or_insert_with(|| Series { counts: vec![0; self.bounds.len()], ..Series::default() });
        if let Some(i) = self.bounds.iter().position(|b| value <= *b) {
            series.counts[i] += 1;
        }
        series.sum += value;
        series.count += 1;
    }

    /// All label sets together: the count in each bucket (not cumulative; the last is above the
    /// highest bound), the number of observations and their sum.
    pub fn merged(&self) -> (Vec<u64>, u64, f64) {
        let mut buckets = vec![0u64; self.bounds.len() + 1];
        let (mut count, mut sum) = (0, 0.0);
        for s in self.values.lock().values() {
            for (total, n) in buckets.iter_mut().zip(&s.counts) {
                *total += n;
            }
            buckets[self.bounds.len()] += s.count - s.counts.iter().sum::<u64>();
            count += s.count;
            sum += s.sum;
        }
        (buckets, count, sum)
    }

    pub fn render(&self, out: &mut String) {
        header(out, self.name, self.help, "histogram");
        for (values, s) in self.values.lock().iter() {
            let mut cumulative = 0;
            for (bound, n) in self.bounds.iter().zip(&s.counts) {
                cumulative += n;
                let _ = writeln!(out, "{}_bucket{} {cumulative}", self.name, label_set(self.labels, values, Some(&format_number(*bound))));
            }
            let _ = writeln!(out, "{}_bucket{} {}", self.name, label_set(self.labels, values, Some("+Inf")), s.count);
            let _ = writeln!(out, "{}_sum{} {}", self.name, label_set(self.labels, values, None), format_number(s.sum));
            let _ = writeln!(out, "{}_count{} {}", self.name, label_set(self.labels, values, None), s.count);
        }
    }
}

pub fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {}", help.replace('\\', "\\\\").replace('\n', "\\n"));
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// One sample of a metric collected at scrape time (a gauge, or a counter kept elsewhere).
pub fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: f64) {
    let names: Vec<&str> = labels.iter().map(|(k, _)| *k).collect();
    let values: Vec<String> = labels.iter().map(|(_, v)| v.to_string()).collect();
    let _ = writeln!(out, "{name}{} {}", label_set(&names, &values, None), format_number(value));
}

fn label_set(names: &[&str], values: &[String], le: Option<&str>) -> String {
    let mut pairs: Vec<String> = names.iter().zip(values).map(|(k, v)| format!("{k}=\"{}\"", escape(v))).collect();
    if let Some(le) = le {
        pairs.push(format!("le=\"{le}\""));
    }
    if pairs.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", pairs.join(","))
    }
}

fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn format_number(v: f64) -> String {
    if v.is_infinite() {
        if v > 0.0 { "+Inf".into() } else { "-Inf".into() }
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Buckets for latencies a caller hears (seconds).
pub const REACTION_BUCKETS: &[f64] = &[0.1, 0.2, 0.25, 0.3, 0.4, 0.45, 0.6, 0.8, 1.0, 1.5, 2.0, 3.0, 5.0];
/// Buckets for the silence after which a turn is declared over (seconds).
pub const SILENCE_BUCKETS: &[f64] = &[0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.6, 0.8, 1.0];
pub const ASR_BUCKETS: &[f64] = &[0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 5.0];
pub const LLM_BUCKETS: &[f64] = &[0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0];

/// What the module records as it happens.
pub struct Recorded {
    pub calls_ended: CounterVec,
    pub leads: CounterVec,
    pub reaction: HistogramVec,
    pub asr_final: HistogramVec,
    pub llm_request: HistogramVec,
    pub barge_ins: CounterVec,
    pub amd_verdicts: CounterVec,
    pub late_results: CounterVec,
    pub turn_ends: CounterVec,
    pub turn_end_silence: HistogramVec,
    pub turn_checks: CounterVec,
    pub repairs: CounterVec,
    pub opt_outs_asked_back: CounterVec,
}

pub static RECORDED: Recorded = Recorded {
    // `campaign` is bounded: MiniBot() runs only the campaigns the scenario file configures.
    calls_ended: CounterVec::new("minibot_call_outcomes_total", "Calls MiniBot() ran to a result, by campaign, outcome and MINIBOTSTATUS.", &["campaign", "outcome", "status"]),
    leads: CounterVec::new("minibot_leads_total", "Calls by campaign and lead class (not_qualified included).", &["campaign", "class"]),
    reaction: HistogramVec::new(
        "minibot_turn_reaction_seconds",
        "From the callee's last voiced frame to the start of the bot's next prompt, by campaign and the tier that understood the turn.",
        &["campaign", "tier"],
        REACTION_BUCKETS,
    ),
    asr_final: HistogramVec::new("minibot_asr_final_seconds", "From the end of a speech turn to the recognizer's final result.", &[], ASR_BUCKETS),
    llm_request: HistogramVec::new("minibot_llm_request_seconds", "LLM requests, from submission to answer or failure.", &["result"], LLM_BUCKETS),
    barge_ins: CounterVec::new("minibot_barge_ins_total", "Prompts stopped by the callee, by what stopped them.", &["by"]),
    amd_verdicts: CounterVec::new("minibot_amd_verdicts_total", "Answering-machine verdicts and the evidence that decided them.", &["verdict", "evidence"]),
    late_results: CounterVec::new(
        "minibot_late_results_total",
        "Turns understood after they were given up or after the callee hung up, by how they counted (answer, sticky, stored, last_words).",
        &["how"],
    ),
    turn_ends: CounterVec::new(
        "minibot_turn_ends_total",
        "Ends of turn decided from the words at a pause, by mode (adaptive: the reply started; shadow: only counted) and what the words said (complete, unsure, continuing).",
        &["mode", "ending"],
    ),
    turn_end_silence: HistogramVec::new(
        "minibot_turn_end_silence_seconds",
        "Silence after the callee's last voiced frame when the words at a pause ended the turn, by mode.",
        &["mode"],
        SILENCE_BUCKETS,
    ),
    turn_checks: CounterVec::new(
        "minibot_turn_checks_total",
        "Turns decided at a pause, checked against the final text: confirmed, corrected, kept, sticky, last_words; shadow_agreed, shadow_disagreed, shadow_cut in shadow mode; rejoined (the callee went on as the reply started: one answer), backchannel (only \"hm\" over a prompt: it resumed).",
        &["how"],
    ),
    repairs: CounterVec::new(
        "minibot_repairs_total",
        "Turns that were no answer: the callee asked to hear the question again (repeat: it was played again) or only hesitated (hesitation: the bot waited).",
        &["how"],
    ),
    opt_outs_asked_back: CounterVec::new(
        "minibot_opt_outs_asked_back_total",
        "Opt-outs the model was unsure of, by campaign: asked (the callee was asked whether calls may go on) and taken_back (they said yes: no opt-out). The others stood.",
        &["campaign", "answer"],
    ),
};

impl Recorded {
    /// A new load starts from zero, as the module's other counters do (the library may stay
    /// mapped across unload and load, with its statics).
    pub fn reset(&self) {
        for c in [&self.calls_ended, &self.leads, &self.barge_ins, &self.amd_verdicts, &self.late_results, &self.turn_ends, &self.turn_checks, &self.repairs, &self.opt_outs_asked_back] {
            c.reset();
        }
        for h in [&self.reaction, &self.asr_final, &self.llm_request, &self.turn_end_silence] {
            h.reset();
        }
    }

    pub fn render(&self, out: &mut String) {
        self.calls_ended.render(out);
        self.leads.render(out);
        self.reaction.render(out);
        self.asr_final.render(out);
        self.llm_request.render(out);
        self.barge_ins.render(out);
        self.late_results.render(out);
        self.turn_ends.render(out);
        self.turn_end_silence.render(out);
        self.turn_checks.render(out);
        self.repairs.render(out);
        self.opt_outs_asked_back.render(out);
        self.amd_verdicts.render(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_histograms_in_the_text_format() {
        let c = CounterVec::new("x_total", "Things \"quoted\".", &["kind"]);
        c.inc(&["a\"b"]);
        c.inc(&["a\"b"]);
        let h = HistogramVec::new("y_seconds", "Latency.", &["tier"], &[0.1, 1.0]);
        h.observe(&["local"], 0.0625);
        h.observe(&["local"], 0.5);
        h.observe(&["local"], 7.0);
        let mut out = String::new();
        c.render(&mut out);
        h.render(&mut out);
        sample(&mut out, "z_active", &[], 3.0);
        let expected = "# HELP x_total Things \"quoted\".\n# TYPE x_total counter\nx_total{kind=\"a\\\"b\"} 2\n\
                        # HELP y_seconds Latency.\n# TYPE y_seconds histogram\n\
                        y_seconds_bucket{tier=\"local\",le=\"0.1\"} 1\ny_seconds_bucket{tier=\"local\",le=\"1\"} 2\n\
                        y_seconds_bucket{tier=\"local\",le=\"+Inf\"} 3\ny_seconds_sum{tier=\"local\"} 7.5625\ny_seconds_count{tier=\"local\"} 3\n\
                        z_active 3\n";
        assert_eq!(out, expected);
    }
}
