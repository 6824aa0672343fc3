//! `api-resources`, `api-versions`, `version`, `cluster-info`.

use crate::query::args::{Args, no_more};
use crate::query::flags::{Flag, FlagUse};
use crate::query::{Query, Refusal, Scope, Verb};

fn unscoped(verb: Verb) -> Query {
    Query {
        verb,
        scope: Scope::default(),
    }
}

pub fn api_resources(pos: &[String], flags: Vec<FlagUse>) -> Result<Query, Refusal> {
    let a = Args::new(
        "api-resources",
        flags,
        &[Flag::Namespaced, Flag::ApiGroup, Flag::Output],
    )?;
    no_more("api-resources", pos)?;
    a.scope()?;
    let api_group = a.value(Flag::ApiGroup).map(str::to_string);
    if let Some(g) = &api_group
        && !g
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
    {
        return Err(Refusal::new(format!(
            "`--api-group={g}` is not an API group like `apps` or `example.com`"
        )));
    }
    Ok(unscoped(Verb::ApiResources {
        namespaced: a.opt_bool(Flag::Namespaced),
        api_group,
        output: a.output(&["table", "wide", "name"])?,
    }))
}

pub fn api_versions(pos: &[String], flags: Vec<FlagUse>) -> Result<Query, Refusal> {
    let a = Args::new("api-versions", flags, &[])?;
    no_more("api-versions", pos)?;
    a.scope()?;
    Ok(unscoped(Verb::ApiVersions))
}

pub fn version(pos: &[String], flags: Vec<FlagUse>) -> Result<Query, Refusal> {
    let a = Args::new("version", flags, &[Flag::Output])?;
    no_more("version", pos)?;
    a.scope()?;
    Ok(unscoped(Verb::Version {
        output: a.output(&["table", "yaml", "json"])?,
    }))
}

pub fn cluster_info(pos: &[String], flags: Vec<FlagUse>) -> Result<Query, Refusal> {
    if pos.first().map(String::as_str) == Some("dump") {
        return Err(Refusal::new(
            "`cluster-info dump` dumps every object and log of the cluster (and can write files); ask targeted queries instead",
        ));
    }
    let a = Args::new("cluster-info", flags, &[])?;
    no_more("cluster-info", pos)?;
    a.scope()?;
    Ok(unscoped(Verb::ClusterInfo))
}
