#!/usr/bin/env bash
# Provisions the binaries klue's cluster tests need: etcd and kube-apiserver.
# Prints the directory that holds both (the envtest convention, KUBEBUILDER_ASSETS).
#
# - If KUBEBUILDER_ASSETS already points at a directory with both binaries, that is used as is.
# - etcd comes from Debian's etcd-server package.
# - kube-apiserver is built once from Debian's `kubernetes` source package (offline: the
#   orig tarball vendors everything) and cached under $XDG_CACHE_HOME/klue-testenv.
set -euo pipefail

log() { echo "provision: $*" >&2; }

if [ -n "${KUBEBUILDER_ASSETS:-}" ] && [ -x "$KUBEBUILDER_ASSETS/kube-apiserver" ] && [ -x "$KUBEBUILDER_ASSETS/etcd" ]; then
  log "using KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS"
  echo "$KUBEBUILDER_ASSETS"
  exit 0
fi

CACHE="${KLUE_TESTENV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/klue-testenv}"
BIN="$CACHE/bin"
mkdir -p "$BIN"

apt_updated=0
apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then log "missing packages: ${missing[*]} (run as root or install them)"; exit 1; fi
  if [ $apt_updated = 0 ]; then apt-get update -qq >&2; apt_updated=1; fi
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
}

apt_install etcd-server
ln -sfn "$(command -v etcd || echo /usr/bin/etcd)" "$BIN/etcd"

# Kubernetes 1.20 vendors reflect2 v1.0.1, whose unsafe map iteration crashes (SIGSEGV in
# json-iterator) when built with Go >= 1.18, as soon as a custom resource is stored. The build
# below swaps in reflect2 v1.0.2 from Debian; the stamp marks a binary built that way.
STAMP="$BIN/.kube-apiserver-reflect2-1.0.2"
if [ ! -x "$BIN/kube-apiserver" ] || [ ! -e "$STAMP" ]; then
  apt_install golang-go rsync golang-github-modern-go-reflect2-dev
  src_list=/etc/apt/sources.list.d/klue-deb-src.sources
  if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ ; then
    # Mirror the existing bookworm stanza (same URI and keyring) as a deb-src entry.
    main=/etc/apt/sources.list.d/debian.sources
    uri=$(awk '/^URIs:/{u=$2} /^Suites:/{ if ($0 ~ /bookworm( |$)/ && $0 !~ /security/) { print u; exit } }' "$main")
    key=$(awk '/^Signed-By:/{print $2; exit}' "$main")
    [ -n "$uri" ] || { log "cannot find the bookworm apt source in $main"; exit 1; }
    printf 'Types: deb-src\nURIs: %s\nSuites: bookworm\nComponents: main\nSigned-By: %s\n' "$uri" "$key" > "$src_list"
    apt-get update -qq >&2
  fi
  work="$CACHE/src"
  mkdir -p "$work"
  cd "$work"
  if ! ls kubernetes_*.orig.tar.gz >/dev/null 2>&1; then
    log "downloading the kubernetes source package"
    apt-get source --download-only kubernetes >&2
  fi
  tree=$(find . -maxdepth 1 -type d -name 'kubernetes*' | head -1)
  if [ -z "$tree" ]; then
    tar xzf kubernetes_*.orig.tar.gz
    tree=$(find . -maxdepth 1 -type d -name 'kubernetes*' | head -1)
  fi
  cd "$tree"
  mkdir -p .go/src/k8s.io && ln -sfn ../../.. .go/src/k8s.io/kubernetes
  reflect2=/usr/share/gocode/src/github.com/modern-go/reflect2
  [ -f "$reflect2/reflect2.go" ] || { log "reflect2 sources not found in $reflect2"; exit 1; }
  find vendor/github.com/modern-go/reflect2 -maxdepth 1 -name '*.go' -delete
  find vendor/github.com/modern-go/reflect2 -maxdepth 1 -name '*.s' -delete
  cp "$reflect2"/*.go vendor/github.com/modern-go/reflect2/
  cp "$reflect2"/*.s vendor/github.com/modern-go/reflect2/ 2>/dev/null || true
  rm -f vendor/github.com/modern-go/reflect2/*_test.go
  log "building kube-apiserver (a few minutes, once)"
  mkdir -p "$CACHE/home"
  GOPATH=$PWD/.go CGO_ENABLED=0 HOME="$CACHE/home" GOFLAGS=-mod=vendor make WHAT=cmd/kube-apiserver >&2
  cp _output/bin/kube-apiserver "$BIN/kube-apiserver.tmp"
  mv "$BIN/kube-apiserver.tmp" "$BIN/kube-apiserver"
  touch "$STAMP"
  cd "$CACHE" && rm -rf "$work"
fi

echo "$BIN"
