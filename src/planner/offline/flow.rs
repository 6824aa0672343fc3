//! One line of inquiry, step by step: scope → survey → subject (widened when not in scope)
//! → findings → causal chains → conclusion.

use serde_json::Value;

use crate::analyze::util::{arr, meta_name, meta_namespace, owner, pod_ready, s, sp};
use crate::analyze::{self, Finding, Severity};
use crate::planner::offline::chain::{self, Chain, Link};
use crate::planner::offline::observe::Observed;
use crate::planner::offline::rank::{explained_by, rank};
use crate::planner::offline::report::{Problem, Report, Verdict};
use crate::planner::offline::scope::{self, Resolved};
use crate::planner::offline::subject::{self, Subject};
use crate::planner::offline::symptom::Symptom;
use crate::planner::offline::{Ask, propose};
use crate::planner::{Action, CONCLUDE_NOW, Step, Transcript};
use crate::protocol::{Evidence, Hypothesis, HypothesisId, HypothesisStatus, ProposalId};

/// Planner steps in one line of inquiry before concluding with what is known.
const MAX_STEPS: usize = 10;
/// Problems followed at once when the symptom names no workload.
const MAX_PROBLEMS: usize = 3;

/// Kinds worth listing for words of the symptom (only kinds the words point at).
const WORD_KINDS: &[(&[&str], &[&str])] = &[
    (&["job", "migration", "batch"], &["jobs"]),
    (
        &[
            "cron",
            "nightly",
            "hourly",
            "daily",
            "weekly",
            "backup",
            "schedule",
            "did not run",
            "didn't run",
            "has not run",
        ],
        &["cronjobs", "jobs"],
    ),
    (
        &["statefulset", "database", "replica set", "sts"],
        &["statefulsets"],
    ),
    (
        &[
            "daemonset",
            "agent",
            "some nodes",
            "every node",
            "each node",
            "all nodes",
            "on nodes",
        ],
        &["daemonsets"],
    ),
    (
        &[
            "service",
            "svc",
            "503",
            "502",
            "endpoint",
            "unavailable",
            "connection refused",
            "requests",
            "calls",
            "unreachable",
        ],
        &["services"],
    ),
    (
        &[
            "time out",
            "timeout",
            "timed out",
            "unreachable",
            "cannot connect",
            "can't connect",
            "hangs",
            "resolve",
            "dns",
            "lookup",
        ],
        &["services", "networkpolicies"],
    ),
    (
        &[
            "ingress", "url", "domain", "404", ".com", "served", "address",
        ],
        &["ingresses", "services", "ingressclasses"],
    ),
    (
        &[
            "hpa",
            "autoscal",
            "scale up",
            "scale down",
            "scaling",
            "never changes replicas",
            "under load",
        ],
        &["horizontalpodautoscalers"],
    ),
    (&["pdb", "drain", "disruption"], &["poddisruptionbudgets"]),
    (
        &["network policy", "networkpolicy", "isolat", "egress"],
        &["networkpolicies"],
    ),
    (
        &["webhook", "admission"],
        &[
            "validatingwebhookconfigurations",
            "mutatingwebhookconfigurations",
        ],
    ),
    (
        &["pvc", "volume", "storage", "persistentvolume"],
        &["persistentvolumeclaims"],
    ),
    (&["quota"], &["resourcequotas"]),
    (&["node", "kubelet", "evict", "pressure"], &["nodes"]),
    (
        &[
            "secret",
            "configmap",
            "createcontainerconfigerror",
            "config",
        ],
        &["configmaps", "secrets"],
    ),
];

pub fn plan(t: &Transcript) -> Step {
    plan_in(t, false)
}

/// The conclusion as the evidence stands, without asking for more: what [`plan`] gives when
/// the session's budget is spent (the engineer's last words are [`CONCLUDE_NOW`]), for any
/// transcript. Chains end where the evidence ends; a chain that needed one more query states
/// its finding as the cause and says what it would have read.
pub fn settle(t: &Transcript) -> Step {
    plan_in(t, true)
}

fn plan_in(t: &Transcript, settle: bool) -> Step {
    let obs = Observed::from_transcript(t);
    // The budget's "conclude now" is not a question: the engineer's last words are.
    let settle = settle || obs.user_messages.last().is_some_and(|m| m == CONCLUDE_NOW);
    let Some(question) = obs
        .user_messages
        .iter()
        .rev()
        .find(|m| *m != CONCLUDE_NOW)
        .cloned()
    else {
        return Step {
            text: "Describe the symptom (what fails, where, since when) and I will investigate."
                .into(),
            ..Default::default()
        };
    };
    if obs.concluded_after_user == Some(obs.user_messages.len()) {
        return Step {
            text: "The investigation above reached a conclusion. Ask a follow-up (name a workload or namespace) to look further.".into(),
            ..Default::default()
        };
    }
    let mut symptom = Symptom::parse(&question);
    // A follow-up that names no namespace keeps the one asked about before.
    if symptom.namespace.is_none()
        && let Some(ns) = obs
            .user_messages
            .iter()
            .rev()
            .skip(1)
            .find_map(|m| Symptom::parse(m).namespace)
    {
        symptom.namespace = Some(ns);
    }
    let call = |i: usize| format!("c{}-{}", obs.steps + 1, i + 1);
    let scope = match scope::resolve(&symptom, t.namespace.as_deref(), &obs) {
        Resolved::Scope(s) => s,
        Resolved::Ask(text, asks) => return propose(text, asks, &call),
    };
    let mut ns = scope.namespace.clone();
    let mut notes: Vec<String> = Vec::new();

    // Survey the scope; a new line of inquiry re-reads the pods first (the state may have
    // changed since the last answer, or since the recording on `klue resume`).
    let mut survey = if settle {
        Vec::new()
    } else {
        survey_asks(&symptom, &ns, &obs)
    };
    let refresh = format!("get pods -n {ns} -o wide");
    if !settle
        && obs.user_messages.len() > 1
        && obs.steps_since_user == 0
        && !obs.was_proposed(&refresh)
    {
        survey.insert(
            0,
            Ask {
                command: refresh,
                reason: format!("a new question: the pods of namespace {ns} as they are now"),
                hypothesis: "the state changed since the last answer".into(),
            },
        );
    }
    if !survey.is_empty() {
        return propose(
            format!(
                "Looking in namespace {ns} ({}): pods, events and workloads{}.",
                scope.why,
                if survey.len() > 3 {
                    ", and the kinds the symptom mentions"
                } else {
                    ""
                }
            ),
            survey,
            &call,
        );
    }
    let core = ["get pods", "get events", "get deployments"];
    if core
        .iter()
        .all(|c| obs.unchecked(&format!("{c} -n {ns}")).is_some())
    {
        let unchecked: Vec<crate::protocol::Unchecked> = core
            .iter()
            .filter_map(|c| obs.unchecked(&format!("{c} -n {ns}")))
            .collect();
        return finish(
            &obs,
            Report {
                verdict: Verdict::Inconclusive,
                subject: None,
                problems: Vec::new(),
                also_noticed: Vec::new(),
                checked: Vec::new(),
                unchecked,
                notes,
            },
            Vec::new(),
        );
    }

    // The subject: in scope, else widen on purpose.
    let mut subject = subject::find(&symptom, &obs, Some(&ns));
    // A workload the symptom names that is scaled to 0 here while one of that name runs in
    // another namespace (it moved): the one that runs is meant.
    if let Some(idle) = subject.clone().filter(|s| {
        matches!(s.object.kind.as_str(), "Deployment" | "StatefulSet")
            && obs
                .view
                .get(&s.object.kind, &ns, &s.object.name)
                .and_then(|o| crate::analyze::util::int(o, "/spec/replicas"))
                == Some(0)
    }) {
        let kind = idle.object.kind.clone();
        let name = idle.object.name.clone();
        let resource = if kind == "Deployment" {
            "deployments"
        } else {
            "statefulsets"
        };
        let wide = format!("get {resource} -A");
        if !settle && !obs.view.is_listed(&kind, None) && !obs.was_proposed(&wide) {
            return propose(
                format!(
                    "{kind} {name} is scaled to 0 in namespace {ns}: looking for it in the other namespaces (it may have moved)."
                ),
                vec![Ask {
                    command: wide,
                    reason: format!(
                        "{kind} {name} runs no pods in namespace {ns} (0 replicas): widening to all namespaces to see whether it runs elsewhere"
                    ),
                    hypothesis: format!("{name} moved to another namespace"),
                }],
                &call,
            );
        }
        let running = obs.view.all(&kind).find(|o| {
            meta_name(o) == name
                && meta_namespace(o).is_some_and(|n| n != ns)
                && crate::analyze::util::int(o, "/spec/replicas").unwrap_or(1) > 0
        });
        if let Some(other) = running.and_then(meta_namespace).map(str::to_string) {
            notes.push(format!(
                "{kind} {name} is scaled to 0 in namespace {ns}; the {kind} {name} that runs is in namespace {other}, not {ns}: looked there."
            ));
            ns = other.clone();
            subject = Some(Subject {
                object: crate::analyze::ObjectRef::new(&kind, Some(&other), &name),
                word: idle.word.clone(),
            });
            if let Some(step) = survey_there(&symptom, &ns, &obs, &notes, settle, &call) {
                return step;
            }
        }
    }
    let findings = analyze::analyze(&obs.view);
    let failing_in = |n: &str, f: &&Finding| {
        f.object.namespace.as_deref() == Some(n) && f.severity != Severity::Info
    };
    // A subject named only by a word the namespace's name carries too ("ingest" for
    // ingest-worker in namespace data-ingest) stands for the namespace when it is healthy:
    // what fails there is the lead, and with nothing failing the verdict is the namespace's.
    if let Some(s) = subject.clone()
        && s.word != s.object.name
        // "is the basket api ok?" names basket-api, written apart
        && !symptom
            .text
            .to_lowercase()
            .contains(&s.object.name.replace(['-', '_'], " "))
        && !symptom.text.to_lowercase().contains(&s.object.name)
        && ns.split(['-', '_']).any(|p| p == s.word)
        && !findings
            .iter()
            .filter(|f| failing_in(&ns, f))
            .any(|f| subject::concerns(f, &s, &obs))
        && (symptom.asks_health() || findings.iter().any(|f| failing_in(&ns, &f)))
    {
        if findings.iter().any(|f| failing_in(&ns, &f)) {
            notes.push(format!(
                "\"{}\" names namespace {ns} as much as {} {}, which is healthy: looked at what fails in the namespace.",
                s.word, s.object.kind, s.object.name
            ));
        }
        subject = None;
    }
    // A healthy subject the engineer did not ask about but reported a failure of ("the F5
    // pool for partner-api hasn't updated", partner-api 3/3 ready) while something else in
    // its namespace fails: what fails there is the lead, and the subject's health a fact.
    if let Some(s) = subject.clone()
        && !symptom.asks_health()
        && !findings
            .iter()
            .filter(|f| failing_in(&ns, f))
            .any(|f| subject::concerns(f, &s, &obs))
        && findings
            .iter()
            .any(|f| failing_in(&ns, &f) && f.severity == Severity::Critical)
        // its own Service failing is the subject's story (a selector that misses its pods)
        && !findings.iter().any(|f| {
            failing_in(&ns, &f)
                && f.object.kind == "Service"
                && (f.object.name.contains(&s.object.name) || s.object.name.contains(&f.object.name))
        })
        && obs.view.get(&s.object.kind, &ns, &s.object.name).is_some()
    {
        notes.push(format!(
            "{} {} is healthy, yet the symptom reports a failure: looked at what fails in namespace {ns}.",
            s.object.kind, s.object.name
        ));
        subject = None;
    }
    // A healthy subject in a namespace where nothing fails, while the symptom's other words
    // name a workload elsewhere that does fail ("the loyalty box in the CRM says unavailable,
    // check crm" with loyalty-points crash-looping in its own namespace): that one is meant.
    // Unless the subject's own log is still to be read: a ready workload the engineer reports
    // failing ("checkout logs say calls to inventory time out") may name what it cannot reach,
    // in its own namespace, before anything elsewhere is worth a look.
    if let Some(s) = subject.clone()
        && !findings.iter().any(|f| failing_in(&ns, &f))
        && (symptom.asks_health()
            || chain::subject_chain(&obs, &s.object, true)
                .is_none_or(|c| c.cause.is_empty() && c.asks.is_empty()))
    {
        let words: Vec<String> = subject::name_like_candidates(&symptom, &ns)
            .into_iter()
            .filter(|w| w.len() >= 4 && *w != s.word && !s.object.name.contains(w.as_str()))
            .filter(|w| !ns.split(['-', '_']).any(|p| p == w))
            .collect();
        if !words.is_empty() {
            let asks = widen_asks(
                &obs,
                &symptom,
                settle,
                &format!(
                    "{} {} is healthy and nothing fails in namespace {ns}: widening to all namespaces for what the symptom's other words ({}) name",
                    s.object.kind,
                    s.object.name,
                    words.join(", ")
                ),
                &format!("{} runs in another namespace and fails there", words[0]),
            );
            if !asks.is_empty() {
                return propose(
                    format!(
                        "{} {} looks healthy and nothing in namespace {ns} fails: looking in all namespaces for {}.",
                        s.object.kind,
                        s.object.name,
                        words.join(" or ")
                    ),
                    asks,
                    &call,
                );
            }
            // A failing workload elsewhere whose name carries one of those words.
            let elsewhere = findings
                .iter()
                .filter(|f| f.severity != Severity::Info)
                .filter(|f| f.object.namespace.as_deref().is_some_and(|n| n != ns))
                .find_map(|f| {
                    let fns = f.object.namespace.clone().unwrap_or_default();
                    let pod = obs.view.get(&f.object.kind, &fns, &f.object.name)?;
                    let (kind, name) = subject::workload_of(pod)
                        .unwrap_or((f.object.kind.clone(), f.object.name.clone()));
                    let word = words
                        .iter()
                        .find(|w| name.split(['-', '_']).any(|p| p == w.as_str()))?;
                    Some((kind, name, fns, word.clone()))
                });
            if let Some((kind, name, other, word)) = elsewhere {
                notes.push(format!(
                    "{} {} in namespace {ns} is healthy and nothing there fails; {kind} {name}, which the symptom's \"{word}\" names, runs in namespace {other}, not {ns}, and fails: looked there.",
                    s.object.kind, s.object.name
                ));
                ns = other.clone();
                subject = Some(Subject {
                    object: crate::analyze::ObjectRef::new(&kind, Some(&other), &name),
                    word,
                });
                if let Some(step) = survey_there(&symptom, &ns, &obs, &notes, settle, &call) {
                    return step;
                }
            }
        }
    }
    // Words used as names that name nothing here, though another word did ("rabbitmq keeps
    // crashing, the order queue is backing up" in a namespace with order-consumer).
    let unnamed: Vec<String> = match &subject {
        Some(s) => subject::plain_names(&symptom, &ns)
            .into_iter()
            .filter(|w| {
                *w != s.word
                    && !subject::names_one(w, &obs, &ns)
                    // a node's name, not a workload's
                    && obs.view.get("Node", "", w).is_none()
                    && !obs.view.all("Node").any(|n| meta_name(n) == w)
            })
            .collect(),
        None => Vec::new(),
    };
    if subject.is_none() || !unnamed.is_empty() {
        // The engineer asked about the namespace itself ("is anything broken in
        // warehouse-ops?"): only words that are plainly a workload's name are looked for
        // elsewhere, not every word that reads like one ("the ops channel got alerts").
        let cands = if subject.is_none()
            && symptom.asks_health()
            && scope::names_namespace(&symptom, &ns)
        {
            subject::plain_names(&symptom, &ns)
                .into_iter()
                .filter(|w| !scope::is_namespace_word(w, &ns))
                .collect()
        } else if subject.is_none() {
            subject::name_like_candidates(&symptom, &ns)
        } else {
            unnamed.clone()
        };
        let failing_here = findings.iter().any(|f| {
            f.object.namespace.as_deref() == Some(ns.as_str()) && f.severity != Severity::Info
        });
        if !cands.is_empty() && !failing_here {
            let asks = widen_asks(
                &obs,
                &symptom,
                settle,
                &format!(
                    "nothing named {} and nothing failing in namespace {ns}: widening to all namespaces to find it",
                    cands.join("/")
                ),
                &format!("{} runs in another namespace", cands[0]),
            );
            if !asks.is_empty() {
                return propose(
                    format!(
                        "Namespace {ns} has no workload named {} and nothing failing: looking for it in all namespaces.",
                        cands.join(" or ")
                    ),
                    asks,
                    &call,
                );
            }
            // A word may be a namespace's name.
            let namespaces: Vec<String> = obs
                .view
                .all("Pod")
                .chain(obs.view.all("Deployment"))
                .filter_map(|o| meta_namespace(o).map(str::to_string))
                .collect();
            if let Some(named_ns) = cands.iter().find(|c| namespaces.contains(c)) {
                notes.push(format!(
                    "The symptom names namespace {named_ns}; looked there instead of {ns}."
                ));
                ns = named_ns.clone();
                subject = subject::find(&symptom, &obs, Some(&ns));
            } else if let Some(s) = subject::find_among(&cands, &obs, None)
                .or_else(|| {
                    subject
                        .is_none()
                        .then(|| subject::find_by_words(&symptom, &obs))
                        .flatten()
                })
                .filter(|s| s.object.namespace.as_deref() != Some(ns.as_str()))
            {
                let other = s.object.namespace.clone().unwrap_or_default();
                let mut elsewhere: Vec<String> = obs
                    .view
                    .all(&s.object.kind)
                    .filter(|o| meta_name(o) == s.object.name)
                    .filter_map(|o| meta_namespace(o).map(str::to_string))
                    .filter(|n| *n != other)
                    .collect();
                elsewhere.dedup();
                notes.push(format!(
                    "{} {} runs in namespace {other}, not {ns}{}.",
                    s.object.kind,
                    s.object.name,
                    if elsewhere.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " (also found in {}; looked at {other})",
                            elsewhere.join(", ")
                        )
                    }
                ));
                ns = other;
                subject = Some(s);
            } else if subject.is_none() {
                notes.push(format!(
                    "No workload named {} in namespace {ns} or any other namespace.",
                    cands.join(" or ")
                ));
            }
            if ns != scope.namespace
                && let Some(step) = survey_there(&symptom, &ns, &obs, &notes, settle, &call)
            {
                return step;
            }
        }
    }
    // Every workload the symptom names, in the namespace looked at.
    let subjects: Vec<Subject> = match &subject {
        Some(s) => {
            let mut all = subject::find_all(&symptom, &obs, Some(&ns));
            if !all.iter().any(|a| a.object == s.object) {
                all.insert(0, s.clone());
            }
            all.truncate(MAX_PROBLEMS);
            all
        }
        None => Vec::new(),
    };
    let kind_asks: Vec<Ask> = subjects
        .iter()
        .filter(|_| !settle)
        .filter_map(|s| subject_kind_ask(s, &obs))
        .collect();
    if !kind_asks.is_empty() {
        return propose(
            format!(
                "The symptom is about {}: reading {}.",
                subjects
                    .iter()
                    .map(|s| format!("{} {}", s.object.kind, s.object.name))
                    .collect::<Vec<_>>()
                    .join(", "),
                if kind_asks.len() == 1 {
                    "its status"
                } else {
                    "their status"
                }
            ),
            kind_asks,
            &call,
        );
    }

    // Findings in scope (and cluster-level ones under pods in scope).
    let findings = analyze::analyze(&obs.view);
    let in_scope: Vec<Finding> = findings
        .iter()
        .filter(|f| {
            relevant_to_ns(f, &ns, &obs)
                || cluster_kind_named(f, &symptom, &obs, !subjects.is_empty())
        })
        .cloned()
        .collect();
    let ranked: Vec<&Finding> = rank(&in_scope, &symptom, Some(&ns))
        .into_iter()
        .map(|(_, f)| f)
        .collect();
    let named = |f: &Finding| {
        symptom
            .words
            .iter()
            .any(|w| *w == f.object.name.to_lowercase())
    };
    let (focus, others): (Vec<&Finding>, Vec<&Finding>) = match subjects.is_empty() {
        false => ranked
            .iter()
            .partition(|f| subjects.iter().any(|s| subject::concerns(f, s, &obs)) || named(f)),
        true => {
            let serious: Vec<&Finding> = ranked
                .iter()
                .copied()
                .filter(|f| f.severity != Severity::Info)
                .collect();
            (serious, Vec::new())
        }
    };
    let focus = root_findings(&focus, &obs);
    let focus: Vec<&Finding> = focus.into_iter().take(MAX_PROBLEMS).collect();

    // Chains.
    let mut chains: Vec<Chain> = focus.iter().map(|f| chain::follow(f, &obs)).collect();
    // A subject no finding is about: its own checks (coverage, readiness, scale).
    let untouched: Vec<&Subject> = subjects
        .iter()
        .filter(|s| !focus.iter().any(|f| subject::concerns(f, s, &obs)))
        .collect();
    let mut subject_unchecked: Vec<crate::protocol::Unchecked> = Vec::new();
    for s in &untouched {
        match chain::subject_chain(&obs, &s.object, !symptom.asks_health()) {
            Some(c) if c.cause.is_empty() && c.asks.is_empty() => {
                subject_unchecked.extend(c.unchecked)
            }
            Some(c) => chains.push(c),
            None => {}
        }
    }
    // Something missing from some nodes (logs, metrics, an agent) and no workload named: the
    // namespace's DaemonSets, each short of nodes for a reason of its own (taints it does
    // not tolerate, labels its nodeSelector wants), ahead of what else was found.
    if subjects.is_empty() && symptom.words.iter().any(|w| w == "node" || w == "nodes") {
        let daemonsets: Vec<crate::analyze::ObjectRef> = obs
            .view
            .in_namespace("DaemonSet", &ns)
            .map(|d| crate::analyze::ObjectRef::new("DaemonSet", Some(&ns), meta_name(d)))
            .collect();
        let mut short: Vec<Chain> = daemonsets
            .iter()
            .filter_map(|d| chain::subject_chain(&obs, d, true))
            .filter(|c| !c.cause.is_empty() || !c.asks.is_empty())
            .collect();
        short.append(&mut chains);
        chains = short;
    }
    let steps = obs.steps_since_user;
    let mut asks: Vec<Ask> = Vec::new();
    for c in &chains {
        for a in &c.asks {
            if !obs.was_proposed(&a.command) && !asks.iter().any(|x| x.command == a.command) {
                asks.push(a.clone());
            }
        }
    }
    if !asks.is_empty() && steps < MAX_STEPS && !settle {
        let mut step = propose(
            format!(
                "Following {}: {}",
                if chains.len() == 1 {
                    "the chain"
                } else {
                    "the chains"
                },
                chains
                    .iter()
                    .filter(|c| !c.asks.is_empty())
                    .map(|c| c
                        .links
                        .iter()
                        .map(|l| l.text.clone())
                        .collect::<Vec<_>>()
                        .join(" → "))
                    .collect::<Vec<_>>()
                    .join(" | ")
            ),
            asks,
            &call,
        );
        let mut actions: Vec<Action> = hypotheses(&chains, HypothesisStatus::Open)
            .into_iter()
            .map(Action::Hypothesis)
            .collect();
        actions.append(&mut step.actions);
        step.actions = actions;
        return step;
    }

    // Settling: a chain that still needed a query ends at its finding, saying so.
    if settle {
        let n = focus.len();
        for (c, f) in chains.iter_mut().zip(focus.iter()) {
            chain::settle(c, f);
        }
        // A subject's own chain ends at its last fact.
        for c in chains.iter_mut().skip(n) {
            if c.cause.is_empty()
                && let Some(last) = c.links.last()
            {
                c.cause = last.text.clone();
            }
            c.asks.clear();
        }
        let pending: Vec<String> = asks.iter().map(|a| format!("`{}`", a.command)).collect();
        if !pending.is_empty() {
            notes.push(format!(
                "The session's budget ran out before klue read {}.",
                pending.join(", ")
            ));
        }
    }
    // Fold consequences into their cause.
    let chains = fold(chains);
    let mut unchecked: Vec<crate::protocol::Unchecked> = Vec::new();
    for u in chains
        .iter()
        .flat_map(|c| c.unchecked.clone())
        .chain(subject_unchecked)
    {
        if !unchecked.contains(&u) {
            unchecked.push(u);
        }
    }
    let problems: Vec<Problem> = chains
        .iter()
        .filter(|c| !c.cause.is_empty())
        .map(|c| Problem {
            cause: c.cause.clone(),
            chain: c.links.clone(),
            remediation: c.remediation.clone(),
            decisive: c.decisive,
        })
        .collect();
    let mut also: Vec<Link> = others
        .iter()
        .filter(|f| f.severity != Severity::Info)
        .filter(|f| !chains.iter().any(|c| c.objects.contains(&f.object)))
        .map(|f| Link {
            text: format!("{} {}: {}", f.object.kind, f.object.name, f.title),
            calls: chain::calls_of(
                &obs,
                &f.object.kind,
                f.object.namespace.as_deref().unwrap_or(""),
                &f.object.name,
            ),
        })
        .collect();
    also.truncate(5);
    let subject_words = (!subjects.is_empty()).then(|| {
        format!(
            "{} in namespace {ns}",
            subjects
                .iter()
                .map(|s| format!("{} {}", s.object.kind, s.object.name))
                .collect::<Vec<_>>()
                .join(", ")
        )
    });
    // Subjects without a problem of their own: what shows them healthy.
    let healthy_subjects: Vec<&Subject> = subjects
        .iter()
        .filter(|s| {
            !chains
                .iter()
                .any(|c| c.objects.iter().any(|o| o == &s.object))
                && !focus.iter().any(|f| subject::concerns(f, s, &obs))
        })
        .collect();
    let report = if !problems.is_empty() {
        let checked = healthy_subjects
            .iter()
            .flat_map(|s| healthy_facts(&obs, Some(s), &ns))
            .collect();
        Report {
            verdict: Verdict::Problem,
            subject: subject_words,
            problems,
            also_noticed: also,
            checked,
            unchecked,
            notes,
        }
    } else {
        let checked = if subjects.is_empty() {
            healthy_facts(&obs, None, &ns)
        } else {
            subjects
                .iter()
                .flat_map(|s| healthy_facts(&obs, Some(s), &ns))
                .collect()
        };
        // An empty namespace is not a healthy one: nothing there is what the symptom is about.
        let runs_nothing = subjects.is_empty()
            && !obs
                .view
                .in_namespace("Pod", &ns)
                .any(|p| !matches!(sp(p, "/status/phase"), "Succeeded" | "Failed"))
            && WORKLOAD_KINDS
                .iter()
                .all(|k| obs.view.in_namespace(k, &ns).next().is_none());
        if runs_nothing {
            notes.push(format!(
                "Namespace {ns} runs no pods and holds no workloads: there is nothing there to call healthy, and nothing the symptom names was found."
            ));
        }
        Report {
            verdict: if runs_nothing {
                Verdict::Inconclusive
            } else {
                Verdict::Healthy
            },
            subject: subject_words.or_else(|| Some(format!("namespace {ns}"))),
            problems: Vec::new(),
            also_noticed: also,
            checked,
            unchecked,
            notes,
        }
    };
    let hyps = hypotheses(&chains, HypothesisStatus::Confirmed);
    finish(&obs, report, hyps)
}

/// Widening on purpose: every pod and Deployment in the cluster (and CronJob, for a symptom
/// about scheduled work), each query once.
fn widen_asks(
    obs: &Observed,
    symptom: &Symptom,
    settle: bool,
    reason: &str,
    hypothesis: &str,
) -> Vec<Ask> {
    if settle {
        return Vec::new();
    }
    // A symptom about scheduled work ("the nightly cleanup didn't run") looks for CronJobs
    // too: a CronJob's name is not a pod's or a Deployment's.
    let cron = symptom
        .families()
        .iter()
        .any(|f| f.resources.contains(&"cronjobs"));
    ["get pods -A", "get deployments -A", "get cronjobs -A"]
        .into_iter()
        .filter(|c| cron || *c != "get cronjobs -A")
        .filter(|c| !obs.was_proposed(c))
        .map(|c| Ask {
            command: c.to_string(),
            reason: reason.to_string(),
            hypothesis: hypothesis.to_string(),
        })
        .collect()
}

/// After moving to another namespace (the subject runs there): survey it, saying why.
fn survey_there(
    symptom: &Symptom,
    ns: &str,
    obs: &Observed,
    notes: &[String],
    settle: bool,
    call: &dyn Fn(usize) -> String,
) -> Option<Step> {
    if settle {
        return None;
    }
    let more = survey_asks(symptom, ns, obs);
    (!more.is_empty()).then(|| {
        propose(
            format!("{} Looking at namespace {ns}.", notes.join(" ")),
            more,
            call,
        )
    })
}

fn finish(obs: &Observed, report: Report, hyps: Vec<Hypothesis>) -> Step {
    let _ = obs;
    let conclusion = report.conclusion();
    let mut actions: Vec<Action> = hyps.into_iter().map(Action::Hypothesis).collect();
    let text = report.summary();
    actions.push(Action::Conclude(conclusion));
    Step {
        text,
        actions,
        usage: None,
        origin: Default::default(),
    }
}

/// Survey queries for a namespace not yet made: pods, events, deployments, and the kinds the
/// symptom's words point at.
fn survey_asks(symptom: &Symptom, ns: &str, obs: &Observed) -> Vec<Ask> {
    let mut out: Vec<Ask> = Vec::new();
    let mut add = |resource: &str, reason: String, hypothesis: &str| {
        let namespaced = crate::planner::offline::observe::kind_of(resource).is_none_or(|(_, n)| n);
        let cmd = if namespaced {
            format!("get {resource} -n {ns}")
        } else {
            format!("get {resource}")
        };
        let listed = crate::planner::offline::observe::kind_of(resource)
            .is_some_and(|(k, n)| obs.view.is_listed(k, if n { Some(ns) } else { None }));
        if !listed && !obs.was_proposed(&cmd) && !out.iter().any(|a| a.command == cmd) {
            out.push(Ask {
                command: cmd,
                reason,
                hypothesis: hypothesis.to_string(),
            });
        }
    };
    add(
        "pods",
        format!("the state, restarts and readiness of the pods in namespace {ns}"),
        "a pod is failing (crashing, not pulling its image, pending or not ready)",
    );
    add(
        "events",
        format!("warnings from the kubelet, scheduler and controllers in namespace {ns}"),
        "recent warning events name the failure",
    );
    add(
        "deployments",
        format!("desired against available replicas in namespace {ns}"),
        "a workload is below its desired replicas",
    );
    let text = symptom.text_without(Some(ns));
    for (words, kinds) in WORD_KINDS {
        if let Some(w) = words.iter().find(|w| text.contains(*w)) {
            for k in *kinds {
                add(
                    k,
                    format!("the symptom says \"{w}\""),
                    "an object of this kind explains the symptom",
                );
            }
        }
    }
    // What listed objects point at: the controllers of the pods (a Job's failed pods, a
    // StatefulSet's), the kinds events are about, the CronJob a Job belongs to. A namespace
    // is not "without workloads" while its pods say who made them.
    let mut pointed: Vec<String> = obs
        .view
        .in_namespace("Pod", ns)
        .chain(obs.view.in_namespace("Job", ns))
        .filter_map(|o| owner(o).map(|(k, _)| k.to_string()))
        .chain(
            obs.view
                .in_namespace("Event", ns)
                .map(|e| sp(e, "/involvedObject/kind").to_string()),
        )
        .collect();
    pointed.sort();
    pointed.dedup();
    for (kind, resource) in [
        ("Job", "jobs"),
        ("CronJob", "cronjobs"),
        ("StatefulSet", "statefulsets"),
        ("DaemonSet", "daemonsets"),
    ] {
        if pointed.iter().any(|k| k == kind) {
            add(
                resource,
                format!("pods or events in namespace {ns} belong to a {kind}"),
                "a controller other than a Deployment explains the failure",
            );
        }
    }
    // What listed objects point at: the Services webhooks call.
    for cfg in obs
        .view
        .all("ValidatingWebhookConfiguration")
        .chain(obs.view.all("MutatingWebhookConfiguration"))
    {
        for wh in arr(cfg, "/webhooks") {
            let sns = sp(wh, "/clientConfig/service/namespace");
            if sns.is_empty() || obs.view.is_listed("Service", Some(sns)) {
                continue;
            }
            for (r, why) in [
                ("services", "the Service"),
                ("pods", "the pods behind the Service"),
            ] {
                let cmd = format!("get {r} -n {sns}");
                if !obs.was_proposed(&cmd) && !out.iter().any(|a| a.command == cmd) {
                    out.push(Ask {
                        command: cmd,
                        reason: format!(
                            "{why} that webhook {} calls (namespace {sns})",
                            meta_name(cfg)
                        ),
                        hypothesis: format!(
                            "webhook {}'s Service is missing or has no ready pods",
                            meta_name(cfg)
                        ),
                    });
                }
            }
        }
    }
    out
}

/// The subject's own kind, when it is not listed yet (a DaemonSet, a Job named by its pods).
fn subject_kind_ask(s: &Subject, obs: &Observed) -> Option<Ask> {
    let ns = s.object.namespace.as_deref()?;
    let resource = match s.object.kind.as_str() {
        "StatefulSet" => "statefulsets",
        "DaemonSet" => "daemonsets",
        "Job" => "jobs",
        "CronJob" => "cronjobs",
        _ => return None,
    };
    let (kind, _) = crate::planner::offline::observe::kind_of(resource)?;
    if obs.view.is_listed(kind, Some(ns)) {
        return None;
    }
    let cmd = format!("get {resource} -n {ns}");
    if obs.was_proposed(&cmd) {
        return None;
    }
    Some(Ask {
        command: cmd,
        reason: format!("the status of {} {}", s.object.kind, s.object.name),
        hypothesis: format!("{} {} is failing", s.object.kind, s.object.name),
    })
}

/// Findings in the namespace, and node findings under pods of the namespace.
fn relevant_to_ns(f: &Finding, ns: &str, obs: &Observed) -> bool {
    match f.object.namespace.as_deref() {
        Some(n) => n == ns,
        // A node under pods of the namespace that are not ready or were evicted: a node
        // that only hosts healthy pods of it is another story.
        None => {
            f.object.kind == "Node"
                && obs.view.in_namespace("Pod", ns).any(|p| {
                    sp(p, "/spec/nodeName") == f.object.name
                        && (!pod_ready(p) && sp(p, "/status/phase") != "Succeeded")
                })
        }
    }
}

/// A cluster-scoped finding of a kind the symptom names (webhooks, nodes, classes). When the
/// symptom names objects of that kind by name ("node edge-1"), only those; when it is about a
/// workload, the kind's words alone do not bring in every node of the cluster (a node under
/// the workload's pods comes in through [`relevant_to_ns`]).
fn cluster_kind_named(f: &Finding, symptom: &Symptom, obs: &Observed, has_subject: bool) -> bool {
    if f.object.namespace.is_some() {
        return false;
    }
    let text = symptom.text.to_lowercase();
    let said = |name: &str| {
        let name = name.to_lowercase();
        text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.'))
            .any(|w| w.trim_matches('.') == name)
    };
    if said(&f.object.name) {
        return true;
    }
    if obs.view.all(&f.object.kind).any(|o| said(meta_name(o))) {
        return false;
    }
    let words: &[&str] = match f.object.kind.as_str() {
        "ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration" => {
            &["webhook", "admission"]
        }
        "Node" if has_subject => &[],
        "Node" => &["node", "kubelet"],
        "IngressClass" => &["ingress"],
        "StorageClass" => &["storage", "volume", "pvc"],
        _ => &[],
    };
    words.iter().any(|w| text.contains(w))
}

/// The workload a pod finding is about (a Deployment through its ReplicaSet, a CronJob
/// through its Job), for telling one problem on many pods from many problems.
fn owner_key(f: &Finding, obs: &Observed) -> Option<(String, String)> {
    let ns = f.object.namespace.as_deref()?;
    match f.object.kind.as_str() {
        "Pod" => {
            let pod = obs.view.get("Pod", ns, &f.object.name)?;
            let Some((k, n)) = subject::workload_of(pod) else {
                // A pod without owners named like a Deployment's (`web-5d9c7b8f6d-x7k2p`).
                let parts: Vec<&str> = f.object.name.rsplitn(3, '-').collect();
                return match parts.as_slice() {
                    [suffix, hash, base]
                        if suffix.len() == 5
                            && (6..=10).contains(&hash.len())
                            && hash.chars().all(|c| c.is_ascii_alphanumeric()) =>
                    {
                        Some(("Deployment".to_string(), base.to_string()))
                    }
                    _ => None,
                };
            };
            if k == "Job" {
                return Some(cronjob_of(obs, ns, &n).unwrap_or((k, n)));
            }
            Some((k, n))
        }
        "Job" => cronjob_of(obs, ns, &f.object.name),
        _ => None,
    }
}

/// The CronJob that owns a Job, when it has one.
fn cronjob_of(obs: &Observed, ns: &str, job: &str) -> Option<(String, String)> {
    let j = obs.view.get("Job", ns, job)?;
    arr(j, "/metadata/ownerReferences")
        .iter()
        .find(|o| s(o, "kind") == "CronJob")
        .map(|o| ("CronJob".to_string(), s(o, "name").to_string()))
}

/// The node a pod finding's pod runs (or ran) on.
fn node_of(f: &Finding, obs: &Observed) -> Option<String> {
    if f.object.kind != "Pod" {
        return None;
    }
    let pod = obs
        .view
        .get("Pod", f.object.namespace.as_deref()?, &f.object.name)?;
    let n = sp(pod, "/spec/nodeName");
    (!n.is_empty()).then(|| n.to_string())
}

/// Drop findings explained by another one in the list, keeping the cause: a Service without
/// endpoints whose pods crash; a probe failing on a crashing container (or on another pod of
/// the same crashing workload); a rollout stuck on failing pods; pods of a NotReady node and
/// pods evicted by a node under pressure; and the same problem again on another pod of the same
/// workload or another Job of the same CronJob (one problem, not one per pod).
fn root_findings<'a>(focus: &[&'a Finding], obs: &Observed) -> Vec<&'a Finding> {
    let mut out: Vec<&Finding> = Vec::new();
    let crashing = |g: &Finding| matches!(g.analyzer.as_str(), "crashloop" | "oom");
    for f in focus {
        let owner = owner_key(f, obs);
        let node = node_of(f, obs);
        let node_finding = |g: &&&Finding, words: &[&str]| {
            g.object.kind == "Node"
                && node.as_deref() == Some(g.object.name.as_str())
                && words.iter().any(|w| g.title.contains(w))
        };
        let consequence = explained_by(f, focus).is_some()
            || (f.analyzer == "probes"
                && focus.iter().any(|g| {
                    crashing(g)
                        && (g.object == f.object
                            || (owner.is_some() && owner_key(g, obs) == owner))
                }))
            || (f.object.kind == "Pod"
                && focus.iter().any(|g| {
                    g.object.kind == "Node"
                        && f.related
                            .iter()
                            .any(|r| r.kind == "Node" && r.name == g.object.name)
                }))
            // Pods on a node that is NotReady: the node's problem.
            || focus.iter().any(|g| node_finding(&g, &["NotReady"]))
            // Pods the kubelet evicted from a node under pressure.
            || (f.analyzer == "evicted" && focus.iter().any(|g| node_finding(&g, &["pressure"])))
            // A Service whose pods have a problem of their own.
            || (f.analyzer == "service"
                && f.title.contains("no ready endpoints")
                && f.related.iter().any(|r| {
                    r.kind == "Pod"
                        && focus.iter().any(|g| {
                            g.analyzer != "service"
                                && g.object.kind == "Pod"
                                && g.object.namespace == r.namespace
                                && (g.object.name == r.name || {
                                    let rf = Finding {
                                        object: r.clone(),
                                        ..(**g).clone()
                                    };
                                    owner_key(&rf, obs).is_some() && owner_key(&rf, obs) == owner_key(g, obs)
                                })
                        })
                }))
            // The same problem on another pod of the workload, another Job of the CronJob.
            || (owner.is_some()
                && out
                    .iter()
                    .any(|g| g.analyzer == f.analyzer && owner_key(g, obs) == owner));
        if !consequence {
            out.push(f);
        }
    }
    if out.is_empty() {
        out.extend(focus.iter().take(1));
    }
    out
}

/// Merge chains: one whose start object lies on another chain is a consequence of it.
fn fold(chains: Vec<Chain>) -> Vec<Chain> {
    let mut out: Vec<Chain> = Vec::new();
    for c in chains {
        let start = c.objects.first().cloned();
        if out
            .iter()
            .any(|o| start.as_ref().is_some_and(|s| o.objects.contains(s)) || o.cause == c.cause)
        {
            continue;
        }
        // An earlier chain that this one explains: replace it.
        out.retain(|o| !o.objects.first().is_some_and(|s| c.objects.contains(s)));
        out.push(c);
    }
    out
}

fn hypotheses(chains: &[Chain], status: HypothesisStatus) -> Vec<Hypothesis> {
    let mut out = Vec::new();
    for (i, c) in chains.iter().enumerate() {
        let Some(first) = c.links.first() else {
            continue;
        };
        let statement = match status {
            HypothesisStatus::Confirmed if !c.cause.is_empty() => c.cause.clone(),
            _ => format!(
                "{} — explained upstream by what {} shows",
                first.text,
                c.asks
                    .first()
                    .map(|a| a.command.as_str())
                    .unwrap_or("the next query")
            ),
        };
        // One id per chain (its first object), so the conclusion confirms the open one.
        let id = c
            .objects
            .first()
            .map(|o| format!("h:{}", o.short()))
            .unwrap_or_else(|| format!("h{}", i + 1));
        out.push(Hypothesis {
            id: HypothesisId(id),
            statement,
            status,
            evidence_for: c
                .links
                .iter()
                .filter(|l| !l.calls.is_empty())
                .map(|l| Evidence::new(l.text.clone(), l.calls.iter().cloned().map(ProposalId)))
                .collect(),
            evidence_against: Vec::new(),
        });
    }
    out
}

/// The kinds that run pods: a namespace with none of them and no running pod runs nothing.
const WORKLOAD_KINDS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
];

/// What shows the subject (or the namespace) healthy.
fn healthy_facts(obs: &Observed, subject: Option<&Subject>, ns: &str) -> Vec<Link> {
    let now = obs.view.now().unwrap_or_else(jiff::Timestamp::now);
    match subject {
        Some(s) => {
            let (line, _, _) = subject::health(obs, &s.object, now);
            let mut calls = obs.list_calls("Pod", Some(ns));
            calls.extend(chain::calls_of(obs, &s.object.kind, ns, &s.object.name));
            calls.extend(obs.list_calls("Event", Some(ns)));
            vec![Link { text: line, calls }]
        }
        None => {
            let pods: Vec<&Value> = obs.view.in_namespace("Pod", ns).collect();
            let active: Vec<&&Value> = pods
                .iter()
                .filter(|p| !matches!(sp(p, "/status/phase"), "Succeeded" | "Failed"))
                .collect();
            let ready = active.iter().filter(|p| pod_ready(p)).count();
            let done = pods.len() - active.len();
            let hour_ago = now - jiff::SignedDuration::from_secs(3600);
            let warnings = obs
                .view
                .in_namespace("Event", ns)
                .filter(|e| s(e, "type") == "Warning")
                .filter(|e| {
                    crate::analyze::view::event_time(e)
                        .parse::<jiff::Timestamp>()
                        .is_ok_and(|t| t >= hour_ago)
                })
                .count();
            let scaled_zero: Vec<&str> = obs
                .view
                .in_namespace("Deployment", ns)
                .filter(|d| d.pointer("/spec/replicas").and_then(Value::as_i64) == Some(0))
                .map(meta_name)
                .collect();
            let mut text = format!(
                "namespace {ns}: {ready}/{} running pods ready{}, {} warning event(s) in the last hour",
                active.len(),
                if done > 0 {
                    format!(", {done} completed")
                } else {
                    String::new()
                },
                warnings
            );
            if !scaled_zero.is_empty() {
                text.push_str(&format!(
                    "; scaled to 0 on purpose: {}",
                    scaled_zero.join(", ")
                ));
            }
            let mut calls = obs.list_calls("Pod", Some(ns));
            calls.extend(obs.list_calls("Event", Some(ns)));
            calls.extend(obs.list_calls("Deployment", Some(ns)));
            let mut links = vec![Link { text, calls }];
            links.extend(settled_trouble(obs, ns, now));
            links
        }
    }
}

/// Trouble that is over, said so a healthy verdict answers what alarmed the engineer:
/// restarts long past on pods ready since, failed Jobs a later run of their CronJob
/// superseded, warning events older than the last hour.
fn settled_trouble(obs: &Observed, ns: &str, now: jiff::Timestamp) -> Vec<Link> {
    use crate::analyze::util::{ago, condition, int, last_termination};
    let mut out = Vec::new();
    let pod_calls = obs.list_calls("Pod", Some(ns));
    for p in obs.view.in_namespace("Pod", ns).filter(|p| pod_ready(p)) {
        let restarts: i64 = arr(p, "/status/containerStatuses")
            .iter()
            .filter_map(|st| int(st, "/restartCount"))
            .sum();
        if restarts == 0 {
            continue;
        }
        if let Some(age) = last_termination(p).and_then(|t| ago(now, t)) {
            out.push(Link {
                text: format!(
                    "pod {}: {restarts} restarts, the last {age} ago, ready since",
                    meta_name(p)
                ),
                calls: pod_calls.clone(),
            });
        }
    }
    let jobs: Vec<&Value> = obs.view.in_namespace("Job", ns).collect();
    let done_at = |j: &Value, ty: &str| {
        condition(j, ty)
            .filter(|(st, _, _)| *st == "True")
            .map(|_| {
                arr(j, "/status/conditions")
                    .iter()
                    .find(|c| s(c, "type") == ty)
                    .map(|c| s(c, "lastTransitionTime").to_string())
                    .unwrap_or_default()
            })
    };
    for j in &jobs {
        let Some(failed_at) = done_at(j, "Failed") else {
            continue;
        };
        let Some(("CronJob", cron)) = owner(j) else {
            continue;
        };
        let later = jobs
            .iter()
            .filter(|o| owner(o) == Some(("CronJob", cron)))
            .filter(|o| done_at(o, "Complete").is_some_and(|t| t > failed_at))
            .count();
        if later > 0 {
            let age = ago(now, &failed_at).unwrap_or_else(|| "a while".into());
            out.push(Link {
                text: format!(
                    "Job {} failed {age} ago; {later} later run(s) of CronJob {cron} succeeded",
                    meta_name(j)
                ),
                calls: obs.list_calls("Job", Some(ns)),
            });
        }
    }
    let hour_ago = now - jiff::SignedDuration::from_secs(3600);
    let older: Vec<String> = obs
        .view
        .in_namespace("Event", ns)
        .filter(|e| s(e, "type") == "Warning")
        .map(crate::analyze::view::event_time)
        .filter(|t| t.parse::<jiff::Timestamp>().is_ok_and(|t| t < hour_ago))
        .collect();
    if let Some(latest) = older.iter().max()
        && let Some(age) = ago(now, latest)
    {
        out.push(Link {
            text: format!(
                "{} older warning event(s), the latest {age} ago",
                older.len()
            ),
            calls: obs.list_calls("Event", Some(ns)),
        });
    }
    out
}
