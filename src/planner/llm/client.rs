//! The async-openai client for an OpenAI-compatible endpoint or an Azure OpenAI deployment,
//! over klue's own transport (short connect timeout, klue's retry policy).

use std::sync::{Arc, Mutex, OnceLock};

use async_openai::config::{AzureConfig, Config, OpenAIConfig};
use async_openai::error::OpenAIError;
use async_openai::types::chat::{
    ChatCompletionResponseStream, CreateChatCompletionRequest, CreateChatCompletionResponse,
};

use super::errors::LlmError;
use super::transport::{LastCall, RetryPolicy, Transport};
use crate::config::LlmSettings;

/// A chat-completions client. The HTTP client underneath is built at the first request, not
/// when the planner is made: building it loads the system's trust store (a few hundred
/// certificate files), which must not stand between launch and the screen's first frame.
pub struct Client {
    settings: LlmSettings,
    built: OnceLock<Built>,
}

/// The parts made at the first request.
struct Built {
    inner: async_openai::Client<Box<dyn Config>>,
    last: Arc<Mutex<LastCall>>,
    http: reqwest::Client,
    /// `GET {base}/models` for the context window (None for Azure deployments).
    models_url: Option<String>,
    key: Option<String>,
}

impl Client {
    pub fn new(settings: &LlmSettings) -> Result<Self, LlmError> {
        Ok(Client {
            settings: settings.clone(),
            built: OnceLock::new(),
        })
    }

    fn built(&self) -> Result<&Built, LlmError> {
        if let Some(b) = self.built.get() {
            return Ok(b);
        }
        let b = Built::new(&self.settings)?;
        // another task may have built one meanwhile: either is fine
        let _ = self.built.set(b);
        self.built.get().ok_or_else(|| LlmError::Setup {
            detail: "the HTTP client could not be kept".into(),
        })
    }
}

impl Built {
    fn new(settings: &LlmSettings) -> Result<Self, LlmError> {
        crate::cluster::install_crypto_provider();
        let http = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .read_timeout(settings.read_timeout)
            .user_agent(concat!("klue/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| LlmError::Setup {
                detail: e.to_string(),
            })?;
        let transport = Transport::new(
            http.clone(),
            RetryPolicy {
                max_attempts: settings.max_attempts.max(1),
                initial_backoff: settings.initial_backoff,
                max_backoff: settings.max_backoff,
            },
        );
        let last = transport.last_call();
        let key = settings
            .api_key
            .as_ref()
            .map(|k| k.expose().to_string())
            .unwrap_or_default();
        let config: Box<dyn Config> = match &settings.azure {
            Some(az) => Box::new(
                AzureConfig::new()
                    .with_api_base(az.endpoint.clone())
                    .with_deployment_id(az.deployment.clone())
                    .with_api_version(az.api_version.clone())
                    .with_api_key(key),
            ),
            None => Box::new(
                OpenAIConfig::new()
                    .with_api_base(settings.base_url.clone())
                    .with_api_key(key),
            ),
        };
        let inner = async_openai::Client::with_config(config).with_http_service(transport);
        let models_url = settings
            .azure
            .is_none()
            .then(|| format!("{}/models", settings.base_url.trim_end_matches('/')));
        Ok(Built {
            inner,
            last,
            http,
            models_url,
            key: settings.api_key.as_ref().map(|k| k.expose().to_string()),
        })
    }
}

impl Client {
    /// The context window `GET /v1/models` reports for `model`, if the server says (vLLM's
    /// `max_model_len`, llama.cpp's `meta.n_ctx`, LM Studio's `max_context_length`, ...).
    /// Anything else (no such route, no figure, an error) is None: the configured budget holds.
    pub async fn context_window(&self, model: &str) -> Option<u64> {
        let b = self.built().ok()?;
        let url = b.models_url.as_ref()?;
        let mut req = b.http.get(url).timeout(std::time::Duration::from_secs(5));
        if let Some(k) = &b.key {
            req = req.bearer_auth(k);
        }
        let resp = req.send().await.ok()?;
        if !resp.status().is_success() {
            return None;
        }
        let v: serde_json::Value = resp.json().await.ok()?;
        context_window_of(&v, model)
    }

    pub async fn create_stream(
        &self,
        request: CreateChatCompletionRequest,
    ) -> Result<ChatCompletionResponseStream, OpenAIError> {
        self.built()
            .map_err(setup_error)?
            .inner
            .chat()
            .create_stream(request)
            .await
    }

    pub async fn create(
        &self,
        request: CreateChatCompletionRequest,
    ) -> Result<CreateChatCompletionResponse, OpenAIError> {
        self.built()
            .map_err(setup_error)?
            .inner
            .chat()
            .create(request)
            .await
    }

    /// Facts about the last request (attempts, Retry-After).
    pub fn last_call(&self) -> LastCall {
        self.built
            .get()
            .and_then(|b| b.last.lock().ok().map(|l| l.clone()))
            .unwrap_or_default()
    }
}

/// A client that could not be set up, as the error of the request it was built for.
fn setup_error(e: LlmError) -> OpenAIError {
    OpenAIError::InvalidArgument(e.to_string())
}

/// The context window in a `/v1/models` answer: the entry for `model` (else the only one).
pub fn context_window_of(v: &serde_json::Value, model: &str) -> Option<u64> {
    let data = v.get("data").and_then(serde_json::Value::as_array)?;
    let entry = data
        .iter()
        .find(|m| m.get("id").and_then(serde_json::Value::as_str) == Some(model))
        .or_else(|| (data.len() == 1).then(|| &data[0]))?;
    let keys = [
        "/context_length",
        "/context_window",
        "/max_model_len",
        "/max_context_length",
        "/n_ctx",
        "/meta/n_ctx",
        "/meta/n_ctx_train",
    ];
    keys.iter()
        .find_map(|k| entry.pointer(k).and_then(serde_json::Value::as_u64))
        .filter(|n| *n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn context_windows_as_servers_report_them() {
        let vllm = json!({"data": [{"id": "m", "max_model_len": 4096}]});
        assert_eq!(context_window_of(&vllm, "m"), Some(4096));
        let llama = json!({"data": [{"id": "other-name", "meta": {"n_ctx_train": 8192}}]});
        assert_eq!(context_window_of(&llama, "m"), Some(8192));
        let two = json!({"data": [{"id": "a", "n_ctx": 1}, {"id": "b", "n_ctx": 2}]});
        assert_eq!(context_window_of(&two, "b"), Some(2));
        assert_eq!(context_window_of(&two, "c"), None);
        assert_eq!(
            context_window_of(&json!({"data": [{"id": "m"}]}), "m"),
            None
        );
    }
}
