//! `get` and `describe`, and the resource/name target syntax they share.

use crate::query::args::Args;
use crate::query::flags::{Flag, FlagUse};
use crate::query::{DescribeArgs, GetArgs, Query, Refusal, ResourceRef, Verb, validate};

const GET_FLAGS: &[Flag] = &[
    Flag::AllNamespaces,
    Flag::Selector,
    Flag::FieldSelector,
    Flag::Output,
    Flag::ShowLabels,
    Flag::LabelColumns,
    Flag::SortBy,
    Flag::ChunkSize,
    Flag::NoHeaders,
];

const DESCRIBE_FLAGS: &[Flag] = &[Flag::AllNamespaces, Flag::Selector, Flag::ShowEvents];

/// `TYPE[,TYPE...] [NAME...]` or `TYPE/NAME [TYPE/NAME...]`, as kubectl reads them.
pub fn targets(verb: &str, pos: &[String]) -> Result<Vec<ResourceRef>, Refusal> {
    let Some(first) = pos.first() else {
        return Err(Refusal::new(format!(
            "`{verb}` needs a resource type, like `{verb} pods` or `{verb} deploy/web`"
        )));
    };
    if first.contains('/') {
        return pos.iter().map(|p| type_slash_name(verb, p)).collect();
    }
    let mut types = Vec::new();
    for t in first.split(',') {
        if t.is_empty() {
            return Err(Refusal::new(format!(
                "`{first}` has an empty resource type in its comma list"
            )));
        }
        types.push(validate::resource(t)?);
    }
    let names = &pos[1..];
    if names.is_empty() {
        return Ok(types
            .into_iter()
            .map(|resource| ResourceRef {
                resource,
                name: None,
            })
            .collect());
    }
    for n in names {
        if n.contains('/') {
            return Err(Refusal::new(format!(
                "`{n}`: give either `TYPE NAME...` or `TYPE/NAME...`, not both"
            )));
        }
        validate::name(n)?;
    }
    Ok(types
        .iter()
        .flat_map(|t| {
            names.iter().map(move |n| ResourceRef {
                resource: t.clone(),
                name: Some(n.clone()),
            })
        })
        .collect())
}

/// `TYPE/NAME`, both validated.
pub fn type_slash_name(verb: &str, s: &str) -> Result<ResourceRef, Refusal> {
    let Some((t, n)) = s.split_once('/') else {
        return Err(Refusal::new(format!(
            "`{s}`: with `{verb}`, write every object as `TYPE/NAME` once one is"
        )));
    };
    if n.contains('/') || n.contains(',') {
        return Err(Refusal::new(format!(
            "`{s}` is not `TYPE/NAME` (one `/`, no commas)"
        )));
    }
    let resource = validate::resource(t)?;
    validate::name(n)?;
    Ok(ResourceRef {
        resource,
        name: Some(n.to_string()),
    })
}

pub fn get(pos: &[String], flags: Vec<FlagUse>) -> Result<Query, Refusal> {
    let a = Args::new("get", flags, GET_FLAGS)?;
    let scope = a.scope()?;
    let targets = targets("get", pos)?;
    let named = targets.iter().any(|t| t.name.is_some());
    let label_selector = a.label_selector()?;
    if named && label_selector.is_some() {
        return Err(Refusal::new(
            "`get` takes either object names or `-l`, not both",
        ));
    }
    if named && scope.all_namespaces {
        return Err(Refusal::new(
            "`get` cannot fetch objects by name across all namespaces (`-A`); give `-n NAMESPACE`",
        ));
    }
    let sort_by = a.value(Flag::SortBy).map(str::to_string);
    if let Some(s) = &sort_by {
        validate::sort_by(s)?;
    }
    let mut label_columns = Vec::new();
    for v in a.values(Flag::LabelColumns) {
        for k in v.split(',') {
            validate::label_selector(k)
                .map_err(|_| Refusal::new(format!("`-L {v}`: `{k}` is not a label key")))?;
            if k.contains(['=', '!', ' ', '<', '>']) {
                return Err(Refusal::new(format!("`-L {v}`: `{k}` is not a label key")));
            }
            label_columns.push(k.to_string());
        }
    }
    let chunk_size = a
        .int(Flag::ChunkSize, 0, 100_000)?
        .map(|n| u32::try_from(n).unwrap_or(500));
    Ok(Query {
        verb: Verb::Get(GetArgs {
            targets,
            label_selector,
            field_selector: a.field_selector()?,
            output: a.output(&[
                "table",
                "wide",
                "yaml",
                "json",
                "name",
                "jsonpath",
                "custom-columns",
            ])?,
            show_labels: a.bool(Flag::ShowLabels, false),
            label_columns,
            sort_by,
            chunk_size,
            no_headers: a.bool(Flag::NoHeaders, false),
        }),
        scope,
    })
}

pub fn describe(pos: &[String], flags: Vec<FlagUse>) -> Result<Query, Refusal> {
    let a = Args::new("describe", flags, DESCRIBE_FLAGS)?;
    let scope = a.scope()?;
    let targets = targets("describe", pos)?;
    let label_selector = a.label_selector()?;
    if label_selector.is_some() && targets.iter().any(|t| t.name.is_some()) {
        return Err(Refusal::new(
            "`describe` takes either object names or `-l`, not both",
        ));
    }
    Ok(Query {
        verb: Verb::Describe(DescribeArgs {
            targets,
            label_selector,
            show_events: a.bool(Flag::ShowEvents, true),
        }),
        scope,
    })
}
