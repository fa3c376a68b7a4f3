//! `/minibot/metrics`: what the module records as it happens (src/obs/prom.rs) and, collected at
//! scrape time from the module's own counters, calls, intents, the LLM, the database and the dialer.

use crate::host::state::{with_bot, Bot};
use crate::obs::prom::{header, sample, RECORDED};
use std::sync::atomic::{AtomicU64, Ordering};

pub fn render() -> String {
    let mut out = String::new();
    RECORDED.render(&mut out);
    with_bot(|bot| collect(bot, &mut out));
    out
}

fn n(a: &AtomicU64) -> f64 {
    a.load(Ordering::Relaxed) as f64
}

fn counter(out: &mut String, name: &str, help: &str, value: f64) {
    header(out, name, help, "counter");
    sample(out, name, &[], value);
}

fn gauge(out: &mut String, name: &str, help: &str, value: f64) {
    header(out, name, help, "gauge");
    sample(out, name, &[], value);
}

fn collect(bot: &Bot, out: &mut String) {
    let calls = bot.stats.snapshot();
    gauge(out, "minibot_calls_active", "Calls inside MiniBot() now.", calls.active as f64);
    header(out, "minibot_campaign_enabled", "1 for each campaign that runs, 0 for one disabled by an error in its scenario or prompts (see minibot show status).", "gauge");
    for name in bot.scenarios.keys() {
        sample(out, "minibot_campaign_enabled", &[("campaign", name.as_str())], 1.0);
    }
    for name in bot.disabled.keys() {
        sample(out, "minibot_campaign_enabled", &[("campaign", name.as_str())], 0.0);
    }
    header(out, "minibot_calls_total", "Calls that left MiniBot(), by MINIBOTSTATUS.", "counter");
    for (status, count) in calls.ended {
        sample(out, "minibot_calls_total", &[("status", status.as_str())], count as f64);
    }

    let tiers = &bot.intents.counts;
    header(out, "minibot_intents_total", "Turns understood, by the tier that answered.", "counter");
    for (tier, count) in [("cache", &tiers.cache), ("local", &tiers.local), ("llm", &tiers.llm)] {
        sample(out, "minibot_intents_total", &[("tier", tier)], n(count));
    }
    counter(out, "minibot_llm_fallbacks_total", "Turns where the LLM was asked but the local answer stood.", n(&tiers.fallbacks));
    if let Some(pool) = bot.intents.llm() {
        let s = &pool.stats;
        counter(out, "minibot_llm_requests_total", "Requests sent to the LLM server.", n(&s.requests));
        header(out, "minibot_llm_errors_total", "LLM requests that failed, by kind.", "counter");
        for (kind, count) in [
            ("transport", &s.transport),
            ("timeout", &s.timeouts),
            ("http", &s.http_errors),
            ("invalid_json", &s.invalid_json),
            ("bad_label", &s.bad_labels),
        ] {
            sample(out, "minibot_llm_errors_total", &[("kind", kind)], n(count));
        }
        counter(out, "minibot_llm_breaker_openings_total", "Times the LLM circuit breaker opened.", n(&s.breaker_opens));
        gauge(out, "minibot_llm_breaker_open", "1 while the LLM circuit breaker is open.", if pool.breaker_open() { 1.0 } else { 0.0 });
    }

    if let Some(engine) = &bot.asr {
        let (in_use, alive) = engine.recognizers();
        gauge(out, "minibot_asr_recognizers_in_use", "Vosk recognizers serving a call now.", in_use as f64);
        gauge(out, "minibot_asr_recognizers_alive", "Vosk recognizers allocated (in use or warm).", alive as f64);
    }

    if let Some(store) = &bot.store {
        let s = store.stats();
        gauge(out, "minibot_db_connected", "1 while the writers are connected to PostgreSQL.", if store.connected() { 1.0 } else { 0.0 });
        gauge(out, "minibot_db_spool_records", "Call records waiting in the spool for the database.", store.spool_lines() as f64);
        counter(out, "minibot_db_written_total", "Call records written directly.", n(&s.written));
        counter(out, "minibot_db_spooled_total", "Call records spooled (database down or slow).", n(&s.spooled));
        counter(out, "minibot_db_replayed_total", "Spooled records written once the database was back.", n(&s.replayed));
        counter(out, "minibot_db_refused_total", "Records the database refused for good (set aside).", n(&s.refused));
    }

    let r = &crate::recording::STATS;
    counter(out, "minibot_recordings_total", "Call recordings started (files created).", n(&r.recordings));
    counter(out, "minibot_recording_failures_total", "Recordings that could not be created or written.", n(&r.failures));
    counter(out, "minibot_recording_dropped_frames_total", "Frames left out of recordings because the writer fell behind.", n(&r.dropped_frames));
    counter(out, "minibot_recorded_seconds_total", "Seconds of audio in closed recordings.", n(&r.seconds_written));

    if let Some(dialer) = &bot.dialer {
        let d = dialer.stats();
        gauge(out, "minibot_dialer_calls_in_progress", "Campaign calls ringing or in progress on this node.", f64::from(dialer.in_flight()));
        counter(out, "minibot_dialer_dialed_total", "Campaign calls placed by this node.", n(&d.dialed));
        counter(out, "minibot_dialer_answered_total", "Campaign calls answered.", n(&d.answered));
        counter(out, "minibot_dialer_postponed_total", "Due rows given back by the calling rules (hours, limits, refusal pause).", n(&d.postponed));
        counter(out, "minibot_dialer_closed_total", "Due rows closed without a call (opted out, never allowed).", n(&d.closed));
        header(out, "minibot_dialer_held_polls_total", "Dialer polls that started no call, by what held them.", "counter");
        sample(out, "minibot_dialer_held_polls_total", &[("reason", "capacity")], n(&d.held_by_capacity));
        sample(out, "minibot_dialer_held_polls_total", &[("reason", "spool")], n(&d.held_by_store));
    }
}
