//! `top pods [NAME]`, `top nodes [NAME]` (metrics.k8s.io).

use crate::query::args::{Args, no_more};
use crate::query::flags::{Flag, FlagUse};
use crate::query::{Query, Refusal, Scope, TopTarget, Verb, validate};

pub fn parse(pos: &[String], flags: Vec<FlagUse>) -> Result<Query, Refusal> {
    let Some(kind) = pos.first() else {
        return Err(Refusal::new("`top` needs `pods` or `nodes`"));
    };
    let name = pos.get(1).cloned();
    if let Some(n) = &name {
        validate::name(n)?;
    }
    match kind.as_str() {
        "pods" | "pod" | "po" => {
            let a = Args::new(
                "top pods",
                flags,
                &[Flag::AllNamespaces, Flag::Selector, Flag::Containers],
            )?;
            no_more("top pods", pos.get(2..).unwrap_or_default())?;
            let label_selector = a.label_selector()?;
            if name.is_some() && label_selector.is_some() {
                return Err(Refusal::new(
                    "`top pods` takes either a pod name or `-l`, not both",
                ));
            }
            Ok(Query {
                scope: a.scope()?,
                verb: Verb::Top(TopTarget::Pods {
                    name,
                    label_selector,
                    containers: a.bool(Flag::Containers, false),
                }),
            })
        }
        "nodes" | "node" | "no" => {
            let a = Args::new("top nodes", flags, &[Flag::Selector])?;
            no_more("top nodes", pos.get(2..).unwrap_or_default())?;
            a.scope()?;
            let label_selector = a.label_selector()?;
            if name.is_some() && label_selector.is_some() {
                return Err(Refusal::new(
                    "`top nodes` takes either a node name or `-l`, not both",
                ));
            }
            Ok(Query {
                scope: Scope::default(),
                verb: Verb::Top(TopTarget::Nodes {
                    name,
                    label_selector,
                }),
            })
        }
        other => Err(Refusal::new(format!(
            "`top {other}`: klue's `top` shows `pods` or `nodes`"
        ))),
    }
}
