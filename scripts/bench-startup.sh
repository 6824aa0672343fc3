#!/usr/bin/env bash
# Start-up benchmark of the release binary: 30 `klue query` processes vs 30 `kubectl`
# processes on a real apiserver (totals, ratio, requests per process from the audit log), and
# launch -> first TUI frame with the cluster unreachable. See benches/startup.rs.
set -euo pipefail
cd "$(dirname "$0")/.."
KUBEBUILDER_ASSETS="${KUBEBUILDER_ASSETS:-$(bash scripts/provision-testenv.sh)}"
export KUBEBUILDER_ASSETS
cargo build --release --locked --bin klue
target_dir="$(cargo metadata --format-version 1 --no-deps |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
KLUE_BIN="$target_dir/release/klue" cargo bench --locked --bench startup
