//! Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs and CronJobs.

use serde_json::Value;

use super::Related;
use super::events::describe_events;
use super::pod::describe_pod_template;
use super::writer::*;

/// Pod phase counts of the pods a controller owns: (running, waiting, succeeded, failed).
fn pod_counts(owner: &Value, pods: &[Value]) -> (usize, usize, usize, usize) {
    let uid = s(owner, &["metadata", "uid"]);
    let mut counts = (0, 0, 0, 0);
    for p in pods {
        let owned = arr(p, &["metadata", "ownerReferences"])
            .iter()
            .any(|r| b(r, &["controller"]) && s(r, &["uid"]) == uid);
        if !owned {
            continue;
        }
        match s(p, &["status", "phase"]) {
            "Running" => counts.0 += 1,
            "Pending" => counts.1 += 1,
            "Succeeded" => counts.2 += 1,
            "Failed" => counts.3 += 1,
            _ => {}
        }
    }
    counts
}

fn pods_status_line(owner: &Value, rel: &Related) -> String {
    match &rel.pods {
        Some(Err(e)) => format!("error in fetching pods: {e}\n"),
        Some(Ok(pods)) => {
            let (r, w, s, f) = pod_counts(owner, pods);
            format!("{r} Running / {w} Waiting / {s} Succeeded / {f} Failed\n")
        }
        None => "0 Running / 0 Waiting / 0 Succeeded / 0 Failed\n".to_string(),
    }
}

fn header(w: &mut W, obj: &Value) {
    w.w(0, &format!("Name:\t{}\n", s(obj, &["metadata", "name"])));
    w.w(
        0,
        &format!("Namespace:\t{}\n", s(obj, &["metadata", "namespace"])),
    );
}

fn events(w: &mut W, rel: &Related) {
    if let Some(ev) = &rel.events {
        describe_events(w, ev);
    }
}

fn conditions_type_status_reason(w: &mut W, obj: &Value) {
    let conds = arr(obj, &["status", "conditions"]);
    if !conds.is_empty() {
        w.w(0, "Conditions:\n  Type\tStatus\tReason\n");
        w.w(1, "----\t------\t------\n");
        for c in conds {
            w.w(
                1,
                &format!(
                    "{} \t{}\t{}\n",
                    s(c, &["type"]),
                    s(c, &["status"]),
                    s(c, &["reason"])
                ),
            );
        }
    }
}

/// Templates equal apart from the `pod-template-hash` label (kubectl's `EqualIgnoreHash`).
fn equal_ignore_hash(a: Option<&Value>, b: Option<&Value>) -> bool {
    let strip = |t: Option<&Value>| -> Value {
        let mut t = t.cloned().unwrap_or(Value::Null);
        if let Some(meta) = t.get_mut("metadata").and_then(Value::as_object_mut) {
            if let Some(labels) = meta.get_mut("labels").and_then(Value::as_object_mut) {
                labels.remove("pod-template-hash");
                if labels.is_empty() {
                    meta.remove("labels");
                }
            }
            if meta.get("creationTimestamp").is_some_and(Value::is_null) {
                meta.remove("creationTimestamp");
            }
        }
        t
    };
    strip(a) == strip(b)
}

/// The deployment's (old, new) ReplicaSets, as `deploymentutil.GetAllReplicaSets` finds them.
pub fn split_replica_sets<'a>(d: &Value, all: &'a [Value]) -> (Vec<&'a Value>, Option<&'a Value>) {
    let uid = s(d, &["metadata", "uid"]);
    let mut owned: Vec<&Value> = all
        .iter()
        .filter(|rs| {
            arr(rs, &["metadata", "ownerReferences"])
                .iter()
                .any(|r| b(r, &["controller"]) && s(r, &["uid"]) == uid)
        })
        .collect();
    owned.sort_by(|a, b| {
        (
            s(a, &["metadata", "creationTimestamp"]),
            s(a, &["metadata", "name"]),
        )
            .cmp(&(
                s(b, &["metadata", "creationTimestamp"]),
                s(b, &["metadata", "name"]),
            ))
    });
    let template = get(d, &["spec", "template"]);
    let new = owned
        .iter()
        .find(|rs| equal_ignore_hash(get(rs, &["spec", "template"]), template))
        .copied();
    let new_uid = new.map(|n| s(n, &["metadata", "uid"]));
    let old = owned
        .into_iter()
        .filter(|rs| Some(s(rs, &["metadata", "uid"])) != new_uid)
        .collect();
    (old, new)
}

fn rs_list(list: &[&Value]) -> String {
    if list.is_empty() {
        return "<none>".to_string();
    }
    list.iter()
        .map(|rs| {
            format!(
                "{} ({}/{} replicas created)",
                s(rs, &["metadata", "name"]),
                i(rs, &["status", "replicas"]),
                i(rs, &["spec", "replicas"])
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `kubectl describe deployment`.
pub fn describe_deployment(d: &Value, rel: &Related) -> String {
    let mut w = W::new();
    header(&mut w, d);
    w.w(
        0,
        &format!(
            "CreationTimestamp:\t{}\n",
            rfc1123z(s(d, &["metadata", "creationTimestamp"]))
        ),
    );
    labels_multiline(&mut w, "Labels", &str_map(d, &["metadata", "labels"]));
    annotations_multiline(
        &mut w,
        "Annotations",
        &str_map(d, &["metadata", "annotations"]),
    );
    w.w(
        0,
        &format!(
            "Selector:\t{}\n",
            selector_string(get(d, &["spec", "selector"]))
        ),
    );
    w.w(
        0,
        &format!(
            "Replicas:\t{} desired | {} updated | {} total | {} available | {} unavailable\n",
            i(d, &["spec", "replicas"]),
            i(d, &["status", "updatedReplicas"]),
            i(d, &["status", "replicas"]),
            i(d, &["status", "availableReplicas"]),
            i(d, &["status", "unavailableReplicas"])
        ),
    );
    w.w(
        0,
        &format!("StrategyType:\t{}\n", s(d, &["spec", "strategy", "type"])),
    );
    w.w(
        0,
        &format!("MinReadySeconds:\t{}\n", i(d, &["spec", "minReadySeconds"])),
    );
    if let Some(ru) = get(d, &["spec", "strategy", "rollingUpdate"]) {
        w.w(
            0,
            &format!(
                "RollingUpdateStrategy:\t{} max unavailable, {} max surge\n",
                int_or_string(get(ru, &["maxUnavailable"])),
                int_or_string(get(ru, &["maxSurge"]))
            ),
        );
    }
    describe_pod_template(&mut w, get(d, &["spec", "template"]));
    conditions_type_status_reason(&mut w, d);
    let (old, new) = split_replica_sets(d, &rel.replica_sets);
    if !old.is_empty() || new.is_some() {
        w.w(0, &format!("OldReplicaSets:\t{}\n", rs_list(&old)));
        let new: Vec<&Value> = new.into_iter().collect();
        w.w(0, &format!("NewReplicaSet:\t{}\n", rs_list(&new)));
    }
    events(&mut w, rel);
    w.finish()
}

/// `kubectl describe replicaset`.
pub fn describe_replica_set(rs: &Value, rel: &Related) -> String {
    let mut w = W::new();
    header(&mut w, rs);
    w.w(
        0,
        &format!(
            "Selector:\t{}\n",
            format_label_selector(get(rs, &["spec", "selector"]))
        ),
    );
    labels_multiline(&mut w, "Labels", &str_map(rs, &["metadata", "labels"]));
    annotations_multiline(
        &mut w,
        "Annotations",
        &str_map(rs, &["metadata", "annotations"]),
    );
    if let Some(c) = controller_of(rs) {
        w.w(0, &format!("Controlled By:\t{c}\n"));
    }
    w.w(
        0,
        &format!(
            "Replicas:\t{} current / {} desired\n",
            i(rs, &["status", "replicas"]),
            i(rs, &["spec", "replicas"])
        ),
    );
    w.w(0, "Pods Status:\t");
    w.raw(&pods_status_line(rs, rel));
    describe_pod_template(&mut w, get(rs, &["spec", "template"]));
    conditions_type_status_reason(&mut w, rs);
    events(&mut w, rel);
    w.finish()
}

/// `kubectl describe statefulset`.
pub fn describe_stateful_set(ss: &Value, rel: &Related) -> String {
    let mut w = W::new();
    header(&mut w, ss);
    w.w(
        0,
        &format!(
            "CreationTimestamp:\t{}\n",
            rfc1123z(s(ss, &["metadata", "creationTimestamp"]))
        ),
    );
    w.w(
        0,
        &format!(
            "Selector:\t{}\n",
            selector_string(get(ss, &["spec", "selector"]))
        ),
    );
    labels_multiline(&mut w, "Labels", &str_map(ss, &["metadata", "labels"]));
    annotations_multiline(
        &mut w,
        "Annotations",
        &str_map(ss, &["metadata", "annotations"]),
    );
    w.w(
        0,
        &format!(
            "Replicas:\t{} desired | {} total\n",
            i(ss, &["spec", "replicas"]),
            i(ss, &["status", "replicas"])
        ),
    );
    w.w(
        0,
        &format!(
            "Update Strategy:\t{}\n",
            s(ss, &["spec", "updateStrategy", "type"])
        ),
    );
    if let Some(ru) = get(ss, &["spec", "updateStrategy", "rollingUpdate"])
        && let Some(p) = get(ru, &["partition"])
    {
        w.w(1, &format!("Partition:\t{}\n", scalar(p)));
        if let Some(mu) = get(ru, &["maxUnavailable"]) {
            w.w(1, &format!("MaxUnavailable:\t{}\n", scalar(mu)));
        }
    }
    w.w(0, "Pods Status:\t");
    w.raw(&pods_status_line(ss, rel));
    describe_pod_template(&mut w, get(ss, &["spec", "template"]));
    let templates = arr(ss, &["spec", "volumeClaimTemplates"]);
    if templates.is_empty() {
        w.w(0, "Volume Claims:\t<none>\n");
    } else {
        w.w(0, "Volume Claims:\n");
        for t in templates {
            w.w(1, &format!("Name:\t{}\n", s(t, &["metadata", "name"])));
            w.w(
                1,
                &format!("StorageClass:\t{}\n", super::claim::claim_class(t)),
            );
            labels_multiline_indent(
                &mut w,
                "  ",
                "Labels",
                "\t",
                &str_map(t, &["metadata", "labels"]),
            );
            labels_multiline_indent(
                &mut w,
                "  ",
                "Annotations",
                "\t",
                &str_map(t, &["metadata", "annotations"]),
            );
            let cap = s(t, &["spec", "resources", "requests", "storage"]);
            w.w(
                1,
                &format!(
                    "Capacity:\t{}\n",
                    if cap.is_empty() { "<default>" } else { cap }
                ),
            );
            let modes: Vec<String> = arr(t, &["spec", "accessModes"])
                .iter()
                .map(scalar)
                .collect();
            w.w(1, &format!("Access Modes:\t[{}]\n", modes.join(" ")));
        }
    }
    events(&mut w, rel);
    w.finish()
}

/// `kubectl describe daemonset`.
pub fn describe_daemon_set(ds: &Value, rel: &Related) -> String {
    let mut w = W::new();
    // kubectl 1.32 prints no Namespace line for daemon sets.
    w.w(0, &format!("Name:\t{}\n", s(ds, &["metadata", "name"])));
    w.w(
        0,
        &format!(
            "Selector:\t{}\n",
            selector_string(get(ds, &["spec", "selector"]))
        ),
    );
    w.w(
        0,
        &format!(
            "Node-Selector:\t{}\n",
            format_labels(&str_map(ds, &["spec", "template", "spec", "nodeSelector"]))
        ),
    );
    labels_multiline(&mut w, "Labels", &str_map(ds, &["metadata", "labels"]));
    annotations_multiline(
        &mut w,
        "Annotations",
        &str_map(ds, &["metadata", "annotations"]),
    );
    for (title, key) in [
        (
            "Desired Number of Nodes Scheduled",
            "desiredNumberScheduled",
        ),
        (
            "Current Number of Nodes Scheduled",
            "currentNumberScheduled",
        ),
        (
            "Number of Nodes Scheduled with Up-to-date Pods",
            "updatedNumberScheduled",
        ),
        (
            "Number of Nodes Scheduled with Available Pods",
            "numberAvailable",
        ),
        ("Number of Nodes Misscheduled", "numberMisscheduled"),
    ] {
        w.w(0, &format!("{title}: {}\n", i(ds, &["status", key])));
    }
    w.w(0, "Pods Status:\t");
    w.raw(&pods_status_line(ds, rel));
    describe_pod_template(&mut w, get(ds, &["spec", "template"]));
    events(&mut w, rel);
    w.finish()
}

/// `kubectl describe job`.
pub fn describe_job(job: &Value, rel: &Related) -> String {
    let mut w = W::new();
    header(&mut w, job);
    w.w(
        0,
        &format!(
            "Selector:\t{}\n",
            selector_string(get(job, &["spec", "selector"]))
        ),
    );
    labels_multiline(&mut w, "Labels", &str_map(job, &["metadata", "labels"]));
    annotations_multiline(
        &mut w,
        "Annotations",
        &str_map(job, &["metadata", "annotations"]),
    );
    if let Some(c) = controller_of(job) {
        w.w(0, &format!("Controlled By:\t{c}\n"));
    }
    let spec = job.get("spec").unwrap_or(&Value::Null);
    let status = job.get("status").unwrap_or(&Value::Null);
    if let Some(p) = get(spec, &["parallelism"]) {
        w.w(0, &format!("Parallelism:\t{}\n", scalar(p)));
    }
    match get(spec, &["completions"]) {
        Some(c) => w.w(0, &format!("Completions:\t{}\n", scalar(c))),
        None => w.w(0, "Completions:\t<unset>\n"),
    }
    if let Some(m) = get(spec, &["completionMode"]) {
        w.w(0, &format!("Completion Mode:\t{}\n", scalar(m)));
    }
    if let Some(v) = get(spec, &["suspend"]) {
        w.w(0, &format!("Suspend:\t{}\n", scalar(v)));
    }
    if let Some(v) = get(spec, &["backoffLimit"]) {
        w.w(0, &format!("Backoff Limit:\t{}\n", scalar(v)));
    }
    if let Some(v) = get(spec, &["ttlSecondsAfterFinished"]) {
        w.w(0, &format!("TTL Seconds After Finished:\t{}\n", scalar(v)));
    }
    let start = s(status, &["startTime"]);
    let done = s(status, &["completionTime"]);
    if !start.is_empty() {
        w.w(0, &format!("Start Time:\t{}\n", rfc1123z(start)));
    }
    if !done.is_empty() {
        w.w(0, &format!("Completed At:\t{}\n", rfc1123z(done)));
    }
    if let (Ok(a), Ok(z)) = (
        start.parse::<jiff::Timestamp>(),
        done.parse::<jiff::Timestamp>(),
    ) {
        w.w(
            0,
            &format!(
                "Duration:\t{}\n",
                human_duration(z.as_second() - a.as_second())
            ),
        );
    }
    if let Some(v) = get(spec, &["activeDeadlineSeconds"]) {
        w.w(0, &format!("Active Deadline Seconds:\t{}s\n", scalar(v)));
    }
    let (active, succeeded, failed) = (
        i(status, &["active"]),
        i(status, &["succeeded"]),
        i(status, &["failed"]),
    );
    match get(status, &["ready"]) {
        None => w.w(
            0,
            &format!("Pods Statuses:\t{active} Active / {succeeded} Succeeded / {failed} Failed\n"),
        ),
        Some(r) => w.w(
            0,
            &format!(
                "Pods Statuses:\t{active} Active ({} Ready) / {succeeded} Succeeded / {failed} Failed\n",
                scalar(r)
            ),
        ),
    }
    if s(spec, &["completionMode"]) == "Indexed" {
        let idx = s(status, &["completedIndexes"]);
        w.w(
            0,
            &format!("Completed Indexes:\t{}\n", cap_indexes(idx, 50)),
        );
    }
    describe_pod_template(&mut w, get(spec, &["template"]));
    events(&mut w, rel);
    w.finish()
}

fn cap_indexes(indexes: &str, soft_limit: usize) -> String {
    if indexes.is_empty() {
        return "<none>".to_string();
    }
    let bytes = indexes.as_bytes();
    let mut ix = soft_limit;
    while ix < bytes.len() && bytes[ix] != b',' {
        ix += 1;
    }
    if ix >= bytes.len() {
        return indexes.to_string();
    }
    format!("{}...", &indexes[..=ix])
}

/// `kubectl describe cronjob` (batch/v1 and batch/v1beta1 share the shape).
pub fn describe_cron_job(cj: &Value, rel: &Related) -> String {
    let mut w = W::new();
    header(&mut w, cj);
    labels_multiline(&mut w, "Labels", &str_map(cj, &["metadata", "labels"]));
    annotations_multiline(
        &mut w,
        "Annotations",
        &str_map(cj, &["metadata", "annotations"]),
    );
    let spec = cj.get("spec").unwrap_or(&Value::Null);
    w.w(0, &format!("Schedule:\t{}\n", s(spec, &["schedule"])));
    w.w(
        0,
        &format!("Concurrency Policy:\t{}\n", s(spec, &["concurrencyPolicy"])),
    );
    let suspend = match get(spec, &["suspend"]).and_then(Value::as_bool) {
        Some(v) => print_bool(v).to_string(),
        None => "<unset>".to_string(),
    };
    w.w(0, &format!("Suspend:\t{suspend}\n"));
    for (title, key, unit) in [
        (
            "Successful Job History Limit",
            "successfulJobsHistoryLimit",
            "",
        ),
        ("Failed Job History Limit", "failedJobsHistoryLimit", ""),
        ("Starting Deadline Seconds", "startingDeadlineSeconds", "s"),
    ] {
        match get(spec, &[key]) {
            Some(v) => w.w(0, &format!("{title}:\t{}{unit}\n", scalar(v))),
            None => w.w(0, &format!("{title}:\t<unset>\n")),
        }
    }
    let jt = spec.get("jobTemplate").unwrap_or(&Value::Null);
    match get(jt, &["spec", "selector"]) {
        Some(sel) => w.w(0, &format!("Selector:\t{}\n", selector_string(Some(sel)))),
        None => w.w(0, "Selector:\t<unset>\n"),
    }
    for (title, key) in [
        ("Parallelism", "parallelism"),
        ("Completions", "completions"),
    ] {
        match get(jt, &["spec", key]) {
            Some(v) => w.w(0, &format!("{title}:\t{}\n", scalar(v))),
            None => w.w(0, &format!("{title}:\t<unset>\n")),
        }
    }
    if let Some(v) = get(jt, &["spec", "activeDeadlineSeconds"]) {
        w.w(0, &format!("Active Deadline Seconds:\t{}s\n", scalar(v)));
    }
    describe_pod_template(&mut w, get(jt, &["spec", "template"]));
    let last = s(cj, &["status", "lastScheduleTime"]);
    if last.is_empty() {
        w.w(0, "Last Schedule Time:\t<unset>\n");
    } else {
        w.w(0, &format!("Last Schedule Time:\t{}\n", rfc1123z(last)));
    }
    w.w(0, "Active Jobs:\t");
    let active = arr(cj, &["status", "active"]);
    if active.is_empty() {
        w.raw("<none>\n");
    } else {
        let names: Vec<&str> = active.iter().map(|j| s(j, &["name"])).collect();
        w.raw(&format!("{}\n", names.join(", ")));
    }
    events(&mut w, rel);
    w.finish()
}
