//! Ingresses pointing at a missing Service, a missing service port, or a missing class.

use serde_json::Value;

use super::util::{arr, int, meta_name, meta_namespace, ns_flag, s, sp};
use super::{ClusterView, Finding, ObjectRef, Severity};

/// Backends of an Ingress (networking.k8s.io/v1 or v1beta1): `(service, port)`.
fn backends(ing: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut push = |b: &Value| {
        let name = if let Some(svc) = b.get("service") {
            s(svc, "name").to_string()
        } else {
            s(b, "serviceName").to_string()
        };
        let port = b
            .pointer("/service/port/number")
            .or_else(|| b.pointer("/service/port/name"))
            .or_else(|| b.get("servicePort"))
            .map(|p| {
                p.as_i64()
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| p.as_str().unwrap_or("").to_string())
            })
            .unwrap_or_default();
        if !name.is_empty() {
            out.push((name, port));
        }
    };
    for ptr in ["/spec/defaultBackend", "/spec/backend"] {
        if let Some(b) = ing.pointer(ptr) {
            push(b);
        }
    }
    for rule in arr(ing, "/spec/rules") {
        for path in arr(rule, "/http/paths") {
            if let Some(b) = path.get("backend") {
                push(b);
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

pub fn analyze(view: &ClusterView) -> Vec<Finding> {
    let mut out = Vec::new();
    for ing in view.all("Ingress") {
        let ns = meta_namespace(ing).unwrap_or("");
        let name = meta_name(ing);
        let base = |sev, rank, title: String| Finding {
            analyzer: "ingress".into(),
            severity: sev,
            object: ObjectRef::new("Ingress", Some(ns), name),
            title,
            explanation: String::new(),
            evidence: Vec::new(),
            remediation: String::new(),
            checks: vec![format!("describe ingress {name}{}", ns_flag(ns))],
            related: Vec::new(),
            rank,
        };
        if view.is_listed("Service", Some(ns)) {
            for (svc, port) in backends(ing) {
                match view.get("Service", ns, &svc) {
                    None => {
                        let mut f = base(
                            Severity::Critical,
                            5,
                            format!("backend Service {svc} does not exist"),
                        );
                        f.explanation = "Requests routed to this backend get an error from the ingress controller (503/404) because the Service is missing.".into();
                        f.evidence
                            .push(format!("backend: service {svc} port {port}"));
                        let others: Vec<&str> =
                            view.in_namespace("Service", ns).map(meta_name).collect();
                        f.evidence.push(format!(
                            "services in namespace {ns}: {}",
                            if others.is_empty() {
                                "none".into()
                            } else {
                                others.join(", ")
                            }
                        ));
                        f.remediation = format!(
                            "Point the Ingress backend at an existing Service, or create Service {svc} in namespace {ns}."
                        );
                        f.related.push(ObjectRef::new("Service", Some(ns), &svc));
                        f.checks.push(format!("get services{}", ns_flag(ns)));
                        out.push(f);
                    }
                    Some(obj) if !port.is_empty() => {
                        let ports = arr(obj, "/spec/ports");
                        let ok = ports.iter().any(|p| {
                            int(p, "/port").map(|n| n.to_string()).as_deref() == Some(port.as_str())
                                || s(p, "name") == port
                        });
                        if !ok {
                            let mut f = base(
                                Severity::Warning,
                                8,
                                format!("backend Service {svc} has no port {port}"),
                            );
                            f.explanation =
                                "The Ingress routes to a Service port that does not exist.".into();
                            let have: Vec<String> = ports
                                .iter()
                                .map(|p| {
                                    format!(
                                        "{}{}",
                                        int(p, "/port").unwrap_or(0),
                                        if s(p, "name").is_empty() {
                                            String::new()
                                        } else {
                                            format!(" ({})", s(p, "name"))
                                        }
                                    )
                                })
                                .collect();
                            f.evidence.push(format!(
                                "backend: service {svc} port {port}; service ports: {}",
                                have.join(", ")
                            ));
                            f.remediation =
                                format!("Use one of Service {svc}'s ports in the Ingress backend.");
                            f.related.push(ObjectRef::new("Service", Some(ns), &svc));
                            out.push(f);
                        }
                    }
                    _ => {}
                }
            }
        }
        if view.is_listed("IngressClass", None) {
            let class = sp(ing, "/spec/ingressClassName");
            let annotated =
                !sp(ing, "/metadata/annotations/kubernetes.io~1ingress.class").is_empty();
            if !class.is_empty() && view.get("IngressClass", "", class).is_none() {
                let mut f = base(
                    Severity::Warning,
                    9,
                    format!("IngressClass {class} does not exist"),
                );
                f.explanation =
                    "No ingress controller claims this Ingress, so it is never served.".into();
                let classes: Vec<&str> = view.all("IngressClass").map(meta_name).collect();
                f.evidence.push(format!(
                    "ingressClassName: {class}; classes: {}",
                    if classes.is_empty() {
                        "none".into()
                    } else {
                        classes.join(", ")
                    }
                ));
                f.remediation = "Set ingressClassName to an installed IngressClass.".into();
                f.checks.push("get ingressclass".into());
                out.push(f);
            } else if class.is_empty() && !annotated {
                let default = view.all("IngressClass").any(|c| {
                    sp(
                        c,
                        "/metadata/annotations/ingressclass.kubernetes.io~1is-default-class",
                    ) == "true"
                });
                if !default {
                    let mut f = base(
                        Severity::Warning,
                        9,
                        "no ingress class and no default IngressClass".into(),
                    );
                    f.explanation = "Without a class and without a default class, no controller serves this Ingress.".into();
                    f.evidence.push(
                        "spec.ingressClassName is empty and no IngressClass is marked default"
                            .into(),
                    );
                    f.remediation =
                        "Set spec.ingressClassName, or mark an IngressClass as the default.".into();
                    f.checks.push("get ingressclass".into());
                    out.push(f);
                }
            }
        }
    }
    out
}
