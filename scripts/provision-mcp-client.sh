#!/usr/bin/env bash
# The official Python MCP SDK (the PyPI package `mcp`) in a cached virtualenv: the real MCP
# client the `klue mcp` tests drive the server with. Idempotent; fast when cached.
# Prints the virtualenv's python on stdout.
set -euo pipefail
MCP_VERSION="${KLUE_MCP_PY_VERSION:-2.3.0}"
venv="${XDG_CACHE_HOME:-$HOME/.cache}/klue-mcp-venv"
stamp="$venv/.klue-mcp-$MCP_VERSION"
if [ ! -e "$stamp" ]; then
  python="$(command -v python3 || true)"
  if [ -z "$python" ]; then
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >&2
      python="$(command -v python3)"
    else
      echo "provision-mcp-client.sh: python3 is missing" >&2; exit 1
    fi
  fi
  if ! "$python" -m venv --help >/dev/null 2>&1 || ! "$python" -c 'import ensurepip' >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >&2
    fi
  fi
  rm -rf "$venv"
  "$python" -m venv "$venv" >&2
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "mcp==$MCP_VERSION" >&2
  touch "$stamp"
fi
echo "$venv/bin/python"
