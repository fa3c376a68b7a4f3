//! Results in PostgreSQL, written by the store's own threads (never a media or channel thread),
//! fed by a bounded crossbeam channel, with the synchronous `postgres` driver. When PostgreSQL is
//! unreachable or a write fails, records go to the spool (see `spool`) and are replayed in order
//! once the database is back. Writes are idempotent (ON CONFLICT DO NOTHING on the call key), so a
//! replay cut short by a crash is simply replayed. No record is dropped: one that cannot be queued
//! is spooled by the caller, one the database refuses for good is set aside with its reason.

pub mod campaigns;
pub mod db;
pub mod gdpr;
pub mod pool;
pub mod record;
pub mod retention;
pub mod schema;
pub mod spool;
pub mod transcript;

use db::WriteError;

use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender, TrySendError};
use parking_lot::Mutex;
use postgres::Client;
use record::CallRecord;
use spool::{Disposition, Spool};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use crate::config::document::{ConfigError, FromKeys, Key};

#[derive(Debug, Clone, PartialEq)]
pub struct StoreConfig {
    /// libpq connection string, keyword form ("host=... port=... user=... dbname=...") or URI
    /// form ("postgres://user@host:port/db?sslmode=require").
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
    /// Bound on reaching the server (socket connect, then its first answer) when the URL sets none.
    pub connect_timeout_ms: u64,
    /// Bound on each statement and lock wait (server side) and on unacknowledged data (TCP).
    pub timeout_ms: u64,
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
            connect_timeout_ms: 2000,
            timeout_ms: 5000,
        }
    }
}

/// Connects (bounded) and migrates, with the store's default bounds.
pub fn connect(url: &str, tls_verify: bool) -> Result<Client, String> {
    db::open(&StoreConfig { url: url.to_string(), tls_verify, ..StoreConfig::default() })
}

#[derive(Default)]
pub struct StoreStats {
    pub written: AtomicU64,
    pub spooled: AtomicU64,
    pub replayed: AtomicU64,
    /// Spool lines that could not be read back (not UTF-8, not JSON, torn), set aside.
    pub corrupt: AtomicU64,
    /// Records the database refused for good (constraint, bad value), set aside.
    pub refused: AtomicU64,
    pub failures: AtomicU64,
    /// Records spooled by the caller because the writers' queue was full or the store stopped.
    pub overflowed: AtomicU64,
    pub queued: AtomicU64,
}

struct Shared {
    config: StoreConfig,
    stats: StoreStats,
    connected: AtomicBool,
    /// Unloading: no new connection attempts, what is queued is written if connected, else spooled.
    stopping: AtomicBool,
    /// Unloading: after this, what is still queued goes to the spool in one append.
    stop_deadline: Mutex<Option<Instant>>,
    spool: Spool,
    /// Records that could be neither written nor spooled (the spool's disk failing): kept in
    /// memory and tried again; logged in full at unload if still there.
    unsaved: Mutex<Vec<CallRecord>>,
    /// Queue rows of dialed calls whose record is not committed yet (queued, being written,
    /// spooled or waiting for replay): the dialer keeps their leases until it is, so no node
    /// dials the person again meanwhile.
    uncommitted: Mutex<HashSet<i64>>,
    /// Per phone: records in the writers' queue or hands, not yet written or spooled (an
    /// erasure waits for them).
    queued_phones: Mutex<HashMap<String, usize>>,
}

/// What `Store::erase_from_spool` removed.
#[derive(Debug, Default)]
pub struct SpoolErasure {
    /// Waiting records and set-aside lines removed.
    pub lines: usize,
    /// Recordings the removed records named.
    pub recordings: Vec<String>,
    /// Their calls (channel uniqueids), for the call log.
    pub calls: Vec<String>,
}

impl Shared {
    /// Counts a record of a person into (`1`) or out of (`-1`) the writers' hands.
    fn hold_phone(&self, phone: Option<&str>, delta: i64) {
        let Some(phone) = phone else { return };
        let mut held = self.queued_phones.lock();
        let n = held.entry(phone.to_string()).or_default();
        *n = (*n as i64 + delta).max(0) as usize;
        if *n == 0 {
            held.remove(phone);
        }
    }

    /// The record reached the database, or was set aside with its queue row closed.
    fn settled(&self, record: &CallRecord) {
        if let Some(dial) = &record.dial {
            self.uncommitted.lock().remove(&dial.queue_id);
        }
    }
}

pub struct Store {
    shared: Arc<Shared>,
    tx: Mutex<Option<Sender<CallRecord>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl Store {
    pub fn start(config: StoreConfig) -> Result<Store, String> {
        db::parse_url(&config)?;
        let (spool, torn) = Spool::open(Path::new(&config.spool_path)).map_err(|e| format!("spool {}: {e}", config.spool_path))?;
        if torn > 0 {
            log::warn!("spool {}: a torn last line ({torn} bytes) was cut off and kept in {}", config.spool_path, spool.rejected_path().display());
        }
        let shared = Arc::new(Shared {
            config: config.clone(),
            stats: StoreStats::default(),
            connected: AtomicBool::new(false),
            stopping: AtomicBool::new(false),
            stop_deadline: Mutex::new(None),
            unsaved: Mutex::new(Vec::new()),
            // Records a previous load left in the spool hold their rows too.
            uncommitted: Mutex::new(
                spool.waiting_lines().iter().filter_map(|l| CallRecord::from_spool_line(l).ok()?.dial.map(|d| d.queue_id)).collect(),
            ),
            queued_phones: Mutex::new(HashMap::new()),
            spool,
        });
        shared.stats.corrupt.fetch_add(u64::from(torn > 0), Ordering::Relaxed);
        let (tx, rx) = bounded::<CallRecord>(config.queue.max(1));
        let mut threads = Vec::new();
        for i in 0..config.writers.clamp(1, 20) {
            let (rx, writer_shared) = (rx.clone(), shared.clone());
            let spawned = std::thread::Builder::new().name(format!("minibot-db-{i}")).spawn(move || writer(&writer_shared, &rx));
            match spawned {
                Ok(handle) => threads.push(handle),
                Err(e) => {
                    let store = Store { shared, tx: Mutex::new(Some(tx)), threads: Mutex::new(threads) };
                    store.shutdown();
                    return Err(format!("cannot start a database writer: {e}"));
                }
            }
        }
        Ok(Store { shared, tx: Mutex::new(Some(tx)), threads: Mutex::new(threads) })
    }

    /// Hands a finished call to the writers without waiting. When the queue is full (the writers
    /// are far behind) or the store has stopped, the record goes to the spool from here instead.
    pub fn submit(&self, record: CallRecord) {
        if let Some(dial) = &record.dial {
            self.shared.uncommitted.lock().insert(dial.queue_id);
        }
        let tx = self.tx.lock().clone();
        let (record, why) = match tx {
            Some(tx) => {
                // Counted before it can reach a writer, which counts it out once done.
                self.shared.hold_phone(record.phone.as_deref(), 1);
                match tx.try_send(record) {
                    Ok(()) => {
                        self.shared.stats.queued.fetch_add(1, Ordering::Relaxed);
                        return;
                    }
                    Err(TrySendError::Full(record) | TrySendError::Disconnected(record)) => {
                        self.shared.hold_phone(record.phone.as_deref(), -1);
                        (record, "the database queue is full")
                    }
                }
            }
            None => (record, "the store has stopped"),
        };
        log::warn!("{why}: call {} goes to the spool", record.key);
        self.shared.stats.overflowed.fetch_add(1, Ordering::Relaxed);
        spool_records(&self.shared, vec![record]);
    }

    pub fn connected(&self) -> bool {
        self.shared.connected.load(Ordering::Relaxed)
    }

    /// Queue rows whose call record is not in the database yet (their leases must be kept).
    pub fn uncommitted_rows(&self) -> Vec<i64> {
        self.shared.uncommitted.lock().iter().copied().collect()
    }

    pub fn stats(&self) -> &StoreStats {
        &self.shared.stats
    }

    /// The right to erasure in the spool: removes the records of `phone` (or of the dialer's
    /// contacts `contact_ids`) that wait there, and set-aside lines that name the number.
    pub fn erase_from_spool(&self, phone: &str, contact_ids: &[i64]) -> Result<SpoolErasure, String> {
        let digits = phone.trim_start_matches('+');
        let names = |line: &[u8], text: &str| !text.is_empty() && line.windows(text.len()).any(|w| w == text.as_bytes());
        // A record that parses is judged by its fields; anything else by the number written in full.
        let of_person = |line: &[u8]| match CallRecord::from_spool_line(line) {
            Ok(r) => r.phone.as_deref() == Some(phone) || r.dial.as_ref().is_some_and(|d| contact_ids.contains(&d.contact_id)),
            Err(_) => names(line, digits),
        };
        let (removed, scrubbed) = self
            .shared
            .spool
            .erase(of_person, |line| of_person(line.strip_suffix(b"\n").unwrap_or(line)))
            .map_err(|e| format!("spool {}: {e}", self.shared.spool.path().display()))?;
        // What the erased lines point at: recordings to delete, calls whose log lines go too.
        let records: Vec<CallRecord> = removed.iter().chain(scrubbed.iter()).filter_map(|l| CallRecord::from_spool_line(l).ok()).collect();
        for record in &records {
            self.shared.settled(record); // erased: no record will commit these rows any more
        }
        Ok(SpoolErasure {
            lines: removed.len() + scrubbed.len(),
            recordings: records.iter().filter_map(|r| r.recording.clone()).collect(),
            calls: records.iter().map(|r| r.uniqueid.clone()).collect(),
        })
    }

    /// Records of `phone` handed to the writers and not yet written or spooled: an erasure now
    /// would be undone when they land.
    pub fn queued_for(&self, phone: &str) -> usize {
        let unsaved = self.shared.unsaved.lock().iter().filter(|r| r.phone.as_deref() == Some(phone)).count();
        self.shared.queued_phones.lock().get(phone).copied().unwrap_or(0) + unsaved
    }

    /// Records not in the database yet that the store holds outside its writers' queue: in the
    /// spool, or in memory while the spool's disk fails.
    pub fn waiting_records(&self) -> usize {
        self.spool_lines() + self.shared.unsaved.lock().len()
    }

    /// Records waiting in the spool.
    pub fn spool_lines(&self) -> usize {
        self.shared.spool.waiting()
    }

    pub fn report(&self) -> String {
        let s = &self.shared.stats;
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        format!(
            "Database: {}\n  Queue depth:   {}\n  Spool:         {} record(s) waiting in {}\n  Written:       {}\n  Spooled:       {}\n  Replayed:      {}\n  Set aside in {}: {} unreadable, {} refused by the database\n  Write failures: {}\n  Spooled because the queue was full: {}\n  Neither written nor spooled yet (spool disk failing): {}\n",
            if self.connected() { "connected" } else { "NOT connected (results go to the spool)" },
            g(&s.queued).saturating_sub(g(&s.written) + g(&s.spooled) + g(&s.refused)),
            self.spool_lines(),
            self.shared.spool.path().display(),
            g(&s.written),
            g(&s.spooled),
            g(&s.replayed),
            self.shared.spool.rejected_path().display(),
            g(&s.corrupt),
            g(&s.refused),
            g(&s.failures),
            g(&s.overflowed),
            self.shared.unsaved.lock().len(),
        )
    }

    /// Stops taking calls and waits for the writers: what is queued is written while the
    /// connection holds and for at most `timeout_ms`, the rest spooled in one append; no new
    /// connection is tried, no replay started. Bounded by about `connect_timeout_ms + 2 x
    /// timeout_ms` (a connection or statement under way when it is called, then the drain).
    pub fn shutdown(&self) {
        *self.shared.stop_deadline.lock() = Some(Instant::now() + Duration::from_millis(self.shared.config.timeout_ms));
        self.shared.stopping.store(true, Ordering::SeqCst);
        self.tx.lock().take();
        for thread in self.threads.lock().drain(..) {
            let _ = thread.join();
        }
        retry_unsaved(&self.shared);
        for record in self.shared.unsaved.lock().drain(..) {
            log::error!("call {} could be neither written nor spooled; its record: {}", record.key, record.to_json());
        }
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn writer(shared: &Shared, rx: &Receiver<CallRecord>) {
    let mut client: Option<Client> = None;
    // Connecting migrates: the schema is there from the module's load when the database is up.
    if let Err(e) = ensure_connected(shared, &mut client) {
        log::warn!("database not reachable at load ({e}): results will be spooled until it is");
    }
    let retry = Duration::from_millis(shared.config.retry_ms);
    loop {
        match rx.recv_timeout(retry) {
            Ok(record) if shared.stopping.load(Ordering::SeqCst) => drain_at_stop(shared, &mut client, record, rx),
            Ok(record) => {
                let phone = record.phone.clone();
                store_record(shared, &mut client, record);
                shared.hold_phone(phone.as_deref(), -1); // written, spooled or set aside: out of our hands
                if shared.spool.pending() && !shared.stopping.load(Ordering::SeqCst) {
                    replay(shared, &mut client);
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                retry_unsaved(shared);
                replay(shared, &mut client);
            }
            // Unloading: what is left in the spool is replayed after the next load.
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Writes the record, or spools it; in order: once anything waits in the spool, new calls queue
/// up behind it.
fn store_record(shared: &Shared, client: &mut Option<Client>, record: CallRecord) {
    if !shared.spool.pending() {
        match write(shared, client, &record) {
            Ok(()) => {
                shared.stats.written.fetch_add(1, Ordering::Relaxed);
                shared.settled(&record);
                return;
            }
            Err(WriteError::Refused(reason)) => return set_aside(shared, client, &record, &reason),
            Err(WriteError::Unavailable(e)) => log::warn!("database write of {} failed ({e}): spooled", record.key),
        }
    }
    spool_records(shared, vec![record]);
}

/// Counts records out of the writers' hands when dropped (after they were written or spooled).
struct Release<'a>(&'a Shared, Vec<Option<String>>);

impl Drop for Release<'_> {
    fn drop(&mut self) {
        for phone in &self.1 {
            self.0.hold_phone(phone.as_deref(), -1);
        }
    }
}

/// Unloading: writes what is queued while the connection holds and time remains, spools the
/// rest with one append (thousands of queued calls must not cost one fsync each).
fn drain_at_stop(shared: &Shared, client: &mut Option<Client>, first: CallRecord, rx: &Receiver<CallRecord>) {
    let deadline = *shared.stop_deadline.lock();
    let mut rest = Vec::new();
    let records: Vec<CallRecord> = std::iter::once(first).chain(rx.try_iter()).collect();
    let held: Vec<Option<String>> = records.iter().map(|r| r.phone.clone()).collect();
    let _release = Release(shared, held);
    for record in records {
        let in_time = deadline.map_or(true, |d| Instant::now() < d);
        if !rest.is_empty() || !in_time || client.is_none() || shared.spool.pending() {
            rest.push(record);
            continue;
        }
        match write(shared, client, &record) {
            Ok(()) => {
                shared.stats.written.fetch_add(1, Ordering::Relaxed);
                shared.settled(&record);
            }
            Err(WriteError::Refused(reason)) => set_aside(shared, client, &record, &reason),
            Err(WriteError::Unavailable(_)) => rest.push(record),
        }
    }
    spool_records(shared, rest);
}

fn set_aside(shared: &Shared, client: &mut Option<Client>, record: &CallRecord, reason: &str) {
    shared.stats.refused.fetch_add(1, Ordering::Relaxed);
    log::error!("call {} refused by the database ({reason}): kept in {}", record.key, shared.spool.rejected_path().display());
    shared.spool.set_aside(record.to_json().to_string().as_bytes(), reason);
    keep_what_a_refused_record_decided(shared, client, record);
}

/// A call whose record the database refused still keeps what it decided for the person: an
/// opt-out is written on its own, and a dialed call gives its queue row back (closed as an
/// opt-out, else as failed for an operator to look at), or the row would be dialed again at every
/// lease expiry.
fn keep_what_a_refused_record_decided(shared: &Shared, client: &mut Option<Client>, record: &CallRecord) {
    let opted_out = record.outcome == crate::domain::Outcome::DoNotCall.as_str();
    if let Some(c) = client.as_mut() {
        if let (true, Some(phone)) = (opted_out, &record.phone) {
            match db::record_opt_out(c, phone, &record.key) {
                Ok(()) => log::warn!("call {} refused, its opt-out kept", record.key),
                Err(e) => log::error!("the opt-out of refused call {} could not be written ({e}); it is in {}", record.key, shared.spool.rejected_path().display()),
            }
        }
        if let Some(dial) = &record.dial {
            if let Err(e) = db::close_refused_attempt(c, dial, opted_out) {
                log::error!("queue row {} of refused call {}: {e}", dial.queue_id, record.key);
            }
        }
    }
    shared.settled(record);
}

/// Appends records to the spool with one write and one fsync; if the spool's disk fails, they
/// are kept in memory and tried again.
fn spool_records(shared: &Shared, records: Vec<CallRecord>) {
    if records.is_empty() {
        return;
    }
    let lines: Vec<String> = records.iter().map(|r| r.to_json().to_string()).collect();
    match shared.spool.append_all(&lines.iter().map(|l| l.as_bytes()).collect::<Vec<_>>()) {
        Ok(()) => {
            shared.stats.spooled.fetch_add(records.len() as u64, Ordering::Relaxed);
        }
        Err(e) => {
            let keys: Vec<&str> = records.iter().map(|r| r.key.as_str()).collect();
            log::error!("cannot spool call(s) {} ({e}): kept in memory and tried again", keys.join(", "));
            shared.unsaved.lock().extend(records);
        }
    }
}

fn retry_unsaved(shared: &Shared) {
    let waiting = std::mem::take(&mut *shared.unsaved.lock());
    spool_records(shared, waiting);
}

fn ensure_connected(shared: &Shared, client: &mut Option<Client>) -> Result<(), String> {
    if client.as_ref().is_some_and(|c| !c.is_closed()) {
        return Ok(());
    }
    *client = None;
    if shared.stopping.load(Ordering::SeqCst) {
        shared.connected.store(false, Ordering::Relaxed);
        return Err("unloading: no new connection".into());
    }
    match db::open(&shared.config) {
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

fn write(shared: &Shared, client: &mut Option<Client>, record: &CallRecord) -> Result<(), WriteError> {
    ensure_connected(shared, client).map_err(WriteError::Unavailable)?;
    let result = db::insert(client.as_mut().expect("connected above"), record);
    if let Err(WriteError::Unavailable(_)) = &result {
        shared.stats.failures.fetch_add(1, Ordering::Relaxed);
        shared.connected.store(false, Ordering::Relaxed);
        *client = None;
    }
    result
}

/// Replays the spool in order while the database takes it; another writer may be at it already.
fn replay(shared: &Shared, client: &mut Option<Client>) {
    if !shared.spool.pending() {
        return;
    }
    let replayed = shared.spool.replay(|line| {
        if shared.stopping.load(Ordering::SeqCst) {
            return Disposition::Retry; // unloading: the rest waits for the next load
        }
        let record = match CallRecord::from_spool_line(line) {
            Ok(record) => record,
            Err(reason) => {
                shared.stats.corrupt.fetch_add(1, Ordering::Relaxed);
                log::error!("{}: unreadable spool record set aside ({reason})", shared.spool.path().display());
                return Disposition::SetAside(reason);
            }
        };
        match write(shared, client, &record) {
            Ok(()) => {
                shared.stats.replayed.fetch_add(1, Ordering::Relaxed);
                shared.settled(&record);
                Disposition::Done
            }
            Err(WriteError::Refused(reason)) => {
                shared.stats.refused.fetch_add(1, Ordering::Relaxed);
                log::error!("spooled call {} refused by the database ({reason}): set aside", record.key);
                keep_what_a_refused_record_decided(shared, client, &record);
                Disposition::SetAside(reason)
            }
            Err(WriteError::Unavailable(_)) => Disposition::Retry,
        }
    });
    match replayed {
        Some(Ok(outcome)) if outcome.finished && outcome.done + outcome.set_aside > 0 => {
            log::info!("spool {} replayed into the database", shared.spool.path().display())
        }
        Some(Err(e)) => log::error!("spool {}: {e}", shared.spool.path().display()),
        _ => {}
    }
}

/// `[database]` in minibot.conf (the node's name, also there, is the module's).
impl FromKeys for StoreConfig {
    fn apply(&mut self, key: &Key) -> Result<bool, ConfigError> {
        let value = key.value();
        match key.name() {
            "url" => {
                let candidate = StoreConfig { url: value.to_string(), ..StoreConfig::default() };
                if !value.is_empty() {
                    db::parse_url(&candidate).map_err(|e| key.error(e))?;
                }
                self.url = value.to_string();
            }
            "connect_timeout_ms" => self.connect_timeout_ms = key.number(100, 60_000)? as u64,
            "timeout_ms" => self.timeout_ms = key.number(100, 600_000)? as u64,
            "writers" => self.writers = key.number(1, 20)? as usize,
            "queue" => self.queue = key.number(1, 1_000_000)? as usize,
            "tls_verify" => self.tls_verify = key.boolean()?,
            "retry_ms" => self.retry_ms = key.number(50, 600_000)? as u64,
            "spool" => {
                if !value.starts_with('/') {
                    return Err(key.error(format!("'{value}' is not an absolute path")));
                }
                self.spool_path = value.to_string();
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}
