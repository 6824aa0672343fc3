//! `get`: server-side printed tables (as kubectl), `-o name|yaml|json|jsonpath|custom-columns`,
//! `--sort-by`, `--show-labels`, `-L`, selectors, and chunked listing (limit/continue).

use serde_json::{Map, Value, json};

use super::api::{self, ACCEPT_JSON, ACCEPT_TABLE, Listed};
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

fn list_params(ctx: &Ctx<'_>) -> Vec<(&'static str, String)> {
    let mut p = Vec::new();
    if let Some(l) = &ctx.args.label_selector {
        p.push(("labelSelector", l.clone()));
    }
    if let Some(f) = &ctx.args.field_selector {
        p.push(("fieldSelector", f.clone()));
    }
    p
}

fn chunk(ctx: &Ctx<'_>) -> u32 {
    ctx.args.chunk_size.unwrap_or(DEFAULT_CHUNK)
}

/// Fetch tables for a target: each object's table, or the list's chunks; `f` gets each and
/// says whether to go on. Whether the listing was read to its end or to the read bound.
async fn for_each_table(
    ctx: &Ctx<'_>,
    t: &Target,
    errors: &mut Vec<ExecError>,
    mut f: impl FnMut(ServerTable) -> bool,
) -> Result<Listed, ExecError> {
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
                Ok(v) => {
                    if !f(to_table(v, &t.res)) {
                        break;
                    }
                }
                Err(e @ ExecError::NotFound { .. }) => errors.push(e),
                Err(e) => return Err(e),
            }
        }
        return Ok(Listed::Complete);
    }
    let mut params = list_params(ctx);
    if include_object {
        params.push(("includeObject", "Object".into()));
    }
    api::list_pages(
        ctx.ex.cluster(),
        &t.res.collection_path(ctx.namespace),
        &params,
        ACCEPT_TABLE,
        chunk(ctx),
        |v| f(to_table(v, &t.res)),
    )
    .await
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

/// The objects of a table's rows, typed (kind/apiVersion) for the analyzers.
fn row_objects<'a>(
    rows: &'a [crate::render::table::Row],
    res: &'a ApiResource,
) -> impl Iterator<Item = Value> + 'a {
    rows.iter().filter_map(|r| r.object.clone()).map(|mut o| {
        if let Value::Object(m) = &mut o {
            m.entry("kind")
                .or_insert_with(|| Value::from(res.kind.clone()));
            m.entry("apiVersion")
                .or_insert_with(|| Value::from(res.api_version()));
        }
        o
    })
}

async fn tables(ctx: &Ctx<'_>, targets: &[Target]) -> Result<Output, ExecError> {
    let mut text = String::new();
    let mut errors = Vec::new();
    let mut total_rows = 0;
    let mut objects = Vec::new();
    let keep = ctx.ex.table_objects();
    let cap = ctx.ex.cap().max_bytes;
    let mut stopped = false;
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
            let listed = for_each_table(ctx, t, &mut errors, |tb| {
                if all.columns.is_empty() {
                    all.columns = tb.columns.clone();
                }
                all.rows.extend(tb.rows);
                true
            })
            .await?;
            if listed == Listed::ReadBound {
                return Err(api::read_bound_error(&t.res.collection_path(ctx.namespace)));
            }
            sort_by(&mut all.rows, |r| r.object.as_ref(), sort)?;
            if keep {
                objects.extend(row_objects(&all.rows, &t.res));
            }
            builder.add(&all);
        } else {
            // rows stop once the table passes the cap (the rest is neither read nor laid out)
            let before = text.len();
            let listed = for_each_table(ctx, t, &mut errors, |tb| {
                if keep {
                    objects.extend(row_objects(&tb.rows, &t.res));
                }
                builder.add(&tb);
                before + builder.bytes() < cap
            })
            .await?;
            stopped = listed == Listed::ReadBound || before + builder.bytes() >= cap;
        }
        if builder.rows() > 0 {
            if total_rows > 0 && !ctx.args.no_headers {
                text.push('\n');
            }
            total_rows += builder.rows();
            text.push_str(&builder.finish());
        }
        if stopped || text.len() >= cap {
            stopped = true;
            break;
        }
    }
    if total_rows == 0 && errors.is_empty() {
        text = no_resources(ctx, targets);
    }
    let out = finish(text, errors, objects)?;
    Ok(if stopped {
        out.stopped_at(ctx.ex.cap())
    } else {
        out
    })
}

async fn names(ctx: &Ctx<'_>, targets: &[Target]) -> Result<Output, ExecError> {
    let mut text = String::new();
    let mut errors = Vec::new();
    let cap = ctx.ex.cap().max_bytes;
    let mut stopped = false;
    let name_of = |r: &crate::render::table::Row| {
        r.object
            .as_ref()
            .and_then(|o| o.pointer("/metadata/name"))
            .and_then(Value::as_str)
            .map(String::from)
            .or_else(|| r.cells.first().and_then(Value::as_str).map(String::from))
            .unwrap_or_default()
    };
    for t in targets {
        let prefix = t.res.kind_prefix();
        if let Some(sort) = ctx.sort {
            let mut rows = Vec::new();
            let listed = for_each_table(ctx, t, &mut errors, |tb| {
                rows.extend(tb.rows);
                true
            })
            .await?;
            if listed == Listed::ReadBound {
                return Err(api::read_bound_error(&t.res.collection_path(ctx.namespace)));
            }
            sort_by(&mut rows, |r| r.object.as_ref(), sort)?;
            for r in rows {
                text.push_str(&format!("{prefix}/{}\n", name_of(&r)));
            }
        } else {
            let listed = for_each_table(ctx, t, &mut errors, |tb| {
                for r in &tb.rows {
                    text.push_str(&format!("{prefix}/{}\n", name_of(r)));
                }
                text.len() < cap
            })
            .await?;
            stopped = listed == Listed::ReadBound;
        }
        if stopped || text.len() >= cap {
            stopped = true;
            break;
        }
    }
    // kubectl prints nothing at all for an empty `-o name`
    let out = finish(text, errors, Vec::new())?;
    Ok(if stopped {
        out.stopped_at(ctx.ex.cap())
    } else {
        out
    })
}

/// Full objects: fetched as JSON (chunked), typed (apiVersion/kind), sanitized, each handed
/// to `each`, which says whether to go on.
async fn fetch_objects(
    ctx: &Ctx<'_>,
    t: &Target,
    errors: &mut Vec<ExecError>,
    mut each: impl FnMut(Value) -> bool,
) -> Result<Listed, ExecError> {
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
                Ok(v) => {
                    if !each(typed(v)) {
                        break;
                    }
                }
                Err(e @ ExecError::NotFound { .. }) => errors.push(e),
                Err(e) => return Err(e),
            }
        }
        return Ok(Listed::Complete);
    }
    api::list_pages(
        ctx.ex.cluster(),
        &t.res.collection_path(ctx.namespace),
        &list_params(ctx),
        ACCEPT_JSON,
        chunk(ctx),
        |mut v| {
            if let Some(Value::Array(items)) = v.get_mut("items").map(Value::take) {
                for item in items {
                    if !each(typed(item)) {
                        return false;
                    }
                }
            }
            true
        },
    )
    .await
}

/// YAML or JSON of a list, rendered as its items arrive.
enum ListText {
    Yaml(yaml::YamlList),
    Json(json::JsonList),
}

impl ListText {
    fn new(format: &OutputFormat, cap: usize) -> Option<Self> {
        match format {
            OutputFormat::Yaml => Some(ListText::Yaml(yaml::YamlList::new(cap))),
            OutputFormat::Json => Some(ListText::Json(json::JsonList::new(cap))),
            _ => None,
        }
    }

    fn push(&mut self, item: &Value) -> bool {
        match self {
            ListText::Yaml(l) => l.push(item),
            ListText::Json(l) => l.push(item),
        }
    }

    fn stopped(&self) -> bool {
        match self {
            ListText::Yaml(l) => l.stopped(),
            ListText::Json(l) => l.stopped(),
        }
    }

    fn finish(self) -> (String, bool) {
        match self {
            ListText::Yaml(l) => l.finish(),
            ListText::Json(l) => l.finish(),
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
    // Every renderer stops at the cap while it renders (a union or range can multiply
    // without bound; a list can be larger than any output could hold).
    let cap = ctx.ex.cap().max_bytes;
    let single = targets.len() == 1 && targets[0].names.len() == 1;
    let mut errors = Vec::new();
    let mut objs = Vec::new();
    // A list in YAML or JSON is rendered page by page: reading stops with the output.
    if !single
        && ctx.sort.is_none()
        && let Some(mut list) = ListText::new(format, cap)
    {
        let mut stopped = false;
        for t in targets {
            let listed = fetch_objects(ctx, t, &mut errors, |o| {
                let more = list.push(&o);
                objs.push(o);
                more
            })
            .await?;
            if listed == Listed::ReadBound || list.stopped() {
                stopped = true;
                break;
            }
        }
        let (text, cut) = list.finish();
        let out = finish(text, errors, objs)?;
        return Ok(if cut || stopped {
            out.stopped_at(ctx.ex.cap())
        } else {
            out
        });
    }
    // The rest need every object first.
    for t in targets {
        let listed = fetch_objects(ctx, t, &mut errors, |o| {
            objs.push(o);
            true
        })
        .await?;
        if listed == Listed::ReadBound {
            return Err(api::read_bound_error(&t.res.collection_path(ctx.namespace)));
        }
    }
    if let Some(sort) = ctx.sort {
        sort_by(&mut objs, |v: &Value| Some(v), sort)?;
    }
    let overflow = |e: crate::render::jsonpath::Overflow| ExecError::OutputCap {
        detail: e.to_string(),
    };
    let (text, cut) = if single && objs.is_empty() {
        (String::new(), false)
    } else if single && objs.len() == 1 && custom.is_none() && template.is_none() {
        match format {
            OutputFormat::Yaml => yaml::to_yaml_capped(&objs[0], cap),
            OutputFormat::Json => json::to_json_capped(&objs[0], "    ", cap),
            _ => {
                return Err(ExecError::Unsupported {
                    what: format!("output format `-o {}`", format.name()),
                });
            }
        }
    } else if let Some(cc) = &custom {
        // an empty list still prints the header, as kubectl does
        cc.render(objs.iter(), ctx.args.no_headers, cap)
            .map_err(overflow)?
    } else if let Some(mut list) = ListText::new(format, cap) {
        // sorted YAML or JSON
        for o in &objs {
            if !list.push(o) {
                break;
            }
        }
        list.finish()
    } else if let Some(t) = &template {
        let rendered = if single && objs.len() == 1 {
            t.render(&objs[0], cap)
        } else {
            // the list is built around the objects (moved, not copied) and taken apart after
            let list = json!({"apiVersion": "v1", "items": std::mem::take(&mut objs), "kind": "List", "metadata": {"resourceVersion": ""}});
            let rendered = t.render(&list, cap);
            if let Value::Object(mut m) = list
                && let Some(Value::Array(items)) = m.remove("items")
            {
                objs = items;
            }
            rendered
        };
        rendered.map_err(overflow)?
    } else {
        return Err(ExecError::Unsupported {
            what: format!("output format `-o {}`", format.name()),
        });
    };
    let mut out = finish(text, errors, objs)?;
    if cut {
        out = out.stopped_at(ctx.ex.cap());
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
