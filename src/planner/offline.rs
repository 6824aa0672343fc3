//! The offline planner: klue's rules instead of a model. From the symptom (the names,
//! namespaces and kinds it mentions) and what the queries so far returned, it proposes the
//! next read-only queries (each with reason and hypothesis), runs klue's analyzers over what
//! it has seen, and concludes with root cause, evidence (citing the queries) and remediation.
//! Deterministic: the same transcript always gives the same step.

use crate::analyze::{self, Finding, Severity};
use crate::planner::offline_observe::{Observed, kind_of, object_key};
use crate::planner::offline_symptom::Symptom;
use crate::planner::{Action, DeltaSink, Planner, PlannerError, Step, Transcript};
use crate::protocol::{
    Conclusion, Confidence, Evidence, Hypothesis, HypothesisId, HypothesisStatus, PlannerInfo,
};

/// The symptom `klue demo` starts with when it runs headless.
pub const DEMO_SYMPTOM: &str =
    "the shop is broken since 14:00: checkout fails, the cart is empty, payments never come up";

/// Rounds of follow-up queries on the leading findings before concluding.
const MAX_FOLLOW_UP_ROUNDS: usize = 3;
/// Findings reported together when the symptom does not single one out.
const MAX_CO_FINDINGS: usize = 5;

/// The rule-based planner.
#[derive(Debug, Clone, Default)]
pub struct OfflinePlanner;

impl OfflinePlanner {
    pub fn new() -> Self {
        Self
    }
}

#[async_trait::async_trait]
impl Planner for OfflinePlanner {
    fn info(&self) -> PlannerInfo {
        PlannerInfo {
            kind: crate::protocol::PlannerKind::Offline,
            model: None,
            endpoint: None,
        }
    }

    async fn next(
        &mut self,
        transcript: &Transcript,
        deltas: &DeltaSink,
    ) -> Result<Step, PlannerError> {
        let step = plan(transcript);
        if !step.text.is_empty() {
            let _ = deltas.send(step.text.clone());
        }
        Ok(step)
    }
}

/// A query to propose.
struct Ask {
    command: String,
    reason: String,
    hypothesis: String,
}

/// Decide the next step from the transcript alone.
pub fn plan(t: &Transcript) -> Step {
    let obs = Observed::from_transcript(t);
    let Some(last_user) = obs.user_messages.last() else {
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
    // The symptom: every user message, the latest last.
    let symptom = Symptom::parse(&obs.user_messages.join("\n"));
    let _ = last_user;
    let call = |i: usize| format!("c{}-{}", obs.steps + 1, i + 1);

    // 1. Which namespace?
    let ns: Option<String> = match &symptom.namespace {
        Some(ns) => Some(ns.clone()),
        None if symptom.all_namespaces => None,
        None => {
            let known = obs.namespaces();
            if known.is_empty() && !obs.was_proposed("get namespaces") && !symptom.words.is_empty()
            {
                return propose(
                    "The symptom names no namespace explicitly: listing namespaces to find the one it refers to.".into(),
                    vec![Ask {
                        command: "get namespaces".into(),
                        reason: "find which namespace the symptom's words refer to".into(),
                        hypothesis: "the affected workload lives in a namespace named in the symptom".into(),
                    }],
                    &call,
                );
            }
            symptom.words.iter().find(|w| known.contains(w)).cloned()
        }
    };
    let scope = match &ns {
        Some(n) => format!(" -n {n}"),
        None => " -A".to_string(),
    };
    let where_ = ns
        .as_deref()
        .map(|n| format!("namespace {n}"))
        .unwrap_or_else(|| "all namespaces".into());

    // 2. Survey: what is running and what the cluster reports, plus kinds the words point at.
    let families = symptom.families();
    let mut survey: Vec<Ask> = Vec::new();
    let add = |resource: &str, reason: String, hypothesis: String, survey: &mut Vec<Ask>| {
        let namespaced = kind_of(resource).is_none_or(|(_, n)| n);
        let cmd = if namespaced {
            format!("get {resource}{scope}")
        } else {
            format!("get {resource}")
        };
        if !obs.was_proposed(&cmd) && !survey.iter().any(|a| a.command == cmd) {
            survey.push(Ask {
                command: cmd,
                reason,
                hypothesis,
            });
        }
    };
    add(
        "pods",
        format!("see the state, restarts and readiness of the pods in {where_}"),
        "a pod is failing (crashing, not pulling its image, pending or not ready)".into(),
        &mut survey,
    );
    add(
        "events",
        format!("warnings from the kubelet, scheduler and controllers in {where_}"),
        "recent warning events name the failure".into(),
        &mut survey,
    );
    add(
        "deployments",
        format!("compare desired and available replicas in {where_}"),
        "a workload is below its desired replicas".into(),
        &mut survey,
    );
    add(
        "services",
        format!("check that the services in {where_} select running pods"),
        "a Service routes to no pod (selector or port mismatch)".into(),
        &mut survey,
    );
    for f in &families {
        for r in f.resources {
            add(
                r,
                format!("the symptom points at {}", f.analyzers.join("/")),
                format!("a {} problem explains the symptom", f.analyzers[0]),
                &mut survey,
            );
        }
    }
    if !survey.is_empty() && obs.steps <= 2 {
        return propose(
            format!(
                "Surveying {where_}: pods, events and workloads{}.",
                if families.is_empty() {
                    String::new()
                } else {
                    ", and the kinds the symptom mentions".into()
                }
            ),
            survey,
            &call,
        );
    }

    // 3. Analyze what was observed.
    let findings = analyze::analyze(&obs.view);
    let ranked = rank(&findings, &symptom, ns.as_deref());
    let leading = leading(&ranked, &symptom, ns.as_deref());
    if leading.is_empty() {
        // Widen the survey once to every kind the analyzers read.
        let mut wide = Vec::new();
        for r in [
            "services",
            "endpoints",
            "replicasets",
            "statefulsets",
            "daemonsets",
            "jobs",
            "cronjobs",
            "ingresses",
            "horizontalpodautoscalers",
            "poddisruptionbudgets",
            "networkpolicies",
            "persistentvolumeclaims",
            "resourcequotas",
            "nodes",
            "storageclasses",
            "ingressclasses",
            "validatingwebhookconfigurations",
            "mutatingwebhookconfigurations",
        ] {
            add(r, "nothing conclusive yet: checking every kind klue's analyzers understand".into(), "a less common failure (network policy, quota, webhook, autoscaler, storage) explains the symptom".into(), &mut wide);
        }
        if !wide.is_empty() {
            return propose(
                format!(
                    "No failing object found yet in {where_}; widening the search to services, storage, policies and cluster objects."
                ),
                wide,
                &call,
            );
        }
        return no_finding(&obs, &where_);
    }

    // 4. Follow-ups on the leading findings, then conclude.
    let mut follow = Vec::new();
    let mut hypotheses = Vec::new();
    let follow_rounds = obs.steps.saturating_sub(1);
    if follow_rounds <= MAX_FOLLOW_UP_ROUNDS {
        for f in &leading {
            let statement = format!("{}: {}", f.object, f.title);
            for cmd in follow_ups(f, &obs, ns.as_deref()) {
                if !obs.was_proposed(&cmd) && !follow.iter().any(|a: &Ask| a.command == cmd) {
                    follow.push(Ask {
                        command: cmd,
                        reason: format!("confirm and explain: {}", f.title),
                        hypothesis: statement.clone(),
                    });
                }
            }
            if !obs.hypotheses.contains_key(&statement) {
                hypotheses.push(Hypothesis {
                    id: HypothesisId(format!("h{}", obs.hypotheses.len() + hypotheses.len() + 1)),
                    statement,
                    status: HypothesisStatus::Open,
                    evidence_for: f
                        .evidence
                        .iter()
                        .take(2)
                        .map(|e| Evidence {
                            text: e.clone(),
                            executions: cite(f, e, &obs),
                        })
                        .collect(),
                    evidence_against: Vec::new(),
                });
            }
        }
    }
    if !follow.is_empty() {
        let mut step = propose(
            format!(
                "Found {} likely cause{}: {}. Checking the details.",
                leading.len(),
                if leading.len() == 1 { "" } else { "s" },
                leading
                    .iter()
                    .map(|f| format!("{} ({})", f.title, f.object.short()))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            follow,
            &call,
        );
        let mut actions: Vec<Action> = hypotheses.into_iter().map(Action::Hypothesis).collect();
        actions.append(&mut step.actions);
        step.actions = actions;
        return step;
    }
    conclude(&leading, &ranked, &obs, hypotheses)
}

fn propose(text: String, asks: Vec<Ask>, call: &dyn Fn(usize) -> String) -> Step {
    Step {
        text,
        actions: asks
            .into_iter()
            .enumerate()
            .map(|(i, a)| Action::Propose {
                call_id: call(i),
                command: a.command,
                reason: a.reason,
                hypothesis: a.hypothesis,
            })
            .collect(),
        usage: None,
    }
}

/// Findings by relevance to the symptom (most relevant first) with their scores.
fn rank<'a>(
    findings: &'a [Finding],
    symptom: &Symptom,
    ns: Option<&str>,
) -> Vec<(i64, &'a Finding)> {
    let text = symptom.text_without(ns);
    let families = symptom.families();
    let mut scored: Vec<(i64, &Finding)> = findings
        .iter()
        .map(|f| {
            let mut score = match f.severity {
                Severity::Critical => 0,
                Severity::Warning => 60,
                Severity::Info => 140,
            } + i64::from(f.rank) * 2;
            let named = symptom.mentions(&f.object.name, ns)
                || f.related.iter().any(|r| symptom.mentions(&r.name, ns))
                || f.evidence.iter().any(|e| {
                    e.starts_with("same problem on pods:")
                        && symptom.words.iter().any(|w| e.contains(w.as_str()))
                });
            if named {
                score -= 150;
            }
            if families
                .iter()
                .any(|fam| fam.analyzers.contains(&f.analyzer.as_str()))
            {
                score -= 60;
            }
            match (&f.object.namespace, ns) {
                (Some(fns), Some(n)) if fns != n => score += 400,
                (None, _) if !named && !text.contains("node") => score += 200,
                _ => {}
            }
            (score, f)
        })
        .collect();
    scored.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| a.1.severity.cmp(&b.1.severity))
            .then_with(|| a.1.object.cmp(&b.1.object))
    });
    scored
}

/// The findings to report: the most relevant one, plus others as relevant when the symptom
/// does not single one out.
fn leading<'a>(
    ranked: &[(i64, &'a Finding)],
    symptom: &Symptom,
    ns: Option<&str>,
) -> Vec<&'a Finding> {
    let Some((best, first)) = ranked.first() else {
        return Vec::new();
    };
    if *best >= 300 {
        return Vec::new(); // only findings elsewhere
    }
    let mut out = vec![*first];
    let named = |f: &Finding| {
        symptom.mentions(&f.object.name, ns)
            || f.related.iter().any(|r| symptom.mentions(&r.name, ns))
    };
    let first_named = named(first);
    for (score, f) in ranked.iter().skip(1) {
        if out.len() >= MAX_CO_FINDINGS || *score >= 300 {
            break;
        }
        // Already covered: it explains, or is explained by, a finding reported.
        if f.rank >= 40
            || explained_by(f, &out).is_some()
            || out.iter().any(|o| explained_by(o, &[*f]).is_some())
        {
            continue;
        }
        // When the symptom names objects, report the other named ones; otherwise everything
        // about as relevant as the first.
        let take = if first_named {
            named(f)
        } else {
            *score - best < 120
        };
        if take {
            out.push(f);
        }
    }
    out
}

/// A root-cause-level finding that explains a consequence finding (a stuck rollout, a Service
/// without ready endpoints, a PDB blocked by unhealthy pods).
fn explained_by<'a>(f: &Finding, candidates: &[&'a Finding]) -> Option<&'a Finding> {
    candidates.iter().copied().find(|c| {
        c.rank < f.rank
            && c.object.namespace == f.object.namespace
            && (f.related.contains(&c.object)
                || c.related.iter().any(|r| {
                    r.name == f.object.name || r.name.starts_with(&format!("{}-", f.object.name))
                }))
    })
}

/// Read-only queries that show a finding's evidence in full.
fn follow_ups(f: &Finding, obs: &Observed, ns: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = f.checks.iter().take(2).cloned().collect();
    let in_ns = |r: &str| {
        ns.map(|n| format!("get {r} -n {n}"))
            .unwrap_or_else(|| format!("get {r} -A"))
    };
    let needs: &[&str] = match f.analyzer.as_str() {
        "pending" => &["nodes", "persistentvolumeclaims", "storageclasses"],
        "rollout" => &["replicasets", "resourcequotas"],
        "ingress" => &["services", "ingressclasses"],
        "service" => &["endpoints"],
        "network-policy" => &["services"],
        "cronjob" => &["jobs"],
        _ => &[],
    };
    for r in needs {
        if let Some((kind, namespaced)) = kind_of(r) {
            let listed = obs.view.is_listed(kind, if namespaced { ns } else { None });
            if !listed {
                out.push(if namespaced {
                    in_ns(r)
                } else {
                    format!("get {r}")
                });
            }
        }
    }
    out
}

/// Which executions show an evidence line.
fn cite(f: &Finding, line: &str, obs: &Observed) -> Vec<crate::protocol::ProposalId> {
    let ns = f.object.namespace.clone().unwrap_or_default();
    let mut calls: Vec<String> = Vec::new();
    if line.starts_with("log:") {
        for (k, c) in &obs.logs_in {
            if k.starts_with(&format!("{ns}/{}/", f.object.name))
                || f.related
                    .iter()
                    .any(|r| k.starts_with(&format!("{ns}/{}/", r.name)))
            {
                calls.extend(c.iter().cloned());
            }
        }
    } else if line.starts_with("event ") {
        calls.extend(obs.events_in.iter().cloned());
    }
    if calls.is_empty() {
        let key = object_key(&f.object.kind, &ns, &f.object.name);
        calls.extend(obs.seen_in.get(&key).cloned().unwrap_or_default());
        for r in &f.related {
            let k = object_key(&r.kind, r.namespace.as_deref().unwrap_or(""), &r.name);
            if line.contains(&r.name)
                && let Some(c) = obs.seen_in.get(&k)
            {
                calls.extend(c.iter().cloned());
            }
        }
    }
    calls.sort();
    calls.dedup();
    calls.into_iter().map(crate::protocol::ProposalId).collect()
}

/// The sentence that states a finding as a cause, with its most telling evidence.
fn cause_text(f: &Finding) -> String {
    let telling: Vec<&String> = f
        .evidence
        .iter()
        .filter(|e| {
            e.starts_with("log:")
                || e.starts_with("termination message")
                || e.starts_with("status message")
                || e.contains("does not exist")
                || e.contains("has no key")
                || e.starts_with("condition")
                || e.starts_with("insufficient")
                || e.starts_with("selector")
                || e.starts_with("service port")
                || e.starts_with("PersistentVolumeClaim")
                || e.starts_with("event Warning")
                || e.starts_with("isolated pods")
                || e.starts_with("status: Failed")
        })
        .take(2)
        .collect();
    let mut s = format!("{} {}: {}", f.object.kind, qualified(f), f.title);
    if !telling.is_empty() {
        s.push_str(&format!(
            " ({})",
            telling
                .iter()
                .map(|e| e.trim_start_matches("log: ").to_string())
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    s
}

fn qualified(f: &Finding) -> String {
    match &f.object.namespace {
        Some(ns) => format!("{ns}/{}", f.object.name),
        None => f.object.name.clone(),
    }
}

fn conclude(
    leading: &[&Finding],
    ranked: &[(i64, &Finding)],
    obs: &Observed,
    mut hypotheses: Vec<Hypothesis>,
) -> Step {
    let all: Vec<&Finding> = ranked.iter().map(|(_, f)| *f).collect();
    let mut causes = Vec::new();
    let mut remediation = Vec::new();
    let mut evidence = Vec::new();
    for f in leading {
        // A consequence (rollout, service, PDB) is explained by the failure underneath it.
        let under = if f.rank >= 40 {
            explained_by(f, &all)
        } else {
            None
        };
        match under {
            Some(u) => {
                causes.push(format!("{} — because {}", cause_text(f), cause_text(u)));
                remediation.push(u.remediation.clone());
                for e in u.evidence.iter().take(4) {
                    evidence.push(Evidence {
                        text: format!("{}: {e}", u.object.short()),
                        executions: cite(u, e, obs),
                    });
                }
            }
            None => {
                causes.push(cause_text(f));
                remediation.push(f.remediation.clone());
            }
        }
        for e in f.evidence.iter().take(5) {
            evidence.push(Evidence {
                text: format!("{}: {e}", f.object.short()),
                executions: cite(f, e, obs),
            });
        }
        let statement = format!("{}: {}", f.object, f.title);
        let id = obs
            .hypotheses
            .get(&statement)
            .cloned()
            .or_else(|| {
                hypotheses
                    .iter()
                    .find(|h| h.statement == statement)
                    .map(|h| h.id.0.clone())
            })
            .unwrap_or_else(|| format!("h{}", obs.hypotheses.len() + hypotheses.len() + 1));
        hypotheses.retain(|h| h.statement != statement);
        hypotheses.push(Hypothesis {
            id: HypothesisId(id),
            statement,
            status: HypothesisStatus::Confirmed,
            evidence_for: f
                .evidence
                .iter()
                .take(3)
                .map(|e| Evidence {
                    text: e.clone(),
                    executions: cite(f, e, obs),
                })
                .collect(),
            evidence_against: Vec::new(),
        });
    }
    let root_cause = if causes.len() == 1 {
        causes.remove(0)
    } else {
        format!(
            "{} problems: {}",
            causes.len(),
            causes
                .iter()
                .enumerate()
                .map(|(i, c)| format!("({}) {c}", i + 1))
                .collect::<Vec<_>>()
                .join(" ")
        )
    };
    let remediation = if remediation.len() == 1 {
        remediation.remove(0)
    } else {
        remediation
            .iter()
            .enumerate()
            .map(|(i, r)| format!("({}) {r}", i + 1))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let confidence = if leading.iter().any(|f| {
        f.evidence.iter().any(|e| {
            e.starts_with("log:") || e.contains("does not exist") || e.contains("has no key")
        })
    }) || leading.iter().all(|f| f.severity == Severity::Critical)
    {
        Confidence::High
    } else {
        Confidence::Medium
    };
    let mut actions: Vec<Action> = hypotheses.into_iter().map(Action::Hypothesis).collect();
    actions.push(Action::Conclude(Conclusion {
        root_cause: root_cause.clone(),
        evidence,
        confidence,
        remediation,
    }));
    Step {
        text: format!("Root cause: {root_cause}"),
        actions,
        usage: None,
    }
}

fn no_finding(obs: &Observed, where_: &str) -> Step {
    let mut text =
        format!("None of klue's analyzers found a failure in {where_} that matches the symptom.");
    if !obs.declined.is_empty() {
        text.push_str(&format!(
            " Some queries did not run: {}.",
            obs.declined.join("; ")
        ));
    }
    let evidence = obs
        .ran
        .iter()
        .take(6)
        .map(|(cmd, calls)| Evidence {
            text: format!("`{cmd}` showed nothing abnormal"),
            executions: calls
                .iter()
                .cloned()
                .map(crate::protocol::ProposalId)
                .collect(),
        })
        .collect();
    Step {
        text: text.clone(),
        actions: vec![Action::Conclude(Conclusion {
            root_cause: text,
            evidence,
            confidence: Confidence::Low,
            remediation: "Name the failing workload or namespace more precisely, or describe the error users see; then look at that workload's logs and describe output.".into(),
        })],
        usage: None,
    }
}
