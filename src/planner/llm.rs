//! The LLM planner: any OpenAI-compatible chat-completions endpoint (OpenAI, Azure OpenAI,
//! Ollama, vLLM, llama.cpp's server, LM Studio, LiteLLM) through async-openai, with streamed
//! replies, native tool calling (or JSON in the text for models without it), and klue's
//! fault handling: retries with backoff, one retry after a cut stream, compaction after a
//! context-length error, and messages that say what to fix.

pub mod client;
pub mod errors;
pub mod fallback;
pub mod messages;
pub mod stream;
pub mod tools;
pub mod transport;
pub mod usage;

use async_openai::types::chat::{
    ChatCompletionRequestMessage, ChatCompletionStreamOptions, ChatCompletionToolChoiceOption,
    CreateChatCompletionRequest, ToolChoiceOptions,
};
use futures::StreamExt;

use crate::config::{LlmSettings, ToolMode};
use crate::planner::{Action, DeltaSink, Entry, Planner, PlannerError, Step, Transcript};
use crate::protocol::{PlannerInfo, Usage};

pub use errors::LlmError;
pub use messages::Mode;

use errors::CallError;
use stream::{ProseFilter, Reply};

/// Plans an investigation with a model.
pub struct LlmPlanner {
    settings: LlmSettings,
    client: client::Client,
    mode: Mode,
    /// Oldest outputs elided after a context-length error (kept for later steps).
    elided: usize,
    session_total: u64,
    /// Numbers tool-call ids the server left out, and JSON-mode proposals.
    local_ids: u64,
    stream: bool,
}

impl LlmPlanner {
    pub fn new(settings: LlmSettings) -> Result<Self, LlmError> {
        let client = client::Client::new(&settings)?;
        let mode = match settings.tool_mode {
            ToolMode::Json => Mode::Json,
            ToolMode::Auto | ToolMode::Tools => Mode::Tools,
        };
        Ok(LlmPlanner {
            settings,
            client,
            mode,
            elided: 0,
            session_total: 0,
            local_ids: 0,
            stream: true,
        })
    }

    /// Ask for whole replies instead of streams (for servers whose streaming is broken).
    pub fn with_streaming(mut self, stream: bool) -> Self {
        self.stream = stream;
        self
    }

    /// The mode in use now (auto mode may have switched to JSON).
    pub fn mode(&self) -> Mode {
        self.mode
    }

    fn request(&self, messages: Vec<ChatCompletionRequestMessage>) -> CreateChatCompletionRequest {
        let tools = self.mode == Mode::Tools;
        CreateChatCompletionRequest {
            model: self.settings.model.clone(),
            messages,
            stream: Some(self.stream),
            stream_options: self.stream.then_some(ChatCompletionStreamOptions {
                include_usage: Some(true),
                include_obfuscation: None,
            }),
            tools: tools.then(tools::definitions),
            tool_choice: tools.then_some(ChatCompletionToolChoiceOption::Mode(
                ToolChoiceOptions::Auto,
            )),
            temperature: self.settings.temperature,
            ..Default::default()
        }
    }

    /// One call to the model; text deltas go to `deltas` as they arrive.
    async fn call(
        &mut self,
        request: CreateChatCompletionRequest,
        deltas: &DeltaSink,
    ) -> Result<Reply, CallError> {
        let sent_tools = request.tools.is_some();
        if !self.stream {
            let response = self.client.create(request).await.map_err(|e| {
                errors::classify(
                    e,
                    &self.settings,
                    &self.client.last_call(),
                    sent_tools,
                    false,
                )
            })?;
            let reply = Reply::from_response(&response);
            self.forward_whole(&reply.text, deltas);
            return Ok(reply);
        }
        let mut stream = self.client.create_stream(request).await.map_err(|e| {
            errors::classify(
                e,
                &self.settings,
                &self.client.last_call(),
                sent_tools,
                false,
            )
        })?;
        let mut reply = Reply::default();
        let mut filter = (self.mode == Mode::Json).then(ProseFilter::default);
        while let Some(item) = stream.next().await {
            let chunk = item.map_err(|e| {
                errors::classify(
                    e,
                    &self.settings,
                    &self.client.last_call(),
                    sent_tools,
                    true,
                )
            })?;
            if let Some(text) = reply.push(&chunk) {
                let shown = match filter.as_mut() {
                    Some(f) => f.push(&text),
                    None => Some(text),
                };
                if let Some(t) = shown {
                    // A closed sink means nobody is watching; the reply is still needed.
                    let _ = deltas.send(t);
                }
            }
        }
        if let Some(rest) = filter.as_mut().and_then(ProseFilter::finish) {
            let _ = deltas.send(rest);
        }
        if !reply.complete() {
            return Err(CallError::StreamCut(format!(
                "the stream ended after {} chunk(s) without a finish reason",
                reply.chunks
            )));
        }
        Ok(reply)
    }

    fn forward_whole(&self, text: &str, deltas: &DeltaSink) {
        let shown = match self.mode {
            Mode::Tools => Some(text.to_string()),
            Mode::Json => {
                let mut f = ProseFilter::default();
                let mut s = f.push(text).unwrap_or_default();
                s.push_str(&f.finish().unwrap_or_default());
                Some(s)
            }
        };
        if let Some(s) = shown.filter(|s| !s.is_empty()) {
            let _ = deltas.send(s);
        }
    }

    fn next_local_id(&mut self, prefix: &str) -> String {
        self.local_ids += 1;
        format!("{prefix}{}", self.local_ids)
    }

    /// A reply → a step, or why it cannot be used (for the corrective retry).
    fn interpret(&mut self, reply: &Reply, transcript: &Transcript) -> Result<Step, String> {
        let hypotheses_so_far = count_hypotheses(transcript);
        let mut actions = Vec::new();
        let mut problems = Vec::new();
        let text;
        match self.mode {
            Mode::Tools => {
                text = reply.text.trim().to_string();
                for call in &reply.calls {
                    let id = if call.id.is_empty() {
                        self.next_local_id("call_klue_")
                    } else {
                        call.id.clone()
                    };
                    let args = if call.arguments.trim().is_empty() {
                        Ok(serde_json::Value::Object(Default::default()))
                    } else {
                        fallback::parse_lenient(&call.arguments)
                    };
                    match args {
                        Ok(args) => match tools::parse_action(
                            &call.name,
                            &id,
                            &args,
                            hypotheses_so_far + count_new_hypotheses(&actions),
                        ) {
                            Ok(a) => actions.push(a),
                            Err(e) => problems.push(e),
                        },
                        Err(e) => problems.push(format!(
                            "the arguments of `{}` are not valid JSON ({e})",
                            call.name
                        )),
                    }
                }
                // A model that writes the JSON in its text even though it has tools.
                if reply.calls.is_empty()
                    && text.contains("\"tool\"")
                    && let Ok(parsed) = fallback::parse_reply(&text)
                {
                    return self.actions_from_json(parsed, hypotheses_so_far);
                }
            }
            Mode::Json => {
                let parsed = fallback::parse_reply(&reply.text)?;
                return self.actions_from_json(parsed, hypotheses_so_far);
            }
        }
        if !problems.is_empty() {
            return Err(problems.join("; "));
        }
        Ok(Step {
            text,
            actions,
            usage: None,
        })
    }

    fn actions_from_json(
        &mut self,
        parsed: fallback::JsonReply,
        hypotheses_so_far: usize,
    ) -> Result<Step, String> {
        let mut actions = Vec::new();
        let mut problems = Vec::new();
        for (name, args) in &parsed.actions {
            let id = self.next_local_id("q");
            match tools::parse_action(
                name,
                &id,
                args,
                hypotheses_so_far + count_new_hypotheses(&actions),
            ) {
                Ok(a) => actions.push(a),
                Err(e) => problems.push(e),
            }
        }
        if !problems.is_empty() {
            return Err(problems.join("; "));
        }
        Ok(Step {
            text: parsed.prose,
            actions,
            usage: None,
        })
    }

    fn account(&mut self, usage: &mut Usage, reply: &Reply, request: &CreateChatCompletionRequest) {
        let (p, c) = match &reply.usage {
            Some(u) => (u.prompt_tokens as u64, u.completion_tokens as u64),
            None => {
                let completion = usage::count_text(&reply.text)
                    + reply
                        .calls
                        .iter()
                        .map(|c| usage::count_text(&c.name) + usage::count_text(&c.arguments))
                        .sum::<u64>();
                (usage::count_messages(&request.messages), completion)
            }
        };
        usage.prompt_tokens += p;
        usage.completion_tokens += c;
        self.session_total += p + c;
        usage.session_total = self.session_total;
    }
}

fn count_hypotheses(t: &Transcript) -> usize {
    let mut ids: Vec<&str> = Vec::new();
    for e in &t.entries {
        if let Entry::Assistant { actions, .. } = e {
            for a in actions {
                if let Action::Hypothesis(h) = a
                    && !ids.contains(&h.id.0.as_str())
                {
                    ids.push(&h.id.0);
                }
            }
        }
    }
    ids.len()
}

fn count_new_hypotheses(actions: &[Action]) -> usize {
    actions
        .iter()
        .filter(|a| matches!(a, Action::Hypothesis(_)))
        .count()
}

const CORRECTIVE: &str = "Your last reply could not be used by klue";

#[async_trait::async_trait]
impl Planner for LlmPlanner {
    fn info(&self) -> PlannerInfo {
        PlannerInfo {
            kind: crate::protocol::PlannerKind::Llm,
            model: Some(self.settings.model.clone()),
            endpoint: Some(self.settings.endpoint_display()),
        }
    }

    async fn next(
        &mut self,
        transcript: &Transcript,
        deltas: &DeltaSink,
    ) -> Result<Step, PlannerError> {
        let mut usage = Usage::default();
        let mut corrective: Option<(String, String)> = None;
        let mut compacted = false;
        let mut cut_retried = false;
        let mut switched = false;
        loop {
            let mut msgs = messages::build(transcript, self.mode, self.elided);
            if let Some((raw, why)) = &corrective {
                msgs.push(messages::assistant(raw.clone(), Vec::new()));
                msgs.push(messages::user(match self.mode {
                    Mode::Tools => format!(
                        "{CORRECTIVE}: {why}. Call the tools again with valid arguments \
                         (propose_query needs `command`; conclude needs `verdict` and `problems`)."
                    ),
                    Mode::Json => format!(
                        "{CORRECTIVE}: {why}. Reply again, ending with ONE valid JSON object \
                         {{\"actions\": [...]}} in a ```json block (double quotes, no comments, \
                         no trailing commas)."
                    ),
                }));
            }
            let request = self.request(msgs);
            match self.call(request.clone(), deltas).await {
                Ok(reply) => {
                    self.account(&mut usage, &reply, &request);
                    match self.interpret(&reply, transcript) {
                        Ok(mut step) => {
                            step.usage = Some(usage);
                            return Ok(step);
                        }
                        Err(why) if corrective.is_none() => {
                            tracing::warn!(%why, "unusable model reply; retrying once with a correction");
                            corrective = Some((reply.text.clone(), why));
                        }
                        Err(why) => {
                            return Err(PlannerError::Other(
                                LlmError::BadOutput { why }.to_string(),
                            ));
                        }
                    }
                }
                Err(CallError::ContextLength(message)) => {
                    let total = messages::outputs_count(transcript);
                    if compacted || self.elided >= total {
                        return Err(PlannerError::Other(
                            LlmError::ContextLength {
                                elided: self.elided,
                                message,
                            }
                            .to_string(),
                        ));
                    }
                    // Elide the older half of the outputs still shown (at least one).
                    let shown = total - self.elided;
                    self.elided += shown.div_ceil(2);
                    compacted = true;
                    tracing::warn!(
                        elided = self.elided,
                        "context length exceeded; compacting and retrying"
                    );
                }
                Err(CallError::StreamCut(detail)) => {
                    if cut_retried {
                        return Err(PlannerError::Other(
                            LlmError::StreamCut { detail }.to_string(),
                        ));
                    }
                    cut_retried = true;
                    tracing::warn!(%detail, "model reply cut off; asking again");
                    let _ = deltas.send("\n[the reply was cut off; asking again]\n".to_string());
                }
                Err(CallError::ToolsUnsupported(message)) => {
                    if switched || self.settings.tool_mode != ToolMode::Auto {
                        return Err(PlannerError::Other(
                            LlmError::BadRequest {
                                status: 400,
                                message: format!(
                                    "{message} (set tool_mode = \"json\" in the config for models without tool calling)"
                                ),
                            }
                            .to_string(),
                        ));
                    }
                    tracing::warn!(%message, "the model server has no tool calling; switching to JSON replies");
                    self.mode = Mode::Json;
                    switched = true;
                }
                Err(CallError::Fatal(e)) => return Err(PlannerError::Other(e.to_string())),
            }
        }
    }
}
