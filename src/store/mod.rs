//! Results in PostgreSQL, written by the store's own threads (never a media or channel thread),
//! fed by a bounded crossbeam channel, with the synchronous `postgres` driver. When PostgreSQL is
//! unreachable or a write fails, records go to an append-only spool file (one JSON line per call,
//! fsynced, keyed) and are replayed in order once the database is back. Writes are idempotent
//! (ON CONFLICT DO NOTHING on the call key), so a replay cut short by a crash is simply replayed.

pub mod record;
pub mod schema;

use crossbeam_channel::{bounded, RecvTimeoutError, Sender, TrySendError};
use parking_lot::Mutex;
use postgres::Client;
use record::CallRecord;
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, PartialEq)]
pub struct StoreConfig {
    /// libpq-style connection string: "host=... port=... user=... dbname=... sslmode=disable".
    pub url: String,
    /// Writer threads, each with its own connection (the pool).
    pub writers: usize,
    pub queue: usize,
    pub spool_path: String,
    /// How often an unreachable database is tried again.
    pub retry_ms: u64,
    /// With `sslmode=require` in the URL: check the server's certificate against the system's
    /// CAs (yes), or only encrypt, as libpq's `require` does (no).
    pub tls_verify: bool,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            url: String::new(),
            writers: 2,
            queue: 10_000,
            spool_path: "/var/spool/asterisk/minibot/results.spool".into(),
            retry_ms: 1000,
            tls_verify: true,
        }
    }
}

#[derive(Default)]
pub struct StoreStats {
    pub written: AtomicU64,
    pub spooled: AtomicU64,
    pub replayed: AtomicU64,
    pub corrupt: AtomicU64,
    pub failures: AtomicU64,
    pub dropped: AtomicU64,
    pub queued: AtomicU64,
}

struct Shared {
    config: StoreConfig,
    stats: StoreStats,
    connected: AtomicBool,
    /// Serializes spool appends and replays (order is the spool's order).
    spool: Mutex<()>,
}

pub struct Store {
    shared: Arc<Shared>,
    tx: Mutex<Option<Sender<CallRecord>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl Store {
    pub fn start(config: StoreConfig) -> Result<Store, String> {
        if let Some(dir) = Path::new(&config.spool_path).parent() {
            fs::create_dir_all(dir).map_err(|e| format!("spool directory {}: {e}", dir.display()))?;
        }
        let shared = Arc::new(Shared { config: config.clone(), stats: StoreStats::default(), connected: AtomicBool::new(false), spool: Mutex::new(()) });
        let (tx, rx) = bounded::<CallRecord>(config.queue.max(1));
        let mut threads = Vec::new();
        for i in 0..config.writers.clamp(1, 20) {
            let (rx, shared) = (rx.clone(), shared.clone());
            let handle = std::thread::Builder::new()
                .name(format!("minibot-db-{i}"))
                .spawn(move || writer(&shared, &rx))
                .map_err(|e| format!("cannot start a database writer: {e}"))?;
            threads.push(handle);
        }
        Ok(Store { shared, tx: Mutex::new(Some(tx)), threads: Mutex::new(threads) })
    }

    /// Hands a finished call to the writers. Never blocks: the queue holds `queue` calls.
    pub fn submit(&self, record: CallRecord) {
        let tx = self.tx.lock();
        let Some(tx) = tx.as_ref() else { return };
        match tx.try_send(record) {
            Ok(()) => {
                self.shared.stats.queued.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Full(record)) | Err(TrySendError::Disconnected(record)) => {
                self.shared.stats.dropped.fetch_add(1, Ordering::Relaxed);
                log::error!("database queue full: call {} not recorded", record.key);
            }
        }
    }

    pub fn connected(&self) -> bool {
        self.shared.connected.load(Ordering::Relaxed)
    }

    pub fn stats(&self) -> &StoreStats {
        &self.shared.stats
    }

    /// Lines waiting in the spool.
    pub fn spool_lines(&self) -> usize {
        File::open(&self.shared.config.spool_path).map(|f| BufReader::new(f).lines().count()).unwrap_or(0)
    }

    pub fn report(&self) -> String {
        let s = &self.shared.stats;
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        format!(
            "Database: {}\n  Queue depth:   {}\n  Spool:         {} line(s) in {}\n  Written:       {}\n  Spooled:       {}\n  Replayed:      {}\n  Corrupt spool lines skipped: {}\n  Write failures: {}\n  Dropped (queue full): {}\n",
            if self.connected() { "connected" } else { "NOT connected (results go to the spool)" },
            g(&s.queued).saturating_sub(g(&s.written) + g(&s.spooled)),
            self.spool_lines(),
            self.shared.config.spool_path,
            g(&s.written),
            g(&s.spooled),
            g(&s.replayed),
            g(&s.corrupt),
            g(&s.failures),
            g(&s.dropped),
        )
    }

    /// Stops taking calls, writes (or spools) what is queued, and waits for the writers.
    pub fn shutdown(&self) {
        self.tx.lock().take();
        for thread in self.threads.lock().drain(..) {
            let _ = thread.join();
        }
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Connects with a short timeout and brings the schema up to date. TLS when the URL says
/// `sslmode=require`; otherwise plain TCP (a local or private-network server), even if the server
/// offers TLS: unlike libpq's `prefer`, a failed certificate check never silently downgrades.
pub fn connect(url: &str, tls_verify: bool) -> Result<Client, String> {
    let url = if url.contains("connect_timeout") { url.to_string() } else { format!("{url} connect_timeout=2") };
    let mut client = if url.split_whitespace().any(|kv| kv == "sslmode=require") {
        let tls = native_tls::TlsConnector::builder()
            .danger_accept_invalid_certs(!tls_verify)
            .danger_accept_invalid_hostnames(!tls_verify)
            .build()
            .map_err(|e| format!("TLS: {e}"))?;
        Client::connect(&url, postgres_native_tls::MakeTlsConnector::new(tls))
    } else {
        Client::connect(&url, postgres::NoTls)
    }
    .map_err(|e| error_chain(&e))?;
    schema::migrate(&mut client).map_err(|e| format!("migration: {e}"))?;
    Ok(client)
}

/// The error with its causes ("error performing TLS handshake: certificate verify failed").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text += &format!(": {cause}");
        source = cause.source();
    }
    text
}

fn writer(shared: &Shared, rx: &crossbeam_channel::Receiver<CallRecord>) {
    let mut client: Option<Client> = None;
    // Connecting migrates: the schema is there from the module's load when the database is up.
    if let Err(e) = ensure_connected(shared, &mut client) {
        log::warn!("database not reachable at load ({e}): results will be spooled until it is");
    }
    let retry = Duration::from_millis(shared.config.retry_ms);
    loop {
        match rx.recv_timeout(retry) {
            Ok(record) => {
                // Order: once anything waits in the spool, new calls queue up behind it.
                let spool_pending = Path::new(&shared.config.spool_path).exists();
                if !spool_pending {
                    match write(shared, &mut client, &record) {
                        Ok(()) => {
                            shared.stats.written.fetch_add(1, Ordering::Relaxed);
                            continue;
                        }
                        Err(e) => log::warn!("database write of {} failed ({e}): spooled", record.key),
                    }
                }
                if let Err(e) = spool(shared, &record) {
                    log::error!("cannot spool call {}: {e}", record.key);
                }
                replay(shared, &mut client);
            }
            Err(RecvTimeoutError::Timeout) => replay(shared, &mut client),
            Err(RecvTimeoutError::Disconnected) => {
                replay(shared, &mut client);
                return;
            }
        }
    }
}

fn ensure_connected(shared: &Shared, client: &mut Option<Client>) -> Result<(), String> {
    if client.as_ref().is_some_and(|c| !c.is_closed()) {
        return Ok(());
    }
    *client = None;
    match connect(&shared.config.url, shared.config.tls_verify) {
        Ok(c) => {
            *client = Some(c);
            shared.connected.store(true, Ordering::Relaxed);
            Ok(())
        }
        Err(e) => {
            shared.connected.store(false, Ordering::Relaxed);
            shared.stats.failures.fetch_add(1, Ordering::Relaxed);
            Err(e)
        }
    }
}

fn write(shared: &Shared, client: &mut Option<Client>, record: &CallRecord) -> Result<(), String> {
    ensure_connected(shared, client)?;
    let result = insert(client.as_mut().expect("connected above"), record);
    if let Err(e) = &result {
        shared.stats.failures.fetch_add(1, Ordering::Relaxed);
        shared.connected.store(false, Ordering::Relaxed);
        *client = None;
        return Err(e.to_string());
    }
    Ok(())
}

fn timestamp(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64)
}

fn insert(client: &mut Client, r: &CallRecord) -> Result<(), postgres::Error> {
    let mut tx = client.transaction()?;
    let answered = (r.answered_at_ms > 0).then(|| timestamp(r.answered_at_ms));
    tx.execute(
        "INSERT INTO calls (call_key, uniqueid, channel, campaign, campaign_id, phone, answered_at, ended_at, status, outcome,
                            score, lead_class, reasons, callback_when, transcript)
         VALUES ($1, $2, $3, $4, (SELECT id FROM campaigns WHERE name = $4), $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (call_key) DO NOTHING",
        &[
            &r.key,
            &r.uniqueid,
            &r.channel,
            &r.campaign,
            &r.phone,
            &answered,
            &timestamp(r.ended_at_ms),
            &r.status,
            &r.outcome,
            &r.score,
            &r.lead_class,
            &r.reasons,
            &r.callback_when,
            &r.transcript(),
        ],
    )?;
    for (i, t) in r.turns.iter().enumerate() {
        tx.execute(
            "INSERT INTO conversations (call_key, turn, step, text, intent, confidence, entities, sentiment, tier, asr_ms,
                                        intent_ms, barge_in, dtmf, no_input, at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
             ON CONFLICT (call_key, turn) DO NOTHING",
            &[
                &r.key,
                &(i as i32),
                &t.step,
                &t.text,
                &t.intent,
                &t.confidence,
                &t.entities,
                &t.sentiment,
                &t.tier,
                &t.asr_ms,
                &t.intent_ms,
                &t.barge_in,
                &t.dtmf,
                &t.no_input,
                &t.at_ms,
            ],
        )?;
    }
    if r.outcome == "do_not_call" {
        if let Some(phone) = &r.phone {
            tx.execute(
                "INSERT INTO do_not_call (phone, reason, source_call) VALUES ($1, 'asked during a call', $2) ON CONFLICT (phone) DO NOTHING",
                &[phone, &r.key],
            )?;
        }
    }
    tx.commit()
}

fn spool(shared: &Shared, record: &CallRecord) -> std::io::Result<()> {
    let _guard = shared.spool.lock();
    let mut file = OpenOptions::new().create(true).append(true).open(&shared.config.spool_path)?;
    writeln!(file, "{}", record.to_json())?;
    file.sync_data()?;
    shared.stats.spooled.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

/// Replays the spool in order while the database takes it. A corrupt line is reported, moved to
/// `<spool>.rejected`, and skipped; the lines after it are kept.
fn replay(shared: &Shared, client: &mut Option<Client>) {
    let path = PathBuf::from(&shared.config.spool_path);
    if !path.exists() {
        return;
    }
    let Some(_guard) = shared.spool.try_lock() else { return }; // another writer replays
    let Ok(file) = File::open(&path) else { return };
    let lines: Vec<String> = BufReader::new(file).lines().map_while(Result::ok).collect();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let parsed = serde_json::from_str::<serde_json::Value>(line).map_err(|e| e.to_string()).and_then(|v| CallRecord::from_json(&v));
        match parsed {
            Err(e) => {
                shared.stats.corrupt.fetch_add(1, Ordering::Relaxed);
                log::error!("{} line {}: corrupt spool record skipped ({e}); kept in {}.rejected", path.display(), i + 1, path.display());
                if let Ok(mut rejected) = OpenOptions::new().create(true).append(true).open(path.with_extension("spool.rejected")) {
                    let _ = writeln!(rejected, "{line}");
                }
            }
            Ok(record) => {
                if write(shared, client, &record).is_err() {
                    // Keep this line and the rest, in order, for the next try.
                    let rest = lines[i..].join("\n") + "\n";
                    let tmp = path.with_extension("spool.tmp");
                    let written = fs::write(&tmp, rest).and_then(|()| File::open(&tmp)?.sync_all()).and_then(|()| fs::rename(&tmp, &path));
                    if let Err(e) = written {
                        log::error!("cannot rewrite the spool {}: {e}", path.display());
                    }
                    return;
                }
                shared.stats.replayed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    let _ = fs::remove_file(&path);
    log::info!("spool {} replayed into the database", path.display());
}
