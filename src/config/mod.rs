//! klue's configuration: the TOML file in the XDG config dir, the environment and the command
//! line, merged with flags winning over environment over file over defaults.
//!
//! ```toml
//! # ~/.config/klue/config.toml
//! provider = "ollama"            # openai | azure | ollama | vllm | llamacpp | lmstudio | litellm
//! base_url = "http://localhost:11434/v1"
//! model = "llama3.1"
//! api_key_env = "OPENAI_API_KEY" # the variable holding the key; the key is never in the file
//! tool_mode = "auto"             # auto | tools | json
//! [azure]
//! endpoint = "https://NAME.openai.azure.com"
//! deployment = "gpt-4o"
//! api_version = "2024-10-21"
//! [budget]
//! max_turns = 25
//! max_queries = 40
//! output_tokens = 2000      # cap of one output's condensed copy
//! query_timeout_secs = 60    # overall bound on one query
//! context_tokens = 24000    # all outputs of one request to the model
//! max_tokens = 200000       # tokens the model may use in one session (no cap by default)
//! ```

pub mod file;
pub mod provider;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use file::FileConfig;
pub use provider::Provider;

/// A config that cannot be used; every message says where and what.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {}: {message}", path.display())]
    Read { path: PathBuf, message: String },
    #[error("{}: line {line}, column {column}: {message}", path.display())]
    Malformed {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
    #[error(
        "no LLM is configured: set OPENAI_API_KEY (or OPENAI_BASE_URL for a local server such as \
         Ollama or llama.cpp), or write {path}; or use `--planner offline`"
    )]
    LlmNotConfigured { path: String },
}

pub use crate::protocol::PlannerKind;

/// How the model is asked to act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ToolMode {
    /// Native tool calling; falls back to JSON in the text if the server refuses tools.
    #[default]
    Auto,
    /// Native tool calling only.
    Tools,
    /// JSON in the reply's text (models without tool support).
    Json,
}

impl std::str::FromStr for ToolMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(ToolMode::Auto),
            "tools" | "tool" | "native" => Ok(ToolMode::Tools),
            "json" => Ok(ToolMode::Json),
            other => Err(format!(
                "unknown tool_mode `{other}`: expected `auto`, `tools` or `json`"
            )),
        }
    }
}

/// An API key; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(key.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

/// An Azure OpenAI deployment.
#[derive(Debug, Clone, PartialEq)]
pub struct AzureSettings {
    pub endpoint: String,
    pub deployment: String,
    pub api_version: String,
}

/// Everything the LLM planner needs to reach its model.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmSettings {
    pub provider: Provider,
    /// The OpenAI-compatible endpoint (for Azure: the resource endpoint).
    pub base_url: String,
    pub model: String,
    pub api_key: Option<ApiKey>,
    /// The variable the key is read from; named in error messages.
    pub api_key_env: String,
    pub azure: Option<AzureSettings>,
    pub tool_mode: ToolMode,
    pub connect_timeout: Duration,
    /// Longest silence while reading a reply (the stream may last longer in total).
    pub read_timeout: Duration,
    /// Attempts for a request that meets 429 or 5xx, the first included.
    pub max_attempts: u32,
    /// First wait of the exponential backoff.
    pub initial_backoff: Duration,
    /// Longest wait between attempts (a longer Retry-After gives up with a clear error).
    pub max_backoff: Duration,
    pub temperature: Option<f32>,
    /// Where the settings came from, for error messages.
    pub config_path: Option<PathBuf>,
    /// The file that remembers what this endpoint cannot do (streaming with tools, tool
    /// calls), keyed by base URL and model; None: remember only within the session.
    pub capability_cache: Option<PathBuf>,
    /// The configured token budget of one request; a smaller context window reported by the
    /// server's `/v1/models` wins.
    pub context_tokens: usize,
}

impl LlmSettings {
    /// Settings for an OpenAI-compatible endpoint with defaults everywhere else.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        let base_url = base_url.into();
        LlmSettings {
            provider: Provider::guess(&base_url),
            base_url,
            model: model.into(),
            api_key: None,
            api_key_env: "OPENAI_API_KEY".into(),
            azure: None,
            tool_mode: ToolMode::Auto,
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(120),
            max_attempts: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            temperature: None,
            config_path: None,
            capability_cache: None,
            context_tokens: BudgetSettings::default().context_tokens,
        }
    }

    /// The endpoint for display: never with credentials.
    pub fn endpoint_display(&self) -> String {
        strip_credentials(&self.base_url)
    }

    /// Where to point the engineer when the key is missing or rejected.
    pub fn key_hint(&self) -> String {
        let file = self
            .config_path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "~/.config/klue/config.toml".into());
        format!("set {} (or api_key_env in {file})", self.api_key_env)
    }
}

/// The config file's `[budget]` section: the session's limits (turns, queries) and the
/// condenser's token caps, as configured. Front ends turn it into a
/// [`protocol::Budget`](crate::protocol::Budget) and [`condense::Limits`](crate::condense::Limits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetSettings {
    pub max_turns: u32,
    pub max_queries: u32,
    /// Token cap of one output's condensed copy.
    pub output_tokens: usize,
    /// Token budget of one request to the model.
    pub context_tokens: usize,
    /// Tokens (prompt and completion) the model may use in the whole session; None: no cap.
    pub max_tokens: Option<u64>,
    /// The overall bound on one query (every request, paging and rendering included).
    pub query_timeout: Duration,
}

impl Default for BudgetSettings {
    fn default() -> Self {
        // The same defaults as the session's budget and the condenser's limits.
        BudgetSettings {
            max_turns: 25,
            max_queries: 40,
            output_tokens: 2_000,
            context_tokens: 24_000,
            max_tokens: None,
            query_timeout: crate::exec::DEFAULT_TIMEOUT,
        }
    }
}

/// Command-line flags that override the config (`--planner`, `--model`, `--base-url`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    pub planner: Option<PlannerKind>,
    pub model: Option<String>,
    pub base_url: Option<String>,
    /// Another config file than the default one.
    pub config_path: Option<PathBuf>,
}

/// The merged configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The LLM, when one is configured (a key or an endpoint is known).
    pub llm: Option<LlmSettings>,
    /// The planner asked for explicitly (flag, `KLUE_PLANNER` or file), if any.
    pub planner_requested: Option<PlannerKind>,
    pub budget: BudgetSettings,
    /// The config file that was (or would be) read.
    pub config_path: Option<PathBuf>,
}

impl Settings {
    /// Load from the real environment and the config file (`$KLUE_CONFIG` or the XDG path).
    pub fn load(overrides: &Overrides) -> Result<Settings, ConfigError> {
        let env = |k: &str| std::env::var(k).ok();
        Self::load_with(overrides, &env)
    }

    /// Load with an explicit environment (tests).
    pub fn load_with(
        overrides: &Overrides,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Settings, ConfigError> {
        let path = overrides
            .config_path
            .clone()
            .or_else(|| {
                env("KLUE_CONFIG")
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from)
            })
            .or_else(|| file::default_path(env));
        let file = match &path {
            Some(p) => {
                let f = file::load(p)?;
                if f.is_none() && overrides.config_path.is_some() {
                    return Err(ConfigError::Read {
                        path: p.clone(),
                        message: "no such file".into(),
                    });
                }
                f
            }
            None => None,
        };
        Self::resolve(file.as_ref(), path.as_deref(), env, overrides)
    }

    /// Merge: flags > environment > file > defaults.
    pub fn resolve(
        file: Option<&FileConfig>,
        path: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
        flags: &Overrides,
    ) -> Result<Settings, ConfigError> {
        let empty = FileConfig::default();
        let f = file.unwrap_or(&empty);
        let origin = |key: &str| match path {
            Some(p) => format!("{}: `{key}`", p.display()),
            None => format!("config `{key}`"),
        };
        let env = |k: &str| {
            env(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };

        let planner_requested = match flags.planner {
            Some(p) => Some(p),
            None => match env("KLUE_PLANNER") {
                Some(v) => Some(v.parse().map_err(|m| ConfigError::Invalid {
                    origin: "environment variable KLUE_PLANNER".into(),
                    message: m,
                })?),
                None => match &f.planner {
                    Some(v) => Some(v.parse().map_err(|m| ConfigError::Invalid {
                        origin: origin("planner"),
                        message: m,
                    })?),
                    None => None,
                },
            },
        };

        let explicit_provider = match &f.provider {
            Some(name) => Some(Provider::parse(name).ok_or_else(|| ConfigError::Invalid {
                origin: origin("provider"),
                message: format!(
                    "unknown provider `{name}`: expected one of {}",
                    Provider::ALL.map(|p| p.name()).join(", ")
                ),
            })?),
            None => None,
        };
        let azure_file = f.azure.clone().unwrap_or_default();

        let (base_url_explicit, base_url_origin) = if let Some(u) = &flags.base_url {
            (Some(u.clone()), "flag --base-url".to_string())
        } else if let Some(u) = env("OPENAI_BASE_URL") {
            (Some(u), "environment variable OPENAI_BASE_URL".to_string())
        } else if let Some(u) = &f.base_url {
            (Some(u.clone()), origin("base_url"))
        } else if let Some(u) = &azure_file.endpoint {
            (Some(u.clone()), origin("azure.endpoint"))
        } else {
            (None, String::new())
        };
        let provider = explicit_provider
            .or_else(|| base_url_explicit.as_deref().map(Provider::guess))
            .unwrap_or(Provider::OpenAi);

        let api_key_env = f
            .api_key_env
            .clone()
            .unwrap_or_else(|| provider.default_key_env().to_string());
        if api_key_env.is_empty()
            || !api_key_env
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(ConfigError::Invalid {
                origin: origin("api_key_env"),
                // The value is not echoed: it may be a key pasted in the wrong place.
                message: "this is not an environment variable name (write the variable's \
                          name here, e.g. OPENAI_API_KEY, never the key itself)"
                    .into(),
            });
        }
        let api_key = env(&api_key_env)
            .or_else(|| {
                (api_key_env != "OPENAI_API_KEY")
                    .then(|| env("OPENAI_API_KEY"))
                    .flatten()
            })
            .map(ApiKey);

        let base_url = match base_url_explicit.clone() {
            Some(u) => u,
            None => match provider.default_base_url() {
                Some(u) => u.to_string(),
                None => {
                    return Err(ConfigError::Invalid {
                        origin: origin("azure.endpoint"),
                        message: "Azure OpenAI needs its endpoint, e.g. \
                                  `endpoint = \"https://NAME.openai.azure.com\"` under [azure]"
                            .into(),
                    });
                }
            },
        };
        let base_url = base_url.trim_end_matches('/').to_string();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(ConfigError::Invalid {
                origin: base_url_origin,
                message: format!(
                    "`{}` is not an http(s) URL (e.g. http://localhost:11434/v1)",
                    strip_credentials(&base_url)
                ),
            });
        }

        let model = flags
            .model
            .clone()
            .or_else(|| env("KLUE_MODEL"))
            .or_else(|| f.model.clone())
            .or_else(|| azure_file.deployment.clone())
            .unwrap_or_else(|| provider.default_model().to_string());

        let azure = if provider == Provider::Azure {
            Some(AzureSettings {
                endpoint: base_url.clone(),
                deployment: azure_file
                    .deployment
                    .clone()
                    .unwrap_or_else(|| model.clone()),
                api_version: azure_file
                    .api_version
                    .clone()
                    .unwrap_or_else(|| "2024-10-21".into()),
            })
        } else {
            None
        };

        let tool_mode = match &f.tool_mode {
            Some(m) => m.parse().map_err(|m| ConfigError::Invalid {
                origin: origin("tool_mode"),
                message: m,
            })?,
            None => ToolMode::Auto,
        };
        if f.max_attempts == Some(0) {
            return Err(ConfigError::Invalid {
                origin: origin("max_attempts"),
                message: "must be at least 1".into(),
            });
        }

        let configured = api_key.is_some()
            || base_url_explicit.is_some()
            || explicit_provider.is_some_and(|p| !p.key_required());

        let mut llm = LlmSettings::new(base_url, model);
        llm.provider = provider;
        llm.api_key = api_key;
        llm.api_key_env = api_key_env;
        llm.azure = azure;
        llm.tool_mode = tool_mode;
        if let Some(s) = f.connect_timeout_secs {
            llm.connect_timeout = Duration::from_secs(s.max(1));
        }
        if let Some(s) = f.read_timeout_secs {
            llm.read_timeout = Duration::from_secs(s.max(1));
        }
        if let Some(n) = f.max_attempts {
            llm.max_attempts = n;
        }
        if let Some(s) = f.max_backoff_secs {
            llm.max_backoff = Duration::from_secs(s);
        }
        llm.temperature = f.temperature;
        llm.config_path = path.map(Path::to_path_buf);

        let mut budget = BudgetSettings::default();
        if let Some(b) = &f.budget {
            if let Some(v) = b.max_turns {
                budget.max_turns = v;
            }
            if let Some(v) = b.max_queries {
                budget.max_queries = v;
            }
            if let Some(v) = b.output_tokens {
                budget.output_tokens = v;
            }
            if let Some(v) = b.context_tokens {
                budget.context_tokens = v;
            }
            if let Some(v) = b.max_tokens {
                budget.max_tokens = Some(v);
            }
            if let Some(v) = b.query_timeout_secs {
                budget.query_timeout = Duration::from_secs(v.max(1));
            }
        }
        llm.context_tokens = budget.context_tokens;
        llm.capability_cache = env("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                env("HOME")
                    .filter(|v| !v.is_empty())
                    .map(|h| PathBuf::from(h).join(".cache"))
            })
            .map(|d| d.join("klue").join("endpoints.json"));

        Ok(Settings {
            llm: configured.then_some(llm),
            planner_requested,
            budget,
            config_path: path.map(Path::to_path_buf),
        })
    }

    /// Is an LLM configured (a key or an endpoint known)? Without one, klue plans offline.
    pub fn llm_configured(&self) -> bool {
        self.llm.is_some()
    }

    /// The planner to use: the one asked for, else the LLM when configured, else offline.
    /// Asking for the LLM when none is configured is an error that says what to set.
    pub fn planner(&self) -> Result<PlannerKind, ConfigError> {
        match self.planner_requested {
            Some(PlannerKind::Offline) => Ok(PlannerKind::Offline),
            Some(PlannerKind::Llm) if self.llm.is_none() => Err(ConfigError::LlmNotConfigured {
                path: self
                    .config_path
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "~/.config/klue/config.toml".into()),
            }),
            Some(PlannerKind::Llm) => Ok(PlannerKind::Llm),
            None if self.llm.is_some() => Ok(PlannerKind::Llm),
            None => Ok(PlannerKind::Offline),
        }
    }
}

/// `https://user:pass@host/v1` → `https://host/v1`.
pub fn strip_credentials(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if let Some((_, host)) = authority.rsplit_once('@') {
            return format!("{scheme}://{host}{path}");
        }
    }
    url.to_string()
}

#[cfg(test)]
mod tests;
