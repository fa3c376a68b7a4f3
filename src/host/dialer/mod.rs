//! The campaign dialer of this node. One control thread claims due rows of the running campaigns
//! from PostgreSQL under a lease (`SELECT ... FOR UPDATE SKIP LOCKED`: nodes sharing a database
//! never dial one contact twice, and a dead node's rows come back when its lease expires), applies
//! the calling rules, paces new calls, and hands each call to a pool of call threads. A call thread
//! places the call through Asterisk and carries it through the dialplan (AMD, then MiniBot) until
//! it ends. MiniBot() completes its record at the end of its part of the call with what the queue
//! row becomes (the retry policy), and the store writes both in one transaction (spooled while the
//! database is down); a call that never reached MiniBot() gets its record from the call thread.

use crate::asr::Engine;
use crate::ast::originate::{self, DialResult};
use crate::campaign::calendar::Calendar;
use crate::campaign::contacts::{dialplan_safe, FIELDS_VARIABLE, FIELD_VARIABLE_PREFIX};
use crate::campaign::retry::{callback_slot, Next, RetryPolicy};
use crate::campaign::plan::{self, Gate, Load, RowPlan};
use crate::campaign::{pacing::Pacer, DialerConfig, Dialing};
use crate::nlp::when::When;
use crate::obs::metrics::METRICS;
use crate::phone;
use crate::store::campaigns::{self as queue, Campaign, Due};
use crate::store::record::{CallRecord, DialAttempt};
use crate::store::{Store, StoreConfig};
use crate::domain::{CallStatus, Outcome};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender};
use crate::scenario::Scenarios;
use parking_lot::{Mutex, RwLock};
use postgres::Client;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What a call placed by this node needs when it ends; `reported` once MiniBot() has handed its
/// record over.
#[derive(Clone)]
struct Attempt {
    queue_id: i64,
    contact_id: i64,
    campaign_id: i64,
    attempt: i32,
    node: String,
    dialed_at: DateTime<Utc>,
    zone: Tz,
    retry: RetryPolicy,
    /// Where a callback may land (the campaign's calling hours, in the contact's zone).
    calendar: Calendar,
    phone: String,
    reported: bool,
}

impl Attempt {
    /// Adds what the queue row becomes to the call's record.
    fn complete(&self, record: &mut CallRecord, callback: Option<When>) {
        let ended = Utc::now();
        let outcome = Outcome::parse(&record.outcome).unwrap_or(Outcome::Failed);
        let callback_at = callback.and_then(|w| callback_slot(w, ended, self.zone, &self.calendar, self.retry.callback_min_delay));
        let next = self.retry.after(outcome, self.attempt as u32, ended, callback_at);
        record.phone = Some(self.phone.clone());
        record.dial = Some(DialAttempt {
            queue_id: self.queue_id,
            contact_id: self.contact_id,
            campaign_id: self.campaign_id,
            attempt: self.attempt,
            node: self.node.clone(),
            dialed_at_ms: self.dialed_at.timestamp_millis(),
            next_status: next.status().to_string(),
            next_attempt_at_ms: match next {
                Next::RetryAt(at) => Some(at.timestamp_millis()),
                _ => None,
            },
        });
        let then = match next {
            Next::RetryAt(at) => format!("retry at {}", at.format("%Y-%m-%d %H:%M UTC")),
            other => other.status().to_string(),
        };
        log::info!("dialer: {} attempt {}: {} -> {then}", phone::mask(&self.phone), self.attempt, record.outcome);
        crate::obs::calllog::event(
            &record.uniqueid,
            "attempt",
            &[("Phone", phone::mask(&self.phone)), ("Attempt", self.attempt.to_string()), ("Outcome", record.outcome.clone()), ("Next", then)],
        );
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
    pub held_by_store: AtomicU64,
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
    /// When this node went from no call to one: the ramp-up counts from there.
    busy_since: Option<Instant>,
}

struct Job {
    campaign: Campaign,
    dialing: Dialing,
    due: Due,
    uniqueid: String,
    attempt: i32,
    zone: Tz,
}

struct Shared {
    config: DialerConfig,
    node: String,
    database: StoreConfig,
    store: Arc<Store>,
    /// The recognizers' backlog says whether the node has room for one more call now.
    asr: Option<Arc<Engine>>,
    flight: Mutex<Flight>,
    /// The calls this node placed that have not ended, by channel uniqueid.
    awaiting: Mutex<HashMap<String, Attempt>>,
    /// The campaigns' scenarios, pushed at load and at each reload.
    scenarios: RwLock<Arc<Scenarios>>,
    stats: DialerStats,
}

pub struct Dialer {
    shared: Arc<Shared>,
    stop: Mutex<Option<Sender<()>>>,
    jobs: Mutex<Option<Sender<Job>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl Dialer {
    pub fn start(
        config: DialerConfig,
        node: String,
        database: StoreConfig,
        store: Arc<Store>,
        asr: Option<Arc<Engine>>,
        scenarios: Arc<Scenarios>,
    ) -> Result<Dialer, String> {
        let shared = Arc::new(Shared {
            config: config.clone(),
            node,
            database,
            store,
            asr,
            flight: Mutex::default(),
            awaiting: Mutex::default(),
            scenarios: RwLock::new(scenarios),
            stats: DialerStats::default(),
        });
        let (stop_tx, stop_rx) = bounded::<()>(0);
        let (job_tx, job_rx) = bounded::<Job>(config.max_calls as usize);
        let dialer = Dialer { shared: shared.clone(), stop: Mutex::new(Some(stop_tx)), jobs: Mutex::new(Some(job_tx.clone())), threads: Mutex::default() };
        let spawn = |name: String, f: Box<dyn FnOnce() + Send>| -> Result<(), String> {
            let thread = std::thread::Builder::new().name(name).spawn(f).map_err(|e| format!("cannot start the dialer: {e}"))?;
            dialer.threads.lock().push(thread);
            Ok(())
        };
        let started = (0..config.max_calls)
            .try_for_each(|i| {
                let (shared, jobs) = (shared.clone(), job_rx.clone());
                spawn(format!("minibot-call-{i}"), Box::new(move || call_thread(&shared, &jobs)))
            })
            .and_then(|()| spawn("minibot-dialer".into(), Box::new(move || control_thread(&shared, &job_tx, &stop_rx))));
        if let Err(e) = started {
            dialer.shutdown(); // joins what did start
            return Err(e);
        }
        log::info!("dialer on node {}: up to {} calls, context {}", dialer.shared.node, config.max_calls, config.context);
        Ok(dialer)
    }

    /// The scenarios the next passes dial by (pushed at each reload).
    pub fn set_scenarios(&self, scenarios: Arc<Scenarios>) {
        *self.shared.scenarios.write() = scenarios;
    }

    /// Called by MiniBot() as its part of a call ends: a call this node placed gets what its queue
    /// row becomes added to the record, at once (a transfer to an agent afterwards does not keep
    /// the result waiting). The record then goes to the store as every other does.
    pub fn hand_over(&self, uniqueid: &str, mut record: CallRecord, callback: Option<When>) -> CallRecord {
        if let Some(attempt) = self.shared.awaiting.lock().get_mut(uniqueid) {
            attempt.reported = true;
            attempt.complete(&mut record, callback);
        }
        record
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
        // A panic here must not end the thread: the leases of calls in progress depend on it.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| tick(shared, db, jobs, &mut pacers, &mut warned)))
            .unwrap_or_else(|_| Err("a dialer pass panicked (see the log); going on".to_string()));
        if let Err(e) = result {
            shared.stats.db_errors.fetch_add(1, Ordering::Relaxed);
            log::warn!("dialer: {e}");
            client = None; // a fresh connection at the next pass
        }
    }
}

/// One pass: keep this node's leases, then start what each running campaign may start now.
fn tick(shared: &Shared, db: &mut Client, jobs: &Sender<Job>, pacers: &mut HashMap<i64, Pacer>, warned: &mut HashSet<String>) -> Result<(), String> {
    let lease_s = f64::from(shared.config.lease_s);
    // Calls in progress, and calls ended whose record is not committed yet (in the writers' queue,
    // the spool or its replay): until then the row stays ours, so no node dials the person again.
    let mut rows: HashSet<i64> = shared.flight.lock().rows.iter().copied().collect();
    rows.extend(shared.store.uncommitted_rows());
    queue::renew(db, &shared.node, &rows.into_iter().collect::<Vec<_>>(), lease_s)?;
    // While results wait in the spool, the database does not know every call or opt-out yet: the
    // calling rules would judge on a stale history.
    if !shared.store.connected() || shared.store.waiting_records() > 0 {
        shared.stats.held_by_store.fetch_add(1, Ordering::Relaxed);
        return Ok(());
    }
    let campaigns = queue::running(db)?;
    let scenarios = shared.scenarios.read().clone();
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
        // Read under the lock the call threads take; the rest is computed after it.
        let (held, total, mine, busy_since) = {
            let flight = shared.flight.lock();
            (flight.held, flight.total, flight.per_campaign.get(&campaign.id).copied().unwrap_or(0), flight.busy_since)
        };
        let load = Load {
            held,
            total,
            // Idle, the node's latencies and backlog are not worth reading (the gate ignores them).
            overloaded: total > 0 && (saturated(&shared.config) || behind(shared)),
            ramped: crate::campaign::pacing::ramped(busy_since, now, &shared.config),
            paced: pacer.available(now, mine, dialing.max_concurrent),
            max_calls: shared.config.max_calls,
        };
        let room = match plan::gate(&load) {
            Gate::StopPass => {
                if !load.held {
                    shared.stats.held_by_capacity.fetch_add(1, Ordering::Relaxed);
                }
                return Ok(());
            }
            Gate::Claim(0) => continue,
            Gate::Claim(room) => room,
        };
        let due = queue::claim(db, &campaign, &shared.node, i64::from(room), lease_s, dialing.rules.per_days as i32)?;
        shared.stats.claimed.fetch_add(due.len() as u64, Ordering::Relaxed);
        let mut due = due.into_iter();
        while let Some(row) = due.next() {
            let zone = row.timezone.as_deref().and_then(|z| z.parse::<Tz>().ok()).unwrap_or(dialing.timezone);
            match plan::plan_row(Utc::now(), zone, &dialing.rules, &row.history, row.called_elsewhere) {
                RowPlan::Close { status, why } => {
                    queue::close(db, row.queue_id, &shared.node, status, why)?;
                    shared.stats.closed.fetch_add(1, Ordering::Relaxed);
                }
                RowPlan::Postpone { at, why } => {
                    queue::postpone(db, row.queue_id, &shared.node, at, why)?;
                    shared.stats.postponed.fetch_add(1, Ordering::Relaxed);
                }
                RowPlan::Dial => {
                    if !take_slot(shared, campaign.id, row.queue_id) {
                        // Unloading: this row and the rest of the batch go back, no attempt counted.
                        for row in std::iter::once(row).chain(due) {
                            queue::postpone(db, row.queue_id, &shared.node, Utc::now(), "the node is unloading")?;
                        }
                        return Ok(());
                    }
                    if dial(shared, db, jobs, &campaign, &dialing, row, zone)? {
                        pacer.take(1);
                    }
                }
            }
        }
    }
    Ok(())
}

/// Starts the attempt on a row whose slot is taken and hands it to a call thread; false when the
/// row was no longer this node's (its slot is given back).
fn dial(shared: &Shared, db: &mut Client, jobs: &Sender<Job>, campaign: &Campaign, dialing: &Dialing, row: Due, zone: Tz) -> Result<bool, String> {
    let Some(attempt) = queue::start_attempt(db, row.queue_id, &shared.node)? else {
        finish_slot(shared, campaign.id, row.queue_id); // no longer ours
        return Ok(false);
    };
    let uniqueid = format!("minibot-{}-{}-{}", shared.node, row.queue_id, attempt);
    let record = Attempt {
        queue_id: row.queue_id,
        contact_id: row.contact_id,
        campaign_id: campaign.id,
        attempt,
        node: shared.node.clone(),
        dialed_at: Utc::now(),
        zone,
        retry: dialing.retry.clone(),
        calendar: dialing.rules.calendar.clone(),
        phone: row.phone.clone(),
        reported: false,
    };
    shared.awaiting.lock().insert(uniqueid.clone(), record);
    let job = Job { campaign: campaign.clone(), dialing: dialing.clone(), due: row, uniqueid, attempt, zone };
    if let Err(e) = jobs.try_send(job) {
        // Cannot happen while slots <= threads; the row comes back when its lease expires.
        let job = e.into_inner();
        log::error!("dialer: no call thread free for queue row {}", job.due.queue_id);
        shared.awaiting.lock().remove(&job.uniqueid);
        finish_slot(shared, job.campaign.id, job.due.queue_id);
    }
    Ok(true)
}

/// The node is saturated when, with calls in progress, its latest recognitions or outgoing audio
/// are slower than the configured bounds.
fn saturated(config: &DialerConfig) -> bool {
    const LATEST: usize = 200;
    // Only the last minute: slow finals in a first wave long past (a cold machine) must not keep
    // the gate shut, with few calls and so few new samples to outweigh them.
    const WINDOW: std::time::Duration = std::time::Duration::from_secs(60);
    let over = |samples: &crate::obs::metrics::Samples, bound: u32| samples.recent(LATEST, WINDOW).is_some_and(|s| s.count >= 5 && s.p95 > f64::from(bound));
    over(&METRICS.turn_final_ms, config.max_turn_ms) || over(&METRICS.write_gap_talking_ms, config.max_audio_gap_ms)
}

/// No room for one more call now: the recognizers are behind real time (a new call would only
/// add to the others' wait), or every recognizer is in use (it would run on DTMF only).
fn behind(shared: &Shared) -> bool {
    shared.asr.as_ref().is_some_and(|asr| asr.backlog_ms() > u64::from(shared.config.max_backlog_ms) || !asr.has_room())
}

fn take_slot(shared: &Shared, campaign: i64, row: i64) -> bool {
    let mut flight = shared.flight.lock();
    if flight.held {
        return false;
    }
    if flight.total == 0 {
        flight.busy_since = Some(Instant::now());
    }
    flight.total += 1;
    *flight.per_campaign.entry(campaign).or_default() += 1;
    flight.rows.insert(row);
    true
}

fn finish_slot(shared: &Shared, campaign: i64, row: i64) {
    let mut flight = shared.flight.lock();
    flight.total = flight.total.saturating_sub(1);
    if flight.total == 0 {
        flight.busy_since = None; // idle: the next burst ramps up again
    }
    if let Some(n) = flight.per_campaign.get_mut(&campaign) {
        *n = n.saturating_sub(1);
    }
    flight.rows.remove(&row);
}

fn call_thread(shared: &Shared, jobs: &Receiver<Job>) {
    for job in jobs {
        let placed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| place(shared, &job)));
        // Whatever happened, the attempt leaves a record (a panic counts as a failed call).
        let result = placed.unwrap_or_else(|_| {
            log::error!("dialer: a call thread panicked on queue row {}", job.due.queue_id);
            DialResult::Failed
        });
        let attempt = shared.awaiting.lock().remove(&job.uniqueid);
        if let Some(attempt) = attempt.filter(|a| !a.reported) {
            let mut record = not_reached(shared, &job, result);
            attempt.complete(&mut record, None);
            shared.store.submit(record);
        }
        finish_slot(shared, job.campaign.id, job.due.queue_id);
    }
}

/// Places one call and carries it to its end.
fn place(shared: &Shared, job: &Job) -> DialResult {
    let phone = &job.due.phone;
    let (number, zone) = (job.attempt, job.zone);
    let mut variables = vec![
        ("MINIBOT_CAMPAIGN".to_string(), job.campaign.name.clone()),
        ("MINIBOT_PHONE".to_string(), phone.clone()),
        ("MINIBOT_QUEUE_ID".to_string(), job.due.queue_id.to_string()),
        ("MINIBOT_CONTACT_ID".to_string(), job.due.contact_id.to_string()),
        ("MINIBOT_ATTEMPT".to_string(), number.to_string()),
        ("MINIBOT_TZ".to_string(), zone.name().to_string()),
    ];
    // The contact's own fields: one variable each for the dialplan (a hot lead routed to its
    // agency), and all of them together for MiniBot() (the LLM's instructions).
    variables.extend(job.due.fields.iter().map(|(name, value)| (format!("{FIELD_VARIABLE_PREFIX}{}", name.to_uppercase()), dialplan_safe(value))));
    if !job.due.fields.is_empty() {
        variables.push((FIELDS_VARIABLE.to_string(), crate::campaign::contacts::fields_json(&job.due.fields)));
    }
    let (cid_name, cid_number) = split_caller_id(&job.dialing.caller_id);
    let dial = job.dialing.dial_string_for(phone);
    shared.stats.dialed.fetch_add(1, Ordering::Relaxed);
    log::info!("dialer: calling {} for campaign {} (attempt {number})", phone::mask(phone), job.campaign.name);
    crate::obs::calllog::event(
        &job.uniqueid,
        "dial",
        &[("Campaign", job.campaign.name.clone()), ("Phone", phone::mask(phone)), ("Attempt", number.to_string())],
    );
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
    result
}

/// `calls.status` of an attempt nobody answered (MiniBot's own statuses are MINIBOTSTATUS values).
const NOT_REACHED: &str = "NOTREACHED";

/// The record of an attempt that never reached MiniBot(): not answered, busy, failed, or
/// answered and hung up before the bot started (during AMD).
fn not_reached(shared: &Shared, job: &Job, result: DialResult) -> CallRecord {
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
        channel: job.dialing.dial_string_for(&job.due.phone),
        campaign: job.campaign.name.clone(),
        phone: Some(job.due.phone.clone()),
        answered_at_ms: 0,
        ended_at_ms: Utc::now().timestamp_millis(),
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
