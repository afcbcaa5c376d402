#!/usr/bin/env python3
"""CPU time of `bpfstream filter` checkouts against tcpdump, to the microsecond.

The same measurement as bench/cli_vs_tcpdump.sh (1M frames, `tcp port 80`,
link base), for comparing builds on a loaded machine: runs alternate between
the given checkouts and tcpdump, and the CPU time (user + sys) of the filter
process alone comes from getrusage (the cats of pipe mode are not counted).
Prints the median and first quartile of wall and CPU time per entry.

Usage:
  MODE=stdin|file|pipe python3 bench/_cli_cpu_pairs.py RUNS INPUT OUTFILE LABEL:DIR... [LABEL:tcpdump]

  DIR is a checkout of bpfstream (e.g. `git archive REV | tar -x -C DIR`),
  run as users run it: its bundle src/cli/dist/bpfstream.js, or
  src/cli/main.ts in a checkout from before the bundle; `tcpdump` runs
  tcpdump instead. DENO (environment) is the deno binary
  (default: deno on PATH, else the one npx -y deno@2.9.6 runs).
"""
import os
import shutil
import statistics
import subprocess
import sys
import time


def _deno() -> str:
    found = os.environ.get("DENO") or shutil.which("deno")
    if found:
        return found
    out = subprocess.run(
        ["npx", "-y", "deno@2.9.6", "eval", "console.log(Deno.execPath())"],
        capture_output=True, text=True, check=True)
    return out.stdout.strip()


DENO = _deno()
FILTER = "tcp port 80"


def _command(where: str, mode: str, capture: str, out: str):
    if where == "tcpdump":
        source = capture if mode == "file" else "-"
        target = out if mode == "file" else "-"
        return ["tcpdump", "-r", source, "-w", target, FILTER], None
    entry = "src/cli/dist/bpfstream.js"
    if not os.path.exists(os.path.join(where, entry)):
        entry = "src/cli/main.ts"
    command = [DENO, "run", "--allow-read", "--allow-write", "--allow-env", entry,
               "filter", "--base", "link", "--expr", FILTER]
    return command + ([capture] if mode == "file" else []), where


def _run(where: str, mode: str, capture: str, out: str):
    """One run: (wall ms, CPU ms of the filter process)."""
    command, cwd = _command(where, mode, capture, out)
    start = time.perf_counter()
    if mode == "pipe":
        cat_in = subprocess.Popen(["cat", capture], stdout=subprocess.PIPE)
        with open(out, "wb") as sink:
            proc = subprocess.Popen(command, cwd=cwd, stdin=cat_in.stdout,
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            cat_in.stdout.close()
            cat_out = subprocess.Popen(["cat"], stdin=proc.stdout, stdout=sink)
            proc.stdout.close()
            _, _, usage = os.wait4(proc.pid, 0)
            cat_in.wait()
            cat_out.wait()
    else:
        with open(capture if mode == "stdin" else os.devnull, "rb") as source, \
                open(out if mode == "file" else os.devnull, "wb") as sink:
            proc = subprocess.Popen(command, cwd=cwd, stdin=source, stdout=sink,
                                    stderr=subprocess.DEVNULL)
            _, _, usage = os.wait4(proc.pid, 0)
    wall = (time.perf_counter() - start) * 1000
    return wall, (usage.ru_utime + usage.ru_stime) * 1000


def main() -> None:
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    # Absolute: each checkout runs in its own folder.
    runs, capture, out = int(sys.argv[1]), os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3])
    entries = [arg.split(":", 1) for arg in sys.argv[4:]]
    mode = os.environ.get("MODE", "stdin")
    results = {label: [] for label, _ in entries}
    for _ in range(runs):
        for label, where in entries:
            results[label].append(_run(where, mode, capture, out))
    for label, _ in entries:
        walls = sorted(w for w, _ in results[label])
        cpus = sorted(c for _, c in results[label])
        print(f"{mode:5s} {label:9s} wall median {statistics.median(walls):6.1f} ms "
              f"(q1 {walls[len(walls) // 4]:6.1f})  CPU median {statistics.median(cpus):6.1f} ms "
              f"(q1 {cpus[len(cpus) // 4]:6.1f})")


if __name__ == "__main__":
    main()
