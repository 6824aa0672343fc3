#!/usr/bin/env bash
# Start-up benchmark of the release binary: 30 `klue query` processes vs 30 `kubectl`
# processes on a real apiserver (totals, ratio, requests per process from the audit log), and
# launch -> first TUI frame with the cluster unreachable. See benches/startup.rs.
set -euo pipefail
cd "$(dirname "$0")/.."
KUBEBUILDER_ASSETS="${KUBEBUILDER_ASSETS:-$(bash scripts/provision-testenv.sh)}"
export KUBEBUILDER_ASSETS
# The reference: $KUBECTL, else kubectl on the PATH; when that is a dispatcher that picks a
# kubectl per server version and runs it (the Google Cloud SDK's), the oldest plain kubectl
# beside it instead (a dispatcher adds its own start and exec to every process).
if [ -z "${KUBECTL:-}" ]; then
  KUBECTL="$(command -v kubectl || true)"
  if [ -n "$KUBECTL" ] && "$KUBECTL" version --client 2>/dev/null | grep -q dispatcher; then
    plain="$(ls "$(dirname "$(readlink -f "$KUBECTL")")"/kubectl.1.* 2>/dev/null | sort -V | head -n 1)"
    [ -n "$plain" ] && KUBECTL="$plain"
  fi
fi
if [ -z "$KUBECTL" ]; then
  echo "no kubectl: set KUBECTL, or install one (e.g. the Debian package kubernetes-client)" >&2
  exit 1
fi
export KUBECTL
cargo build --release --locked --bin klue
target_dir="$(cargo metadata --format-version 1 --no-deps |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
# the harness only starts processes and reads clocks: built in the test profile (quick, and
# warm after `cargo test`) instead of a second whole-program-optimised link; what it measures
# is the release binary
KLUE_BIN="$target_dir/release/klue" cargo test --locked --bench startup -- --bench
