//! `rollout history|status TYPE/NAME` (the write subcommands are refused).

use crate::query::args::{Args, no_more};
use crate::query::flags::{Flag, FlagUse};
use crate::query::{Query, Refusal, ResourceRef, RolloutKind, Verb, policy, validate};

const ROLLOUT_TYPES: &[&str] = &[
    "deployment",
    "deployments",
    "deploy",
    "daemonset",
    "daemonsets",
    "ds",
    "statefulset",
    "statefulsets",
    "sts",
];

pub fn parse(pos: &[String], flags: Vec<FlagUse>) -> Result<Query, Refusal> {
    let Some(sub) = pos.first() else {
        return Err(Refusal::new(
            policy::refused_verb("rollout").unwrap_or_default(),
        ));
    };
    let (label, accepts): (&str, &[Flag]) = match sub.as_str() {
        "history" => ("rollout history", &[Flag::Revision]),
        "status" => ("rollout status", &[Flag::Watch]),
        other => return Err(Refusal::new(policy::refused_rollout(other))),
    };
    let a = Args::new(label, flags, accepts)?;
    let rest = &pos[1..];
    let target = match rest.first() {
        None => {
            return Err(Refusal::new(format!(
                "`{label}` needs a workload, like `{label} deploy/web`"
            )));
        }
        Some(t) if t.contains('/') => {
            no_more(label, &rest[1..])?;
            super::get::type_slash_name(label, t)?
        }
        Some(t) => {
            let Some(n) = rest.get(1) else {
                return Err(Refusal::new(format!(
                    "`{label} {t}` needs a name, like `{label} {t}/NAME`"
                )));
            };
            no_more(label, &rest[2..])?;
            validate::name(n)?;
            ResourceRef {
                resource: validate::resource(t)?,
                name: Some(n.clone()),
            }
        }
    };
    if !ROLLOUT_TYPES.contains(&target.resource.as_str()) {
        return Err(Refusal::new(format!(
            "`{label}`: `{}` has no rollouts (use deployment, daemonset or statefulset)",
            target.resource
        )));
    }
    if a.bool(Flag::Watch, false) {
        return Err(Refusal::new(
            "`rollout status` with `--watch` streams without end; klue reports the current status",
        ));
    }
    let kind = if sub == "history" {
        RolloutKind::History {
            revision: a.int(Flag::Revision, 1, i64::from(i32::MAX))?,
        }
    } else {
        RolloutKind::Status
    };
    Ok(Query {
        scope: a.scope()?,
        verb: Verb::Rollout { kind, target },
    })
}
