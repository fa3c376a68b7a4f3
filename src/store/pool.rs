//! One bounded set of database connections for everything that is not a writer: the CLI, the
//! control API, the live page and the health probe. A connection is opened only when none is idle
//! and fewer than `max` exist; a request beyond that waits (bounded) for one to come back. The
//! schema is brought up to date by the first connection of a load, not by every command. No
//! thread of its own: idle connections close when the pool is dropped at unload.
//! (r2d2 was the candidate crate; it starts maintenance threads that its drop does not join,
//! and the module joins every thread it starts.)

use super::{db, schema, StoreConfig};
use parking_lot::{Condvar, Mutex};
use postgres::Client;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct Pool {
    config: StoreConfig,
    max: usize,
    state: Mutex<State>,
    returned: Condvar,
    migrated: AtomicBool,
}

#[derive(Default)]
struct State {
    idle: Vec<Client>,
    /// Connections open, idle or lent.
    open: usize,
}

/// A connection lent by the pool; back to it when dropped (unless it broke).
pub struct Pooled {
    pool: Arc<Pool>,
    client: Option<Client>,
}

impl Pool {
    pub fn new(config: StoreConfig, max: usize) -> Pool {
        Pool { config, max: max.max(1), state: Mutex::new(State::default()), returned: Condvar::new(), migrated: AtomicBool::new(false) }
    }

    /// Connections open now (idle or lent), for the metrics and the tests.
    pub fn open(&self) -> usize {
        self.state.lock().open
    }

    /// A connection: an idle one, a new one within `max`, or the first one returned within the
    /// database's own bounds (connect plus statement timeouts).
    pub fn get(self: &Arc<Self>) -> Result<Pooled, String> {
        let wait = Duration::from_millis(self.config.connect_timeout_ms + self.config.timeout_ms);
        self.get_within(wait)?.ok_or_else(|| format!("all {} database connections are in use: try again", self.max))
    }

    /// A connection, or None when every one stays lent for `wait` (a health probe says "busy"
    /// rather than wait on operators' exports).
    pub fn get_within(self: &Arc<Self>, wait: Duration) -> Result<Option<Pooled>, String> {
        let deadline = Instant::now() + wait;
        let mut state = self.state.lock();
        loop {
            while let Some(client) = state.idle.pop() {
                if client.is_closed() {
                    state.open -= 1;
                    continue;
                }
                return Ok(Some(Pooled { pool: self.clone(), client: Some(client) }));
            }
            if state.open < self.max {
                state.open += 1;
                drop(state);
                return match self.connect() {
                    Ok(client) => Ok(Some(Pooled { pool: self.clone(), client: Some(client) })),
                    Err(e) => {
                        self.state.lock().open -= 1;
                        self.returned.notify_one();
                        Err(e)
                    }
                };
            }
            if self.returned.wait_until(&mut state, deadline).timed_out() {
                return Ok(None);
            }
        }
    }

    fn connect(&self) -> Result<Client, String> {
        let mut client = db::connect(&self.config)?;
        if !self.migrated.load(Ordering::Acquire) {
            schema::migrate(&mut client).map_err(|e| format!("migration: {}", db::error_chain(&e)))?;
            self.migrated.store(true, Ordering::Release);
        }
        Ok(client)
    }
}

impl Deref for Pooled {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.client.as_ref().expect("lent until dropped")
    }
}

impl DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut Client {
        self.client.as_mut().expect("lent until dropped")
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        let Some(client) = self.client.take() else { return };
        let mut state = self.pool.state.lock();
        // A connection left inside a transaction or broken is not lent again.
        if client.is_closed() {
            state.open -= 1;
        } else {
            state.idle.push(client);
        }
        drop(state);
        self.pool.returned.notify_one();
    }
}
