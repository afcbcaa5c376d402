/**
 * The classic BPF engine (`bpfstream/bpf`): parse, check, run, compile, trace,
 * assemble and disassemble cBPF programs with the Linux kernel's semantics.
 *
 * - Programs: {@linkcode parseBytecode} (the iptables `--bytecode` text),
 *   {@linkcode formatBytecode}, {@linkcode assemble} / {@linkcode toAssembly}
 *   (`bpf_asm` syntax), {@linkcode disassemble} (`tcpdump -d`).
 * - Checking: {@linkcode validate}, as the kernel's `bpf_check_classic`.
 * - Running: {@linkcode interpret} (the reference interpreter, with an
 *   optional observer of every step), {@linkcode trace} (the interpreter,
 *   recording every step),
 *   {@linkcode compile} (the fastest strategy the runtime allows) and
 *   {@linkcode compileWasm} (batches in WebAssembly memory). A run sees a
 *   {@linkcode PacketContext}: what the kernel knows besides the bytes.
 * - Constants, under the kernel's names: the opcode fields (`BPF_LD`, `BPF_H`,
 *   `BPF_ABS`, ...) and their accessors (`bpfClass`, `bpfSize`, ...), the
 *   limits (`BPF_MAXINSNS`, `BPF_MEMWORDS`, `XT_BPF_MAX_NUM_INSTR`), and the
 *   special load offsets (`SKF_AD_*`, `SKF_NET_OFF`, `SKF_LL_OFF`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BPF_ABS, BPF_B, BPF_LD, disassemble, interpret, parseBytecode } from "./mod.ts";
 * const program = parseBytecode("4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0");
 * assert.equal(program[0].code, BPF_LD | BPF_B | BPF_ABS);
 * const packet = new Uint8Array(20);
 * packet[9] = 6; // IPv4 protocol: TCP
 * assert.equal(interpret(program, packet), 1);
 * assert.equal(disassemble(program).split("\n")[0], "(000) ldb      [9]");
 * ```
 *
 * @module
 */

// Programs and their text forms.
export type { Instruction, Program } from "./instruction.ts";
export { parseBytecode } from "./parse_bytecode.ts";
export { formatBytecode } from "./format_bytecode.ts";
export { assemble } from "./assemble.ts";
export { toAssembly } from "./to_assembly.ts";
export { disassemble } from "./disassemble.ts";
export { BpfSyntaxError, type BpfValidationCode, BpfValidationError } from "./errors.ts";

// Checking and running.
export type { PacketContext } from "./packet_context.ts";
export type { PacketBatch } from "./packet_batch.ts";
export { validate, type ValidateOptions } from "./validate.ts";
export {
  interpret,
  type InterpretEnd,
  type InterpretObserver,
  type InterpretStep,
} from "./interpret.ts";
export { type Trace, trace, type TraceStep } from "./trace.ts";
export {
  compile,
  type CompiledProgram,
  type CompileOptions,
  type CompileStrategy,
} from "./compile.ts";
export {
  compileWasm,
  type CompileWasmOptions,
  type WasmBatchOptions,
  WasmFilter,
} from "./compile_wasm.ts";

// Opcode fields (linux/bpf_common.h, linux/filter.h) and their accessors.
export {
  BPF_A,
  BPF_ABS,
  BPF_ADD,
  BPF_ALU,
  BPF_AND,
  BPF_B,
  BPF_DIV,
  BPF_H,
  BPF_IMM,
  BPF_IND,
  BPF_JA,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_JSET,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_LEN,
  BPF_LSH,
  BPF_MEM,
  BPF_MISC,
  BPF_MOD,
  BPF_MSH,
  BPF_MUL,
  BPF_NEG,
  BPF_OR,
  BPF_RET,
  BPF_RSH,
  BPF_ST,
  BPF_STX,
  BPF_SUB,
  BPF_TAX,
  BPF_TXA,
  BPF_W,
  BPF_X,
  BPF_XOR,
  bpfClass,
  bpfMiscOp,
  bpfMode,
  bpfOp,
  bpfRval,
  bpfSize,
  bpfSrc,
} from "./opcodes.ts";

// Limits: program length (kernel, xt_bpf) and scratch memory cells.
export { BPF_MAXINSNS, BPF_MEMWORDS, XT_BPF_MAX_NUM_INSTR } from "./opcodes.ts";

// Special load offsets: ancillary data (SKF_AD_*) and the negative windows.
export {
  SKF_AD_ALU_XOR_X,
  SKF_AD_CPU,
  SKF_AD_HATYPE,
  SKF_AD_IFINDEX,
  SKF_AD_MARK,
  SKF_AD_MAX,
  SKF_AD_NLATTR,
  SKF_AD_NLATTR_NEST,
  SKF_AD_OFF,
  SKF_AD_PAY_OFFSET,
  SKF_AD_PKTTYPE,
  SKF_AD_PROTOCOL,
  SKF_AD_QUEUE,
  SKF_AD_RANDOM,
  SKF_AD_RXHASH,
  SKF_AD_VLAN_TAG,
  SKF_AD_VLAN_TAG_PRESENT,
  SKF_AD_VLAN_TPID,
  SKF_LL_OFF,
  SKF_NET_OFF,
} from "./opcodes.ts";
