//! klue's LLM planner against a real HTTP server speaking OpenAI's chat-completions protocol
//! (tests/support/openai.rs), and end to end with the session loop, klue's executor and a
//! real kube-apiserver (tests/support/).

#[path = "../support/mod.rs"]
mod support;

// The OpenAI-protocol server is included by path (not through support/mod.rs) so that
// test binaries that include both do not load it twice.
#[path = "../support/openai.rs"]
mod openai;

#[path = "../corpus/planted.rs"]
mod planted;

#[path = "../scenarios/fixtures.rs"]
#[allow(dead_code)] // shared with the scenario tests; only part of it is used here
mod fixtures;

mod budget;
mod e2e;
mod faults;
mod planner;
mod redaction;
mod scenario;
