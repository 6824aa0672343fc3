//! The async-openai client for an OpenAI-compatible endpoint or an Azure OpenAI deployment,
//! over klue's own transport (short connect timeout, klue's retry policy).

use std::sync::{Arc, Mutex};

use async_openai::config::{AzureConfig, Config, OpenAIConfig};
use async_openai::error::OpenAIError;
use async_openai::types::chat::{
    ChatCompletionResponseStream, CreateChatCompletionRequest, CreateChatCompletionResponse,
};

use super::errors::LlmError;
use super::transport::{LastCall, RetryPolicy, Transport};
use crate::config::LlmSettings;

/// A chat-completions client.
pub struct Client {
    inner: async_openai::Client<Box<dyn Config>>,
    last: Arc<Mutex<LastCall>>,
}

impl Client {
    pub fn new(settings: &LlmSettings) -> Result<Self, LlmError> {
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
            http,
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
        Ok(Client { inner, last })
    }

    pub async fn create_stream(
        &self,
        request: CreateChatCompletionRequest,
    ) -> Result<ChatCompletionResponseStream, OpenAIError> {
        self.inner.chat().create_stream(request).await
    }

    pub async fn create(
        &self,
        request: CreateChatCompletionRequest,
    ) -> Result<CreateChatCompletionResponse, OpenAIError> {
        self.inner.chat().create(request).await
    }

    /// Facts about the last request (attempts, Retry-After).
    pub fn last_call(&self) -> LastCall {
        self.last.lock().map(|l| l.clone()).unwrap_or_default()
    }
}
