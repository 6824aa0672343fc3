//! Pods, and the pieces shared with every workload: containers, volumes, pod templates.

use std::collections::HashMap;

use serde_json::Value;

use super::Related;
use super::events::describe_events;
use super::mask;
use super::quantity::Quantity;
use super::volume::describe_volumes;
use super::writer::*;

/// `kubectl describe pod`.
pub fn describe_pod(pod: &Value, rel: &Related) -> String {
    let mut w = W::new();
    let spec = pod.get("spec").unwrap_or(&Value::Null);
    let status = pod.get("status").unwrap_or(&Value::Null);
    w.w(0, &format!("Name:\t{}\n", s(pod, &["metadata", "name"])));
    w.w(
        0,
        &format!("Namespace:\t{}\n", s(pod, &["metadata", "namespace"])),
    );
    if let Some(p) = get(spec, &["priority"]) {
        w.w(0, &format!("Priority:\t{}\n", scalar(p)));
    }
    let pcn = s(spec, &["priorityClassName"]);
    if !pcn.is_empty() {
        w.w(0, &format!("Priority Class Name:\t{pcn}\n"));
    }
    let rcn = s(spec, &["runtimeClassName"]);
    if !rcn.is_empty() {
        w.w(0, &format!("Runtime Class Name:\t{rcn}\n"));
    }
    let sa = s(spec, &["serviceAccountName"]);
    if !sa.is_empty() {
        w.w(0, &format!("Service Account:\t{sa}\n"));
    }
    let node = s(spec, &["nodeName"]);
    if node.is_empty() {
        w.w(0, "Node:\t<none>\n");
    } else {
        w.w(0, &format!("Node:\t{node}/{}\n", s(status, &["hostIP"])));
    }
    if get(status, &["startTime"]).is_some() {
        w.w(
            0,
            &format!("Start Time:\t{}\n", rfc1123z(s(status, &["startTime"]))),
        );
    }
    labels_multiline(&mut w, "Labels", &str_map(pod, &["metadata", "labels"]));
    annotations_multiline(
        &mut w,
        "Annotations",
        &str_map(pod, &["metadata", "annotations"]),
    );
    let phase = s(status, &["phase"]);
    if get(pod, &["metadata", "deletionTimestamp"]).is_some()
        && phase != "Failed"
        && phase != "Succeeded"
    {
        w.w(
            0,
            &format!(
                "Status:\tTerminating (lasts {})\n",
                age(s(pod, &["metadata", "deletionTimestamp"]))
            ),
        );
        w.w(
            0,
            &format!(
                "Termination Grace Period:\t{}s\n",
                i(pod, &["metadata", "deletionGracePeriodSeconds"])
            ),
        );
    } else {
        w.w(0, &format!("Status:\t{phase}\n"));
    }
    let reason = s(status, &["reason"]);
    if !reason.is_empty() {
        w.w(0, &format!("Reason:\t{reason}\n"));
    }
    let message = s(status, &["message"]);
    if !message.is_empty() {
        w.w(0, &format!("Message:\t{message}\n"));
    }
    if let Some(sp) = get(spec, &["securityContext", "seccompProfile"]) {
        w.w(0, &format!("SeccompProfile:\t{}\n", s(sp, &["type"])));
        if s(sp, &["type"]) == "Localhost" {
            w.w(
                0,
                &format!("LocalhostProfile:\t{}\n", s(sp, &["localhostProfile"])),
            );
        }
    }
    w.w(0, &format!("IP:\t{}\n", s(status, &["podIP"])));
    let ips = arr(status, &["podIPs"]);
    if ips.is_empty() {
        w.w(0, "IPs:\t<none>\n");
    } else {
        w.w(0, "IPs:\n");
        for ip in ips {
            w.w(1, &format!("IP:\t{}\n", s(ip, &["ip"])));
        }
    }
    if let Some(c) = controller_of(pod) {
        w.w(0, &format!("Controlled By:\t{c}\n"));
    }
    let nominated = s(status, &["nominatedNodeName"]);
    if !nominated.is_empty() {
        w.w(0, &format!("NominatedNodeName:\t{nominated}\n"));
    }
    if let Some(res) = get(spec, &["resources"]) {
        w.w(0, "Resources:\n");
        describe_resources(&mut w, res, 1);
    }
    let env = EnvSource::Pod(pod);
    let init = arr(spec, &["initContainers"]);
    if !init.is_empty() {
        describe_containers(
            &mut w,
            "Init Containers",
            init,
            Some(arr(status, &["initContainerStatuses"])),
            &env,
            "",
        );
    }
    describe_containers(
        &mut w,
        "Containers",
        arr(spec, &["containers"]),
        Some(arr(status, &["containerStatuses"])),
        &env,
        "",
    );
    let eph = arr(spec, &["ephemeralContainers"]);
    if !eph.is_empty() {
        describe_containers(
            &mut w,
            "Ephemeral Containers",
            eph,
            Some(arr(status, &["ephemeralContainerStatuses"])),
            &env,
            "",
        );
    }
    let conditions = arr(status, &["conditions"]);
    let gates = arr(spec, &["readinessGates"]);
    if !gates.is_empty() {
        w.w(0, "Readiness Gates:\n  Type\tStatus\n");
        for g in gates {
            let t = s(g, &["conditionType"]);
            let st = conditions
                .iter()
                .find(|c| s(c, &["type"]) == t)
                .map(|c| s(c, &["status"]).to_string())
                .unwrap_or_else(|| "<none>".to_string());
            w.w(1, &format!("{t} \t{st} \n"));
        }
    }
    if !conditions.is_empty() {
        w.w(0, "Conditions:\n  Type\tStatus\n");
        for c in conditions {
            w.w(
                1,
                &format!("{} \t{} \n", s(c, &["type"]), s(c, &["status"])),
            );
        }
    }
    describe_volumes(&mut w, arr(spec, &["volumes"]), "");
    w.w(0, &format!("QoS Class:\t{}\n", qos_class(pod)));
    labels_multiline(&mut w, "Node-Selectors", &str_map(spec, &["nodeSelector"]));
    tolerations_multiline(&mut w, "", "Tolerations", arr(spec, &["tolerations"]));
    describe_topology_spread(&mut w, arr(spec, &["topologySpreadConstraints"]), "");
    if let Some(events) = &rel.events {
        describe_events(&mut w, events);
    }
    w.finish()
}

/// `DescribePodTemplate`, used by every workload.
pub fn describe_pod_template(w: &mut W, template: Option<&Value>) {
    w.w(0, "Pod Template:\n");
    let Some(t) = template else {
        w.w(1, "<unset>");
        return;
    };
    let spec = t.get("spec").unwrap_or(&Value::Null);
    labels_multiline(w, "  Labels", &str_map(t, &["metadata", "labels"]));
    let ann = str_map(t, &["metadata", "annotations"]);
    if !ann.is_empty() {
        annotations_multiline(w, "  Annotations", &ann);
    }
    let sa = s(spec, &["serviceAccountName"]);
    if !sa.is_empty() {
        w.w(1, &format!("Service Account:\t{sa}\n"));
    }
    let init = arr(spec, &["initContainers"]);
    if !init.is_empty() {
        describe_containers(w, "Init Containers", init, None, &EnvSource::Template, "  ");
    }
    describe_containers(
        w,
        "Containers",
        arr(spec, &["containers"]),
        None,
        &EnvSource::Template,
        "  ",
    );
    describe_volumes(w, arr(spec, &["volumes"]), "  ");
    describe_topology_spread(w, arr(spec, &["topologySpreadConstraints"]), "  ");
    let pcn = s(spec, &["priorityClassName"]);
    if !pcn.is_empty() {
        w.w(1, &format!("Priority Class Name:\t{pcn}\n"));
    }
    labels_multiline(w, "  Node-Selectors", &str_map(spec, &["nodeSelector"]));
    tolerations_multiline(w, "", "  Tolerations", arr(spec, &["tolerations"]));
}

/// Where `valueFrom.fieldRef` values come from: a real pod, or nothing (templates).
pub enum EnvSource<'a> {
    Pod(&'a Value),
    Template,
}

fn describe_containers(
    w: &mut W,
    label: &str,
    containers: &[Value],
    statuses: Option<&[Value]>,
    env: &EnvSource,
    space: &str,
) {
    let by_name: HashMap<&str, &Value> = statuses
        .unwrap_or(&[])
        .iter()
        .map(|st| (s(st, &["name"]), st))
        .collect();
    let none = if containers.is_empty() { " <none>" } else { "" };
    w.w(0, &format!("{space}{label}:{none}\n"));
    for c in containers {
        let status = by_name.get(s(c, &["name"])).copied();
        let name_indent = if space.is_empty() { "" } else { " " };
        w.w(1, &format!("{name_indent}{}:\n", s(c, &["name"])));
        if let Some(st) = status {
            w.w(2, &format!("Container ID:\t{}\n", s(st, &["containerID"])));
        }
        w.w(2, &format!("Image:\t{}\n", s(c, &["image"])));
        if let Some(st) = status {
            w.w(2, &format!("Image ID:\t{}\n", s(st, &["imageID"])));
        }
        let ports = arr(c, &["ports"]);
        let port_str = ports
            .iter()
            .map(|p| format!("{}/{}", i(p, &["containerPort"]), s(p, &["protocol"])))
            .collect::<Vec<_>>()
            .join(", ");
        if port_str.contains(',') {
            w.w(2, &format!("Ports:\t{port_str}\n"));
        } else {
            w.w(2, &format!("Port:\t{}\n", or_none(&port_str)));
        }
        let host_str = ports
            .iter()
            .map(|p| format!("{}/{}", i(p, &["hostPort"]), s(p, &["protocol"])))
            .collect::<Vec<_>>()
            .join(", ");
        if host_str.contains(',') {
            w.w(2, &format!("Host Ports:\t{host_str}\n"));
        } else {
            w.w(2, &format!("Host Port:\t{}\n", or_none(&host_str)));
        }
        if let Some(sp) = get(c, &["securityContext", "seccompProfile"]) {
            w.w(2, &format!("SeccompProfile:\t{}\n", s(sp, &["type"])));
            if s(sp, &["type"]) == "Localhost" {
                w.w(
                    3,
                    &format!("LocalhostProfile:\t{}\n", s(sp, &["localhostProfile"])),
                );
            }
        }
        for (title, key) in [("Command", "command"), ("Args", "args")] {
            let items = arr(c, &[key]);
            if !items.is_empty() {
                w.w(2, &format!("{title}:\n"));
                for item in items {
                    for line in scalar(item).split('\n') {
                        w.w(3, &format!("{line}\n"));
                    }
                }
            }
        }
        if let Some(st) = status {
            describe_state(w, "State", st.get("state"));
            if get(st, &["lastState", "terminated"]).is_some() {
                describe_state(w, "Last State", st.get("lastState"));
            }
            w.w(2, &format!("Ready:\t{}\n", print_bool(b(st, &["ready"]))));
            w.w(
                2,
                &format!("Restart Count:\t{}\n", i(st, &["restartCount"])),
            );
        }
        if let Some(res) = get(c, &["resources"]) {
            describe_resources(w, res, 2);
        }
        for (title, key) in [
            ("Liveness", "livenessProbe"),
            ("Readiness", "readinessProbe"),
            ("Startup", "startupProbe"),
        ] {
            if let Some(p) = get(c, &[key]) {
                w.w(2, &format!("{title}:\t{}\n", describe_probe(p)));
            }
        }
        let env_from = arr(c, &["envFrom"]);
        if !env_from.is_empty() {
            w.w(2, "Environment Variables from:\n");
            for e in env_from {
                let (from, src) = if let Some(r) = get(e, &["configMapRef"]) {
                    ("ConfigMap", r)
                } else if let Some(r) = get(e, &["secretRef"]) {
                    ("Secret", r)
                } else {
                    ("", &Value::Null)
                };
                let name = s(src, &["name"]);
                let optional = b(src, &["optional"]);
                let prefix = s(e, &["prefix"]);
                if prefix.is_empty() {
                    w.w(3, &format!("{name}\t{from}\tOptional: {optional}\n"));
                } else {
                    w.w(
                        3,
                        &format!("{name}\t{from} with prefix '{prefix}'\tOptional: {optional}\n"),
                    );
                }
            }
        }
        describe_env(w, c, env);
        describe_mounts(w, c);
    }
}

fn describe_env(w: &mut W, c: &Value, env: &EnvSource) {
    let vars = arr(c, &["env"]);
    let none = if vars.is_empty() { "\t<none>" } else { "" };
    w.w(2, &format!("Environment:{none}\n"));
    for e in vars {
        let name = s(e, &["name"]);
        let Some(from) = get(e, &["valueFrom"]) else {
            let value = mask::env_value(name, s(e, &["value"]));
            for (n, line) in value.split('\n').enumerate() {
                if n == 0 {
                    w.w(3, &format!("{name}:\t{line}\n"));
                } else {
                    w.w(3, &format!("\t{line}\n"));
                }
            }
            continue;
        };
        if let Some(f) = get(from, &["fieldRef"]) {
            let value = match env {
                EnvSource::Pod(pod) => field_path_value(pod, s(f, &["fieldPath"])),
                EnvSource::Template => String::new(),
            };
            w.w(
                3,
                &format!(
                    "{name}:\t{value} ({}:{})\n",
                    s(f, &["apiVersion"]),
                    s(f, &["fieldPath"])
                ),
            );
        } else if let Some(r) = get(from, &["resourceFieldRef"]) {
            let resource = s(r, &["resource"]);
            let mut value = container_resource_value(c, r);
            if value == "0" && (resource == "limits.cpu" || resource == "limits.memory") {
                value = "node allocatable".to_string();
            }
            w.w(3, &format!("{name}:\t{value} ({resource})\n"));
        } else if let Some(r) = get(from, &["secretKeyRef"]) {
            w.w(
                3,
                &format!(
                    "{name}:\t<set to the key '{}' in secret '{}'>\tOptional: {}\n",
                    s(r, &["key"]),
                    s(r, &["name"]),
                    b(r, &["optional"])
                ),
            );
        } else if let Some(r) = get(from, &["configMapKeyRef"]) {
            w.w(
                3,
                &format!(
                    "{name}:\t<set to the key '{}' of config map '{}'>\tOptional: {}\n",
                    s(r, &["key"]),
                    s(r, &["name"]),
                    b(r, &["optional"])
                ),
            );
        }
    }
}

/// The value kubectl resolves for a `fieldRef` on a live pod.
fn field_path_value(pod: &Value, path: &str) -> String {
    let bracket = |prefix: &str, field: &str| -> Option<String> {
        let key = path
            .strip_prefix(prefix)?
            .strip_suffix("']")
            .or_else(|| path.strip_prefix(prefix)?.strip_suffix("\"]"))?;
        Some(s(pod, &["metadata", field, key]).to_string())
    };
    if let Some(v) = bracket("metadata.labels['", "labels")
        .or_else(|| bracket("metadata.annotations['", "annotations"))
    {
        return v;
    }
    let value = match path {
        "metadata.name" => s(pod, &["metadata", "name"]),
        "metadata.namespace" => s(pod, &["metadata", "namespace"]),
        "metadata.uid" => s(pod, &["metadata", "uid"]),
        "spec.nodeName" => s(pod, &["spec", "nodeName"]),
        "spec.serviceAccountName" => s(pod, &["spec", "serviceAccountName"]),
        "status.hostIP" => s(pod, &["status", "hostIP"]),
        "status.podIP" => s(pod, &["status", "podIP"]),
        "status.podIPs" => {
            return arr(pod, &["status", "podIPs"])
                .iter()
                .map(|ip| s(ip, &["ip"]).to_string())
                .collect::<Vec<_>>()
                .join(",");
        }
        "metadata.labels" | "metadata.annotations" => {
            let field = path.trim_start_matches("metadata.");
            return str_map(pod, &["metadata", field])
                .into_iter()
                .map(|(k, v)| format!("{k}=\"{v}\""))
                .collect::<Vec<_>>()
                .join("\n");
        }
        _ => "",
    };
    value.to_string()
}

/// `ExtractContainerResourceValue` for cpu, memory and ephemeral storage.
fn container_resource_value(c: &Value, r: &Value) -> String {
    let resource = s(r, &["resource"]);
    let divisor = get(r, &["divisor"])
        .map(scalar)
        .and_then(|d| Quantity::parse(&d))
        .filter(|q| q.nanos != 0)
        .unwrap_or(Quantity {
            nanos: 1_000_000_000,
            format: super::quantity::Format::DecimalSi,
        });
    let Some((kind, name)) = resource.split_once('.') else {
        return String::new();
    };
    let q = get(c, &["resources", kind, name])
        .map(scalar)
        .and_then(|v| Quantity::parse(&v))
        .unwrap_or(Quantity::zero());
    let (num, den) = if name == "cpu" {
        (q.milli_value(), divisor.milli_value())
    } else {
        (q.value(), divisor.value())
    };
    if den == 0 {
        return String::new();
    }
    let mut v = num / den;
    if num % den > 0 {
        v += 1;
    }
    v.to_string()
}

fn describe_mounts(w: &mut W, c: &Value) {
    let mut mounts: Vec<&Value> = arr(c, &["volumeMounts"]).iter().collect();
    let none = if mounts.is_empty() { "\t<none>" } else { "" };
    w.w(2, &format!("Mounts:{none}\n"));
    mounts.sort_by(|a, b| s(a, &["mountPath"]).cmp(s(b, &["mountPath"])));
    for m in mounts {
        let mut flags = vec![if b(m, &["readOnly"]) { "ro" } else { "rw" }.to_string()];
        let sub = s(m, &["subPath"]);
        if !sub.is_empty() {
            flags.push(format!("path={sub:?}"));
        }
        w.w(
            3,
            &format!(
                "{} from {} ({})\n",
                s(m, &["mountPath"]),
                s(m, &["name"]),
                flags.join(",")
            ),
        );
    }
    let mut devices: Vec<&Value> = arr(c, &["volumeDevices"]).iter().collect();
    if !devices.is_empty() {
        w.w(2, "Devices:\n");
        devices.sort_by(|a, b| s(a, &["devicePath"]).cmp(s(b, &["devicePath"])));
        for d in devices {
            w.w(
                3,
                &format!("{} from {}\n", s(d, &["devicePath"]), s(d, &["name"])),
            );
        }
    }
}

/// `describeResources`: Limits then Requests, names sorted.
pub fn describe_resources(w: &mut W, res: &Value, level: usize) {
    for (title, key) in [("Limits", "limits"), ("Requests", "requests")] {
        let list = str_map(res, &[key]);
        if !list.is_empty() {
            w.w(level, &format!("{title}:\n"));
        }
        for (name, q) in list {
            w.w(level + 1, &format!("{name}:\t{q}\n"));
        }
    }
}

fn describe_state(w: &mut W, title: &str, state: Option<&Value>) {
    let state = state.unwrap_or(&Value::Null);
    if let Some(r) = get(state, &["running"]) {
        w.w(2, &format!("{title}:\tRunning\n"));
        w.w(
            3,
            &format!("Started:\t{}\n", rfc1123z(s(r, &["startedAt"]))),
        );
    } else if let Some(wt) = get(state, &["waiting"]) {
        w.w(2, &format!("{title}:\tWaiting\n"));
        let reason = s(wt, &["reason"]);
        if !reason.is_empty() {
            w.w(3, &format!("Reason:\t{reason}\n"));
        }
    } else if let Some(t) = get(state, &["terminated"]) {
        w.w(2, &format!("{title}:\tTerminated\n"));
        let reason = s(t, &["reason"]);
        if !reason.is_empty() {
            w.w(3, &format!("Reason:\t{reason}\n"));
        }
        let message = s(t, &["message"]);
        if !message.is_empty() {
            w.w(3, &format!("Message:\t{message}\n"));
        }
        w.w(3, &format!("Exit Code:\t{}\n", i(t, &["exitCode"])));
        let signal = i(t, &["signal"]);
        if signal > 0 {
            w.w(3, &format!("Signal:\t{signal}\n"));
        }
        w.w(
            3,
            &format!("Started:\t{}\n", rfc1123z(s(t, &["startedAt"]))),
        );
        w.w(
            3,
            &format!("Finished:\t{}\n", rfc1123z(s(t, &["finishedAt"]))),
        );
    } else {
        w.w(2, &format!("{title}:\tWaiting\n"));
    }
}

/// `DescribeProbe`.
pub fn describe_probe(p: &Value) -> String {
    let attrs = format!(
        "delay={}s timeout={}s period={}s #success={} #failure={}",
        i(p, &["initialDelaySeconds"]),
        i(p, &["timeoutSeconds"]),
        i(p, &["periodSeconds"]),
        i(p, &["successThreshold"]),
        i(p, &["failureThreshold"])
    );
    if let Some(e) = get(p, &["exec"]) {
        let cmd: Vec<String> = arr(e, &["command"]).iter().map(scalar).collect();
        return format!("exec [{}] {attrs}", cmd.join(" "));
    }
    if let Some(h) = get(p, &["httpGet"]) {
        let scheme = s(h, &["scheme"]).to_lowercase();
        let port = int_or_string(get(h, &["port"]));
        let host = s(h, &["host"]);
        let hostport = if port.is_empty() {
            host.to_string()
        } else if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let path = s(h, &["path"]);
        let url = if scheme.is_empty() {
            format!("//{hostport}{path}")
        } else {
            format!("{scheme}://{hostport}{path}")
        };
        return format!("http-get {url} {attrs}");
    }
    if let Some(t) = get(p, &["tcpSocket"]) {
        return format!(
            "tcp-socket {}:{} {attrs}",
            s(t, &["host"]),
            int_or_string(get(t, &["port"]))
        );
    }
    if let Some(g) = get(p, &["grpc"]) {
        return format!(
            "grpc <pod>:{} {} {attrs}",
            i(g, &["port"]),
            s(g, &["service"])
        );
    }
    format!("unknown {attrs}")
}

fn describe_topology_spread(w: &mut W, tscs: &[Value], space: &str) {
    if tscs.is_empty() {
        return;
    }
    let mut list: Vec<&Value> = tscs.iter().collect();
    list.sort_by(|a, b| s(a, &["topologyKey"]).cmp(s(b, &["topologyKey"])));
    w.w(0, &format!("{space}Topology Spread Constraints:\t"));
    for (n, t) in list.into_iter().enumerate() {
        if n != 0 {
            w.raw(space);
            w.raw("\t");
        }
        let mut line = format!(
            "{}:{} when max skew {} is exceeded",
            s(t, &["topologyKey"]),
            s(t, &["whenUnsatisfiable"]),
            i(t, &["maxSkew"])
        );
        if let Some(sel) = get(t, &["labelSelector"]) {
            line.push_str(&format!(
                " for selector {}",
                format_label_selector(Some(sel))
            ));
        }
        w.raw(&format!("{line}\n"));
    }
}

/// The pod's QoS class: the one the server recorded, else computed as kubelet does.
pub fn qos_class(pod: &Value) -> String {
    let recorded = s(pod, &["status", "qosClass"]);
    if !recorded.is_empty() {
        return recorded.to_string();
    }
    let spec = pod.get("spec").unwrap_or(&Value::Null);
    let containers: Vec<&Value> = arr(spec, &["containers"])
        .iter()
        .chain(arr(spec, &["initContainers"]))
        .collect();
    let mut any = false;
    let mut guaranteed = true;
    for c in &containers {
        let req = str_map(c, &["resources", "requests"]);
        let lim = str_map(c, &["resources", "limits"]);
        let relevant = |l: &[(String, String)]| {
            l.iter()
                .filter(|(k, q)| {
                    (k == "cpu" || k == "memory")
                        && Quantity::parse(q).is_some_and(|q| q.nanos != 0)
                })
                .cloned()
                .collect::<Vec<_>>()
        };
        let (req, lim) = (relevant(&req), relevant(&lim));
        if !req.is_empty() || !lim.is_empty() {
            any = true;
        }
        if lim.len() != 2 {
            guaranteed = false;
        }
        for (k, q) in &req {
            let l = lim.iter().find(|(lk, _)| lk == k);
            let equal = l.is_some_and(|(_, lq)| Quantity::parse(lq) == Quantity::parse(q));
            if !equal {
                guaranteed = false;
            }
        }
    }
    if !any {
        "BestEffort".to_string()
    } else if guaranteed {
        "Guaranteed".to_string()
    } else {
        "Burstable".to_string()
    }
}

/// `PodRequestsAndLimits`: (requests, limits) summed over containers, the maximum with init
/// containers, plus overhead.
pub fn pod_requests_and_limits(
    pod: &Value,
) -> (
    std::collections::BTreeMap<String, Quantity>,
    std::collections::BTreeMap<String, Quantity>,
) {
    let spec = pod.get("spec").unwrap_or(&Value::Null);
    let mut out = Vec::new();
    for key in ["requests", "limits"] {
        let mut total: std::collections::BTreeMap<String, Quantity> = Default::default();
        for c in arr(spec, &["containers"]) {
            add_list(&mut total, c, key);
        }
        let mut restartable: std::collections::BTreeMap<String, Quantity> = Default::default();
        let mut init_max: std::collections::BTreeMap<String, Quantity> = Default::default();
        for c in arr(spec, &["initContainers"]) {
            let sidecar = s(c, &["restartPolicy"]) == "Always";
            let mut this: std::collections::BTreeMap<String, Quantity> = Default::default();
            if sidecar {
                add_list(&mut total, c, key);
                add_list(&mut restartable, c, key);
                this = restartable.clone();
            } else {
                add_list(&mut this, c, key);
                for (k, q) in &restartable {
                    add_one(&mut this, k, q);
                }
            }
            for (k, q) in this {
                match init_max.get(&k) {
                    Some(cur) if cur.nanos >= q.nanos => {}
                    _ => {
                        init_max.insert(k, q);
                    }
                }
            }
        }
        for (k, q) in init_max {
            match total.get(&k) {
                Some(cur) if cur.nanos >= q.nanos => {}
                _ => {
                    total.insert(k, q);
                }
            }
        }
        if let Some(overhead) = get(spec, &["overhead"]).and_then(Value::as_object) {
            for (k, v) in overhead {
                if let Some(q) = Quantity::parse(&scalar(v)) {
                    add_one(&mut total, k, &q);
                }
            }
        }
        out.push(total);
    }
    let limits = out.pop().unwrap_or_default();
    let requests = out.pop().unwrap_or_default();
    (requests, limits)
}

fn add_list(total: &mut std::collections::BTreeMap<String, Quantity>, c: &Value, key: &str) {
    for (k, v) in str_map(c, &["resources", key]) {
        if let Some(q) = Quantity::parse(&v) {
            add_one(total, &k, &q);
        }
    }
}

fn add_one(total: &mut std::collections::BTreeMap<String, Quantity>, k: &str, q: &Quantity) {
    match total.get_mut(k) {
        Some(cur) => cur.add(q),
        None => {
            total.insert(k.to_string(), *q);
        }
    }
}
