//! `klue mcp`: klue's read-only engine as a Model Context Protocol server (stdio), for
//! assistants that speak MCP.
//!
//! Nothing here is a second engine: every tool goes through the pieces the other front ends
//! use.
//! - `query` → [`query::parse`](crate::query::parse) (the read-only grammar), the
//!   [`Executor`](crate::exec::Executor) (GET-only client, output cap), [`redact`](crate::redact).
//! - `scan` → the analyzers ([`Scan`](crate::analyze::report::Scan)).
//! - `investigate` → the session loop ([`session::spawn`](crate::session::spawn)) with the
//!   offline planner and `all-read-only` approval, recorded like any session
//!   ([`Recorder`](crate::record::Recorder)); progress notifications while it runs.
//! - `api_resources`, `contexts` → discovery and the kubeconfig behind the connection.
//! - Resources `klue://sessions/{name}`: recordings as Markdown postmortems
//!   ([`record::markdown`](crate::record::markdown)), newest first. Prompt `troubleshoot`.
//!
//! A refusal or a failed query is a tool error (`isError: true`, the specific reason); a
//! malformed request is a protocol error. A client's `notifications/cancelled` stops the
//! running query or investigation. Only protocol messages go to stdout.

mod handler;
mod params;
mod prompt;
mod reply;
mod sessions;
mod tools;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rmcp::ServiceExt;
use rmcp::handler::server::router::tool::ToolRouter;

use crate::cluster::Cluster;
use crate::exec::Executor;
use crate::protocol::Budget;
use crate::render::cap::OutputCap;

pub use params::{InvestigateParams, QueryParams, ScanParams};

/// Why the server stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum McpError {
    #[error("the MCP client did not complete the handshake: {0}")]
    Handshake(String),
    #[error("the MCP server stopped unexpectedly: {0}")]
    Stopped(String),
}

/// How the server runs its tools.
#[derive(Debug, Clone)]
pub struct Options {
    /// Cap on every tool's text output.
    pub cap: OutputCap,
    /// Longest a single query may run (the executor's overall per-query bound).
    pub query_timeout: Duration,
    /// Default budget of an `investigate` call (`max_queries` overrides its queries).
    pub budget: Budget,
    /// Token limits of an `investigate` call's session (the config's `[budget]
    /// output_tokens` and `context_tokens`), as in every other session.
    pub limits: crate::condense::Limits,
    /// Where recordings are written and read (`klue sessions` lists them); `None` leaves
    /// investigations unrecorded and the resource list empty.
    pub sessions_dir: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            cap: OutputCap::default(),
            query_timeout: crate::exec::DEFAULT_TIMEOUT,
            budget: Budget::default(),
            limits: crate::condense::Limits::default(),
            sessions_dir: crate::record::sessions_dir(),
        }
    }
}

/// The MCP server over one cluster connection (live or snapshot). Cheap to clone.
#[derive(Clone)]
pub struct Server {
    executor: Executor,
    options: Arc<Options>,
    tool_router: ToolRouter<Server>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("cluster", self.executor.cluster())
            .field("options", &self.options)
            .finish()
    }
}

impl Server {
    pub fn new(cluster: Cluster, options: Options) -> Self {
        let executor = Executor::new(cluster)
            .with_cap(options.cap)
            .with_timeout(options.query_timeout);
        Server {
            executor,
            options: Arc::new(options),
            tool_router: tools::router(),
        }
    }

    /// Serve on stdin/stdout until the client closes the connection.
    pub async fn serve_stdio(self) -> Result<(), McpError> {
        let running = self
            .serve(rmcp::transport::stdio())
            .await
            .map_err(|e| McpError::Handshake(e.to_string()))?;
        let reason = running
            .waiting()
            .await
            .map_err(|e| McpError::Stopped(e.to_string()))?;
        tracing::info!(?reason, "MCP client disconnected");
        Ok(())
    }
}
