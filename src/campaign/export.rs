//! Results to take away: UTF-8 CSV with a header row, quoted where a field needs it (commas,
//! quotes, line breaks), accents as they are.

use std::io::Write;

pub const LEAD_COLUMNS: &[&str] = &[
    "phone", "first_name", "last_name", "outcome", "score", "lead_class", "callback_when", "attempts", "last_call_at", "transcript_excerpt",
];

/// A call as exported: the [`LEAD_COLUMNS`], its contact's own fields, and what it answered at
/// each step (step, intent, entities named), in the order of the turns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportRow {
    pub base: Vec<String>,
    pub fields: Vec<(String, String)>,
    pub answers: Vec<(String, Option<String>, Vec<String>)>,
}

/// The header and rows of an export: the lead columns, then one column per contact field found
/// in the rows (prefixed `contact_` where the name is taken), then one per labelled step
/// (`labels`: (step, label) in the campaign's order) holding that step's answer: the entities it
/// named ("owner", "livret_a+pel"), else its intent.
pub fn table(rows: Vec<ExportRow>, labels: &[(String, String)]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut field_names: Vec<&str> = rows.iter().flat_map(|r| r.fields.iter().map(|(n, _)| n.as_str())).collect();
    field_names.sort();
    field_names.dedup();
    let taken = |name: &str| LEAD_COLUMNS.contains(&name) || labels.iter().any(|(_, l)| l == name);
    let mut header: Vec<String> = LEAD_COLUMNS.iter().map(|c| c.to_string()).collect();
    header.extend(field_names.iter().map(|n| if taken(n) { format!("contact_{n}") } else { n.to_string() }));
    header.extend(labels.iter().map(|(_, label)| label.clone()));
    // Every column named once (a field `contact_score` beside a taken `score`, a label `outcome`).
    let mut seen = std::collections::HashSet::new();
    for name in header.iter_mut() {
        let base = name.clone();
        let mut n = 1;
        while !seen.insert(name.clone()) {
            n += 1;
            *name = format!("{base}_{n}");
        }
    }
    let table = rows
        .iter()
        .map(|row| {
            let mut out = row.base.clone();
            out.extend(field_names.iter().map(|n| row.fields.iter().find(|(f, _)| f == n).map_or(String::new(), |(_, v)| v.clone())));
            for (step, _) in labels {
                // The step's last understood answer (a reprompted step answers once).
                let answer = row.answers.iter().rev().find(|(s, intent, _)| s == step && intent.is_some());
                out.push(match answer {
                    Some((_, _, entities)) if !entities.is_empty() => entities.join("+"),
                    Some((_, intent, _)) => intent.clone().unwrap_or_default(),
                    None => String::new(),
                });
            }
            out
        })
        .collect();
    (header, table)
}

/// Longest transcript excerpt kept in an export row, in characters.
pub const EXCERPT_CHARS: usize = 300;

/// The first characters of a transcript on one line ("[q1] ... -> ... | [q2] ...").
pub fn excerpt(transcript: &str) -> String {
    let one_line = transcript.lines().collect::<Vec<_>>().join(" | ");
    if one_line.chars().count() <= EXCERPT_CHARS {
        return one_line;
    }
    let cut: String = one_line.chars().take(EXCERPT_CHARS).collect();
    format!("{cut}...")
}

/// Writes the header and the rows; returns the number of rows.
pub fn write_csv<S: AsRef<str>>(out: impl Write, header: &[S], rows: impl IntoIterator<Item = Vec<String>>) -> Result<u64, String> {
    let mut writer = csv::WriterBuilder::new().from_writer(out);
    writer.write_record(header.iter().map(|h| h.as_ref())).map_err(|e| e.to_string())?;
    let mut count = 0;
    for row in rows {
        writer.write_record(&row).map_err(|e| e.to_string())?;
        count += 1;
    }
    writer.flush().map_err(|e| e.to_string())?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_fields_and_each_labelled_answer_get_their_columns() {
        let answer = |step: &str, intent: Option<&str>, entities: &[&str]| (step.to_string(), intent.map(String::from), entities.iter().map(|e| e.to_string()).collect());
        let rows = vec![
            ExportRow {
                base: vec!["+33612345678".into()],
                fields: vec![("agence".into(), "Lyon".into()), ("crm_id".into(), "C1".into()), ("score".into(), "A".into())],
                answers: vec![answer("occupancy", None, &[]), answer("occupancy", Some("positive"), &["owner"]), answer("bills", Some("negative"), &[])],
            },
            ExportRow { base: vec!["+33612345679".into()], fields: vec![("agence".into(), "Paris".into())], answers: vec![answer("heating", Some("positive"), &["gas", "wood"])] },
        ];
        let labels = [("occupancy".to_string(), "occupancy".to_string()), ("heating".into(), "heating".into()), ("bills".into(), "worried about bills".into())];
        let (header, table) = table(rows, &labels);
        assert_eq!(&header[LEAD_COLUMNS.len()..], ["agence", "crm_id", "contact_score", "occupancy", "heating", "worried about bills"]);
        assert_eq!(&table[0][1..], ["Lyon", "C1", "A", "owner", "", "negative"]);
        assert_eq!(&table[1][1..], ["Paris", "", "", "", "gas+wood", ""]);
        // Names taken twice are told apart.
        let clash = vec![ExportRow { base: vec![], fields: vec![("score".into(), "A".into()), ("contact_score".into(), "B".into())], answers: vec![] }];
        let (header, _) = super::table(clash, &[("q".to_string(), "outcome".to_string())]);
        assert_eq!(&header[LEAD_COLUMNS.len()..], ["contact_score", "contact_score_2", "outcome_2"]);
    }

    #[test]
    fn quotes_what_needs_quoting_and_reads_back() {
        let rows = vec![vec!["+33612345678".to_string(), "Zoé".into(), "Martin, \"le grand\"".into(), "ligne\nsuivante".into()]];
        let mut out = Vec::new();
        assert_eq!(write_csv(&mut out, &["phone", "first", "last", "note"], rows.clone()).unwrap(), 1);
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("phone,first,last,note\n"));
        assert!(text.contains("\"Martin, \"\"le grand\"\"\""), "{text}");
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let back: Vec<String> = reader.records().next().unwrap().unwrap().iter().map(str::to_string).collect();
        assert_eq!(back, rows[0]);
        assert_eq!(excerpt("[q1] a -> b\n[q2] c -> d"), "[q1] a -> b | [q2] c -> d");
        assert!(excerpt(&"é".repeat(1000)).ends_with("..."));
    }
}
