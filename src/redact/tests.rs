use super::*;

const CORPUS: &str = include_str!("../../tests/corpus/secrets.txt");

/// (line to plant, secret) pairs of the shared corpus.
fn corpus() -> Vec<(String, String)> {
    CORPUS
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let open = l.find("{{").expect("corpus line without {{");
            let close = l.find("}}").expect("corpus line without }}");
            let secret = l[open + 2..close].to_string();
            let planted = l.replace("{{", "").replace("}}", "");
            (planted, secret)
        })
        .collect()
}

const NOT_SECRETS: &str = include_str!("../../tests/corpus/not-secrets.txt");

#[test]
fn corpus_has_at_least_a_hundred_and_twenty_distinct_secrets() {
    let c = corpus();
    assert!(c.len() >= 120, "{}", c.len());
    let mut secrets: Vec<_> = c.iter().map(|(_, s)| s.clone()).collect();
    secrets.sort();
    secrets.dedup();
    assert_eq!(secrets.len(), c.len());
}

#[test]
fn every_planted_secret_is_masked_alone() {
    let mut leaks = Vec::new();
    for (planted, secret) in corpus() {
        let out = redact(&planted);
        if out.contains(&secret) {
            leaks.push(format!("{planted}\n   -> {out}"));
        }
        assert!(
            out.contains(MASK),
            "nothing masked in {planted:?} -> {out:?}"
        );
    }
    assert!(leaks.is_empty(), "leaked:\n{}", leaks.join("\n"));
}

#[test]
fn every_planted_secret_is_masked_inside_a_log() {
    let c = corpus();
    let log: String = c
        .iter()
        .enumerate()
        .map(|(i, (p, _))| format!("2024-05-01T10:00:{:02}Z INFO worker {p}\n", i % 60))
        .collect();
    let out = redact(&log);
    for (_, secret) in &c {
        assert!(!out.contains(secret.as_str()), "{secret} leaked");
    }
    // The log stays a log: one line per line, timestamps intact.
    assert_eq!(out.lines().count(), c.len());
    assert!(out.lines().all(|l| l.starts_with("2024-05-01T10:00:")));
}

#[test]
fn secret_data_in_yaml_list_is_masked() {
    let yaml = "\
apiVersion: v1
items:
- apiVersion: v1
  data:
    password: aHVudGVyMlBsYW50ZWQ=
    username: YWRtaW4=
  kind: Secret
  metadata:
    name: db-creds
    namespace: shop
  type: Opaque
- apiVersion: v1
  data:
    config.yaml: bG9nOiBpbmZv
  kind: ConfigMap
  metadata:
    name: app-config
kind: List
";
    let out = redact(yaml);
    assert!(!out.contains("aHVudGVyMlBsYW50ZWQ="), "{out}");
    assert!(!out.contains("YWRtaW4="), "{out}");
    assert!(out.contains("    password: [REDACTED]\n"), "{out}");
    // ConfigMap data is not secret.
    assert!(out.contains("config.yaml: bG9nOiBpbmZv"), "{out}");
    assert!(out.contains("name: db-creds"));
}

#[test]
fn secret_string_data_block_scalar_is_masked() {
    let yaml = "\
apiVersion: v1
kind: Secret
metadata:
  name: tls
stringData:
  notes: |
    the admin pin is 90210-planted
  key: plainvalue-planted
type: Opaque
";
    let out = redact(yaml);
    assert!(!out.contains("90210-planted"), "{out}");
    assert!(!out.contains("plainvalue-planted"), "{out}");
    assert!(out.contains("type: Opaque"));
}

#[test]
fn secret_data_in_pretty_json_is_masked() {
    let json = r#"{
    "apiVersion": "v1",
    "data": {
        "token": "c2VjcmV0VG9rZW5QbGFudGVk",
        "ca.crt": "Y2FQbGFudGVk"
    },
    "kind": "Secret",
    "metadata": {
        "name": "sa-token"
    }
}"#;
    let out = redact(json);
    assert!(!out.contains("c2VjcmV0VG9rZW5QbGFudGVk"), "{out}");
    assert!(!out.contains("Y2FQbGFudGVk"), "{out}");
    assert!(out.contains(r#""ca.crt": "[REDACTED]""#), "{out}");
    assert!(
        serde_json::from_str::<Value>(&out).is_ok(),
        "still JSON: {out}"
    );
}

#[test]
fn last_applied_configuration_of_a_secret_is_masked() {
    let yaml = r#"apiVersion: v1
kind: Secret
metadata:
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: |
      {"apiVersion":"v1","data":{"pw":"bGFzdEFwcGxpZWRQbGFudGVk"},"kind":"Secret","metadata":{"name":"x"}}
  name: x
"#;
    let out = redact(yaml);
    assert!(!out.contains("bGFzdEFwcGxpZWRQbGFudGVk"), "{out}");
}

#[test]
fn sensitive_env_values_are_masked_in_yaml_json_and_describe() {
    let yaml = "\
    env:
    - name: LOG_LEVEL
      value: debug
    - name: DB_PASSWORD
      value: envYamlPlanted1
    - name: STRIPE_API_KEY
      value: \"envYamlPlanted2\"
";
    let out = redact(yaml);
    assert!(
        !out.contains("envYamlPlanted1") && !out.contains("envYamlPlanted2"),
        "{out}"
    );
    assert!(out.contains("value: debug"), "{out}");

    let json = r#"[{"name":"LOG_LEVEL","value":"info"},{"name":"SESSION_SECRET","value":"envJsonPlanted3"}]"#;
    let out = redact(json);
    assert!(!out.contains("envJsonPlanted3"), "{out}");
    assert!(out.contains(r#""value":"info""#), "{out}");

    let describe =
        "    Environment:\n      DB_USER:      shop\n      DB_PASSWORD:  envDescribePlanted4\n";
    let out = redact(describe);
    assert!(!out.contains("envDescribePlanted4"), "{out}");
    assert!(out.contains("DB_USER:      shop"), "{out}");
}

#[test]
fn parsed_objects_are_masked() {
    let mut v = serde_json::json!({
        "kind": "Secret",
        "data": {"password": "cGFyc2VkUGxhbnRlZA=="},
        "metadata": {"name": "s", "annotations": {"note": "token=parsedTokenPlanted"}},
    });
    redact_value(&mut v);
    let s = v.to_string();
    assert!(!s.contains("cGFyc2VkUGxhbnRlZA=="), "{s}");
    assert!(!s.contains("parsedTokenPlanted"), "{s}");
    let mut pod = serde_json::json!({"kind": "Pod", "spec": {"containers": [{"env": [
        {"name": "API_TOKEN", "value": "podEnvPlanted"}, {"name": "MODE", "value": "prod"}]}]}});
    redact_value(&mut pod);
    let s = pod.to_string();
    assert!(!s.contains("podEnvPlanted") && s.contains("prod"), "{s}");
}

#[test]
fn diagnostic_facts_survive() {
    // Lines an investigation needs must come through unchanged.
    let keep = [
        "NAME                     READY   STATUS             RESTARTS   AGE",
        "web-7d4b9c8f6-x2x9z      0/1     CrashLoopBackOff   7          12m",
        "  Warning  Failed     3m   kubelet  Error: secret \"db-creds\" not found",
        "  Warning  Failed     3m   kubelet  Error: couldn't find key password in Secret shop/db-creds",
        "      DB_PASSWORD:  <set to the key 'password' in secret 'db-creds'>  Optional: false",
        "    SecretName:  db-creds",
        "    secretName: db-creds",
        "    automountServiceAccountToken: false",
        "  tokenExpirationSeconds: 3607",
        "    - key: node-role.kubernetes.io/master",
        "Events:  <none>",
        "Readiness probe failed: Get \"http://10.244.1.5:8080/healthz\": dial tcp 10.244.1.5:8080: connect: connection refused",
        "Basic functionality is degraded",
        "https://example.internal/api/v1/namespaces/shop",
        "disk-pressure-taint-for-node-1234567890abcdef",
    ];
    for line in keep {
        assert_eq!(redact(line), line);
    }
}

#[test]
fn redaction_is_idempotent() {
    for (planted, _) in corpus() {
        let once = redact(&planted);
        assert_eq!(redact(&once), once);
    }
}

#[test]
fn escaped_json_inside_a_string_is_masked() {
    let text = r#"{"name": "CONFIG", "value": "{\"password\": \"Hunter2Secret\", \"private_key_id\": \"abcdef0123456789\"}"}"#;
    let out = redact(text);
    assert!(!out.contains("Hunter2Secret"), "{out}");
    assert!(!out.contains("abcdef0123456789"), "{out}");
    assert!(out.contains(r#"\"password\": \""#), "key kept: {out}");
}

#[test]
fn pem_blocks_folded_by_yaml_are_masked() {
    let folded = "  key: -----BEGIN OPENSSH PRIVATE\n    KEY----- b3BlbnNzaC1rZXktdjEfolded -----END\n    OPENSSH PRIVATE KEY-----\n";
    let out = redact(folded);
    assert!(!out.contains("b3BlbnNzaC1rZXktdjEfolded"), "{out}");
    assert!(out.contains("-----BEGIN OPENSSH PRIVATE KEY-----"), "{out}");
    let escaped = r#"  key: "-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEEIfoldedkey\\n-----END\
    \ EC PRIVATE KEY-----""#;
    let out = redact(escaped);
    assert!(!out.contains("MHcCAQEEIfoldedkey"), "{out}");
}

#[test]
fn lines_without_secrets_are_left_alone() {
    let lines: Vec<&str> = NOT_SECRETS
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .collect();
    assert!(lines.len() >= 30, "{}", lines.len());
    let changed: Vec<String> = lines
        .iter()
        .filter_map(|l| {
            let out = redact(l);
            (out != *l).then(|| format!("{l}\n   -> {out}"))
        })
        .collect();
    assert!(
        changed.is_empty(),
        "false positives:\n{}",
        changed.join("\n")
    );
}

#[test]
fn a_secret_keys_size_in_describe_is_not_a_value() {
    let text = "Data\n====\npassword:  23 bytes\nusername:  4 bytes\n";
    assert_eq!(super::redact(text), text);
    // A value that happens to be followed by the word stays masked.
    assert!(!super::redact("password: hunter2 bytes").contains("hunter2"));
    assert!(!super::redact("DB_PASSWORD=123456").contains("123456"));
}
