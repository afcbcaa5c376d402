"""Instructions a cold compile runs, per tree: a count that a busy machine does not move (session 12).

Runs bench/_compile_steps.ts (parse + the rules' and the index's steps of a
fresh process) under valgrind's callgrind with one output per thread, and
prints the main thread's instructions and all threads', less those of the
same run with an empty rule file (Deno's start and the modules' load). Each
tree is run once first, outside valgrind, so that its TypeScript cache is
warm. Runs of one tree differ by up to ~4% (when V8's background compiles
finish is not fixed): compare medians of a few rounds.

Usage:

  python3 bench/_compile_instructions.py ROUNDS RULES TREE [TREE ...]

TREE is a directory holding a `src/` (this repository, or main's copied with
`git -C /work/main archive main | tar -x -C /tmp/base`).
"""
import glob
import os
import statistics
import subprocess
import sys
import tempfile

DENO = os.environ.get("DENO", "deno")
STEPS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_compile_steps.ts")
EMPTY = "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n"


def count(tree, rules):
    """Main-thread and all-thread instructions of one run."""
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            ["valgrind", "--tool=callgrind", "--separate-threads=yes",
             f"--callgrind-out-file={out}/cg", DENO, "run", "-A", STEPS, tree, rules],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        totals = {}
        for path in glob.glob(f"{out}/cg-*"):
            with open(path, errors="replace") as f:
                for line in f:
                    if line.startswith(("summary:", "totals:")):
                        totals[path] = int(line.split()[1])
                        break
        main = totals[min(totals, key=lambda p: int(p.rsplit("-", 1)[1]))]
        return main, sum(totals.values())


def main():
    rounds, rules, trees = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    with tempfile.NamedTemporaryFile("w", suffix=".rules", delete=False) as empty:
        empty.write(EMPTY)
    for tree in trees:
        subprocess.run([DENO, "run", "-A", STEPS, tree, rules], check=True)
    base = {t: count(t, empty.name) for t in trees}
    runs = {t: [] for t in trees}
    for _ in range(rounds):
        for t in trees:
            runs[t].append(count(t, rules))
    os.unlink(empty.name)
    for t in trees:
        m = statistics.median(r[0] for r in runs[t]) - base[t][0]
        a = statistics.median(r[1] for r in runs[t]) - base[t][1]
        print(f"main {m / 1e6:.1f} M  all threads {a / 1e6:.1f} M  "
              f"(runs: {', '.join(f'{r[0] / 1e6:.1f}' for r in runs[t])})  {t}")


main()
