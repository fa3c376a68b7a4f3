//! Understanding the callee: intents, entities and sentiment of an utterance, decided by tiers
//! so that a turn never waits on a slow model: a cache of normalized utterances, a local French
//! classifier (microseconds), and the LLM (on a worker pool, with a deadline) when the local
//! answer is not confident enough.

pub mod classifier;
pub mod eval;
pub mod llm;
pub mod normalize;
pub mod service;
pub mod when;

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Intent {
    Positive,
    Negative,
    Callback,
    Question,
    AnsweringMachine,
    DoNotCall,
    Unclear,
}

impl Intent {
    pub const ALL: [Intent; 7] = [
        Intent::Positive,
        Intent::Negative,
        Intent::Callback,
        Intent::Question,
        Intent::AnsweringMachine,
        Intent::DoNotCall,
        Intent::Unclear,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Intent::Positive => "positive",
            Intent::Negative => "negative",
            Intent::Callback => "callback",
            Intent::Question => "question",
            Intent::AnsweringMachine => "answering_machine",
            Intent::DoNotCall => "do_not_call",
            Intent::Unclear => "unclear",
        }
    }

    pub fn parse(s: &str) -> Option<Intent> {
        Intent::ALL.into_iter().find(|i| i.as_str() == s.trim())
    }
}

impl fmt::Display for Intent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sentiment {
    Positive,
    Neutral,
    Negative,
}

impl Sentiment {
    pub fn as_str(self) -> &'static str {
        match self {
            Sentiment::Positive => "positive",
            Sentiment::Neutral => "neutral",
            Sentiment::Negative => "negative",
        }
    }

    pub fn parse(s: &str) -> Option<Sentiment> {
        [Sentiment::Positive, Sentiment::Neutral, Sentiment::Negative].into_iter().find(|x| x.as_str() == s.trim())
    }
}

/// Assets a callee declares at q1.
pub const ASSETS: [&str; 7] = ["livret_a", "pel", "assurance_vie", "actions", "immobilier", "per", "none"];

/// Which frequent question the callee asked, when it is one the scenario has an answer for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    WhoAreYou,
    HowGotNumber,
    IsItFree,
}

impl Topic {
    pub fn as_str(self) -> &'static str {
        match self {
            Topic::WhoAreYou => "who",
            Topic::HowGotNumber => "number",
            Topic::IsItFree => "free",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Classification {
    pub intent: Intent,
    /// 0..1: how sure the tier is.
    pub confidence: f32,
    /// q1 assets (see [`ASSETS`]); empty when none apply.
    pub entities: Vec<&'static str>,
    pub sentiment: Sentiment,
    pub topic: Option<Topic>,
}
