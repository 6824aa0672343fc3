//! The query corpus through the parser and policy (no cluster needed).

#[path = "../corpus/read.rs"]
mod corpus;

use corpus::Expect;
use std::collections::BTreeMap;

#[test]
fn corpus_is_big_and_hostile() {
    let cases = corpus::load();
    let refuse = cases.iter().filter(|c| c.expect == Expect::Refuse).count();
    assert!(cases.len() >= 200, "only {} cases", cases.len());
    assert!(refuse >= 150, "only {refuse} refusals");
    assert!(cases.iter().any(|c| c.command.contains('\0')));
    assert!(
        cases
            .iter()
            .any(|c| c.command.chars().count() > klue::query::MAX_LINE_CHARS)
    );
    assert!(cases.iter().any(|c| !c.command.is_ascii()));
}

#[test]
fn every_corpus_line_gets_its_outcome() {
    let mut wrong = Vec::new();
    for c in corpus::load() {
        let got = klue::query::parse(&c.command);
        match (c.expect, &got) {
            (Expect::Allow, Err(r)) => {
                wrong.push(format!("line {}: `{}` refused: {r}", c.line_no, c.command))
            }
            (Expect::Refuse, Ok(q)) => wrong.push(format!(
                "line {}: `{}` allowed as `{q}`",
                c.line_no,
                c.command.escape_debug()
            )),
            _ => {}
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// A refusal names what was wrong: it quotes the offending part in backticks, is a
/// sentence rather than a code, and the corpus's refusals are not all one message.
#[test]
fn every_refusal_reason_is_specific() {
    let mut by_reason: BTreeMap<String, usize> = BTreeMap::new();
    let mut vague = Vec::new();
    for c in corpus::load()
        .into_iter()
        .filter(|c| c.expect == Expect::Refuse)
    {
        let Err(r) = klue::query::parse(&c.command) else {
            continue;
        };
        let reason = r.reason;
        let generic = ["refused", "not allowed", "invalid", "error", "denied"]
            .iter()
            .any(|g| reason.trim().eq_ignore_ascii_case(g));
        if generic || reason.len() < 20 || !reason.contains('`') {
            vague.push(format!(
                "line {}: `{}` → {reason}",
                c.line_no,
                c.command.escape_debug()
            ));
        }
        *by_reason.entry(reason).or_default() += 1;
    }
    assert!(vague.is_empty(), "vague reasons:\n{}", vague.join("\n"));
    let most = by_reason.values().max().copied().unwrap_or(0);
    assert!(
        by_reason.len() >= 100,
        "only {} distinct reasons",
        by_reason.len()
    );
    assert!(most <= 10, "one reason used {most} times");
}

/// Allowed corpus lines: the canonical form parses back to the same canonical form, and
/// is stable under a second round.
#[test]
fn canonical_forms_round_trip() {
    for c in corpus::load()
        .into_iter()
        .filter(|c| c.expect == Expect::Allow)
    {
        let q = klue::query::parse(&c.command).expect("allowed");
        let canon = q.canonical();
        let again = klue::query::parse(&canon)
            .unwrap_or_else(|r| panic!("line {}: canonical `{canon}` refused: {r}", c.line_no));
        assert_eq!(again.canonical(), canon, "line {}", c.line_no);
        assert_eq!(again.shape(), q.shape(), "line {}", c.line_no);
    }
}
