//! The executor: runs a parsed [`Query`](crate::query::Query) against a
//! [`Cluster`](crate::cluster::Cluster) and prints what kubectl would print.
//!
//! One small module per verb; [`Executor::run`] dispatches. Every output is bounded by the
//! executor's [`OutputCap`](crate::render::cap::OutputCap).

pub mod api;
pub mod auth;
pub mod config;
pub mod describe;
mod error;
pub mod events;
pub mod get;
pub mod info;
pub mod logs;
pub mod rollout;
pub mod top;

pub use error::ExecError;

use crate::cluster::{ApiResource, Cluster};
use crate::query::{Query, Scope, Verb};
use crate::render::cap::OutputCap;

/// What a query produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Output {
    /// Text as kubectl prints it (bounded; see `truncated`).
    pub text: String,
    /// Set when the output was cut at the cap; `text` then ends with a marker saying so.
    pub truncated: bool,
    /// The objects behind the output (JSON, Secrets without values), for analyzers and the
    /// offline planner. Empty for verbs with no objects (logs, version, ...). For `get`, the
    /// full objects are carried when they were fetched (`-o yaml|json|jsonpath|custom-columns`);
    /// table and `-o name` outputs come from server-side tables and carry none (cheap for
    /// large lists).
    pub objects: Vec<serde_json::Value>,
}

impl Output {
    /// Text only.
    pub fn text(text: impl Into<String>) -> Self {
        Output {
            text: text.into(),
            ..Default::default()
        }
    }

    /// Bounded by `cap` (an output already cut by [`Output::stopped_at`] stays as it is).
    pub fn bounded(mut self, cap: &OutputCap) -> Self {
        let text = std::mem::take(&mut self.text);
        (self.text, self.truncated) = cap.bound(text, self.truncated);
        self
    }

    /// Its renderer stopped at `cap`: cut, saying so.
    pub fn stopped_at(mut self, cap: &OutputCap) -> Self {
        self.text = cap.stopped(&self.text);
        self.truncated = true;
        self
    }
}

/// The overall per-query timeout unless configured otherwise.
pub const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Runs queries against one cluster. Cheap to clone; clones share the discovery cache.
#[derive(Debug, Clone)]
pub struct Executor {
    cluster: Cluster,
    cap: OutputCap,
    /// The overall bound on one query (every request, paging and rendering included).
    timeout: std::time::Duration,
    /// Fill [`Output::objects`] for table output too (the offline planner reads them).
    table_objects: bool,
}

impl Executor {
    pub fn new(cluster: Cluster) -> Self {
        Executor {
            cluster,
            cap: OutputCap::default(),
            timeout: DEFAULT_TIMEOUT,
            table_objects: false,
        }
    }

    /// Use a different overall per-query timeout.
    pub fn with_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The overall per-query timeout.
    pub fn timeout(&self) -> std::time::Duration {
        self.timeout
    }

    /// Also return the objects behind table output (`get` without `-o`), sanitized, in
    /// [`Output::objects`]: the offline planner and analyzers read them. Costs a larger
    /// response (`includeObject=Object`).
    pub fn with_table_objects(mut self, on: bool) -> Self {
        self.table_objects = on;
        self
    }

    /// Whether table output carries its objects (see [`Executor::with_table_objects`]).
    pub fn table_objects(&self) -> bool {
        self.table_objects
    }

    /// Use a different output cap.
    pub fn with_cap(mut self, cap: OutputCap) -> Self {
        self.cap = cap;
        self
    }

    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    pub fn cap(&self) -> &OutputCap {
        &self.cap
    }

    /// The namespace a query addresses: `None` with `-A`, else `-n`, else the default.
    pub fn namespace_for(&self, scope: &Scope) -> Option<String> {
        if scope.all_namespaces {
            None
        } else {
            Some(
                scope
                    .namespace
                    .clone()
                    .unwrap_or_else(|| self.cluster.namespace().to_string()),
            )
        }
    }

    /// Resolve a typed resource name through (cached) discovery. A name the cached
    /// discovery does not know (neither a type nor a category such as `all`) refetches it
    /// first: the type may be new on the server.
    pub async fn resolve(&self, resource: &str) -> Result<ApiResource, ExecError> {
        let d = self
            .cluster
            .discovery_where(|d| d.resolve(resource).is_ok() || d.has_category(resource))
            .await
            .map_err(|e| error::from_kube(e, &self.cluster))?;
        d.resolve(resource)
            .cloned()
            .map_err(|e| ExecError::UnknownResource {
                input: e.input,
                did_you_mean: e.did_you_mean,
            })
    }

    /// Run one query: bounded by the overall timeout, its text redacted ([`crate::redact`])
    /// and then bounded by the cap.
    pub async fn run(&self, q: &Query) -> Result<Output, ExecError> {
        let out = tokio::time::timeout(self.timeout, self.run_verb(q))
            .await
            .map_err(|_| ExecError::Timeout {
                seconds: self.timeout.as_secs().max(1),
            })??;
        let mut out = out;
        let redacted = crate::redact::redact(&out.text);
        if redacted != out.text {
            out.text = redacted;
        }
        Ok(out.bounded(&self.cap))
    }

    async fn run_verb(&self, q: &Query) -> Result<Output, ExecError> {
        let out = match &q.verb {
            Verb::Get(a) => get::run(self, &q.scope, a).await?,
            Verb::Describe(a) => describe::run(self, &q.scope, a).await?,
            Verb::Logs(a) => logs::run(self, &q.scope, a).await?,
            Verb::Events(a) => events::run(self, &q.scope, a).await?,
            Verb::Top(t) => top::run(self, &q.scope, t).await?,
            Verb::Rollout { kind, target } => rollout::run(self, &q.scope, kind, target).await?,
            Verb::AuthCanI(a) => auth::can_i(self, &q.scope, a).await?,
            Verb::AuthWhoami { output } => auth::whoami(self, output).await?,
            Verb::ApiResources {
                namespaced,
                api_group,
                output,
            } => info::api_resources(self, *namespaced, api_group.as_deref(), output).await?,
            Verb::ApiVersions => info::api_versions(self).await?,
            Verb::Version { output } => info::version(self, output).await?,
            Verb::ClusterInfo => info::cluster_info(self).await?,
            Verb::Config(k) => config::run(self, k)?,
        };
        Ok(out)
    }
}
