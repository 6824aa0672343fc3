//! What klue never shows: Secret values (replaced by their byte size), copies of them in
//! annotations and labels, credential-looking env values and args, credentials in
//! ConfigMaps, and `managedFields` (omitted, as kubectl does). The decisions are
//! [`crate::redact`]'s (one credential vocabulary for every masker).

use serde_json::Value;

use crate::redact;

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Prepare an object for display and for analyzers: no managedFields, no secret values.
pub fn sanitize(obj: &mut Value) {
    redact::mask_object(obj);
    // last-applied holds a copy of the object as applied: sanitize it the same way (a
    // Secret's copy is gone already)
    let annotation = obj
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
        .and_then(|a| a.get_mut(LAST_APPLIED));
    if let Some(Value::String(text)) = annotation
        && let Ok(mut inner) = serde_json::from_str::<Value>(text)
    {
        let before = inner.clone();
        redact::mask_object(&mut inner);
        if inner != before {
            *text = format!("{}\n", super::json::to_json_compact(&inner));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_show_sizes_only() {
        let mut s = json!({"kind": "Secret", "apiVersion": "v1",
            "metadata": {"name": "db", "managedFields": [{"manager": "x"}],
                "annotations": {LAST_APPLIED: "{\"data\":{\"password\":\"aHVudGVyMg==\"}}"}},
            "data": {"password": "aHVudGVyMg==", "user": "YWRtaW4="},
            "stringData": {"x": "plain"}});
        sanitize(&mut s);
        let text = s.to_string();
        assert!(!text.contains("aHVudGVyMg"), "{text}");
        assert!(!text.contains("YWRtaW4"), "{text}");
        assert!(!text.contains("plain"), "{text}");
        assert_eq!(s["data"]["password"], "<redacted: 7 bytes>");
        assert_eq!(s["data"]["user"], "<redacted: 5 bytes>");
        assert!(s["metadata"].get("managedFields").is_none());
    }

    #[test]
    fn credential_env_values_are_masked_everywhere() {
        let mut d = json!({"kind": "Deployment", "metadata": {"annotations": {LAST_APPLIED:
        "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"env\":[{\"name\":\"DB_PASSWORD\",\"value\":\"hunter2\"}]}]}}}}"}},
        "spec": {"template": {"spec": {"containers": [{"env": [
            {"name": "DB_PASSWORD", "value": "hunter2"},
            {"name": "api_token", "value": "abc"},
            {"name": "MODE", "value": "prod"},
            {"name": "FROM", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}
        ]}]}}}});
        sanitize(&mut d);
        let text = d.to_string();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(!text.contains("\"abc\""), "{text}");
        assert!(text.contains("prod"));
        assert!(text.contains("secretKeyRef"));
    }
}

#[cfg(test)]
mod twice {
    use super::*;
    use serde_json::json;

    /// Objects are sanitized where they are read and again where they are shown: the second
    /// pass keeps what the first made (a Secret's sizes stay sizes).
    #[test]
    fn sanitizing_twice_changes_nothing() {
        let mut s = json!({"kind": "Secret", "apiVersion": "v1",
            "metadata": {"name": "db-credentials", "namespace": "shop", "labels": {"app": "web"}},
            "type": "Opaque",
            "data": {"password": "c3VwZXItc2VjcmV0LXBhc3N3b3JkLTE=", "username": "YWRtaW4="}});
        sanitize(&mut s);
        let once = s.clone();
        sanitize(&mut s);
        assert_eq!(s, once);
    }
}
