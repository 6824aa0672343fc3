//! Analyzers: deterministic checks over cluster objects that find common failures.
