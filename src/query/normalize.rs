//! Canonical and shape forms of a [`Query`]: one spelling per meaning.
//!
//! `canonical` is used to recognise the same query asked twice (`get po -nshop` and
//! `kubectl get pods --namespace=shop` are one query); `shape` replaces object names with
//! `*`, for "approve this kind of query for the rest of the session".

use super::{
    CanIArgs, ConfigKind, OutputFormat, Query, ResourceRef, RolloutKind, Scope, TopTarget, Verb,
};

/// Built-in resources: (plural, singular, other spellings).
const BUILTIN: &[(&str, &str, &[&str])] = &[
    ("pods", "pod", &["po"]),
    ("services", "service", &["svc"]),
    ("deployments", "deployment", &["deploy"]),
    ("replicasets", "replicaset", &["rs"]),
    ("statefulsets", "statefulset", &["sts"]),
    ("daemonsets", "daemonset", &["ds"]),
    ("jobs", "job", &[]),
    ("cronjobs", "cronjob", &["cj"]),
    ("configmaps", "configmap", &["cm"]),
    ("secrets", "secret", &[]),
    ("namespaces", "namespace", &["ns"]),
    ("nodes", "node", &["no"]),
    ("persistentvolumeclaims", "persistentvolumeclaim", &["pvc"]),
    ("persistentvolumes", "persistentvolume", &["pv"]),
    ("events", "event", &["ev"]),
    ("endpoints", "endpoints", &["ep"]),
    ("endpointslices", "endpointslice", &[]),
    ("ingresses", "ingress", &["ing"]),
    ("ingressclasses", "ingressclass", &[]),
    (
        "horizontalpodautoscalers",
        "horizontalpodautoscaler",
        &["hpa"],
    ),
    ("serviceaccounts", "serviceaccount", &["sa"]),
    ("networkpolicies", "networkpolicy", &["netpol"]),
    ("storageclasses", "storageclass", &["sc"]),
    ("poddisruptionbudgets", "poddisruptionbudget", &["pdb"]),
    ("replicationcontrollers", "replicationcontroller", &["rc"]),
    (
        "customresourcedefinitions",
        "customresourcedefinition",
        &["crd", "crds"],
    ),
    ("limitranges", "limitrange", &["limits"]),
    ("resourcequotas", "resourcequota", &["quota"]),
    ("roles", "role", &[]),
    ("rolebindings", "rolebinding", &[]),
    ("clusterroles", "clusterrole", &[]),
    ("clusterrolebindings", "clusterrolebinding", &[]),
    ("priorityclasses", "priorityclass", &["pc"]),
    ("leases", "lease", &[]),
    ("componentstatuses", "componentstatus", &["cs"]),
    (
        "certificatesigningrequests",
        "certificatesigningrequest",
        &["csr"],
    ),
];

fn lookup(r: &str) -> Option<&'static (&'static str, &'static str, &'static [&'static str])> {
    BUILTIN
        .iter()
        .find(|(p, s, o)| *p == r || *s == r || o.contains(&r))
}

/// `po` → `pods` (built-ins only; anything else as typed).
pub fn plural(r: &str) -> String {
    lookup(r).map_or_else(|| r.to_string(), |e| e.0.to_string())
}

/// `po` → `pod` (built-ins only; anything else as typed).
pub fn singular(r: &str) -> String {
    lookup(r).map_or_else(|| r.to_string(), |e| e.1.to_string())
}

/// Quote a value so the lexer reads it back unchanged.
fn quote(v: &str) -> String {
    if v.starts_with('-') {
        return format!("'{}'", v.replace('\'', "'\"'\"'"));
    }
    quote_inline(v)
}

/// Quote a value that follows `--flag=` (a leading `-` needs no quotes there).
fn quote_inline(v: &str) -> String {
    let plain = !v.is_empty()
        && v.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    '.' | '_'
                        | '/'
                        | ':'
                        | '='
                        | ','
                        | '@'
                        | '+'
                        | '%'
                        | '^'
                        | '-'
                        | '*'
                        | '['
                        | ']'
                        | '{'
                        | '}'
                        | '!'
                )
        });
    if plain {
        v.to_string()
    } else {
        format!("'{}'", v.replace('\'', "'\"'\"'"))
    }
}

struct Line {
    parts: Vec<String>,
    mask: bool,
}

impl Line {
    fn word(&mut self, w: impl Into<String>) {
        self.parts.push(w.into());
    }
    fn name(&self, n: &str) -> String {
        if self.mask { "*".into() } else { quote(n) }
    }
    fn obj(&mut self, r: &ResourceRef) {
        let w = match &r.name {
            Some(n) => format!("{}/{}", singular(&r.resource), self.name(n)),
            None => plural(&r.resource),
        };
        self.word(w);
    }
    fn opt(&mut self, flag: &str, v: Option<&str>) {
        if let Some(v) = v {
            self.word(format!("{flag}={}", quote_inline(v)));
        }
    }
    fn short(&mut self, flag: &str, v: Option<&str>) {
        if let Some(v) = v {
            self.word(flag);
            self.word(quote(v));
        }
    }
    fn flag(&mut self, flag: &str, on: bool) {
        if on {
            self.word(flag);
        }
    }
    fn scope(&mut self, s: &Scope) {
        if s.all_namespaces {
            self.word("-A");
        } else if let Some(ns) = &s.namespace {
            self.word("-n");
            self.word(ns.clone());
        }
    }
    fn output(&mut self, o: &OutputFormat) {
        let v = match o {
            OutputFormat::Table => return,
            OutputFormat::Wide => "wide".to_string(),
            OutputFormat::Yaml => "yaml".to_string(),
            OutputFormat::Json => "json".to_string(),
            OutputFormat::Name => "name".to_string(),
            OutputFormat::JsonPath(p) => format!("jsonpath={p}"),
            OutputFormat::CustomColumns(c) => format!("custom-columns={c}"),
        };
        self.word("-o");
        self.word(quote(&v));
    }
}

/// Render `q`; with `mask`, object names become `*`.
pub fn render(q: &Query, mask: bool) -> String {
    let mut l = Line {
        parts: Vec::new(),
        mask,
    };
    match &q.verb {
        Verb::Get(g) => {
            l.word("get");
            if g.targets.iter().all(|t| t.name.is_none()) {
                let types: Vec<String> = g.targets.iter().map(|t| plural(&t.resource)).collect();
                l.word(types.join(","));
            } else {
                g.targets.iter().for_each(|t| l.obj(t));
            }
            l.scope(&q.scope);
            l.short("-l", g.label_selector.as_deref());
            l.opt("--field-selector", g.field_selector.as_deref());
            l.output(&g.output);
            l.flag("--show-labels", g.show_labels);
            if !g.label_columns.is_empty() {
                l.short("-L", Some(&g.label_columns.join(",")));
            }
            l.opt("--sort-by", g.sort_by.as_deref());
            l.opt(
                "--chunk-size",
                g.chunk_size.map(|c| c.to_string()).as_deref(),
            );
            l.flag("--no-headers", g.no_headers);
        }
        Verb::Describe(d) => {
            l.word("describe");
            if d.targets.iter().all(|t| t.name.is_none()) {
                let types: Vec<String> = d.targets.iter().map(|t| plural(&t.resource)).collect();
                l.word(types.join(","));
            } else {
                d.targets.iter().for_each(|t| l.obj(t));
            }
            l.scope(&q.scope);
            l.short("-l", d.label_selector.as_deref());
            if !d.show_events {
                l.word("--show-events=false");
            }
        }
        Verb::Logs(g) => {
            l.word("logs");
            if let Some(t) = &g.target {
                l.obj(t);
            }
            l.scope(&q.scope);
            l.short("-l", g.label_selector.as_deref());
            l.short("-c", g.container.as_deref());
            l.flag("--all-containers", g.all_containers);
            l.flag("--previous", g.previous);
            l.opt("--tail", g.tail.map(|t| t.to_string()).as_deref());
            l.opt(
                "--since",
                g.since_seconds.map(|s| format!("{s}s")).as_deref(),
            );
            l.opt("--since-time", g.since_time.as_deref());
            l.flag("--timestamps", g.timestamps);
            if g.max_log_requests != 5 {
                l.opt("--max-log-requests", Some(&g.max_log_requests.to_string()));
            }
            l.flag("--prefix", g.prefix);
            l.opt(
                "--limit-bytes",
                g.limit_bytes.map(|b| b.to_string()).as_deref(),
            );
        }
        Verb::Events(e) => {
            l.word("events");
            l.scope(&q.scope);
            if let Some(f) = &e.for_object {
                let n = f.name.as_deref().map(|n| l.name(n)).unwrap_or_default();
                l.word(format!("--for={}/{n}", singular(&f.resource)));
            }
            if !e.types.is_empty() {
                let mut t = e.types.clone();
                t.sort();
                l.opt("--types", Some(&t.join(",")));
            }
            l.opt("--field-selector", e.field_selector.as_deref());
            l.output(&e.output);
        }
        Verb::Top(t) => {
            l.word("top");
            match t {
                TopTarget::Pods {
                    name,
                    label_selector,
                    containers,
                } => {
                    l.word("pods");
                    if let Some(n) = name {
                        let n = l.name(n);
                        l.word(n);
                    }
                    l.scope(&q.scope);
                    l.short("-l", label_selector.as_deref());
                    l.flag("--containers", *containers);
                }
                TopTarget::Nodes {
                    name,
                    label_selector,
                } => {
                    l.word("nodes");
                    if let Some(n) = name {
                        let n = l.name(n);
                        l.word(n);
                    }
                    l.short("-l", label_selector.as_deref());
                }
            }
        }
        Verb::Rollout { kind, target } => {
            l.word("rollout");
            match kind {
                RolloutKind::History { .. } => l.word("history"),
                RolloutKind::Status => l.word("status"),
            }
            l.obj(target);
            l.scope(&q.scope);
            if let RolloutKind::History { revision } = kind {
                l.opt("--revision", revision.map(|r| r.to_string()).as_deref());
            }
        }
        Verb::AuthCanI(c) => can_i(&mut l, c, &q.scope),
        Verb::AuthWhoami { output } => {
            l.word("auth");
            l.word("whoami");
            l.output(output);
        }
        Verb::ApiResources {
            namespaced,
            api_group,
            output,
        } => {
            l.word("api-resources");
            l.opt("--namespaced", namespaced.map(|b| b.to_string()).as_deref());
            l.opt("--api-group", api_group.as_deref());
            l.output(output);
        }
        Verb::ApiVersions => l.word("api-versions"),
        Verb::Version { output } => {
            l.word("version");
            l.output(output);
        }
        Verb::ClusterInfo => l.word("cluster-info"),
        Verb::Config(c) => {
            l.word("config");
            match c {
                ConfigKind::CurrentContext => l.word("current-context"),
                ConfigKind::GetContexts { name } => {
                    l.word("get-contexts");
                    if let Some(n) = name {
                        l.word(quote(n));
                    }
                }
                ConfigKind::View { minify, output } => {
                    l.word("view");
                    l.flag("--minify", *minify);
                    if *output != OutputFormat::Yaml {
                        l.output(output);
                    }
                }
            }
        }
    }
    l.parts.join(" ")
}

fn can_i(l: &mut Line, c: &CanIArgs, scope: &Scope) {
    l.word("auth");
    l.word("can-i");
    if c.list {
        l.word("--list");
    } else {
        l.word(quote(&c.verb));
        let r = if c.resource.starts_with('/') || c.resource == "*" {
            quote(&c.resource)
        } else {
            plural(&c.resource)
        };
        match &c.name {
            Some(n) => {
                let n = l.name(n);
                l.word(format!("{r}/{n}"));
            }
            None => l.word(r),
        }
        l.opt("--subresource", c.subresource.as_deref());
    }
    l.scope(scope);
}
