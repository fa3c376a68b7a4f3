//! The adaptive end of turn: at a short pause in the callee's answer the recognizer's words so far
//! are understood at once; what they say ([`TurnConfig::ending`]) sets how much silence ends the
//! turn, which the media path counts in its own stream time (`Action::EndTurnAfter`: a loop or a
//! decoder running late never ends a turn the callee has resumed). When the turn ends the reply
//! starts on those words, and the final text, when it comes, checks the decision: the same
//! meaning is confirmed; another one stops the reply and re-routes the turn while the call has not
//! moved on. In shadow mode the same decision is only counted, and the fixed hangover decides.
//! A callee who goes on right after the reply started was not done: the reply stops and the two
//! parts are understood as one answer (`rejoin`).

use super::*;
use crate::nlp::normalize::tokens;
use crate::nlp::turn_end::{Ending, Mode};

/// The end of turn being decided at the callee's pause.
pub(super) struct Early {
    last_voice_at: Instant,
    /// The pause's number in the media path.
    seq: u64,
    step: String,
    /// The words at the pause, and the classify id asked for them.
    words: String,
    pub(super) asked: Option<u64>,
    understood: Option<Understood>,
    /// Shadow mode: the moment the adaptive end would have ended the turn has passed.
    decided: bool,
    /// The turn has ended (the segmenter's own end) while its words were being understood:
    /// they answer it as soon as they are.
    ended: bool,
    /// Its final text, when it came before its words were understood.
    final_words: Option<(String, f64)>,
}

struct Understood {
    classification: Classification,
    tier: Tier,
    latency: Duration,
    ending: Ending,
}

/// A turn answered on the words at its pause, until its final text confirms or corrects it.
pub(super) struct Commit {
    pub(super) step: String,
    /// Its entry in `turns`.
    record: usize,
    words: String,
    intent: Intent,
    /// The call as it was before the answer moved it on (to correct course).
    before: Checkpoint,
    /// The classify id of the final text, when it differed from the pause's words.
    pub(super) check: Option<u64>,
    /// The words of a reopened answer this turn continued (its final text follows them).
    carried: String,
    /// The callee went on after this turn ended: its final only completes the words carried.
    rejoined: bool,
}

/// The voice answer whose reply is playing, while the callee may still go on.
pub(super) struct Reopen {
    /// Its entry in `turns` (its words: the final text once it came).
    record: usize,
    before: Checkpoint,
    /// When its reply started.
    at: Instant,
    /// `Controller::routes` once it was routed: another routing since (a correction, an opt-out
    /// heard late, keys) makes the reply playing another answer's.
    route: u64,
}

/// A reopened answer's words, which the callee's next words at that step continue.
pub(super) struct Carry {
    pub(super) step: String,
    words: String,
    record: usize,
}

/// What routing an answer changes, to undo it when the final text means something else.
#[derive(Clone)]
pub(super) struct Checkpoint {
    step: String,
    reprompts: u32,
    repairs: u32,
    questions: u32,
    sticky_outcome: Option<Outcome>,
    opt_out_check: Option<super::OptOutCheck>,
    callback_text: Option<String>,
    barged_in: bool,
}

impl Early {
    /// The turn has ended and waits for the meaning of its words.
    pub(super) fn is_ended(&self) -> bool {
        self.ended
    }

    /// An ended turn answered after the call moved on: the final's words when they came.
    fn into_late_turn(self) -> PendingTurn {
        let text = self.final_words.map(|(text, _)| text).filter(|t| !t.is_empty()).unwrap_or(self.words);
        PendingTurn { id: 0, text, asr_ms: 0.0, step: self.step, late: true }
    }
}

impl Checkpoint {
    pub(super) fn of(c: &Controller) -> Checkpoint {
        Checkpoint {
            step: c.step.clone(),
            reprompts: c.reprompts,
            repairs: c.repairs,
            questions: c.questions,
            sticky_outcome: c.sticky_outcome,
            opt_out_check: c.opt_out_check.clone(),
            callback_text: c.callback_text.clone(),
            barged_in: c.barged_in,
        }
    }

    fn restore(self, c: &mut Controller) {
        c.step = self.step;
        c.reprompts = self.reprompts;
        c.repairs = self.repairs;
        c.questions = self.questions;
        c.sticky_outcome = self.sticky_outcome;
        c.opt_out_check = self.opt_out_check;
        c.callback_text = self.callback_text;
        c.barged_in = self.barged_in;
    }
}

impl Controller {
    /// The callee paused while answering: the end of their turn is decided from their words;
    /// until they are known, the usual hangover (never later than the fixed end would be).
    pub(super) fn on_pause(&mut self, last_voice_at: Instant, seq: u64, actions: &mut Vec<Action>) {
        self.last_pause = seq;
        if self.turn_config.mode == Mode::Fixed || self.phase != Phase::Listening || !self.speaking {
            return;
        }
        if self.turn_config.mode == Mode::Adaptive {
            actions.push(Action::EndTurnAfter { pause: seq, silence_ms: self.turn_config.unsure_ms });
        }
        if !self.asr_enabled {
            return; // the recognizer failed mid-call: no words will come, the usual hangover stands
        }
        self.forget_early();
        self.early = Some(Early {
            last_voice_at,
            seq,
            step: self.step.clone(),
            words: String::new(),
            asked: None,
            understood: None,
            decided: false,
            ended: false,
            final_words: None,
        });
    }

    /// They went on: the pause decided nothing (and a prompt resumed at it, for a hum, was
    /// interrupted after all).
    pub(super) fn on_resume(&mut self, now: Instant, actions: &mut Vec<Action>) {
        if std::mem::take(&mut self.resumed_at_pause) && self.phase == Phase::Responding {
            self.barge_in(now, Duration::ZERO, "speech", actions);
        }
        if let Some(step) = self.early.as_ref().filter(|e| e.decided).map(|e| e.step.clone()) {
            actions.push(Action::Event(CallEvent::TurnChecked { step, how: "shadow_cut" }));
        }
        self.forget_early();
    }

    /// The words at the pause: understood now (the LLM, if needed, is asked now too).
    pub(super) fn on_pause_words(&mut self, seq: u64, text: String, now: Instant, actions: &mut Vec<Action>) {
        if seq != self.last_pause {
            return; // the words at an earlier pause: the callee has said more since
        }
        if self.held.is_some() && self.phase == Phase::Listening && self.turn_config.is_backchannel(&text) {
            self.resume(now, actions); // "hm" over the prompt: it plays on
            self.resumed_at_pause = true;
            return;
        }
        if self.early.as_ref().is_none_or(|e| e.asked.is_some()) {
            return;
        }
        if self.held.is_some() && self.early.as_ref().is_some_and(|e| e.ended) && self.turn_config.is_backchannel(&text) {
            // A hum over the prompt heard only after its turn ended: its final resumes the
            // prompt, as without pauses.
            return self.forget_early();
        }
        let id = self.new_turn_id();
        let early = self.early.as_mut().expect("checked above");
        early.asked = Some(id);
        if text.trim().is_empty() {
            // No words yet (a short answer the recognizer has not caught up with): the turn
            // ends after the usual hangover and its final decides, as without pauses.
            if early.ended {
                self.forget_early();
            }
            return;
        }
        let step = early.step.clone();
        let text = self.joined(&step, &text);
        if let Some(early) = self.early.as_mut() {
            early.words = text.clone();
        }
        let context = self.scenario.step(&step).context.clone();
        actions.push(Action::Classify { turn: id, text, context });
    }

    pub(super) fn on_pause_understood(&mut self, classification: Classification, tier: Tier, latency: Duration, now: Instant, actions: &mut Vec<Action>) {
        let Some(early) = self.early.as_mut() else { return };
        let ending = self.turn_config.ending(&early.words, &classification);
        early.understood = Some(Understood { classification, tier, latency, ending });
        if early.ended {
            if self.phase == Phase::Processing && self.step == early.step {
                return self.commit(now, actions);
            }
            // The call moved on meanwhile (keys, a correction): a late answer, whose opt-out or
            // callback still applies.
            let Some(mut early) = self.early.take() else { return };
            let Some(Understood { classification, tier, latency, .. }) = early.understood.take() else { return };
            return self.on_late_intent(early.into_late_turn(), classification, tier, latency, now, actions);
        }
        match self.turn_config.mode {
            Mode::Adaptive => actions.push(Action::EndTurnAfter { pause: early.seq, silence_ms: self.turn_config.wait_ms(ending) }),
            _ => self.decide_early(now, actions),
        }
    }

    /// Forgets the turn being decided at a pause. One that had ended waiting for its words
    /// leaves its final to answer it, as without pauses: nothing else would.
    pub(super) fn forget_early(&mut self) {
        let Some(early) = self.early.take() else { return };
        if !early.ended {
            return;
        }
        let kind = self.final_kind_for(&early.step);
        if let Some(due) = self.finals_due.iter_mut().rev().find(|d| d.kind == DueKind::Committed && d.step == early.step) {
            due.kind = kind;
        }
    }

    /// What a final expected as a check (`DueKind::Committed`) is when nothing waits for it to
    /// check: no earlier commit, and no ended turn whose words are being understood (they never
    /// came: the decoder dropped that request; or its turn was forgotten). It answers its turn
    /// then, never dropped. `None`: it checks, as usual.
    pub(super) fn final_answers_unchecked_turn(&mut self, step: &str) -> Option<DueKind> {
        if !self.commits.is_empty() {
            return None;
        }
        match &self.early {
            Some(early) if early.ended && early.asked.is_some() && !early.words.is_empty() => None,
            Some(early) if early.ended => {
                let kind = self.final_kind_for(&early.step);
                self.early = None;
                Some(kind)
            }
            _ => Some(self.final_kind_for(step)),
        }
    }

    /// An answer while the call still waits for it at its step; a turn given up (it still counts,
    /// late) once the call has moved on.
    fn final_kind_for(&self, step: &str) -> DueKind {
        if self.phase == Phase::Processing && self.step == step {
            DueKind::Answer
        } else {
            DueKind::GivenUp
        }
    }

    /// Shadow mode: when the words at the pause would have ended the turn.
    pub(super) fn early_deadline(&self) -> Option<Instant> {
        let early = self.early.as_ref().filter(|e| !e.decided && self.turn_config.mode == Mode::Shadow)?;
        let ending = early.understood.as_ref()?.ending;
        Some(early.last_voice_at + Duration::from_millis(u64::from(self.turn_config.wait_ms(ending))))
    }

    /// Shadow mode: counts the moment the words at the pause would have ended the turn.
    pub(super) fn decide_early(&mut self, now: Instant, actions: &mut Vec<Action>) {
        if self.early.as_ref().is_some_and(|e| !e.ended) && self.phase != Phase::Listening {
            self.early = None;
        }
        let Some(deadline) = self.early_deadline() else { return };
        if now < deadline {
            return;
        }
        let early = self.early.as_mut().expect("a deadline");
        early.decided = true;
        let understood = early.understood.as_ref().expect("a deadline");
        let silence_ms = ms(now.saturating_duration_since(early.last_voice_at));
        let (ending, tier) = (understood.ending.as_str(), understood.tier);
        actions.push(Action::Event(CallEvent::TurnEnded { step: early.step.clone(), ending, mode: "shadow", silence_ms, tier }));
    }

    /// Answers the turn on the words at its pause (the turn has ended).
    fn commit(&mut self, now: Instant, actions: &mut Vec<Action>) {
        let Some(Early { last_voice_at, step, words, understood: Some(understood), final_words, .. }) = self.early.take() else { return };
        let Understood { classification, tier, latency, ending } = understood;
        let silence_ms = ms(now.saturating_duration_since(last_voice_at));
        actions.push(Action::Event(CallEvent::TurnEnded { step: step.clone(), ending: ending.as_str(), mode: "adaptive", silence_ms, tier }));
        self.speaking = false;
        self.hear_recording_objection(&words, actions);
        let before = Checkpoint::of(self);
        let turn = PendingTurn { id: 0, text: words.clone(), asr_ms: 0.0, step: step.clone(), late: false };
        let carried = self.carry_for(&step).map(|c| c.words.clone()).unwrap_or_default();
        self.start_processing(now);
        // Before routing: an end of the call waits for this commit's final.
        let record = self.turns.len();
        self.commits.push_back(Commit { step, record, words, intent: classification.intent, before: before.clone(), check: None, carried, rejoined: false });
        self.answer_turn(&turn, &classification, tier, latency, before, now, actions);
        if let Some((text, latency_ms)) = final_words {
            self.check_final(text, latency_ms, actions);
        }
    }

    /// The segmenter ended the turn: the step it answered if it was answered on its pause's words
    /// (now, or once they are understood).
    pub(super) fn turn_ended_early(&mut self, now: Instant, actions: &mut Vec<Action>) -> Option<String> {
        let early = self.early.as_mut()?;
        let step = early.step.clone();
        match self.turn_config.mode {
            Mode::Adaptive if early.understood.is_some() && self.phase == Phase::Listening => {
                self.commit(now, actions);
                Some(step)
            }
            Mode::Adaptive if (early.asked.is_none() || !early.words.is_empty()) && self.phase == Phase::Listening => {
                // Its words are still on their way (a decoder running behind: they come before
                // the final, which needs the rest of the audio decoded) or being understood (the
                // LLM): they answer it when they are, not the final (see `on_final` if they never
                // come, `on_pause_words` if they are none).
                early.ended = true;
                self.speaking = false;
                self.start_processing(now);
                Some(step)
            }
            Mode::Shadow => {
                self.shadow_intent = early.understood.as_ref().map(|u| u.classification.intent);
                self.early = None;
                None
            }
            _ => {
                self.forget_early(); // no words (in time): the final decides, as without pauses
                None
            }
        }
    }

    /// The final text of a turn answered at its pause: the stored turn keeps these words; the
    /// same words confirm it, others are understood to check its meaning.
    pub(super) fn check_final(&mut self, text: String, latency_ms: f64, actions: &mut Vec<Action>) {
        // Finals come in order: an earlier commit's first, then the turn still being understood.
        let Some(mut commit) = self.commits.pop_front() else {
            if let Some(step) = self.early.as_ref().filter(|e| e.ended).map(|e| e.step.clone()) {
                let text = self.joined(&step, &text);
                if let Some(early) = self.early.as_mut() {
                    early.final_words = Some((text, latency_ms)); // checked once its words are understood
                }
            }
            return;
        };
        let text = join(&commit.carried, &text);
        if commit.rejoined {
            // The callee went on: these words now begin the answer they are completing.
            if let Some(carry) = self.carry.as_mut().filter(|c| c.record == commit.record) {
                carry.words = text;
            }
            return;
        }
        if let Some(turn) = self.turns.get_mut(commit.record) {
            if !text.is_empty() {
                turn.text = text.clone();
            }
            turn.asr_ms = latency_ms;
        }
        if text.is_empty() || tokens(&text) == tokens(&commit.words) {
            actions.push(Action::Event(CallEvent::TurnChecked { step: commit.step, how: "confirmed" }));
            return;
        }
        self.hear_recording_objection(&text, actions);
        let id = self.new_turn_id();
        commit.check = Some(id);
        let context = self.scenario.step(&commit.step).context.clone();
        actions.push(Action::Classify { turn: id, text, context });
        self.checks.push(commit);
    }

    /// The final text's meaning, stored in the turn's record; the commit it checks.
    pub(super) fn take_check(&mut self, id: u64, classification: &Classification, tier: Tier, latency: Duration) -> Option<Commit> {
        let i = self.checks.iter().position(|c| c.check == Some(id))?;
        let commit = self.checks.remove(i);
        if let Some(turn) = self.turns.get_mut(commit.record).filter(|_| !commit.rejoined) {
            turn.intent = Some(classification.intent);
            turn.confidence = classification.confidence;
            turn.entities = classification.entities.iter().map(|e| e.to_string()).collect();
            turn.sentiment = Some(classification.sentiment);
            turn.tier = Some(tier);
            turn.intent_ms = latency.as_secs_f64() * 1000.0;
        }
        Some(commit)
    }

    /// The final text means what the pause's words meant (confirmed) or not: then the reply is
    /// stopped and the turn re-routed, unless the call has moved on since (another answer).
    pub(super) fn on_check(&mut self, id: u64, classification: Classification, tier: Tier, latency: Duration, now: Instant, actions: &mut Vec<Action>) {
        let Some(commit) = self.take_check(id, &classification, tier, latency) else { return };
        let intent = classification.intent;
        if commit.rejoined && intent != Intent::DoNotCall {
            return; // understood again with what the callee said after it (an opt-out stands)
        }
        if intent == commit.intent {
            actions.push(Action::Event(CallEvent::TurnChecked { step: commit.step, how: "confirmed" }));
            return;
        }
        let answering = self.early.as_ref().is_some_and(|e| e.ended);
        let moved_on = self.turns.len() != commit.record + 1 || self.speaking || answering || self.awaits_answer() || !self.commits.is_empty() || self.phase == Phase::Ended;
        if !moved_on {
            actions.push(Action::Event(CallEvent::TurnChecked { step: commit.step.clone(), how: "corrected" }));
            self.stop_reply(actions);
            self.queue.clear();
            commit.before.restore(self);
            self.phase = Phase::Processing;
            self.route(intent, classification.topic, classification.repair, super::Heard::of(&classification, tier), now, actions);
        } else if Self::sticky_for(intent).is_some() {
            // Too late to take back the reply, never too late for an opt-out or a callback.
            actions.push(Action::Event(CallEvent::TurnChecked { step: commit.step.clone(), how: "sticky" }));
            self.apply_sticky(&commit.step, intent, now, actions);
        } else {
            actions.push(Action::Event(CallEvent::TurnChecked { step: commit.step, how: "kept" }));
        }
    }

    /// While the call closes: the meaning of an ended turn's pause words are its last words (an
    /// opt-out or a callback said just before hanging up counts). True when it was that turn's.
    pub(super) fn last_words_at_pause(&mut self, id: u64, classification: &Classification, tier: Tier, latency: Duration, now: Instant, actions: &mut Vec<Action>) -> bool {
        if !self.early.as_ref().is_some_and(|e| e.asked == Some(id)) {
            return false;
        }
        let Some(early) = self.early.take() else { return false };
        if !early.ended {
            return true; // its own final will come and be understood as the last words
        }
        let turn = early.into_late_turn();
        let step = turn.step.clone();
        self.record_answer(&turn, classification, tier, latency, now, actions);
        actions.push(Action::Event(CallEvent::LateResult { step: step.clone(), intent: classification.intent, how: "last_words" }));
        self.weigh_last_words(&step, classification.intent);
        true
    }

    /// Records a voice answer and follows its transition; until the callee is heard again, the
    /// reply can be taken back (`rejoin`). A callee already talking again at that step, or whose
    /// next words at it are still being recognized, is not done: no reply starts.
    pub(super) fn answer_turn(&mut self, turn: &PendingTurn, classification: &Classification, tier: Tier, latency: Duration, before: Checkpoint, now: Instant, actions: &mut Vec<Action>) {
        let record = self.turns.len();
        self.record_answer(turn, classification, tier, latency, now, actions);
        self.reopen = Some(Reopen { record, before, at: now, route: self.routes + 1 });
        let went_on = self.speaking
            || self.finals_due.iter().any(|d| d.kind == DueKind::Answer && d.step == turn.step)
            || self.pending.iter().any(|p| !p.late && p.step == turn.step);
        if went_on && self.may_reopen() {
            return self.rejoin(now, actions);
        }
        self.route(classification.intent, classification.topic, classification.repair, super::Heard::of(classification, tier), now, actions);
    }

    /// The callee starts talking again so soon after the reply to their answer started that they
    /// were not done (nothing else was answered since; an opt-out is never taken back).
    pub(super) fn rejoins(&self, now: Instant) -> bool {
        let Some(reopen) = self.reopen.as_ref() else { return false };
        let window = Duration::from_millis(u64::from(self.turn_config.rejoin_ms));
        now.saturating_duration_since(reopen.at) <= window && reopen.route == self.routes && self.current().barge_in && self.may_reopen()
    }

    /// The last answer recorded can be reopened: rejoining is on, not too many times in a row,
    /// nothing recorded since, and it is not an opt-out.
    fn may_reopen(&self) -> bool {
        let Some(reopen) = self.reopen.as_ref() else { return false };
        self.asr_enabled
            && self.turn_config.rejoin_ms > 0
            && self.rejoins_since_prompt < MAX_REJOINS
            && self.turns.len() == reopen.record + 1
            && self.turns[reopen.record].intent.is_some_and(|i| i != Intent::DoNotCall)
    }

    /// Takes the reply back: the call returns to the step answered, and what the callee says now
    /// is understood after the words they had said.
    pub(super) fn rejoin(&mut self, now: Instant, actions: &mut Vec<Action>) {
        let Some(Reopen { record, before, .. }) = self.reopen.take() else { return };
        self.rejoins_since_prompt += 1;
        actions.push(Action::Event(CallEvent::TurnChecked { step: before.step.clone(), how: "rejoined" }));
        self.stop_reply(actions);
        self.queue.clear();
        for commit in self.commits.iter_mut().chain(self.checks.iter_mut()).filter(|c| c.record == record) {
            commit.rejoined = true;
        }
        let words = self.turns.get(record).map(|t| t.text.clone()).unwrap_or_default();
        self.turns.truncate(record);
        // Segments already said after it continue it.
        for due in self.finals_due.iter_mut().filter(|d| d.kind == DueKind::Answer && d.step == before.step) {
            due.continues = true;
        }
        self.carry = Some(Carry { step: before.step.clone(), words, record });
        before.restore(self);
        self.listen_deadline = None;
        if self.speaking {
            self.phase = Phase::Listening;
            self.processing_since = None;
        } else {
            // The rest is said, its final is on its way (bounded like any answer awaited).
            self.phase = Phase::Processing;
            self.processing_since = Some(now);
        }
    }

    /// The words a reopened answer at `step` carries, if any.
    pub(super) fn carry_for(&self, step: &str) -> Option<&Carry> {
        self.carry.as_ref().filter(|c| c.step == step)
    }

    /// `text` said at `step`, after the words of the answer it continues.
    pub(super) fn joined(&self, step: &str, text: &str) -> String {
        join(self.carry_for(step).map_or("", |c| c.words.as_str()), text)
    }

    /// Shadow mode: whether the final's intent is the one the pause's words had.
    pub(super) fn compare_shadow(&mut self, intent: Intent, actions: &mut Vec<Action>) {
        if let Some(at_pause) = self.shadow_intent.take() {
            let how = if at_pause == intent { "shadow_agreed" } else { "shadow_disagreed" };
            actions.push(Action::Event(CallEvent::TurnChecked { step: self.step.clone(), how }));
        }
    }
}

/// Replies taken back in a row before one plays to its end.
const MAX_REJOINS: u32 = 2;

/// Two parts of one answer, either possibly empty.
fn join(first: &str, then: &str) -> String {
    match (first.is_empty(), then.is_empty()) {
        (true, _) => then.to_string(),
        (_, true) => first.to_string(),
        _ => format!("{first} {then}"),
    }
}
