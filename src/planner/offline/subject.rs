//! The workload the symptom asks about, found among what was observed, and its health in
//! words ("frontend: 2/2 ready, 0 restarts, no warning events in the last hour").

use serde_json::Value;

use crate::analyze::util::{
    arr, condition, containers_with_status, int, meta_name, meta_namespace, owner, pod_ready, s, sp,
};
use crate::analyze::view::event_time;
use crate::analyze::{Finding, ObjectRef};
use crate::planner::offline::observe::Observed;
use crate::planner::offline::symptom::Symptom;

/// Workload kinds a symptom can name, in the order a name is looked up.
const KINDS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "CronJob",
    "Job",
    "Service",
];

/// Words that name no workload even when an object happens to share them.
const GENERIC: &[&str] = &[
    "ok",
    // states said of pods, not names ("crashlooping pods", "failed jobs")
    "crashlooping",
    "crashlooped",
    "failed",
    "erroring",
    "flapping",
    "hanging",
    "evicted",
    "terminating",
    "unhealthy",
    "unready",
    "degraded",
    "throttled",
    "crashed",
    // what the engineer saw, not what runs ("the dashboards still show warnings")
    "warnings",
    "warning",
    "alerts",
    "alert",
    "alarms",
    "dashboards",
    "dashboard",
    "graphs",
    "metrics",
    "paged",
    "okay",
    "slow",
    "users",
    "user",
    "say",
    "says",
    "fails",
    "failing",
    "fail",
    "errors",
    "error",
    "broken",
    "crash",
    "crashes",
    "crashing",
    "restart",
    "restarts",
    "restarting",
    "pending",
    "start",
    "starts",
    "running",
    "never",
    "comes",
    "come",
    "returns",
    "return",
    "unavailable",
    "missing",
    "some",
    "nodes",
    "node",
    "healthy",
    "ready",
    "alive",
    "working",
    "work",
    "works",
    "up",
    "apps",
    "job",
    "jobs",
    "did",
    "run",
    "ran",
    "logs",
    "timeout",
    "requests",
    "calls",
    "since",
    "today",
    "yesterday",
    "minutes",
    "hours",
    "every",
    "again",
    "still",
    "cannot",
    "can't",
    "fine",
    "look",
    "check",
    "please",
    "help",
    "issue",
    "problem",
    "problems",
    "deploy",
    "rollout",
    "database",
    "service",
    "services",
    "pods",
    "pod",
    "init",
    "stuck",
    "keeps",
    "namespace",
    "cluster",
    "dns",
    "network",
    "here",
    "there",
    "anything",
    "something",
    "everything",
    "nothing",
    "wrong",
    "right",
    "going",
    "happening",
    "happened",
    "looks",
    "look",
    "seems",
    "fine",
    "good",
    "bad",
    "down",
    "today",
    "now",
    "all",
    "any",
    "who",
    "how",
    "why",
    "what",
    "which",
    "where",
    "when",
    "can",
    "could",
    "should",
    "would",
    "will",
    "won't",
    "doesn't",
    "isn't",
    "aren't",
    "don't",
    "not",
    "yet",
    "more",
    "less",
    "very",
    "too",
    "also",
    "just",
    "only",
    "after",
    "before",
    "deployment",
    "deployments",
    "container",
    "containers",
    "image",
    "images",
    "log",
    "getting",
    "gets",
    "got",
    "get",
    "out",
    "off",
    "over",
    "under",
    "load",
    "high",
    "low",
    "latency",
    "traffic",
    "customers",
    "customer",
    "people",
    "site",
    "page",
    "pages",
    "website",
    "thing",
    "things",
    "please",
    "thanks",
    "hello",
    "hi",
    "hey",
    "since",
    "for",
    "from",
    "with",
    "without",
    "about",
    "into",
    "onto",
    "their",
    "our",
    "your",
    "its",
    "they",
    "them",
    "we",
    "you",
    "it",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "has",
    "have",
    "had",
    "does",
    "did",
    "do",
    "done",
    "the",
    "and",
    "but",
    "or",
    "nor",
    "so",
    "than",
    "then",
    "every",
    "each",
    "both",
    "few",
    "many",
    "much",
    "most",
    "some",
    "such",
    "own",
    "same",
    "status",
    "state",
    "healthy?",
    "respond",
    "responding",
    "responds",
    "answer",
    "answers",
    "started",
    "starting",
    "stopped",
    "stops",
    "stop",
    "killed",
    "dies",
    "died",
    "dying",
    "exit",
    "exits",
    "exited",
    "oom",
    "memory",
    "cpu",
    "disk",
    "restarted",
    "scheduled",
    "schedule",
    "scheduling",
    "deploying",
    "upgrade",
    "upgraded",
    "release",
    "released",
    "version",
    "new",
    "old",
    "latest",
    "week",
    "day",
    "days",
    "hour",
    "minute",
    "ago",
    "tonight",
    "morning",
    "evening",
    "night",
    "nightly",
    "daily",
    "hourly",
    "weekly",
];

/// The workload a symptom names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub object: ObjectRef,
    /// The word of the symptom that named it.
    pub word: String,
}

/// Candidate words for a workload name.
pub fn candidates(symptom: &Symptom, ns: &str) -> Vec<String> {
    let plain = |w: &String| {
        w.as_str() != ns
            && !GENERIC.contains(&w.as_str())
            && w.len() >= 3
            && !w
                .chars()
                .all(|c| c.is_ascii_digit() || c == ':' || c == '.')
    };
    let mut out: Vec<String> = symptom.words.iter().filter(|w| plain(w)).cloned().collect();
    // Two words written apart that a name joins ("rate limiting" for `ratelimit`).
    for pair in symptom.words.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if plain(a) && plain(b) && a.bytes().chain(b.bytes()).all(|c| c.is_ascii_lowercase()) {
            let joined = format!("{a}{b}");
            if !out.contains(&joined) {
                out.push(joined);
            }
        }
    }
    out
}

/// Candidate words that read as a workload's name where the symptom uses them, worth looking
/// for in other namespaces when the scope has nothing by that name: a word with `-`, `_` or a
/// digit (`tax-engine`, `worker2`), one next to a kind (`the indexer pods`, `service billing`),
/// the subject of a state (`indexer never starts`, `is accounts ok?`). Not every other word
/// ("we got paged overnight"): looking for those across the cluster is a query without a reason.
pub fn name_like_candidates(symptom: &Symptom, ns: &str) -> Vec<String> {
    const KIND_NOUNS: &[&str] = &[
        "deployment",
        "deploy",
        "service",
        "svc",
        "statefulset",
        "sts",
        "daemonset",
        "ds",
        "cronjob",
        "job",
        "app",
        "application",
        "pod",
        "pods",
        "workload",
        "container",
        "api",
        "worker",
        "workers",
        "server",
        "replicas",
        "replica",
        "rollout",
        "cron",
        "microservice",
    ];
    const STATE_VERBS: &[&str] = &[
        "is",
        "isn't",
        "keeps",
        "keep",
        "never",
        "does",
        "doesn't",
        "won't",
        "can't",
        "cannot",
        "returns",
        "return",
        "has",
        "hasn't",
        "had",
        "stopped",
        "stops",
        "dies",
        "died",
        "times",
        "hangs",
        "gets",
        "got",
        "was",
        "wasn't",
        "throws",
        "shows",
        "went",
        "goes",
        "stuck",
        "seems",
        "looks",
        "not",
        "fails",
        "failed",
        "failing",
        "crashes",
        "crashed",
        "crashing",
        "crash",
        "restarts",
        "restarted",
        "restarting",
        "errors",
        "won",
        "will",
        "cant",
        "ok",
        "ok?",
        "down",
        "broke",
        "broken",
        "pending",
        "oomkilled",
        "loops",
        "loop",
    ];
    const LEAD: &[&str] = &["is", "check", "with", "about", "restart", "why"];
    const OK_WORDS: &[&str] = &[
        "ok", "okay", "healthy", "fine", "up", "down", "running", "working", "alive", "broken",
        "ready",
    ];
    // Clause by clause: "the app is laggy, is dispatch-api healthy?" has two.
    let lower = symptom.text.to_lowercase();
    let clauses: Vec<Vec<&str>> = lower
        .split([',', ';', '?', '!', ':', '(', ')'])
        .flat_map(|c| c.split(". "))
        .map(|c| {
            c.split(|ch: char| {
                !(ch.is_ascii_alphanumeric() || ch == '-' || ch == '_' || ch == '\'' || ch == '.')
            })
            .map(|t| t.trim_matches(|ch: char| ch == '.' || ch == '-'))
            .filter(|t| !t.is_empty())
            .collect()
        })
        .collect();
    candidates(symptom, ns)
        .into_iter()
        .filter(|w| {
            if w.contains(['-', '_']) || w.chars().any(|c| c.is_ascii_digit()) {
                return true;
            }
            clauses.iter().any(|tokens| {
                tokens.iter().enumerate().any(|(i, t)| {
                    if *t != w.as_str() {
                        return false;
                    }
                    let prev = i.checked_sub(1).and_then(|j| tokens.get(j)).copied();
                    let next = tokens.get(i + 1).copied();
                    let lead = prev.is_some_and(|p| {
                        LEAD.contains(&p)
                            && (p != "is" || next.is_some_and(|n| OK_WORDS.contains(&n)))
                    });
                    lead || prev.is_some_and(|p| KIND_NOUNS.contains(&p))
                        || next.is_some_and(|n| KIND_NOUNS.contains(&n) || STATE_VERBS.contains(&n))
                })
            })
        })
        .collect()
}

fn name_matches(word: &str, name: &str) -> u8 {
    if name == word {
        3
    } else if name.starts_with(&format!("{word}-")) {
        2
    } else if word.len() >= 4 && name.split('-').any(|p| p == word) {
        1
    } else if name.split('-').any(|p| same_stem(word, p)) || same_stem(word, &name.replace('-', ""))
    {
        // "the embeddings service" for `embedder`, "rate limiting" for `ratelimit`.
        1
    } else {
        0
    }
}

/// Two forms of one word: a shared stem of five letters or more, each rest an ending
/// (`embeddings`/`embedder`, `payments`/`payment`, `ratelimiting`/`ratelimit`).
fn same_stem(a: &str, b: &str) -> bool {
    const ENDINGS: &[&str] = &[
        "", "s", "es", "e", "er", "ers", "ing", "ings", "ed", "ion", "ions", "or", "ors", "y",
        "ies", "ment", "ments",
    ];
    if a == b || !a.is_ascii() || !b.is_ascii() {
        return false;
    }
    let common = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    (5..=common)
        .rev()
        .any(|n| ENDINGS.contains(&&a[n..]) && ENDINGS.contains(&&b[n..]))
}

/// Find the named workload in `ns` (or anywhere, with `None`).
pub fn find(symptom: &Symptom, obs: &Observed, ns: Option<&str>) -> Option<Subject> {
    find_all(symptom, obs, ns).into_iter().next()
}

/// Every workload the symptom names (one per word, in the symptom's order).
pub fn find_all(symptom: &Symptom, obs: &Observed, ns: Option<&str>) -> Vec<Subject> {
    let mut out: Vec<Subject> = Vec::new();
    for w in candidates(symptom, ns.unwrap_or("")) {
        if let Some(s) = find_word(&w, obs, ns)
            && !out.iter().any(|o| o.object == s.object)
        {
            out.push(s);
        }
    }
    // A word that is only one part of a longer name ("the cart is slow" for
    // abandoned-cart-export) is no subject of its own beside one the symptom names plainly
    // ("is the basket api ok?" for basket-api).
    let text = symptom.text.to_lowercase();
    let plain = |s: &Subject| {
        name_matches(&s.word, &s.object.name) >= 2
            || text.contains(&s.object.name)
            || text.contains(&s.object.name.replace(['-', '_'], " "))
    };
    let part_only = |s: &Subject| {
        let parts: Vec<&str> = s.object.name.split(['-', '_']).collect();
        !plain(s)
            && parts.len() >= 2
            && parts[0] != s.word
            && !same_stem(&s.word, parts[0])
            && parts[1..]
                .iter()
                .any(|p| *p == s.word || same_stem(&s.word, p))
    };
    if out.iter().any(plain) {
        out.retain(|s| !part_only(s));
    }
    out
}

fn find_word(word: &str, obs: &Observed, ns: Option<&str>) -> Option<Subject> {
    let words = [word.to_string()];
    let in_scope = |o: &&Value| ns.is_none_or(|n| meta_namespace(o).unwrap_or("") == n);
    let mut best: Option<(u8, usize, Subject)> = None;
    let mut consider = |score: u8, rank: usize, subject: Subject| {
        if score == 0 {
            return;
        }
        let better = match &best {
            None => true,
            Some((s0, r0, _)) => score > *s0 || (score == *s0 && rank < *r0),
        };
        if better {
            best = Some((score, rank, subject));
        }
    };
    for w in &words {
        for (rank, kind) in KINDS.iter().enumerate() {
            for o in obs.view.all(kind).filter(in_scope) {
                let score = name_matches(w, meta_name(o));
                consider(
                    score,
                    rank,
                    Subject {
                        object: ObjectRef::new(kind, meta_namespace(o), meta_name(o)),
                        word: w.clone(),
                    },
                );
            }
        }
        // Pods name their workload by prefix.
        for p in obs.view.all("Pod").filter(in_scope) {
            if name_matches(w, meta_name(p)) >= 2
                && let Some((kind, name)) = workload_of(p)
            {
                let score = name_matches(w, &name).max(1);
                consider(
                    score,
                    KINDS.len(),
                    Subject {
                        object: ObjectRef::new(&kind, meta_namespace(p), &name),
                        word: w.clone(),
                    },
                );
            }
        }
    }
    best.map(|(_, _, s)| s)
}

/// Of [`name_like_candidates`], the words that are plainly a workload's name: with `-` or `_`
/// (`payment-gateway`), or opening a clause before a state (`rabbitmq keeps crashing`). Enough
/// to look elsewhere even when another word named something in scope.
pub fn plain_names(symptom: &Symptom, ns: &str) -> Vec<String> {
    const ARTICLES: &[&str] = &[
        "the", "a", "an", "our", "my", "their", "your", "and", "but", "so",
    ];
    let lower = symptom.text.to_lowercase();
    let openers: Vec<String> = lower
        .split([',', ';', '?', '!', ':', '(', ')'])
        .flat_map(|c| c.split(". "))
        .filter_map(|c| {
            c.split_whitespace()
                .map(|t| t.trim_matches(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '-')))
                .find(|t| !t.is_empty() && !ARTICLES.contains(t))
                .map(str::to_string)
        })
        .collect();
    name_like_candidates(symptom, ns)
        .into_iter()
        .filter(|w| w.contains(['-', '_']) || openers.contains(w))
        .collect()
}

/// The first of `words` that names a workload (in `ns`, or anywhere with `None`).
pub fn find_among(words: &[String], obs: &Observed, ns: Option<&str>) -> Option<Subject> {
    words.iter().find_map(|w| find_word(w, obs, ns))
}

/// Does `word` name a workload in `ns`?
pub fn names_one(word: &str, obs: &Observed, ns: &str) -> bool {
    find_word(word, obs, Some(ns)).is_some()
}

/// Pods of a workload (by owner chain or name prefix).
pub fn pods_of<'v>(obs: &'v Observed, subject: &ObjectRef) -> Vec<&'v Value> {
    let ns = subject.namespace.clone().unwrap_or_default();
    let ns = ns.as_str();
    let in_ns = |p: &&Value| meta_namespace(p).unwrap_or("") == ns;
    if subject.kind == "Service" {
        let sel = obs
            .view
            .get("Service", ns, &subject.name)
            .and_then(|s| s.pointer("/spec/selector"))
            .and_then(Value::as_object)
            .cloned();
        return match sel {
            Some(sel) => obs
                .view
                .all("Pod")
                .filter(in_ns)
                .filter(|p| {
                    p.pointer("/metadata/labels")
                        .is_some_and(|l| crate::analyze::util::map_selector_matches(&sel, l))
                })
                .collect(),
            None => Vec::new(),
        };
    }
    obs.view
        .all("Pod")
        .filter(in_ns)
        .filter(|p| match workload_of(p) {
            Some((k, n)) => {
                (k == subject.kind && n == subject.name)
                    || (subject.kind == "CronJob"
                        && k == "Job"
                        && n.starts_with(&format!("{}-", subject.name)))
            }
            None => false,
        })
        .collect()
}

/// Is a finding about the subject: its object, its pods, an object named like it, or one
/// that selects its pods (a Service, a NetworkPolicy, a PodDisruptionBudget), or the node
/// under them?
pub fn concerns(f: &Finding, subject: &Subject, obs: &Observed) -> bool {
    let word = subject.word.as_str();
    let subject = &subject.object;
    let pods = pods_of(obs, subject);
    if f.object.kind == "Node" {
        // the node under pods of the subject that are not ready
        return pods
            .iter()
            .any(|p| sp(p, "/spec/nodeName") == f.object.name && !pod_ready(p));
    }
    if f.object.namespace != subject.namespace {
        return false;
    }
    if f.object == *subject || f.related.contains(subject) {
        return true;
    }
    if name_matches(word, &f.object.name) >= 2
        || f.related.iter().any(|r| name_matches(word, &r.name) >= 2)
    {
        return true;
    }
    if f.object.kind == "Pod" && pods.iter().any(|p| meta_name(p) == f.object.name) {
        return true;
    }
    let ns = subject.namespace.as_deref().unwrap_or("");
    if let Some(obj) = obs.view.get(&f.object.kind, ns, &f.object.name) {
        let selects = |p: &&Value| match f.object.kind.as_str() {
            "Service" => obj
                .pointer("/spec/selector")
                .and_then(Value::as_object)
                .zip(p.pointer("/metadata/labels"))
                .is_some_and(|(sel, l)| crate::analyze::util::map_selector_matches(sel, l)),
            "NetworkPolicy" => obj
                .pointer("/spec/podSelector")
                .is_some_and(|sel| crate::analyze::util::label_selector_matches(sel, p)),
            "PodDisruptionBudget" => obj
                .pointer("/spec/selector")
                .is_some_and(|sel| crate::analyze::util::label_selector_matches(sel, p)),
            _ => false,
        };
        if pods.iter().any(selects) {
            return true;
        }
    }
    if subject.kind == "CronJob"
        && f.object.kind == "Job"
        && f.object.name.starts_with(&format!("{}-", subject.name))
    {
        return true;
    }
    // A Service in front of the subject's pods, a Deployment's ReplicaSet.
    f.related
        .iter()
        .any(|r| r.kind == "ReplicaSet" && r.name.starts_with(&format!("{}-", subject.name)))
}

/// The subject's health in one line, and the facts checked (for a healthy verdict).
pub fn health(
    obs: &Observed,
    subject: &ObjectRef,
    now: jiff::Timestamp,
) -> (String, Vec<String>, bool) {
    let ns = subject.namespace.as_deref().unwrap_or("");
    let pods = pods_of(obs, subject);
    let obj = obs.view.get(&subject.kind, ns, &subject.name);
    let mut facts = Vec::new();
    let mut ok = true;
    let ready_pods = pods.iter().filter(|p| pod_ready(p)).count();
    let running: Vec<&&Value> = pods
        .iter()
        .filter(|p| !matches!(sp(p, "/status/phase"), "Succeeded" | "Failed"))
        .collect();
    let desired = obj.and_then(|o| match subject.kind.as_str() {
        "Deployment" | "StatefulSet" => int(o, "/spec/replicas"),
        "DaemonSet" => int(o, "/status/desiredNumberScheduled"),
        _ => None,
    });
    let readiness = match desired {
        Some(d) => {
            if (ready_pods as i64) < d {
                ok = false;
            }
            format!("{ready_pods}/{d} ready")
        }
        None if subject.kind == "CronJob" => {
            // A CronJob's runs are its Jobs: the last one's outcome and how the rest went.
            let mut runs: Vec<(&str, bool, &str)> = obs
                .view
                .in_namespace("Job", ns)
                .filter(|j| owner(j) == Some(("CronJob", subject.name.as_str())))
                .filter_map(|j| {
                    let failed = condition(j, "Failed").is_some_and(|(st, _, _)| st == "True");
                    let done = condition(j, "Complete").is_some_and(|(st, _, _)| st == "True");
                    (failed || done).then(|| (sp(j, "/status/startTime"), done, meta_name(j)))
                })
                .collect();
            runs.sort();
            let ok_runs = runs.iter().filter(|r| r.1).count();
            match runs.last() {
                Some((start, done, name)) => {
                    if !done {
                        ok = false;
                    }
                    let age = crate::analyze::util::ago(now, start)
                        .map(|a| format!(" {a} ago"))
                        .unwrap_or_default();
                    format!(
                        "last run {name}{age} {}, {ok_runs} of {} retained runs succeeded",
                        if *done { "succeeded" } else { "failed" },
                        runs.len()
                    )
                }
                None => "no finished run retained".to_string(),
            }
        }
        None if subject.kind == "Job" => {
            let failed = obj.and_then(|o| int(o, "/status/failed")).unwrap_or(0);
            let succeeded = obj.and_then(|o| int(o, "/status/succeeded")).unwrap_or(0);
            format!("{succeeded} succeeded, {failed} failed")
        }
        None => {
            if ready_pods < running.len() {
                ok = false;
            }
            format!("{ready_pods}/{} pods ready", running.len())
        }
    };
    facts.push(readiness.clone());
    let restarts: i64 = running
        .iter()
        .flat_map(|p| containers_with_status(p, false))
        .filter_map(|(_, st)| st.and_then(|st| int(st, "/restartCount")))
        .sum();
    let last_end = running
        .iter()
        .filter_map(|p| crate::analyze::util::last_termination(p))
        .max();
    match last_end.and_then(|t| crate::analyze::util::ago(now, t)) {
        Some(age) if restarts > 0 => {
            facts.push(format!("{restarts} restarts (the last {age} ago)"))
        }
        _ => facts.push(format!("{restarts} restarts")),
    }
    let hour_ago = now - jiff::SignedDuration::from_secs(3600);
    let pod_names: Vec<&str> = pods.iter().map(|p| meta_name(p)).collect();
    let recent_warnings = obs
        .view
        .in_namespace("Event", ns)
        .filter(|e| s(e, "type") == "Warning")
        .filter(|e| {
            let io = e.get("involvedObject").or_else(|| e.get("regarding"));
            io.is_some_and(|io| {
                let n = s(io, "name");
                n == subject.name
                    || pod_names.contains(&n)
                    || n.starts_with(&format!("{}-", subject.name))
            })
        })
        .filter(|e| {
            event_time(e)
                .parse::<jiff::Timestamp>()
                .is_ok_and(|t| t >= hour_ago)
        })
        .count();
    if recent_warnings > 0 {
        ok = false;
        facts.push(format!(
            "{recent_warnings} warning event(s) in the last hour"
        ));
    } else {
        facts.push("no warning events in the last hour".into());
    }
    let line = format!("{} {}: {}", subject.kind, subject.name, facts.join(", "));
    (line, facts, ok)
}

/// The workload that owns a pod: Deployment (through its ReplicaSet), StatefulSet,
/// DaemonSet, Job (CronJob when the Job has one in its name pattern).
pub(crate) fn workload_of(pod: &Value) -> Option<(String, String)> {
    let o = arr(pod, "/metadata/ownerReferences")
        .iter()
        .find(|o| o.get("controller").and_then(Value::as_bool).unwrap_or(true))?;
    let (kind, name) = (s(o, "kind"), s(o, "name"));
    if kind == "ReplicaSet"
        && let Some((d, hash)) = name.rsplit_once('-')
        && hash.len() >= 5
    {
        return Some(("Deployment".into(), d.to_string()));
    }
    Some((kind.to_string(), name.to_string()))
}

#[cfg(test)]
mod stem_tests {
    #[test]
    fn forms_of_one_word_name_one_workload() {
        use super::{name_matches, same_stem};
        assert!(same_stem("embeddings", "embedder"));
        assert!(same_stem("ratelimiting", "ratelimit"));
        assert!(same_stem("payments", "payment"));
        assert!(!same_stem("search", "searchlight"));
        assert!(!same_stem("order", "orders-db"));
        assert!(!same_stem("cart", "carts"));
        assert_eq!(name_matches("embeddings", "embedder"), 1);
        assert_eq!(name_matches("ratelimiting", "ratelimit"), 1);
        assert_eq!(name_matches("search", "semantic-search"), 1);
        assert_eq!(name_matches("semantic", "semantic-search"), 2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(text: &str, ns: &str) -> Vec<String> {
        name_like_candidates(&Symptom::parse(text), ns)
    }

    #[test]
    fn only_words_used_as_names_widen_the_search() {
        assert!(
            named(
                "we got paged overnight about ops-tools, is anything still broken?",
                "ops-tools"
            )
            .is_empty()
        );
        assert!(
            named(
                "alerts fired last night for the warehouse team, all good now?",
                "wh"
            )
            .is_empty()
        );
        assert_eq!(named("indexer never starts", "search"), vec!["indexer"]);
        assert_eq!(
            named("tax-engine keeps crashing", "shop"),
            vec!["tax-engine"]
        );
        assert_eq!(named("users say accounts is slow", "a"), vec!["accounts"]);
        assert_eq!(named("the billing pods restart", "x"), vec!["billing"]);
        assert_eq!(
            named("restart of service ledger fails", "x"),
            vec!["ledger"]
        );
    }
}

/// A workload in any namespace whose name is made of two or more of the symptom's own words
/// ("the nightly preview cleanup didn't run" for CronJob preview-env-cleanup), when exactly one
/// name matches best: the symptom names it in plain words instead of by its name.
pub fn find_by_words(symptom: &Symptom, obs: &Observed) -> Option<Subject> {
    let words: Vec<&str> = symptom
        .words
        .iter()
        .map(String::as_str)
        .filter(|w| w.len() >= 4 && w.chars().all(|c| c.is_ascii_alphanumeric()))
        .collect();
    let mut best: Vec<(usize, ObjectRef)> = Vec::new();
    for kind in KINDS {
        for o in obs.view.all(kind) {
            let name = meta_name(o);
            let parts: Vec<&str> = name.split(['-', '_', '.']).collect();
            let hits = words
                .iter()
                .filter(|w| parts.contains(w))
                .collect::<std::collections::BTreeSet<_>>()
                .len();
            if hits >= 2 {
                best.push((hits, ObjectRef::new(kind, meta_namespace(o), name)));
            }
        }
    }
    let top = best.iter().map(|(h, _)| *h).max()?;
    let mut winners: Vec<&ObjectRef> = best
        .iter()
        .filter(|(h, _)| *h == top)
        .map(|(_, o)| o)
        .collect();
    winners.dedup_by(|a, b| a.name == b.name && a.namespace == b.namespace);
    // A CronJob's Jobs, a Deployment's ReplicaSets carry its name and a suffix: the owner is
    // the one named.
    let owners: Vec<&ObjectRef> = winners
        .iter()
        .copied()
        .filter(|o| {
            !winners.iter().any(|p| {
                p.namespace == o.namespace
                    && p.name != o.name
                    && o.name.starts_with(&format!("{}-", p.name))
            })
        })
        .collect();
    match owners.as_slice() {
        [one] => Some(Subject {
            object: (*one).clone(),
            word: one.name.clone(),
        }),
        _ => None,
    }
}
