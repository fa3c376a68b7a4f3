//! Calls in progress, as the CLI shows them (`minibot show calls`, `minibot show call`).
//! The call's thread updates its view; the CLI reads a snapshot.

use crate::domain::Turn;
use super::media::MediaState;
use parking_lot::Mutex;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

pub struct LiveCall {
    pub channel: String,
    pub campaign: String,
    /// The callee's number (E.164), when known: an erasure waits for the person's calls to end.
    pub phone: Option<String>,
    pub started: Instant,
    pub media: Arc<MediaState>,
    pub view: Mutex<LiveView>,
}

#[derive(Default, Clone)]
pub struct LiveView {
    pub phase: &'static str,
    pub step: String,
    pub last_partial: String,
    pub rate: u32,
    pub barge_ins: u32,
    pub turns: Vec<Turn>,
}

#[derive(Default)]
pub struct Registry {
    calls: Mutex<Vec<Arc<LiveCall>>>,
}

/// Removes the call from the registry when the call ends, however it ends.
pub struct Registered<'a> {
    registry: &'a Registry,
    pub call: Arc<LiveCall>,
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        self.registry.calls.lock().retain(|c| !Arc::ptr_eq(c, &self.call));
    }
}

impl Registry {
    pub fn add(&self, channel: String, campaign: String, phone: Option<String>, media: Arc<MediaState>) -> Registered<'_> {
        let call = Arc::new(LiveCall { channel, campaign, phone, started: Instant::now(), media, view: Mutex::new(LiveView::default()) });
        self.calls.lock().push(call.clone());
        Registered { registry: self, call }
    }

    pub fn list(&self) -> Vec<Arc<LiveCall>> {
        self.calls.lock().clone()
    }

    /// Whether a call with this person is in progress (inbound or dialed).
    pub fn with_phone(&self, phone: &str) -> bool {
        self.calls.lock().iter().any(|c| c.phone.as_deref() == Some(phone))
    }

    pub fn find(&self, channel: &str) -> Option<Arc<LiveCall>> {
        self.calls.lock().iter().find(|c| c.channel == channel || c.channel.starts_with(channel)).cloned()
    }
}

pub fn format_calls(calls: &[Arc<LiveCall>]) -> String {
    let mut out = format!(
        "{:<40} {:<12} {:<10} {:<11} {:<8} {:>6} {:>8}  {}\n",
        "Channel", "Campaign", "Step", "State", "VAD", "Rate", "Duration", "Last partial"
    );
    for call in calls {
        let view = call.view.lock().clone();
        let vad = if call.media.speaking.load(Ordering::Relaxed) { "speech" } else { "silence" };
        out += &format!(
            "{:<40} {:<12} {:<10} {:<11} {:<8} {:>6} {:>7}s  {}\n",
            call.channel,
            call.campaign,
            view.step,
            view.phase,
            vad,
            view.rate,
            call.started.elapsed().as_secs(),
            view.last_partial
        );
    }
    out += &format!("{} active MiniBot call(s)\n", calls.len());
    out
}

pub fn format_call(call: &LiveCall) -> String {
    let view = call.view.lock().clone();
    let mut out = format!(
        "Channel: {}\nCampaign: {}\nStep: {}\nState: {}\nRate: {} Hz\nBarge-ins: {}\nDuration: {} s\nTurns:\n",
        call.channel,
        call.campaign,
        view.step,
        view.phase,
        view.rate,
        view.barge_ins,
        call.started.elapsed().as_secs()
    );
    for turn in &view.turns {
        let answer = if turn.no_input {
            "(no input)".to_string()
        } else if let Some(d) = turn.dtmf {
            format!("DTMF {d}")
        } else {
            format!("\"{}\"", turn.text)
        };
        out += &format!(
            "  {:>7} ms  {:<10} {}{}\n",
            turn.at_ms,
            turn.step,
            answer,
            if turn.barged_in { "  [barge-in]" } else { "" }
        );
    }
    out
}
