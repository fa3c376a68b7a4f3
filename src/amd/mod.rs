//! Hybrid answering-machine detection: Asterisk's AMD() verdict (AMDSTATUS, AMDCAUSE) weighed
//! with what the module hears itself in the first seconds: a voicemail beep, a long uninterrupted
//! greeting, voicemail words (the classifier's answering_machine intent), or a short "allô ?"
//! followed by silence (a person waiting for someone to speak). Pure: times are milliseconds
//! since the bot started listening, given by the caller.

use crate::config::document::{ConfigError, FromKeys, Key};

pub mod tone;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmdConfig {
    /// A first turn at least this long, without a pause, is a recorded greeting.
    pub long_greeting_ms: u32,
    /// A first answer at most this long, followed by `silence_ms` of silence, is a person.
    pub human_answer_ms: u32,
    pub silence_ms: u32,
    /// After AMD() said MACHINE: the longest wait for the beep or the end of the greeting.
    pub max_wait_ms: u32,
}

impl Default for AmdConfig {
    fn default() -> AmdConfig {
        AmdConfig { long_greeting_ms: 4000, human_answer_ms: 1500, silence_ms: 1500, max_wait_ms: 15_000 }
    }
}

/// AMD()'s result, from the channel variables AMDSTATUS and AMDCAUSE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsteriskAmd {
    pub status: String,
    pub cause: String,
}

impl AsteriskAmd {
    /// None when AMD() did not run on the call.
    pub fn from_variables(status: &str, cause: &str) -> Option<AsteriskAmd> {
        let status = status.trim();
        (!status.is_empty()).then(|| AsteriskAmd { status: status.to_string(), cause: cause.trim().to_string() })
    }

    pub fn says_machine(&self) -> bool {
        self.status == "MACHINE"
    }

    fn describe(&self) -> String {
        if self.cause.is_empty() {
            format!("amd {}", self.status)
        } else {
            format!("amd {} ({})", self.status, self.cause)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Human,
    Machine,
}

pub struct MachineDetector {
    config: AmdConfig,
    amd: Option<AsteriskAmd>,
    /// Start of the callee's current turn.
    speaking_since: Option<u64>,
    /// Finished turns: (start, length).
    turns: Vec<(u64, u64)>,
    last_end: Option<u64>,
    beep: Option<(u64, u32)>,
    /// The verdict, what decided it (for the record) and a short name of that evidence (metrics).
    decided: Option<(Verdict, String, &'static str)>,
}

impl MachineDetector {
    pub fn new(config: AmdConfig, amd: Option<AsteriskAmd>) -> MachineDetector {
        MachineDetector { config, amd, speaking_since: None, turns: Vec::new(), last_end: None, beep: None, decided: None }
    }

    pub fn config(&self) -> AmdConfig {
        self.config
    }

    /// Whether the bot should hold its first prompt and listen (AMD() heard a machine).
    pub fn wait_first(&self) -> bool {
        self.amd.as_ref().is_some_and(AsteriskAmd::says_machine)
    }

    pub fn beep_heard(&self) -> bool {
        self.beep.is_some()
    }

    pub fn speech_started(&mut self, at_ms: u64) {
        self.speaking_since.get_or_insert(at_ms);
    }

    pub fn speech_ended(&mut self, at_ms: u64) {
        if let Some(start) = self.speaking_since.take() {
            self.turns.push((start, at_ms.saturating_sub(start)));
            self.last_end = Some(at_ms);
        }
    }

    pub fn beep(&mut self, at_ms: u64, hz: u32) {
        self.beep.get_or_insert((at_ms, hz));
    }

    fn amd_text(&self) -> String {
        self.amd.as_ref().map_or_else(|| "no amd".to_string(), AsteriskAmd::describe)
    }

    fn decide(&mut self, verdict: Verdict, evidence: &'static str, why: String) -> Option<Verdict> {
        self.decided = Some((verdict, why, evidence));
        Some(verdict)
    }

    /// While the bot holds its first prompt (AMD() said MACHINE): the verdict once the evidence
    /// is in, None to keep listening.
    pub fn while_waiting(&mut self, now_ms: u64) -> Option<Verdict> {
        if let Some((verdict, ..)) = &self.decided {
            return Some(*verdict);
        }
        let amd = self.amd_text();
        let c = self.config;
        if let Some((_, hz)) = self.beep {
            return self.decide(Verdict::Machine, "amd+beep", format!("{amd} + beep ({hz} Hz)"));
        }
        let quiet_for = self.last_end.map(|end| now_ms.saturating_sub(end));
        if self.speaking_since.is_none() {
            match (self.turns.as_slice(), quiet_for) {
                ([(_, len)], Some(quiet)) if *len <= u64::from(c.human_answer_ms) && quiet >= u64::from(c.silence_ms) => {
                    return self.decide(Verdict::Human, "short_answer", format!("{amd} overruled: a short answer ({len} ms) then silence"));
                }
                ([.., (_, len)], Some(quiet)) if *len > u64::from(c.human_answer_ms) && quiet >= u64::from(c.silence_ms) => {
                    return self.decide(Verdict::Machine, "amd+greeting_end", format!("{amd} + the greeting ended ({len} ms)"));
                }
                ([], None) if now_ms >= 2 * u64::from(c.silence_ms) => {
                    return self.decide(Verdict::Machine, "amd+silence", format!("{amd} + silence"));
                }
                _ => {}
            }
        }
        if now_ms >= u64::from(c.max_wait_ms) {
            return self.decide(Verdict::Machine, "amd", format!("{amd} (no beep within {} s)", c.max_wait_ms / 1000));
        }
        None
    }

    /// During the conversation, on calls where AMD() ran (without it only voicemail words count,
    /// through the classifier): Machine on a beep in the first seconds, or, when AMD() could not
    /// decide, on a first turn that starts at once and runs on longer than a person's "allô" ever
    /// does (a greeting). After AMD() said HUMAN a long first answer is a talkative person.
    pub fn during_call(&mut self, now_ms: u64) -> Option<Verdict> {
        if let Some((verdict, ..)) = &self.decided {
            return Some(*verdict);
        }
        let amd = self.amd.clone()?;
        let c = self.config;
        // A beep in the first seconds; later, a tone is the callee's business (a notification).
        if let Some((_, hz)) = self.beep.filter(|(at, _)| *at <= u64::from(c.max_wait_ms)) {
            return self.decide(Verdict::Machine, "beep", format!("beep ({hz} Hz); {}", amd.describe()));
        }
        if amd.status != "NOTSURE" {
            return None;
        }
        let first_turn = match (self.turns.first(), self.speaking_since) {
            (Some((start, len)), _) => Some((*start, *len)),
            (None, Some(start)) => Some((start, now_ms.saturating_sub(start))),
            (None, None) => None,
        };
        match first_turn {
            Some((start, len)) if start <= u64::from(c.human_answer_ms) && len >= u64::from(c.long_greeting_ms) => {
                self.decide(Verdict::Machine, "long_greeting", format!("long greeting ({len} ms); {}", amd.describe()))
            }
            _ => None,
        }
    }

    /// The verdict and what decided it, for `calls.amd_verdict`. `words`: the classifier heard
    /// voicemail words (the call's outcome is answering_machine).
    pub fn describe(&self, words: bool) -> String {
        match (&self.decided, words) {
            (Some((Verdict::Machine, why, _)), _) => format!("machine: {why}"),
            (_, true) => format!("machine: voicemail words; {}", self.amd_text()),
            (Some((Verdict::Human, why, _)), false) => format!("human: {why}"),
            (None, false) => format!("human: {}", self.amd_text()),
        }
    }

    /// ("machine" or "human", the evidence that decided) for metrics.
    pub fn evidence(&self, words: bool) -> (&'static str, &'static str) {
        match (&self.decided, words) {
            (Some((Verdict::Machine, _, by)), _) => ("machine", by),
            (_, true) => ("machine", "words"),
            (Some((Verdict::Human, _, by)), false) => ("human", by),
            (None, false) => ("human", if self.amd.is_some() { "amd" } else { "none" }),
        }
    }
}

/// `[amd]` in minibot.conf.
impl FromKeys for AmdConfig {
    fn apply(&mut self, key: &Key) -> Result<bool, ConfigError> {
        match key.name() {
            "long_greeting_ms" => self.long_greeting_ms = key.number(500, 60_000)?,
            "human_answer_ms" => self.human_answer_ms = key.number(100, 10_000)?,
            "silence_ms" => self.silence_ms = key.number(100, 10_000)?,
            "max_wait_ms" => self.max_wait_ms = key.number(1000, 120_000)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amd(status: &str, cause: &str) -> Option<AsteriskAmd> {
        AsteriskAmd::from_variables(status, cause)
    }

    #[test]
    fn amd_machine_confirmed_by_a_beep_or_the_end_of_the_greeting() {
        let mut d = MachineDetector::new(AmdConfig::default(), amd("MACHINE", "LONGGREETING-1600-1500"));
        assert!(d.wait_first());
        d.speech_started(0);
        assert_eq!(d.while_waiting(2000), None, "the greeting goes on");
        d.speech_ended(3000);
        d.beep(3400, 1000);
        assert_eq!(d.while_waiting(3420), Some(Verdict::Machine));
        assert_eq!(d.describe(false), "machine: amd MACHINE (LONGGREETING-1600-1500) + beep (1000 Hz)");
        assert_eq!(d.evidence(false), ("machine", "amd+beep"));

        let mut no_beep = MachineDetector::new(AmdConfig::default(), amd("MACHINE", "LONGGREETING-1600-1500"));
        no_beep.speech_started(0);
        no_beep.speech_ended(4000);
        assert_eq!(no_beep.while_waiting(5000), None);
        assert_eq!(no_beep.while_waiting(5600), Some(Verdict::Machine));
        assert!(no_beep.describe(false).contains("the greeting ended (4000 ms)"));
    }

    #[test]
    fn a_short_allo_then_silence_overrules_amd() {
        let mut d = MachineDetector::new(AmdConfig::default(), amd("MACHINE", "MAXWORDS-4-3"));
        d.speech_started(200);
        d.speech_ended(900);
        assert_eq!(d.while_waiting(1500), None);
        assert_eq!(d.while_waiting(2500), Some(Verdict::Human));
        assert_eq!(d.describe(false), "human: amd MACHINE (MAXWORDS-4-3) overruled: a short answer (700 ms) then silence");
    }

    #[test]
    fn silence_or_the_wait_bound_leaves_amd_s_verdict() {
        let mut d = MachineDetector::new(AmdConfig::default(), amd("MACHINE", "INITIALSILENCE-2500-2500"));
        assert_eq!(d.while_waiting(2900), None);
        assert_eq!(d.while_waiting(3000), Some(Verdict::Machine));
        let mut talking = MachineDetector::new(AmdConfig::default(), amd("MACHINE", ""));
        talking.speech_started(0);
        assert_eq!(talking.while_waiting(14_000), None);
        assert_eq!(talking.while_waiting(15_000), Some(Verdict::Machine));
        assert_eq!(talking.describe(false), "machine: amd MACHINE (no beep within 15 s)");
    }

    #[test]
    fn own_evidence_during_the_call() {
        let mut human = MachineDetector::new(AmdConfig::default(), amd("HUMAN", "HUMAN-300-800"));
        assert!(!human.wait_first());
        human.speech_started(100);
        human.speech_ended(700);
        assert_eq!(human.during_call(5000), None);
        assert_eq!(human.describe(false), "human: amd HUMAN (HUMAN-300-800)");
        assert_eq!(human.describe(true), "machine: voicemail words; amd HUMAN (HUMAN-300-800)");
        assert_eq!((human.evidence(false), human.evidence(true)), (("human", "amd"), ("machine", "words")));

        let mut greeting = MachineDetector::new(AmdConfig::default(), amd("NOTSURE", "TOOLONG-5000"));
        greeting.speech_started(0);
        assert_eq!(greeting.during_call(3000), None);
        assert_eq!(greeting.during_call(4000), Some(Verdict::Machine), "still talking after 4 s");
        assert_eq!(greeting.describe(false), "machine: long greeting (4000 ms); amd NOTSURE (TOOLONG-5000)");

        let mut beep = MachineDetector::new(AmdConfig::default(), amd("HUMAN", "HUMAN-300-800"));
        beep.beep(800, 425);
        assert_eq!(beep.during_call(820), Some(Verdict::Machine));
        assert_eq!(beep.describe(false), "machine: beep (425 Hz); amd HUMAN (HUMAN-300-800)");
        // After AMD said HUMAN, a long first answer is a talkative person.
        let mut talkative = MachineDetector::new(AmdConfig::default(), amd("HUMAN", "HUMAN-300-800"));
        talkative.speech_started(200);
        assert_eq!(talkative.during_call(6000), None);
        // A long turn that does not start at once is an answer, not a greeting.
        let mut later = MachineDetector::new(AmdConfig::default(), amd("NOTSURE", "TOOLONG-5000"));
        later.speech_started(3000);
        assert_eq!(later.during_call(12_000), None);
        // Without AMD() only the classifier's voicemail words count.
        let mut without = MachineDetector::new(AmdConfig::default(), None);
        without.beep(800, 425);
        without.speech_started(0);
        assert_eq!(without.during_call(9000), None);
        assert_eq!(without.describe(true), "machine: voicemail words; no amd");
    }
}
