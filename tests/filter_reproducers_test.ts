/**
 * The compiler reproducers of issue 14 against what tcpdump / libpcap 1.10.3
 * printed for them (tests/data/filter/reproducers.json, made by
 * make_reproducers.ts). A program must return what libpcap's returns on
 * every probe packet: corpus frames, and frames written to hold each
 * constant either program compares at each offset either program loads,
 * cut at every length up to the largest offset (so loads that fail count).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { compileFilter, FilterRejectsAllError, FilterSyntaxError } from "../src/filter/mod.ts";
import type { Instruction } from "../src/bpf/instruction.ts";
import { interpret } from "../src/bpf/interpret.ts";
import { parseBytecode } from "../src/bpf/parse_bytecode.ts";
import { BPF_ABS, BPF_JMP, BPF_K, BPF_LD, BPF_RET, bpfClass, bpfMode } from "../src/bpf/opcodes.ts";
import { _parseLinkType } from "../src/cli/_link_types.ts";

interface Run {
  args: string[];
  program?: string;
  error?: string;
}
const data: { runs: Run[] } = JSON.parse(
  readFileSync(new URL("./data/filter/reproducers.json", import.meta.url), "utf8"),
);

/** `tcpdump [-y T] [-O] -ddd EXPR` as compileFilter options. */
function optionsOf(args: string[]) {
  const y = args.indexOf("-y");
  return {
    expression: args[args.length - 1],
    linkType: y < 0 ? 1 : _parseLinkType(args[y + 1], "test"),
    optimize: !args.includes("-O"),
  };
}

type _Load = [offset: number, width: number];

/**
 * Frames that steer both programs down their paths: every absolute load is
 * given the constant that the jump right after it compares with (as each
 * program first wants it, then each other value one at a time), cut at every
 * length (so loads that fail count).
 */
function probes(programs: Instruction[][]): Uint8Array[] {
  const wanted = new Map<string, { load: _Load; values: Set<number> }>();
  const firsts: Map<string, number>[] = [];
  for (const p of programs) {
    const first = new Map<string, number>();
    p.forEach((ins, i) => {
      if (bpfClass(ins.code) !== BPF_LD || bpfMode(ins.code) !== BPF_ABS) return;
      const width = (ins.code & 0x18) === 0 ? 4 : (ins.code & 0x18) === 0x08 ? 2 : 1;
      const key = `${ins.k}/${width}`;
      const entry = wanted.get(key) ?? { load: [ins.k, width] as _Load, values: new Set([0]) };
      wanted.set(key, entry);
      const next = p[i + 1];
      if (next && bpfClass(next.code) === BPF_JMP && (next.code & 0x08) === BPF_K) {
        entry.values.add(next.k);
        if (!first.has(key)) first.set(key, next.k);
      }
    });
    firsts.push(first);
  }
  const size = Math.max(64, ...[...wanted.values()].map(({ load }) => load[0] + 4));
  const write = (frame: Uint8Array, [at, width]: _Load, v: number) => {
    for (let i = 0; i < width; i++) frame[at + i] = (v >>> (8 * (width - 1 - i))) & 0xff;
  };
  const bases: Uint8Array[] = [new Uint8Array(size), new Uint8Array(size).fill(0x45)];
  for (const first of firsts) {
    const base = new Uint8Array(size);
    for (const [key, v] of first) write(base, wanted.get(key)!.load, v);
    bases.push(base);
  }
  const out: Uint8Array[] = [];
  for (const base of bases) {
    out.push(base);
    for (const { load, values } of wanted.values()) {
      for (const v of values) {
        const frame = base.slice();
        write(frame, load, v);
        out.push(frame);
      }
    }
  }
  const cut: Uint8Array[] = [];
  for (const frame of out) {
    for (let n = 0; n <= frame.length; n++) cut.push(frame.subarray(0, n));
  }
  return cut;
}

for (const run of data.runs) {
  const { expression, linkType, optimize } = optionsOf(run.args);
  Deno.test(`compileFilter() as tcpdump ${run.args.join(" ")}`, () => {
    if (run.error !== undefined) {
      if (run.error === "expression rejects all packets") {
        assert.throws(
          () => compileFilter(expression, { linkType, optimize }),
          FilterRejectsAllError,
        );
        const empty = compileFilter(expression, { linkType, optimize, allowRejectAll: true });
        assert.deepEqual(empty, [{ code: BPF_RET | BPF_K, jt: 0, jf: 0, k: 0 }]);
      } else {
        assert.throws(() => compileFilter(expression, { linkType, optimize }), FilterSyntaxError);
      }
      return;
    }
    const theirs = parseBytecode(run.program!);
    const ours = compileFilter(expression, { linkType, optimize });
    if (run.args.includes("-O")) {
      // Unoptimized code differs in form (docs/filter.md); only the results must agree.
      assert.ok(ours.length <= theirs.length);
    }
    for (const packet of probes([theirs, ours])) {
      const context = { wireLength: packet.length };
      const want = interpret(theirs, packet, context);
      const got = interpret(ours, packet, context);
      if (got !== want) {
        assert.fail(
          `on ${packet.length} bytes [${Array.from(packet.subarray(0, 64)).join(",")}]: ` +
            `got ${got}, libpcap ${want}`,
        );
      }
    }
  });
}

Deno.test("compileFilter() uses libpcap's PPP numbers after pppoes (stp 0x31, iso 0x23, mpls 0x0281)", () => {
  const jeqAfterPppoes = (expression: string) =>
    compileFilter(expression).filter((i) => i.code === 0x15).map((i) => i.k);
  const runFor = (expression: string) =>
    parseBytecode(data.runs.find((r) => r.args.at(-1) === expression)!.program!)
      .filter((i) => i.code === 0x15).map((i) => i.k);
  for (
    const [expression, ppp] of [["pppoes and stp", 0x31], ["pppoes and iso", 0x23], [
      "pppoes and mpls",
      0x0281,
    ]] as const
  ) {
    assert.deepEqual(jeqAfterPppoes(expression), [0x8864, ppp]);
    assert.deepEqual(runFor(expression), [0x8864, ppp]);
  }
});
