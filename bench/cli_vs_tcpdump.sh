#!/usr/bin/env bash
# bpfstream filter vs tcpdump, both reading a pipe on stdin and writing a pipe
# on stdout, on the same generated capture with the same filter, in one run
# (alternating, best of N), plus peak RSS on a ~2 GB input.
#
# Usage: bench/cli_vs_tcpdump.sh [RUNS] [--no-big]
#   RUNS      timed runs of each tool (default 3; the best is kept)
#   --no-big  skip the 2 GB peak-RSS measurement
# Needs: deno, tcpdump, /usr/bin/time. Data goes to bench/data (gitignored);
# the 2 GB file is deleted afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
BIG=1
for a in "$@"; do [ "$a" = "--no-big" ] && BIG=0; done
DATA=bench/data
CAPTURE=$DATA/mixed_1m.pcap
FILTER="tcp port 80"
BPFSTREAM=(deno run --allow-read --allow-write --allow-env src/cli/main.ts)
mkdir -p "$DATA"
[ -f "$CAPTURE" ] || deno run -A bench/make_capture.ts --frames 1000000 --out "$CAPTURE"

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc; }

# Warm the page cache and Deno's module cache.
cat "$CAPTURE" > /dev/null
"${BPFSTREAM[@]}" filter --base link --expr "$FILTER" < /dev/null > /dev/null 2>&1 || true

best_b=999999; best_t=999999
for i in $(seq "$RUNS"); do
  t0=$(now); cat "$CAPTURE" | "${BPFSTREAM[@]}" filter --base link --expr "$FILTER" | cat > "$DATA/out_bpfstream.pcap"; t1=$(now)
  b=$(elapsed "$t0" "$t1")
  t0=$(now); cat "$CAPTURE" | tcpdump -r - -w - "$FILTER" 2>/dev/null | cat > "$DATA/out_tcpdump.pcap"; t1=$(now)
  t=$(elapsed "$t0" "$t1")
  echo "run $i: bpfstream ${b}s  tcpdump ${t}s"
  best_b=$(echo "if ($b < $best_b) $b else $best_b" | bc)
  best_t=$(echo "if ($t < $best_t) $t else $best_t" | bc)
done
if cmp -s "$DATA/out_bpfstream.pcap" "$DATA/out_tcpdump.pcap"; then same="identical"; else same="DIFFERENT"; fi
echo "input: $(stat -c %s "$CAPTURE") bytes; filter '$FILTER' (link base); output $(stat -c %s "$DATA/out_bpfstream.pcap") bytes; outputs $same"
echo "best wall time: bpfstream ${best_b}s, tcpdump ${best_t}s, ratio $(echo "scale=2; $best_b / $best_t" | bc)"
rm -f "$DATA/out_bpfstream.pcap" "$DATA/out_tcpdump.pcap"

if [ "$BIG" = 1 ]; then
  BIGFILE=$DATA/big_2g.pcap
  # ~2 GB: the 1M-frame capture's records repeated after one header.
  size=$(stat -c %s "$CAPTURE")
  copies=$(( (2000000000 + size - 1) / size ))
  { head -c 24 "$CAPTURE"; for _ in $(seq "$copies"); do tail -c +25 "$CAPTURE"; done; } > "$BIGFILE"
  echo "big input: $(stat -c %s "$BIGFILE") bytes"
  cat "$BIGFILE" | /usr/bin/time -v "${BPFSTREAM[@]}" filter --base link --expr "$FILTER" --stats 2> "$DATA/time.txt" > /dev/null || true
  grep -E "Maximum resident set size|Elapsed \(wall clock\)" "$DATA/time.txt"
  grep -E "packets \(" "$DATA/time.txt" || true
  rm -f "$BIGFILE" "$DATA/time.txt"
fi
