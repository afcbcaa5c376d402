/**
 * The program listings of `tcpdump -d`, `-dd` and `-ddd`.
 *
 * @module
 */
import { disassemble } from "../bpf/disassemble.ts";
import type { Instruction } from "../bpf/instruction.ts";

/**
 * `level` 1: the `tcpdump -d` listing; 2: `-dd`, a C array body
 * (`{ 0x28, 0, 0, 0x0000000c },`); 3 or more: `-ddd`, the count then
 * `code jt jf k` in decimal, one instruction per line.
 */
export function _formatProgram(program: readonly Instruction[], level: number): string {
  if (level <= 1) return disassemble(program);
  let out = "";
  if (level === 2) {
    for (const { code, jt, jf, k } of program) {
      out += `{ 0x${code.toString(16)}, ${jt}, ${jf}, 0x${
        (k >>> 0).toString(16).padStart(8, "0")
      } },\n`;
    }
    return out;
  }
  out = `${program.length}\n`;
  for (const { code, jt, jf, k } of program) out += `${code} ${jt} ${jf} ${k >>> 0}\n`;
  return out;
}
