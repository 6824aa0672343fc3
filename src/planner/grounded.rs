//! A model in the loop that never makes klue worse than no model at all.
//!
//! [`GroundedPlanner`] asks the model (normally the [`LlmPlanner`](super::llm::LlmPlanner))
//! for each step and grounds what it gets back in klue's own rules:
//! - **Useless turns count against the model**: a step whose proposals all fail the read-only
//!   policy or repeat earlier queries, a step that proposes nothing, and a conclusion before
//!   any query ran. After two useless turns in a row klue takes the offline planner's next
//!   step instead (marked as such); while the model stays useless it is asked every other
//!   step, and one useful turn gives it the lead again.
//! - **A model that never converges costs bounded turns**: after [`MODEL_TURNS`] of its steps
//!   since the engineer last spoke without a conclusion, klue's offline planner finishes that
//!   line of inquiry (a new message gives the model its turns again).
//! - **A failing model costs one step, not the session**: when the model cannot answer at
//!   all (the last rung of the capability ladder), the offline planner takes that step.
//! - **Conclusions are checked before they are shown**: klue's own investigation (the
//!   offline planner over the same session) runs to its conclusion first (or, when the budget
//!   is spent, concludes from what was observed), and the model's conclusion is never worse
//!   than it: every problem klue's causal chains reach for the question's subject whose
//!   deepest cause the model does not carry is added as "klue also found"; when klue's checks
//!   show the subject healthy, the model's unconfirmed problems are kept as claims, not as the
//!   verdict.
//!
//! The offline planner sees the session as if it had run alone: the engineer's words, its own
//! steps and every query that ran, failed or was declined (whoever proposed it), so its survey
//! and follow-ups are the same as without a model, queries the model already ran are answered
//! from history, and the engineer is never asked again about a query they rejected.

use std::collections::BTreeSet;

use crate::planner::offline::{self, OfflinePlanner};
use crate::planner::{
    Action, CONCLUDE_NOW, DeltaSink, Outcome, Planner, PlannerError, Step, Transcript,
    TranscriptEntry,
};
use crate::protocol::{Conclusion, PlannerInfo, Problem, ProposalOrigin, Verdict, quotes};
use crate::query;

/// The nudge after a useless reply (`{why}` is filled in).
const NUDGE: &str = include_str!("../../prompts/grounding.md");

/// Useless model turns in a row after which the offline planner takes the step.
pub const STRIKES: u32 = 2;

/// Model steps since the engineer last spoke after which, when the model has not concluded,
/// klue's offline planner finishes the line of inquiry: a model that keeps proposing queries
/// without converging costs a bounded number of turns, never the session's whole budget.
pub const MODEL_TURNS: usize = 8;

/// What klue marks the offline planner's steps with.
pub const OFFLINE_MARK: &str = "[klue's offline planner]";

/// The heading of what klue's own checks add to a model's conclusion.
pub const ALSO_FOUND: &str = "klue also found";

/// The heading when klue's own checks found nothing to add.
pub const ALSO_CHECKED: &str = "klue's own checks";

/// The model, grounded by the offline planner and the analyzers.
pub struct GroundedPlanner {
    model: Box<dyn Planner>,
    offline: OfflinePlanner,
    /// Useless model turns in a row.
    strikes: u32,
    /// A model conclusion waiting for klue's own checks.
    held: Option<Conclusion>,
    /// While the model's turns stay useless it is asked every other step only.
    rest: bool,
    notices: Vec<String>,
    said: BTreeSet<String>,
}

/// Why a model step did not move the investigation.
#[derive(Debug, Clone, PartialEq)]
pub enum Useless {
    /// Every proposal failed the policy or repeated an earlier query.
    NothingNew(Vec<String>),
    /// No proposal and no conclusion.
    Empty,
    /// A conclusion before any query ran.
    ConcludedBlind,
}

impl std::fmt::Display for Useless {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Useless::NothingNew(why) => write!(f, "{}", why.join("; ")),
            Useless::Empty => f.write_str("it proposed no query and did not conclude"),
            Useless::ConcludedBlind => {
                f.write_str("it concluded before any query ran, so nothing supports it")
            }
        }
    }
}

impl GroundedPlanner {
    pub fn new(model: Box<dyn Planner>) -> Self {
        GroundedPlanner {
            model,
            offline: OfflinePlanner::new(),
            strikes: 0,
            held: None,
            rest: false,
            notices: Vec::new(),
            said: BTreeSet::new(),
        }
    }

    /// A model over an OpenAI-compatible endpoint, grounded.
    pub fn llm(settings: crate::config::LlmSettings) -> Result<Self, super::llm::LlmError> {
        Ok(Self::new(Box::new(super::llm::LlmPlanner::new(settings)?)))
    }

    fn notice(&mut self, text: String) {
        if self.said.insert(text.clone()) {
            self.notices.push(text);
        }
    }

    fn model_name(&self) -> String {
        self.model
            .info()
            .model
            .unwrap_or_else(|| "the model".into())
    }

    /// The session as the offline planner would have seen it alone: its own steps are the
    /// ones marked [`ProposalOrigin::OfflineStep`] (a resumed session's too).
    fn offline_view(&self, t: &Transcript) -> Transcript {
        let mut ours: BTreeSet<&str> = BTreeSet::new();
        let mut entries = Vec::new();
        for e in &t.entries {
            match e {
                TranscriptEntry::User { .. } | TranscriptEntry::Own { .. } => {
                    entries.push(e.clone())
                }
                TranscriptEntry::Assistant {
                    actions, origin, ..
                } => {
                    if *origin == ProposalOrigin::OfflineStep {
                        for a in actions {
                            if let Action::Propose { call_id, .. } = a {
                                ours.insert(call_id);
                            }
                        }
                        entries.push(e.clone());
                    }
                }
                TranscriptEntry::Result { call_id, outcome } => {
                    // What ran, failed or the engineer declined, whoever proposed it: the
                    // offline planner neither asks again for a query the engineer rejected
                    // nor retries one that failed. The policy's refusals of the model's
                    // proposals are the model's business.
                    let seen = !matches!(outcome, Outcome::Refused { .. });
                    if ours.contains(call_id.as_str()) || seen {
                        entries.push(e.clone());
                    }
                }
            }
        }
        Transcript {
            entries,
            ..t.clone()
        }
    }

    /// The offline planner's next step, marked, and remembered as its own.
    async fn offline_step(
        &mut self,
        t: &Transcript,
        deltas: &DeltaSink,
        why: String,
    ) -> Result<Step, PlannerError> {
        let view = self.offline_view(t);
        let mut step = self.offline.next(&view, deltas).await?;
        self.notice(why);
        step.text = if step.text.is_empty() {
            OFFLINE_MARK.to_string()
        } else {
            format!("{OFFLINE_MARK} {}", step.text)
        };
        Ok(own(step))
    }

    /// Judge a model step.
    fn assess(&self, t: &Transcript, step: &Step) -> Result<(), Useless> {
        let concludes = step
            .actions
            .iter()
            .any(|a| matches!(a, Action::Conclude(_)));
        if concludes {
            // After a conclusion, prose alone answers a follow-up; before, it must rest on
            // something that ran.
            return if ran_anything(t) {
                Ok(())
            } else {
                Err(Useless::ConcludedBlind)
            };
        }
        let earlier = proposed_commands(t);
        let mut seen = BTreeSet::new();
        let mut why = Vec::new();
        let mut proposals = 0;
        for a in &step.actions {
            let Action::Propose { command, .. } = a else {
                continue;
            };
            proposals += 1;
            match query::parse(command.trim()) {
                Err(refusal) => why.push(format!("`{command}` is refused: {}", refusal.reason)),
                Ok(q) => {
                    let canonical = q.canonical();
                    if earlier.contains(&canonical) || !seen.insert(canonical) {
                        why.push(format!("`{command}` repeats an earlier query"));
                    } else {
                        return Ok(());
                    }
                }
            }
        }
        if proposals == 0 {
            if concluded_since_user(t) {
                return Ok(());
            }
            return Err(Useless::Empty);
        }
        Err(Useless::NothingNew(why))
    }

    /// The model concluded: check it against klue's own investigation of the same session.
    /// klue's checks always run to their conclusion first (the model's conclusion is held
    /// meanwhile), unless the budget is spent: then klue concludes from what was observed.
    async fn check_conclusion(
        &mut self,
        t: &Transcript,
        deltas: &DeltaSink,
        mut model_step: Step,
        conclusion: Conclusion,
    ) -> Result<Step, PlannerError> {
        let forced = budget_spent(t);
        let view = self.offline_view(t);
        // The offline planner's text is shown only if its step is taken.
        let (silent, _unread) = tokio::sync::mpsc::unbounded_channel();
        let offline = self.offline.next(&view, &silent).await?;
        let offline_conclusion = concluded(&offline);
        let proposes = offline
            .actions
            .iter()
            .any(|a| matches!(a, Action::Propose { .. }));
        if offline_conclusion.is_none() && proposes && !forced {
            // klue's own checks first; the model's conclusion waits for them.
            self.held = Some(conclusion);
            let model = self.model_name();
            self.notice(format!(
                "{model} concluded; before showing its conclusion klue runs its own checks \
                 (the offline planner's queries) and adds what they find that it does not \
                 account for."
            ));
            // The model's text was streamed already: klue's starts on a line of its own.
            let _ = deltas.send(format!("\n\n{}", offline.text));
            let mut step = offline;
            // What the model said as it concluded stays in the session (the screen shows
            // the step's text in place of what streamed, and the recording keeps it), with
            // klue's own step after it.
            step.text = match model_step.text.trim() {
                "" => format!("{OFFLINE_MARK} {}", step.text),
                said => format!("{said}\n\n{OFFLINE_MARK} {}", step.text),
            };
            step.usage = model_step.usage;
            // The model's hypothesis updates of its concluding turn stand.
            let updates: Vec<Action> = model_step
                .actions
                .into_iter()
                .filter(|a| matches!(a, Action::Hypothesis(_)))
                .collect();
            step.actions.splice(0..0, updates);
            return Ok(own(step));
        }
        let klue = offline_conclusion.or_else(|| concluded(&offline::settle(&view)));
        let merged = self.merge(conclusion, klue.as_ref());
        model_step
            .actions
            .retain(|a| !matches!(a, Action::Conclude(_)));
        model_step.actions.push(Action::Conclude(merged));
        Ok(model_step)
    }

    /// The model's conclusion, checked against klue's conclusion over the same evidence, so
    /// that it is never worse than klue's alone:
    /// - every problem klue's causal chains reach (they are about the question's subject, so
    ///   relevance follows the subject and the chain, not which objects the model named) whose
    ///   deepest cause the model's conclusion does not carry is added as "klue also found";
    /// - when klue's checks show the subject healthy, the model's problems stay as claims its
    ///   checks do not confirm, under "also noticed", and the verdict is klue's;
    /// - what klue noticed outside the question, what it checked and what it could not check
    ///   are kept.
    fn merge(&self, mut model: Conclusion, klue: Option<&Conclusion>) -> Conclusion {
        let Some(k) = klue else {
            return model;
        };
        let name = self.model_name();
        let said = conclusion_text(&model);
        match k.verdict {
            Verdict::Diagnosed if !k.problems.is_empty() => {
                for p in &k.problems {
                    if carries(&said, p) {
                        continue;
                    }
                    let mut p = p.clone();
                    p.cause = format!("{ALSO_FOUND}: {}", p.cause);
                    model.problems.push(p);
                }
                model.verdict = Verdict::Diagnosed;
            }
            Verdict::Healthy => {
                for mut p in std::mem::take(&mut model.problems) {
                    p.cause = format!(
                        "{name} suggested (klue's checks do not confirm it): {}",
                        p.cause
                    );
                    model.also_noticed.push(p);
                }
                model.verdict = Verdict::Healthy;
                model
                    .notes
                    .push(format!("{ALSO_CHECKED}: {}", k.headline()));
                for e in &k.checked {
                    if !model.checked.contains(e) {
                        model.checked.push(e.clone());
                    }
                }
            }
            _ => model
                .notes
                .push(format!("{ALSO_CHECKED}: {}", k.headline())),
        }
        if model.subject.is_none() {
            model.subject = k.subject.clone();
        }
        for p in &k.also_noticed {
            if !carries(&said, p) && !model.also_noticed.contains(p) {
                model.also_noticed.push(p.clone());
            }
        }
        for u in &k.unchecked {
            if !model.unchecked.contains(u) {
                model.unchecked.push(u.clone());
            }
        }
        for n in &k.notes {
            if !model.notes.contains(n) {
                model.notes.push(n.clone());
            }
        }
        model
    }

    /// A conclusion the budget forces when the model gave none: klue's own, from what was
    /// observed, else an explicit inconclusive.
    fn inconclusive(&self, t: &Transcript) -> Conclusion {
        let why = "the session's budget ran out before a cause was confirmed; continue with a \
             larger budget ([budget] in the config, or --max-turns / --max-queries), or name \
             the failing workload more precisely";
        match concluded(&offline::settle(&self.offline_view(t))) {
            Some(mut k) => {
                if k.verdict != Verdict::Diagnosed {
                    k.notes.push(why.to_string());
                }
                k
            }
            None => Conclusion::inconclusive(why),
        }
    }
}

#[async_trait::async_trait]
impl Planner for GroundedPlanner {
    fn info(&self) -> PlannerInfo {
        self.model.info()
    }

    fn take_notices(&mut self) -> Vec<String> {
        let mut out = self.model.take_notices();
        out.append(&mut self.notices);
        out
    }

    async fn next(
        &mut self,
        transcript: &Transcript,
        deltas: &DeltaSink,
    ) -> Result<Step, PlannerError> {
        let model = self.model_name();
        let forced = budget_spent(transcript);
        // A held conclusion: klue's own checks go on until they conclude.
        if let Some(held) = self.held.take() {
            let view = self.offline_view(transcript);
            let mut step = self.offline.next(&view, deltas).await?;
            let klue = concluded(&step);
            let proposes = step
                .actions
                .iter()
                .any(|a| matches!(a, Action::Propose { .. }));
            if klue.is_none() && proposes && !forced {
                self.held = Some(held);
                step.text = format!("{OFFLINE_MARK} {}", step.text);
                return Ok(own(step));
            }
            let klue = klue.or_else(|| concluded(&offline::settle(&view)));
            let merged = self.merge(held, klue.as_ref());
            step.actions
                .retain(|a| !matches!(a, Action::Conclude(_) | Action::Propose { .. }));
            step.actions.push(Action::Conclude(merged));
            step.text = format!("{model}'s conclusion, checked against klue's own findings.");
            return Ok(own(step));
        }

        // The model had its turns for this line of inquiry: klue finishes it.
        let turns = model_turns_since_user(transcript);
        if turns >= MODEL_TURNS && !concluded_since_user(transcript) {
            let why = format!(
                "{model} took {turns} steps without concluding; klue's offline planner \
                 finishes this line of inquiry."
            );
            return self.fallback(transcript, deltas, why).await;
        }
        // Struck out: the model sits this step out (it is asked again on the next).
        if self.rest {
            self.rest = false;
            let why = format!(
                "{model} made {} useless turns in a row; klue's offline planner takes this step.",
                self.strikes
            );
            return self.fallback(transcript, deltas, why).await;
        }
        let mut nudge: Option<String> = None;
        loop {
            let view = match &nudge {
                Some(why) => {
                    let mut v = transcript.clone();
                    v.entries.push(TranscriptEntry::User {
                        text: NUDGE.replace("{why}", why).trim().to_string(),
                    });
                    v
                }
                None => transcript.clone(),
            };
            let step = match self.model.next(&view, deltas).await {
                Ok(step) => step,
                Err(e) => {
                    self.strikes += 1;
                    self.rest = self.strikes >= STRIKES;
                    return self
                        .fallback(
                            transcript,
                            deltas,
                            format!(
                                "{model} could not take this step ({e}); klue's offline \
                                 planner takes it."
                            ),
                        )
                        .await;
                }
            };
            match self.assess(transcript, &step) {
                Ok(()) => {
                    self.strikes = 0;
                    let conclusion = step.actions.iter().find_map(|a| match a {
                        Action::Conclude(c) => Some(c.clone()),
                        _ => None,
                    });
                    let proposes = step
                        .actions
                        .iter()
                        .any(|a| matches!(a, Action::Propose { .. }));
                    return match conclusion {
                        Some(c) if !concluded_since_user(transcript) => {
                            self.check_conclusion(transcript, deltas, step, c).await
                        }
                        // The budget is spent and the model still proposes queries (which
                        // will not run): klue concludes from what was observed, so the session
                        // ends in a conclusion or an explicit inconclusive, not an error.
                        None if forced && proposes => {
                            let usage = step.usage;
                            let mut s = self
                                .fallback(
                                    transcript,
                                    deltas,
                                    format!(
                                        "the session's budget is spent and {model} proposed \
                                         more queries instead of concluding; klue concludes \
                                         from what was observed."
                                    ),
                                )
                                .await?;
                            s.usage = add_usage(s.usage, usage);
                            Ok(s)
                        }
                        _ => Ok(step),
                    };
                }
                Err(useless) => {
                    self.strikes += 1;
                    tracing::info!(strikes = self.strikes, %useless, "useless model turn");
                    if self.strikes >= STRIKES || forced {
                        self.rest = self.strikes >= STRIKES;
                        let usage = step.usage;
                        let mut s = self
                            .fallback(
                                transcript,
                                deltas,
                                format!(
                                    "{model} made {} useless turns in a row (last: {useless}); \
                                     klue's offline planner takes the next steps, and asks the \
                                     model again every other step.",
                                    self.strikes
                                ),
                            )
                            .await?;
                        s.usage = add_usage(s.usage, usage);
                        return Ok(s);
                    }
                    match useless {
                        // The policy's refusals and the history's answers go back to the model.
                        Useless::NothingNew(_) => return Ok(step),
                        _ => nudge = Some(useless.to_string()),
                    }
                }
            }
        }
    }
}

impl GroundedPlanner {
    /// The offline planner's step instead of the model's; when the budget is spent, a
    /// conclusion in any case.
    async fn fallback(
        &mut self,
        t: &Transcript,
        deltas: &DeltaSink,
        why: String,
    ) -> Result<Step, PlannerError> {
        let mut step = self.offline_step(t, deltas, why).await?;
        let concludes = step
            .actions
            .iter()
            .any(|a| matches!(a, Action::Conclude(_)));
        if budget_spent(t) && !concludes {
            step.actions
                .retain(|a| !matches!(a, Action::Propose { .. }));
            step.actions.push(Action::Conclude(self.inconclusive(t)));
        }
        Ok(step)
    }
}

fn add_usage(
    a: Option<crate::protocol::Usage>,
    b: Option<crate::protocol::Usage>,
) -> Option<crate::protocol::Usage> {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some(a), Some(b)) => Some(crate::protocol::Usage {
            prompt_tokens: a.prompt_tokens + b.prompt_tokens,
            completion_tokens: a.completion_tokens + b.completion_tokens,
            session_total: a.session_total.max(b.session_total),
        }),
    }
}

/// Everything a conclusion says, lower-cased (to see which objects it accounts for).
fn conclusion_text(c: &Conclusion) -> String {
    let mut out = String::new();
    for p in c.problems.iter().chain(c.also_noticed.iter()) {
        out.push_str(&p.cause);
        out.push('\n');
        out.push_str(&p.remediation);
        out.push('\n');
    }
    for e in c.items() {
        out.push_str(&e.text);
        out.push('\n');
    }
    for n in &c.notes {
        out.push_str(n);
        out.push('\n');
    }
    out.to_lowercase()
}

/// The conclusion of a step, if it concludes.
fn concluded(step: &Step) -> Option<Conclusion> {
    step.actions.iter().find_map(|a| match a {
        Action::Conclude(c) => Some(c.clone()),
        _ => None,
    })
}

/// Words of a text that carry meaning (names, numbers, error words), lower-cased.
fn terms(s: &str) -> BTreeSet<String> {
    const COMMON: &[&str] = &[
        "the", "and", "for", "with", "from", "that", "this", "its", "was", "are", "has", "have",
        "not", "but", "into", "when", "then", "than", "after", "before", "klue", "also", "found",
        "they", "them", "their", "come", "comes", "which", "there", "been",
    ];
    s.to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '.' || c == '_'))
        .map(|w| w.trim_matches(|c: char| c == '.' || c == '-' || c == '_'))
        .filter(|w| w.len() >= 3 && !COMMON.contains(w))
        .map(str::to_string)
        .collect()
}

/// Does `said` (a conclusion's text) carry the deepest cause of klue's problem `p`? Its cause
/// line or its deepest link verbatim, every fact they quote, or most of what the cause line
/// says beyond the symptom (its terms not in the chain's first link).
fn carries(said: &str, p: &Problem) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    let said = norm(said);
    let cause = p
        .cause
        .strip_prefix(&format!("{ALSO_FOUND}: "))
        .unwrap_or(&p.cause);
    let deepest = p.chain.last().map(|l| l.text.as_str()).unwrap_or("");
    if said.contains(&norm(cause)) || (!deepest.is_empty() && said.contains(&norm(deepest))) {
        return true;
    }
    let facts: Vec<String> = quotes(cause)
        .into_iter()
        .chain(quotes(deepest))
        .map(norm)
        .collect();
    if !facts.is_empty() {
        return facts.iter().all(|f| said.contains(f.as_str()));
    }
    let symptom = p
        .chain
        .first()
        .filter(|_| p.chain.len() > 1)
        .map(|l| terms(&l.text))
        .unwrap_or_default();
    let wanted: Vec<String> = terms(cause)
        .into_iter()
        .filter(|w| !symptom.contains(w))
        .collect();
    let have = terms(&said);
    let met = wanted.iter().filter(|w| have.contains(*w)).count();
    wanted.len() >= 3 && met * 10 >= wanted.len() * 6
}

/// Mark a step as the offline planner's, taken on behalf of the model: the transcript (and
/// the recording, for `klue resume`) keeps the mark.
fn own(mut step: Step) -> Step {
    step.origin = ProposalOrigin::OfflineStep;
    step
}

/// Did any query run successfully in this session?
fn ran_anything(t: &Transcript) -> bool {
    t.entries.iter().any(|e| match e {
        TranscriptEntry::Result { outcome, .. } | TranscriptEntry::Own { outcome, .. } => matches!(
            outcome,
            Outcome::Executed { error: None, .. } | Outcome::Duplicate { .. }
        ),
        _ => false,
    })
}

/// Canonical forms of every command proposed so far.
fn proposed_commands(t: &Transcript) -> BTreeSet<String> {
    t.entries
        .iter()
        .filter_map(|e| match e {
            TranscriptEntry::Assistant { actions, .. } => Some(actions),
            _ => None,
        })
        .flatten()
        .filter_map(|a| match a {
            Action::Propose { command, .. } => query::parse(command.trim()).ok(),
            _ => None,
        })
        .map(|q| q.canonical())
        .collect()
}

/// Has a conclusion been given since the engineer last spoke?
fn concluded_since_user(t: &Transcript) -> bool {
    for e in t.entries.iter().rev() {
        match e {
            TranscriptEntry::User { text } if text != CONCLUDE_NOW => return false,
            TranscriptEntry::Assistant { actions, .. }
                if actions.iter().any(|a| matches!(a, Action::Conclude(_))) =>
            {
                return true;
            }
            _ => {}
        }
    }
    false
}

/// The model's own steps since the engineer last spoke (klue's steps do not count).
fn model_turns_since_user(t: &Transcript) -> usize {
    let mut n = 0;
    for e in t.entries.iter().rev() {
        match e {
            TranscriptEntry::User { text } if text != CONCLUDE_NOW => break,
            TranscriptEntry::Assistant { origin, .. } if *origin == ProposalOrigin::Planner => {
                n += 1
            }
            _ => {}
        }
    }
    n
}

/// Has the session asked for a conclusion because its budget is spent?
fn budget_spent(t: &Transcript) -> bool {
    t.entries
        .iter()
        .any(|e| matches!(e, TranscriptEntry::User { text } if text == CONCLUDE_NOW))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Evidence;

    fn klue_problem() -> Problem {
        Problem::new(
            "Deployment shop/orders cannot reach Service orders-db: dial tcp 10.96.14.2:5432: \
             connect: connection refused, and orders-db has no ready endpoints",
        )
        .link(Evidence::uncited(
            "pod orders-5d9c: container orders is in CrashLoopBackOff (exit code 1)",
        ))
        .link(Evidence::uncited(
            "log of orders-5d9c/orders: error: dial tcp 10.96.14.2:5432: connect: connection refused",
        ))
        .link(Evidence::uncited("Service orders-db has no ready endpoints"))
    }

    #[test]
    fn naming_the_object_is_not_carrying_the_cause() {
        let p = klue_problem();
        assert!(!carries(
            "pod orders-5d9c is in crashloopbackoff; deployment shop/orders is down",
            &p
        ));
        assert!(!carries("orders crashes with exit code 1", &p));
    }

    #[test]
    fn the_cause_in_the_models_own_words_is_carried() {
        let p = klue_problem();
        assert!(carries(
            "orders cannot reach orders-db: connection refused on 10.96.14.2:5432, the service \
             orders-db has no ready endpoints",
            &p
        ));
        // Verbatim: the deepest link.
        assert!(carries(
            "the root cause: Service orders-db has no ready endpoints",
            &p
        ));
    }

    #[test]
    fn quoted_facts_must_all_be_there() {
        let p = Problem::new("Secret shop/db has no key `password`")
            .link(Evidence::uncited("pod api: CreateContainerConfigError"));
        assert!(carries("the secret db lacks the key `password`", &p));
        assert!(!carries("the secret db is wrong", &p));
    }

    fn propose(call_id: &str, command: &str) -> Action {
        Action::Propose {
            call_id: call_id.into(),
            command: command.into(),
            reason: "r".into(),
            hypothesis: "h".into(),
        }
    }

    /// The offline planner's steps are known by their mark in the transcript, not by the
    /// planner's memory: a fresh planner (a resumed session) sees them as its own.
    #[test]
    fn a_fresh_planner_knows_the_offline_steps_by_their_mark() {
        let t = Transcript {
            entries: vec![
                TranscriptEntry::User {
                    text: "checkout crashes".into(),
                },
                TranscriptEntry::Assistant {
                    text: "model".into(),
                    actions: vec![propose("m1", "delete pod x")],
                    origin: ProposalOrigin::Planner,
                },
                TranscriptEntry::Result {
                    call_id: "m1".into(),
                    outcome: Outcome::Refused {
                        command: "delete pod x".into(),
                        why: "delete changes the cluster".into(),
                    },
                },
                TranscriptEntry::Assistant {
                    text: format!("{OFFLINE_MARK} pods first"),
                    actions: vec![propose("o1", "get pods -n shop")],
                    origin: ProposalOrigin::OfflineStep,
                },
                TranscriptEntry::Result {
                    call_id: "o1".into(),
                    outcome: Outcome::Rejected {
                        command: "get pods -n shop".into(),
                        reason: None,
                    },
                },
            ],
            ..Transcript::default()
        };
        let fresh = GroundedPlanner::new(Box::new(OfflinePlanner::new()));
        let view = fresh.offline_view(&t);
        let texts: Vec<&str> = view
            .entries
            .iter()
            .filter_map(|e| match e {
                TranscriptEntry::Assistant { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(texts, [format!("{OFFLINE_MARK} pods first")]);
        // Its own proposal's outcome (even one that did not run) is there; the model's
        // refused one is not.
        let results: Vec<&str> = view
            .entries
            .iter()
            .filter_map(|e| match e {
                TranscriptEntry::Result { call_id, .. } => Some(call_id.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(results, ["o1"]);
    }

    /// A model that proposes a new query every turn and never concludes.
    struct Wanders(u32);

    #[async_trait::async_trait]
    impl Planner for Wanders {
        fn info(&self) -> PlannerInfo {
            PlannerInfo {
                kind: crate::protocol::PlannerKind::Llm,
                model: Some("wanders".into()),
                endpoint: None,
            }
        }
        async fn next(&mut self, _: &Transcript, _: &DeltaSink) -> Result<Step, PlannerError> {
            self.0 += 1;
            Ok(Step {
                text: "more".into(),
                actions: vec![propose(
                    &format!("w{}", self.0),
                    &format!("get pods -n shop -l app=a{}", self.0),
                )],
                ..Step::default()
            })
        }
    }

    /// A model that never converges costs a bounded number of turns: then klue finishes the
    /// line of inquiry, and a new message from the engineer gives the model its turns again.
    #[tokio::test]
    async fn a_model_that_never_concludes_hands_over_after_its_turns() {
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let mut p = GroundedPlanner::new(Box::new(Wanders(0)));
        let mut t = Transcript {
            entries: vec![TranscriptEntry::User {
                text: "checkout crashes in shop".into(),
            }],
            ..Transcript::default()
        };
        let mut origins = Vec::new();
        for _ in 0..MODEL_TURNS + 2 {
            let step = p.next(&t, &tx).await.expect("step");
            origins.push(step.origin);
            t.entries.push(TranscriptEntry::Assistant {
                text: step.text,
                actions: step.actions,
                origin: step.origin,
            });
        }
        let model = origins
            .iter()
            .filter(|o| **o == ProposalOrigin::Planner)
            .count();
        assert_eq!(model, MODEL_TURNS, "{origins:?}");
        assert!(
            origins[MODEL_TURNS..]
                .iter()
                .all(|o| *o == ProposalOrigin::OfflineStep)
        );
        let notices = p.take_notices();
        assert!(
            notices
                .iter()
                .any(|n| n.contains(&format!("took {MODEL_TURNS} steps without concluding"))),
            "{notices:?}"
        );
        t.entries.push(TranscriptEntry::User {
            text: "and the frontend?".into(),
        });
        let step = p.next(&t, &tx).await.expect("step");
        assert_eq!(step.origin, ProposalOrigin::Planner);
    }

    #[test]
    fn its_steps_carry_the_mark() {
        let step = own(Step::default());
        assert_eq!(step.origin, ProposalOrigin::OfflineStep);
    }
}
