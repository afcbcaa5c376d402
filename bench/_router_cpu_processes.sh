#!/bin/bash
# Private A/B helper (issue 11, session 9): the router's per-frame CPU in
# process (bench/_router_cpu_ab.ts) with one tree per process, the trees
# alternating, PROCS processes each; per process the least of ROUNDS rounds
# (passes over the capture), then per tree the median over its processes.
# Trees loaded in one process disturbed each other by up to 6 ns per frame
# (the same module bytes measured 113 / 119 ns), hence one per process.
#
#   bench/_router_cpu_processes.sh RULES PROCS ROUNDS TREE...   (TREE: absolute path)
set -eu
rules=$1 procs=$2 rounds=$3
shift 3
deno=${DENO:-deno}
here=$(cd "$(dirname "$0")" && pwd)
declare -A got
for _ in $(seq "$procs"); do
  for tree in "$@"; do
    least=$($deno run -A "$here/_router_cpu_ab.ts" "$rules" "$rounds" "$tree" | tail -1 | awk '{print $1}')
    got[$tree]="${got[$tree]:-} $least"
  done
done
for tree in "$@"; do
  echo "${got[$tree]}" | tr ' ' '\n' | sed '/^$/d' | sort -n |
    awk -v t="$tree" '{a[NR] = $1} END {printf "median %.1f ns/frame (least per process:", a[int((NR + 1) / 2)]; for (i = 1; i <= NR; i++) printf " %s", a[i]; printf ")  %s\n", t}'
done
