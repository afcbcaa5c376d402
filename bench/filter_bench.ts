/**
 * Filter compiler benchmark (issue 6): compile time per expression and the
 * size of our programs against libpcap's (`tcpdump -d` instruction counts,
 * recorded in tests/data/filter/filter_cases.json and in the conformance
 * corpus), optimized, for every (expression, link type) pair.
 *
 *   deno run -A bench/filter_bench.ts          # prints the tables for bench/RESULTS.md
 *   deno bench -A bench/filter_bench.ts        # Deno.bench timings of a few expressions
 */
import { readFileSync } from "node:fs";
import { compileFilter } from "../src/filter/mod.ts";

interface SizeRow {
  expr: string;
  linktype: number;
  libpcap: number;
  corpus?: boolean;
}

function sizeRows(): SizeRow[] {
  const rows: SizeRow[] = [];
  const seen = new Set<string>();
  const add = (r: SizeRow) => {
    const key = `${r.linktype} ${r.expr}`;
    if (!seen.has(key)) {
      seen.add(key);
      rows.push(r);
    }
  };
  try {
    const corpus = JSON.parse(
      readFileSync(new URL("../../shared/conformance/filters.json", import.meta.url), "utf8"),
    );
    for (const c of corpus.cases) {
      add({
        expr: c.expr,
        linktype: c.dlt,
        libpcap: Number(c.bytecode.split(",")[0]),
        corpus: true,
      });
    }
  } catch {
    console.warn("conformance corpus not found; using the committed data only");
  }
  const data = JSON.parse(
    readFileSync(new URL("../tests/data/filter/filter_cases.json", import.meta.url), "utf8"),
  );
  for (const s of data.sizes) add(s);
  return rows;
}

const TYPICAL = [
  "tcp port 443 and not net 10.0.0.0/8",
  "host 192.168.1.1 and (tcp or udp)",
  "udp port 53 and udp[10] & 0x80 != 0",
  "tcp[tcpflags] & (tcp-syn|tcp-ack) != 0",
  "vlan 20 and ip6 and tcp dst port 80",
];

if (import.meta.main && !Deno.args.includes("--bench")) {
  const rows = sizeRows();
  const measure = (rows: SizeRow[], label: string) => {
    let ours = 0, theirs = 0, ratioSum = 0, n = 0, le = 0, worst = 0, worstExpr = "";
    let timeSum = 0;
    const times: number[] = [];
    for (const r of rows) {
      const t0 = performance.now();
      const REPS = 5;
      let program = compileFilter(r.expr, { linkType: r.linktype, allowRejectAll: true });
      for (let i = 1; i < REPS; i++) {
        program = compileFilter(r.expr, { linkType: r.linktype, allowRejectAll: true });
      }
      const dt = (performance.now() - t0) / REPS;
      times.push(dt);
      timeSum += dt;
      ours += program.length;
      theirs += r.libpcap;
      const ratio = program.length / r.libpcap;
      ratioSum += ratio;
      if (program.length <= r.libpcap) le++;
      if (ratio > worst) [worst, worstExpr] = [ratio, `${r.expr} (dlt ${r.linktype})`];
      n++;
    }
    times.sort((a, b) => a - b);
    console.log(
      `| ${label} | ${n} | ${(ratioSum / n).toFixed(3)} | ${(ours / theirs).toFixed(3)} | ` +
        `${(100 * le / n).toFixed(0)}% | ${worst.toFixed(2)} (${worstExpr}) | ` +
        `${times[Math.floor(n / 2)].toFixed(3)} ms | ${
          times[Math.floor(n * 0.95)].toFixed(3)
        } ms | ` +
        `${(timeSum / n).toFixed(3)} ms |`,
    );
  };
  // Warm up the JIT.
  for (let i = 0; i < 3; i++) {
    for (const r of rows) compileFilter(r.expr, { linkType: r.linktype, allowRejectAll: true });
  }
  console.log(
    "| expressions | pairs | mean size ratio | total size ratio | ≤ libpcap | worst | median compile | p95 compile | mean compile |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  measure(rows.filter((r) => r.corpus), "conformance corpus (filters.json)");
  measure(rows.filter((r) => !r.corpus), "tests/data/filter (tcpdump -d)");
  measure(rows, "all");
  for (const e of TYPICAL) {
    const t0 = performance.now();
    for (let i = 0; i < 200; i++) compileFilter(e);
    console.log(
      `typical: ${JSON.stringify(e)}: ${((performance.now() - t0) / 200).toFixed(3)} ms, ` +
        `${compileFilter(e).length} instructions`,
    );
  }
}

for (const e of TYPICAL) {
  Deno.bench(`compileFilter ${JSON.stringify(e)}`, () => {
    compileFilter(e);
  });
}
