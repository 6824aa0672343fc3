//! What an enum's Debug name looks like when it reaches a person raw (`[Open]`, `(High
//! confidence`, `Confirmed:`, `"status": "Open"`), for the tests of every place klue shows
//! its states in words: the exports, the screen, `ask`'s text and JSON report.
//!
//! ```ignore
//! #[path = "../support/raw_names.rs"]
//! mod raw_names;
//! assert_eq!(raw_names::find(&text), None);
//! ```
//!
//! A name is raw where it stands alone: in brackets, a table cell, before a colon, at the end
//! of a line, or before the noun it qualifies (`High confidence`). Prose that starts with the
//! same word (`Open questions`, `High latency since 14:05`) is not a name.
#![allow(dead_code)]

use klue::protocol::log::Stage;
use klue::protocol::{
    Confidence, Decider, EndReason, HypothesisStatus, PlannerKind, ProposalId, ProposalOrigin,
    Verdict, Verification,
};

/// The Debug names of the states klue shows in words. Names that are also Kubernetes' own
/// words are left out (`Pending`, `Running`, `Failed` are pod phases, `Error`, `Forbidden`,
/// `NotFound` are in kubectl's messages): cluster text carries them legitimately.
pub fn names() -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut add = |v: &dyn std::fmt::Debug| {
        // A variant with fields prints as `Name { .. }`: its name is the first word.
        let s = format!("{v:?}");
        let name: String = s.chars().take_while(|c| c.is_alphanumeric()).collect();
        names.push(name);
    };
    for v in [Confidence::Low, Confidence::Medium, Confidence::High] {
        add(&v);
    }
    for v in [
        HypothesisStatus::Open,
        HypothesisStatus::Supported,
        HypothesisStatus::Refuted,
        HypothesisStatus::Confirmed,
    ] {
        add(&v);
    }
    for v in [Verdict::Diagnosed, Verdict::Healthy, Verdict::Inconclusive] {
        add(&v);
    }
    for v in [
        EndReason::Engineer,
        EndReason::FrontEndClosed,
        EndReason::BudgetExhausted,
        EndReason::Concluded,
        EndReason::Inconclusive,
        EndReason::ClusterUnusable,
        EndReason::NoConclusion,
        EndReason::Cancelled,
        EndReason::Stopped,
    ] {
        add(&v);
    }
    for v in [
        Stage::Approved,
        Stage::Done,
        Stage::Refused,
        Stage::Rejected,
        Stage::Duplicate,
    ] {
        add(&v);
    }
    add(&ProposalOrigin::OfflineStep);
    for v in [
        Decider::User,
        Decider::UserShape {
            shape: String::new(),
        },
        Decider::Policy {
            rule: String::new(),
        },
        Decider::Dedup {
            earlier: ProposalId("p1".into()),
        },
    ] {
        add(&v);
    }
    for v in [PlannerKind::Llm, PlannerKind::Offline] {
        add(&v);
    }
    for v in [
        Verification::NotChecked,
        Verification::Verified,
        Verification::Unverified { why: String::new() },
    ] {
        add(&v);
    }
    names.sort();
    names.dedup();
    names
}

/// The nouns a raw name is printed before (`High confidence`).
const QUALIFIED: &[&str] = &["confidence", "status", "verdict"];

/// `name` stands raw somewhere in `text`: as a whole word (case as the Debug print spells
/// it), not continued by prose. A name of two joined words (`BudgetExhausted`) is raw
/// anywhere.
pub fn is_raw(text: &str, name: &str) -> bool {
    let joined = name.chars().skip(1).any(char::is_uppercase);
    text.match_indices(name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let rest = &text[at + name.len()..];
        let mut after = rest.chars();
        let next = after.next();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        if word(before) || word(next) {
            return false;
        }
        if joined {
            return true;
        }
        match next {
            // Prose goes on: `Open questions`, `High-priority`, unless the next word is the
            // noun the name qualifies (`High confidence`).
            Some(' ' | '-') => {
                let follow: String = after.take_while(|c| c.is_alphabetic()).collect();
                let prose = follow.chars().next().is_some_and(char::is_lowercase);
                !prose || QUALIFIED.contains(&follow.as_str())
            }
            _ => true,
        }
    })
}

/// The first raw name in `text`, with the line it stands in.
pub fn find(text: &str) -> Option<(String, String)> {
    names().into_iter().find_map(|name| {
        text.lines()
            .find(|l| is_raw(l, &name))
            .map(|l| (name, l.trim().to_string()))
    })
}

/// Markdown without its fenced blocks and inline code: what klue wrote itself, not the
/// commands and outputs it quotes.
pub fn markdown_words(md: &str) -> String {
    let mut out = String::new();
    let mut fence: Option<String> = None;
    for line in md.lines() {
        let t = line.trim_start();
        let ticks: String = t.chars().take_while(|c| *c == '`').collect();
        match &fence {
            Some(f) if ticks.len() >= f.len() && t.trim() == ticks => fence = None,
            Some(_) => {}
            None if ticks.len() >= 3 => fence = Some(ticks),
            None => {
                // Inline code spans alternate with text on backticks.
                let text: Vec<&str> = line.split('`').step_by(2).collect();
                out.push_str(&text.join(" "));
                out.push('\n');
            }
        }
    }
    out
}

/// Every string in a JSON document except the cluster's own text (outputs, their condensed
/// copies, objects, commands): the words klue wrote.
pub fn json_words(v: &serde_json::Value) -> Vec<String> {
    const CLUSTER_TEXT: &[&str] = &[
        "output",
        "condensed",
        "objects",
        "command",
        "proposed_command",
        "paste",
        "error",
    ];
    let mut out = Vec::new();
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    if !CLUSTER_TEXT.contains(&k.as_str()) {
                        walk(x, out);
                    }
                }
            }
            _ => {}
        }
    }
    walk(v, &mut out);
    out
}

/// The first raw name among a JSON document's words.
pub fn find_in_json(v: &serde_json::Value) -> Option<(String, String)> {
    json_words(v).iter().find_map(|s| find(s))
}

#[test]
fn raw_names_look_like_debug_prints_and_prose_does_not() {
    for (text, name) in [
        ("[Open] payments-db was rotated", "Open"),
        ("h1 (Open): x", "Open"),
        ("concluded (High confidence)", "High"),
        ("Confirmed: the pod crash-loops", "Confirmed"),
        ("| 10:00:03 | +0:03 | Supported | x |", "Supported"),
        ("status Refused", "Refused"),
        (
            "ended without conclusion (BudgetExhausted)",
            "BudgetExhausted",
        ),
        ("planner OfflineStep said", "OfflineStep"),
    ] {
        assert!(is_raw(text, name), "{text}: {name} is raw");
    }
    for (text, name) in [
        ("Open questions", "Open"),
        ("High latency since 14:05", "High"),
        ("Opened at 10:00", "Open"),
        ("- Decision: approved by the engineer", "Done"),
        ("the `Healthy` label", "Healthy"),
    ] {
        let t = markdown_words(text);
        assert!(!is_raw(&t, name), "{text}: {name} is not raw");
    }
    assert!(names().iter().any(|n| n == "Open"));
    assert!(names().iter().any(|n| n == "UserShape"));
    let md = "a `Open` b\n```text\nHigh\n```\n- Open: x\n";
    assert_eq!(
        find(&markdown_words(md)),
        Some(("Open".into(), "- Open: x".into()))
    );
}
