/**
 * Compilation of a {@linkcode RuleSet} into a per-frame classifier with
 * counters, for the router's hot path.
 *
 * @module
 */
import { compile, type CompiledProgram } from "../bpf/compile.ts";
import { interpret } from "../bpf/interpret.ts";
import { validate } from "../bpf/validate.ts";
import type { Instruction } from "../bpf/instruction.ts";
import type { PacketContext } from "../bpf/packet_context.ts";
import { compileFilter, type CompileFilterOptions } from "../filter/compile_filter.ts";
import {
  type FilterInterface,
  filterOptionsForInterface,
} from "../filter/filter_options_for_interface.ts";
import { compileU32 } from "../u32/compile_u32.ts";
import { parseU32 } from "../u32/parse_u32.ts";
import { u32ToBpf } from "../u32/u32_to_bpf.ts";
import {
  _captureEnd,
  _dataStart,
  _loadEnd,
  _macStart,
  _networkStart,
  _wireLength,
} from "../bpf/_packet_access.ts";
import { type _FuseAtom, _FuseBudgetError, _fuseRules, _isFusable } from "./_fuse_rules.ts";
import { _emitFusedClosure, _emitFusedSource, type _FusedRun } from "./_emit_fused.ts";
import { type FrameDescriptor, LINKTYPE_RAW } from "../capture/link_types.ts";
import { FrameContext } from "./frame_context.ts";
import type {
  AddressMatch,
  Chain,
  InterfaceMatch,
  Match,
  PacketCounter,
  Rule,
  RuleSet,
  RuleSetCounters,
} from "./rule_set.ts";
import { RuleSetError } from "./rule_set_error.ts";
import { _parseNetwork } from "./_ip.ts";
import { _findChainProblem } from "./_check_chains.ts";

/**
 * One frame as the router hands it to {@linkcode CompiledRuleSet.classify}:
 * a reusable, mutable object filled per frame. The frame is
 * `bytes[start .. start + capturedLength)`, so a whole input chunk can be
 * passed without slicing.
 *
 * @example
 * ```ts
 * import { compileRuleSet, createFrameRef, type FrameRef } from "./compile_rule_set.ts";
 * import { parseRuleSet } from "./parse_rule_set.ts";
 * const rules = compileRuleSet(parseRuleSet("-A INPUT -p udp -j DROP\n"));
 * // Two raw IPv4 headers back to back in one buffer: TCP (6), then UDP (17).
 * const bytes = new Uint8Array(40);
 * bytes.set([0x45, 0, 0, 20, 0, 0, 0, 0, 64, 6], 0);
 * bytes.set([0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17], 20);
 * const frame: FrameRef = createFrameRef({ bytes, linkType: 101 }); // LINKTYPE_RAW
 * const verdicts = [];
 * for (const start of [0, 20]) {
 *   frame.start = start;
 *   frame.capturedLength = frame.wireLength = 20;
 *   verdicts.push(rules.classify(frame));
 * }
 * console.log(verdicts); // [ true, false ]
 * ```
 */
export interface FrameRef {
  /** Buffer holding the frame (may hold other frames too). */
  bytes: Uint8Array;
  /** Index of the frame's first byte in `bytes`. */
  start: number;
  /** Captured bytes of the frame (pcap caplen). */
  capturedLength: number;
  /** Original length on the wire (pcap len). */
  wireLength: number;
  /** `LINKTYPE_*` of the frame's interface. */
  linkType: number;
  /** 0-based interface number (pcapng Interface Description Block order over
   * the whole file; 0 for pcap). `SKF_AD_IFINDEX` sees `interfaceIndex + 1`
   * (kernel ifindexes start at 1; 0 means "no device"), except on LINUX_SLL2
   * frames, which carry the real ifindex in their header. */
  interfaceIndex: number;
  /**
   * `skb->mark` for `SKF_AD_MARK`.
   *
   * @default {0}
   */
  mark?: number;
  /**
   * `skb->hash` for `SKF_AD_RXHASH`.
   *
   * @default {0}
   */
  rxhash?: number;
  /**
   * `skb->queue_mapping` for `SKF_AD_QUEUE`.
   *
   * @default {0}
   */
  queue?: number;
  /**
   * Input interface name for `-i` (e.g. the pcapng `if_name` option).
   *
   * @default {""}
   */
  interfaceName?: string;
  /**
   * Output interface name for `-o`.
   *
   * @default {""}
   */
  outInterfaceName?: string;
  /**
   * The capture interface the frame was read from (the decoder's
   * `CaptureInterface`), when known: link-base `--expr` matches are then
   * compiled as `tcpdump -r` compiles them for that file
   * (`filterOptionsForInterface`), else as `pcap_open_dead` for `linkType`.
   *
   * @default {undefined}
   */
  captureInterface?: FilterInterface;
}

const _NO_BYTES = new Uint8Array(0);

/**
 * A new reusable {@linkcode FrameRef}: every field present (so that every
 * frame a classifier sees has one shape), zero or empty unless `init` gives
 * it. Fill `bytes`, `start`, the lengths, `linkType` and `interfaceIndex` per
 * frame and pass the same object to {@linkcode CompiledRuleSet.classify}.
 *
 * @param init Fields to start from (the per-capture ones: `mark`, `rxhash`,
 * `queue`, interface names). @default {{}}
 *
 * @example
 * ```ts
 * import { createFrameRef } from "./compile_rule_set.ts";
 * const frame = createFrameRef({ mark: 7, interfaceName: "eth0" });
 * frame.bytes = new Uint8Array(60);
 * frame.capturedLength = frame.wireLength = 60;
 * frame.linkType = 1;
 * console.log(frame.start, frame.mark, frame.interfaceName); // 0 7 eth0
 * ```
 */
export function createFrameRef(init: Partial<FrameRef> = {}): FrameRef {
  return {
    bytes: init.bytes ?? _NO_BYTES,
    start: init.start ?? 0,
    capturedLength: init.capturedLength ?? 0,
    wireLength: init.wireLength ?? 0,
    linkType: init.linkType ?? 0,
    interfaceIndex: init.interfaceIndex ?? 0,
    mark: init.mark ?? 0,
    rxhash: init.rxhash ?? 0,
    queue: init.queue ?? 0,
    interfaceName: init.interfaceName ?? "",
    outInterfaceName: init.outInterfaceName ?? "",
    captureInterface: init.captureInterface,
  };
}

/**
 * Options of {@linkcode compileRuleSet}.
 *
 * @example
 * ```ts
 * import { compileRuleSet, type CompileRuleSetOptions } from "./compile_rule_set.ts";
 * import { parseRuleSet } from "./parse_rule_set.ts";
 * const ruleSet = parseRuleSet(`*filter
 * :INPUT ACCEPT [0:0]
 * :FORWARD ACCEPT [0:0]
 * -A FORWARD -p udp -j DROP
 * COMMIT
 * `);
 * const options: CompileRuleSetOptions = { chain: "FORWARD", byteCount: "ip" };
 * const rules = compileRuleSet(ruleSet, options);
 * // A 60-byte Ethernet frame (padded) carrying a 28-byte UDP datagram.
 * const bytes = new Uint8Array(60);
 * bytes.set([0x08, 0x00, 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17], 12);
 * rules.classify({
 *   bytes,
 *   start: 0,
 *   capturedLength: 60,
 *   wireLength: 60,
 *   linkType: 1,
 *   interfaceIndex: 0,
 * });
 * console.log(rules.chain, rules.counters().chains.FORWARD.rules[0]);
 * // FORWARD { packets: 1, bytes: 28 }
 * ```
 */
export interface CompileRuleSetOptions {
  /**
   * The built-in chain every frame enters.
   *
   * @default {"INPUT" if present, else the first built-in chain}
   */
  chain?: string;
  /**
   * How BPF programs are compiled (see `compile`); `"interpret"` runs them
   * in the reference interpreter instead (slow; for differential tests).
   *
   * @default {"closure"}
   */
  strategy?: "closure" | "source" | "interpret";
  /**
   * Largest `--bytecode` program (xt_bpf's limit is 64; at most 4096).
   *
   * @default {64}
   */
  maxInstructions?: number;
  /**
   * What a counter's bytes add up: `"frame"` the frame's wire length (pcap
   * `len`, what tcpdump shows, and what the router's accept/drop byte totals
   * add up to), or `"ip"` the IP datagram length as iptables counts
   * (`skb->len` after `ip_rcv`; the frame's wire length for frames without an
   * IP header).
   *
   * @default {"frame"}
   */
  byteCount?: "frame" | "ip";
  /**
   * Start from the counters stored in the rule set (as `iptables-restore -c`)
   * instead of zero.
   *
   * @default {false}
   */
  restoreCounters?: boolean;
  /**
   * Fuse each run of consecutive rules of a chain (same base, ending at a
   * rule that only counts or jumps with return) into one decision function
   * that loads each packet field once and carries what earlier comparisons
   * taught, with exactly the per-rule results and counters. `false`
   * evaluates rule by rule (the reference for differential tests).
   * @default {true, except with strategy "interpret"}
   */
  fuse?: boolean;
  /**
   * Node budget of one fused run; a run needing more is split, down to
   * rule-by-rule evaluation.
   *
   * @default {20000}
   */
  maxFusedNodes?: number;
}

/**
 * A rule set compiled for classifying frames; see {@linkcode compileRuleSet}.
 *
 * @example
 * ```ts
 * import { type CompiledRuleSet, compileRuleSet, createFrameRef } from "./compile_rule_set.ts";
 * import { parseRuleSet } from "./parse_rule_set.ts";
 * const rules: CompiledRuleSet = compileRuleSet(parseRuleSet(`*filter
 * :INPUT DROP [0:0]
 * -A INPUT -p icmp -j ACCEPT
 * COMMIT
 * `));
 * const bytes = new Uint8Array(20);
 * bytes.set([0x45, 0, 0, 20, 0, 0, 0, 0, 64, 1]); // IPv4, protocol 1 (ICMP)
 * const frame = createFrameRef({ bytes, capturedLength: 20, wireLength: 20, linkType: 101 });
 * console.log(rules.classify(frame)); // true
 * console.log(rules.counters().accepted); // { packets: 1, bytes: 20 }
 * rules.resetCounters(); // iptables -Z
 * console.log(rules.counters().frames.packets); // 0
 * ```
 */
export interface CompiledRuleSet {
  /**
   * Classifies one frame: walks the entry chain as iptables does (the first
   * rule whose matches all match and whose target is a verdict decides;
   * `-j CHAIN` descends, `-g CHAIN` goes without return, `RETURN` or the end
   * of a user chain returns, the end of the entry chain applies its policy)
   * and updates the counters. Returns `true` to accept. Allocates nothing.
   */
  classify(frame: FrameRef): boolean;
  /** A snapshot of the counters (`iptables -L -v -x` semantics). */
  counters(): RuleSetCounters;
  /** Sets every counter to zero (`iptables -Z`). */
  resetCounters(): void;
  /** The rule set this was compiled from. */
  readonly ruleSet: RuleSet;
  /** The entry chain's name. */
  readonly chain: string;
  /**
   * Which rule gave the verdict of the frame last passed to `classify`: its
   * position among all rules of the rule set, numbered from 0 in
   * `ruleSet.chains` order and then rule order (the order of `counters()`),
   * or -1 when the entry chain's policy decided (and before any frame).
   * A rule that decides has an `ACCEPT` or `DROP` target; rules that only
   * counted, jumped or returned on the way are not it. Always present on
   * what {@linkcode compileRuleSet} returns; other implementations of this
   * interface may leave it out.
   *
   * @example
   * ```ts
   * import { compileRuleSet, createFrameRef } from "./compile_rule_set.ts";
   * import { parseRuleSet } from "./parse_rule_set.ts";
   * import assert from "node:assert/strict";
   * const rules = compileRuleSet(parseRuleSet(`*filter
   * :INPUT DROP [0:0]
   * :WEB - [0:0]
   * -A INPUT -p udp -j WEB
   * -A INPUT -p icmp -j ACCEPT
   * -A WEB -p udp -j ACCEPT
   * COMMIT
   * `));
   * const bytes = new Uint8Array(20);
   * bytes.set([0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17]); // IPv4 UDP
   * const frame = createFrameRef({ bytes, capturedLength: 20, wireLength: 20, linkType: 101 });
   * assert.equal(rules.classify(frame), true);
   * assert.equal(rules.decidedBy, 2); // WEB rule 1: INPUT has rules 0 and 1
   * bytes[9] = 6; // TCP: no rule matches, the policy drops
   * assert.equal(rules.classify(frame), false);
   * assert.equal(rules.decidedBy, -1);
   * ```
   */
  readonly decidedBy?: number;
}

const _BASE_NETWORK = 0;
const _BASE_LINK = 1;

const _T_NONE = 0;
const _T_ACCEPT = 1;
const _T_DROP = 2;
const _T_RETURN = 3;
const _T_JUMP = 4;
const _T_GOTO = 5;

/** Per-frame state shared by every rule: computed once per frame. */
interface _Frame {
  frame: FrameRef;
  bytes: Uint8Array;
  descriptor: FrameDescriptor;
  isIp: boolean;
  /** Index in `bytes` of the network header (valid when isIp). */
  networkStart: number;
  network: PacketContext;
  link: PacketContext;
  /** Load windows of the two contexts (see `_Window`), filled when a fused run needs them. */
  networkWindow: _Window;
  linkWindow: _Window;
}

/** Where loads may read, computed from a context once per frame for fused runs. */
interface _Window {
  base: number;
  avail: number;
  loadEnd: number;
  network: number;
  mac: number;
  wire: number;
}

function _newWindow(): _Window {
  return { base: 0, avail: 0, loadEnd: 0, network: 0, mac: -1, wire: 0 };
}

function _fillWindow(w: _Window, bytes: Uint8Array, context: PacketContext): void {
  const captureEnd = _captureEnd(bytes, context);
  const base = _dataStart(context);
  const wire = _wireLength(context, base, captureEnd);
  const loadEnd = _loadEnd(base, captureEnd, wire);
  w.base = base;
  w.avail = loadEnd - base;
  w.loadEnd = loadEnd;
  w.network = _networkStart(context, base);
  w.mac = _macStart(context);
  w.wire = wire;
}

type _Test = (state: _Frame) => boolean;

interface _CompiledRule {
  base: number;
  test: _Test | null;
  kind: number;
  to: number;
  counter: number;
  /** The matches as fusion atoms (opaque ones index the shared test list). */
  atoms: _FuseAtom[];
}

/**
 * Consecutive rules of a chain evaluated together: `find` returns the index
 * (in `rules`) of the first rule whose matches all match, or -1. Only the
 * last rule of a segment may continue in the chain after matching (a rule
 * without target, or a jump that returns).
 */
interface _Segment {
  base: number;
  rules: _CompiledRule[];
  find: (state: _Frame) => number;
}

interface _CompiledChain {
  rules: _CompiledRule[];
  segments: _Segment[];
}

function _error(reason: string, chain: string, rule: number, cause?: unknown): RuleSetError {
  return new RuleSetError(
    `Cannot compile rule set: ${reason} in chain "${chain}" rule ${rule}`,
    0,
    0,
    { chain, rule, cause },
  );
}

/** IPv6 extension headers `ipv6_find_hdr` skips. */
function _isIpv6Extension(next: number): boolean {
  return next === 0 || next === 43 || next === 44 || next === 51 || next === 60;
}

/**
 * The upper-layer protocol of the IP packet as ip(6)tables' `-p` sees it, or
 * -1 when it cannot be found in the captured bytes.
 */
function _upperProtocol(state: _Frame): number {
  const b = state.bytes;
  const at = state.networkStart;
  const length = state.descriptor.networkCapturedLength;
  if (state.descriptor.ipVersion === 4) return length >= 10 ? b[at + 9] : -1;
  if (length < 40) return -1;
  let next = b[at + 6];
  let offset = 40;
  while (_isIpv6Extension(next)) {
    if (offset + 8 > length) return -1;
    if (next === 44) {
      const fragmentOffset = ((b[at + offset + 2] << 8) | b[at + offset + 3]) & 0xfff8;
      if (fragmentOffset !== 0) {
        const inner = b[at + offset];
        return _isIpv6Extension(inner) || inner === 59 ? -1 : inner;
      }
      next = b[at + offset];
      offset += 8;
    } else if (next === 51) {
      const size = (b[at + offset + 1] + 2) << 2;
      next = b[at + offset];
      offset += size;
    } else {
      const size = (b[at + offset + 1] + 1) << 3;
      next = b[at + offset];
      offset += size;
    }
  }
  return next === 59 ? -1 : next;
}

function _addressTest(match: AddressMatch, chain: string, ruleNumber: number): _Test {
  const network = _parseNetwork(`${match.address}/${match.prefixLength}`);
  if (typeof network === "string") throw _error(network, chain, ruleNumber);
  const version = network.version;
  const want = network.bytes;
  const size = want.length;
  const fieldOffset = version === 4
    ? (match.direction === "source" ? 12 : 16)
    : (match.direction === "source" ? 8 : 24);
  const headerLength = version === 4 ? 20 : 40;
  const prefix = network.prefixLength;
  const invert = match.invert;
  return (state) => {
    const d = state.descriptor;
    if (d.ipVersion !== version || d.networkCapturedLength < headerLength) return false;
    const b = state.bytes;
    const at = state.networkStart + fieldOffset;
    let equal = true;
    for (let i = 0; i < size; i++) {
      const keep = prefix - 8 * i;
      if (keep <= 0) break;
      const mask = keep >= 8 ? 0xff : (0xff00 >>> keep) & 0xff;
      if ((b[at + i] & mask) !== want[i]) {
        equal = false;
        break;
      }
    }
    return equal !== invert;
  };
}

function _interfaceTest(match: InterfaceMatch): _Test {
  const wildcard = match.name.endsWith("+");
  const name = wildcard ? match.name.slice(0, -1) : match.name;
  const invert = match.invert;
  const inbound = match.direction === "in";
  return (state) => {
    const actual = (inbound ? state.frame.interfaceName : state.frame.outInterfaceName) ?? "";
    const equal = wildcard ? actual.startsWith(name) : actual === name;
    return equal !== invert;
  };
}

interface _Settings {
  strategy: "closure" | "source" | "interpret";
  maxInstructions: number;
}

/**
 * The program a match runs, for fusion: `--bytecode`, `--u32` (translated
 * with `u32ToBpf`, inversion included) or a network-base `--expr`; `null`
 * when the match is evaluated as an opaque test.
 */
function _matchProgram(match: Match, base: number): _FuseAtom | null {
  try {
    if (match.kind === "bpf") {
      let program: Instruction[] | undefined = match.program;
      if (!program && match.expression !== undefined && base === _BASE_NETWORK) {
        program = compileFilter(match.expression, { linkType: LINKTYPE_RAW });
      }
      if (!program || !_isFusable(program)) return null;
      return { program, invert: match.invert, opaque: -1 };
    }
    if (match.kind === "u32") {
      // Inverted here, not by u32ToBpf: where the bytes were not captured its
      // inverted program returns 0 too, while `! --u32` (compileU32) matches.
      const program = u32ToBpf(parseU32(match.expression));
      return _isFusable(program) ? { program, invert: match.invert, opaque: -1 } : null;
    }
  } catch {
    return null;
  }
  return null;
}

function _compileProgram(program: Instruction[], settings: _Settings): CompiledProgram {
  const strategy = settings.strategy;
  if (strategy !== "interpret") {
    return compile(program, { strategy, maxInstructions: settings.maxInstructions });
  }
  validate(program, { maxInstructions: settings.maxInstructions });
  return (packet, context) => interpret(program, packet, context);
}

function _matchTest(
  match: Match,
  base: number,
  settings: _Settings,
  chain: string,
  ruleNumber: number,
): _Test | null {
  switch (match.kind) {
    case "comment":
      return null;
    case "protocol": {
      const protocol = match.protocol;
      const invert = match.invert;
      if (protocol === 0) return invert ? () => false : null;
      return (state) => {
        if (!state.isIp) return false;
        const actual = _upperProtocol(state);
        return actual >= 0 && (actual === protocol) !== invert;
      };
    }
    case "address":
      return _addressTest(match, chain, ruleNumber);
    case "interface":
      return _interfaceTest(match);
    case "u32": {
      let matcher: (packet: Uint8Array, context?: PacketContext) => boolean;
      try {
        matcher = compileU32(parseU32(match.expression));
      } catch (error) {
        throw _error(`bad --u32 "${match.expression}"`, chain, ruleNumber, error);
      }
      const invert = match.invert;
      return base === _BASE_NETWORK
        ? (state) => matcher(state.bytes, state.network) !== invert
        : (state) => matcher(state.bytes, state.link) !== invert;
    }
    case "bpf": {
      const invert = match.invert;
      if (match.program) {
        let program: CompiledProgram;
        try {
          program = _compileProgram(match.program, settings);
        } catch (error) {
          throw _error("bad --bytecode program", chain, ruleNumber, error);
        }
        return base === _BASE_NETWORK
          ? (state) => (program(state.bytes, state.network) !== 0) !== invert
          : (state) => (program(state.bytes, state.link) !== 0) !== invert;
      }
      const expression = match.expression;
      if (expression === undefined) throw _error("bpf match without a program", chain, ruleNumber);
      const compileFor = (options: CompileFilterOptions): CompiledProgram =>
        _compileProgram(compileFilter(expression, options), {
          strategy: settings.strategy,
          maxInstructions: 4096,
        });
      if (base === _BASE_NETWORK) {
        let program: CompiledProgram;
        try {
          program = compileFor({ linkType: LINKTYPE_RAW });
        } catch (error) {
          throw _error(`bad --expr "${expression}"`, chain, ruleNumber, error);
        }
        return (state) => (program(state.bytes, state.network) !== 0) !== invert;
      }
      // Link base: one program per capture interface (as tcpdump -r) or else
      // per link type, compiled when first needed. An interface the
      // expression cannot be compiled for never matches.
      const cache = new Map<FilterInterface | number, CompiledProgram | null>();
      let lastType = -1;
      let lastInterface: FilterInterface | undefined;
      let last: CompiledProgram | null = null;
      return (state) => {
        const linkType = state.frame.linkType;
        const captureInterface = state.frame.captureInterface;
        if (linkType !== lastType || captureInterface !== lastInterface) {
          const key = captureInterface ?? linkType;
          let program = cache.get(key);
          if (program === undefined) {
            try {
              program = compileFor(
                captureInterface ? filterOptionsForInterface(captureInterface) : { linkType },
              );
            } catch {
              program = null;
            }
            cache.set(key, program);
          }
          lastType = linkType;
          lastInterface = captureInterface;
          last = program;
        }
        if (last === null) return false;
        return (last(state.bytes, state.link) !== 0) !== invert;
      };
    }
  }
}

function _ruleTest(tests: _Test[]): _Test | null {
  if (tests.length === 0) return null;
  if (tests.length === 1) return tests[0];
  if (tests.length === 2) {
    const [a, b] = tests;
    return (state) => a(state) && b(state);
  }
  return (state) => {
    for (let i = 0; i < tests.length; i++) if (!tests[i](state)) return false;
    return true;
  };
}

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

/**
 * Compiles a rule set into a {@linkcode CompiledRuleSet} whose `classify`
 * gives the verdict for one frame and counts it.
 *
 * Per frame, the link header is read once and the two reusable
 * `PacketContext`s every rule shares are filled as {@linkcode FrameContext}
 * documents: the network base (iptables' xt_bpf view, offset 0 at the
 * IPv4/IPv6 header, the length cut as `ip_rcv` trims `skb->len`) and the link
 * base (the whole frame). Frames without an IPv4/IPv6 header skip
 * network-base rules (they fall through to later rules and the policy).
 *
 * `-s`/`-d` match only packets of their address family, `-p` the IPv4
 * protocol field or the IPv6 upper-layer header (extension headers skipped
 * as `ipv6_find_hdr` does); where the needed header bytes were not captured
 * these matches fail whether inverted or not. `-i`/`-o` compare
 * `FrameRef.interfaceName`/`outInterfaceName`.
 *
 * Evaluation is fused (unless `fuse: false`): each run of consecutive rules
 * of a chain with the same base (up to a rule without target or a `-j` to a
 * user chain) becomes one function returning the first matching rule. Its
 * `--bytecode`, `--u32` (via `u32ToBpf`) and network-base `--expr` programs
 * are executed symbolically together: each packet field is loaded once per
 * frame, what a comparison decided is reused by later programs, and chains
 * of equality tests become table lookups — with exactly the per-rule results
 * (each program starts with A = X = 0 and fresh scratch memory; an
 * out-of-bounds load ends only that program) and counters. Other matches
 * are called as they are. Runs over the node budget are split.
 *
 * @throws {RuleSetError} For a model that is not valid (unknown jump target,
 * loop, program the checker refuses), naming the chain and rule.
 *
 * @example
 * ```ts
 * import { compileRuleSet } from "./compile_rule_set.ts";
 * import { parseRuleSet } from "./parse_rule_set.ts";
 * const rules = compileRuleSet(parseRuleSet(`*filter
 * :INPUT ACCEPT [0:0]
 * -A INPUT -p udp -j DROP
 * COMMIT
 * `));
 * const bytes = new Uint8Array(34);
 * bytes.set([0x08, 0x00, 0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17], 12);
 * const frame = { bytes, start: 0, capturedLength: 34, wireLength: 34, linkType: 1, interfaceIndex: 0 };
 * console.log(rules.classify(frame)); // false
 * console.log(rules.counters().chains.INPUT.rules[0]); // { packets: 1, bytes: 34 }
 * ```
 */
export function compileRuleSet(
  ruleSet: RuleSet,
  options?: CompileRuleSetOptions,
): CompiledRuleSet {
  const maxInstructions = options?.maxInstructions ?? 64;
  const settings: _Settings = { strategy: options?.strategy ?? "closure", maxInstructions };
  const byIp = options?.byteCount === "ip";
  const fuse = options?.fuse ?? settings.strategy !== "interpret";
  const maxNodes = options?.maxFusedNodes ?? 20000;
  const opaque: _Test[] = [];
  const problem = _findChainProblem(ruleSet);
  if (problem) throw _error(problem.reason, problem.chain, problem.rule);
  const entry = _entryChain(ruleSet, options?.chain);
  const chainIndex = new Map(ruleSet.chains.map((c, i) => [c.name, i]));
  const ruleCount = ruleSet.chains.reduce((n, c) => n + c.rules.length, 0);
  const packets = new Float64Array(ruleCount);
  const bytesCounted = new Float64Array(ruleCount);
  const policyPackets = new Float64Array(ruleSet.chains.length);
  const policyBytes = new Float64Array(ruleSet.chains.length);
  const totals = new Float64Array(4); // accepted p/b, dropped p/b (frames: their sum)
  let anyNetwork = false;
  let anyLink = false;
  let counter = 0;
  const chains: _CompiledChain[] = ruleSet.chains.map((chain: Chain) => ({
    rules: chain.rules.map((rule: Rule, r): _CompiledRule => {
      const base = rule.base === "link" ? _BASE_LINK : _BASE_NETWORK;
      if (rule.base !== "link" && rule.base !== "network") {
        throw _error(`base "${rule.base}" is not "link" or "network"`, chain.name, r + 1);
      }
      if (base === _BASE_LINK) anyLink = true;
      else anyNetwork = true;
      const tests: _Test[] = [];
      const atoms: _FuseAtom[] = [];
      for (const match of rule.matches) {
        const test = _matchTest(match, base, settings, chain.name, r + 1);
        if (!test) continue;
        tests.push(test);
        const atom = fuse ? _matchProgram(match, base) : null;
        if (atom) atoms.push(atom);
        else {
          atoms.push({ program: null, invert: false, opaque: opaque.length });
          opaque.push(test);
        }
      }
      let kind = _T_NONE;
      let to = -1;
      const target = rule.target;
      if (target === "ACCEPT" && !rule.goto) kind = _T_ACCEPT;
      else if (target === "DROP" && !rule.goto) kind = _T_DROP;
      else if (target === "RETURN" && !rule.goto) kind = _T_RETURN;
      else if (target !== null) {
        kind = rule.goto ? _T_GOTO : _T_JUMP;
        to = chainIndex.get(target)!;
      }
      return { base, test: _ruleTest(tests), kind, to, counter: counter++, atoms };
    }),
    segments: [],
  }));
  for (const chain of chains) {
    chain.segments = _segments(chain.rules, fuse, settings, opaque, maxNodes);
  }
  const policies = ruleSet.chains.map((c) => c.policy !== "DROP");
  const entryAccepts = policies[entry];
  const stackChain = new Int32Array(ruleSet.chains.length + 1);
  const stackRule = new Int32Array(ruleSet.chains.length + 1);
  const contexts = new FrameContext();
  const state: _Frame = {
    frame: undefined as unknown as FrameRef,
    bytes: new Uint8Array(0),
    descriptor: contexts.descriptor,
    isIp: false,
    networkStart: 0,
    network: contexts.network,
    link: contexts.link,
    networkWindow: _newWindow(),
    linkWindow: _newWindow(),
  };
  // The contexts the rules need (network only for frames with an IP header);
  // without rules, the link one (cheapest) for the frame's description alone.
  const bases = anyNetwork && anyLink ? undefined : anyNetwork ? "network" : "link";

  const reset = () => {
    packets.fill(0);
    bytesCounted.fill(0);
    policyPackets.fill(0);
    policyBytes.fill(0);
    totals.fill(0);
  };
  if (options?.restoreCounters) {
    let index = 0;
    ruleSet.chains.forEach((chain, c) => {
      policyPackets[c] = chain.counters?.packets ?? 0;
      policyBytes[c] = chain.counters?.bytes ?? 0;
      for (const rule of chain.rules) {
        packets[index] = rule.counters?.packets ?? 0;
        bytesCounted[index++] = rule.counters?.bytes ?? 0;
      }
    });
  }

  let decided = -1;
  const classify = (frame: FrameRef): boolean => {
    const d = state.descriptor;
    state.frame = frame;
    const bytes = frame.bytes;
    state.bytes = bytes;
    contexts.load(frame, bases);
    const isIp = contexts.isIp;
    state.isIp = isIp;
    if (isIp) state.networkStart = frame.start + d.networkOffset;
    if (fuse) {
      if (isIp && anyNetwork) _fillWindow(state.networkWindow, bytes, state.network);
      if (anyLink) _fillWindow(state.linkWindow, bytes, state.link);
    }
    const size = byIp && isIp ? d.networkWireLength : frame.wireLength;
    let chain = entry;
    let r = 0;
    let sp = 0;
    let verdict = -1;
    decided = -1;
    for (;;) {
      const segments = chains[chain].segments;
      let jumped = false;
      while (r < segments.length) {
        const segment = segments[r++];
        if (segment.base === _BASE_NETWORK && !isIp) continue;
        const hit = segment.find(state);
        if (hit < 0) continue;
        const rule = segment.rules[hit];
        packets[rule.counter]++;
        bytesCounted[rule.counter] += size;
        const kind = rule.kind;
        if (kind === _T_NONE) continue;
        if (kind === _T_ACCEPT) {
          verdict = 1;
          decided = rule.counter;
          break;
        }
        if (kind === _T_DROP) {
          verdict = 0;
          decided = rule.counter;
          break;
        }
        if (kind === _T_RETURN) break;
        if (kind === _T_JUMP) {
          stackChain[sp] = chain;
          stackRule[sp] = r;
          sp++;
        }
        chain = rule.to;
        r = 0;
        jumped = true;
        break;
      }
      if (verdict >= 0) break;
      if (jumped) continue;
      // End of the chain or RETURN.
      if (sp > 0) {
        sp--;
        chain = stackChain[sp];
        r = stackRule[sp];
        continue;
      }
      policyPackets[entry]++;
      policyBytes[entry] += size;
      verdict = entryAccepts ? 1 : 0;
      break;
    }
    if (verdict === 1) {
      totals[0]++;
      totals[1] += size;
      return true;
    }
    totals[2]++;
    totals[3] += size;
    return false;
  };

  const pair = (p: number, b: number): PacketCounter => ({ packets: p, bytes: b });
  return {
    ruleSet,
    chain: ruleSet.chains[entry].name,
    classify,
    resetCounters: reset,
    get decidedBy(): number {
      return decided;
    },
    counters(): RuleSetCounters {
      const result: RuleSetCounters = {
        chains: {},
        frames: pair(totals[0] + totals[2], totals[1] + totals[3]),
        accepted: pair(totals[0], totals[1]),
        dropped: pair(totals[2], totals[3]),
      };
      ruleSet.chains.forEach((chain, c) => {
        const compiled = chains[c];
        result.chains[chain.name] = {
          ...(chain.policy !== null ? { policy: pair(policyPackets[c], policyBytes[c]) } : {}),
          rules: compiled.rules.map((rule) =>
            pair(packets[rule.counter], bytesCounted[rule.counter])
          ),
        };
      });
      return result;
    },
  };
}

/**
 * Splits a chain's rules into segments: maximal runs of the same base, each
 * ending after a rule that may continue in the chain once it matched;
 * fused into one function each when `fuse`, else one segment per rule.
 */
function _segments(
  rules: _CompiledRule[],
  fuse: boolean,
  settings: _Settings,
  opaque: _Test[],
  maxNodes: number,
): _Segment[] {
  const out: _Segment[] = [];
  if (!fuse) {
    for (const rule of rules) out.push(_singleSegment(rule));
    return out;
  }
  let from = 0;
  for (let r = 0; r < rules.length; r++) {
    const rule = rules[r];
    const last = r === rules.length - 1 || rules[r + 1].base !== rule.base ||
      rule.kind === _T_NONE || rule.kind === _T_JUMP;
    if (!last) continue;
    _fusedSegments(rules.slice(from, r + 1), settings, opaque, maxNodes, out);
    from = r + 1;
  }
  return out;
}

function _singleSegment(rule: _CompiledRule): _Segment {
  const test = rule.test;
  return {
    base: rule.base,
    rules: [rule],
    find: test === null ? () => 0 : (state) => (test(state) ? 0 : -1),
  };
}

/** One fused segment for `rules`, or (over the budget) halves of it, down to single rules. */
function _fusedSegments(
  rules: _CompiledRule[],
  settings: _Settings,
  opaque: _Test[],
  maxNodes: number,
  out: _Segment[],
): void {
  const noProgram = rules.every((rule) => rule.atoms.every((atom) => atom.program === null));
  if (rules.length === 1 && noProgram) {
    out.push(_singleSegment(rules[0]));
    return;
  }
  let run: _FusedRun<_Frame>;
  try {
    const graph = _fuseRules(rules.map((rule) => rule.atoms), { maxNodes });
    run = _emitFused(graph, opaque, settings);
  } catch (error) {
    // Over the budget (or the compiler's stack): split the run.
    if (!(error instanceof _FuseBudgetError) && !(error instanceof RangeError)) throw error;
    if (rules.length === 1) {
      out.push(_singleSegment(rules[0]));
      return;
    }
    const half = rules.length >> 1;
    _fusedSegments(rules.slice(0, half), settings, opaque, maxNodes, out);
    _fusedSegments(rules.slice(half), settings, opaque, maxNodes, out);
    return;
  }
  const base = rules[0].base;
  const find = base === _BASE_NETWORK
    ? (state: _Frame) => {
      const w = state.networkWindow;
      return run(state, state.bytes, w.base, w.avail, w.loadEnd, w.network, w.mac, w.wire);
    }
    : (state: _Frame) => {
      const w = state.linkWindow;
      return run(state, state.bytes, w.base, w.avail, w.loadEnd, w.network, w.mac, w.wire);
    };
  out.push({ base, rules, find });
}

function _emitFused(
  graph: ReturnType<typeof _fuseRules>,
  opaque: _Test[],
  settings: _Settings,
): _FusedRun<_Frame> {
  if (settings.strategy === "source") {
    try {
      return _emitFusedSource(graph, opaque);
    } catch (error) {
      if (error instanceof _FuseBudgetError) throw error;
      // Code generation forbidden or too large: closures.
    }
  }
  return _emitFusedClosure(graph, opaque);
}
