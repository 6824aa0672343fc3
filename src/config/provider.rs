//! Provider presets: the defaults that make a one-line config work for common servers.

use serde::{Deserialize, Serialize};

/// An OpenAI-compatible server family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    OpenAi,
    Azure,
    Ollama,
    Vllm,
    LlamaCpp,
    LmStudio,
    LiteLlm,
}

impl Provider {
    pub const ALL: [Provider; 7] = [
        Provider::OpenAi,
        Provider::Azure,
        Provider::Ollama,
        Provider::Vllm,
        Provider::LlamaCpp,
        Provider::LmStudio,
        Provider::LiteLlm,
    ];

    /// Parse a preset name as written in the config file (a few spellings accepted).
    pub fn parse(name: &str) -> Option<Provider> {
        let n: String = name
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | '.' | ' '))
            .collect::<String>()
            .to_ascii_lowercase();
        Some(match n.as_str() {
            "openai" => Provider::OpenAi,
            "azure" | "azureopenai" => Provider::Azure,
            "ollama" => Provider::Ollama,
            "vllm" => Provider::Vllm,
            "llamacpp" | "llamaserver" | "llamacppserver" => Provider::LlamaCpp,
            "lmstudio" => Provider::LmStudio,
            "litellm" => Provider::LiteLlm,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Provider::OpenAi => "openai",
            Provider::Azure => "azure",
            Provider::Ollama => "ollama",
            Provider::Vllm => "vllm",
            Provider::LlamaCpp => "llamacpp",
            Provider::LmStudio => "lmstudio",
            Provider::LiteLlm => "litellm",
        }
    }

    /// The endpoint used when none is configured (Azure has none: its endpoint is required).
    pub fn default_base_url(self) -> Option<&'static str> {
        match self {
            Provider::OpenAi => Some("https://api.openai.com/v1"),
            Provider::Azure => None,
            Provider::Ollama => Some("http://localhost:11434/v1"),
            Provider::Vllm => Some("http://localhost:8000/v1"),
            Provider::LlamaCpp => Some("http://localhost:8080/v1"),
            Provider::LmStudio => Some("http://localhost:1234/v1"),
            Provider::LiteLlm => Some("http://localhost:4000/v1"),
        }
    }

    /// The model used when none is configured.
    pub fn default_model(self) -> &'static str {
        match self {
            Provider::OpenAi | Provider::Azure | Provider::LiteLlm => "gpt-4o-mini",
            Provider::Ollama => "llama3.1",
            // These servers serve whatever model they were started with and ignore the name.
            Provider::Vllm | Provider::LlamaCpp | Provider::LmStudio => "default",
        }
    }

    /// The environment variable holding the key when `api_key_env` is not configured.
    pub fn default_key_env(self) -> &'static str {
        match self {
            Provider::Azure => "AZURE_OPENAI_API_KEY",
            _ => "OPENAI_API_KEY",
        }
    }

    /// Local servers usually run without a key.
    pub fn key_required(self) -> bool {
        matches!(self, Provider::OpenAi | Provider::Azure)
    }

    /// Guess the family from an endpoint (used when only a base URL is given).
    pub fn guess(base_url: &str) -> Provider {
        let u = base_url.to_ascii_lowercase();
        if u.contains(".openai.azure.com") || u.contains("azure-api.net") {
            Provider::Azure
        } else if u.contains(":11434") {
            Provider::Ollama
        } else if u.contains("api.openai.com") {
            Provider::OpenAi
        } else if u.contains(":1234") {
            Provider::LmStudio
        } else if u.contains(":4000") {
            Provider::LiteLlm
        } else if u.contains(":8000") {
            Provider::Vllm
        } else if u.contains(":8080") {
            Provider::LlamaCpp
        } else {
            // Any other OpenAI-compatible endpoint.
            Provider::OpenAi
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_spellings() {
        for p in Provider::ALL {
            assert_eq!(Provider::parse(p.name()), Some(p));
        }
        assert_eq!(Provider::parse("llama.cpp"), Some(Provider::LlamaCpp));
        assert_eq!(Provider::parse("LM Studio"), Some(Provider::LmStudio));
        assert_eq!(Provider::parse("Azure-OpenAI"), Some(Provider::Azure));
        assert_eq!(Provider::parse("bard"), None);
    }

    #[test]
    fn guesses_from_url() {
        assert_eq!(
            Provider::guess("http://127.0.0.1:11434/v1"),
            Provider::Ollama
        );
        assert_eq!(
            Provider::guess("https://r.openai.azure.com"),
            Provider::Azure
        );
        assert_eq!(
            Provider::guess("http://127.0.0.1:39211/v1"),
            Provider::OpenAi
        );
    }
}
