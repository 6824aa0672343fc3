//! The headless front end: a session driven to its end with a line-oriented output, used by
//! `klue ask`, `klue resume --ask` and the demo off a terminal. Proposals are decided by the
//! approval policy (`--approve`), or, on a terminal with `--approve ask`, by the engineer
//! answering a prompt per proposal. Prints readable text, or one JSON document with
//! `--output json`.
//!
//! Exit codes: see [`EXIT_CODES`] (also in `klue ask --help` and the README).

use std::collections::VecDeque;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::bail;
use klue::protocol::{Decision, EndReason, Event, Op, Proposal, ProposalId};
use klue::session::ApprovalPolicy;
use tokio::io::{AsyncBufReadExt, BufReader, Lines, Stdin};
use tokio::sync::mpsc::UnboundedSender;

use super::launch::{GlobalArgs, Launch, Launched, launch};

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

/// Budget and recording, for every session (on the screen or headless).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SessionFlags {
    /// Most planner turns (model calls) in this session; a resumed session counts the turns
    /// it used before (default: the config's).
    #[arg(long)]
    pub max_turns: Option<u32>,
    /// Most queries run in this session; a resumed session counts the queries it ran before
    /// (default: the config's).
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
}

impl SessionFlags {
    /// Put these flags into the session `how` describes.
    pub fn apply(&self, how: &mut Launch) {
        how.record = how.record && !self.no_record;
        how.max_turns = self.max_turns;
        how.max_queries = self.max_queries;
        how.query_timeout = self.query_timeout.map(std::time::Duration::from_secs);
    }
}

/// How a headless investigation runs and prints (`klue ask`, `klue resume --ask`, the demo
/// off a terminal).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Headless {
    #[command(flatten)]
    pub session: SessionFlags,
    /// `text` for people, `json` (one document on stdout) for scripts and bots (default:
    /// text).
    #[arg(long, short = 'o', value_enum)]
    pub output: Option<OutputKind>,
}

impl Headless {
    /// The output asked for.
    pub fn output(&self) -> OutputKind {
        self.output.unwrap_or_default()
    }

    /// On the screen these flags have no use: an error names the one given, rather than
    /// ignoring it.
    pub fn refuse_on_screen(&self, instead: &str) -> anyhow::Result<()> {
        if let Some(o) = self.output {
            bail!(
                "--output {} prints a headless investigation; the screen has no use for it ({instead})",
                match o {
                    OutputKind::Text => "text",
                    OutputKind::Json => "json",
                }
            );
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputKind {
    #[default]
    Text,
    Json,
}

/// The headless front end: investigate `symptom` to a conclusion in the session `how`
/// describes (`klue ask`; `klue resume --ask` continues a recording; the demo headless).
pub async fn investigate(
    global: &GlobalArgs,
    symptom: &str,
    flags: &Headless,
    mut how: Launch,
) -> anyhow::Result<ExitCode> {
    if symptom.trim().is_empty() {
        bail!("the symptom is empty: say what is wrong, e.g. klue ask \"checkout pods crash\"");
    }
    let approval = global.approve.unwrap_or(how.default_approval);
    if approval == ApprovalPolicy::Ask && !std::io::stdin().is_terminal() {
        bail!(
            "`--approve ask` prompts for each proposal and needs a terminal on stdin; \
             choose `--approve all-read-only` (run every query the read-only policy allows) \
             or `--approve none` (only print the proposals)"
        );
    }
    flags.session.apply(&mut how);
    let launched = launch(global, how).await?;
    let ask = launched.approval == ApprovalPolicy::Ask;
    let (handle, recorder) = launched.into_parts();
    let code = drive(handle, symptom.to_string(), ask, flags.output()).await;
    Launched::finish_recording(recorder).await;
    code
}

/// Run the session to its end, answering prompts and printing as it goes.
async fn drive(
    handle: klue::session::SessionHandle,
    symptom: String,
    ask: bool,
    output: OutputKind,
) -> anyhow::Result<ExitCode> {
    let mut front = Front {
        ops: handle.ops,
        report: Report::new(output == OutputKind::Text, symptom.clone()),
        pending: VecDeque::new(),
        stdin: None,
        ask,
        ctrl_c: 0,
        awaited: false,
    };
    front.send(Op::UserMessage { text: symptom })?;
    let mut events = handle.events;
    loop {
        // Everything already emitted first, so proposals decided by a shape rule are not asked.
        while let Ok(event) = events.try_recv() {
            if front.on_event(event)? {
                return front.finish(output).await;
            }
        }
        if front.ask
            && let Some(p) = front.pending.pop_front()
        {
            let id = p.id.clone();
            let op = front.prompt(&p).await?;
            let own = matches!(op, Op::RunQuery { .. });
            front.send(op)?;
            if own {
                // The engineer's own query runs now; then the same proposal is asked again.
                front.pending.push_front(p);
                loop {
                    let Some(event) = events.recv().await else {
                        return front.finish(output).await;
                    };
                    let done = matches!(
                        &event,
                        Event::ExecFinished(_)
                            | Event::Refused { .. }
                            | Event::Error { .. }
                            | Event::SessionEnded { .. }
                    );
                    if front.on_event(event)? {
                        return front.finish(output).await;
                    }
                    if done {
                        break;
                    }
                }
                continue;
            }
            // Wait for the core to record it, so related decisions are in the queue.
            loop {
                let Some(event) = events.recv().await else {
                    return front.finish(output).await;
                };
                let done = matches!(&event, Event::Decided { id: d, .. } if *d == id)
                    || matches!(&event, Event::Refused { id: d, .. } if *d == id)
                    || matches!(&event, Event::Error { .. } | Event::SessionEnded { .. });
                if front.on_event(event)? {
                    return front.finish(output).await;
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
                    return front.finish(output).await;
                };
                if front.on_event(event)? {
                    return front.finish(output).await;
                }
            }
            _ = tokio::signal::ctrl_c() => front.interrupt()?,
        }
    }
}

/// The engineer stops the run (a second Ctrl-C, `q`, or no more answers on stdin).
const QUIT: Op = Op::End {
    reason: EndReason::Engineer,
};

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
        let mut ask_again = None;
        match &event {
            Event::Proposed(p)
                if self.ask && p.origin != klue::protocol::ProposalOrigin::Engineer =>
            {
                self.pending.push_back(p.clone())
            }
            Event::Decided { id, .. } => self.pending.retain(|p| p.id != *id),
            Event::Refused { id, .. } => {
                self.pending.retain(|p| p.id != *id);
                ask_again = Some(id.clone());
            }
            _ => {}
        }
        let waiting = matches!(event, Event::AwaitingInput);
        let ended = matches!(event, Event::SessionEnded { .. });
        self.report.event(event)?;
        // A refused edit leaves the proposal waiting: ask about it again.
        if self.ask
            && let Some(id) = ask_again
            && let Some(p) = self.report.waiting(&id)
            && p.origin != klue::protocol::ProposalOrigin::Engineer
        {
            self.pending.push_front(p);
        }
        // The first AwaitingInput comes before the symptom is read (after the earlier events
        // of a resumed session); any later one means the planner is done (a conclusion, a
        // question, an error or a cancel): end headless.
        if waiting {
            if self.awaited && self.report.turn_done() {
                self.send(Op::End {
                    reason: self.report.finished(),
                })?;
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
            self.send(QUIT)
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
                    "[{}] {}\n  [a]pprove  [s]hape (approve queries like this for the session)  [e]dit  [r]eject  [q]uit  (:QUERY runs your own) > ",
                    p.id, p.command
                ))
                .await?;
            let Some(answer) = answer else {
                // stdin closed: stop asking.
                return Ok(QUIT);
            };
            // `:get pods -n shop`: the engineer's own query, through the same policy.
            if let Some(command) = answer.trim().strip_prefix(':') {
                if command.trim().is_empty() {
                    eprintln!("  type a query after `:`, e.g. `:get pods -n shop`");
                    continue;
                }
                return Ok(Op::RunQuery {
                    command: command.trim().to_string(),
                });
            }
            match answer.trim().to_ascii_lowercase().as_str() {
                "a" | "approve" | "y" | "yes" => return Ok(decide(&p.id, Decision::Approve)),
                "s" | "shape" => return Ok(Op::ApproveShape { id: p.id.clone() }),
                "e" | "edit" => {
                    let Some(command) = self.read_line("  command > ").await? else {
                        return Ok(QUIT);
                    };
                    let command = if command.trim().is_empty() {
                        p.command.clone()
                    } else {
                        command.trim().to_string()
                    };
                    // The same policy the session applies: a refused edit is said at once
                    // and the proposal is asked about again.
                    if let Err(refusal) = klue::query::parse(&command) {
                        eprintln!("  refused: {}", refusal.reason);
                        continue;
                    }
                    if command == p.command {
                        return Ok(decide(&p.id, Decision::Approve));
                    }
                    return Ok(decide(&p.id, Decision::ApproveEdited { command }));
                }
                "r" | "reject" | "n" | "no" => {
                    let reason = self.read_line("  reason (optional) > ").await?;
                    let reason = reason
                        .map(|r| r.trim().to_string())
                        .filter(|r| !r.is_empty());
                    return Ok(decide(&p.id, Decision::Reject { reason }));
                }
                "q" | "quit" => return Ok(QUIT),
                other => eprintln!(
                    "  `{other}` is not an answer: type a, s, e, r or q, or :QUERY to run your own"
                ),
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
