//! The offline planner: klue's rules instead of a model. From the symptom (the names,
//! namespaces and kinds it mentions) and what the queries so far returned, it proposes the
//! next read-only queries (each with reason and hypothesis), runs klue's analyzers over what
//! it has seen, and concludes with root cause, evidence (citing the queries) and remediation.
//! Deterministic: the same transcript always gives the same step.

mod conclude;
pub(crate) mod observe;
mod rank;
pub(crate) mod symptom;

use crate::analyze;
use crate::planner::{Action, DeltaSink, Planner, PlannerError, Step, Transcript};
use crate::protocol::{Evidence, Hypothesis, HypothesisId, HypothesisStatus, PlannerInfo};
use conclude::{cite, conclude, no_finding};
use observe::{Observed, kind_of};
use rank::{follow_ups, leading, rank};
use symptom::Symptom;

/// The symptom `klue demo` starts with when it runs headless.
pub const DEMO_SYMPTOM: &str =
    "the shop is broken since 14:00: checkout fails, the cart is empty, payments never come up";

/// Rounds of follow-up queries on the leading findings before concluding.
const MAX_FOLLOW_UP_ROUNDS: usize = 3;

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
                        .map(|e| Evidence::new(e.clone(), cite(f, e, &obs)))
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
