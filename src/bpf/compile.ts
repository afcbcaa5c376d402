/**
 * Compiling a classic BPF program to a fast function.
 *
 * @module
 */
import type { Program } from "./instruction.ts";
import type { PacketContext } from "./packet_context.ts";
import { validate } from "./validate.ts";
import { compileClosure } from "./compile_closure.ts";
import { compileSource } from "./compile_source.ts";
import {
  _compileValidatedWasm,
  _wasmProgramFunction,
  _wasmRefusal,
  type WasmFilter,
} from "./compile_wasm.ts";
import { _defaultStrategy } from "./_strategy_choice.ts";
import { type _BatchRun, _batchThroughContext } from "./_run_batch.ts";
import { _compileSourceBatch } from "./_source_batch.ts";
import type { PacketBatch } from "./packet_batch.ts";

import type { CompileStrategy } from "./compile_strategy.ts";
export type { CompileStrategy } from "./compile_strategy.ts";

/**
 * A compiled program: returns what the program returns for one packet
 * (uint32; 0 rejects). It allocates nothing per call and may be called with
 * one reused context object.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compile, type CompiledProgram } from "./compile.ts";
 * import type { PacketContext } from "./packet_context.ts";
 * // ldb [9]; ret a: the IPv4 protocol byte, offset 0 being the network header.
 * const protocolOf: CompiledProgram = compile([
 *   { code: 0x30, jt: 0, jf: 0, k: 9 },
 *   { code: 0x16, jt: 0, jf: 0, k: 0 },
 * ]);
 * // An Ethernet frame carrying UDP; dataOffset 14 makes offset 0 its IPv4 header.
 * const frame = new Uint8Array(34);
 * frame.set([0x08, 0x00, 0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17], 12);
 * const context: PacketContext = { dataOffset: 14 };
 * assert.equal(protocolOf(frame, context), 17);
 * // Deno allows generated source; where code generation is refused: "closure".
 * assert.equal(protocolOf.strategy, "source");


 * ```
 */
export interface CompiledProgram {
  (packet: Uint8Array, context?: PacketContext): number;
  /**
   * Runs the program over the frames of `batch` (side by side in one
   * buffer) and writes frame i's result to `results[i]`: one call for the
   * batch. With the closure strategy a one-operation program (`ip`, `arp`,
   * `len > 100`) runs its test inside the batch's loop, with no call per
   * frame; the others call the function once per frame with a reused
   * context. Every function `compile()` returns has it (optional for
   * functions written by hand).
   *
   * @throws {RangeError} When an array holds fewer entries than the batch's count.
   */
  readonly runBatch?: (batch: PacketBatch, results: Uint32Array) => void;
  /** The strategy that actually built this function. */
  readonly strategy?: CompileStrategy;
  /** Set when `"source"` or `"wasm"` was asked for but could not be used: why. */
  readonly fallbackReason?: string;
  /**
   * With the `"wasm"` strategy: the {@linkcode WasmFilter}, whose
   * `runBatch` filters packets already in its memory without copying them
   * (the function itself copies each packet in).
   */
  readonly wasm?: WasmFilter;
}

/**
 * Options of {@linkcode compile}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compile, type CompileOptions } from "./compile.ts";
 * const options: CompileOptions = {
 *   strategy: "source",
 *   maxInstructions: 64, // xt_bpf's limit
 *   onFallback: (reason) => console.warn(`Using closures: ${reason}`),
 * };
 * const acceptAll = compile([{ code: 0x06, jt: 0, jf: 0, k: 0xffffffff }], options);
 * assert.equal(acceptAll(new Uint8Array(1)), 4294967295);
 * assert.equal(acceptAll.strategy, "source");
 * ```
 */
export interface CompileOptions {
  /**
   * How to compile. `"closure"` never generates code (a dispatch loop over
   * the lowered program), so it runs where `eval`, `new Function` and
   * run-time Wasm are forbidden; `"source"` generates JavaScript with `new
   * Function`; `"wasm"` compiles a WebAssembly module (see
   * {@linkcode compileWasm}). Both fall back to closures, with the reason,
   * where the runtime refuses them. Absent: the strategy measured fastest
   * on this runtime among those it allows (probed once, cached).
   * @default {the fastest the runtime allows}
   */
  strategy?: CompileStrategy;
  /**
   * Largest accepted program (xt_bpf: 64).
   *
   * @default {4096}
   */
  maxInstructions?: number;
  /**
   * Accept libpcap's backward `ja` (from `protochain`), which Linux refuses;
   * see {@linkcode ValidateOptions.allowBackwardJumps}.
   *
   * @default {false}
   */
  allowBackwardJumps?: boolean;
  /** Called with the reason when `"source"` or `"wasm"` falls back to closures. */
  onFallback?: (reason: string) => void;
}

/**
 * Validates a program as the Linux kernel does ({@linkcode validate}), then
 * compiles it into a function that runs it on a packet with the kernel's
 * semantics — exactly what {@linkcode interpret} returns, much faster.
 *
 * The instructions are copied, so later changes to `program` do not affect
 * the compiled function. With `strategy: "source"`, a runtime that forbids
 * `new Function` (a content security policy, some edge runtimes) gets the
 * closure strategy instead: the returned function then has `strategy:
 * "closure"` and `fallbackReason`, and `onFallback` is called.
 *
 * @param program The instructions.
 * @param options Strategy and checker limits.
 * @returns The compiled program.
 * @throws {BpfValidationError} When the kernel would refuse the program.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compile } from "./compile.ts";
 * // ldh [12]; jeq #0x800, accept, reject
 * const isIpv4 = compile([
 *   { code: 0x28, jt: 0, jf: 0, k: 12 },
 *   { code: 0x15, jt: 0, jf: 1, k: 0x800 },
 *   { code: 0x06, jt: 0, jf: 0, k: 0xffffffff },
 *   { code: 0x06, jt: 0, jf: 0, k: 0 },
 * ]);
 * const frame = new Uint8Array(60);
 * frame[12] = 0x08;
 * assert.equal(isIpv4(frame) !== 0, true);
 * ```
 */
export function compile(program: Program, options: CompileOptions = {}): CompiledProgram {
  validate(program, {
    maxInstructions: options.maxInstructions,
    allowBackwardJumps: options.allowBackwardJumps,
  });
  // `k >>> 0`: validate() lets -0 through, and results must stay uint32.
  const copy = program.map(({ code, jt, jf, k }) => ({ code, jt, jf, k: k >>> 0 }));
  const strategy = options.strategy ?? _defaultStrategy(copy.length);
  switch (strategy) {
    case "closure":
      return Object.assign(compileClosure(copy), { strategy: "closure" as const });
    case "source":
      try {
        const run = compileSource(copy);
        return Object.assign(run, {
          strategy: "source" as const,
          runBatch: _sourceRunBatch(copy, run),
        });
      } catch (error) {
        return _fallback(copy, "source", `code generation failed (${_describe(error)})`, options);
      }
    case "wasm": {
      const refusal = _wasmRefusal();
      if (refusal !== undefined) {
        return _fallback(copy, "wasm", `run-time Wasm is refused (${refusal})`, options);
      }
      try {
        const filter = _compileValidatedWasm(copy);
        const run = _wasmProgramFunction(filter);
        return Object.assign(run, {
          strategy: "wasm" as const,
          wasm: filter,
          runBatch: _batchThroughContext(run),
        });
      } catch (error) {
        return _fallback(copy, "wasm", _describe(error), options);
      }
    }
  }
  throw new TypeError(`Cannot compile program: unknown strategy "${strategy}"`);
}

/**
 * The source strategy's batch path: the program's body in a generated loop
 * over the frames, generated on the first batch (most programs of a rule set
 * never run as a batch); a call per frame through a context if that fails.
 */
function _sourceRunBatch(
  program: Program,
  run: (packet: Uint8Array, context?: PacketContext) => number,
): _BatchRun {
  let batchRun: _BatchRun | undefined;
  return (batch, results) => {
    if (batchRun === undefined) {
      try {
        batchRun = _compileSourceBatch(program);
      } catch {
        batchRun = _batchThroughContext(run);
      }
    }
    batchRun(batch, results);
  };
}

function _describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function _fallback(
  program: Program,
  strategy: CompileStrategy,
  why: string,
  options: CompileOptions,
): CompiledProgram {
  const reason = `Cannot compile to ${strategy}: ${why}; using closures`;
  options.onFallback?.(reason);
  return Object.assign(compileClosure(program), {
    strategy: "closure" as const,
    fallbackReason: reason,
  });
}
