//! HorizontalPodAutoscalers: the autoscaling/v2 layout (also for v2beta2) and the v1 one.

use serde_json::Value;

use super::Related;
use super::events::describe_events;
use super::writer::*;

/// `kubectl describe hpa`; `rel.api_version` says which layout the object has.
pub fn describe_hpa(hpa: &Value, rel: &Related) -> String {
    let mut w = W::new();
    w.w(0, &format!("Name:\t{}\n", s(hpa, &["metadata", "name"])));
    w.w(
        0,
        &format!("Namespace:\t{}\n", s(hpa, &["metadata", "namespace"])),
    );
    labels_multiline(&mut w, "Labels", &str_map(hpa, &["metadata", "labels"]));
    annotations_multiline(
        &mut w,
        "Annotations",
        &str_map(hpa, &["metadata", "annotations"]),
    );
    w.w(
        0,
        &format!(
            "CreationTimestamp:\t{}\n",
            rfc1123z(s(hpa, &["metadata", "creationTimestamp"]))
        ),
    );
    let spec = hpa.get("spec").unwrap_or(&Value::Null);
    let status = hpa.get("status").unwrap_or(&Value::Null);
    let kind = s(spec, &["scaleTargetRef", "kind"]);
    w.w(
        0,
        &format!(
            "Reference:\t{kind}/{}\n",
            s(spec, &["scaleTargetRef", "name"])
        ),
    );
    if rel.api_version == "autoscaling/v1" {
        if let Some(t) = get(spec, &["targetCPUUtilizationPercentage"]) {
            w.w(0, &format!("Target CPU utilization:\t{}%\n", scalar(t)));
            let cur = get(status, &["currentCPUUtilizationPercentage"])
                .map(scalar)
                .unwrap_or_else(|| "<unknown>".to_string());
            w.w(0, &format!("Current CPU utilization:\t{cur}%\n"));
        }
    } else {
        w.w(0, "Metrics:\t( current / target )\n");
        let current = arr(status, &["currentMetrics"]);
        for (n, m) in arr(spec, &["metrics"]).iter().enumerate() {
            metric_line(&mut w, m, current.get(n));
        }
    }
    let min = get(spec, &["minReplicas"])
        .map(scalar)
        .unwrap_or_else(|| "<unset>".to_string());
    w.w(0, &format!("Min replicas:\t{min}\n"));
    w.w(
        0,
        &format!("Max replicas:\t{}\n", i(spec, &["maxReplicas"])),
    );
    if rel.api_version != "autoscaling/v1"
        && let Some(beh) = get(spec, &["behavior"])
    {
        w.w(0, "Behavior:\n");
        for (title, key) in [("Scale Up", "scaleUp"), ("Scale Down", "scaleDown")] {
            let Some(rules) = get(beh, &[key]) else {
                continue;
            };
            w.w(1, &format!("{title}:\n"));
            if let Some(win) = get(rules, &["stabilizationWindowSeconds"]) {
                w.w(
                    2,
                    &format!("Stabilization Window: {} seconds\n", scalar(win)),
                );
            }
            let policies = arr(rules, &["policies"]);
            if !policies.is_empty() {
                let select = get(rules, &["selectPolicy"])
                    .map(scalar)
                    .unwrap_or_else(|| "Max".to_string());
                w.w(2, &format!("Select Policy: {select}\n"));
                w.w(2, "Policies:\n");
                for p in policies {
                    w.w(
                        3,
                        &format!(
                            "- Type: {}\tValue: {}\tPeriod: {} seconds\n",
                            s(p, &["type"]),
                            i(p, &["value"]),
                            i(p, &["periodSeconds"])
                        ),
                    );
                }
            }
        }
    }
    w.w(0, &format!("{kind} pods:\t"));
    w.raw(&format!(
        "{} current / {} desired\n",
        i(status, &["currentReplicas"]),
        i(status, &["desiredReplicas"])
    ));
    if rel.api_version != "autoscaling/v1" {
        let conds = arr(status, &["conditions"]);
        if !conds.is_empty() {
            w.w(0, "Conditions:\n");
            w.w(1, "Type\tStatus\tReason\tMessage\n");
            w.w(1, "----\t------\t------\t-------\n");
            for c in conds {
                w.w(
                    1,
                    &format!(
                        "{}\t{}\t{}\t{}\n",
                        s(c, &["type"]),
                        s(c, &["status"]),
                        s(c, &["reason"]),
                        s(c, &["message"])
                    ),
                );
            }
        }
    }
    if let Some(ev) = &rel.events {
        describe_events(&mut w, ev);
    }
    w.finish()
}

fn quantity_or_unknown(v: Option<&Value>) -> String {
    v.map(scalar).unwrap_or_else(|| "<unknown>".to_string())
}

fn metric_line(w: &mut W, m: &Value, cur: Option<&Value>) {
    let cur = cur.unwrap_or(&Value::Null);
    match s(m, &["type"]) {
        "External" => {
            let name = s(m, &["external", "metric", "name"]);
            if let Some(avg) = get(m, &["external", "target", "averageValue"]) {
                let c = quantity_or_unknown(get(cur, &["external", "current", "averageValue"]));
                w.w(
                    1,
                    &format!("{name:?} (target average value):\t{c} / {}\n", scalar(avg)),
                );
            } else {
                let c = quantity_or_unknown(get(cur, &["external", "current", "value"]));
                w.w(
                    1,
                    &format!(
                        "{name:?} (target value):\t{c} / {}\n",
                        quantity_or_unknown(get(m, &["external", "target", "value"]))
                    ),
                );
            }
        }
        "Pods" => {
            let c = quantity_or_unknown(get(cur, &["pods", "current", "averageValue"]));
            w.w(
                1,
                &format!(
                    "{:?} on pods:\t{c} / {}\n",
                    s(m, &["pods", "metric", "name"]),
                    quantity_or_unknown(get(m, &["pods", "target", "averageValue"]))
                ),
            );
        }
        "Object" => {
            w.w(
                1,
                &format!(
                    "\"{}\" on {}/{} ",
                    s(m, &["object", "metric", "name"]),
                    s(m, &["object", "describedObject", "kind"]),
                    s(m, &["object", "describedObject", "name"])
                ),
            );
            if s(m, &["object", "target", "type"]) == "AverageValue" {
                let c = quantity_or_unknown(get(cur, &["object", "current", "averageValue"]));
                w.raw(&format!(
                    "(target average value):\t{c} / {}\n",
                    quantity_or_unknown(get(m, &["object", "target", "averageValue"]))
                ));
            } else {
                let c = quantity_or_unknown(get(cur, &["object", "current", "value"]));
                w.raw(&format!(
                    "(target value):\t{c} / {}\n",
                    quantity_or_unknown(get(m, &["object", "target", "value"]))
                ));
            }
        }
        t @ ("Resource" | "ContainerResource") => {
            let key = if t == "Resource" {
                "resource"
            } else {
                "containerResource"
            };
            let name = s(m, &[key, "name"]);
            if t == "Resource" {
                w.w(1, &format!("resource {name} on pods"));
            } else {
                w.w(
                    1,
                    &format!(
                        "resource {name} of container \"{}\" on pods",
                        s(m, &[key, "container"])
                    ),
                );
            }
            if let Some(avg) = get(m, &[key, "target", "averageValue"]) {
                let c = quantity_or_unknown(get(cur, &[key, "current", "averageValue"]));
                w.raw(&format!(":\t{c} / {}\n", scalar(avg)));
            } else {
                let c = match get(cur, &[key, "current", "averageUtilization"]) {
                    Some(u) => format!(
                        "{}% ({})",
                        scalar(u),
                        quantity_or_unknown(get(cur, &[key, "current", "averageValue"]))
                    ),
                    None => "<unknown>".to_string(),
                };
                let target = get(m, &[key, "target", "averageUtilization"])
                    .map(|u| format!("{}%", scalar(u)))
                    .unwrap_or_else(|| "<auto>".to_string());
                w.w(
                    1,
                    &format!("(as a percentage of request):\t{c} / {target}\n"),
                );
            }
        }
        other => w.w(1, &format!("<unknown metric type {other:?}>\n")),
    }
}
