/**
 * Live differential tests against the running Linux kernel: a sample of
 * packets × programs (corpus programs, fresh random programs, ancillary
 * probes, u32 expressions) and of checker programs, the kernel's verdict
 * next to ours. Needs root, network namespaces and iptables with the bpf,
 * u32, mac and MARK extensions; skips with the reason elsewhere, and at once
 * on a kernel that shows the BPF JIT deadlock (see harness.ts).
 *
 * Bounded for CI: at most 100 `-m bpf` rules per table load (two loads of
 * 160 frames), 80 checker programs offered one at a time, every command
 * under a timeout, the namespaces deleted in `finally`; about 5–20 s on a
 * healthy 2-core machine. The iptables backend is legacy where it works,
 * else the system's `iptables` (override with `BPFS_IPTABLES`).
 *
 * The random part uses a new seed each run (printed on failure); set
 * BPFS_KERNEL_SEED to replay one.
 */
import assert from "node:assert/strict";
import { KernelHarness, MAX_BPF_RULES } from "./harness.ts";
import type { KernelPacket } from "./_frames.ts";
import {
  ancillaryProbes,
  mulberry32,
  randomInvalidProgram,
  randomValidProgram,
  toBytecode,
  u32Expressions,
} from "./_generate.ts";
import {
  compareTable,
  dataUrl,
  matchOf,
  ourCheck,
  type TableRule,
  type VerdictTable,
} from "./_tables.ts";
import { frameOf, markOf } from "./_frames.ts";

const skip = await KernelHarness.skipReason();
if (skip) console.warn(`kernel live tests skipped: ${skip}`);

const seed = Number(Deno.env.get("BPFS_KERNEL_SEED") ?? (Date.now() >>> 0));

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

/** Rules per table load; each group holds at most this many `-m bpf` rules. */
const _BPF_PER_GROUP = Math.min(100, MAX_BPF_RULES);

Deno.test({
  name: "kernel live: xt_bpf and xt_u32 verdicts equal ours on sampled packets and programs",
  ignore: skip !== undefined,
  async fn() {
    const rng = mulberry32(seed);
    const all = _read<{ packets: KernelPacket[] }>("packets.json").packets;
    const packets = new Map(all.map((p) => [p.id, p]));
    const sample = [
      ..._pick(all.filter((p) => p.destination === "host"), 150, rng),
      ..._pick(all.filter((p) => p.destination !== "host"), 10, rng),
    ];
    const corpus = _read<VerdictTable>("corpus_programs.json").rules;
    const groups: TableRule[][] = [
      [
        ..._pick(corpus, 40, rng),
        ...Array.from({ length: 60 }, (_, n) => ({
          name: `random valid #${n} (seed ${seed})`,
          bytecode: toBytecode(randomValidProgram(rng)),
        })),
      ],
      [
        ..._pick(ancillaryProbes(), 60, rng).map((p) => ({
          name: p.name,
          bytecode: toBytecode(p.program),
        })),
        ...u32Expressions(rng, 30).slice(-50).map((u32, n) => ({
          name: `u32 #${n}`,
          u32,
          negate: n % 3 === 0,
        })),
      ],
    ];
    const harness = await KernelHarness.open();
    try {
      for (const rules of groups) {
        assert.ok(rules.filter((r) => r.bytecode !== undefined).length <= _BPF_PER_GROUP);
        const result = await harness.run(
          sample.map((p) => ({
            frame: frameOf(p),
            family: p.family,
            mark: markOf(p.id),
            tag: p.id + 1,
          })),
          rules.map(matchOf),
        );
        const table = {
          packets: sample.map((p) => p.id),
          delivered: result.delivered.map((d) => (d ? "1" : "0")).join(""),
          rules,
          verdicts: result.matched.map((row) =>
            row.map((m, i) => (result.delivered[i] ? (m ? "1" : "0") : "-")).join("")
          ),
          facts: { ifindex: harness.info.receiverIfindex },
        };
        const comparison = compareTable(table, packets);
        assert.ok(comparison.compared > 1000, `only ${comparison.compared} pairs were delivered`);
        assert.equal(
          comparison.disagreements.length,
          0,
          `seed ${seed}, ${harness.info.iptablesVersion}: ${
            JSON.stringify(comparison.disagreements.slice(0, 5), null, 1)
          }`,
        );
        console.log(
          `kernel live: ${rules.length} rules × ${sample.length} packets, ` +
            `${comparison.compared} delivered pairs compared, all agree ` +
            `(seed ${seed}, ${harness.info.kernel}, ${harness.info.iptablesVersion})`,
        );
      }
    } finally {
      await harness.close();
    }
  },
});

Deno.test({
  name: "kernel live: iptables -m bpf refuses exactly the programs validate() refuses",
  ignore: skip !== undefined,
  async fn() {
    const rng = mulberry32(seed ^ 0x5a5a5a5a);
    const programs = [
      ...Array.from({ length: 60 }, () => randomInvalidProgram(rng)),
      ...Array.from({ length: 20 }, () => randomValidProgram(rng)),
    ];
    const harness = await KernelHarness.open();
    const wrong: string[] = [];
    try {
      for (const program of programs) {
        const bytecode = toBytecode(program);
        const kernel = await harness.accepts(4, `-m bpf --bytecode "${bytecode}"`);
        const ours = ourCheck(bytecode);
        if (kernel.ok !== (ours === true)) {
          wrong.push(`${bytecode}: kernel ${kernel.ok ? "accepts" : "refuses"}, ours ${ours}`);
        }
      }
    } finally {
      await harness.close();
    }
    assert.equal(wrong.length, 0, `seed ${seed}:\n${wrong.join("\n")}`);
    console.log(
      `kernel live: checker: ${programs.length} programs offered to iptables -m bpf, kernel and ` +
        `validate() agree on all (seed ${seed})`,
    );
  },
});
