//! YAML / JSON objects: drop what no investigation needs (managedFields, the
//! last-applied-configuration annotation), keep everything else as printed.

/// Whether the text is an object dump (`-o yaml` / `-o json`).
pub(super) fn is_manifest(text: &str) -> bool {
    let t = text.trim_start();
    t.starts_with("apiVersion:")
        || t.starts_with('{')
        || (t.starts_with('[') && t[1..].trim_start().starts_with('{'))
        || (t.contains("\nkind: ") && t.contains("\nmetadata:"))
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

const NOISE_KEYS: [&str; 2] = [
    "managedFields",
    "kubectl.kubernetes.io/last-applied-configuration",
];

fn noise_key(line: &str) -> bool {
    let t = line.trim_start().trim_start_matches("- ");
    NOISE_KEYS.iter().any(|k| {
        t.strip_prefix(k)
            .or_else(|| {
                t.strip_prefix('"')
                    .and_then(|r| r.strip_prefix(k))
                    .and_then(|r| r.strip_prefix('"'))
            })
            .is_some_and(|rest| rest.trim_start().starts_with(':'))
    })
}

/// Remove noise blocks. A block is the key's line plus every following line indented
/// deeper, and (YAML) sequence items at the key's own column; for JSON the closing bracket
/// at the key's column goes too.
pub(super) fn strip_noise(text: &str) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if !noise_key(line) {
            out.push_str(line);
            i += 1;
            continue;
        }
        let col = indent(line);
        let opens = line.trim_end().ends_with('[') || line.trim_end().ends_with('{');
        i += 1;
        while i < lines.len() {
            let l = lines[i];
            let t = l.trim_start();
            let c = indent(l);
            if t.trim().is_empty() || c > col || (c == col && t.starts_with("- ")) {
                i += 1;
                continue;
            }
            if opens && c == col && (t.starts_with(']') || t.starts_with('}')) {
                i += 1;
            }
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_noise_goes_and_the_rest_stays() {
        let yaml = "\
apiVersion: v1
kind: Pod
metadata:
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: |
      {\"apiVersion\":\"v1\",\"kind\":\"Pod\"}
    team: shop
  managedFields:
  - apiVersion: v1
    fieldsType: FieldsV1
    fieldsV1:
      f:metadata: {}
  - manager: kubectl
  name: web
spec:
  containers:
  - image: web:1.2
";
        let out = strip_noise(yaml);
        assert!(
            !out.contains("managedFields") && !out.contains("fieldsV1"),
            "{out}"
        );
        assert!(!out.contains("last-applied"), "{out}");
        assert!(out.contains("    team: shop\n  name: web\n"), "{out}");
        assert!(out.contains("image: web:1.2"));
    }

    #[test]
    fn json_noise_goes() {
        let json = "{\n    \"metadata\": {\n        \"managedFields\": [\n            {\n                \"manager\": \"x\"\n            }\n        ],\n        \"name\": \"web\"\n    }\n}\n";
        let out = strip_noise(json);
        assert!(
            !out.contains("managedFields") && !out.contains("manager"),
            "{out}"
        );
        assert!(out.contains("\"name\": \"web\""), "{out}");
    }
}
