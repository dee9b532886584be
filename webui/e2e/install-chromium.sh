#!/usr/bin/env bash
# Test set-up for the browser tests: installs Debian's Chromium when no Chromium or Chrome is found
# and apt-get can be used (root). Otherwise it only warns: the tests then fail saying how to get one.
set -euo pipefail
cd "$(dirname "$0")"
if node find-chromium.mjs >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "No Chromium found: installing Debian's chromium with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "No Chromium found and apt-get cannot be used here: the browser tests will fail." >&2
fi
