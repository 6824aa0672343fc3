//! klue: interactive, read-only Kubernetes troubleshooting with an LLM (or rules) in the loop.
//!
//! The headless core (session loop, planners, executor, recorder) exchanges typed
//! [`protocol`] messages with front ends (TUI, `ask`, replay).

pub mod analyze;
pub mod cluster;
pub mod condense;
pub mod config;
pub mod exec;
pub mod mcp;
pub mod planner;
pub mod protocol;
pub mod query;
pub mod record;
pub mod redact;
pub mod render;
pub mod session;
pub mod tokens;
pub mod tui;
