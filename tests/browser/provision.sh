#!/usr/bin/env bash
# Install what the setup command's browser test needs on a Debian machine: Debian's Chromium and its
# ChromeDriver (packages chromium and chromium-driver: /usr/bin/chromium, /usr/bin/chromedriver).
# Does nothing when both are present, or when not root (the test then skips, saying why, except
# under CI=true, where it fails). Selenium comes from requirements-dev.txt; nothing downloads a browser.
set -euo pipefail
command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "browser test: cannot install chromium and chromium-driver (needs root and apt-get); it will skip" >&2
  exit 0
fi
echo "browser test: installing chromium chromium-driver"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
