//! Personal data and the GDPR: a retention period after which what callees said (transcripts and
//! turns) is purged, the right to erasure (`forget`: everything about a number, which then goes
//! on the opt-out list so it is never called again), and the right of access (`export`).
//! Synchronous, on the caller's connection: the purge thread or a CLI command.

use postgres::Client;
use serde_json::{json, Value};

fn err(e: postgres::Error) -> String {
    super::db::error_chain(&e)
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Purged {
    /// Calls whose transcript was blanked.
    pub calls: u64,
    /// Turns deleted.
    pub turns: u64,
}

/// Blanks the transcripts and deletes the turns of calls that ended more than `days` ago; the
/// call rows stay (outcome, score, times: the campaign's statistics, without what was said).
pub fn purge(client: &mut Client, days: u32) -> Result<Purged, String> {
    let days = days as i32;
    let mut tx = client.transaction().map_err(err)?;
    let turns = tx
        .execute(
            "DELETE FROM conversations v USING calls k
             WHERE v.call_key = k.call_key AND k.ended_at < now() - make_interval(days => $1)",
            &[&days],
        )
        .map_err(err)?;
    let calls = tx
        .execute(
            "UPDATE calls SET transcript = '', reasons = '{}', callback_when = NULL
             WHERE ended_at < now() - make_interval(days => $1) AND (transcript <> '' OR reasons <> '{}')",
            &[&days],
        )
        .map_err(err)?;
    tx.commit().map_err(err)?;
    Ok(Purged { calls, turns })
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Forgotten {
    pub calls: u64,
    pub turns: u64,
    pub queue_rows: u64,
    pub contacts: u64,
}

/// Erases everything held about `phone` (E.164): turns, calls, queue rows, the contact; then puts
/// the number on the opt-out list (the one thing kept: without it the number would be called again).
pub fn forget(client: &mut Client, phone: &str) -> Result<Forgotten, String> {
    let mut tx = client.transaction().map_err(err)?;
    let turns = tx
        .execute("DELETE FROM conversations v USING calls k WHERE v.call_key = k.call_key AND k.phone = $1", &[&phone])
        .map_err(err)?;
    let calls = tx.execute("DELETE FROM calls WHERE phone = $1", &[&phone]).map_err(err)?;
    let queue_rows = tx
        .execute("DELETE FROM call_queue q USING contacts c WHERE q.contact_id = c.id AND c.phone = $1", &[&phone])
        .map_err(err)?;
    let contacts = tx.execute("DELETE FROM contacts WHERE phone = $1", &[&phone]).map_err(err)?;
    tx.execute(
        "INSERT INTO do_not_call (phone, reason) VALUES ($1, 'erasure requested (GDPR)')
         ON CONFLICT (phone) DO UPDATE SET reason = EXCLUDED.reason, source_call = NULL",
        &[&phone],
    )
    .map_err(err)?;
    tx.commit().map_err(err)?;
    Ok(Forgotten { calls, turns, queue_rows, contacts })
}

/// Everything held about `phone`, as one JSON document (right of access).
pub fn export(client: &mut Client, phone: &str) -> Result<Value, String> {
    let rows = |client: &mut Client, sql: &str| -> Result<Vec<Value>, String> {
        Ok(client
            .query(&format!("SELECT row_to_json(t)::TEXT FROM ({sql}) t"), &[&phone])
            .map_err(err)?
            .iter()
            .map(|r| serde_json::from_str::<Value>(&r.get::<_, String>(0)).unwrap_or(Value::Null))
            .collect())
    };
    let contact = rows(client, "SELECT phone, first_name, last_name, timezone, created_at FROM contacts WHERE phone = $1")?;
    let campaigns = rows(
        client,
        "SELECT p.name AS campaign, q.status, q.attempts, q.consent, q.next_attempt_at, q.last_outcome
         FROM call_queue q JOIN contacts c ON c.id = q.contact_id JOIN campaigns p ON p.id = q.campaign_id WHERE c.phone = $1",
    )?;
    let calls = rows(
        client,
        "SELECT k.campaign, k.dialed_at, k.answered_at, k.ended_at, k.outcome, k.score, k.lead_class, k.reasons, k.callback_when,
                k.amd_verdict, k.transcript,
                coalesce((SELECT json_agg(json_build_object('turn', v.turn, 'step', v.step, 'question', v.question, 'text', v.text,
                                                          'intent', v.intent, 'entities', v.entities) ORDER BY v.turn)
                          FROM conversations v WHERE v.call_key = k.call_key), '[]') AS turns
         FROM calls k WHERE k.phone = $1 ORDER BY k.ended_at",
    )?;
    let opt_out = rows(client, "SELECT reason, created_at FROM do_not_call WHERE phone = $1")?;
    Ok(json!({
        "phone": phone,
        "contact": contact.into_iter().next(),
        "campaigns": campaigns,
        "calls": calls,
        "opt_out": opt_out.into_iter().next(),
    }))
}
