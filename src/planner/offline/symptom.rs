//! What the offline planner reads in a symptom: an explicit namespace, candidate names, and
//! the failure families its words point at.

/// A failure family the words of a symptom point at, with the kinds worth listing for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Family {
    pub analyzers: &'static [&'static str],
    /// `get` resources (plural) to survey, namespaced ones in the symptom's namespace.
    pub resources: &'static [&'static str],
}

const FAMILIES: &[(&[&str], Family)] = &[
    (
        &[
            "restart",
            "crash",
            "crashloop",
            "backoff",
            "exit",
            "dies",
            "killed",
            "oom",
            "memory",
        ],
        Family {
            analyzers: &["crashloop", "oom", "probes", "init-containers"],
            resources: &[],
        },
    ),
    (
        &["image", "pull", "tag", "registry", "errimagepull"],
        Family {
            analyzers: &["image-pull"],
            resources: &[],
        },
    ),
    (
        &[
            "secret",
            "configmap",
            "config",
            "createcontainerconfigerror",
            "env",
        ],
        Family {
            analyzers: &["container-config"],
            resources: &["secrets", "configmaps"],
        },
    ),
    (
        &[
            "pending",
            "schedul",
            "unschedulable",
            "stuck",
            "never starts",
            "not starting",
        ],
        Family {
            analyzers: &["pending"],
            resources: &[
                "nodes",
                "persistentvolumeclaims",
                "storageclasses",
                "resourcequotas",
            ],
        },
    ),
    (
        &[
            "probe",
            "readiness",
            "liveness",
            "healthz",
            "health",
            "not ready",
        ],
        Family {
            analyzers: &["probes"],
            resources: &[],
        },
    ),
    (
        &[
            "service",
            "svc",
            "endpoint",
            "503",
            "502",
            "timeout",
            "time out",
            "refused",
            "unreachable",
            "calls",
            "requests",
            "connect",
        ],
        Family {
            analyzers: &["service", "network-policy", "probes"],
            resources: &["services", "endpoints"],
        },
    ),
    (
        &[
            "ingress", "host", "domain", "url", "404", "address", ".com", "served",
        ],
        Family {
            analyzers: &["ingress"],
            resources: &["ingresses", "services", "ingressclasses"],
        },
    ),
    (
        &[
            "rollout", "deploy", "replica", "progress", "upgrade", "release", "quota",
        ],
        Family {
            analyzers: &["rollout"],
            resources: &["replicasets", "resourcequotas"],
        },
    ),
    (
        &["job", "migration", "batch", "backoffLimit"],
        Family {
            analyzers: &["job"],
            resources: &["jobs"],
        },
    ),
    (
        &[
            "cron",
            "schedule",
            "nightly",
            "backup",
            "hourly",
            "daily",
            "has not run",
        ],
        Family {
            analyzers: &["cronjob", "job"],
            resources: &["cronjobs", "jobs"],
        },
    ),
    (
        &[
            "node",
            "kubelet",
            "notready",
            "not ready",
            "pressure",
            "disk",
        ],
        Family {
            analyzers: &["node", "evicted"],
            resources: &["nodes"],
        },
    ),
    (
        &["evict"],
        Family {
            analyzers: &["evicted", "node"],
            resources: &["nodes"],
        },
    ),
    (
        &["scale", "autoscal", "hpa", "load", "replicas"],
        Family {
            analyzers: &["hpa"],
            resources: &["horizontalpodautoscalers"],
        },
    ),
    (
        &["drain", "disruption", "pdb", "maintenance"],
        Family {
            analyzers: &["pdb"],
            resources: &["poddisruptionbudgets"],
        },
    ),
    (
        &[
            "dns",
            "resolve",
            "lookup",
            "network",
            "policy",
            "isolat",
            "egress",
            "ingress traffic",
        ],
        Family {
            analyzers: &["network-policy"],
            resources: &["networkpolicies", "services"],
        },
    ),
    (
        &[
            "webhook",
            "admission",
            "denied the request",
            "creating",
            "mutating",
            "validating",
        ],
        Family {
            analyzers: &["webhook"],
            resources: &[
                "validatingwebhookconfigurations",
                "mutatingwebhookconfigurations",
                "services",
            ],
        },
    ),
    (
        &["volume", "pvc", "storage", "disk full", "mount"],
        Family {
            analyzers: &["pending"],
            resources: &["persistentvolumeclaims", "storageclasses"],
        },
    ),
    (
        &["statefulset", "daemonset"],
        Family {
            analyzers: &["rollout"],
            resources: &["statefulsets", "daemonsets"],
        },
    ),
];

/// The symptom as the planner understands it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Symptom {
    pub text: String,
    /// `-n X`, `namespace X`, `X namespace`, `ns/X`: said explicitly.
    pub namespace: Option<String>,
    /// Lower-case words that could name a namespace or an object.
    pub words: Vec<String>,
    pub all_namespaces: bool,
}

const STOP: &[&str] = &[
    "the",
    "and",
    "for",
    "are",
    "was",
    "its",
    "it's",
    "our",
    "with",
    "from",
    "that",
    "this",
    "into",
    "since",
    "keeps",
    "keep",
    "pod",
    "pods",
    "service",
    "deployment",
    "namespace",
    "cluster",
    "is",
    "in",
    "on",
    "not",
    "does",
    "any",
    "anything",
    "wrong",
    "what",
    "why",
    "has",
    "have",
    "been",
    "when",
    "all",
    "get",
    "gets",
    "stuck",
    "never",
    "may",
    "be",
    "down",
];

impl Symptom {
    /// Does the engineer ask whether something is healthy ("is checkout-web ok?", "anything
    /// still broken?"), rather than only report a failure ("the F5 pool for partner-api
    /// hasn't updated")?
    pub fn asks_health(&self) -> bool {
        static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
        RE.get_or_init(|| {
            regex::Regex::new(
                r"(?i)\b(?:is|are|isn't|aren't|does|do)\b[^?.!;]{0,60}?\b(?:ok|okay|healthy|fine|up|alive|working|running|broken|down|good|green|normal|wrong|fix)\b|\banything\b[^?.!;]{0,40}\b(?:broken|wrong|fix)\b|\bhealth ?check\b|\b(?:is|are|could|might)\b[^?.!;]{0,60}?\b(?:the|to)\s+(?:problem|culprit|cause|issue|blame|bottleneck)\b",
            )
            .ok()
        })
        .as_ref()
        .is_some_and(|r| r.is_match(&self.text))
    }

    pub fn parse(text: &str) -> Symptom {
        let lower = text.to_lowercase();
        let tokens: Vec<&str> = lower
            .split(|c: char| {
                !(c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '/' || c == '_')
            })
            .map(|t| t.trim_matches(|c: char| c == '.' || c == '/' || c == '-'))
            .filter(|t| !t.is_empty())
            .collect();
        let mut namespace = None;
        for (i, t) in tokens.iter().enumerate() {
            let next = tokens.get(i + 1).copied();
            if (*t == "namespace" || *t == "ns")
                && next.is_some_and(|n| is_name(n) && !STOP.contains(&n))
            {
                namespace = next.map(str::to_string);
                break;
            }
            if let Some(ns) = t
                .strip_prefix("--namespace=")
                .or_else(|| t.strip_prefix("ns/"))
                .or_else(|| t.strip_prefix("namespace/"))
            {
                namespace = Some(ns.to_string());
                break;
            }
            if next == Some("namespace") && is_name(t) && !STOP.contains(t) {
                namespace = Some(t.to_string());
                break;
            }
        }
        // `-n X` survives tokenizing as "n" preceded by nothing: look for it literally too.
        if namespace.is_none()
            && let Some(pos) = lower.find("-n ")
        {
            let rest = &lower[pos + 3..];
            if let Some(w) = rest.split_whitespace().next().filter(|w| is_name(w)) {
                namespace = Some(w.to_string());
            }
        }
        let mut words: Vec<String> = tokens
            .iter()
            .filter(|t| t.len() >= 3 && !STOP.contains(t) && is_name(t))
            .map(|t| t.to_string())
            .collect();
        words.dedup();
        Symptom {
            text: text.to_string(),
            all_namespaces: lower.contains("all namespaces")
                || lower.contains(" -a ")
                || lower.ends_with(" -a"),
            namespace,
            words,
        }
    }

    /// Families the symptom's words point at (the namespace's own name does not count).
    pub fn families(&self) -> Vec<Family> {
        let mut text = self.text.to_lowercase();
        if let Some(ns) = &self.namespace {
            text = text.replace(ns.as_str(), " ");
        }
        FAMILIES
            .iter()
            .filter(|(keys, _)| keys.iter().any(|k| text.contains(&k.to_lowercase())))
            .map(|(_, f)| *f)
            .collect()
    }

    /// Text without a namespace's name, for keyword checks.
    pub fn text_without(&self, ns: Option<&str>) -> String {
        let mut text = self.text.to_lowercase();
        if let Some(ns) = ns {
            text = text.replace(ns, " ");
        }
        text
    }

    /// Does the symptom name this object (exactly, or as the workload prefix of a pod name)?
    pub fn mentions(&self, name: &str, ns: Option<&str>) -> bool {
        let name = name.to_lowercase();
        self.words.iter().any(|w| {
            Some(w.as_str()) != ns
                && (*w == name
                    || name.starts_with(&format!("{w}-")) && w.len() >= 3
                    || w.starts_with(&format!("{name}-")) && name.len() >= 4)
        })
    }
}

fn is_name(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 63
        && t.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && t.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_forms() {
        assert_eq!(
            Symptom::parse("checkout 503 in namespace shop")
                .namespace
                .as_deref(),
            Some("shop")
        );
        assert_eq!(
            Symptom::parse("the shop namespace is broken")
                .namespace
                .as_deref(),
            Some("shop")
        );
        assert_eq!(
            Symptom::parse("pods crash -n payments")
                .namespace
                .as_deref(),
            Some("payments")
        );
        assert_eq!(
            Symptom::parse("ns/prod has errors").namespace.as_deref(),
            Some("prod")
        );
        assert_eq!(Symptom::parse("checkout keeps restarting").namespace, None);
    }

    #[test]
    fn families_and_mentions() {
        let s = Symptom::parse("checkout keeps restarting since 14:05");
        assert!(
            s.families()
                .iter()
                .any(|f| f.analyzers.contains(&"crashloop"))
        );
        assert!(s.mentions("checkout", None));
        assert!(s.mentions("checkout-5d9c7b8f6d-x7k2p", None));
        assert!(!s.mentions("payments", None));
    }
}

#[cfg(test)]
mod asks_health_tests {
    use super::Symptom;

    #[test]
    fn asking_whether_a_workload_is_to_blame_is_a_question_about_its_health() {
        for q in [
            "is route-planner the problem?",
            "dispatchers say suggestions were slow, could the geo cache be the culprit?",
            "is checkout-web ok?",
        ] {
            assert!(Symptom::parse(q).asks_health(), "{q}");
        }
        for q in [
            "checkout returns 503 since 14:05",
            "the problem started after the release",
        ] {
            assert!(!Symptom::parse(q).asks_health(), "{q}");
        }
    }
}
