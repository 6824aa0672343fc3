//! `klue` / `klue tui`: the interactive screen on the current kube context (or a snapshot),
//! with the LLM planner when one is configured and the offline planner otherwise.
//!
//! Other commands that open the screen (`demo`, `resume`) call [`open`] with a running
//! session, and `replay` calls [`open_replay`].

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use klue::config::{Overrides, PlannerKind, Settings};
use klue::planner::Planner;
use klue::protocol::SessionInfo;
use klue::record::Recorder;
use klue::session::{ApprovalPolicy, SessionConfig, SessionHandle};
use klue::tui::replay::Player;
use klue::tui::{App, Mode, Source, TerminalGuard, Theme};

#[derive(Debug, Clone, Default, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub cluster: super::common::ClusterArgs,
    /// The planner: `llm` or `offline` (default: the LLM when one is configured).
    #[arg(long)]
    pub planner: Option<PlannerKind>,
    /// The model to ask (overrides the config file and the environment).
    #[arg(long)]
    pub model: Option<String>,
    /// The OpenAI-compatible endpoint (overrides the config file and the environment).
    #[arg(long)]
    pub base_url: Option<String>,
    /// Approval of proposed queries: `ask` (each one) or `all-read-only` (every allowed query).
    #[arg(long, default_value = "ask", value_parser = parse_approve)]
    pub approve: Approve,
    /// Another config file than the default one.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Approve {
    #[default]
    Ask,
    AllReadOnly,
}

pub(crate) fn parse_approve(s: &str) -> Result<Approve, String> {
    match s {
        "ask" => Ok(Approve::Ask),
        "all-read-only" => Ok(Approve::AllReadOnly),
        other => Err(format!(
            "unknown approval policy `{other}`: expected `ask` or `all-read-only`"
        )),
    }
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    run_with(args, Vec::new()).await
}

/// The screen, continuing the `earlier` events of a recorded session (`klue resume`) when
/// there are any.
pub(crate) async fn run_with(
    args: Args,
    earlier: Vec<klue::protocol::Event>,
) -> anyhow::Result<ExitCode> {
    require_terminal()?;
    let _log = init_log();
    let settings = Settings::load(&Overrides {
        planner: args.planner,
        model: args.model.clone(),
        base_url: args.base_url.clone(),
        config_path: args.config.clone(),
    })?;
    let planner = build_planner(&settings)?;
    let cluster = super::common::connect(&args.cluster).await?;
    let mut info = SessionInfo {
        session_id: if earlier.is_empty() {
            session_id()
        } else {
            session_id().replacen("s-", "resume-", 1)
        },
        context: cluster.info.context.clone(),
        namespace: Some(cluster.info.namespace.clone()),
        server: cluster.info.server.clone(),
        planner: planner.info(),
        recording: None,
    };
    let recorder = start_recording(&mut info);
    let mut config = SessionConfig::new(info);
    config.earlier = earlier;
    config.query_timeout = settings.budget.query_timeout;
    if let Some(r) = &recorder {
        config.sinks.push(Box::new(r.sink()));
    }
    config.approval = match args.approve {
        Approve::Ask => ApprovalPolicy::Ask,
        Approve::AllReadOnly => ApprovalPolicy::AllReadOnly,
    };
    // The offline planner reads the objects behind table output; a model gets the analyzers'
    // findings as hints.
    let offline = planner.info().kind == "offline";
    if !offline {
        config.hints = klue::analyze::fetch::hints_for(
            &cluster.client,
            Some(&cluster.info.namespace),
            std::time::Duration::from_secs(5),
        )
        .await;
    }
    let runner = Arc::new(
        klue::exec::Executor::new(cluster)
            .with_table_objects(offline)
            .with_timeout(settings.budget.query_timeout),
    );
    let handle = klue::session::spawn(planner, runner, config);
    let code = open(handle).await;
    if let Some(r) = recorder {
        let path = r.path().to_path_buf();
        match r.finish().await {
            Ok(()) => eprintln!("klue: session recorded in {}", path.display()),
            Err(e) => eprintln!("klue: the recording {} is incomplete: {e}", path.display()),
        }
    }
    code
}

/// Record the session under the XDG state dir (`klue sessions` lists it); the path goes into
/// the session facts so the status bar shows it. A recording that cannot be created is
/// logged and the session goes on unrecorded.
pub fn start_recording(info: &mut SessionInfo) -> Option<Recorder> {
    let dir = klue::record::sessions_dir()?;
    match Recorder::start_session(&dir, info) {
        Ok(r) => Some(r),
        Err(e) => {
            tracing::warn!(error = %e, "the session is not recorded");
            None
        }
    }
}

/// The screen needs a terminal; headless use has `klue ask`.
pub fn require_terminal() -> anyhow::Result<()> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        bail!(
            "klue's screen needs a terminal (stdin and stdout are not both a TTY); \
             use `klue ask \"<symptom>\"` to investigate headless"
        );
    }
    Ok(())
}

/// Open the screen on a running session until the engineer quits.
pub async fn open(handle: SessionHandle) -> anyhow::Result<ExitCode> {
    let SessionHandle { ops, events, task } = handle;
    let mut app = App::new(Mode::Live, Theme::from_env());
    screen(&mut app, Source::Live { ops, events }).await?;
    // The loop asked the session to end; give it a moment to finish its recording.
    if tokio::time::timeout(std::time::Duration::from_secs(2), task)
        .await
        .is_err()
    {
        tracing::warn!("the session task did not finish within 2 s");
    }
    Ok(ExitCode::SUCCESS)
}

/// Play recorded events into the screen (read-only). `notices` (problems the reader
/// tolerated) are shown in the chat first.
pub async fn open_replay(player: Player, notices: Vec<String>) -> anyhow::Result<ExitCode> {
    let mut app = App::new(Mode::Replay, Theme::from_env());
    for n in notices {
        app.notice(n);
    }
    screen(&mut app, Source::Replay(player)).await?;
    Ok(ExitCode::SUCCESS)
}

async fn screen(app: &mut App, source: Source) -> anyhow::Result<()> {
    let mut guard = TerminalGuard::enter().context("cannot set up the terminal")?;
    let result = klue::tui::run(&mut guard, app, source).await;
    drop(guard);
    result.context("the screen failed")?;
    Ok(())
}

fn build_planner(settings: &Settings) -> anyhow::Result<Box<dyn Planner>> {
    match settings.planner()? {
        PlannerKind::Llm => {
            let llm = settings
                .llm
                .clone()
                .context("no LLM is configured; use --planner offline")?;
            Ok(Box::new(klue::planner::llm::LlmPlanner::new(llm)?))
        }
        PlannerKind::Offline => offline_planner(),
    }
}

fn offline_planner() -> anyhow::Result<Box<dyn Planner>> {
    Ok(Box::new(klue::planner::offline::OfflinePlanner::new()))
}

fn session_id() -> String {
    let now = jiff::Timestamp::now();
    format!("s-{}", now.strftime("%Y%m%d-%H%M%S"))
}

/// Where klue writes its log: `$XDG_STATE_HOME/klue/klue.log` (the screen owns the
/// terminal, so nothing may be printed).
pub fn log_path() -> Option<PathBuf> {
    let base = dirs::state_dir().or_else(dirs::data_local_dir)?;
    Some(base.join("klue").join("klue.log"))
}

/// Send tracing to the log file. The returned guard flushes it on drop. `KLUE_LOG` sets the
/// filter (default `info`).
pub fn init_log() -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let path = log_path()?;
    let dir = path.parent()?;
    std::fs::create_dir_all(dir).ok()?;
    let file = tracing_appender::rolling::never(dir, "klue.log");
    let (writer, guard) = tracing_appender::non_blocking(file);
    let mut filter = tracing_subscriber::EnvFilter::try_from_env("KLUE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // The HTTP and TLS stacks trace headers and bodies at debug and trace level (a bearer
    // token, a Secret): whatever KLUE_LOG says, they log at info at most.
    for quiet in [
        "hyper=info",
        "hyper_util=info",
        "h2=info",
        "rustls=info",
        "tokio_rustls=info",
        "reqwest=info",
        "tower=info",
        "tower_http=info",
        "kube_client=info",
        "async_openai=info",
    ] {
        if let Ok(d) = quiet.parse() {
            filter = filter.add_directive(d);
        }
    }
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    Some(guard)
}
