//! `auth can-i VERB RESOURCE[/NAME] [NAME]`, `auth can-i --list`, `auth whoami`.

use crate::query::args::{Args, no_more};
use crate::query::flags::{Flag, FlagUse};
use crate::query::{CanIArgs, Query, Refusal, Scope, Verb, validate};

pub fn parse(pos: &[String], flags: Vec<FlagUse>) -> Result<Query, Refusal> {
    match pos.first().map(String::as_str) {
        Some("can-i") => can_i(&pos[1..], flags),
        Some("whoami") => {
            let a = Args::new("auth whoami", flags, &[Flag::Output])?;
            no_more("auth whoami", &pos[1..])?;
            a.scope()?;
            Ok(Query {
                scope: Scope::default(),
                verb: Verb::AuthWhoami {
                    output: a.output(&["table", "yaml", "json"])?,
                },
            })
        }
        Some("reconcile") => Err(Refusal::new(
            "`auth reconcile` creates or updates RBAC objects: klue is read-only",
        )),
        Some(other) => Err(Refusal::new(format!(
            "`auth {other}`: klue runs `auth can-i` and `auth whoami`"
        ))),
        None => Err(Refusal::new("`auth` needs `can-i` or `whoami`")),
    }
}

fn can_i(pos: &[String], flags: Vec<FlagUse>) -> Result<Query, Refusal> {
    let a = Args::new(
        "auth can-i",
        flags,
        &[Flag::AllNamespaces, Flag::List, Flag::Subresource],
    )?;
    let scope = a.scope()?;
    let list = a.bool(Flag::List, false);
    let subresource = a.value(Flag::Subresource).map(str::to_string);
    if let Some(s) = &subresource
        && !s.chars().all(|c| c.is_ascii_lowercase() || c == '-')
    {
        return Err(Refusal::new(format!(
            "`--subresource={s}` is not a subresource name like `log` or `status`"
        )));
    }
    if list {
        no_more("auth can-i --list", pos)?;
        return Ok(Query {
            scope,
            verb: Verb::AuthCanI(CanIArgs {
                verb: "*".into(),
                resource: "*".into(),
                name: None,
                subresource: None,
                list: true,
            }),
        });
    }
    let (Some(verb), Some(res)) = (pos.first(), pos.get(1)) else {
        return Err(Refusal::new(
            "`auth can-i` needs a verb and a resource, like `auth can-i list pods`, or `--list`",
        ));
    };
    let verb_ok = verb == "*" || (verb.len() <= 64 && verb.chars().all(|c| c.is_ascii_lowercase()));
    if !verb_ok {
        return Err(Refusal::new(format!(
            "`auth can-i {verb}`: `{verb}` is not an API verb like `get`, `list` or `delete`"
        )));
    }
    let (resource, mut name) = if res.starts_with('/') {
        let ok = res.len() <= 256
            && res
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.' | '*'));
        if !ok {
            return Err(Refusal::new(format!(
                "`auth can-i {verb} {res}`: `{res}` is not a URL path like `/healthz`"
            )));
        }
        (res.clone(), None)
    } else {
        match res.split_once('/') {
            Some((r, n)) => {
                validate::name(n)?;
                (resource_or_star(r)?, Some(n.to_string()))
            }
            None => (resource_or_star(res)?, None),
        }
    };
    if let Some(n) = pos.get(2) {
        if name.is_some() || resource.starts_with('/') {
            return Err(Refusal::new(format!(
                "unexpected argument `{n}` for `auth can-i`"
            )));
        }
        validate::name(n)?;
        name = Some(n.clone());
    }
    no_more("auth can-i", pos.get(3..).unwrap_or_default())?;
    Ok(Query {
        scope,
        verb: Verb::AuthCanI(CanIArgs {
            verb: verb.clone(),
            resource,
            name,
            subresource,
            list: false,
        }),
    })
}

fn resource_or_star(r: &str) -> Result<String, Refusal> {
    if r == "*" {
        Ok("*".into())
    } else {
        validate::resource(r)
    }
}
