//! Lead qualification from the turns of a call: assets declared (q1), inflation concern (q2),
//! dissatisfaction with the bank adviser (q3), an accepted appointment. Weights and thresholds
//! come from minibot.conf's [qualification] section.

use crate::call::controller::Turn;
use crate::call::Outcome;
use crate::nlp::classifier::StepContext;
use crate::nlp::Intent;

#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    /// Points per asset declared at q1, up to `assets_max`.
    pub asset_points: u32,
    pub assets_max: u32,
    pub inflation_concern: u32,
    pub adviser_dissatisfied: u32,
    pub appointment: u32,
    /// Score from which a lead is hot / warm (below: cold, or not qualified at 0).
    pub hot: u32,
    pub warm: u32,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules { asset_points: 10, assets_max: 30, inflation_concern: 20, adviser_dissatisfied: 20, appointment: 30, hot: 70, warm: 40 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeadClass {
    Hot,
    Warm,
    Cold,
    NotQualified,
}

impl LeadClass {
    pub fn as_str(self) -> &'static str {
        match self {
            LeadClass::Hot => "hot",
            LeadClass::Warm => "warm",
            LeadClass::Cold => "cold",
            LeadClass::NotQualified => "not_qualified",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Qualification {
    pub score: u32,
    pub class: LeadClass,
    pub reasons: Vec<String>,
}

impl Qualification {
    /// A call that never got to a question.
    pub fn none() -> Qualification {
        Qualification { score: 0, class: LeadClass::NotQualified, reasons: Vec::new() }
    }
}

pub fn qualify(turns: &[Turn], outcome: Outcome, rules: &Rules) -> Qualification {
    let mut score = 0;
    let mut reasons = Vec::new();
    let answered = |context: StepContext| turns.iter().rev().find(|t| t.context == context && t.intent.is_some());
    if let Some(q1) = answered(StepContext::Savings) {
        let assets: Vec<&String> = q1.entities.iter().filter(|e| e.as_str() != "none").collect();
        if !assets.is_empty() {
            let points = (rules.asset_points * assets.len() as u32).min(rules.assets_max);
            score += points;
            reasons.push(format!("assets: {} (+{points})", assets.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")));
        }
    }
    if answered(StepContext::Inflation).is_some_and(|t| t.intent == Some(Intent::Positive)) {
        score += rules.inflation_concern;
        reasons.push(format!("worried about inflation (+{})", rules.inflation_concern));
    }
    if answered(StepContext::Adviser).is_some_and(|t| t.intent == Some(Intent::Negative)) {
        score += rules.adviser_dissatisfied;
        reasons.push(format!("dissatisfied with the bank adviser (+{})", rules.adviser_dissatisfied));
    }
    if outcome == Outcome::Appointment {
        score += rules.appointment;
        reasons.push(format!("appointment accepted (+{})", rules.appointment));
    }
    let score = score.min(100);
    let disqualified = matches!(outcome, Outcome::DoNotCall | Outcome::AnsweringMachine | Outcome::NoAnswer | Outcome::Failed);
    let class = if disqualified || score == 0 {
        if disqualified {
            reasons.push(format!("outcome {outcome}"));
        }
        LeadClass::NotQualified
    } else if score >= rules.hot {
        LeadClass::Hot
    } else if score >= rules.warm {
        LeadClass::Warm
    } else {
        LeadClass::Cold
    };
    Qualification { score, class, reasons }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(context: StepContext, intent: Intent, entities: &[&str]) -> Turn {
        Turn { context, intent: Some(intent), entities: entities.iter().map(|s| s.to_string()).collect(), ..Turn::default() }
    }

    #[test]
    fn scores_the_answers_and_the_appointment() {
        let turns = [
            turn(StepContext::Hello, Intent::Positive, &[]),
            turn(StepContext::Savings, Intent::Positive, &["livret_a", "assurance_vie"]),
            turn(StepContext::Inflation, Intent::Positive, &[]),
            turn(StepContext::Adviser, Intent::Negative, &[]),
        ];
        let q = qualify(&turns, Outcome::Appointment, &Rules::default());
        assert_eq!((q.score, q.class), (90, LeadClass::Hot));
        assert_eq!(q.reasons.len(), 4);
        assert!(q.reasons[0].contains("livret_a, assurance_vie (+20)"));
        let q = qualify(&turns[..3], Outcome::NotInterested, &Rules::default());
        assert_eq!((q.score, q.class), (40, LeadClass::Warm));
        let q = qualify(&[turn(StepContext::Savings, Intent::Negative, &["none"])], Outcome::NotInterested, &Rules::default());
        assert_eq!((q.score, q.class), (0, LeadClass::NotQualified));
    }

    #[test]
    fn opt_outs_and_machines_are_not_qualified() {
        let turns = [turn(StepContext::Savings, Intent::Positive, &["pel"])];
        assert_eq!(qualify(&turns, Outcome::DoNotCall, &Rules::default()).class, LeadClass::NotQualified);
        assert_eq!(qualify(&turns, Outcome::Callback, &Rules::default()).class, LeadClass::Cold);
        let capped = Rules { asset_points: 50, ..Rules::default() };
        let many = [turn(StepContext::Savings, Intent::Positive, &["pel", "per", "actions"])];
        assert_eq!(qualify(&many, Outcome::Completed, &capped).score, 30);
    }
}
