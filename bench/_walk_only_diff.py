#!/usr/bin/env python3
"""Differential check of `filter --expr/--bytecode`'s walk-only start
(src/cli/_filter_walk_only.ts, session 11) against the same bundle's
rule-set path (`--strategy interpret`) and, if given, another bundle
(main's, BASE_BUNDLE): stdout bytes, the --drop-to file, stderr and the
exit status must be equal, for captures of the conformance corpus and
variants of them (byte order, nanosecond magic, snaplens, cut or garbage
tails, link types rewritten, empty and header-only input), fed as a file,
as one stdin write, or in tiny stdin writes with pauses (headers cut
across reads at every offset up to the first records).

    DENO=deno BASE_BUNDLE=/tmp/base11/src/cli/dist/bpfstream.js \
      python3 bench/_walk_only_diff.py [--quick] [--jobs 2]

Prints each difference and a count; exit status 1 when any.
"""
import argparse
import concurrent.futures
import os
import random
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORPUS = os.path.join(ROOT, "..", "shared", "conformance", "pcap")
DENO = os.environ.get("DENO", "deno")
NEW = os.path.join(ROOT, "src", "cli", "dist", "bpfstream.js")
BASE = os.environ.get("BASE_BUNDLE")

EXPRS = ["ip", "udp port 53 or icmp", "tcp[13] & 2 != 0", "ether broadcast", "vlan", "ip6",
         "len > 100"]


def bytecode(*ins):
    return f"{len(ins)}," + ",".join(" ".join(str(v) for v in i) for i in ins)


# Captures whose first records are fed to stdin cut at every offset.
SWEEP = {"DnsPackets.pcap", "raw_ip.pcap", "sll.pcap", "sll2.pcap", "null_loopback.pcap",
         "nanosecs_big_endian.pcap", "VlanPackets.pcap", "linux_dlt_sll2.pcap",
         "ip4_fragments.pcap", "pppoe.pcap"}

BYTECODES = [
    bytecode((6, 0, 0, 262144)),
    # ld [12] (h); jeq 0x800: the link-base IPv4 test.
    bytecode((40, 0, 0, 12), (21, 0, 1, 0x800), (6, 0, 0, 65535), (6, 0, 0, 0)),
    # ld protocol (ancillary): the walk refuses it.
    bytecode((32, 0, 0, 0xFFFFF000), (21, 0, 1, 0x800), (6, 0, 0, 65535), (6, 0, 0, 0)),
    # ldb [SKF_NET_OFF + 9]: a negative absolute offset.
    bytecode((48, 0, 0, 0xFFF00009), (21, 0, 1, 17), (6, 0, 0, 65535), (6, 0, 0, 0)),
    # ld len; sub #80; tax; ldb [x + 0]: an indexed load that may land below zero.
    bytecode((128, 0, 0, 0), (20, 0, 0, 80), (7, 0, 0, 0), (80, 0, 0, 0), (21, 0, 1, 0x45),
             (6, 0, 0, 65535), (6, 0, 0, 0)),
    # ldx 4*([0]&0xf); ldb [x + 9]: ldx msh (network base: the IPv4 header length).
    bytecode((177, 0, 0, 0), (80, 0, 0, 9), (21, 0, 1, 6), (6, 0, 0, 65535), (6, 0, 0, 0)),
]


def read_pcap(data):
    """(header fields, records) of a classic pcap, or None."""
    if len(data) < 24:
        return None
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\x34\xcd\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d", b"\xa1\xb2\xcd\x34"):
        e = ">"
    else:
        return None
    m, vmaj, vmin, zone, sig, snap, link = struct.unpack(e + "IHHiIII", data[:24])
    rh = 24 if m == 0xA1B2CD34 else 16
    recs = []
    at = 24
    while at + rh <= len(data):
        sec, frac, cap, wire = struct.unpack(e + "IIII", data[at:at + 16])
        extra = data[at + 16:at + rh]
        if at + rh + cap > len(data):
            break
        recs.append((sec, frac, wire, extra, data[at + rh:at + rh + cap]))
        at += rh + cap
    return {"magic": m, "snap": snap, "link": link, "rh": rh, "e": e, "vmaj": vmaj,
            "vmin": vmin}, recs


def write_pcap(h, recs, e=None, magic=None, snap=None, link=None, caps=None):
    e = e or h["e"]
    magic = h["magic"] if magic is None else magic
    out = [struct.pack(e + "IHHiIII", magic, h["vmaj"], h["vmin"], 0, 0,
                       h["snap"] if snap is None else snap, h["link"] if link is None else link)]
    rh = 24 if magic == 0xA1B2CD34 else 16
    for n, (sec, frac, wire, extra, body) in enumerate(recs):
        cap = len(body) if caps is None else caps(n, body)
        extra = (extra + b"\0" * 8)[:rh - 16]
        out.append(struct.pack(e + "IIII", sec, frac, cap, wire) + extra + body)
    return b"".join(out)


def variants(path, rng, quick):
    """(name, bytes) inputs made from a classic pcap of the corpus."""
    data = open(path, "rb").read()
    parsed = read_pcap(data)
    name = os.path.basename(path)
    yield name, data
    if parsed is None:
        return
    h, recs = parsed
    recs = recs[:40]
    small = write_pcap(h, recs)
    yield name + ":first40", small
    yield name + ":big-endian", write_pcap(h, recs, e=">" if h["e"] == "<" else "<")
    yield name + ":nanosecond", write_pcap(h, recs, magic=0xA1B23C4D)
    if quick:
        return
    yield name + ":modified-magic", write_pcap(h, recs, magic=0xA1B2CD34)
    for snap in (0, 60, 0x7FFFFFFF, 300000):
        yield f"{name}:snaplen{snap}", write_pcap(h, recs, snap=snap)
    yield name + ":cap>wire", write_pcap(
        h, [(s, f, max(0, len(b) - 4), x, b) for (s, f, w, x, b) in recs])
    for cut in (1, 15, 16, 17):
        yield f"{name}:cut{cut}", small[:-cut]
    for junk in (1, 16, 40):
        yield f"{name}:junk{junk}", small + bytes(rng.randrange(256) for _ in range(junk))
    yield name + ":hugecap", small + struct.pack(h["e"] + "IIII", 1, 2, 262145, 262145) + b"x" * 64
    yield name + ":header-only", small[:24]
    yield name + ":header-cut", small[:10]
    for link in (0, 101, 113, 276, 228, 229, 108, 12, 147):
        yield f"{name}:link{link}", write_pcap(h, recs, link=link)


def run(bundle, args, feed, drop):
    """(exit status, stdout, stderr, drop bytes) of one run."""
    cmd = [DENO, "run", "-A", bundle, "filter", *args]
    if drop:
        cmd[5:5] = ["--drop-to", drop]
    kind, payload = feed[0], feed[1:]
    if kind == "file":
        cmd.append(payload[0])
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
        out, err, code = p.stdout, p.stderr, p.returncode
    else:
        data, chunks, pause = payload
        r, w = os.pipe()
        p = subprocess.Popen(cmd, stdin=r, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        os.close(r)

        def writer():
            try:
                at = 0
                for size in chunks:
                    if at >= len(data):
                        break
                    os.write(w, data[at:at + size])
                    at += size
                    if pause:
                        time.sleep(pause)
                view = memoryview(data)
                while at < len(data):
                    at += os.write(w, view[at:])
            except BrokenPipeError:
                pass
            finally:
                os.close(w)

        t = threading.Thread(target=writer)
        t.start()
        out, err = p.communicate(timeout=120)
        t.join()
        code = p.returncode
    dropped = None
    if drop and os.path.exists(drop):
        dropped = open(drop, "rb").read()
        os.unlink(drop)
    return code, out, err.replace(drop.encode() if drop else b"\0", b"DROP"), dropped


def compare(case, tmp):
    name, args, feed, with_drop = case
    results = {}
    for label, bundle, extra in (("walk-only", NEW, []), ("interpret", NEW, ["--strategy", "interpret"]),
                                 ("main", BASE, [])):
        if bundle is None:
            continue
        drop = os.path.join(tmp, f"d{threading.get_ident()}_{label}.pcap") if with_drop else None
        results[label] = run(bundle, extra + args, feed, drop)
    diffs = []
    ref = results["walk-only"]
    for label, r in results.items():
        if label == "walk-only":
            continue
        for i, what in enumerate(("exit", "stdout", "stderr", "drop file")):
            if r[i] != ref[i]:
                show = (lambda v: v if i in (0, 2) else (None if v is None else f"{len(v)} bytes"))
                diffs.append(f"{name} {args} [{feed[0]}{'' if feed[0] == 'file' else ' chunks ' + str(feed[2][:4])}]"
                             f" {what}: walk-only {show(ref[i])!r} vs {label} {show(r[i])!r}")
    return diffs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--only", default="")
    o = ap.parse_args()
    rng = random.Random(o.seed)
    tmp = tempfile.mkdtemp(prefix="walkdiff")
    files = sorted(f for f in os.listdir(CORPUS) if not f.endswith(".md"))
    if o.only:
        files = [f for f in files if o.only in f]
    cases = []
    programs = [["--expr", e] for e in EXPRS] + [["--bytecode", b] for b in BYTECODES]
    for f in files:
        made = list(variants(os.path.join(CORPUS, f), rng, o.quick))
        # The file itself, its first records, and a sample of the other variants.
        made = made[:2] + rng.sample(made[2:], max(0, min(len(made) - 2, 6)))
        sweep = f in SWEEP
        for vname, data in made:
            path = os.path.join(tmp, f"in{len(cases)}.pcap")
            open(path, "wb").write(data)
            whole = f == vname
            progs = programs if whole else rng.sample(programs, 3)
            for prog in progs:
                for base in ("link", "network"):
                    args = ["--base", base, *prog]
                    cases.append((vname, args, ("file", path), rng.random() < 0.5))
            if not whole or rng.random() < 0.3:
                # stdin: the header and first records cut at every offset up to 48
                # (SWEEP's first records), else at a few.
                prog = rng.choice(programs)
                base = rng.choice(("link", "network"))
                full = sweep and vname.endswith(":first40") and not o.quick
                for first in range(1, 49) if full else rng.sample(range(1, 49), 3):
                    chunks = [first] + [rng.choice((1, 3, 16, 17, 100, 4096)) for _ in range(30)]
                    cases.append((vname, ["--base", base, *prog], ("stdin", data, chunks, 0.003),
                                  rng.random() < 0.5))
                cases.append((vname, ["--base", base, *prog], ("stdin", data, [1 << 30], 0), True))
    # Option edge cases on one capture.
    eth = os.path.join(CORPUS, "DnsPackets.pcap")
    for args in (["--max-instructions", "3", "--bytecode", BYTECODES[1]],
                 ["--max-instructions", "3", "--expr", "udp port 53"],
                 ["--max-instructions", "3", "--base", "link", "--expr", "udp port 53"],
                 ["--base", "link", "--expr", "udp port 53 and"],
                 ["--base", "link", "--expr", "wlan host 1:2:3:4:5:6"],
                 ["--base", "link", "--expr", "ether host 1:2:3:4:5:6"]):
        for f in (eth, os.path.join(CORPUS, "raw_ip.pcap"), os.path.join(CORPUS, "sll2.pcap")):
            cases.append((os.path.basename(f), args, ("file", f), False))
    empty = os.path.join(tmp, "empty")
    open(empty, "wb").write(b"")
    for prog in programs:
        cases.append(("empty", ["--base", "link", *prog], ("file", empty), False))
        cases.append(("empty", ["--base", "link", *prog], ("stdin", b"", [1], 0), False))
    print(f"{len(cases)} cases, {3 if BASE else 2} runs each", file=sys.stderr)
    found = []
    done = 0
    with concurrent.futures.ThreadPoolExecutor(o.jobs) as pool:
        for diffs in pool.map(lambda c: compare(c, tmp), cases):
            done += 1
            for d in diffs:
                print(d, flush=True)
            found += diffs
            if done % 200 == 0:
                print(f"{done}/{len(cases)} cases, {len(found)} differences", file=sys.stderr,
                      flush=True)
    print(f"{len(cases)} cases, {len(found)} differences", file=sys.stderr)
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
