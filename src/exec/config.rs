//! `config current-context|get-contexts|view`, from the kubeconfig klue connected with.
//! `view` is redacted as `kubectl config view` does, and more (no tokens, passwords, keys or
//! exec-plugin environment values ever).

use super::{ExecError, Executor, Output};
use crate::cluster::ClusterError;
use crate::query::{ConfigKind, OutputFormat};
use crate::render::table::tabwrite;
use crate::render::{json, yaml};

pub fn run(ex: &Executor, kind: &ConfigKind) -> Result<Output, ExecError> {
    let cluster = ex.cluster();
    let Some(kc) = cluster.kubeconfig.as_ref() else {
        return Err(ExecError::NotCaptured {
            what: "there is no kubeconfig behind this connection (snapshot)".into(),
        });
    };
    let current = cluster
        .info
        .context
        .context()
        .unwrap_or_default()
        .to_string();
    match kind {
        ConfigKind::CurrentContext => Ok(Output::text(format!("{current}\n"))),
        ConfigKind::GetContexts { name } => {
            let mut contexts: Vec<_> = kc
                .config
                .contexts
                .iter()
                .filter(|c| name.as_ref().is_none_or(|n| *n == c.name))
                .collect();
            if let Some(n) = name
                && contexts.is_empty()
            {
                return Err(ExecError::Cluster(ClusterError::UnknownContext {
                    context: n.clone(),
                    available: kc.context_names(),
                }));
            }
            contexts.sort_by(|a, b| a.name.cmp(&b.name));
            let mut lines = vec![vec![
                "CURRENT".to_string(),
                "NAME".into(),
                "CLUSTER".into(),
                "AUTHINFO".into(),
                "NAMESPACE".into(),
            ]];
            for c in contexts {
                let ctx = c.context.as_ref();
                lines.push(vec![
                    if c.name == current {
                        "*".into()
                    } else {
                        String::new()
                    },
                    c.name.clone(),
                    ctx.map(|x| x.cluster.clone()).unwrap_or_default(),
                    ctx.and_then(|x| x.user.clone()).unwrap_or_default(),
                    ctx.and_then(|x| x.namespace.clone()).unwrap_or_default(),
                ]);
            }
            Ok(Output::text(tabwrite(&lines)))
        }
        ConfigKind::View { minify, output } => {
            let v = kc.redacted_view(minify.then_some(current.as_str()));
            let text = match output {
                OutputFormat::Json => json::to_json_indented(&v, "  "),
                _ => yaml::to_yaml(&v),
            };
            Ok(Output::text(text))
        }
    }
}
