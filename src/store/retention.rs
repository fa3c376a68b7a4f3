//! The retention purge, scheduled inside the module: a thread that purges what callees said once
//! it is older than `[gdpr] retention_days`, at load and then every `purge_interval_min`, on its
//! own bounded connection. Joined at unload.

use super::gdpr;
use super::StoreConfig;
use crossbeam_channel::{bounded, RecvTimeoutError, Sender};
use parking_lot::Mutex;
use std::thread::JoinHandle;
use std::time::Duration;

pub struct Retention {
    stop: Mutex<Option<Sender<()>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Retention {
    pub fn start(database: StoreConfig, days: u32, every: Duration, recordings_dir: String) -> Result<Retention, String> {
        let (stop, stopped) = bounded::<()>(0);
        let thread = std::thread::Builder::new()
            .name("minibot-retention".into())
            .spawn(move || loop {
                match super::db::open(&database).and_then(|mut c| gdpr::purge(&mut c, days, &recordings_dir)) {
                    Ok(p) if p.calls + p.turns + p.recordings > 0 => {
                        log::info!("retention ({days} days): {} transcripts blanked, {} turns and {} recordings deleted", p.calls, p.turns, p.recordings)
                    }
                    Ok(_) => {}
                    Err(e) => log::warn!("retention purge ({days} days) failed: {e}; tried again later"),
                }
                match stopped.recv_timeout(every) {
                    Err(RecvTimeoutError::Timeout) => {}
                    _ => return, // unloading
                }
            })
            .map_err(|e| format!("cannot start the retention purge: {e}"))?;
        Ok(Retention { stop: Mutex::new(Some(stop)), thread: Mutex::new(Some(thread)) })
    }

    /// Stops the thread (a purge in progress finishes first, bounded by the database timeouts).
    pub fn shutdown(&self) {
        drop(self.stop.lock().take());
        if let Some(thread) = self.thread.lock().take() {
            let _ = thread.join();
        }
    }
}
