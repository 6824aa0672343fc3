//! ConfigMaps (data shown) and Secrets (keys and byte sizes only, never values).

use serde_json::Value;

use super::Related;
use super::events::describe_events;
use super::writer::*;

/// `kubectl describe configmap` (keys sorted, so the output is stable).
pub fn describe_config_map(cm: &Value, rel: &Related) -> String {
    let mut w = W::new();
    w.w(0, &format!("Name:\t{}\n", s(cm, &["metadata", "name"])));
    w.w(
        0,
        &format!("Namespace:\t{}\n", s(cm, &["metadata", "namespace"])),
    );
    labels_multiline(&mut w, "Labels", &str_map(cm, &["metadata", "labels"]));
    annotations_multiline(
        &mut w,
        "Annotations",
        &str_map(cm, &["metadata", "annotations"]),
    );
    w.w(0, "\nData\n====\n");
    for (k, v) in str_map(cm, &["data"]) {
        w.w(0, &format!("{k}:\n----\n"));
        w.w(0, &format!("{v}\n"));
        w.w(0, "\n");
    }
    w.w(0, "\nBinaryData\n====\n");
    for (k, v) in str_map(cm, &["binaryData"]) {
        w.w(0, &format!("{k}: {} bytes\n", base64_len(&v)));
    }
    w.w(0, "\n");
    if let Some(ev) = &rel.events {
        describe_events(&mut w, ev);
    }
    w.finish()
}

/// Decoded length of a base64 string, without decoding it.
pub fn base64_len(b64: &str) -> usize {
    let clean: Vec<u8> = b64.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    let len = clean.len();
    if len.is_multiple_of(4) {
        let pad = clean
            .iter()
            .rev()
            .take_while(|&&c| c == b'=')
            .count()
            .min(2);
        (len / 4) * 3 - if len == 0 { 0 } else { pad }
    } else {
        (len / 4) * 3 + (len % 4).saturating_sub(1)
    }
}

/// The size of a Secret value: base64 as stored, or the size a sanitized object kept
/// (`<redacted: N bytes>`).
fn value_len(v: &str) -> usize {
    v.strip_prefix("<redacted: ")
        .and_then(|r| r.strip_suffix(" bytes>"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| base64_len(v))
}

/// `kubectl describe secret`: keys with their decoded byte sizes, never the values (not
/// even a service-account token, which kubectl would print).
pub fn describe_secret(secret: &Value) -> String {
    let mut w = W::new();
    w.w(0, &format!("Name:\t{}\n", s(secret, &["metadata", "name"])));
    w.w(
        0,
        &format!("Namespace:\t{}\n", s(secret, &["metadata", "namespace"])),
    );
    labels_multiline(&mut w, "Labels", &str_map(secret, &["metadata", "labels"]));
    annotations_multiline(
        &mut w,
        "Annotations",
        &str_map(secret, &["metadata", "annotations"]),
    );
    w.w(0, &format!("\nType:\t{}\n", s(secret, &["type"])));
    w.w(0, "\nData\n====\n");
    let mut keys: Vec<(String, usize)> = get(secret, &["data"])
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().map(value_len).unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default();
    keys.sort();
    for (k, len) in keys {
        w.w(0, &format!("{k}:\t{len} bytes\n"));
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn base64_lengths() {
        assert_eq!(base64_len(""), 0);
        assert_eq!(base64_len("YQ=="), 1);
        assert_eq!(base64_len("YWI="), 2);
        assert_eq!(base64_len("YWJj"), 3);
        assert_eq!(base64_len("czNjcjN0LXZhbHVlLVhZWg=="), 16);
    }

    #[test]
    fn secret_values_never_appear() {
        let secret = json!({"metadata": {"name": "db", "namespace": "shop"}, "type": "kubernetes.io/service-account-token",
            "data": {"token": "c3VwZXJzZWNyZXR0b2tlbg==", "password": "czNjcjN0LXZhbHVlLVhZWg=="}});
        let out = describe_secret(&secret);
        assert!(
            out.contains("password:  16 bytes\ntoken:     16 bytes\n"),
            "{out}"
        );
        assert!(!out.contains("c3VwZXJ"));
        assert!(!out.contains("supersecrettoken"));
    }
}
