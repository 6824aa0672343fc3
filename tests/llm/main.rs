//! klue's LLM planner against a real HTTP server speaking OpenAI's chat-completions protocol
//! (tests/support/openai.rs), and end to end with the session loop, klue's executor and a
//! real kube-apiserver (tests/support/).

#[path = "../support/mod.rs"]
mod support;

use support::openai;

mod e2e;
mod faults;
mod planner;
mod redaction;
mod scenario;
