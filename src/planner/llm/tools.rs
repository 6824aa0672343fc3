//! The three tools the model acts through, their JSON schemas, and lenient parsing of the
//! arguments a model sends (missing optional fields, numbers for strings, string evidence).

use async_openai::types::chat::{ChatCompletionTool, ChatCompletionTools, FunctionObject};
use serde_json::{Value, json};

use crate::planner::Action;
use crate::protocol::{
    Conclusion, Confidence, Evidence, Hypothesis, HypothesisId, HypothesisStatus, Problem,
    ProposalId, Verdict,
};

pub const PROPOSE_QUERY: &str = "propose_query";
pub const RECORD_HYPOTHESIS: &str = "record_hypothesis";
pub const CONCLUDE: &str = "conclude";

fn evidence_schema() -> Value {
    json!({
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "text": {"type": "string", "description": "The observation, in one sentence."},
                "executions": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Execution ids (from query results) this rests on."
                }
            },
            "required": ["text", "executions"]
        }
    })
}

fn problems_schema() -> Value {
    json!({
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "cause": {"type": "string", "description": "The cause in one line, naming the object (`Secret checkout-secrets has no key stripe-api-key`)."},
                "chain": {
                    "type": "array",
                    "description": "From the symptom down to the cause, one link per step, each citing the execution that shows it.",
                    "items": {
                        "type": "object",
                        "properties": {
                            "text": {"type": "string"},
                            "executions": {"type": "array", "items": {"type": "string"}}
                        },
                        "required": ["text", "executions"]
                    }
                },
                "evidence": evidence_schema(),
                "remediation": {"type": "string", "description": "What to change: the object and field. Never executed."}
            },
            "required": ["cause", "evidence", "remediation"]
        }
    })
}

/// The JSON schemas of the tools, as sent to the model.
pub fn definitions() -> Vec<ChatCompletionTools> {
    let f = |name: &str, description: &str, parameters: Value| {
        ChatCompletionTools::Function(ChatCompletionTool {
            function: FunctionObject {
                name: name.to_string(),
                description: Some(description.to_string()),
                parameters: Some(parameters),
                strict: None,
            },
        })
    };
    vec![
        f(
            PROPOSE_QUERY,
            "Propose one read-only kubectl-style query for the engineer to approve. Only read \
             verbs (get, describe, logs, events, top, rollout status|history, auth can-i, \
             api-resources, version, cluster-info, config view); anything else is refused.",
            json!({
                "type": "object",
                "properties": {
                    "command": {"type": "string", "description": "e.g. `get pods -n shop -o wide` (the kubectl prefix is optional)"},
                    "reason": {"type": "string", "description": "Why this query, in one sentence."},
                    "hypothesis": {"type": "string", "description": "The hypothesis this query tests, e.g. `h1: the image tag does not exist`."}
                },
                "required": ["command", "reason", "hypothesis"]
            }),
        ),
        f(
            RECORD_HYPOTHESIS,
            "Add or update a hypothesis with the evidence for and against it.",
            json!({
                "type": "object",
                "properties": {
                    "id": {"type": "string", "description": "`h1`, `h2`, …; reuse an id to update it."},
                    "statement": {"type": "string"},
                    "status": {"type": "string", "enum": ["open", "supported", "refuted", "confirmed"]},
                    "evidence_for": evidence_schema(),
                    "evidence_against": evidence_schema()
                },
                "required": ["id", "statement", "status"]
            }),
        ),
        f(
            CONCLUDE,
            "End the investigation: a verdict about what was asked, the problems found (each a \
             one-line cause, the chain from the symptom to it and the evidence, citing execution \
             ids, and a remediation for a human, never executed), other problems noticed, what \
             was checked (for a healthy verdict) and a confidence.",
            json!({
                "type": "object",
                "properties": {
                    "verdict": {"type": "string", "enum": ["diagnosed", "healthy", "inconclusive"]},
                    "subject": {"type": "string", "description": "What the engineer asked about, e.g. `Deployment frontend in shop`."},
                    "problems": problems_schema(),
                    "also_noticed": problems_schema(),
                    "checked": evidence_schema(),
                    "confidence": {"type": "string", "enum": ["low", "medium", "high"]},
                    "notes": {"type": "string"}
                },
                "required": ["verdict", "problems", "confidence"]
            }),
        ),
    ]
}

/// Turn one tool call into an action. `call_id` answers a proposal; `hypotheses_so_far` numbers
/// hypotheses the model forgot to name.
pub fn parse_action(
    name: &str,
    call_id: &str,
    args: &Value,
    hypotheses_so_far: usize,
) -> Result<Action, String> {
    let name = name.trim();
    match name {
        PROPOSE_QUERY => {
            let command = text(args, &["command", "query", "cmd"])
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty())
                .ok_or_else(|| format!("{PROPOSE_QUERY} needs a non-empty `command`"))?;
            Ok(Action::Propose {
                call_id: call_id.to_string(),
                command,
                reason: text(args, &["reason", "why"]).unwrap_or_default(),
                hypothesis: text(args, &["hypothesis", "tests"]).unwrap_or_default(),
            })
        }
        RECORD_HYPOTHESIS => {
            let statement = text(args, &["statement", "hypothesis", "text"])
                .filter(|s| !s.trim().is_empty())
                .ok_or_else(|| format!("{RECORD_HYPOTHESIS} needs a `statement`"))?;
            let id = text(args, &["id"])
                .filter(|s| !s.trim().is_empty())
                .unwrap_or_else(|| format!("h{}", hypotheses_so_far + 1));
            Ok(Action::Hypothesis(Hypothesis {
                id: HypothesisId(id.trim().to_string()),
                statement,
                status: status(args.get("status")),
                evidence_for: evidence(args.get("evidence_for")),
                evidence_against: evidence(args.get("evidence_against")),
            }))
        }
        CONCLUDE => conclusion(args).map(Action::Conclude),
        other => Err(format!(
            "unknown tool `{other}`: the tools are {PROPOSE_QUERY}, {RECORD_HYPOTHESIS} and {CONCLUDE}"
        )),
    }
}

/// A conclusion from the `conclude` arguments. The first shape (`root_cause`, `evidence`,
/// `remediation`) is accepted too: it becomes one problem.
fn conclusion(args: &Value) -> Result<Conclusion, String> {
    let mut problems = problems(args.get("problems"));
    if problems.is_empty()
        && let Some(cause) =
            text(args, &["root_cause", "rootCause", "cause"]).filter(|s| !s.trim().is_empty())
    {
        problems.push(Problem {
            cause,
            chain: evidence(args.get("chain")),
            evidence: evidence(args.get("evidence")),
            remediation: remediation(args.get("remediation")),
        });
    }
    let verdict = match text(args, &["verdict"])
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
        .as_str()
    {
        "healthy" | "ok" | "fine" => Verdict::Healthy,
        "inconclusive" | "unknown" => Verdict::Inconclusive,
        "diagnosed" => Verdict::Diagnosed,
        _ if problems.is_empty() => Verdict::Inconclusive,
        _ => Verdict::Diagnosed,
    };
    let checked = evidence(args.get("checked"));
    if problems.is_empty() && verdict == Verdict::Diagnosed {
        return Err(format!("{CONCLUDE} needs `problems` (each with a `cause`)"));
    }
    if problems.is_empty() && checked.is_empty() && args.get("notes").is_none() {
        return Err(format!(
            "{CONCLUDE} needs `problems`, or for a healthy or inconclusive verdict `checked` or `notes`"
        ));
    }
    let notes = match args.get("notes") {
        Some(Value::Array(items)) => items.iter().map(value_text).collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(v) => vec![value_text(v)],
    };
    Ok(Conclusion {
        verdict,
        subject: text(args, &["subject"]).filter(|s| !s.trim().is_empty()),
        problems,
        also_noticed: self::problems(args.get("also_noticed")),
        checked,
        unchecked: Vec::new(),
        confidence: confidence(args.get("confidence")),
        notes: notes
            .into_iter()
            .filter(|n: &String| !n.trim().is_empty())
            .collect(),
    })
}

fn problems(v: Option<&Value>) -> Vec<Problem> {
    let items = match v {
        Some(Value::Array(items)) => items.clone(),
        Some(Value::Null) | None => return Vec::new(),
        Some(other) => vec![other.clone()],
    };
    items
        .iter()
        .filter_map(|item| match item {
            Value::String(s) if !s.trim().is_empty() => Some(Problem::new(s.clone())),
            Value::Object(_) => {
                let cause = text(item, &["cause", "root_cause", "text"])
                    .filter(|s| !s.trim().is_empty())?;
                Some(Problem {
                    cause,
                    chain: evidence(item.get("chain")),
                    evidence: evidence(item.get("evidence")),
                    remediation: remediation(item.get("remediation")),
                })
            }
            _ => None,
        })
        .collect()
}

fn remediation(v: Option<&Value>) -> String {
    match v {
        Some(Value::Array(items)) => items.iter().map(value_text).collect::<Vec<_>>().join("\n"),
        Some(v) => value_text(v),
        None => String::new(),
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn text(args: &Value, keys: &[&str]) -> Option<String> {
    keys.iter()
        .find_map(|k| args.get(*k))
        .filter(|v| !v.is_null())
        .map(value_text)
}

fn status(v: Option<&Value>) -> HypothesisStatus {
    match v
        .map(value_text)
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
        .as_str()
    {
        "supported" | "likely" => HypothesisStatus::Supported,
        "refuted" | "rejected" | "disproved" | "ruled out" => HypothesisStatus::Refuted,
        "confirmed" | "proven" => HypothesisStatus::Confirmed,
        _ => HypothesisStatus::Open,
    }
}

fn confidence(v: Option<&Value>) -> Confidence {
    match v {
        Some(Value::Number(n)) => {
            let x = n.as_f64().unwrap_or(0.5);
            let x = if x > 1.0 { x / 100.0 } else { x };
            if x >= 0.75 {
                Confidence::High
            } else if x >= 0.4 {
                Confidence::Medium
            } else {
                Confidence::Low
            }
        }
        Some(v) => match value_text(v).trim().to_ascii_lowercase().as_str() {
            "high" | "very high" => Confidence::High,
            "low" | "very low" => Confidence::Low,
            _ => Confidence::Medium,
        },
        None => Confidence::Medium,
    }
}

fn evidence(v: Option<&Value>) -> Vec<Evidence> {
    let items = match v {
        Some(Value::Array(items)) => items.clone(),
        Some(Value::Null) | None => return Vec::new(),
        Some(other) => vec![other.clone()],
    };
    items
        .iter()
        .filter_map(|item| match item {
            Value::String(s) => Some(Evidence::uncited(s.clone())),
            Value::Object(_) => {
                let text = text(item, &["text", "observation", "description"])?;
                let executions = match item.get("executions").or_else(|| item.get("execution")) {
                    Some(Value::Array(ids)) => ids.iter().map(value_text).collect(),
                    Some(Value::Null) | None => Vec::new(),
                    Some(one) => vec![value_text(one)],
                };
                Some(Evidence::new(
                    text,
                    executions
                        .into_iter()
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .map(ProposalId),
                ))
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_name_the_three_tools() {
        let defs = serde_json::to_value(definitions()).unwrap();
        let names: Vec<&str> = defs
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["function"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, [PROPOSE_QUERY, RECORD_HYPOTHESIS, CONCLUDE]);
        assert_eq!(defs[0]["type"], "function");
    }

    #[test]
    fn propose_needs_a_command() {
        let a = parse_action(
            PROPOSE_QUERY,
            "c1",
            &json!({"command": " get pods -n shop ", "reason": "r"}),
            0,
        )
        .unwrap();
        assert_eq!(
            a,
            Action::Propose {
                call_id: "c1".into(),
                command: "get pods -n shop".into(),
                reason: "r".into(),
                hypothesis: String::new()
            }
        );
        assert!(parse_action(PROPOSE_QUERY, "c1", &json!({"command": ""}), 0).is_err());
        assert!(parse_action("rm_rf", "c1", &json!({}), 0).is_err());
    }

    #[test]
    fn lenient_hypothesis_and_conclusion() {
        let Action::Hypothesis(h) = parse_action(
            RECORD_HYPOTHESIS,
            "c",
            &json!({"statement": "s", "status": "Supported", "evidence_for": ["plain", {"text": "t", "executions": "call_1"}]}),
            2,
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(h.id.0, "h3");
        assert_eq!(h.status, HypothesisStatus::Supported);
        assert_eq!(h.evidence_for.len(), 2);
        assert_eq!(h.evidence_for[1].executions, [ProposalId("call_1".into())]);

        let Action::Conclude(c) = parse_action(
            CONCLUDE,
            "c",
            &json!({"root_cause": "rc", "confidence": 0.9, "remediation": ["a", "b"], "evidence": [{"text": "x", "executions": [1, "p2"]}]}),
            0,
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(c.confidence, Confidence::High);
        assert_eq!(c.verdict, Verdict::Diagnosed);
        assert_eq!(c.remediation_text(), "a\nb");
        assert_eq!(c.problems[0].evidence[0].executions.len(), 2);

        let Action::Conclude(c) = parse_action(
            CONCLUDE,
            "c",
            &json!({"verdict": "diagnosed", "subject": "Deployment checkout", "confidence": "high",
                "problems": [{"cause": "Secret s has no key k",
                    "chain": [{"text": "checkout crash-loops", "executions": ["call_1"]}, {"text": "`KeyError: 'k'`", "executions": ["call_2"]}],
                    "evidence": [], "remediation": "add key k"}],
                "also_noticed": ["cart has no endpoints"]}),
            0,
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(c.subject.as_deref(), Some("Deployment checkout"));
        assert_eq!(c.problems[0].chain.len(), 2);
        assert_eq!(c.also_noticed[0].cause, "cart has no endpoints");
        let Action::Conclude(h) = parse_action(
            CONCLUDE,
            "c",
            &json!({"verdict": "healthy", "problems": [], "checked": [{"text": "2/2 ready", "executions": ["call_1"]}], "confidence": "medium"}),
            0,
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(h.verdict, Verdict::Healthy);
        assert!(
            parse_action(
                CONCLUDE,
                "c",
                &json!({"verdict": "diagnosed", "confidence": "high"}),
                0
            )
            .is_err()
        );
    }
}
