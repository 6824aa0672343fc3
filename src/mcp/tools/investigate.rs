//! `investigate`: the offline planner through the session loop, every read-only proposal
//! approved by policy (`all-read-only`), recorded like any session, with progress
//! notifications while it runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use rmcp::model::{CallToolResult, ProgressNotificationParam, ProgressToken};
use rmcp::{Peer, RoleServer};
use tokio_util::sync::CancellationToken;

use super::super::params::InvestigateParams;
use super::super::{Options, reply, sessions};
use crate::exec::Executor;
use crate::planner::Planner;
use crate::planner::offline::OfflinePlanner;
use crate::protocol::Budget;
use crate::protocol::{EndReason, Event, Op, SessionInfo};
use crate::query::validate;
use crate::record::{Header, RecordLine, Recorder, Recording, Timeline, markdown};
use crate::session::{self, ApprovalPolicy, SessionConfig};

/// Where progress notifications go (when the client asked for them with a token).
pub struct Progress {
    pub peer: Peer<RoleServer>,
    pub token: Option<ProgressToken>,
}

impl Progress {
    async fn say(&self, done: u32, total: u32, message: String) {
        let Some(token) = &self.token else { return };
        let param = ProgressNotificationParam::new(token.clone(), f64::from(done))
            .with_total(f64::from(total))
            .with_message(crate::redact::redact(&message));
        if let Err(e) = self.peer.notify_progress(param).await {
            tracing::debug!(error = %e, "progress notification not sent");
        }
    }
}

const MAX_QUERIES: u32 = 200;

/// Run one investigation to its end; the result is the conclusion (or why there is none),
/// the queries that ran, and the recording's resource URI.
pub async fn run(
    executor: &Executor,
    options: &Options,
    params: InvestigateParams,
    progress: Progress,
    ct: CancellationToken,
) -> CallToolResult {
    let symptom = params.symptom.trim().to_string();
    if symptom.is_empty() {
        return reply::error(
            "the symptom is empty: say what is wrong, e.g. \"checkout pods keep restarting\"",
        );
    }
    let max_queries = params.max_queries.unwrap_or(options.budget.max_queries);
    if max_queries == 0 || max_queries > MAX_QUERIES {
        return reply::error(&format!(
            "`max_queries` must be between 1 and {MAX_QUERIES} (got {max_queries})"
        ));
    }
    let mut cluster = executor.cluster().clone();
    let mut message = symptom.clone();
    if let Some(ns) = params.namespace.as_deref().filter(|n| !n.is_empty()) {
        if let Err(r) = validate::namespace(ns) {
            return reply::error(&r.reason);
        }
        cluster.info.namespace = ns.to_string();
        message = format!("{symptom} (namespace/{ns})");
    }
    let planner: Box<dyn Planner> = Box::new(OfflinePlanner::new());
    let mut info = SessionInfo {
        session_id: session_id(),
        context: cluster.info.context.clone(),
        namespace: Some(cluster.info.namespace.clone()),
        server: cluster.info.server.clone(),
        planner: planner.info(),
        recording: None,
    };
    let recorder = options.sessions_dir.as_deref().and_then(|dir| {
        match Recorder::start_session(dir, &mut info) {
            Ok(r) => Some(r),
            Err(e) => {
                tracing::warn!(error = %e, "the investigation is not recorded");
                None
            }
        }
    });
    let header = Header::new(info.clone());
    let mut config = SessionConfig::new(info);
    if let Some(r) = &recorder {
        config.sinks.push(Box::new(r.sink()));
    }
    config.approval = ApprovalPolicy::AllReadOnly;
    config.budget = Budget {
        max_turns: options.budget.max_turns,
        max_queries,
        max_tokens: options.budget.max_tokens,
    };
    config.limits = options.limits;
    config.query_timeout = options.query_timeout;
    // The offline planner reads the objects behind table output.
    let runner = Arc::new(
        Executor::new(cluster)
            .with_cap(*executor.cap())
            .with_timeout(executor.timeout())
            .with_table_objects(true),
    );
    tracing::info!(%symptom, "investigation started");
    let handle = session::spawn(planner, runner, config);
    let entries = drive(handle, message, max_queries, &progress, ct).await;
    let recorded = match recorder {
        Some(r) => {
            let path = r.path().to_path_buf();
            match r.finish().await {
                Ok(()) => Some(path),
                Err(e) => {
                    tracing::warn!(error = %e, "the recording is incomplete");
                    Some(path)
                }
            }
        }
        None => None,
    };
    let timeline = Timeline::build(&Recording {
        path: recorded.clone().unwrap_or_default(),
        header,
        entries,
        warnings: Vec::new(),
    });
    let uri = recorded.as_deref().and_then(sessions::uri_of);
    let text = summary(&timeline, uri.as_deref());
    let doc = serde_json::json!({
        "outcome": timeline.outcome,
        "conclusion": timeline.conclusion.as_ref().map(|c| &c.conclusion),
        "queries": timeline.queries.iter().map(|q| serde_json::json!({
            "id": q.id,
            "command": q.command,
            "status": q.status,
            "error": q.execution.as_ref().and_then(|x| x.error.clone()).or_else(|| q.refused_why.clone()),
        })).collect::<Vec<_>>(),
        "session": uri,
    });
    let (text, _) = executor.cap().cut(&text);
    if timeline.conclusion.is_some() {
        reply::structured(&text, doc)
    } else {
        let mut r = reply::structured(&text, doc);
        r.is_error = Some(true);
        r
    }
}

/// Feed the symptom, follow the events to the end; every event is kept (with its time) for
/// the result. A cancellation cancels the running turn and ends the session.
async fn drive(
    handle: session::SessionHandle,
    message: String,
    total: u32,
    progress: &Progress,
    ct: CancellationToken,
) -> Vec<RecordLine> {
    let session::SessionHandle {
        ops,
        mut events,
        task,
    } = handle;
    let mut entries = Vec::new();
    let mut awaited = false;
    let mut done = 0u32;
    let mut cancelled = false;
    if ops.send(Op::UserMessage { text: message }).is_err() {
        tracing::error!("the investigation stopped before it started");
    }
    loop {
        let event = tokio::select! {
            biased;
            _ = ct.cancelled(), if !cancelled => {
                tracing::info!("investigation cancelled by the client");
                cancelled = true;
                let _ = ops.send(Op::Cancel);
                let _ = ops.send(Op::End { reason: EndReason::Cancelled });
                continue;
            }
            e = events.recv() => e,
        };
        let Some(event) = event else { break };
        match &event {
            Event::ExecStarted { id, command } => {
                progress
                    .say(done, total, format!("{id} running `{command}`"))
                    .await;
            }
            Event::ExecFinished(x) => {
                done += 1;
                let how = x
                    .error
                    .as_deref()
                    .map_or("ok".to_string(), |e| format!("error: {e}"));
                progress
                    .say(done, total, format!("{} `{}`: {how}", x.id, x.command))
                    .await;
            }
            Event::Concluded(c) => {
                progress
                    .say(done, total, format!("concluded: {}", c.headline()))
                    .await;
            }
            _ => {}
        }
        let waiting = matches!(event, Event::AwaitingInput);
        let ended = matches!(event, Event::SessionEnded { .. });
        entries.push(RecordLine::event(jiff::Timestamp::now(), event));
        if ended {
            break;
        }
        // The first wait comes before the symptom is read; any later one means the planner
        // is done (a conclusion, a question, an error): end the session.
        if waiting {
            if awaited {
                let reason =
                    EndReason::of_headless_events(entries.iter().filter_map(RecordLine::as_event));
                let _ = ops.send(Op::End { reason });
            }
            awaited = true;
        }
    }
    drop(ops);
    if tokio::time::timeout(std::time::Duration::from_secs(5), task)
        .await
        .is_err()
    {
        tracing::warn!("the investigation's session task did not finish within 5 s");
    }
    entries
}

/// The result text: the conclusion as the postmortem writes it, the queries, the recording.
fn summary(t: &Timeline, uri: Option<&str>) -> String {
    let mut o = format!("Outcome: {}\n\n", t.outcome);
    o.push_str(&markdown::conclusion(t));
    if t.conclusion.is_none() {
        for e in t.events.iter().filter(|e| e.actor == "klue") {
            o.push_str(&format!("- {}\n", e.text));
        }
        o.push('\n');
    }
    o.push_str("## Queries\n\n");
    if t.queries.is_empty() {
        o.push_str("(none)\n");
    }
    for q in &t.queries {
        let how = match (&q.execution, &q.refused_why) {
            (Some(x), _) => match &x.error {
                Some(e) => format!("failed: {e}"),
                None => format!("ran in {} ms", x.duration_ms),
            },
            (None, Some(why)) => format!("refused: {why}"),
            (None, None) => q
                .decision
                .clone()
                .unwrap_or_else(|| q.status.label().into()),
        };
        o.push_str(&format!("- {} `{}`: {how}\n", q.id, q.command));
    }
    match uri {
        Some(u) => o.push_str(&format!("\nRecorded as {u} (a Markdown postmortem).\n")),
        None => o.push_str("\nNot recorded.\n"),
    }
    o
}

/// `mcp-<time>-<n>`: unique within this process even for investigations in the same second.
fn session_id() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed) + 1;
    format!(
        "mcp-{}-{n}",
        jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S")
    )
}
