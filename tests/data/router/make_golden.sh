#!/bin/sh
# Regenerates tests/data/router/tcpdump_golden.json: for every link-base case of
# the conformance corpus, what `tcpdump -r FILE -w OUT EXPR` keeps (packet count
# and SHA-256 of the kept packets' caplen, len and data). Needs tcpdump
# (made with tcpdump 4.99.3 / libpcap 1.10.3); CI only reads the JSON.
set -eu
cd "$(dirname "$0")/../../.."
exec deno run --allow-read --allow-write --allow-run tests/data/router/make_golden.ts "$@"
