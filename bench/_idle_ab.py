"""Side-by-side runs as on an idle machine, on a shared one (issues 11, 12; session 11).

Runs each command alternately N times at real-time round-robin priority
(`chrt -r 10`, needs root): the process's threads then take the cores from
the other sessions' ordinary processes at once, so wall times are what an
idle 2-core machine gives (checked: one-thread figures within 1-3% of the
lead's idle ones, 0 / 1,000 / 10,000 diverse rules 0.120 / 0.474 / 1.419 s
against 0.112 / 0.468 / 1.387 s). Prints medians of wall and CPU time
(user + sys of the whole process, every thread). Keep runs short: a
real-time process holds the cores from everyone else while it runs.

Usage:

  python3 bench/_idle_ab.py N "cmdA ;; cmdB ;; ..." [--normal]

`--normal` runs at normal priority (the machine's load then shows).
"""
import resource
import statistics
import subprocess
import sys
import time

args = [a for a in sys.argv[1:] if a != "--normal"]
normal = len(args) != len(sys.argv) - 1
rounds = int(args[0])
commands = [c.strip() for c in " ".join(args[1:]).split(";;") if c.strip()]
prefix = "" if normal else "chrt -r 10 "
wall = {c: [] for c in commands}
cpu = {c: [] for c in commands}
for _ in range(rounds):
    for c in commands:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(prefix + c, shell=True, stdout=subprocess.DEVNULL)
        wall[c].append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu[c].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
with open("/proc/loadavg") as f:
    print("load", f.read().split()[0], "(other sessions)" if not normal else "")
for c in commands:
    print(f"wall {statistics.median(wall[c]):.3f} s  cpu {statistics.median(cpu[c]):.3f} s  {c}")
