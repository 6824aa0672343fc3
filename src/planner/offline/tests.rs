//! The offline planner step by step over hand-built transcripts: failed queries are never
//! evidence, a follow-up is a new line of inquiry, the session namespace is the scope.

use serde_json::{Value, json};

use super::plan;
use crate::planner::{Action, Outcome, Step, Transcript, TranscriptEntry};

fn user(t: &mut Transcript, text: &str) {
    t.entries.push(TranscriptEntry::User { text: text.into() });
}

fn proposals(step: &Step) -> Vec<(String, String)> {
    step.actions
        .iter()
        .filter_map(|a| match a {
            Action::Propose {
                call_id, command, ..
            } => Some((call_id.clone(), command.clone())),
            _ => None,
        })
        .collect()
}

/// Record the step, then answer each proposal with `answer(command)`.
fn answer(t: &mut Transcript, step: &Step, answer: &dyn Fn(&str) -> Result<Vec<Value>, String>) {
    t.entries.push(TranscriptEntry::Assistant {
        text: step.text.clone(),
        actions: step.actions.clone(),
        origin: step.origin,
    });
    for (call_id, command) in proposals(step) {
        let outcome = match answer(&command) {
            Ok(objects) => Outcome::Executed {
                command: command.clone(),
                condensed: format!("{} objects", objects.len()),
                output: String::new(),
                error: None,
                objects,
            },
            Err(e) => Outcome::Executed {
                command: command.clone(),
                condensed: String::new(),
                output: String::new(),
                error: Some(e),
                objects: Vec::new(),
            },
        };
        t.entries.push(TranscriptEntry::Result { call_id, outcome });
    }
}

fn text(c: &crate::protocol::Conclusion) -> String {
    c.outline()
        .iter()
        .map(|r| r.text.clone())
        .collect::<Vec<_>>()
        .join("\n")
}

fn conclusion(step: &Step) -> Option<&crate::protocol::Conclusion> {
    step.actions.iter().find_map(|a| match a {
        Action::Conclude(c) => Some(c),
        _ => None,
    })
}

/// Run to a conclusion (at most 12 steps).
fn run(t: &mut Transcript, f: &dyn Fn(&str) -> Result<Vec<Value>, String>) -> Step {
    for _ in 0..12 {
        let step = plan(t);
        if conclusion(&step).is_some() || proposals(&step).is_empty() {
            t.entries.push(TranscriptEntry::Assistant {
                text: step.text.clone(),
                actions: step.actions.clone(),
                origin: step.origin,
            });
            return step;
        }
        answer(t, &step, f);
    }
    panic!("no conclusion after 12 steps: {t:?}");
}

fn crashing_pod() -> Value {
    json!({"kind": "Pod", "metadata": {"name": "api-7d9c-x1", "namespace": "shop",
        "ownerReferences": [{"kind": "ReplicaSet", "name": "api-7d9c8b7f6d", "controller": true}]},
        "spec": {"containers": [{"name": "api", "image": "api:1"}], "nodeName": "n1"},
        "status": {"phase": "Running", "containerStatuses": [{"name": "api", "ready": false, "restartCount": 5,
            "state": {"waiting": {"reason": "CrashLoopBackOff"}},
            "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}}}]}})
}

#[test]
fn an_unreachable_cluster_is_inconclusive_and_says_what_failed() {
    let mut t = Transcript {
        namespace: Some("shop".into()),
        ..Default::default()
    };
    user(&mut t, "checkout fails");
    let step = run(&mut t, &|_| {
        Err(
            "Unable to connect to the server: dial tcp 127.0.0.1:1: connect: connection refused"
                .into(),
        )
    });
    let c = conclusion(&step).expect("a conclusion");
    assert_eq!(
        c.verdict,
        crate::protocol::Verdict::Inconclusive,
        "{}",
        text(c)
    );
    assert!(
        c.unchecked
            .iter()
            .any(|u| u.error.contains("Unable to connect")
                && u.class == crate::protocol::ErrorClass::Unreachable),
        "{:?}",
        c.unchecked
    );
    assert_eq!(c.confidence, crate::protocol::Confidence::Low);
    // A failed query is never evidence.
    assert!(c.items().next().is_none(), "{}", text(c));
    assert!(step.text.contains("Unable to connect"), "{}", step.text);
}

#[test]
fn the_session_namespace_is_the_scope_and_namespaces_are_not_listed() {
    let mut t = Transcript {
        namespace: Some("shop".into()),
        ..Default::default()
    };
    user(&mut t, "api keeps restarting");
    let pod = crashing_pod();
    let log_pod = pod.clone();
    let step = run(&mut t, &move |cmd| {
        if cmd.starts_with("get pods -n shop") {
            Ok(vec![pod.clone()])
        } else if cmd.starts_with("logs ") {
            let _ = &log_pod;
            Ok(Vec::new())
        } else {
            Ok(Vec::new())
        }
    });
    let commands: Vec<String> = t
        .entries
        .iter()
        .filter_map(|e| match e {
            TranscriptEntry::Result {
                outcome: Outcome::Executed { command, .. },
                ..
            } => Some(command.clone()),
            _ => None,
        })
        .collect();
    assert!(
        commands.iter().all(|c| c.contains("-n shop")),
        "{commands:?}"
    );
    let c = conclusion(&step).expect("conclusion");
    assert!(text(c).contains("api"), "{}", text(c));
}

#[test]
fn a_follow_up_is_a_new_line_of_inquiry() {
    let mut t = Transcript {
        namespace: Some("shop".into()),
        ..Default::default()
    };
    user(&mut t, "api keeps restarting");
    let pod = crashing_pod();
    let healthy = json!({"kind": "Pod", "metadata": {"name": "web-5f-x", "namespace": "shop",
        "ownerReferences": [{"kind": "ReplicaSet", "name": "web-5f6d7c8b9a", "controller": true}]},
        "spec": {"containers": [{"name": "web", "image": "web:1"}]},
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [{"name": "web", "ready": true, "restartCount": 0, "state": {"running": {}}}]}});
    let objs = vec![pod, healthy];
    let first = run(&mut t, &|cmd| {
        Ok(if cmd.starts_with("get pods") {
            objs.clone()
        } else {
            Vec::new()
        })
    });
    let first = text(conclusion(&first).expect("first"));
    // Nothing new: the planner waits.
    assert!(conclusion(&plan(&t)).is_none());
    user(&mut t, "and is web ok?");
    let second = run(&mut t, &|cmd| {
        Ok(if cmd.starts_with("get pods") {
            objs.clone()
        } else {
            Vec::new()
        })
    });
    let c2 = conclusion(&second).expect("second").clone();
    let second = text(&c2);
    assert_ne!(first, second);
    assert!(second.contains("web"), "{second}");
    assert_eq!(c2.verdict, crate::protocol::Verdict::Healthy, "{second}");
}

#[test]
fn a_spent_budget_settles_with_the_evidence_at_hand() {
    let mut t = Transcript {
        namespace: Some("shop".into()),
        ..Default::default()
    };
    user(&mut t, "api keeps restarting");
    let pod = crashing_pod();
    // The survey, answered; the chain then wants the previous log.
    let step = plan(&t);
    answer(&mut t, &step, &|cmd| {
        Ok(if cmd.starts_with("get pods") {
            vec![pod.clone()]
        } else {
            Vec::new()
        })
    });
    let next = plan(&t);
    assert!(
        proposals(&next).iter().any(|(_, c)| c.starts_with("logs ")),
        "{next:?}"
    );
    // The budget is spent: no more queries, and the crash is not reported as health.
    user(&mut t, crate::planner::CONCLUDE_NOW);
    let settled = plan(&t);
    assert!(proposals(&settled).is_empty(), "{settled:?}");
    let c = conclusion(&settled).expect("a conclusion");
    assert_eq!(
        c.verdict,
        crate::protocol::Verdict::Diagnosed,
        "{}",
        text(c)
    );
    assert!(text(c).contains("api-7d9c-x1"), "{}", text(c));
    assert!(
        c.notes
            .iter()
            .any(|n| n.contains("budget ran out") && n.contains("logs ")),
        "{:?}",
        c.notes
    );
    // The same from `settle`, before the engineer's budget message.
    t.entries.pop();
    let c2 = super::settle(&t);
    assert!(proposals(&c2).is_empty() && conclusion(&c2).is_some());
}

#[test]
fn a_log_is_read_from_the_command_that_fetched_it_in_whole() {
    use super::observe::Observed;
    let result = |id: &str, command: &str, condensed: &str, output: &str| TranscriptEntry::Result {
        call_id: id.into(),
        outcome: Outcome::Executed {
            command: command.into(),
            condensed: condensed.into(),
            output: output.into(),
            error: None,
            objects: Vec::new(),
        },
    };
    let mut t = Transcript::default();
    user(&mut t, "api crashes");
    // klue's own read, then a model's read of the same container with another tail.
    t.entries.push(result(
        "c1",
        "logs api-1 -n shop -c api --previous --tail 50",
        "[cut to fit the model]",
        "INFO start\nFATAL: cannot open /etc/api/config.yaml\n",
    ));
    t.entries.push(result(
        "c2",
        "logs api-1 -n shop -c api --previous --tail=5",
        "ERROR statsd flush failed",
        "",
    ));
    let o = Observed::from_transcript(&t);
    let (text, calls) = o
        .log_for(
            "logs api-1 -n shop -c api --previous --tail 50",
            "shop",
            "api-1",
            "api",
            true,
        )
        .expect("the log");
    // The whole output, not the model's copy; and not the later read.
    assert!(text.contains("cannot open /etc/api/config.yaml"), "{text}");
    assert_eq!(calls, vec!["c1".to_string()]);
    // One query in any spelling: `--tail=50` is `--tail 50`.
    assert!(o.answered("logs api-1 -n shop --previous --tail=50 -c api"));
    // Without the output, the model's copy is what there is.
    let (text, _) = o
        .log_for(
            "logs api-1 -n shop -c api --previous --tail 5",
            "shop",
            "api-1",
            "api",
            true,
        )
        .expect("the log");
    assert_eq!(text, "ERROR statsd flush failed");
}
