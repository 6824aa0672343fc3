//! Loading the kubeconfig as kubectl does (`--kubeconfig`, else `$KUBECONFIG`, else
//! `~/.kube/config`) and showing it redacted as `kubectl config view` does.

use std::path::{Path, PathBuf};

use kube::config::Kubeconfig;
use serde_json::{Map, Value};

use super::ClusterError;

/// A kubeconfig as read from disk (merged when `$KUBECONFIG` names several files).
#[derive(Debug, Clone)]
pub struct LoadedKubeconfig {
    pub config: Kubeconfig,
    /// The files it came from.
    pub paths: Vec<PathBuf>,
}

impl LoadedKubeconfig {
    /// Context names, in file order.
    pub fn context_names(&self) -> Vec<String> {
        self.config
            .contexts
            .iter()
            .map(|c| c.name.clone())
            .collect()
    }

    /// The kubeconfig as `kubectl config view` prints it: certificate and key data replaced
    /// by `DATA+OMITTED`, tokens and passwords by `REDACTED`; in addition exec-plugin
    /// environment values and auth-provider settings are `REDACTED` too. With `minify`, only
    /// the given context (and its cluster and user) is kept.
    pub fn redacted_view(&self, minify_context: Option<&str>) -> Value {
        let mut v = serde_json::to_value(&self.config).unwrap_or(Value::Null);
        let Value::Object(obj) = &mut v else {
            return Value::Object(Map::new());
        };
        obj.entry("apiVersion").or_insert_with(|| Value::from("v1"));
        obj.entry("kind").or_insert_with(|| Value::from("Config"));
        obj.entry("preferences")
            .or_insert_with(|| Value::Object(Map::new()));
        obj.entry("current-context")
            .or_insert_with(|| Value::from(""));
        // kubectl holds these as maps: printed sorted by name, `null` when empty
        for key in ["clusters", "contexts", "users"] {
            let entry = obj.entry(key).or_insert(Value::Null);
            if let Value::Array(a) = entry {
                a.sort_by(|x, y| {
                    let name = |v: &Value| v.get("name").and_then(Value::as_str).map(String::from);
                    name(x).cmp(&name(y))
                });
                if a.is_empty() {
                    *entry = Value::Null;
                }
            }
        }
        if let Some(ctx) = minify_context {
            minify(obj, ctx);
        }
        redact(&mut v, None);
        v
    }
}

fn minify(obj: &mut Map<String, Value>, ctx: &str) {
    let mut cluster = None;
    let mut user = None;
    if let Some(Value::Array(contexts)) = obj.get_mut("contexts") {
        contexts.retain(|c| c.get("name").and_then(Value::as_str) == Some(ctx));
        if let Some(c) = contexts.first() {
            cluster = c
                .pointer("/context/cluster")
                .and_then(Value::as_str)
                .map(String::from);
            user = c
                .pointer("/context/user")
                .and_then(Value::as_str)
                .map(String::from);
        }
    }
    for (key, keep) in [("clusters", cluster), ("users", user)] {
        if let Some(Value::Array(items)) = obj.get_mut(key) {
            items.retain(|c| c.get("name").and_then(Value::as_str) == keep.as_deref());
        }
    }
    obj.insert("current-context".into(), Value::from(ctx));
}

/// Replace secret material, keyed on the field name.
fn redact(v: &mut Value, parent_key: Option<&str>) {
    match v {
        Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                match k.as_str() {
                    "certificate-authority-data"
                    | "client-certificate-data"
                    | "client-key-data" => {
                        if !val.is_null() {
                            *val = Value::from("DATA+OMITTED");
                        }
                    }
                    "token" | "password" | "id-token" | "refresh-token" | "client-secret"
                    | "access-token" => {
                        if !val.is_null() {
                            *val = Value::from("REDACTED");
                        }
                    }
                    // auth-provider settings carry tokens under arbitrary keys
                    "config" if parent_key == Some("auth-provider") => {
                        if let Value::Object(cfg) = val {
                            for (_, x) in cfg.iter_mut() {
                                *x = Value::from("REDACTED");
                            }
                        }
                    }
                    "env" if parent_key == Some("exec") => {
                        if let Value::Array(items) = val {
                            for item in items {
                                if let Some(value) = item.get_mut("value") {
                                    *value = Value::from("REDACTED");
                                }
                            }
                        }
                    }
                    _ => redact(val, Some(k.as_str())),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                redact(item, parent_key);
            }
        }
        _ => {}
    }
}

fn default_path() -> Option<PathBuf> {
    dirs::home_dir().map(|h| h.join(".kube").join("config"))
}

/// Load the kubeconfig kubectl would use.
pub fn load(explicit: Option<&Path>) -> Result<LoadedKubeconfig, ClusterError> {
    if let Some(p) = explicit {
        return load_files(&[p.to_path_buf()], true);
    }
    if let Some(value) = std::env::var_os("KUBECONFIG") {
        let paths: Vec<PathBuf> = std::env::split_paths(&value)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        if !paths.is_empty() {
            return load_files(&paths, false);
        }
    }
    let p = default_path().ok_or(ClusterError::NoKubeconfig)?;
    load_files(&[p], true)
}

fn load_files(paths: &[PathBuf], must_exist: bool) -> Result<LoadedKubeconfig, ClusterError> {
    let mut merged: Option<Kubeconfig> = None;
    let mut used = Vec::new();
    for p in paths {
        if !p.exists() {
            if must_exist || paths.len() == 1 {
                return Err(ClusterError::KubeconfigNotFound {
                    path: p.display().to_string(),
                });
            }
            // kubectl skips missing files in a $KUBECONFIG list
            continue;
        }
        let cfg = read_one(p)?;
        merged = Some(match merged {
            None => cfg,
            Some(m) => m
                .merge(cfg)
                .map_err(|e| ClusterError::KubeconfigMalformed {
                    path: p.display().to_string(),
                    detail: e.to_string(),
                })?,
        });
        used.push(p.clone());
    }
    let Some(config) = merged else {
        return Err(ClusterError::KubeconfigNotFound {
            path: paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(":"),
        });
    };
    Ok(LoadedKubeconfig {
        config,
        paths: used,
    })
}

fn read_one(p: &Path) -> Result<Kubeconfig, ClusterError> {
    let path = p.display().to_string();
    let text = std::fs::read_to_string(p).map_err(|e| ClusterError::KubeconfigUnreadable {
        path: path.clone(),
        detail: e.to_string(),
    })?;
    // A quick structural check first, so the message names what is wrong.
    if !text.trim().is_empty() {
        let doc: serde_yaml::Value =
            serde_yaml::from_str(&text).map_err(|e| ClusterError::KubeconfigMalformed {
                path: path.clone(),
                detail: format!("not valid YAML: {e}"),
            })?;
        if !matches!(doc, serde_yaml::Value::Mapping(_) | serde_yaml::Value::Null) {
            return Err(ClusterError::KubeconfigMalformed {
                path,
                detail:
                    "the top level must be a mapping (apiVersion, clusters, contexts, users, ...)"
                        .into(),
            });
        }
    }
    Kubeconfig::read_from(p).map_err(|e| ClusterError::KubeconfigMalformed {
        path,
        detail: match e {
            kube::config::KubeconfigError::Parse(inner) => inner.to_string(),
            other => other.to_string(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CFG: &str = r#"
apiVersion: v1
kind: Config
clusters:
- name: c1
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: Zm9v
contexts:
- name: ctx1
  context: {cluster: c1, user: u1, namespace: shop}
- name: ctx2
  context: {cluster: c1, user: u2}
current-context: ctx1
users:
- name: u1
  user:
    token: supersecrettoken
    client-key-data: a2V5
- name: u2
  user:
    username: bob
    password: hunter2
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: get-token
      env:
      - name: AWS_SECRET_ACCESS_KEY
        value: verysecret
"#;

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config");
        std::fs::write(&p, text).unwrap();
        (dir, p)
    }

    #[test]
    fn view_redacts_every_secret() {
        let (_d, p) = write(CFG);
        let k = load(Some(&p)).unwrap();
        let v = k.redacted_view(None);
        let s = serde_json::to_string(&v).unwrap();
        for secret in ["supersecrettoken", "a2V5", "Zm9v", "hunter2", "verysecret"] {
            assert!(!s.contains(secret), "{secret} leaked: {s}");
        }
        assert!(s.contains("DATA+OMITTED"));
        assert!(s.contains("REDACTED"));
        assert_eq!(k.context_names(), vec!["ctx1", "ctx2"]);
        let names: Vec<&str> = v["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, vec!["u1", "u2"]);
    }

    #[test]
    fn minify_keeps_one_context() {
        let (_d, p) = write(CFG);
        let k = load(Some(&p)).unwrap();
        let v = k.redacted_view(Some("ctx2"));
        assert_eq!(v["contexts"].as_array().unwrap().len(), 1);
        assert_eq!(v["users"][0]["name"], "u2");
    }

    #[test]
    fn missing_file_is_named() {
        let err = load(Some(Path::new("/nonexistent/kubeconfig"))).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/kubeconfig"), "{err}");
    }

    #[test]
    fn malformed_file_says_what_is_wrong() {
        let (_d, p) = write("clusters: [\n  - name: x\n  bad");
        let err = load(Some(&p)).unwrap_err();
        assert!(
            matches!(err, ClusterError::KubeconfigMalformed { .. }),
            "{err}"
        );
        let (_d2, p2) = write("- just\n- a list\n");
        let err = load(Some(&p2)).unwrap_err().to_string();
        assert!(err.contains("top level"), "{err}");
        let (_d3, p3) = write("contexts: 5\n");
        let err = load(Some(&p3)).unwrap_err();
        assert!(
            matches!(err, ClusterError::KubeconfigMalformed { .. }),
            "{err}"
        );
    }
}
