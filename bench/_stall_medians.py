"""Private (issue 11, session 16): medians per set and request of several
bench/http_stall.ts outputs, main against branch.

  python3 bench/_stall_medians.py 'MAIN_GLOB' 'BRANCH_GLOB'

(each glob: files of the bench's stdout, one run each).
"""
import sys
import re,statistics,glob,collections
def load(f):
    rows={}
    for line in open(f):
        m=re.match(r"\| (\w+) \| (\w+) \| (\d+|NaN) \((\d+|NaN)\) \| (\d+) \| (\d+) \| (\d+) \|",line)
        if m: rows[(m[1],m[2])]=(int(m[3]),int(m[4]),int(m[5]),int(m[6]),int(m[7]))
    return rows
sides={s:[load(f) for f in sorted(glob.glob(g))] for s, g in zip("AB", sys.argv[1:3])}
keys=[]
for r in sides["B"]+sides["A"]:
    for k in r:
        if k not in keys: keys.append(k)
print("| set | request | loop-thread CPU, max in one stall, ms: main / branch (runs) | stalls > 25 ms of it | longest stall, ms |")
print("| --- | --- | --- | --- | --- |")
for k in keys:
    def col(i):
        out=[]
        for s in "AB":
            v=[r[k][i] for r in sides[s] if k in r]
            out.append(f"{statistics.median(v):.0f} ({', '.join(map(str,v))})" if v else "–")
        return " / ".join(out)
    print(f"| {k[0]} | {k[1]} | {col(0)} | {col(1)} | {col(3)} |")
