//! Snapshots of each pane and state, at 80×24 and 160×48.

use klue::protocol::*;
use klue::tui::{App, Focus, Mode, Msg, Theme};
use ratatui::style::Color;

use crate::{app, feed, render, screen, snap};

pub fn pid(s: &str) -> ProposalId {
    ProposalId(s.into())
}

pub fn started() -> Event {
    Event::SessionStarted(SessionInfo {
        session_id: "s-20261125-1830".into(),
        context: "kind-prod".into(),
        namespace: Some("shop".into()),
        server: "https://127.0.0.1:6443".into(),
        planner: PlannerInfo {
            kind: klue::protocol::PlannerKind::Llm,
            model: Some("gpt-4o-mini".into()),
            endpoint: Some("https://llm.internal/v1".into()),
        },
        recording: Some("/home/oncall/.local/state/klue/sessions/2026-11-25T18-30-00.jsonl".into()),
    })
}

pub fn proposal(id: &str, command: &str) -> Event {
    Event::Proposed(Proposal {
        id: pid(id),
        command: command.into(),
        reason: format!("See what {command} reports about the failing pods."),
        hypothesis: "h1: checkout crashes on start because a config key is missing".into(),
        origin: Default::default(),
    })
}

pub fn approved(id: &str) -> Event {
    Event::Decided {
        id: pid(id),
        decision: Decision::Approve,
        by: Decider::User,
    }
}

pub fn finished(id: &str, command: &str, output: &str) -> Event {
    Event::ExecFinished(Execution {
        id: pid(id),
        command: command.into(),
        output: output.into(),
        condensed: output.into(),
        duration_ms: 42,
        error: None,
        ..Execution::default()
    })
}

const PODS: &str = "NAME                        READY   STATUS             RESTARTS      AGE
checkout-7d9f8b6c4-2xkqp    0/1     CrashLoopBackOff   7 (2m ago)    14m
checkout-7d9f8b6c4-9hjwl    0/1     CrashLoopBackOff   7 (3m ago)    14m
frontend-5c7b9d8f6-abcde    1/1     Running            0             2d
payments-6f8d7c5b4-zzzzz    0/1     Pending            0             5m
redis-0                     1/1     Running            0             2d
";

const LOGS: &str = "2026-11-25T18:20:01Z INFO starting checkout v2.3.1
2026-11-25T18:20:01Z INFO loading config from /etc/checkout/config.yaml
2026-11-25T18:20:02Z ERROR missing key PAYMENTS_URL in configmap checkout-config
2026-11-25T18:20:02Z FATAL cannot start without a payments endpoint
";

/// A symptom, a streamed reply, three proposals: one pending, one done, one refused.
pub fn investigation() -> App {
    let mut a = app();
    feed(
        &mut a,
        [
            started(),
            Event::AwaitingInput,
            Event::UserMessage {
                text: "checkout pods keep restarting in shop".into(),
            },
            Event::AssistantMessage {
                text: "Let me look at the **pods** in `shop` first.".into(),
                origin: Default::default(),
            },
            proposal("p1", "get pods -n shop"),
            approved("p1"),
            Event::ExecStarted {
                id: pid("p1"),
                command: "get pods -n shop".into(),
            },
            finished("p1", "get pods -n shop", PODS),
            proposal("p2", "delete pod checkout-7d9f8b6c4-2xkqp -n shop"),
            Event::Refused {
                id: pid("p2"),
                command: "delete pod checkout-7d9f8b6c4-2xkqp -n shop".into(),
                why: "`delete` changes the cluster; klue only reads".into(),
            },
            proposal("p3", "logs checkout-7d9f8b6c4-2xkqp -n shop --previous"),
            Event::Usage(Usage {
                prompt_tokens: 3200,
                completion_tokens: 210,
                session_total: 12_345,
            }),
        ],
    );
    a
}

#[test]
fn welcome_80x24() {
    let mut a = app();
    feed(&mut a, [started(), Event::AwaitingInput]);
    snap!("welcome_80x24", &mut a, 80, 24);
}

#[test]
fn proposal_pending_80x24() {
    let mut a = investigation();
    a.focus = Focus::Commands;
    let s = screen(&snap!("proposal_pending_80x24", &mut a, 80, 24));
    assert!(s.contains("p3"), "{s}");
    assert!(s.contains("pending"), "{s}");
}

#[test]
fn proposal_pending_160x48() {
    let mut a = investigation();
    a.focus = Focus::Commands;
    snap!("proposal_pending_160x48", &mut a, 160, 48);
}

#[test]
fn running_80x24() {
    let mut a = investigation();
    feed(
        &mut a,
        [
            approved("p3"),
            Event::ExecStarted {
                id: pid("p3"),
                command: "logs checkout-7d9f8b6c4-2xkqp -n shop --previous".into(),
            },
        ],
    );
    a.commands.select(2);
    a.focus = Focus::Commands;
    let s = screen(&snap!("running_80x24", &mut a, 80, 24));
    assert!(s.contains("running"), "{s}");
}

#[test]
fn refused_160x48() {
    let mut a = investigation();
    a.commands.select(1);
    a.focus = Focus::Commands;
    let s = screen(&snap!("refused_160x48", &mut a, 160, 48));
    assert!(s.contains("klue only reads"), "{s}");
}

#[test]
fn output_done_160x48() {
    let mut a = investigation();
    a.commands.select(0);
    a.focus = Focus::Output;
    let s = screen(&snap!("output_done_160x48", &mut a, 160, 48));
    assert!(s.contains("CrashLoopBackOff"), "{s}");
}

#[test]
fn streaming_reply_80x24() {
    let mut a = app();
    feed(
        &mut a,
        [
            started(),
            Event::UserMessage {
                text: "why is checkout down?".into(),
            },
            Event::AssistantDelta {
                delta: "## What I see\n\n- `checkout` is in **CrashLoopBackOff**\n- the last "
                    .into(),
            },
            Event::AssistantDelta {
                delta: "exit code was 1\n\n```\nERROR missing key PAYMENTS_URL\n```\n\nNext I will"
                    .into(),
            },
        ],
    );
    a.focus = Focus::Chat;
    let s = screen(&snap!("streaming_reply_80x24", &mut a, 80, 24));
    assert!(s.contains("What I see"), "{s}");
    assert!(s.contains("• checkout is in CrashLoopBackOff"), "{s}");
    assert!(s.contains("▍"), "streaming cursor: {s}");
    assert!(s.contains("working"), "{s}");
}

pub fn concluded() -> App {
    let mut a = investigation();
    feed(
        &mut a,
        [
            approved("p3"),
            finished(
                "p3",
                "logs checkout-7d9f8b6c4-2xkqp -n shop --previous",
                LOGS,
            ),
            Event::Hypothesis(Hypothesis {
                id: HypothesisId("h1".into()),
                statement: "checkout crashes on start because a config key is missing".into(),
                status: HypothesisStatus::Confirmed,
                evidence_for: vec![Evidence {
                    verification: Verification::Verified,
                    ..Evidence::new(
                        "the previous container logged `missing key PAYMENTS_URL`",
                        [pid("p3")],
                    )
                }],
                evidence_against: vec![],
            }),
            Event::Hypothesis(Hypothesis {
                id: HypothesisId("h2".into()),
                statement: "the node is out of memory".into(),
                status: HypothesisStatus::Refuted,
                evidence_for: vec![],
                evidence_against: vec![Evidence {
                    verification: Verification::Unverified {
                        why: "p7 failed: Forbidden".into(),
                    },
                    ..Evidence::new("other pods on the node run fine", [pid("p7")])
                }],
            }),
            Event::Concluded(
                Conclusion::diagnosed(
                    vec![
                        Problem::new(
                            "ConfigMap checkout-config has no key PAYMENTS_URL, which Deployment \
                             checkout reads at start",
                        )
                        .link(Evidence::new(
                            "both checkout pods are in CrashLoopBackOff with 7 restarts",
                            [pid("p1")],
                        ))
                        .link(Evidence::new(
                            "the previous container logged `missing key PAYMENTS_URL`",
                            [pid("p3")],
                        ))
                        .evidence(Evidence {
                            verification: Verification::Unverified {
                                why: "p9 is not an execution of this session".into(),
                            },
                            ..Evidence::new("the ConfigMap was edited at 13:58", [pid("p9")])
                        })
                        .remediation(
                            "kubectl -n shop patch configmap checkout-config \\\n  --type merge -p '{\"data\":{\"PAYMENTS_URL\":\"http://payments:8080\"}}'\nkubectl -n shop rollout restart deploy/checkout",
                        ),
                    ],
                    Confidence::Medium,
                )
                .with_subject("Deployment checkout in shop")
                .also(Problem::new("Deployment cart has 0/1 replicas available")),
            ),
            Event::AwaitingInput,
        ],
    );
    a
}

#[test]
fn conclusion_80x24() {
    let mut a = concluded();
    let s = screen(&snap!("conclusion_80x24", &mut a, 80, 24));
    assert!(s.contains("Root cause"), "{s}");
    assert!(s.contains("NOT EXECUTED"), "{s}");
}

#[test]
fn conclusion_160x48() {
    let mut a = concluded();
    let s = screen(&snap!("conclusion_160x48", &mut a, 160, 48));
    // The overlay marks the evidence the session could not verify, and the confidence says so.
    assert!(
        s.contains("the ConfigMap was edited at 13:58  ⚠ unverified: p9 is not an execution"),
        "{s}"
    );
    assert!(s.contains("(1 evidence item unverified)"), "{s}");
}

#[test]
fn hypotheses_after_conclusion_160x48() {
    let mut a = concluded();
    a.overlay = klue::tui::Overlay::None;
    a.focus = Focus::Hypotheses;
    let s = screen(&snap!("hypotheses_160x48", &mut a, 160, 48));
    assert!(s.contains("[confirmed]"), "{s}");
    assert!(s.contains("[refuted]"), "{s}");
    // What the session's verification decided, as the conclusion and the export show it.
    assert!(
        s.contains("other pods on the node run fine [p7]  ⚠ unverified: p7"),
        "{s}"
    );
    assert!(s.contains("failed: Forbidden"), "{s}");
    assert!(s.contains("[p3] ✓"), "{s}");
    // The copy of the selected hypothesis says it too.
    a.hypotheses.selected = 1;
    let copied = a.hypotheses.selected_text().expect("a hypothesis");
    assert!(copied.contains("⚠ unverified: p7 failed"), "{copied}");
}

#[test]
fn help_80x24() {
    let mut a = investigation();
    a.overlay = klue::tui::Overlay::Help {
        scroll: 0,
        over_conclusion: false,
    };
    snap!("help_80x24", &mut a, 80, 24);
}

#[test]
fn help_160x48() {
    let mut a = investigation();
    a.overlay = klue::tui::Overlay::Help {
        scroll: 0,
        over_conclusion: false,
    };
    let s = screen(&snap!("help_160x48", &mut a, 160, 48));
    // Every key in the help table is on the screen.
    for (_, keys) in klue::tui::help::KEYS {
        for (k, _) in keys.iter() {
            assert!(s.contains(k), "{k} missing from help:\n{s}");
        }
    }
}

#[test]
fn search_in_output_80x24() {
    let mut a = concluded();
    a.overlay = klue::tui::Overlay::None;
    a.commands.select(2);
    a.focus = Focus::Output;
    a.update(Msg::Resize(80, 24));
    render(&mut a, 80, 24);
    for c in "/error".chars() {
        a.update(crate::keys::key(c));
    }
    a.update(crate::keys::enter());
    let s = screen(&snap!("search_output_80x24", &mut a, 80, 24));
    assert!(s.contains("/error 1/1"), "{s}");
}

#[test]
fn edit_prompt_80x24() {
    let mut a = investigation();
    a.focus = Focus::Commands;
    a.update(crate::keys::key('e'));
    let s = screen(&snap!("edit_prompt_80x24", &mut a, 80, 24));
    assert!(s.contains("Edit p3"), "{s}");
}

#[test]
fn replay_bar_80x24() {
    let mut a = App::new(Mode::Replay, Theme::default());
    feed(
        &mut a,
        [
            started(),
            Event::UserMessage {
                text: "pods crash".into(),
            },
        ],
    );
    a.update(Msg::Replay(klue::tui::replay::ReplayStatus {
        position: 2,
        total: 40,
        paused: true,
        speed: klue::tui::replay::Speed::X2,
        at_ms: 61_000,
        total_ms: 300_000,
    }));
    let s = screen(&snap!("replay_80x24", &mut a, 80, 24));
    assert!(s.contains("REPLAY"), "{s}");
    assert!(s.contains("event 2/40"), "{s}");
}

#[test]
fn no_color_uses_no_colors() {
    let mut a = concluded();
    a.theme = Theme { color: false };
    a.overlay = klue::tui::Overlay::None;
    let t = render(&mut a, 160, 48);
    let buf = t.backend().buffer();
    for c in buf.content() {
        assert!(
            matches!(c.fg, Color::Reset) && matches!(c.bg, Color::Reset),
            "a coloured cell with NO_COLOR: {c:?}"
        );
    }
    // And colour is used otherwise.
    a.theme = Theme::default();
    let t = render(&mut a, 160, 48);
    assert!(
        t.backend()
            .buffer()
            .content()
            .iter()
            .any(|c| c.fg != Color::Reset)
    );
}

#[test]
fn resize_reflows() {
    let mut a = concluded();
    a.overlay = klue::tui::Overlay::None;
    for (w, h) in [(80, 24), (200, 60), (40, 12), (120, 30)] {
        let s = screen(&render(&mut a, w, h));
        assert!(s.contains("Queries"), "{w}x{h}:\n{s}");
        assert_eq!(s.lines().count(), h as usize);
    }
    // Too small to be useful: a message, no panic.
    let s = screen(&render(&mut a, 10, 4));
    assert!(s.contains("klue"), "{s}");
}

#[path = "../support/raw_names.rs"]
mod raw_names;

/// Every hypothesis state, confidence, verdict and end reaches the screen in words, never as
/// its Debug name (`[Open]`, `(High confidence`), in every pane and the conclusion overlay.
#[test]
fn the_screen_never_shows_an_enum_name_raw() {
    let statuses = [
        HypothesisStatus::Open,
        HypothesisStatus::Supported,
        HypothesisStatus::Refuted,
        HypothesisStatus::Confirmed,
    ];
    let confidences = [Confidence::Low, Confidence::Medium, Confidence::High];
    let ends = [
        EndReason::Engineer,
        EndReason::FrontEndClosed,
        EndReason::BudgetExhausted,
        EndReason::Concluded,
        EndReason::Inconclusive,
        EndReason::ClusterUnusable,
        EndReason::NoConclusion,
        EndReason::Cancelled,
        EndReason::Stopped,
    ];
    for (i, status) in statuses.iter().enumerate() {
        let confidence = confidences[i % confidences.len()];
        let end = ends[i * 2 % ends.len()];
        let conclusion = match i % 3 {
            0 => Conclusion::diagnosed(
                vec![
                    Problem::new("ConfigMap checkout-config has no key PAYMENTS_URL").link(
                        Evidence::new("the previous container logged a missing key", [pid("p3")]),
                    ),
                ],
                confidence,
            ),
            1 => Conclusion::healthy(
                vec![Evidence::new("every checkout pod is ready", [pid("p1")])],
                confidence,
            ),
            _ => Conclusion {
                confidence,
                ..Conclusion::inconclusive("the queries failed")
            },
        };
        let mut a = concluded();
        feed(
            &mut a,
            [
                Event::Hypothesis(Hypothesis {
                    id: HypothesisId("h3".into()),
                    statement: "the rollout left an old replica set".into(),
                    status: *status,
                    evidence_for: vec![Evidence::new("a second replica set", [pid("p1")])],
                    evidence_against: vec![],
                }),
                Event::Concluded(conclusion.clone()),
                Event::SessionEnded { reason: end },
            ],
        );
        // A live conclusion opens over the panes.
        let overlay = screen(&render(&mut a, 160, 48));
        assert!(
            overlay.contains(&format!("confidence {}", confidence.word())),
            "{confidence:?} in words:\n{overlay}"
        );
        let mut shown = Vec::new();
        for focus in [
            Focus::Chat,
            Focus::Commands,
            Focus::Output,
            Focus::Hypotheses,
        ] {
            a.focus = focus;
            a.overlay = klue::tui::Overlay::None;
            shown.push(screen(&render(&mut a, 160, 48)));
        }
        shown.push(overlay);
        for s in &shown {
            if let Some((name, line)) = raw_names::find(s) {
                panic!("{name} raw on the screen: {line}\n{s}");
            }
        }
        let hypotheses = &shown[3];
        assert!(
            hypotheses.contains(&format!("[{}]", status.word())),
            "{status:?} in words:\n{hypotheses}"
        );
        assert!(
            shown[0].contains(&format!("Session ended: {}", end.words())),
            "{end:?} in words:\n{}",
            shown[0]
        );
    }
}
