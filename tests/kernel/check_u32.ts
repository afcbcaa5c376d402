/**
 * Runs the kernel harness with `-m u32` rules only — no BPF program is ever
 * created — and compares, packet by packet, the kernel's verdicts with ours
 * (`compileU32`) and with the recorded table tests/data/kernel/u32.json.
 *
 *     sudo BPFS_IPTABLES=legacy deno run -A tests/kernel/check_u32.ts [--extra 60] [--fresh 40]
 *
 * This validates the whole harness flow (namespaces, veth, AF_PACKET sender,
 * MARK/delivery counters, sentinel, counter parsing, IPv4 and IPv6 tables)
 * on a machine whose BPF JIT cannot be used — such as a kernel wedged by
 * mass-freed xt_bpf programs (see harness.ts), where only the legacy
 * iptables backend still works. Packets: every packet of u32.json plus
 * `--extra` others from packets.json (half of them IPv6) plus `--padded`
 * copies with bytes after the datagram (the kernel trims them); rules: every rule
 * of u32.json, reads at the end of the datagram, and `--fresh` new random expressions (seeded, `--seed`), each
 * also negated. Fresh expressions are first offered to the kernel alone:
 * the kernel must refuse exactly those `parseU32` refuses. Exit status 0
 * when everything agrees, 1 on a disagreement, 2 when the kernel cannot be
 * used here (the reason is printed).
 */
import { parseArgs } from "node:util";
import { KernelHarness } from "./harness.ts";
import { frameOf, type KernelPacket, markOf } from "./_frames.ts";
import { mulberry32, u32Expressions } from "./_generate.ts";
import { compareTable, dataUrl, matchOf, type TableRule, type VerdictTable } from "./_tables.ts";
import { parseU32 } from "../../src/u32/parse_u32.ts";

function _read<T>(name: string): T {
  return JSON.parse(Deno.readTextFileSync(dataUrl(name)));
}

function _pick<T>(items: readonly T[], count: number, rng: () => number): T[] {
  const copy = items.slice();
  for (let i = copy.length - 1; i > 0; i--) {
    const j = rng() % (i + 1);
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy.slice(0, count);
}

function _log(message: string): void {
  console.error(`[check_u32] ${message}`);
}

/** Ids of the padded copies (past the ids of packets.json). */
const _PADDED_FIRST_ID = 1_000_000;

/**
 * u32 reads at the end of the IP datagram: true only when bytes after the
 * IPv4 total length (first) or the IPv6 payload (the others) are part of
 * the packet, i.e. when the kernel did not trim them.
 */
const _TRIM_EXPRESSIONS = [
  "0&0xFFFF@0=0:0xFFFFFFFF",
  "0&0xFFFF@0xFFFFFFFC=0:0xFFFFFFFF",
  "4>>16@36=0:0xFFFFFFFF",
  "4>>16@37=0:0xFFFFFFFF",
  "4>>16@40=0:0xFFFFFFFF",
];

/** Result of one check, for callers that run it in-process. */
export interface U32CheckResult {
  /** Packets sent (delivered to raw PREROUTING). */
  packets: number;
  /** Of which delivered. */
  delivered: number;
  /** Rules installed (expressions and their negations). */
  rules: number;
  /** (rule, delivered packet) pairs compared with compileU32. */
  compared: number;
  /** Pairs the kernel matched. */
  kernelMatched: number;
  /** Human-readable disagreements (empty when all agree). */
  problems: string[];
}

/** Runs the check (see the module doc); throws when the kernel cannot be used. */
export async function checkU32(
  options: { extra?: number; fresh?: number; padded?: number; seed?: number } = {},
): Promise<U32CheckResult> {
  const seed = options.seed ?? 0x7533;
  const rng = mulberry32(seed);
  const all = _read<{ packets: KernelPacket[] }>("packets.json").packets;
  const byId = new Map(all.map((p) => [p.id, p]));
  const recorded = _read<VerdictTable>("u32.json");
  const recordedIds = new Set(recorded.packets);
  const rest = all.filter((p) => !recordedIds.has(p.id));
  const extra = options.extra ?? 60;
  const sample = [
    ...recorded.packets.map((id) => byId.get(id)!),
    ..._pick(rest.filter((p) => p.family === 6), extra >> 1, rng),
    ..._pick(rest.filter((p) => p.family === 4), extra - (extra >> 1), rng),
  ];
  // Copies with bytes after the datagram (Ethernet padding, a trailer): the
  // kernel trims skb->len to the IP length before PREROUTING, so u32 reads
  // past the datagram must fail; kernelContext() must present that length.
  const paddedCount = options.padded ?? 24;
  const padded = _pick(
    all.filter((p) => p.destination === "host" && p.repaired.length === 0),
    paddedCount,
    rng,
  ).map((p, n): KernelPacket => ({
    ...p,
    id: _PADDED_FIRST_ID + n,
    source: `${p.source} (copy of ${p.id} + ${1 + (n % 12)} padding bytes)`,
    ip: p.ip + "a5".repeat(1 + (n % 12)),
  }));
  for (const p of padded) byId.set(p.id, p);
  sample.push(...padded);
  const problems: string[] = [];
  const harness = await KernelHarness.open();
  try {
    _log(
      `kernel ${harness.info.kernel}, ${harness.info.iptablesVersion} (backend ` +
        `${harness.info.backend}), receiver ifindex ${harness.info.receiverIfindex}`,
    );
    const rules: TableRule[] = recorded.rules.slice();
    for (const expr of _TRIM_EXPRESSIONS) {
      rules.push({ name: `trim: ${expr}`, u32: expr }, {
        name: `trim negated: ${expr}`,
        u32: expr,
        negate: true,
      });
    }
    let refused = 0;
    const fresh = options.fresh ?? 40;
    const freshExpressions = fresh > 0
      ? u32Expressions(mulberry32(seed + 1), fresh).slice(-fresh)
      : [];
    for (const expr of freshExpressions) {
      const kernel = await harness.accepts(4, `-m u32 --u32 "${expr}"`);
      let ours: true | string = true;
      try {
        parseU32(expr);
      } catch (error) {
        ours = (error as Error).message;
      }
      if (kernel.ok !== (ours === true)) {
        problems.push(
          `checker: "${expr}": kernel ${kernel.ok ? "accepts" : "refuses"}` +
            `${kernel.ok ? "" : ` (${kernel.message.split("\n").pop()})`}, parseU32 ${
              ours === true ? "accepts" : `refuses (${ours})`
            }`,
        );
      }
      if (!kernel.ok) {
        refused++;
        continue;
      }
      rules.push({ name: `fresh u32: ${expr}`, u32: expr }, {
        name: `fresh u32 negated: ${expr}`,
        u32: expr,
        negate: true,
      });
    }
    _log(
      `${sample.length} packets (${sample.filter((p) => p.family === 6).length} IPv6) × ` +
        `${rules.length} u32 rules (${recorded.rules.length} recorded, ` +
        `${rules.length - recorded.rules.length} trim and fresh; ${refused} fresh refused)`,
    );
    const started = Date.now();
    const result = await harness.run(
      sample.map((p) => ({
        frame: frameOf(p),
        family: p.family,
        mark: markOf(p.id),
        tag: p.id + 1,
      })),
      rules.map(matchOf),
    );
    _log(`kernel run took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const table = {
      packets: sample.map((p) => p.id),
      delivered: result.delivered.map((d) => (d ? "1" : "0")).join(""),
      rules,
      verdicts: result.matched.map((row) =>
        row.map((m, i) => (result.delivered[i] ? (m ? "1" : "0") : "-")).join("")
      ),
      facts: { ifindex: harness.info.receiverIfindex },
    };
    // 1. The kernel against our engine.
    const comparison = compareTable(table, byId, 20);
    for (const d of comparison.disagreements) {
      problems.push(
        `ours: ${d.rule} on packet ${d.packet}: kernel ${d.kernel}, ours ${JSON.stringify(d.ours)}`,
      );
    }
    // 2. The kernel now against the recorded table (same packets, same rules).
    let recordedPairs = 0;
    let recordedDiffer = 0;
    recorded.packets.forEach((id, p) => {
      const now = table.delivered[p];
      if (now !== recorded.delivered[p]) {
        problems.push(`recorded: packet ${id} delivered ${recorded.delivered[p]} then, ${now} now`);
      }
      recorded.rules.forEach((rule, r) => {
        recordedPairs++;
        if (recorded.verdicts[r][p] !== table.verdicts[r][p]) {
          recordedDiffer++;
          if (recordedDiffer <= 20) {
            problems.push(
              `recorded: ${rule.name} on packet ${id}: recorded ${recorded.verdicts[r][p]}, ` +
                `kernel now ${table.verdicts[r][p]}`,
            );
          }
        }
      });
    });
    const delivered = result.delivered.filter(Boolean).length;
    _log(
      `delivered ${delivered} of ${sample.length}; kernel vs compileU32: ${comparison.compared} ` +
        `pairs (${comparison.kernelMatched} matched), ${comparison.disagreements.length} differ; ` +
        `kernel vs recorded u32.json: ${recordedPairs} pairs, ${recordedDiffer} differ`,
    );
    return {
      packets: sample.length,
      delivered,
      rules: rules.length,
      compared: comparison.compared,
      kernelMatched: comparison.kernelMatched,
      problems,
    };
  } finally {
    await harness.close();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      extra: { type: "string", default: "60" },
      fresh: { type: "string", default: "40" },
      padded: { type: "string", default: "24" },
      seed: { type: "string", default: String(0x7533) },
    },
  });
  const reason = await KernelHarness.skipReason({ bpf: false });
  if (reason) {
    console.error(`check_u32: cannot run here: ${reason}`);
    Deno.exit(2);
  }
  const result = await checkU32({
    extra: Number(values.extra),
    fresh: Number(values.fresh),
    padded: Number(values.padded),
    seed: Number(values.seed),
  });
  for (const problem of result.problems) console.log(problem);
  console.log(
    `${result.packets} packets (${result.delivered} delivered) × ${result.rules} u32 rules: ` +
      `${result.compared} pairs compared, ${
        result.problems.length === 0 ? "all agree" : `${result.problems.length} problem(s)`
      }`,
  );
  Deno.exit(result.problems.length === 0 ? 0 : 1);
}
