/**
 * Differential fuzz of a tree's closure strategy against this tree's
 * reference interpreter (and libpcap's `bpf_filter`, through FFI, for
 * programs without ancillary, negative-offset or `[x + k]` loads or shifts by X,
 * where libpcap 1.10 differs from the kernel), many
 * programs in one process: the session-18 review of the per-process entries,
 * the dispatch loop's fused operations and the cBPF optimiser.
 *
 * `deno run -A --v8-flags=--expose-gc bench/fuzz_review_closure.ts --tree DIR [--seed N]
 * [--programs N] [--mix P] [--gc-every N] [--hunt I18HUNT_TREE]`
 *
 * `--shapes P`: with probability P a program comes from
 * tests/_closure_shape_programs.ts (session 19's shapes: compare chains of
 * 1–300 tests, `len` tests, tiny programs, ALU runs with faults midway,
 * mid-size programs that need the dispatch loop midway); `--kind` may name
 * one of those kinds too.
 *
 * `--s20 P`: with probability P a program comes from
 * tests/_closure_s20_programs.ts (session 20's shapes: runs of tests on one
 * value that share a target, word runs repeated on a path, arithmetic with
 * edge operands, port ranges), with the frame it is aimed at; `--kind` may
 * name one of those kinds too. Every program also runs on `--steer` packets
 * steered down its paths (tests/_steered_packets.ts).
 *
 * `--exprs N`: N tcpdump expressions aimed at session 20's changes
 * (bench/_review20_expressions.ts: VLAN bodies, `ip6 host` / `port` /
 * `portrange` lists, protocol sets, arithmetic by powers of two), mixed in
 * as the hunt's programs are (`--mix`).
 *
 * `--hunt`: half of the mixed-in programs come from i18hunt's generators
 * (bench/_hunt_programs.ts's hand-made kinds, up to 600 instructions, and
 * tcpdump-compiled expressions), read from that tree.
 *
 * Programs: bench/_review_programs.ts (aimed kinds) or, with probability
 * `--mix`, tests/_process_closure_fuzz.ts's sources. Each runs on its packet,
 * cuts at its load ends, other frames, 0–3 bytes: per call from its own call
 * site and from one shared helper, with a wire length, inside a shared buffer
 * with a data offset and end, by `runBatch`, hot at times; earlier programs
 * run again after each compile (the process's first ones often). Every
 * `--gc-every` programs all but the first 50 are dropped and a GC runs (when
 * exposed), then compiling goes on. Prints counts and the first mismatches.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { bpfInsns } from "./_libpcap_ffi.ts";
import { interpret } from "../src/bpf/interpret.ts";
import { validate } from "../src/bpf/validate.ts";
import type { Instruction } from "../src/bpf/instruction.ts";
import type { PacketContext } from "../src/bpf/packet_context.ts";
import type { PacketBatch } from "../src/bpf/packet_batch.ts";
import { _prng, type _Random } from "../tests/_fuzz.ts";
import { _pcapFrames, _processProgramOf } from "../tests/_process_closure_fuzz.ts";
import { _ipTemplateOf } from "../tests/_step_tree_fuzz.ts";
import { _templateOf } from "../tests/_backend_fuzz.ts";
import { REVIEW_KINDS, reviewProgramOf } from "./_review_programs.ts";
import { _S20_KINDS, type _S20Kind, _s20ProgramOf } from "../tests/_closure_s20_programs.ts";
import { _steeredPackets } from "../tests/_steered_packets.ts";
import { review20Programs } from "./_review20_expressions.ts";
import {
  _breakpointPackets,
  _SHAPE_KINDS,
  type _ShapeKind,
  _shapeProgramOf,
} from "../tests/_closure_shape_programs.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    tree: { type: "string", default: new URL("..", import.meta.url).pathname },
    seed: { type: "string", default: "1" },
    programs: { type: "string", default: "3000" },
    mix: { type: "string", default: "0.2" },
    "gc-every": { type: "string", default: "700" },
    kind: { type: "string" },
    max: { type: "string", default: "5" },
    hunt: { type: "string" },
    shapes: { type: "string", default: "0" },
    s20: { type: "string", default: "0" },
    steer: { type: "string", default: "12" },
    exprs: { type: "string", default: "0" },
  },
});

type Run = ((p: Uint8Array, c?: PacketContext) => number) & {
  runBatch: (b: PacketBatch, r: Uint32Array) => void;
};
const tree = values.tree!.replace(/\/$/, "");
const { compile } = await import(`${tree}/src/bpf/compile.ts`) as {
  compile: (p: Instruction[], o: { strategy: string }) => Run;
};

/**
 * The dispatch-loop operations a program is laid out as, by name, when the tree has a walker
 * (i18loop's tests/_dispatch_walk.ts): to see that the fused operations under review occur.
 */
const layout = await (async () => {
  try {
    const walk = await import(`${tree}/tests/_dispatch_walk.ts`);
    const dispatch = await import(`${tree}/src/bpf/_dispatch_code.ts`);
    const { _lower } = await import(`${tree}/src/bpf/_lower.ts`);
    const { _removeKnownTests } = await import(`${tree}/src/bpf/_known_tests.ts`);
    const names = new Map<number, string>();
    for (const [name, value] of Object.entries(dispatch)) {
      if (/_EQN$|_PAIR$|_EQ3$/.test(name) && name !== "_RET_PAIR" && typeof value === "number") {
        names.set(value, name);
        names.set(value + dispatch._EQN_RETFALSE, name + " retfalse");
      }
    }
    return (program: Instruction[]): string[] => {
      const lowered = _removeKnownTests(_lower(program));
      const ranges =
        dispatch._withRanges?.(lowered).blocks.filter((b: { exit: { span?: number } }, i: number) =>
          b.exit !== lowered.blocks[i].exit
        ).length ?? 0;
      const ops = walk.operationsOf(dispatch._encodeDispatch(lowered)) as number[];
      const found = ops.flatMap((op) => names.has(op) ? [names.get(op)!] : []);
      return ranges > 0 ? [...found, "range pair"] : found;
    };
  } catch {
    return undefined;
  }
})();

/**
 * The closure path a program takes on this tree (single, chain, tree, loop), as
 * bench/engine_program_hunt.ts reads it, when the tree's modules allow it.
 */
const pathOf = await (async () => {
  try {
    const m = async (file: string) => await import(`${tree}/src/bpf/${file}`);
    const { _lower } = await m("_lower.ts");
    const { _removeKnownTests } = await m("_known_tests.ts");
    const { _encodeDispatch } = await m("_dispatch_code.ts");
    const { _singleOperation } = await m("_execute_single.ts");
    const { _compareChain } = await m("_execute_chain.ts");
    const { _testTree, _TREE_LIMITS, _closureTree } = await m("_execute_tree.ts");
    const { _optimizeProgram } = await m("_optimize_program.ts");
    // h19mid's joints: a pool of this reader's own, so that reading takes none from compile's.
    const joints = await m("_execute_tree_joints.ts").catch(() => undefined);
    const limits = joints === undefined
      ? _TREE_LIMITS
      : { ..._TREE_LIMITS, joints: new joints._TreeJoints() };
    const arithmetic = await Promise.all([m("_dispatch_fused.ts"), m("_execute_arith.ts")])
      .then(([f, a]) => ({ fuse: f._fuseArithmetic, leftOut: new Set(a._ARITHMETIC_LEFT_OUT) }))
      .catch(() => undefined);
    // h19chain's pieces and tables of compare chains, where the tree has them.
    const pieces = await m("_chain_pieces.ts").catch(() => undefined);
    // h20set's sets of tests on one field, where the tree has them.
    // "used": the plain tree is refused and the one with runs and sets is built (a tree cut by
    // joints: "found", not told apart).
    const { _builtTree } = await m("_execute_tree.ts");
    const sets = await Promise.all([m("_execute_tree_sets.ts"), m("_execute_tree_runs.ts")])
      .then(([s, r]) => (lowered: unknown) => {
        const runs = s._withTestSets(lowered, r._testRuns(lowered));
        if (![...runs.heads.values()].some(s._isTestSet)) return "";
        const within = { ..._TREE_LIMITS, joints: undefined };
        const used = _builtTree(lowered, within, undefined) === undefined &&
          _builtTree(lowered, within, runs) !== undefined;
        return used ? " (sets used)" : " (sets found)";
      })
      .catch(() => undefined);
    return (program: Instruction[]): string => {
      try {
        const lowered = _removeKnownTests(_lower(_optimizeProgram(program)));
        if (_singleOperation(_encodeDispatch(lowered))) return "single";
        const cut = pieces?._chainPieces(lowered);
        if (cut !== undefined) return cut.table ? "chain table" : "chain pieces";
        if (_compareChain(lowered)) return "chain";
        const loop = () => ({ run: () => 0, runBatch: () => {} });
        (limits as { joints?: { reset(): void } }).joints?.reset();
        if (_testTree(lowered, loop, limits)) {
          // h20refuse's prefix trees, and trees cut by joints.
          const pool = (limits as { joints?: { reset(): void; used: number } }).joints;
          pool?.reset();
          const tree = _closureTree?.(lowered, limits) as { restarts?: boolean } | undefined;
          const how = tree?.restarts ? " (prefix)" : (pool?.used ?? 0) > 0 ? " (jointed)" : "";
          return "tree" + how + (sets?.(lowered) ?? "");
        }
        // h19loop's arithmetic copy of the loop, where the tree has it.
        const fused = arithmetic?.fuse(_encodeDispatch(lowered), arithmetic.leftOut);
        return fused !== undefined ? "loop (arithmetic copy)" : "loop";
      } catch {
        return "?";
      }
    };
  } catch {
    return undefined;
  }
})();

/** h19mid's process-wide pool of joint literals, where the tree has one. */
const processJoints = await import(`${tree}/src/bpf/_execute_tree_joints.ts`)
  .then((m) => m._processTreeJoints as { used: number })
  .catch(() => undefined);

/** libpcap's bpf_filter. */
const pcap = Deno.dlopen("libpcap.so.0.8", {
  bpf_filter: { parameters: ["buffer", "buffer", "u32", "u32"], result: "u32" },
}).symbols;

/** Whether libpcap's semantics are the kernel's for this program (no ancillary, negative or `[x + k]` loads, no shifts by X). */
function libpcapApplies(program: Instruction[]): boolean {
  return program.every(({ code, k }) => {
    const cls = code & 7;
    const mode = code & 0xe0;
    if (cls === 0 && mode === 0x40) return false;
    if (code === 0x6c || code === 0x7c) return false; // libpcap: a shift by X >= 32 gives 0
    if ((cls === 0 || cls === 1) && (mode === 0x20 || mode === 0xa0) && (k | 0) < 0) return false;
    return true;
  });
}

const counts: Record<string, number> = {};
const count = (kind: string, n = 1) => (counts[kind] = (counts[kind] ?? 0) + n);
const mismatches: string[] = [];
const MAX = Number(values.max);

const hex = (p: Uint8Array) => [...p].map((b) => b.toString(16).padStart(2, "0")).join("");
const listing = (program: Instruction[]) =>
  program.map(({ code, jt, jf, k }) => `${code} ${jt} ${jf} ${k >>> 0}`).join(", ");

function report(
  path: string,
  entry: Entry,
  packet: Uint8Array,
  context: PacketContext | undefined,
  want: number,
  got: number,
) {
  count("MISMATCH " + path);
  if (mismatches.length >= MAX) return;
  mismatches.push(
    `MISMATCH ${path} (program #${entry.order}, ${entry.kind}): expected ${want}, got ${got}\n` +
      `  program: ${listing(entry.program)}\n  packet: ${hex(packet)}\n  context: ${
        JSON.stringify(context)
      }`,
  );
}

interface Entry {
  order: number;
  kind: string;
  program: Instruction[];
  run: Run;
}

function loadEnds(program: Instruction[]): number[] {
  const ends: number[] = [];
  for (const { code, k } of program) {
    const cls = code & 7, mode = code & 0xe0;
    if ((cls === 0 || cls === 1) && (mode === 0x20 || mode === 0x40 || mode === 0xa0) && k < 4096) {
      const size = cls === 1 || (code & 0x18) === 0x10 ? 1 : (code & 0x18) === 0x08 ? 2 : 4;
      ends.push(k + size);
    }
  }
  return ends;
}

function packetsFor(random: _Random, base: Uint8Array, program: Instruction[], real: Uint8Array[]) {
  const out = [base];
  for (const end of loadEnds(program)) {
    if (random.chance(0.5)) {
      if (end - 1 <= base.length) out.push(base.slice(0, end - 1));
      if (end <= base.length) out.push(base.slice(0, end));
    }
  }
  // `ldx msh` programs: header lengths 0, 20 and 60 bytes, cut at and just before each load's
  // end as that length places `[x + k]` loads.
  const msh = program.find(({ code, k }) => code === 0xb1 && k < 4096);
  if (msh !== undefined && random.chance(0.7)) {
    const nibble = random.pick([0, 5, 15]);
    const variant = new Uint8Array(Math.max(base.length, msh.k + 140));
    variant.set(base);
    for (let i = base.length; i < variant.length; i++) variant[i] = random.int(256);
    variant[msh.k] = (variant[msh.k] & 0xf0) | nibble;
    const ends = program.flatMap(({ code, k }) =>
      (code & 0xe7) === 0x40 && k < 4096
        ? [k + nibble * 4 + (code === 0x50 ? 1 : code === 0x48 ? 2 : 4)]
        : []
    );
    for (const end of [...ends, ...loadEnds(program)]) {
      if (random.chance(0.5)) out.push(variant.slice(0, end - 1), variant.slice(0, end));
    }
  }
  out.push(random.pick(real));
  // Packets steered down the program's paths (tests/_steered_packets.ts).
  out.push(..._steeredPackets(random, program, base, Number(values.steer)));
  // The first field at each jump constant ± 1 and at the bounds (compare chains' breakpoints).
  out.push(..._breakpointPackets(random, program, base, 16));
  if (random.chance(0.2)) {
    out.push(Uint8Array.from({ length: random.int(4) }, () => random.int(256)));
  }
  if (random.chance(0.3)) {
    const p = base.slice();
    if (p.length > 0) p[random.int(p.length)] ^= 1 << random.int(8);
    out.push(p);
  }
  return out;
}

const shared = (run: Run, p: Uint8Array, c?: PacketContext) => c === undefined ? run(p) : run(p, c);
const sharedBatch = (run: Run, b: PacketBatch, r: Uint32Array) => run.runBatch(b, r);

function wireOf(random: _Random, n: number): number {
  return random.pick([0, n, Math.max(0, n - 1), n + 1 + random.int(100), 0x7fffffff, 0xffffffff]);
}

/**
 * Contexts at the edges of their fields (negative, fractional or NaN offsets, an end past the
 * buffer or before the data, wire lengths past 2^32), merged into a per-packet context at times.
 */
const ODD_CONTEXTS: PacketContext[] = [
  { dataOffset: -2 },
  { dataOffset: 1.5 },
  { dataOffset: NaN },
  { end: 2 ** 40 },
  { end: -1 },
  { end: 3.7 },
  { dataOffset: 4, end: 2 },
  { wireLength: 2 ** 32 + 5 },
  { wireLength: 1.5 },
  { networkOffset: -3, macOffset: 2 ** 40 },
  { dataOffset: 2, networkOffset: 1, macOffset: 0 },
];

/** Ancillary fields of a context (SKF_AD_* loads), at times without a device (ifindex 0). */
function ancillaryOf(random: _Random): PacketContext {
  return {
    protocol: random.pick([0x0800, 0x86dd, 0x0806, random.int(0x10000)]),
    pktType: random.int(8),
    ifindex: random.pick([0, 0, 1, 7, random.uint32()]),
    mark: random.uint32(),
    queue: random.int(64),
    hatype: random.pick([1, 772, random.int(0x10000)]),
    rxhash: random.uint32(),
    cpu: random.int(64),
    vlanTci: random.int(0x10000),
    vlanPresent: random.chance(0.5),
    vlanTpid: random.pick([0x8100, 0x88a8]),
  };
}

function check(random: _Random, entry: Entry, packets: Uint8Array[], useShared: boolean) {
  const { program, run } = entry;
  const call = useShared
    ? shared
    : (r: Run, p: Uint8Array, c?: PacketContext) => c === undefined ? r(p) : r(p, c);
  const tag = useShared ? "shared" : "own";
  const pcapOk = libpcapApplies(program);
  const code = pcapOk ? bpfInsns(program) : undefined;
  for (const p of packets) {
    const want = interpret(program, p);
    const got = call(run, p);
    count(`${tag} per packet`);
    if (got !== want) report(`${tag} per packet`, entry, p, undefined, want, got);
    if (code !== undefined) {
      const lib = pcap.bpf_filter(code, p, p.length, p.length);
      count("libpcap");
      if (lib !== want) report("interpret vs libpcap", entry, p, undefined, lib, want);
    }
    const wire = wireOf(random, p.length);
    const ctx: PacketContext = random.chance(0.3)
      ? { wireLength: wire, ...ancillaryOf(random) }
      : { wireLength: wire };
    const odd = random.chance(0.15);
    if (odd) Object.assign(ctx, random.pick(ODD_CONTEXTS));
    let want2: number;
    try {
      want2 = interpret(program, p, ctx);
    } catch {
      count("odd contexts interpret() refused");
      continue;
    }
    const got2 = call(run, p, ctx);
    count(`${tag} wire length`);
    if (got2 !== want2) report(`${tag} wire length`, entry, p, ctx, want2, got2);
    // libpcap with a wire length below the captured length returns 0 (never so in the kernel).
    if (code !== undefined && wire >= p.length && !odd) {
      const lib = pcap.bpf_filter(code, p, wire, p.length);
      if (lib !== want2) report("interpret vs libpcap (wire)", entry, p, ctx, lib, want2);
    }
  }
  if (random.chance(0.1)) {
    const wants = packets.map((p) => interpret(program, p));
    for (let round = 0; round < 400; round++) {
      for (let i = 0; i < packets.length; i++) {
        const got = call(run, packets[i]);
        if (got !== wants[i]) {
          report(`${tag} hot`, entry, packets[i], undefined, wants[i], got);
          round = 400;
          break;
        }
      }
    }
    count(`${tag} hot`, 400 * packets.length);
  }
  // In one buffer at odd offsets: per packet with a context, and by runBatch.
  let total = random.int(3);
  const at: number[] = [];
  const skips: number[] = [];
  const wires: number[] = [];
  for (const p of packets) {
    at.push(total);
    skips.push(random.chance(0.2) ? random.int(p.length + 1) : 0);
    wires.push(wireOf(random, p.length));
    total += p.length + random.int(3);
  }
  const bytes = Uint8Array.from({ length: total + 2 }, () => random.int(256));
  packets.forEach((p, i) => bytes.set(p, at[i]));
  const contexts = packets.map((p, i): PacketContext => ({
    dataOffset: at[i] + skips[i],
    end: at[i] + p.length,
    wireLength: wires[i],
    networkOffset: at[i] + skips[i],
    macOffset: at[i],
  }));
  for (let i = 0; i < packets.length; i++) {
    const want = interpret(program, bytes, contexts[i]);
    const got = call(run, bytes, contexts[i]);
    count(`${tag} in buffer`);
    if (got !== want) report(`${tag} in buffer`, entry, packets[i], contexts[i], want, got);
  }
  const batch: PacketBatch = {
    bytes,
    offsets: Uint32Array.from(at),
    capturedLengths: Uint32Array.from(packets, (p) => p.length),
    wireLengths: Uint32Array.from(wires),
    dataOffsets: Uint32Array.from(skips),
  };
  const results = new Uint32Array(packets.length + 1).fill(0xdeadbeef);
  if (useShared) sharedBatch(run, batch, results);
  else run.runBatch(batch, results);
  count(`${tag} batch frames`, packets.length);
  for (let i = 0; i < packets.length; i++) {
    const want = interpret(program, bytes, contexts[i]);
    if (results[i] !== want) {
      report(`${tag} runBatch`, entry, packets[i], contexts[i], want, results[i]);
    }
  }
}

async function realFrames(limit: number): Promise<Uint8Array[]> {
  const file = await Deno.open(new URL("./data/mixed_1m.pcap", import.meta.url));
  const head = new Uint8Array(limit * 1600 + 24);
  let filled = 0;
  for (let n; filled < head.length && (n = await file.read(head.subarray(filled))) !== null;) {
    filled += n;
  }
  file.close();
  return _pcapFrames(head.subarray(0, filled), limit);
}

/** Programs of i18hunt's generators (`--hunt`), drawn from when mixing. */
async function huntPool(
  dir: string | undefined,
): Promise<{ kind: string; program: Instruction[] }[]> {
  if (dir === undefined) return [];
  const made = await import(`${dir}/bench/_hunt_programs.ts`);
  const expressions = await import(`${dir}/bench/_hunt_expressions.ts`);
  const { SeededRandom } = await import(`${dir}/bench/_seeded_random.ts`);
  const r = new SeededRandom(Number(values.seed));
  const pool = made.HAND_MADE_KINDS.flatMap(({ kind }: { kind: string }) =>
    made.handMadePrograms(r, kind, 40)
  );
  pool.push(...expressions.expressionPrograms(r, 150, 8), ...expressions.u32Programs(r, 50));
  return pool.map((p: { kind: string; program: Instruction[] }) => ({
    kind: `hunt: ${p.kind}`,
    program: p.program,
  }));
}
const hunted = await huntPool(values.hunt);
// `--exprs N`: N tcpdump expressions of bench/_review20_expressions.ts, mixed in as the hunt's are.
hunted.push(...review20Programs(_prng(Number(values.seed) + 7), Number(values.exprs)));

const real = await realFrames(3000);
const random = _prng(Number(values.seed));
const entries: Entry[] = [];
const kinds = Object.keys(REVIEW_KINDS) as (keyof typeof REVIEW_KINDS)[];
const gcEvery = Number(values["gc-every"]);
const gc = (globalThis as { gc?: () => void }).gc;
for (let order = 0; order < Number(values.programs);) {
  let base = random.chance(0.5)
    ? random.pick(real)
    : random.chance(0.5)
    ? _ipTemplateOf(random)
    : _templateOf(random);
  let kind: string;
  let program: Instruction[] | undefined;
  if (
    values.kind !== undefined && values.kind in _S20_KINDS ||
    values.kind === undefined && random.chance(Number(values.s20))
  ) {
    kind = (values.kind as _S20Kind | undefined) ??
      random.pick(Object.keys(_S20_KINDS) as _S20Kind[]);
    const made = _s20ProgramOf(random, kind as _S20Kind);
    program = made.program;
    base = random.chance(0.8) ? made.frame : base;
  } else if (
    hunted.length > 0 && random.chance(Number(values.mix) / 2) && values.kind === undefined
  ) {
    const made = random.pick(hunted);
    kind = made.kind;
    program = made.program;
  } else if (random.chance(Number(values.mix)) && values.kind === undefined) {
    const made = _processProgramOf(random);
    kind = `process: ${made?.source.split(" ")[0]}`;
    program = made?.program;
  } else if (
    values.kind !== undefined && values.kind in _SHAPE_KINDS ||
    values.kind === undefined && random.chance(Number(values.shapes))
  ) {
    kind = (values.kind as _ShapeKind | undefined) ??
      random.pick(Object.keys(_SHAPE_KINDS) as _ShapeKind[]);
    program = _shapeProgramOf(random, base, kind as _ShapeKind);
  } else if (entries.length > 0 && random.chance(0.05)) {
    const again = random.pick(entries);
    kind = `again: ${again.kind}`;
    program = again.program;
  } else {
    const made = reviewProgramOf(
      random,
      base,
      (values.kind as keyof typeof REVIEW_KINDS | undefined) ?? random.pick(kinds),
    );
    kind = made?.kind ?? "";
    program = made?.program;
  }
  if (program === undefined) continue;
  if (program.some(({ k, code }) => (code & 7) === 0 && k === 0xfffff038)) continue; // SKF_AD_RANDOM
  try {
    validate(program);
  } catch {
    count("invalid drafts");
    continue;
  }
  const jointsBefore = processJoints?.used ?? 0;
  const run = compile(program, { strategy: "closure" });
  if ((processJoints?.used ?? 0) > jointsBefore) count("trees with joints (h19mid)");
  const entry: Entry = { order: order++, kind, program, run };
  entries.push(entry);
  count(`programs: ${kind}`);
  for (const op of layout?.(program) ?? []) count(`laid out: ${op}`);
  if (pathOf !== undefined) count(`path: ${pathOf(program)}`);
  check(random, entry, packetsFor(random, base, program, real), random.chance(0.5));
  for (let r = 0; r < 2; r++) {
    const earlier = random.chance(0.3)
      ? entries[random.int(Math.min(entries.length, 300))]
      : random.pick(entries);
    const other = random.chance(0.5) ? random.pick(real) : _ipTemplateOf(random);
    check(random, earlier, packetsFor(random, other, earlier.program, real), true);
    count("revisits");
  }
  if (gcEvery > 0 && order % gcEvery === 0) {
    entries.length = Math.min(entries.length, 50);
    gc?.();
    count("gc rounds");
  }
}
console.log(`tree ${tree} seed ${values.seed}`);
for (const m of mismatches) console.log(m);
console.log(JSON.stringify(counts, null, 1));
