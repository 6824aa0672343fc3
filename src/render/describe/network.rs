//! Services, Endpoints and Ingresses.

use serde_json::Value;

use super::events::describe_events;
use super::writer::*;
use super::{EpSlice, Related};

/// kubectl's `formatEndpointSlices`: up to three ready `ip:port`, then `+ N more...`.
/// `port_name` restricts to one named port (`None` for all ports).
pub fn format_endpoints(slices: &[EpSlice], port_name: Option<&str>) -> String {
    if slices.is_empty() {
        return "<none>".to_string();
    }
    const MAX: usize = 3;
    let mut list: Vec<String> = Vec::new();
    let mut more = false;
    let mut count = 0usize;
    for sl in slices {
        if sl.ports.is_empty() {
            for (addr, ready) in &sl.endpoints {
                if list.len() == MAX {
                    more = true;
                }
                if !ready {
                    continue;
                }
                if !more {
                    list.push(addr.clone());
                }
                count += 1;
            }
        } else {
            for (name, port) in &sl.ports {
                if port_name.is_some_and(|p| p != name) {
                    continue;
                }
                for (addr, ready) in &sl.endpoints {
                    if list.len() == MAX {
                        more = true;
                    }
                    if !ready {
                        continue;
                    }
                    if !more {
                        if addr.contains(':') {
                            list.push(format!("[{addr}]:{port}"));
                        } else {
                            list.push(format!("{addr}:{port}"));
                        }
                    }
                    count += 1;
                }
            }
        }
    }
    let ret = list.join(",");
    if more {
        format!("{ret} + {} more...", count.saturating_sub(MAX))
    } else {
        ret
    }
}

/// EndpointSlices (v1 or v1beta1) in the shape [`format_endpoints`] reads.
pub fn slices_from_endpoint_slices(items: &[Value]) -> Vec<EpSlice> {
    items
        .iter()
        .map(|sl| EpSlice {
            ports: arr(sl, &["ports"])
                .iter()
                .map(|p| (s(p, &["name"]).to_string(), i(p, &["port"])))
                .collect(),
            endpoints: arr(sl, &["endpoints"])
                .iter()
                .filter_map(|e| {
                    let addr = arr(e, &["addresses"]).first().map(scalar)?;
                    let ready = get(e, &["conditions", "ready"])
                        .and_then(Value::as_bool)
                        .unwrap_or(true);
                    Some((addr, ready))
                })
                .collect(),
        })
        .collect()
}

/// A core/v1 Endpoints object in the same shape (one slice per subset).
pub fn slices_from_endpoints(ep: &Value) -> Vec<EpSlice> {
    arr(ep, &["subsets"])
        .iter()
        .map(|sub| EpSlice {
            ports: arr(sub, &["ports"])
                .iter()
                .map(|p| (s(p, &["name"]).to_string(), i(p, &["port"])))
                .collect(),
            endpoints: arr(sub, &["addresses"])
                .iter()
                .map(|a| (s(a, &["ip"]).to_string(), true))
                .chain(
                    arr(sub, &["notReadyAddresses"])
                        .iter()
                        .map(|a| (s(a, &["ip"]).to_string(), false)),
                )
                .collect(),
        })
        .collect()
}

/// `kubectl describe service`.
pub fn describe_service(svc: &Value, rel: &Related) -> String {
    let mut w = W::new();
    let spec = svc.get("spec").unwrap_or(&Value::Null);
    w.w(0, &format!("Name:\t{}\n", s(svc, &["metadata", "name"])));
    w.w(
        0,
        &format!("Namespace:\t{}\n", s(svc, &["metadata", "namespace"])),
    );
    labels_multiline(&mut w, "Labels", &str_map(svc, &["metadata", "labels"]));
    annotations_multiline(
        &mut w,
        "Annotations",
        &str_map(svc, &["metadata", "annotations"]),
    );
    w.w(
        0,
        &format!(
            "Selector:\t{}\n",
            format_labels(&str_map(spec, &["selector"]))
        ),
    );
    w.w(0, &format!("Type:\t{}\n", s(spec, &["type"])));
    if let Some(p) = get(spec, &["ipFamilyPolicy"]) {
        w.w(0, &format!("IP Family Policy:\t{}\n", scalar(p)));
    }
    let fams: Vec<String> = arr(spec, &["ipFamilies"]).iter().map(scalar).collect();
    w.w(
        0,
        &format!(
            "IP Families:\t{}\n",
            if fams.is_empty() {
                "<none>".to_string()
            } else {
                fams.join(",")
            }
        ),
    );
    w.w(0, &format!("IP:\t{}\n", s(spec, &["clusterIP"])));
    let ips: Vec<String> = arr(spec, &["clusterIPs"]).iter().map(scalar).collect();
    w.w(
        0,
        &format!(
            "IPs:\t{}\n",
            if ips.is_empty() {
                "<none>".to_string()
            } else {
                ips.join(",")
            }
        ),
    );
    let ext: Vec<String> = arr(spec, &["externalIPs"]).iter().map(scalar).collect();
    if !ext.is_empty() {
        w.w(0, &format!("External IPs:\t{}\n", ext.join(",")));
    }
    let lbip = s(spec, &["loadBalancerIP"]);
    if !lbip.is_empty() {
        w.w(0, &format!("Desired LoadBalancer IP:\t{lbip}\n"));
    }
    let ext_name = s(spec, &["externalName"]);
    if !ext_name.is_empty() {
        w.w(0, &format!("External Name:\t{ext_name}\n"));
    }
    let lb = arr(svc, &["status", "loadBalancer", "ingress"]);
    if !lb.is_empty() {
        let list: Vec<String> = lb
            .iter()
            .map(|i| {
                let ip = s(i, &["ip"]);
                if ip.is_empty() {
                    s(i, &["hostname"]).to_string()
                } else if let Some(mode) = get(i, &["ipMode"]) {
                    format!("{ip} ({})", scalar(mode))
                } else {
                    ip.to_string()
                }
            })
            .collect();
        w.w(0, &format!("LoadBalancer Ingress:\t{}\n", list.join(", ")));
    }
    let slices = rel.endpoints.clone().unwrap_or_default();
    for sp in arr(spec, &["ports"]) {
        let name = s(sp, &["name"]);
        let shown = if name.is_empty() { "<unset>" } else { name };
        let proto = s(sp, &["protocol"]);
        w.w(
            0,
            &format!("Port:\t{shown}\t{}/{proto}\n", i(sp, &["port"])),
        );
        w.w(
            0,
            &format!(
                "TargetPort:\t{}/{proto}\n",
                int_or_string(get(sp, &["targetPort"]))
            ),
        );
        let node_port = i(sp, &["nodePort"]);
        if node_port != 0 {
            w.w(0, &format!("NodePort:\t{shown}\t{node_port}/{proto}\n"));
        }
        w.w(
            0,
            &format!("Endpoints:\t{}\n", format_endpoints(&slices, Some(name))),
        );
    }
    w.w(
        0,
        &format!("Session Affinity:\t{}\n", s(spec, &["sessionAffinity"])),
    );
    let etp = s(spec, &["externalTrafficPolicy"]);
    if !etp.is_empty() {
        w.w(0, &format!("External Traffic Policy:\t{etp}\n"));
    }
    if let Some(itp) = get(spec, &["internalTrafficPolicy"]) {
        w.w(0, &format!("Internal Traffic Policy:\t{}\n", scalar(itp)));
    }
    let hc = i(spec, &["healthCheckNodePort"]);
    if hc != 0 {
        w.w(0, &format!("HealthCheck NodePort:\t{hc}\n"));
    }
    let ranges: Vec<String> = arr(spec, &["loadBalancerSourceRanges"])
        .iter()
        .map(scalar)
        .collect();
    if !ranges.is_empty() {
        w.w(
            0,
            &format!("LoadBalancer Source Ranges:\t{}\n", ranges.join(",")),
        );
    }
    let td = s(spec, &["trafficDistribution"]);
    if !td.is_empty() {
        w.w(0, &format!("Traffic Distribution:\t{td}\n"));
    }
    if let Some(ev) = &rel.events {
        describe_events(&mut w, ev);
    }
    w.finish()
}

/// `kubectl describe endpoints`.
pub fn describe_endpoints(ep: &Value, rel: &Related) -> String {
    let mut w = W::new();
    w.w(0, &format!("Name:\t{}\n", s(ep, &["metadata", "name"])));
    w.w(
        0,
        &format!("Namespace:\t{}\n", s(ep, &["metadata", "namespace"])),
    );
    labels_multiline(&mut w, "Labels", &str_map(ep, &["metadata", "labels"]));
    annotations_multiline(
        &mut w,
        "Annotations",
        &str_map(ep, &["metadata", "annotations"]),
    );
    w.w(0, "Subsets:\n");
    for sub in arr(ep, &["subsets"]) {
        let join = |key: &str| {
            let list: Vec<&str> = arr(sub, &[key]).iter().map(|a| s(a, &["ip"])).collect();
            let text = list.join(",");
            if text.is_empty() {
                "<none>".to_string()
            } else {
                text
            }
        };
        w.w(1, &format!("Addresses:\t{}\n", join("addresses")));
        w.w(
            1,
            &format!("NotReadyAddresses:\t{}\n", join("notReadyAddresses")),
        );
        let ports = arr(sub, &["ports"]);
        if !ports.is_empty() {
            w.w(1, "Ports:\n");
            w.w(2, "Name\tPort\tProtocol\n");
            w.w(2, "----\t----\t--------\n");
            for p in ports {
                let name = s(p, &["name"]);
                w.w(
                    2,
                    &format!(
                        "{}\t{}\t{}\n",
                        if name.is_empty() { "<unset>" } else { name },
                        i(p, &["port"]),
                        s(p, &["protocol"])
                    ),
                );
            }
        }
        w.w(0, "\n");
    }
    if let Some(ev) = &rel.events {
        describe_events(&mut w, ev);
    }
    w.finish()
}

/// `kubectl describe ingress` (networking.k8s.io/v1, and the v1beta1 shape).
pub fn describe_ingress(ing: &Value, rel: &Related) -> String {
    let v1beta1 = rel.api_version.ends_with("v1beta1");
    let mut w = W::new();
    let spec = ing.get("spec").unwrap_or(&Value::Null);
    w.w(0, &format!("Name:\t{}\n", s(ing, &["metadata", "name"])));
    labels_multiline(&mut w, "Labels", &str_map(ing, &["metadata", "labels"]));
    w.w(
        0,
        &format!("Namespace:\t{}\n", s(ing, &["metadata", "namespace"])),
    );
    let mut addrs: Vec<String> = arr(ing, &["status", "loadBalancer", "ingress"])
        .iter()
        .filter_map(|i| {
            let ip = s(i, &["ip"]);
            let host = s(i, &["hostname"]);
            if !ip.is_empty() {
                Some(ip.to_string())
            } else if !host.is_empty() {
                Some(host.to_string())
            } else {
                None
            }
        })
        .collect();
    addrs.sort();
    addrs.dedup();
    w.w(0, &format!("Address:\t{}\n", addrs.join(",")));
    let class = s(spec, &["ingressClassName"]);
    w.w(
        0,
        &format!(
            "Ingress Class:\t{}\n",
            if class.is_empty() { "<none>" } else { class }
        ),
    );
    let default = get(spec, &["defaultBackend"]).or_else(|| get(spec, &["backend"]));
    let default_text = match default {
        None => "<default>".to_string(),
        Some(bk) if v1beta1 => backend_endpoints(bk, rel),
        Some(bk) => describe_backend_v1(bk, rel),
    };
    w.w(0, &format!("Default backend:\t{default_text}\n"));
    let tls = arr(spec, &["tls"]);
    if !tls.is_empty() {
        w.w(0, "TLS:\n");
        for t in tls {
            let hosts: Vec<String> = arr(t, &["hosts"]).iter().map(scalar).collect();
            let secret = s(t, &["secretName"]);
            if secret.is_empty() {
                w.w(1, &format!("SNI routes {}\n", hosts.join(",")));
            } else {
                w.w(1, &format!("{secret} terminates {}\n", hosts.join(",")));
            }
        }
    }
    w.w(0, "Rules:\n  Host\tPath\tBackends\n");
    w.w(1, "----\t----\t--------\n");
    let mut count = 0;
    for rule in arr(spec, &["rules"]) {
        let Some(http) = get(rule, &["http"]) else {
            continue;
        };
        count += 1;
        let host = s(rule, &["host"]);
        w.w(
            1,
            &format!("{}\t\n", if host.is_empty() { "*" } else { host }),
        );
        for path in arr(http, &["paths"]) {
            let bk = path.get("backend").unwrap_or(&Value::Null);
            if v1beta1 {
                w.w(
                    2,
                    &format!(
                        "\t{} \t{} ({})\n",
                        s(path, &["path"]),
                        backend_v1beta1_string(bk),
                        backend_endpoints(bk, rel)
                    ),
                );
            } else {
                w.w(
                    2,
                    &format!(
                        "\t{} \t{}\n",
                        s(path, &["path"]),
                        describe_backend_v1(bk, rel)
                    ),
                );
            }
        }
    }
    if count == 0 {
        if v1beta1 {
            w.w(1, "*\t* \t<default>\n");
        } else {
            w.w(1, &format!("*\t*\t{default_text}\n"));
        }
    }
    annotations_multiline(
        &mut w,
        "Annotations",
        &str_map(ing, &["metadata", "annotations"]),
    );
    if let Some(ev) = &rel.events {
        describe_events(&mut w, ev);
    }
    w.finish()
}

/// The name of a backend's Service, in either API shape.
pub fn backend_service_name(bk: &Value) -> Option<&str> {
    get(bk, &["service", "name"])
        .or_else(|| get(bk, &["serviceName"]))
        .and_then(Value::as_str)
}

fn backend_v1beta1_string(bk: &Value) -> String {
    format!(
        "{}:{}",
        s(bk, &["serviceName"]),
        int_or_string(get(bk, &["servicePort"]))
    )
}

/// The endpoints behind a backend's service port, or `<error: ...>`.
fn backend_endpoints(bk: &Value, rel: &Related) -> String {
    let Some(name) = backend_service_name(bk) else {
        return String::new();
    };
    match rel.backends.get(name) {
        None => "<error: not looked up>".to_string(),
        Some(Err(e)) => format!("<error: {e}>"),
        Some(Ok((svc, slices))) => {
            // Which service port the backend points at (by number or by name).
            let number = get(bk, &["service", "port", "number"])
                .or_else(|| get(bk, &["servicePort"]).filter(|p| p.is_number()))
                .and_then(Value::as_i64);
            let pname = get(bk, &["service", "port", "name"])
                .or_else(|| get(bk, &["servicePort"]).filter(|p| p.is_string()))
                .and_then(Value::as_str);
            let mut sp_name = "";
            for sp in arr(svc, &["spec", "ports"]) {
                if number.is_some_and(|n| n != 0 && n == i(sp, &["port"]))
                    || pname.is_some_and(|n| !n.is_empty() && n == s(sp, &["name"]))
                {
                    sp_name = s(sp, &["name"]);
                }
            }
            format_endpoints(slices, Some(sp_name))
        }
    }
}

fn describe_backend_v1(bk: &Value, rel: &Related) -> String {
    if let Some(svc) = get(bk, &["service"]) {
        let number = i(svc, &["port", "number"]);
        let port = if number != 0 {
            number.to_string()
        } else {
            s(svc, &["port", "name"]).to_string()
        };
        let sb = format!("{}:{port}", s(svc, &["name"]));
        return format!("{sb} ({})", backend_endpoints(bk, rel));
    }
    if let Some(r) = get(bk, &["resource"]) {
        let group = get(r, &["apiGroup"])
            .map(scalar)
            .unwrap_or_else(|| "<none>".to_string());
        return format!(
            "APIGroup: {group}, Kind: {}, Name: {}",
            s(r, &["kind"]),
            s(r, &["name"])
        );
    }
    String::new()
}
