//! `events`: the `kubectl events` table (LAST SEEN, TYPE, REASON, OBJECT, MESSAGE), oldest
//! first as kubectl orders it, with `--for kind/name`, `--types`, field selectors and `-A`.

use serde_json::Value;

use super::describe::list_items;
use super::{ExecError, Executor, Output};
use crate::query::{EventsArgs, OutputFormat, Scope};
use crate::render::describe::events::{events_table, sort_events};

pub async fn run(ex: &Executor, scope: &Scope, args: &EventsArgs) -> Result<Output, ExecError> {
    let namespace = ex.namespace_for(scope);
    let mut selectors: Vec<String> = Vec::new();
    if let Some(target) = &args.for_object {
        let res = ex.resolve(&target.resource).await?;
        selectors.push(format!("involvedObject.kind={}", res.kind));
        if let Some(name) = &target.name {
            selectors.push(format!("involvedObject.name={name}"));
        }
    }
    if let Some(fs) = &args.field_selector {
        selectors.push(fs.clone());
    }
    let path = match &namespace {
        Some(ns) => format!("/api/v1/namespaces/{ns}/events"),
        None => "/api/v1/events".to_string(),
    };
    let mut params = Vec::new();
    if !selectors.is_empty() {
        params.push(("fieldSelector", selectors.join(",")));
    }
    let mut events = list_items(ex, &path, &params).await?;
    if !args.types.is_empty() {
        events.retain(|e| {
            let t = e.get("type").and_then(Value::as_str).unwrap_or("");
            args.types.iter().any(|want| want.eq_ignore_ascii_case(t))
        });
    }
    sort_events(&mut events);
    let text = match &args.output {
        OutputFormat::Json => {
            let list = serde_json::json!({"kind": "EventList", "apiVersion": "v1", "metadata": {}, "items": events});
            let mut s = serde_json::to_string_pretty(&list).map_err(|e| ExecError::Decode {
                detail: e.to_string(),
            })?;
            s.push('\n');
            s
        }
        OutputFormat::Yaml => {
            let list = serde_json::json!({"kind": "EventList", "apiVersion": "v1", "metadata": {}, "items": events});
            serde_yaml::to_string(&list).map_err(|e| ExecError::Decode {
                detail: e.to_string(),
            })?
        }
        OutputFormat::Name => events
            .iter()
            .map(|e| {
                format!(
                    "event/{}\n",
                    e.pointer("/metadata/name")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                )
            })
            .collect(),
        _ if events.is_empty() => match &namespace {
            Some(ns) => format!("No events found in {ns} namespace.\n"),
            None => "No events found.\n".to_string(),
        },
        _ => events_table(&events, namespace.is_none()),
    };
    Ok(Output {
        text,
        truncated: false,
        objects: events,
    })
}
