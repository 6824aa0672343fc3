//! The tools' arguments, as clients send them (names are part of klue's MCP interface:
//! clients' configurations depend on them).

use rmcp::schemars;
use serde::Deserialize;

/// `query`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
#[serde(deny_unknown_fields)]
pub struct QueryParams {
    /// One kubectl-style read-only command, e.g. `get pods -n shop` or
    /// `logs web-1 --previous --tail=50` (the `kubectl` prefix is optional).
    pub command: String,
    /// The namespace for the query when the command names none (default: the context's).
    #[serde(default)]
    pub namespace: Option<String>,
}

/// `scan`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
#[serde(deny_unknown_fields)]
pub struct ScanParams {
    /// Scan this namespace (default: the context's namespace).
    #[serde(default)]
    pub namespace: Option<String>,
    /// Scan every namespace.
    #[serde(default)]
    pub all_namespaces: Option<bool>,
    /// Only findings at least this severe: `critical`, `warning` or `info`.
    #[serde(default)]
    pub min_severity: Option<String>,
}

/// `investigate`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
#[serde(deny_unknown_fields)]
pub struct InvestigateParams {
    /// What is wrong, in plain words, e.g. "checkout pods keep restarting".
    pub symptom: String,
    /// The namespace to investigate (default: the one the symptom names, else the context's).
    #[serde(default)]
    pub namespace: Option<String>,
    /// Most queries the investigation may run (default 40).
    #[serde(default)]
    #[schemars(range(min = 1, max = 200))]
    pub max_queries: Option<u32>,
}
