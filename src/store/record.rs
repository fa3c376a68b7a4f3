//! What one call leaves in the database, as plain data: built at the call's end on its thread,
//! written by the store's threads, and serialized one JSON line per call in the spool.

use crate::call::result::CallResult;
use crate::domain::Turn;
use serde_json::{json, Value};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct TurnRecord {
    pub step: String,
    /// The step's question, as the campaign words it (empty when it has none).
    pub question: String,
    pub text: String,
    pub intent: Option<String>,
    pub confidence: Option<f32>,
    pub entities: Vec<String>,
    pub sentiment: Option<String>,
    pub tier: Option<String>,
    pub asr_ms: Option<f32>,
    pub intent_ms: Option<f32>,
    pub barge_in: bool,
    pub dtmf: Option<String>,
    pub no_input: bool,
    pub at_ms: i64,
}

/// A call the campaign dialer placed: which queue row it answers, and what the row becomes
/// (written with the call, in the same transaction, so a spooled call moves its row on replay).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DialAttempt {
    pub queue_id: i64,
    pub contact_id: i64,
    pub campaign_id: i64,
    /// 1 for the first call to this contact in this campaign.
    pub attempt: i32,
    /// The node that dialed (it holds the row's lease).
    pub node: String,
    pub dialed_at_ms: i64,
    /// pending, done, failed or do_not_call.
    pub next_status: String,
    pub next_attempt_at_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct CallRecord {
    /// Idempotency key: node name + channel uniqueid.
    pub key: String,
    pub uniqueid: String,
    pub channel: String,
    pub campaign: String,
    pub phone: Option<String>,
    /// Unix milliseconds.
    pub answered_at_ms: i64,
    pub ended_at_ms: i64,
    pub status: String,
    pub outcome: String,
    pub score: i32,
    pub lead_class: String,
    pub reasons: Vec<String>,
    pub callback_when: Option<String>,
    /// What decided that an answering machine picked up (Asterisk's AMD, the greeting's length,
    /// its words, a beep), or that a person did.
    pub amd_verdict: Option<String>,
    pub dial: Option<DialAttempt>,
    /// The call's recording (stereo WAV), when it was recorded.
    pub recording: Option<String>,
    pub turns: Vec<TurnRecord>,
}

/// Which call a result belongs to, as the channel knows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CallIdentity {
    /// This node's name: with the uniqueid, the record's idempotency key.
    pub node: String,
    pub uniqueid: String,
    pub channel: String,
    pub campaign: String,
    pub phone: Option<String>,
    pub answered_at_ms: i64,
    pub ended_at_ms: i64,
    /// The recording's path, once it is known to have been written.
    pub recording: Option<String>,
}

impl TurnRecord {
    pub fn of(t: &Turn) -> TurnRecord {
        TurnRecord {
            step: t.step.clone(),
            question: t.question.clone(),
            text: t.text.clone(),
            intent: t.intent.map(|i| i.as_str().to_string()),
            confidence: t.intent.map(|_| t.confidence),
            entities: t.entities.clone(),
            sentiment: t.sentiment.map(|s| s.as_str().to_string()),
            tier: t.tier.map(|x| x.as_str().to_string()),
            asr_ms: t.intent.map(|_| t.asr_ms as f32),
            intent_ms: t.intent.map(|_| t.intent_ms as f32),
            barge_in: t.barged_in,
            dtmf: t.dtmf.map(|d| d.to_string()),
            no_input: t.no_input,
            at_ms: t.at_ms as i64,
        }
    }
}

impl CallRecord {
    /// The record of a call that ended with `result` (the dialer adds its queue row's part).
    pub fn of_call(call: &CallIdentity, result: &CallResult) -> CallRecord {
        CallRecord {
            key: format!("{}/{}", call.node, call.uniqueid),
            uniqueid: call.uniqueid.clone(),
            channel: call.channel.clone(),
            campaign: call.campaign.clone(),
            phone: call.phone.clone(),
            answered_at_ms: call.answered_at_ms,
            ended_at_ms: call.ended_at_ms,
            status: result.status.as_str().into(),
            outcome: result.outcome.as_str().into(),
            score: result.qualification.score as i32,
            lead_class: result.qualification.class.clone(),
            reasons: result.qualification.reasons.clone(),
            callback_when: result.callback.map(|w| w.describe()),
            amd_verdict: result.machine.clone(),
            recording: call.recording.clone(),
            dial: None,
            turns: result.turns.iter().map(TurnRecord::of).collect(),
        }
    }

    /// One spool line back into a record, or why it cannot be (bytes as read from disk).
    pub fn from_spool_line(line: &[u8]) -> Result<CallRecord, String> {
        let text = std::str::from_utf8(line).map_err(|e| format!("not UTF-8 ({e})"))?;
        let value = serde_json::from_str::<Value>(text).map_err(|e| format!("not JSON ({e})"))?;
        CallRecord::from_json(&value)
    }

    /// The whole transcript, one line per turn.
    pub fn transcript(&self) -> String {
        self.turns
            .iter()
            .map(|t| {
                let said = if t.no_input {
                    "(silence)".to_string()
                } else if let Some(d) = &t.dtmf {
                    format!("[DTMF {d}]")
                } else {
                    t.text.clone()
                };
                if t.question.is_empty() {
                    format!("[{}] {said}", t.step)
                } else {
                    format!("[{}] {} -> {said}", t.step, t.question)
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn to_json(&self) -> Value {
        json!({
            "key": self.key, "uniqueid": self.uniqueid, "channel": self.channel, "campaign": self.campaign,
            "phone": self.phone, "answered_at_ms": self.answered_at_ms, "ended_at_ms": self.ended_at_ms,
            "status": self.status, "outcome": self.outcome, "score": self.score, "lead_class": self.lead_class,
            "reasons": self.reasons, "callback_when": self.callback_when, "amd_verdict": self.amd_verdict,
            "recording": self.recording,
            "dial": self.dial.as_ref().map(|d| json!({
                "queue_id": d.queue_id, "contact_id": d.contact_id, "campaign_id": d.campaign_id, "attempt": d.attempt,
                "node": d.node, "dialed_at_ms": d.dialed_at_ms, "next_status": d.next_status, "next_attempt_at_ms": d.next_attempt_at_ms,
            })),
            "turns": self.turns.iter().map(|t| json!({
                "step": t.step, "question": t.question, "text": t.text, "intent": t.intent, "confidence": t.confidence, "entities": t.entities,
                "sentiment": t.sentiment, "tier": t.tier, "asr_ms": t.asr_ms, "intent_ms": t.intent_ms,
                "barge_in": t.barge_in, "dtmf": t.dtmf, "no_input": t.no_input, "at_ms": t.at_ms,
            })).collect::<Vec<_>>(),
        })
    }

    pub fn from_json(v: &Value) -> Result<CallRecord, String> {
        let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string).ok_or_else(|| format!("missing '{k}'"));
        let opt = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        let i = |v: &Value, k: &str| v.get(k).and_then(Value::as_i64).ok_or_else(|| format!("missing '{k}'"));
        let f = |v: &Value, k: &str| v.get(k).and_then(Value::as_f64).map(|x| x as f32);
        let list = |v: &Value, k: &str| {
            v.get(k).and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect()).unwrap_or_default()
        };
        let turns = v
            .get("turns")
            .and_then(Value::as_array)
            .ok_or("missing 'turns'")?
            .iter()
            .map(|t| {
                Ok(TurnRecord {
                    step: s(t, "step")?,
                    question: opt(t, "question").unwrap_or_default(), // absent in older spool lines
                    text: s(t, "text")?,
                    intent: opt(t, "intent"),
                    confidence: f(t, "confidence"),
                    entities: list(t, "entities"),
                    sentiment: opt(t, "sentiment"),
                    tier: opt(t, "tier"),
                    asr_ms: f(t, "asr_ms"),
                    intent_ms: f(t, "intent_ms"),
                    barge_in: t.get("barge_in").and_then(Value::as_bool).unwrap_or(false),
                    dtmf: opt(t, "dtmf"),
                    no_input: t.get("no_input").and_then(Value::as_bool).unwrap_or(false),
                    at_ms: i(t, "at_ms")?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let dial = match v.get("dial").filter(|d| !d.is_null()) {
            None => None, // absent in older spool lines, null for calls not dialed by the module
            Some(d) => Some(DialAttempt {
                queue_id: i(d, "queue_id")?,
                contact_id: i(d, "contact_id")?,
                campaign_id: i(d, "campaign_id")?,
                attempt: i(d, "attempt")? as i32,
                node: s(d, "node")?,
                dialed_at_ms: i(d, "dialed_at_ms")?,
                next_status: s(d, "next_status")?,
                next_attempt_at_ms: d.get("next_attempt_at_ms").and_then(Value::as_i64),
            }),
        };
        Ok(CallRecord {
            key: s(v, "key")?,
            uniqueid: s(v, "uniqueid")?,
            channel: s(v, "channel")?,
            campaign: s(v, "campaign")?,
            phone: opt(v, "phone"),
            answered_at_ms: i(v, "answered_at_ms")?,
            ended_at_ms: i(v, "ended_at_ms")?,
            status: s(v, "status")?,
            outcome: s(v, "outcome")?,
            score: i(v, "score")? as i32,
            lead_class: s(v, "lead_class")?,
            reasons: list(v, "reasons"),
            callback_when: opt(v, "callback_when"),
            amd_verdict: opt(v, "amd_verdict"),
            recording: opt(v, "recording"),
            dial,
            turns,
        })
    }
}

#[cfg(test)]
pub(crate) fn sample(key: &str) -> CallRecord {
    CallRecord {
        key: key.into(),
        uniqueid: "1795600000.1".into(),
        channel: "PJSIP/trunk-00000001".into(),
        campaign: "demo".into(),
        phone: Some("+33612345678".into()),
        answered_at_ms: 1_795_600_000_000,
        ended_at_ms: 1_795_600_040_000,
        status: "SUCCESS".into(),
        outcome: "appointment".into(),
        score: 90,
        lead_class: "hot".into(),
        reasons: vec!["assets: livret_a (+10)".into()],
        callback_when: None,
        amd_verdict: Some("human (amd: HUMAN/HUMAN-500-500)".into()),
        dial: Some(DialAttempt {
            queue_id: 7, contact_id: 3, campaign_id: 1, attempt: 2, node: "node1".into(), dialed_at_ms: 1_795_599_990_000,
            next_status: "done".into(), next_attempt_at_ms: None,
        }),
        recording: Some("/var/spool/asterisk/monitor/minibot/demo/2026-11-26/1795600000.1.wav".into()),
        turns: vec![
            TurnRecord { step: "hello".into(), text: "oui".into(), intent: Some("positive".into()), confidence: Some(0.95), tier: Some("local".into()), at_ms: 5000, ..Default::default() },
            TurnRecord { step: "q1".into(), no_input: true, at_ms: 20000, ..Default::default() },
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CallStatus, Intent, Outcome};

    #[test]
    fn a_call_result_becomes_its_record_under_the_node_and_uniqueid() {
        let call = CallIdentity {
            node: "pbx1".into(),
            uniqueid: "1795600000.7".into(),
            channel: "PJSIP/trunk-0001".into(),
            campaign: "demo".into(),
            phone: Some("+33612345678".into()),
            answered_at_ms: 1_000,
            ended_at_ms: 9_000,
            recording: None,
        };
        let mut result = CallResult::unheard(CallStatus::Hangup, Outcome::HangupEarly);
        let record = CallRecord::of_call(&call, &result);
        assert_eq!((record.key.as_str(), record.status.as_str(), record.outcome.as_str()), ("pbx1/1795600000.7", "HANGUP", "hangup_early"));
        assert_eq!((record.lead_class.as_str(), record.turns.len(), record.dial.is_none()), (crate::qualify::NOT_QUALIFIED, 0, true));
        result.turns.push(Turn { step: "hello".into(), text: "oui".into(), intent: Some(Intent::Positive), confidence: 0.9, ..Turn::default() });
        let turn = &CallRecord::of_call(&call, &result).turns[0];
        assert_eq!((turn.intent.as_deref(), turn.confidence, turn.dtmf.as_deref()), (Some("positive"), Some(0.9), None));
    }

    #[test]
    fn round_trips_through_json() {
        let record = sample("node1/1795600000.1");
        assert_eq!(CallRecord::from_json(&record.to_json()).unwrap(), record);
        assert_eq!(record.transcript(), "[hello] oui\n[q1] (silence)");
        assert!(CallRecord::from_json(&serde_json::json!({"key": "x"})).is_err());
        let plain = CallRecord { dial: None, amd_verdict: None, recording: None, ..record };
        assert_eq!(CallRecord::from_json(&plain.to_json()).unwrap(), plain);
    }
}
