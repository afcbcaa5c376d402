#!/bin/sh
# Private A/B (issue 11): the CLI bundles of two trees, whole process, run
# alternately (the order swapped every round), one line per run:
#   tree rules capture seconds
# Usage: bench/_cli_bundle_ab.sh BASE_DIR ROUNDS CAPTURE RULES...
# e.g.  bench/_cli_bundle_ab.sh /tmp/base 5 bench/data/mixed_1m.pcap /tmp/d0.rules /tmp/d1k.rules
# Medians: ... | sort -k1,2 -k4n | awk (see bench/RESULTS.md, issue 11 candidates).
base=$1; rounds=$2; capture=$3; shift 3
deno=${DENO:-deno}
this=$(cd "$(dirname "$0")/.." && pwd)
run() {
  start=$(date +%s.%N)
  "$deno" run --allow-read --allow-write --allow-env --allow-net --allow-sys=loadavg \
    "$1/src/cli/dist/bpfstream.js" filter --threads 1 --rules "$2" "$capture" > /dev/null
  end=$(date +%s.%N)
  echo "$3 $(basename "$2") $(basename "$capture") $(echo "$end - $start" | bc)"
}
i=0
while [ $i -lt "$rounds" ]; do
  for rules in "$@"; do
    if [ $((i % 2)) -eq 0 ]; then run "$base" "$rules" base; run "$this" "$rules" this
    else run "$this" "$rules" this; run "$base" "$rules" base; fi
  done
  i=$((i + 1))
done
