/**
 * Test helper: the recorded kernel tables (tests/data/kernel/*.json) and the
 * comparison of the kernel's verdicts with our engine's.
 */
import { compile } from "../../src/bpf/compile.ts";
import { validate } from "../../src/bpf/validate.ts";
import { compileU32 } from "../../src/u32/compile_u32.ts";
import { parseU32 } from "../../src/u32/parse_u32.ts";
import { fromBytecode } from "./_generate.ts";
import { frameOf, kernelContext, type KernelFacts, type KernelPacket } from "./_frames.ts";

/** One rule of a table: a bpf program or a u32 expression. */
export interface TableRule {
  /** What it is / where it comes from. */
  name: string;
  /** `-m bpf --bytecode` program (iptables form). */
  bytecode?: string;
  /** `-m u32 --u32` expression. */
  u32?: string;
  /** `! --u32`. */
  negate?: boolean;
}

/** A packets × rules table of kernel verdicts. */
export interface VerdictTable {
  /** How it was made. */
  generator: string;
  /** Kernel release and iptables version of the recording. */
  kernel: string;
  /** `iptables -V`. */
  iptables: string;
  /** Harness facts (ifindex of the receiving veth). */
  facts: KernelFacts;
  /** Ids into packets.json. */
  packets: number[];
  /** Per packet: "1" delivered to raw PREROUTING, "0" dropped before. */
  delivered: string;
  /** The rules. */
  rules: TableRule[];
  /** Per rule, per packet: "1" matched, "0" not, "-" not delivered. */
  verdicts: string[];
}

/** The iptables match arguments of a rule. */
export function matchOf(rule: TableRule): string {
  if (rule.bytecode !== undefined) return `-m bpf --bytecode "${rule.bytecode}"`;
  return `-m u32 ${rule.negate ? "! " : ""}--u32 "${rule.u32}"`;
}

/** One disagreement between the kernel and our engine. */
export interface Disagreement {
  /** Rule name. */
  rule: string;
  /** Program or expression. */
  text: string;
  /** Packet id and source. */
  packet: string;
  /** The frame as sent (hex). */
  frame: string;
  /** The kernel's verdict. */
  kernel: boolean;
  /** Ours, per engine (or the error it threw). */
  ours: Record<string, boolean | string>;
}

/** Counts and the disagreements of one table. */
export interface Comparison {
  /** (rule, delivered packet) pairs compared. */
  compared: number;
  /** Of which the kernel matched. */
  kernelMatched: number;
  /** Pairs where an engine disagreed. */
  disagreements: Disagreement[];
}

type _Matcher = (
  packet: Uint8Array,
  context: ReturnType<typeof kernelContext>["context"],
) => boolean;

function _engines(rule: TableRule): Record<string, _Matcher> {
  if (rule.bytecode !== undefined) {
    const program = fromBytecode(rule.bytecode);
    const closure = compile(program, { maxInstructions: 64, strategy: "closure" });
    const source = compile(program, { maxInstructions: 64, strategy: "source" });
    const wasm = compile(program, { maxInstructions: 64, strategy: "wasm" });
    if (wasm.strategy !== "wasm") throw new Error(`wasm fell back: ${wasm.fallbackReason}`);
    return {
      closure: (p, c) => closure(p, c) !== 0,
      source: (p, c) => source(p, c) !== 0,
      wasm: (p, c) => wasm(p, c) !== 0,
    };
  }
  const tests = parseU32(rule.u32!);
  const match = compileU32(tests);
  const inverted = compileU32(tests, { invert: rule.negate ?? false });
  return {
    // As the rule engine does it (compile_rule_set.ts) …
    u32: (p, c) => match(p, c) !== (rule.negate ?? false),
    // … and through compileU32's own `invert`.
    "u32 invert option": (p, c) => inverted(p, c),
  };
}

/**
 * Runs our engine on every (rule, delivered packet) pair of a table and
 * returns where it differs from the kernel (at most `limit` listed).
 */
export function compareTable(
  table: Pick<VerdictTable, "packets" | "rules" | "verdicts" | "delivered" | "facts">,
  packets: ReadonlyMap<number, KernelPacket>,
  limit = 50,
): Comparison {
  const inputs = table.packets.map((id) => {
    const packet = packets.get(id);
    if (!packet) throw new Error(`Cannot compare table: packet ${id} is missing`);
    return { packet, ...kernelContext(packet, frameOf(packet), table.facts) };
  });
  const result: Comparison = { compared: 0, kernelMatched: 0, disagreements: [] };
  let extra = 0;
  table.rules.forEach((rule, r) => {
    let engines: Record<string, _Matcher>;
    try {
      engines = _engines(rule);
    } catch (error) {
      engines = {
        compile: () => {
          throw error;
        },
      };
    }
    const row = table.verdicts[r];
    inputs.forEach((input, p) => {
      if (table.delivered[p] !== "1") return;
      const kernel = row[p] === "1";
      result.compared++;
      if (kernel) result.kernelMatched++;
      const ours: Record<string, boolean | string> = {};
      let differs = false;
      for (const [name, engine] of Object.entries(engines)) {
        try {
          ours[name] = engine(input.frame, input.context);
        } catch (error) {
          ours[name] = `${(error as Error).name}: ${(error as Error).message}`;
        }
        if (ours[name] !== kernel) differs = true;
      }
      if (!differs) return;
      if (result.disagreements.length >= limit) {
        extra++;
        return;
      }
      result.disagreements.push({
        rule: rule.name,
        text: rule.bytecode ?? `${rule.negate ? "! " : ""}${rule.u32}`,
        packet: `${input.packet.id} (${input.packet.source}, ${input.packet.destination})`,
        frame: Array.from(input.frame, (b) => b.toString(16).padStart(2, "0")).join(""),
        kernel,
        ours,
      });
    });
  });
  if (extra > 0) {
    result.disagreements.push({
      rule: `… and ${extra} more`,
      text: "",
      packet: "",
      frame: "",
      kernel: false,
      ours: {},
    });
  }
  return result;
}

/** One row of the checker table. */
export interface CheckerRow {
  /** What the program is. */
  name: string;
  /** Program, iptables form. */
  bytecode: string;
  /** Whether `iptables -m bpf` (and the kernel's checker) accepted it. */
  kernelAccepts: boolean;
  /** iptables' message when it refused. */
  message?: string;
}

/** Our checker's answer: `true` accepted, or the error's code. */
export function ourCheck(bytecode: string): true | string {
  try {
    validate(fromBytecode(bytecode), { maxInstructions: 64 });
    return true;
  } catch (error) {
    const code = (error as { code?: string }).code;
    return code ?? `${(error as Error).name}: ${(error as Error).message}`;
  }
}

/** Reads a recorded JSON file from tests/data/kernel/. */
export function dataUrl(name: string): URL {
  return new URL(`../data/kernel/${name}`, import.meta.url);
}
