/**
 * Private: what a Wasm classifier (./_classifier_wasm.ts) is made of
 * besides the rule set it was compiled from — the compiled
 * `WebAssembly.Module` and the small description its JavaScript side reads
 * (the memory's layout, the rule table, the fields, what the module reads
 * that JavaScript stages, the matches it calls back for) — as one
 * structured-cloneable value. A worker given it makes the same classifier
 * (the same module, instantiated over a memory of its own) without parsing,
 * summarising, indexing, emitting or compiling the rule set again
 * (`filter --threads 2`); of the tests left to their first call it gets the
 * rules, and emits a test only when its instance first calls it.
 *
 * @module
 */
import type { Match } from "./rule_set.ts";
import type { _Field } from "./_fields.ts";
import type { _InterfacePattern } from "./_interface_patterns.ts";
import {
  _BASE_NETWORK,
  _newMatchSettings,
  type _PreparedMatch,
  _prepareMatch,
} from "./_match_tests.ts";
import type { _ClassifierParts } from "./_classifier.ts";
import { type _LazyTests, _lazyTestsOf } from "./_classifier_wasm_module.ts";
import type { _WasmRule } from "./_classifier_wasm_plan.ts";

/** The description a Wasm classifier's JavaScript side reads (see the module comment). */
export interface _WasmDescription {
  /** Rules per chain, in chain order (the memory's layout: `_wasmLayout`). */
  chainRules: number[];
  /** The chains' names, in chain order (errors name a rule by its chain). */
  chainNames: string[];
  /** Per rule, by its counter index: kind, target chain, 1 for the network base (three each). */
  ruleTable: Int32Array;
  /** The fields the summaries use (`jsField` loads them; staging reads the interface names). */
  fields: _Field[];
  /** Some rule is network-base / link-base (staging fills those windows). */
  anyNetwork: boolean;
  anyLink: boolean;
  /** Counters add the IP datagram's length (`byteCount: "ip"`). */
  byIp: boolean;
  /** Some field is loaded through `jsField`. */
  fieldCalls: boolean;
  /** Some test reads the upper-layer protocol. */
  readsUpper: boolean;
  /** Some field reads the interface numbers. */
  readsInterfaces: boolean;
  /** The `-i`/`-o` patterns whose bits the frame record holds. */
  interfacePatterns: _InterfacePattern[];
}

/** A match the module calls back into JavaScript for, and its rule's base. */
export interface _PortableEscape {
  match: Match;
  base: number;
}

/** A rule the module tests, with its matches as the rule set gives them (prepared again). */
export type _PortableRule = Omit<_WasmRule, "matches"> & { matches: Match[] };

/** A compiled Wasm classifier as one structured-cloneable value (see the module comment). */
export interface _PortableWasmClassifier extends _WasmDescription {
  module: WebAssembly.Module;
  /** Per test made on its first call (`_LazyTests`), the table slots it serves. */
  lazySlots: number[][];
  /**
   * Per test made on its first call, its rule (the worker emits the test
   * when it is first called, as the main thread would: most never are).
   */
  lazyRules: _PortableRule[];
  /** The matches `jsMatch(q, …)` runs, in the module's order. */
  escapes: _PortableEscape[];
  /** How the escaped matches' programs are compiled (as the rule set's own). */
  strategy: "closure" | "source" | "interpret" | undefined;
  maxInstructions: number;
}

/** The rule table of `parts` (see {@linkcode _WasmDescription.ruleTable}). */
export function _ruleTable(parts: _ClassifierParts): Int32Array {
  const rules = parts.chains.reduce((n, c) => n + c.length, 0);
  const table = new Int32Array(3 * rules);
  for (const chain of parts.chains) {
    for (const rule of chain) {
      const at = 3 * rule.counter;
      table[at] = rule.kind;
      table[at + 1] = rule.to;
      // _BASE_NETWORK is 0.
      table[at + 2] = rule.base === _BASE_NETWORK ? 1 : 0;
    }
  }
  return table;
}

/**
 * The matches `escapes` with their rules' bases, found in `parts` (each
 * escaped match is one of a rule's prepared matches).
 */
export function _portableEscapes(
  parts: _ClassifierParts,
  escapes: readonly _PreparedMatch[],
): _PortableEscape[] {
  if (escapes.length === 0) return [];
  // Where each escaped match is in the module's order (a test emitted twice escapes twice).
  const order = new Map<_PreparedMatch, number[]>();
  escapes.forEach((match, q) => {
    const places = order.get(match);
    if (places === undefined) order.set(match, [q]);
    else places.push(q);
  });
  const found: _PortableEscape[] = new Array(escapes.length);
  for (const chain of parts.chains) {
    for (const rule of chain) {
      for (const match of rule.matches) {
        const places = order.get(match);
        if (places === undefined) continue;
        for (const q of places) found[q] = { match: match.match, base: rule.base };
      }
    }
  }
  for (let q = 0; q < found.length; q++) {
    if (found[q] === undefined) {
      throw new Error(`Cannot describe the Wasm classifier: escaped match ${q} is in no rule`);
    }
  }
  return found;
}

/** `rule`'s data (no compiled tests or closures: it is posted), its matches unprepared. */
export function _portableRule(rule: _WasmRule): _PortableRule {
  const { base, kind, to, counter, alternatives, exactPrograms, shape } = rule;
  return {
    base,
    kind,
    to,
    counter,
    alternatives,
    exactPrograms,
    shape,
    matches: rule.matches.map((m) => m.match),
  };
}

/**
 * The lazy tests of `portable`, each emitted on its first call from its
 * rule, whose matches are prepared again then (as the escaped ones are).
 */
export function _portableLazyTests(portable: _PortableWasmClassifier, pages: number): _LazyTests {
  const settings = _newMatchSettings(portable.strategy, portable.maxInstructions);
  const rule = (k: number): _WasmRule => {
    const given = portable.lazyRules[k];
    const matches = given.matches.map((match) =>
      _prepareMatch(match, given.base, settings, "lazy", given.counter + 1)
    );
    return { ...given, matches };
  };
  return _lazyTestsOf(rule, portable.lazySlots, { ...portable, pages });
}

/**
 * The escaped matches of `portable`, prepared again (their tests are built
 * when first called, as the rule set's own): what `jsMatch` runs.
 */
export function _preparedEscapes(portable: _PortableWasmClassifier): _PreparedMatch[] {
  const settings = _newMatchSettings(portable.strategy, portable.maxInstructions);
  return portable.escapes.map((escape, q) =>
    _prepareMatch(escape.match, escape.base, settings, "escaped", q + 1)
  );
}
