//! Unit tests of the whole parser: allowed shapes, refusals, canonical and shape forms.

use super::*;

fn ok(line: &str) -> Query {
    parse(line).unwrap_or_else(|r| panic!("`{line}` refused: {r}"))
}

fn refused(line: &str) -> String {
    match parse(line) {
        Ok(q) => panic!("`{line}` allowed as {q:?}"),
        Err(r) => r.reason,
    }
}

fn get(line: &str) -> (GetArgs, Scope) {
    let q = ok(line);
    match q.verb {
        Verb::Get(g) => (g, q.scope),
        other => panic!("{line}: {other:?}"),
    }
}

#[test]
fn get_targets() {
    let (g, s) = get("kubectl get pods -n shop");
    assert_eq!(g.targets.len(), 1);
    assert_eq!(g.targets[0].resource, "pods");
    assert_eq!(s.namespace.as_deref(), Some("shop"));

    let (g, _) = get("get deploy,svc");
    assert_eq!(g.targets.len(), 2);
    assert!(g.targets.iter().all(|t| t.name.is_none()));

    let (g, _) = get("get pod/a svc/b");
    assert_eq!(g.targets[0].name.as_deref(), Some("a"));
    assert_eq!(g.targets[1].resource, "svc");

    let (g, _) = get("get pods a b");
    assert_eq!(g.targets.len(), 2);
    assert_eq!(g.targets[1].name.as_deref(), Some("b"));

    let (g, _) = get("get Deployments.apps");
    assert_eq!(g.targets[0].resource, "deployments.apps");

    let (g, s) = get(
        "get pods -A -o wide --show-labels -L app,tier --sort-by=.metadata.name --chunk-size=50 --no-headers",
    );
    assert!(s.all_namespaces);
    assert_eq!(g.output, OutputFormat::Wide);
    assert!(g.show_labels && g.no_headers);
    assert_eq!(g.label_columns, ["app", "tier"]);
    assert_eq!(g.chunk_size, Some(50));
    assert_eq!(g.sort_by.as_deref(), Some(".metadata.name"));

    let (g, _) = get("get pods -o jsonpath='{.items[*].metadata.name}'");
    assert_eq!(
        g.output,
        OutputFormat::JsonPath("{.items[*].metadata.name}".into())
    );
    let (g, _) = get("get pods -o=custom-columns=NAME:.metadata.name,NODE:.spec.nodeName");
    assert!(matches!(g.output, OutputFormat::CustomColumns(_)));
    let (g, _) = get("get pods -l 'app in (web,api)' --field-selector=status.phase!=Running");
    assert_eq!(g.label_selector.as_deref(), Some("app in (web,api)"));
    assert_eq!(g.field_selector.as_deref(), Some("status.phase!=Running"));
}

#[test]
fn namespace_spellings_are_one_query() {
    let want = ok("get pods -n shop");
    for line in [
        "get pods -nshop",
        "get pods --namespace=shop",
        "get pods --namespace shop",
        "-n shop get pods",
        "kubectl -n=shop get pods",
        "get pods -n other -n shop",
    ] {
        assert_eq!(ok(line), want, "{line}");
    }
    // -A wins over -n, as in kubectl.
    let q = ok("get pods -n shop -A");
    assert!(q.scope.all_namespaces && q.scope.namespace.is_none());
}

#[test]
fn logs() {
    let q = ok("logs web-1 -c app --previous --tail=50 --since=5m --timestamps -n shop");
    let Verb::Logs(l) = q.verb else { panic!() };
    assert_eq!(l.target.as_ref().map(|t| t.resource.as_str()), Some("pod"));
    assert_eq!(l.container.as_deref(), Some("app"));
    assert!(l.previous && l.timestamps);
    assert_eq!((l.tail, l.since_seconds), (Some(50), Some(300)));
    assert_eq!(l.max_log_requests, 5);

    let q = ok("logs deploy/web app -p");
    let Verb::Logs(l) = q.verb else { panic!() };
    assert_eq!(l.container.as_deref(), Some("app"));
    assert!(l.previous);

    let q = ok(
        "logs -l app=web --max-log-requests=10 --prefix --all-containers --limit-bytes=1000 --since-time=2024-01-01T00:00:00Z",
    );
    let Verb::Logs(l) = q.verb else { panic!() };
    assert_eq!(l.max_log_requests, 10);
    assert!(l.prefix && l.all_containers);
    assert_eq!(l.limit_bytes, Some(1000));

    assert!(refused("logs").contains("needs a pod"));
    assert!(refused("logs web -f").contains("-f"));
    assert!(refused("logs web --since=5m --since-time=2024-01-01T00:00:00Z").contains("not both"));
    assert!(refused("logs -l app=web --max-log-requests=500").contains("out of range"));
    assert!(refused("logs configmap/x").contains("no pods"));
    assert!(refused("logs web -c a --all-containers").contains("cannot be combined"));
}

#[test]
fn other_verbs() {
    assert!(matches!(
        ok("events --for pod/web -n shop --types=Warning").verb,
        Verb::Events(_)
    ));
    assert!(matches!(
        ok("top pods -A --containers").verb,
        Verb::Top(TopTarget::Pods {
            containers: true,
            ..
        })
    ));
    assert!(matches!(
        ok("top node n1").verb,
        Verb::Top(TopTarget::Nodes { .. })
    ));
    assert!(matches!(
        ok("rollout history deploy/web --revision=3").verb,
        Verb::Rollout {
            kind: RolloutKind::History { revision: Some(3) },
            ..
        }
    ));
    assert!(matches!(
        ok("rollout status deployment web").verb,
        Verb::Rollout {
            kind: RolloutKind::Status,
            ..
        }
    ));
    assert!(matches!(
        ok("rollout status sts/db --watch=false").verb,
        Verb::Rollout { .. }
    ));
    let Verb::AuthCanI(c) = ok("auth can-i delete pods -n shop").verb else {
        panic!()
    };
    assert_eq!((c.verb.as_str(), c.resource.as_str()), ("delete", "pods"));
    let Verb::AuthCanI(c) = ok("auth can-i get pods/web --subresource=log").verb else {
        panic!()
    };
    assert_eq!(c.name.as_deref(), Some("web"));
    assert_eq!(c.subresource.as_deref(), Some("log"));
    let Verb::AuthCanI(c) = ok("auth can-i get /healthz").verb else {
        panic!()
    };
    assert_eq!(c.resource, "/healthz");
    assert!(matches!(
        ok("auth can-i --list").verb,
        Verb::AuthCanI(CanIArgs { list: true, .. })
    ));
    assert!(matches!(
        ok("auth whoami -o yaml").verb,
        Verb::AuthWhoami {
            output: OutputFormat::Yaml
        }
    ));
    assert!(matches!(
        ok("api-resources --namespaced=false --api-group=apps -o wide").verb,
        Verb::ApiResources {
            namespaced: Some(false),
            ..
        }
    ));
    assert_eq!(ok("api-versions").verb, Verb::ApiVersions);
    assert_eq!(
        ok("version -o json").verb,
        Verb::Version {
            output: OutputFormat::Json
        }
    );
    assert_eq!(ok("cluster-info").verb, Verb::ClusterInfo);
    assert_eq!(
        ok("config current-context").verb,
        Verb::Config(ConfigKind::CurrentContext)
    );
    assert!(matches!(
        ok("config view --minify").verb,
        Verb::Config(ConfigKind::View { minify: true, .. })
    ));
    // Namespace is irrelevant to these, so it is dropped.
    assert_eq!(ok("version -n shop").scope, Scope::default());
}

#[test]
fn refusal_reasons_are_specific() {
    let cases = [
        ("delete pod web", "read-only"),
        ("kubectl apply -f x.yaml", "read-only"),
        ("rollout restart deploy/web", "restarts"),
        ("rollout undo deploy/web", "rolls a workload back"),
        ("exec web -- sh", "inside a container"),
        ("get pods --token=abc", "bearer token"),
        ("get pods --context=prod", "switches the kube context"),
        ("get pods -s https://evil", "another API server"),
        ("get pods --as=system:admin", "impersonates"),
        ("get pods -w", "without end"),
        (
            "get --raw /api/v1/namespaces/x/pods/y/exec",
            "arbitrary API path",
        ),
        ("get pods | sh", "pipe"),
        ("get pods; rm -rf /", "a second command"),
        ("get pods -- delete", "end of flags"),
        ("get pods --frobnicate", "unknown flag"),
        ("get pods --tail=5", "does not apply to `get`"),
        ("frobnicate", "unknown command"),
        ("", "empty"),
        ("KUBECONFIG=/tmp/x get pods", "environment assignment"),
        ("config use-context prod", "changes the kubeconfig"),
        ("config view --raw", "--raw"),
        ("get pods -o go-template='{{.x}}'", "Go templates"),
        ("get pods -n 'Bad_NS'", "not a valid namespace"),
        ("get pods/x -l app=web", "not both"),
        ("get pod x -A", "across all namespaces"),
        ("cluster-info dump", "dump"),
        // names the setting that really bounds a query
        (
            "get pods --request-timeout=1s",
            "`query_timeout_secs` under `[budget]`",
        ),
    ];
    for (line, needle) in cases {
        let r = refused(line);
        assert!(r.contains(needle), "`{line}` → `{r}` lacks `{needle}`");
    }
}

#[test]
fn canonical_merges_spellings() {
    let groups: &[&[&str]] = &[
        &[
            "get pods -n shop",
            "kubectl get po --namespace=shop",
            "get pod -nshop",
            "-n shop get pods",
        ],
        &[
            "get pod web -n shop -o yaml",
            "get pods/web -n shop -oyaml",
            "get po/web -o=yaml --namespace shop",
        ],
        &[
            "logs web -n shop --tail=50",
            "logs pod/web --tail 50 -n shop",
            "logs pods/web -nshop --tail=50",
        ],
        &[
            "describe deploy web",
            "describe deployments/web",
            "describe deployment web --show-events=true",
        ],
        &[
            "events --for pod/web --types=Warning",
            "events --types warning --for=po/web",
        ],
    ];
    for g in groups {
        let want = ok(g[0]).canonical();
        for line in *g {
            assert_eq!(ok(line).canonical(), want, "{line}");
        }
    }
    assert_eq!(ok("get po -nshop").canonical(), "get pods -n shop");
    assert_eq!(
        ok("logs web -n shop --tail=50").canonical(),
        "logs pod/web -n shop --tail=50"
    );
    assert_eq!(
        ok("logs web -n shop --tail=50").shape(),
        "logs pod/* -n shop --tail=50"
    );
    assert_eq!(
        ok("logs web2 -n shop --tail=50").shape(),
        ok("logs pod/web -n shop --tail=50").shape()
    );
    assert_ne!(
        ok("get pods -n shop").canonical(),
        ok("get pods -n shop -o wide").canonical()
    );
    assert_eq!(format!("{}", ok("get po")), "get pods");
}

#[test]
fn canonical_reparses_to_itself() {
    for line in [
        "get pods -A -o wide --show-labels -L app,tier --sort-by=.metadata.name --chunk-size=50 --no-headers",
        "get pods -o jsonpath='{.items[?(@.status.phase==\"Running\")].metadata.name}'",
        "get pods -l 'env in (a,b)' --field-selector=status.phase=Running",
        "get pods -o custom-columns=NAME:.metadata.name",
        "get widgets.example.com w1 w2 -n x",
        "describe pods -l app=web --show-events=false",
        "logs -l app=web --max-log-requests=10 --prefix --all-containers --limit-bytes=1000",
        "logs deploy/web -c app --previous --since=90s --timestamps",
        "logs web --since-time=2024-01-01T00:00:00Z --tail=-1",
        "events -A --for deploy/web --types=Warning,Normal -o yaml --field-selector reason=BackOff",
        "top pods web -n x --containers",
        "top nodes -l role=worker",
        "rollout history sts/db --revision=2",
        "rollout status ds/agent -n kube-system",
        "auth can-i list pods -A",
        "auth can-i get pods web --subresource=log",
        "auth can-i get /healthz",
        "auth can-i --list -n shop",
        "auth whoami -o json",
        "api-resources --namespaced=true -o name",
        "api-versions",
        "version -o yaml",
        "cluster-info",
        "config current-context",
        "config get-contexts kind-kind",
        "config view --minify -o json",
    ] {
        let c = ok(line).canonical();
        let again = ok(&c).canonical();
        assert_eq!(again, c, "{line}");
        let s = ok(line).shape();
        assert!(!s.is_empty());
    }
}
