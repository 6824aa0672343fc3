//! The one launcher every front end starts from: the shared flags (declared once, accepted
//! before or after the subcommand) → settings → planner → connection → session info →
//! recorder → session config → a running session.
//!
//! A subcommand says which shared flags it uses ([`Uses`]); one it cannot use is an error,
//! never silently dropped (`klue --planner llm query ...` says so instead of ignoring it).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use klue::cluster::Cluster;
use klue::config::{Overrides, PlannerKind, Settings};
use klue::planner::Planner;
use klue::protocol::{Event, SessionInfo};
use klue::record::Recorder;
use klue::session::{ApprovalPolicy, SessionConfig, SessionHandle};

/// The flags every subcommand shares, as kubectl users type them (`klue --context prod -n shop
/// ask ...` or `klue ask ... --context prod -n shop`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct GlobalArgs {
    /// The kubeconfig context to use (default: the current context).
    #[arg(long, global = true)]
    pub context: Option<String>,
    /// The namespace for queries (default: the context's namespace, else `default`).
    #[arg(short = 'n', long, global = true)]
    pub namespace: Option<String>,
    /// Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config).
    #[arg(long, global = true)]
    pub kubeconfig: Option<PathBuf>,
    /// Read from a snapshot captured with `klue snapshot` instead of a live cluster.
    #[arg(long, global = true)]
    pub snapshot: Option<PathBuf>,
    /// The planner: `llm` or `offline` (default: the LLM when one is configured).
    #[arg(long, global = true)]
    pub planner: Option<PlannerKind>,
    /// The model to ask (overrides the config file and the environment).
    #[arg(long, global = true)]
    pub model: Option<String>,
    /// The OpenAI-compatible endpoint (overrides the config file and the environment).
    #[arg(long, global = true)]
    pub base_url: Option<String>,
    /// Another config file than the default one.
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Who approves proposed queries: `ask` (the engineer, each one), `all-read-only` (every
    /// query the read-only policy allows), `none` (run nothing, only show the proposals).
    #[arg(long, global = true, value_parser = parse_approval)]
    pub approve: Option<ApprovalPolicy>,
    /// Fetch discovery from the server instead of the cache in $XDG_CACHE_HOME/klue/discovery
    /// (also: KLUE_NO_CACHE=1).
    #[arg(long, global = true)]
    pub no_cache: bool,
}

fn parse_approval(s: &str) -> Result<ApprovalPolicy, String> {
    s.parse()
}

/// One shared flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    Context,
    Namespace,
    Kubeconfig,
    Snapshot,
    Planner,
    Model,
    BaseUrl,
    Config,
    Approve,
    NoCache,
}

impl Flag {
    pub const ALL: [Flag; 10] = [
        Flag::Context,
        Flag::Namespace,
        Flag::Kubeconfig,
        Flag::Snapshot,
        Flag::Planner,
        Flag::Model,
        Flag::BaseUrl,
        Flag::Config,
        Flag::Approve,
        Flag::NoCache,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Flag::Context => "--context",
            Flag::Namespace => "--namespace",
            Flag::Kubeconfig => "--kubeconfig",
            Flag::Snapshot => "--snapshot",
            Flag::Planner => "--planner",
            Flag::Model => "--model",
            Flag::BaseUrl => "--base-url",
            Flag::Config => "--config",
            Flag::Approve => "--approve",
            Flag::NoCache => "--no-cache",
        }
    }
}

/// Which shared flags a subcommand uses.
#[derive(Debug, Clone, Copy)]
pub struct Uses(pub &'static [Flag]);

impl Uses {
    /// Where the cluster is: a kube context or a snapshot.
    pub const CLUSTER: Uses = Uses(&[
        Flag::Context,
        Flag::Namespace,
        Flag::Kubeconfig,
        Flag::Snapshot,
        Flag::NoCache,
    ]);
    /// A whole session: the cluster, the planner and the approval.
    pub const SESSION: Uses = Uses(&Flag::ALL);
    /// The demo: its bundled snapshot (or another one), a planner, the approval.
    pub const DEMO: Uses = Uses(&[
        Flag::Namespace,
        Flag::Snapshot,
        Flag::Planner,
        Flag::Model,
        Flag::BaseUrl,
        Flag::Config,
        Flag::Approve,
    ]);
    /// Reads recordings only.
    pub const NONE: Uses = Uses(&[]);
}

impl GlobalArgs {
    /// The shared flags given on the command line.
    pub fn given(&self) -> Vec<Flag> {
        Flag::ALL
            .into_iter()
            .filter(|f| match f {
                Flag::Context => self.context.is_some(),
                Flag::Namespace => self.namespace.is_some(),
                Flag::Kubeconfig => self.kubeconfig.is_some(),
                Flag::Snapshot => self.snapshot.is_some(),
                Flag::Planner => self.planner.is_some(),
                Flag::Model => self.model.is_some(),
                Flag::BaseUrl => self.base_url.is_some(),
                Flag::Config => self.config.is_some(),
                Flag::Approve => self.approve.is_some(),
                Flag::NoCache => self.no_cache,
            })
            .collect()
    }

    /// An error naming every given flag `subcommand` cannot use.
    pub fn check(&self, subcommand: &str, uses: Uses) -> anyhow::Result<()> {
        let unused: Vec<&str> = self
            .given()
            .into_iter()
            .filter(|f| !uses.0.contains(f))
            .map(Flag::name)
            .collect();
        if unused.is_empty() {
            return Ok(());
        }
        let what = if unused.len() == 1 {
            format!("{} has", unused[0])
        } else {
            format!("{} have", unused.join(", "))
        };
        let accepted: Vec<&str> = uses.0.iter().map(|f| f.name()).collect();
        bail!(
            "{what} no effect on `klue {subcommand}` ({}); remove {}",
            if accepted.is_empty() {
                "it takes none of the shared flags".to_string()
            } else {
                format!("it takes {}", accepted.join(", "))
            },
            if unused.len() == 1 { "it" } else { "them" }
        )
    }

    /// The configuration: flags over environment over the config file over defaults.
    pub fn settings(&self) -> anyhow::Result<Settings> {
        Ok(Settings::load(&Overrides {
            planner: self.planner,
            model: self.model.clone(),
            base_url: self.base_url.clone(),
            config_path: self.config.clone(),
        })?)
    }

    pub fn connect_options(&self) -> klue::cluster::ConnectOptions {
        klue::cluster::ConnectOptions {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
            namespace: self.namespace.clone(),
            snapshot: self.snapshot.clone(),
        }
    }

    /// Connect as the flags say: the snapshot when `--snapshot` is given, else the
    /// kubeconfig's cluster (GET-only either way). No request is made yet.
    pub async fn connect(&self) -> anyhow::Result<Cluster> {
        Ok(Cluster::connect(&self.connect_options())
            .await?
            .with_discovery_cache(self.discovery_cache()))
    }

    /// The discovery cache in the XDG cache dir, unless `--no-cache` or `KLUE_NO_CACHE` (set
    /// to anything but empty, `0` or `false`).
    pub fn discovery_cache(&self) -> Option<klue::cluster::DiscoveryCache> {
        let off_by_env =
            std::env::var("KLUE_NO_CACHE").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"));
        if self.no_cache || off_by_env {
            None
        } else {
            klue::cluster::DiscoveryCache::in_user_cache()
        }
    }
}

/// The planner the settings ask for.
pub fn planner(settings: &Settings) -> anyhow::Result<Box<dyn Planner>> {
    match settings.planner()? {
        PlannerKind::Llm => {
            let llm = settings
                .llm
                .clone()
                .context("no LLM is configured; use --planner offline")?;
            Ok(Box::new(klue::planner::grounded::GroundedPlanner::llm(
                llm,
            )?))
        }
        PlannerKind::Offline => Ok(Box::new(klue::planner::offline::OfflinePlanner::new())),
    }
}

/// What a front end asks of the launcher besides the shared flags.
#[derive(Debug)]
pub struct Launch {
    /// The session id's prefix: `s` (the screen), `ask`, `resume`, `demo`.
    pub kind: &'static str,
    /// The approval when `--approve` is not given.
    pub default_approval: ApprovalPolicy,
    /// Write a recording under the sessions directory.
    pub record: bool,
    /// Overrides of the config's budget (`ask --max-turns/--max-queries/--query-timeout`).
    pub max_turns: Option<u32>,
    pub max_queries: Option<u32>,
    pub query_timeout: Option<Duration>,
    /// The events of the recorded session this one continues (`klue resume`).
    pub earlier: Vec<Event>,
    /// The cluster, when the front end opened it itself (the demo's bundled snapshot).
    pub cluster: Option<Cluster>,
    /// The planner when `--planner` is not given (over the environment and the config
    /// file): the demo plans offline unless told otherwise.
    pub planner_default: Option<PlannerKind>,
}

impl Launch {
    pub fn new(kind: &'static str) -> Self {
        Launch {
            kind,
            default_approval: ApprovalPolicy::Ask,
            record: true,
            max_turns: None,
            max_queries: None,
            query_timeout: None,
            earlier: Vec::new(),
            cluster: None,
            planner_default: None,
        }
    }
}

/// A running session with its recorder.
pub struct Launched {
    pub handle: SessionHandle,
    pub approval: ApprovalPolicy,
    /// The cluster the session queries (a clone sharing its discovery), for a front end's
    /// connection check.
    pub cluster: Cluster,
    recorder: Option<Recorder>,
}

impl Launched {
    /// Finish the recording (the session has ended) and say where it is.
    pub async fn finish_recording(recorder: Option<Recorder>) {
        if let Some(r) = recorder {
            let path = r.path().to_path_buf();
            match r.finish().await {
                Ok(()) => eprintln!("klue: session recorded in {}", path.display()),
                Err(e) => eprintln!("klue: the recording {} is incomplete: {e}", path.display()),
            }
        }
    }

    /// Split into the session handle and the recorder (finish it with
    /// [`Launched::finish_recording`] once the session has ended).
    pub fn into_parts(self) -> (SessionHandle, Option<Recorder>) {
        (self.handle, self.recorder)
    }
}

/// Settings → planner → connection → session info → recorder → session config → session.
pub async fn launch(global: &GlobalArgs, launch: Launch) -> anyhow::Result<Launched> {
    let mut settings = global.settings()?;
    if global.planner.is_none()
        && let Some(p) = launch.planner_default
    {
        settings.planner_requested = Some(p);
    }
    let planner = planner(&settings)?;
    let cluster = match launch.cluster {
        Some(c) => c,
        None => global.connect().await?,
    };
    let mut info = SessionInfo {
        session_id: format!(
            "{}-{}",
            launch.kind,
            jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S")
        ),
        context: cluster.info.context.clone(),
        namespace: Some(cluster.info.namespace.clone()),
        server: cluster.info.server.clone(),
        planner: planner.info(),
        recording: None,
    };
    let recorder = if launch.record {
        start_recording(&mut info)
    } else {
        None
    };
    let approval = global.approve.unwrap_or(launch.default_approval);
    let mut config = SessionConfig::new(info.clone());
    config.earlier = launch.earlier;
    if let Some(r) = &recorder {
        config.sinks.push(Box::new(r.sink()));
    }
    config.approval = approval;
    config.apply_budget(&settings.budget);
    if let Some(n) = launch.max_turns {
        config.budget.max_turns = n;
    }
    if let Some(n) = launch.max_queries {
        config.budget.max_queries = n;
    }
    config.query_timeout = launch
        .query_timeout
        .map(|t| t.max(Duration::from_secs(1)))
        .unwrap_or(settings.budget.query_timeout);
    // The offline planner (alone, or grounding a model) reads the objects behind table
    // output; a model gets the analyzers' findings as hints (objects never reach it). They
    // are read in the background: the session waits for them before the model's first call,
    // nothing waits for them before the screen's first frame.
    let offline = planner.info().kind == PlannerKind::Offline;
    if !offline {
        let client = cluster.client.clone();
        let namespace = cluster.info.namespace.clone();
        config.pending_hints = Some(tokio::spawn(async move {
            klue::analyze::fetch::hints_for(&client, Some(&namespace), Duration::from_secs(5)).await
        }));
    }
    let checked = cluster.clone();
    let runner = Arc::new(
        klue::exec::Executor::new(cluster)
            .with_table_objects(true)
            .with_timeout(config.query_timeout),
    );
    let handle = klue::session::spawn(planner, runner, config);
    Ok(Launched {
        handle,
        approval,
        cluster: checked,
        recorder,
    })
}

/// Record the session under the XDG state dir (`klue sessions` lists it); the path goes into
/// the session facts so the status bar shows it. A recording that cannot be created is
/// logged and the session goes on unrecorded.
fn start_recording(info: &mut SessionInfo) -> Option<Recorder> {
    let dir = klue::record::sessions_dir()?;
    match Recorder::start_session(&dir, info) {
        Ok(r) => Some(r),
        Err(e) => {
            tracing::warn!(error = %e, "the session is not recorded");
            None
        }
    }
}
