//! The JSON fallback for models without tool calling: find the JSON object in a reply
//! (code fences, text around it, trailing commas, comments tolerated) and read its actions.

use serde_json::Value;

/// What a JSON-mode reply said.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonReply {
    /// The reply's prose, without the JSON.
    pub prose: String,
    /// `(tool name, arguments)` in order.
    pub actions: Vec<(String, Value)>,
}

/// Read a JSON-mode reply; the error says what was wrong, for the corrective retry.
pub fn parse_reply(text: &str) -> Result<JsonReply, String> {
    let mut first_error = None;
    for (start, end, candidate) in candidates(text) {
        match parse_lenient(candidate) {
            Ok(v) => match actions_of(&v) {
                Ok(actions) => {
                    let prose = format!("{}{}", &text[..start], &text[end..]);
                    return Ok(JsonReply {
                        prose: tidy_prose(&prose),
                        actions,
                    });
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            },
            Err(e) => {
                first_error.get_or_insert(format!("the JSON is not valid: {e}"));
            }
        }
    }
    Err(first_error.unwrap_or_else(|| {
        "the reply has no JSON object; end every reply with {\"actions\": [...]}".to_string()
    }))
}

fn tidy_prose(s: &str) -> String {
    let s = s.replace("```json", "").replace("```", "");
    s.lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

/// Candidate JSON texts with their byte range (including fences), best first: fenced blocks
/// (last first), then balanced `{…}` / `[…]` spans (last first).
fn candidates(text: &str) -> Vec<(usize, usize, &str)> {
    let mut out = Vec::new();
    let mut fenced = Vec::new();
    let mut search = 0;
    while let Some(open) = text[search..].find("```") {
        let open = search + open;
        let after_ticks = open + 3;
        let body_start = text[after_ticks..]
            .find('\n')
            .map(|i| after_ticks + i + 1)
            .unwrap_or(after_ticks);
        let Some(close) = text[body_start..].find("```") else {
            // An unclosed fence: take the rest.
            fenced.push((open, text.len(), &text[body_start..]));
            break;
        };
        let close = body_start + close;
        fenced.push((open, close + 3, &text[body_start..close]));
        search = close + 3;
    }
    fenced.reverse();
    out.extend(fenced);
    let mut spans = balanced_spans(text);
    spans.reverse();
    out.extend(spans.into_iter().map(|(s, e)| (s, e, &text[s..e])));
    out
}

/// Top-level balanced `{…}` and `[…]` spans, ignoring brackets inside strings.
fn balanced_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if (bytes[i] == b'{' || bytes[i] == b'[')
            && let Some(end) = matching(bytes, i)
        {
            spans.push((i, end + 1));
            i = end + 1;
            continue;
        }
        i += 1;
    }
    spans
}

fn matching(bytes: &[u8], start: usize) -> Option<usize> {
    let mut depth = 0i32;
    let mut in_str = false;
    let mut escaped = false;
    for (i, &b) in bytes.iter().enumerate().skip(start) {
        if in_str {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_str = false;
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Parse, repairing what models commonly get wrong: trailing commas, `//` comments.
pub fn parse_lenient(text: &str) -> Result<Value, String> {
    let text = text.trim();
    match serde_json::from_str::<Value>(text) {
        Ok(v) => Ok(v),
        Err(first) => {
            let repaired = repair(text);
            serde_json::from_str::<Value>(&repaired).map_err(|_| first.to_string())
        }
    }
}

fn repair(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut in_str = false;
    let mut escaped = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if in_str {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
            }
            i += 1;
            continue;
        }
        match c {
            '"' => {
                in_str = true;
                out.push(c);
            }
            '/' if chars.get(i + 1) == Some(&'/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            ',' => {
                let next = chars[i + 1..].iter().find(|c| !c.is_whitespace());
                if !matches!(next, Some('}') | Some(']') | None) {
                    out.push(c);
                }
            }
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

/// `{"actions": [...]}`, a bare array of actions, or one action object.
fn actions_of(v: &Value) -> Result<Vec<(String, Value)>, String> {
    let list: Vec<Value> = match v {
        Value::Object(o) if o.contains_key("actions") => match &o["actions"] {
            Value::Array(a) => a.clone(),
            Value::Null => Vec::new(),
            one @ Value::Object(_) => vec![one.clone()],
            _ => return Err("`actions` must be a list".into()),
        },
        Value::Object(_) => vec![v.clone()],
        Value::Array(a) => a.clone(),
        _ => return Err("expected a JSON object with an `actions` list".into()),
    };
    list.iter()
        .enumerate()
        .map(|(i, a)| {
            let name = ["tool", "name", "action", "type"]
                .iter()
                .find_map(|k| a.get(*k).and_then(Value::as_str))
                .ok_or_else(|| format!("action {} has no `tool` name", i + 1))?;
            let args = a
                .get("arguments")
                .or_else(|| a.get("args"))
                .or_else(|| a.get("parameters"))
                .map(|x| match x {
                    // Some models send the arguments as a JSON string.
                    Value::String(s) => parse_lenient(s).unwrap_or(Value::Null),
                    other => other.clone(),
                })
                .filter(Value::is_object)
                .unwrap_or_else(|| a.clone());
            Ok((name.to_string(), args))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fenced_json_with_prose() {
        let r = parse_reply(
            "Let me look at the pods.\n```json\n{\"actions\": [{\"tool\": \"propose_query\", \"command\": \"get pods\", \"reason\": \"r\", \"hypothesis\": \"h\"}]}\n```\n",
        )
        .unwrap();
        assert_eq!(r.prose, "Let me look at the pods.");
        assert_eq!(r.actions.len(), 1);
        assert_eq!(r.actions[0].0, "propose_query");
        assert_eq!(r.actions[0].1["command"], "get pods");
    }

    #[test]
    fn bare_json_trailing_commas_and_comments() {
        let r = parse_reply(
            "Sure. {\"actions\": [ {\"tool\": \"conclude\", \"root_cause\": \"x { y }\", // why\n \"evidence\": [],}, ], } trailing words",
        )
        .unwrap();
        assert_eq!(r.actions[0].1["root_cause"], "x { y }");
        assert_eq!(r.prose, "Sure.  trailing words");
    }

    #[test]
    fn nested_arguments_and_string_arguments() {
        let r = parse_reply(
            r#"[{"name":"propose_query","arguments":"{\"command\":\"get nodes\"}"},{"tool":"record_hypothesis","args":{"statement":"s"}}]"#,
        )
        .unwrap();
        assert_eq!(r.actions[0].1["command"], "get nodes");
        assert_eq!(r.actions[1].1["statement"], "s");
    }

    #[test]
    fn empty_actions_is_fine() {
        let r = parse_reply("Which namespace? {\"actions\": []}").unwrap();
        assert!(r.actions.is_empty());
        assert_eq!(r.prose, "Which namespace?");
    }

    #[test]
    fn errors_say_why() {
        assert!(
            parse_reply("no json here")
                .unwrap_err()
                .contains("no JSON object")
        );
        let e = parse_reply("```json\n{\"actions\": [{\"tool\": \n```").unwrap_err();
        assert!(e.contains("not valid"), "{e}");
        let e = parse_reply("{\"actions\": [{\"command\": \"get pods\"}]}").unwrap_err();
        assert!(e.contains("no `tool`"), "{e}");
    }
}
