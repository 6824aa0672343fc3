//! The flags klue understands, and the split of a word list into positionals and flags.
//!
//! Spellings follow kubectl (pflag): `-n ns`, `-nns`, `-n=ns`, `--namespace ns`,
//! `--namespace=ns`, `-oyaml`, `--tail=5`, boolean `--previous` / `--previous=false`,
//! combined boolean shorthands (`-Ap`). Flags may come before or after the verb.

use super::Refusal;
use super::lexer::Word;
use super::policy;

/// Every flag klue accepts on some verb.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flag {
    Namespace,
    AllNamespaces,
    Selector,
    FieldSelector,
    Output,
    ShowLabels,
    LabelColumns,
    SortBy,
    ChunkSize,
    NoHeaders,
    ShowEvents,
    Container,
    AllContainers,
    Previous,
    Tail,
    Since,
    SinceTime,
    Timestamps,
    MaxLogRequests,
    Prefix,
    LimitBytes,
    For,
    Types,
    Containers,
    Revision,
    Namespaced,
    ApiGroup,
    List,
    Subresource,
    Minify,
    /// Only `--watch=false` / `-w=false` (rollout status), a no-op; watching is refused.
    Watch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arity {
    Bool,
    Value,
}

struct Spec {
    flag: Flag,
    long: &'static str,
    short: Option<char>,
    arity: Arity,
}

const SPECS: &[Spec] = &[
    spec(Flag::Namespace, "namespace", Some('n'), Arity::Value),
    spec(
        Flag::AllNamespaces,
        "all-namespaces",
        Some('A'),
        Arity::Bool,
    ),
    spec(Flag::Selector, "selector", Some('l'), Arity::Value),
    spec(Flag::FieldSelector, "field-selector", None, Arity::Value),
    spec(Flag::Output, "output", Some('o'), Arity::Value),
    spec(Flag::ShowLabels, "show-labels", None, Arity::Bool),
    spec(Flag::LabelColumns, "label-columns", Some('L'), Arity::Value),
    spec(Flag::SortBy, "sort-by", None, Arity::Value),
    spec(Flag::ChunkSize, "chunk-size", None, Arity::Value),
    spec(Flag::NoHeaders, "no-headers", None, Arity::Bool),
    spec(Flag::ShowEvents, "show-events", None, Arity::Bool),
    spec(Flag::Container, "container", Some('c'), Arity::Value),
    spec(Flag::AllContainers, "all-containers", None, Arity::Bool),
    spec(Flag::Previous, "previous", Some('p'), Arity::Bool),
    spec(Flag::Tail, "tail", None, Arity::Value),
    spec(Flag::Since, "since", None, Arity::Value),
    spec(Flag::SinceTime, "since-time", None, Arity::Value),
    spec(Flag::Timestamps, "timestamps", None, Arity::Bool),
    spec(Flag::MaxLogRequests, "max-log-requests", None, Arity::Value),
    spec(Flag::Prefix, "prefix", None, Arity::Bool),
    spec(Flag::LimitBytes, "limit-bytes", None, Arity::Value),
    spec(Flag::For, "for", None, Arity::Value),
    spec(Flag::Types, "types", None, Arity::Value),
    spec(Flag::Containers, "containers", None, Arity::Bool),
    spec(Flag::Revision, "revision", None, Arity::Value),
    spec(Flag::Namespaced, "namespaced", None, Arity::Bool),
    spec(Flag::ApiGroup, "api-group", None, Arity::Value),
    spec(Flag::List, "list", None, Arity::Bool),
    spec(Flag::Subresource, "subresource", None, Arity::Value),
    spec(Flag::Minify, "minify", None, Arity::Bool),
    spec(Flag::Watch, "watch", Some('w'), Arity::Bool),
];

const fn spec(flag: Flag, long: &'static str, short: Option<char>, arity: Arity) -> Spec {
    Spec {
        flag,
        long,
        short,
        arity,
    }
}

impl Flag {
    /// The spelling used in messages and canonical forms (`--namespace`).
    pub fn long(self) -> &'static str {
        SPECS
            .iter()
            .find(|s| s.flag == self)
            .map_or("?", |s| s.long)
    }
}

/// A flag as given, with its value (`"true"`/`"false"` for booleans).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagUse {
    pub flag: Flag,
    /// How it was spelled (for messages): `-n`, `--tail`.
    pub spelled: String,
    pub value: String,
}

/// Positionals and flags of one command line.
#[derive(Debug, Default)]
pub struct Split {
    pub positionals: Vec<String>,
    pub flags: Vec<FlagUse>,
}

/// Separate flags from positionals; refuse unknown and forbidden flags.
pub fn split(words: &[Word]) -> Result<Split, Refusal> {
    let mut out = Split::default();
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        let t = w.text.as_str();
        if w.quoted || !t.starts_with('-') || t == "-" {
            if t.starts_with('-') && t.len() > 1 {
                return Err(Refusal::new(format!(
                    "the quoted word `{t}` looks like a flag: write flags unquoted"
                )));
            }
            out.positionals.push(w.text.clone());
            i += 1;
            continue;
        }
        if t == "--" {
            return Err(Refusal::new(
                "`--` (end of flags) is not accepted: a klue query never passes a trailing command or arguments",
            ));
        }
        let next = words.get(i + 1);
        let consumed_next = if let Some(rest) = t.strip_prefix("--") {
            long_flag(rest, next, &mut out.flags)?
        } else {
            short_flags(&t[1..], next, &mut out.flags)?
        };
        i += if consumed_next { 2 } else { 1 };
    }
    Ok(out)
}

fn long_flag(rest: &str, next: Option<&Word>, out: &mut Vec<FlagUse>) -> Result<bool, Refusal> {
    let (name, inline) = match rest.split_once('=') {
        Some((n, v)) => (n, Some(v)),
        None => (rest, None),
    };
    let spelled = format!("--{name}");
    let harmless_watch = name == "watch" && inline == Some("false");
    if !harmless_watch && let Some(why) = policy::forbidden_flag(&spelled) {
        return Err(Refusal::new(why));
    }
    let spec = SPECS
        .iter()
        .find(|s| s.long == name)
        .ok_or_else(|| Refusal::new(policy::unknown_flag(&spelled)))?;
    take_value(spec, spelled, inline, next, out)
}

fn short_flags(rest: &str, next: Option<&Word>, out: &mut Vec<FlagUse>) -> Result<bool, Refusal> {
    let chars: Vec<char> = rest.chars().collect();
    let mut k = 0;
    while k < chars.len() {
        let c = chars[k];
        let spelled = format!("-{c}");
        let harmless_watch =
            c == 'w' && k + 1 < chars.len() && chars[k + 1..] == ['=', 'f', 'a', 'l', 's', 'e'];
        if !harmless_watch && let Some(why) = policy::forbidden_flag(&spelled) {
            return Err(Refusal::new(why));
        }
        let spec = SPECS
            .iter()
            .find(|s| s.short == Some(c))
            .ok_or_else(|| Refusal::new(policy::unknown_flag(&spelled)))?;
        let tail: String = chars[k + 1..].iter().collect();
        match spec.arity {
            Arity::Value => {
                let inline = if tail.is_empty() {
                    None
                } else {
                    Some(tail.strip_prefix('=').unwrap_or(&tail).to_string())
                };
                return take_value(spec, spelled, inline.as_deref(), next, out);
            }
            Arity::Bool => {
                if let Some(v) = tail.strip_prefix('=') {
                    return take_value(spec, spelled, Some(v), next, out);
                }
                take_value(spec, spelled, None, next, out)?;
                k += 1;
            }
        }
    }
    Ok(false)
}

/// Record one flag use; returns whether the next word was consumed as its value.
fn take_value(
    spec: &Spec,
    spelled: String,
    inline: Option<&str>,
    next: Option<&Word>,
    out: &mut Vec<FlagUse>,
) -> Result<bool, Refusal> {
    match spec.arity {
        Arity::Bool => {
            let value = match inline {
                None => "true".to_string(),
                Some(v) if v == "true" || v == "false" => v.to_string(),
                Some(v) => {
                    return Err(Refusal::new(format!(
                        "`{spelled}` is a true/false flag; `{v}` is not `true` or `false`"
                    )));
                }
            };
            out.push(FlagUse {
                flag: spec.flag,
                spelled,
                value,
            });
            Ok(false)
        }
        Arity::Value => {
            if let Some(v) = inline {
                out.push(FlagUse {
                    flag: spec.flag,
                    spelled,
                    value: v.to_string(),
                });
                return Ok(false);
            }
            match next {
                Some(w) if w.quoted || !w.text.starts_with('-') || w.text == "-" => {
                    out.push(FlagUse {
                        flag: spec.flag,
                        spelled,
                        value: w.text.clone(),
                    });
                    Ok(true)
                }
                // kubectl accepts `--tail -1`.
                Some(w) if spec.flag == Flag::Tail && w.text == "-1" => {
                    out.push(FlagUse {
                        flag: spec.flag,
                        spelled,
                        value: w.text.clone(),
                    });
                    Ok(true)
                }
                _ => Err(Refusal::new(format!("flag `{spelled}` needs a value"))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::lexer;

    fn sp(line: &str) -> Split {
        let w = lexer::split(line).unwrap_or_else(|r| panic!("{r}"));
        split(&w).unwrap_or_else(|r| panic!("{line}: {r}"))
    }

    fn ns(s: &Split) -> Vec<(Flag, String)> {
        s.flags.iter().map(|f| (f.flag, f.value.clone())).collect()
    }

    #[test]
    fn spellings() {
        for line in [
            "get pods -n shop",
            "get pods -nshop",
            "get pods -n=shop",
            "get pods --namespace shop",
            "get pods --namespace=shop",
            "-n shop get pods",
        ] {
            let s = sp(line);
            assert_eq!(s.positionals, ["get", "pods"], "{line}");
            assert_eq!(ns(&s), [(Flag::Namespace, "shop".to_string())], "{line}");
        }
        let s = sp("logs web -p --tail=5 -oyaml -Ap");
        assert_eq!(
            ns(&s),
            [
                (Flag::Previous, "true".into()),
                (Flag::Tail, "5".into()),
                (Flag::Output, "yaml".into()),
                (Flag::AllNamespaces, "true".into()),
                (Flag::Previous, "true".into()),
            ]
        );
        let s = sp("logs web --tail -1 --previous=false");
        assert_eq!(
            ns(&s),
            [(Flag::Tail, "-1".into()), (Flag::Previous, "false".into())]
        );
    }

    #[test]
    fn refusals() {
        for line in [
            "get pods --token=x",
            "get pods --frobnicate",
            "get pods -Z",
            "get pods -n",
            "get pods -- delete",
            "get pods --previous=maybe",
            "get pods '-n' x",
        ] {
            let w = lexer::split(line).unwrap_or_else(|r| panic!("{r}"));
            assert!(split(&w).is_err(), "{line}");
        }
    }
}
