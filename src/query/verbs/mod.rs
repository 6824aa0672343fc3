//! One parser per verb family. Each receives the positionals after the verb and the flags,
//! and builds the typed [`Verb`](super::Verb) or refuses.

pub mod auth;
pub mod config;
pub mod events;
pub mod get;
pub mod info;
pub mod logs;
pub mod rollout;
pub mod top;

use super::flags::FlagUse;
use super::{Query, Refusal, policy};

/// Dispatch on the verb (`pos[0]`).
pub fn parse(pos: &[String], flags: Vec<FlagUse>) -> Result<Query, Refusal> {
    let Some(verb) = pos.first() else {
        return Err(Refusal::new(
            "no command given: start with a verb such as `get`, `describe` or `logs`",
        ));
    };
    let rest = &pos[1..];
    match verb.as_str() {
        "get" => get::get(rest, flags),
        "describe" => get::describe(rest, flags),
        "logs" | "log" => logs::parse(rest, flags),
        "events" => events::parse(rest, flags),
        "top" => top::parse(rest, flags),
        "rollout" => rollout::parse(rest, flags),
        "auth" => auth::parse(rest, flags),
        "api-resources" => info::api_resources(rest, flags),
        "api-versions" => info::api_versions(rest, flags),
        "version" => info::version(rest, flags),
        "cluster-info" => info::cluster_info(rest, flags),
        "config" => config::parse(rest, flags),
        other => Err(Refusal::new(
            policy::refused_verb(other).unwrap_or_else(|| policy::unknown_verb(other)),
        )),
    }
}
