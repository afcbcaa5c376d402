/**
 * `filter` with its rule set compiled before the input is read: rule files,
 * and `--bytecode`/`--expr` runs with `--stats`, `--json`, `--strategy`,
 * `--threads` or `--chain` (./filter_command.ts sends the others to
 * ./_filter_walk_only.ts). Loaded only for those: it brings the rules
 * engine, the classifier and the second thread.
 *
 * @module
 */
import { _expressionInterfaceCheck } from "./_expression_interface_check.ts";
import type { CompiledRuleSet, CompileRuleSetOptions } from "../rules/compiled_rule_set.ts";
import type { RuleSet } from "../rules/rule_set.ts";
import type { _Parsed } from "../args/_args.ts";
import type { CliIo } from "./cli_io.ts";
import { DataError } from "./data_error.ts";
import type { _BlockPool } from "./_sync_block_source.ts";
import type { _ProgramSource } from "./_program.ts";
import { _compileRules } from "./_compile_rules.ts";

// The walk-only path compiles its rule set, and `filter` reads --threads,
// through this module: one import of the rules engine, as this path's
// (fewer chunks in the bundle).
export { _compileRules, _threadsOption };
import { _programWalk, _WasmWalk } from "./_wasm_walk.ts";
import { _oneProgramRule } from "./_one_program_rule.ts";
import { _startSplit, _ThreadedRouter, type _Threads, _threadsOption } from "./_threaded_router.ts";
import type { _WorkerSplit } from "./_worker_split.ts";
import type { Instruction } from "../bpf/instruction.ts";
import { _routeInput } from "./_route_input.ts";

/**
 * How `filter` evaluates a set (`CompileRuleSetOptions.evaluation`) whose
 * rules are one rule (`oneRule`: a rule file of one rule, or the program of
 * `--bytecode`/`--expr`, or an entry chain without rules), given the
 * `strategy` asked for; `programBase` is the base of the one program the set
 * runs, if it is one (`--bytecode`, `--expr`, a rule file of one program
 * rule, or the policy's program: ./_one_program_rule.ts):
 *
 * - rule by rule for one program without a strategy: the Wasm record walk
 *   runs it, over the one-program batch that only the rule-by-rule set has
 *   (./_wasm_walk.ts);
 * - rule by rule for one rule with a JavaScript strategy: an index has
 *   nothing to rule out, and a program rule runs each block as one batch
 *   (bench/RESULTS.md, issue 12, sessions 3 and 5);
 * - otherwise indexed: without a strategy a set of up to 100 rules is the
 *   Wasm classifier, which reads, classifies and routes a block's records
 *   in its memory. For one rule from a file this took 0.12–0.14 s of a
 *   1M-frame run against 0.14–0.17 s rule by rule (which decodes and routes
 *   in JavaScript), less than the 0-rule run's 0.14 s (bench/RESULTS.md,
 *   "Fixed cost of small rule sets, session 10").
 *   (`_filter` compiles one rule again rule by rule where its Wasm test
 *   would call back into JavaScript.)
 */
function _evaluation(
  oneRule: boolean,
  programBase: "link" | "network" | undefined,
  strategy: string | undefined,
): "rule-by-rule" | undefined {
  if (!oneRule || strategy === "wasm") return undefined;
  if (strategy !== undefined) return "rule-by-rule";
  return programBase !== undefined ? "rule-by-rule" : undefined;
}

/** Whether `rules` is the Wasm classifier with some test that calls back into JavaScript. */
function _callsBack(rules: CompiledRuleSet): boolean {
  return ((rules as { wasmEscapes?: readonly string[] }).wasmEscapes?.length ?? 0) > 0;
}

/** How many rules the set has, in all its chains. */
function _ruleCount(ruleSet: RuleSet): number {
  return ruleSet.chains.reduce((count, chain) => count + chain.rules.length, 0);
}

/**
 * The Wasm record walk of a single program (either base), with the default
 * strategy, one thread and an input read in blocks
 * (docs/engine_strategies.md, "One Wasm call per block"), or why not.
 */
function _walkFor(
  rules: CompiledRuleSet,
  source: _ProgramSource | undefined,
  base: "link" | "network" | undefined,
  strategy: string | undefined,
  split: _WorkerSplit | undefined,
  io: CliIo,
): _WasmWalk | { reason: string } {
  if (source === undefined || base === undefined) return { reason: "not a single program" };
  if (strategy !== undefined) return { reason: "a strategy is given" };
  if (split !== undefined) return { reason: "two threads" };
  if (io.openBlocks === undefined) return { reason: "the input is not read in blocks" };
  return _programWalk(rules, source, base);
}

/** The rule set to run, where it came from, and the fixed program of `--bytecode`/`--expr`. */
export interface _LoadedRules {
  ruleSet: RuleSet;
  name: string;
  max: number;
  /** The rule file's text (`--rules`). */
  text?: string;
  /** The single program of `--bytecode` (or network-base `--expr`), for the link-layer hint. */
  program?: Instruction[];
  base?: "link" | "network";
  /** The program of `--bytecode`/`--expr` for each capture interface. */
  source?: _ProgramSource;
}

/** What `filter` parsed, for {@linkcode _filterWithRules}. */
export interface _RulesRun {
  /** The input: a file name, or `-`. */
  path: string;
  dropTo: string | undefined;
  /** `--strategy`, if given. */
  strategy: string | undefined;
  /** `--threads` (default `auto`). */
  threads: _Threads;
  /** `--chain`, if given. */
  chain: string | undefined;
  /** Whether the rules come from `--rules`. */
  rulesFile: boolean;
}

/** `filter` with the rule set `loaded` compiled first (see the module documentation). */
export async function _filterWithRules(
  parsed: _Parsed,
  io: CliIo,
  loaded: _LoadedRules,
  run: _RulesRun,
): Promise<number> {
  const { ruleSet, name, max, program, text } = loaded;
  const { rulesFile, strategy, threads, chain } = run;
  // A rule file of one program rule (or none in the entry chain: its
  // policy) runs as its program would (the Wasm record walk), on one
  // thread without a strategy.
  const programRule = rulesFile && strategy === undefined && threads !== "2"
    ? _oneProgramRule(ruleSet, chain)
    : undefined;
  const base = loaded.base ?? programRule?.base;
  const source = loaded.source ?? programRule?.source;
  const compileOptions: CompileRuleSetOptions = {
    chain,
    // Without --strategy, compileRuleSet picks the Wasm classifier for the
    // sets measured faster with it (up to 100 rules, or 16 or more inexact
    // index entries: src/rules/_classifier_wasm_choice.ts).
    strategy: strategy as CompileRuleSetOptions["strategy"],
    maxInstructions: max,
    evaluation: _evaluation(
      !rulesFile || _ruleCount(ruleSet) === 1 || programRule !== undefined,
      source && base,
      strategy,
    ),
  };
  // A second thread starts first (its runtime starts while this one compiles; it is
  // given the compiled classifier, or compiles a set that has no Wasm classifier).
  const waitForWorker = io.env("BPFSTREAM_WAIT_FOR_WORKER") === "1";
  const split = _startSplit(ruleSet, compileOptions, threads, {
    // Tests only: the worker takes part from the first block of a tiny input.
    waitForWorker,
    text: text === undefined ? undefined : { text, maxInstructions: max },
  });
  try {
    let rules: CompiledRuleSet;
    try {
      rules = await _compileRules(ruleSet, compileOptions);
      // One rule whose Wasm test would call back into JavaScript (`wasmEscapes`:
      // a program reading ancillary fields, a link-base --expr off Ethernet, ...)
      // runs rule by rule instead, faster (bench/RESULTS.md, "Fixed cost of
      // small rule sets, session 10"). Not with a second thread: it was told
      // the options already.
      if (
        split === undefined && strategy === undefined &&
        compileOptions.evaluation === undefined &&
        _ruleCount(ruleSet) === 1 && _callsBack(rules)
      ) {
        rules = await _compileRules(ruleSet, { ...compileOptions, evaluation: "rule-by-rule" });
      }
    } catch (error) {
      throw DataError.from(name, error);
    }
    // The second thread, if any, gets the compiled classifier at once.
    split?.attach(rules);
    // Blocks are read into the Wasm classifier's memory: classified there
    // with no copy (docs/classifier_wasm.md, "Batches"); with a second
    // thread, a block is kept until the worker classified it.
    // One program (either base, or a rule file's one program rule or no
    // rules), the default strategy, one thread, an input read in blocks:
    // each pcap block is read into a Wasm memory and walked in one call
    // (docs/engine_strategies.md, "One Wasm call per block").
    const walk = _walkFor(rules, source, base, strategy, split, io);
    const wasmBlocks = walk instanceof _WasmWalk
      ? walk
      : (rules as { _blocks?: _BlockPool })._blocks;
    return await _routeInput(parsed, io, {
      path: run.path,
      dropTo: run.dropTo,
      ruleSet,
      program,
      base,
      pool: split?.poolOver(wasmBlocks) ?? wasmBlocks,
      routing() {
        // Not for a rule file's one program rule: there a rule that cannot be
        // made for an interface does not match on it.
        const refuseInterface = _expressionInterfaceCheck(loaded.source, loaded.base);
        const router = new _ThreadedRouter(rules, split, waitForWorker, { refuseInterface });
        return { router, counters: () => router.counters(), close: () => router.close() };
      },
      walk,
      wasmClassifier: () => (rules as { _records?: unknown })._records !== undefined,
    });
  } finally {
    split?.close();
  }
}
