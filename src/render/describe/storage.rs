//! `kubectl describe` of PersistentVolumeClaims and PersistentVolumes.

use serde_json::Value;

use super::Related;
use super::claim::{access_modes, finalizers, print_pvc};
use super::events::describe_events;
use super::volume::describe_volume_source;
use super::writer::*;

/// Pods that use the claim: by volume, or as owners (`getPodsForPVC`).
pub fn pods_using_claim<'a>(pvc: &Value, pods: &'a [Value]) -> Vec<&'a Value> {
    let name = s(pvc, &["metadata", "name"]);
    let mut out: Vec<&Value> = pods
        .iter()
        .filter(|p| {
            arr(p, &["spec", "volumes"])
                .iter()
                .any(|v| s(v, &["persistentVolumeClaim", "claimName"]) == name)
        })
        .collect();
    for owner in arr(pvc, &["metadata", "ownerReferences"]) {
        if s(owner, &["kind"]) != "Pod" {
            continue;
        }
        let uid = s(owner, &["uid"]);
        if let Some(p) = pods.iter().find(|p| s(p, &["metadata", "uid"]) == uid)
            && !out.iter().any(|o| s(o, &["metadata", "uid"]) == uid)
        {
            out.push(p);
        }
    }
    out.sort_by(|a, b| s(a, &["metadata", "name"]).cmp(s(b, &["metadata", "name"])));
    out
}

/// `kubectl describe pvc`.
pub fn describe_pvc(pvc: &Value, rel: &Related) -> String {
    let mut w = W::new();
    print_pvc(&mut w, pvc, true);
    let pods = match &rel.pods {
        Some(Ok(p)) => pods_using_claim(pvc, p),
        _ => Vec::new(),
    };
    w.w(0, "Used By:\t");
    if pods.is_empty() {
        w.raw("<none>\n");
    } else {
        for (n, p) in pods.iter().enumerate() {
            if n != 0 {
                w.raw("\t");
            }
            w.raw(&format!("{}\n", s(p, &["metadata", "name"])));
        }
    }
    let conds = arr(pvc, &["status", "conditions"]);
    if !conds.is_empty() {
        w.w(0, "Conditions:\n");
        w.w(
            1,
            "Type\tStatus\tLastProbeTime\tLastTransitionTime\tReason\tMessage\n",
        );
        w.w(
            1,
            "----\t------\t-----------------\t------------------\t------\t-------\n",
        );
        for c in conds {
            w.w(
                1,
                &format!(
                    "{} \t{} \t{} \t{} \t{} \t{}\n",
                    s(c, &["type"]),
                    s(c, &["status"]),
                    rfc1123z(s(c, &["lastProbeTime"])),
                    rfc1123z(s(c, &["lastTransitionTime"])),
                    s(c, &["reason"]),
                    s(c, &["message"])
                ),
            );
        }
    }
    if let Some(ev) = &rel.events {
        describe_events(&mut w, ev);
    }
    w.finish()
}

/// `kubectl describe pv`.
pub fn describe_pv(pv: &Value, rel: &Related) -> String {
    let mut w = W::new();
    let spec = pv.get("spec").unwrap_or(&Value::Null);
    w.w(0, &format!("Name:\t{}\n", s(pv, &["metadata", "name"])));
    labels_multiline(&mut w, "Labels", &str_map(pv, &["metadata", "labels"]));
    annotations_multiline(
        &mut w,
        "Annotations",
        &str_map(pv, &["metadata", "annotations"]),
    );
    w.w(0, &format!("Finalizers:\t{}\n", finalizers(pv)));
    let mut class = s(
        pv,
        &[
            "metadata",
            "annotations",
            "volume.beta.kubernetes.io/storage-class",
        ],
    );
    if class.is_empty() {
        class = s(spec, &["storageClassName"]);
    }
    w.w(0, &format!("StorageClass:\t{class}\n"));
    if get(pv, &["metadata", "deletionTimestamp"]).is_some() {
        w.w(
            0,
            &format!(
                "Status:\tTerminating (lasts {})\n",
                age(s(pv, &["metadata", "deletionTimestamp"]))
            ),
        );
    } else {
        w.w(0, &format!("Status:\t{}\n", s(pv, &["status", "phase"])));
    }
    match get(spec, &["claimRef"]) {
        Some(c) => w.w(
            0,
            &format!("Claim:\t{}/{}\n", s(c, &["namespace"]), s(c, &["name"])),
        ),
        None => w.w(0, "Claim:\t\n"),
    }
    w.w(
        0,
        &format!(
            "Reclaim Policy:\t{}\n",
            s(spec, &["persistentVolumeReclaimPolicy"])
        ),
    );
    w.w(
        0,
        &format!(
            "Access Modes:\t{}\n",
            access_modes(arr(spec, &["accessModes"]))
        ),
    );
    if let Some(m) = get(spec, &["volumeMode"]) {
        w.w(0, &format!("VolumeMode:\t{}\n", scalar(m)));
    }
    let cap = s(spec, &["capacity", "storage"]);
    w.w(
        0,
        &format!("Capacity:\t{}\n", if cap.is_empty() { "0" } else { cap }),
    );
    w.w(0, "Node Affinity:\t");
    match get(spec, &["nodeAffinity", "required"]) {
        None => w.raw("<none>\n"),
        Some(req) => {
            w.raw("\n");
            w.w(1, "Required Terms:\t");
            let terms = arr(req, &["nodeSelectorTerms"]);
            if terms.is_empty() {
                w.raw("<none>\n");
            } else {
                w.raw("\n");
                for (n, term) in terms.iter().enumerate() {
                    w.w(2, &format!("Term {n}:\t"));
                    let exprs = arr(term, &["matchExpressions"]);
                    if exprs.is_empty() {
                        w.raw("<none>\n");
                    }
                    for (k, e) in exprs.iter().enumerate() {
                        if k != 0 {
                            w.w(2, "\t");
                        }
                        let values: Vec<String> = arr(e, &["values"]).iter().map(scalar).collect();
                        let mut expr =
                            format!("{} {}", s(e, &["key"]), s(e, &["operator"]).to_lowercase());
                        if !values.is_empty() {
                            expr = format!("{expr} [{}]", values.join(", "));
                        }
                        w.raw(&format!("{expr}\n"));
                    }
                }
            }
        }
    }
    w.w(0, &format!("Message:\t{}\n", s(pv, &["status", "message"])));
    w.w(0, "Source:\n");
    describe_volume_source(&mut w, spec);
    if let Some(ev) = &rel.events {
        describe_events(&mut w, ev);
    }
    w.finish()
}
