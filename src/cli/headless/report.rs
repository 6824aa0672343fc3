//! What `klue ask` shows: text as the investigation goes, or one JSON document at the end.

use std::io::Write;
use std::process::ExitCode;

use klue::protocol::{
    Conclusion, EndReason, Event, Execution, FaultClass, Hypothesis, ProposalId, ProposalLog,
    SessionInfo, Stage,
};
use klue::record::timeline::TokenUse;
use serde_json::{Value, json};

/// Collects the session's events; in text mode also prints them as they come.
pub struct Report {
    text: bool,
    symptom: String,
    info: Option<SessionInfo>,
    /// What became of each proposal.
    log: ProposalLog,
    executions: Vec<Execution>,
    messages: Vec<String>,
    hypotheses: Vec<Hypothesis>,
    conclusion: Option<Conclusion>,
    /// Tokens per model call and for the session (the export's fold).
    usage: TokenUse,
    /// Each error's text and class (`errors` in the JSON: `{"message", "class"}`).
    errors: Vec<(String, FaultClass)>,
    /// What klue adapted (capability fallbacks, offline steps), said once each.
    notices: Vec<String>,
    cancelled: bool,
    ended: Option<EndReason>,
    /// The symptom has been taken in (its echo seen).
    started: bool,
    /// Text deltas printed since the last full message.
    streaming: bool,
}

impl Report {
    pub fn new(text: bool, symptom: String) -> Self {
        Report {
            text,
            symptom,
            info: None,
            log: ProposalLog::new(),
            executions: Vec::new(),
            messages: Vec::new(),
            hypotheses: Vec::new(),
            conclusion: None,
            usage: TokenUse::default(),
            errors: Vec::new(),
            notices: Vec::new(),
            cancelled: false,
            ended: None,
            started: false,
            streaming: false,
        }
    }

    /// The investigation of the symptom has started (so a wait for input means it is over).
    pub fn turn_done(&self) -> bool {
        self.started
    }

    /// The proposal is still waiting for a decision (an edit of it was refused).
    pub fn still_pending(&self, id: &ProposalId) -> bool {
        self.log.get(id).is_some_and(|e| e.stage == Stage::Pending)
    }

    /// The proposal as it waits for a decision, if it does.
    pub fn waiting(&self, id: &ProposalId) -> Option<klue::protocol::Proposal> {
        let e = self.log.get(id).filter(|e| e.stage == Stage::Pending)?;
        Some(klue::protocol::Proposal {
            id: e.id.clone(),
            command: e.proposed.clone(),
            reason: e.reason.clone(),
            hypothesis: e.hypothesis.clone(),
            origin: e.origin,
        })
    }

    pub fn event(&mut self, event: Event) -> std::io::Result<()> {
        let text = self.text;
        self.log.apply(&event);
        let mut out = std::io::stdout().lock();
        if self.streaming
            && !matches!(
                event,
                Event::AssistantDelta { .. } | Event::AssistantMessage { .. }
            )
        {
            if text {
                writeln!(out)?;
            }
            self.streaming = false;
        }
        match event {
            Event::SessionStarted(info) => {
                if text {
                    let model = info
                        .planner
                        .model
                        .as_deref()
                        .map(|m| format!(" ({m})"))
                        .unwrap_or_default();
                    writeln!(
                        out,
                        "klue: investigating on {} ({}), namespace {}, planner {}{model}",
                        info.context,
                        info.server,
                        info.namespace.as_deref().unwrap_or("default"),
                        info.planner.kind
                    )?;
                }
                self.info = Some(info);
            }
            Event::UserMessage { text: t } => {
                self.started = true;
                if text {
                    writeln!(out, "\n> {t}\n")?;
                }
            }
            Event::AssistantDelta { delta } => {
                if text {
                    write!(out, "{delta}")?;
                    out.flush()?;
                }
                self.streaming = true;
            }
            Event::AssistantMessage { text: t, .. } => {
                if text {
                    if self.streaming {
                        writeln!(out)?;
                    } else if !t.is_empty() {
                        writeln!(out, "{t}")?;
                    }
                }
                self.streaming = false;
                self.messages.push(t);
            }
            Event::Proposed(p) => {
                if text {
                    writeln!(out, "\n[{}] proposed: {}", p.id, p.command)?;
                    if !p.reason.is_empty() {
                        writeln!(out, "     why: {}", p.reason)?;
                    }
                    if !p.hypothesis.is_empty() {
                        writeln!(out, "     tests: {}", p.hypothesis)?;
                    }
                }
            }
            Event::Refused { id, command, why } => {
                if text {
                    writeln!(out, "\n[{id}] refused: {command}\n     {why}")?;
                    if self.still_pending(&id) {
                        writeln!(
                            out,
                            "     {id} still waits: edit it again, approve or reject it"
                        )?;
                    }
                }
            }
            Event::Decided { id, .. } => {
                if text && let Some(what) = self.log.get(&id).and_then(|e| e.decision_text()) {
                    writeln!(out, "[{id}] {what}")?;
                }
            }
            Event::ExecStarted { id, command } => {
                if text {
                    writeln!(out, "[{id}] $ {}", self.log.paste(&command))?;
                }
            }
            Event::ExecFinished(x) => {
                if text {
                    match &x.error {
                        Some(e) => {
                            writeln!(out, "[{}] failed after {} ms: {e}", x.id, x.duration_ms)?
                        }
                        None => {
                            write!(out, "{}", x.output)?;
                            if !x.output.ends_with('\n') {
                                writeln!(out)?;
                            }
                            writeln!(out, "[{}] done in {} ms", x.id, x.duration_ms)?;
                        }
                    }
                }
                self.executions.push(x);
            }
            Event::Hypothesis(h) => {
                if text {
                    writeln!(
                        out,
                        "\nhypothesis {} ({}): {}",
                        h.id,
                        h.status.word(),
                        h.statement
                    )?;
                    for e in &h.evidence_for {
                        writeln!(out, "   + {}{}", e.text, cites(&e.executions))?;
                    }
                    for e in &h.evidence_against {
                        writeln!(out, "   - {}{}", e.text, cites(&e.executions))?;
                    }
                }
                self.hypotheses.retain(|x| x.id != h.id);
                self.hypotheses.push(h);
            }
            Event::Concluded(c) => {
                if text {
                    write!(out, "\n{}", conclusion_text(&c))?;
                }
                self.conclusion = Some(c);
            }
            Event::Usage(u) => {
                self.usage.add(&u);
            }
            Event::AwaitingInput | Event::Connection(_) | Event::ApiCalls(_) | Event::Spent(_) => {}
            Event::Cancelled => {
                self.cancelled = true;
                if text {
                    writeln!(out, "cancelled")?;
                }
            }
            Event::Notice { text } => {
                eprintln!("klue: {text}");
                self.notices.push(text);
            }
            Event::Error { message, class } => {
                eprintln!("klue: {message}");
                self.errors.push((message, class));
            }
            Event::SessionEnded { reason } => self.ended = Some(reason),
        }
        Ok(())
    }

    /// Why this run is over, now that its planner is done.
    pub fn finished(&self) -> EndReason {
        EndReason::headless(
            self.conclusion.as_ref(),
            &self.executions,
            !self.errors.is_empty(),
            self.cancelled,
        )
    }

    /// What `klue ask` exits with: from why the session ended (as recorded), or, when the
    /// core stopped without saying, from what was seen.
    pub fn exit_code(&self) -> ExitCode {
        exit_code(self.ended.unwrap_or_else(|| self.finished()))
    }

    fn outcome(&self) -> &'static str {
        if self.conclusion.is_some() {
            "concluded"
        } else if self.cancelled {
            "cancelled"
        } else if self.ended == Some(EndReason::BudgetExhausted) {
            "budget_exhausted"
        } else if !self.errors.is_empty() {
            "error"
        } else {
            "not_concluded"
        }
    }

    /// The closing lines of text output (on stderr, so stdout stays the investigation).
    pub fn summary(&self) -> std::io::Result<()> {
        let queries = self.log.executed().count();
        let outcome = match &self.conclusion {
            Some(c) => format!("concluded ({})", c.verdict.word()),
            None => self.outcome().replace('_', " "),
        };
        eprintln!(
            "\nklue: {outcome} after {} proposals, {} queries run; tokens: {} prompt + {} completion = {}",
            self.log.len(),
            queries,
            self.usage.prompt_tokens,
            self.usage.completion_tokens,
            self.usage.session_total
        );
        if self.conclusion.is_none() && self.log.pending().next().is_some() {
            eprintln!(
                "klue: some proposals were not decided; run with --approve all-read-only to run them"
            );
        }
        Ok(())
    }

    /// The whole investigation as one JSON document.
    pub fn json(&self) -> Value {
        let proposals: Vec<Value> = self
            .log
            .entries()
            .iter()
            .map(|e| {
                // The proposal log's own words, as in the export and on the screen.
                let status = e.stage.label();
                json!({
                    "id": e.id,
                    "command": e.command(),
                    "proposed": e.proposed,
                    "paste": self.log.paste_of(e),
                    "reason": e.reason,
                    "hypothesis": e.hypothesis,
                    "origin": e.origin,
                    "status": status,
                    "refused": e.refusal.as_ref().map(|r| r.why.clone()),
                    "refused_edits": e.refused_edits,
                    "decision": e.decision_text(),
                    "decided_by": e.by,
                    "rejection": e.rejection,
                    "duplicate_of": e.duplicate_of,
                })
            })
            .collect();
        let executions = &self.executions;
        json!({
            "outcome": self.outcome(),
            "symptom": self.symptom,
            "session": self.info,
            "messages": self.messages,
            "notices": self.notices,
            "proposals": proposals,
            "executions": executions,
            "hypotheses": self.hypotheses,
            "conclusion": self.conclusion,
            "usage": self.usage,
            "errors": self
                .errors
                .iter()
                .map(|(message, class)| json!({"message": message, "class": class.word()}))
                .collect::<Vec<_>>(),
            "ended": self.ended,
        })
    }
}

/// The exit code for why a session ended (the codes of [`super::EXIT_CODES`]).
pub fn exit_code(reason: EndReason) -> ExitCode {
    ExitCode::from(match reason {
        EndReason::Concluded => 0,
        EndReason::Error | EndReason::Stopped => 1,
        EndReason::NoConclusion
        | EndReason::BudgetExhausted
        | EndReason::Cancelled
        | EndReason::Engineer
        | EndReason::FrontEndClosed => 2,
        EndReason::Inconclusive => 3,
        EndReason::ClusterUnusable => 4,
    })
}

fn cites(ids: &[ProposalId]) -> String {
    if ids.is_empty() {
        String::new()
    } else {
        let ids: Vec<String> = ids.iter().map(|i| i.0.clone()).collect();
        format!(" [{}]", ids.join(", "))
    }
}

/// A conclusion as text for a terminal: the verdict, each problem (cause, chain, supporting
/// evidence, remediation), also noticed, what was checked and what could not be, the
/// confidence. `klue ask` and `klue demo` print it.
pub fn conclusion_text(c: &Conclusion) -> String {
    use klue::protocol::RowKind;
    let mut o = String::new();
    let mut prev = None;
    for r in c.outline() {
        let mark = match &r.verification {
            klue::protocol::Verification::Unverified { why } => format!("  (UNVERIFIED: {why})"),
            _ => String::new(),
        };
        let cited = format!("{}{mark}", cites(&r.executions));
        let line = match r.kind {
            RowKind::Verdict => format!("== Conclusion: {} ==", r.text),
            RowKind::Section => format!("\n{}:", r.text),
            RowKind::Cause => r.text.clone(),
            RowKind::Link if prev == Some(RowKind::Link) => format!("     → {}{cited}", r.text),
            RowKind::Link => format!("   chain: {}{cited}", r.text),
            RowKind::Evidence => format!("   - {}{cited}", r.text),
            RowKind::Remediation if r.depth > 1 => format!("        {}", r.text),
            RowKind::Remediation => format!("   fix (not executed by klue): {}", r.text),
            RowKind::Unchecked => format!("   - {}", r.text),
            RowKind::Note => format!("   {}", r.text),
            RowKind::Confidence => format!("\n{}", r.text),
        };
        o.push_str(&line);
        o.push('\n');
        prev = Some(r.kind);
    }
    o
}
