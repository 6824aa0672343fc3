//! The executor: runs a parsed [`Query`](crate::query::Query) against a
//! [`Cluster`](crate::cluster::Cluster) and prints what kubectl would print.

/// What a query produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Output {
    /// Text as kubectl prints it (bounded; see `truncated`).
    pub text: String,
    /// Set when the output was cut at the cap; `text` then ends with a marker saying so.
    pub truncated: bool,
    /// The objects behind the output (JSON, Secrets without values), for analyzers and the
    /// offline planner. Empty for verbs with no objects (logs, version, ...).
    pub objects: Vec<serde_json::Value>,
}
