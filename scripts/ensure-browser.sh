#!/usr/bin/env bash
# Make sure a Chromium is there for the Playwright tests (never skip them silently).
set -euo pipefail
python_bin=${1:-python3}
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "No /usr/bin/chromium and no root apt: installing Playwright's own Chromium."
"$python_bin" -m playwright install chromium
