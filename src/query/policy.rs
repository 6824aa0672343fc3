//! The refusal rules and their reasons. Everything here answers "why not?" specifically, so
//! the engineer and the model can see what to ask instead.

/// Why a verb (the first word) is refused, or `None` if it is not a known refused verb.
pub fn refused_verb(verb: &str) -> Option<String> {
    let write = |what: &str| {
        Some(format!(
            "`{verb}` {what}: klue is read-only and never changes the cluster"
        ))
    };
    match verb {
        "apply" | "create" | "replace" => write("writes objects"),
        "delete" => write("deletes objects"),
        "edit" => write("opens an editor and writes the object back"),
        "patch" => write("modifies objects"),
        "scale" => write("changes replica counts"),
        "autoscale" => write("creates a HorizontalPodAutoscaler"),
        "label" => write("changes labels"),
        "annotate" => write("changes annotations"),
        "set" => write("changes object fields (image, env, resources, ...)"),
        "cordon" | "uncordon" => write("changes node schedulability"),
        "drain" => write("evicts pods from a node"),
        "taint" => write("changes node taints"),
        "certificate" => write("approves or denies certificate requests"),
        "exec" => Some(format!(
            "`{verb}` runs a command inside a container; klue only reads through the API"
        )),
        "attach" => Some(format!(
            "`{verb}` attaches to a running container's terminal; klue only reads through the API"
        )),
        "cp" => Some(format!(
            "`{verb}` copies files into or out of containers (it runs tar via exec)"
        )),
        "port-forward" => Some(format!(
            "`{verb}` opens a tunnel into the cluster; klue only runs bounded reads"
        )),
        "proxy" => Some(format!(
            "`{verb}` starts a proxy to the API server that would accept any request"
        )),
        "debug" => Some(format!(
            "`{verb}` creates debugging pods or ephemeral containers: it writes to the cluster"
        )),
        "run" => write("creates a pod"),
        "expose" => write("creates a service"),
        "wait" => Some(format!(
            "`{verb}` blocks until a condition holds; klue queries return at once (use `get` or `describe`)"
        )),
        "rollout" => Some(format!(
            "`{verb}` needs a read-only subcommand: `rollout history` or `rollout status`"
        )),
        "kustomize" => Some(format!(
            "`{verb}` reads local files; klue only queries the cluster"
        )),
        "plugin" | "completion" | "alpha" | "options" | "help" | "diff" | "convert" => {
            Some(format!(
                "`{verb}` is not a cluster query; klue runs get, describe, logs, events, top, rollout history|status, auth can-i|whoami, api-resources, api-versions, version, cluster-info and config current-context|get-contexts|view"
            ))
        }
        "sh" | "bash" | "zsh" | "env" | "sudo" | "eval" | "xargs" | "curl" | "wget" | "rm"
        | "cat" | "echo" | "watch" | "helm" | "oc" => Some(format!(
            "`{verb}` is not kubectl: klue runs kubectl-style read-only queries only, never other programs"
        )),
        _ => None,
    }
}

/// Why `rollout SUB` is refused, for the write subcommands.
pub fn refused_rollout(sub: &str) -> String {
    match sub {
        "restart" => "`rollout restart` restarts every pod of a workload: klue is read-only".into(),
        "undo" => {
            "`rollout undo` rolls a workload back to an earlier revision: klue is read-only".into()
        }
        "pause" | "resume" => {
            format!("`rollout {sub}` changes whether a workload rolls out: klue is read-only")
        }
        other => format!(
            "`rollout {other}` is not a rollout subcommand klue runs; use `rollout history` or `rollout status`"
        ),
    }
}

/// Why a flag is refused whatever the verb, or `None` if it is not forbidden.
pub fn forbidden_flag(spelled: &str) -> Option<String> {
    let conn = |what: &str| {
        Some(format!(
            "`{spelled}` {what}: a query runs against the session's cluster and identity, never other ones"
        ))
    };
    match spelled {
        "--server" | "-s" => conn("points the request at another API server"),
        "--token" => conn("supplies a bearer token"),
        "--kubeconfig" => conn("loads another kubeconfig"),
        "--as" | "--as-group" | "--as-uid" | "--as-user-extra" => conn("impersonates another user"),
        "--user" => conn("picks another kubeconfig user"),
        "--cluster" => conn("picks another kubeconfig cluster"),
        "--context" => conn("switches the kube context (start klue with `--context` instead)"),
        "--certificate-authority" | "--client-key" | "--client-certificate" => {
            conn("replaces the TLS credentials")
        }
        "--insecure-skip-tls-verify" => conn("disables TLS verification"),
        "--tls-server-name" => conn("changes the TLS server name"),
        "--username" | "--password" => conn("supplies basic-auth credentials"),
        "--disable-compression"
        | "--cache-dir"
        | "--profile"
        | "--profile-output"
        | "--log-file"
        | "--log-dir"
        | "--warnings-as-errors"
        | "--match-server-version" => Some(format!(
            "`{spelled}` changes how the client runs; klue manages its own client"
        )),
        "--request-timeout" => Some(format!(
            "`{spelled}` is not needed: klue bounds every query with its own timeout, set by `query_timeout_secs` under `[budget]` in klue's config.toml (default 60 s; `klue query --timeout SECS`, `klue ask --query-timeout SECS`)"
        )),
        "-v" | "--v" | "--vmodule" => Some(format!(
            "`{spelled}` (log verbosity) is not available: it could print request headers including credentials"
        )),
        "--raw" => Some(format!(
            "`{spelled}` sends a request to an arbitrary API path; klue only runs typed queries (for health and versions use `version`, `api-versions` or `cluster-info`)"
        )),
        "--watch" | "-w" | "--watch-only" | "--output-watch-events" => Some(format!(
            "`{spelled}` streams changes without end; klue queries return a bounded answer (run the query again to see changes)"
        )),
        "--follow" | "-f" => Some(format!(
            "`{spelled}` (follow a log stream, or read manifests from a file) is not available: use `--tail` / `--since` for logs"
        )),
        "--filename" | "-k" | "--kustomize" | "--recursive" | "-R" => Some(format!(
            "`{spelled}` reads local manifest files; klue only queries the cluster"
        )),
        "--all" | "--force" | "--grace-period" | "--cascade" | "--overwrite" | "--dry-run"
        | "--record" | "--save-config" | "--field-manager" | "--server-side"
        | "--force-conflicts" | "--prune" | "--type" | "--patch" => Some(format!(
            "`{spelled}` belongs to write commands; klue is read-only"
        )),
        "--template" | "--allow-missing-template-keys" => Some(format!(
            "`{spelled}` (Go templates) is not available; use `-o jsonpath=…` or `-o custom-columns=…`"
        )),
        "--flatten" => Some(format!(
            "`{spelled}` would embed certificates and keys in the output; credentials are never shown"
        )),
        _ => None,
    }
}

/// The message for a flag klue does not know at all.
pub fn unknown_flag(spelled: &str) -> String {
    format!("unknown flag `{spelled}`: klue accepts only the read-only kubectl flags it knows")
}

/// The message for a known flag used with a verb it does not apply to.
pub fn flag_not_for(spelled: &str, verb: &str) -> String {
    format!("flag `{spelled}` does not apply to `{verb}`")
}

/// The message for a first word that is neither allowed nor a known refused verb.
pub fn unknown_verb(verb: &str) -> String {
    format!(
        "unknown command `{verb}`: klue runs get, describe, logs, events, top, rollout history|status, auth can-i|whoami, api-resources, api-versions, version, cluster-info and config current-context|get-contexts|view"
    )
}

/// Upper bound for `--max-log-requests` (how many pods `logs -l` may read at once).
pub const MAX_LOG_REQUESTS: u32 = 20;
