//! Where to look: the namespace the symptom names, else the session's namespace (`-n`, or the
//! kube context's default). A namespace the symptom only hints at ("orders in shop") is
//! checked by getting that one namespace, never by listing them all.

use crate::planner::offline::Ask;
use crate::planner::offline::observe::Observed;
use crate::planner::offline::symptom::Symptom;

/// The namespace an investigation looks in, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub namespace: String,
    pub why: String,
}

pub enum Resolved {
    Scope(Scope),
    /// Queries to tell which namespace is meant.
    Ask(String, Vec<Ask>),
}

/// Words that follow "in"/"from"/"on" without being namespaces.
const NOT_NAMESPACES: &[&str] = &[
    // states a UI shows, and the tools engineers read them in ("Progressing in argo")
    "progressing",
    "degraded",
    "outofsync",
    "synced",
    "unknown",
    "imagepullbackoff",
    "errimagepull",
    "createcontainerconfigerror",
    "running",
    "completed",
    "failed",
    "oomkilled",
    "evicted",
    "datadog",
    "sentry",
    "slack",
    "pagerduty",
    "opsgenie",
    "splunk",
    "kibana",
    "newrelic",
    "honeycomb",
    "jira",
    "ui",
    "dashboard",
    "dashboards",
    "browser",
    "console",
    "grafana",
    "argo",
    "argocd",
    "flux",
    "helm",
    "spinnaker",
    "jenkins",
    // determiners, quantifiers and common adjectives ("on every page", "on new uploads")
    "every",
    "each",
    "all",
    "any",
    "some",
    "new",
    "old",
    "this",
    "that",
    "these",
    "those",
    "their",
    "your",
    "his",
    "her",
    "its",
    "first",
    "last",
    "next",
    "other",
    "both",
    "most",
    "many",
    "few",
    "several",
    "one",
    "two",
    "three",
    "same",
    "whole",
    "entire",
    "such",
    "own",
    "half",
    "lots",
    "case",
    "order",
    "general",
    "particular",
    "fact",
    "total",
    "parallel",
    // times
    "today",
    "yesterday",
    "tonight",
    "morning",
    "afternoon",
    "evening",
    "night",
    "week",
    "weekend",
    "hour",
    "minute",
    "second",
    "day",
    "days",
    "weeks",
    "months",
    "between",
    "init",
    "pending",
    "production",
    "prod",
    "staging",
    "the",
    "a",
    "an",
    "our",
    "my",
    "crashloop",
    "crashloopbackoff",
    "error",
    "errors",
    "loop",
    "start",
    "startup",
    "kubernetes",
    "k8s",
    "cluster",
    "namespace",
    "pod",
    "pods",
    "logs",
    "containercreating",
    "terminating",
    "front",
    "time",
    "minutes",
    "seconds",
    "hours",
    "ready",
    "prod.",
    "there",
    "it",
    "them",
    "place",
    "this",
    "that",
    "these",
    "those",
    "last",
    "yesterday",
    "today",
    "tonight",
    "morning",
    "afternoon",
    "evening",
    "general",
    "parallel",
    "total",
    "theory",
    "practice",
    "progress",
    "between",
];

/// Words that may follow a namespace's name in a symptom: what happens there, a kind, a
/// link word.
const FOLLOWERS: &[&str] = &[
    "last",
    "earlier",
    "overnight",
    "lately",
    "recently",
    "is",
    "are",
    "was",
    "were",
    "isn't",
    "aren't",
    "be",
    "been",
    "keeps",
    "keep",
    "kept",
    "has",
    "have",
    "had",
    "hasn't",
    "fails",
    "fail",
    "failed",
    "failing",
    "crashes",
    "crash",
    "crashing",
    "crashed",
    "restarts",
    "restarting",
    "restarted",
    "returns",
    "return",
    "returned",
    "returning",
    "gives",
    "give",
    "gave",
    "shows",
    "show",
    "showing",
    "throws",
    "throwing",
    "times",
    "timing",
    "hangs",
    "hanging",
    "dies",
    "died",
    "can't",
    "cannot",
    "won't",
    "doesn't",
    "don't",
    "didn't",
    "stopped",
    "stops",
    "never",
    "still",
    "seems",
    "looks",
    "gets",
    "got",
    "went",
    "goes",
    "and",
    "or",
    "but",
    "since",
    "after",
    "before",
    "for",
    "with",
    "when",
    "while",
    "because",
    "so",
    "then",
    "namespace",
    "ns",
    "cluster",
    "now",
    "again",
    "too",
    "also",
    "today",
    "tonight",
    "yesterday",
    "this",
    "right",
    "anymore",
    "at",
    "around",
    "from",
    "to",
    "of",
    "in",
    "on",
    "is",
    "pods",
    "pod",
    "deployment",
    "deployments",
    "deploy",
    "service",
    "services",
    "svc",
    "jobs",
    "job",
    "cronjob",
    "cronjobs",
    "statefulset",
    "statefulsets",
    "daemonset",
    "daemonsets",
    "ingress",
    "workloads",
    "down",
    "slow",
    "broken",
    "stuck",
    "pending",
    "ok",
    "okay",
    "up",
    "erroring",
    "errors",
    "error",
    "unavailable",
    "unhealthy",
    "healthy",
    "fine",
    "working",
    "running",
    "ready",
    "not",
    "no",
    "any",
    "anything",
    "something",
    "everything",
    "all",
    "every",
    "right",
    "either",
    "there",
    "here",
    "we",
    "i",
    "it",
    "they",
    "our",
    "the",
    "a",
    "an",
    "my",
    "please",
    "can",
    "could",
    "would",
    "should",
    "will",
    "did",
    "does",
    "do",
    "what",
    "why",
    "how",
    "which",
    "who",
    "where",
];

pub fn resolve(symptom: &Symptom, session: Option<&str>, obs: &Observed) -> Resolved {
    if let Some(ns) = &symptom.namespace {
        return Resolved::Scope(Scope {
            namespace: ns.clone(),
            why: format!("the symptom names namespace {ns}"),
        });
    }
    // "… in X": X may be a namespace; get it (one object, not a listing).
    let hinted = hinted(symptom);
    // "is anything wrong in shop-eu?" with the session in shop-eu: the engineer named the
    // session's namespace, so the other words after "in" ("failed jobs in reporting") are
    // not namespaces to try.
    if let Some(ns) = session
        && hinted.iter().any(|h| h == ns)
    {
        return Resolved::Scope(Scope {
            namespace: ns.to_string(),
            why: format!("the symptom names namespace {ns}, the session's"),
        });
    }
    let hinted = hinted
        .into_iter()
        .filter(|h| Some(h.as_str()) != session)
        .take(3)
        .collect::<Vec<_>>();
    let mut asks = Vec::new();
    for h in &hinted {
        if obs.view.get("Namespace", "", h).is_some() {
            return Resolved::Scope(Scope {
                namespace: h.clone(),
                why: format!("the symptom points at namespace {h}"),
            });
        }
        let cmd = format!("get namespace {h}");
        if !obs.was_proposed(&cmd) {
            asks.push(Ask {
                command: cmd,
                reason: format!("the symptom says \"in {h}\": is {h} a namespace?"),
                hypothesis: format!("{h} is the namespace the symptom is about"),
            });
        }
    }
    if !asks.is_empty() {
        return Resolved::Ask(
            format!(
                "The symptom mentions {}: checking whether that is a namespace.",
                hinted.join(" and ")
            ),
            asks,
        );
    }
    match session {
        Some(ns) => Resolved::Scope(Scope {
            namespace: ns.to_string(),
            why: format!("the session's namespace is {ns}"),
        }),
        None => Resolved::Scope(Scope {
            namespace: "default".into(),
            why: "no namespace was given: using default".into(),
        }),
    }
}

/// Does the symptom point at namespace `ns` itself ("anything wrong in warehouse-ops?" for
/// `warehouse-ops`, or for `prod-warehouse-ops` by the name's last or first parts)?
pub fn names_namespace(symptom: &Symptom, ns: &str) -> bool {
    symptom.namespace.as_deref() == Some(ns)
        || hinted(symptom).iter().any(|h| is_namespace_word(h, ns))
}

/// Is `word` the namespace's name, or its last or first parts (`warehouse-ops` for
/// `prod-warehouse-ops`)?
pub fn is_namespace_word(word: &str, ns: &str) -> bool {
    word == ns
        || (word.len() >= 3
            && (ns.ends_with(&format!("-{word}")) || ns.starts_with(&format!("{word}-"))))
}

/// Names that follow "in", "from" or "on" in the symptom.
fn hinted(symptom: &Symptom) -> Vec<String> {
    let lower = symptom.text.to_lowercase();
    let tokens: Vec<&str> = lower
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.'))
        .map(|t| t.trim_matches(|c: char| c == '.' || c == '-'))
        .filter(|t| !t.is_empty())
        .collect();
    let mut out = Vec::new();
    // "(policy-checks, payments-eu)": names in parentheses
    if let (Some(a), Some(b)) = (lower.find('('), lower.find(')'))
        && a < b
    {
        for t in lower[a + 1..b].split([',', ' ', ';']) {
            let t = t.trim();
            if t.contains('-')
                && t.len() <= 63
                && t.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !out.iter().any(|o: &String| o == t)
            {
                out.push(t.to_string());
            }
        }
    }
    // "on X" names a node as often as a namespace: only when nothing follows "in".
    let fits = |w: &str| {
        w.len() >= 2
            && w.len() <= 63
            && w.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && w.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !NOT_NAMESPACES.contains(&w)
    };
    // A quoted word is a state or a value ("stuck in \"released\""), not a namespace; so is
    // what something is stuck in.
    let quoted: Vec<String> = ['"', '\'', '“', '”', '`']
        .iter()
        .flat_map(|q| {
            lower
                .split(*q)
                .skip(1)
                .step_by(2)
                .map(|w| w.trim().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    // A plain word used as a modifier ("in online banking", "on product pages") is no
    // namespace: a namespace is followed by what happens there, a kind, a link word or
    // nothing ("orders in shop fail", "pods in shop", "… in shop since noon", "in shop?").
    let modifier = |i: usize| {
        let (w, next) = (tokens[i + 1], tokens.get(i + 2).copied());
        let plain = w.chars().all(|c| c.is_ascii_lowercase());
        let Some(next) = next else {
            return false;
        };
        // punctuation between them ends the phrase
        let joined = format!("{w} {next}");
        plain
            && lower.contains(&joined)
            && !FOLLOWERS.contains(&next)
            && !next.chars().any(|c| c.is_ascii_digit())
    };
    let before = out.len();
    for pass in [&["in", "from", "inside"][..], &["on"][..]] {
        if pass == ["on"] && out.len() > before {
            break;
        }
        for (i, pair) in tokens.windows(2).enumerate() {
            let stuck = i > 0 && tokens[i - 1] == "stuck";
            if pass.contains(&pair[0])
                && fits(pair[1])
                && !stuck
                && !modifier(i)
                && !quoted.iter().any(|q| q == pair[1])
                && !out.iter().any(|o: &String| o == pair[1])
            {
                out.push(pair[1].to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_states_are_no_namespaces() {
        let s = |t: &str| hinted(&Symptom::parse(t));
        assert!(s("orders are stuck in \"released\" since noon").is_empty());
        assert!(s("jobs stuck in pending").is_empty());
        assert_eq!(s("checkout fails in shop"), vec!["shop".to_string()]);
    }

    #[test]
    fn explicit_then_hinted_then_session() {
        let obs = Observed::default();
        let s = Symptom::parse("checkout fails in namespace shop");
        assert!(
            matches!(resolve(&s, Some("default"), &obs), Resolved::Scope(sc) if sc.namespace == "shop")
        );
        let s = Symptom::parse("the orders deployment in payments-eu is down");
        match resolve(&s, Some("default"), &obs) {
            Resolved::Ask(_, asks) => assert_eq!(asks[0].command, "get namespace payments-eu"),
            Resolved::Scope(_) => panic!("should ask"),
        }
        let s = Symptom::parse("checkout keeps crashing");
        assert!(
            matches!(resolve(&s, Some("shop"), &obs), Resolved::Scope(sc) if sc.namespace == "shop")
        );
        // "on X" is a node as often as a namespace: "in X" wins.
        let s = Symptom::parse("uploader pods on worker-4 in media-eu keep getting evicted");
        match resolve(&s, Some("default"), &obs) {
            Resolved::Ask(_, asks) => {
                assert_eq!(asks.len(), 1);
                assert_eq!(asks[0].command, "get namespace media-eu");
            }
            Resolved::Scope(_) => panic!("should ask"),
        }
        // The session's namespace named: no other word after "in" is tried.
        let s = Symptom::parse(
            "crashlooping pods in reporting last week, anything wrong in data-reporting now?",
        );
        assert!(
            matches!(resolve(&s, Some("data-reporting"), &obs), Resolved::Scope(sc) if sc.namespace == "data-reporting")
        );
        match resolve(&s, Some("default"), &obs) {
            Resolved::Ask(_, asks) => assert_eq!(asks.len(), 2),
            Resolved::Scope(_) => panic!("should ask"),
        }
        assert!(names_namespace(&s, "data-reporting"));
        assert!(names_namespace(&s, "eu-data-reporting"));
        assert!(!names_namespace(&s, "datareporting"));
        // A word that modifies the next one is no namespace; one followed by what happens
        // there is.
        assert!(
            hinted(&Symptom::parse(
                "the statements page in online banking gives 503"
            ))
            .is_empty()
        );
        assert!(hinted(&Symptom::parse("the widget on product pages is flaky")).is_empty());
        assert_eq!(
            hinted(&Symptom::parse("orders in shop keep failing")),
            vec!["shop".to_string()]
        );
        assert_eq!(
            hinted(&Symptom::parse(
                "is anything wrong in shop, checkout is slow"
            )),
            vec!["shop".to_string()]
        );
        assert_eq!(
            hinted(&Symptom::parse("checkout in payments-eu 503s")),
            vec!["payments-eu".to_string()]
        );
        let s = Symptom::parse("pods stuck in Init in the cluster");
        assert!(
            matches!(resolve(&s, Some("web"), &obs), Resolved::Scope(sc) if sc.namespace == "web")
        );
    }
}
