/**
 * The "wasm" compile strategy: a classic BPF program compiled to a
 * WebAssembly module at run time.
 *
 * @module
 */
import type { Program } from "./instruction.ts";
import type { PacketContext } from "./packet_context.ts";
import { validate } from "./validate.ts";
import { _lower } from "./_lower.ts";
import { _wasmModule } from "./_wasm_codegen.ts";
import { WasmFilter } from "./wasm_filter.ts";
import {
  _captureEnd,
  _dataStart,
  _EMPTY_CONTEXT,
  _loadEnd,
  _macStart,
  _networkStart,
  _wireLength,
} from "./_packet_access.ts";
import { BPF_JA, BPF_JMP } from "./opcodes.ts";

export { WasmFilter } from "./wasm_filter.ts";
export { _resetWasmProbe, _wasmRefusal } from "./_wasm_refusal.ts";
export type { WasmBatchOptions } from "./wasm_filter.ts";

/**
 * Options of {@linkcode compileWasm}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileWasm, type CompileWasmOptions } from "./compile_wasm.ts";
 * // Two rules reading the same packets.
 * const memory = new WebAssembly.Memory({ initial: 16 });
 * const options: CompileWasmOptions = { memory, maxInstructions: 64 };
 * const accept = compileWasm([{ code: 0x06, jt: 0, jf: 0, k: 1 }], options);
 * const reject = compileWasm([{ code: 0x06, jt: 0, jf: 0, k: 0 }], options);
 * assert.equal(accept.memory, reject.memory);
 * ```
 */
export interface CompileWasmOptions {
  /** The memory holding the packets; pass one memory to several filters to share it.
   * @default {a new memory of one page} */
  memory?: WebAssembly.Memory;
  /** Largest accepted program (xt_bpf: 64).
   * @default {4096} */
  maxInstructions?: number;
}

/**
 * Validates a program as the kernel does ({@linkcode validate}) and compiles
 * it to a WebAssembly module: one Wasm block per basic block, one bounds
 * check per block for its constant-offset loads, loads and compares as native
 * Wasm instructions, and the negative windows and ancillary loads through
 * calls back into the same JavaScript the interpreter uses. The result is a
 * {@linkcode WasmFilter}, which runs on packets in its Wasm memory with no copy.
 *
 * Runtimes that refuse run-time Wasm (Cloudflare Workers; a content security
 * policy without `'wasm-unsafe-eval'`) throw here — `WebAssembly.CompileError`
 * or `EvalError`; {@linkcode compile} with `strategy: "wasm"` catches that and
 * falls back to closures with the reason.
 *
 * @param program The instructions.
 * @param options The memory and the checker's limit.
 * @returns The compiled filter.
 * @throws {BpfValidationError} When the kernel would refuse the program.
 * @throws {RangeError} For libpcap's backward `ja`, which Wasm's structured
 * control flow is not given here (the closure and source strategies run it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileWasm } from "./compile_wasm.ts";
 * // ldb [0]; ret a: the first byte.
 * const first = compileWasm([{ code: 0x30, jt: 0, jf: 0, k: 0 }, { code: 0x16, jt: 0, jf: 0, k: 0 }]);
 * first.reserve(4).set([7, 8, 9, 10]);
 * assert.equal(first.run(2, 2), 9);
 * assert.equal(first.run(4, 0), 0); // nothing captured: the load fails
 * ```
 */
export function compileWasm(program: Program, options: CompileWasmOptions = {}): WasmFilter {
  validate(program, { maxInstructions: options.maxInstructions });
  const copy = program.map(({ code, jt, jf, k }) => ({ code, jt, jf, k: k >>> 0 }));
  return _compileValidatedWasm(copy, options.memory);
}

/** {@linkcode compileWasm} for a program already validated (and `k`-normalised). */
export function _compileValidatedWasm(
  program: Program,
  memory: WebAssembly.Memory = new WebAssembly.Memory({ initial: 1 }),
): WasmFilter {
  const lowered = _lower(program);
  if (lowered.backward) {
    const at = program.findIndex(({ code, k }) => code === (BPF_JMP | BPF_JA) && (k | 0) < 0);
    throw new RangeError(`Cannot compile to Wasm: backward jump at instruction ${at}`);
  }
  const usesAncillary = lowered.blocks.some((block) =>
    block.steps.some((step) => step.kind === "load-ancillary")
  );
  return new WasmFilter(new WebAssembly.Module(_wasmModule(lowered)), memory, usesAncillary);
}

/**
 * A Wasm filter as a function of (packet, context), as {@linkcode compile}
 * returns: the packet's bytes are copied into the filter's memory unless they
 * already lie there.
 */
export function _wasmProgramFunction(
  filter: WasmFilter,
): (packet: Uint8Array, context?: PacketContext) => number {
  // One formal parameter: V8 pads a call with fewer arguments than formals (about 3 ns).
  const run = function run(packet: Uint8Array): number {
    const context: PacketContext = arguments.length > 1
      ? arguments[1] ?? _EMPTY_CONTEXT
      : _EMPTY_CONTEXT;
    if (context === _EMPTY_CONTEXT) {
      const length = packet.length;
      return filter._runPacket(packet, context, 0, length, length, length, 0, -1);
    }
    const end = _captureEnd(packet, context);
    const base = _dataStart(context);
    const wire = _wireLength(context, base, end);
    return filter._runPacket(
      packet,
      context,
      base,
      end,
      wire,
      _loadEnd(base, end, wire),
      _networkStart(context, base),
      _macStart(context),
    );
  };
  return run as (packet: Uint8Array, context?: PacketContext) => number;
}
