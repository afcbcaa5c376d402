/**
 * Private: the `-i`/`-o` names of the Wasm classifier that its interface
 * numbers (`FR_IN`/`FR_OUT`) do not decide (`+` wildcards, names without a
 * number), at most {@linkcode _MAX_INTERFACE_PATTERNS}: per interface, one
 * word whose bit `p` says whether its names match pattern `p` (not
 * inverted), computed in JavaScript once per interface and tested in Wasm.
 *
 * @module
 */
import { _interfaceNamed } from "./_match_tests.ts";

/** Most patterns one word holds (more call back into JavaScript). */
export const _MAX_INTERFACE_PATTERNS = 32;

/** One pattern: a match's direction and name, as written (`eth+`). */
export interface _InterfacePattern {
  readonly direction: "in" | "out";
  readonly name: string;
}

/** The bits of the patterns a frame of interface names `inName`/`outName` matches. */
export function _interfacePatternBits(
  patterns: readonly _InterfacePattern[],
  inName: string | undefined,
  outName: string | undefined,
): number {
  let bits = 0;
  for (let p = 0; p < patterns.length; p++) {
    const { direction, name } = patterns[p];
    if (_interfaceNamed(direction === "in" ? inName : outName, name)) bits |= 1 << p;
  }
  return bits;
}
