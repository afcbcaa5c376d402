/**
 * Private: the unoptimised programs of `--expr` expressions, compiled once
 * and shared by `parseRuleSet` (which checks each expression) and
 * `compileRuleSet` (which summarises it), so that parsing then compiling a
 * rule set compiles each expression once.
 *
 * Programs are kept packed ({@linkcode _packProgram}: 8 bytes an instruction
 * instead of a ~70-byte object), so that a 10,000-rule set's programs stay
 * in the cache between its parse and its compile. Bound: at most
 * `_MAX_CACHED_INSTRUCTIONS` instructions (4 MiB) are kept, the oldest
 * expressions are forgotten first.
 *
 * @module
 */
import type { Instruction } from "../bpf/instruction.ts";
import { _compileUnoptimised } from "../filter/compile_filter.ts";
import { validate } from "../bpf/validate.ts";

/** Most instructions kept in the cache (8 bytes each: 4 MiB). */
export const _MAX_CACHED_INSTRUCTIONS = 524_288;

/**
 * A program packed in two words an instruction: `code | jt << 16 | jf << 24`,
 * then `k`. Immutable by convention; {@linkcode _unpackProgram} gives it back.
 */
export type _PackedProgram = Uint32Array;

/** `program` packed (see {@linkcode _PackedProgram}). */
export function _packProgram(program: readonly Instruction[]): _PackedProgram {
  const packed = new Uint32Array(2 * program.length);
  for (let i = 0; i < program.length; i++) {
    const { code, jt, jf, k } = program[i];
    packed[2 * i] = (code & 0xffff) | (jt & 0xff) << 16 | (jf & 0xff) << 24;
    packed[2 * i + 1] = k;
  }
  return packed;
}

/** The instructions of a packed program (fresh objects, the caller's to keep). */
export function _unpackProgram(packed: _PackedProgram): Instruction[] {
  const program: Instruction[] = new Array(packed.length >>> 1);
  for (let i = 0; i < program.length; i++) {
    const word = packed[2 * i];
    program[i] = {
      code: word & 0xffff,
      jt: (word >>> 16) & 0xff,
      jf: word >>> 24,
      k: packed[2 * i + 1],
    };
  }
  return program;
}

const _programs = new Map<string, _PackedProgram>();
let _instructions = 0;

/**
 * The last program {@linkcode _unoptimisedPacked} compiled, as compiled, and
 * its packed form: its check ({@linkcode _validateCached}, which the parse
 * asks for next) reads it without unpacking it again.
 */
let _lastCompiled: readonly Instruction[] | null = null;
let _lastPacked: _PackedProgram | null = null;

/**
 * The unoptimised program of `expression` for `linkType`, packed (same
 * meaning as the optimised one; several times faster to compile). Throws as
 * `compileFilter` does. Shared: callers must not modify it.
 */
export function _unoptimisedPacked(expression: string, linkType: number): _PackedProgram {
  const key = `${linkType} ${expression}`;
  const known = _programs.get(key);
  if (known !== undefined) return known;
  const program = _compileUnoptimised(expression, linkType);
  const packed = _packProgram(program);
  _lastCompiled = program;
  _lastPacked = packed;
  const length = packed.length >>> 1;
  if (length <= _MAX_CACHED_INSTRUCTIONS) {
    _programs.set(key, packed);
    _instructions += length;
    for (const [oldest, old] of _programs) {
      if (_instructions <= _MAX_CACHED_INSTRUCTIONS) break;
      _programs.delete(oldest);
      _instructions -= old.length >>> 1;
    }
  }
  return packed;
}

/** {@linkcode _unoptimisedPacked}, unpacked (the caller's own instructions). */
export function _unoptimisedProgram(expression: string, linkType: number): Instruction[] {
  return _unpackProgram(_unoptimisedPacked(expression, linkType));
}

/** Programs of the cache that passed the checker (with the 4096-instruction limit). */
const _validated = new WeakSet<_PackedProgram>();

/**
 * Checks a program of the cache ({@linkcode _unoptimisedPacked}) with
 * `validate` and at most 4096 instructions, once: parsing then compiling a
 * rule set checks each expression's program once. Throws as `validate` does.
 */
export function _validateCached(packed: _PackedProgram): void {
  if (_validated.has(packed)) return;
  const program = packed === _lastPacked ? _lastCompiled! : _unpackProgram(packed);
  _lastCompiled = _lastPacked = null;
  validate(program, { maxInstructions: 4096 });
  _validated.add(packed);
}
