//! `config current-context|get-contexts|view` (the kubeconfig, read-only, no credentials).

use crate::query::args::{Args, no_more};
use crate::query::flags::{Flag, FlagUse};
use crate::query::{ConfigKind, Query, Refusal, Scope, Verb};

pub fn parse(pos: &[String], flags: Vec<FlagUse>) -> Result<Query, Refusal> {
    let Some(sub) = pos.first() else {
        return Err(Refusal::new(
            "`config` needs `current-context`, `get-contexts` or `view`",
        ));
    };
    let rest = &pos[1..];
    let kind = match sub.as_str() {
        "current-context" => {
            let a = Args::new("config current-context", flags, &[])?;
            a.scope()?;
            no_more("config current-context", rest)?;
            ConfigKind::CurrentContext
        }
        "get-contexts" => {
            let a = Args::new("config get-contexts", flags, &[])?;
            a.scope()?;
            let name = rest.first().cloned();
            if let Some(n) = &name
                && !n.chars().all(|c| {
                    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | ':' | '@' | '/')
                })
            {
                return Err(Refusal::new(format!("`{n}` is not a context name")));
            }
            no_more("config get-contexts", rest.get(1..).unwrap_or_default())?;
            ConfigKind::GetContexts { name }
        }
        "view" => {
            let a = Args::new("config view", flags, &[Flag::Minify, Flag::Output])?;
            a.scope()?;
            no_more("config view", rest)?;
            ConfigKind::View {
                minify: a.bool(Flag::Minify, false),
                output: match a.output(&["table", "yaml", "json", "jsonpath"])? {
                    crate::query::OutputFormat::Table => crate::query::OutputFormat::Yaml,
                    o => o,
                },
            }
        }
        "use-context" | "use" | "set-context" | "set" | "unset" | "delete-context"
        | "delete-cluster" | "delete-user" | "rename-context" | "set-cluster"
        | "set-credentials" => {
            return Err(Refusal::new(format!(
                "`config {sub}` changes the kubeconfig; a query never switches or edits contexts (start klue with `--context`)"
            )));
        }
        "get-clusters" | "get-users" => {
            return Err(Refusal::new(format!(
                "`config {sub}` is not available; `config view` shows clusters and users without credentials"
            )));
        }
        other => {
            return Err(Refusal::new(format!(
                "`config {other}`: klue runs `config current-context`, `config get-contexts` and `config view`"
            )));
        }
    };
    Ok(Query {
        scope: Scope::default(),
        verb: Verb::Config(kind),
    })
}
