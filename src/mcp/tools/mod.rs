//! The five tools. Names and arguments are klue's MCP interface: clients' configurations
//! depend on them. Every tool is read-only, non-destructive and idempotent, and its
//! description ends with the read-only grammar (prompts/mcp_grammar.md).

mod catalog;
mod investigate;
mod query;
mod scan;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, RequestMetaObject};
use rmcp::{Peer, RoleServer, tool, tool_router};
use tokio_util::sync::CancellationToken;

use super::Server;
use super::params::{InvestigateParams, QueryParams, ScanParams};

/// The read-only grammar in two lines, at the end of every tool's description.
pub const GRAMMAR: &str = include_str!("../../../prompts/mcp_grammar.md");

#[tool_router(vis = "pub(super)")]
impl Server {
    #[tool(
        name = "query",
        description = "Run one kubectl-style read-only query against the cluster and return what kubectl would print (redacted, capped). A refused command is a tool error saying why.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true
        )
    )]
    async fn query(
        &self,
        Parameters(p): Parameters<QueryParams>,
        ct: CancellationToken,
    ) -> CallToolResult {
        query::run(&self.executor, p, ct).await
    }

    #[tool(
        name = "scan",
        description = "Run klue's analyzers over a namespace (default: the context's) or every namespace: findings ranked closest to a root cause first, each with evidence, a fix (never applied) and a query that shows it; as text and as structured content.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true
        )
    )]
    async fn scan(
        &self,
        Parameters(p): Parameters<ScanParams>,
        ct: CancellationToken,
    ) -> CallToolResult {
        scan::run(&self.executor, p, ct).await
    }

    #[tool(
        name = "investigate",
        description = "Investigate a symptom with klue's offline planner to a conclusion: root cause, evidence with the commands that showed it, remediation as text (never run). Every query it proposes is read-only and runs; the session is recorded (resource klue://sessions/{name}); progress notifications report each query.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true
        )
    )]
    async fn investigate(
        &self,
        Parameters(p): Parameters<InvestigateParams>,
        meta: RequestMetaObject,
        peer: Peer<RoleServer>,
        ct: CancellationToken,
    ) -> CallToolResult {
        let progress = investigate::Progress {
            peer,
            token: meta.get_progress_token(),
        };
        investigate::run(&self.executor, &self.options, p, progress, ct).await
    }

    #[tool(
        name = "api_resources",
        description = "List the resource kinds the cluster serves (what `query` can read), as `kubectl api-resources` prints them.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true
        )
    )]
    async fn api_resources(&self, ct: CancellationToken) -> CallToolResult {
        catalog::api_resources(&self.executor, ct).await
    }

    #[tool(
        name = "contexts",
        description = "List the kubeconfig's context names (names only), the one klue is connected with marked current.",
        annotations(
            read_only_hint = true,
            destructive_hint = false,
            idempotent_hint = true
        )
    )]
    async fn contexts(&self) -> CallToolResult {
        catalog::contexts(&self.executor)
    }
}

/// The router, each description followed by the grammar.
pub fn router() -> ToolRouter<Server> {
    let mut router = Server::tool_router();
    for route in router.map.values_mut() {
        let own = route.attr.description.as_deref().unwrap_or_default().trim();
        route.attr.description = Some(format!("{own}\n{}", GRAMMAR.trim()).into());
    }
    router
}
