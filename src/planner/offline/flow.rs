//! One line of inquiry, step by step: scope → survey → subject (widened when not in scope)
//! → findings → causal chains → conclusion.

use serde_json::Value;

use crate::analyze::util::{arr, meta_name, meta_namespace, s, sp};
use crate::analyze::{self, Finding, Severity};
use crate::planner::offline::chain::{self, Chain, Link};
use crate::planner::offline::observe::Observed;
use crate::planner::offline::rank::{explained_by, rank};
use crate::planner::offline::report::{Problem, Report, Verdict};
use crate::planner::offline::scope::{self, Resolved};
use crate::planner::offline::subject::{self, Subject};
use crate::planner::offline::symptom::Symptom;
use crate::planner::offline::{Ask, propose};
use crate::planner::{Action, Step, Transcript};
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
    let obs = Observed::from_transcript(t);
    let Some(question) = obs.user_messages.last().cloned() else {
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
    let mut survey = survey_asks(&symptom, &ns, &obs);
    let refresh = format!("get pods -n {ns} -o wide");
    if obs.user_messages.len() > 1 && obs.steps_since_user == 0 && !obs.was_proposed(&refresh) {
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
    let findings = analyze::analyze(&obs.view);
    if subject.is_none() {
        let cands = subject::candidates(&symptom, &ns);
        let failing_here = findings.iter().any(|f| {
            f.object.namespace.as_deref() == Some(ns.as_str()) && f.severity != Severity::Info
        });
        if !cands.is_empty() && !failing_here {
            let wide = ["get pods -A".to_string(), "get deployments -A".to_string()];
            let asks: Vec<Ask> = wide
                .iter()
                .filter(|c| !obs.was_proposed(c))
                .map(|c| Ask {
                    command: c.clone(),
                    reason: format!(
                        "nothing named {} and nothing failing in namespace {ns}: widening to all namespaces to find it",
                        cands.join("/")
                    ),
                    hypothesis: format!("{} runs in another namespace", cands[0]),
                })
                .collect();
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
            } else if let Some(s) = subject::find(&symptom, &obs, None) {
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
            } else {
                notes.push(format!(
                    "No workload named {} in namespace {ns} or any other namespace.",
                    cands.join(" or ")
                ));
            }
            if ns != scope.namespace {
                let more = survey_asks(&symptom, &ns, &obs);
                if !more.is_empty() {
                    return propose(
                        format!("{} Looking at namespace {ns}.", notes.join(" ")),
                        more,
                        &call,
                    );
                }
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
        .filter(|f| relevant_to_ns(f, &ns, &obs) || cluster_kind_named(f, &symptom))
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
    let focus = root_findings(&focus);
    let focus: Vec<&Finding> = focus.into_iter().take(MAX_PROBLEMS).collect();

    // Chains.
    let mut chains: Vec<Chain> = focus.iter().map(|f| chain::follow(f, &obs)).collect();
    // A subject no finding is about: its own checks (coverage, readiness, scale).
    let untouched: Vec<&Subject> = subjects
        .iter()
        .filter(|s| !focus.iter().any(|f| subject::concerns(f, s, &obs)))
        .collect();
    for s in &untouched {
        if let Some(c) = chain::subject_chain(&obs, &s.object) {
            chains.push(c);
        }
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
    if !asks.is_empty() && steps < MAX_STEPS {
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

    // Fold consequences into their cause.
    let chains = fold(chains);
    let mut unchecked: Vec<crate::protocol::Unchecked> = Vec::new();
    for u in chains.iter().flat_map(|c| c.unchecked.clone()) {
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
        Report {
            verdict: Verdict::Healthy,
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
        None => {
            f.object.kind == "Node"
                && obs
                    .view
                    .in_namespace("Pod", ns)
                    .any(|p| sp(p, "/spec/nodeName") == f.object.name)
        }
    }
}

/// A cluster-scoped finding of a kind the symptom names (webhooks, nodes, classes).
fn cluster_kind_named(f: &Finding, symptom: &Symptom) -> bool {
    if f.object.namespace.is_some() {
        return false;
    }
    let text = symptom.text.to_lowercase();
    let words: &[&str] = match f.object.kind.as_str() {
        "ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration" => {
            &["webhook", "admission"]
        }
        "Node" => &["node", "kubelet"],
        "IngressClass" => &["ingress"],
        "StorageClass" => &["storage", "volume", "pvc"],
        _ => &[],
    };
    words.iter().any(|w| text.contains(w)) || text.contains(&f.object.name.to_lowercase())
}

/// Drop findings explained by another one in the list (a Service without endpoints whose
/// pods crash; a probe failing on a crashing container; a rollout stuck on failing pods;
/// pods of a NotReady node), keeping the cause.
fn root_findings<'a>(focus: &[&'a Finding]) -> Vec<&'a Finding> {
    let mut out: Vec<&Finding> = Vec::new();
    for f in focus {
        let consequence = explained_by(f, focus).is_some()
            || (f.analyzer == "probes"
                && focus.iter().any(|g| {
                    g.object == f.object && matches!(g.analyzer.as_str(), "crashloop" | "oom")
                }))
            || (f.object.kind == "Pod"
                && focus.iter().any(|g| {
                    g.object.kind == "Node"
                        && f.related
                            .iter()
                            .any(|r| r.kind == "Node" && r.name == g.object.name)
                }));
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
            let ready = active
                .iter()
                .filter(|p| {
                    arr(p, "/status/conditions")
                        .iter()
                        .any(|c| s(c, "type") == "Ready" && s(c, "status") == "True")
                })
                .count();
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
            vec![Link { text, calls }]
        }
    }
}
