//! The campaign dialer of this node. One control thread claims due rows of the running campaigns
//! from PostgreSQL under a lease (`SELECT ... FOR UPDATE SKIP LOCKED`: nodes sharing a database
//! never dial one contact twice, and a dead node's rows come back when its lease expires), applies
//! the calling rules, paces new calls, and hands each call to a pool of call threads. A call thread
//! places the call through Asterisk and carries it through the dialplan (AMD, then MiniBot) until
//! it ends; MiniBot() hands its record back here, the retry policy says what the queue row becomes,
//! and the store writes both in one transaction (spooled while the database is down).

use crate::ast::originate::{self, DialResult};
use crate::campaign::retry::{callback_instant, Next};
use crate::campaign::rules::{self, Verdict};
use crate::campaign::{pacing::Pacer, DialerConfig, Dialing};
use crate::module::with_bot;
use crate::nlp::when::When;
use crate::obs::metrics::METRICS;
use crate::phone;
use crate::store::campaigns::{self as queue, Campaign, Due};
use crate::store::record::{CallRecord, DialAttempt};
use crate::store::{Store, StoreConfig};
use crate::vocab::{CallStatus, Outcome};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender};
use parking_lot::Mutex;
use postgres::Client;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Results MiniBot() hands over for the calls this node placed, by channel uniqueid (None until
/// the call ends). A process-wide map: MiniBot() finds it without holding the module's state.
static AWAITING: Mutex<Option<HashMap<String, Option<Finished>>>> = Mutex::new(None);

struct Finished {
    record: CallRecord,
    callback: Option<When>,
}

/// Called by MiniBot() as a call ends: a call placed by this node's dialer gives its record to the
/// dialer (which adds what the queue row becomes); any other call's record comes back, for the store.
pub fn hand_over(uniqueid: &str, record: CallRecord, callback: Option<When>) -> Option<CallRecord> {
    let mut awaiting = AWAITING.lock();
    match awaiting.as_mut().and_then(|m| m.get_mut(uniqueid)) {
        Some(slot) => {
            *slot = Some(Finished { record, callback });
            None
        }
        None => Some(record),
    }
}

#[derive(Default)]
pub struct DialerStats {
    pub claimed: AtomicU64,
    pub dialed: AtomicU64,
    pub answered: AtomicU64,
    pub postponed: AtomicU64,
    pub closed: AtomicU64,
    pub held_by_capacity: AtomicU64,
    pub db_errors: AtomicU64,
}

/// Calls this node has placed and not yet finished.
#[derive(Default)]
struct Flight {
    /// Unloading: no new call.
    held: bool,
    total: u32,
    per_campaign: HashMap<i64, u32>,
    rows: HashSet<i64>,
}

struct Job {
    campaign: Campaign,
    dialing: Dialing,
    due: Due,
    zone: Tz,
    attempt: i32,
    uniqueid: String,
    dialed_at: DateTime<Utc>,
}

struct Shared {
    config: DialerConfig,
    node: String,
    database: StoreConfig,
    store: Arc<Store>,
    flight: Mutex<Flight>,
    pub stats: DialerStats,
}

pub struct Dialer {
    shared: Arc<Shared>,
    stop: Mutex<Option<Sender<()>>>,
    jobs: Mutex<Option<Sender<Job>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl Dialer {
    pub fn start(config: DialerConfig, node: String, database: StoreConfig, store: Arc<Store>) -> Result<Dialer, String> {
        *AWAITING.lock() = Some(HashMap::new());
        let shared = Arc::new(Shared { config: config.clone(), node, database, store, flight: Mutex::default(), stats: DialerStats::default() });
        let (stop_tx, stop_rx) = bounded::<()>(0);
        let (job_tx, job_rx) = bounded::<Job>(config.max_calls as usize);
        let mut threads = Vec::new();
        let spawn = |name: String, f: Box<dyn FnOnce() + Send>| std::thread::Builder::new().name(name).spawn(f).map_err(|e| format!("cannot start the dialer: {e}"));
        for i in 0..config.max_calls {
            let (shared, jobs) = (shared.clone(), job_rx.clone());
            threads.push(spawn(format!("minibot-call-{i}"), Box::new(move || call_thread(&shared, &jobs)))?);
        }
        let (control_shared, control_jobs) = (shared.clone(), job_tx.clone());
        threads.push(spawn("minibot-dialer".into(), Box::new(move || control_thread(&control_shared, &control_jobs, &stop_rx)))?);
        log::info!("dialer on node {}: up to {} calls, context {}", shared.node, config.max_calls, config.context);
        Ok(Dialer { shared, stop: Mutex::new(Some(stop_tx)), jobs: Mutex::new(Some(job_tx)), threads: Mutex::new(threads) })
    }

    pub fn stats(&self) -> &DialerStats {
        &self.shared.stats
    }

    /// Calls placed and not finished, on this node.
    pub fn in_flight(&self) -> u32 {
        self.shared.flight.lock().total
    }

    /// Stops new calls and returns how many are still in progress; `release` undoes it.
    pub fn hold(&self) -> u32 {
        let mut flight = self.shared.flight.lock();
        flight.held = true;
        flight.total
    }

    pub fn release(&self) {
        self.shared.flight.lock().held = false;
    }

    /// Joins every thread. Only once `hold` found no call in progress: call threads are idle and
    /// return as soon as the job channel closes; the control thread wakes from its poll.
    pub fn shutdown(&self) {
        self.hold();
        drop(self.stop.lock().take());
        drop(self.jobs.lock().take());
        for thread in self.threads.lock().drain(..) {
            let _ = thread.join();
        }
        *AWAITING.lock() = None;
    }
}

fn control_thread(shared: &Shared, jobs: &Sender<Job>, stop: &Receiver<()>) {
    let mut client: Option<Client> = None;
    let mut pacers: HashMap<i64, Pacer> = HashMap::new();
    let mut warned: HashSet<String> = HashSet::new();
    let mut next_connect = Instant::now();
    loop {
        match stop.recv_timeout(Duration::from_millis(u64::from(shared.config.poll_ms))) {
            Err(RecvTimeoutError::Timeout) => {}
            _ => return, // the sender was dropped: unloading
        }
        if client.is_none() && Instant::now() >= next_connect {
            match crate::store::db::open(&shared.database) {
                Ok(c) => client = Some(c),
                Err(e) => {
                    log::warn!("dialer: database unreachable ({e}); no new campaign call until it is back");
                    next_connect = Instant::now() + Duration::from_millis(shared.database.retry_ms.max(1000));
                }
            }
        }
        let Some(db) = client.as_mut() else { continue };
        if let Err(e) = tick(shared, db, jobs, &mut pacers, &mut warned) {
            shared.stats.db_errors.fetch_add(1, Ordering::Relaxed);
            log::warn!("dialer: {e}");
            client = None; // reconnect (bounded) at the next tick
        }
    }
}

/// One pass: keep this node's leases, then start what each running campaign may start now.
fn tick(shared: &Shared, db: &mut Client, jobs: &Sender<Job>, pacers: &mut HashMap<i64, Pacer>, warned: &mut HashSet<String>) -> Result<(), String> {
    let lease_s = f64::from(shared.config.lease_s);
    let rows: Vec<i64> = shared.flight.lock().rows.iter().copied().collect();
    queue::renew(db, &shared.node, &rows, lease_s)?;
    let campaigns = queue::running(db)?;
    let Some(scenarios) = with_bot(|bot| bot.scenarios.clone()) else { return Ok(()) };
    let now = Instant::now();
    pacers.retain(|id, _| campaigns.iter().any(|c| c.id == *id));
    for campaign in campaigns {
        let Some(dialing) = scenarios.get(&campaign.name).map(|s| s.dialing.clone()).filter(|d| !d.dial.is_empty()) else {
            if warned.insert(campaign.name.clone()) {
                log::warn!("campaign '{}' is running but has no scenario with a 'dial' string on this node: not dialed here", campaign.name);
            }
            continue;
        };
        let pacer = pacers.entry(campaign.id).or_insert_with(|| Pacer::new(dialing.calls_per_second, now));
        pacer.set_rate(dialing.calls_per_second);
        let (held, total, mine) = {
            let flight = shared.flight.lock();
            (flight.held, flight.total, flight.per_campaign.get(&campaign.id).copied().unwrap_or(0))
        };
        if held {
            return Ok(());
        }
        if total > 0 && saturated(&shared.config) {
            shared.stats.held_by_capacity.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        let room = pacer.available(now, mine, dialing.max_concurrent).min(shared.config.max_calls.saturating_sub(total));
        if room == 0 {
            continue;
        }
        let due = queue::claim(db, &campaign, &shared.node, i64::from(room), lease_s, dialing.rules.per_days as i32)?;
        shared.stats.claimed.fetch_add(due.len() as u64, Ordering::Relaxed);
        for row in due {
            let zone = row.timezone.as_deref().and_then(|z| z.parse::<Tz>().ok()).unwrap_or(dialing.timezone);
            match rules::judge(Utc::now(), zone, &dialing.rules, &row.history) {
                Verdict::Never { why } => {
                    let status = if row.history.opted_out { "do_not_call" } else { "failed" };
                    queue::close(db, row.queue_id, &shared.node, status, why)?;
                    shared.stats.closed.fetch_add(1, Ordering::Relaxed);
                }
                Verdict::Later { at, why } => {
                    queue::postpone(db, row.queue_id, &shared.node, at, why)?;
                    shared.stats.postponed.fetch_add(1, Ordering::Relaxed);
                }
                Verdict::Dial => {
                    let Some(attempt) = queue::start_attempt(db, row.queue_id, &shared.node)? else { continue };
                    if !take_slot(shared, campaign.id, row.queue_id) {
                        queue::postpone(db, row.queue_id, &shared.node, Utc::now(), "unloading")?;
                        return Ok(());
                    }
                    pacer.take(1);
                    let uniqueid = format!("minibot-{}-{}-{}", shared.node, row.queue_id, attempt);
                    AWAITING.lock().get_or_insert_with(HashMap::new).insert(uniqueid.clone(), None);
                    let job = Job { campaign: campaign.clone(), dialing: dialing.clone(), due: row, zone, attempt, uniqueid, dialed_at: Utc::now() };
                    if let Err(e) = jobs.try_send(job) {
                        // Cannot happen while slots <= threads; the row comes back when its lease expires.
                        let job = e.into_inner();
                        log::error!("dialer: no call thread free for queue row {}", job.due.queue_id);
                        finish_slot(shared, job.campaign.id, job.due.queue_id);
                        AWAITING.lock().as_mut().map(|m| m.remove(&job.uniqueid));
                    }
                }
            }
        }
    }
    Ok(())
}

/// The node is saturated when, with calls in progress, recent recognition or outgoing audio is
/// slower than the configured bounds.
fn saturated(config: &DialerConfig) -> bool {
    let over = |samples: &crate::obs::metrics::Samples, bound: u32| samples.summary().is_some_and(|s| s.count >= 5 && s.p95 > f64::from(bound));
    over(&METRICS.turn_final_ms, config.max_turn_ms) || over(&METRICS.write_gap_talking_ms, config.max_audio_gap_ms)
}

fn take_slot(shared: &Shared, campaign: i64, row: i64) -> bool {
    let mut flight = shared.flight.lock();
    if flight.held {
        return false;
    }
    flight.total += 1;
    *flight.per_campaign.entry(campaign).or_default() += 1;
    flight.rows.insert(row);
    true
}

fn finish_slot(shared: &Shared, campaign: i64, row: i64) {
    let mut flight = shared.flight.lock();
    flight.total = flight.total.saturating_sub(1);
    if let Some(n) = flight.per_campaign.get_mut(&campaign) {
        *n = n.saturating_sub(1);
    }
    flight.rows.remove(&row);
}

fn call_thread(shared: &Shared, jobs: &Receiver<Job>) {
    for job in jobs {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| place(shared, &job)));
        if outcome.is_err() {
            log::error!("dialer: a call thread panicked on queue row {}; the row comes back when its lease expires", job.due.queue_id);
        }
        finish_slot(shared, job.campaign.id, job.due.queue_id);
    }
}

/// Places one call, waits for its end, and hands its record (with what the queue row becomes)
/// to the store.
fn place(shared: &Shared, job: &Job) {
    let phone = &job.due.phone;
    let variables = vec![
        ("MINIBOT_CAMPAIGN".to_string(), job.campaign.name.clone()),
        ("MINIBOT_PHONE".to_string(), phone.clone()),
        ("MINIBOT_QUEUE_ID".to_string(), job.due.queue_id.to_string()),
        ("MINIBOT_CONTACT_ID".to_string(), job.due.contact_id.to_string()),
        ("MINIBOT_ATTEMPT".to_string(), job.attempt.to_string()),
        ("MINIBOT_TZ".to_string(), job.zone.name().to_string()),
    ];
    let (cid_name, cid_number) = split_caller_id(&job.dialing.caller_id);
    let dial = job.dialing.dial_string_for(phone);
    shared.stats.dialed.fetch_add(1, Ordering::Relaxed);
    log::info!("dialer: calling {} for campaign {} (attempt {})", phone::mask(phone), job.campaign.name, job.attempt);
    let result = originate::dial_and_run(&originate::Call {
        dial: &dial,
        ring_timeout_ms: job.dialing.ring_timeout_s * 1000,
        context: &shared.config.context,
        exten: "s",
        caller_id_number: &cid_number,
        caller_id_name: &cid_name,
        variables: &variables,
        uniqueid: &job.uniqueid,
    });
    if result == DialResult::Answered {
        shared.stats.answered.fetch_add(1, Ordering::Relaxed);
    }
    let finished = AWAITING.lock().as_mut().and_then(|m| m.remove(&job.uniqueid)).flatten();
    let ended = Utc::now();
    let (mut record, callback) = match finished {
        Some(f) => (f.record, f.callback.and_then(|w| callback_instant(w, ended, job.zone))),
        None => (not_reached(shared, job, result, &dial, ended), None),
    };
    let outcome = Outcome::parse(&record.outcome).unwrap_or(Outcome::Failed);
    let next = job.dialing.retry.after(outcome, job.attempt as u32, ended, callback);
    record.phone = Some(phone.clone());
    record.dial = Some(DialAttempt {
        queue_id: job.due.queue_id,
        contact_id: job.due.contact_id,
        campaign_id: job.campaign.id,
        attempt: job.attempt,
        node: shared.node.clone(),
        dialed_at_ms: job.dialed_at.timestamp_millis(),
        next_status: next.status().to_string(),
        next_attempt_at_ms: match next {
            Next::RetryAt(at) => Some(at.timestamp_millis()),
            _ => None,
        },
    });
    log::info!(
        "dialer: {} campaign {} attempt {}: {} -> {}",
        phone::mask(phone),
        job.campaign.name,
        job.attempt,
        record.outcome,
        match next {
            Next::RetryAt(at) => format!("retry at {}", at.format("%Y-%m-%d %H:%M UTC")),
            other => other.status().to_string(),
        }
    );
    shared.store.submit(record);
}

/// `calls.status` of an attempt nobody answered (MiniBot's own statuses are MINIBOTSTATUS values).
const NOT_REACHED: &str = "NOTREACHED";

/// The record of an attempt that never reached MiniBot(): not answered, busy, failed, or
/// answered and hung up before the bot started (during AMD).
fn not_reached(shared: &Shared, job: &Job, result: DialResult, dial: &str, ended: DateTime<Utc>) -> CallRecord {
    let (status, outcome) = match result {
        DialResult::Answered => (CallStatus::Hangup.as_str(), Outcome::HangupEarly),
        DialResult::NoAnswer => (NOT_REACHED, Outcome::Unanswered),
        DialResult::Busy => (NOT_REACHED, Outcome::Busy),
        DialResult::Congestion => (NOT_REACHED, Outcome::Congestion),
        DialResult::Failed => (NOT_REACHED, Outcome::Unreachable),
    };
    CallRecord {
        key: format!("{}/{}", shared.node, job.uniqueid),
        uniqueid: job.uniqueid.clone(),
        channel: dial.to_string(),
        campaign: job.campaign.name.clone(),
        phone: Some(job.due.phone.clone()),
        answered_at_ms: 0,
        ended_at_ms: ended.timestamp_millis(),
        status: status.to_string(),
        outcome: outcome.as_str().to_string(),
        score: 0,
        lead_class: crate::qualify::NOT_QUALIFIED.to_string(),
        ..CallRecord::default()
    }
}

/// `"Name" <+33100000000>` -> ("Name", "+33100000000"); a bare number has no name.
fn split_caller_id(text: &str) -> (String, String) {
    match (text.find('<'), text.rfind('>')) {
        (Some(open), Some(close)) if open < close => (text[..open].trim().trim_matches('"').to_string(), text[open + 1..close].trim().to_string()),
        _ => (String::new(), text.trim().to_string()),
    }
}
