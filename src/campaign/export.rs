//! Results to take away: UTF-8 CSV with a header row, quoted where a field needs it (commas,
//! quotes, line breaks), accents as they are.

use std::io::Write;

pub const LEAD_COLUMNS: &[&str] = &[
    "phone", "first_name", "last_name", "outcome", "score", "lead_class", "callback_when", "attempts", "last_call_at", "transcript_excerpt",
];

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
pub fn write_csv(out: impl Write, header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> Result<u64, String> {
    let mut writer = csv::WriterBuilder::new().from_writer(out);
    writer.write_record(header).map_err(|e| e.to_string())?;
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
