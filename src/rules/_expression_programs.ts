/**
 * Private: the unoptimised programs of `--expr` expressions, compiled once
 * and shared by `parseRuleSet` (which checks each expression) and
 * `compileRuleSet` (which summarises it), so that parsing then compiling a
 * rule set compiles each expression once.
 *
 * Bound: at most `_MAX_CACHED_INSTRUCTIONS` instructions are kept (oldest
 * expressions are forgotten first). Programs handed out are shared: callers
 * must not modify them.
 *
 * @module
 */
import type { Instruction } from "../bpf/instruction.ts";
import { compileFilter } from "../filter/compile_filter.ts";

/** Most instructions kept in the cache (about 10 MB). */
export const _MAX_CACHED_INSTRUCTIONS = 200_000;

const _programs = new Map<string, readonly Instruction[]>();
let _instructions = 0;

/**
 * The unoptimised program of `expression` for `linkType` (same meaning as
 * the optimised one; several times faster to compile). Throws as
 * `compileFilter` does.
 */
export function _unoptimisedProgram(expression: string, linkType: number): readonly Instruction[] {
  const key = `${linkType} ${expression}`;
  const known = _programs.get(key);
  if (known !== undefined) return known;
  const program = compileFilter(expression, { linkType, optimize: false });
  if (program.length <= _MAX_CACHED_INSTRUCTIONS) {
    _programs.set(key, program);
    _instructions += program.length;
    for (const [oldest, old] of _programs) {
      if (_instructions <= _MAX_CACHED_INSTRUCTIONS) break;
      _programs.delete(oldest);
      _instructions -= old.length;
    }
  }
  return program;
}
