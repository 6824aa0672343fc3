use std::collections::HashMap;
use std::path::Path;

use super::*;

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let m: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k: &str| m.get(k).cloned()
}

fn file(text: &str) -> FileConfig {
    file::parse(text, Path::new("/cfg/klue/config.toml")).unwrap()
}

fn resolve(f: Option<&FileConfig>, env: &[(&str, &str)], flags: &Overrides) -> Settings {
    Settings::resolve(
        f,
        Some(Path::new("/cfg/klue/config.toml")),
        &env_of(env),
        flags,
    )
    .unwrap()
}

#[test]
fn nothing_configured_means_offline() {
    let s = resolve(None, &[], &Overrides::default());
    assert!(!s.llm_configured());
    assert_eq!(s.planner().unwrap(), PlannerKind::Offline);
}

#[test]
fn asking_for_llm_without_config_says_what_to_set() {
    let flags = Overrides {
        planner: Some(PlannerKind::Llm),
        ..Default::default()
    };
    let e = resolve(None, &[], &flags)
        .planner()
        .unwrap_err()
        .to_string();
    assert!(e.contains("OPENAI_API_KEY"), "{e}");
    assert!(e.contains("/cfg/klue/config.toml"), "{e}");
}

#[test]
fn key_alone_configures_openai() {
    let s = resolve(
        None,
        &[("OPENAI_API_KEY", "sk-test")],
        &Overrides::default(),
    );
    let llm = s.llm.clone().unwrap();
    assert_eq!(llm.provider, Provider::OpenAi);
    assert_eq!(llm.base_url, "https://api.openai.com/v1");
    assert_eq!(llm.api_key.unwrap().expose(), "sk-test");
    assert_eq!(s.planner().unwrap(), PlannerKind::Llm);
    // The key never shows in Debug output.
    assert!(!format!("{s:?}").contains("sk-test"));
}

#[test]
fn base_url_alone_configures_a_local_server() {
    let s = resolve(
        None,
        &[("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1/")],
        &Overrides::default(),
    );
    let llm = s.llm.unwrap();
    assert_eq!(llm.provider, Provider::Ollama);
    assert_eq!(llm.base_url, "http://127.0.0.1:11434/v1");
    assert!(llm.api_key.is_none());
}

#[test]
fn flags_beat_env_beat_file() {
    let f = file("model = \"file-model\"\nbase_url = \"http://file:1/v1\"\n");
    let env = [
        ("KLUE_MODEL", "env-model"),
        ("OPENAI_BASE_URL", "http://env:2/v1"),
    ];
    let s = resolve(Some(&f), &env, &Overrides::default());
    let llm = s.llm.unwrap();
    assert_eq!(llm.model, "env-model");
    assert_eq!(llm.base_url, "http://env:2/v1");

    let flags = Overrides {
        model: Some("flag-model".into()),
        base_url: Some("http://flag:3/v1".into()),
        ..Default::default()
    };
    let llm = resolve(Some(&f), &env, &flags).llm.unwrap();
    assert_eq!(llm.model, "flag-model");
    assert_eq!(llm.base_url, "http://flag:3/v1");

    let llm = resolve(Some(&f), &[], &Overrides::default()).llm.unwrap();
    assert_eq!(llm.model, "file-model");
    assert_eq!(llm.base_url, "http://file:1/v1");
}

#[test]
fn planner_precedence() {
    let f = file("planner = \"offline\"\n");
    let env = [("OPENAI_API_KEY", "k")];
    assert_eq!(
        resolve(Some(&f), &env, &Overrides::default())
            .planner()
            .unwrap(),
        PlannerKind::Offline
    );
    let env2 = [("OPENAI_API_KEY", "k"), ("KLUE_PLANNER", "llm")];
    assert_eq!(
        resolve(Some(&f), &env2, &Overrides::default())
            .planner()
            .unwrap(),
        PlannerKind::Llm
    );
    let flags = Overrides {
        planner: Some(PlannerKind::Offline),
        ..Default::default()
    };
    assert_eq!(
        resolve(Some(&f), &env2, &flags).planner().unwrap(),
        PlannerKind::Offline
    );
}

#[test]
fn configured_key_variable_is_used_and_named() {
    let f = file("api_key_env = \"MY_LLM_KEY\"\nbase_url = \"https://gw.example/v1\"\n");
    let s = resolve(Some(&f), &[("MY_LLM_KEY", "abc")], &Overrides::default());
    let llm = s.llm.unwrap();
    assert_eq!(llm.api_key.as_ref().unwrap().expose(), "abc");
    assert!(llm.key_hint().contains("MY_LLM_KEY"));
    assert!(llm.key_hint().contains("/cfg/klue/config.toml"));
}

#[test]
fn key_in_api_key_env_is_rejected() {
    let f = file("api_key_env = \"sk-abc-123\"\n");
    let e = Settings::resolve(Some(&f), None, &env_of(&[]), &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("never the key itself"), "{e}");
    assert!(!e.contains("sk-abc-123"), "{e}");
}

#[test]
fn presets_fill_base_url_and_count_as_configured() {
    for (name, url) in [
        ("ollama", "http://localhost:11434/v1"),
        ("vllm", "http://localhost:8000/v1"),
        ("llamacpp", "http://localhost:8080/v1"),
        ("lmstudio", "http://localhost:1234/v1"),
        ("litellm", "http://localhost:4000/v1"),
    ] {
        let f = file(&format!("provider = \"{name}\"\n"));
        let s = resolve(Some(&f), &[], &Overrides::default());
        assert_eq!(s.llm.as_ref().unwrap().base_url, url, "{name}");
    }
    // OpenAI's preset needs a key to count as configured.
    let f = file("provider = \"openai\"\n");
    assert!(!resolve(Some(&f), &[], &Overrides::default()).llm_configured());
}

#[test]
fn azure_settings() {
    let f = file(
        "provider = \"azure\"\n[azure]\nendpoint = \"https://r.openai.azure.com\"\ndeployment = \"gpt4o-prod\"\napi_version = \"2024-06-01\"\n",
    );
    let s = resolve(
        Some(&f),
        &[("AZURE_OPENAI_API_KEY", "az")],
        &Overrides::default(),
    );
    let llm = s.llm.unwrap();
    assert_eq!(llm.provider, Provider::Azure);
    let az = llm.azure.unwrap();
    assert_eq!(az.endpoint, "https://r.openai.azure.com");
    assert_eq!(az.deployment, "gpt4o-prod");
    assert_eq!(az.api_version, "2024-06-01");
    assert_eq!(llm.api_key_env, "AZURE_OPENAI_API_KEY");

    let f = file("provider = \"azure\"\n");
    let e = Settings::resolve(Some(&f), None, &env_of(&[]), &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("endpoint"), "{e}");
}

#[test]
fn bad_values_are_specific() {
    let f = file("provider = \"bard\"\n");
    let e = Settings::resolve(Some(&f), None, &env_of(&[]), &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("unknown provider `bard`") && e.contains("ollama"),
        "{e}"
    );

    let f = file("tool_mode = \"maybe\"\n");
    let e = Settings::resolve(Some(&f), None, &env_of(&[]), &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("tool_mode"), "{e}");

    let flags = Overrides {
        base_url: Some("localhost:11434".into()),
        ..Default::default()
    };
    let e = Settings::resolve(None, None, &env_of(&[]), &flags)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("--base-url") && e.contains("not an http(s) URL"),
        "{e}"
    );
}

#[test]
fn xdg_config_home_is_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("klue");
    std::fs::create_dir_all(&cfg).unwrap();
    std::fs::write(
        cfg.join("config.toml"),
        "provider = \"ollama\"\nmodel = \"qwen\"\n",
    )
    .unwrap();
    let x = dir.path().to_string_lossy().to_string();
    let env = env_of(&[("XDG_CONFIG_HOME", &x), ("HOME", "/nonexistent")]);
    let s = Settings::load_with(&Overrides::default(), &env).unwrap();
    assert_eq!(s.llm.unwrap().model, "qwen");
    assert_eq!(s.config_path.unwrap(), cfg.join("config.toml"));

    std::fs::write(cfg.join("config.toml"), "model = \"a\"\n[budget\n").unwrap();
    let e = Settings::load_with(&Overrides::default(), &env)
        .unwrap_err()
        .to_string();
    assert!(e.contains("config.toml: line 2"), "{e}");
}

#[test]
fn budget_from_file() {
    let f = file(
        "[budget]\nmax_turns = 3\nmax_queries = 7\ncontext_tokens = 5000\nmax_tokens = 90000\n",
    );
    let b = resolve(Some(&f), &[], &Overrides::default()).budget;
    assert_eq!((b.max_turns, b.max_queries, b.context_tokens), (3, 7, 5000));
    assert_eq!(b.max_tokens, Some(90_000));
    // The session's budget carries the token cap.
    assert_eq!(
        crate::protocol::Budget::from(&b).max_tokens,
        Some(90_000),
        "{b:?}"
    );
}

#[test]
fn credentials_stripped_from_endpoint() {
    assert_eq!(
        strip_credentials("https://u:p@host:1/v1"),
        "https://host:1/v1"
    );
    assert_eq!(strip_credentials("http://h/v1"), "http://h/v1");
}

#[test]
fn budget_defaults_match_the_session_and_condenser() {
    let b = BudgetSettings::default();
    let s = crate::protocol::Budget::default();
    let l = crate::condense::Limits::default();
    assert_eq!((b.max_turns, b.max_queries), (s.max_turns, s.max_queries));
    assert_eq!(b.output_tokens, l.per_output);
    assert_eq!(
        b.context_tokens,
        crate::config::LlmSettings::new("http://h/v1", "m").context_tokens
    );
}
