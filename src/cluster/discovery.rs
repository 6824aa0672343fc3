//! Discovery as kubectl's RESTMapper does it: the server's API groups and resources, and the
//! resolution of what the engineer typed (`po`, `pods`, `Pod`, `deploy`, `deployments.apps`,
//! `deployments.v1.apps`, `widgets.example.com`, ...) to one resource.
//!
//! Nothing here is hard-wired to a group version: old servers (batch/v1beta1 CronJob) and new
//! ones resolve through what they serve.

use futures::StreamExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{APIGroupList, APIResourceList};

/// One resource the server serves, in one group version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ApiResource {
    /// `""` for the core group.
    pub group: String,
    pub version: String,
    /// Plural name, e.g. `pods`.
    pub name: String,
    pub singular: String,
    pub kind: String,
    pub namespaced: bool,
    pub verbs: Vec<String>,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    /// Whether `version` is the group's preferred version.
    pub preferred: bool,
}

impl ApiResource {
    /// `v1` or `apps/v1`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `/api/v1` or `/apis/apps/v1`.
    pub fn url_prefix(&self) -> String {
        if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        }
    }

    /// The collection URL; `namespace` is ignored for cluster-scoped resources, `None` means
    /// all namespaces. Names are percent-encoded: a typed name can never add path segments or
    /// query parameters (`x?watch=true`, `../secrets`).
    pub fn collection_path(&self, namespace: Option<&str>) -> String {
        match namespace {
            Some(ns) if self.namespaced => {
                format!(
                    "{}/namespaces/{}/{}",
                    self.url_prefix(),
                    path_segment(ns),
                    self.name
                )
            }
            _ => format!("{}/{}", self.url_prefix(), self.name),
        }
    }

    /// The URL of one object.
    pub fn object_path(&self, namespace: Option<&str>, name: &str) -> String {
        format!("{}/{}", self.collection_path(namespace), path_segment(name))
    }

    /// `pods`, `deployments.apps`: the name kubectl uses in messages.
    pub fn qualified_name(&self) -> String {
        if self.group.is_empty() {
            self.name.clone()
        } else {
            format!("{}.{}", self.name, self.group)
        }
    }

    /// `pod`, `deployment.apps`: the prefix of `-o name` and multi-type tables.
    pub fn kind_prefix(&self) -> String {
        let kind = self.kind.to_lowercase();
        if self.group.is_empty() {
            kind
        } else {
            format!("{}.{}", kind, self.group)
        }
    }

    pub fn supports(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == verb)
    }
}

/// Percent-encode one path segment (everything but unreserved characters and `:`; `.` and
/// `..` alone are encoded too, so they cannot climb the path).
pub fn path_segment(s: &str) -> String {
    if s == "." || s == ".." {
        return s.replace('.', "%2E");
    }
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b':' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// An API group as `/apis` lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ApiGroup {
    pub name: String,
    pub versions: Vec<String>,
    pub preferred: String,
}

/// What a server serves.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Discovery {
    /// Groups in the server's priority order, core (`""`) first.
    pub groups: Vec<ApiGroup>,
    /// Resources (no subresources) in priority order: by group, preferred version first.
    pub resources: Vec<ApiResource>,
    /// Subresources (`pods/log`, `deployments/scale`, ...), same order.
    pub subresources: Vec<ApiResource>,
    /// Group versions whose resource list could not be fetched (e.g. an aggregated API that
    /// is down), with the error.
    pub failed: Vec<(String, String)>,
}

/// Why a resource name did not resolve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the server doesn't have a resource type \"{input}\"{}", did_you_mean_suffix(.did_you_mean))]
pub struct ResolveError {
    pub input: String,
    pub did_you_mean: Option<String>,
}

fn did_you_mean_suffix(d: &Option<String>) -> String {
    match d {
        Some(s) => format!(" (did you mean \"{s}\"?)"),
        None => String::new(),
    }
}

impl Discovery {
    /// Fetch `/api`, `/apis` and every group version's resource list (concurrently).
    pub async fn fetch(client: &kube::Client) -> Result<Discovery, kube::Error> {
        let core = client.list_core_api_versions().await?;
        let groups: APIGroupList = client.list_api_groups().await?;
        let mut out = Discovery::default();
        let mut gvs: Vec<(String, String, bool)> = Vec::new();
        out.groups.push(ApiGroup {
            name: String::new(),
            versions: core.versions.clone(),
            preferred: core
                .versions
                .first()
                .cloned()
                .unwrap_or_else(|| "v1".into()),
        });
        for (i, v) in core.versions.iter().enumerate() {
            gvs.push((String::new(), v.clone(), i == 0));
        }
        for g in &groups.groups {
            let preferred = g
                .preferred_version
                .as_ref()
                .map(|p| p.version.clone())
                .or_else(|| g.versions.first().map(|v| v.version.clone()))
                .unwrap_or_default();
            let mut versions: Vec<String> = g.versions.iter().map(|v| v.version.clone()).collect();
            out.groups.push(ApiGroup {
                name: g.name.clone(),
                versions: versions.clone(),
                preferred: preferred.clone(),
            });
            // preferred first, then the others in the server's order
            versions.retain(|v| *v != preferred);
            gvs.push((g.name.clone(), preferred.clone(), true));
            for v in versions {
                gvs.push((g.name.clone(), v, false));
            }
        }
        let fetched: Vec<_> = futures::stream::iter(gvs.into_iter().enumerate().map(
            |(i, (group, version, preferred))| async move {
                let res = if group.is_empty() {
                    client.list_core_api_resources(&version).await
                } else {
                    client
                        .list_api_group_resources(&format!("{group}/{version}"))
                        .await
                };
                (i, group, version, preferred, res)
            },
        ))
        .buffer_unordered(16)
        .collect()
        .await;
        let mut fetched = fetched;
        fetched.sort_by_key(|f| f.0);
        for (_, group, version, preferred, res) in fetched {
            match res {
                Ok(list) => out.add_list(&group, &version, preferred, list),
                Err(e) => {
                    // the core group must answer; an aggregated group may be down
                    if group.is_empty() {
                        return Err(e);
                    }
                    tracing::warn!(group, version, error = %e, "discovery: group version unavailable");
                    out.failed
                        .push((format!("{group}/{version}"), e.to_string()));
                }
            }
        }
        Ok(out)
    }

    /// Build from already-fetched lists (used by tests and snapshots).
    pub fn add_list(&mut self, group: &str, version: &str, preferred: bool, list: APIResourceList) {
        for r in list.resources {
            let singular = if r.singular_name.is_empty() {
                r.kind.to_lowercase()
            } else {
                r.singular_name.clone()
            };
            let res = ApiResource {
                group: r
                    .group
                    .clone()
                    .filter(|g| !g.is_empty())
                    .unwrap_or_else(|| group.to_string()),
                version: r
                    .version
                    .clone()
                    .filter(|v| !v.is_empty())
                    .unwrap_or_else(|| version.to_string()),
                name: r.name.clone(),
                singular,
                kind: r.kind.clone(),
                namespaced: r.namespaced,
                verbs: r.verbs.clone(),
                short_names: r.short_names.clone().unwrap_or_default(),
                categories: r.categories.clone().unwrap_or_default(),
                preferred,
            };
            if r.name.contains('/') {
                self.subresources.push(res);
            } else {
                self.resources.push(res);
            }
        }
    }

    /// Whether some resource belongs to the category `name` (`all`).
    pub fn has_category(&self, name: &str) -> bool {
        self.resources
            .iter()
            .any(|r| r.categories.iter().any(|c| c == name))
    }

    /// Whether a group version is served (e.g. `metrics.k8s.io/v1beta1`).
    pub fn serves(&self, group: &str) -> bool {
        self.resources.iter().any(|r| r.group == group)
    }

    /// The resources `kubectl api-resources` lists: for each group and resource, the first
    /// (preferred) version that serves it; sorted by group, then name.
    pub fn preferred_resources(&self) -> Vec<&ApiResource> {
        let mut seen = std::collections::HashSet::new();
        let mut out: Vec<&ApiResource> = self
            .resources
            .iter()
            .filter(|r| seen.insert((r.group.clone(), r.name.clone())))
            .collect();
        out.sort_by(|a, b| a.group.cmp(&b.group).then(a.name.cmp(&b.name)));
        out
    }

    /// One entry per group and resource (its first, preferred version), in discovery order.
    pub fn preferred_in_discovery_order(&self) -> Vec<&ApiResource> {
        let mut seen = std::collections::HashSet::new();
        self.resources
            .iter()
            .filter(|r| seen.insert((r.group.clone(), r.name.clone())))
            .collect()
    }

    /// `group/version` strings as `kubectl api-versions` prints them (sorted).
    pub fn api_versions(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .groups
            .iter()
            .flat_map(|g| {
                g.versions.iter().map(move |v| {
                    if g.name.is_empty() {
                        v.clone()
                    } else {
                        format!("{}/{}", g.name, v)
                    }
                })
            })
            .collect();
        v.sort();
        v
    }

    /// Resolve what was typed to one resource, with kubectl's rules:
    /// `resource.version.group` when fully qualified and served, else `resource.group`;
    /// exact plural or singular names first, then short names (with group prefixes), then
    /// kinds; among several matches, the core group first, then the server's group order,
    /// preferred versions first.
    pub fn resolve(&self, input: &str) -> Result<&ApiResource, ResolveError> {
        let lower = input.trim().to_lowercase();
        let not_found = || ResolveError {
            input: input.to_string(),
            did_you_mean: self.did_you_mean(&lower),
        };
        if lower.is_empty() {
            return Err(not_found());
        }
        // resource.version.group
        if lower.matches('.').count() >= 2 {
            let mut parts = lower.splitn(3, '.');
            if let (Some(res), Some(version), Some(group)) =
                (parts.next(), parts.next(), parts.next())
                && let Some(r) = self.find(res, Some(group), Some(version), false)
            {
                return Ok(r);
            }
        }
        let (res, group) = match lower.split_once('.') {
            Some((r, g)) => (r, Some(g)),
            None => (lower.as_str(), None),
        };
        if let Some(r) = self.find(res, group, None, false) {
            return Ok(r);
        }
        // group prefixes (`hpa.autoscal`), as kubectl's shortcut expander allows
        if let Some(g) = group
            && let Some(r) = self.resources.iter().find(|r| {
                r.group.starts_with(g) && (r.short_names.iter().any(|s| s == res) || r.name == res)
            })
        {
            return Ok(r);
        }
        Err(not_found())
    }

    fn find(
        &self,
        res: &str,
        group: Option<&str>,
        version: Option<&str>,
        _any: bool,
    ) -> Option<&ApiResource> {
        let candidates = || {
            self.resources.iter().filter(move |r| {
                group.is_none_or(|g| r.group == g) && version.is_none_or(|v| r.version == v)
            })
        };
        candidates()
            .find(|r| r.name == res || r.singular == res)
            .or_else(|| candidates().find(|r| r.short_names.iter().any(|s| s == res)))
            .or_else(|| candidates().find(|r| r.kind.to_lowercase() == res))
    }

    fn did_you_mean(&self, input: &str) -> Option<String> {
        let base = input.split('.').next().unwrap_or(input);
        let mut best: Option<(f64, String)> = None;
        for r in &self.resources {
            let names = std::iter::once(&r.name)
                .chain(std::iter::once(&r.singular))
                .chain(r.short_names.iter());
            for n in names {
                let score = strsim::jaro_winkler(base, n);
                let close = strsim::levenshtein(base, n) <= 2 || score >= 0.85;
                if close && best.as_ref().is_none_or(|(s, _)| score > *s) {
                    best = Some((score, r.name.clone()));
                }
            }
        }
        best.map(|(_, n)| n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::APIResource as R;

    fn r(name: &str, singular: &str, kind: &str, short: &[&str], ns: bool) -> R {
        R {
            name: name.into(),
            singular_name: singular.into(),
            kind: kind.into(),
            namespaced: ns,
            short_names: if short.is_empty() {
                None
            } else {
                Some(short.iter().map(|s| s.to_string()).collect())
            },
            verbs: vec!["get".into(), "list".into()],
            ..Default::default()
        }
    }

    fn list(gv: &str, resources: Vec<R>) -> APIResourceList {
        APIResourceList {
            group_version: gv.into(),
            resources,
        }
    }

    fn sample() -> Discovery {
        let mut d = Discovery::default();
        d.add_list(
            "",
            "v1",
            true,
            list(
                "v1",
                vec![
                    r("pods", "", "Pod", &["po"], true),
                    r("pods/log", "", "Pod", &[], true),
                    r("events", "", "Event", &["ev"], true),
                    r("nodes", "", "Node", &["no"], false),
                ],
            ),
        );
        d.add_list(
            "apps",
            "v1",
            true,
            list(
                "apps/v1",
                vec![r("deployments", "", "Deployment", &["deploy"], true)],
            ),
        );
        d.add_list(
            "events.k8s.io",
            "v1",
            true,
            list(
                "events.k8s.io/v1",
                vec![r("events", "", "Event", &["ev"], true)],
            ),
        );
        d.add_list(
            "batch",
            "v1",
            true,
            list("batch/v1", vec![r("jobs", "", "Job", &[], true)]),
        );
        d.add_list(
            "batch",
            "v1beta1",
            false,
            list(
                "batch/v1beta1",
                vec![r("cronjobs", "", "CronJob", &["cj"], true)],
            ),
        );
        d.add_list(
            "autoscaling",
            "v1",
            true,
            list(
                "autoscaling/v1",
                vec![r(
                    "horizontalpodautoscalers",
                    "",
                    "HorizontalPodAutoscaler",
                    &["hpa"],
                    true,
                )],
            ),
        );
        d.add_list(
            "example.com",
            "v1",
            true,
            list(
                "example.com/v1",
                vec![r("widgets", "widget", "Widget", &["wd"], true)],
            ),
        );
        d
    }

    fn res(d: &Discovery, s: &str) -> String {
        let r = d.resolve(s).unwrap();
        format!("{}/{}/{}", r.group, r.version, r.name)
    }

    #[test]
    fn resolves_like_kubectl() {
        let d = sample();
        for s in ["po", "pods", "pod", "Pod", "PODS"] {
            assert_eq!(res(&d, s), "/v1/pods", "{s}");
        }
        for s in [
            "deploy",
            "deployments",
            "deployment",
            "deployments.apps",
            "deployments.v1.apps",
            "deploy.apps",
        ] {
            assert_eq!(res(&d, s), "apps/v1/deployments", "{s}");
        }
        // core group first
        assert_eq!(res(&d, "events"), "/v1/events");
        assert_eq!(res(&d, "ev"), "/v1/events");
        assert_eq!(res(&d, "events.events.k8s.io"), "events.k8s.io/v1/events");
        // only served in a non-preferred version
        assert_eq!(res(&d, "cronjobs"), "batch/v1beta1/cronjobs");
        assert_eq!(res(&d, "cj"), "batch/v1beta1/cronjobs");
        assert_eq!(
            res(&d, "hpa.autoscal"),
            "autoscaling/v1/horizontalpodautoscalers"
        );
        for s in [
            "widgets",
            "wd",
            "widget",
            "Widget",
            "widgets.example.com",
            "widgets.v1.example.com",
        ] {
            assert_eq!(res(&d, s), "example.com/v1/widgets", "{s}");
        }
        // subresources never resolve
        assert!(d.resolve("pods/log").is_err());
    }

    #[test]
    fn unknown_types_suggest() {
        let d = sample();
        let e = d.resolve("podz").unwrap_err();
        assert_eq!(e.did_you_mean.as_deref(), Some("pods"));
        assert_eq!(
            e.to_string(),
            "the server doesn't have a resource type \"podz\" (did you mean \"pods\"?)"
        );
        let e = d.resolve("deploymnets").unwrap_err();
        assert_eq!(e.did_you_mean.as_deref(), Some("deployments"));
        let e = d.resolve("zzzzqqq").unwrap_err();
        assert_eq!(e.did_you_mean, None);
        assert!(d.resolve("deployments.v2.apps").is_err());
    }

    #[test]
    fn paths() {
        let d = sample();
        let p = d.resolve("deploy").unwrap();
        assert_eq!(
            p.collection_path(Some("shop")),
            "/apis/apps/v1/namespaces/shop/deployments"
        );
        assert_eq!(p.collection_path(None), "/apis/apps/v1/deployments");
        let n = d.resolve("no").unwrap();
        assert_eq!(n.object_path(Some("shop"), "n1"), "/api/v1/nodes/n1");
        let po = d.resolve("po").unwrap();
        assert_eq!(
            po.object_path(Some("shop"), "x?watch=true"),
            "/api/v1/namespaces/shop/pods/x%3Fwatch%3Dtrue"
        );
        assert_eq!(
            po.object_path(Some(".."), "../secrets"),
            "/api/v1/namespaces/%2E%2E/pods/..%2Fsecrets"
        );
        assert_eq!(
            po.object_path(None, "system:node"),
            "/api/v1/pods/system:node"
        );
        assert_eq!(p.kind_prefix(), "deployment.apps");
        assert_eq!(n.kind_prefix(), "node");
    }
}
