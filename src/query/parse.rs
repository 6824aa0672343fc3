//! The parser and policy entry point: kubectl-style command line → [`Query`], or a
//! [`Refusal`].
//!
//! The grammar is an allow-list: the line is screened ([`lexer`](super::lexer)), split into
//! flags and positionals ([`flags`](super::flags)), and handed to the parser of its verb
//! ([`verbs`](super::verbs)). Anything that does not fit is refused with a specific reason
//! ([`policy`](super::policy)).

use super::lexer::{self, Word};
use super::{Query, Refusal, flags, policy, verbs};

/// Parse one command line (the `kubectl` prefix is optional).
pub fn parse(line: &str) -> Result<Query, Refusal> {
    let words = lexer::split(line)?;
    let words = strip_prefix(&words)?;
    if let Some(w) = words.first()
        && !w.quoted
        && let Some(name) = env_assignment(&w.text)
    {
        return Err(Refusal::new(format!(
            "environment assignment `{name}=…` before the command is not allowed"
        )));
    }
    let split = match flags::split(words) {
        Ok(s) => s,
        Err(flag_refusal) => {
            // A refused verb says more than the flag it happened to carry.
            if let Some(verb) = words.iter().find(|w| !w.text.starts_with('-'))
                && let Some(why) = policy::refused_verb(&verb.text)
            {
                return Err(Refusal::new(why));
            }
            return Err(flag_refusal);
        }
    };
    verbs::parse(&split.positionals, split.flags)
}

fn strip_prefix(words: &[Word]) -> Result<&[Word], Refusal> {
    match words.first() {
        Some(w) if !w.quoted && w.text == "kubectl" => {
            if words.len() == 1 {
                return Err(Refusal::new(
                    "`kubectl` alone is not a query: add a verb such as `get pods`",
                ));
            }
            Ok(&words[1..])
        }
        Some(w)
            if !w.quoted && (w.text.ends_with("/kubectl") || w.text == "k" || w.text == "oc") =>
        {
            Err(Refusal::new(format!(
                "`{}`: write the query without a program path or alias (optionally starting with `kubectl`)",
                w.text
            )))
        }
        _ => Ok(words),
    }
}

/// `NAME=value` as a leading shell environment assignment.
fn env_assignment(w: &str) -> Option<&str> {
    let (name, _) = w.split_once('=')?;
    let ok = !name.is_empty()
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    ok.then_some(name)
}
