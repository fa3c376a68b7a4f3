//! What a call came to, built once it has ended: its score and lead class by the campaign's
//! rules, the callback time the callee asked for (read in their zone), the answering-machine
//! verdict. Pure: the driver only hands it on (channel variables, AMI, the store).

use super::session::Session;
use crate::domain::{CallStatus, Outcome, Turn};
use crate::nlp::when::{parse_callback, LocalNow, When};
use crate::qualify::{qualify, Qualification};
use crate::scenario::Scenario;

#[derive(Debug, Clone, PartialEq)]
pub struct CallResult {
    pub status: CallStatus,
    pub outcome: Outcome,
    pub qualification: Qualification,
    pub callback: Option<When>,
    pub turns: Vec<Turn>,
    /// The answering-machine verdict and what decided it (calls where AMD() ran or a machine
    /// answered).
    pub machine: Option<String>,
}

impl CallResult {
    /// The result of a call that ran its session; `local_now` is the contact's clock.
    pub fn of(session: &Session, scenario: &Scenario, status: CallStatus, outcome: Outcome, local_now: LocalNow) -> CallResult {
        let controller = session.controller();
        let turns = controller.turns().to_vec();
        let callback = (outcome == Outcome::Callback).then(|| controller.callback_text().map(|text| parse_callback(text, local_now))).flatten();
        CallResult {
            status,
            outcome,
            qualification: qualify(&turns, outcome, &scenario.scoring),
            callback,
            turns,
            machine: session.machine_verdict(outcome).map(|(words, _)| words),
        }
    }

    /// An answered call that never got as far as listening (gone at once, or no audiohook):
    /// it still leaves its record.
    pub fn unheard(status: CallStatus, outcome: Outcome) -> CallResult {
        CallResult { status, outcome, qualification: Qualification::none(), callback: None, turns: Vec::new(), machine: None }
    }

    /// The fields of the MiniBotResult event.
    pub fn fields(&self, campaign: &str) -> Vec<(&'static str, String)> {
        let mut fields = vec![
            ("Campaign", campaign.to_string()),
            ("Outcome", self.outcome.as_str().into()),
            ("Score", self.qualification.score.to_string()),
            ("Lead", self.qualification.class.clone()),
            ("Reasons", self.qualification.reasons.join("; ")),
            ("Turns", self.turns.len().to_string()),
        ];
        if let Some(when) = self.callback {
            fields.push(("Callback", when.describe()));
        }
        if let Some(verdict) = &self.machine {
            fields.push(("Machine", verdict.clone()));
        }
        fields
    }
}
