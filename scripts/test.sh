#!/usr/bin/env bash
# klue's whole test suite, as CI runs it: provisions what the tests need (cached), then
# formatting, lints and every test (cluster tests against a real kube-apiserver included).
set -euo pipefail
cd "$(dirname "$0")/.."

# What the tests need from the system: tmux (terminal end-to-end tests).
if ! command -v tmux >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux
  else
    echo "test.sh: tmux is missing (apt-get install tmux)" >&2; exit 1
  fi
fi

# The test control plane: etcd + kube-apiserver, built once and cached.
KUBEBUILDER_ASSETS="$(bash scripts/provision-testenv.sh)"
export KUBEBUILDER_ASSETS
# The real MCP client the `klue mcp` tests drive the server with: the Python SDK (the PyPI
# package `mcp`) in a cached virtualenv.
KLUE_MCP_PYTHON="$(bash scripts/provision-mcp-client.sh)"
export KLUE_MCP_PYTHON
# Cluster tests must run here: a missing control plane is a failure, not a skip.
export KLUE_REQUIRE_CLUSTER=1

# Build outputs are cached outside the checkout so a clean clone does not rebuild everything.
cache="${XDG_CACHE_HOME:-$HOME/.cache}"
if [ -z "${CARGO_TARGET_DIR:-}" ]; then
  CARGO_TARGET_DIR="$cache/klue-target"
  # A dangling link (its target removed) would make cargo fail to create the directory.
  if [ -L "$CARGO_TARGET_DIR" ] && [ ! -e "$CARGO_TARGET_DIR" ]; then rm -f "$CARGO_TARGET_DIR"; fi
  export CARGO_TARGET_DIR
fi

cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked --no-fail-fast
