#!/usr/bin/env python3
"""CPU time of the CLI bundle, `filter --rules R` against `--strategy wasm` (issue 11).

For each rule file, runs `deno run -A src/cli/dist/bpfstream.js filter --rules R CAPTURE`
with no strategy and with `--strategy wasm`, alternating, RUNS rounds; CPU (user + sys)
from getrusage; prints the median of each and their ratio, and the load before and after.

Usage: python3 bench/_strategy_cpu.py RUNS CAPTURE RULES...
  DENO (environment): the deno binary (default: deno on PATH); BUNDLE: another bundle.
"""
import os
import shutil
import statistics
import subprocess
import sys

DENO = os.environ.get("DENO") or shutil.which("deno") or "deno"
BUNDLE = os.environ.get("BUNDLE") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "cli", "dist", "bpfstream.js")


def cpu(args):
    proc = subprocess.Popen([DENO, "run", "-A", BUNDLE, "filter"] + args,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"failed: {args}: {proc.stderr.read().decode()[:300]}")
    return usage.ru_utime + usage.ru_stime


def main():
    runs, capture, files = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    print("load before:", open("/proc/loadavg").read().split()[:3])
    print("| set | default CPU | `--strategy wasm` CPU | wasm / default |")
    print("|---|---|---|---|")
    for path in files:
        times = {"default": [], "wasm": []}
        for r in range(runs):
            order = ["default", "wasm"] if r % 2 == 0 else ["wasm", "default"]
            for s in order:
                extra = [] if s == "default" else ["--strategy", "wasm"]
                times[s].append(cpu(["--rules", path] + extra + [capture]))
        d, w = statistics.median(times["default"]), statistics.median(times["wasm"])
        print(f"| {os.path.basename(path)} | {d:.3f} s | {w:.3f} s | {w / d:.2f} |", flush=True)
    print("load after:", open("/proc/loadavg").read().split()[:3])


main()
