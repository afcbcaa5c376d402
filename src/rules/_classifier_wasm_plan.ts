/**
 * Private: what the Wasm classifier module (./_classifier_wasm_module.ts)
 * is emitted from (the plan: chains, rules, index roots, fields, layout),
 * and what its emission finds out for the JavaScript that runs it: the
 * frame record values it reads, the matches that call back into JavaScript.
 *
 * @module
 */
import type { _IndexNode } from "./_rule_index.ts";
import type { _Field } from "./_fields.ts";
import type { _PreparedMatch } from "./_match_tests.ts";
import type { _Guard } from "./_guards.ts";
import type { _WasmLayout } from "./_classifier_wasm_layout.ts";

/** One rule as the module reads it (./_classifier.ts `_CompiledRule`). */
export interface _WasmRule {
  base: number;
  kind: number;
  to: number;
  counter: number;
  matches: readonly _PreparedMatch[];
  /** The guards of each alternative of its summary that can hold (its index entries). */
  alternatives: readonly (readonly _Guard[])[];
  /**
   * Per match (may be shorter than `matches`): the guards of each alternative
   * of a program match's exact summary, else `null` (`_CompiledRule`).
   */
  exactPrograms?: readonly (readonly (readonly _Guard[])[] | null)[];
  /** Its shape, when numbered: rules of one shape have the same test (with the same facts). */
  shape?: number;
}

/** What the module is emitted from. */
export interface _WasmPlan {
  chains: readonly (readonly _WasmRule[])[];
  roots: readonly _IndexNode[];
  fields: readonly _Field[];
  entry: number;
  entryAccepts: boolean;
  layout: _WasmLayout;
  /** Counters add the IP datagram's length for IP frames (`byteCount: "ip"`). */
  byIp: boolean;
  /** Some rule is link-base (`_ClassifierParts.anyLink`): staging fills the link window. */
  anyLink: boolean;
}

/** What the module reads that JavaScript fills per frame. */
export interface _ModuleFlags {
  fieldCalls: boolean;
  readsUpper: boolean;
  readsInterfaces: boolean;
  /** The `-i`/`-o` patterns tested by bits of `FR_PATTERNS`, by `direction name`. */
  patterns: Map<string, number>;
}

/** What every rule test of a module is emitted with. */
export interface _TestEmission {
  fields: readonly _Field[];
  escapes: _Escapes;
  module: _ModuleFlags;
  programs: Map<string, Uint8Array | string>;
}

/** The matches that call back into JavaScript, numbered. */
export class _Escapes {
  readonly matches: _PreparedMatch[] = [];
  readonly reasons: string[] = [];
  add(match: _PreparedMatch, reason: string): number {
    this.matches.push(match);
    this.reasons.push(reason);
    return this.matches.length - 1;
  }
}
