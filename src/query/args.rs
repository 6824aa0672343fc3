//! Access to the flags of one verb: which apply, their values, the namespace scope.

use super::flags::{Flag, FlagUse};
use super::{Refusal, Scope, policy, validate};

/// The flags given to one verb, checked against the flags that verb accepts.
pub struct Args<'a> {
    /// The verb as shown in messages (`logs`, `rollout history`).
    pub verb: &'a str,
    flags: Vec<FlagUse>,
}

impl<'a> Args<'a> {
    /// Refuse any flag the verb does not take. `-n/--namespace` is accepted by every verb
    /// (as in kubectl, where it is a global flag).
    pub fn new(verb: &'a str, flags: Vec<FlagUse>, accepts: &[Flag]) -> Result<Self, Refusal> {
        for f in &flags {
            if f.flag != Flag::Namespace && !accepts.contains(&f.flag) {
                return Err(Refusal::new(policy::flag_not_for(&f.spelled, verb)));
            }
        }
        Ok(Self { verb, flags })
    }

    fn last(&self, flag: Flag) -> Option<&FlagUse> {
        self.flags.iter().rev().find(|f| f.flag == flag)
    }

    /// The last value given for a value flag (kubectl: the last one wins).
    pub fn value(&self, flag: Flag) -> Option<&str> {
        self.last(flag).map(|f| f.value.as_str())
    }

    /// The value and how the flag was spelled.
    pub fn value_spelled(&self, flag: Flag) -> Option<(&str, &str)> {
        self.last(flag)
            .map(|f| (f.value.as_str(), f.spelled.as_str()))
    }

    /// Every value given for a repeatable flag (`-L a -L b`).
    pub fn values(&self, flag: Flag) -> Vec<&str> {
        self.flags
            .iter()
            .filter(|f| f.flag == flag)
            .map(|f| f.value.as_str())
            .collect()
    }

    /// A boolean flag: absent = `default`.
    pub fn bool(&self, flag: Flag, default: bool) -> bool {
        self.last(flag).map_or(default, |f| f.value == "true")
    }

    /// A boolean flag, `None` when absent.
    pub fn opt_bool(&self, flag: Flag) -> Option<bool> {
        self.last(flag).map(|f| f.value == "true")
    }

    /// `-n` / `-A`. With both, `-A` wins, as in kubectl.
    pub fn scope(&self) -> Result<Scope, Refusal> {
        let all = self.bool(Flag::AllNamespaces, false);
        let namespace = match self.value(Flag::Namespace) {
            Some(ns) => {
                validate::namespace(ns)?;
                Some(ns.to_string())
            }
            None => None,
        };
        Ok(if all {
            Scope {
                namespace: None,
                all_namespaces: true,
            }
        } else {
            Scope {
                namespace,
                all_namespaces: false,
            }
        })
    }

    /// `-l`, validated.
    pub fn label_selector(&self) -> Result<Option<String>, Refusal> {
        self.value(Flag::Selector)
            .map(|s| validate::label_selector(s).map(|()| s.trim().to_string()))
            .transpose()
    }

    /// `--field-selector`, validated.
    pub fn field_selector(&self) -> Result<Option<String>, Refusal> {
        self.value(Flag::FieldSelector)
            .map(|s| validate::field_selector(s).map(|()| s.to_string()))
            .transpose()
    }

    /// `-o`, validated against what the verb supports; `Table` when absent.
    pub fn output(&self, allowed: &[&str]) -> Result<super::OutputFormat, Refusal> {
        match self.value(Flag::Output) {
            None => Ok(super::OutputFormat::Table),
            Some(v) => validate::output(v, self.verb, allowed),
        }
    }

    /// An integer flag within bounds.
    pub fn int(&self, flag: Flag, min: i64, max: i64) -> Result<Option<i64>, Refusal> {
        self.value_spelled(flag)
            .map(|(v, spelled)| validate::int(spelled, v, min, max))
            .transpose()
    }
}

/// Refuse positionals beyond what a verb takes.
pub fn no_more(verb: &str, extra: &[String]) -> Result<(), Refusal> {
    match extra.first() {
        None => Ok(()),
        Some(w) => Err(Refusal::new(format!(
            "unexpected argument `{w}` for `{verb}`"
        ))),
    }
}
