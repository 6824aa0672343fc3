//! What `klue ask` shows: text as the investigation goes, or one JSON document at the end.

use std::io::Write;
use std::process::ExitCode;

use klue::protocol::{
    Conclusion, Decider, Decision, Event, Execution, Hypothesis, Proposal, ProposalId, SessionInfo,
    Usage,
};
use serde_json::{Value, json};

/// One proposal and what became of it.
#[derive(Debug, Default)]
struct Item {
    id: Option<ProposalId>,
    proposal: Option<Proposal>,
    command: String,
    refused: Option<String>,
    decision: Option<(Decision, Decider)>,
    execution: Option<Execution>,
}

/// Collects the session's events; in text mode also prints them as they come.
pub struct Report {
    text: bool,
    symptom: String,
    info: Option<SessionInfo>,
    items: Vec<Item>,
    messages: Vec<String>,
    hypotheses: Vec<Hypothesis>,
    conclusion: Option<Conclusion>,
    usage: Usage,
    errors: Vec<String>,
    cancelled: bool,
    ended: Option<String>,
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
            items: Vec::new(),
            messages: Vec::new(),
            hypotheses: Vec::new(),
            conclusion: None,
            usage: Usage::default(),
            errors: Vec::new(),
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

    fn item(&mut self, id: &ProposalId) -> &mut Item {
        let pos = match self.items.iter().position(|i| i.id.as_ref() == Some(id)) {
            Some(p) => p,
            None => {
                self.items.push(Item {
                    id: Some(id.clone()),
                    ..Default::default()
                });
                self.items.len() - 1
            }
        };
        &mut self.items[pos]
    }

    pub fn event(&mut self, event: Event) -> std::io::Result<()> {
        let text = self.text;
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
            Event::AssistantMessage { text: t } => {
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
                let item = self.item(&p.id);
                item.command = p.command.clone();
                item.proposal = Some(p);
            }
            Event::Refused { id, command, why } => {
                if text {
                    writeln!(out, "\n[{id}] refused: {command}\n     {why}")?;
                }
                let item = self.item(&id);
                if item.command.is_empty() {
                    item.command = command;
                }
                item.refused = Some(why);
            }
            Event::Decided { id, decision, by } => {
                if text {
                    let who = super::by_text(&by);
                    let what = match &decision {
                        Decision::Approve => match &by {
                            Decider::Dedup { earlier } => {
                                format!("answered from {earlier} (the same query)")
                            }
                            _ => format!("approved by {who}"),
                        },
                        Decision::ApproveEdited { command } => {
                            format!("approved by {who} as: {command}")
                        }
                        Decision::Reject { reason: Some(r) } => format!("rejected by {who}: {r}"),
                        Decision::Reject { reason: None } => format!("rejected by {who}"),
                    };
                    writeln!(out, "[{id}] {what}")?;
                }
                self.item(&id).decision = Some((decision, by));
            }
            Event::ExecStarted { id, command } => {
                if text {
                    writeln!(out, "[{id}] $ kubectl {command}")?;
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
                let id = x.id.clone();
                self.item(&id).execution = Some(x);
            }
            Event::Hypothesis(h) => {
                if text {
                    writeln!(
                        out,
                        "\nhypothesis {} ({:?}): {}",
                        h.id, h.status, h.statement
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
                    writeln!(out, "\n== Conclusion (confidence: {:?}) ==", c.confidence)?;
                    writeln!(out, "Root cause: {}", c.root_cause)?;
                    if !c.evidence.is_empty() {
                        writeln!(out, "Evidence:")?;
                        for e in &c.evidence {
                            writeln!(out, "  - {}{}", e.text, cites(&e.executions))?;
                        }
                    }
                    writeln!(out, "Remediation (not executed by klue):")?;
                    for line in c.remediation.lines() {
                        writeln!(out, "  {line}")?;
                    }
                }
                self.conclusion = Some(c);
            }
            Event::Usage(u) => {
                self.usage = Usage {
                    prompt_tokens: self.usage.prompt_tokens + u.prompt_tokens,
                    completion_tokens: self.usage.completion_tokens + u.completion_tokens,
                    session_total: u.session_total,
                }
            }
            Event::AwaitingInput | Event::Connection(_) => {}
            Event::Cancelled => {
                self.cancelled = true;
                if text {
                    writeln!(out, "cancelled")?;
                }
            }
            Event::Error { message } => {
                eprintln!("klue: {message}");
                self.errors.push(message);
            }
            Event::SessionEnded { reason } => self.ended = Some(reason),
        }
        Ok(())
    }

    pub fn exit_code(&self) -> ExitCode {
        if self.conclusion.is_some() {
            ExitCode::SUCCESS
        } else if !self.errors.is_empty() && self.ended.as_deref() != Some("budget exhausted") {
            ExitCode::from(1)
        } else {
            ExitCode::from(2)
        }
    }

    fn outcome(&self) -> &'static str {
        if self.conclusion.is_some() {
            "concluded"
        } else if self.cancelled {
            "cancelled"
        } else if self.ended.as_deref() == Some("budget exhausted") {
            "budget_exhausted"
        } else if !self.errors.is_empty() {
            "error"
        } else {
            "not_concluded"
        }
    }

    /// The closing lines of text output (on stderr, so stdout stays the investigation).
    pub fn summary(&self) -> std::io::Result<()> {
        let queries = self.items.iter().filter(|i| i.execution.is_some()).count();
        eprintln!(
            "\nklue: {} after {} proposals, {} queries run; tokens: {} prompt + {} completion = {}",
            self.outcome().replace('_', " "),
            self.items.len(),
            queries,
            self.usage.prompt_tokens,
            self.usage.completion_tokens,
            self.usage.session_total
        );
        if self.conclusion.is_none()
            && self
                .items
                .iter()
                .any(|i| i.proposal.is_some() && i.decision.is_none() && i.refused.is_none())
        {
            eprintln!(
                "klue: some proposals were not decided; run with --approve all-read-only to run them"
            );
        }
        Ok(())
    }

    /// The whole investigation as one JSON document.
    pub fn json(&self) -> Value {
        let proposals: Vec<Value> = self
            .items
            .iter()
            .map(|i| {
                let status = if i.refused.is_some() {
                    "refused"
                } else {
                    match &i.decision {
                        None => "undecided",
                        Some((Decision::Reject { .. }, _)) => "rejected",
                        Some((_, Decider::Dedup { .. })) => "duplicate",
                        Some(_) => match &i.execution {
                            Some(x) if x.error.is_some() => "failed",
                            Some(_) => "executed",
                            None => "approved",
                        },
                    }
                };
                json!({
                    "id": i.id,
                    "command": i.command,
                    "reason": i.proposal.as_ref().map(|p| p.reason.clone()),
                    "hypothesis": i.proposal.as_ref().map(|p| p.hypothesis.clone()),
                    "status": status,
                    "refused": i.refused,
                    "decision": i.decision.as_ref().map(|(d, _)| d),
                    "decided_by": i.decision.as_ref().map(|(_, by)| by),
                })
            })
            .collect();
        let executions: Vec<&Execution> = self
            .items
            .iter()
            .filter_map(|i| i.execution.as_ref())
            .collect();
        json!({
            "outcome": self.outcome(),
            "symptom": self.symptom,
            "session": self.info,
            "messages": self.messages,
            "proposals": proposals,
            "executions": executions,
            "hypotheses": self.hypotheses,
            "conclusion": self.conclusion,
            "usage": self.usage,
            "errors": self.errors,
            "ended": self.ended,
        })
    }
}

fn cites(ids: &[ProposalId]) -> String {
    if ids.is_empty() {
        String::new()
    } else {
        let ids: Vec<String> = ids.iter().map(|i| i.0.clone()).collect();
        format!(" [{}]", ids.join(", "))
    }
}
