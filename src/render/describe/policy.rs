//! PodDisruptionBudgets (policy/v1 and v1beta1 share the layout).

use serde_json::Value;

use super::Related;
use super::events::describe_events;
use super::writer::*;

/// `kubectl describe pdb`.
pub fn describe_pdb(pdb: &Value, rel: &Related) -> String {
    let mut w = W::new();
    w.w(0, &format!("Name:\t{}\n", s(pdb, &["metadata", "name"])));
    w.w(
        0,
        &format!("Namespace:\t{}\n", s(pdb, &["metadata", "namespace"])),
    );
    if let Some(v) = get(pdb, &["spec", "minAvailable"]) {
        w.w(0, &format!("Min available:\t{}\n", scalar(v)));
    } else if let Some(v) = get(pdb, &["spec", "maxUnavailable"]) {
        w.w(0, &format!("Max unavailable:\t{}\n", scalar(v)));
    }
    match get(pdb, &["spec", "selector"]) {
        Some(sel) => w.w(
            0,
            &format!("Selector:\t{}\n", format_label_selector(Some(sel))),
        ),
        None => w.w(0, "Selector:\t<unset>\n"),
    }
    w.w(0, "Status:\n");
    for (title, key) in [
        ("Allowed disruptions", "disruptionsAllowed"),
        ("Current", "currentHealthy"),
        ("Desired", "desiredHealthy"),
        ("Total", "expectedPods"),
    ] {
        w.w(2, &format!("{title}:\t{}\n", i(pdb, &["status", key])));
    }
    if let Some(ev) = &rel.events {
        describe_events(&mut w, ev);
    }
    w.finish()
}
