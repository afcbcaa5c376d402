#!/usr/bin/env bash
# Installs what the deployment tests (tests/deploy/) need, pinned by lock files:
# bun, @deno/kv and hono in .ci/deploy_tools (Node/Bun package tests), and
# wrangler (with workerd) in examples/deploy (Cloudflare Workers tests).
# Idempotent; on failure prints one line and the tests that need it skip.
cd "$(dirname "$0")/.." || exit 0
command -v npm >/dev/null 2>&1 || {
  echo "ci: npm not found (Workers, Node and Bun deployment tests skip)"
  exit 0
}
for dir in .ci/deploy_tools examples/deploy; do
  if ! (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/tmp/bpfstream-ci-npm.log 2>&1); then
    echo "ci: npm ci failed in $dir (see /tmp/bpfstream-ci-npm.log; the tests that need it skip)"
  fi
done
exit 0
