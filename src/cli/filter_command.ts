/**
 * `bpfstream filter`: the main job, capture in → accepted capture out.
 *
 * This module parses the options and loads the rules or the program; one
 * program (`--bytecode`/`--expr`) then runs on the walk-only path
 * (./_filter_walk_only.ts), anything that needs the rule set before the
 * input on the rule-set path (./_filter_rules.ts, imported on demand: the
 * rules engine is not loaded for the first).
 *
 * @module
 */
import type { RuleSet } from "../rules/rule_set.ts";
import type { Instruction } from "../bpf/instruction.ts";
import { LINKTYPE_RAW } from "../capture/link_types.ts";
import type { CliCommand } from "./cli_command.ts";
import type { CliIo } from "./cli_io.ts";
import { UsageError } from "../args/usage_error.ts";
import { _loadProgram } from "./_program.ts";
import { _checkProgram } from "./_check_program.ts";
import { _filterWalkOnly } from "./_filter_walk_only.ts";
import type { _LoadedRules } from "./_filter_rules.ts";
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

const _USAGE = `Usage: bpfstream filter (--rules FILE | --bytecode PROG | --expr EXPR)
                        [--base link|network] [--drop-to FILE] [--stats] [--json]
                        [--chain NAME] [--max-instructions N]
                        [--strategy S] [--threads 1|2|auto] [--keep-format]
                        [FILE|-]

Reads a pcap or pcapng capture from FILE or standard input, runs every frame
through the rules (first match wins, else the chain's policy, as iptables) and
writes the accepted frames to standard output as 'tcpdump -r FILE -w -' writes
them: a classic pcap (microseconds, little-endian, records cut to the
snaplen) whatever the input, byte for byte what tcpdump writes.

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
  --keep-format           write the captures in the input's format instead:
                          the pcap header, pcapng sections and interfaces,
                          time stamps and records kept byte for byte
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
    _checkProgram(source.name, program, max);
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
      "keep-format": { type: "boolean" },
    });
    const path = _inputPath(parsed, "filter");
    const strategy = _strategy(parsed, "filter", true);
    const threadsText = _string(parsed, "threads");
    // The rule-set path (which runs --threads) is loaded only where it is given.
    const threads = threadsText === undefined
      ? "auto"
      : (await import("./_filter_rules.ts"))._threadsOption(threadsText);
    const dropTo = _string(parsed, "drop-to");
    if (dropTo === "-" || dropTo === "") {
      throw new UsageError(
        "Cannot run filter: --drop-to needs a file name (stdout carries the accepted frames)",
        "filter",
      );
    }
    const loaded = await _loadRuleSet(parsed, io);
    const chain = _string(parsed, "chain");
    // One program without options that need the rule set before the input:
    // the Wasm record walk runs it, and the rules engine is loaded only
    // where a block needs it (start-up).
    if (
      loaded.source !== undefined && loaded.base !== undefined && strategy === undefined &&
      threadsText === undefined && chain === undefined && io.openBlocks !== undefined &&
      !_flag(parsed, "stats") && !_flag(parsed, "json")
    ) {
      return await _filterWalkOnly(parsed, io, {
        path,
        dropTo,
        ruleSet: loaded.ruleSet,
        name: loaded.name,
        max: loaded.max,
        program: loaded.program,
        base: loaded.base,
        source: loaded.source,
      });
    }
    const { _filterWithRules } = await import("./_filter_rules.ts");
    return await _filterWithRules(parsed, io, loaded, {
      path,
      dropTo,
      strategy,
      threads,
      chain,
      rulesFile: _string(parsed, "rules") !== undefined,
    });
  },
};
