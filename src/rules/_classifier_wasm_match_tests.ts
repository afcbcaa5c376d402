/**
 * Private: the Wasm forms of ./_match_tests.ts's `-s`/`-d` and `-i`/`-o`
 * tests in the Wasm classifier module's rule tests
 * (./_classifier_wasm_rule_tests.ts): address prefixes compared word by
 * word, interfaces by their number or pattern bit in the frame record.
 *
 * @module
 */
import { _OP } from "../bpf/_wasm_encoder.ts";
import { _MAX_INTERFACE_PATTERNS } from "./_interface_patterns.ts";
import { _F_INTERFACE, type _Field } from "./_fields.ts";
import { type _Network, _parseNetwork } from "./_ip.ts";
import { _addressOffset } from "./_match_tests.ts";
import type { _ModuleFlags } from "./_classifier_wasm_plan.ts";
import { type _Body, _read } from "./_classifier_wasm_body.ts";
import {
  FR_IN,
  FR_IP_VERSION,
  FR_NET_CAPTURED,
  FR_NET_START,
  FR_OUT,
  FR_PATTERNS,
} from "./_classifier_wasm_layout.ts";

/**
 * The interface field's numbered names of each field list, found once per
 * list and length (not per rule: a scan of thousands of fields each time).
 */
const _namesOfFields = new WeakMap<
  readonly _Field[],
  { length: number; names: ReadonlyMap<string, number> | null }
>();

/** The numbers of the names `-i`/`-o` rules give, when `fields` has the interface field. */
export function _interfaceNames(fields: readonly _Field[]): ReadonlyMap<string, number> | null {
  let known = _namesOfFields.get(fields);
  if (known === undefined || known.length !== fields.length) {
    const names = fields.find((f) => f.kind === _F_INTERFACE)?.names ?? null;
    _namesOfFields.set(fields, known = { length: fields.length, names });
  }
  return known.names;
}

/**
 * `-i`/`-o` with a whole name (inverted or not) as `_interfaceTest`: the
 * frame's interface number (`FR_IN`/`FR_OUT`, the number of its name among
 * the names rules give, -1 for any other) against the name's; `false`
 * (nothing emitted: the match calls back into JavaScript) for a `+` prefix
 * or a name without a number.
 */
export function _emitInterfaceTest(
  b: _Body,
  match: { direction: "in" | "out"; invert: boolean; name: string },
  fields: readonly _Field[],
  module: _ModuleFlags,
): boolean {
  if (match.name.endsWith("+")) return false;
  const number = _interfaceNames(fields)?.get(match.name);
  if (number === undefined) return false;
  module.readsInterfaces = true;
  b.word(match.direction === "in" ? FR_IN : FR_OUT);
  // Fails when (number equal) === invert.
  b.c.i32(number).op(match.invert ? _OP.i32Eq : _OP.i32Ne);
  b.failIf();
  return true;
}

/**
 * `-i`/`-o` that {@linkcode _emitInterfaceTest} does not emit (a `+`
 * prefix, a name without a number) as a bit test of `FR_PATTERNS`, the
 * pattern's bit computed in JavaScript once per interface; `false` past
 * {@linkcode _MAX_INTERFACE_PATTERNS} patterns (the match calls back).
 */
export function _emitInterfacePattern(
  b: _Body,
  match: { direction: "in" | "out"; invert: boolean; name: string },
  module: _ModuleFlags,
): boolean {
  const key = `${match.direction} ${match.name}`;
  let bit = module.patterns.get(key);
  if (bit === undefined) {
    if (module.patterns.size >= _MAX_INTERFACE_PATTERNS) return false;
    module.patterns.set(key, bit = module.patterns.size);
  }
  b.word(FR_PATTERNS);
  b.c.i32(1 << bit).op(_OP.i32And);
  // Fails when (bit set) === invert.
  if (!match.invert) b.c.op(_OP.i32Eqz);
  b.failIf();
  return true;
}

/** `-s`/`-d` as `_addressTest`: the prefix of that version's address, compared word by word. */
export function _emitAddressTest(
  b: _Body,
  match: {
    address: string;
    prefixLength: number;
    direction: "source" | "destination";
    invert: boolean;
  },
  parsed: _Network | undefined,
  temp: number,
): void {
  const c = b.c;
  const network = parsed ?? _parseNetwork(`${match.address}/${match.prefixLength}`);
  if (typeof network === "string") throw new Error(network); // refused when the rule was prepared
  const version = network.version;
  b.word(FR_IP_VERSION);
  c.i32(version).op(_OP.i32Ne);
  b.failIf();
  b.word(FR_NET_CAPTURED);
  c.i32(version === 4 ? 20 : 40).op(_OP.i32LtS);
  b.failIf();
  const offset = _addressOffset(version, match.direction);
  const want = network.bytes;
  c.i32(1); // equal so far
  for (let i = 0; 32 * i < network.prefixLength; i++) {
    const keep = Math.min(32, network.prefixLength - 32 * i);
    const mask = keep === 32 ? 0xffffffff : ~(0xffffffff >>> keep) >>> 0;
    const word = ((want[4 * i] << 24) | (want[4 * i + 1] << 16) | (want[4 * i + 2] << 8) |
      want[4 * i + 3]) >>> 0;
    b.word(FR_NET_START);
    _read(c, 4, offset + 4 * i, temp);
    c.i32(mask | 0).op(_OP.i32And).i32((word & mask) | 0).op(_OP.i32Eq).op(_OP.i32And);
  }
  // Fails when equal === invert.
  if (!match.invert) c.op(_OP.i32Eqz);
  b.failIf();
}
