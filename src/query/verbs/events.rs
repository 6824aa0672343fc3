//! `events [--for TYPE/NAME] [--types Warning,Normal]`.

use crate::query::args::{Args, no_more};
use crate::query::flags::{Flag, FlagUse};
use crate::query::{EventsArgs, Query, Refusal, Verb};

const FLAGS: &[Flag] = &[
    Flag::AllNamespaces,
    Flag::For,
    Flag::Types,
    Flag::Output,
    Flag::FieldSelector,
];

pub fn parse(pos: &[String], flags: Vec<FlagUse>) -> Result<Query, Refusal> {
    let a = Args::new("events", flags, FLAGS)?;
    if let Some(p) = pos.first() {
        return Err(Refusal::new(format!(
            "`events` takes no arguments (got `{p}`); use `events --for pod/{p}` for one object"
        )));
    }
    no_more("events", pos)?;
    let scope = a.scope()?;
    let for_object = a
        .value(Flag::For)
        .map(|f| super::get::type_slash_name("events --for", f))
        .transpose()?;
    let mut types = Vec::new();
    if let Some(v) = a.value(Flag::Types) {
        for t in v.split(',') {
            let canon = match t.to_ascii_lowercase().as_str() {
                "normal" => "Normal",
                "warning" => "Warning",
                _ => {
                    return Err(Refusal::new(format!(
                        "`--types={v}`: `{t}` is not an event type (Normal, Warning)"
                    )));
                }
            };
            if !types.iter().any(|x| x == canon) {
                types.push(canon.to_string());
            }
        }
    }
    Ok(Query {
        verb: Verb::Events(EventsArgs {
            for_object,
            field_selector: a.field_selector()?,
            types,
            output: a.output(&["table", "yaml", "json", "name", "jsonpath"])?,
        }),
        scope,
    })
}
