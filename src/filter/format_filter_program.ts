import type { Program } from "../bpf/instruction.ts";
import { disassemble } from "../bpf/disassemble.ts";

/**
 * The output styles of tcpdump's `-d`, `-dd` and `-ddd` options.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileFilter } from "./compile_filter.ts";
 * import { type FilterProgramStyle, formatFilterProgram } from "./format_filter_program.ts";
 * const program = compileFilter("ip", { linkType: 1 });
 * const styles: FilterProgramStyle[] = ["d", "dd", "ddd"];
 * assert.deepEqual(
 *   styles.map((style) => formatFilterProgram(program, style).split("\n")[0]),
 *   ["(000) ldh      [12]", "{ 0x28, 0, 0, 0x0000000c },", "4"],
 * );
 * ```
 */
export type FilterProgramStyle = "d" | "dd" | "ddd";

/**
 * Formats a program the way tcpdump prints a compiled filter: `"d"` is the
 * readable listing (`(000) ldh      [12]`), `"dd"` a C array fragment
 * (`{ 0x28, 0, 0, 0x0000000c },`), `"ddd"` decimal numbers (the count, then
 * `code jt jf k` per line). Each line ends with a newline, as tcpdump's do.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileFilter } from "./compile_filter.ts";
 * import { formatFilterProgram } from "./format_filter_program.ts";
 * const program = compileFilter("ip", { linkType: 1 });
 * assert.equal(
 *   formatFilterProgram(program, "ddd"),
 *   ["4", "40 0 0 12", "21 0 1 2048", "6 0 0 262144", "6 0 0 0", ""].join("\n"),
 * );
 * ```
 */
export function formatFilterProgram(program: Program, style: FilterProgramStyle = "d"): string {
  switch (style) {
    case "d":
      return disassemble(program);
    case "dd":
      return program.map(({ code, jt, jf, k }) =>
        `{ 0x${code.toString(16)}, ${jt}, ${jf}, 0x${(k >>> 0).toString(16).padStart(8, "0")} },\n`
      ).join("");
    case "ddd":
      return `${program.length}\n` +
        program.map(({ code, jt, jf, k }) => `${code} ${jt} ${jf} ${k >>> 0}\n`).join("");
  }
  throw new RangeError(`Cannot format program: unknown style '${style}'`);
}
