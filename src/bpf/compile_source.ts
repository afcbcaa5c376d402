/**
 * The "source" compile strategy: JavaScript source generated from the
 * lowered program (`_lower.ts`, `_source_codegen.ts`), turned into a
 * function with `new Function`.
 *
 * @module
 */
import type { Program } from "./instruction.ts";
import type { PacketContext } from "./packet_context.ts";
import {
  _captureEnd,
  _dataStart,
  _EMPTY_CONTEXT,
  _loadEnd,
  _loadIndex,
  _macStart,
  _networkStart,
  _wireLength,
} from "./_packet_access.ts";
import { _ancillary } from "./_ancillary.ts";
import { _lower } from "./_lower.ts";
import { _generateBody } from "./_source_codegen.ts";

/** The helpers the generated code calls, passed in as one argument. */
const HELPERS = {
  captureEnd: _captureEnd,
  dataStart: _dataStart,
  wireLength: _wireLength,
  loadEnd: _loadEnd,
  networkStart: _networkStart,
  macStart: _macStart,
  loadIndex: _loadIndex,
  ancillary: _ancillary,
  EMPTY: _EMPTY_CONTEXT,
};

/**
 * Generates the JavaScript source of a validated program's function: only
 * numbers taken from the validated fields (`>>> 0`-normalised) are written
 * into it, never text from the caller.
 *
 * @param program A program {@linkcode validate} accepted.
 * @returns The body for `new Function("h", body)`, which returns the program.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateSource } from "./compile_source.ts";
 * assert.equal(generateSource([{ code: 0x06, jt: 0, jf: 0, k: 1 }]).includes("return 1;"), true);
 * ```
 */
export function generateSource(program: Program): string {
  const { body, uses } = _generateBody(_lower(program));
  const declarations = ["let A = 0, X = 0, i = 0, o = 0, v = 0;"];
  for (const cell of [...uses.memory].sort((a, b) => a - b)) declarations.push(`let M${cell} = 0;`);
  return [
    '"use strict";',
    // One formal parameter: V8 pads a call with fewer arguments than formals (about 3 ns).
    "return function bpfProgram(P) {",
    "let C = arguments.length > 1 ? arguments[1] : undefined;",
    // Without a context: data from 0, every byte present, on the wire and loadable.
    "let B = 0, W = P.length, LE = W, NET = 0, MAC = -1;",
    "if (C === undefined) C = h.EMPTY;",
    "else {",
    "const end = h.captureEnd(P, C);",
    "B = h.dataStart(C);",
    "W = h.wireLength(C, B, end);",
    "LE = h.loadEnd(B, end, W);",
    uses.negative || uses.context ? "NET = h.networkStart(C, B);" : "",
    uses.negative ? "MAC = h.macStart(C);" : "",
    "}",
    ...declarations,
    ...body,
    "};",
  ].filter((line) => line !== "").join("\n");
}

/**
 * Compiles a validated program to a JavaScript function with `new Function`.
 * Throws whatever the runtime throws where code generation is forbidden
 * (`EvalError` under a content security policy); {@linkcode compile} catches
 * that and falls back to closures.
 *
 * @param program A program {@linkcode validate} accepted.
 * @returns The program as a function of (packet, context).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileSource } from "./compile_source.ts";
 * const accept = compileSource([{ code: 0x06, jt: 0, jf: 0, k: 1 }]);
 * assert.equal(accept(new Uint8Array(0)), 1);
 * ```
 */
export function compileSource(
  program: Program,
): (packet: Uint8Array, context?: PacketContext) => number {
  const factory = new Function("h", generateSource(program)) as (
    helpers: typeof HELPERS,
  ) => (packet: Uint8Array, context?: PacketContext) => number;
  return factory(HELPERS);
}
