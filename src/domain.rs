//! The domain's types: the words every part of MiniBot speaks (intents, outcomes, call
//! statuses, tiers, step contexts, turns). It imports nothing from the crate, and everything else
//! imports it, so no dependency runs back up the pipeline
//! (audio -> VAD -> ASR -> intent -> scenario -> prompt and DB).

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
    /// Entities of the step's context; empty when none apply.
    pub entities: Vec<String>,
    pub sentiment: Sentiment,
    pub topic: Option<Topic>,
    /// An unclear turn that is not an answer at all: the callee asks to hear the question again,
    /// or only hesitates. Decided from the words by rule, whichever tier gave the intent.
    pub repair: Option<Repair>,
    /// An opt-out said without opt-out words that the tier is not sure of (the floor alone, the
    /// model below `CONFIRM_BELOW`, or the LLM's reading): a campaign with `confirm_opt_out` asks
    /// it back, and it stands unless the callee says yes to being called again.
    pub opt_out_unsure: bool,
}

/// What an unclear turn asks of the bot instead of counting as an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repair {
    /// "pardon ?", "vous pouvez répéter", "j'entends mal": the question is played again.
    Repeat,
    /// "euh... attendez", "ben alors": the callee is still looking for the answer; the bot waits.
    Hesitation,
}

impl Repair {
    pub fn as_str(self) -> &'static str {
        match self {
            Repair::Repeat => "repeat",
            Repair::Hesitation => "hesitation",
        }
    }
}

/// The value of MINIBOTSTATUS when MiniBot() returns, for the dialplan to branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallStatus {
    /// The bot ran the call to its end.
    Success,
    /// No campaign, or a campaign name that cannot exist: nothing was played.
    NoCampaign,
    /// `enabled = no` in minibot.conf: the call was left alone.
    Disabled,
    /// The callee hung up before the bot finished.
    Hangup,
    /// Something failed inside the module; the details are in Asterisk's log.
    Error,
}

impl CallStatus {
    pub const ALL: [CallStatus; 5] =
        [CallStatus::Success, CallStatus::NoCampaign, CallStatus::Disabled, CallStatus::Hangup, CallStatus::Error];

    pub fn as_str(self) -> &'static str {
        match self {
            CallStatus::Success => "SUCCESS",
            CallStatus::NoCampaign => "NOCAMPAIGN",
            CallStatus::Disabled => "DISABLED",
            CallStatus::Hangup => "HANGUP",
            CallStatus::Error => "ERROR",
        }
    }

    pub fn index(self) -> usize {
        CallStatus::ALL.iter().position(|s| *s == self).expect("ALL lists every status")
    }
}

impl fmt::Display for CallStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the conversation ended, for the campaign's records (MINIBOTOUTCOME).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The callee accepted the campaign's offer (a call back, a visit, a meeting).
    Appointment,
    /// The callee asked to be called at another time.
    Callback,
    NotInterested,
    /// The callee asked never to be called again: the contact is opted out.
    DoNotCall,
    AnsweringMachine,
    /// Nobody answered any question (silence all along).
    NoAnswer,
    /// The callee hung up before the end of the scenario.
    HangupEarly,
    /// Something failed in the module.
    Failed,
    /// The scenario ran to an end that names no outcome.
    Completed,
    /// Dialed by the campaign: it rang and nobody picked up.
    Unanswered,
    /// Dialed by the campaign: the line was busy.
    Busy,
    /// Dialed by the campaign: the network could not place the call (congestion, rejection).
    Congestion,
    /// Dialed by the campaign: the number does not exist or the dial string failed.
    Unreachable,
}

impl Outcome {
    pub const ALL: [Outcome; 13] = [
        Outcome::Appointment,
        Outcome::Callback,
        Outcome::NotInterested,
        Outcome::DoNotCall,
        Outcome::AnsweringMachine,
        Outcome::NoAnswer,
        Outcome::HangupEarly,
        Outcome::Failed,
        Outcome::Completed,
        Outcome::Unanswered,
        Outcome::Busy,
        Outcome::Congestion,
        Outcome::Unreachable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Appointment => "appointment",
            Outcome::Callback => "callback",
            Outcome::NotInterested => "not_interested",
            Outcome::DoNotCall => "do_not_call",
            Outcome::AnsweringMachine => "answering_machine",
            Outcome::NoAnswer => "no_answer",
            Outcome::HangupEarly => "hangup_early",
            Outcome::Failed => "failed",
            Outcome::Completed => "completed",
            Outcome::Unanswered => "unanswered",
            Outcome::Busy => "busy",
            Outcome::Congestion => "congestion",
            Outcome::Unreachable => "unreachable",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == s.trim())
    }

    pub fn names() -> String {
        Outcome::ALL.map(|o| o.as_str()).join(", ")
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which tier decided a turn's intent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tier {
    /// A cached answer the local model gave at `llm_below` or above (firsthand, like `Local`).
    CacheOfLocal,
    /// A cached answer the LLM gave.
    CacheOfLlm,
    /// The local model's answer at `llm_below` or above.
    #[default]
    Local,
    /// The local model's answer under `llm_below` that stood: no LLM, or it failed or was late.
    LocalUnsure,
    Llm,
    /// Keys pressed, not words.
    Dtmf,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::CacheOfLocal | Tier::CacheOfLlm => "cache",
            Tier::Local | Tier::LocalUnsure => "local",
            Tier::Llm => "llm",
            Tier::Dtmf => "dtmf",
        }
    }
}


/// What a step asks, as far as understanding the answer goes: true of every campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum StepKind {
    /// May I talk to you? (the introduction, a rebuttal)
    Greeting,
    /// A question of the campaign: its answer may name entities and earn points.
    #[default]
    Question,
    /// An offer (a call back, a visit, a meeting): "rappelez-moi" there accepts it.
    Offer,
    /// A message that expects no particular answer.
    Other,
}

impl StepKind {
    pub const ALL: [StepKind; 4] = [StepKind::Greeting, StepKind::Question, StepKind::Offer, StepKind::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Greeting => "greeting",
            StepKind::Question => "question",
            StepKind::Offer => "offer",
            StepKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<StepKind> {
        StepKind::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
}

/// A named value an answer can yield ("livret_a", "owner"), with the French words that name it,
/// normalized (lowercase, no accents or punctuation) and padded (" plein sud ") for whole-word
/// matching, as the campaign's scenario lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityCues {
    pub name: String,
    pub cues: Vec<String>,
}

/// What an answer is understood against: the step's kind and what the campaign says about it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StepContext {
    /// "campaign.step": also the cache's key, since entities differ from step to step.
    pub id: String,
    pub kind: StepKind,
    /// The question as the callee heard it (for the LLM, transcripts and reports).
    pub question: String,
    pub entities: Vec<EntityCues>,
    /// Words that name what the step asks about when it asks for no entity ("inflation" at the
    /// question on inflation): a turn that says them answers this step, and at another step it
    /// answers this one (they are in the other steps' `elsewhere`).
    pub topic: Vec<String>,
    /// The entities and topics the campaign's other steps ask for (less this step's own cues): a turn that
    /// names one of them may answer another question than this one ("oui j'ai un livret A" when
    /// asked about inflation), which the intent model weighs. A cue that is an everyday word alone
    /// ("maison", "bois") also fires on turns that name nothing ("je suis à la maison"): the
    /// model learns how far to trust it, and longer cues make it a sharper signal.
    pub elsewhere: Vec<EntityCues>,
    /// The entity a plain "no" yields when it names none (e.g. "none": no savings at all).
    pub none_entity: Option<String>,
    /// The campaign's own words to the LLM: who calls, about what.
    pub llm_instructions: String,
}

impl StepContext {
    /// Every entity name the step can yield, `none_entity` included.
    pub fn entity_names(&self) -> Vec<&str> {
        self.entities.iter().map(|e| e.name.as_str()).chain(self.none_entity.as_deref()).collect()
    }
}

/// One exchange: what the callee answered at a step, and what it was understood to mean.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Turn {
    pub step: String,
    /// What the step asked (its kind and words), as the campaign describes it.
    pub kind: StepKind,
    pub question: String,
    pub text: String,
    pub intent: Option<Intent>,
    pub confidence: f32,
    pub entities: Vec<String>,
    pub sentiment: Option<Sentiment>,
    pub tier: Option<Tier>,
    /// Recognizer's final result after the end of speech, and intent decision after that.
    pub asr_ms: f64,
    pub intent_ms: f64,
    pub dtmf: Option<char>,
    pub no_input: bool,
    pub barged_in: bool,
    pub at_ms: u64,
}


/// Wakes a call's loop from another thread (a decoder's result, the LLM's answer), so that it
/// reads them at once instead of at its next frame or deadline. `Waker::default()` wakes nothing.
#[derive(Clone, Default)]
pub struct Waker(Option<std::sync::Arc<dyn Fn() + Send + Sync>>);

impl Waker {
    pub fn new(wake: impl Fn() + Send + Sync + 'static) -> Waker {
        Waker(Some(std::sync::Arc::new(wake)))
    }

    pub fn wake(&self) {
        if let Some(wake) = &self.0 {
            wake();
        }
    }
}

impl std::fmt::Debug for Waker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "Waker" } else { "Waker(none)" })
    }
}
