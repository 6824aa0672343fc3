//! The `troubleshoot` prompt: klue's scientific-debugging instructions for a client's model
//! (text in prompts/troubleshoot.md), optionally with the symptom.

use rmcp::ErrorData;
use rmcp::model::{GetPromptResult, Prompt, PromptArgument, PromptMessage, Role};

pub const NAME: &str = "troubleshoot";
const TEXT: &str = include_str!("../../prompts/troubleshoot.md");

pub fn describe() -> Prompt {
    Prompt::new(
        NAME,
        Some(
            "Investigate a Kubernetes symptom with klue's read-only tools, scientifically: hypotheses, one query per hypothesis, evidence, a conclusion.",
        ),
        Some(vec![
            PromptArgument::new("symptom")
                .with_description("What is wrong, e.g. \"checkout pods keep restarting\"")
                .with_required(false),
            PromptArgument::new("namespace")
                .with_description("The namespace to look in")
                .with_required(false),
        ]),
    )
}

/// The prompt's messages for `arguments` (`symptom`, `namespace`; both optional).
pub fn get(
    name: &str,
    arguments: Option<&serde_json::Map<String, serde_json::Value>>,
) -> Result<GetPromptResult, ErrorData> {
    if name != NAME {
        return Err(ErrorData::invalid_params(
            format!("unknown prompt `{name}`: klue has `{NAME}`"),
            None,
        ));
    }
    let arg = |key: &str| -> Result<Option<String>, ErrorData> {
        match arguments.and_then(|a| a.get(key)) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.trim().to_string())),
            Some(other) => Err(ErrorData::invalid_params(
                format!("prompt argument `{key}` must be a string, not {other}"),
                None,
            )),
        }
    };
    let mut messages = vec![PromptMessage::new_text(Role::User, TEXT)];
    let (symptom, namespace) = (arg("symptom")?, arg("namespace")?);
    if symptom.is_some() || namespace.is_some() {
        let mut s = String::from("The symptom: ");
        s.push_str(symptom.as_deref().unwrap_or("(not given: ask me)"));
        if let Some(ns) = namespace {
            s.push_str(&format!(" (namespace {ns})"));
        }
        s.push_str("\nStart with `scan`, then state your hypotheses.");
        messages.push(PromptMessage::new_text(Role::User, s));
    }
    Ok(GetPromptResult::new(messages)
        .with_description("klue's scientific-debugging instructions for a Kubernetes symptom"))
}
