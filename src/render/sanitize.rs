//! What klue never shows: Secret values (replaced by their byte size), credential-looking
//! env values, and `managedFields` (omitted, as kubectl does).

use serde_json::Value;

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Whether an env var name looks like it holds a credential.
pub fn is_credential_name(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    [
        "PASSWORD",
        "PASSWD",
        "PWD",
        "TOKEN",
        "SECRET",
        "KEY",
        "CREDENTIAL",
        "PRIVATE",
        "AUTH",
        "CERT",
        "DSN",
        "CONNECTION_STRING",
        "SESSION",
        "COOKIE",
        "SALT",
    ]
    .iter()
    .any(|w| n.contains(w))
}

/// Prepare an object for display and for analyzers: no managedFields, no secret values.
pub fn sanitize(obj: &mut Value) {
    if let Some(md) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        md.remove("managedFields");
    }
    let is_secret = obj.get("kind").and_then(Value::as_str) == Some("Secret");
    if is_secret {
        redact_secret(obj);
    }
    mask_env(obj);
    // last-applied holds a copy of the object as applied: sanitize it the same way
    let annotation = obj
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
        .and_then(|a| a.get_mut(LAST_APPLIED));
    if let Some(Value::String(text)) = annotation {
        if is_secret {
            *text = "<redacted: last-applied configuration of a Secret>".into();
        } else if let Ok(mut inner) = serde_json::from_str::<Value>(text) {
            let before = inner.clone();
            mask_env(&mut inner);
            if inner.get("kind").and_then(Value::as_str) == Some("Secret") {
                redact_secret(&mut inner);
            }
            if inner != before {
                *text = format!("{}\n", super::json::to_json_compact(&inner));
            }
        }
    }
}

fn redact_secret(obj: &mut Value) {
    for field in ["data", "stringData"] {
        if let Some(Value::Object(data)) = obj.get_mut(field) {
            for (_, v) in data.iter_mut() {
                let n = match v {
                    Value::String(s) if field == "data" => decoded_len(s),
                    Value::String(s) => s.len(),
                    _ => 0,
                };
                *v = Value::String(format!("<redacted: {n} bytes>"));
            }
        }
    }
}

/// Byte size of base64 data (without decoding it into memory we keep).
fn decoded_len(b64: &str) -> usize {
    let t = b64.trim_end_matches('=');
    let n = t.chars().filter(|c| !c.is_whitespace()).count();
    n * 3 / 4
}

/// Mask `value` of every `env` entry with a credential-looking name, anywhere in the tree.
fn mask_env(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                if k == "env"
                    && let Value::Array(items) = child
                {
                    for item in items.iter_mut() {
                        let name = item
                            .get("name")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string();
                        if is_credential_name(&name)
                            && let Some(val) = item.get_mut("value")
                            && val.is_string()
                        {
                            let n = val.as_str().map(str::len).unwrap_or(0);
                            *val = Value::String(format!("<redacted: {n} bytes>"));
                        }
                    }
                } else {
                    mask_env(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_env),
        _ => {}
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
