"""Pipe mode, side by side: `cat CAPTURE | CMD | cat > OUT` for each command,
alternating, ROUNDS rounds; prints per command the median wall time, the
median CPU of the whole pipeline (user + sys of all three processes), the
median of the per-round wall ratio to the first command, and whether its
output is identical to the first command's. The order rotates each round.

Usage: python3 bench/_pipe_mode_ab.py ROUNDS NAME=CMD [NAME=CMD ...]
  e.g. python3 bench/_pipe_mode_ab.py 11 "tcpdump=tcpdump -r - -w - 'tcp port 80'" \
         "cli=deno run -A src/cli/dist/bpfstream.js filter --base link --expr 'tcp port 80'"
Environment: CAPTURE (default bench/data/mixed_1m.pcap); PRE, a prefix for
each pipeline, e.g. PRE="chrt -f 10 " runs it at real-time priority, so that
the other work of a shared machine does not take its cores (an idle
machine's scheduling, as far as this pipeline sees); GATE=F (0 < F < 1)
starts each round only once both cores were idle for at least the fraction F
of half a second (waiting up to GATE_MAX seconds, default 600): on a shared
machine, rounds taken at idle moments (the fractions are printed).
"""
import os, resource, statistics, subprocess, sys, time

capture = os.environ.get("CAPTURE", "bench/data/mixed_1m.pcap")
pre = os.environ.get("PRE", "")
rounds = int(sys.argv[1])
specs = [a.split("=", 1) for a in sys.argv[2:]]
wall = {k: [] for k, _ in specs}
cpu = {k: [] for k, _ in specs}
ratio = {k: [] for k, _ in specs}
print("load before:", " ".join(open("/proc/loadavg").read().split()[:3]))


def idle_fraction(seconds=0.5):
    def sample():
        fields = [int(v) for v in open("/proc/stat").readline().split()[1:]]
        return fields[3] + fields[4], sum(fields)
    idle0, total0 = sample()
    time.sleep(seconds)
    idle1, total1 = sample()
    return (idle1 - idle0) / max(1, total1 - total0)


gate = float(os.environ.get("GATE", "0"))
idles = []
for r in range(rounds):
    if gate:
        waited = time.time()
        while (idle := idle_fraction()) < gate:
            if time.time() - waited > float(os.environ.get("GATE_MAX", "600")):
                break
        idles.append(idle)
    row = {}
    # Each round starts one command later: a command's place in the round
    # (what ran just before it) weighed up to 30% on a loaded machine.
    for name, cmd in specs[r % len(specs):] + specs[:r % len(specs)]:
        pipeline = f"cat {capture} | {cmd} | cat > /tmp/pipe_ab_{name}.pcap"
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(f"{pre}bash -c \"{pipeline}\"", shell=True, stderr=subprocess.DEVNULL)
        row[name] = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall[name].append(row[name])
        cpu[name].append(r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime)
    for name, _ in specs:
        ratio[name].append(row[name] / row[specs[0][0]])
first = open(f"/tmp/pipe_ab_{specs[0][0]}.pcap", "rb").read()
for name, _ in specs:
    same = open(f"/tmp/pipe_ab_{name}.pcap", "rb").read() == first
    print(f"{name:10s} wall {statistics.median(wall[name]):.3f} s  pipeline CPU "
          f"{statistics.median(cpu[name]):.3f} s  wall ÷ first {statistics.median(ratio[name]):.3f}  "
          f"{'identical' if same else 'DIFFERENT'}")
    print(f"{'':10s} wall samples {' '.join('%.3f' % w for w in sorted(wall[name]))}")
if idles:
    print("idle fraction before each round:", " ".join("%.2f" % f for f in idles))
for name, _ in specs:
    os.remove(f"/tmp/pipe_ab_{name}.pcap")
print("load after:", " ".join(open("/proc/loadavg").read().split()[:3]))
