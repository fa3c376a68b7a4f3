//! Campaign state in PostgreSQL: campaigns and their status, contacts and the call queue, the
//! claim of due rows under a lease (several Asterisk nodes on one database never dial one contact
//! twice), reports and exports. Synchronous, on the caller's own connection: the dialer's thread
//! or a CLI command, never a channel thread.

use crate::campaign::contacts::ContactRow;
use crate::campaign::export::ExportRow;
use crate::campaign::rules::ContactHistory;
use chrono::{DateTime, Utc};
use postgres::Client;
use std::io::Write;

fn err(e: postgres::Error) -> String {
    super::db::error_chain(&e)
}

#[derive(Debug, Clone, PartialEq)]
pub struct Campaign {
    pub id: i64,
    pub name: String,
    pub status: String,
    pub company: String,
}

/// Creates campaign `name`; None: it exists already.
pub fn create(client: &mut Client, name: &str, company: &str) -> Result<Option<Campaign>, String> {
    let row = client
        .query_opt(
            "INSERT INTO campaigns (name, scenario, company) VALUES ($1, $1, $2) ON CONFLICT (name) DO NOTHING RETURNING id",
            &[&name, &company],
        )
        .map_err(err)?;
    match row {
        Some(_) => get(client, name)?.ok_or_else(|| "created, then not found".to_string()).map(Some),
        None => Ok(None),
    }
}

fn campaign(row: &postgres::Row) -> Campaign {
    Campaign { id: row.get(0), name: row.get(1), status: row.get(2), company: row.get(3) }
}

pub fn get(client: &mut Client, name: &str) -> Result<Option<Campaign>, String> {
    let row = client.query_opt("SELECT id, name, status, company FROM campaigns WHERE name = $1", &[&name]).map_err(err)?;
    Ok(row.as_ref().map(campaign))
}

/// What asking a campaign to change state came to.
#[derive(Debug, PartialEq)]
pub enum StatusChange {
    /// Done; the state it left.
    Moved(String),
    NoCampaign,
    /// Its state is not one the change starts from.
    NotFrom(String),
}

/// Moves a campaign to `to` if it is in one of `from`.
pub fn set_status(client: &mut Client, name: &str, from: &[&str], to: &str, company: &str) -> Result<StatusChange, String> {
    let mut tx = client.transaction().map_err(err)?;
    let current: Option<String> =
        tx.query_opt("SELECT status FROM campaigns WHERE name = $1 FOR UPDATE", &[&name]).map_err(err)?.map(|r| r.get(0));
    let Some(current) = current else { return Ok(StatusChange::NoCampaign) };
    if !from.contains(&current.as_str()) {
        return Ok(StatusChange::NotFrom(current));
    }
    tx.execute("UPDATE campaigns SET status = $2, company = $3, updated_at = now() WHERE name = $1", &[&name, &to, &company]).map_err(err)?;
    tx.commit().map_err(err)?;
    Ok(StatusChange::Moved(current))
}

pub fn running(client: &mut Client) -> Result<Vec<Campaign>, String> {
    let rows = client.query("SELECT id, name, status, company FROM campaigns WHERE status = 'running' ORDER BY id", &[]).map_err(err)?;
    Ok(rows.iter().map(campaign).collect())
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportCounts {
    /// Rows added to the campaign's queue.
    pub queued: u64,
    /// Lines whose number was already in this campaign.
    pub already_queued: Vec<u64>,
    /// Lines whose number is on the opt-out list.
    pub opted_out: Vec<u64>,
}

/// Adds contacts (updating names and zone of known numbers) and queues the new ones in the
/// campaign with their consent to it, in one transaction, through COPY (20,000 rows: ~0.4 s).
pub fn import_contacts(client: &mut Client, campaign_id: i64, rows: &[ContactRow]) -> Result<ImportCounts, String> {
    let mut tx = client.transaction().map_err(err)?;
    tx.batch_execute(
        "CREATE TEMP TABLE import_rows (line BIGINT, phone TEXT, first_name TEXT, last_name TEXT, consent BOOLEAN, timezone TEXT, fields TEXT)
         ON COMMIT DROP",
    )
    .map_err(err)?;
    {
        let mut sink = tx.copy_in("COPY import_rows FROM STDIN (FORMAT csv)").map_err(err)?;
        let mut csv = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
        for r in rows {
            let consent = if r.consent { "t" } else { "f" };
            let (first, last, zone) = (r.first_name.as_deref().unwrap_or(""), r.last_name.as_deref().unwrap_or(""), r.timezone.as_deref().unwrap_or(""));
            let fields = crate::campaign::contacts::fields_json(&r.fields);
            csv.write_record([r.line.to_string().as_str(), &r.phone, first, last, consent, zone, &fields]).map_err(|e| e.to_string())?;
        }
        let bytes = csv.into_inner().map_err(|e| e.to_string())?;
        sink.write_all(&bytes).map_err(|e| e.to_string())?;
        sink.finish().map_err(err)?;
    }
    let lines = |tx: &mut postgres::Transaction, sql: &str, params: &[&(dyn postgres::types::ToSql + Sync)]| -> Result<Vec<u64>, String> {
        Ok(tx.query(sql, params).map_err(err)?.iter().map(|r| r.get::<_, i64>(0) as u64).collect())
    };
    let opted_out = lines(
        &mut tx,
        "SELECT i.line FROM import_rows i WHERE EXISTS (SELECT 1 FROM do_not_call d WHERE d.phone = i.phone) ORDER BY i.line",
        &[],
    )?;
    let already_queued = lines(
        &mut tx,
        "SELECT i.line FROM import_rows i JOIN contacts c ON c.phone = i.phone
         JOIN call_queue q ON q.contact_id = c.id AND q.campaign_id = $1 ORDER BY i.line",
        &[&campaign_id],
    )?;
    tx.execute(
        // A number on the opt-out list is not stored again (an erased person stays erased).
        "INSERT INTO contacts (phone, first_name, last_name, timezone)
         SELECT phone, nullif(first_name, ''), nullif(last_name, ''), nullif(timezone, '') FROM import_rows i
         WHERE NOT EXISTS (SELECT 1 FROM do_not_call d WHERE d.phone = i.phone)
         ON CONFLICT (phone) DO UPDATE SET first_name = coalesce(EXCLUDED.first_name, contacts.first_name),
             last_name = coalesce(EXCLUDED.last_name, contacts.last_name), timezone = coalesce(EXCLUDED.timezone, contacts.timezone)",
        &[],
    )
    .map_err(err)?;
    let queued = tx
        .execute(
            "INSERT INTO call_queue (campaign_id, contact_id, consent)
             SELECT $1, c.id, i.consent FROM import_rows i JOIN contacts c ON c.phone = i.phone
             WHERE NOT EXISTS (SELECT 1 FROM do_not_call d WHERE d.phone = i.phone)
             ON CONFLICT (campaign_id, contact_id) DO NOTHING",
            &[&campaign_id],
        )
        .map_err(err)?;
    // The contact's own fields in this campaign: the file's, as they are now (a re-import
    // replaces them; another campaign's are its own).
    tx.execute(
        "UPDATE call_queue q SET fields = i.fields::jsonb FROM import_rows i JOIN contacts c ON c.phone = i.phone
         WHERE q.contact_id = c.id AND q.campaign_id = $1 AND q.fields IS DISTINCT FROM i.fields::jsonb",
        &[&campaign_id],
    )
    .map_err(err)?;
    tx.commit().map_err(err)?;
    Ok(ImportCounts { queued, already_queued, opted_out })
}

/// Numbers from an opposition list: blocked for every campaign at once; their pending rows close.
pub fn import_opt_outs(client: &mut Client, phones: &[String], reason: &str) -> Result<u64, String> {
    let mut tx = client.transaction().map_err(err)?;
    let added = tx
        .execute(
            "INSERT INTO do_not_call (phone, reason) SELECT DISTINCT unnest($1::TEXT[]), $2 ON CONFLICT (phone) DO NOTHING",
            &[&phones, &reason],
        )
        .map_err(err)?;
    tx.execute(
        "UPDATE call_queue q SET status = 'do_not_call', waiting_for = NULL FROM contacts c
         WHERE c.id = q.contact_id AND q.status = 'pending' AND c.phone = ANY($1)",
        &[&phones],
    )
    .map_err(err)?;
    tx.commit().map_err(err)?;
    Ok(added)
}

/// A due row this node now holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Due {
    pub queue_id: i64,
    pub contact_id: i64,
    pub phone: String,
    pub timezone: Option<String>,
    /// Attempts made before this one.
    pub attempts: i32,
    pub history: ContactHistory,
    /// Another campaign (or node) holds a row of the same person right now. Checked after the
    /// claim committed, so of two claims racing for one person at most one goes on: each sees
    /// the other's lease unless it looked before the other committed.
    pub called_elsewhere: bool,
    /// The contact's own fields (its file's other columns).
    pub fields: Vec<(String, String)>,
}

/// Leases up to `limit` due rows of a campaign to `node` (pending and due, or leased by a node
/// whose lease expired): `FOR UPDATE SKIP LOCKED` lets nodes claim side by side without waiting
/// on each other or taking the same row. Each comes with what the calling rules need.
pub fn claim(client: &mut Client, campaign: &Campaign, node: &str, limit: i64, lease_s: f64, per_days: i32) -> Result<Vec<Due>, String> {
    let ids: Vec<i64> = client
        .query(
            "WITH due AS (
                 SELECT id FROM call_queue
                 WHERE campaign_id = $1
                   AND ((status = 'pending' AND next_attempt_at <= now()) OR (status = 'leased' AND lease_expires_at < now()))
                   AND NOT EXISTS (SELECT 1 FROM call_queue o WHERE o.contact_id = call_queue.contact_id AND o.id <> call_queue.id
                                   AND o.status = 'leased' AND o.lease_expires_at >= now())
                 ORDER BY next_attempt_at, id
                 LIMIT $2
                 FOR UPDATE SKIP LOCKED)
             UPDATE call_queue q SET status = 'leased', lease_owner = $3, lease_expires_at = now() + make_interval(secs => $4)
             FROM due WHERE q.id = due.id
             RETURNING q.id",
            &[&campaign.id, &limit, &node, &lease_s],
        )
        .map_err(err)?
        .iter()
        .map(|r| r.get(0))
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = client
        .query(
            "SELECT q.id, c.id, c.phone, c.timezone, q.attempts, q.consent,
                    EXISTS (SELECT 1 FROM do_not_call d WHERE d.phone = c.phone),
                    ARRAY(SELECT k.ended_at FROM calls k LEFT JOIN campaigns p ON p.id = k.campaign_id
                          WHERE k.phone = c.phone AND (p.id IS NULL OR p.company = $2)
                            AND k.ended_at > now() - make_interval(days => $3) ORDER BY k.ended_at),
                    (SELECT max(k.ended_at) FROM calls k LEFT JOIN campaigns p ON p.id = k.campaign_id
                     WHERE k.phone = c.phone AND (p.id IS NULL OR p.company = $2) AND k.outcome = 'not_interested'),
                    EXISTS (SELECT 1 FROM call_queue o WHERE o.contact_id = q.contact_id AND o.id <> q.id
                            AND o.status = 'leased' AND o.lease_expires_at >= now()),
                    q.fields::TEXT
             FROM call_queue q JOIN contacts c ON c.id = q.contact_id
             WHERE q.id = ANY($1) ORDER BY q.next_attempt_at, q.id",
            &[&ids, &campaign.company, &per_days],
        )
        .map_err(err)?;
    Ok(rows
        .iter()
        .map(|r| Due {
            queue_id: r.get(0),
            contact_id: r.get(1),
            phone: r.get(2),
            timezone: r.get(3),
            attempts: r.get(4),
            history: ContactHistory {
                consent: r.get(5),
                opted_out: r.get(6),
                recent_calls: r.get::<_, Vec<std::time::SystemTime>>(7).into_iter().map(DateTime::<Utc>::from).collect(),
                last_refusal: r.get::<_, Option<std::time::SystemTime>>(8).map(DateTime::<Utc>::from),
            },
            called_elsewhere: r.get(9),
            fields: crate::campaign::contacts::fields_from_json(&r.get::<_, String>(10)),
        })
        .collect())
}

/// Gives a held row back, due again at `at` (a calling rule said not now), with the reason.
pub fn postpone(client: &mut Client, queue_id: i64, node: &str, at: DateTime<Utc>, why: &str) -> Result<(), String> {
    let at: std::time::SystemTime = at.into();
    client
        .execute(
            "UPDATE call_queue SET status = 'pending', next_attempt_at = $3, waiting_for = $4, lease_owner = NULL, lease_expires_at = NULL
             WHERE id = $1 AND lease_owner = $2 AND status = 'leased'",
            &[&queue_id, &node, &at, &why],
        )
        .map_err(err)?;
    Ok(())
}

/// Closes a held row whose number may never be called (opted out since it was queued).
pub fn close(client: &mut Client, queue_id: i64, node: &str, status: &str, why: &str) -> Result<(), String> {
    client
        .execute(
            "UPDATE call_queue SET status = $3, waiting_for = $4, lease_owner = NULL, lease_expires_at = NULL
             WHERE id = $1 AND lease_owner = $2 AND status = 'leased'",
            &[&queue_id, &node, &status, &why],
        )
        .map_err(err)?;
    Ok(())
}

/// Counts the attempt about to be dialed; returns its number (1 for the first), or None when
/// the row is no longer this node's.
pub fn start_attempt(client: &mut Client, queue_id: i64, node: &str) -> Result<Option<i32>, String> {
    let row = client
        .query_opt(
            "UPDATE call_queue SET attempts = attempts + 1, last_attempt_at = now(), waiting_for = NULL
             WHERE id = $1 AND lease_owner = $2 AND status = 'leased' RETURNING attempts",
            &[&queue_id, &node],
        )
        .map_err(err)?;
    Ok(row.map(|r| r.get(0)))
}

/// Keeps this node's leases on the rows it is dialing; others' expire when their node is gone.
pub fn renew(client: &mut Client, node: &str, queue_ids: &[i64], lease_s: f64) -> Result<u64, String> {
    if queue_ids.is_empty() {
        return Ok(0);
    }
    client
        .execute(
            "UPDATE call_queue SET lease_expires_at = now() + make_interval(secs => $3)
             WHERE id = ANY($2) AND lease_owner = $1 AND status = 'leased'",
            &[&node, &queue_ids, &lease_s],
        )
        .map_err(err)
}

/// One line per campaign: (name, status, contacts, pending, leased, done, closed, calls).
pub type Progress = (String, String, i64, i64, i64, i64, i64, i64);

pub fn progress(client: &mut Client) -> Result<Vec<Progress>, String> {
    let rows = client
        .query(
            "SELECT p.name, p.status, count(q.id), count(q.id) FILTER (WHERE q.status = 'pending'),
                    count(q.id) FILTER (WHERE q.status = 'leased'), count(q.id) FILTER (WHERE q.status = 'done'),
                    count(q.id) FILTER (WHERE q.status IN ('failed', 'do_not_call')),
                    (SELECT count(*) FROM calls k WHERE k.campaign = p.name)
             FROM campaigns p LEFT JOIN call_queue q ON q.campaign_id = p.id GROUP BY p.id ORDER BY p.id",
            &[],
        )
        .map_err(err)?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5), r.get(6), r.get(7))).collect())
}

/// (label, count) lists for a report.
pub type Counts = Vec<(String, i64)>;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub status: String,
    pub company: String,
    pub queue: Counts,
    pub outcomes: Counts,
    pub leads: Counts,
    /// Calls whose callee answered each step (not silence), by step name.
    pub steps: Counts,
    pub amd: Counts,
    pub calls: i64,
    pub answered: i64,
    /// Mean time from the end of the callee's speech to the intent (recognition + understanding).
    pub mean_turn_ms: Option<f64>,
    pub waiting: Counts,
}

pub fn report(client: &mut Client, name: &str) -> Result<Option<Report>, String> {
    let Some(campaign) = get(client, name)? else { return Ok(None) };
    let mut counts = |sql: &str, key: &(dyn postgres::types::ToSql + Sync)| -> Result<Counts, String> {
        Ok(client.query(sql, &[key]).map_err(err)?.iter().map(|r| (r.get::<_, Option<String>>(0).unwrap_or_default(), r.get(1))).collect())
    };
    let queue = counts("SELECT status, count(*) FROM call_queue WHERE campaign_id = $1 GROUP BY 1 ORDER BY 2 DESC", &campaign.id)?;
    let waiting = counts(
        "SELECT waiting_for, count(*) FROM call_queue WHERE campaign_id = $1 AND waiting_for IS NOT NULL GROUP BY 1 ORDER BY 2 DESC",
        &campaign.id,
    )?;
    let outcomes = counts("SELECT outcome, count(*) FROM calls WHERE campaign = $1 GROUP BY 1 ORDER BY 2 DESC", &name)?;
    let leads = counts(
        "SELECT lead_class, count(*) FROM calls WHERE campaign = $1 AND lead_class IS NOT NULL AND status <> 'NOTREACHED' GROUP BY 1 ORDER BY 2 DESC",
        &name,
    )?;
    let steps = counts(
        "SELECT v.step, count(DISTINCT v.call_key) FROM conversations v JOIN calls k ON k.call_key = v.call_key
         WHERE k.campaign = $1 AND NOT v.no_input GROUP BY 1",
        &name,
    )?;
    let amd = counts("SELECT amd_verdict, count(*) FROM calls WHERE campaign = $1 AND amd_verdict IS NOT NULL GROUP BY 1 ORDER BY 2 DESC", &name)?;
    let row = client
        .query_one(
            "SELECT count(*), count(answered_at),
                    (SELECT avg(coalesce(v.asr_ms, 0) + coalesce(v.intent_ms, 0))::FLOAT8 FROM conversations v JOIN calls k ON k.call_key = v.call_key
                     WHERE k.campaign = $1 AND NOT v.no_input AND v.asr_ms IS NOT NULL)
             FROM calls WHERE campaign = $1",
            &[&name],
        )
        .map_err(err)?;
    Ok(Some(Report {
        status: campaign.status,
        company: campaign.company,
        queue,
        outcomes,
        leads,
        steps,
        amd,
        calls: row.get(0),
        answered: row.get(1),
        mean_turn_ms: row.get(2),
        waiting,
    }))
}

/// The rows of an export: every call of the campaign, or its leads (the last qualified call of
/// each number), in the columns of [`crate::campaign::export::LEAD_COLUMNS`], with the contact's
/// own fields and the call's answers step by step.
pub fn export_rows(client: &mut Client, name: &str, leads_only: bool) -> Result<Vec<ExportRow>, String> {
    let filter = if leads_only { "AND k.lead_class IS NOT NULL AND k.lead_class <> 'not_qualified'" } else { "" };
    let distinct = if leads_only { "DISTINCT ON (k.phone)" } else { "" };
    let order = if leads_only { "k.phone, k.ended_at DESC" } else { "k.ended_at, k.id" };
    let sql = format!(
        "SELECT {distinct} coalesce(k.phone, ''), coalesce(c.first_name, ''), coalesce(c.last_name, ''), k.outcome,
                coalesce(k.score, 0)::TEXT, coalesce(k.lead_class, ''), coalesce(k.callback_when, ''),
                coalesce(k.attempt, q.attempts, 1)::TEXT, to_char(k.ended_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), k.transcript,
                coalesce(q.fields::TEXT, '{{}}'),
                coalesce((SELECT json_agg(json_build_array(v.step, v.intent, v.entities) ORDER BY v.turn) FROM conversations v
                          WHERE v.call_key = k.call_key)::TEXT, '[]')
         FROM calls k LEFT JOIN contacts c ON c.phone = k.phone LEFT JOIN call_queue q ON q.id = k.queue_id
         WHERE k.campaign = $1 {filter} ORDER BY {order}"
    );
    let rows = client.query(sql.as_str(), &[&name]).map_err(err)?;
    Ok(rows
        .iter()
        .map(|r| {
            let mut base: Vec<String> = (0..9).map(|i| r.get::<_, String>(i)).collect();
            base.push(crate::campaign::export::excerpt(&r.get::<_, String>(9)));
            let answers = match serde_json::from_str::<serde_json::Value>(&r.get::<_, String>(11)) {
                Ok(serde_json::Value::Array(turns)) => turns
                    .iter()
                    .map(|t| {
                        let entities = t[2].as_array().map_or_else(Vec::new, |e| e.iter().filter_map(|x| x.as_str().map(String::from)).collect());
                        (t[0].as_str().unwrap_or_default().to_string(), t[1].as_str().map(String::from), entities)
                    })
                    .collect(),
                _ => Vec::new(),
            };
            ExportRow { base, fields: crate::campaign::contacts::fields_from_json(&r.get::<_, String>(10)), answers }
        })
        .collect())
}
