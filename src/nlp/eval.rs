//! Accuracy of a classifier on a labelled file in the dev-set format:
//! `step<TAB>utterance<TAB>intent<TAB>entities` (entities comma-separated or `-`; `#` comments).
//! `step` is `campaign.step`, or a step of the demo campaign.

use crate::domain::Intent;
use std::collections::BTreeMap;
use std::fmt::Write;

#[derive(Debug, Clone)]
pub struct Example {
    pub step: String,
    pub utterance: String,
    pub intent: Intent,
    pub entities: Vec<String>,
    pub line: usize,
}

pub fn parse(text: &str) -> Result<Vec<Example>, String> {
    let mut examples = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() < 3 {
            return Err(format!("line {line_no}: expected step<TAB>utterance<TAB>intent[<TAB>entities]"));
        }
        let intent = Intent::parse(fields[2]).ok_or_else(|| format!("line {line_no}: unknown intent '{}'", fields[2]))?;
        let entities = match fields.get(3).map(|e| e.trim()) {
            None | Some("-") | Some("") => Vec::new(),
            Some(list) => list.split(',').map(|e| e.trim().to_string()).collect(),
        };
        examples.push(Example { step: fields[0].trim().into(), utterance: fields[1].trim().into(), intent, entities, line: line_no });
    }
    Ok(examples)
}

pub struct Outcome {
    pub predicted: Intent,
    pub entities: Vec<String>,
}

pub struct Report {
    pub correct: usize,
    pub total: usize,
    pub text: String,
    /// (expected, predicted) -> count.
    pub confusion: BTreeMap<(Intent, Intent), usize>,
}

impl Report {
    /// Of the examples labelled `intent`, the share predicted as such (None without any).
    pub fn recall(&self, intent: Intent) -> Option<f64> {
        let n: usize = self.confusion.iter().filter(|((want, _), _)| *want == intent).map(|(_, c)| c).sum();
        (n > 0).then(|| self.confusion.get(&(intent, intent)).copied().unwrap_or(0) as f64 / n as f64)
    }

    /// Of the examples predicted as `intent`, the share labelled so (None when never predicted).
    pub fn precision(&self, intent: Intent) -> Option<f64> {
        let n: usize = self.confusion.iter().filter(|((_, got), _)| *got == intent).map(|(_, c)| c).sum();
        (n > 0).then(|| self.confusion.get(&(intent, intent)).copied().unwrap_or(0) as f64 / n as f64)
    }
}

/// Scores `predict` on the examples: per-intent precision and recall, a confusion table, entity
/// accuracy, the misses, and a last line `accuracy: 0.NNN (N/M)`.
pub fn evaluate(examples: &[Example], mut predict: impl FnMut(&Example) -> Outcome) -> Report {
    let mut confusion: BTreeMap<(Intent, Intent), usize> = BTreeMap::new();
    let (mut correct, mut entity_ok, mut entity_total) = (0, 0, 0);
    let mut misses = String::new();
    for example in examples {
        let outcome = predict(example);
        *confusion.entry((example.intent, outcome.predicted)).or_default() += 1;
        if outcome.predicted == example.intent {
            correct += 1;
        } else {
            let _ = writeln!(misses, "  line {:>3} [{}] \"{}\": expected {}, got {}", example.line, example.step, example.utterance, example.intent, outcome.predicted);
        }
        if !example.entities.is_empty() {
            entity_total += 1;
            let mut want = example.entities.clone();
            let mut got = outcome.entities.clone();
            want.sort();
            got.sort();
            if want == got {
                entity_ok += 1;
            } else {
                let _ = writeln!(
                    misses,
                    "  line {:>3} [{}] \"{}\": entities expected {}, got {}",
                    example.line,
                    example.step,
                    example.utterance,
                    want.join(","),
                    if got.is_empty() { "-".to_string() } else { got.join(",") }
                );
            }
        }
    }
    let mut report = Report { correct, total: examples.len(), text: String::new(), confusion };
    let mut text = String::new();
    let _ = writeln!(text, "{:<18} {:>6} {:>9} {:>8}", "intent", "n", "precision", "recall");
    let shown = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.3}"));
    for intent in Intent::ALL {
        let n: usize = report.confusion.iter().filter(|((want, _), _)| *want == intent).map(|(_, c)| c).sum();
        let _ = writeln!(text, "{:<18} {:>6} {:>9} {:>8}", intent.as_str(), n, shown(report.precision(intent)), shown(report.recall(intent)));
    }
    let confusion = &report.confusion;
    let _ = writeln!(text, "\nconfusion (rows: expected, columns: predicted)");
    let short = |i: Intent| &i.as_str()[..i.as_str().len().min(8)];
    let _ = write!(text, "{:<18}", "");
    for predicted in Intent::ALL {
        let _ = write!(text, " {:>8}", short(predicted));
    }
    let _ = writeln!(text);
    for expected in Intent::ALL {
        let _ = write!(text, "{:<18}", expected.as_str());
        for predicted in Intent::ALL {
            let _ = write!(text, " {:>8}", confusion.get(&(expected, predicted)).copied().unwrap_or(0));
        }
        let _ = writeln!(text);
    }
    if entity_total > 0 {
        let _ = writeln!(text, "\nentities exact: {entity_ok}/{entity_total}");
    }
    if !misses.is_empty() {
        let _ = writeln!(text, "\nmisses:\n{misses}");
    }
    let total = examples.len();
    let _ = writeln!(text, "accuracy: {:.3} ({correct}/{total})", if total == 0 { 0.0 } else { correct as f64 / total as f64 });
    report.text = text;
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_dev_set_format() {
        let examples = parse("# c\nq1\tj'ai un livret a\tpositive\tlivret_a,pel\nhello\tvous êtes qui\tquestion\t-\n").unwrap();
        assert_eq!(examples.len(), 2);
        assert_eq!(examples[0].entities, ["livret_a", "pel"]);
        assert_eq!(examples[0].line, 2);
        assert!(parse("hello\tx\tmaybe\n").unwrap_err().contains("line 1"));
    }
}
