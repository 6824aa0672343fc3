//! Parity: on the seeded cluster, klue prints what kubectl prints (ages masked), for the same
//! user against the same apiserver.

use std::fmt::Write as _;

use crate::run::{self, Outcome};
use crate::support::{self, User};

const CRASH: &str = "web-7c9f8d6b5-xv8rt";
const PENDING: &str = "checkout-5f6d8b7c9-l2w9z";

/// The queries compared, as a user or a model types them.
fn queries() -> Vec<String> {
    let q = [
        // get, many kinds
        "get pods -n shop".to_string(),
        "get pods -A".into(),
        "get pods -n shop -o wide".into(),
        "get pods -n shop -o name".into(),
        "get deployments -n shop".into(),
        "get deploy -n shop -o wide".into(),
        "get rs -n shop -o wide".into(),
        "get svc -A".into(),
        "get endpoints -n shop".into(),
        "get nodes".into(),
        "get nodes -o wide".into(),
        "get namespaces".into(),
        "get configmaps -n shop".into(),
        "get secrets -n shop".into(),
        "get ingress -n shop".into(),
        "get statefulsets -n shop".into(),
        "get daemonsets -A".into(),
        "get jobs -n payments".into(),
        "get cronjobs -n payments".into(),
        "get pvc -n shop".into(),
        "get pv".into(),
        "get hpa -n shop".into(),
        "get serviceaccounts -n shop".into(),
        "get deploy,svc -n shop".into(),
        "get pods,svc -n shop -o name".into(),
        // the CRD and its printer columns
        "get crd".into(),
        "get widgets -n shop".into(),
        "get widgets.stable.example.com -A -o wide".into(),
        "get wg gear -n shop -o yaml".into(),
        // formats
        format!("get pod {CRASH} -n shop -o yaml"),
        "get pod redis-0 -n shop -o json".into(),
        "get deploy web -n shop -o json".into(),
        "get svc web -n shop -o yaml".into(),
        "get pods -n shop -o jsonpath={.items[*].metadata.name}".into(),
        r#"get pods -A -o jsonpath='{range .items[*]}{.metadata.namespace}{"/"}{.metadata.name}{"\t"}{.status.phase}{"\n"}{end}'"#.into(),
        "get pods -A -o custom-columns=NAME:.metadata.name,NODE:.spec.nodeName,PHASE:.status.phase".into(),
        "get pods -A --sort-by=.metadata.name".into(),
        "get pods -A --sort-by=.status.containerStatuses[0].restartCount".into(),
        "get pods -n shop --show-labels".into(),
        "get pods -n shop -L app,tier".into(),
        "get pods -A -l app=web".into(),
        "get pods -A -l 'app in (web,redis)'".into(),
        "get pods -A --field-selector status.phase=Pending".into(),
        "get pods -A --field-selector spec.nodeName=node-2".into(),
        "get pods -n shop --no-headers".into(),
        format!("get pod {PENDING} -n shop"),
        // describe
        format!("describe pod {CRASH} -n shop"),
        format!("describe pod {PENDING} -n shop"),
        "describe deployment web -n shop".into(),
        "describe node node-2".into(),
        "describe svc web -n shop".into(),
        "describe pvc data-redis-0 -n shop".into(),
        "describe secret db-credentials -n shop".into(),
        "describe configmap web-config -n shop".into(),
        "describe ingress web -n shop".into(),
        // logs
        format!("logs {CRASH} -n shop --tail=5"),
        format!("logs {CRASH} -n shop --previous"),
        format!("logs {CRASH} -n shop -c app --previous --tail=3 --timestamps"),
        "logs web-7c9f8d6b5-2xk4p -n shop".into(),
        "logs job/db-migrate -n payments".into(),
        // events
        "get events -n shop".into(),
        "get events -A --field-selector type=Warning".into(),
        "events -n shop".into(),
        format!("events -n shop --for pod/{CRASH}"),
        // discovery, auth
        "api-versions".into(),
        "api-resources".into(),
        "api-resources --namespaced=false".into(),
        "auth can-i list pods -n shop".into(),
        "auth can-i delete pods -n shop".into(),
        // errors must read the same too
        "get pod does-not-exist -n shop".into(),
        "get nosuchkind".into(),
    ];
    q.to_vec()
}

/// `config` verbs read the kubeconfig (the combined one, several contexts).
fn config_queries() -> Vec<&'static str> {
    vec![
        "config get-contexts",
        "config current-context",
        "config view",
    ]
}

struct Mismatch {
    query: String,
    kubectl: Outcome,
    klue: Outcome,
    /// klue equals this older kubectl's output instead.
    equals_alt: Option<String>,
}

fn normalise(o: &Outcome) -> Outcome {
    match o {
        // `klue query` ends what it prints with a newline, as kubectl does.
        Outcome::Ok(t) if !t.is_empty() && !t.ends_with('\n') => {
            Outcome::Ok(run::mask_ages(&format!("{t}\n")))
        }
        Outcome::Ok(t) => Outcome::Ok(run::mask_ages(t)),
        Outcome::Err(t) => Outcome::Err(run::mask_ages(t.trim_end())),
    }
}

async fn compare(
    kubeconfig: &std::path::Path,
    context: Option<&str>,
    query: &str,
) -> Option<Mismatch> {
    let mut last = None;
    // Ages tick while the two run; a width change at a boundary (9s → 10s) gets a retry.
    for _ in 0..3 {
        let expected = normalise(&run::kubectl(kubeconfig, context, query));
        let actual = normalise(&run::klue(kubeconfig, context, query).await);
        if expected == actual {
            return None;
        }
        last = Some(Mismatch {
            query: query.to_string(),
            kubectl: expected,
            klue: actual,
            equals_alt: None,
        });
    }
    // Equal to an older kubectl (see `run::alt_kubectl`) on the same server counts, and is
    // noted in the report.
    if let (Some(alt), Some(m)) = (run::alt_kubectl(), &mut last) {
        let older = normalise(&run::kubectl_at(&alt, kubeconfig, context, query));
        let actual = normalise(&run::klue(kubeconfig, context, query).await);
        if older == actual {
            m.equals_alt = Some(alt.display().to_string());
        }
    }
    last
}

fn report(mismatches: &[Mismatch], total: usize) -> String {
    let mut out = String::new();
    let real = mismatches.iter().filter(|m| m.equals_alt.is_none()).count();
    let _ = writeln!(
        out,
        "klue vs kubectl parity on the seeded test cluster: {real} of {total} queries differ\n\
         (ages masked as ~~; '-' is kubectl, '+' is klue; user klue-viewer)\n"
    );
    for m in mismatches {
        let _ = writeln!(out, "=== {}", m.query);
        if let Some(alt) = &m.equals_alt {
            let _ = writeln!(
                out,
                "(not counted: klue equals {alt} on this server; kubectl's own output follows)"
            );
        }
        let kind = |o: &Outcome| match o {
            Outcome::Ok(_) => "ok",
            Outcome::Err(_) => "error",
        };
        if kind(&m.kubectl) != kind(&m.klue) {
            let _ = writeln!(
                out,
                "kubectl: {}, klue: {}",
                kind(&m.kubectl),
                kind(&m.klue)
            );
        }
        let _ = writeln!(out, "{}", run::diff(m.kubectl.text(), m.klue.text()));
    }
    out
}

#[tokio::test]
async fn klue_prints_what_kubectl_prints() {
    let env = support::seeded_testenv!();
    let viewer = env.kubeconfig(User::Viewer).to_path_buf();
    let mut cases: Vec<(Option<&str>, std::path::PathBuf, String)> = queries()
        .into_iter()
        .map(|q| (None, viewer.clone(), q))
        .collect();
    for q in config_queries() {
        cases.push((None, env.kubeconfigs.all.clone(), q.to_string()));
    }
    // The same query through a named context of the combined kubeconfig.
    cases.push((
        Some(User::Viewer.context()),
        env.kubeconfigs.all.clone(),
        "get pods -n shop".to_string(),
    ));
    assert!(cases.len() >= 30);

    let mut mismatches = Vec::new();
    for (context, kubeconfig, query) in &cases {
        if let Some(m) = compare(kubeconfig, *context, query).await {
            mismatches.push(m);
        }
    }
    let text = report(&mismatches, cases.len());
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("parity-report.txt");
    let _ = std::fs::write(&path, &text);
    if let Some(extra) = std::env::var_os("KLUE_PARITY_REPORT") {
        let _ = std::fs::write(extra, &text);
    }
    let mismatches: Vec<&Mismatch> = mismatches
        .iter()
        .filter(|m| m.equals_alt.is_none())
        .collect();
    assert!(
        mismatches.is_empty(),
        "{} of {} queries differ from kubectl (report: {}):\n{}",
        mismatches.len(),
        cases.len(),
        path.display(),
        mismatches
            .iter()
            .map(|m| m.query.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// kubectl prints Secret values with `-o yaml`; klue must not (keys and sizes only).
#[tokio::test]
async fn secret_values_never_printed() {
    let env = support::seeded_testenv!();
    let viewer = env.kubeconfig(User::Viewer);
    let secret_values = [
        "hunter2-s3cr3t-Pa55w0rd",
        "aHVudGVyMi1zM2NyM3QtUGE1NXcwcmQ=", // base64 of the password
        "KLUEFAKEKEYNOTREAL",
        "sk-live-51HqTfA9vN3kQ8zX2mP7rL4",
    ];
    for q in [
        "get secret db-credentials -n shop -o yaml",
        "get secret db-credentials -n shop -o json",
        "get secrets -n shop -o yaml",
        "get secret web-tls -n shop -o json",
        "get secret db-credentials -n shop -o jsonpath={.data.password}",
        "describe secret db-credentials -n shop",
        "get pod web-7c9f8d6b5-9qj7m -n shop -o yaml",
        "describe pod web-7c9f8d6b5-9qj7m -n shop",
    ] {
        let out = run::klue(viewer, None, q).await;
        for v in secret_values {
            assert!(
                !out.text().contains(v),
                "{q} printed a secret value:\n{}",
                out.text()
            );
        }
        // kubectl, for contrast, does print them (the check above is meaningful).
        if q == "get secret db-credentials -n shop -o yaml" {
            let k = run::kubectl(viewer, None, q);
            assert!(k.text().contains(secret_values[1]), "{}", k.text());
            assert!(
                out.text().contains("password"),
                "keys stay visible:\n{}",
                out.text()
            );
        }
    }
    // The credential-looking env value in the pod spec is masked.
    let pod = run::klue(viewer, None, "get pod web-7c9f8d6b5-9qj7m -n shop -o yaml").await;
    assert!(
        !pod.text().contains("sk-live-51HqTfA9vN3kQ8zX2mP7rL4"),
        "{}",
        pod.text()
    );
}
