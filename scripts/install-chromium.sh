#!/usr/bin/env bash
# Installs Debian's Chromium for the dashboard's browser tests (playwright-core drives /usr/bin/chromium; no
# browser download). Idempotent: does nothing when /usr/bin/chromium exists; otherwise refreshes apt's lists first
# (an old list can name versions the mirror no longer has). Needs root (or sudo) on Debian/Ubuntu.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-chromium: need root to run apt-get install -y chromium" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
/usr/bin/chromium --version
