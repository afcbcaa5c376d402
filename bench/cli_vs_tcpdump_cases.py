#!/usr/bin/env python3
"""bpfstream filter against tcpdump on captures, filters and I/O modes beyond
bench/cli_vs_tcpdump.sh's one case (issue 12, goal 1): the unseen-case table.

Each cell runs `bpfstream filter --base link --expr E` (this tree's bundle,
and BASELINE_DIR's in the same rounds if given) and tcpdump on one capture
in one mode, alternating the tools with the order rotating each round, and
prints medians of wall time and of the filter process's own CPU time
(user + sys, from wait4: not the cats'), the ratios to tcpdump, and whether
each tool's output has tcpdump's bytes (one more run per tool writing to a
file, compared byte for byte).

Modes:
  stdin  TOOL < F > /dev/null              (tcpdump -r - -w -)
  file   bpfstream F > O; tcpdump -r F -w O
  pipe   cat F | TOOL | cat > O            (tcpdump -r - -w -)
  cat    bpfstream F | cat > O; tcpdump -r F -w - | cat > O

Captures (made in DIR by `--make`, from bench/make_capture.ts's seed 9, 1M
frames, with tcpdump, editcap and bench/_capture_variants.py): mixed, small
(frames of at most 80 bytes, `less 80`), jumbo (1,514-9,014-byte frames),
snap96 (`editcap -s 96 -F pcap`), pcapng (`editcap -F pcapng`), nsec
(`editcap -F nsecpcap`), big-endian, sll, sll2, raw.

Usage:
  bench/cli_vs_tcpdump_cases.py --make [DIR]         make the captures (default /tmp/c17)
  bench/cli_vs_tcpdump_cases.py RUNS [DIR] [CELLS]   time the cells (CELLS: a comma list of
                                                     names, default all)
Environment: DENO (the deno binary), BASELINE_DIR (other checkouts, separated by ':'),
BPFSTREAM_FLAGS (default -A).
"""
import os
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TREE = os.path.dirname(HERE)
OR50 = " or ".join(f"net 10.0.{5 * k}.0/24" for k in range(50)) + " or tcp port 9999"
FILTERS = {
    "ip": "ip",
    "none": "tcp port 20000",
    "host": "host 10.0.150.215",
    "net": "net 10.0.0.0/20",
    "or50": OR50,
    "syn": "tcp[tcpflags] & tcp-syn != 0",
    "vlan": "vlan and ip",
    "ip6tcp": "ip6 and tcp",
    "payload": "tcp[((tcp[12:1] & 0xf0) >> 2):1] = 0",
    "ether70": "ether[70] = 0x41",
    "port80": "tcp port 80",
}
CAPTURES = {
    "mixed": "mixed.pcap",
    "small": "small.pcap",
    "jumbo": "jumbo.pcap",
    "snap96": "snap96.pcap",
    "pcapng": "ng.pcapng",
    "nsec": "nsec.pcap",
    "big-endian": "big-endian.pcap",
    "sll": "sll.pcap",
    "sll2": "sll2.pcap",
    "raw": "raw.pcap",
}
# (capture, filter, mode): every filter on the mixed capture from stdin,
# every capture with two filters, and every mode on a few.
CELLS = [("mixed", f, "stdin") for f in FILTERS]
CELLS += [(c, f, "stdin") for c in CAPTURES if c != "mixed" for f in ("port80", "ip")]
CELLS += [(c, f, m) for c, f in (("mixed", "port80"), ("mixed", "ip"), ("small", "port80"),
                                 ("pcapng", "port80"), ("jumbo", "ip"))
          for m in ("file", "pipe", "cat")]


def make(directory):
    os.makedirs(directory, exist_ok=True)
    deno = os.environ.get("DENO", "deno")
    at = lambda name: os.path.join(directory, name)
    run = lambda *a: subprocess.run(list(a), check=True, stderr=subprocess.DEVNULL)
    run(deno, "run", "-A", os.path.join(HERE, "make_capture.ts"), "--seed", "9", "--out", at("mixed.pcap"))
    for variant in ("big-endian", "sll", "sll2", "raw", "jumbo"):
        run("python3", os.path.join(HERE, "_capture_variants.py"), variant, at("mixed.pcap"), at(variant + ".pcap"))
    run("tcpdump", "-r", at("mixed.pcap"), "-w", at("small.pcap"), "less 80")
    run("editcap", "-F", "pcap", "-s", "96", at("mixed.pcap"), at("snap96.pcap"))
    run("editcap", "-F", "pcapng", at("mixed.pcap"), at("ng.pcapng"))
    run("editcap", "-F", "nsecpcap", at("mixed.pcap"), at("nsec.pcap"))


def entry(tree):
    bundle = os.path.join(tree, "src/cli/dist/bpfstream.js")
    return bundle if os.path.exists(bundle) else os.path.join(tree, "src/cli/main.ts")


def command(tool, expression, capture, mode, out):
    """argv of the filter process, its stdin path (or None) and stdout path ('-' is a pipe)."""
    reads_file = mode in ("file", "cat")
    if tool == "tcpdump":
        argv = ["tcpdump", "-r", capture if reads_file else "-", "-w", out if mode == "file" else "-", expression]
    else:
        argv = [DENO, "run", *FLAGS, entry(tool), "filter", "--base", "link", "--expr", expression]
        if reads_file:
            argv.append(capture)
    return argv


def run_once(tool, expression, capture, mode, out):
    """Runs one cell once; returns (wall, cpu of the filter process)."""
    argv = command(tool, expression, capture, mode, out)
    devnull = subprocess.DEVNULL
    t0 = time.perf_counter()
    feeder = sink = None
    if mode == "stdin":
        with open(capture, "rb") as f, open(out, "wb") as o:
            p = subprocess.Popen(argv, stdin=f, stdout=o, stderr=devnull)
            _, status, usage = os.wait4(p.pid, 0)
    elif mode == "file":
        with open(out, "wb") as o:
            p = subprocess.Popen(argv, stdin=devnull, stdout=o if tool != "tcpdump" else devnull, stderr=devnull)
            _, status, usage = os.wait4(p.pid, 0)
    else:
        with open(out, "wb") as o:
            if mode == "pipe":
                feeder = subprocess.Popen(["cat", capture], stdout=subprocess.PIPE)
                stdin = feeder.stdout
            else:
                stdin = devnull
            p = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE, stderr=devnull)
            if feeder:
                feeder.stdout.close()
            sink = subprocess.Popen(["cat"], stdin=p.stdout, stdout=o)
            p.stdout.close()
            _, status, usage = os.wait4(p.pid, 0)
            sink.wait()
            if feeder:
                feeder.wait()
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise SystemExit(f"{tool} failed ({p.returncode}): {' '.join(argv)}")
    return wall, usage.ru_utime + usage.ru_stime


def main():
    runs = int(sys.argv[1])
    directory = sys.argv[2] if len(sys.argv) > 2 else "/tmp/c17"
    only = set(sys.argv[3].split(",")) if len(sys.argv) > 3 else None
    baselines = [d for d in os.environ.get("BASELINE_DIR", "").split(":") if d]
    tools = [TREE] + baselines + ["tcpdump"]
    names = {TREE: "bpfstream", "tcpdump": "tcpdump"}
    for k, baseline in enumerate(baselines):
        names[baseline] = "baseline" + (str(k + 1) if len(baselines) > 1 else "")
    print(f"load before: {os.getloadavg()}; {runs} runs per tool per cell, medians; bpfstream {entry(TREE)}"
          + "".join(f"; {names[b]} {entry(b)}" for b in baselines))
    header = "| capture | filter | mode | tcpdump wall / CPU |"
    for t in tools[:-1]:
        header += f" {names[t]} wall / CPU | wall ratio | CPU ratio | bytes |"
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    out = os.path.join(directory, "out")
    for capture_name, filter_name, mode in CELLS:
        cell = f"{capture_name}/{filter_name}/{mode}"
        if only and cell not in only and capture_name not in only and filter_name not in only and mode not in only:
            continue
        capture = os.path.join(directory, CAPTURES[capture_name])
        expression = FILTERS[filter_name]
        # The reference bytes, and whether tcpdump takes the filter on this link type.
        reference = subprocess.run(["tcpdump", "-r", capture, "-w", "-", expression], capture_output=True)
        if reference.returncode != 0:
            print(f"| {capture_name} | {filter_name} | {mode} | tcpdump refuses: {reference.stderr.decode().strip().splitlines()[-1]} |")
            continue
        same = {}
        for t in tools[:-1]:
            run_once(t, expression, capture, mode if mode != "stdin" else "stdin", out)
            with open(out, "rb") as f:
                same[t] = "identical" if f.read() == reference.stdout else "DIFFERENT"
        walls = {t: [] for t in tools}
        cpus = {t: [] for t in tools}
        for r in range(runs):
            for k in range(len(tools)):
                t = tools[(r + k) % len(tools)]
                wall, cpu = run_once(t, expression, capture, mode, "/dev/null" if mode == "stdin" else out)
                walls[t].append(wall)
                cpus[t].append(cpu)
        tw, tc = statistics.median(walls["tcpdump"]), statistics.median(cpus["tcpdump"])
        row = f"| {capture_name} | {filter_name} | {mode} | {tw:.3f} / {tc:.3f} |"
        for t in tools[:-1]:
            w, c = statistics.median(walls[t]), statistics.median(cpus[t])
            row += f" {w:.3f} / {c:.3f} | {w / tw:.2f}x | {c / tc:.2f}x | {same[t]} |"
        print(row, flush=True)
    print(f"load after: {os.getloadavg()}")


DENO = os.environ.get("DENO") or "deno"
FLAGS = os.environ.get("BPFSTREAM_FLAGS", "-A").split()
if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--make":
        make(sys.argv[2] if len(sys.argv) > 2 else "/tmp/c17")
    else:
        main()
