//! Checking a conclusion against the executions it cites, for every planner (the LLM's
//! included): an evidence item is verified when every execution it cites exists and answered
//! (a NotFound is an answer) and every quoted fragment (`backticks` or "double quotes") is in
//! the cited output; otherwise it is marked unverified, with why. Unverified evidence lowers
//! the confidence. A conclusion that rests only on failures is inconclusive, and says what
//! could not be checked.

use std::collections::HashMap;

use serde_json::Value;

use crate::protocol::{
    Conclusion, Confidence, ErrorClass, Evidence, Execution, Hypothesis, ProposalId, Unchecked,
    Verdict, Verification, quotes,
};

/// Quotes shorter than this are not checked (`"a"`, `ok`).
const MIN_QUOTE: usize = 3;

/// Verify `c` against `executions` (every execution of the session; the failed ones among
/// them become [`Conclusion::unchecked`]).
pub fn verify_conclusion(c: &Conclusion, executions: &[Execution]) -> Conclusion {
    let no_aliases = HashMap::new();
    let book = Book::new(executions, &no_aliases);
    verify_with(c, &book, executions.iter().collect())
}

/// The executions by id, with aliases (a proposal answered from an identical earlier one
/// cites that one's output).
pub(super) struct Book<'a> {
    by_id: HashMap<&'a ProposalId, &'a Execution>,
    aliases: &'a HashMap<ProposalId, ProposalId>,
}

impl<'a> Book<'a> {
    pub(super) fn new(
        executions: &'a [Execution],
        aliases: &'a HashMap<ProposalId, ProposalId>,
    ) -> Self {
        Book {
            by_id: executions.iter().map(|x| (&x.id, x)).collect(),
            aliases,
        }
    }

    fn get(&self, id: &ProposalId) -> Option<&'a Execution> {
        let mut id = id;
        // Follow aliases (bounded, in case of a cycle).
        for _ in 0..8 {
            if let Some(x) = self.by_id.get(id) {
                return Some(x);
            }
            match self.aliases.get(id) {
                Some(next) => id = next,
                None => return None,
            }
        }
        None
    }
}

/// Verify with a lookup; `inquiry` are the executions of the current line of inquiry (their
/// failures are what could not be checked).
pub(super) fn verify_with(c: &Conclusion, book: &Book<'_>, inquiry: Vec<&Execution>) -> Conclusion {
    let mut c = c.clone();
    let mut cites_failure = false;
    for e in c.items_mut() {
        let (v, failure) = check_item(e, book);
        cites_failure |= failure;
        e.verification = v;
    }
    add_unchecked(&mut c, &inquiry);
    // Nothing of this inquiry answered, though something was tried.
    let nothing_answered = !inquiry.is_empty() && !inquiry.iter().any(|x| x.answered());
    settle(&mut c, cites_failure || nothing_answered);
    c
}

/// Verify a hypothesis's evidence (shown, not scored).
pub(super) fn verify_hypothesis(h: &mut Hypothesis, book: &Book<'_>) {
    for e in h
        .evidence_for
        .iter_mut()
        .chain(h.evidence_against.iter_mut())
    {
        e.verification = check_item(e, book).0;
    }
}

/// The item's verification, and whether it cites a failed or missing execution.
fn check_item(e: &Evidence, book: &Book<'_>) -> (Verification, bool) {
    let v = verify_item(e, book);
    let failure = e
        .executions
        .iter()
        .any(|id| book.get(id).is_none_or(|x| !x.answered()));
    (v, failure)
}

fn verify_item(e: &Evidence, book: &Book<'_>) -> Verification {
    if e.executions.is_empty() {
        return Verification::Unverified {
            why: "cites no execution".into(),
        };
    }
    let mut cited = Vec::new();
    for id in &e.executions {
        let Some(x) = book.get(id) else {
            return Verification::Unverified {
                why: format!("{id} is not an execution of this session"),
            };
        };
        if let Some(class) = x.failure()
            && !class.is_answer()
        {
            return Verification::Unverified {
                why: format!(
                    "{id} failed ({}), so it shows nothing: {}",
                    class.word(),
                    crate::protocol::shorten(x.error.as_deref().unwrap_or_default(), 120)
                ),
            };
        }
        cited.push(x);
    }
    let missing: Vec<&str> = quotes(&e.text)
        .into_iter()
        .filter(|q| q.trim().chars().count() >= MIN_QUOTE)
        .filter(|q| !cited.iter().any(|x| contains_quote(x, q)))
        .collect();
    match missing.first() {
        None => Verification::Verified,
        Some(q) => Verification::Unverified {
            why: format!(
                "`{}` is not in the output of {}",
                crate::protocol::shorten(q, 80),
                e.executions
                    .iter()
                    .map(|p| p.0.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
    }
}

/// Lower-cased, whitespace collapsed.
fn norm(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Is the quote in what the execution showed (its output, the model's copy, its error, the
/// strings of its objects), or is it the command itself? An ellipsis in a quote stands for a
/// cut: each piece must be there.
fn contains_quote(x: &Execution, quote: &str) -> bool {
    let pieces: Vec<String> = quote
        .split(['…'])
        .flat_map(|p| p.split("..."))
        .map(norm)
        .filter(|p| !p.is_empty())
        .collect();
    if pieces.is_empty() {
        return true;
    }
    let command = norm(&x.command);
    let q = norm(quote);
    let q = q.strip_prefix("kubectl ").unwrap_or(&q);
    if command == q || command.contains(q) {
        return true;
    }
    let mut haystacks = vec![
        norm(&x.output),
        norm(&x.condensed),
        norm(x.error.as_deref().unwrap_or_default()),
    ];
    let mut strings = Vec::new();
    for o in &x.objects {
        leaves(o, &mut strings);
    }
    haystacks.push(norm(&strings.join("\n")));
    pieces
        .iter()
        .all(|p| haystacks.iter().any(|h| h.contains(p.as_str())))
}

fn leaves(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Number(n) => out.push(n.to_string()),
        Value::Bool(b) => out.push(b.to_string()),
        Value::Array(items) => items.iter().for_each(|i| leaves(i, out)),
        Value::Object(m) => {
            for (k, v) in m {
                out.push(k.clone());
                leaves(v, out);
            }
        }
        Value::Null => {}
    }
}

/// Failed queries of the inquiry (not answered, not later run successfully) join
/// `unchecked`.
fn add_unchecked(c: &mut Conclusion, inquiry: &[&Execution]) {
    for (i, x) in inquiry.iter().enumerate() {
        let Some(class) = x.failure() else { continue };
        if class.is_answer() {
            continue;
        }
        let later_ok = inquiry[i + 1..]
            .iter()
            .any(|y| y.command == x.command && y.failure().is_none());
        let listed = c
            .unchecked
            .iter()
            .any(|u| u.id.as_ref() == Some(&x.id) || u.command == x.command);
        if later_ok || listed {
            continue;
        }
        c.unchecked.push(Unchecked {
            id: Some(x.id.clone()),
            command: x.command.clone(),
            class,
            error: x.error.clone().unwrap_or_default(),
        });
    }
}

/// Problems that a query that answered confirms come before those that rest only on
/// unverified evidence (a model's claim whose quotes are not in any output, say): the engineer
/// reads the confirmed cause first, and a note says why the order is not the planner's.
fn confirmed_first(c: &mut Conclusion, confirmed: &dyn Fn(&crate::protocol::Problem) -> bool) {
    let marks: Vec<bool> = c.problems.iter().map(confirmed).collect();
    let first_unconfirmed = marks.iter().position(|m| !m);
    let moved = match first_unconfirmed {
        // Some unconfirmed problem stands before a confirmed one.
        Some(i) => marks[i..].iter().filter(|m| **m).count(),
        None => 0,
    };
    if moved == 0 {
        return;
    }
    let (mut yes, no): (Vec<_>, Vec<_>) = std::mem::take(&mut c.problems)
        .into_iter()
        .zip(marks)
        .partition(|(_, m)| *m);
    let unconfirmed = no.len();
    yes.extend(no);
    c.problems = yes.into_iter().map(|(p, _)| p).collect();
    c.notes.push(format!(
        "{unconfirmed} problem{} whose evidence no query confirms {} listed after the {} that \
         the queries confirm",
        if unconfirmed == 1 { "" } else { "s" },
        if unconfirmed == 1 { "is" } else { "are" },
        if c.problems.len() - unconfirmed == 1 {
            "one".to_string()
        } else {
            format!("{}", c.problems.len() - unconfirmed)
        },
    ));
}

/// Verdict and confidence that follow from the verification and the failures: a diagnosis
/// none of whose evidence holds, while it cites failed or missing executions (or nothing
/// answered at all), is inconclusive; so is a "healthy" with nothing verified.
fn settle(c: &mut Conclusion, on_failures: bool) {
    let before = c.confidence;
    let answered = |p: &crate::protocol::Problem| {
        p.items()
            .any(|e| matches!(e.verification, Verification::Verified))
    };
    match c.verdict {
        Verdict::Diagnosed
            if !c.problems.is_empty() && on_failures && !c.problems.iter().any(answered) =>
        {
            c.verdict = Verdict::Inconclusive;
            c.notes.push(
                "no evidence of these problems could be verified against a query that answered, \
                 so this is not a diagnosis"
                    .into(),
            );
        }
        Verdict::Diagnosed if c.problems.is_empty() => {
            c.verdict = Verdict::Inconclusive;
        }
        Verdict::Healthy
            if !c
                .checked
                .iter()
                .any(|e| matches!(e.verification, Verification::Verified)) =>
        {
            c.verdict = Verdict::Inconclusive;
            c.notes.push(
                "nothing that was checked could be verified against a query that answered, so \
                 health is not shown"
                    .into(),
            );
        }
        Verdict::Healthy if !c.unchecked.is_empty() => {
            c.confidence = c.confidence.lower();
        }
        _ => {}
    }
    confirmed_first(c, &answered);
    let blocking: Vec<&Unchecked> = c
        .unchecked
        .iter()
        .filter(|u| {
            matches!(
                u.class,
                ErrorClass::Unreachable | ErrorClass::Unauthorized | ErrorClass::Forbidden
            )
        })
        .collect();
    // Say what failed, unless a note already does (the session's own "could not be checked").
    let said = c.notes.iter().any(|n| n.contains("could not be checked"));
    if c.verdict == Verdict::Inconclusive && !blocking.is_empty() && !said {
        let what = blocking[0];
        let n = c.unchecked.len();
        let note = format!(
            "{n} quer{} failed ({}): {}",
            if n == 1 { "y" } else { "ies" },
            what.class.word(),
            crate::protocol::shorten(&what.error, 160)
        );
        if !c.notes.contains(&note) {
            c.notes.insert(0, note);
        }
    }
    let unverified = c.unverified();
    let total = c.items().count();
    if unverified > 0 {
        c.confidence = if unverified * 2 >= total {
            Confidence::Low
        } else {
            c.confidence.lower()
        };
    }
    if c.verdict == Verdict::Inconclusive {
        c.confidence = Confidence::Low;
    }
    if c.confidence != before {
        c.notes.push(format!(
            "confidence lowered from {} to {}: {unverified} of {total} evidence items could not \
             be verified against the query results they cite{}",
            before.word(),
            c.confidence.word(),
            if c.unchecked.is_empty() {
                String::new()
            } else {
                format!(", and {} queries failed", c.unchecked.len())
            }
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Problem;

    fn ok(id: &str, command: &str, output: &str) -> Execution {
        Execution {
            id: ProposalId(id.into()),
            command: command.into(),
            output: output.into(),
            condensed: output.into(),
            ..Execution::default()
        }
    }

    fn failed(id: &str, command: &str, error: &str) -> Execution {
        Execution {
            id: ProposalId(id.into()),
            command: command.into(),
            error: Some(error.into()),
            error_class: Some(ErrorClass::of_message(error)),
            ..Execution::default()
        }
    }

    /// The pod list showing the crash, and the previous log with `log` in it.
    fn crash_and_log(log: &str) -> [Execution; 2] {
        [
            ok(
                "p1",
                "get pods -n shop",
                "checkout-1 0/1 CrashLoopBackOff 7",
            ),
            ok("p2", "logs checkout-1 -n shop --previous", log),
        ]
    }

    fn problem() -> Problem {
        Problem::new("ConfigMap checkout-config has no key PAYMENTS_URL")
            .link(Evidence::new("checkout crash-loops", ["p1"]))
            .link(Evidence::new(
                "the log says `missing key PAYMENTS_URL`",
                ["p2"],
            ))
    }

    #[test]
    fn verified_when_cited_and_quoted_text_is_there() {
        let xs = crash_and_log("FATAL: missing key   PAYMENTS_URL\n");
        let c = verify_conclusion(
            &Conclusion::diagnosed(vec![problem()], Confidence::High),
            &xs,
        );
        assert_eq!(c.unverified(), 0, "{c:?}");
        assert!(c.items().all(|e| e.verification == Verification::Verified));
        assert_eq!(c.confidence, Confidence::High);
        assert_eq!(c.verdict, Verdict::Diagnosed);
        assert!(c.notes.is_empty());
    }

    #[test]
    fn missing_failed_and_misquoted_citations_are_unverified() {
        let xs = [
            failed(
                "p1",
                "get pods -n shop",
                "Error from server (Forbidden): pods is forbidden: User \"viewer\" cannot list",
            ),
            ok(
                "p2",
                "logs checkout-1 -n shop",
                "FATAL: missing key PAYMENTS_URL",
            ),
        ];
        let p = problem()
            .evidence(Evidence::new("the ConfigMap was edited", ["p9"]))
            .evidence(Evidence::new("it logged \"connection refused\"", ["p2"]));
        let c = verify_conclusion(&Conclusion::diagnosed(vec![p], Confidence::High), &xs);
        let why: Vec<String> = c
            .items()
            .map(|e| e.verification.label().unwrap_or_default())
            .collect();
        assert!(why[0].contains("p1 failed (forbidden)"), "{why:?}");
        assert_eq!(why[1], "verified");
        assert!(why[2].contains("p9 is not an execution"), "{why:?}");
        assert!(
            why[3].contains("`connection refused` is not in the output of p2"),
            "{why:?}"
        );
        assert_eq!(c.unverified(), 3);
        // One verified link keeps it a diagnosis, at a lower confidence, with a note.
        assert_eq!(c.verdict, Verdict::Diagnosed);
        assert_eq!(c.confidence, Confidence::Low);
        assert!(
            c.notes
                .iter()
                .any(|n| n.contains("confidence lowered from high to low"))
        );
        assert_eq!(c.unchecked.len(), 1);
        assert_eq!(c.unchecked[0].class, ErrorClass::Forbidden);
    }

    #[test]
    fn a_conclusion_on_failures_only_is_inconclusive() {
        let err = "The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?";
        let xs = [
            failed("p1", "get pods -n shop", err),
            failed("p2", "get events -n shop", err),
        ];
        let c = Conclusion::healthy(
            vec![
                Evidence::new("`get pods -n shop` showed nothing abnormal", ["p1"]),
                Evidence::new("`get events -n shop` showed nothing abnormal", ["p2"]),
            ],
            Confidence::Medium,
        );
        let v = verify_conclusion(&c, &xs);
        assert_eq!(v.verdict, Verdict::Inconclusive);
        assert_eq!(v.confidence, Confidence::Low);
        assert_eq!(v.unchecked.len(), 2);
        assert!(
            v.notes[0].starts_with("2 queries failed (unreachable)"),
            "{:?}",
            v.notes
        );
        assert!(
            v.headline().starts_with("inconclusive: 2 queries failed"),
            "{}",
            v.headline()
        );

        let d = verify_conclusion(
            &Conclusion::diagnosed(vec![problem()], Confidence::High),
            &xs,
        );
        assert_eq!(d.verdict, Verdict::Inconclusive);
    }

    #[test]
    fn not_found_is_an_answer_and_commands_and_objects_count() {
        let mut x = ok("p3", "get deploy checkout -n shop -o json", "checkout 0/1");
        x.objects = vec![
            serde_json::json!({"spec": {"env": [{"name": "STRIPE_API_KEY", "key": "stripe-api-key"}]}}),
        ];
        let xs = [
            failed(
                "p1",
                "get svc payments -n shop",
                "Error from server (NotFound): services \"payments\" not found",
            ),
            x,
        ];
        let p = Problem::new("no Service payments")
            .link(Evidence::new(
                "`get svc payments -n shop`: services \"payments\" not found",
                ["p1"],
            ))
            .link(Evidence::new("checkout reads key `stripe-api-key`", ["p3"]));
        let c = verify_conclusion(&Conclusion::diagnosed(vec![p], Confidence::High), &xs);
        assert_eq!(c.unverified(), 0, "{:?}", c.items().collect::<Vec<_>>());
        assert!(c.unchecked.is_empty());
    }

    #[test]
    fn a_claim_no_query_confirms_is_listed_after_the_confirmed_cause() {
        let xs = crash_and_log("FATAL: missing key PAYMENTS_URL\n");
        let claim = Problem::new("the node is out of memory")
            .link(Evidence::new("the kernel says `oom-kill invoked`", ["p2"]));
        let c = verify_conclusion(
            &Conclusion::diagnosed(vec![claim.clone(), problem()], Confidence::High),
            &xs,
        );
        let causes: Vec<&str> = c.problems.iter().map(|p| p.cause.as_str()).collect();
        assert_eq!(
            causes,
            [
                "ConfigMap checkout-config has no key PAYMENTS_URL",
                "the node is out of memory"
            ]
        );
        assert!(
            c.notes
                .iter()
                .any(|n| n.contains("1 problem whose evidence no query confirms is listed after")),
            "{:?}",
            c.notes
        );
        // In the planner's order already: nothing moves, nothing is said.
        let c = verify_conclusion(
            &Conclusion::diagnosed(vec![problem(), claim], Confidence::High),
            &xs,
        );
        assert_eq!(
            c.problems[0].cause,
            "ConfigMap checkout-config has no key PAYMENTS_URL"
        );
        assert!(
            !c.notes.iter().any(|n| n.contains("listed after")),
            "{:?}",
            c.notes
        );
    }
}
