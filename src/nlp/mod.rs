//! Understanding the callee: intents, entities and sentiment of an utterance, decided by tiers
//! so that a turn never waits on a slow model: a cache of normalized utterances, a local French
//! classifier (microseconds), and the LLM (on a worker pool, with a deadline) when the local
//! answer is not confident enough.

pub mod classifier;
pub mod eval;
pub mod llm;
pub mod model;
pub mod normalize;
pub mod service;
pub mod turn_end;
pub mod when;

