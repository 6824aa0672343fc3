//! klue's LLM planner against a real HTTP server speaking OpenAI's chat-completions protocol
//! (tests/support/openai.rs), and end to end with the session loop and a real kube-apiserver.

#[path = "../support/openai.rs"]
mod openai;

mod faults;
mod planner;
