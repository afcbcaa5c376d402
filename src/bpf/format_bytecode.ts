/**
 * Formatting of a classic BPF program in the iptables `--bytecode` form.
 *
 * @module
 */
import type { Program } from "./instruction.ts";

/**
 * Formats a program in the one-line iptables `--bytecode` form, exactly as
 * `iptables-save` prints the bytecode of a `-m bpf` rule (libxt_bpf's save
 * function): the instruction count and a comma, then `code jt jf k` per
 * instruction, all unsigned decimal, separated by commas, with no trailing
 * comma. {@linkcode parseBytecode} reads it back.
 *
 * Fields are written as they are held, reduced to their C widths (`code` to
 * 16 bits, `jt`/`jf` to 8 bits, `k` to 32 bits unsigned) as the C structure
 * would store them.
 *
 * @param program The instructions.
 * @returns The bytecode text, without quotes or a final line break.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatBytecode } from "./format_bytecode.ts";
 * const text = formatBytecode([
 *   { code: 0x30, jt: 0, jf: 0, k: 9 },
 *   { code: 0x15, jt: 0, jf: 1, k: 6 },
 *   { code: 0x06, jt: 0, jf: 0, k: 1 },
 *   { code: 0x06, jt: 0, jf: 0, k: 0 },
 * ]);
 * assert.equal(text, "4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0");
 * ```
 */
export function formatBytecode(program: Program): string {
  const parts: string[] = [String(program.length & 0xffff)];
  for (const { code, jt, jf, k } of program) {
    parts.push(`${code & 0xffff} ${jt & 0xff} ${jf & 0xff} ${k >>> 0}`);
  }
  return parts.join(",");
}
