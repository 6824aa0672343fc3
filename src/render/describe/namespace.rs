//! Namespaces with their quotas and limit ranges; ResourceQuota and LimitRange objects.

use serde_json::Value;

use super::Related;
use super::writer::*;

/// `kubectl describe namespace`.
pub fn describe_namespace(ns: &Value, rel: &Related) -> String {
    let mut w = W::new();
    w.w(0, &format!("Name:\t{}\n", s(ns, &["metadata", "name"])));
    labels_multiline(&mut w, "Labels", &str_map(ns, &["metadata", "labels"]));
    annotations_multiline(
        &mut w,
        "Annotations",
        &str_map(ns, &["metadata", "annotations"]),
    );
    w.w(0, &format!("Status:\t{}\n", s(ns, &["status", "phase"])));
    let conds = arr(ns, &["status", "conditions"]);
    if !conds.is_empty() {
        w.w(0, "Conditions:\n");
        w.w(1, "Type\tStatus\tLastTransitionTime\tReason\tMessage\n");
        w.w(1, "----\t------\t------------------\t------\t-------\n");
        for c in conds {
            w.w(
                1,
                &format!(
                    "{}\t{}\t{}\t{}\t{}\n",
                    s(c, &["type"]),
                    s(c, &["status"]),
                    rfc1123z(s(c, &["lastTransitionTime"])),
                    s(c, &["reason"]),
                    s(c, &["message"])
                ),
            );
        }
    }
    if let Some(quotas) = &rel.quotas {
        w.w(0, "\n");
        if quotas.is_empty() {
            w.w(0, "No resource quota.\n");
        } else {
            let mut list: Vec<&Value> = quotas.iter().collect();
            list.sort_by(|a, b| s(a, &["metadata", "name"]).cmp(s(b, &["metadata", "name"])));
            w.w(0, "Resource Quotas\n");
            for q in list {
                w.w(1, &format!("Name:\t{}\n", s(q, &["metadata", "name"])));
                scopes(&mut w, q, 1, "* ");
                w.w(1, "Resource\tUsed\tHard\n");
                w.w(1, "--------\t---\t---\n");
                for (res, hard) in str_map(q, &["status", "hard"]) {
                    let used = used_of(q, &res);
                    w.w(1, &format!("{res}\t{used}\t{hard}\n"));
                }
            }
        }
    }
    if let Some(limits) = &rel.limit_ranges {
        w.w(0, "\n");
        if limits.is_empty() {
            w.w(0, "No LimitRange resource.\n");
        } else {
            w.w(0, "Resource Limits\n Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio\n");
            w.w(0, " ----\t--------\t---\t---\t---------------\t-------------\t-----------------------\n");
            for lr in limits {
                limit_range_rows(&mut w, lr, " ");
            }
        }
    }
    w.finish()
}

fn used_of(q: &Value, res: &str) -> String {
    get(q, &["status", "used", res])
        .map(scalar)
        .unwrap_or_else(|| "0".to_string())
}

fn scopes(w: &mut W, q: &Value, level: usize, bullet: &str) {
    let mut list: Vec<String> = arr(q, &["spec", "scopes"]).iter().map(scalar).collect();
    if list.is_empty() {
        return;
    }
    list.sort();
    w.w(level, &format!("Scopes:\t{}\n", list.join(", ")));
    for scope in &list {
        let help = match scope.as_str() {
            "Terminating" => {
                "Matches all pods that have an active deadline. These pods have a limited lifespan on a node before being actively terminated by the system."
            }
            "NotTerminating" => {
                "Matches all pods that do not have an active deadline. These pods usually include long running pods whose container command is not expected to terminate."
            }
            "BestEffort" => {
                "Matches all pods that do not have resource requirements set. These pods have a best effort quality of service."
            }
            "NotBestEffort" => {
                "Matches all pods that have at least one resource requirement set. These pods have a burstable or guaranteed quality of service."
            }
            _ => "",
        };
        if !help.is_empty() {
            w.w(level, &format!("{bullet}{help}\n"));
        }
    }
}

fn limit_range_rows(w: &mut W, lr: &Value, prefix: &str) {
    for item in arr(lr, &["spec", "limits"]) {
        let keys = [
            "max",
            "min",
            "default",
            "defaultRequest",
            "maxLimitRequestRatio",
        ];
        let mut names: Vec<String> = keys
            .iter()
            .flat_map(|k| str_map(item, &[k]).into_iter().map(|(n, _)| n))
            .collect();
        names.sort();
        names.dedup();
        for n in names {
            let val = |k: &str| {
                get(item, &[k, n.as_str()])
                    .map(scalar)
                    .unwrap_or_else(|| "-".to_string())
            };
            w.w(
                0,
                &format!(
                    "{prefix}{}\t{n}\t{}\t{}\t{}\t{}\t{}\n",
                    s(item, &["type"]),
                    val("min"),
                    val("max"),
                    val("defaultRequest"),
                    val("default"),
                    val("maxLimitRequestRatio")
                ),
            );
        }
    }
}

/// `kubectl describe resourcequota`.
pub fn describe_quota(q: &Value) -> String {
    let mut w = W::new();
    w.w(0, &format!("Name:\t{}\n", s(q, &["metadata", "name"])));
    w.w(
        0,
        &format!("Namespace:\t{}\n", s(q, &["metadata", "namespace"])),
    );
    scopes(&mut w, q, 0, " * ");
    w.w(0, "Resource\tUsed\tHard\n");
    w.w(0, "--------\t----\t----\n");
    for (res, hard) in str_map(q, &["status", "hard"]) {
        w.w(0, &format!("{res}\t{}\t{hard}\n", used_of(q, &res)));
    }
    w.finish()
}

/// `kubectl describe limitrange`.
pub fn describe_limit_range(lr: &Value) -> String {
    let mut w = W::new();
    w.w(0, &format!("Name:\t{}\n", s(lr, &["metadata", "name"])));
    w.w(
        0,
        &format!("Namespace:\t{}\n", s(lr, &["metadata", "namespace"])),
    );
    w.w(
        0,
        "Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio\n",
    );
    w.w(
        0,
        "----\t--------\t---\t---\t---------------\t-------------\t-----------------------\n",
    );
    limit_range_rows(&mut w, lr, "");
    w.finish()
}
