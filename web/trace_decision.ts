/**
 * The trace of the rule that decided a packet: every program of the rule
 * (`-m bpf`, and `-m u32` as its equivalent BPF) stepped through by the
 * library's {@linkcode trace} with the context the rule engine gives it
 * ({@linkcode FrameContext}), as `bpfstream trace` prints it.
 *
 * @module
 */
import { compileFilter, type Program, type RuleSet } from "../mod.ts";
import { disassemble, trace } from "../src/bpf/mod.ts";
import { LINKTYPE_RAW } from "../src/capture/mod.ts";
import { parseU32, u32ToBpf } from "../src/u32/mod.ts";
import { createFrameRef, FrameContext, type Match } from "../src/rules/mod.ts";

/** One executed instruction, with the registers after it (as `bpfstream trace`). */
export interface TraceRow {
  pc: number;
  /** The instruction as `tcpdump -d` prints it. */
  instruction: string;
  a: number;
  x: number;
  /** Scratch cells read (`M[i]=v`) or written (`M[i]<-v`), values in hex. */
  scratch: string;
}

/** One program of the deciding rule and its run on the packet. */
export interface ProgramTrace {
  /** What the program is: `-m bpf --bytecode`, `-m bpf --expr "…"`, `-m u32 "…"`. */
  label: string;
  base: "network" | "link";
  /** Why it was not run (e.g. no IP header for a network-base program). */
  notRun?: string;
  rows: TraceRow[];
  result: number;
  abort?: string;
}

/** A packet in the form the trace needs. */
export interface TracedFrame {
  data: Uint8Array;
  wireLength: number;
  linkType: number;
  /** Global interface index (`SKF_AD_IFINDEX` sees it + 1). */
  interfaceIndex: number;
  /** pcapng `if_name`, for `-i`. */
  interfaceName?: string;
}

/** Formats a register or cell value as `bpfstream trace` does. */
export function hex(value: number): string {
  return "0x" + (value >>> 0).toString(16).padStart(8, "0");
}

function _program(match: Match, base: "network" | "link", linkType: number): Program | null {
  if (match.kind === "bpf") {
    if (match.program) return match.program;
    if (match.expression === undefined) return null;
    return compileFilter(match.expression, {
      linkType: base === "network" ? LINKTYPE_RAW : linkType,
    });
  }
  if (match.kind === "u32") return u32ToBpf(parseU32(match.expression));
  return null;
}

function _label(match: Match): string {
  const not = "invert" in match && match.invert ? "! " : "";
  if (match.kind === "u32") return `-m u32 ${not}--u32 "${match.expression}" (as BPF)`;
  if (match.kind === "bpf" && match.program) return `-m bpf ${not}--bytecode`;
  if (match.kind === "bpf") return `-m bpf ${not}--expr "${match.expression}"`;
  return match.kind;
}

/**
 * Traces every program of rule `decidedBy` (flat index) of `ruleSet` on one
 * packet; an empty list for the policy or a rule without programs.
 */
export function traceDecision(
  ruleSet: RuleSet,
  decidedBy: number,
  packet: TracedFrame,
): ProgramTrace[] {
  const rule = ruleSet.chains.flatMap((chain) => chain.rules)[decidedBy];
  if (!rule) return [];
  const base = rule.base;
  const frame = createFrameRef({
    bytes: packet.data,
    capturedLength: packet.data.length,
    wireLength: packet.wireLength,
    linkType: packet.linkType,
    interfaceIndex: packet.interfaceIndex,
    interfaceName: packet.interfaceName ?? "",
  });
  const contexts = new FrameContext();
  const loaded = contexts.load(frame, base);
  const context = base === "network" ? contexts.network : contexts.link;
  const traces: ProgramTrace[] = [];
  for (const match of rule.matches) {
    let program: Program | null;
    try {
      program = _program(match, base, packet.linkType);
    } catch (error) {
      const notRun = `cannot compile for this link type: ${(error as Error).message}`;
      traces.push({ label: _label(match), base, notRun, rows: [], result: 0 });
      continue;
    }
    if (!program) continue;
    if (!loaded) {
      const notRun = "a network-base program runs only on frames with an IPv4/IPv6 header";
      traces.push({ label: _label(match), base, notRun, rows: [], result: 0 });
      continue;
    }
    const listing = disassemble(program).split("\n");
    const run = trace(program, packet.data, context);
    traces.push({
      label: _label(match),
      base,
      rows: run.steps.map((step) => ({
        pc: step.pc,
        instruction: (listing[step.pc] ?? `(${step.pc}) ?`).replaceAll("\t", " "),
        a: step.a,
        x: step.x,
        scratch: step.scratch.map((cell) =>
          `M[${cell.index}]${cell.write ? "<-" : "="}${hex(cell.value)}`
        ).join(" "),
      })),
      result: run.result >>> 0,
      ...(run.abort ? { abort: run.abort } : {}),
    });
  }
  return traces;
}
