#!/bin/sh
# Installs Debian's Chromium for the browser tests (tests/test_browser.py) if it is missing.
# Playwright drives this system browser; `playwright install` (which downloads one) is not used.
set -eu
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
    SUDO="sudo"
fi
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends chromium
