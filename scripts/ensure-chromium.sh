#!/usr/bin/env bash
# Makes sure Debian's `chromium` is installed, for the console's browser test
# (test/console/page-browser.test.ts drives /usr/bin/chromium with playwright-core).
# Installs the Debian package when it is missing.
exec bash "$(dirname "$0")/ensure-debian-package.sh" chromium /usr/bin/chromium
