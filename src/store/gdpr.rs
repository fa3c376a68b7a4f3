//! Personal data and the GDPR: a retention period after which what callees said (transcripts and
//! turns) is purged, the right to erasure (`forget`: everything about a number, which then goes
//! on the opt-out list so it is never called again), and the right of access (`export`).
//! Synchronous, on the caller's connection: the purge thread or a CLI command. Recordings are
//! deleted with their rows, and only files under the recording directory (a path in the database
//! is never enough to delete anything else).

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
    /// Recording files deleted.
    pub recordings: u64,
}

/// Deletes the recordings at `paths` (those under `dir` only). Returns how many files were
/// deleted and the paths now gone (deleted, or already missing); the others are left, logged.
pub fn delete_recordings(paths: &[String], dir: &str) -> Result<(u64, Vec<String>), String> {
    let dir = std::path::Path::new(dir);
    let mut deleted = 0;
    let mut gone = Vec::new();
    for path in paths {
        let file = std::path::Path::new(path);
        if !under(dir, file) {
            log::warn!("recording {path} is not under {}: left in place", dir.display());
            continue;
        }
        match std::fs::remove_file(file) {
            Ok(()) => deleted += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot delete the recording {path}: {e}")),
        }
        gone.push(path.clone());
    }
    Ok((deleted, gone))
}

/// A .wav file under the recording directory (no `..` to climb out of it).
fn under(dir: &std::path::Path, file: &std::path::Path) -> bool {
    !dir.as_os_str().is_empty()
        && file.starts_with(dir)
        && file.extension().is_some_and(|e| e == "wav")
        && !file.components().any(|c| c == std::path::Component::ParentDir)
}

/// Blanks the transcripts and deletes the turns of calls that ended more than `days` ago; the
/// call rows stay (outcome, score, times: the campaign's statistics, without what was said).
pub fn purge(client: &mut Client, days: u32, recordings_dir: &str) -> Result<Purged, String> {
    let days = i32::try_from(days.min(36_500)).expect("bounded");
    let mut tx = client.transaction().map_err(err)?;
    // Files first, inside the transaction: a failed deletion leaves the rows pointing at them,
    // and a file left in place (outside the recording directory) keeps its row's path.
    let paths: Vec<String> = tx
        .query(
            "SELECT recording_path FROM calls
             WHERE ended_at < now() - make_interval(days => $1) AND recording_path IS NOT NULL FOR UPDATE",
            &[&days],
        )
        .map_err(err)?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let (recordings, gone) = delete_recordings(&paths, recordings_dir)?;
    tx.execute("UPDATE calls SET recording_path = NULL WHERE recording_path = ANY($1)", &[&gone]).map_err(err)?;
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
             WHERE ended_at < now() - make_interval(days => $1) AND (transcript <> '' OR reasons <> '{}' OR callback_when IS NOT NULL)",
            &[&days],
        )
        .map_err(err)?;
    tx.commit().map_err(err)?;
    Ok(Purged { calls, turns, recordings })
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Forgotten {
    pub calls: u64,
    pub turns: u64,
    pub queue_rows: u64,
    pub contacts: u64,
    pub recordings: u64,
    /// The erased calls' channel uniqueids (their lines in the call log go too).
    pub call_ids: Vec<String>,
}

/// Refuses an erasure while a campaign holds a queue row of the number (a call ringing or in
/// progress, or its record not committed yet): what it writes would come back after the erasure.
pub fn refuse_while_dialed(client: &mut Client, phone: &str) -> Result<(), String> {
    let live: i64 = client
        .query_one(
            "SELECT count(*) FROM call_queue q JOIN contacts c ON c.id = q.contact_id
             WHERE c.phone = $1 AND q.status = 'leased' AND q.lease_expires_at > now()",
            &[&phone],
        )
        .map_err(err)?
        .get(0);
    if live > 0 {
        return Err("a campaign is calling this number right now: try again once the call has ended".into());
    }
    Ok(())
}

/// The person's recordings, wherever their rows point: under the recording directory as purge
/// does, and elsewhere (an older directory) when the file is a WAV recording (a RIFF/WAVE header
/// and the .wav name): a path in the database never deletes anything else.
pub fn delete_person_recordings(paths: &[String], dir: &str) -> Result<u64, String> {
    let (inside, outside): (Vec<String>, Vec<String>) = paths.iter().cloned().partition(|p| under(std::path::Path::new(dir), std::path::Path::new(p)));
    let (mut deleted, _) = delete_recordings(&inside, dir)?;
    for path in &outside {
        let file = std::path::Path::new(path);
        if !file.exists() {
            continue;
        }
        let is_recording = file.is_absolute()
            && file.extension().is_some_and(|e| e == "wav")
            && !file.components().any(|c| c == std::path::Component::ParentDir)
            && std::fs::symlink_metadata(file).is_ok_and(|m| m.file_type().is_file())
            && std::fs::File::open(file).and_then(|mut f| {
                let mut head = [0u8; 12];
                std::io::Read::read_exact(&mut f, &mut head).map(|()| &head[..4] == b"RIFF" && &head[8..] == b"WAVE")
            }).unwrap_or(false);
        if !is_recording {
            log::warn!("{path}: not a recording file, left in place");
            continue;
        }
        std::fs::remove_file(file).map_err(|e| format!("cannot delete the recording {path}: {e}"))?;
        deleted += 1;
    }
    Ok(deleted)
}

/// The dialer's contact ids of `phone` (to find its records where only the contact is named).
pub fn contact_ids(client: &mut Client, phone: &str) -> Result<Vec<i64>, String> {
    Ok(client.query("SELECT id FROM contacts WHERE phone = $1", &[&phone]).map_err(err)?.iter().map(|r| r.get(0)).collect())
}

/// Erases everything held about `phone` (E.164): turns, calls, queue rows, the contact; then puts
/// the number on the opt-out list (the one thing kept: without it the number would be called again).
pub fn forget(client: &mut Client, phone: &str, recordings_dir: &str) -> Result<Forgotten, String> {
    let mut tx = client.transaction().map_err(err)?;
    // A call in progress would write its record after the erasure: wait for it to end. The
    // person's queue rows are locked first, so no dialer (which skips locked rows) claims one
    // between this check and the commit.
    let calling = tx
        .query(
            "SELECT coalesce(q.status = 'leased' AND q.lease_expires_at > now(), false) FROM call_queue q
             JOIN contacts c ON c.id = q.contact_id WHERE c.phone = $1 FOR UPDATE OF q",
            &[&phone],
        )
        .map_err(err)?
        .iter()
        .any(|r| r.get::<_, bool>(0));
    if calling {
        return Err("a campaign is calling this number right now: try again once the call has ended".into());
    }
    // Every call of the person: by number, and by contact or queue row (a call row may carry
    // another spelling of the number, or none).
    let person = "SELECT k.call_key FROM calls k LEFT JOIN contacts c ON c.id = k.contact_id
                  LEFT JOIN call_queue q ON q.id = k.queue_id LEFT JOIN contacts qc ON qc.id = q.contact_id
                  WHERE k.phone = $1 OR c.phone = $1 OR qc.phone = $1";
    let paths: Vec<String> = tx
        .query(&format!("SELECT recording_path FROM calls WHERE call_key IN ({person}) AND recording_path IS NOT NULL"), &[&phone])
        .map_err(err)?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let call_ids: Vec<String> =
        tx.query(&format!("SELECT uniqueid FROM calls WHERE call_key IN ({person})"), &[&phone]).map_err(err)?.iter().map(|r| r.get(0)).collect();
    let recordings = delete_person_recordings(&paths, recordings_dir)?;
    let turns = tx.execute(&format!("DELETE FROM conversations WHERE call_key IN ({person})"), &[&phone]).map_err(err)?;
    let calls = tx.execute(&format!("DELETE FROM calls WHERE call_key IN ({person})"), &[&phone]).map_err(err)?;
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
    Ok(Forgotten { calls, turns, queue_rows, contacts, recordings, call_ids })
}

/// Everything held about `phone`, as one JSON document (right of access): every column, read in
/// one consistent snapshot.
pub fn export(client: &mut Client, phone: &str) -> Result<Value, String> {
    let mut tx = client.build_transaction().isolation_level(postgres::IsolationLevel::RepeatableRead).read_only(true).start().map_err(err)?;
    let mut rows = |sql: &str| -> Result<Vec<Value>, String> {
        Ok(tx
            .query(&format!("SELECT row_to_json(t)::TEXT FROM ({sql}) t"), &[&phone])
            .map_err(err)?
            .iter()
            .map(|r| serde_json::from_str::<Value>(&r.get::<_, String>(0)).unwrap_or(Value::Null))
            .collect())
    };
    let contact = rows("SELECT c.* FROM contacts c WHERE c.phone = $1")?;
    let campaigns = rows("SELECT p.name AS campaign, q.* FROM call_queue q JOIN contacts c ON c.id = q.contact_id JOIN campaigns p ON p.id = q.campaign_id WHERE c.phone = $1")?;
    let calls = rows(
        "SELECT k.*, coalesce((SELECT json_agg(row_to_json(v) ORDER BY v.turn) FROM conversations v WHERE v.call_key = k.call_key), '[]') AS turns
         FROM calls k LEFT JOIN contacts c ON c.id = k.contact_id WHERE k.phone = $1 OR c.phone = $1 ORDER BY k.ended_at",
    )?;
    let opt_out = rows("SELECT d.* FROM do_not_call d WHERE d.phone = $1")?;
    Ok(json!({
        "phone": phone,
        "contact": contact.into_iter().next(),
        "campaigns": campaigns,
        "calls": calls,
        "opt_out": opt_out.into_iter().next(),
    }))
}
