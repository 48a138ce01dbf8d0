#!/usr/bin/env bash
# Installs what the Helm chart's test needs, built from the Go module proxy (no prebuilt binaries, no network
# beyond it) and cached in ~/.cache/hookyard/k8s-tools like the Pub/Sub fake:
#   - helm        (helm.sh/helm/v4/cmd/helm)              for `helm lint` and `helm template`;
#   - kubeconform (github.com/yannh/kubeconform)            to validate the rendered manifests;
#   - the Kubernetes API's OpenAPI document (api/openapi-spec/swagger.json of the k8s.io/kubernetes module), which
#     test/e2e turns into the JSON schemas kubeconform reads (kubeconform's default schema location is a web
#     site this machine cannot reach).
# Idempotent: does nothing when everything is cached. Prints the cache directory's variables for a shell:
#   eval "$(scripts/install-k8s-tools.sh)"   # HOOKYARD_HELM, HOOKYARD_KUBECONFORM, HOOKYARD_K8S_OPENAPI
# --check builds nothing: prints the same when everything is cached, else says what to run and exits 3 (the Helm
# chart's test uses it, so a run without `npm test`'s install step fails at once with that message).
# Needs Go (Debian's golang-go or /usr/local/go); a cold install takes a few minutes on 2 cores.
set -euo pipefail

HELM_VERSION=v4.3.1
KUBECONFORM_VERSION=v0.8.0
# The Kubernetes release whose API the rendered manifests are validated against (the chart asks for >= 1.25).
KUBERNETES_VERSION=v1.34.3

cache=${HOOKYARD_CACHE_DIR:-${HOME:-/root}/.cache/hookyard}/k8s-tools
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then PATH=$PATH:/usr/local/go/bin; fi

# One install at a time (the test and `npm test` may both ask): the second waits and finds everything cached.
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9

helm_bin=$cache/helm-$HELM_VERSION/helm
kubeconform_bin=$cache/kubeconform-$KUBECONFORM_VERSION/kubeconform
openapi=$cache/kubernetes-$KUBERNETES_VERSION/swagger.json

need_go() {
  command -v go >/dev/null 2>&1 && return 0
  echo "install-k8s-tools: Go is needed to build helm and kubeconform (apt-get install golang-go)" >&2
  exit 1
}

# go install into a temporary GOBIN, then move the binary into place: a half-built binary is never cached.
go_install() {
  local package=$1 target=$2 tmp
  need_go
  tmp=$(mktemp -d)
  echo "install-k8s-tools: go install $package" >&2
  GOBIN=$tmp GOFLAGS=-mod=mod CGO_ENABLED=0 go install -trimpath -ldflags='-s -w' "$package" >&2
  mkdir -p "$(dirname "$target")"
  mv "$tmp/$(basename "$target")" "$target"
  rm -rf "$tmp"
}

if [ "${1:-}" = "--check" ] && { [ ! -x "$helm_bin" ] || [ ! -x "$kubeconform_bin" ] || [ ! -s "$openapi" ]; }; then
  echo "install-k8s-tools: helm, kubeconform or the Kubernetes OpenAPI document is not in $cache yet:" \
    "run scripts/install-k8s-tools.sh once (npm test does; a cold build takes a few minutes)" >&2
  exit 3
fi

[ -x "$helm_bin" ] || go_install "helm.sh/helm/v4/cmd/helm@$HELM_VERSION" "$helm_bin"
[ -x "$kubeconform_bin" ] || go_install "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION" \
  "$kubeconform_bin"

if [ ! -s "$openapi" ]; then
  need_go
  echo "install-k8s-tools: go mod download k8s.io/kubernetes@$KUBERNETES_VERSION (for its OpenAPI document)" >&2
  dir=$(GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  [ -s "$dir/api/openapi-spec/swagger.json" ] || {
    echo "install-k8s-tools: no api/openapi-spec/swagger.json in k8s.io/kubernetes@$KUBERNETES_VERSION" >&2
    exit 1
  }
  mkdir -p "$(dirname "$openapi")"
  cp "$dir/api/openapi-spec/swagger.json" "$openapi.tmp"
  mv "$openapi.tmp" "$openapi"
fi

printf 'HOOKYARD_HELM=%s\nHOOKYARD_KUBECONFORM=%s\nHOOKYARD_K8S_OPENAPI=%s\n' "$helm_bin" "$kubeconform_bin" "$openapi"
