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

/**
 * A compiled program: returns what the program returns for one packet
 * (uint32; 0 rejects). It allocates nothing per call and may be called with
 * one reused context object.
 *
 * @example
 * ```ts
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
 * console.log(protocolOf(frame, context), protocolOf.strategy); // 17 closure
 * ```
 */
export interface CompiledProgram {
  (packet: Uint8Array, context?: PacketContext): number;
  /** The strategy that actually built this function. */
  readonly strategy?: "closure" | "source";
  /** Set when `"source"` was asked for but code generation failed: why. */
  readonly fallbackReason?: string;
}

/**
 * Options of {@linkcode compile}.
 *
 * @example
 * ```ts
 * import { compile, type CompileOptions } from "./compile.ts";
 * const options: CompileOptions = {
 *   strategy: "source",
 *   maxInstructions: 64, // xt_bpf's limit
 *   onFallback: (reason) => console.warn(`Using closures: ${reason}`),
 * };
 * const acceptAll = compile([{ code: 0x06, jt: 0, jf: 0, k: 0xffffffff }], options);
 * console.log(acceptAll(new Uint8Array(1))); // 4294967295
 * console.log(acceptAll.strategy); // source
 * ```
 */
export interface CompileOptions {
  /**
   * How to compile. `"closure"` builds closures and never generates code, so
   * it runs where `eval`/`new Function` are forbidden; `"source"` generates
   * JavaScript for the fastest path and falls back to closures where the
   * runtime forbids code generation.
   * @default {"closure"}
   */
  strategy?: "closure" | "source";
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
  /** Called with the reason when `"source"` falls back to closures. */
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
 * console.log(isIpv4(frame) !== 0); // true
 * ```
 */
export function compile(program: Program, options: CompileOptions = {}): CompiledProgram {
  validate(program, {
    maxInstructions: options.maxInstructions,
    allowBackwardJumps: options.allowBackwardJumps,
  });
  // `k >>> 0`: validate() lets -0 through, and results must stay uint32.
  const copy = program.map(({ code, jt, jf, k }) => ({ code, jt, jf, k: k >>> 0 }));
  const strategy = options.strategy ?? "closure";
  if (strategy === "source") {
    try {
      return Object.assign(compileSource(copy), { strategy: "source" as const });
    } catch (error) {
      const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      const reason = `Cannot compile to source: code generation failed (${detail}); using closures`;
      options.onFallback?.(reason);
      return Object.assign(compileClosure(copy), {
        strategy: "closure" as const,
        fallbackReason: reason,
      });
    }
  }
  if (strategy !== "closure") {
    throw new TypeError(`Cannot compile program: unknown strategy "${strategy}"`);
  }
  return Object.assign(compileClosure(copy), { strategy: "closure" as const });
}
