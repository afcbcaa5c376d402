/**
 * `bpfstream filter`: the main job, capture in → accepted capture out.
 *
 * @module
 */
import type { CompiledRuleSet, CompileRuleSetOptions } from "../rules/compiled_rule_set.ts";
import { _compileRules } from "./_compile_rules.ts";
import type { RuleSet } from "../rules/rule_set.ts";
import type { Instruction } from "../bpf/instruction.ts";
import { LINKTYPE_RAW } from "../capture/link_types.ts";
import type { CliCommand } from "./cli_command.ts";
import type { CliIo } from "./cli_io.ts";
import { DataError } from "./data_error.ts";
import { UsageError } from "../args/usage_error.ts";
import { _openBlocks } from "./_input.ts";
import type { _BlockPool } from "./_sync_block_source.ts";
import { _loadProgram, type _ProgramSource, _runnable } from "./_program.ts";
import { _programWalk, _WasmWalk } from "./_wasm_walk.ts";
import { _oneProgramRule } from "./_one_program_rule.ts";
import { _linkLayerHint } from "./_link_layer_hint.ts";
import { _writeText } from "./_output.ts";
import { _OutputError, _pipeRouter } from "./_pipe_router.ts";
import type { _RecordRouter } from "../stream/_record_router.ts";
import { _startSplit, _ThreadedRouter, _threadsOption } from "./_threaded_router.ts";
import type { _WorkerSplit } from "./_worker_split.ts";
import type { RouterStats } from "../stream/router_stats.ts";
import {
  _base,
  _flag,
  _inputPath,
  _integer,
  type _Parsed,
  _parseOptions,
  _strategy,
  _string,
} from "../args/_args.ts";
import { _isBrokenPipe } from "./_broken_pipe.ts";

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

const _USAGE = `Usage: bpfstream filter (--rules FILE | --bytecode PROG | --expr EXPR)
                        [--base link|network] [--drop-to FILE] [--stats] [--json]
                        [--chain NAME] [--max-instructions N]
                        [--threads 1|2|auto] [FILE|-]

Reads a pcap or pcapng capture from FILE or standard input, runs every frame
through the rules (first match wins, else the chain's policy, as iptables) and
writes the accepted frames to standard output as a capture of the same format
(pcap header, pcapng sections and interfaces kept byte for byte).

  --rules FILE            a rule file in iptables-save format ('-m bpf
                          --bytecode', '-m bpf --expr', '-m u32 --u32',
                          '-m comment', -p/-s/-d/-i/-o, user chains)
  --bytecode PROG         without a rule file: keep the packets the program
                          matches (the rule set '-A INPUT -m bpf --bytecode PROG
                          -j ACCEPT' with policy DROP)
  --expr EXPR             the same with a tcpdump filter expression
  --base link|network     where offset 0 is for --bytecode/--expr: the IP header
                          (network, the default, as iptables xt_bpf; frames
                          without IPv4/IPv6 never match) or the link-layer
                          header (link: what tcpdump -ddd programs expect)
  --drop-to FILE          also write the dropped frames, as a capture, to FILE
  --stats                 print per-rule counters to stderr at the end, like
                          'iptables -L -v -x -n'
  --json                  print the counters to stderr as JSON (with --stats:
                          the table, then the JSON)
  --chain NAME            the built-in chain frames enter (default INPUT, else
                          the first built-in chain)
  --max-instructions N    largest --bytecode program, 1..4096 (default 64 in
                          rule files as xt_bpf, 4096 for --bytecode)
  --strategy S            closure, source, interpret, or wasm (the whole rule
                          set as one WebAssembly module; falls back to the
                          default where Wasm is refused). Default: the
                          measured default, the fastest this runtime allows
                          (what compile() picks: source on V8, closures where
                          code generation is refused; wasm for sets of up to
                          100 rules, and larger ones whose index leaves 16+
                          rule tests to run; one --bytecode/--expr program
                          (either base), a rule file of one program rule or
                          of no rules: each pcap block walked in one Wasm
                          call)
  --threads 1|2|auto      classify on one thread, or each block on a worker
                          while this thread reads, decodes and writes (2;
                          blocks go to the worker while that is measured
                          faster); auto (the default) runs one thread,
                          measured faster so far.
                          Output and counters are the same

A progress line (packets, bytes, rate) is shown on stderr when it is a
terminal and the input takes more than a second.`;

const _PROGRESS_EVERY_MS = 1000;

/** The rule set to run, where it came from, and the fixed program of `--bytecode`/`--expr`. */
interface _LoadedRules {
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

async function _loadRuleSet(parsed: _Parsed, io: CliIo): Promise<_LoadedRules> {
  const rulesPath = _string(parsed, "rules");
  const bytecode = _string(parsed, "bytecode");
  const expression = _string(parsed, "expr");
  const given = [rulesPath, bytecode, expression].filter((v) => v !== undefined).length;
  if (given !== 1) {
    throw new UsageError(
      given === 0
        ? "Cannot run filter: one of --rules, --bytecode, --expr is required"
        : "Cannot run filter: give only one of --rules, --bytecode, --expr",
      "filter",
    );
  }
  if (rulesPath !== undefined) {
    if (_string(parsed, "base") !== undefined) {
      throw new UsageError(
        "Cannot run filter: --base applies to --bytecode and --expr; in a rule file give it per rule",
        "filter",
      );
    }
    const max = _integer(parsed, "max-instructions", "filter", 1, 4096, 64);
    // Loaded only here: --expr/--bytecode runs start without the rule-file parser.
    const { _readRuleFile } = await import("./_rule_file.ts");
    const { ruleSet, name, text } = await _readRuleFile(io, rulesPath, max);
    return { ruleSet, name, max, text };
  }
  const max = _integer(parsed, "max-instructions", "filter", 1, 4096, 4096);
  const base = _base(parsed, "filter");
  // The program is compiled and checked here, so that its errors name
  // --bytecode/--expr alone, not the one-rule set built around it.
  const source = await _loadProgram(parsed, "filter", io, base, ["bytecode", "expr"]);
  let program: Instruction[] | undefined;
  if (source.fixed || base === "network") {
    program = source.forLinkType(LINKTYPE_RAW);
    _runnable(source.name, program, "interpret", max);
  }
  const match = bytecode !== undefined
    ? { kind: "bpf" as const, invert: false, program: program! }
    : { kind: "bpf" as const, invert: false, expression: expression! };
  const ruleSet: RuleSet = {
    table: "filter",
    chains: [{
      name: "INPUT",
      policy: "DROP",
      rules: [{ base, matches: [match], target: "ACCEPT" }],
    }],
  };
  return { ruleSet, name: source.name, max, program, base, source };
}

function _megabytes(bytes: number): string {
  return (bytes / 1048576).toFixed(1);
}

/**
 * The progress line: after each routed input block, at most once a second,
 * the router's packet and byte counts on stderr.
 */
function _progress(io: CliIo, router: _RecordRouter) {
  const now = io.now ?? (() => performance.now());
  const started = now();
  let next = started + _PROGRESS_EVERY_MS;
  const state = {
    shown: false,
    async afterBlock(): Promise<void> {
      const t = now();
      if (t < next) return;
      next = t + _PROGRESS_EVERY_MS;
      const seconds = (t - started) / 1000;
      const { input, bytesRead } = router.snapshot(0, 0);
      state.shown = true;
      await _writeText(
        io.stderr,
        `\rbpfstream: ${input.packets} packets, ${_megabytes(bytesRead)} MiB, ${
          Math.round(input.packets / seconds)
        } packets/s, ${_megabytes(bytesRead / seconds)} MiB/s\x1b[K`,
      );
    },
  };
  return state;
}

/**
 * The `filter` subcommand.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { filterCommand } from "./filter_command.ts";
 * import { _testIo } from "./_test_io.ts";
 * // A pcap file header, then one 2-byte Ethernet record.
 * const pcap = new Uint8Array([
 *   0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
 *   1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 60, 0, 0, 0, 0xaa, 0xbb,
 * ]);
 * const files = { "edge.rules": "*filter\n:INPUT DROP [0:0]\nCOMMIT\n", "in.pcap": pcap };
 * const { io, stdout, stderr } = _testIo({ files });
 * assert.equal(await filterCommand.run(["--rules", "edge.rules", "--stats", "in.pcap"], io), 0);
 * assert.equal(stdout().length, 24); // only the file header: the packet was dropped
 * assert.match(stderr(), /1 packets \(60 bytes\): 0 accepted \(0 bytes\), 1 dropped \(60 bytes\)/);
 * ```
 */
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

export const filterCommand: CliCommand = {
  name: "filter",
  summary: "filter a capture through rules: accepted frames to stdout",
  usage: _USAGE,
  async run(args, io) {
    const parsed = _parseOptions("filter", args, {
      rules: { type: "string" },
      bytecode: { type: "string" },
      expr: { type: "string" },
      base: { type: "string" },
      "drop-to": { type: "string" },
      stats: { type: "boolean" },
      json: { type: "boolean" },
      chain: { type: "string" },
      "max-instructions": { type: "string" },
      strategy: { type: "string" },
      threads: { type: "string" },
    });
    const path = _inputPath(parsed, "filter");
    const strategy = _strategy(parsed, "filter", true);
    const threads = _threadsOption(_string(parsed, "threads"));
    const dropTo = _string(parsed, "drop-to");
    if (dropTo === "-" || dropTo === "") {
      throw new UsageError(
        "Cannot run filter: --drop-to needs a file name (stdout carries the accepted frames)",
        "filter",
      );
    }
    const loaded = await _loadRuleSet(parsed, io);
    const { ruleSet, name, max, program, text } = loaded;
    const rulesFile = _string(parsed, "rules") !== undefined;
    const chain = _string(parsed, "chain");
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
      strategy,
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
      return await _filter(parsed, io, {
        path,
        dropTo,
        ruleSet,
        name,
        program,
        base,
        compileOptions,
        split,
        waitForWorker,
        source,
        strategy,
      });
    } finally {
      split?.close();
    }
  },
};

/** What `filter` parsed, for {@linkcode _filter}. */
interface _FilterRun {
  path: string;
  dropTo: string | undefined;
  ruleSet: RuleSet;
  name: string;
  program: Awaited<ReturnType<typeof _loadRuleSet>>["program"];
  base: Awaited<ReturnType<typeof _loadRuleSet>>["base"];
  compileOptions: CompileRuleSetOptions;
  split: _WorkerSplit | undefined;
  waitForWorker: boolean;
  /** The program of `--bytecode`/`--expr`, if any (for the Wasm record walk). */
  source: _ProgramSource | undefined;
  /** `--strategy`, if given. */
  strategy: string | undefined;
}

/** `filter` once the rules are loaded (and a second thread started, if any). */
async function _filter(
  parsed: ReturnType<typeof _parseOptions>,
  io: CliIo,
  run: _FilterRun,
): Promise<number> {
  const { path, dropTo, ruleSet, name, program, base, compileOptions, split } = run;
  let rules: CompiledRuleSet;
  try {
    rules = await _compileRules(ruleSet, compileOptions);
    // One rule whose Wasm test would call back into JavaScript (`wasmEscapes`:
    // a program reading ancillary fields, a link-base --expr off Ethernet, ...)
    // runs rule by rule instead, faster (bench/RESULTS.md, "Fixed cost of
    // small rule sets, session 10"). Not with a second thread: it was told
    // the options already.
    if (
      split === undefined && run.strategy === undefined &&
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
  // rules), the default strategy, one thread, an input read in blocks: each pcap block is read into a Wasm memory and
  // walked in one call (docs/engine_strategies.md, "One Wasm call per block").
  const walkOrReason = _walkFor(rules, run.source, base, run.strategy, split, io);
  const walk = walkOrReason instanceof _WasmWalk ? walkOrReason : undefined;
  const wasmBlocks = walk ?? (rules as { _blocks?: _BlockPool })._blocks;
  const input = await _openBlocks(io, path, split?.poolOver(wasmBlocks) ?? wasmBlocks);
  let dropStream: WritableStream<Uint8Array> | undefined;
  if (dropTo !== undefined) {
    try {
      dropStream = await io.openWrite(dropTo);
    } catch (error) {
      throw new DataError(
        dropTo,
        `Cannot create file: ${error instanceof Error ? error.message : error}`,
        { cause: error },
      );
    }
  }
  // Every input block's frames leave at once: a live capture is not held
  // back, and a fast input arrives in large blocks anyway.
  const router = new _ThreadedRouter(rules, split, run.waitForWorker);
  if (walk !== undefined) router._setRecordWalk(walk);
  const progress = io.isTerminal() ? _progress(io, router) : undefined;

  let failure: unknown;
  let stats: RouterStats | undefined;
  // The counters are read only to print them (a snapshot of 10,000 rules' counters costs).
  const report = _flag(parsed, "stats") || _flag(parsed, "json");
  let counters: ReturnType<CompiledRuleSet["counters"]> | undefined;
  try {
    stats = await _pipeRouter(
      input.blocks,
      router,
      {
        accepted: io.writeStdoutSync ? { write: (chunk) => io.writeStdoutSync!(chunk) } : io.stdout,
        dropped: dropStream,
      },
      progress?.afterBlock,
    );
  } catch (error) {
    // A destination failed; a broken pipe on stdout ends quietly (141).
    const cause = error instanceof _OutputError ? error.cause : error;
    if (_isBrokenPipe(cause)) throw cause;
    failure = error instanceof _OutputError && error.output === "dropped"
      ? DataError.from(dropTo!, cause)
      : cause;
  } finally {
    // Both threads' counters, then the second thread is stopped.
    if (report) counters = router.counters();
    router.close();
  }
  if (progress?.shown) await _writeText(io.stderr, "\r\x1b[K");
  const error = stats?.error;
  if (failure === undefined && error !== undefined) {
    failure = _isBrokenPipe(error) ? error : DataError.from(input.name, error);
  }
  // --stats prints the table, --json the JSON document; given both, both
  // (the table first, then the JSON on its own lines).
  if (report && counters !== undefined) {
    const { _formatStatsJson, _formatStatsText } = await import("./_stats.ts");
    if (_flag(parsed, "stats")) {
      await _writeText(io.stderr, _formatStatsText(ruleSet, counters));
    }
    if (_flag(parsed, "json")) {
      await _writeText(io.stderr, _formatStatsJson(ruleSet, counters));
    }
  }
  const hint = program && base && stats && failure === undefined
    ? _linkLayerHint(program, base, stats.input.packets, stats.accepted.packets)
    : undefined;
  if (hint) await _writeText(io.stderr, hint);
  io._walkReport?.({
    installed: walk !== undefined,
    walked: walk?.walkedRecords ?? 0,
    reason: walk === undefined ? (walkOrReason as { reason: string }).reason : walk.unusedReason,
    wasm: (rules as { _records?: unknown })._records !== undefined,
  });
  if (failure !== undefined) throw failure;
  return 0;
}
