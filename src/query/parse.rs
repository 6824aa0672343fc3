//! The parser and policy: kubectl-style command line → [`Query`], or a [`Refusal`].

use super::{Query, Refusal};

/// Parse one command line (the `kubectl` prefix is optional).
pub fn parse(line: &str) -> Result<Query, Refusal> {
    Err(Refusal::new(format!("not implemented yet: {line}")))
}
