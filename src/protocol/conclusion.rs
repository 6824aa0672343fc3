//! The end of an investigation, in one shape for every planner and every front end (TUI,
//! `ask` text and JSON, Markdown export): a verdict about what was asked, the problems found
//! (each a one-line cause, the causal chain from the symptom to it, the evidence that supports
//! it and a specific remediation), what else was noticed, what was checked, what could not be
//! checked (failed queries) and the confidence that follows.
//!
//! Recordings made before this shape (`root_cause`, `evidence`, `remediation`) still load: they
//! become one problem.

use serde::{Deserialize, Serialize};

use super::{Confidence, ProposalId};

/// What the investigation says about the question asked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// At least one problem was found and explained.
    #[default]
    Diagnosed,
    /// What was asked about is healthy ([`Conclusion::checked`] says what was looked at).
    Healthy,
    /// Neither: queries failed, or the evidence does not settle it.
    Inconclusive,
}

impl Verdict {
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Diagnosed => "diagnosed",
            Verdict::Healthy => "healthy",
            Verdict::Inconclusive => "inconclusive",
        }
    }
}

/// How an evidence item stands against the executions it cites.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Verification {
    /// Not checked yet (what a planner produces; the session checks before showing it).
    #[default]
    NotChecked,
    /// Every cited execution exists and answered, and quoted text is in their output.
    Verified,
    /// Something does not hold; `why` says what (a missing or failed execution, a quote that
    /// is not in the output, no citation at all).
    Unverified { why: String },
}

impl Verification {
    pub fn is_not_checked(&self) -> bool {
        matches!(self, Verification::NotChecked)
    }

    pub fn is_unverified(&self) -> bool {
        matches!(self, Verification::Unverified { .. })
    }

    /// A short label for front ends: `verified`, `unverified: why`, or nothing.
    pub fn label(&self) -> Option<String> {
        match self {
            Verification::NotChecked => None,
            Verification::Verified => Some("verified".into()),
            Verification::Unverified { why } => Some(format!("unverified: {why}")),
        }
    }
}

/// One piece of evidence (or one link of a causal chain): a sentence, and the executions it
/// rests on (by proposal id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub text: String,
    #[serde(default)]
    pub executions: Vec<ProposalId>,
    #[serde(default, skip_serializing_if = "Verification::is_not_checked")]
    pub verification: Verification,
}

impl Evidence {
    /// Evidence citing these executions.
    pub fn new<I, P>(text: impl Into<String>, executions: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<ProposalId>,
    {
        Evidence {
            text: text.into(),
            executions: executions.into_iter().map(Into::into).collect(),
            verification: Verification::NotChecked,
        }
    }

    /// Evidence that cites no execution (the session marks it unverified).
    pub fn uncited(text: impl Into<String>) -> Self {
        Evidence::new(text, Vec::<ProposalId>::new())
    }
}

impl From<&str> for ProposalId {
    fn from(s: &str) -> Self {
        ProposalId(s.to_string())
    }
}

impl From<String> for ProposalId {
    fn from(s: String) -> Self {
        ProposalId(s)
    }
}

impl From<&ProposalId> for ProposalId {
    fn from(p: &ProposalId) -> Self {
        p.clone()
    }
}

/// One problem: its cause in one line, the chain from the symptom down to that cause, only the
/// evidence that supports it, and what to change (text for a human; klue never runs it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// One line, naming the object: "Secret checkout-secrets has no key stripe-api-key".
    pub cause: String,
    /// Symptom first, cause last: "pod checkout-7d… is in CrashLoopBackOff" → "the previous
    /// container exited 1: `KeyError: 'STRIPE_API_KEY'`" → ….
    #[serde(default)]
    pub chain: Vec<Evidence>,
    /// Further evidence for the cause (not already a link of the chain).
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    /// Specific: the object and field to change.
    #[serde(default)]
    pub remediation: String,
}

impl Problem {
    pub fn new(cause: impl Into<String>) -> Self {
        Problem {
            cause: cause.into(),
            ..Problem::default()
        }
    }

    /// Add a link at the end of the chain (the end is the cause).
    pub fn link(mut self, link: Evidence) -> Self {
        self.chain.push(link);
        self
    }

    pub fn evidence(mut self, e: Evidence) -> Self {
        self.evidence.push(e);
        self
    }

    pub fn remediation(mut self, r: impl Into<String>) -> Self {
        self.remediation = r.into();
        self
    }

    /// Every evidence item: the chain's links, then the other evidence.
    pub fn items(&self) -> impl Iterator<Item = &Evidence> {
        self.chain.iter().chain(self.evidence.iter())
    }

    fn items_mut(&mut self) -> impl Iterator<Item = &mut Evidence> {
        self.chain.iter_mut().chain(self.evidence.iter_mut())
    }
}

/// Why a query failed, as a class (the message itself says the specifics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// The API server could not be reached (connection refused, DNS, TLS, timeout to connect).
    Unreachable,
    /// The credentials were not accepted (401).
    Unauthorized,
    /// RBAC forbids it (403).
    Forbidden,
    /// The object or namespace does not exist (an answer, not a failure to look).
    NotFound,
    /// The query did not finish in time.
    Timeout,
    /// Cancelled by the engineer or the end of the session.
    Cancelled,
    /// Anything else (unknown resource type, bad arguments, server errors, ...).
    Other,
}

impl ErrorClass {
    /// Classify an error message (kubectl's wordings, which klue's executor reproduces). Used
    /// for executions recorded without a class.
    pub fn of_message(message: &str) -> ErrorClass {
        let m = message.to_ascii_lowercase();
        if m.contains("(notfound)") || m.contains(" not found") {
            ErrorClass::NotFound
        } else if m.contains("(forbidden)") || m.contains(" is forbidden") {
            ErrorClass::Forbidden
        } else if m.contains("unauthorized") {
            ErrorClass::Unauthorized
        } else if m.contains("unable to connect to the server")
            || m.contains("the connection to the server")
            || m.contains("connection refused")
            || m.contains("dns error")
        {
            ErrorClass::Unreachable
        } else if m.contains("did not finish within") || m.contains("timed out") {
            ErrorClass::Timeout
        } else if m.contains("cancelled by the engineer") || m.contains("the session ended") {
            ErrorClass::Cancelled
        } else {
            ErrorClass::Other
        }
    }

    /// A NotFound is the server's answer ("there is no Service payments"), usable as evidence;
    /// every other class means the question was not answered.
    pub fn is_answer(self) -> bool {
        self == ErrorClass::NotFound
    }

    pub fn word(self) -> &'static str {
        match self {
            ErrorClass::Unreachable => "unreachable",
            ErrorClass::Unauthorized => "unauthorized",
            ErrorClass::Forbidden => "forbidden",
            ErrorClass::NotFound => "not found",
            ErrorClass::Timeout => "timeout",
            ErrorClass::Cancelled => "cancelled",
            ErrorClass::Other => "error",
        }
    }
}

/// A query that failed, so what it would have shown is not known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unchecked {
    /// The execution, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<ProposalId>,
    pub command: String,
    pub class: ErrorClass,
    /// The specific error message.
    pub error: String,
}

/// The end of an investigation. Remediation is text for a human: klue never runs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conclusion {
    pub verdict: Verdict,
    /// What the engineer asked about ("Deployment frontend in shop"), when the question named
    /// something.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The problems that answer the question, most important first.
    pub problems: Vec<Problem>,
    /// Problems or findings outside the question.
    pub also_noticed: Vec<Problem>,
    /// What was looked at (for a healthy verdict: "frontend: 2/2 ready, 0 restarts").
    pub checked: Vec<Evidence>,
    /// Queries that failed: what could not be checked.
    pub unchecked: Vec<Unchecked>,
    pub confidence: Confidence,
    /// Remarks for the engineer (including why the session lowered the confidence).
    pub notes: Vec<String>,
}

/// The wire form: the current fields, and the first shape's (`root_cause`, `evidence`,
/// `remediation`) so older recordings load.
#[derive(Deserialize)]
struct ConclusionWire {
    #[serde(default)]
    verdict: Option<Verdict>,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    problems: Vec<Problem>,
    #[serde(default)]
    also_noticed: Vec<Problem>,
    #[serde(default)]
    checked: Vec<Evidence>,
    #[serde(default)]
    unchecked: Vec<Unchecked>,
    confidence: Confidence,
    #[serde(default)]
    notes: Vec<String>,
    #[serde(default)]
    root_cause: Option<String>,
    #[serde(default)]
    evidence: Vec<Evidence>,
    #[serde(default)]
    remediation: Option<String>,
}

impl<'de> Deserialize<'de> for Conclusion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = ConclusionWire::deserialize(d)?;
        let mut problems = w.problems;
        if problems.is_empty()
            && let Some(root_cause) = w.root_cause
        {
            problems.push(Problem {
                cause: root_cause,
                chain: Vec::new(),
                evidence: w.evidence,
                remediation: w.remediation.unwrap_or_default(),
            });
        }
        Ok(Conclusion {
            verdict: w.verdict.unwrap_or(if problems.is_empty() {
                Verdict::Inconclusive
            } else {
                Verdict::Diagnosed
            }),
            subject: w.subject,
            problems,
            also_noticed: w.also_noticed,
            checked: w.checked,
            unchecked: w.unchecked,
            confidence: w.confidence,
            notes: w.notes,
        })
    }
}

impl Conclusion {
    /// A diagnosis with these problems.
    pub fn diagnosed(problems: Vec<Problem>, confidence: Confidence) -> Self {
        Conclusion {
            verdict: Verdict::Diagnosed,
            subject: None,
            problems,
            also_noticed: Vec::new(),
            checked: Vec::new(),
            unchecked: Vec::new(),
            confidence,
            notes: Vec::new(),
        }
    }

    /// What was asked about is healthy; `checked` says what was looked at.
    pub fn healthy(checked: Vec<Evidence>, confidence: Confidence) -> Self {
        Conclusion {
            verdict: Verdict::Healthy,
            checked,
            ..Conclusion::diagnosed(Vec::new(), confidence)
        }
    }

    /// Neither: `note` says why (low confidence).
    pub fn inconclusive(note: impl Into<String>) -> Self {
        Conclusion {
            verdict: Verdict::Inconclusive,
            notes: vec![note.into()],
            ..Conclusion::diagnosed(Vec::new(), Confidence::Low)
        }
    }

    pub fn with_subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    pub fn also(mut self, p: Problem) -> Self {
        self.also_noticed.push(p);
        self
    }

    pub fn note(mut self, n: impl Into<String>) -> Self {
        self.notes.push(n.into());
        self
    }

    /// One line: the first problem's cause (with a count of the others), the health of the
    /// subject, or why it is inconclusive.
    pub fn headline(&self) -> String {
        match (self.verdict, self.problems.first()) {
            (Verdict::Diagnosed, Some(p)) if self.problems.len() > 1 => {
                format!("{} (+{} more)", p.cause, self.problems.len() - 1)
            }
            (Verdict::Diagnosed, Some(p)) => p.cause.clone(),
            (Verdict::Healthy, _) => match &self.subject {
                Some(s) => format!("{s} is healthy"),
                None => "nothing abnormal found".into(),
            },
            (_, Some(p)) => format!("inconclusive: {}", p.cause),
            (_, None) => match self.notes.first() {
                Some(n) => format!("inconclusive: {n}"),
                None if !self.unchecked.is_empty() => format!(
                    "inconclusive: {} queries failed ({})",
                    self.unchecked.len(),
                    self.unchecked[0].class.word()
                ),
                None => "inconclusive".into(),
            },
        }
    }

    /// Every remediation, one per problem, numbered when there are several.
    pub fn remediation_text(&self) -> String {
        let rs: Vec<&str> = self
            .problems
            .iter()
            .map(|p| p.remediation.trim())
            .filter(|r| !r.is_empty())
            .collect();
        match rs.len() {
            0 => String::new(),
            1 => rs[0].to_string(),
            _ => rs
                .iter()
                .enumerate()
                .map(|(i, r)| format!("({}) {r}", i + 1))
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    /// Every evidence item, in display order: problems (chain, evidence), also noticed, checked.
    pub fn items(&self) -> impl Iterator<Item = &Evidence> {
        self.problems
            .iter()
            .chain(self.also_noticed.iter())
            .flat_map(Problem::items)
            .chain(self.checked.iter())
    }

    /// Every evidence item, mutably (for citation translation and verification).
    pub fn items_mut(&mut self) -> impl Iterator<Item = &mut Evidence> {
        self.problems
            .iter_mut()
            .chain(self.also_noticed.iter_mut())
            .flat_map(Problem::items_mut)
            .chain(self.checked.iter_mut())
    }

    /// How many evidence items are marked unverified.
    pub fn unverified(&self) -> usize {
        self.items()
            .filter(|e| e.verification.is_unverified())
            .count()
    }
}

/// What a row of a conclusion's outline is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    /// "diagnosed", "healthy" or "inconclusive", with the subject.
    Verdict,
    /// A section heading: "Also noticed", "Checked", "Could not check", "Notes".
    Section,
    /// A problem's one-line cause (numbered).
    Cause,
    /// One link of a problem's chain (symptom first).
    Link,
    /// One supporting evidence item.
    Evidence,
    /// A problem's remediation (text for a human; never executed).
    Remediation,
    /// A failed query: what could not be checked.
    Unchecked,
    /// A remark.
    Note,
    /// The confidence line.
    Confidence,
}

/// One row of [`Conclusion::outline`]: the one reading order every front end renders (TUI,
/// `ask` text, Markdown), each with its own styling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub kind: RowKind,
    /// 0 for headings and causes, 1 for what belongs to a problem.
    pub depth: u8,
    pub text: String,
    pub executions: Vec<ProposalId>,
    pub verification: Verification,
}

impl Row {
    fn new(kind: RowKind, depth: u8, text: impl Into<String>) -> Row {
        Row {
            kind,
            depth,
            text: text.into(),
            executions: Vec::new(),
            verification: Verification::NotChecked,
        }
    }

    fn item(kind: RowKind, e: &Evidence) -> Row {
        Row {
            kind,
            depth: 1,
            text: shorten(e.text.trim(), ITEM_CHARS),
            executions: e.executions.clone(),
            verification: e.verification.clone(),
        }
    }
}

/// Longest evidence line shown (log and event lines are long); quotes keep their ends.
const ITEM_CHARS: usize = 240;

/// Shorten to `max` characters, cutting in the middle so both ends of a quote stay.
pub fn shorten(s: &str, max: usize) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let n = s.chars().count();
    if n <= max {
        return s;
    }
    let head = max * 2 / 3;
    let tail = max.saturating_sub(head + 1);
    let start: String = s.chars().take(head).collect();
    let end: String = s.chars().skip(n - tail).collect();
    format!("{start}…{end}")
}

/// The quoted fragments of a text: `backticks`, then "double quotes" outside them (an
/// unclosed quote is not a quote).
pub fn quotes(text: &str) -> Vec<&str> {
    fn pairs(text: &str, delim: char) -> (Vec<&str>, Vec<&str>) {
        let parts: Vec<&str> = text.split(delim).collect();
        let closed = parts.len() - usize::from(parts.len().is_multiple_of(2));
        let (mut inside, mut outside) = (Vec::new(), Vec::new());
        for (i, p) in parts.iter().enumerate() {
            if i % 2 == 1 && i < closed {
                inside.push(*p);
            } else {
                outside.push(*p);
            }
        }
        (inside, outside)
    }
    let (mut out, rest) = pairs(text, '`');
    for r in rest {
        out.extend(pairs(r, '"').0);
    }
    out.retain(|q| !q.trim().is_empty());
    out
}

fn normalized(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// A problem's rows: the cause, the chain, the evidence not already shown (a log line or an
/// event quoted once), the remediation.
fn problem_rows(rows: &mut Vec<Row>, n: Option<usize>, p: &Problem) {
    let cause = match n {
        Some(n) => format!("{n}. {}", p.cause.trim()),
        None => p.cause.trim().to_string(),
    };
    rows.push(Row::new(RowKind::Cause, 0, cause));
    let mut shown: Vec<String> = vec![normalized(&p.cause)];
    let mut quoted: Vec<String> = quotes(&p.cause).into_iter().map(normalized).collect();
    for (kind, items) in [(RowKind::Link, &p.chain), (RowKind::Evidence, &p.evidence)] {
        for e in items {
            let text = normalized(&e.text);
            let qs: Vec<String> = quotes(&e.text).into_iter().map(normalized).collect();
            let repeated = shown.iter().any(|s| s.contains(&text))
                || (!qs.is_empty() && qs.iter().all(|q| quoted.contains(q)));
            // A chain link is always shown (it is the explanation); evidence only when new.
            if kind == RowKind::Evidence && repeated {
                continue;
            }
            shown.push(text);
            quoted.extend(qs);
            rows.push(Row::item(kind, e));
        }
    }
    if !p.remediation.trim().is_empty() {
        for (i, line) in p.remediation.trim().lines().enumerate() {
            let mut r = Row::new(RowKind::Remediation, 1, line.trim_end());
            if i > 0 {
                r.depth = 2;
            }
            rows.push(r);
        }
    }
}

impl Conclusion {
    /// The conclusion in reading order: verdict; each problem (cause, chain, evidence,
    /// remediation); also noticed; checked; could not check; notes; confidence.
    pub fn outline(&self) -> Vec<Row> {
        let mut rows = Vec::new();
        let verdict = match (&self.subject, self.verdict) {
            (Some(s), v) => format!("{}: {s}", v.word()),
            (None, v) => v.word().to_string(),
        };
        rows.push(Row::new(RowKind::Verdict, 0, verdict));
        let notes = |rows: &mut Vec<Row>| {
            if !self.notes.is_empty() {
                rows.push(Row::new(RowKind::Section, 0, "Notes"));
                for n in &self.notes {
                    rows.push(Row::new(RowKind::Note, 1, n.trim()));
                }
            }
        };
        // Inconclusive: why comes first.
        if self.verdict == Verdict::Inconclusive {
            notes(&mut rows);
        }
        let numbered = self.problems.len() > 1;
        for (i, p) in self.problems.iter().enumerate() {
            problem_rows(&mut rows, numbered.then_some(i + 1), p);
        }
        if !self.also_noticed.is_empty() {
            rows.push(Row::new(RowKind::Section, 0, "Also noticed"));
            for p in &self.also_noticed {
                problem_rows(&mut rows, None, p);
            }
        }
        if !self.checked.is_empty() {
            rows.push(Row::new(RowKind::Section, 0, "Checked"));
            rows.extend(self.checked.iter().map(|e| Row::item(RowKind::Evidence, e)));
        }
        if !self.unchecked.is_empty() {
            rows.push(Row::new(RowKind::Section, 0, "Could not check"));
            // Queries that failed the same way are one row: the error is quoted once.
            let mut groups: Vec<(&Unchecked, Vec<&Unchecked>)> = Vec::new();
            for u in &self.unchecked {
                match groups
                    .iter_mut()
                    .find(|(first, _)| first.class == u.class && first.error == u.error)
                {
                    Some((_, all)) => all.push(u),
                    None => groups.push((u, vec![u])),
                }
            }
            for (first, all) in groups {
                let commands: Vec<&str> = all.iter().map(|u| u.command.as_str()).collect();
                let commands = if commands.len() > 4 {
                    format!(
                        "{} and {} more queries",
                        commands[..3].join(", "),
                        commands.len() - 3
                    )
                } else {
                    commands.join(", ")
                };
                let mut r = Row::new(
                    RowKind::Unchecked,
                    1,
                    format!(
                        "{commands} ({}): {}",
                        first.class.word(),
                        shorten(&first.error, ITEM_CHARS)
                    ),
                );
                r.executions = all.iter().filter_map(|u| u.id.clone()).take(4).collect();
                rows.push(r);
            }
        }
        if self.verdict != Verdict::Inconclusive {
            notes(&mut rows);
        }
        let unverified = self.unverified();
        let mut conf = format!("confidence: {}", self.confidence.word());
        if unverified > 0 {
            conf.push_str(&format!(
                " ({unverified} evidence item{} unverified)",
                if unverified == 1 { "" } else { "s" }
            ));
        }
        rows.push(Row::new(RowKind::Confidence, 0, conf));
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_shape_loads_as_one_problem() {
        let old = r#"{"root_cause":"bad tag","evidence":[{"text":"ErrImagePull","executions":["p1"]}],"confidence":"high","remediation":"fix the tag"}"#;
        let c: Conclusion = serde_json::from_str(old).expect("old shape");
        assert_eq!(c.verdict, Verdict::Diagnosed);
        assert_eq!(c.problems.len(), 1);
        assert_eq!(c.problems[0].cause, "bad tag");
        assert_eq!(
            c.problems[0].evidence[0].executions,
            vec![ProposalId::from("p1")]
        );
        assert_eq!(
            c.problems[0].evidence[0].verification,
            Verification::NotChecked
        );
        assert_eq!(c.remediation_text(), "fix the tag");
        assert_eq!(c.headline(), "bad tag");
    }

    #[test]
    fn round_trips_and_labels() {
        let mut c = Conclusion::diagnosed(
            vec![
                Problem::new("Secret s has no key k")
                    .link(Evidence::new("pod crash-loops", ["p1"]))
                    .link(Evidence::new("`KeyError: 'k'`", ["p2"]))
                    .remediation("add key k to Secret s"),
                Problem::new("other").remediation("fix other"),
            ],
            Confidence::High,
        )
        .with_subject("Deployment checkout");
        c.items_mut().next().expect("an item").verification = Verification::Unverified {
            why: "p1 failed".into(),
        };
        let json = serde_json::to_string(&c).expect("serialise");
        let back: Conclusion = serde_json::from_str(&json).expect("parse");
        assert_eq!(back, c);
        assert_eq!(back.unverified(), 1);
        assert_eq!(back.headline(), "Secret s has no key k (+1 more)");
        assert_eq!(
            back.remediation_text(),
            "(1) add key k to Secret s\n(2) fix other"
        );
        let i = Conclusion::inconclusive("the API server could not be reached");
        assert_eq!(
            i.headline(),
            "inconclusive: the API server could not be reached"
        );
        assert_eq!(i.confidence, Confidence::Low);
    }

    #[test]
    fn classifies_kubectl_messages() {
        for (m, c) in [
            (
                "Error from server (NotFound): services \"x\" not found",
                ErrorClass::NotFound,
            ),
            (
                "Error from server (Forbidden): pods is forbidden: User \"v\" cannot list",
                ErrorClass::Forbidden,
            ),
            (
                "error: You must be logged in to the server (Unauthorized)",
                ErrorClass::Unauthorized,
            ),
            (
                "The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?",
                ErrorClass::Unreachable,
            ),
            (
                "Unable to connect to the server 10.0.0.1:443: tls",
                ErrorClass::Unreachable,
            ),
            ("the query did not finish within 30 s", ErrorClass::Timeout),
            (
                "error: the server doesn't have a resource type \"x\"",
                ErrorClass::Other,
            ),
        ] {
            assert_eq!(ErrorClass::of_message(m), c, "{m}");
        }
    }
}
