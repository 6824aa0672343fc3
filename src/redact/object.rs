//! Masking of parsed Kubernetes objects: what structure reveals and free text cannot.
//!
//! - a Secret's `data`/`stringData` values (replaced by their byte size);
//! - on a Secret, every annotation and label value holding a copy of a data value (raw,
//!   base64 or JSON-escaped) or a manifest of a Secret (last-applied, kapp's `original` and
//!   `original-diff`, any other tool's copy);
//! - on any object, an annotation holding a Secret manifest;
//! - env values whose name is in the credential [vocabulary](super::vocabulary), and env
//!   values that look like credentials (URLs with passwords, tokens);
//! - `args`/`command` elements: `--password VALUE` split over two elements, or one;
//! - ConfigMap values under a credential key, and credential shapes inside any ConfigMap
//!   value (the text rules).
//!
//! [`mask_object`] reports what it removed, so `klue snapshot` can say it.

use std::sync::LazyLock;

use base64::Engine;
use regex::Regex;
use serde_json::{Map, Value};

use super::{MASK, vocabulary};

/// What masking one or more objects removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Removed {
    /// Secret `data`/`stringData` values.
    pub secret_values: usize,
    /// Annotation and label values (copies of Secret values or Secret manifests).
    pub metadata_copies: usize,
    /// Env values, args and ConfigMap values masked as credentials.
    pub credentials: usize,
    /// `managedFields` dropped.
    pub managed_fields: usize,
    /// Credentials the text rules found (tokens, keys, `password=` pairs, URLs, PEM blocks).
    pub text_matches: usize,
}

impl Removed {
    pub fn add(&mut self, other: Removed) {
        self.secret_values += other.secret_values;
        self.metadata_copies += other.metadata_copies;
        self.credentials += other.credentials;
        self.managed_fields += other.managed_fields;
        self.text_matches += other.text_matches;
    }

    pub fn total(&self) -> usize {
        self.secret_values + self.metadata_copies + self.credentials + self.text_matches
    }

    /// `12 Secret values, 3 copies in annotations or labels, ...` (what was removed, for
    /// people).
    pub fn summary(&self) -> String {
        format!(
            "{} Secret values, {} copies of Secret data in annotations or labels, {} credentials in env, args or ConfigMaps, {} credentials found in text, {} managedFields",
            self.secret_values,
            self.metadata_copies,
            self.credentials,
            self.text_matches,
            self.managed_fields
        )
    }
}

pub use super::vocabulary::COPY_MASK;

/// Mask one object in place (see the module documentation); `managedFields` is dropped.
pub fn mask_object(obj: &mut Value) -> Removed {
    let mut removed = Removed::default();
    if let Some(md) = obj.get_mut("metadata").and_then(Value::as_object_mut)
        && md.remove("managedFields").is_some()
    {
        removed.managed_fields += 1;
    }
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    match kind {
        "Secret" => {
            let values = secret_values(obj);
            removed.secret_values += mask_secret_data(obj);
            removed.metadata_copies += mask_metadata_copies(obj, &values);
        }
        "ConfigMap" => removed.credentials += mask_config_map(obj),
        _ => {}
    }
    removed.metadata_copies += mask_manifest_annotations(obj);
    removed.credentials += mask_containers(obj);
    removed
}

/// `kind: Secret` however a copy writes it: JSON or YAML, key and value quoted or not,
/// single or double quotes, any spaces (escapes are undone first); where a field sits
/// (a line's start, after `{` or `,`), so prose that says "a kind: Secret holds data:" is
/// no manifest; not `SecretList` or `SecretProviderClass`.
static SECRET_KIND: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r#"(?m)(?:^|[{,])\s*(?:-\s+)?["']?kind["']?\s*:\s*["']?Secret["']?\s*(?:$|[,}])"#)
        .ok()
});

/// A data field of a manifest (`"data":`, `stringData:`, `'data' :`), where a field sits.
static DATA_FIELD: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r#"(?m)(?:^|[{,])\s*(?:-\s+)?["']?(?:data|stringData)["']?\s*:"#).ok()
});

/// A JSON patch on a Secret's data (`"path": "/data/x"`, kapp's `original-diff`).
static PATCH_PATH: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"["']/(?:data|stringData)(?:/|["'])"#).ok());

/// Whether `text` holds (a piece of) a Secret manifest: a `kind: Secret` with data, or data
/// paths of a patch.
pub fn holds_secret_manifest(text: &str) -> bool {
    if !text.contains("Secret") && !text.contains("/data") && !text.contains("/stringData") {
        return false;
    }
    // escaped newlines are newlines, tabs spaces; other escapes go (`\"kind\": \"Secret\"`)
    let t = text
        .replace("\\n", "\n")
        .replace("\\r", " ")
        .replace("\\t", " ")
        .replace('\\', "");
    let found = |re: &LazyLock<Option<Regex>>| re.as_ref().is_some_and(|re| re.is_match(&t));
    (found(&SECRET_KIND) && found(&DATA_FIELD)) || found(&PATCH_PATH)
}

/// Every value of a Secret in the forms a copy may take: as stored (base64), decoded, and
/// JSON-escaped.
fn secret_values(obj: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let engine = base64::engine::general_purpose::STANDARD;
    let push = |s: String, out: &mut Vec<String>| {
        if !s.is_empty() {
            let escaped = serde_json::to_string(&s).unwrap_or_default();
            let escaped = escaped.trim_matches('"').to_string();
            if escaped != s && !escaped.is_empty() {
                out.push(escaped);
            }
            out.push(s);
        }
    };
    if let Some(Value::Object(data)) = obj.get("data") {
        for v in data.values().filter_map(Value::as_str) {
            push(v.to_string(), &mut out);
            let clean: String = v.chars().filter(|c| !c.is_whitespace()).collect();
            if let Ok(bytes) = engine.decode(clean.as_bytes())
                && let Ok(text) = String::from_utf8(bytes)
            {
                push(text, &mut out);
            }
        }
    }
    if let Some(Value::Object(data)) = obj.get("stringData") {
        for v in data.values().filter_map(Value::as_str) {
            push(v.to_string(), &mut out);
            push(engine.encode(v.as_bytes()), &mut out);
        }
    }
    out
}

/// Replace a Secret's values by their sizes; returns how many.
fn mask_secret_data(obj: &mut Value) -> usize {
    let mut n = 0;
    for field in ["data", "stringData"] {
        if let Some(Value::Object(data)) = obj.get_mut(field) {
            for v in data.values_mut() {
                let len = match &*v {
                    // masked already (an object sanitized twice keeps its sizes)
                    Value::String(s) if is_size_mask(s) => continue,
                    Value::String(s) if field == "data" => decoded_len(s),
                    Value::String(s) => s.len(),
                    _ => 0,
                };
                *v = Value::String(format!("<redacted: {len} bytes>"));
                n += 1;
            }
        }
    }
    n
}

/// `<redacted: N bytes>`, what [`mask_secret_data`] leaves.
fn is_size_mask(s: &str) -> bool {
    s.strip_prefix("<redacted: ")
        .and_then(|r| r.strip_suffix(" bytes>"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Decoded size of base64 data.
fn decoded_len(b64: &str) -> usize {
    let n = b64
        .trim_end_matches('=')
        .chars()
        .filter(|c| !c.is_whitespace())
        .count();
    n * 3 / 4
}

/// Whether `text` contains one of a Secret's values. Short values (under 4 bytes) only count
/// when they are the whole text: `a` is in too many strings to mean anything.
fn contains_value(text: &str, values: &[String]) -> bool {
    values
        .iter()
        .any(|v| text == v || (v.len() >= 4 && text.contains(v.as_str())))
}

/// On a Secret: annotations and labels that copy its data or hold a manifest of it.
fn mask_metadata_copies(obj: &mut Value, values: &[String]) -> usize {
    let mut n = 0;
    for field in ["annotations", "labels"] {
        let Some(map) = obj
            .pointer_mut(&format!("/metadata/{field}"))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        for v in map.values_mut() {
            if let Value::String(s) = v
                && s != COPY_MASK
                && (holds_secret_manifest(s) || contains_value(s, values))
            {
                *s = COPY_MASK.to_string();
                n += 1;
            }
        }
    }
    n
}

/// On any object: annotations that hold a Secret manifest (a tool's copy of one it applied).
fn mask_manifest_annotations(obj: &mut Value) -> usize {
    let mut n = 0;
    match obj {
        Value::Object(m) => {
            // this object's own annotations, then those of embedded objects (pod templates of
            // workloads, job templates of CronJobs, a ControllerRevision's data, list items)
            if let Some(Value::Object(ann)) = m
                .get_mut("metadata")
                .and_then(|md| md.get_mut("annotations"))
            {
                for v in ann.values_mut() {
                    if let Value::String(s) = v
                        && s != COPY_MASK
                        && holds_secret_manifest(s)
                    {
                        *s = COPY_MASK.to_string();
                        n += 1;
                    }
                }
            }
            for (k, child) in m.iter_mut() {
                if k != "metadata" && (child.is_object() || child.is_array()) {
                    n += mask_manifest_annotations(child);
                }
            }
        }
        Value::Array(items) => {
            for item in items.iter_mut() {
                n += mask_manifest_annotations(item);
            }
        }
        _ => {}
    }
    n
}

/// A ConfigMap: values under credential keys, and credential shapes in any value.
fn mask_config_map(obj: &mut Value) -> usize {
    let mut n = 0;
    if let Some(Value::Object(data)) = obj.get_mut("data") {
        for (k, v) in data.iter_mut() {
            if let Value::String(s) = v {
                if vocabulary::is_secret_name(k) && !vocabulary::is_harmless_value(k, s) {
                    *s = MASK.to_string();
                    n += 1;
                } else {
                    let r = super::redact(s);
                    if r != *s {
                        *s = r;
                        n += 1;
                    }
                }
            }
        }
    }
    if let Some(Value::Object(data)) = obj.get_mut("binaryData") {
        for (k, v) in data.iter_mut() {
            if vocabulary::is_secret_name(k) && v.is_string() {
                *v = Value::String(MASK.to_string());
                n += 1;
            }
        }
    }
    n
}

/// Every container-like entry anywhere in the tree (pod specs, templates, last-applied
/// copies parsed elsewhere): env values and args.
fn mask_containers(v: &mut Value) -> usize {
    let mut n = 0;
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                match (k.as_str(), &mut *child) {
                    ("env", Value::Array(items)) => {
                        for item in items.iter_mut() {
                            n += mask_env_entry(item);
                        }
                    }
                    ("args" | "command", Value::Array(items)) => n += mask_argv(items),
                    _ => n += mask_containers(child),
                }
            }
        }
        Value::Array(items) => {
            for item in items.iter_mut() {
                n += mask_containers(item);
            }
        }
        _ => {}
    }
    n
}

fn mask_env_entry(item: &mut Value) -> usize {
    let Some(entry) = item.as_object_mut() else {
        return 0;
    };
    let name = entry
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let Some(Value::String(value)) = entry.get_mut("value") else {
        return 0;
    };
    if value.is_empty() || value.starts_with("<redacted") {
        return 0;
    }
    if vocabulary::is_secret_name(&name) && !vocabulary::is_harmless_value(&name, value) {
        *value = format!("<redacted: {} bytes>", value.len());
        return 1;
    }
    let r = super::redact(value);
    if r != *value {
        *value = r;
        return 1;
    }
    0
}

/// `["--password", "VALUE"]`, `["--password=VALUE"]`, `["-p", …]` stays (too short to say).
pub fn mask_argv(items: &mut [Value]) -> usize {
    let mut n = 0;
    // the flag whose value the next element is
    let mut mask_next: Option<String> = None;
    for item in items.iter_mut() {
        let Value::String(s) = item else {
            mask_next = None;
            continue;
        };
        if let Some(flag) = mask_next.take()
            && !s.starts_with('-')
            && !vocabulary::is_harmless_value(&flag, s)
        {
            *s = MASK.to_string();
            n += 1;
            continue;
        }
        if let Some(flag) = s.strip_prefix('-') {
            let flag = flag.trim_start_matches('-');
            match flag.split_once('=') {
                Some((name, value))
                    if vocabulary::is_secret_name(name)
                        && !vocabulary::is_harmless_value(name, value) =>
                {
                    let dashes = &s[..s.len() - flag.len()];
                    *s = format!("{dashes}{name}={MASK}");
                    n += 1;
                    continue;
                }
                Some(_) => {}
                None => mask_next = vocabulary::is_secret_name(flag).then(|| flag.to_string()),
            }
        }
        let r = super::redact(s);
        if r != *s {
            *s = r;
            n += 1;
        }
    }
    n
}

/// The object's annotations and labels as a map, for tests and callers that print them.
pub fn metadata_map<'a>(obj: &'a Value, field: &str) -> Option<&'a Map<String, Value>> {
    obj.pointer(&format!("/metadata/{field}"))
        .and_then(Value::as_object)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_copies_in_annotations_and_labels() {
        let mut s = json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "db", "managedFields": [{}],
                "annotations": {
                    "kapp.k14s.io/original": "{\"apiVersion\":\"v1\",\"data\":{\"dsn\":\"cG9zdGdyZXM6Ly94\"},\"kind\":\"Secret\"}",
                    "kapp.k14s.io/original-diff": "[{\"op\":\"add\",\"path\":\"/data/username\",\"value\":\"YWRtaW4tdXNlcg==\"}]",
                    "tool.example/raw": "the user is admin-user",
                    "tool.example/braces": "{\"v\":\"{x}\",\"w\":\"hunter2{}\"}",
                    "note": "rotated monthly"
                },
                "labels": {"user": "admin-user", "app": "db"}},
            "data": {"username": "YWRtaW4tdXNlcg==", "dsn": "cG9zdGdyZXM6Ly94", "w": "aHVudGVyMnt9"}});
        let r = mask_object(&mut s);
        let text = s.to_string();
        for leak in [
            "YWRtaW4tdXNlcg",
            "admin-user",
            "cG9zdGdyZXM6Ly94",
            "hunter2",
        ] {
            assert!(!text.contains(leak), "{leak} in {text}");
        }
        assert_eq!(s["metadata"]["annotations"]["note"], "rotated monthly");
        assert_eq!(s["metadata"]["labels"]["app"], "db");
        assert_eq!(r.secret_values, 3);
        assert_eq!(r.metadata_copies, 5);
        assert_eq!(r.managed_fields, 1);
        // masking twice (a listed object sanitized again) keeps the sizes
        let once = s.clone();
        assert_eq!(mask_object(&mut s).total(), 0);
        assert_eq!(s, once);
    }

    #[test]
    fn manifest_copies_however_the_kind_is_written() {
        let copies = [
            "{\"apiVersion\": \"v1\", \"kind\": \"Secret\", \"data\": {\"k\": \"cGw0bnRlZA==\"}}",
            "{ \"kind\" :  \"Secret\" , \"stringData\" : {\"k\": \"pl4nted\"} }",
            "apiVersion: v1\nkind: 'Secret'\ndata:\n  k: cGw0bnRlZA==\n",
            "apiVersion: v1\nkind: \"Secret\"\nstringData:\n  k: pl4nted\n",
            "apiVersion: v1\nkind:   Secret   \nstringData:\n  k: pl4nted\n",
            "{'kind': 'Secret', 'data': {'k': 'cGw0bnRlZA=='}}",
            "apiVersion: v1\\nkind: \\\"Secret\\\"\\nstringData:\\n  k: pl4nted",
            "[{\"op\": \"add\", \"path\": \"/data/k\", \"value\": \"cGw0bnRlZA==\"}]",
            "items:\n- apiVersion: v1\n  kind: Secret\n  data:\n    k: cGw0bnRlZA==\n",
            "{kind: Secret, stringData: {k: pl4nted}}",
        ];
        for (i, copy) in copies.iter().enumerate() {
            assert!(holds_secret_manifest(copy), "copy {i}: {copy}");
            // on any object, under any annotation
            let mut cm = json!({"kind": "ConfigMap", "metadata": {"name": "x",
                "annotations": {"tool.example/applied": copy, "note": "kind: Secret is mentioned"}}});
            assert_eq!(mask_object(&mut cm).metadata_copies, 1, "copy {i}");
            assert_eq!(
                cm["metadata"]["annotations"]["tool.example/applied"],
                COPY_MASK
            );
            assert_eq!(
                cm["metadata"]["annotations"]["note"],
                "kind: Secret is mentioned"
            );
        }
        for not in [
            "kind: SecretProviderClass\nspec:\n  data: []",
            "{\"kind\":\"ConfigMap\",\"data\":{\"a\":\"b\"}}",
            "kind: Secret (no data here)",
            "the data: path is /database",
            "a kind: Secret holds data: see the docs",
        ] {
            assert!(!holds_secret_manifest(not), "{not}");
        }
    }

    #[test]
    fn manifest_copies_in_pod_templates() {
        let copy = "kind: 'Secret'\nstringData:\n  username: pl4nted-template\n";
        let mut d = json!({"kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"template": {"metadata": {"annotations": {"tool.example/applied": copy}}}}});
        let mut cr = json!({"kind": "ControllerRevision", "metadata": {"name": "db-1"},
            "data": {"spec": {"template": {"metadata": {"annotations": {"a": copy}}}}}});
        for o in [&mut d, &mut cr] {
            assert_eq!(mask_object(o).metadata_copies, 1);
            assert!(!o.to_string().contains("pl4nted-template"), "{o}");
        }
    }

    #[test]
    fn argv_pairs_and_env() {
        let mut p = json!({"kind": "Pod", "spec": {"containers": [{
            "args": ["--password", "s3cr3t-argv", "--passwordPolicy", "strict", "--db-token=tok-xyz-123", "--verbose", "pass the test"],
            "env": [{"name": "SMTP_PASS", "value": "smtp-pw-1"}, {"name": "CACHE", "value": "redis://:redis-pw-2@cache:6379"},
                    {"name": "MODE", "value": "prod"}]}]}});
        let r = mask_object(&mut p);
        let text = p.to_string();
        for leak in ["s3cr3t-argv", "tok-xyz-123", "smtp-pw-1", "redis-pw-2"] {
            assert!(!text.contains(leak), "{leak} in {text}");
        }
        for kept in [
            "strict",
            "--verbose",
            "pass the test",
            "prod",
            "--passwordPolicy",
        ] {
            assert!(text.contains(kept), "{kept} lost: {text}");
        }
        assert_eq!(r.credentials, 4);
    }

    #[test]
    fn config_map_values() {
        let mut cm = json!({"kind": "ConfigMap", "data": {
            "password": "cm-pw-1", "app.properties": "db.user=app\ndb.password=cm-pw-2\n",
            "passwordPolicy": "min 12 chars", "motd": "pass the test"}});
        mask_object(&mut cm);
        let text = cm.to_string();
        assert!(
            !text.contains("cm-pw-1") && !text.contains("cm-pw-2"),
            "{text}"
        );
        assert!(
            text.contains("min 12 chars") && text.contains("pass the test"),
            "{text}"
        );
    }
}
