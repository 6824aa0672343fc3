//! kubectl-style command lines → typed, read-only [`Query`] values.
//!
//! `parse` is the one place that decides what is allowed: anything it cannot turn into a
//! [`Query`] is refused with a specific [`Refusal`] before any request is made.

mod args;
pub mod flags;
pub mod lexer;
pub mod normalize;
pub mod parse;
pub mod policy;
pub mod validate;
mod verbs;

#[cfg(test)]
mod tests;

pub use lexer::MAX_LINE_CHARS;
pub use parse::parse;

/// Why a command line was refused. The message is specific and safe to show the model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct Refusal {
    pub reason: String,
}

impl Refusal {
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

/// A parsed, allowed, read-only query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The verb and its arguments.
    pub verb: Verb,
    /// Namespace scope (`-n`, `-A`); `None` namespace means the context's default.
    pub scope: Scope,
}

impl Query {
    /// One spelling per meaning: `get po -nshop` and `kubectl get pods --namespace=shop`
    /// both give `get pods -n shop`. Parsing the canonical form gives the same canonical form.
    /// Use it to recognise a query already run in this session.
    pub fn canonical(&self) -> String {
        normalize::render(self, false)
    }

    /// The canonical form with object names replaced by `*` (`logs pod/* -n shop --tail=50`),
    /// for "approve this kind of query for the rest of the session".
    pub fn shape(&self) -> String {
        normalize::render(self, true)
    }
}

impl std::fmt::Display for Query {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.canonical())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub namespace: Option<String>,
    pub all_namespaces: bool,
}

/// A resource as typed: `pods`, `po`, `deploy`, `deployments.apps`, `widgets.example.com`,
/// optionally with a name (`pod/web-1`, or `get pod web-1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceRef {
    pub resource: String,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputFormat {
    Table,
    Wide,
    Yaml,
    Json,
    Name,
    JsonPath(String),
    CustomColumns(String),
}

impl OutputFormat {
    /// The format's name as `-o` spells it (`wide`, `jsonpath`; `table` for the default).
    pub fn name(&self) -> &'static str {
        match self {
            OutputFormat::Table => "table",
            OutputFormat::Wide => "wide",
            OutputFormat::Yaml => "yaml",
            OutputFormat::Json => "json",
            OutputFormat::Name => "name",
            OutputFormat::JsonPath(_) => "jsonpath",
            OutputFormat::CustomColumns(_) => "custom-columns",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetArgs {
    /// One or more resources (`get deploy,svc`, `get pod/a svc/b`, `get pods a b`).
    pub targets: Vec<ResourceRef>,
    pub label_selector: Option<String>,
    pub field_selector: Option<String>,
    pub output: OutputFormat,
    pub show_labels: bool,
    /// `-L key,key2`: extra label columns.
    pub label_columns: Vec<String>,
    pub sort_by: Option<String>,
    /// `--chunk-size` (kubectl default 500; 0 disables chunking).
    pub chunk_size: Option<u32>,
    pub no_headers: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeArgs {
    pub targets: Vec<ResourceRef>,
    pub label_selector: Option<String>,
    pub show_events: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogsArgs {
    /// `NAME`, `pod/NAME`, `deploy/NAME`, ... (None with `-l`).
    pub target: Option<ResourceRef>,
    pub container: Option<String>,
    pub all_containers: bool,
    pub previous: bool,
    pub tail: Option<i64>,
    /// `--since=5m` in seconds.
    pub since_seconds: Option<i64>,
    /// `--since-time=RFC3339`.
    pub since_time: Option<String>,
    pub timestamps: bool,
    pub label_selector: Option<String>,
    /// `--max-log-requests` bound for `-l` (default 5).
    pub max_log_requests: u32,
    pub prefix: bool,
    pub limit_bytes: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventsArgs {
    /// `--for kind/name`.
    pub for_object: Option<ResourceRef>,
    pub field_selector: Option<String>,
    /// `--types=Warning,Normal`.
    pub types: Vec<String>,
    pub output: OutputFormat,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopTarget {
    Pods {
        name: Option<String>,
        label_selector: Option<String>,
        containers: bool,
    },
    Nodes {
        name: Option<String>,
        label_selector: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RolloutKind {
    History { revision: Option<i64> },
    Status,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanIArgs {
    pub verb: String,
    /// `pods`, `pods/log`, `deployments.apps`, or a non-resource URL.
    pub resource: String,
    pub name: Option<String>,
    pub subresource: Option<String>,
    pub list: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigKind {
    CurrentContext,
    GetContexts { name: Option<String> },
    View { minify: bool, output: OutputFormat },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verb {
    Get(GetArgs),
    Describe(DescribeArgs),
    Logs(LogsArgs),
    Events(EventsArgs),
    Top(TopTarget),
    Rollout {
        kind: RolloutKind,
        target: ResourceRef,
    },
    AuthCanI(CanIArgs),
    AuthWhoami {
        output: OutputFormat,
    },
    ApiResources {
        namespaced: Option<bool>,
        api_group: Option<String>,
        output: OutputFormat,
    },
    ApiVersions,
    Version {
        output: OutputFormat,
    },
    ClusterInfo,
    Config(ConfigKind),
}
