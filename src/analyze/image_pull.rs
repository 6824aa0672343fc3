//! ImagePullBackOff / ErrImagePull / InvalidImageName: missing tag, auth, bad name.

use super::pod::{PodFinding, workload_name};
use super::util::{
    containers_with_status, event_line, meta_name, meta_namespace, s, sp, warning_messages,
};
use super::{ClusterView, Finding, Severity};

pub fn analyze(view: &ClusterView) -> Vec<Finding> {
    let mut out = Vec::new();
    for pod in view.all("Pod") {
        let ns = meta_namespace(pod).unwrap_or("");
        let name = meta_name(pod);
        for init in [true, false] {
            for (spec, status) in containers_with_status(pod, init) {
                let Some(st) = status else { continue };
                let reason = sp(st, "/state/waiting/reason");
                if !matches!(
                    reason,
                    "ImagePullBackOff" | "ErrImagePull" | "InvalidImageName" | "ErrImageNeverPull"
                ) {
                    continue;
                }
                let container = s(spec, "name");
                let image = s(spec, "image");
                let msg = sp(st, "/state/waiting/message");
                let events = view.events_for("Pod", ns, name);
                let failed =
                    warning_messages(&events, &["Failed", "ErrImagePull", "InspectFailed"]);
                let mut evidence = vec![format!("container {container} image {image}: {reason}")];
                if !msg.is_empty() {
                    evidence.push(format!("status message: {msg}"));
                }
                for e in failed.iter().rev().take(2) {
                    evidence.push(event_line(e));
                }
                let text = format!(
                    "{msg} {}",
                    failed
                        .iter()
                        .map(|e| s(e, "message"))
                        .collect::<Vec<_>>()
                        .join(" ")
                )
                .to_ascii_lowercase();
                let (cause, fix) = if reason == "InvalidImageName" {
                    (
                        "the image reference is not a valid name".to_string(),
                        format!("Correct the image reference `{image}`."),
                    )
                } else if text.contains("unauthorized")
                    || text.contains("authentication required")
                    || text.contains("access denied")
                    || text.contains("denied")
                    || text.contains("forbidden")
                {
                    (
                        "the registry refused the pull: credentials are missing or wrong"
                            .to_string(),
                        format!(
                            "Add an imagePullSecret with valid registry credentials to the {} (or its ServiceAccount), or make the repository readable.",
                            workload_name(pod)
                        ),
                    )
                } else if text.contains("not found")
                    || text.contains("manifest unknown")
                    || text.contains("does not exist")
                {
                    (
                        format!("the image or tag `{image}` does not exist in the registry"),
                        format!(
                            "Fix the image tag in the {} spec to one that exists (check the registry for the pushed tags).",
                            workload_name(pod)
                        ),
                    )
                } else if text.contains("no such host")
                    || text.contains("i/o timeout")
                    || text.contains("connection refused")
                {
                    (
                        "the node cannot reach the registry".to_string(),
                        "Check the registry host name and the nodes' network/DNS access to it."
                            .to_string(),
                    )
                } else {
                    (
                        format!("the image `{image}` cannot be pulled"),
                        format!(
                            "Check that `{image}` exists and the node can pull it (tag, registry credentials, network)."
                        ),
                    )
                };
                out.push(
                    PodFinding {
                        pod,
                        analyzer: "image-pull",
                        severity: Severity::Critical,
                        rank: 10,
                    }
                    .build(
                        format!(
                            "container {container} cannot pull image {image} ({reason}): {cause}"
                        ),
                        format!("The kubelet cannot start the container because {cause}."),
                        evidence,
                        fix,
                        vec![],
                    ),
                );
            }
        }
    }
    out
}
