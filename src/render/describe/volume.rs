//! Volume sources as describe prints them: a pod's (or pod template's) volumes, and the
//! source of a PersistentVolume.

use serde_json::Value;

use super::claim::print_pvc;
use super::quantity::Quantity;
use super::writer::*;

/// `describeVolumes`.
pub fn describe_volumes(w: &mut W, volumes: &[Value], space: &str) {
    if volumes.is_empty() {
        w.w(0, &format!("{space}Volumes:\t<none>\n"));
        return;
    }
    w.w(0, &format!("{space}Volumes:\n"));
    for v in volumes {
        let name_indent = if space.is_empty() { "" } else { " " };
        w.w(1, &format!("{name_indent}{}:\n", s(v, &["name"])));
        describe_volume_source(w, v);
    }
}

/// The `Type:` block of one volume source (pod volumes and persistent volumes).
pub fn describe_volume_source(w: &mut W, v: &Value) {
    if let Some(h) = get(v, &["hostPath"]) {
        let t = s(h, &["type"]);
        let t = if get(h, &["type"]).is_none() {
            "<none>"
        } else {
            t
        };
        w.w(
            2,
            &format!(
                "Type:\tHostPath (bare host directory volume)\n    Path:\t{}\n    HostPathType:\t{t}\n",
                s(h, &["path"])
            ),
        );
    } else if let Some(e) = get(v, &["emptyDir"]) {
        let limit = get(e, &["sizeLimit"])
            .map(scalar)
            .filter(|l| Quantity::parse(l).is_some_and(|q| q.nanos > 0))
            .unwrap_or_else(|| "<unset>".to_string());
        w.w(
            2,
            &format!(
                "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t{}\n    SizeLimit:\t{limit}\n",
                s(e, &["medium"])
            ),
        );
    } else if let Some(sec) = get(v, &["secret"]) {
        w.w(
            2,
            &format!(
                "Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t{}\n    Optional:\t{}\n",
                s(sec, &["secretName"]),
                b(sec, &["optional"])
            ),
        );
    } else if let Some(cm) = get(v, &["configMap"]) {
        w.w(
            2,
            &format!(
                "Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t{}\n    Optional:\t{}\n",
                s(cm, &["name"]),
                b(cm, &["optional"])
            ),
        );
    } else if let Some(nfs) = get(v, &["nfs"]) {
        w.w(
            2,
            &format!(
                "Type:\tNFS (an NFS mount that lasts the lifetime of a pod)\n    Server:\t{}\n    Path:\t{}\n    ReadOnly:\t{}\n",
                s(nfs, &["server"]),
                s(nfs, &["path"]),
                b(nfs, &["readOnly"])
            ),
        );
    } else if let Some(c) = get(v, &["persistentVolumeClaim"]) {
        w.w(
            2,
            &format!(
                "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n    ClaimName:\t{}\n    ReadOnly:\t{}\n",
                s(c, &["claimName"]),
                b(c, &["readOnly"])
            ),
        );
    } else if let Some(e) = get(v, &["ephemeral"]) {
        w.w(
            2,
            "Type:\tEphemeralVolume (an inline specification for a volume that gets created and deleted with the pod)\n",
        );
        if let Some(t) = get(e, &["volumeClaimTemplate"]) {
            let mut inner = W::new();
            print_pvc(&mut inner, t, false);
            for line in inner.raw_text().lines() {
                w.w(2, &format!("{line}\n"));
            }
        }
    } else if let Some(d) = get(v, &["downwardAPI"]) {
        w.w(
            2,
            "Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n",
        );
        for item in arr(d, &["items"]) {
            if let Some(f) = get(item, &["fieldRef"]) {
                w.w(
                    3,
                    &format!("{} -> {}\n", s(f, &["fieldPath"]), s(item, &["path"])),
                );
            }
            if let Some(r) = get(item, &["resourceFieldRef"]) {
                w.w(
                    3,
                    &format!("{} -> {}\n", s(r, &["resource"]), s(item, &["path"])),
                );
            }
        }
    } else if let Some(p) = get(v, &["projected"]) {
        w.w(
            2,
            "Type:\tProjected (a volume that contains injected data from multiple sources)\n",
        );
        for src in arr(p, &["sources"]) {
            if let Some(sec) = get(src, &["secret"]) {
                w.w(
                    2,
                    &format!(
                        "SecretName:\t{}\n    Optional:\t{}\n",
                        s(sec, &["name"]),
                        b(sec, &["optional"])
                    ),
                );
            } else if get(src, &["downwardAPI"]).is_some() {
                w.w(2, "DownwardAPI:\ttrue\n");
            } else if let Some(cm) = get(src, &["configMap"]) {
                w.w(
                    2,
                    &format!(
                        "ConfigMapName:\t{}\n    Optional:\t{}\n",
                        s(cm, &["name"]),
                        b(cm, &["optional"])
                    ),
                );
            } else if let Some(t) = get(src, &["serviceAccountToken"]) {
                w.w(
                    2,
                    &format!(
                        "TokenExpirationSeconds:\t{}\n",
                        i(t, &["expirationSeconds"])
                    ),
                );
            }
        }
    } else if let Some(c) = get(v, &["csi"]) {
        w.w(
            2,
            &format!(
                "Type:\tCSI (a Container Storage Interface (CSI) volume source)\n    Driver:\t{}\n    FSType:\t{}\n    ReadOnly:\t{}\n",
                s(c, &["driver"]),
                s(c, &["fsType"]),
                b(c, &["readOnly"])
            ),
        );
        let attrs = str_map(c, &["volumeAttributes"]);
        labels_multiline_indent(w, "    ", "VolumeAttributes", "\t", &attrs);
    } else if let Some(l) = get(v, &["local"]) {
        w.w(
            2,
            &format!(
                "Type:\tLocalVolume (a persistent volume backed by local storage on a node)\n    Path:\t{}\n",
                s(l, &["path"])
            ),
        );
    } else {
        // Less common sources: name the source kind and show its fields generically.
        let known = ["name", "hostPath", "emptyDir", "secret", "configMap"];
        let other = v
            .as_object()
            .and_then(|m| m.iter().find(|(k, _)| !known.contains(&k.as_str())));
        match other {
            Some((kind, body)) if body.is_object() => {
                w.w(2, &format!("Type:\t{kind}\n"));
                for (k, val) in body.as_object().into_iter().flatten() {
                    if !val.is_object() && !val.is_array() {
                        w.w(2, &format!("{k}:\t{}\n", scalar(val)));
                    }
                }
            }
            _ => w.w(1, "<unknown>\n"),
        }
    }
}
