//! `logs [TYPE/]NAME [CONTAINER]` or `logs -l SELECTOR`.

use crate::query::args::{Args, no_more};
use crate::query::flags::{Flag, FlagUse};
use crate::query::{LogsArgs, Query, Refusal, ResourceRef, Verb, policy, validate};

const FLAGS: &[Flag] = &[
    Flag::Selector,
    Flag::Container,
    Flag::AllContainers,
    Flag::Previous,
    Flag::Tail,
    Flag::Since,
    Flag::SinceTime,
    Flag::Timestamps,
    Flag::MaxLogRequests,
    Flag::Prefix,
    Flag::LimitBytes,
];

/// Types whose pods `logs TYPE/NAME` can read.
const LOG_TYPES: &[&str] = &[
    "pod",
    "pods",
    "po",
    "deployment",
    "deployments",
    "deploy",
    "replicaset",
    "replicasets",
    "rs",
    "statefulset",
    "statefulsets",
    "sts",
    "daemonset",
    "daemonsets",
    "ds",
    "job",
    "jobs",
    "service",
    "services",
    "svc",
    "replicationcontroller",
    "replicationcontrollers",
    "rc",
];

pub fn parse(pos: &[String], flags: Vec<FlagUse>) -> Result<Query, Refusal> {
    let a = Args::new("logs", flags, FLAGS)?;
    let scope = a.scope()?;
    let label_selector = a.label_selector()?;
    let target = match pos.first() {
        None => None,
        Some(p) => Some(target(p)?),
    };
    let mut container = a.value(Flag::Container).map(str::to_string);
    if let Some(c) = pos.get(1) {
        if container.is_some() {
            return Err(Refusal::new(format!(
                "container given twice: `{c}` and `-c {}`",
                container.as_deref().unwrap_or_default()
            )));
        }
        container = Some(c.clone());
    }
    no_more("logs", pos.get(2..).unwrap_or_default())?;
    if let Some(c) = &container {
        validate::name(c)?;
    }
    match (&target, &label_selector) {
        (None, None) => {
            return Err(Refusal::new(
                "`logs` needs a pod (`logs web-1`, `logs deploy/web`) or `-l SELECTOR`",
            ));
        }
        (Some(_), Some(_)) => {
            return Err(Refusal::new(
                "`logs` takes either a pod name or `-l`, not both",
            ));
        }
        _ => {}
    }
    let all_containers = a.bool(Flag::AllContainers, false);
    if all_containers && container.is_some() {
        return Err(Refusal::new(
            "`logs`: `--all-containers` and `-c` cannot be combined",
        ));
    }
    let since_seconds = a
        .value(Flag::Since)
        .map(validate::duration_seconds)
        .transpose()?;
    let since_time = a.value(Flag::SinceTime).map(str::to_string);
    if let Some(t) = &since_time {
        validate::rfc3339(t)?;
    }
    if since_seconds.is_some() && since_time.is_some() {
        return Err(Refusal::new(
            "`logs`: give `--since` or `--since-time`, not both",
        ));
    }
    let max = i64::from(policy::MAX_LOG_REQUESTS);
    let max_log_requests = a
        .int(Flag::MaxLogRequests, 1, max)?
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(5);
    Ok(Query {
        verb: Verb::Logs(LogsArgs {
            target,
            container,
            all_containers,
            previous: a.bool(Flag::Previous, false),
            tail: a.int(Flag::Tail, -1, 1_000_000)?,
            since_seconds,
            since_time,
            timestamps: a.bool(Flag::Timestamps, false),
            label_selector,
            max_log_requests,
            prefix: a.bool(Flag::Prefix, false),
            limit_bytes: a.int(Flag::LimitBytes, 1, 1 << 40)?,
        }),
        scope,
    })
}

fn target(p: &str) -> Result<ResourceRef, Refusal> {
    match p.split_once('/') {
        None => {
            validate::name(p)?;
            Ok(ResourceRef {
                resource: "pod".into(),
                name: Some(p.to_string()),
            })
        }
        Some(_) => {
            let r = super::get::type_slash_name("logs", p)?;
            if !LOG_TYPES.contains(&r.resource.as_str()) {
                return Err(Refusal::new(format!(
                    "`logs {p}`: `{}` has no pods to read logs from (use pod, deploy, rs, sts, ds, job, svc)",
                    r.resource
                )));
            }
            Ok(r)
        }
    }
}
