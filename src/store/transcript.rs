//! One stored call and its turns, read back for `minibot show transcript` (and the live page).

use postgres::Client;

#[derive(Debug, Clone, PartialEq)]
pub struct StoredTurn {
    pub turn: i32,
    pub step: String,
    /// The step's question as the bot asked it ("" for none).
    pub question: String,
    pub text: String,
    pub intent: Option<String>,
    pub confidence: Option<f32>,
    pub tier: Option<String>,
    pub barge_in: bool,
    pub dtmf: Option<String>,
    pub no_input: bool,
    /// Milliseconds from the start of the conversation.
    pub at_ms: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredCall {
    pub call_key: String,
    pub campaign: String,
    pub phone: Option<String>,
    /// "YYYY-MM-DD HH:MM:SS" in the database's time zone.
    pub answered_at: Option<String>,
    pub duration_s: Option<f64>,
    pub status: String,
    pub outcome: String,
    pub score: i32,
    pub lead_class: String,
    pub recording: Option<String>,
    pub turns: Vec<StoredTurn>,
}

/// The call named by its key (node/uniqueid), its uniqueid or its row id; None when unknown.
pub fn read(client: &mut Client, call: &str) -> Result<Option<StoredCall>, String> {
    let err = |e: postgres::Error| super::db::error_chain(&e);
    let row = client
        .query_opt(
            "SELECT call_key, campaign, phone, to_char(answered_at, 'YYYY-MM-DD HH24:MI:SS'),
                    extract(epoch FROM ended_at - answered_at)::float8, status, outcome, score, lead_class, recording_path
             FROM calls WHERE call_key = $1 OR uniqueid = $1 OR id::text = $1
             ORDER BY ended_at DESC LIMIT 1",
            &[&call],
        )
        .map_err(err)?;
    let Some(row) = row else { return Ok(None) };
    let call_key: String = row.get(0);
    let turns = client
        .query(
            "SELECT v.turn, v.step, coalesce(v.question, ''), v.text, v.intent, v.confidence, v.tier, v.barge_in, v.dtmf, v.no_input, v.at_ms
             FROM conversations v WHERE v.call_key = $1 ORDER BY v.turn",
            &[&call_key],
        )
        .map_err(err)?
        .iter()
        .map(|t| StoredTurn {
            turn: t.get(0),
            step: t.get(1),
            question: t.get(2),
            text: t.get(3),
            intent: t.get(4),
            confidence: t.get(5),
            tier: t.get(6),
            barge_in: t.get(7),
            dtmf: t.get(8),
            no_input: t.get(9),
            at_ms: t.get(10),
        })
        .collect();
    Ok(Some(StoredCall {
        call_key,
        campaign: row.get(1),
        phone: row.get(2),
        answered_at: row.get(3),
        duration_s: row.get(4),
        status: row.get(5),
        outcome: row.get(6),
        score: row.get(7),
        lead_class: row.get(8),
        recording: row.get(9),
        turns,
    }))
}

fn offset(ms: i64) -> String {
    let ms = ms.max(0);
    format!("+{:02}:{:02}.{}", ms / 60_000, ms / 1000 % 60, ms % 1000 / 100)
}

/// The transcript as the CLI prints it: the call, then one line per speaker and turn.
pub fn format(call: &StoredCall, show_phone: impl Fn(&str) -> String) -> String {
    let mut out = format!(
        "Call {} (campaign {}, callee {}, answered {}, {})\n  Result: {}, {}, score {} ({})\n  Recording: {}\n",
        call.call_key,
        call.campaign,
        call.phone.as_deref().map_or_else(|| "unknown".into(), show_phone),
        call.answered_at.as_deref().unwrap_or("-"),
        call.duration_s.map_or_else(|| "-".into(), |s| format!("{s:.0} s")),
        call.status,
        call.outcome,
        call.score,
        call.lead_class,
        call.recording.as_deref().unwrap_or("none"),
    );
    if call.turns.is_empty() {
        out += "  (no turns: nothing was said, or the transcript was purged)\n";
    }
    for t in &call.turns {
        if !t.question.is_empty() {
            out += &format!("  {:<9} bot     [{}] {}\n", "", t.step, t.question);
        }
        let said = if t.no_input {
            "(silence)".to_string()
        } else if let Some(digit) = &t.dtmf {
            format!("(key {digit})")
        } else {
            t.text.clone()
        };
        let understood = match (&t.intent, t.confidence, &t.tier) {
            (Some(i), Some(c), Some(tier)) => format!("  -> {i} {c:.2} ({tier})"),
            (Some(i), _, _) => format!("  -> {i}"),
            _ => String::new(),
        };
        let barge = if t.barge_in { " [barge-in]" } else { "" };
        out += &format!("  {:<9} callee  [{}] {said}{understood}{barge}\n", offset(t.at_ms), t.step);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transcript_reads_as_a_dialogue() {
        let call = StoredCall {
            call_key: "n1/1.2".into(),
            campaign: "demo".into(),
            phone: Some("+33612345678".into()),
            answered_at: Some("2026-11-26 10:00:00".into()),
            duration_s: Some(42.4),
            status: "SUCCESS".into(),
            outcome: "appointment".into(),
            score: 80,
            lead_class: "hot".into(),
            recording: None,
            turns: vec![
                StoredTurn {
                    turn: 1, step: "hello".into(), question: "Avez-vous deux minutes ?".into(), text: "oui".into(),
                    intent: Some("positive".into()), confidence: Some(0.93), tier: Some("local".into()), barge_in: true,
                    dtmf: None, no_input: false, at_ms: 65_432,
                },
                StoredTurn {
                    turn: 2, step: "q1".into(), question: String::new(), text: String::new(), intent: None, confidence: None,
                    tier: None, barge_in: false, dtmf: None, no_input: true, at_ms: 70_000,
                },
            ],
        };
        let text = format(&call, |p| format!("masked({})", p.len()));
        assert!(text.contains("callee masked(12)"), "{text}");
        assert!(text.contains("bot     [hello] Avez-vous deux minutes ?"), "{text}");
        assert!(text.contains("+01:05.4  callee  [hello] oui  -> positive 0.93 (local) [barge-in]"), "{text}");
        assert!(text.contains("[q1] (silence)"), "{text}");
        assert!(text.contains("Recording: none"));
    }
}
