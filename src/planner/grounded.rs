//! A model in the loop that never makes klue worse than no model at all.
//!
//! [`GroundedPlanner`] asks the model (normally the [`LlmPlanner`](super::llm::LlmPlanner))
//! for each step and grounds what it gets back in klue's own rules:
//! - **Useless turns count against the model**: a step whose proposals all fail the read-only
//!   policy or repeat earlier queries, a step that proposes nothing, and a conclusion before
//!   any query ran. After two useless turns in a row klue takes the offline planner's next
//!   step instead (marked as such); while the model stays useless it is asked every other
//!   step, and one useful turn gives it the lead again.
//! - **A failing model costs one step, not the session**: when the model cannot answer at
//!   all (the last rung of the capability ladder), the offline planner takes that step.
//! - **Conclusions are checked before they are shown**: against the analyzers' findings in
//!   what was observed. A conclusion that names every object they flag is shown as it is;
//!   otherwise klue's own investigation (the offline planner over the same session) runs to
//!   its conclusion first, and what it finds that the model's conclusion does not account for
//!   is added as "klue also found".
//!
//! The offline planner sees the session as if it had run alone: the engineer's words, its own
//! steps and every query that ran (whoever proposed it), so its survey and follow-ups are
//! the same as without a model, and queries the model already ran are answered from history.

use std::collections::BTreeSet;

use crate::analyze::{self, Finding};
use crate::planner::offline::OfflinePlanner;
use crate::planner::offline::observe::Observed;
use crate::planner::{
    Action, CONCLUDE_NOW, DeltaSink, Entry, Outcome, Planner, PlannerError, Step, Transcript,
};
use crate::protocol::{Conclusion, Evidence, PlannerInfo, Problem, Verdict};
use crate::query;

/// The nudge after a useless reply (`{why}` is filled in).
const NUDGE: &str = include_str!("../../prompts/grounding.md");

/// Useless model turns in a row after which the offline planner takes the step.
pub const STRIKES: u32 = 2;

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
    /// Which assistant entries (by their order among assistant entries) are the offline
    /// planner's.
    offline_steps: BTreeSet<usize>,
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
            offline_steps: BTreeSet::new(),
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

    /// The session as the offline planner would have seen it alone.
    fn offline_view(&self, t: &Transcript) -> Transcript {
        let mut ours: BTreeSet<&str> = BTreeSet::new();
        let mut entries = Vec::new();
        let mut ordinal = 0;
        for e in &t.entries {
            match e {
                Entry::User { .. } | Entry::Own { .. } => entries.push(e.clone()),
                Entry::Assistant { actions, .. } => {
                    if self.offline_steps.contains(&ordinal) {
                        for a in actions {
                            if let Action::Propose { call_id, .. } = a {
                                ours.insert(call_id);
                            }
                        }
                        entries.push(e.clone());
                    }
                    ordinal += 1;
                }
                Entry::Result { call_id, outcome } => {
                    let ran = matches!(
                        outcome,
                        Outcome::Executed { error: None, .. } | Outcome::Duplicate { .. }
                    );
                    if ours.contains(call_id.as_str()) || ran {
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
        Ok(self.own(t, step))
    }

    /// Record that the step about to join the transcript is the offline planner's.
    fn own(&mut self, t: &Transcript, step: Step) -> Step {
        self.offline_steps.insert(assistant_count(t));
        step
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

    /// The model concluded: check it against klue's own investigation.
    async fn check_conclusion(
        &mut self,
        t: &Transcript,
        deltas: &DeltaSink,
        mut model_step: Step,
        conclusion: Conclusion,
    ) -> Result<Step, PlannerError> {
        let forced = budget_spent(t);
        // What the analyzers find in what was observed: a conclusion that names every
        // object they flag is shown as it is.
        let findings = analyze::analyze(&Observed::from_transcript(t).view);
        let said = conclusion_text(&conclusion);
        let flagged: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.severity != analyze::Severity::Info)
            .collect();
        if !flagged.is_empty()
            && flagged
                .iter()
                .all(|f| said.contains(&f.object.name.to_lowercase()))
        {
            return Ok(model_step);
        }
        let view = self.offline_view(t);
        // The offline planner's text is shown only if its step is taken.
        let (silent, _unread) = tokio::sync::mpsc::unbounded_channel();
        let offline = self.offline.next(&view, &silent).await?;
        let offline_conclusion = offline.actions.iter().find_map(|a| match a {
            Action::Conclude(c) => Some(c.clone()),
            _ => None,
        });
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
            let _ = deltas.send(offline.text.clone());
            let mut step = offline;
            step.text = format!("{OFFLINE_MARK} {}", step.text);
            step.usage = model_step.usage;
            return Ok(self.own(t, step));
        }
        let merged = self.merge(t, conclusion, offline_conclusion.as_ref());
        model_step
            .actions
            .retain(|a| !matches!(a, Action::Conclude(_)));
        model_step.actions.push(Action::Conclude(merged));
        Ok(model_step)
    }

    /// The model's conclusion, with what klue found that it does not account for.
    fn merge(
        &self,
        t: &Transcript,
        mut model: Conclusion,
        klue: Option<&Conclusion>,
    ) -> Conclusion {
        let findings = analyze::analyze(&Observed::from_transcript(t).view);
        let said = conclusion_text(&model);
        match klue {
            Some(k) if !k.problems.is_empty() => {
                // The problems klue leads with that name an object the model does not.
                let missed: Vec<&Problem> = k
                    .problems
                    .iter()
                    .filter(|p| {
                        let named: Vec<&Finding> = findings
                            .iter()
                            .filter(|f| p.cause.contains(&f.object.name))
                            .collect();
                        if named.is_empty() {
                            !said.contains(&first_words(&p.cause))
                        } else {
                            named
                                .iter()
                                .any(|f| !said.contains(&f.object.name.to_lowercase()))
                        }
                    })
                    .collect();
                for p in missed {
                    let mut p = p.clone();
                    p.cause = format!("{ALSO_FOUND}: {}", p.cause);
                    model.problems.push(p);
                }
                if model.verdict != Verdict::Diagnosed && !model.problems.is_empty() {
                    model.verdict = Verdict::Diagnosed;
                }
                for p in &k.also_noticed {
                    if !said.contains(&first_words(&p.cause)) {
                        model.also_noticed.push(p.clone());
                    }
                }
            }
            Some(k) => {
                // klue's own checks found nothing: say so, the model's word is not alone.
                model
                    .notes
                    .push(format!("{ALSO_CHECKED}: {}", k.headline()));
                model.checked.extend(k.checked.iter().cloned());
            }
            None => {
                // No time for klue's own investigation (the budget is spent): the analyzers
                // over what was observed.
                let observed = Observed::from_transcript(t);
                let missed: Vec<&Finding> = findings
                    .iter()
                    .filter(|f| f.severity == analyze::Severity::Critical)
                    .filter(|f| !said.contains(&f.object.name.to_lowercase()))
                    .take(3)
                    .collect();
                for f in missed {
                    let key = crate::planner::offline::observe::object_key(
                        &f.object.kind,
                        f.object.namespace.as_deref().unwrap_or(""),
                        &f.object.name,
                    );
                    let cites = observed.seen_in.get(&key).cloned().unwrap_or_default();
                    let mut p = Problem::new(format!(
                        "{ALSO_FOUND}: {} {}: {}",
                        f.object.kind, f.object.name, f.title
                    ))
                    .remediation(f.remediation.clone());
                    for e in f.evidence.iter().take(3) {
                        p = p.evidence(Evidence::new(
                            format!("{} {}: {e}", f.object.kind, f.object.name),
                            cites.iter().cloned(),
                        ));
                    }
                    model.problems.push(p);
                    model.verdict = Verdict::Diagnosed;
                }
            }
        }
        model
    }

    /// A conclusion the budget forces when neither the model nor klue's own checks gave one.
    fn inconclusive(&self, t: &Transcript) -> Conclusion {
        let c = Conclusion::inconclusive(
            "the session's budget ran out before a cause was confirmed; continue with a larger \
             budget ([budget] in the config, or --max-turns / --max-queries), or name the \
             failing workload more precisely",
        );
        self.merge(t, c, None)
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
            let klue = step.actions.iter().find_map(|a| match a {
                Action::Conclude(c) => Some(c.clone()),
                _ => None,
            });
            let proposes = step
                .actions
                .iter()
                .any(|a| matches!(a, Action::Propose { .. }));
            if klue.is_none() && proposes && !forced {
                self.held = Some(held);
                step.text = format!("{OFFLINE_MARK} {}", step.text);
                return Ok(self.own(transcript, step));
            }
            let merged = self.merge(transcript, held, klue.as_ref());
            step.actions
                .retain(|a| !matches!(a, Action::Conclude(_) | Action::Propose { .. }));
            step.actions.push(Action::Conclude(merged));
            step.text = format!("{model}'s conclusion, checked against klue's own findings.");
            return Ok(self.own(transcript, step));
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
                    v.entries.push(Entry::User {
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
                    return match conclusion {
                        Some(c) if !concluded_since_user(transcript) => {
                            self.check_conclusion(transcript, deltas, step, c).await
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

fn first_words(s: &str) -> String {
    s.split_whitespace()
        .take(4)
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn assistant_count(t: &Transcript) -> usize {
    t.entries
        .iter()
        .filter(|e| matches!(e, Entry::Assistant { .. }))
        .count()
}

/// Did any query run successfully in this session?
fn ran_anything(t: &Transcript) -> bool {
    t.entries.iter().any(|e| match e {
        Entry::Result { outcome, .. } | Entry::Own { outcome, .. } => matches!(
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
            Entry::Assistant { actions, .. } => Some(actions),
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
            Entry::User { text } if text != CONCLUDE_NOW => return false,
            Entry::Assistant { actions, .. }
                if actions.iter().any(|a| matches!(a, Action::Conclude(_))) =>
            {
                return true;
            }
            _ => {}
        }
    }
    false
}

/// Has the session asked for a conclusion because its budget is spent?
fn budget_spent(t: &Transcript) -> bool {
    t.entries
        .iter()
        .any(|e| matches!(e, Entry::User { text } if text == CONCLUDE_NOW))
}
