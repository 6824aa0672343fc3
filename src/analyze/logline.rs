//! The decisive line of a failing container's log, and what it names.
//!
//! Not the first error but the one that explains the exit: a Go `panic:`/`fatal error:`, a
//! Rust panic message, the innermost `Caused by:` of a Java chain (or .NET's innermost
//! ` ---> `), the last line of a Python traceback, Node's uncaught `Error:` line, else the
//! last fatal-level line (`FATAL`, `level=fatal`, klog `F…`, JSON `"level":"fatal"`), else the
//! last error-level line. JSON and logfmt lines are read by their fields; plain lines by the
//! level word of Python logging, log4j/logback, Rails, Laravel/Monolog, Elixir's Logger, Akka,
//! klog/glog and systemd's `<N>` priority prefix. Ruby's `file.rb:12:in 'm': msg (Class)` and
//! Elixir's `** (Class) msg` are exception lines.
//!
//! What the line names (a host that refuses or does not resolve, a file, an environment
//! variable or key, a forbidden API call, rejected credentials) is what a causal chain follows.

use std::sync::OnceLock;

use crate::analyze::util::cut;
use regex::Regex;
use serde_json::Value;

/// Longest decisive line kept (characters).
const MAX_LINE: usize = 300;

/// Something a log line names that a chain can follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Named {
    /// A connection to `host` (a name or an IP) was refused, reset or timed out.
    Unreachable {
        host: String,
        port: Option<u16>,
        refused: bool,
    },
    /// `host` did not resolve (no such host, NXDOMAIN, EAI_AGAIN, UnknownHostException). An
    /// empty host: a resolution failure that names no host.
    Unresolved { host: String },
    /// A file that does not exist.
    File { path: String },
    /// An environment variable the application needs and does not have.
    EnvVar { name: String },
    /// A configuration key or field that is missing.
    Key { name: String },
    /// The API server refused a call: `user` cannot `verb` `resource` (in `namespace`, when
    /// the message says; a cluster-scoped call names none).
    Forbidden {
        user: String,
        verb: String,
        resource: String,
        namespace: Option<String>,
    },
    /// A dependency rejected the credentials (for `user`, when the line says).
    AuthFailed { user: Option<String> },
    /// The port the application wants to listen on is taken.
    PortInUse { port: u16 },
}

/// The decisive line and what it (or the error lines before it) names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decisive {
    /// The line, as the log has it (JSON/logfmt lines rendered as `level: msg (error)`).
    pub line: String,
    /// An earlier error line that names what the decisive line does not (a klog `E` line
    /// before the fatal `F` line).
    pub context: Option<String>,
    /// What was named, most specific first.
    pub names: Vec<Named>,
    /// Which rule picked the line (for the chain's wording): `panic`, `caused by`, ...
    pub rule: &'static str,
}

fn re(cell: &'static OnceLock<Option<Regex>>, pattern: &str) -> Option<&'static Regex> {
    cell.get_or_init(|| Regex::new(pattern).ok()).as_ref()
}

/// A list of patterns, compiled once for the process (names_in walks its lists for every line
/// it reads). A pattern that does not compile is left out, as `regex!` leaves it unmatched.
macro_rules! regexes {
    ($($pattern:expr),+ $(,)?) => {{
        static CELL: OnceLock<Vec<Regex>> = OnceLock::new();
        CELL.get_or_init(|| {
            [$($pattern),+]
                .iter()
                .filter_map(|p| Regex::new(p).ok())
                .collect()
        })
        .as_slice()
    }};
}

macro_rules! regex {
    ($pattern:expr) => {{
        static CELL: OnceLock<Option<Regex>> = OnceLock::new();
        re(&CELL, $pattern)
    }};
}

/// How severe a line says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Other,
    Error,
    Fatal,
}

/// One log line as read: its text for display and its level.
struct Line {
    text: String,
    level: Level,
    indented: bool,
}

fn level_word(w: &str) -> Level {
    match w.trim().to_ascii_lowercase().as_str() {
        "fatal" | "critical" | "crit" | "panic" | "emerg" | "emergency" | "alert" | "dpanic"
        | "f" => Level::Fatal,
        "error" | "err" | "severe" | "fail" | "e" => Level::Error,
        _ => Level::Other,
    }
}

/// A JSON log line: level and message fields.
fn json_line(raw: &str) -> Option<Line> {
    let t = raw.trim();
    if !t.starts_with('{') {
        return None;
    }
    let v: Value = serde_json::from_str(t).ok()?;
    let obj = v.as_object()?;
    let level = [
        "level",
        "severity",
        "lvl",
        "log.level",
        "@l",
        "levelname",
        "loglevel",
        "Level",
        "LogLevel",
        "Severity",
    ]
    .iter()
    .find_map(|k| obj.get(*k))
    .or_else(|| v.pointer("/log/level"))
    .map(|l| match l {
        // pino/bunyan numbers: 50 error, 60 fatal
        Value::Number(n) => match n.as_i64().unwrap_or(0) {
            n if n >= 60 => Level::Fatal,
            n if n >= 50 => Level::Error,
            _ => Level::Other,
        },
        Value::String(s) => level_word(s),
        _ => Level::Other,
    })
    .unwrap_or(Level::Other);
    let msg = [
        "msg",
        "message",
        "@m",
        "event",
        "Message",
        "RenderedMessage",
        "@mt",
        "MessageTemplate",
    ]
    .iter()
    .find_map(|k| obj.get(*k).and_then(Value::as_str))
    .map(|m| render_template(m, obj))
    .unwrap_or_default();
    let mut detail = Vec::new();
    for k in [
        "error",
        "err",
        "error.message",
        "exception",
        "exception_message",
        "thrown",
        "reason",
        "cause",
        "stack_trace",
        // python-json-logger / structlog
        "exc_info",
        "exc_text",
        // Serilog (compact `@x`, plain `Exception`), Microsoft.Extensions.Logging's JSON
        "@x",
        "Exception",
    ] {
        match obj.get(k) {
            Some(Value::String(s)) if !s.is_empty() => detail.push(exception_head(s)),
            // pino/bunyan `err`, ECS `error`, log4j2 `thrown`, logstash `exception`
            Some(Value::Object(o)) => {
                if let Some(m) = ["message", "localizedMessage", "exception_message", "msg"]
                    .iter()
                    .find_map(|f| o.get(*f).and_then(Value::as_str))
                {
                    detail.push(m.to_string());
                }
            }
            _ => {}
        }
    }
    let mut text = msg.to_string();
    if !detail.is_empty() {
        text = if text.is_empty() {
            detail.join("; ")
        } else {
            format!("{text}: {}", detail.join("; "))
        };
    }
    if text.is_empty() {
        text = t.to_string();
    }
    Some(Line {
        text,
        level,
        indented: false,
    })
}

/// A structured message template with its properties filled in (Serilog, NLog and
/// Microsoft.Extensions.Logging write `{Application} stopped; exit code {ExitCode}` beside
/// `"Application": "…", "ExitCode": 1`). A hole without a property stays as written.
fn render_template(template: &str, obj: &serde_json::Map<String, Value>) -> String {
    let Some(hole) = regex!(r"\{[@$]?([A-Za-z_][\w.]*)(?:[,:][^}]*)?\}") else {
        return template.to_string();
    };
    hole.replace_all(template, |c: &regex::Captures<'_>| match obj.get(&c[1]) {
        Some(Value::String(s)) => s.clone(),
        Some(v @ (Value::Number(_) | Value::Bool(_))) => v.to_string(),
        _ => c[0].to_string(),
    })
    .to_string()
}

/// The part of an exception text that says what failed: its first line and its innermost
/// cause (.NET's ` ---> `, Java's `Caused by:`), not the stack frames; with the quotes of an
/// embedded response body unescaped (a Kubernetes client's `response body {"kind":"Status",
/// …,"message":"configmaps is forbidden: User \"…\" …"}`).
fn exception_head(text: &str) -> String {
    // A Python traceback (python-json-logger's `exc_info`): its last line is the exception.
    if text
        .trim_start()
        .starts_with("Traceback (most recent call last)")
    {
        let last = text
            .lines()
            .map(str::trim)
            .rfind(|l| !l.is_empty())
            .unwrap_or("");
        return last.replace("\\\"", "\"").replace("\\\\", "\\");
    }
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let head = lines.next().unwrap_or("");
    let inner = lines
        .filter_map(|l| {
            l.strip_prefix("--->")
                .or_else(|| l.strip_prefix("Caused by:"))
                .map(str::trim)
        })
        .next_back();
    let text = match inner {
        Some(i) if !head.contains(i) => format!("{head} ---> {i}"),
        _ => head.to_string(),
    };
    text.replace("\\\"", "\"").replace("\\\\", "\\")
}

/// A logfmt line (`level=fatal msg="…" error="…"`).
fn logfmt_line(raw: &str) -> Option<Line> {
    let lvl = regex!(r#"(?:^|\s)(?:level|lvl|severity)=("?)(\w+)"#)?;
    let caps = lvl.captures(raw)?;
    let level = level_word(caps.get(2)?.as_str());
    let field = regex!(r#"(?:^|\s)(msg|message|error|err)=("((?:[^"\\]|\\.)*)"|\S+)"#)?;
    let mut msg = String::new();
    let mut errs = Vec::new();
    for c in field.captures_iter(raw) {
        let v = c
            .get(3)
            .or_else(|| c.get(2))
            .map(|m| m.as_str().replace("\\\"", "\""))
            .unwrap_or_default();
        match c.get(1).map(|m| m.as_str()) {
            Some("msg") | Some("message") => msg = v,
            _ => errs.push(v),
        }
    }
    if msg.is_empty() && errs.is_empty() {
        return None;
    }
    let text = match (msg.is_empty(), errs.is_empty()) {
        (false, false) => format!("{msg}: {}", errs.join("; ")),
        (false, true) => msg,
        _ => errs.join("; "),
    };
    Some(Line {
        text,
        level,
        indented: false,
    })
}

fn plain_level(t: &str) -> Level {
    // systemd / sd-daemon priority prefix: `<3>…` (0–2 emergencies, 3 errors).
    if let Some(r) = regex!(r"^<([0-7])>")
        && let Some(c) = r.captures(t)
    {
        return match &c[1] {
            "0" | "1" | "2" => Level::Fatal,
            "3" => Level::Error,
            _ => Level::Other,
        };
    }
    // Ruby's Logger: `E, [2026-12-02T03:04:05.123 #1] ERROR -- : …`.
    // Microsoft.Extensions.Logging's console format: `fail: Category[0] message`.
    if let Some(r) = regex!(r"^(fail|crit): ")
        && let Some(c) = r.captures(t)
    {
        return if &c[1] == "crit" {
            Level::Fatal
        } else {
            Level::Error
        };
    }
    if let Some(r) = regex!(r"^([FE]), \[\d{4}-")
        && let Some(c) = r.captures(t)
    {
        return level_word(&c[1]);
    }
    // klog: `F1202 00:40:31.021900 1 main.go:77] …`, `E1202 …`
    if let Some(r) = regex!(r"^([FE])\d{4} \d{2}:\d{2}:\d{2}")
        && let Some(c) = r.captures(t)
    {
        return if &c[1] == "F" {
            Level::Fatal
        } else {
            Level::Error
        };
    }
    // The line's level is the first level word in it: `[Warning] … error reporting disabled`
    // is a warning that mentions errors, not an error.
    if let Some(r) = regex!(
        r"(?:^|[\s\[|(.<])(FATAL|CRITICAL|CRIT|PANIC|EMERG|EMERGENCY|ALERT|SEVERE|ERROR|ERR|Fatal|Critical|Error|fatal|critical|error|crit|emerg|alert|INFO|WARN|WARNING|DEBUG|TRACE|NOTICE|Info|Warn|Warning|Debug|Notice|info|warn|warning|debug|notice)(?:[\s\]|:>)]|$)"
    ) && let Some(c) = r.captures(t)
    {
        return level_word(&c[1]);
    }
    Level::Other
}

/// Microsoft.Extensions.Logging's console format puts the level and category on one line
/// (`fail: Orders.Worker[0]`) and the message, indented, on the next: read as one line.
fn join_two_line_headers(log: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut header = false;
    for raw in log.lines().filter(|l| !l.trim().is_empty()) {
        let indented = raw.starts_with(' ') || raw.starts_with('\t');
        if header
            && indented
            && let Some(last) = out.last_mut()
        {
            last.push(' ');
            last.push_str(raw.trim());
            header = false;
            continue;
        }
        header = regex!(r"^(?:trce|dbug|info|warn|fail|crit): [\w.`<>+-]+\[-?\d+\]\s*$")
            .is_some_and(|r| r.is_match(raw.trim_end()));
        out.push(raw.to_string());
    }
    out
}

fn read_lines(log: &str) -> Vec<Line> {
    join_two_line_headers(log)
        .iter()
        .map(|raw| {
            let raw = raw.as_str();
            // condensed logs mark collapsed repeats: `line  [× 57]`
            let raw = match raw.rfind("  [× ") {
                Some(i) if raw.ends_with(']') => &raw[..i],
                _ => raw,
            };
            // `kubectl logs --timestamps` puts the kubelet's time in front.
            let raw = crate::analyze::logtime::strip_kubelet_prefix(raw);
            if let Some(l) = json_line(raw).or_else(|| logfmt_line(raw)) {
                return l;
            }
            let indented = raw.starts_with(' ') || raw.starts_with('\t');
            Line {
                text: raw.trim_end().to_string(),
                level: if indented {
                    Level::Other
                } else {
                    plain_level(raw.trim())
                },
                indented,
            }
        })
        .collect()
}

/// The decisive line of a log, when it has one.
pub fn decisive(log: &str) -> Option<Decisive> {
    let lines = read_lines(log);
    if lines.is_empty() {
        return None;
    }
    let (mut idx, rule) = pick(&lines)?;
    // A last error that only says the process gives up (`[ERROR] Aborting`, `BOOT FAILED`,
    // `===========`, `… Exiting.`) is the end of the burst of errors just before it: the
    // first of them that says more is the cause.
    if matches!(rule, "fatal" | "error") {
        let mut steps = 0;
        while gives_up(&lines[idx].text) && steps < 8 {
            let Some(j) = (0..idx)
                .rev()
                .find(|&j| !lines[j].text.trim().is_empty() && !lines[j].indented)
            else {
                break;
            };
            let l = &lines[j];
            if !(l.level >= Level::Error || crate::analyze::util::is_error_line(&l.text))
                || survived(&l.text)
            {
                break;
            }
            idx = j;
            steps += 1;
        }
    }
    // A line that only wraps a message an earlier line said in its own words (Erlang's
    // `error:{badmatch,{error,{… {"Cookie file … must be accessible by owner only",…}}}}`,
    // a supervisor's report quoting the child's error): the earlier line is the cause.
    if let Some(j) = quoted_origin(&lines, idx) {
        idx = j;
    }
    // A heading that announces the error on the next line (Dart's `Unhandled exception:`,
    // `Error:` alone): that next line is the message. (anyhow's `Caused by:` blocks are read
    // by their own rule.)
    if rule != "caused by"
        && let Some(next) = lines.get(idx + 1)
    {
        let t = lines[idx].text.trim();
        let n = next.text.trim();
        if t.ends_with(':')
            && t.split_whitespace().count() <= 3
            && !n.is_empty()
            && !n.starts_with('#')
            && !n.starts_with("at ")
            && !n.starts_with('<')
        {
            idx += 1;
        }
    }
    let mut line = lines[idx].text.trim().to_string();
    // Perl lists every directory it searched: noise in a quoted cause.
    if let Some(r) = regex!(r"\s*\(@INC (?:contains|entries checked):[^)]*\)") {
        line = r.replace(&line, "").to_string();
    }
    // Ruby prefixes an uncaught exception with the frame that raised it
    // (`/usr/local/bundle/gems/pg-1.5.6/lib/pg/connection.rb:701:in `async_connect': …`).
    if let Some(r) = regex!(r"^(?:\S+\.rb:\d+:in [`'][^']+': )+") {
        line = r.replace(&line, "").to_string();
    }
    // A Rust panic's message follows the "panicked at" line: quote both as one.
    if idx > 0 && lines[idx - 1].text.contains("panicked at") && !line.contains("panicked at") {
        line = format!("{} {line}", lines[idx - 1].text.trim());
    }
    let mut names = names_in(&line);
    let mut context = None;
    // A client exception whose details follow it (`ApiException: (403)`, `Reason: Forbidden`,
    // `HTTP response body: {… User \"x\" cannot patch resource \"deployments\" …}`): the
    // details name what was refused.
    if names.is_empty() {
        for l in lines.iter().skip(idx + 1).take(6) {
            let n: Vec<Named> = names_in(&l.text)
                .into_iter()
                .filter(|n| matches!(n, Named::Forbidden { .. }))
                .collect();
            if !n.is_empty() {
                names = n;
                context = Some(cut(l.text.trim(), MAX_LINE));
                break;
            }
        }
    }
    // anyhow's `Caused by:` block: numbered causes, outermost first; the last is the root,
    // the ones before it say what was being done (`0: reading tokenizer from /models/x`).
    if line == "Caused by:" {
        let mut numbered: Vec<&Line> = lines[idx + 1..]
            .iter()
            .take_while(|l| regex!(r"^\s*\d+: ").is_some_and(|r| r.is_match(&l.text)))
            .collect();
        // A single cause is not numbered: the indented lines that follow.
        if numbered.is_empty() {
            numbered = lines[idx + 1..]
                .iter()
                .take_while(|l| l.indented && !l.text.trim().is_empty())
                .take(4)
                .collect();
        }
        // Ruby prints the cause on the next line, flush left, its frames after it
        // (`Caused by:` / `PG::ConnectionBad: could not translate host name …`).
        if numbered.is_empty()
            && let Some(next) = lines.get(idx + 1).filter(|l| !l.text.trim().is_empty())
        {
            numbered.push(next);
        }
        // The outer error (`Error: reading route table /etc/edge/routes.yaml`) says what was
        // being done, often the only place the file or host is named.
        let outer = lines[..idx]
            .iter()
            .rev()
            .take(3)
            .find(|l| l.text.trim_start().starts_with("Error: "))
            .map(|l| l.text.trim().trim_start_matches("Error: ").to_string());
        if let Some(last) = numbered.last() {
            let strip = |l: &Line| {
                regex!(r"^\s*\d+: ")
                    .map(|r| r.replace(&l.text, "").to_string())
                    .unwrap_or_else(|| l.text.clone())
            };
            let chain: Vec<String> = numbered
                .iter()
                .map(|l| strip(l).trim().to_string())
                .collect();
            line = match &outer {
                Some(o) => format!("{o}: {}", chain.join(": ")),
                None => format!("Caused by: {}", chain.join(": ")),
            };
            names = names_in(&line);
            if names.is_empty() {
                names = names_in(&strip(last));
            }
        }
    }
    // The exception's own chain first: the `Caused by:` lines and frames just above the
    // innermost cause name what it failed on (`Connection refused: cache/10.96.1.7:6379`).
    if names.is_empty() {
        for l in lines[..idx].iter().rev().take_while(|l| {
            let x = l.text.trim_start();
            l.indented
                || x.starts_with("Caused by:")
                || x.starts_with("at ")
                || x.starts_with("...")
        }) {
            let n = names_in(&l.text);
            let n = if n.is_empty() {
                host_port_anywhere(&l.text).into_iter().collect()
            } else {
                n
            };
            if !n.is_empty() {
                context = Some(cut(&l.text, MAX_LINE));
                // the innermost cause says how it failed (`---> SocketException (111):
                // Connection refused`), the line above it where
                let refused_here = line.to_ascii_lowercase().contains("refused");
                names = n
                    .into_iter()
                    .map(|x| match x {
                        Named::Unreachable {
                            host,
                            port,
                            refused,
                        } => Named::Unreachable {
                            host,
                            port,
                            refused: refused || refused_here,
                        },
                        other => other,
                    })
                    .collect();
                break;
            }
        }
    }
    // What the decisive line does not name, the error lines before it may, when it reads as
    // their consequence (`timed out waiting for caches to sync`, `startup failed`); not a
    // warning about something retried on the side (an exporter, a metrics push), and not when
    // the line states a failure of its own (`No application encryption key has been
    // specified` after an unrelated timeout of an external API).
    if names.is_empty() {
        let consequence = reads_as_consequence(&line);
        let hosts = hosts_of(&line);
        for l in lines[..idx].iter().rev().filter(|l| !on_the_side(&l.text)) {
            let same_host = || hosts.iter().any(|h| l.text.contains(h.as_str()));
            let linked = consequence || shares_a_path(&line, &l.text);
            if (linked || same_host())
                && (l.level >= Level::Error || crate::analyze::util::is_error_line(&l.text))
            {
                let n = names_in(&l.text);
                if !n.is_empty() && (linked || shares_a_host(&hosts, &n)) {
                    context = Some(cut(&l.text, MAX_LINE));
                    names = n;
                    break;
                }
            }
        }
    }
    // A refused connection that names no host: a `host:port` or quoted server named earlier.
    if names.is_empty() && regex!(r"(?i)connection refused|ECONNREFUSED|timed out")?.is_match(&line)
    {
        for l in lines[..idx].iter().rev().filter(|l| !on_the_side(&l.text)) {
            if let Some(h) = host_port_anywhere(&l.text) {
                context = Some(cut(&l.text, MAX_LINE));
                names.push(h);
                break;
            }
        }
    }
    // Resolution errors that name no host, and refusals: the host may be in the lines before.
    if let Some(Named::Unresolved { host }) = names.first()
        && host.is_empty()
    {
        for l in lines[..idx].iter().rev() {
            if let Some(Named::Unreachable { host: h, .. }) = host_port_anywhere(&l.text) {
                names[0] = Named::Unresolved { host: h };
                context = Some(cut(&l.text, MAX_LINE));
                break;
            }
        }
    }
    // A storage or cloud API that denied access, naming no bucket or object: the line
    // before that says what was being written or read (`uploading feeds/x.xml.gz to
    // acme-feeds`, `bucket=gs://acme-feeds`).
    if context.is_none()
        && regex!(r"(?i)\b403\b|access ?denied|permission denied|permission '[\w.]+' denied|does not have [\w.]+ access|not authori[sz]ed to perform|forbidden")
            .is_some_and(|r| r.is_match(&line))
        && !regex!(r"(?i)\b(?:gs|s3|s3a|az|wasbs?|abfss?)://|\bbucket\b\W+[\w.-]{3,}")
            .is_some_and(|r| r.is_match(&line))
    {
        let names_resource = regex!(
            r"(?i)\b(?:gs|s3|s3a|az|wasbs?|abfss?)://[\w.-]+|\bbucket\b\W{1,3}[\w.-]{3,}|\b(?:upload(?:ing)?|writ(?:e|ing)|put(?:ting)?|cop(?:y|ying)|sync(?:ing)?|download(?:ing)?|read(?:ing)?|fetch(?:ing)?)\b.{0,120}\b(?:to|from|into)\s+['\x22`]?[\w.-]+/?[\w./-]*"
        );
        context = lines[..idx]
            .iter()
            .rev()
            .take(15)
            .find(|l| names_resource.as_ref().is_some_and(|r| r.is_match(&l.text)))
            .map(|l| cut(&l.text, MAX_LINE));
    }
    // Still nothing named: the error line just before that says what was being done (`Migration
    // V42__create_ledger_entries.sql failed`, `while executing statement …`), not the same
    // message again.
    if names.is_empty() && context.is_none() {
        let core = |s: &str| {
            let l = s.to_ascii_lowercase();
            l.rsplit(": ").next().unwrap_or(&l).trim().to_string()
        };
        let mine = core(&line);
        context = lines[..idx]
            .iter()
            .rev()
            .take(12)
            .filter(|l| !on_the_side(&l.text))
            // a warning is not what was being done when it failed
            .filter(|l| !regex!(r"(?i)\bwarn(?:ing)?\b").is_some_and(|r| r.is_match(&l.text)))
            .find(|l| {
                (l.level >= Level::Error || crate::analyze::util::is_error_line(&l.text))
                    && !l.text.to_ascii_lowercase().contains(&mine)
                    && !mine.contains(&core(&l.text))
                    && regex!(
                        r"(?i)\b(?:failed|failure|while|during|executing|migration|statement)\b"
                    )
                    .is_some_and(|r| r.is_match(&l.text))
            })
            .map(|l| cut(&l.text, MAX_LINE));
    }
    Some(Decisive {
        line: cut(&line, MAX_LINE),
        context,
        names,
        rule,
    })
}

/// Do two lines name the same path or URL (`/var/www/html/config/app.php` in a warning and
/// in the fatal error after it)?
/// The earliest error line before `idx` that says, unquoted, a message the line at `idx`
/// quotes (a quoted string of four words or more).
fn quoted_origin(lines: &[Line], idx: usize) -> Option<usize> {
    let text = &lines[idx].text;
    let quoted: Vec<&str> = text
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|q| q.split_whitespace().count() >= 4)
        .collect();
    quoted.iter().find_map(|q| {
        lines[..idx].iter().position(|l| {
            (l.level >= Level::Error || crate::analyze::util::is_error_line(&l.text))
                && l.text.contains(q)
                && !l.text.contains(&format!("\"{q}"))
        })
    })
}

fn shares_a_path(a: &str, b: &str) -> bool {
    let paths = |t: &str| -> Vec<String> {
        t.split(|c: char| c.is_whitespace() || "'\"`()[]{},;".contains(c))
            .filter(|w| w.contains('/') && w.len() >= 5)
            .map(|w| w.trim_end_matches([':', '.']).to_string())
            .collect()
    };
    let theirs = paths(b);
    paths(a).iter().any(|p| theirs.contains(p))
}

/// The hosts a line names as a URL or `host:port`, by their first label.
fn hosts_of(line: &str) -> Vec<String> {
    [url_host(line), host_port_anywhere(line)]
        .into_iter()
        .flatten()
        .filter_map(|n| match n {
            Named::Unreachable { host, .. } | Named::Unresolved { host } => Some(short_host(&host)),
            _ => None,
        })
        .filter(|h| !h.is_empty())
        .collect()
}

fn short_host(h: &str) -> String {
    h.split('.').next().unwrap_or(h).to_ascii_lowercase()
}

/// Did one of `names` fail to reach or resolve one of `hosts` (`cannot start without a
/// ruleset from http://pricing-rules:4000` after `HTTPConnectionPool(host='pricing-rules',
/// port=4000): … Connection refused`)?
fn shares_a_host(hosts: &[String], names: &[Named]) -> bool {
    names.iter().any(|n| match n {
        Named::Unreachable { host, .. } | Named::Unresolved { host } => {
            !host.is_empty() && hosts.contains(&short_host(host))
        }
        _ => false,
    })
}

/// The message after a line's level word (`level` strips the prefix up to it) and how many
/// words of three letters or more it has.
fn message_words(line: &str, level: Option<&Regex>) -> (String, usize) {
    let message = level
        .map(|r| r.replace(line, "").to_string())
        .unwrap_or_else(|| line.to_string());
    let words = message
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 2)
        .count();
    (message, words)
}

/// Does a decisive line report the outcome of an earlier failure rather than a failure of
/// its own: a wait that timed out, a start that failed, an exit, or hardly any message?
fn reads_as_consequence(line: &str) -> bool {
    let (message, words) = message_words(
        line,
        regex!(
            r"^.*?\b(?:FATAL|fatal|ERROR|error|CRITICAL|critical|F\d{4} [\d:.]+ +\d+ [\w.]+:\d+\])[\]:]*\s*"
        ),
    );
    words <= 3
        || regex!(
            r"(?i)\b(?:timed? ?out|waiting|wait(?:ed)? for|failed to (?:start|initiali[sz]e|sync|boot|connect|load|construct|create|build|instantiate|bootstrap|establish|open)|start-?up failed|could not (?:start|connect)|unable to (?:start|connect)|(?:cannot|can't|won't) start|refusing to start|not starting|exiting|exited|giving up|gave up|retries exhausted|max(?:imum)? retries|aborting|shutting down|see above|initiali[sz]ation failed|not ready|unavailable|cannot continue|dependency|deadline exceeded|could not acquire|connection ?error|connection refused|e?connrefused|econnreset|etimedout|unreachable|no route to host|forbidden|unauthori[sz]ed|40[13]|stopped because|stopping because|because (?:a|an|the) [\w ]{1,40}(?:failed|crashed|threw|exited)|exit(?:ing|ed)? (?:with )?(?:code|status) \d+)\b"
        )
        .is_some_and(|r| r.is_match(&message))
}

/// Does an error line only say that the process gives up, with no reason of its own?
fn gives_up(line: &str) -> bool {
    let (message, words) = message_words(
        line,
        regex!(
            r"^.*?\b(?:FATAL|fatal|Fatal|ERROR|error|Error|CRITICAL|critical|crit|F\d{4} [\d:.]+ +\d+ [\w.]+:\d+\])[\]:]*\s*"
        ),
    );
    words <= 1
        || (words <= 4
            && regex!(r"(?i)\b(?:aborting|aborted|exiting|boot failed|startup failed|start-?up aborted|shutting down|giving up|terminating)\b")
                .is_some_and(|r| r.is_match(&message)))
        || regex!(r"(?i)[.;,]\s*(?:exiting|aborting|shutting down)\.?\s*$")
            .is_some_and(|r| r.is_match(&message))
}

/// A warning about something the application retries on the side (a trace exporter, a
/// metrics push, a reconnecting client): not why it exits.
fn on_the_side(t: &str) -> bool {
    regex!(r"(?i)\b(?:WARN|WARNING)\b").is_some_and(|r| r.is_match(t))
        && regex!(r"(?i)retrying|will retry|retry in|transient|backing off|reconnecting|disabled")
            .is_some_and(|r| r.is_match(t))
}

/// What a container that waits (an init container, a start script) waits for: the host in its
/// last lines (`waiting for kafka:9092`, `nc: connect to db port 5432 (tcp) failed`, `db:5432 -
/// no response`), when its log has no error line of its own.
pub fn waited_for(log: &str) -> Option<Named> {
    let lines = read_lines(log);
    let waiting = regex!(
        r"(?i)(?:waiting for|wait for|waiting on|still waiting|not (?:yet )?(?:ready|available|reachable|up)|unavailable|no response|connect to|connecting to|trying|retrying|sleeping)"
    )?;
    let host = regex!(
        r"(?i)(?:for|on|to|connect to|connecting to)\s+(?:service\s+)?['\x22`]?([a-z][\w-]*(?:\.[\w-]+)*)(?:['\x22`]?(?::| port )(\d{2,5}))?"
    )?;
    for l in lines.iter().rev().take(5) {
        if !waiting.is_match(&l.text) {
            continue;
        }
        if let Some(n) = names_in(&l.text)
            .into_iter()
            .find(|n| matches!(n, Named::Unreachable { .. } | Named::Unresolved { .. }))
        {
            return Some(n);
        }
        if let Some(n) = host_port_anywhere(&l.text).or_else(|| url_host(&l.text)) {
            return Some(n);
        }
        // `temporal-frontend:7233 not reachable (attempt 84)`: a bare `host:port`.
        if let Some(c) = regex!(r"(?:^|[\s\[(])([a-zA-Z][\w-]*(?:\.[\w-]+)*):(\d{2,5})\b")
            .and_then(|r| r.captures(&l.text))
            && !is_source_file(&c[1])
        {
            return Some(Named::Unreachable {
                host: c[1].to_string(),
                port: c[2].parse().ok(),
                refused: false,
            });
        }
        if let Some(c) = host.captures(&l.text) {
            let h = c.get(1)?.as_str();
            let port = c.get(2).and_then(|m| m.as_str().parse().ok());
            // A bare word names a host only with a port, or as a DNS name.
            if !is_source_file(h) && (port.is_some() || h.contains('.') || h.contains('-')) {
                return Some(Named::Unreachable {
                    host: h.trim_end_matches('.').to_string(),
                    port,
                    refused: false,
                });
            }
        }
    }
    None
}

/// A dependency a running application keeps failing to reach, from its log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    /// The host, as its error lines name it.
    pub named: Named,
    /// The latest of those lines.
    pub line: String,
    /// How many error lines name it.
    pub count: usize,
}

/// The host a running application's error lines name most often as unreachable or
/// unresolvable (at least twice: a single blip is noise), with the latest such line. For a
/// workload whose pods are healthy while the engineer sees it fail: a front end whose
/// backend is down logs that, and keeps serving.
pub fn failing_dependency(log: &str) -> Option<Dependency> {
    let mut tally: Vec<(String, Dependency)> = Vec::new();
    let mut unnamed: Vec<String> = Vec::new();
    for l in read_lines(log) {
        // An exception under an error entry (`      SqlException (0x80131904): A
        // network-related … error occurred while establishing a connection`) says what
        // failed, if not always to where.
        let message_under =
            l.indented && !on_the_side(&l.text) && !is_frame(&l.text) && unnamed_timeout(&l.text);
        if message_under && names_in(&l.text).is_empty() {
            unnamed.push(cut(l.text.trim(), MAX_LINE));
            continue;
        }
        if (l.indented && !message_under)
            || on_the_side(&l.text)
            || !(message_under
                || l.level >= Level::Error
                || crate::analyze::util::is_error_line(&l.text))
        {
            continue;
        }
        let Some(named) = names_in(&l.text).into_iter().find(|n| match n {
            Named::Unreachable { host, .. } => !is_source_file(host),
            Named::Unresolved { host } => !host.is_empty() && !is_source_file(host),
            _ => false,
        }) else {
            if unnamed_timeout(&l.text) {
                unnamed.push(cut(l.text.trim(), MAX_LINE));
            }
            continue;
        };
        let key = match &named {
            Named::Unreachable { host, .. } | Named::Unresolved { host } => short_host(host),
            _ => continue,
        };
        let line = cut(l.text.trim(), MAX_LINE);
        match tally.iter_mut().find(|(k, _)| *k == key) {
            Some((_, d)) => {
                d.named = named;
                d.line = line;
                d.count += 1;
            }
            None => tally.push((
                key,
                Dependency {
                    named,
                    line,
                    count: 1,
                },
            )),
        }
    }
    // Timeouts that name no host (`4 DEADLINE_EXCEEDED: Deadline exceeded after 1.5s`,
    // `context deadline exceeded`) belong to the one host the other failures name.
    if let [(_, d)] = tally.as_mut_slice()
        && !unnamed.is_empty()
        && unnamed_timeout(&d.line)
    {
        d.count += unnamed.len();
    }
    tally
        .into_iter()
        .map(|(_, d)| d)
        .filter(|d| d.count >= 2)
        .max_by_key(|d| d.count)
}

/// An error line that says a call timed out, found no backend or could not connect, without
/// naming to what.
fn unnamed_timeout(t: &str) -> bool {
    regex!(
        r"(?i)deadline[ _]exceeded|\btimed? ?out\b|\btimeout\b|ETIMEDOUT|\bUNAVAILABLE\b|no healthy upstream|upstream connect error|establishing a connection|could not open a connection|(?:unable|failed|could not|cannot) (?:to )?connect|the connection to database"
    )
    .is_some_and(|r| r.is_match(t))
}

/// A stack frame (`at X.Y(…)`, `File "…", line 3`), not a message.
fn is_frame(t: &str) -> bool {
    let x = t.trim_start();
    x.starts_with("at ")
        || x.starts_with("File \"")
        || x.starts_with("--- ")
        || x.starts_with("...")
}

/// Index of the decisive line and the rule that chose it.
fn pick(lines: &[Line]) -> Option<(usize, &'static str)> {
    pick_in(lines, true).or_else(|| pick_in(lines, false))
}

/// Does a line say the application carries on past it (`continuing without JMX metrics`,
/// `skipping`, `(ignored)`, `falling back`), or is it about telemetry on the side (a trace
/// exporter, a metrics push, an error reporter)? Not why a container exits.
fn survived(t: &str) -> bool {
    regex!(
        r"(?i)\b(?:continuing|skipping|skipped|ignored|ignoring|optional|falling back|will retry|retrying in|non-fatal|defaulting to)\b|\b(?:otel|opentelemetry|otlp|jaeger|zipkin|statsd|sentry|telemetry|trace exporter|tracing exporter|metrics exporter|heartbeat to)\b"
    )
    .is_some_and(|r| r.is_match(t))
}

/// The line that announces the block line `i` belongs to: the first line above it that is not
/// a frame, a cause, a traceback heading or blank.
fn header_of(lines: &[Line], i: usize) -> Option<usize> {
    (0..i).rev().find(|&j| {
        let x = lines[j].text.trim_start();
        !(lines[j].indented
            || x.is_empty()
            || x.starts_with("Caused by:")
            || x.starts_with("at ")
            || x.starts_with("...")
            || x.starts_with("Traceback (")
            || x.starts_with("---> "))
    })
}

/// Line `i` is on the side: it, or the error line announcing its block, says the
/// application carries on.
fn on_side(lines: &[Line], i: usize) -> bool {
    if survived(&lines[i].text) {
        return true;
    }
    // Only a block's continuation (a frame, a cause, the exception a log line announces)
    // belongs to the line above it.
    let x = lines[i].text.trim_start();
    let continues = lines[i].indented
        || x.starts_with("Caused by:")
        || x.starts_with("---> ")
        || regex!(r"^[A-Za-z_$][\w.$]*(?:Exception|Error)\b").is_some_and(|r| r.is_match(x));
    if lines[i].level != Level::Other || !continues {
        return false;
    }
    header_of(lines, i).is_some_and(|h| {
        let announces = lines[h].level >= Level::Error
            || regex!(r"(?i)\bwarn(?:ing)?\b").is_some_and(|r| r.is_match(&lines[h].text));
        announces && survived(&lines[h].text)
    })
}

/// The rules in order; `strict` leaves out lines on the side (a second pass takes them when
/// nothing else is there).
fn pick_in(lines: &[Line], strict: bool) -> Option<(usize, &'static str)> {
    let last_match = |f: &dyn Fn(&Line) -> bool| {
        lines
            .iter()
            .enumerate()
            .rev()
            .find(|(i, l)| f(l) && !(strict && on_side(lines, *i)))
            .map(|(i, _)| i)
    };
    // Go panics and runtime fatal errors; Rust panics (the message is on the next line in
    // recent Rust, on the same line in older ones).
    if let Some(i) = lines
        .iter()
        .position(|l| l.text.starts_with("panic: ") || l.text.starts_with("fatal error: "))
    {
        return Some((i, "panic"));
    }
    if let Some(i) = lines
        .iter()
        .position(|l| l.text.starts_with("thread '") && l.text.contains("panicked at"))
    {
        let same_line = lines[i]
            .text
            .split_once("panicked at")
            .is_some_and(|(_, rest)| rest.contains(": ") || rest.contains(", "));
        let next_is_message = lines
            .get(i + 1)
            .is_some_and(|n| !n.text.starts_with("note:") && !n.indented);
        if !same_line && next_is_message {
            return Some((i + 1, "panic"));
        }
        return Some((i, "panic"));
    }
    // Perl: a compile-time error (`Can't locate Text/CSV_XS.pm in @INC …`) is followed by
    // the files that required it (`BEGIN failed--compilation aborted at …`, `Compilation
    // failed in require at …`): the line above the first of those.
    let perl_frame = |l: &Line| {
        let x = l.text.trim_start();
        x.starts_with("BEGIN failed--compilation aborted")
            || x.starts_with("Compilation failed in require")
    };
    if let Some(first) = lines.iter().position(perl_frame)
        && let Some(i) = lines[..first]
            .iter()
            .rposition(|l| !l.text.trim().is_empty() && !perl_frame(l))
    {
        return Some((i, "perl"));
    }
    // C++: `terminate called after throwing an instance of 'engine::LicenseError'` and the
    // exception's message on the next line, `  what():  …`.
    if let Some(i) = last_match(&|l| l.text.trim_start().starts_with("what():"))
        && i > 0
        && lines[i - 1]
            .text
            .contains("terminate called after throwing")
    {
        return Some((i, "exception"));
    }
    // Clojure: `Execution error (ExceptionInfo) at billing.config/require-env! (config.clj:22).`
    // and the message on the next line.
    if let Some(i) = last_match(&|l| l.text.starts_with("Execution error ("))
        && let Some(n) = lines.get(i + 1)
        && !n.text.trim().is_empty()
    {
        return Some((i + 1, "exception"));
    }
    // Haskell: an uncaught exception (`app: InvalidYaml (…)`) above its `CallStack (from
    // HasCallStack):`.
    if let Some(i) = last_match(&|l| l.text.starts_with("CallStack (from HasCallStack)"))
        && let Some(j) = (0..i).rev().find(|&j| !lines[j].text.trim().is_empty())
    {
        return Some((j, "exception"));
    }
    // Perl: `die` ends its message with ` at /path/file.pm line 42.`; a die that only says it
    // gives up (`…, aborting at bin/worker line 61.`) is the outcome of the one just before.
    let perl_die = |l: &Line| {
        !l.indented
            && regex!(r" at \S+ line \d+\.$").is_some_and(|r| r.is_match(l.text.trim_end()))
            && !regex!(r"(?i)^Use of uninitialized|redefined at|^\S+ masks earlier")
                .is_some_and(|r| r.is_match(&l.text))
    };
    if let Some(i) = last_match(&perl_die) {
        let earlier = (i.saturating_sub(8)..i)
            .rev()
            .find(|&j| perl_die(&lines[j]));
        return match earlier {
            Some(j) if reads_as_consequence(&lines[i].text) => Some((j, "perl")),
            _ => Some((i, "perl")),
        };
    }
    // Java: the innermost cause.
    if let Some(i) = last_match(&|l| l.text.trim_start().starts_with("Caused by:")) {
        return Some((i, "caused by"));
    }
    // .NET: the innermost inner exception.
    if let Some(i) = last_match(&|l| l.text.trim_start().starts_with("---> ")) {
        return Some((i, "inner exception"));
    }
    // Python: the last line of the last traceback.
    if let Some(tb) = last_match(&|l| l.text.starts_with("Traceback (most recent call last)")) {
        let end = lines[tb + 1..]
            .iter()
            .position(|l| !l.indented && !l.text.trim_start().starts_with('^'))
            .map(|p| tb + 1 + p);
        if let Some(e) = end {
            return Some((e, "traceback"));
        }
    }
    // Ruby: `/app/x.rb:12:in 'connect': could not connect … (PG::ConnectionBad)`, and a
    // namespaced class heading its message (`ActiveRecord::ConnectionNotEstablished: …`).
    let ruby = regex!(
        r"(?:\.rb:\d+:in [`'][^']*': .+ \([A-Z]\w*(?:::[A-Z]\w*)*\)$|^[A-Z]\w*(?:::[A-Z]\w*)+: \S)"
    )?;
    if let Some(i) = last_match(&|l| !l.indented && ruby.is_match(l.text.trim())) {
        return Some((i, "exception"));
    }
    // Elixir/Erlang: `** (DBConnection.ConnectionError) …`, `** (exit) …`.
    if let Some(i) = last_match(&|l| l.text.trim_start().starts_with("** (")) {
        return Some((i, "exception"));
    }
    // PHP's console renderer (Laravel, Symfony): the exception's class alone on a line
    // (`   Illuminate\Database\QueryException `), its message on the next.
    if let Some(i) = last_match(&|l| {
        regex!(r"^[A-Z]\w*(?:\\[A-Z]\w*)+(?:Exception|Error)$")
            .is_some_and(|r| r.is_match(l.text.trim()))
    }) && let Some(j) =
        (i + 1..lines.len().min(i + 3)).find(|&j| !lines[j].text.trim().is_empty())
    {
        return Some((j, "exception"));
    }
    // An uncaught exception header (Node `Error: …`, Java without a cause chain, .NET).
    let exception = regex!(
        r"^(?:Unhandled exception\. |Exception in thread \S+ |Uncaught )?(?:[A-Za-z_$][\w.$]*)?(?:Error|Exception)(?: \(\w+\))?: \S"
    )?;
    if let Some(i) = last_match(&|l| !l.indented && exception.is_match(&l.text)) {
        return Some((i, "exception"));
    }
    // A command-line parser that rejects a flag prints the complaint and then its usage
    // (Go's flag package, clap): the line above `Usage of …`/`Usage: …`.
    if let Some(u) = lines
        .iter()
        .position(|l| l.text.starts_with("Usage of ") || l.text.starts_with("Usage: "))
        && let Some(j) = (0..u).rev().find(|&j| !lines[j].text.trim().is_empty())
        && !lines[j].indented
        && regex!(
            r"(?i)flag|argument|option|unknown|invalid|unrecognized|not defined|required|error"
        )
        .is_some_and(|r| r.is_match(&lines[j].text))
    {
        return Some((j, "error"));
    }
    // PostgreSQL's PANIC (and syslog's EMERG) is what brought it down; its FATAL lines after it
    // are connections turned away meanwhile.
    if let Some(i) = last_match(&|l| {
        l.level == Level::Fatal
            && regex!(r"\b(?:PANIC|EMERG)\b").is_some_and(|r| r.is_match(&l.text))
    }) {
        return Some((i, "fatal"));
    }
    if let Some(i) = last_match(&|l| l.level == Level::Fatal) {
        return Some((i, "fatal"));
    }
    if let Some(i) = last_match(&|l| l.level == Level::Error) {
        return Some((i, "error"));
    }
    if let Some(i) = last_match(&|l| !l.indented && crate::analyze::util::is_error_line(&l.text)) {
        return Some((i, "error"));
    }
    None
}

/// A `host:port` (or a quoted `server 'h,1433'`) anywhere in a line, as an unreachable host.
fn host_port_anywhere(t: &str) -> Option<Named> {
    // Java's `InetSocketAddress` form: `idempotency-cache/10.96.201.17:6379`,
    // `redis/<unresolved>:6379`: the name before the slash is the host dialled.
    if let Some(r) = regex!(
        r"(?:^|[\s:(\[])([a-zA-Z][\w-]*(?:\.[\w-]+)*)/(?:\d{1,3}(?:\.\d{1,3}){3}|<unresolved>):(\d{2,5})\b"
    ) && let Some(c) = r.captures(t)
        && !is_source_file(&c[1])
    {
        return Some(Named::Unreachable {
            host: c[1].to_string(),
            port: c[2].parse().ok(),
            refused: t.to_ascii_lowercase().contains("refused"),
        });
    }
    let hp = regex!(
        r#"(?:\b(?:server|host|addr|address|url|to|at)\W{0,3}(?:[a-z][a-z0-9+]*://)?|\b[a-z][a-z0-9+]*://(?:[^@/\s]+@)?)([a-zA-Z][\w-]*(?:\.[\w-]+)*)[:,](\d{2,5})\b"#
    )?;
    let c = hp.captures(t)?;
    if is_source_file(&c[1]) {
        return None;
    }
    Some(Named::Unreachable {
        host: c[1].to_string(),
        port: c[2].parse().ok(),
        refused: true,
    })
}

/// The host (and port) of a URL or DSN in a line: `postgres://u:***@db:5432/app`,
/// `jdbc:mysql://mysql:3306/x`, `mongodb+srv://cluster0.example.net/db`, `amqp://mq`.
fn url_host(t: &str) -> Option<Named> {
    let url = regex!(
        r#"\b[a-z][a-z0-9+.-]*:(?:[a-z0-9+-]+:)?//(?:[^@/\s"'`]+@)?(\[[0-9a-fA-F:]+\]|[A-Za-z0-9][\w-]*(?:\.[\w-]+)*)(?::(\d{2,5}))?"#
    )?;
    let c = url.captures(t)?;
    let host = c.get(1)?.as_str();
    if is_source_file(host) || host.eq_ignore_ascii_case("localhost") && c.get(2).is_none() {
        return None;
    }
    Some(Named::Unreachable {
        host: host.to_string(),
        port: c.get(2).and_then(|m| m.as_str().parse().ok()),
        refused: t.to_ascii_lowercase().contains("refused"),
    })
}

/// `main.go:77`, `app.py:12`: a source position, not a host.
fn is_source_file(host: &str) -> bool {
    const EXT: &[&str] = &[
        "go", "py", "rs", "java", "kt", "scala", "js", "mjs", "cjs", "ts", "rb", "cs", "php", "c",
        "cc", "cpp", "h", "ex", "exs", "erl", "clj", "swift", "lua", "pl", "sh",
    ];
    host.rsplit_once('.')
        .is_some_and(|(_, ext)| EXT.contains(&ext.to_ascii_lowercase().as_str()))
}

/// What a line names.
pub fn names_in(t: &str) -> Vec<Named> {
    let mut out: Vec<Named> = Vec::new();
    fn add(out: &mut Vec<Named>, n: Named) {
        if !out.contains(&n) {
            out.push(n);
        }
    }
    // API server refusals (client-go, kubectl, any client).
    // (also JSON-escaped, as a client prints the API's Status body: `User \"x\" cannot …`)
    if let Some(r) = regex!(r#"User \\?"([^"\\]+)\\?" cannot (\w+) resource \\?"([\w./-]+)\\?""#)
        && let Some(c) = r.captures(t)
    {
        add(
            &mut out,
            Named::Forbidden {
                user: c[1].to_string(),
                verb: c[2].to_string(),
                resource: c[3].to_string(),
                namespace: regex!(r#"in the namespace \\?"([\w.-]+)"#)
                    .and_then(|r| r.captures(t))
                    .map(|c| c[1].to_string()),
            },
        );
    }
    // Name resolution.
    let unresolved = regexes![
        r"UnknownHostException: ([\w.-]+)",
        r"lookup ([\w.-]+)(?: on [\d.:\[\]a-f]+)?: (?:no such host|server misbehaving|i/o timeout)",
        // Go's resolver when the DNS server does not answer: `lookup db.ns.svc.cluster.local
        // on 10.96.0.10:53: read udp 10.244.1.6:51718->10.96.0.10:53: i/o timeout`
        r"lookup ([\w.-]+) on [\d.:\[\]a-f]+: (?:read|dial|write) (?:udp|tcp) .*?(?:i/o timeout|connection refused|no route to host)",
        r"getaddrinfo (?:ENOTFOUND|EAI_AGAIN|EAI_NONAME) ([\w.-]+)",
        r"can't find ([\w.-]+?)\.?: NXDOMAIN",
        r#"could not translate host name "([\w.-]+)""#,
        r"Could not resolve host: ([\w.-]+)",
        r"bad address '([\w.-]+)'",
        r"Unknown (?:MySQL server|server) host '([\w.-]+)'",
        r"nodename nor servname provided.*?([\w.-]+)",
        r"(?i)failed to resolve (?:host(?:name)? )?['\x22]?([\w-]+(?:\.[\w-]+)*)",
        r"getaddrinfo for ([\w.-]+) failed",
        r"TCP connection to ([\w.-]+):\d+ \(getaddrinfo",
        r"\(([\w.-]+):\d+\): non-existing domain",
        r"querySrv (?:ENOTFOUND|ESERVFAIL|ETIMEOUT|ECONNREFUSED) (?:_mongodb\._tcp\.)?([\w.-]+)",
        r"(?i)unknown host:? ['\x22]?([a-z][\w-]*(?:\.[\w-]+)*)",
        r#"host not found in upstream "([\w.-]+?)(?::\d+)?""#,
        r"DNS resolution failed for ([\w-]+(?:\.[\w-]+)+)",
        r"(?i)(?:couldn't|could not|cannot|unable to) resolve (?:server |host |address )?['\x22]?([a-z][\w-]*(?:\.[\w-]+)+)",
    ];
    for r in unresolved {
        if let Some(c) = r.captures(t) {
            add(
                &mut out,
                Named::Unresolved {
                    host: c[1].trim_end_matches('.').to_string(),
                },
            );
        }
    }
    if out.is_empty()
        && regex!(
            r"(?i)temporary failure in name resolution|name or service not known|no address associated with hostname|name resolution failed|no such host|failed to lookup address|NXDOMAIN|EAI_AGAIN|:nxdomain"
        )
        .is_some_and(|r| r.is_match(t))
    {
        // The host may be on the same line: `connecting to redis:6379. Name or service not
        // known`, a URL or DSN.
        let host = match host_port_anywhere(t).or_else(|| url_host(t)) {
            Some(Named::Unreachable { host, .. }) => host,
            _ => String::new(),
        };
        add(&mut out, Named::Unresolved { host });
    }
    // Refused / timed out connections with a host.
    let unreachable = regexes![
        r"dial tcp ([\w.-]+):(\d+): (?:connect: )?(connection refused|i/o timeout|connect: connection timed out|connection reset)",
        r"(?:ECONNREFUSED|ETIMEDOUT|ECONNRESET) ([\w.-]+):(\d+)",
        r#"connection to server at "([\w.-]+)"(?: \([\d.]+\))?, port (\d+) failed: (Connection refused|timeout)"#,
        r"(?i)connect(?:ion)? to ([\w.-]+)(?:[: ]port )?[:](\d+)(?: failed)?[: ]+.*(refused|timed out|timeout)",
        r"(?i)([a-z][\w-]*(?:\.[\w-]+)*):(\d{2,5}).{0,40}?(connection refused|i/o timeout|connection timed out|connect timed out|no route to host|network is unreachable|connection reset|context deadline exceeded|deadline exceeded|econnrefused|etimedout)",
        r"->([\d.]+):(\d+): (?:i/o timeout|read: connection reset)",
        // urllib3 / requests: `HTTPConnectionPool(host='pricing-rules', port=4000): Max
        // retries exceeded … Connection refused`
        r"(?i)ConnectionPool\(host='([\w.-]+)', port=(\d+)\).*(refused|timed out|timeout|unreachable|failed|Max retries)",
        // Kafka's client: `Connection to node -1 (events-kafka/10.96.8.8:9092) could not be established`
        r"\(([\w.-]+)/[\d.]+:(\d+)\) could not be established",
        r#"Is the server running on host "([\w.-]+)".*?port (\d+)"#,
        r"(?i)Connect\(([\w.-]+):(\d+),.*(refused|failed|timed out)",
        // Java's `host/ip:port` (an InetSocketAddress): `Connection refused: db/10.96.3.4:5432`
        r"(?i)(?:refused|timed out|timeout|reset|unreachable|failed|could not|unable)\W.{0,60}?\b([a-z][\w-]*(?:\.[\w-]+)*)/\d{1,3}(?:\.\d{1,3}){3}:(\d{2,5})\b",
        // `Failed to connect to 10.96.44.12:5432`, `Unable to connect to cache:6379`
        r"(?i)(?:failed|unable|could not|couldn't|cannot|can't|not possible) to connect to ([\w.-]+):(\d{2,5})\b",
        // StackExchange.Redis and the like: `… not possible to connect … UnableToConnect on
        // redis-cache:6379`
        r"(?i)(?:UnableToConnect|unable to connect|could not connect|couldn't connect|cannot connect|can't connect|failed to connect|not possible to connect)\b.{0,80}?\b([a-z][\w-]*(?:\.[\w-]+)*):(\d{2,5})\b",
        r"(?i)(?:connection refused|connection timed out|connect timed out|timed out connecting to|no route to host|host unreachable)\W.{0,40}?\b([a-z][\w-]*(?:\.[\w-]+)*):(\d{2,5})\b",
        // Entity Framework / ADO.NET: `An error occurred using the connection to database
        // 'Payroll' on server 'tcp:mssql,1433'` (SQL Server's `tcp:host,port`).
        r"(?i)connection to database '[^']*' on server '(?:tcp:)?([a-z][\w.-]*)(?:[,:](\d{2,5}))?",
        r"(?i)(?:error|fail|unable|cannot|could not)\b.{0,120}?\b(?:server|data source)\s*[=:]?\s*'?tcp:([a-z][\w.-]*),(\d{2,5})",
    ];
    if !out
        .iter()
        .any(|n| matches!(n, Named::Unresolved { host } if !host.is_empty()))
    {
        let refused = t.to_ascii_lowercase().contains("refused");
        let found = unreachable.iter().find_map(|r| {
            let c = r.captures(t)?;
            let host = c.get(1)?.as_str();
            (!is_source_file(host)).then(|| Named::Unreachable {
                host: host.to_string(),
                port: c.get(2).and_then(|m| m.as_str().parse().ok()),
                refused,
            })
        });
        // A URL or DSN on a line that reports a failed connection.
        let found = found.or_else(|| {
            regex!(
                r"(?i)refused|timed? ?out|deadline exceeded|no route to host|unreachable|connection reset|could not connect|couldn't connect|failed to connect|unable to connect|cannot connect|can't connect|connection error|econn"
            )?
            .is_match(t)
            .then(|| url_host(t))?
        });
        if let Some(n) = found {
            add(&mut out, n);
        }
    }
    // Files.
    let files = regexes![
        r#"No such file or directory: '([^']+)'"#,
        r"FileNotFoundException: (/[^\s(]+)",
        r"open (/[^\s:]+): no such file or directory",
        r"ENOENT: no such file or directory, (?:open|stat|scandir) '([^']+)'",
        r"(/[\w./-]+): No such file or directory",
        r"\((/[\w./-]+)\): [Ff]ailed to open stream",
        r"rb_sysopen - (/[\w./-]+)",
        r"(?i)(?:cannot|can't|could not|unable to|failed to) (?:open|read|load|find|stat)[\w ]*? ['\x22`]?(?:file:)?(/[\w./-]+)",
        r"(?i)(?:file|config(?:uration)?|location) ['\x22`]?(?:file:)?(/[\w./-]+)['\x22`]? (?:not found|does not exist|is missing)",
        // `EISDIR: illegal operation on a directory, read '/etc/x'`, `/etc/x: Is a directory`
        r"(?i)(/[\w./-]+)['\x22`]?: (?:is a directory|not a directory|permission denied|EISDIR|EACCES|ENOTDIR)",
        r"(?i)(?:EISDIR|EACCES|ENOTDIR)[^']*'(/[\w./-]+)'",
        // anyhow / Rust io errors: `reading route table /etc/x: Is a directory (os error 21)`
        r"(?i)(?:read|reading|open|opening|load|loading|parse|parsing)\b[\w ]{0,40}? ['\x22`]?(/[\w./-]+)['\x22`]?\s*:.*(?:is a directory|no such file|not a directory|permission denied|os error \d+)",
        r"Failed opening required '(/[\w./-]+)'",
        // `Cookie file /var/lib/rabbitmq/.erlang.cookie must be accessible by owner only`
        r"(?i)\b(?:file|directory|dir) ['\x22`]?(/[\w./-]+)['\x22`]? (?:must|should|has wrong|has bad|is not|isn't|cannot|can't|is owned|is (?:world|group)-)",
    ];
    for r in files {
        if let Some(c) = r.captures(t) {
            add(
                &mut out,
                Named::File {
                    path: c[1].trim_end_matches(['.', ',', ')']).to_string(),
                },
            );
            break;
        }
    }
    // Environment variables.
    let env = regexes![
        r"(?i)environment variable[s]? ['\x22`]?([A-Z][A-Z0-9_]{2,})",
        r"\b([A-Z][A-Z0-9]*_[A-Z0-9_]+|[A-Z]{3,}) (?:is not set|not set|is empty|is required|must be set|is missing|missing|undefined)",
        r"(?i)missing (?:required )?(?:env(?:ironment)?(?: var(?:iable)?)?|setting|config(?:uration)?)[: ]+['\x22`]?([A-Z][A-Z0-9_]{2,})",
        r"KeyError: '([A-Z][A-Z0-9_]{2,})'",
        r#"key not found: ['"]([A-Z][A-Z0-9_]{2,})['"]"#,
        r"(?i)env(?:ironment)?(?: var(?:iable)?)? ['\x22`]?([A-Z][A-Z0-9_]{2,})['\x22`]? (?:not|is not) (?:set|defined|found)",
    ];
    for r in env {
        if let Some(c) = r.captures(t) {
            add(
                &mut out,
                Named::EnvVar {
                    name: c[1].to_string(),
                },
            );
            break;
        }
    }
    // Configuration keys and fields.
    let keys = regexes![
        r"KeyError: '([a-z][\w.-]*)'",
        r"missing field `([\w.-]+)`",
        r#"(?i)(?:key|field|property|setting) ['"`]([\w.-]+)['"`] (?:not found|is missing|is required|missing)"#,
        r#"(?i)missing (?:required )?(?:key|field|property) ['"`]?([\w.-]+)"#,
    ];
    for r in keys {
        if let Some(c) = r.captures(t) {
            add(
                &mut out,
                Named::Key {
                    name: c[1].to_string(),
                },
            );
            break;
        }
    }
    // A port already taken (Go, Node, Python, Java, nginx, Rails).
    for r in regexes![
        r"listen (?:tcp|udp)[46]? [\w.\[\]:-]*:(\d+): bind: address already in use",
        r"EADDRINUSE: address already in use [\w.\[\]:-]*:(\d+)",
        r"(?i)address already in use.{0,60}?\bport (\d+)",
        r"(?i)port (\d+) (?:is |was )?already in use",
        r"(?i)bind\(\) to [\w.\[\]:-]*:(\d+) failed \(98: Address already in use\)",
        r"(?i)(?:Address already in use|BindException).{0,40}?:(\d{2,5})\b",
    ] {
        if let Some(c) = r.captures(t)
            && let Ok(port) = c[1].parse()
        {
            add(&mut out, Named::PortInUse { port });
            break;
        }
    }
    // Credentials rejected by a dependency.
    if let Some(r) = regex!(
        r#"(?i)(?:password authentication failed for user|access denied for user|login failed for user|authentication failed for user|ACCESS_REFUSED.*?for user|unable to authenticate user|failed to authenticate user|authentication failed for|invalid username or password for user) ['"\\\[]*([\w.@-]+)"#
    ) && let Some(c) = r.captures(t)
    {
        add(&mut out, Named::AuthFailed {
            user: Some(c[1].to_string()),
        });
    } else if regex!(
        r"(?i)\b(?:authentication failed|invalid credentials|unauthorized|401 Unauthorized|invalid api key|invalid password|bad credentials|NOAUTH|WRONGPASS|ACCESS_REFUSED|AuthenticationException|status:? ?401|HTTP(?:/\d(?:\.\d)?)? 401|SASL authentication failed|authentication exception)\b"
    )
    .is_some_and(|r| r.is_match(t))
    {
        add(&mut out, Named::AuthFailed { user: None });
    }
    // Credentials rejected means the host answered: `cannot connect to db:5432: password
    // authentication failed` is about the password, not about reaching db (unless the line
    // also says the connection itself failed).
    if out.iter().any(|n| matches!(n, Named::AuthFailed { .. }))
        && !regex!(
            r"(?i)connection refused|econnrefused|timed out|timeout|no route to host|unreachable|connection reset|no such host|name or service not known|could not resolve"
        )
        .is_some_and(|r| r.is_match(t))
    {
        out.retain(|n| !matches!(n, Named::Unreachable { .. }));
    }
    out
}

#[cfg(test)]
mod tests;
