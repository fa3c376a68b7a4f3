//! Lead qualification from the turns of a call, by the campaign's own rules (read from its
//! scenario): the points each question's answer earns (per intent, per entity named, capped),
//! the points of the call's outcome, and the lead classes with their thresholds.

use crate::domain::{Intent, Outcome, Turn};

/// What the answer to one step is worth.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StepPoints {
    /// How reports name the answer ("assets", "inflation concern"); default: the step's name.
    pub label: String,
    pub per_intent: Vec<(Intent, u32)>,
    /// Per entity named (the step's "none" entity excluded), unless `per_named` has its own.
    pub per_entity: u32,
    /// Points of a particular entity ("owner" 30, "tenant" 0).
    pub per_named: Vec<(String, u32)>,
    /// The step's cap, if any.
    pub max: Option<u32>,
    pub none_entity: Option<String>,
}

impl StepPoints {
    pub fn is_empty(&self) -> bool {
        self.per_intent.is_empty() && self.per_entity == 0 && self.per_named.is_empty()
    }
}

/// A campaign's scoring: per step, per outcome, and the lead classes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scoring {
    /// (step name, its points), in the scenario's order.
    pub steps: Vec<(String, StepPoints)>,
    pub outcomes: Vec<(Outcome, u32)>,
    /// (class, lowest score), highest threshold first. A score under every threshold, or a call
    /// that ends as an opt-out, a machine, unanswered or failed, is "not_qualified".
    pub leads: Vec<(String, u32)>,
}

pub const NOT_QUALIFIED: &str = "not_qualified";

#[derive(Debug, Clone, PartialEq)]
pub struct Qualification {
    pub score: u32,
    pub class: String,
    pub reasons: Vec<String>,
}

impl Qualification {
    /// A call that never got to a question.
    pub fn none() -> Qualification {
        Qualification { score: 0, class: NOT_QUALIFIED.into(), reasons: Vec::new() }
    }
}

/// Outcomes that disqualify whatever was said: nobody to qualify, or nobody to call again.
fn disqualifies(outcome: Outcome) -> bool {
    matches!(
        outcome,
        Outcome::DoNotCall
            | Outcome::AnsweringMachine
            | Outcome::NoAnswer
            | Outcome::Failed
            | Outcome::Unanswered
            | Outcome::Busy
            | Outcome::Congestion
            | Outcome::Unreachable
    )
}

pub fn qualify(turns: &[Turn], outcome: Outcome, scoring: &Scoring) -> Qualification {
    let mut score = 0;
    let mut reasons = Vec::new();
    for (step, points) in &scoring.steps {
        // The last answer at the step counts (a repeated question's answer replaces the first).
        let Some(turn) = turns.iter().rev().find(|t| &t.step == step && t.intent.is_some()) else { continue };
        let (earned, what) = step_points(turn, points);
        if earned > 0 {
            score += earned;
            let label = if points.label.is_empty() { step.as_str() } else { points.label.as_str() };
            reasons.push(format!("{label}: {what} (+{earned})"));
        }
    }
    if let Some((_, points)) = scoring.outcomes.iter().find(|(o, _)| *o == outcome) {
        if *points > 0 {
            score += points;
            reasons.push(format!("outcome {outcome} (+{points})"));
        }
    }
    let score = score.min(100);
    let class = if disqualifies(outcome) {
        reasons.push(format!("outcome {outcome}"));
        NOT_QUALIFIED.to_string()
    } else if score == 0 {
        NOT_QUALIFIED.to_string()
    } else {
        scoring.leads.iter().find(|(_, from)| score >= *from).map_or_else(|| NOT_QUALIFIED.to_string(), |(class, _)| class.clone())
    };
    Qualification { score, class, reasons }
}

/// Points of one answer and what earned them ("livret_a, pel" or "positive").
fn step_points(turn: &Turn, points: &StepPoints) -> (u32, String) {
    let named: Vec<&str> = turn.entities.iter().map(String::as_str).filter(|e| Some(*e) != points.none_entity.as_deref()).collect();
    let by_intent = turn.intent.and_then(|i| points.per_intent.iter().find(|(want, _)| *want == i)).map_or(0, |(_, p)| *p);
    let by_entity: u32 = named.iter().map(|e| points.per_named.iter().find(|(n, _)| n == e).map_or(points.per_entity, |(_, p)| *p)).sum();
    let earned = points.max.map_or(by_intent + by_entity, |max| (by_intent + by_entity).min(max));
    let what = if by_entity > 0 { named.join(", ") } else { turn.intent.map_or_else(String::new, |i| i.as_str().to_string()) };
    (earned, what)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The demo campaign's rules (the real ones live in minibot_scenarios.conf).
    fn demo() -> Scoring {
        let step = |name: &str, points: StepPoints| (name.to_string(), points);
        Scoring {
            steps: vec![
                step("q1", StepPoints { label: "assets".into(), per_entity: 10, max: Some(30), none_entity: Some("none".into()), ..StepPoints::default() }),
                step("q2", StepPoints { label: "inflation concern".into(), per_intent: vec![(Intent::Positive, 20)], ..StepPoints::default() }),
                step("q3", StepPoints { label: "adviser".into(), per_intent: vec![(Intent::Negative, 20)], ..StepPoints::default() }),
            ],
            outcomes: vec![(Outcome::Appointment, 30)],
            leads: vec![("hot".into(), 70), ("warm".into(), 40), ("cold".into(), 1)],
        }
    }

    fn turn(step: &str, intent: Intent, entities: &[&str]) -> Turn {
        Turn { step: step.into(), intent: Some(intent), entities: entities.iter().map(|s| s.to_string()).collect(), ..Turn::default() }
    }

    #[test]
    fn scores_the_answers_and_the_appointment() {
        let turns = [
            turn("hello", Intent::Positive, &[]),
            turn("q1", Intent::Positive, &["livret_a", "assurance_vie"]),
            turn("q2", Intent::Positive, &[]),
            turn("q3", Intent::Negative, &[]),
        ];
        let q = qualify(&turns, Outcome::Appointment, &demo());
        assert_eq!((q.score, q.class.as_str()), (90, "hot"));
        assert_eq!(q.reasons.len(), 4);
        assert_eq!(q.reasons[0], "assets: livret_a, assurance_vie (+20)");
        assert_eq!(q.reasons[1], "inflation concern: positive (+20)");
        let q = qualify(&turns[..3], Outcome::NotInterested, &demo());
        assert_eq!((q.score, q.class.as_str()), (40, "warm"));
        let q = qualify(&[turn("q1", Intent::Negative, &["none"])], Outcome::NotInterested, &demo());
        assert_eq!((q.score, q.class.as_str()), (0, NOT_QUALIFIED));
    }

    #[test]
    fn opt_outs_and_machines_are_not_qualified_and_caps_hold() {
        let turns = [turn("q1", Intent::Positive, &["pel"])];
        assert_eq!(qualify(&turns, Outcome::DoNotCall, &demo()).class, NOT_QUALIFIED);
        assert_eq!(qualify(&turns, Outcome::Callback, &demo()).class, "cold");
        let many = [turn("q1", Intent::Positive, &["pel", "per", "actions", "immobilier"])];
        assert_eq!(qualify(&many, Outcome::Completed, &demo()).score, 30, "capped by the step's max");
        // The last answer at a step counts.
        let twice = [turn("q2", Intent::Positive, &[]), turn("q2", Intent::Negative, &[])];
        assert_eq!(qualify(&twice, Outcome::Completed, &demo()).score, 0);
    }

    #[test]
    fn an_entity_can_be_worth_its_own_points() {
        let heating = StepPoints {
            per_named: vec![("fioul".into(), 30), ("bois".into(), 10)],
            per_entity: 20,
            max: Some(30),
            ..StepPoints::default()
        };
        let scoring = Scoring { steps: vec![("q2".into(), heating)], leads: vec![("warm".into(), 1)], ..Scoring::default() };
        let score = |entities: &[&str]| qualify(&[turn("q2", Intent::Positive, entities)], Outcome::Completed, &scoring).score;
        assert_eq!((score(&["fioul"]), score(&["bois"]), score(&["gaz"]), score(&["bois", "gaz"]), score(&["fioul", "gaz"])), (30, 10, 20, 30, 30));
    }

    #[test]
    fn a_campaign_without_rules_scores_nothing() {
        let q = qualify(&[turn("q1", Intent::Positive, &["pel"])], Outcome::Appointment, &Scoring::default());
        assert_eq!((q.score, q.class.as_str()), (0, NOT_QUALIFIED));
    }
}
