//! What stands between a caller and the address it dials, once the address is known: the
//! pod's own loopback (another container of the pod), the NetworkPolicies between the caller
//! and a Service's ready pods, and where the caller is configured with an address that names
//! no Service.

use serde_json::Value;

use super::{Have, Walk, calls_of, owner_words};
use crate::analyze::network_policy as netpol;
use crate::analyze::util::{arr, map_selector_matches, meta_name, pod_ready, s, sp};

/// A connection to the pod's own loopback address (`127.0.0.1:9000`, nginx in front of
/// php-fpm): another container of the same pod should listen there. Which one declares the
/// port, and where the caller's address is configured (the ConfigMaps mounted into it).
pub(super) fn loopback_chain(
    w: &mut Walk<'_>,
    pod: &Value,
    ns: &str,
    host: &str,
    port: Option<u16>,
    line: &str,
) {
    let who = owner_words(w.obs, pod);
    let pod_name = meta_name(pod).to_string();
    let calls = calls_of(w.obs, "Pod", ns, &pod_name);
    let containers = arr(pod, "/spec/containers");
    // The caller: the container whose log this is is not known here; the one that does not
    // declare the port is the likelier caller.
    let declares = |c: &Value, p: u16| {
        arr(c, "/ports")
            .iter()
            .any(|x| x.get("containerPort").and_then(Value::as_u64) == Some(u64::from(p)))
    };
    let addr = match port {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    };
    let listener = port.and_then(|p| containers.iter().find(|c| declares(c, p)));
    let caller = containers
        .iter()
        .find(|c| port.is_none_or(|p| !declares(c, p)))
        .or(containers.first());
    let caller_name = caller.map(|c| s(c, "name").to_string()).unwrap_or_default();
    // ConfigMaps mounted into the caller: where an upstream address is usually written.
    let mounted: Vec<String> = caller
        .map(|c| {
            arr(c, "/volumeMounts")
                .iter()
                .filter_map(|m| {
                    let v = arr(pod, "/spec/volumes")
                        .iter()
                        .find(|v| s(v, "name") == s(m, "name"))?;
                    let cm = v.pointer("/configMap/name").and_then(Value::as_str)?;
                    Some(format!("ConfigMap {cm} (mounted at {})", s(m, "mountPath")))
                })
                .collect()
        })
        .unwrap_or_default();
    let others: Vec<String> = containers
        .iter()
        .filter(|c| s(c, "name") != caller_name)
        .map(|c| {
            let ports: Vec<String> = arr(c, "/ports")
                .iter()
                .filter_map(|p| p.get("containerPort").and_then(Value::as_u64))
                .map(|p| p.to_string())
                .collect();
            if ports.is_empty() {
                format!("{} (declares no port)", s(c, "name"))
            } else {
                format!("{} (ports {})", s(c, "name"), ports.join(", "))
            }
        })
        .collect();
    let configured = if mounted.is_empty() {
        String::new()
    } else {
        format!("; its configuration comes from {}", mounted.join(", "))
    };
    match listener {
        Some(l) => {
            let lname = s(l, "name").to_string();
            w.link(
                format!(
                    "{addr} is pod {pod_name}'s own loopback: container {lname} declares port {}",
                    port.unwrap_or(0)
                ),
                calls,
            );
            w.cause(
                format!("{who}: container {caller_name} connects to {addr} inside its pod, where container {lname} should listen, and fails ({line}): {lname} does not listen there{configured}"),
                format!("Make container {lname} listen on {addr} (its listen setting), or point {caller_name} at the address {lname} listens on{}.", if mounted.is_empty() { String::new() } else { format!(" ({})", mounted.join(", ")) }),
            );
        }
        None => {
            w.found(
                format!(
                    "{addr} is pod {pod_name}'s own loopback, and no container of the pod declares port {}{}",
                    port.map(|p| p.to_string()).unwrap_or_default(),
                    if others.is_empty() { String::new() } else { format!(" (the others: {})", others.join(", ")) }
                ),
                calls,
                format!("{who}: container {caller_name} connects to {addr} inside its pod, but no other container of the pod listens there ({line}){configured}"),
                format!(
                    "Point {caller_name} at the address the other container really listens on (a port or a unix socket it is configured with){}, or configure that container to listen on {addr}.",
                    if mounted.is_empty() { String::new() } else { format!(" in {}", mounted.join(", ")) }
                ),
            );
        }
    }
}

/// A host that names a Service that is not there (the caller checks): where the container is
/// configured with it
/// (an env value, a ConfigMap key it takes env from, its args), so the fix names the field.
pub(super) fn where_configured(w: &mut Walk<'_>, pod: &Value, spec: &Value, ns: &str, host: &str) {
    if !w.chain.asks.is_empty() || host.is_empty() {
        return;
    }
    let word = match regex::Regex::new(&format!(
        r"(?:^|[/@=\s,;'\x22:]){}(?:$|[:/\s,;'\x22.])",
        regex::escape(host)
    )) {
        Ok(r) => r,
        Err(_) => return,
    };
    let container = s(spec, "name").to_string();
    let mut found: Option<String> = None;
    for e in arr(spec, "/env") {
        let v = s(e, "value");
        if !v.is_empty() && word.is_match(v) {
            found = Some(format!(
                "env {} of container {container} ({})",
                s(e, "name"),
                crate::redact::redact(v)
            ));
            break;
        }
    }
    // ConfigMaps the container takes env from: their keys hold the address.
    let mut maps: Vec<(String, Option<String>, String)> = Vec::new(); // (configmap, key, env name)
    for e in arr(spec, "/env") {
        if let Some(r) = e.pointer("/valueFrom/configMapKeyRef") {
            maps.push((
                s(r, "name").to_string(),
                Some(s(r, "key").to_string()),
                s(e, "name").to_string(),
            ));
        }
    }
    for e in arr(spec, "/envFrom") {
        if let Some(n) = e.pointer("/configMapRef/name").and_then(Value::as_str) {
            maps.push((n.to_string(), None, String::new()));
        }
    }
    if found.is_none() && !maps.is_empty() {
        if !w.listed(
            "configmaps",
            "ConfigMap",
            ns,
            format!("where is {container} configured with {host}?"),
        ) {
            return;
        }
        'maps: for (cm, key, env) in &maps {
            let Some(obj) = w.obs.view.get("ConfigMap", ns, cm) else {
                continue;
            };
            let data = obj.pointer("/data").and_then(Value::as_object);
            for (k, v) in data.into_iter().flatten() {
                if key.as_ref().is_some_and(|want| want != k) {
                    continue;
                }
                let v = v.as_str().unwrap_or("");
                if word.is_match(v) {
                    let env = if env.is_empty() {
                        k.clone()
                    } else {
                        env.clone()
                    };
                    found = Some(format!(
                        "ConfigMap {cm} key {k} (env {env} = {})",
                        crate::redact::redact(v)
                    ));
                    break 'maps;
                }
            }
        }
    }
    if found.is_none() {
        let args: Vec<&str> = arr(spec, "/args")
            .iter()
            .chain(arr(spec, "/command"))
            .filter_map(Value::as_str)
            .collect();
        if let Some(a) = args.iter().find(|a| word.is_match(a)) {
            found = Some(format!(
                "the args of container {container} ({})",
                crate::redact::redact(a)
            ));
        }
    }
    let Some(place) = found else {
        return;
    };
    let calls = calls_of(w.obs, "Pod", ns, meta_name(pod));
    w.link(format!("{host} comes from {place}"), calls);
    w.chain.cause = format!("{}; the address is set in {place}", w.chain.cause);
    w.chain.remediation = format!(
        "{} (the address is set in {place})",
        w.chain.remediation.trim_end_matches('.')
    );
}

/// The port a Service's `port` forwards to on one of its pods: the targetPort, by number or
/// by the name a container gives it.
fn pod_port(svc: &Value, port: Option<u16>, backend: &Value) -> Option<netpol::PodPort> {
    let ports = arr(svc, "/spec/ports");
    let entry = match port {
        Some(p) => ports
            .iter()
            .find(|e| e.get("port").and_then(Value::as_u64) == Some(u64::from(p))),
        None => ports.first(),
    }?;
    let declared: Vec<(u16, String)> = arr(backend, "/spec/containers")
        .iter()
        .flat_map(|c| arr(c, "/ports"))
        .filter_map(|p| {
            let n = u16::try_from(p.get("containerPort")?.as_u64()?).ok()?;
            Some((n, s(p, "name").to_string()))
        })
        .collect();
    let named = |n: u16| {
        declared
            .iter()
            .find(|(d, name)| *d == n && !name.is_empty())
            .map(|(_, name)| name.clone())
    };
    match entry.get("targetPort") {
        Some(Value::String(name)) => {
            let number = declared.iter().find(|(_, n)| n == name).map(|(d, _)| *d)?;
            Some(netpol::PodPort {
                number,
                name: Some(name.clone()),
            })
        }
        Some(Value::Number(n)) => {
            let number = u16::try_from(n.as_u64()?).ok()?;
            Some(netpol::PodPort {
                number,
                name: named(number),
            })
        }
        _ => {
            let number = u16::try_from(entry.get("port")?.as_u64()?).ok()?;
            Some(netpol::PodPort {
                number,
                name: named(number),
            })
        }
    }
}

/// A Service whose pods are ready, yet the caller cannot reach it: do NetworkPolicies drop
/// the traffic (the server's ingress rules admit other pods only, or the caller's egress
/// rules do not open the way)?
pub(super) fn policy_between(
    w: &mut Walk<'_>,
    pod: &Value,
    svc: &Value,
    port: Option<u16>,
    line: &str,
) {
    let svc_ns = sp(svc, "/metadata/namespace").to_string();
    let name = meta_name(svc).to_string();
    let ns = sp(pod, "/metadata/namespace").to_string();
    let Some(selector) = svc
        .pointer("/spec/selector")
        .and_then(Value::as_object)
        .cloned()
    else {
        return;
    };
    let client = meta_name(pod).to_string();
    let have = w.need_list(
        "networkpolicies",
        "NetworkPolicy",
        &svc_ns,
        format!(
            "Service {name}'s pods are ready, yet {client} cannot reach them: does a NetworkPolicy in {svc_ns} drop its traffic?"
        ),
    );
    if !matches!(have, Have::Yes) {
        return;
    }
    if ns != svc_ns
        && !matches!(
            w.need_list(
                "networkpolicies",
                "NetworkPolicy",
                &ns,
                format!("does a NetworkPolicy in {ns} keep {client} from sending to Service {svc_ns}/{name}?"),
            ),
            Have::Yes
        )
    {
        return;
    }
    let backend = w
        .obs
        .view
        .in_namespace("Pod", &svc_ns)
        .filter(|p| pod_ready(p))
        .find(|p| {
            p.pointer("/metadata/labels")
                .is_some_and(|l| map_selector_matches(&selector, l))
        })
        .cloned();
    let Some(backend) = backend else {
        return;
    };
    let Some(pp) = pod_port(svc, port, &backend) else {
        return;
    };
    let Some(b) = netpol::blocks(&w.obs.view, pod, &backend, &pp) else {
        let mut calls = w.obs.list_calls("NetworkPolicy", Some(&svc_ns));
        if ns != svc_ns {
            calls.extend(w.obs.list_calls("NetworkPolicy", Some(&ns)));
        }
        w.link(
            format!(
                "no NetworkPolicy drops traffic from {client} to the pods of Service {svc_ns}/{name} on port {}",
                pp.number
            ),
            calls,
        );
        return;
    };
    let who = owner_words(w.obs, pod);
    let labels: Vec<String> = pod
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(k, _)| {
            !k.ends_with("pod-template-hash") && !k.ends_with("controller-revision-hash")
        })
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
        .collect();
    // A rule that admits a label close to the caller's own (app=checkout-v1 for app=checkout):
    // the label the caller had before a rename.
    let near = b.admitted.iter().find_map(|a| {
        labels.iter().find_map(|l| {
            let (k, v) = l.split_once('=')?;
            let want = a.split(&format!("{k}=")).nth(1)?;
            let want = want.split([',', ' ']).next().unwrap_or(want);
            (want != v && !v.is_empty() && (want.contains(v) || v.contains(want)))
                .then(|| (k.to_string(), want.to_string(), v.to_string()))
        })
    });
    let policy = b.policies.first().cloned().unwrap_or_default();
    let all = b.policies.join(", ");
    let admitted = if b.admitted.is_empty() {
        "nothing".to_string()
    } else {
        b.admitted.join(" or ")
    };
    let calls = w.obs.list_calls("NetworkPolicy", Some(&b.namespace));
    let port_text = match &pp.name {
        Some(n) => format!("{} ({n})", pp.number),
        None => pp.number.to_string(),
    };
    // The caller's labels the rules look at (all of them when the rules look at none).
    let relevant: Vec<String> = labels
        .iter()
        .filter(|l| {
            l.split_once('=')
                .is_some_and(|(k, _)| b.admitted.iter().any(|a| a.contains(&format!("{k}="))))
        })
        .cloned()
        .collect();
    let pod_labels = match (relevant.is_empty(), labels.is_empty()) {
        (false, _) => relevant.join(","),
        (true, false) => labels.join(","),
        (true, true) => "no labels".to_string(),
    };
    if b.side == "Ingress" {
        w.found(
            format!(
                "NetworkPolicy {all} in {svc_ns} select(s) the pods of Service {name}; on port {port_text} they admit only {admitted}, and pod {client} ({pod_labels}, namespace {ns}) is none of them"
            ),
            calls,
            format!(
                "{who} cannot reach Service {svc_ns}/{name}: NetworkPolicy {svc_ns}/{policy} admits port {port_text} only from {admitted}, and {who}'s pods are labelled {pod_labels}, so their connections are dropped ({line})"
            ),
            match near {
                Some((k, want, have)) => format!(
                    "Admit the caller in NetworkPolicy {svc_ns}/{policy}: add a `from` entry with podSelector matchLabels {k}: {have} on port {}{}, or label {who}'s pods {k}={want} again.",
                    pp.number,
                    if ns != svc_ns { format!(" (with a namespaceSelector for {ns})") } else { String::new() }
                ),
                None => format!(
                    "Admit the caller in NetworkPolicy {svc_ns}/{policy}: add a `from` entry that selects {who}'s pods ({pod_labels}{}) on port {}.",
                    if ns != svc_ns { format!(", namespace {ns}") } else { String::new() },
                    pp.number
                ),
            },
        );
    } else {
        w.found(
            format!(
                "NetworkPolicy {all} in {ns} restrict(s) egress of pod {client}; on port {port_text} they allow only {admitted}, not the pods of Service {svc_ns}/{name}"
            ),
            calls,
            format!(
                "{who} cannot reach Service {svc_ns}/{name}: its egress NetworkPolicy {ns}/{policy} allows port {port_text} only to {admitted}, so connections to the Service's pods are dropped ({line})"
            ),
            format!(
                "Allow egress in NetworkPolicy {ns}/{policy} to the pods of Service {svc_ns}/{name} (their labels{}) on port {}.",
                if ns != svc_ns { format!(" and namespace {svc_ns}") } else { String::new() },
                pp.number
            ),
        );
    }
}
