#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests of the workbench (web/). Idempotent; on
# failure prints one line and returns 0: the browser tests then skip with a message.
# puppeteer-core comes from npm through deno.json (pinned there).
set -uo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ci: chromium not installed (needs root and apt-get; the browser tests skip)"
  exit 0
fi
log=/tmp/bpfstream-ci-browser.log
if ! { apt-get -o DPkg::Lock::Timeout=300 update -qq &&
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
    --no-install-recommends chromium fonts-dejavu-core; } >"$log" 2>&1; then
  echo "ci: could not install chromium (see $log; the browser tests skip)"
fi
exit 0
