/**
 * The iptables `u32` match (`bpfstream/u32`): parse `--u32` expressions with libxt_u32's
 * grammar, run them with the kernel's `xt_u32` semantics as closures, print
 * them as iptables-save does, and translate them to classic BPF for xt_bpf.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileU32, formatU32, parseU32, u32ToBpf } from "./mod.ts";
 * const tests = parseU32("6 & 0xFF = 1 && 4 & 0x3FFF = 0 && 0 >> 22 & 0x3C @ 0 >> 24 = 0");
 * const isEchoReply = compileU32(tests);
 * const program = u32ToBpf(tests);
 * assert.equal(formatU32(tests), "0x6&0xff=0x1&&0x4&0x3fff=0x0&&0x0>>0x16&0x3c@0x0>>0x18=0x0");
 * assert.equal(program.length, 22);
 * assert.equal(typeof isEchoReply, "function");
 * ```
 *
 * @module
 */
export type { U32Operation, U32Operator, U32Range, U32Test } from "./types.ts";
export { XT_U32_MAXSIZE } from "./types.ts";
export { type U32SyntaxCode, U32SyntaxError } from "./u32_syntax_error.ts";
export { parseU32 } from "./parse_u32.ts";
export { compileU32, type CompileU32Options, type U32Matcher } from "./compile_u32.ts";
export { u32ToBpf, type U32ToBpfOptions } from "./u32_to_bpf.ts";
export { formatU32 } from "./format_u32.ts";
