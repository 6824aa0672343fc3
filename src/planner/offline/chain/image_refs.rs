//! A container whose image cannot be pulled: one link further than the kubelet's message.
//! - the registry refused the credentials: which imagePullSecrets the pod and its
//!   ServiceAccount reference, whether they exist, and which registry Secrets the namespace
//!   holds that nothing references;
//! - the tag does not exist: which image the workload's other ReplicaSet runs (what still
//!   serves, and what to roll back to).

use serde_json::Value;

use super::{Walk, calls_of, owner_words};
use crate::analyze::util::{arr, meta_name, s, sp};
use crate::analyze::{Finding, ObjectRef};
use crate::planner::offline::subject::workload_of;

/// Secret types that hold registry credentials.
const REGISTRY_TYPES: &[&str] = &["kubernetes.io/dockerconfigjson", "kubernetes.io/dockercfg"];

fn pull_secret_names(obj: &Value, pointer: &str) -> Vec<String> {
    arr(obj, pointer)
        .iter()
        .map(|r| s(r, "name").to_string())
        .filter(|n| !n.is_empty())
        .collect()
}

/// Follow an image-pull finding. Returns false when there is nothing more to read (the caller
/// states the finding as it is).
pub(super) fn follow(w: &mut Walk<'_>, pod: &Value, f: &Finding, ns: &str) -> bool {
    if f.title.contains("credentials are missing or wrong") {
        credentials(w, pod, ns)
    } else if f.title.contains("does not exist in the registry") {
        missing_tag(w, pod, f, ns)
    } else {
        false
    }
}

fn credentials(w: &mut Walk<'_>, pod: &Value, ns: &str) -> bool {
    let who = owner_words(w.obs, pod);
    let sa = match sp(pod, "/spec/serviceAccountName") {
        "" => "default".to_string(),
        n => n.to_string(),
    };
    let reason = format!(
        "which registry credentials can the pod use: its imagePullSecrets, ServiceAccount {sa}'s, the registry Secrets in {ns}?"
    );
    let secrets = w.listed("secrets", "Secret", ns, reason.clone());
    let accounts = w.listed("serviceaccounts", "ServiceAccount", ns, reason);
    if !secrets {
        return false;
    }
    let from_pod = pull_secret_names(pod, "/spec/imagePullSecrets");
    let from_sa = if accounts {
        w.obs
            .view
            .get("ServiceAccount", ns, &sa)
            .map(|a| pull_secret_names(a, "/imagePullSecrets"))
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let mut calls = calls_of(w.obs, "Secret", ns, "");
    if accounts {
        calls.extend(calls_of(w.obs, "ServiceAccount", ns, &sa));
    }
    let referenced: Vec<String> = from_pod.iter().chain(from_sa.iter()).cloned().collect();
    let registry: Vec<String> = w
        .obs
        .view
        .in_namespace("Secret", ns)
        .filter(|o| REGISTRY_TYPES.contains(&s(o, "type")))
        .map(|o| meta_name(o).to_string())
        .collect();
    // A referenced Secret that is not there.
    if let Some(gone) = referenced
        .iter()
        .find(|n| w.obs.view.get("Secret", ns, n).is_none())
    {
        w.found(
            format!("imagePullSecret {gone} does not exist in {ns}"),
            calls,
            format!("{who} cannot pull its image: its imagePullSecret {gone} does not exist in namespace {ns}"),
            format!("Create Secret {gone} (type kubernetes.io/dockerconfigjson) in {ns}, or reference the registry Secret that exists{}.",
                if registry.is_empty() { String::new() } else { format!(" ({})", registry.join(", ")) }),
        );
        return true;
    }
    if referenced.is_empty() {
        let unused = if registry.is_empty() {
            format!("namespace {ns} holds no registry Secret")
        } else {
            format!(
                "registry Secret {} exists in {ns} and nothing references it",
                registry.join(", ")
            )
        };
        for r in &registry {
            w.object(ObjectRef::new("Secret", Some(ns), r));
        }
        w.found(
            format!(
                "the pod references no imagePullSecret{}; {unused}",
                if accounts {
                    format!(", nor does ServiceAccount {sa}")
                } else {
                    String::new()
                }
            ),
            calls,
            format!(
                "{who} pulls without credentials: no imagePullSecret in the pod spec or ServiceAccount {sa}; {unused}"
            ),
            match registry.first() {
                Some(r) => format!(
                    "Add `imagePullSecrets: [{{name: {r}}}]` to the pod template of {who} (or to ServiceAccount {sa})."
                ),
                None => format!(
                    "Create a registry Secret (kubectl create secret docker-registry) in {ns} and reference it in {who}'s imagePullSecrets or ServiceAccount {sa}."
                ),
            },
        );
        return true;
    }
    // Referenced and present: the registry rejects what they hold.
    w.link(
        format!(
            "the pod pulls with imagePullSecret {}",
            referenced.join(", ")
        ),
        calls,
    );
    w.cause(
        format!(
            "{who} cannot pull its image: the registry rejects the credentials of Secret {} (wrong, expired or for another registry)",
            referenced.join(", ")
        ),
        format!(
            "Renew the registry credentials in Secret {} in {ns} (they must be for the image's registry).",
            referenced.join(", ")
        ),
    );
    true
}

fn missing_tag(w: &mut Walk<'_>, pod: &Value, f: &Finding, ns: &str) -> bool {
    let Some((kind, deploy)) = workload_of(pod) else {
        return false;
    };
    if kind != "Deployment" {
        return false;
    }
    let reason = format!("what image does Deployment {deploy}'s other ReplicaSet run?");
    if !w.listed("replicasets", "ReplicaSet", ns, reason) {
        return false;
    }
    let own_rs = arr(pod, "/metadata/ownerReferences")
        .iter()
        .find(|o| s(o, "kind") == "ReplicaSet")
        .map(|o| s(o, "name").to_string())
        .unwrap_or_default();
    let owned_by = |rs: &Value| {
        arr(rs, "/metadata/ownerReferences")
            .iter()
            .any(|o| s(o, "kind") == "Deployment" && s(o, "name") == deploy)
    };
    let image_of = |v: &Value, pointer: &str| {
        arr(v, pointer)
            .first()
            .map(|c| s(c, "image").to_string())
            .unwrap_or_default()
    };
    let bad = image_of(pod, "/spec/containers");
    let serving: Vec<(String, String, i64)> = w
        .obs
        .view
        .in_namespace("ReplicaSet", ns)
        .filter(|rs| owned_by(rs) && meta_name(rs) != own_rs)
        .map(|rs| {
            (
                meta_name(rs).to_string(),
                image_of(rs, "/spec/template/spec/containers"),
                rs.pointer("/status/readyReplicas")
                    .and_then(Value::as_i64)
                    .unwrap_or(0),
            )
        })
        .filter(|(_, img, ready)| *ready > 0 && !img.is_empty() && *img != bad)
        .collect();
    let Some((rs, good, ready)) = serving.first().cloned() else {
        return false;
    };
    w.object(ObjectRef::new("ReplicaSet", Some(ns), &rs));
    w.found(
        format!("ReplicaSet {rs} still runs {good} ({ready} ready); the new one asks for {bad}"),
        calls_of(w.obs, "ReplicaSet", ns, &rs),
        format!(
            "Deployment {ns}/{deploy}'s rollout is stuck: the new pods cannot pull {bad} (no such tag in the registry), while ReplicaSet {rs} keeps serving {good}"
        ),
        format!(
            "{} Or roll back: `kubectl rollout undo deployment/{deploy} -n {ns}` (back to {good}).",
            f.remediation
        ),
    );
    true
}
