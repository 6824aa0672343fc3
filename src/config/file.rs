//! The config file as written on disk (`~/.config/klue/config.toml`), parsed strictly so a typo
//! is an error that names the file and the line, not a silently ignored setting.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::ConfigError;

/// Everything the config file may say. Every field is optional: defaults fill the gaps.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Which planner to use when none is given on the command line: `llm` or `offline`.
    pub planner: Option<String>,
    /// Provider preset: openai, azure, ollama, vllm, llamacpp, lmstudio, litellm.
    pub provider: Option<String>,
    /// The OpenAI-compatible endpoint, e.g. `http://localhost:11434/v1`.
    pub base_url: Option<String>,
    pub model: Option<String>,
    /// The name of the environment variable that holds the API key (never the key itself).
    pub api_key_env: Option<String>,
    /// Tool calling: `auto`, `tools` or `json`.
    pub tool_mode: Option<String>,
    pub connect_timeout_secs: Option<u64>,
    pub read_timeout_secs: Option<u64>,
    /// Attempts for a request that meets 429 or 5xx (the first included).
    pub max_attempts: Option<u32>,
    /// Longest wait between two attempts, Retry-After included.
    pub max_backoff_secs: Option<u64>,
    pub temperature: Option<f32>,
    pub azure: Option<AzureFile>,
    pub budget: Option<BudgetFile>,
}

/// `[azure]`: an Azure OpenAI resource.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AzureFile {
    /// `https://NAME.openai.azure.com`
    pub endpoint: Option<String>,
    pub deployment: Option<String>,
    #[serde(alias = "api-version")]
    pub api_version: Option<String>,
}

/// `[budget]`: limits per session.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetFile {
    pub max_turns: Option<u32>,
    pub max_queries: Option<u32>,
    /// Token cap of one output's condensed copy.
    pub output_tokens: Option<usize>,
    /// Token budget of everything sent to the model in one request.
    pub context_tokens: Option<usize>,
    /// The overall bound on one query, in seconds.
    pub query_timeout_secs: Option<u64>,
}

/// Where the config file lives: `$XDG_CONFIG_HOME/klue/config.toml`, else
/// `~/.config/klue/config.toml`.
pub fn default_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(x) = env("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(x).join("klue").join("config.toml"));
    }
    if let Some(home) = env("HOME").filter(|v| !v.is_empty()) {
        return Some(
            PathBuf::from(home)
                .join(".config")
                .join("klue")
                .join("config.toml"),
        );
    }
    dirs::config_dir().map(|d| d.join("klue").join("config.toml"))
}

/// Read and parse a config file. A missing file is `Ok(None)`.
pub fn load(path: &Path) -> Result<Option<FileConfig>, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(ConfigError::Read {
                path: path.to_path_buf(),
                message: e.to_string(),
            });
        }
    };
    parse(&text, path).map(Some)
}

/// Parse config text; errors name `path`, the line and the column.
pub fn parse(text: &str, path: &Path) -> Result<FileConfig, ConfigError> {
    toml::from_str::<FileConfig>(text).map_err(|e| {
        let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
        ConfigError::Malformed {
            path: path.to_path_buf(),
            line,
            column,
            message: e.message().trim().to_string(),
        }
    })
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_file_parses() {
        let text = r#"
provider = "azure"
model = "gpt-4o"
api_key_env = "AZURE_KEY"
tool_mode = "json"
[azure]
endpoint = "https://x.openai.azure.com"
deployment = "d1"
api-version = "2024-10-21"
[budget]
max_turns = 5
context_tokens = 9000
"#;
        let c = parse(text, Path::new("c.toml")).unwrap();
        assert_eq!(c.provider.as_deref(), Some("azure"));
        assert_eq!(c.azure.unwrap().api_version.as_deref(), Some("2024-10-21"));
        assert_eq!(c.budget.unwrap().max_turns, Some(5));
    }

    #[test]
    fn unknown_key_names_file_and_line() {
        let text = "model = \"m\"\n\nmodle = \"typo\"\n";
        let e = parse(text, Path::new("/x/config.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("/x/config.toml"), "{e}");
        assert!(e.contains("line 3"), "{e}");
        assert!(e.contains("modle"), "{e}");
    }

    #[test]
    fn syntax_error_names_line() {
        let text = "model = \"m\"\nbase_url = http://x\n";
        let e = parse(text, Path::new("c.toml")).unwrap_err().to_string();
        assert!(e.contains("line 2"), "{e}");
    }

    #[test]
    fn wrong_type_names_line() {
        let text = "[budget]\nmax_turns = \"ten\"\n";
        let e = parse(text, Path::new("c.toml")).unwrap_err().to_string();
        assert!(e.contains("line 2"), "{e}");
    }

    #[test]
    fn missing_file_is_none() {
        assert!(
            load(Path::new("/nonexistent/klue/config.toml"))
                .unwrap()
                .is_none()
        );
    }
}
