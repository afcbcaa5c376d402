/**
 * Private: compiling a rule set as a sequence of small steps (one rule, then
 * one index node at a time), so that {@linkcode compileRuleSet} runs them
 * all at once and `compileRuleSetAsync` in time slices.
 *
 * @module
 */
import type { CompileRuleSetOptions } from "./compiled_rule_set.ts";
import type { Chain, Rule, RuleSet } from "./rule_set.ts";
import { RuleSetError } from "./rule_set_error.ts";
import { _findChainProblem } from "./_check_chains.ts";
import type { _Test } from "./_frame_state.ts";
import { _lazyRuleTest } from "./_lazy_rule_test.ts";
import {
  _BASE_LINK,
  _BASE_NETWORK,
  _newMatchSettings,
  type _PreparedMatch,
  _prepareMatch,
  _ruleError,
  type _Settings,
} from "./_match_tests.ts";
import { _FieldTable } from "./_fields.ts";
import { _defaultStrategy } from "../bpf/_strategy_choice.ts";
import {
  _compileWalk,
  type _EmittedWalk,
  _emitWalk,
  _MAX_CODES,
  type _SourceWalk,
} from "./_classifier_source.ts";
import { _BIG_CHAIN_ENTRIES, _KeyTableBuilder, type _KeyTableIndex } from "./_key_tables.ts";
import { _collectFromTables, _newTableMerge } from "./_key_table_walk.ts";
import { _entryClasses } from "./_frame_class.ts";
import { type _ProgramSummaries, _summariseRule } from "./_summarise_rule.ts";
import { _GuardPool, type _Guards, type _Summary } from "./_guards.ts";
import {
  _ENDS_IP,
  _ENDS_NOT_IP,
  _IndexBuilder,
  type _IndexEntry,
  type _IndexNode,
} from "./_rule_index.ts";
import type { _WasmClassifier } from "./_classifier_wasm.ts";
import { _RuleShapes } from "./_rule_shape.ts";
import { _wasmRefusal } from "../bpf/compile_wasm.ts";
import { _prefersWasm, _RUN_CASES_RULES } from "./_classifier_wasm_choice.ts";
import {
  type _Classifier,
  type _ClassifierParts,
  type _CompiledRule,
  _makeClassifier,
  _T_ACCEPT,
  _T_DROP,
  _T_GOTO,
  _T_JUMP,
  _T_NONE,
  _T_RETURN,
} from "./_classifier.ts";

/** Most distinct fields one rule set's summaries may use (more: guards dropped). */
export const _MAX_FIELDS = 65536;

function _entryChain(ruleSet: RuleSet, wanted: string | undefined): number {
  if (wanted !== undefined) {
    const index = ruleSet.chains.findIndex((c) => c.name === wanted);
    if (index < 0) {
      throw new RuleSetError(`Cannot compile rule set: chain "${wanted}" does not exist`, 0, 0, {
        chain: wanted,
      });
    }
    if (ruleSet.chains[index].policy === null) {
      throw new RuleSetError(
        `Cannot compile rule set: entry chain "${wanted}" is a user chain (it has no policy)`,
        0,
        0,
        { chain: wanted },
      );
    }
    return index;
  }
  const input = ruleSet.chains.findIndex((c) => c.name === "INPUT" && c.policy !== null);
  if (input >= 0) return input;
  const first = ruleSet.chains.findIndex((c) => c.policy !== null);
  if (first < 0) {
    throw new RuleSetError("Cannot compile rule set: it has no built-in chain", 0, 0);
  }
  return first;
}

/** A rule's test before `_lazyRuleTest` takes its place. */
const _untested: _Test = () => true;

/**
 * How a compile may make the Wasm classifier: its maker
 * (`_makeWasmClassifier` of ./_classifier_wasm.ts, given by the caller, so
 * that one that never needs it, a set evaluated rule by rule, can run without
 * loading its modules), and whether it may be chosen by measurement when no
 * strategy is asked for (`compileRuleSet`) or only when asked for.
 */
export interface _WasmMaking {
  make(parts: _ClassifierParts): _WasmClassifier | { reason: string };
  choose: boolean;
}

/**
 * A rule set compiled with all of its steps at once (`compileRuleSet`; `wasm`
 * as {@linkcode _RuleSetBuilder} takes it).
 */
export function _buildRuleSet(
  ruleSet: RuleSet,
  options?: CompileRuleSetOptions,
  wasm?: _WasmMaking,
): _Classifier {
  const builder = new _RuleSetBuilder(ruleSet, options, wasm);
  while (!builder.step()) { /* all steps at once */ }
  return builder.finish();
}

/**
 * The steps of one compile: construct (checks the chains and options), call
 * `step()` until it returns `true`, then `finish()`.
 */
export class _RuleSetBuilder {
  readonly #ruleSet: RuleSet;
  readonly #options: CompileRuleSetOptions | undefined;
  readonly #settings: _Settings;
  readonly #indexed: boolean;
  readonly #entry: number;
  readonly #chainIndex: Map<string, number>;
  readonly #table = new _FieldTable(_MAX_FIELDS);
  /** Program summaries by base and program key (a big set repeats most programs). */
  readonly #summaries: _ProgramSummaries = [new Map(), new Map()];
  /** The entries' guards, one copy of each (a big set repeats most of them). */
  readonly #guards = new _GuardPool();
  /** Rules' shapes (./_rule_shape.ts): what is made per shape is made once. */
  readonly #shapes = new _RuleShapes();
  /** Per shape, its summary's alternatives that can hold and its exact programs. */
  readonly #shaped: _ShapedRule[] = [];
  readonly #chains: _CompiledRule[][];
  readonly #entries: _IndexEntry[][];
  readonly #builders: (_IndexBuilder | _KeyTableBuilder)[] = [];
  /** How many of `#builders` are complete. */
  #built = 0;
  #chain = 0;
  #rule = 0;
  #counter = 0;
  #anyNetwork = false;
  #anyLink = false;
  /** Per chain, its generated walk or why not (after the indexes are built). */
  readonly #walks: _SourceWalk[] = [];
  /** The next chain's walk, emitted and waiting to be compiled in the next step. */
  #emitted: _EmittedWalk | undefined;
  /** Whether the index walks may be generated source: asked for, or the measured default. */
  #sourceWalk: boolean;
  /**
   * Strategy "wasm": `null` while the Wasm classifier is to be built, or why
   * not (then the default path); `undefined` when not asked for.
   */
  #wasm: string | null | undefined;
  /** Without a strategy: whether the Wasm classifier may be chosen by measurement. */
  readonly #mayChooseWasm: boolean;
  /** What makes the Wasm classifier, if this compile may make one. */
  readonly #makeWasm: _WasmMaking["make"] | undefined;

  /**
   * With `wasm.choose` and no strategy asked for, an indexed set that
   * `_prefersWasm` (./_classifier_wasm_choice.ts) becomes the Wasm
   * classifier where run-time Wasm is allowed (`compileRuleSet`; not the
   * sliced compile, whose module would be emitted in one step). Without
   * `wasm`, strategy "wasm" builds the indexes for it but `finish()` falls
   * back, with the reason.
   */
  constructor(ruleSet: RuleSet, options?: CompileRuleSetOptions, wasm?: _WasmMaking) {
    this.#ruleSet = ruleSet;
    this.#options = options;
    // No strategy: each program gets what `compile()` picks for this runtime.
    const asked = options?.strategy;
    if (
      asked !== undefined && asked !== "closure" && asked !== "source" &&
      asked !== "interpret" && asked !== "wasm"
    ) {
      throw new TypeError(`Cannot compile rule set: unknown strategy "${asked}"`);
    }
    // "wasm": the whole set in one module (./_classifier_wasm.ts); the
    // matches it calls back into JavaScript, and a fallback, use the default.
    const strategy = asked === "wasm" ? undefined : asked;
    this.#settings = _newMatchSettings(strategy, options?.maxInstructions ?? 64);
    const evaluation = options?.evaluation ??
      (strategy === "interpret" ? "rule-by-rule" : "indexed");
    if (evaluation !== "indexed" && evaluation !== "rule-by-rule") {
      throw new TypeError(`Cannot compile rule set: unknown evaluation "${evaluation}"`);
    }
    this.#indexed = evaluation === "indexed";
    this.#wasm = asked !== "wasm"
      ? undefined
      : !this.#indexed
      ? "rule-by-rule evaluation has no index to emit"
      : _wasmRefusal() !== undefined
      ? `run-time Wasm is refused (${_wasmRefusal()})`
      : null;
    this.#sourceWalk = this.#wasm !== null && (strategy === "source" ||
      (strategy === undefined && _defaultStrategy(0) === "source"));
    this.#makeWasm = wasm?.make;
    this.#mayChooseWasm = wasm?.choose === true && asked === undefined && this.#indexed;
    const problem = _findChainProblem(ruleSet);
    if (problem) throw _ruleError(problem.reason, problem.chain, problem.rule);
    this.#entry = _entryChain(ruleSet, options?.chain);
    this.#chainIndex = new Map(ruleSet.chains.map((c, i) => [c.name, i]));
    this.#chains = ruleSet.chains.map(() => []);
    this.#entries = ruleSet.chains.map(() => []);
  }

  /** Does one step of work; `true` when all are done. */
  step(): boolean {
    const chains = this.#ruleSet.chains;
    if (this.#chain < chains.length) {
      const chain = chains[this.#chain];
      if (this.#rule < chain.rules.length) {
        this.#compileRule(chain, this.#rule);
        this.#rule++;
      } else {
        this.#chain++;
        this.#rule = 0;
      }
      return false;
    }
    if (!this.#indexed) return true;
    if (this.#builders.length === 0) {
      this.#chooseWasm();
      this.#entries.forEach((entries, c) => {
        // A big chain gets key tables (its walk: `_collectFromTables`), when its codes fit the bit set.
        // (The Wasm classifier emits every chain's index tree.)
        const big = this.#wasm !== null && entries.length >= _BIG_CHAIN_ENTRIES &&
          2 * this.#chains[c].length <= _MAX_CODES;
        const fields = this.#table.fields;
        // A long chain's Wasm `run` walks its segments one per step, taking each one's codes.
        const steps = this.#wasm === null && this.#chains[c].length > _RUN_CASES_RULES;
        this.#builders.push(
          big
            ? new _KeyTableBuilder(entries, fields)
            : new _IndexBuilder(entries, fields, true, steps),
        );
      });
    }
    // Chains' indexes are built in order; the finished ones are not asked again.
    for (; this.#built < this.#builders.length; this.#built++) {
      if (!this.#builders[this.#built].step()) return false;
    }
    // Then each chain's walk as generated source: emitted in one step, compiled in the next.
    if (this.#emitted !== undefined) {
      this.#walks.push(_compileWalk(this.#emitted));
      this.#emitted = undefined;
      return false;
    }
    if (this.#walks.length < this.#builders.length) {
      const chain = this.#walks.length;
      const builder = this.#builders[chain];
      if (builder instanceof _KeyTableBuilder) {
        const index = builder.index;
        const merge = _newTableMerge(index);
        const rules = this.#chains[chain];
        this.#walks.push({
          collect: (state, into) => _collectFromTables(index, merge, rules, state, into),
          reason: `the chain has ${_BIG_CHAIN_ENTRIES} or more index entries: key tables`,
        });
        return false;
      }
      if (!this.#sourceWalk) {
        this.#walks.push({
          reason: this.#wasm === null
            ? "the Wasm classifier runs the chain"
            : this.#options?.strategy === undefined
            ? "code generation is refused in this runtime"
            : "the strategy is not generated source",
        });
        return false;
      }
      const emitted = _emitWalk(builder.root, this.#chains[chain], this.#table.fields);
      if ("reason" in emitted) this.#walks.push(emitted);
      else this.#emitted = emitted;
      return false;
    }
    return true;
  }

  /** Without a strategy, the Wasm classifier where measured faster and allowed (before the indexes). */
  #chooseWasm(): void {
    if (!this.#mayChooseWasm) return;
    let rules = 0, inexact = 0;
    for (const chain of this.#chains) rules += chain.length;
    for (const entries of this.#entries) for (const e of entries) if (!e.exact) inexact++;
    if (!_prefersWasm(rules, inexact)) return;
    // Where code generation or run-time Wasm is refused (a CSP, Cloudflare
    // Workers), the default stays (its walks and key tables), with the reason.
    const refusal = _wasmRefusal();
    if (refusal !== undefined) {
      this.#wasm = `run-time Wasm is refused (${refusal})`;
      return;
    }
    if (_defaultStrategy(0) !== "source") {
      this.#wasm = "code generation is refused in this runtime";
      return;
    }
    this.#wasm = null;
    this.#sourceWalk = false;
  }

  /** Per chain, its index root (after `step()` returned `true`; empty rule by rule). */
  get indexRoots(): _IndexNode[] {
    return this.#builders.map((b) => b.root);
  }

  /** Per chain, its generated walk or why it has none (after `step()` returned `true`). */
  get sourceWalks(): readonly _SourceWalk[] {
    return this.#walks;
  }

  /** Per chain, its compiled rules (their tests: the oracle of the index tests). */
  get chainRules(): readonly (readonly _CompiledRule[])[] {
    return this.#chains;
  }

  /** Per chain, its key-table index, or null (a tree alone), once `step()` returned `true`. */
  get keyTables(): (_KeyTableIndex | null)[] {
    return this.#builders.map((b) => b instanceof _KeyTableBuilder ? b.index : null);
  }

  /** The fields the summaries use. */
  get fields(): _FieldTable {
    return this.#table;
  }

  /** Per chain, its index entries (rule alternatives). */
  get indexEntries(): readonly _IndexEntry[][] {
    return this.#entries;
  }

  /** The compiled rule set (after `step()` returned `true`). */
  finish(): _Classifier {
    const options = this.#options;
    const parts: _ClassifierParts = {
      ruleSet: this.#ruleSet,
      entry: this.#entry,
      byIp: options?.byteCount === "ip",
      restoreCounters: options?.restoreCounters === true,
      strategy: this.#settings.strategy,
      maxInstructions: this.#settings.maxInstructions,
      chains: this.#chains,
      indexes: this.#indexed ? this.#builders.map((b) => b.root) : null,
      fields: this.#table.fields,
      anyNetwork: this.#anyNetwork,
      anyLink: this.#anyLink,
      ancillary: this.#settings.ancillary,
      frameDescription: this.#settings.frameDescription,
      walks: this.#walks,
    };
    let fallback = this.#wasm;
    if (fallback === null) {
      const wasm = this.#makeWasm?.(parts) ?? { reason: "the Wasm classifier is not loaded" };
      if (!("reason" in wasm)) return wasm;
      fallback = wasm.reason;
    }
    const classifier = _makeClassifier(parts);
    if (fallback !== undefined) classifier.wasmFallback = fallback;
    return classifier;
  }

  #compileRule(chain: Chain, r: number): void {
    const rule: Rule = chain.rules[r];
    if (rule.base !== "link" && rule.base !== "network") {
      throw _ruleError(`base "${rule.base}" is not "link" or "network"`, chain.name, r + 1);
    }
    const base = rule.base === "link" ? _BASE_LINK : _BASE_NETWORK;
    if (base === _BASE_LINK) this.#anyLink = true;
    else this.#anyNetwork = true;
    // (A loop, not `map` with a closure: this runs once per rule, mostly before V8 optimises it.)
    const matches = rule.matches;
    const prepared: _PreparedMatch[] = new Array(matches.length);
    for (let i = 0; i < matches.length; i++) {
      prepared[i] = _prepareMatch(matches[i], base, this.#settings, chain.name, r + 1);
    }
    let kind = _T_NONE;
    let to = -1;
    const target = rule.target;
    if (target === "ACCEPT" && !rule.goto) kind = _T_ACCEPT;
    else if (target === "DROP" && !rule.goto) kind = _T_DROP;
    else if (target === "RETURN" && !rule.goto) kind = _T_RETURN;
    else if (target !== null) {
      kind = rule.goto ? _T_GOTO : _T_JUMP;
      to = this.#chainIndex.get(target)!;
    }
    const numbered = this.#indexed ? this.#shapes.number(prepared, base) : undefined;
    // Every compiled rule has the same properties from the start (one hidden class).
    const compiled: _CompiledRule = {
      base,
      test: _untested,
      kind,
      to,
      counter: this.#counter++,
      matches: prepared,
      alternatives: [],
      exactPrograms: [],
      shape: numbered?.[0],
    };
    compiled.test = _lazyRuleTest(compiled, prepared);
    this.#chains[this.#chain].push(compiled);
    if (!this.#indexed) return;
    const shaped = numbered === undefined || numbered[1]
      ? this.#shapeRule(prepared, base)
      : this.#shaped[numbered[0]];
    if (numbered !== undefined && numbered[1]) this.#shaped.push(shaped);
    compiled.exactPrograms = shaped.exactPrograms;
    compiled.alternatives = shaped.guards;
    const endsWalk = kind === _T_ACCEPT || kind === _T_DROP || kind === _T_RETURN ||
      kind === _T_GOTO;
    // A network-base rule never matches a frame without an IP header.
    const ends = !endsWalk ? 0 : base === _BASE_NETWORK ? _ENDS_IP : _ENDS_IP | _ENDS_NOT_IP;
    const entries = this.#entries[this.#chain];
    for (let i = 0; i < shaped.guards.length; i++) {
      const guards = shaped.guards[i];
      entries.push({
        position: r,
        guards,
        exact: shaped.exact[i],
        classes: shaped.classes[i],
        ends,
      });
    }
  }

  /** What a rule of matches `prepared` at `base` is summarised to, for every rule of its shape. */
  #shapeRule(prepared: readonly _PreparedMatch[], base: number): _ShapedRule {
    const exactPrograms: _CompiledRule["exactPrograms"] = [];
    const summary = _summariseRule(prepared, base, this.#table, {
      exactPrograms,
      programSummaries: this.#summaries,
    });
    const fields = this.#table.fields;
    // Lists kept are made at their exact length (a list grown by `push` keeps
    // room for 17: at 10,000 rules, megabytes the collector copies).
    const guards: _Guards[] = [];
    const exact: boolean[] = [];
    const classes: number[] = [];
    for (let i = 0; i < summary.length; i++) {
      const alternative = summary[i];
      const entryClasses = _entryClasses(alternative.guards, base, fields);
      if (entryClasses === 0) continue;
      guards.push(this.#guards.share(alternative.guards));
      exact.push(alternative.exact);
      classes.push(entryClasses);
    }
    return {
      guards: guards.slice(),
      exact: exact.slice(),
      classes: classes.slice(),
      exactPrograms: exactPrograms.slice(),
    };
  }
}

/**
 * What the rules of one shape share: per alternative of their summary that
 * can hold, its guards (shared), whether it is exact and its frame classes;
 * their exact programs (`_CompiledRule.exactPrograms`). Immutable once made.
 */
interface _ShapedRule {
  guards: _Guards[];
  exact: boolean[];
  classes: number[];
  exactPrograms: _CompiledRule["exactPrograms"];
}
