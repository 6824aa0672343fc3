//! What a decisive log line names, followed to the object that explains it: a host (the
//! Service, its endpoints, the pods behind them), a failed lookup (the Service, CoreDNS,
//! egress policies), a file (the volume mounted there and the keys its ConfigMap or Secret
//! holds), an environment variable (where the spec takes it from), an API refusal (the
//! ServiceAccount and its RoleBindings), rejected credentials (where they come from).

use serde_json::Value;

use super::address::port_words;
use super::{Have, Walk, address, calls_of, from_finding, holds, owner_words, parenthesized};
use crate::analyze::logline::Named;
use crate::analyze::network_policy as netpol;
use crate::analyze::util::{
    arr, edit_distance, label_selector_matches, map_selector_matches, meta_name, pod_ready, s, sp,
};
use crate::analyze::{self, ObjectRef};

pub(super) fn follow_named(
    w: &mut Walk<'_>,
    pod: &Value,
    spec: &Value,
    named: &Named,
    line: &str,
    depth: usize,
) {
    let ns = sp(pod, "/metadata/namespace").to_string();
    let who = owner_words(w.obs, pod);
    match named {
        Named::Unreachable { host, port, .. } => {
            if host_chain(w, pod, &ns, host, *port, line, depth, false) {
                super::reach::where_configured(w, pod, spec, &ns, host);
            }
        }
        Named::Unresolved { host } if !host.is_empty() => {
            if host_chain(w, pod, &ns, host, None, line, depth, true) {
                super::reach::where_configured(w, pod, spec, &ns, host);
            }
        }
        Named::Unresolved { .. } => dns_chain(w, pod, &ns, "", line),
        Named::File { path } => file_chain(w, pod, spec, &ns, path, line),
        Named::EnvVar { name } => env_chain(w, pod, spec, &ns, name, line),
        Named::Key { name } => {
            w.cause(
                format!("{who} exits: its configuration has no `{name}` ({line})"),
                format!(
                    "Add `{name}` to the configuration {who} reads (the file or ConfigMap it loads), then restart it."
                ),
            );
        }
        Named::Forbidden {
            user,
            verb,
            resource,
            namespace,
        } => rbac_chain(w, pod, namespace.as_deref(), user, verb, resource),
        Named::AuthFailed { user } => auth_chain(w, pod, spec, &ns, user.as_deref(), line),
        Named::PortInUse { port } => port_in_use_chain(w, pod, spec, &ns, *port, line),
    }
}

/// A port the container cannot listen on: which other container of the pod (they share one
/// network namespace) declares or is configured with it; with hostNetwork, the node's.
fn port_in_use_chain(w: &mut Walk<'_>, pod: &Value, spec: &Value, ns: &str, port: u16, line: &str) {
    let who = owner_words(w.obs, pod);
    let container = s(spec, "name").to_string();
    let pod_calls = calls_of(w.obs, "Pod", ns, meta_name(pod));
    let word = regex::Regex::new(&format!(r"(?:^|[^\d]){port}(?:$|[^\d])")).ok();
    let mentions = |c: &Value| -> bool {
        let declared = arr(c, "/ports")
            .iter()
            .any(|p| p.get("containerPort").and_then(Value::as_u64) == Some(u64::from(port)));
        let configured = arr(c, "/args")
            .iter()
            .chain(arr(c, "/command"))
            .filter_map(Value::as_str)
            .chain(arr(c, "/env").iter().map(|e| s(e, "value")))
            .any(|v| word.as_ref().is_some_and(|r| r.is_match(v)));
        declared || configured
    };
    let holder = arr(pod, "/spec/containers")
        .iter()
        .chain(arr(pod, "/spec/initContainers"))
        .filter(|c| s(c, "name") != container)
        .find(|c| mentions(c))
        .map(|c| s(c, "name").to_string());
    if let Some(o) = holder {
        w.found(
            format!("container {o} of the same pod already listens on port {port} (the containers of a pod share one network namespace)"),
            pod_calls,
            format!("{who}: container {container} cannot listen on port {port} (address already in use): container {o} of the same pod already listens there ({line})"),
            format!("Give container {container} or container {o} another port in {who}: they share the pod's network, so only one of them can bind {port} (change {container}'s listen address for it, or {o}'s port/args)."),
        );
        return;
    }
    if pod.pointer("/spec/hostNetwork").and_then(Value::as_bool) == Some(true) {
        let node = sp(pod, "/spec/nodeName").to_string();
        w.found(
            format!("pod {} uses hostNetwork on node {node}: port {port} is the node's", meta_name(pod)),
            pod_calls,
            format!("{who}: container {container} cannot listen on port {port}: the pod uses hostNetwork and another process or pod on node {node} holds it ({line})"),
            format!("Move {who} to another port, or stop what holds port {port} on node {node} (another hostNetwork pod, a node daemon)."),
        );
        return;
    }
    w.cause(
        format!("{who}: container {container} cannot listen on port {port}, which is already in use inside it ({line}); no other container of the pod declares it"),
        format!("Configure {container} so that only one of its listeners uses port {port}."),
    );
}

/// A host as a Service: `name`, `name.ns`, `name.ns.svc[.cluster.local]`, or a ClusterIP.
fn service_of_host<'v>(
    w: &'v Walk<'_>,
    ns: &str,
    host: &str,
) -> (String, String, Option<&'v Value>) {
    if host.chars().all(|c| c.is_ascii_digit() || c == '.') {
        let svc = w
            .obs
            .view
            .all("Service")
            .find(|s| sp(s, "/spec/clusterIP") == host);
        return match svc {
            Some(s) => (
                meta_name(s).to_string(),
                sp(s, "/metadata/namespace").to_string(),
                Some(s),
            ),
            None => (host.to_string(), ns.to_string(), None),
        };
    }
    let labels: Vec<&str> = host.split('.').collect();
    let name = labels[0].to_string();
    let in_ns = match labels.get(1) {
        Some(n) if *n != "svc" => n.to_string(),
        _ => ns.to_string(),
    };
    let svc = w.obs.view.get("Service", &in_ns, &name);
    (name, in_ns, svc)
}

/// A host followed to what it is: a Service (its ports, endpoints, the pods behind them, the
/// policies between), a pod, a node, the pod's own loopback, or nothing. True when the host
/// names a Service that does not exist (the caller then says where the host is configured).
#[allow(clippy::too_many_arguments)]
fn host_chain(
    w: &mut Walk<'_>,
    pod: &Value,
    ns: &str,
    host: &str,
    port: Option<u16>,
    line: &str,
    depth: usize,
    unresolved: bool,
) -> bool {
    let who = owner_words(w.obs, pod);
    if host == "localhost" || host.starts_with("127.") || host == "::1" {
        super::reach::loopback_chain(w, pod, ns, host, port, line);
        return false;
    }
    let is_ip = host.chars().all(|c| c.is_ascii_digit() || c == '.');
    let external =
        !is_ip && host.contains('.') && !host.contains(".svc") && host.split('.').count() > 2;
    if external {
        if unresolved {
            dns_chain(w, pod, ns, host, line);
        } else {
            w.cause(
                format!("{who} cannot reach {host}{} ({line})", port_words(port)),
                format!("{host} is outside the cluster: check that it is up and reachable from namespace {ns} (egress NetworkPolicies, firewalls)."),
            );
        }
        return false;
    }
    // Services of the namespace the host points at.
    let (name, svc_ns) = {
        let (n, sns, _) = service_of_host(w, ns, host);
        (n, sns)
    };
    let reason = format!("does the Service {host} names exist in namespace {svc_ns}?");
    match w.need_list("services", "Service", &svc_ns, reason) {
        Have::Yes => {}
        _ => {
            w.cause(
                format!(
                    "{who} cannot {} {host}{} ({line})",
                    if unresolved { "resolve" } else { "reach" },
                    port_words(port)
                ),
                format!(
                    "Check the Service {host} refers to and its endpoints in namespace {svc_ns}."
                ),
            );
            return false;
        }
    }
    let (name, svc_ns, svc) = {
        let (n, sns, s) = service_of_host(w, ns, host);
        let _ = (&name, &svc_ns);
        (n, sns, s.cloned())
    };
    let list_calls = w.obs.list_calls("Service", Some(&svc_ns));
    let (name, svc_ns, svc) = match svc {
        Some(s) => (name, svc_ns, s),
        None if is_ip => match address::locate(w, ns, host) {
            address::Owner::Service(s) => (
                meta_name(&s).to_string(),
                sp(&s, "/metadata/namespace").to_string(),
                s,
            ),
            owner => {
                address::follow(w, pod, ns, host, port, line, depth, owner);
                return false;
            }
        },
        None => {
            // A close name in the namespace itself (`mysql` for `mysql-primary`) is the likely
            // meant one: no reason to list every namespace's Services.
            let here: Vec<String> = w
                .obs
                .view
                .in_namespace("Service", &svc_ns)
                .map(|s| meta_name(s).to_string())
                .collect();
            if closest(&name, &here).is_none()
                && !w.obs.view.is_listed("Service", None)
                && matches!(
                    w.need(
                        "get services -A".into(),
                        format!("widening to all namespaces: Service {name} does not exist in namespace {svc_ns}; is it in another namespace, under that name or a close one?"),
                        format!("Service {name} is in another namespace or named differently"),
                    ),
                    Have::Asked
                )
            {
                return false;
            }
            missing_service(w, &who, host, port, &name, &svc_ns, list_calls, unresolved);
            return true;
        }
    };
    w.object(ObjectRef::new("Service", Some(&svc_ns), &name));
    if unresolved {
        // The Service exists, yet the name does not resolve: DNS itself.
        let calls = calls_of(w.obs, "Service", &svc_ns, &name);
        w.link(
            format!("Service {name} exists in namespace {svc_ns}, yet the lookup fails"),
            calls,
        );
        dns_chain(w, pod, ns, host, line);
        return false;
    }
    let port_ok = port.is_none_or(|p| {
        arr(&svc, "/spec/ports")
            .iter()
            .any(|sp| sp.get("port").and_then(Value::as_u64) == Some(u64::from(p)))
            || is_ip
                && arr(&svc, "/spec/ports")
                    .iter()
                    .any(|sp| sp.get("port").and_then(Value::as_u64) == Some(u64::from(p)))
    });
    if !port_ok {
        let ports: Vec<String> = arr(&svc, "/spec/ports")
            .iter()
            .filter_map(|p| p.get("port").and_then(Value::as_u64))
            .map(|p| p.to_string())
            .collect();
        let calls = calls_of(w.obs, "Service", &svc_ns, &name);
        w.found(
            format!(
                "Service {name} in {svc_ns} serves port(s) {}, not {}",
                ports.join(", "),
                port.unwrap_or(0)
            ),
            calls, format!(
                "{who} connects to {name} on port {}, but Service {svc_ns}/{name} serves port(s) {}",
                port.unwrap_or(0),
                ports.join(", ")
            ),
            format!(
                "Use port {} for {name} in {who}'s configuration, or add port {} to Service {svc_ns}/{name}.",
                ports.first().cloned().unwrap_or_default(),
                port.unwrap_or(0)
            ),);
        return false;
    }
    let calls = calls_of(w.obs, "Service", &svc_ns, &name);
    w.link(
        format!("{host} is Service {svc_ns}/{name}{}", port_words(port)),
        calls,
    );
    let before = w.chain.links.len();
    service_backends(w, &svc_ns, &name, depth);
    if w.chain.cause.is_empty() && w.chain.asks.is_empty() && w.chain.links.len() > before {
        super::reach::policy_between(w, pod, &svc, port, line);
    }
    if w.chain.cause.is_empty() && w.chain.asks.is_empty() && w.chain.links.len() == before {
        w.cause(
            format!("{who} cannot reach Service {svc_ns}/{name} ({line})"),
            format!("Check that the pods behind Service {svc_ns}/{name} listen on its targetPort."),
        );
    }
    false
}

/// A host that names no Service in the namespace it points at: the Services there, the
/// closest name, the same name elsewhere.
#[allow(clippy::too_many_arguments)]
fn missing_service(
    w: &mut Walk<'_>,
    who: &str,
    host: &str,
    port: Option<u16>,
    name: &str,
    svc_ns: &str,
    list_calls: Vec<String>,
    unresolved: bool,
) {
    let others: Vec<String> = w
        .obs
        .view
        .in_namespace("Service", svc_ns)
        .map(|s| meta_name(s).to_string())
        .collect();
    let close = closest(name, &others);
    // Elsewhere under that name?
    let mut elsewhere: Vec<String> = w
        .obs
        .view
        .all("Service")
        .filter(|s| meta_name(s) == name && sp(s, "/metadata/namespace") != svc_ns)
        .map(|s| sp(s, "/metadata/namespace").to_string())
        .collect();
    // Of several, the namespace whose name is nearest the one the host names
    // (`payments-db` renamed `payments-data`), then the caller's.
    let near = |ns: &str| {
        let prefix = ns
            .bytes()
            .zip(svc_ns.bytes())
            .take_while(|(a, b)| a == b)
            .count();
        let parts = ns
            .split('-')
            .filter(|p| svc_ns.split('-').any(|q| q == *p))
            .count();
        (parts, prefix)
    };
    elsewhere.sort_by(|a, b| near(b).cmp(&near(a)).then_with(|| a.cmp(b)));
    // Under a close name in another namespace?
    let close_elsewhere: Option<(String, String)> = if close.is_none() && elsewhere.is_empty() {
        let other: Vec<(String, String)> = w
            .obs
            .view
            .all("Service")
            .filter(|s| sp(s, "/metadata/namespace") != svc_ns)
            .map(|s| {
                (
                    meta_name(s).to_string(),
                    sp(s, "/metadata/namespace").to_string(),
                )
            })
            .collect();
        let names: Vec<String> = other.iter().map(|(n, _)| n.clone()).collect();
        closest(name, &names).and_then(|c| other.into_iter().find(|(n, _)| *n == c))
    } else {
        None
    };
    let mut list_calls = list_calls;
    if !elsewhere.is_empty() || close_elsewhere.is_some() {
        list_calls.extend(w.obs.list_calls("Service", None));
    }
    let mut text = format!("Service {name} does not exist in namespace {svc_ns}");
    if others.is_empty() {
        text.push_str(" (it has no Services)");
    } else {
        text.push_str(&format!(" (Services there: {})", others.join(", ")));
    }
    if let Some((c, cns)) = &close_elsewhere {
        text.push_str(&format!(
            "; the closest name in the cluster is Service {c} in namespace {cns}"
        ));
    } else if let Some(other_ns) = elsewhere.first() {
        text.push_str(&format!(
            "; a Service {name} exists in namespace {other_ns}"
        ));
        if elsewhere.len() > 1 {
            text.push_str(&format!(" (also in {})", elsewhere[1..].join(", ")));
        }
    }
    w.link(text, list_calls);
    w.object(ObjectRef::new("Service", Some(svc_ns), name));
    w.chain.decisive = true;
    let fix = match (&close, elsewhere.first()) {
        (None, None) if close_elsewhere.is_some() => {
            let (c, cns) = close_elsewhere.clone().unwrap_or_default();
            format!(
                "If Service {c} in namespace {cns} is the one meant, point {who} at {c}.{cns}.svc.cluster.local{}; otherwise create Service {name} in {svc_ns}.",
                port_words(port)
            )
        }
        (None, Some(other_ns)) => format!(
            "Service {name} is in namespace {other_ns}: point {who} at {name}.{other_ns}.svc.cluster.local{}, or create the Service in {svc_ns}.",
            port_words(port)
        ),
        (Some(c), _) => format!(
            "Point {who} at the existing Service {c} (e.g. {c}.{svc_ns}.svc.cluster.local{}) or create a Service named {name} in {svc_ns}.",
            port_words(port)
        ),
        _ => format!(
            "Create the Service {name} in namespace {svc_ns} (or fix the host {who} is configured with)."
        ),
    };
    let also = match (&close, elsewhere.first(), &close_elsewhere) {
        (Some(c), _, _) => format!("; the closest Service is {c}"),
        (None, Some(other_ns), _) => format!("; Service {name} is in namespace {other_ns}"),
        (None, None, Some((c, cns))) => {
            format!("; the closest Service is {c} in namespace {cns}")
        }
        _ => String::new(),
    };
    let also = match &close {
        Some(c) => format!("; Service {c} exists there"),
        None => also,
    };
    w.cause(
        format!(
            "{who} {} {host}: no Service {name} in namespace {svc_ns}{also}",
            if unresolved {
                "cannot resolve"
            } else {
                "cannot reach"
            }
        ),
        fix,
    );
}

/// The name among `others` closest to `name` (sharing a word, or one containing the other).
/// The pod a selector that matches nothing was meant for: one whose name or a label value
/// contains a selector value, with those labels (`app.kubernetes.io/name=postgresql`).
fn meant_pod(
    w: &Walk<'_>,
    ns: &str,
    selector: &serde_json::Map<String, Value>,
) -> Option<(Value, String)> {
    let values: Vec<String> = selector
        .values()
        .filter_map(Value::as_str)
        .filter(|v| v.len() >= 3)
        .map(str::to_ascii_lowercase)
        .collect();
    w.obs.view.in_namespace("Pod", ns).find_map(|p| {
        let labels = p.pointer("/metadata/labels")?.as_object()?;
        let hits: Vec<String> = labels
            .iter()
            .filter(|(k, _)| {
                !k.ends_with("pod-template-hash") && !k.contains("controller-revision")
            })
            .filter_map(|(k, v)| {
                let v = v.as_str()?;
                let lv = v.to_ascii_lowercase();
                values
                    .iter()
                    .any(|s| lv.contains(s.as_str()))
                    .then(|| format!("{k}={v}"))
            })
            .collect();
        let named = values
            .iter()
            .any(|s| meta_name(p).to_ascii_lowercase().contains(s.as_str()));
        (!hits.is_empty() || named).then(|| {
            let shown = if hits.is_empty() {
                labels
                    .iter()
                    .filter(|(k, _)| !k.ends_with("pod-template-hash"))
                    .take(3)
                    .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                    .collect::<Vec<_>>()
            } else {
                hits
            };
            (p.clone(), shown.join(", "))
        })
    })
}

pub(super) fn closest(name: &str, others: &[String]) -> Option<String> {
    let words: Vec<&str> = name
        .split(['-', '_', '.'])
        .filter(|w| w.len() >= 3)
        .collect();
    others
        .iter()
        .filter(|o| o.as_str() != name)
        .map(|o| {
            // Shared words weigh by their length: `inventory` is closer to `inventory-api`
            // than `api` is.
            // A word one typo away (`leger` for `ledger`) counts almost as much.
            let shared: usize = o
                .split(['-', '_', '.'])
                .map(|x| {
                    if words.contains(&x) {
                        x.len()
                    } else {
                        words
                            .iter()
                            .filter(|y| x.len() >= 4 && y.len() >= 4)
                            .map(|y| (edit_distance(x, y), y.len()))
                            .filter(|(d, l)| *d <= 1 + l / 6)
                            .map(|(d, l)| l.saturating_sub(d + 1))
                            .max()
                            .unwrap_or(0)
                    }
                })
                .sum();
            let contains = o.contains(name) || name.contains(o.as_str());
            let inner = if contains { o.len().min(name.len()) } else { 0 };
            // The whole name one or two typos away.
            let edits = edit_distance(name, o);
            let typo = if edits <= 2 && name.len() >= 5 {
                name.len()
            } else {
                0
            };
            (shared + inner + typo, edits, o)
        })
        .filter(|(score, _, _)| *score > 0)
        // Ties: the fewest edits away, then the first by name.
        .max_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| b.1.cmp(&a.1))
                .then_with(|| b.2.cmp(a.2))
        })
        .map(|(_, _, o)| o.clone())
}

/// A Service's endpoints and the pods behind them: why none is ready.
pub(super) fn service_backends(w: &mut Walk<'_>, ns: &str, name: &str, depth: usize) {
    let Some(svc) = w.obs.view.get("Service", ns, name).cloned() else {
        return;
    };
    let Some(selector) = svc
        .pointer("/spec/selector")
        .and_then(Value::as_object)
        .cloned()
    else {
        let calls = calls_of(w.obs, "Service", ns, name);
        w.link(
            format!("Service {ns}/{name} has no selector (endpoints are managed by hand)"),
            calls,
        );
        return;
    };
    let ep_cmd = format!("get endpoints {name} -n {ns}");
    let have_ep = if w.obs.view.is_listed("Endpoints", Some(ns)) {
        Have::Yes
    } else {
        w.need(
            ep_cmd,
            format!("which pods back Service {name}, and are they ready?"),
            format!("Service {name} has no ready endpoints"),
        )
    };
    if !matches!(have_ep, Have::Yes) {
        return;
    }
    let ep = w.obs.view.get("Endpoints", ns, name);
    let ready = ep
        .map(|e| {
            arr(e, "/subsets")
                .iter()
                .map(|s| arr(s, "/addresses").len())
                .sum::<usize>()
        })
        .unwrap_or(0);
    let ep_calls = calls_of(w.obs, "Endpoints", ns, name);
    if ready > 0 {
        w.link(
            format!("Service {ns}/{name} has {ready} ready endpoint(s)"),
            ep_calls,
        );
        // Ready pods, yet refused: does the Service forward to a port they listen on?
        if !w.listed(
            "pods",
            "Pod",
            ns,
            format!("do the pods behind Service {name} listen on its targetPort?"),
        ) {
            return;
        }
        let port_finding = analyze::analyze(&w.obs.view).into_iter().find(|f| {
            f.analyzer == "service"
                && f.object.kind == "Service"
                && f.object.namespace.as_deref() == Some(ns)
                && f.object.name == name
                && f.severity == analyze::Severity::Critical
        });
        if let Some(f) = port_finding {
            let mut calls = calls_of(w.obs, "Service", ns, name);
            calls.extend(w.obs.list_calls("Pod", Some(ns)));
            let ev = f.evidence.join("; ");
            w.found(
                format!("Service {ns}/{name}: {} ({ev})", f.title),
                calls,
                format!("Service {ns}/{name} {}: {ev}", f.title),
                f.remediation.clone(),
            );
        }
        return;
    }
    // Pods behind the selector.
    if !w.listed(
        "pods",
        "Pod",
        ns,
        format!("the pods Service {name} selects, and why they are not ready"),
    ) {
        return;
    }
    let sel_text = selector
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
        .collect::<Vec<_>>()
        .join(",");
    let pods: Vec<Value> = w
        .obs
        .view
        .in_namespace("Pod", ns)
        .filter(|p| {
            p.pointer("/metadata/labels")
                .is_some_and(|l| map_selector_matches(&selector, l))
        })
        .cloned()
        .collect();
    if pods.is_empty() {
        let mut near: Vec<String> = w
            .obs
            .view
            .in_namespace("Pod", ns)
            .filter_map(|p| {
                let labels = p.pointer("/metadata/labels")?.as_object()?;
                selector.keys().find_map(|k| {
                    labels
                        .get(k)
                        .and_then(Value::as_str)
                        .map(|v| format!("{k}={v}"))
                })
            })
            .collect();
        near.sort();
        near.dedup();
        let pod_calls = w.obs.list_calls("Pod", Some(ns));
        let mut calls = ep_calls;
        calls.extend(pod_calls);
        // No pod carries the selector's keys: the pod it was meant for, by its name or a label
        // value (`app=postgres` and pod billing-db-postgresql-0 labelled
        // app.kubernetes.io/name=postgresql), and the Service that does select it.
        let mut meant = String::new();
        if near.is_empty()
            && let Some((pod, labels)) = meant_pod(w, ns, &selector)
        {
            near.push(labels.clone());
            let other = w
                .obs
                .view
                .in_namespace("Service", ns)
                .filter(|o| meta_name(o) != name)
                .find(|o| {
                    o.pointer("/spec/selector")
                        .and_then(Value::as_object)
                        .filter(|m| !m.is_empty())
                        .zip(pod.pointer("/metadata/labels"))
                        .is_some_and(|(m, l)| map_selector_matches(m, l))
                })
                .map(|o| meta_name(o).to_string());
            meant = format!(
                "; pod {} has labels {labels}{}",
                meta_name(&pod),
                other
                    .map(|o| format!(", and Service {o} selects it"))
                    .unwrap_or_default()
            );
        }
        let have = match (near.is_empty(), meant.is_empty()) {
            (true, _) => String::new(),
            (false, false) => meant,
            (false, true) => format!(" (pods there have {})", near.join(", ")),
        };
        w.found(
            format!("Service {ns}/{name} selects {sel_text}, which matches no pod{have}"),
            calls,
            format!("Service {ns}/{name} has no endpoints: its selector {sel_text} matches no pod{have}"),
            format!(
                "Fix the selector of Service {ns}/{name} (spec.selector {sel_text}) to match the pods' labels{}.",
                near.first().map(|n| format!(", e.g. {n}")).unwrap_or_default()
            ),);
        return;
    }
    let names: Vec<&str> = pods.iter().map(meta_name).collect();
    let mut calls = ep_calls;
    calls.extend(w.obs.list_calls("Pod", Some(ns)));
    w.link(
        format!(
            "Service {ns}/{name} has no ready endpoints: its pod(s) {} are not ready",
            names.join(", ")
        ),
        calls,
    );
    // Why those pods are not ready: their own findings, followed.
    let findings = analyze::analyze(&w.obs.view);
    let under = findings.iter().find(|f| {
        f.object.kind == "Pod"
            && f.object.namespace.as_deref() == Some(ns)
            && names.contains(&f.object.name.as_str())
            && f.analyzer != "service"
    });
    let under = under.or_else(|| {
        // a node under the pods
        findings.iter().find(|f| {
            f.object.kind == "Node"
                && pods
                    .iter()
                    .any(|p| sp(p, "/spec/nodeName") == f.object.name)
        })
    });
    match under {
        Some(f) => {
            w.object(f.object.clone());
            from_finding(w, &f.clone(), depth + 1);
        }
        None => {
            let refs: Vec<Value> = pods.clone();
            if node_under(w, &refs, &format!("Service {ns}/{name}")) {
                return;
            }
            if w.chain.asks.is_empty() {
                w.cause(
                    format!(
                        "Service {ns}/{name} has no ready endpoints: pod(s) {} are not ready",
                        names.join(", ")
                    ),
                    format!("Describe the pods behind Service {ns}/{name} to see why they are not ready."),
                );
            }
        }
    }
}

/// DNS: CoreDNS in kube-system, then egress NetworkPolicies of the pod's namespace.
fn dns_chain(w: &mut Walk<'_>, pod: &Value, ns: &str, host: &str, line: &str) {
    let who = owner_words(w.obs, pod);
    let what = if host.is_empty() {
        "names".to_string()
    } else {
        host.to_string()
    };
    // Egress policies first: they are in scope; CoreDNS is cluster level.
    let have = w.need_list(
        "networkpolicies",
        "NetworkPolicy",
        ns,
        format!("does a NetworkPolicy in {ns} block egress to DNS (port 53)?"),
    );
    if matches!(have, Have::Asked) {
        return;
    }
    if matches!(have, Have::Yes) {
        let applying: Vec<Value> = w
            .obs
            .view
            .in_namespace("NetworkPolicy", ns)
            .filter(|np| {
                let applies = np
                    .pointer("/spec/podSelector")
                    .is_some_and(|sel| label_selector_matches(sel, pod));
                let egress = arr(np, "/spec/policyTypes")
                    .iter()
                    .any(|t| t.as_str() == Some("Egress"))
                    || np.pointer("/spec/egress").is_some();
                applies && egress
            })
            .cloned()
            .collect();
        // A rule opening port 53 to namespaces picked by a label: which labels does the DNS
        // namespace carry? (Cluster level, said so.)
        let dns_ns_name = netpol::DNS_NAMESPACE;
        let rules = || {
            applying
                .iter()
                .flat_map(|np| arr(np, "/spec/egress").iter())
        };
        if rules().any(netpol::needs_dns_namespace)
            && w.obs.view.get("Namespace", "", dns_ns_name).is_none()
        {
            let cmd = format!("get namespace {dns_ns_name}");
            let have = w.need(
                cmd,
                format!("an egress rule in {ns} opens port 53 only to namespaces with certain labels: does {dns_ns_name} (where the cluster DNS runs) carry them?"),
                format!("the namespaceSelector of the DNS rule does not select {dns_ns_name}"),
            );
            if matches!(have, Have::Asked) {
                return;
            }
        }
        let dns_ns = w.obs.view.get("Namespace", "", dns_ns_name).cloned();
        let allows = |np: &Value| {
            arr(np, "/spec/egress")
                .iter()
                .any(|r| netpol::rule_allows_dns(r, ns, dns_ns.as_ref()))
        };
        let any_allows = applying.iter().any(allows);
        if !applying.is_empty() && !any_allows {
            let mut calls = w.obs.list_calls("NetworkPolicy", Some(ns));
            let names: Vec<String> = applying
                .iter()
                .map(|np| meta_name(np).to_string())
                .collect();
            for b in &names {
                w.object(ObjectRef::new("NetworkPolicy", Some(ns), b));
            }
            // The near miss: a rule meant for DNS whose namespaceSelector picks nothing there.
            let missed = applying.iter().find_map(|np| {
                arr(np, "/spec/egress").iter().find_map(|r| {
                    netpol::dns_selector_missed(r, ns, dns_ns.as_ref())
                        .map(|sel| (meta_name(np).to_string(), sel))
                })
            });
            w.chain.decisive = true;
            if let Some((policy, sel)) = missed {
                let labels = dns_ns
                    .as_ref()
                    .and_then(|n| n.pointer("/metadata/labels"))
                    .and_then(Value::as_object)
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default();
                let carries = if labels.is_empty() {
                    format!("namespace {dns_ns_name} carries no such label")
                } else {
                    format!(
                        "namespace {dns_ns_name} carries {} (no {sel})",
                        labels.join(", ")
                    )
                };
                w.link(
                    format!(
                        "NetworkPolicy {} in {ns} restricts egress of {}; {policy} opens port 53 only to namespaces labelled {sel}",
                        names.join(", "),
                        meta_name(pod)
                    ),
                    calls.clone(),
                );
                calls.extend(w.obs.calls_for(&format!("get namespace {dns_ns_name}")));
                w.link(
                    format!("{carries}: the DNS rule of {policy} selects no namespace the cluster DNS runs in"),
                    calls,
                );
                w.cause(
                    format!(
                        "{who} cannot resolve {what}: NetworkPolicy {policy} allows DNS (port 53) only to namespaces labelled {sel}, and {carries}, so egress to the cluster DNS is blocked"
                    ),
                    format!(
                        "Select the DNS namespace by the label every namespace carries: in NetworkPolicy {ns}/{policy}, namespaceSelector matchLabels kubernetes.io/metadata.name: {dns_ns_name} (or label namespace {dns_ns_name} {sel})."
                    ),
                );
                return;
            }
            w.link(
                format!(
                    "NetworkPolicy {} in {ns} restricts egress of {} and allows nothing to port 53 (DNS)",
                    names.join(", "),
                    meta_name(pod)
                ),
                calls,
            );
            w.cause(
                format!(
                    "{who} cannot resolve {what}: NetworkPolicy {} blocks egress to DNS (UDP/TCP 53)",
                    names.join(", ")
                ),
                format!(
                    "Allow DNS egress in NetworkPolicy {ns}/{}: an egress rule to the kube-dns pods in kube-system on UDP and TCP port 53.",
                    names[0]
                ),
            );
            return;
        }
        let calls = w.obs.list_calls("NetworkPolicy", Some(ns));
        w.link(
            format!(
                "no NetworkPolicy in {ns} blocks DNS egress of {}",
                meta_name(pod)
            ),
            calls,
        );
    }
    // CoreDNS: cluster level, said so.
    let cmd = "get pods -n kube-system -l k8s-app=kube-dns".to_string();
    let have = w.need(
        cmd.clone(),
        format!("{what} does not resolve: widening to kube-system to check the cluster DNS (CoreDNS) pods"),
        "CoreDNS is down or not ready".into(),
    );
    if !matches!(have, Have::Yes) {
        return;
    }
    let dns: Vec<&Value> = w
        .obs
        .view
        .in_namespace("Pod", "kube-system")
        .filter(|p| {
            p.pointer("/metadata/labels/k8s-app")
                .and_then(Value::as_str)
                == Some("kube-dns")
        })
        .collect();
    let ready = dns.iter().filter(|p| pod_ready(p)).count();
    let calls = w.obs.calls_for(&cmd);
    if ready == 0 {
        w.found(
            format!("kube-system: {} CoreDNS pod(s), none ready", dns.len()),
            calls, format!("{who} cannot resolve {what}: no CoreDNS pod is ready in kube-system"),
            "Restore cluster DNS: check the coredns Deployment in kube-system (its pods' events and logs).".to_string(),);
        return;
    }
    w.link(
        format!("kube-system: {ready}/{} CoreDNS pods ready", dns.len()),
        calls,
    );
    w.cause(
        format!("{who} cannot resolve {what} ({line}); CoreDNS is ready and no NetworkPolicy in {ns} blocks DNS"),
        format!("Check the name {who} uses ({what}) and the pod's /etc/resolv.conf (dnsPolicy, dnsConfig)."),
    );
}

/// A file the container cannot find: the volume mounted there, its ConfigMap/Secret's keys.
fn file_chain(w: &mut Walk<'_>, pod: &Value, spec: &Value, ns: &str, path: &str, line: &str) {
    let who = owner_words(w.obs, pod);
    let mount = arr(spec, "/volumeMounts")
        .iter()
        .filter(|m| {
            let mp = s(m, "mountPath").trim_end_matches('/');
            !mp.is_empty() && (path == mp || path.starts_with(&format!("{mp}/")))
        })
        .max_by_key(|m| s(m, "mountPath").len())
        .cloned();
    let pod_calls = calls_of(w.obs, "Pod", ns, meta_name(pod));
    let Some(mount) = mount else {
        let dir = path.rsplit_once('/').map(|(d, _)| d).unwrap_or(path);
        w.found(
            format!(
                "no volume is mounted at {dir} in container {}",
                s(spec, "name")
            ),
            pod_calls, format!("{who} exits: {path} does not exist in the container and no volume is mounted at {dir}"),
            format!("Mount the ConfigMap or Secret that holds {path} at {dir} in {who} (volumes + volumeMounts), or point the application at the right path."),);
        return;
    };
    let mount_path = s(&mount, "mountPath").trim_end_matches('/').to_string();
    let vol_name = s(&mount, "name").to_string();
    let vol = arr(pod, "/spec/volumes")
        .iter()
        .find(|v| s(v, "name") == vol_name)
        .cloned()
        .unwrap_or(Value::Null);
    let rel = path
        .strip_prefix(&format!("{mount_path}/"))
        .unwrap_or("")
        .to_string();
    let sub_path = s(&mount, "subPath").to_string();
    let (kind, resource, obj_name) =
        if let Some(n) = vol.pointer("/configMap/name").and_then(Value::as_str) {
            ("ConfigMap", "configmaps", n.to_string())
        } else if let Some(n) = vol.pointer("/secret/secretName").and_then(Value::as_str) {
            ("Secret", "secrets", n.to_string())
        } else {
            w.link(
                format!("{mount_path} is volume {vol_name}, which holds no {rel}"),
                pod_calls,
            );
            w.cause(
            format!(
                "{who} exits: {path} is missing from volume {vol_name} mounted at {mount_path}"
            ),
            format!(
                "Put {rel} into volume {vol_name}, or point the application at a file that exists."
            ),
        );
            return;
        };
    w.link(
        format!("{mount_path} is {kind} {obj_name} (volume {vol_name})"),
        pod_calls,
    );
    if !w.listed(
        resource,
        kind,
        ns,
        format!("which keys {kind} {obj_name} actually holds"),
    ) {
        return;
    }
    let calls = calls_of(w.obs, kind, ns, &obj_name);
    let Some(obj) = w.obs.view.get(kind, ns, &obj_name).cloned() else {
        w.found(
            format!("{kind} {obj_name} does not exist in {ns}"),
            calls,
            format!("{who} exits: {kind} {ns}/{obj_name}, mounted at {mount_path}, does not exist"),
            format!(
                "Create {kind} {obj_name} in {ns} with key {}, or fix the volume's name in {who}.",
                if rel.is_empty() {
                    "…".into()
                } else {
                    rel.clone()
                }
            ),
        );
        return;
    };
    w.object(ObjectRef::new(kind, Some(ns), &obj_name));
    let keys = keys_of(&obj);
    // Items map keys to paths.
    let items = vol
        .pointer(if kind == "ConfigMap" {
            "/configMap/items"
        } else {
            "/secret/items"
        })
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let wanted = if !sub_path.is_empty() {
        sub_path.clone()
    } else {
        items
            .iter()
            .find(|i| s(i, "path") == rel)
            .map(|i| s(i, "key").to_string())
            .unwrap_or_else(|| rel.clone())
    };
    let top = wanted.split('/').next().unwrap_or(&wanted).to_string();
    // `items` project the listed keys only, each at its own path: a path no item names is not
    // in the volume, whatever keys the object holds.
    if sub_path.is_empty() && !items.is_empty() && !items.iter().any(|i| s(i, "path") == rel) {
        let mapping: Vec<String> = items
            .iter()
            .map(|i| format!("{} → {mount_path}/{}", s(i, "key"), s(i, "path")))
            .collect();
        let renamed = items
            .iter()
            .find(|i| s(i, "key") == rel)
            .map(|i| s(i, "path").to_string());
        let vol_field = if kind == "ConfigMap" {
            "configMap.items"
        } else {
            "secret.items"
        };
        w.found(
            format!(
                "volume {vol_name} projects only the items of {kind} {obj_name} it lists ({}): nothing is projected at {path}",
                mapping.join(", ")
            ),
            calls,
            match &renamed {
                Some(p) => format!(
                    "{who} cannot read {path}: volume {vol_name} projects key {rel} of {kind} {ns}/{obj_name} as {mount_path}/{p}, so {path} does not exist ({line})"
                ),
                None => format!(
                    "{who} cannot read {path}: volume {vol_name} projects only {} of {kind} {ns}/{obj_name}, so {path} does not exist ({line})",
                    mapping.join(", ")
                ),
            },
            match &renamed {
                Some(p) => format!(
                    "Make the path and the projection agree: set the item's path to {rel} in volume {vol_name} ({vol_field} of {who}), or point the application at {mount_path}/{p}."
                ),
                None => format!(
                    "Add an item for {rel} to volume {vol_name} ({vol_field} of {who}), or point the application at a projected path."
                ),
            },
        );
        return;
    }
    if keys.contains(&top) {
        w.link(format!("{kind} {obj_name} has key {top}"), calls);
        w.cause(
            format!("{who} exits reading {path} ({line}); {kind} {obj_name} holds that key"),
            format!(
                "Check the content of key {top} in {kind} {obj_name} and the path {who} reads."
            ),
        );
        return;
    }
    let holds = holds(&keys);
    if !sub_path.is_empty() {
        // A subPath naming a key the object lacks: the kubelet mounts an empty directory there.
        let close = closest(&top, &keys).or_else(|| (keys.len() == 1).then(|| keys[0].clone()));
        w.found(
            format!("{kind} {obj_name} has {holds}, not {top} (the mount's subPath)"),
            calls,
            format!("{who} cannot read {path}: the volumeMount's subPath {sub_path} names no key of {kind} {ns}/{obj_name}, which has {holds}, so the kubelet mounts an empty directory there"),
            format!(
                "Set subPath of the volumeMount at {mount_path} in {who} to {}, or add key {top} to {kind} {ns}/{obj_name}.",
                close.unwrap_or_else(|| "a key the object holds".into())
            ),
        );
        return;
    }
    w.found(format!("{kind} {obj_name} has {holds}, not {top}"), calls, format!("{who} cannot open {path}: {kind} {ns}/{obj_name} mounted at {mount_path} has {holds}, not {top}"),
        format!(
            "Add key {top} to {kind} {ns}/{obj_name}{}, or point {who} at {mount_path}/{} (the file the mount provides).",
            if keys.len() == 1 { format!(" (it holds {})", keys[0]) } else { String::new() },
            keys.first().cloned().unwrap_or_default()
        ),);
}

/// Keys of a ConfigMap (data and binaryData) or Secret (data, values redacted).
pub(super) fn keys_of(obj: &Value) -> Vec<String> {
    let mut keys: Vec<String> = ["data", "binaryData", "stringData"]
        .iter()
        .filter_map(|f| obj.get(*f).and_then(Value::as_object))
        .flat_map(|m| m.keys().cloned())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// An environment variable the application lacks: where the spec takes it from.
fn env_chain(w: &mut Walk<'_>, pod: &Value, spec: &Value, ns: &str, var: &str, line: &str) {
    let who = owner_words(w.obs, pod);
    let pod_calls = calls_of(w.obs, "Pod", ns, meta_name(pod));
    let entry = arr(spec, "/env")
        .iter()
        .find(|e| s(e, "name") == var)
        .cloned();
    let Some(entry) = entry else {
        // envFrom may bring it.
        let from: Vec<(String, String, &str)> = arr(spec, "/envFrom")
            .iter()
            .filter_map(|e| {
                if let Some(n) = e.pointer("/configMapRef/name").and_then(Value::as_str) {
                    Some(("ConfigMap".to_string(), n.to_string(), "configmaps"))
                } else {
                    e.pointer("/secretRef/name")
                        .and_then(Value::as_str)
                        .map(|n| ("Secret".to_string(), n.to_string(), "secrets"))
                }
            })
            .collect();
        if let Some((kind, name, resource)) = from.first() {
            w.link(
                format!(
                    "{var} is not in the container's env; it would come from envFrom {kind} {name}"
                ),
                pod_calls,
            );
            if !w.listed(
                resource,
                kind,
                ns,
                format!("does {kind} {name} hold {var}?"),
            ) {
                return;
            }
            let calls = calls_of(w.obs, kind, ns, name);
            match w.obs.view.get(kind, ns, name) {
                None => {
                    w.found(
                        format!("{kind} {name} does not exist in {ns}"),
                        calls,
                        format!("{who} lacks {var}: {kind} {ns}/{name} (envFrom) does not exist"),
                        format!("Create {kind} {name} in {ns} with key {var}."),
                    );
                }
                Some(obj) => {
                    let keys = keys_of(obj);
                    w.found(
                        format!("{kind} {name} has keys {}, not {var}", keys.join(", ")),
                        calls, format!("{who} lacks {var}: {kind} {ns}/{name} (envFrom) has keys {}, not {var}", keys.join(", ")),
                        format!("Add key {var} to {kind} {ns}/{name}."),);
                }
            }
            return;
        }
        w.found(
            format!(
                "container {} sets no environment variable {var}",
                s(spec, "name")
            ),
            pod_calls, format!("{who} exits because {var} is not set: its container spec has no env {var} ({line})"),
            format!("Set env {var} in {who} (spec.template.spec.containers[{}].env), from a ConfigMap or Secret key if it is configuration.", s(spec, "name")),);
        return;
    };
    let (kind, resource, name, key, optional) = if let Some(r) =
        entry.pointer("/valueFrom/secretKeyRef")
    {
        (
            "Secret",
            "secrets",
            s(r, "name").to_string(),
            s(r, "key").to_string(),
            r.get("optional").and_then(Value::as_bool).unwrap_or(false),
        )
    } else if let Some(r) = entry.pointer("/valueFrom/configMapKeyRef") {
        (
            "ConfigMap",
            "configmaps",
            s(r, "name").to_string(),
            s(r, "key").to_string(),
            r.get("optional").and_then(Value::as_bool).unwrap_or(false),
        )
    } else {
        w.link(
            format!("env {var} is set in the spec (value hidden), yet the application rejects it"),
            pod_calls,
        );
        w.cause(
            format!("{who} rejects its {var} setting ({line})"),
            format!("Check the value of env {var} in {who}."),
        );
        return;
    };
    w.link(
        format!(
            "env {var} comes from {kind} {name} key {key}{}",
            if optional {
                " (optional: true, so a missing key leaves it empty)"
            } else {
                ""
            }
        ),
        pod_calls,
    );
    if !w.listed(
        resource,
        kind,
        ns,
        format!("does {kind} {name} hold key {key}?"),
    ) {
        return;
    }
    let calls = calls_of(w.obs, kind, ns, &name);
    let Some(obj) = w.obs.view.get(kind, ns, &name).cloned() else {
        w.found(
            format!("{kind} {name} does not exist in {ns}"),
            calls,
            format!("{who} lacks {var}: {kind} {ns}/{name} does not exist"),
            format!("Create {kind} {name} in {ns} with key {key}, or fix env {var} in {who}."),
        );
        return;
    };
    w.object(ObjectRef::new(kind, Some(ns), &name));
    let keys = keys_of(&obj);
    if keys.contains(&key) {
        w.link(format!("{kind} {name} has key {key}"), calls);
        w.cause(
            format!("{who} rejects {var} from {kind} {name} key {key} ({line})"),
            format!("Check the value stored in {kind} {ns}/{name} key {key}."),
        );
        return;
    }
    let close = closest(&key, &keys);
    let held = holds(&keys);
    w.found(
        format!("{kind} {name} holds {held}, not {key}"),
        calls,
        format!("{who} exits: env {var} refers to key {key} of {kind} {ns}/{name}, which holds {held}"),
        format!(
            "{who}: env {var} refers to key {key}; {kind} {name} holds {held}. Point the secretKeyRef/configMapKeyRef at the right key{} or add key {key} to {kind} {ns}/{name}.",
            close.map(|c| format!(" ({c}?)")).unwrap_or_default()
        ),
    );
}

/// Environment variables a container takes from a ConfigMap or Secret key marked
/// `optional: true`. When that key (or the object) is missing the kubelet starts the container
/// anyway with the variable unset, and the application fails on it without naming it ("No
/// application encryption key has been specified"). True when such a gap explains the
/// decisive line (or the walk waits for the objects), false when there is none.
pub(super) fn optional_ref_gap(
    w: &mut Walk<'_>,
    pod: &Value,
    spec: &Value,
    ns: &str,
    line: &str,
) -> bool {
    struct Ref {
        var: String,
        kind: &'static str,
        name: String,
        key: String,
    }
    let mut refs: Vec<Ref> = arr(spec, "/env")
        .iter()
        .filter_map(|e| {
            let (kind, r) = if let Some(r) = e.pointer("/valueFrom/secretKeyRef") {
                ("Secret", r)
            } else {
                ("ConfigMap", e.pointer("/valueFrom/configMapKeyRef")?)
            };
            (r.get("optional").and_then(Value::as_bool) == Some(true)).then(|| Ref {
                var: s(e, "name").to_string(),
                kind,
                name: s(r, "name").to_string(),
                key: s(r, "key").to_string(),
            })
        })
        .collect();
    if refs.is_empty() {
        return false;
    }
    // The variable whose words the line uses first (APP_KEY for "application encryption key").
    let lower = line.to_ascii_lowercase();
    let overlap = |var: &str| {
        var.to_ascii_lowercase()
            .split('_')
            .filter(|p| p.len() >= 3 && lower.contains(*p))
            .count()
    };
    refs.sort_by_key(|r| std::cmp::Reverse(overlap(&r.var)));
    for (resource, kind) in [("secrets", "Secret"), ("configmaps", "ConfigMap")] {
        if refs.iter().any(|r| r.kind == kind)
            && !w.listed(
                resource,
                kind,
                ns,
                format!("do the {kind}s that optional env references of the container name hold those keys?"),
            )
        {
            return !w.chain.asks.is_empty();
        }
    }
    let who = owner_words(w.obs, pod);
    for r in &refs {
        let calls = calls_of(w.obs, r.kind, ns, &r.name);
        let held = match w.obs.view.get(r.kind, ns, &r.name) {
            Some(obj) if keys_of(obj).contains(&r.key) => continue,
            Some(obj) => {
                w.object(ObjectRef::new(r.kind, Some(ns), &r.name));
                format!(
                    "{} {} holds {}, not {}",
                    r.kind,
                    r.name,
                    holds(&keys_of(obj)),
                    r.key
                )
            }
            None => format!("{} {} does not exist in {ns}", r.kind, r.name),
        };
        let close = w
            .obs
            .view
            .get(r.kind, ns, &r.name)
            .and_then(|obj| closest(&r.key, &keys_of(obj)));
        w.link(
            format!(
                "env {} comes from {} {} key {} (optional: true, so a missing key leaves it unset)",
                r.var, r.kind, r.name, r.key
            ),
            calls_of(w.obs, "Pod", ns, meta_name(pod)),
        );
        w.found(
            held.clone(),
            calls,
            format!(
                "{who} fails ({}): env {} is unset because its optional {} reference {} key {} finds nothing: {held}",
                crate::analyze::util::cut(line, 140), r.var, r.kind, r.name, r.key
            ),
            format!(
                "Point env {} of {who} at the key that exists{} in {} {ns}/{}, or add key {} there; drop `optional: true` so a missing key stops the container with a clear error.",
                r.var,
                close.map(|c| format!(" ({c})")).unwrap_or_default(),
                r.kind,
                r.name,
                r.key
            ),
        );
        return true;
    }
    false
}

/// An API call the pod's ServiceAccount may not make: which bindings exist.
fn rbac_chain(
    w: &mut Walk<'_>,
    pod: &Value,
    target: Option<&str>,
    user: &str,
    verb: &str,
    resource: &str,
) {
    let who = owner_words(w.obs, pod);
    let sa = user
        .strip_prefix("system:serviceaccount:")
        .and_then(|r| r.split_once(':'))
        .map(|(n, sa)| (n.to_string(), sa.to_string()));
    let Some((sa_ns, sa)) = sa else {
        w.cause(
            format!("{who} is forbidden to {verb} {resource} as {user}"),
            format!("Grant {user} `{verb}` on {resource} with a Role and RoleBinding."),
        );
        return;
    };
    let r = format!("which RoleBindings in {sa_ns} bind ServiceAccount {sa}, and to what?");
    let a = w.need_list("rolebindings", "RoleBinding", &sa_ns, r.clone());
    let b = w.need_list("roles", "Role", &sa_ns, r);
    if !matches!((a, b), (Have::Yes, Have::Yes)) {
        if w.chain.asks.is_empty() {
            w.cause(
                format!(
                    "{who} runs as ServiceAccount {sa_ns}/{sa}, which may not {verb} {resource}"
                ),
                format!(
                    "Bind a Role that allows `{verb}` on {resource} to ServiceAccount {sa_ns}/{sa}."
                ),
            );
        }
        return;
    }
    let mut calls = w.obs.list_calls("RoleBinding", Some(&sa_ns));
    calls.extend(w.obs.list_calls("Role", Some(&sa_ns)));
    let bindings: Vec<Value> = w
        .obs
        .view
        .in_namespace("RoleBinding", &sa_ns)
        .cloned()
        .collect();
    let binds_sa = |b: &Value| {
        arr(b, "/subjects").iter().any(|s_| {
            s(s_, "kind") == "ServiceAccount"
                && s(s_, "name") == sa
                && (s(s_, "namespace").is_empty() || s(s_, "namespace") == sa_ns)
        })
    };
    let grants = |b: &Value| -> bool {
        let role = sp(b, "/roleRef/name");
        w.obs
            .view
            .get("Role", &sa_ns, role)
            .is_some_and(|r| role_allows(r, verb, resource))
    };
    let mine: Vec<&Value> = bindings.iter().filter(|b| binds_sa(b)).collect();
    let granting_others: Vec<String> = bindings
        .iter()
        .filter(|b| !binds_sa(b) && grants(b))
        .map(|b| {
            let subs: Vec<String> = arr(b, "/subjects")
                .iter()
                .map(|x| format!("{} {}", s(x, "kind"), s(x, "name")))
                .collect();
            format!(
                "RoleBinding {} grants Role {} to {}",
                meta_name(b),
                sp(b, "/roleRef/name"),
                subs.join(", ")
            )
        })
        .collect();
    w.chain.decisive = true;
    if mine.is_empty() {
        let others = parenthesized(&granting_others, "; ");
        w.link(
            format!("no RoleBinding in {sa_ns} binds ServiceAccount {sa}{others}"),
            calls,
        );
        let fix_binding = bindings
            .iter()
            .find(|b| grants(b))
            .map(|b| format!("Add ServiceAccount {sa} (namespace {sa_ns}) to the subjects of RoleBinding {sa_ns}/{}", meta_name(b)))
            .unwrap_or_else(|| format!("Create a Role allowing `{verb}` on {resource} and a RoleBinding to ServiceAccount {sa_ns}/{sa}"));
        w.cause(
            format!(
                "{who} is forbidden to {verb} {resource}: no RoleBinding binds its ServiceAccount {sa}{others}"
            ),
            format!("{fix_binding}."),
        );
        return;
    }
    // A binding whose roleRef names a role that does not exist.
    for b in &mine {
        let (kind, role) = (sp(b, "/roleRef/kind"), sp(b, "/roleRef/name"));
        let exists = match kind {
            "ClusterRole" => {
                let cmd = format!("get clusterrole {role}");
                match w.need(
                    cmd,
                    format!(
                        "RoleBinding {} refers to ClusterRole {role}: does it exist?",
                        meta_name(b)
                    ),
                    format!("ClusterRole {role} does not exist"),
                ) {
                    Have::Yes => w.obs.view.get("ClusterRole", "", role).is_some(),
                    Have::Asked => return,
                    Have::No => true,
                }
            }
            _ => w.obs.view.get("Role", &sa_ns, role).is_some(),
        };
        if exists {
            continue;
        }
        let granting: Option<String> = w
            .obs
            .view
            .in_namespace("Role", &sa_ns)
            .find(|r| role_allows(r, verb, resource))
            .map(|r| meta_name(r).to_string());
        let binding = meta_name(b).to_string();
        let there = granting
            .as_ref()
            .map(|g| format!("; Role {g} in {sa_ns} allows {verb} on {resource}"))
            .unwrap_or_default();
        w.link(
            format!("RoleBinding {binding} binds ServiceAccount {sa} to {kind} {role}, which does not exist{there}"),
            calls,
        );
        w.cause(
            format!("{who} is forbidden to {verb} {resource}: RoleBinding {binding} refers to {kind} {role}, which does not exist{there}"),
            match &granting {
                Some(g) => format!("Recreate RoleBinding {sa_ns}/{binding} with roleRef Role {g} (a binding's roleRef cannot be changed in place)."),
                None => format!("Create {kind} {role} allowing `{verb}` on {resource}, or recreate RoleBinding {sa_ns}/{binding} with a roleRef that exists."),
            },
        );
        return;
    }
    let roles: Vec<String> = mine
        .iter()
        .map(|b| sp(b, "/roleRef/name").to_string())
        .collect();
    // Bound here to a Role that allows it, refused in another namespace: a Role and its
    // RoleBinding grant in their own namespace only.
    if let Some(t) = target.filter(|t| *t != sa_ns)
        && let Some(b) = mine.iter().find(|b| grants(b))
    {
        let binding = meta_name(b).to_string();
        let role = sp(b, "/roleRef/name").to_string();
        let have = w.need_list(
            "rolebindings",
            "RoleBinding",
            t,
            format!("the request was refused in namespace {t}: does a RoleBinding there bind ServiceAccount {sa_ns}/{sa}?"),
        );
        if matches!(have, Have::Asked) {
            return;
        }
        w.link(
            format!("RoleBinding {sa_ns}/{binding} grants Role {role} (which allows {verb} on {resource}) to ServiceAccount {sa}, but only in namespace {sa_ns}; the refused request was in namespace {t}"),
            calls,
        );
        w.cause(
            format!("{who} is forbidden to {verb} {resource} in namespace {t}: its ServiceAccount {sa_ns}/{sa} has that right only in {sa_ns} (Role {role} and RoleBinding {binding} live there), and no RoleBinding in {t} grants it"),
            format!("Create Role {role} and RoleBinding {binding} in namespace {t} (subject ServiceAccount {sa} in namespace {sa_ns}); a RoleBinding grants only in its own namespace."),
        );
        return;
    }
    w.link(
        format!(
            "ServiceAccount {sa} is bound to Role(s) {}, which do not allow {verb} on {resource}",
            roles.join(", ")
        ),
        calls,
    );
    w.cause(
        format!("{who} is forbidden to {verb} {resource}: Role(s) {} bound to ServiceAccount {sa} do not allow it", roles.join(", ")),
        format!("Add `{verb}` on {resource} to Role {sa_ns}/{}.", roles[0]),
    );
}

/// Does a Role's rules allow `verb` on `resource` (`*` counts)?
fn role_allows(role: &Value, verb: &str, resource: &str) -> bool {
    arr(role, "/rules").iter().any(|rule| {
        let has = |f: &str, want: &str| {
            arr(rule, f)
                .iter()
                .any(|v| v.as_str() == Some(want) || v.as_str() == Some("*"))
        };
        has("/verbs", verb) && has("/resources", resource)
    })
}

/// Credentials a dependency rejected: where the container takes them from.
fn auth_chain(
    w: &mut Walk<'_>,
    pod: &Value,
    spec: &Value,
    ns: &str,
    user: Option<&str>,
    line: &str,
) {
    let who = owner_words(w.obs, pod);
    let pod_calls = calls_of(w.obs, "Pod", ns, meta_name(pod));
    let from: Option<(String, String, String)> = arr(spec, "/env").iter().find_map(|e| {
        let n = s(e, "name");
        let cred = crate::redact::vocabulary::is_secret_name(n);
        let r = e.pointer("/valueFrom/secretKeyRef")?;
        cred.then(|| {
            (
                n.to_string(),
                s(r, "name").to_string(),
                s(r, "key").to_string(),
            )
        })
    });
    let u = user.map(|u| format!(" for user {u}")).unwrap_or_default();
    match from {
        Some((var, secret, key)) => {
            w.link(
                format!("the credentials come from env {var}: Secret {secret} key {key}"),
                pod_calls,
            );
            w.object(ObjectRef::new("Secret", Some(ns), &secret));
            w.cause(
                format!("{who}: the dependency rejects its credentials{u} ({line}); they come from Secret {ns}/{secret} key {key}"),
                format!("Make Secret {ns}/{secret} key {key} match the password the dependency expects{u} (or rotate it on both sides), then restart {who}."),
            );
        }
        None => {
            w.cause(
                format!("{who}: the dependency rejects its credentials{u} ({line})"),
                format!("Check the credentials {who} is configured with{u}."),
            );
        }
    }
}

/// Not-ready pods on a node that is not healthy: the node is the cause. True when found.
pub(super) fn node_under(w: &mut Walk<'_>, pods: &[Value], what: &str) -> bool {
    let mut nodes: Vec<String> = pods
        .iter()
        .map(|p| sp(p, "/spec/nodeName").to_string())
        .filter(|n| !n.is_empty())
        .collect();
    nodes.sort();
    nodes.dedup();
    if nodes.is_empty() {
        return false;
    }
    if !matches!(
        w.need_cluster_list(
            "nodes",
            "Node",
            format!("are the nodes under the unready pods of {what} healthy?")
        ),
        Have::Yes
    ) {
        return false;
    }
    let findings = analyze::analyze(&w.obs.view);
    let Some(f) = findings
        .iter()
        .find(|f| f.object.kind == "Node" && nodes.contains(&f.object.name))
        .cloned()
    else {
        return false;
    };
    w.object(f.object.clone());
    let node_calls = calls_of(w.obs, "Node", "", &f.object.name);
    let ev: Vec<String> = f.evidence.iter().take(2).cloned().collect();
    w.found(
        format!(
            "node {}: {}{}",
            f.object.name,
            f.title,
            parenthesized(&ev, "; ")
        ),
        node_calls,
        format!(
            "{what} is unavailable because its pods run on node {}: {}",
            f.object.name, f.title
        ),
        format!(
            "{} The pods will be rescheduled once the node is cordoned and drained, or comes back.",
            f.remediation
        ),
    );
    true
}
