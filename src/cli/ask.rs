//! `klue ask "<symptom>"`: investigate headless, to a conclusion.
//!
//! The same core as the TUI, with a line-oriented front end: proposals are decided by the
//! approval policy (`--approve`), or, with `ask` on a terminal, by the engineer answering a
//! prompt per proposal. Prints readable text, or one JSON document with `--output json`.
//!
//! Exit codes: see [`EXIT_CODES`] (also in `klue ask --help` and the README).

use std::collections::VecDeque;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use klue::config::{Overrides, PlannerKind, Settings};
use klue::planner::Planner;
use klue::protocol::{Decider, Decision, Event, Op, Proposal, ProposalId, SessionInfo};
use klue::session::{ApprovalPolicy, Budget, SessionConfig};
use tokio::io::{AsyncBufReadExt, BufReader, Lines, Stdin};
use tokio::sync::mpsc::UnboundedSender;

pub(crate) mod report;

use report::Report;

/// What `klue ask` (and `klue resume --ask`) exit with.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  diagnosed, or what was asked about is healthy
  1  an error (configuration, planner, session)
  2  no conclusion (budget used up, the planner stopped, --approve none, cancelled)
  3  inconclusive: queries failed or the evidence did not settle it (the conclusion says
     what could not be checked)
  4  inconclusive because the cluster could not be used: unreachable, credentials refused
     or access forbidden for every query";

#[derive(Debug, Clone, Default, clap::Args)]
pub struct Args {
    /// What is wrong, in your words, e.g. "checkout pods keep restarting in namespace shop".
    #[arg(required = true, num_args = 1..)]
    pub symptom: Vec<String>,
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
    /// Another config file than the default one.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Who approves proposed queries: `ask` (prompt for each; needs a terminal),
    /// `all-read-only` (run every query the read-only policy allows), `none` (only print
    /// the proposals).
    #[arg(long, default_value = "ask", value_parser = parse_approve)]
    pub approve: Approve,
    /// Most planner turns (model calls) in this investigation (default: the config's).
    #[arg(long)]
    pub max_turns: Option<u32>,
    /// Most queries run in this investigation (default: the config's).
    #[arg(long)]
    pub max_queries: Option<u32>,
    /// Longest a single query may run, in seconds (default: the config's
    /// `[budget] query_timeout_secs`, else 60).
    #[arg(long)]
    pub query_timeout: Option<u64>,
    /// Do not record the session (by default it is written under the XDG state dir, where
    /// `klue sessions` lists it).
    #[arg(long)]
    pub no_record: bool,
    /// `text` for people, `json` (one document on stdout) for scripts and bots.
    #[arg(long, short = 'o', default_value = "text", value_parser = parse_output)]
    pub output: OutputKind,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Approve {
    #[default]
    Ask,
    AllReadOnly,
    None,
}

pub(crate) fn parse_approve(s: &str) -> Result<Approve, String> {
    match s {
        "ask" => Ok(Approve::Ask),
        "all-read-only" => Ok(Approve::AllReadOnly),
        "none" => Ok(Approve::None),
        other => Err(format!(
            "unknown approval policy `{other}`: expected `ask`, `all-read-only` or `none`"
        )),
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OutputKind {
    #[default]
    Text,
    Json,
}

pub(crate) fn parse_output(s: &str) -> Result<OutputKind, String> {
    match s {
        "text" => Ok(OutputKind::Text),
        "json" => Ok(OutputKind::Json),
        other => Err(format!(
            "unknown output `{other}`: expected `text` or `json`"
        )),
    }
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let _log = super::tui::init_log();
    run_with(args, Vec::new()).await
}

/// `klue ask`, continuing the `earlier` events of a recorded session (`klue resume`) when
/// there are any.
pub(crate) async fn run_with(args: Args, earlier: Vec<Event>) -> anyhow::Result<ExitCode> {
    let symptom = args.symptom.join(" ");
    if symptom.trim().is_empty() {
        bail!("the symptom is empty: say what is wrong, e.g. klue ask \"checkout pods crash\"");
    }
    if args.approve == Approve::Ask && !std::io::stdin().is_terminal() {
        bail!(
            "`--approve ask` prompts for each proposal and needs a terminal on stdin; \
             choose `--approve all-read-only` (run every query the read-only policy allows) \
             or `--approve none` (only print the proposals)"
        );
    }
    let settings = Settings::load(&Overrides {
        planner: args.planner,
        model: args.model.clone(),
        base_url: args.base_url.clone(),
        config_path: args.config.clone(),
    })?;
    let planner = build_planner(&settings)?;
    let cluster = super::common::connect(&args.cluster).await?;
    let mut info = SessionInfo {
        session_id: format!(
            "{}-{}",
            if earlier.is_empty() { "ask" } else { "resume" },
            jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S")
        ),
        context: cluster.info.context.clone(),
        namespace: Some(cluster.info.namespace.clone()),
        server: cluster.info.server.clone(),
        planner: planner.info(),
        recording: None,
    };
    let recorder = if args.no_record {
        None
    } else {
        super::tui::start_recording(&mut info)
    };
    let mut config = SessionConfig::new(info);
    config.earlier = earlier;
    if let Some(r) = &recorder {
        config.sinks.push(Box::new(r.sink()));
    }
    config.approval = match args.approve {
        Approve::Ask => ApprovalPolicy::Ask,
        Approve::AllReadOnly => ApprovalPolicy::AllReadOnly,
        Approve::None => ApprovalPolicy::None,
    };
    config.budget = Budget {
        max_turns: args.max_turns.unwrap_or(settings.budget.max_turns),
        max_queries: args.max_queries.unwrap_or(settings.budget.max_queries),
    };
    config.limits = klue::condense::Limits {
        per_output: settings.budget.output_tokens,
        context: settings.budget.context_tokens,
    };
    config.query_timeout = args
        .query_timeout
        .map(|s| std::time::Duration::from_secs(s.max(1)))
        .unwrap_or(settings.budget.query_timeout);
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
            .with_timeout(config.query_timeout),
    );
    let handle = klue::session::spawn(planner, runner, config);
    let code = drive(handle, symptom, &args).await;
    if let Some(r) = recorder {
        let path = r.path().to_path_buf();
        match r.finish().await {
            Ok(()) => eprintln!("klue: session recorded in {}", path.display()),
            Err(e) => eprintln!("klue: the recording {} is incomplete: {e}", path.display()),
        }
    }
    code
}

/// Run the session to its end, answering prompts and printing as it goes.
async fn drive(
    handle: klue::session::SessionHandle,
    symptom: String,
    args: &Args,
) -> anyhow::Result<ExitCode> {
    let mut front = Front {
        ops: handle.ops,
        report: Report::new(args.output == OutputKind::Text, symptom.clone()),
        pending: VecDeque::new(),
        stdin: None,
        ask: args.approve == Approve::Ask,
        ctrl_c: 0,
        awaited: false,
    };
    front.send(Op::UserMessage { text: symptom })?;
    let mut events = handle.events;
    loop {
        // Everything already emitted first, so proposals decided by a shape rule are not asked.
        while let Ok(event) = events.try_recv() {
            if front.on_event(event)? {
                return front.finish(args.output).await;
            }
        }
        if front.ask
            && let Some(p) = front.pending.pop_front()
        {
            let id = p.id.clone();
            let op = front.prompt(&p).await?;
            front.send(op)?;
            // Wait for the core to record it, so related decisions are in the queue.
            loop {
                let Some(event) = events.recv().await else {
                    return front.finish(args.output).await;
                };
                let done = matches!(&event, Event::Decided { id: d, .. } if *d == id)
                    || matches!(&event, Event::Refused { id: d, .. } if *d == id)
                    || matches!(&event, Event::Error { .. } | Event::SessionEnded { .. });
                if front.on_event(event)? {
                    return front.finish(args.output).await;
                }
                if done {
                    break;
                }
            }
            continue;
        }
        tokio::select! {
            event = events.recv() => {
                let Some(event) = event else {
                    return front.finish(args.output).await;
                };
                if front.on_event(event)? {
                    return front.finish(args.output).await;
                }
            }
            _ = tokio::signal::ctrl_c() => front.interrupt()?,
        }
    }
}

/// The planner the settings ask for.
pub fn build_planner(settings: &Settings) -> anyhow::Result<Box<dyn Planner>> {
    match settings.planner()? {
        PlannerKind::Llm => {
            let llm = settings
                .llm
                .clone()
                .context("no LLM is configured; use --planner offline")?;
            Ok(Box::new(klue::planner::llm::LlmPlanner::new(llm)?))
        }
        PlannerKind::Offline => Ok(Box::new(klue::planner::offline::OfflinePlanner::new())),
    }
}

/// The headless front end's state.
struct Front {
    ops: UnboundedSender<Op>,
    report: Report,
    /// Proposals waiting for the engineer's answer (`--approve ask`).
    pending: VecDeque<Proposal>,
    stdin: Option<Lines<BufReader<Stdin>>>,
    ask: bool,
    ctrl_c: u32,
    /// The session's first wait for input (before the symptom is read) has been seen.
    awaited: bool,
}

impl Front {
    fn send(&self, op: Op) -> anyhow::Result<()> {
        self.ops
            .send(op)
            .map_err(|_| anyhow::anyhow!("the investigation stopped unexpectedly"))
    }

    /// Handle one event; returns true when the session is over.
    fn on_event(&mut self, event: Event) -> anyhow::Result<bool> {
        match &event {
            Event::Proposed(p) if self.ask => self.pending.push_back(p.clone()),
            Event::Decided { id, .. } | Event::Refused { id, .. } => {
                self.pending.retain(|p| p.id != *id)
            }
            _ => {}
        }
        let waiting = matches!(event, Event::AwaitingInput);
        let ended = matches!(event, Event::SessionEnded { .. });
        self.report.event(event)?;
        // The first AwaitingInput comes before the symptom is read (after the earlier events
        // of a resumed session); any later one means the planner is done (a conclusion, a
        // question, an error or a cancel): end headless.
        if waiting {
            if self.awaited && self.report.turn_done() {
                self.send(Op::End)?;
            }
            self.awaited = true;
        }
        Ok(ended)
    }

    fn interrupt(&mut self) -> anyhow::Result<()> {
        self.ctrl_c += 1;
        if self.ctrl_c == 1 {
            eprintln!("klue: cancelling (Ctrl-C again to stop)");
            self.send(Op::Cancel)
        } else {
            self.send(Op::End)
        }
    }

    async fn read_line(&mut self, prompt: &str) -> anyhow::Result<Option<String>> {
        eprint!("{prompt}");
        std::io::stderr().flush().ok();
        let lines = self
            .stdin
            .get_or_insert_with(|| BufReader::new(tokio::io::stdin()).lines());
        Ok(lines.next_line().await?)
    }

    /// Ask the engineer about one proposal.
    async fn prompt(&mut self, p: &Proposal) -> anyhow::Result<Op> {
        loop {
            let answer = self
                .read_line(&format!(
                    "[{}] {}\n  [a]pprove  [s]hape (approve queries like this for the session)  [e]dit  [r]eject  [q]uit > ",
                    p.id, p.command
                ))
                .await?;
            let Some(answer) = answer else {
                // stdin closed: stop asking.
                return Ok(Op::End);
            };
            match answer.trim().to_ascii_lowercase().as_str() {
                "a" | "approve" | "y" | "yes" => return Ok(decide(&p.id, Decision::Approve)),
                "s" | "shape" => return Ok(Op::ApproveShape { id: p.id.clone() }),
                "e" | "edit" => {
                    let Some(command) = self.read_line("  command > ").await? else {
                        return Ok(Op::End);
                    };
                    let command = if command.trim().is_empty() {
                        p.command.clone()
                    } else {
                        command.trim().to_string()
                    };
                    return Ok(decide(&p.id, Decision::ApproveEdited { command }));
                }
                "r" | "reject" | "n" | "no" => {
                    let reason = self.read_line("  reason (optional) > ").await?;
                    let reason = reason
                        .map(|r| r.trim().to_string())
                        .filter(|r| !r.is_empty());
                    return Ok(decide(&p.id, Decision::Reject { reason }));
                }
                "q" | "quit" => return Ok(Op::End),
                other => eprintln!("  `{other}` is not an answer: type a, s, e, r or q"),
            }
        }
    }

    async fn finish(mut self, output: OutputKind) -> anyhow::Result<ExitCode> {
        let code = self.report.exit_code();
        if output == OutputKind::Json {
            let doc = self.report.json();
            let mut stdout = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut stdout, &doc)?;
            writeln!(stdout)?;
        } else {
            self.report.summary()?;
        }
        self.pending.clear();
        Ok(code)
    }
}

fn decide(id: &ProposalId, decision: Decision) -> Op {
    Op::Decide {
        id: id.clone(),
        decision,
    }
}

/// How a decider reads in text output.
pub(crate) fn by_text(by: &Decider) -> String {
    match by {
        Decider::User => "you".into(),
        Decider::UserShape { shape } => format!("you (with its shape: {shape})"),
        Decider::Policy { rule } => format!("policy {rule}"),
        Decider::Dedup { earlier } => format!("same as {earlier}"),
    }
}
