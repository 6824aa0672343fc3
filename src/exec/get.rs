//! `get`: server-side printed tables (as kubectl), `-o name|yaml|json|jsonpath|custom-columns`,
//! `--sort-by`, `--show-labels`, `-L`, selectors, and chunked listing (limit/continue).

use serde_json::{Map, Value, json};

use super::api::{self, ACCEPT_JSON, ACCEPT_TABLE};
use super::{ExecError, Executor, Output};
use crate::cluster::ApiResource;
use crate::query::{GetArgs, OutputFormat, Scope};
use crate::render::custom_columns::{CustomColumns, relaxed};
use crate::render::jsonpath::Template;
use crate::render::table::{ServerTable, TableBuilder, TableOptions};
use crate::render::{json, sanitize, yaml};

const DEFAULT_CHUNK: u32 = 500;

/// One resource type with the names asked for (empty: list).
struct Target {
    res: ApiResource,
    names: Vec<String>,
}

pub async fn run(ex: &Executor, scope: &Scope, args: &GetArgs) -> Result<Output, ExecError> {
    if args.targets.is_empty() {
        return Err(ExecError::InvalidArgument {
            message: "You must specify the type of resource to get. Use \"klue query 'api-resources'\" for a complete list of supported resources.".into(),
        });
    }
    let targets = resolve_targets(ex, args).await?;
    let namespace = ex.namespace_for(scope);
    if namespace.is_none() && targets.iter().any(|t| !t.names.is_empty()) {
        return Err(ExecError::InvalidArgument {
            message: "a resource cannot be retrieved by name across all namespaces".into(),
        });
    }
    let sort = match &args.sort_by {
        Some(s) => Some(
            Template::parse(&relaxed(s)).map_err(|e| ExecError::InvalidArgument {
                message: format!("couldn't parse --sort-by {s}: {e}"),
            })?,
        ),
        None => None,
    };
    let mut distinct: Vec<String> = targets.iter().map(|t| t.res.qualified_name()).collect();
    distinct.dedup();
    let mut kinds = distinct.clone();
    kinds.sort();
    kinds.dedup();
    let multi_kind = kinds.len() > 1 || args.targets.iter().any(|t| is_category(&t.resource));
    let ctx = Ctx {
        ex,
        args,
        namespace: namespace.as_deref(),
        sort: sort.as_ref(),
        multi_kind,
    };
    match &args.output {
        OutputFormat::Table | OutputFormat::Wide => tables(&ctx, &targets).await,
        OutputFormat::Name => names(&ctx, &targets).await,
        other => objects(&ctx, &targets, other).await,
    }
}

struct Ctx<'a> {
    ex: &'a Executor,
    args: &'a GetArgs,
    namespace: Option<&'a str>,
    sort: Option<&'a Template>,
    multi_kind: bool,
}

fn is_category(s: &str) -> bool {
    s == "all"
}

async fn resolve_targets(ex: &Executor, args: &GetArgs) -> Result<Vec<Target>, ExecError> {
    let mut out: Vec<Target> = Vec::new();
    for t in &args.targets {
        let resources: Vec<ApiResource> = match ex.resolve(&t.resource).await {
            Ok(r) => vec![r],
            Err(e @ ExecError::UnknownResource { .. }) => {
                // a category (`all`) expands to its resources, in discovery order
                let d = ex
                    .cluster()
                    .discovery()
                    .await
                    .map_err(|e| super::error::from_kube(e, ex.cluster()))?;
                let members: Vec<ApiResource> = d
                    .preferred_in_discovery_order()
                    .into_iter()
                    .filter(|r| r.categories.contains(&t.resource))
                    .cloned()
                    .collect();
                if members.is_empty() {
                    return Err(e);
                }
                members
            }
            Err(e) => return Err(e),
        };
        for res in resources {
            match (out.last_mut(), &t.name) {
                (Some(last), Some(name)) if last.res == res && !last.names.is_empty() => {
                    last.names.push(name.clone())
                }
                _ => out.push(Target {
                    res,
                    names: t.name.iter().cloned().collect(),
                }),
            }
        }
    }
    Ok(out)
}

fn list_params(ctx: &Ctx<'_>, cont: Option<&str>) -> Vec<(&'static str, String)> {
    let mut p = Vec::new();
    if let Some(l) = &ctx.args.label_selector {
        p.push(("labelSelector", l.clone()));
    }
    if let Some(f) = &ctx.args.field_selector {
        p.push(("fieldSelector", f.clone()));
    }
    let chunk = ctx.args.chunk_size.unwrap_or(DEFAULT_CHUNK);
    if chunk > 0 {
        p.push(("limit", chunk.to_string()));
    }
    if let Some(c) = cont {
        p.push(("continue", c.to_string()));
    }
    p
}

/// Fetch tables for a target: each object's table, or the list's chunks; `f` gets each.
async fn for_each_table(
    ctx: &Ctx<'_>,
    t: &Target,
    errors: &mut Vec<ExecError>,
    mut f: impl FnMut(ServerTable),
) -> Result<(), ExecError> {
    // A Secret's labels may copy its data: printing them needs the data to compare with.
    let secret_labels = t.res.group.is_empty()
        && t.res.kind == "Secret"
        && (ctx.args.show_labels || !ctx.args.label_columns.is_empty());
    let include_object = ctx.sort.is_some() || ctx.ex.table_objects() || secret_labels;
    if !t.names.is_empty() {
        for name in &t.names {
            let mut path = t.res.object_path(ctx.namespace, name);
            if include_object {
                path = api::with_query(&path, &[("includeObject", "Object".into())]);
            }
            match api::get_json(ctx.ex.cluster(), &path, ACCEPT_TABLE).await {
                Ok(v) => f(to_table(v, &t.res)),
                Err(e @ ExecError::NotFound { .. }) => errors.push(e),
                Err(e) => return Err(e),
            }
        }
        return Ok(());
    }
    let mut cont: Option<String> = None;
    loop {
        let mut params = list_params(ctx, cont.as_deref());
        if include_object {
            params.push(("includeObject", "Object".into()));
        }
        let path = api::with_query(&t.res.collection_path(ctx.namespace), &params);
        let v = api::get_json(ctx.ex.cluster(), &path, ACCEPT_TABLE).await?;
        let table = to_table(v, &t.res);
        cont = table.continue_token.clone();
        f(table);
        if cont.is_none() {
            return Ok(());
        }
    }
}

/// A Table, or (for servers that answer plain JSON) a name-only table built from the list.
fn to_table(v: Value, res: &ApiResource) -> ServerTable {
    let mut table = table_of(v);
    // Row objects are sanitized before anything reads them (`--sort-by` over a Secret's
    // `.data` sees sizes, never values).
    for r in &mut table.rows {
        if let Some(Value::Object(m)) = &mut r.object {
            m.entry("kind")
                .or_insert_with(|| Value::from(res.kind.clone()));
            m.entry("apiVersion")
                .or_insert_with(|| Value::from(res.api_version()));
        }
        if let Some(o) = &mut r.object {
            sanitize::sanitize(o);
        }
    }
    table
}

fn table_of(v: Value) -> ServerTable {
    if v.get("kind").and_then(Value::as_str) == Some("Table") {
        return ServerTable::from_json(v).unwrap_or_default();
    }
    let cont = v
        .pointer("/metadata/continue")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(String::from);
    let items: Vec<Value> = match v.get("items") {
        Some(Value::Array(items)) => items.clone(),
        _ => vec![v],
    };
    let rows = items
        .into_iter()
        .map(|o| {
            let name = o.pointer("/metadata/name").cloned().unwrap_or(Value::Null);
            let created = o
                .pointer("/metadata/creationTimestamp")
                .and_then(Value::as_str)
                .map(|ts| Value::from(crate::render::age::age_since_rfc3339(ts)))
                .unwrap_or(Value::Null);
            crate::render::table::Row {
                cells: vec![name, created],
                object: Some(o),
            }
        })
        .collect();
    ServerTable {
        columns: vec![
            crate::render::table::Column {
                name: "Name".into(),
                kind: "string".into(),
                format: "name".into(),
                priority: 0,
            },
            crate::render::table::Column {
                name: "Age".into(),
                kind: "date".into(),
                format: String::new(),
                priority: 0,
            },
        ],
        rows,
        continue_token: cont,
    }
}

fn no_resources(ctx: &Ctx<'_>, targets: &[Target]) -> String {
    let all_namespaced = targets.iter().all(|t| t.res.namespaced);
    match ctx.namespace {
        Some(ns) if all_namespaced => format!("No resources found in {ns} namespace.\n"),
        _ => "No resources found\n".into(),
    }
}

/// Append error lines (as kubectl prints them on stderr) after partial output, or fail.
fn finish(
    mut text: String,
    errors: Vec<ExecError>,
    objects: Vec<Value>,
) -> Result<Output, ExecError> {
    if !errors.is_empty() && text.is_empty() && errors.len() == 1 {
        return Err(errors.into_iter().next().unwrap_or(ExecError::Unsupported {
            what: "unknown error".into(),
        }));
    }
    for e in errors {
        text.push_str(&e.to_string());
        text.push('\n');
    }
    Ok(Output {
        text,
        truncated: false,
        objects,
    })
}

async fn tables(ctx: &Ctx<'_>, targets: &[Target]) -> Result<Output, ExecError> {
    let mut text = String::new();
    let mut errors = Vec::new();
    let mut total_rows = 0;
    let mut objects = Vec::new();
    let keep = ctx.ex.table_objects();
    for t in targets {
        let opts = TableOptions {
            wide: ctx.args.output == OutputFormat::Wide,
            no_headers: ctx.args.no_headers,
            with_namespace: ctx.namespace.is_none() && t.res.namespaced,
            with_kind: ctx.multi_kind.then(|| t.res.kind_prefix()),
            show_labels: ctx.args.show_labels,
            label_columns: ctx.args.label_columns.clone(),
        };
        let mut builder = TableBuilder::new(opts);
        if let Some(sort) = ctx.sort {
            // sorting needs every row first
            let mut all = ServerTable::default();
            for_each_table(ctx, t, &mut errors, |tb| {
                if all.columns.is_empty() {
                    all.columns = tb.columns.clone();
                }
                all.rows.extend(tb.rows);
            })
            .await?;
            sort_by(&mut all.rows, |r| r.object.as_ref(), sort)?;
            if keep {
                objects.extend(
                    all.rows
                        .iter()
                        .filter_map(|r| r.object.clone())
                        .map(|mut o| {
                            if let Value::Object(m) = &mut o {
                                m.entry("kind")
                                    .or_insert_with(|| Value::from(t.res.kind.clone()));
                                m.entry("apiVersion")
                                    .or_insert_with(|| Value::from(t.res.api_version()));
                            }
                            o
                        }),
                );
            }
            builder.add(&all);
        } else {
            for_each_table(ctx, t, &mut errors, |tb| {
                if keep {
                    objects.extend(
                        tb.rows
                            .iter()
                            .filter_map(|r| r.object.clone())
                            .map(|mut o| {
                                if let Value::Object(m) = &mut o {
                                    m.entry("kind")
                                        .or_insert_with(|| Value::from(t.res.kind.clone()));
                                    m.entry("apiVersion")
                                        .or_insert_with(|| Value::from(t.res.api_version()));
                                }
                                o
                            }),
                    );
                }
                builder.add(&tb)
            })
            .await?;
        }
        if builder.rows() > 0 {
            if total_rows > 0 && !ctx.args.no_headers {
                text.push('\n');
            }
            total_rows += builder.rows();
            text.push_str(&builder.finish());
        }
    }
    if total_rows == 0 && errors.is_empty() {
        text = no_resources(ctx, targets);
    }
    finish(text, errors, objects)
}

async fn names(ctx: &Ctx<'_>, targets: &[Target]) -> Result<Output, ExecError> {
    let mut text = String::new();
    let mut errors = Vec::new();
    for t in targets {
        let prefix = t.res.kind_prefix();
        let mut rows = Vec::new();
        for_each_table(ctx, t, &mut errors, |tb| rows.extend(tb.rows)).await?;
        if let Some(sort) = ctx.sort {
            sort_by(&mut rows, |r| r.object.as_ref(), sort)?;
        }
        for r in rows {
            let name = r
                .object
                .as_ref()
                .and_then(|o| o.pointer("/metadata/name"))
                .and_then(Value::as_str)
                .map(String::from)
                .or_else(|| r.cells.first().and_then(Value::as_str).map(String::from))
                .unwrap_or_default();
            text.push_str(&format!("{prefix}/{name}\n"));
        }
    }
    // kubectl prints nothing at all for an empty `-o name`
    finish(text, errors, Vec::new())
}

/// Full objects: fetched as JSON (chunked), typed (apiVersion/kind), sanitized.
async fn fetch_objects(
    ctx: &Ctx<'_>,
    t: &Target,
    errors: &mut Vec<ExecError>,
    out: &mut Vec<Value>,
) -> Result<(), ExecError> {
    let typed = |mut o: Value| {
        if let Value::Object(m) = &mut o {
            let mut typed = Map::new();
            typed.insert("apiVersion".into(), Value::from(t.res.api_version()));
            typed.insert("kind".into(), Value::from(t.res.kind.clone()));
            for (k, v) in std::mem::take(m) {
                if k != "apiVersion" && k != "kind" {
                    typed.insert(k, v);
                }
            }
            *m = typed;
        }
        sanitize::sanitize(&mut o);
        o
    };
    if !t.names.is_empty() {
        for name in &t.names {
            let path = t.res.object_path(ctx.namespace, name);
            match api::get_json(ctx.ex.cluster(), &path, ACCEPT_JSON).await {
                Ok(v) => out.push(typed(v)),
                Err(e @ ExecError::NotFound { .. }) => errors.push(e),
                Err(e) => return Err(e),
            }
        }
        return Ok(());
    }
    let mut cont: Option<String> = None;
    loop {
        let params = list_params(ctx, cont.as_deref());
        let path = api::with_query(&t.res.collection_path(ctx.namespace), &params);
        let mut v = api::get_json(ctx.ex.cluster(), &path, ACCEPT_JSON).await?;
        cont = v
            .pointer("/metadata/continue")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(String::from);
        if let Some(Value::Array(items)) = v.get_mut("items").map(Value::take) {
            out.extend(items.into_iter().map(typed));
        }
        if cont.is_none() {
            return Ok(());
        }
    }
}

async fn objects(
    ctx: &Ctx<'_>,
    targets: &[Target],
    format: &OutputFormat,
) -> Result<Output, ExecError> {
    let custom = match format {
        OutputFormat::CustomColumns(spec) => {
            Some(
                CustomColumns::parse(spec).map_err(|e| ExecError::InvalidArgument {
                    message: e.to_string(),
                })?,
            )
        }
        _ => None,
    };
    let template = match format {
        OutputFormat::JsonPath(t) => {
            Some(Template::parse(t).map_err(|e| ExecError::InvalidArgument {
                message: e.to_string(),
            })?)
        }
        _ => None,
    };
    let mut errors = Vec::new();
    let mut objs = Vec::new();
    for t in targets {
        fetch_objects(ctx, t, &mut errors, &mut objs).await?;
    }
    if let Some(sort) = ctx.sort {
        sort_by(&mut objs, |v: &Value| Some(v), sort)?;
    }
    let single = targets.len() == 1 && targets[0].names.len() == 1;
    let data = || {
        if single && objs.len() == 1 {
            objs[0].clone()
        } else {
            json!({"apiVersion": "v1", "items": objs, "kind": "List", "metadata": {"resourceVersion": ""}})
        }
    };
    // Templates stop at the cap while they render (a union or range can multiply without
    // bound); the rest are as large as what the server sent.
    let cap = ctx.ex.cap().max_bytes;
    let overflow = |e: crate::render::jsonpath::Overflow| ExecError::OutputCap {
        detail: e.to_string(),
    };
    let (text, cut) = if single && objs.is_empty() {
        (String::new(), false)
    } else {
        match format {
            OutputFormat::Yaml => (yaml::to_yaml(&data()), false),
            OutputFormat::Json => (json::to_json(&data()), false),
            _ => {
                if let Some(t) = &template {
                    t.render(&data(), cap).map_err(overflow)?
                } else if let Some(cc) = &custom {
                    // an empty list still prints the header, as kubectl does
                    cc.render(objs.iter(), ctx.args.no_headers, cap)
                        .map_err(overflow)?
                } else {
                    return Err(ExecError::Unsupported {
                        what: format!("output format {format:?}"),
                    });
                }
            }
        }
    };
    let mut out = finish(text, errors, objs)?;
    if cut {
        out = ctx.ex.cap().stopped(out);
    }
    Ok(out)
}

/// Sort by a jsonpath over each item (kubectl's `--sort-by`): numbers numerically, strings
/// in natural order; items without the field first.
fn sort_by<T: Clone>(
    items: &mut [T],
    obj: impl Fn(&T) -> Option<&Value>,
    t: &Template,
) -> Result<(), ExecError> {
    let mut keyed: Vec<(Option<Value>, usize)> = Vec::with_capacity(items.len());
    for (i, x) in items.iter().enumerate() {
        let key = match obj(x) {
            Some(o) => t
                .values(o)
                .map_err(|e| ExecError::OutputCap {
                    detail: format!("--sort-by: {e}"),
                })?
                .first()
                .map(|v| (*v).clone()),
            None => None,
        };
        keyed.push((key, i));
    }
    if !items.is_empty() && keyed.iter().all(|(k, _)| k.is_none()) {
        return Err(ExecError::InvalidArgument {
            message: "couldn't find any field with the --sort-by path in the list of objects"
                .into(),
        });
    }
    keyed.sort_by(|(a, _), (b, _)| compare_values(a.as_ref(), b.as_ref()));
    let sorted: Vec<T> = keyed.iter().map(|(_, i)| items[*i].clone()).collect();
    items.clone_from_slice(&sorted);
    Ok(())
}

fn compare_values(a: Option<&Value>, b: Option<&Value>) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(Value::Number(x)), Some(Value::Number(y))) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Some(Value::String(x)), Some(Value::String(y))) => natural_cmp(x, y),
        (Some(x), Some(y)) => x.to_string().cmp(&y.to_string()),
    }
}

/// Natural order: digit runs compare as numbers (`pod-2` < `pod-10`).
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    while !x.is_empty() && !y.is_empty() {
        if x[0].is_ascii_digit() && y[0].is_ascii_digit() {
            let nx = x.iter().take_while(|c| c.is_ascii_digit()).count();
            let ny = y.iter().take_while(|c| c.is_ascii_digit()).count();
            let dx = std::str::from_utf8(&x[..nx])
                .unwrap_or("")
                .trim_start_matches('0');
            let dy = std::str::from_utf8(&y[..ny])
                .unwrap_or("")
                .trim_start_matches('0');
            let o = dx.len().cmp(&dy.len()).then_with(|| dx.cmp(dy));
            if o != Ordering::Equal {
                return o;
            }
            x = &x[nx..];
            y = &y[ny..];
        } else {
            if x[0] != y[0] {
                return x[0].cmp(&y[0]);
            }
            x = &x[1..];
            y = &y[1..];
        }
    }
    x.len().cmp(&y.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order() {
        let mut v = vec!["pod-10", "pod-2", "pod-1", "a"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(v, vec!["a", "pod-1", "pod-2", "pod-10"]);
    }

    #[test]
    fn sorting_by_jsonpath() {
        let mut items = vec![
            json!({"spec": {"replicas": 3}, "n": "c"}),
            json!({"spec": {"replicas": 1}, "n": "a"}),
            json!({"n": "none"}),
            json!({"spec": {"replicas": 2}, "n": "b"}),
        ];
        let t = Template::parse(&relaxed(".spec.replicas")).unwrap();
        sort_by(&mut items, |v: &Value| Some(v), &t).unwrap();
        let names: Vec<&str> = items.iter().map(|i| i["n"].as_str().unwrap()).collect();
        assert_eq!(names, vec!["none", "a", "b", "c"]);
        let t = Template::parse(&relaxed(".nope")).unwrap();
        assert!(sort_by(&mut items, |v: &Value| Some(v), &t).is_err());
    }
}
