//! Nodes: conditions, addresses, capacity, allocated resources, taints.

use serde_json::Value;

use super::Related;
use super::events::describe_events;
use super::pod::pod_requests_and_limits;
use super::quantity::Quantity;
use super::writer::*;

/// Node roles from `node-role.kubernetes.io/<role>` and `kubernetes.io/role` labels.
pub fn node_roles(node: &Value) -> Vec<String> {
    let mut roles: Vec<String> = str_map(node, &["metadata", "labels"])
        .into_iter()
        .filter_map(|(k, v)| {
            if let Some(role) = k.strip_prefix("node-role.kubernetes.io/") {
                (!role.is_empty()).then(|| role.to_string())
            } else if k == "kubernetes.io/role" && !v.is_empty() {
                Some(v)
            } else {
                None
            }
        })
        .collect();
    roles.sort();
    roles.dedup();
    roles
}

/// `kubectl describe node`.
pub fn describe_node(node: &Value, rel: &Related) -> String {
    let mut w = W::new();
    let spec = node.get("spec").unwrap_or(&Value::Null);
    let status = node.get("status").unwrap_or(&Value::Null);
    w.w(0, &format!("Name:\t{}\n", s(node, &["metadata", "name"])));
    let roles = node_roles(node);
    w.w(
        0,
        &format!(
            "Roles:\t{}\n",
            if roles.is_empty() {
                "<none>".to_string()
            } else {
                roles.join(",")
            }
        ),
    );
    labels_multiline(&mut w, "Labels", &str_map(node, &["metadata", "labels"]));
    annotations_multiline(
        &mut w,
        "Annotations",
        &str_map(node, &["metadata", "annotations"]),
    );
    w.w(
        0,
        &format!(
            "CreationTimestamp:\t{}\n",
            rfc1123z(s(node, &["metadata", "creationTimestamp"]))
        ),
    );
    taints_multiline(&mut w, "Taints", arr(spec, &["taints"]));
    w.w(
        0,
        &format!("Unschedulable:\t{}\n", b(spec, &["unschedulable"])),
    );
    match &rel.lease {
        Some(Ok(lease)) => {
            w.w(0, "Lease:\n");
            let holder = get(lease, &["spec", "holderIdentity"])
                .map(scalar)
                .unwrap_or_else(|| "<unset>".to_string());
            w.w(1, &format!("HolderIdentity:\t{holder}\n"));
            for (title, key) in [("AcquireTime", "acquireTime"), ("RenewTime", "renewTime")] {
                let t = s(lease, &["spec", key]);
                let text = if t.is_empty() {
                    "<unset>".to_string()
                } else {
                    rfc1123z(t)
                };
                w.w(1, &format!("{title}:\t{text}\n"));
            }
        }
        Some(Err(e)) => w.w(0, &format!("Lease:\tFailed to get lease: {e}\n")),
        None => {}
    }
    let conds = arr(status, &["conditions"]);
    if !conds.is_empty() {
        w.w(
            0,
            "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n",
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
                    rfc1123z(s(c, &["lastHeartbeatTime"])),
                    rfc1123z(s(c, &["lastTransitionTime"])),
                    s(c, &["reason"]),
                    s(c, &["message"])
                ),
            );
        }
    }
    w.w(0, "Addresses:\n");
    for a in arr(status, &["addresses"]) {
        w.w(
            1,
            &format!("{}:\t{}\n", s(a, &["type"]), s(a, &["address"])),
        );
    }
    for (title, key) in [("Capacity", "capacity"), ("Allocatable", "allocatable")] {
        let list = str_map(status, &[key]);
        if !list.is_empty() {
            w.w(0, &format!("{title}:\n"));
            for (k, v) in list {
                w.w(0, &format!("  {k}:\t{v}\n"));
            }
        }
    }
    w.w(0, "System Info:\n");
    let info = status.get("nodeInfo").unwrap_or(&Value::Null);
    for (title, key) in [
        ("Machine ID", "machineID"),
        ("System UUID", "systemUUID"),
        ("Boot ID", "bootID"),
        ("Kernel Version", "kernelVersion"),
        ("OS Image", "osImage"),
        ("Operating System", "operatingSystem"),
        ("Architecture", "architecture"),
        ("Container Runtime Version", "containerRuntimeVersion"),
        ("Kubelet Version", "kubeletVersion"),
        ("Kube-Proxy Version", "kubeProxyVersion"),
    ] {
        w.w(0, &format!("  {title}:\t{}\n", s(info, &[key])));
    }
    let cidr = s(spec, &["podCIDR"]);
    if !cidr.is_empty() {
        w.w(0, &format!("PodCIDR:\t{cidr}\n"));
    }
    let cidrs: Vec<String> = arr(spec, &["podCIDRs"]).iter().map(scalar).collect();
    if !cidrs.is_empty() {
        w.w(0, &format!("PodCIDRs:\t{}\n", cidrs.join(",")));
    }
    let provider = s(spec, &["providerID"]);
    if !provider.is_empty() {
        w.w(0, &format!("ProviderID:\t{provider}\n"));
    }
    match &rel.pods {
        Some(Ok(pods)) => describe_node_resource(&mut w, node, pods),
        _ => w.w(0, "Pods:\tnot authorized\n"),
    }
    if let Some(ev) = &rel.events {
        describe_events(&mut w, ev);
    }
    w.finish()
}

fn resource_list(v: &Value, key: &str) -> Vec<(String, Quantity)> {
    str_map(v, &["status", key])
        .into_iter()
        .filter_map(|(k, q)| Quantity::parse(&q).map(|q| (k, q)))
        .collect()
}

fn pct(num: i128, den: i128) -> i64 {
    if den == 0 {
        0
    } else {
        (num as f64 / den as f64 * 100.0) as i64
    }
}

fn describe_node_resource(w: &mut W, node: &Value, pods: &[Value]) {
    w.w(
        0,
        &format!("Non-terminated Pods:\t({} in total)\n", pods.len()),
    );
    w.w(
        1,
        "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n",
    );
    w.w(
        1,
        "---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n",
    );
    let mut alloc = resource_list(node, "allocatable");
    if alloc.is_empty() {
        alloc = resource_list(node, "capacity");
    }
    let find = |name: &str| {
        alloc
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, q)| *q)
            .unwrap_or(Quantity::zero())
    };
    let (a_cpu, a_mem, a_eph) = (find("cpu"), find("memory"), find("ephemeral-storage"));
    let mut reqs: std::collections::BTreeMap<String, Quantity> = Default::default();
    let mut limits: std::collections::BTreeMap<String, Quantity> = Default::default();
    let zero = Quantity::zero();
    for p in pods {
        let (r, l) = pod_requests_and_limits(p);
        let g = |m: &std::collections::BTreeMap<String, Quantity>, k: &str| {
            m.get(k).copied().unwrap_or(zero)
        };
        let (cr, cl, mr, ml) = (g(&r, "cpu"), g(&l, "cpu"), g(&r, "memory"), g(&l, "memory"));
        w.w(
            1,
            &format!(
                "{}\t{}\t\t{} ({}%)\t{} ({}%)\t{} ({}%)\t{} ({}%)\t{}\n",
                s(p, &["metadata", "namespace"]),
                s(p, &["metadata", "name"]),
                cr.canonical(),
                pct(cr.milli_value(), a_cpu.milli_value()),
                cl.canonical(),
                pct(cl.milli_value(), a_cpu.milli_value()),
                mr.canonical(),
                pct(mr.value(), a_mem.value()),
                ml.canonical(),
                pct(ml.value(), a_mem.value()),
                age(s(p, &["metadata", "creationTimestamp"]))
            ),
        );
        for (src, dst) in [(r, &mut reqs), (l, &mut limits)] {
            for (k, q) in src {
                match dst.get_mut(&k) {
                    Some(cur) => cur.add(&q),
                    None => {
                        dst.insert(k, q);
                    }
                }
            }
        }
    }
    w.w(
        0,
        "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n",
    );
    w.w(1, "Resource\tRequests\tLimits\n");
    w.w(1, "--------\t--------\t------\n");
    let g = |m: &std::collections::BTreeMap<String, Quantity>, k: &str| {
        m.get(k).copied().unwrap_or(zero)
    };
    let rows = [
        ("cpu", a_cpu, true),
        ("memory", a_mem, false),
        ("ephemeral-storage", a_eph, false),
    ];
    for (name, a, milli) in rows {
        let (r, l) = (g(&reqs, name), g(&limits, name));
        let (rp, lp) = if milli {
            (
                pct(r.milli_value(), a.milli_value()),
                pct(l.milli_value(), a.milli_value()),
            )
        } else {
            (pct(r.value(), a.value()), pct(l.value(), a.value()))
        };
        w.w(
            1,
            &format!(
                "{name}\t{} ({rp}%)\t{} ({lp}%)\n",
                r.canonical(),
                l.canonical()
            ),
        );
    }
    let standard = ["cpu", "memory", "ephemeral-storage", "pods"];
    let mut huge: Vec<&(String, Quantity)> = alloc
        .iter()
        .filter(|(k, _)| k.starts_with("hugepages-"))
        .collect();
    huge.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, a) in huge {
        let (r, l) = (g(&reqs, name), g(&limits, name));
        w.w(
            1,
            &format!(
                "{name}\t{} ({}%)\t{} ({}%)\n",
                r.canonical(),
                pct(r.value(), a.value()),
                l.canonical(),
                pct(l.value(), a.value())
            ),
        );
    }
    let mut ext: Vec<&String> = alloc
        .iter()
        .map(|(k, _)| k)
        .filter(|k| !k.starts_with("hugepages-") && !standard.contains(&k.as_str()))
        .collect();
    ext.sort();
    for name in ext {
        w.w(
            1,
            &format!(
                "{name}\t{}\t{}\n",
                g(&reqs, name).canonical(),
                g(&limits, name).canonical()
            ),
        );
    }
}
