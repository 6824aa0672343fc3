//! The PersistentVolumeClaim block (`printPersistentVolumeClaim`): a claim's describe, and the
//! claim template of an ephemeral volume.

use serde_json::Value;

use super::writer::*;

/// `GetPersistentVolumeClaimClass`: the spec field, else the beta annotation.
pub fn claim_class(pvc: &Value) -> String {
    let ann = s(
        pvc,
        &[
            "metadata",
            "annotations",
            "volume.beta.kubernetes.io/storage-class",
        ],
    );
    if !ann.is_empty() {
        return ann.to_string();
    }
    s(pvc, &["spec", "storageClassName"]).to_string()
}

/// `GetAccessModesAsString`: `RWO,ROX,RWX,RWOP` in that order.
pub fn access_modes(modes: &[Value]) -> String {
    let modes: Vec<String> = modes.iter().map(scalar).collect();
    let mut out = Vec::new();
    for (full, short) in [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ] {
        if modes.iter().any(|m| m == full) {
            out.push(short);
        }
    }
    out.join(",")
}

pub fn finalizers(obj: &Value) -> String {
    let list: Vec<String> = arr(obj, &["metadata", "finalizers"])
        .iter()
        .map(scalar)
        .collect();
    format!("[{}]", list.join(" "))
}

/// `printPersistentVolumeClaim` (also used for ephemeral volume claim templates).
pub fn print_pvc(w: &mut W, pvc: &Value, full: bool) {
    if full {
        w.w(0, &format!("Name:\t{}\n", s(pvc, &["metadata", "name"])));
        w.w(
            0,
            &format!("Namespace:\t{}\n", s(pvc, &["metadata", "namespace"])),
        );
    }
    w.w(0, &format!("StorageClass:\t{}\n", claim_class(pvc)));
    if full {
        if get(pvc, &["metadata", "deletionTimestamp"]).is_some() {
            w.w(
                0,
                &format!(
                    "Status:\tTerminating (lasts {})\n",
                    age(s(pvc, &["metadata", "deletionTimestamp"]))
                ),
            );
        } else {
            w.w(0, &format!("Status:\t{}\n", s(pvc, &["status", "phase"])));
        }
    }
    let volume = s(pvc, &["spec", "volumeName"]);
    w.w(0, &format!("Volume:\t{volume}\n"));
    labels_multiline(w, "Labels", &str_map(pvc, &["metadata", "labels"]));
    annotations_multiline(
        w,
        "Annotations",
        &str_map(pvc, &["metadata", "annotations"]),
    );
    if full {
        w.w(0, &format!("Finalizers:\t{}\n", finalizers(pvc)));
    }
    let (capacity, modes) = if volume.is_empty() {
        (String::new(), String::new())
    } else {
        (
            s(pvc, &["status", "capacity", "storage"]).to_string(),
            access_modes(arr(pvc, &["status", "accessModes"])),
        )
    };
    w.w(0, &format!("Capacity:\t{capacity}\n"));
    w.w(0, &format!("Access Modes:\t{modes}\n"));
    if let Some(m) = get(pvc, &["spec", "volumeMode"]) {
        w.w(0, &format!("VolumeMode:\t{}\n", scalar(m)));
    }
    if let Some(ds) = get(pvc, &["spec", "dataSource"]) {
        w.w(0, "DataSource:\n");
        if let Some(g) = get(ds, &["apiGroup"]) {
            w.w(1, &format!("APIGroup:\t{}\n", scalar(g)));
        }
        w.w(1, &format!("Kind:\t{}\n", s(ds, &["kind"])));
        w.w(1, &format!("Name:\t{}\n", s(ds, &["name"])));
    }
}
