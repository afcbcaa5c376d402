/**
 * `filter --expr`/`--bytecode` (either base) where the Wasm record walk runs
 * every packet: the rule set around the program (`-m bpf PROG -j ACCEPT`,
 * policy DROP) is compiled only if a block needs it, so a run on a classic
 * pcap capture starts without loading the rules engine, the classifier or
 * the JavaScript program compilers (bench/RESULTS.md, "Single-program
 * start-up, session 11").
 *
 * The router and the walk are those of the rule-set path
 * (./_filter_rules.ts); until the rule set is compiled, the router holds a
 * stand-in that no packet reaches: before each block is routed, the rule set
 * is compiled (and put in the router) unless the walk takes every packet
 * of it: a block of the walk's memory, of a classic pcap capture whose
 * header is in the first block, on an interface whose program the walk runs
 * and never leaves a record to JavaScript. Otherwise (pcapng, a program
 * reading ancillary fields, run-time Wasm refused, …) the run goes on as
 * the rule-set path's, with the same output.
 *
 * Not for `--stats`/`--json` (the counters are the rule set's), `--strategy`,
 * `--threads` or `--chain`: ./filter_command.ts sends those to the rule-set
 * path.
 *
 * @module
 */
import { _expressionInterfaceCheck } from "./_expression_interface_check.ts";
import type { CompiledRuleSet } from "../rules/compiled_rule_set.ts";
import type { RuleSet, RuleSetCounters } from "../rules/rule_set.ts";
import { CaptureDecoder } from "../capture/capture_decoder.ts";
import type { CaptureInterface } from "../capture/capture_interface.ts";
import { _PCAP_FILE_HEADER, type _PcapLayout } from "../capture/_pcap_layout.ts";
import { _RecordRouter } from "../stream/_record_router.ts";
import { _flag, type _Parsed } from "../args/_args.ts";
import type { BlockSource } from "./block_source.ts";
import type { CliIo } from "./cli_io.ts";
import { DataError } from "./data_error.ts";
import type { _ProgramSource } from "./_program.ts";
import { _routeInput } from "./_route_input.ts";
import { _sourceWalk, type _WasmWalk } from "./_wasm_walk.ts";
import { _pcapngAsPcap } from "./_pcapng_as_pcap.ts";

/** What `filter` parsed, for {@linkcode _filterWalkOnly}. */
export interface _WalkOnlyRun {
  /** The input: a file name, or `-`. */
  path: string;
  dropTo: string | undefined;
  /** The one-rule set of the program. */
  ruleSet: RuleSet;
  /** `--bytecode` or `--expr` (what compile errors name). */
  name: string;
  /** `--max-instructions`. */
  max: number;
  /** The program of `--bytecode` (or a network-base `--expr`), for the link-layer hint. */
  program: Parameters<typeof _routeInput>[2]["program"];
  base: "link" | "network";
  source: _ProgramSource;
}

/**
 * A rule set not compiled yet: the router holds it while the walk routes
 * every packet. A packet reaching it is a bug of the guard below, reported
 * as such (never a wrong verdict).
 */
function _notCompiled(ruleSet: RuleSet): CompiledRuleSet {
  const zero = () => ({ packets: 0, bytes: 0 });
  return {
    ruleSet,
    chain: "INPUT",
    classify() {
      throw new Error("Cannot classify a frame: the rule set was not compiled (a bug of filter)");
    },
    counters(): RuleSetCounters {
      const chains: RuleSetCounters["chains"] = {};
      for (const chain of ruleSet.chains) {
        chains[chain.name] = { policy: zero(), rules: chain.rules.map(zero) };
      }
      return { chains, frames: zero(), accepted: zero(), dropped: zero() };
    },
    resetCounters() {},
  };
}

/** The capture header of the input, as the router's decoder reads it. */
interface _Header {
  captureInterface: CaptureInterface;
  layout: _PcapLayout;
}

/**
 * The classic pcap header at the start of `block` (the input's first), read
 * by a decoder of the router's options, or `undefined` (too short, pcapng,
 * not a capture, an unsupported version).
 */
function _pcapHeader(block: Uint8Array): _Header | undefined {
  if (block.length < _PCAP_FILE_HEADER) return undefined;
  const decoder = new CaptureDecoder();
  const batch = decoder.push(block.subarray(0, _PCAP_FILE_HEADER));
  const layout = decoder._pcapLayout;
  if (batch.error !== undefined || layout === undefined) return undefined;
  return { captureInterface: decoder.interfaces[0], layout };
}

/**
 * Whether the walk takes every packet of the input's blocks, one after
 * another, as the router pushes them (see the module documentation): once
 * it says no, the rule set must be compiled before that block is routed.
 * The walk is compiled at the first block with records (a header-only
 * capture needs none).
 */
function _walkCheck(walk: _WasmWalk): (block: Uint8Array) => boolean {
  let header: _Header | undefined;
  let walks = false;
  return (block) => {
    if (!walk.holds(block)) return false;
    let records = block.length;
    if (header === undefined) {
      header = _pcapHeader(block);
      if (header === undefined) return false;
      records -= _PCAP_FILE_HEADER;
    }
    if (records === 0 || walks) return true;
    walks = walk.walksEvery(header.captureInterface, header.layout);
    return walks;
  };
}

/** `filter` of one program, its rule set compiled only where a block needs it. */
export async function _filterWalkOnly(
  parsed: _Parsed,
  io: CliIo,
  run: _WalkOnlyRun,
): Promise<number> {
  const { ruleSet, name } = run;
  const walk = _sourceWalk(run.source, run.base, {
    // The rule `-m bpf PROG -j ACCEPT` with policy DROP: a match is accepted.
    invert: false,
    ruleAccepts: true,
    // The rule's counters are printed only with --stats/--json (not here).
    counted: () => {},
  });
  let rules = _notCompiled(ruleSet);
  let compiled = false;
  /** The rule set compiled as the rule-set path compiles it, and put in `router`. */
  const compile = async (router: _RecordRouter): Promise<void> => {
    compiled = true;
    const { _compileRules } = await import("./_filter_rules.ts");
    try {
      rules = await _compileRules(ruleSet, {
        maxInstructions: run.max,
        evaluation: "rule-by-rule",
      });
    } catch (error) {
      throw DataError.from(name, error);
    }
    router.setRuleSet(rules);
    if (!("reason" in walk)) router._setRecordWalk(walk);
  };
  const guard = (input: BlockSource, router: _RecordRouter): BlockSource => {
    const walkTakes = "reason" in walk ? () => false : _walkCheck(walk);
    // pcapng read as the pcap tcpdump writes of it, where the walk takes all of that.
    let header: _Header | undefined;
    const source = "reason" in walk || _flag(parsed, "keep-format") ? input : _pcapngAsPcap(input, {
      name: run.path === "-" ? "<stdin>" : run.path,
      pool: walk,
      memory: walk.memory,
      walks(fileHeader) {
        header = _pcapHeader(fileHeader);
        // (A record the walk leaves to JavaScript goes to the rule set, compiled then.)
        return header !== undefined && walk.walksSome(header.captureInterface, header.layout);
      },
      // Without a drop file, only the accepted packets need to become records.
      walkPacketBlocks: run.dropTo !== undefined ? undefined : (from, to, limits, accepted) => {
        if (header === undefined) return undefined;
        const stop = walk.walkPacketBlocks(from, to, header.captureInterface, limits, accepted);
        return stop < 0 ? undefined : { stop, blocks: walk.walkedBlocks };
      },
      blockSize: walk.blockSize,
    });
    return {
      scratch: source.scratch,
      async read() {
        const block = await source.read();
        if (block !== null && !compiled && !walkTakes(block)) await compile(router);
        return block;
      },
      release: (block) => source.release(block),
      close: () => source.close(),
    };
  };
  return await _routeInput(parsed, io, {
    path: run.path,
    dropTo: run.dropTo,
    ruleSet,
    program: run.program,
    base: run.base,
    pool: "reason" in walk ? undefined : walk,
    routing() {
      const router = new _RecordRouter(rules, {
        decoder: { refuseInterface: _expressionInterfaceCheck(run.source, run.base) },
      });
      return { router, counters: () => router.ruleSet.counters(), close() {} };
    },
    walk,
    wasmClassifier: () => false,
    ruleSetCompiled: () => compiled,
    blocks: guard,
  });
}
