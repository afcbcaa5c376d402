/**
 * Bench (private): a differential check of the filter compiler against
 * another tree's (main's, before a change to the optimiser): every
 * expression, with every option set tried, must give the same program
 * instruction for instruction, or the same error (class and message).
 *
 *   git archive main src | tar -x -C /tmp/base     # the tree to compare with
 *   deno run -A bench/_optimiser_identity.ts /tmp/base [--random N] [--seed S] [--show N] [RULES...]
 *
 * Expressions: the `--expr` values of the RULES files, the conformance
 * corpus (../shared/conformance/filters.json), the recorded filter cases and
 * reproducers (tests/data/filter), long alternations and conjunctions (past
 * the optimiser's bounds on facts and pullup graphs), and N random
 * expressions built from the filter fuzz test's primitives. Each compiles
 * optimised and unoptimised for Ethernet and RAW, and for a seeded choice of
 * the other link types, savefile byte orders and `allowRejectAll`. Prints
 * the first differences (`--show`, 10); exits 1 when there is any.
 */
import { parseArgs } from "node:util";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const { positionals, values } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    random: { type: "string", default: "20000" },
    seed: { type: "string", default: "1" },
    show: { type: "string", default: "10" },
  },
});
const [baseTree, ...ruleFiles] = positionals;
if (baseTree === undefined) throw new TypeError("Cannot compare: give the base tree's directory");
const here = new URL("..", import.meta.url).pathname;
const load = (tree: string) =>
  import(pathToFileURL(resolve(tree, "src/filter/compile_filter.ts")).href);
const base = await load(baseTree);
const ours = await load(here);

/** A small seeded generator (xorshift32). */
function prng(seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  return {
    int: (n: number) => next() % n,
    chance: (p: number) => next() / 0x1_0000_0000 < p,
    pick: <T>(items: readonly T[]): T => items[next() % items.length],
  };
}
const random = prng(Number(values.seed));

const PRIMITIVES = [
  "tcp",
  "udp",
  "ip",
  "ip6",
  "arp",
  "rarp",
  "icmp",
  "icmp6",
  "sctp",
  "igmp",
  "vrrp",
  "vlan",
  "vlan 10",
  "mpls",
  "mpls 7",
  "pppoes",
  "pppoes 3",
  "pppoed",
  "llc",
  "atalk",
  "host 10.0.0.1",
  "src host 10.0.0.1",
  "dst host 10.0.0.2",
  "dst net 10.0.0.0/8",
  "net 10.1",
  "ip6 host ::1",
  "net 2001:db8::/32",
  "ether src 00:11:22:33:44:55",
  "ether host 00:11:22:33:44:55",
  "ether broadcast",
  "ip multicast",
  "ip broadcast",
  "port 80",
  "port 53",
  "tcp dst port 443",
  "udp src port domain",
  "portrange 1000-2000",
  "tcp portrange 80-90",
  "sctp port 9",
  "ip proto 17",
  "ip6 proto 58",
  "proto \\tcp",
  "ip protochain 6",
  "ip6 protochain 17",
  "less 60",
  "greater 1000",
  "len >= 64",
  "ip[0] & 0xf > 5",
  "ip[0] & 0xf != 5",
  "tcp[tcpflags] & tcp-syn != 0",
  "tcp[13] & 2 = 2",
  "tcp[13] = 18",
  "ip[2:2] - 20 > 100",
  "ether[12:2] = 0x800",
  "udp[4:2] * 2 < 100",
  "udp[8:2] = 53",
  "ip6[6] = 6",
  "ip[8] < 20",
  "ip[100] = 1",
  "vrrp[40] = 64",
  "icmp[icmptype] == icmp-echo",
  "tcp[((tcp[12] & 0xf0) >> 2):2] = 80",
  "ip[x] = 1",
  "1 + 2 = 3",
  "ip[9] = 6 and ip[6:2] & 0x1fff = 0",
  "not ether proto 47",
];

/** A random expression of primitives with and/or/not and parentheses. */
function expression(depth = 0): string {
  if (depth > 4 || random.chance(0.3)) {
    const p = random.pick(PRIMITIVES);
    return random.chance(0.15) ? `not ${p}` : p;
  }
  const joined = `${expression(depth + 1)} ${random.pick(["and", "or"])} ${expression(depth + 1)}`;
  return random.chance(0.4) ? `(${joined})` : random.chance(0.1) ? `not (${joined})` : joined;
}

/** Long lists: more facts than a state keeps, more blocks than pullups try. */
function longExpressions(): string[] {
  const out: string[] = [];
  for (const n of [5, 20, 32, 63, 64, 65, 70, 100, 200, 300]) {
    const list = (f: (i: number) => string, op: string) =>
      Array.from({ length: n }, (_, i) => f(i)).join(` ${op} `);
    out.push(list((i) => `port ${i + 1}`, "or"));
    out.push(list((i) => `host 10.0.${i >> 8}.${i & 255}`, "or"));
    out.push(list((i) => `not port ${i + 1}`, "and"));
    out.push(list((i) => `(tcp port ${i} and ip[8] < ${i & 255})`, "or"));
    out.push(list((i) => `ip[${i % 40}] = ${i & 255}`, "or"));
    out.push(list((i) => `tcp[13] & ${1 << (i % 8)} != 0`, "and"));
    out.push(list((i) => `tcp[13] & ${1 << (i % 8)} = 0`, "or"));
    out.push(list((i) => `(udp[8:2] = ${i} or vlan ${i})`, "and"));
    out.push(list((i) => `icmp[icmptype] = ${i & 255}`, "or"));
  }
  // Tests repeated after about as many others as a path remembers: which
  // facts are forgotten first decides whether the repeat is folded.
  for (let n = 50; n <= 80; n++) {
    const terms = Array.from({ length: n }, (_, i) => `ip[${i % 40}:${1 + (i % 2)}] = ${i}`);
    out.push(`${terms.join(" or ")} or ${terms.slice(0, 8).join(" or ")}`);
    const again = [...terms.slice(0, n >> 1), terms[0], terms[3], ...terms.slice(n >> 1)];
    out.push(`(${again.join(" or ")}) or ${terms.slice(0, 12).reverse().join(" or ")}`);
    const ands = terms.map((t) => `not ${t}`);
    out.push(`${ands.join(" and ")} and (${ands.slice(0, 6).join(" and ")} or ip[9] = 6)`);
  }
  return out;
}

interface Options {
  linkType: number;
  optimize?: boolean;
  snaplen?: number;
  allowRejectAll?: boolean;
  savefileByteOrder?: "little-endian" | "big-endian";
}

const OTHER_LINK_TYPES = [0, 108, 12, 14, 228, 229, 113, 276];

/** Every option set an expression is compiled with. */
function optionSets(extra: Options[] = []): Options[] {
  const sets: Options[] = [{ linkType: 1 }, { linkType: 101 }, { linkType: 1, optimize: false }];
  sets.push({ linkType: 101, optimize: false });
  const other = random.pick(OTHER_LINK_TYPES);
  sets.push({ linkType: other, allowRejectAll: random.chance(0.5) });
  if (random.chance(0.3)) {
    sets.push({
      linkType: random.pick([0, 108]),
      savefileByteOrder: random.chance(0.5) ? "little-endian" : "big-endian",
    });
  }
  return [...sets, ...extra];
}

interface Compiler {
  compileFilter: (e: string, o: Options) => unknown[];
  _compileUnoptimised: (e: string, linkType: number) => unknown[];
}

/**
 * The program as text, or the error's class and message. With only a link
 * type, the unoptimised compile comes first, as when a rule set is parsed.
 */
function outcome({ compileFilter, _compileUnoptimised }: Compiler, e: string, o: Options) {
  if (Object.keys(o).length === 1) {
    try {
      _compileUnoptimised(e, o.linkType);
    } catch { /* compileFilter throws it again */ }
  }
  try {
    const program = compileFilter(e, o) as { code: number; jt: number; jf: number; k: number }[];
    return program.map((i) => `${i.code} ${i.jt} ${i.jf} ${i.k}`).join(",");
  } catch (error) {
    return `${(error as Error).constructor.name}: ${(error as Error).message}`;
  }
}

const cases: [string, Options[]][] = [];
for (const file of ruleFiles) {
  const text = readFileSync(file, "utf8");
  for (const e of new Set([...text.matchAll(/--expr "([^"]*)"/g)].map((m) => m[1]))) {
    cases.push([e, optionSets()]);
  }
}
const corpus = new URL("../../shared/conformance/filters.json", import.meta.url);
if (existsSync(corpus)) {
  const data = JSON.parse(readFileSync(corpus, "utf8"));
  const byExpr = new Map<string, Set<number>>();
  for (const c of data.cases) {
    byExpr.set(c.expr, (byExpr.get(c.expr) ?? new Set()).add(c.linktype));
  }
  for (const [e, linkTypes] of byExpr) {
    cases.push([e, optionSets([...linkTypes].map((linkType) => ({ linkType })))]);
  }
} else console.warn(`${corpus.pathname} absent: corpus expressions skipped`);
const recorded = new URL("../tests/data/filter/", import.meta.url);
const filterCases = JSON.parse(readFileSync(new URL("filter_cases.json", recorded), "utf8"));
const recordedByExpr = new Map<string, Set<number>>();
for (const list of [filterCases.cases, filterCases.sizes, filterCases.rejected]) {
  for (const c of list) {
    recordedByExpr.set(c.expr, (recordedByExpr.get(c.expr) ?? new Set()).add(c.linktype));
  }
}
for (const s of filterCases.savefilePrograms) recordedByExpr.set(s.expr, new Set([0, 108]));
for (const [e, linkTypes] of recordedByExpr) {
  cases.push([e, optionSets([...linkTypes].map((linkType) => ({ linkType })))]);
}
const reproducers = JSON.parse(readFileSync(new URL("reproducers.json", recorded), "utf8"));
for (const run of reproducers.runs) cases.push([run.args[run.args.length - 1], optionSets()]);
for (const e of longExpressions()) cases.push([e, optionSets()]);
for (let n = 0; n < Number(values.random); n++) cases.push([expression(), optionSets()]);

let compared = 0;
const differences: string[] = [];
for (const [e, sets] of cases) {
  for (const o of sets) {
    compared++;
    const want = outcome(base, e, o);
    const got = outcome(ours, e, o);
    if (got !== want) {
      differences.push(
        `${JSON.stringify(o)} ${JSON.stringify(e)}\n  base: ${want}\n  ours: ${got}`,
      );
    }
  }
}
console.log(`${cases.length} expressions, ${compared} compiles, ${differences.length} differ`);
for (const d of differences.slice(0, Number(values.show))) console.log(d);
if (differences.length > 0) Deno.exit(1);
