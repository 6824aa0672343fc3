//! `rollout history|status` for deployments, statefulsets and daemonsets, as kubectl prints
//! them. `status` reports the current state once; it never waits or watches.

use serde_json::Value;

use super::api;
use super::describe::list_items;
use super::{ExecError, Executor, Output};
use crate::query::{ResourceRef, RolloutKind, Scope};
use crate::render::describe::pod::describe_pod_template;
use crate::render::describe::tabwriter::align;
use crate::render::describe::workloads::split_replica_sets;
use crate::render::describe::writer::{W, arr, get, i, s, selector_string};

pub async fn run(
    ex: &Executor,
    scope: &Scope,
    kind: &RolloutKind,
    target: &ResourceRef,
) -> Result<Output, ExecError> {
    let res = ex.resolve(&target.resource).await?;
    let supported = matches!(
        (res.group.as_str(), res.kind.as_str()),
        ("apps", "Deployment" | "StatefulSet" | "DaemonSet")
    );
    if !supported {
        return Err(ExecError::Unsupported {
            what: format!(
                "no {} has been implemented for {}",
                match kind {
                    RolloutKind::History { .. } => "history viewer",
                    RolloutKind::Status => "status viewer",
                },
                res.qualified_name()
            ),
        });
    }
    let name = target
        .name
        .clone()
        .ok_or_else(|| ExecError::InvalidArgument {
            message: "rollout needs a resource name (e.g. deployment/web)".to_string(),
        })?;
    let ns = ex
        .namespace_for(scope)
        .unwrap_or_else(|| ex.cluster().namespace().to_string());
    let mut obj = api::get_json(
        ex.cluster(),
        &res.object_path(Some(&ns), &name),
        api::ACCEPT_JSON,
    )
    .await?;
    // sanitized like the revisions listed below (their templates are compared with it)
    crate::render::sanitize::sanitize(&mut obj);
    let text = match kind {
        RolloutKind::Status => rollout_status(&res.kind, &obj)?,
        RolloutKind::History { revision } => {
            let history = match res.kind.as_str() {
                "Deployment" => {
                    let mut params = Vec::new();
                    let sel = selector_string(get(&obj, &["spec", "selector"]));
                    if !sel.is_empty() {
                        params.push(("labelSelector", sel));
                    }
                    let path = format!("/apis/apps/v1/namespaces/{ns}/replicasets");
                    let all = list_items(ex, &path, &params).await?;
                    let (old, new) = split_replica_sets(&obj, &all);
                    old.into_iter()
                        .chain(new)
                        .filter_map(|rs| {
                            let rev = s(
                                rs,
                                &[
                                    "metadata",
                                    "annotations",
                                    "deployment.kubernetes.io/revision",
                                ],
                            )
                            .parse::<i64>()
                            .ok()?;
                            let cause = s(
                                rs,
                                &["metadata", "annotations", "kubernetes.io/change-cause"],
                            )
                            .to_string();
                            Some((rev, cause, get(rs, &["spec", "template"]).cloned()))
                        })
                        .collect::<Vec<_>>()
                }
                _ => {
                    let uid = s(&obj, &["metadata", "uid"]).to_string();
                    let path = format!("/apis/apps/v1/namespaces/{ns}/controllerrevisions");
                    list_items(ex, &path, &[])
                        .await?
                        .iter()
                        .filter(|cr| {
                            arr(cr, &["metadata", "ownerReferences"]).iter().any(|r| {
                                r.get("controller").and_then(Value::as_bool) == Some(true)
                                    && s(r, &["uid"]) == uid
                            })
                        })
                        .map(|cr| {
                            (
                                i(cr, &["revision"]),
                                s(
                                    cr,
                                    &["metadata", "annotations", "kubernetes.io/change-cause"],
                                )
                                .to_string(),
                                get(cr, &["data", "spec", "template"]).cloned(),
                            )
                        })
                        .collect()
                }
            };
            let header = format!("{}/{name}", res.kind_prefix());
            history_text(&header, history, revision.filter(|r| *r > 0))?
        }
    };
    Ok(Output {
        text,
        truncated: false,
        objects: vec![obj],
    })
}

/// `rollout history` text from (revision, change cause, pod template) entries.
fn history_text(
    header: &str,
    mut entries: Vec<(i64, String, Option<Value>)>,
    revision: Option<i64>,
) -> Result<String, ExecError> {
    entries.sort_by_key(|e| e.0);
    entries.dedup_by_key(|e| e.0);
    if entries.is_empty() {
        return Ok(format!("{header} \nNo rollout history found.\n"));
    }
    if let Some(rev) = revision {
        let Some((_, _, template)) = entries.into_iter().find(|e| e.0 == rev) else {
            return Err(ExecError::InvalidArgument {
                message: "unable to find the specified revision".to_string(),
            });
        };
        // kubectl prints the template without aligning it.
        let mut w = W::new();
        describe_pod_template(&mut w, template.as_ref());
        return Ok(format!("{header} with revision #{rev}\n{}\n", w.raw_text()));
    }
    let mut table = String::from("REVISION\tCHANGE-CAUSE\n");
    for (rev, cause, _) in entries {
        let cause = if cause.is_empty() {
            "<none>".to_string()
        } else {
            cause
        };
        table.push_str(&format!("{rev}\t{cause}\n"));
    }
    Ok(format!("{header} \n{}\n", align(&table)))
}

/// kubectl's status viewers, evaluated once.
pub fn rollout_status(kind: &str, obj: &Value) -> Result<String, ExecError> {
    let name = s(obj, &["metadata", "name"]);
    let generation = i(obj, &["metadata", "generation"]);
    let st = obj.get("status").unwrap_or(&Value::Null);
    let observed = i(st, &["observedGeneration"]);
    let replicas = get(obj, &["spec", "replicas"]).and_then(Value::as_i64);
    match kind {
        "Deployment" => {
            if generation > observed {
                return Ok("Waiting for deployment spec update to be observed...\n".to_string());
            }
            let progressing = arr(st, &["conditions"])
                .iter()
                .find(|c| s(c, &["type"]) == "Progressing");
            if progressing.is_some_and(|c| s(c, &["reason"]) == "ProgressDeadlineExceeded") {
                return Err(ExecError::InvalidArgument {
                    message: format!("deployment \"{name}\" exceeded its progress deadline"),
                });
            }
            let (updated, total, available) = (
                i(st, &["updatedReplicas"]),
                i(st, &["replicas"]),
                i(st, &["availableReplicas"]),
            );
            if let Some(want) = replicas
                && updated < want
            {
                return Ok(format!(
                    "Waiting for deployment \"{name}\" rollout to finish: {updated} out of {want} new replicas have been updated...\n"
                ));
            }
            if total > updated {
                return Ok(format!(
                    "Waiting for deployment \"{name}\" rollout to finish: {} old replicas are pending termination...\n",
                    total - updated
                ));
            }
            if available < updated {
                return Ok(format!(
                    "Waiting for deployment \"{name}\" rollout to finish: {available} of {updated} updated replicas are available...\n"
                ));
            }
            Ok(format!("deployment \"{name}\" successfully rolled out\n"))
        }
        "DaemonSet" => {
            if s(obj, &["spec", "updateStrategy", "type"]) != "RollingUpdate" {
                return Err(ExecError::InvalidArgument {
                    message: "rollout status is only available for RollingUpdate strategy type"
                        .to_string(),
                });
            }
            if generation > observed {
                return Ok("Waiting for daemon set spec update to be observed...\n".to_string());
            }
            let (updated, desired, available) = (
                i(st, &["updatedNumberScheduled"]),
                i(st, &["desiredNumberScheduled"]),
                i(st, &["numberAvailable"]),
            );
            if updated < desired {
                return Ok(format!(
                    "Waiting for daemon set \"{name}\" rollout to finish: {updated} out of {desired} new pods have been updated...\n"
                ));
            }
            if available < desired {
                return Ok(format!(
                    "Waiting for daemon set \"{name}\" rollout to finish: {available} of {desired} updated pods are available...\n"
                ));
            }
            Ok(format!("daemon set \"{name}\" successfully rolled out\n"))
        }
        _ => {
            if s(obj, &["spec", "updateStrategy", "type"]) != "RollingUpdate" {
                return Err(ExecError::InvalidArgument {
                    message: "rollout status is only available for RollingUpdate strategy type"
                        .to_string(),
                });
            }
            if observed == 0 || generation > observed {
                return Ok("Waiting for statefulset spec update to be observed...\n".to_string());
            }
            let ready = i(st, &["readyReplicas"]);
            if let Some(want) = replicas
                && ready < want
            {
                return Ok(format!(
                    "Waiting for {} pods to be ready...\n",
                    want - ready
                ));
            }
            let updated = i(st, &["updatedReplicas"]);
            if get(obj, &["spec", "updateStrategy", "rollingUpdate"]).is_some() {
                if let (Some(want), Some(partition)) = (
                    replicas,
                    get(
                        obj,
                        &["spec", "updateStrategy", "rollingUpdate", "partition"],
                    )
                    .and_then(Value::as_i64),
                ) && updated < want - partition
                {
                    return Ok(format!(
                        "Waiting for partitioned roll out to finish: {updated} out of {} new pods have been updated...\n",
                        want - partition
                    ));
                }
                return Ok(format!(
                    "partitioned roll out complete: {updated} new pods have been updated...\n"
                ));
            }
            let (current_rev, update_rev) =
                (s(st, &["currentRevision"]), s(st, &["updateRevision"]));
            if update_rev != current_rev {
                return Ok(format!(
                    "waiting for statefulset rolling update to complete {updated} pods at revision {update_rev}...\n"
                ));
            }
            Ok(format!(
                "statefulset rolling update complete {} pods at revision {current_rev}...\n",
                i(st, &["currentReplicas"])
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn deployment_status_messages() {
        let d = |updated: i64, total: i64, available: i64| {
            json!({"metadata": {"name": "web", "generation": 2}, "spec": {"replicas": 3},
                   "status": {"observedGeneration": 2, "updatedReplicas": updated, "replicas": total, "availableReplicas": available}})
        };
        assert_eq!(
            rollout_status("Deployment", &d(1, 3, 1)).ok().as_deref(),
            Some(
                "Waiting for deployment \"web\" rollout to finish: 1 out of 3 new replicas have been updated...\n"
            )
        );
        assert_eq!(
            rollout_status("Deployment", &d(3, 4, 3)).ok().as_deref(),
            Some(
                "Waiting for deployment \"web\" rollout to finish: 1 old replicas are pending termination...\n"
            )
        );
        assert_eq!(
            rollout_status("Deployment", &d(3, 3, 1)).ok().as_deref(),
            Some(
                "Waiting for deployment \"web\" rollout to finish: 1 of 3 updated replicas are available...\n"
            )
        );
        assert_eq!(
            rollout_status("Deployment", &d(3, 3, 3)).ok().as_deref(),
            Some("deployment \"web\" successfully rolled out\n")
        );
        let stuck = json!({"metadata": {"name": "web", "generation": 1}, "spec": {"replicas": 1},
            "status": {"observedGeneration": 1, "conditions": [{"type": "Progressing", "reason": "ProgressDeadlineExceeded"}]}});
        assert_eq!(
            rollout_status("Deployment", &stuck)
                .err()
                .map(|e| e.to_string()),
            Some("error: deployment \"web\" exceeded its progress deadline".to_string())
        );
    }

    #[test]
    fn history_table() {
        let text = history_text(
            "deployment.apps/web",
            vec![
                (2, String::new(), None),
                (1, "kubectl set image".into(), None),
            ],
            None,
        )
        .ok();
        assert_eq!(
            text.as_deref(),
            Some(
                "deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         kubectl set image\n2         <none>\n\n"
            )
        );
    }
}
