//! The LLM planner: any OpenAI-compatible chat-completions endpoint (OpenAI, Azure OpenAI,
//! Ollama, vLLM, llama.cpp's server, LM Studio, LiteLLM) through async-openai, with streamed
//! replies, native tool calling (or JSON in the text for models without it), and klue's
//! fault handling: retries with backoff, compaction after a context-length error, and
//! messages that say what to fix.
//!
//! A capability ladder adapts to what the endpoint can do, each step said aloud once
//! ([`Planner::take_notices`]) and remembered per endpoint ([`capabilities`]): a stream that
//! is cut or refused while tools are sent → the same turn without streaming → JSON in the
//! text (no tools). The last rung, the offline planner for that step, is the
//! [`grounded`](crate::planner::grounded) planner's.

pub mod capabilities;
pub mod client;
pub mod errors;
pub mod fallback;
pub mod messages;
pub mod quirks;
pub mod stream;
pub mod tools;
pub mod transport;
pub mod usage;

use async_openai::types::chat::{
    ChatCompletionRequestMessage, ChatCompletionStreamOptions, ChatCompletionToolChoiceOption,
    CreateChatCompletionRequest, FinishReason, ToolChoiceOptions,
};
use futures::StreamExt;

use crate::config::{LlmSettings, ToolMode};
use crate::planner::{Action, DeltaSink, Planner, PlannerError, Step, Transcript, TranscriptEntry};
use crate::protocol::{PlannerInfo, Usage};

pub use capabilities::{Capabilities, Rung};
pub use errors::LlmError;
pub use messages::Mode;

use errors::CallError;
use stream::{ProseFilter, Reply};

/// Tokens kept free for the model's reply when fitting a request into its context window,
/// and the cap on the reply's length (`max_tokens`): a weak local model that rambles would
/// otherwise generate until its context window is full (minutes on a CPU).
const REPLY_RESERVE: u64 = 1_500;
/// Tool calls and framing the token count of the messages does not see.
const TOOLS_RESERVE: u64 = 700;

/// Plans an investigation with a model.
pub struct LlmPlanner {
    settings: LlmSettings,
    client: client::Client,
    store: capabilities::Store,
    caps: Capabilities,
    /// Tool calls were unusable this session: JSON mode until it ends (not remembered: a
    /// model's bad turn is not the endpoint's capability).
    json_this_session: bool,
    /// Oldest outputs elided after a context-length error (kept for later steps).
    elided: usize,
    /// Oldest outputs elided to fit the context window (kept for later steps).
    fit_elided: usize,
    session_total: u64,
    /// Numbers tool-call ids the server left out, and JSON-mode proposals.
    local_ids: u64,
    /// Streaming wanted at all (configuration).
    stream: bool,
    /// The context window the server reports, once asked (None inside: not reported).
    window: Option<Option<u64>>,
    notices: Vec<String>,
    said: std::collections::BTreeSet<String>,
}

impl LlmPlanner {
    pub fn new(settings: LlmSettings) -> Result<Self, LlmError> {
        let client = client::Client::new(&settings)?;
        let store = capabilities::Store::new(
            settings.capability_cache.clone(),
            &settings.endpoint_display(),
            &settings.model,
        );
        let caps = store.load();
        Ok(LlmPlanner {
            settings,
            client,
            store,
            caps,
            json_this_session: false,
            elided: 0,
            fit_elided: 0,
            session_total: 0,
            local_ids: 0,
            stream: true,
            window: None,
            notices: Vec::new(),
            said: Default::default(),
        })
    }

    /// Ask for whole replies instead of streams (for servers whose streaming is broken).
    pub fn with_streaming(mut self, stream: bool) -> Self {
        self.stream = stream;
        self
    }

    /// The mode in use now (the ladder may have switched to JSON).
    pub fn mode(&self) -> Mode {
        if self.settings.tool_mode == ToolMode::Json || self.caps.no_tools || self.json_this_session
        {
            Mode::Json
        } else {
            Mode::Tools
        }
    }

    /// The rung of the capability ladder in use now.
    pub fn rung(&self) -> Rung {
        match (self.mode(), self.streaming()) {
            (Mode::Json, _) => Rung::Json,
            (Mode::Tools, true) => Rung::StreamedTools,
            (Mode::Tools, false) => Rung::UnstreamedTools,
        }
    }

    /// What this endpoint has been found not to do.
    pub fn capabilities(&self) -> Capabilities {
        self.caps
    }

    fn streaming(&self) -> bool {
        self.stream
            && !self.caps.no_stream
            && !(self.mode() == Mode::Tools && self.caps.no_stream_with_tools)
    }

    /// Say something once per session.
    fn notice(&mut self, text: String) {
        if self.said.insert(text.clone()) {
            tracing::info!(notice = %text, "llm planner");
            self.notices.push(text);
        }
    }

    fn remember(&mut self) {
        self.store.save(self.caps);
    }

    /// The endpoint stopped a stream (cut it, or refused it): the next rung for this turn.
    fn step_down_stream(&mut self, what: &str) {
        let ep = self.settings.endpoint_display();
        let model = self.settings.model.clone();
        if self.mode() == Mode::Tools {
            self.caps.no_stream_with_tools = true;
            self.notice(format!(
                "The model server at {ep} {what} when klue streamed a request with tools: klue \
                 asks {model} for whole replies from now on (remembered for this endpoint)."
            ));
        } else {
            self.caps.no_stream = true;
            self.notice(format!(
                "The model server at {ep} {what}: klue stops streaming replies from {model} \
                 (remembered for this endpoint)."
            ));
        }
        self.remember();
    }

    fn request(&self, messages: Vec<ChatCompletionRequestMessage>) -> CreateChatCompletionRequest {
        let tools = self.mode() == Mode::Tools;
        let stream = self.streaming();
        CreateChatCompletionRequest {
            model: self.settings.model.clone(),
            messages,
            stream: Some(stream),
            stream_options: stream.then_some(ChatCompletionStreamOptions {
                include_usage: Some(true),
                include_obfuscation: None,
            }),
            tools: tools.then(tools::definitions),
            tool_choice: tools.then_some(ChatCompletionToolChoiceOption::Mode(
                ToolChoiceOptions::Auto,
            )),
            temperature: self.settings.temperature,
            // `max_tokens` (not `max_completion_tokens`): the parameter every
            // OpenAI-compatible server knows. One that refuses it gets uncapped replies.
            #[allow(deprecated)]
            max_tokens: (!self.caps.no_reply_cap).then_some(REPLY_RESERVE as u32),
            ..Default::default()
        }
    }

    /// One call to the model; text deltas go to `deltas` as they arrive (reasoning text and,
    /// in JSON mode, the JSON held back).
    async fn call(
        &mut self,
        request: CreateChatCompletionRequest,
        deltas: &DeltaSink,
    ) -> Result<Reply, CallError> {
        let sent_tools = request.tools.is_some();
        let sent_stream = request.stream == Some(true);
        if !sent_stream {
            let response = self.client.create(request).await.map_err(|e| {
                errors::classify(
                    e,
                    &self.settings,
                    &self.client.last_call(),
                    sent_tools,
                    false,
                    false,
                )
            })?;
            let mut reply = Reply::from_response(&response);
            reply.text = quirks::strip_think(&reply.text);
            self.forward_whole(&reply.text, deltas);
            return Ok(reply);
        }
        let mut stream = self.client.create_stream(request).await.map_err(|e| {
            errors::classify(
                e,
                &self.settings,
                &self.client.last_call(),
                sent_tools,
                true,
                false,
            )
        })?;
        let mut reply = Reply::default();
        let mut think = quirks::ThinkFilter::default();
        let mut filter = (self.mode() == Mode::Json).then(ProseFilter::default);
        let show = |text: String, filter: &mut Option<ProseFilter>| {
            let shown = match filter.as_mut() {
                Some(f) => f.push(&text),
                None => Some(text),
            };
            if let Some(t) = shown.filter(|t| !t.is_empty()) {
                // A closed sink means nobody is watching; the reply is still needed.
                let _ = deltas.send(t);
            }
        };
        while let Some(item) = stream.next().await {
            let chunk = item.map_err(|e| {
                errors::classify(
                    e,
                    &self.settings,
                    &self.client.last_call(),
                    sent_tools,
                    true,
                    true,
                )
            })?;
            if let Some(text) = reply.push(&chunk) {
                show(think.push(&text), &mut filter);
            }
        }
        show(think.finish(), &mut filter);
        if let Some(rest) = filter.as_mut().and_then(ProseFilter::finish) {
            let _ = deltas.send(rest);
        }
        if !reply.complete() {
            return Err(CallError::StreamCut(format!(
                "HTTP 200, then the stream closed after {} chunk(s) without a finish reason",
                reply.chunks
            )));
        }
        reply.text = quirks::strip_think(&reply.text);
        Ok(reply)
    }

    /// The context window the server reports for the model (asked once per session).
    async fn window(&mut self) -> Option<u64> {
        if self.window.is_none() {
            let w = self.client.context_window(&self.settings.model).await;
            self.window = Some(w);
            if let Some(w) = w
                && (w as usize) < self.settings.context_tokens
            {
                self.notice(format!(
                    "The model server reports a context window of {w} tokens for {}: klue fits \
                     each request into it (the configured budget is {} tokens).",
                    self.settings.model, self.settings.context_tokens
                ));
            }
        }
        self.window.flatten()
    }

    /// Messages for `transcript`, with the oldest outputs elided until they fit the model's
    /// context window (the configured budget, or the smaller window the server reports). When outputs must go, they
    /// go until a third of the room is free, and stay gone on later steps: the start of the
    /// request then stays the same for several steps, so the server's prompt cache (llama.cpp,
    /// vLLM, hosted prompt caching) keeps serving it instead of reading it all again.
    fn fitted_messages(
        &mut self,
        transcript: &Transcript,
        window: Option<u64>,
    ) -> Vec<ChatCompletionRequestMessage> {
        let mode = self.mode();
        let mut elide = self.elided.max(self.fit_elided);
        let mut msgs = messages::build(transcript, mode, elide);
        // The configured budget; a smaller window the server reports wins.
        let budget = self.settings.context_tokens as u64;
        let window = window.map_or(budget, |w| w.min(budget));
        let limit = window.saturating_sub(REPLY_RESERVE + TOOLS_RESERVE);
        let total = messages::outputs_count(transcript);
        if usage::count_messages(&msgs) > limit {
            // Room to spare, though never by eliding the newest output...
            let roomy = limit * 2 / 3;
            while usage::count_messages(&msgs) > roomy && elide + 1 < total {
                elide += 1;
                msgs = messages::build(transcript, mode, elide);
            }
            // ...unless nothing else fits.
            while usage::count_messages(&msgs) > limit && elide < total {
                elide += 1;
                msgs = messages::build(transcript, mode, elide);
            }
            self.fit_elided = elide;
        }
        msgs
    }

    fn forward_whole(&self, text: &str, deltas: &DeltaSink) {
        let shown = match self.mode() {
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
        match self.mode() {
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
                        // Some models encode the arguments twice (a JSON string of JSON).
                        fallback::parse_lenient(&call.arguments).and_then(|v| match v {
                            serde_json::Value::String(inner) => fallback::parse_lenient(&inner),
                            other => Ok(other),
                        })
                    };
                    let name = quirks::tool_name(&call.name);
                    match args {
                        Ok(args) => match tools::parse_action(
                            &name,
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
            origin: Default::default(),
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
                &quirks::tool_name(name),
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
            origin: Default::default(),
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
        if let TranscriptEntry::Assistant { actions, .. } = e {
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
const CONTINUE: &str = "[klue] Your reply was cut off at the token limit. Continue exactly \
where it stopped, without repeating anything.";
/// Calls to the model in one step, at most (ladder steps, corrections, continuations).
const MAX_CALLS_PER_STEP: u32 = 6;

#[async_trait::async_trait]
impl Planner for LlmPlanner {
    fn info(&self) -> PlannerInfo {
        PlannerInfo {
            kind: crate::protocol::PlannerKind::Llm,
            model: Some(self.settings.model.clone()),
            endpoint: Some(self.settings.endpoint_display()),
        }
    }

    fn take_notices(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notices)
    }

    async fn next(
        &mut self,
        transcript: &Transcript,
        deltas: &DeltaSink,
    ) -> Result<Step, PlannerError> {
        let window = self.window().await;
        let mut usage = Usage::default();
        let mut corrective: Option<(String, String)> = None;
        let mut compacted = false;
        let mut cut_retried = false;
        let mut continued = false;
        let mut calls = 0u32;
        loop {
            calls += 1;
            if calls > MAX_CALLS_PER_STEP {
                return Err(PlannerError::Llm(LlmError::BadOutput {
                    why: format!("no usable reply after {MAX_CALLS_PER_STEP} calls in one step"),
                }));
            }
            let mode = self.mode();
            let mut msgs = self.fitted_messages(transcript, window);
            if let Some((raw, why)) = &corrective {
                msgs.push(messages::assistant(raw.clone(), Vec::new()));
                msgs.push(messages::user(match mode {
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
            let request = self.request(msgs.clone());
            match self.call(request.clone(), deltas).await {
                Ok(mut reply) => {
                    self.account(&mut usage, &reply, &request);
                    // Cut at the token limit: ask once to continue a text reply.
                    if reply.finish == Some(FinishReason::Length)
                        && reply.calls.is_empty()
                        && !reply.text.is_empty()
                        && !continued
                    {
                        continued = true;
                        self.notice(format!(
                            "{}'s reply was cut at its token limit (finish_reason \"length\"): \
                             klue asks it to continue.",
                            self.settings.model
                        ));
                        let mut more = msgs;
                        more.push(messages::assistant(reply.text.clone(), Vec::new()));
                        more.push(messages::user(CONTINUE.to_string()));
                        let request = self.request(more);
                        if let Ok(rest) = self.call(request.clone(), deltas).await {
                            self.account(&mut usage, &rest, &request);
                            reply.text.push_str(&rest.text);
                            reply.calls.extend(rest.calls);
                            reply.finish = rest.finish;
                        }
                    }
                    let cut = reply.finish == Some(FinishReason::Length);
                    match self.interpret(&reply, transcript) {
                        Ok(mut step) => {
                            step.usage = Some(usage);
                            return Ok(step);
                        }
                        Err(why) => {
                            let why = if cut {
                                format!(
                                    "{why} (the reply was cut at the model's token limit: \
                                     finish_reason \"length\")"
                                )
                            } else {
                                why
                            };
                            if corrective.is_none() {
                                tracing::warn!(%why, "unusable model reply; retrying once with a correction");
                                corrective = Some((reply.text.clone(), why));
                            } else if mode == Mode::Tools
                                && self.settings.tool_mode == ToolMode::Auto
                            {
                                self.json_this_session = true;
                                self.notice(format!(
                                    "{}'s tool calls could not be used ({why}): klue asks it for \
                                     JSON in its replies, without tools, for the rest of this \
                                     session.",
                                    self.settings.model
                                ));
                                corrective = None;
                            } else {
                                return Err(PlannerError::Llm(LlmError::BadOutput { why }));
                            }
                        }
                    }
                }
                Err(CallError::ContextLength(message)) => {
                    let total = messages::outputs_count(transcript);
                    if compacted || self.elided >= total {
                        return Err(PlannerError::Llm(LlmError::ContextLength {
                            elided: self.elided,
                            message,
                        }));
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
                Err(CallError::StreamCut(detail)) if request.stream == Some(true) => {
                    tracing::warn!(%detail, "stream closed before the answer completed; stepping down the ladder");
                    let _ = deltas.send(
                        "\n[the stream closed before the answer completed; asking again without streaming]\n"
                            .to_string(),
                    );
                    self.step_down_stream(&format!(
                        "closed the stream before the answer completed ({detail})"
                    ));
                }
                Err(CallError::ReplyCapRefused(message)) if !self.caps.no_reply_cap => {
                    self.caps.no_reply_cap = true;
                    self.notice(format!(
                        "The model server at {} refused a cap on the reply's length ({message}): \
                         klue asks {} without one (remembered for this endpoint).",
                        self.settings.endpoint_display(),
                        self.settings.model
                    ));
                    self.remember();
                }
                Err(CallError::ReplyCapRefused(message)) => {
                    return Err(PlannerError::Llm(LlmError::BadRequest {
                        status: 400,
                        message,
                    }));
                }
                Err(CallError::StreamRefused(message)) => {
                    self.step_down_stream(&format!("refused to stream ({message})"));
                }
                Err(CallError::StreamCut(detail)) => {
                    if cut_retried {
                        return Err(PlannerError::Llm(LlmError::StreamCut { detail }));
                    }
                    cut_retried = true;
                    tracing::warn!(%detail, "model reply cut off; asking again");
                    let _ = deltas.send("\n[the reply was cut off; asking again]\n".to_string());
                }
                Err(CallError::ToolsUnsupported(message)) => {
                    if mode == Mode::Json || self.settings.tool_mode != ToolMode::Auto {
                        return Err(PlannerError::Llm(LlmError::BadRequest {
                            status: 400,
                            message: format!(
                                "{message} (set tool_mode = \"json\" in the config for models without tool calling)"
                            ),
                        }));
                    }
                    tracing::warn!(%message, "the model server has no tool calling; switching to JSON replies");
                    self.caps.no_tools = true;
                    self.notice(format!(
                        "The model server at {} refused tool calls ({message}): klue asks {} for \
                         JSON in its replies instead (remembered for this endpoint).",
                        self.settings.endpoint_display(),
                        self.settings.model
                    ));
                    self.remember();
                }
                Err(CallError::Fatal(e)) => return Err(PlannerError::Llm(e)),
            }
        }
    }
}
