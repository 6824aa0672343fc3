//! `-o custom-columns=NAME:.metadata.name,...` as kubectl prints it.

use serde_json::Value;

use super::jsonpath::Template;
use super::table::tabwrite;

/// A parsed custom-columns spec.
#[derive(Debug, Clone)]
pub struct CustomColumns {
    columns: Vec<(String, Template)>,
}

/// Why a spec is invalid (kubectl's wording).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SpecError(pub String);

/// kubectl's relaxed jsonpath: `metadata.name`, `.metadata.name` or `{.metadata.name}`.
pub fn relaxed(expr: &str) -> String {
    let e = expr.trim();
    if e.starts_with('{') && e.ends_with('}') {
        return e.to_string();
    }
    let e = e.strip_prefix('$').unwrap_or(e);
    if e.starts_with('.') || e.starts_with('[') {
        format!("{{{e}}}")
    } else {
        format!("{{.{e}}}")
    }
}

impl CustomColumns {
    pub fn parse(spec: &str) -> Result<Self, SpecError> {
        if spec.trim().is_empty() {
            return Err(SpecError(
                "custom-columns format specified but no custom columns given".into(),
            ));
        }
        let mut columns = Vec::new();
        for part in spec.split(',') {
            let Some((name, path)) = part.split_once(':') else {
                return Err(SpecError(format!(
                    "unexpected custom-columns spec: {part}, expected <header>:<json-path-expr>"
                )));
            };
            let t = Template::parse(&relaxed(path)).map_err(|e| SpecError(e.to_string()))?;
            columns.push((name.to_string(), t));
        }
        Ok(CustomColumns { columns })
    }

    /// Render objects as rows, stopping once the cells pass `max_bytes` (then the rows so
    /// far and `true`).
    pub fn render<'a>(
        &self,
        objects: impl Iterator<Item = &'a Value>,
        no_headers: bool,
        max_bytes: usize,
    ) -> Result<(String, bool), super::jsonpath::Overflow> {
        let mut lines = Vec::new();
        if !no_headers {
            lines.push(self.columns.iter().map(|(n, _)| n.clone()).collect());
        }
        let mut bytes = 0usize;
        for obj in objects {
            let mut line: Vec<String> = Vec::with_capacity(self.columns.len());
            for (_, t) in &self.columns {
                let vals = t.values(obj)?;
                let cell = if vals.is_empty() {
                    "<none>".to_string()
                } else {
                    let mut cell = String::new();
                    for (i, v) in vals.iter().enumerate() {
                        if i > 0 {
                            cell.push(',');
                        }
                        cell.push_str(&go_sprint(v));
                        if bytes + cell.len() > max_bytes {
                            return Ok((tabwrite(&lines), true));
                        }
                    }
                    cell
                };
                bytes += cell.len() + 1;
                line.push(cell);
            }
            if bytes > max_bytes {
                return Ok((tabwrite(&lines), true));
            }
            lines.push(line);
        }
        Ok((tabwrite(&lines), false))
    }
}

/// Go's `fmt.Sprint` of a decoded JSON value (`map[k:v]`, `[a b]`, `<nil>`).
pub fn go_sprint(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".into(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(_) => super::jsonpath::value_text(v),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(go_sprint).collect::<Vec<_>>().join(" ")
        ),
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{k}:{}", m.get(k).map(go_sprint).unwrap_or_default()))
                .collect();
            format!("map[{}]", parts.join(" "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn columns_like_kubectl() {
        let objs = [
            json!({"metadata": {"name": "api", "labels": {"app": "api"}}, "spec": {"containers": [{"image": "a"}, {"image": "b"}]}}),
            json!({"metadata": {"name": "web"}, "spec": {"containers": [{"image": "nginx"}]}}),
        ];
        let cc = CustomColumns::parse(
            "NAME:.metadata.name,IMAGES:.spec.containers[*].image,LABELS:metadata.labels,X:{.nope}",
        )
        .unwrap();
        assert_eq!(
            cc.render(objs.iter(), false, usize::MAX).unwrap().0,
            "NAME   IMAGES   LABELS         X\napi    a,b      map[app:api]   <none>\nweb    nginx    <none>         <none>\n"
        );
        assert!(CustomColumns::parse("NAME").is_err());
        assert!(CustomColumns::parse("").is_err());
    }
}
