#!/usr/bin/env bash
# bpfstream filter vs tcpdump on the same generated capture (1,000,000 mixed
# Ethernet frames) and the same filter, in one run, in three I/O modes:
#   stdin  stdin redirected from the file, stdout to /dev/null
#   file   the file as argument, output to a file (tcpdump -r F -w O)
#   pipe   pipes on both sides: cat F | X | cat > O
# Runs alternate between the tools, the order rotating each round; the table
# gives medians of RUNS runs of wall time and CPU time (user + sys of the filter process alone, not of the
# cats, to the millisecond), and checks that both tools wrote the same bytes (cmp). Then the
# start-up time of both tools (stdin mode on a capture of the 24-byte file
# header alone), and peak RSS of bpfstream on a ~2 GB stream (generated on the
# fly, never stored).
#
# Usage: bench/cli_vs_tcpdump.sh [RUNS] [--no-big]
#   RUNS      timed runs of each tool in each mode (default 7, at least 5)
#   --no-big  skip the 2 GB peak-RSS measurement
#   BPFSTREAM_DIR=DIR (environment) runs the CLI of another checkout (its
#   src/cli/dist/bpfstream.js, else src/cli/main.ts), e.g. an
#   older commit from `git archive REV | tar -x -C DIR`, against tcpdump.
#   BASELINE_DIR=DIR (environment) also runs that checkout's CLI in the same
#   rounds (each round: bpfstream, baseline, tcpdump), and prints its rows
#   beside this tree's: a side-by-side comparison under the same load.
#   BPFSTREAM_FLAGS="..." (environment) replaces the permission flags given
#   to deno (default -A, as the README installs the command: with FFI, filter
#   widens a full stdin pipe), e.g. "--allow-read --allow-write --allow-env"
#   for the permissions of `deno task cli` (no FFI: pipes keep 64 KiB).
# Other captures (pcapng, nanosecond, big-endian, SLL, raw IP, small and
# jumbo frames, a cut snaplen), filters and a fourth mode (-r F | cat):
# bench/cli_vs_tcpdump_cases.py, the same alternation and byte comparison.
# Needs: deno (or npx); tcpdump, bc and /usr/bin/time (installed with apt-get
# where missing). Data goes to bench/data (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=7
BIG=1
for a in "$@"; do
  case "$a" in
    --no-big) BIG=0 ;;
    *) RUNS=$a ;;
  esac
done
[ "$RUNS" -ge 5 ] || RUNS=5
DATA=bench/data
CAPTURE=$DATA/mixed_1m.pcap
FILTER="tcp port 80"

# The deno binary itself: npx in front of every run would add its own start-up.
DENO=${DENO:-$(command -v deno || true)}
if [ -z "$DENO" ]; then
  DENO=$(npx -y deno@2.9.6 eval 'console.log(Deno.execPath())')
fi
missing=()
command -v tcpdump > /dev/null || missing+=(tcpdump)
command -v bc > /dev/null || missing+=(bc)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} with apt-get" >&2
  (apt-get update -qq && apt-get install -y -qq "${missing[@]}") > /dev/null
fi
TIME=/usr/bin/time
# The command as users run it: the bundle (src/cli/dist), or the sources of a
# checkout from before it.
ENTRY=${BPFSTREAM_DIR:-.}/src/cli/dist/bpfstream.js
[ -f "$ENTRY" ] || ENTRY=${BPFSTREAM_DIR:-.}/src/cli/main.ts
read -r -a FLAGS <<< "${BPFSTREAM_FLAGS:--A}"
BPFSTREAM=("$DENO" run "${FLAGS[@]}" "$ENTRY" filter --base link --expr "$FILTER")
TCPDUMP=(tcpdump -r)
BASELINE=()
if [ -n "${BASELINE_DIR:-}" ]; then
  BASE_ENTRY=$BASELINE_DIR/src/cli/dist/bpfstream.js
  [ -f "$BASE_ENTRY" ] || BASE_ENTRY=$BASELINE_DIR/src/cli/main.ts
  BASELINE=("$DENO" run "${FLAGS[@]}" "$BASE_ENTRY" filter --base link --expr "$FILTER")
fi

mkdir -p "$DATA"
[ -f "$CAPTURE" ] || "$DENO" run -A bench/make_capture.ts --frames 1000000 --out "$CAPTURE"

# Warm the page cache and Deno's module cache.
cat "$CAPTURE" > /dev/null
"${BPFSTREAM[@]}" "$CAPTURE" > /dev/null
[ ${#BASELINE[@]} -eq 0 ] || "${BASELINE[@]}" "$CAPTURE" > /dev/null

now() { date +%s.%N; }
# cpu CMD...: runs CMD, then writes "USER SYS" (seconds of CPU time of CMD
# alone, to the millisecond, from bash's `times`; /usr/bin/time counts 10 ms
# ticks) to $DATA/time.txt.
cpu() {
  ( "$@"; times > "$DATA/times.txt" )
  sed -n 2p "$DATA/times.txt" |
    awk '{ for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); printf "%.3f ", t[1] * 60 + t[2] } print "" }' > "$DATA/time.txt"
}
# run TOOL MODE OUT: one timed run; prints "wall cpu" in seconds.
run() {
  local tool=$1 mode=$2 out=$3 t0 t1 cmd
  case "$tool" in
    bpfstream) cmd=("${BPFSTREAM[@]}") ;;
    baseline) cmd=("${BASELINE[@]}") tool=bpfstream ;;
    *) cmd=(tcpdump) ;;
  esac
  t0=$(now)
  case "$mode:$tool" in
    stdin:bpfstream) cpu "${cmd[@]}" < "$CAPTURE" > /dev/null ;;
    stdin:tcpdump) cpu tcpdump -r - -w - "$FILTER" < "$CAPTURE" > /dev/null 2> /dev/null ;;
    file:bpfstream) cpu "${cmd[@]}" "$CAPTURE" > "$out" ;;
    file:tcpdump) cpu tcpdump -r "$CAPTURE" -w "$out" "$FILTER" 2> /dev/null ;;
    pipe:bpfstream) cat "$CAPTURE" | cpu "${cmd[@]}" | cat > "$out" ;;
    pipe:tcpdump) cat "$CAPTURE" | cpu tcpdump -r - -w - "$FILTER" 2> /dev/null | cat > "$out" ;;
  esac
  t1=$(now)
  read -r user sys < "$DATA/time.txt"
  printf "%.3f %.3f\n" "$(echo "$t1 - $t0" | bc)" "$(echo "$user + $sys" | bc)"
}
median() { sort -n | awk '{ v[NR] = $1 } END { printf "%.3f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { printf "%.2f" "$(echo "scale=4; $1 / $2" | bc)"; }

echo "machine: $(nproc) cores; load before: $(uptime | sed 's/.*load average: //')"
echo "input: $CAPTURE, $(stat -L -c %s "$CAPTURE") bytes; filter '$FILTER' (--base link); $RUNS runs per cell, medians"
echo "bpfstream: $ENTRY ($(git -C "${BPFSTREAM_DIR:-.}" log -1 --format=%h 2> /dev/null || echo "not a git checkout")), deno run ${FLAGS[*]}"
[ ${#BASELINE[@]} -eq 0 ] || echo "baseline (same rounds): $BASE_ENTRY"
echo
echo "| mode | bpfstream wall | tcpdump wall | wall ratio | bpfstream CPU | tcpdump CPU | CPU ratio | output |"
echo "|---|---|---|---|---|---|---|---|"
baseline_rows=""
for mode in stdin file pipe; do
  : > "$DATA/b.txt"
  : > "$DATA/t.txt"
  : > "$DATA/base.txt"
  tools=(bpfstream tcpdump)
  [ ${#BASELINE[@]} -eq 0 ] || tools=(bpfstream baseline tcpdump)
  for i in $(seq "$RUNS"); do
    # Each round starts one tool later: on a loaded machine a tool's place
    # in the round (what ran just before it) weighed up to 30%.
    for k in $(seq 0 $((${#tools[@]} - 1))); do
      tool=${tools[$(((i + k) % ${#tools[@]}))]}
      case "$tool" in
        bpfstream) run bpfstream "$mode" "$DATA/out_bpfstream.pcap" >> "$DATA/b.txt" ;;
        baseline) run baseline "$mode" "$DATA/out_baseline.pcap" >> "$DATA/base.txt" ;;
        tcpdump) run tcpdump "$mode" "$DATA/out_tcpdump.pcap" >> "$DATA/t.txt" ;;
      esac
    done
  done
  if [ "$mode" = stdin ]; then
    "${BPFSTREAM[@]}" < "$CAPTURE" > "$DATA/out_bpfstream.pcap"
    tcpdump -r - -w - "$FILTER" < "$CAPTURE" > "$DATA/out_tcpdump.pcap" 2> /dev/null
    [ ${#BASELINE[@]} -eq 0 ] || "${BASELINE[@]}" < "$CAPTURE" > "$DATA/out_baseline.pcap"
  fi
  if cmp -s "$DATA/out_bpfstream.pcap" "$DATA/out_tcpdump.pcap"; then
    same="identical ($(stat -c %s "$DATA/out_bpfstream.pcap") bytes)"
  else
    same="DIFFERENT"
  fi
  bw=$(cut -d' ' -f1 "$DATA/b.txt" | median)
  tw=$(cut -d' ' -f1 "$DATA/t.txt" | median)
  bc_=$(cut -d' ' -f2 "$DATA/b.txt" | median)
  tc=$(cut -d' ' -f2 "$DATA/t.txt" | median)
  echo "| $mode | ${bw} s | ${tw} s | $(ratio "$bw" "$tw")x | ${bc_} s | ${tc} s | $(ratio "$bc_" "$tc")x | $same |"
  if [ ${#BASELINE[@]} -gt 0 ]; then
    xw=$(cut -d' ' -f1 "$DATA/base.txt" | median)
    xc=$(cut -d' ' -f2 "$DATA/base.txt" | median)
    if cmp -s "$DATA/out_baseline.pcap" "$DATA/out_tcpdump.pcap"; then xs=identical; else xs=DIFFERENT; fi
    baseline_rows+="| $mode | ${xw} s | ${tw} s | $(ratio "$xw" "$tw")x | ${xc} s | ${tc} s | $(ratio "$xc" "$tc")x | $xs |"$'\n'
  fi
done
if [ -n "$baseline_rows" ]; then
  echo
  echo "baseline, in the same rounds:"
  echo
  echo "| mode | baseline wall | tcpdump wall | wall ratio | baseline CPU | tcpdump CPU | CPU ratio | output |"
  echo "|---|---|---|---|---|---|---|---|"
  printf "%s" "$baseline_rows"
fi
rm -f "$DATA/out_bpfstream.pcap" "$DATA/out_tcpdump.pcap" "$DATA/out_baseline.pcap" "$DATA/b.txt" "$DATA/t.txt" "$DATA/base.txt" "$DATA/times.txt"

# Fixed cost: the same command on a capture of its 24-byte file header alone.
head -c 24 "$CAPTURE" > "$DATA/header_only.pcap"
: > "$DATA/b.txt"
: > "$DATA/t.txt"
: > "$DATA/base.txt"
for _ in $(seq "$RUNS"); do
  t0=$(now)
  "${BPFSTREAM[@]}" < "$DATA/header_only.pcap" > /dev/null
  t1=$(now)
  tcpdump -r - -w - "$FILTER" < "$DATA/header_only.pcap" > /dev/null 2> /dev/null
  t2=$(now)
  echo "$t1 - $t0" | bc >> "$DATA/b.txt"
  echo "$t2 - $t1" | bc >> "$DATA/t.txt"
  if [ ${#BASELINE[@]} -gt 0 ]; then
    "${BASELINE[@]}" < "$DATA/header_only.pcap" > /dev/null
    echo "$(now) - $t2" | bc >> "$DATA/base.txt"
  fi
done
echo
echo "start-up (stdin mode on the 24-byte header alone, medians): bpfstream $(median < "$DATA/b.txt") s, tcpdump $(median < "$DATA/t.txt") s$([ ${#BASELINE[@]} -eq 0 ] || echo ", baseline $(median < "$DATA/base.txt") s")"
rm -f "$DATA/header_only.pcap" "$DATA/b.txt" "$DATA/t.txt" "$DATA/base.txt"
echo
echo "load after: $(uptime | sed 's/.*load average: //')"

if [ "$BIG" = 1 ]; then
  # ~2 GB: the capture's records repeated after one header, streamed through a pipe.
  size=$(stat -L -c %s "$CAPTURE")
  copies=$(( (2000000000 + size - 1) / size ))
  { head -c 24 "$CAPTURE"; for _ in $(seq "$copies"); do tail -c +25 "$CAPTURE"; done; } |
    "$TIME" -o "$DATA/time.txt" -f "%M %e" "${BPFSTREAM[@]}" --stats 2> "$DATA/stats.txt" > /dev/null
  read -r rss wall < "$DATA/time.txt"
  echo "2 GB stream ($(( copies * (size - 24) + 24 )) bytes through a pipe): peak RSS $(( rss / 1024 )) MiB, ${wall} s; $(grep -E "packets \(" "$DATA/stats.txt" || true)"
  rm -f "$DATA/time.txt" "$DATA/stats.txt"
fi
