/**
 * Private: each match of a rule as a test of the current frame, prepared
 * once (parsed, validated: errors name the rule) and compiled when first
 * needed, through the engine's `compile()` (closure or source) or the
 * reference interpreter.
 *
 * @module
 */
import { compile, type CompiledProgram } from "../bpf/compile.ts";
import { interpret } from "../bpf/interpret.ts";
import { validate } from "../bpf/validate.ts";
import type { Instruction } from "../bpf/instruction.ts";
import type { PacketContext } from "../bpf/packet_context.ts";
import { compileFilter } from "../filter/compile_filter.ts";
import {
  type FilterInterface,
  filterOptionsForInterface,
} from "../filter/filter_options_for_interface.ts";
import {
  type _PackedProgram,
  _packProgram,
  _unoptimisedPacked,
  _unpackProgram,
} from "./_expression_programs.ts";
import { compileU32 } from "../u32/compile_u32.ts";
import { parseU32 } from "../u32/parse_u32.ts";
import { u32ToBpf } from "../u32/u32_to_bpf.ts";
import { LINKTYPE_EN10MB, LINKTYPE_RAW } from "../capture/link_types.ts";
import type { AddressMatch, InterfaceMatch, Match } from "./rule_set.ts";
import { RuleSetError } from "./rule_set_error.ts";
import { _parseNetwork } from "./_ip.ts";
import type { _AncillaryDemand, _Frame, _Test } from "./_frame_state.ts";
import type { FrameRef } from "./frame_ref.ts";
import { _readsAncillary } from "./_reads_ancillary.ts";
import { _needsFrameDescription } from "./_needs_frame_description.ts";

/** Match base of a rule's programs: the network header. */
export const _BASE_NETWORK = 0;
/** Match base of a rule's programs: the frame's first byte. */
export const _BASE_LINK = 1;

/** How programs are run. */
export interface _Settings {
  /** `undefined`: what `compile()` picks for this runtime (`_defaultStrategy`). */
  strategy: "closure" | "source" | "interpret" | undefined;
  maxInstructions: number;
  /**
   * The programs of one rule set compiled so far, by their instructions
   * (rules that run the same program share one compiled copy); at most one
   * entry per program the rule set's tests compile.
   */
  compiled: Map<string, CompiledProgram>;
  /** Told when a program that reads ancillary fields is compiled (before it runs). */
  ancillary: _AncillaryDemand;
  /**
   * Told when a program that may read what the link header says (the network
   * offset, ancillary fields) is compiled, before it runs: until then a
   * link-base rule set leaves frames undescribed.
   */
  frameDescription: _AncillaryDemand;
}

/** One match, checked and ready to be compiled. */
export interface _PreparedMatch {
  /** The match's program as summaries read it (not inverted), or `null`. */
  program: readonly Instruction[] | null;
  /** Whether `program` is what the match runs on EN10MB frames only (link-base `--expr`). */
  ethernetOnly: boolean;
  /** Whether the match is inverted (`!`). */
  invert: boolean;
  /** For `-p`/`-s`/`-d`: the match itself (lowered to guards directly). */
  match: Match;
  /** Builds the test (`null`: always matches); never throws. */
  build(): _Test | null;
  /**
   * For matches whose test is `(program(bytes, context) !== 0) !== invert`
   * with the context of the rule's base: that program, compiled (as `build`
   * compiles it), so generated code can call it directly; else absent.
   */
  compiledProgram?: () => CompiledProgram;
  /**
   * For matches whose test is `(program(bytes, context) !== 0) !== invert`
   * with the link context: the program that test runs on frames of
   * `frame`'s capture interface (or link type), compiled as the test
   * compiles it (`null`: it never matches there); else absent.
   */
  programFor?: (frame: FrameRef) => CompiledProgram | null;
}

/** The error for a bad rule, naming its chain and 1-based number. */
export function _ruleError(
  reason: string,
  chain: string,
  rule: number,
  cause?: unknown,
): RuleSetError {
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
 * -1 when it cannot be found in the captured bytes (or the frame is not IP).
 */
export function _upperProtocol(state: _Frame): number {
  if (!state.isIp) return -1;
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

/**
 * Word `word` (0-based, big-endian) of the source or destination address of
 * IP version `version` as `-s`/`-d` read it, or -1 when the frame is not of
 * that version or its header was not captured.
 */
export function _addressWord(
  state: _Frame,
  version: number,
  fieldOffset: number,
): number {
  const d = state.descriptor;
  if (!state.isIp || d.ipVersion !== version) return -1;
  if (d.networkCapturedLength < (version === 4 ? 20 : 40)) return -1;
  const b = state.bytes;
  const i = state.networkStart + fieldOffset;
  return ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
}

/** Offset in the IP header of the `-s`/`-d` address of `version`. */
export function _addressOffset(version: number, direction: "source" | "destination"): number {
  return version === 4 ? (direction === "source" ? 12 : 16) : (direction === "source" ? 8 : 24);
}

function _addressTest(match: AddressMatch, chain: string, ruleNumber: number): _Test {
  const network = _parseNetwork(`${match.address}/${match.prefixLength}`);
  if (typeof network === "string") throw _ruleError(network, chain, ruleNumber);
  const version = network.version;
  const want = network.bytes;
  const size = want.length;
  const fieldOffset = _addressOffset(version, match.direction);
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

/**
 * Whether interface `actual` (absent: the empty name) is named by `name`
 * of a `-i`/`-o` match, not inverted: the whole name, or with a final `+`
 * every name that starts with the rest.
 */
export function _interfaceNamed(actual: string | undefined, name: string): boolean {
  const wildcard = name.endsWith("+");
  const a = actual ?? "";
  return wildcard ? a.startsWith(name.slice(0, -1)) : a === name;
}

function _interfaceTest(match: InterfaceMatch): _Test {
  const name = match.name;
  const invert = match.invert;
  const inbound = match.direction === "in";
  return (state) =>
    _interfaceNamed(inbound ? state.frame.interfaceName : state.frame.outInterfaceName, name) !==
      invert;
}

/** Whether `program` passes the checker (at most 4096 instructions). */
function _passesChecker(program: readonly Instruction[]): boolean {
  try {
    validate(program, { maxInstructions: 4096 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Compiles a validated program with the settings' strategy (or the
 * interpreter); without one, `compile()` picks (and falls back) itself.
 */
function _compileValidated(program: readonly Instruction[], settings: _Settings): CompiledProgram {
  const key = program.map((i) => `${i.code} ${i.jt} ${i.jf} ${i.k}`).join(",");
  let compiled = settings.compiled.get(key);
  if (compiled === undefined) {
    const strategy = settings.strategy;
    compiled = strategy !== "interpret"
      ? compile(program, { strategy, maxInstructions: 4096 })
      : (packet, context) => interpret(program, packet, context);
    settings.compiled.set(key, compiled);
    if (_readsAncillary(program)) settings.ancillary.demand();
    if (_needsFrameDescription(program)) settings.frameDescription.demand();
  }
  return compiled;
}

function _programTest(
  compiled: CompiledProgram,
  base: number,
  invert: boolean,
): _Test {
  return base === _BASE_NETWORK
    ? (state) => (compiled(state.bytes, state.network) !== 0) !== invert
    : (state) => (compiled(state.bytes, state.link) !== 0) !== invert;
}

function _always(match: Match, build: () => _Test | null): _PreparedMatch {
  return { program: null, ethernetOnly: false, invert: false, match, build };
}

/**
 * Checks one match (throwing a {@linkcode RuleSetError} that names the rule
 * when the kernel or iptables would refuse it) and prepares its test.
 */
export function _prepareMatch(
  match: Match,
  base: number,
  settings: _Settings,
  chain: string,
  ruleNumber: number,
): _PreparedMatch {
  switch (match.kind) {
    case "comment":
      return _always(match, () => null);
    case "protocol": {
      const protocol = match.protocol;
      const invert = match.invert;
      if (protocol === 0) return _always(match, () => invert ? () => false : null);
      const test: _Test = (state) => {
        const actual = _upperProtocol(state);
        return actual >= 0 && (actual === protocol) !== invert;
      };
      return { program: null, ethernetOnly: false, invert, match, build: () => test };
    }
    case "address": {
      const test = _addressTest(match, chain, ruleNumber);
      return { program: null, ethernetOnly: false, invert: match.invert, match, build: () => test };
    }
    case "interface": {
      const test = _interfaceTest(match);
      return { program: null, ethernetOnly: false, invert: match.invert, match, build: () => test };
    }
    case "u32":
      return _prepareU32(match, base, settings, chain, ruleNumber);
    case "bpf":
      return match.program
        ? _prepareBytecode(match.program, match, base, settings, chain, ruleNumber)
        : _prepareExpression(match, base, settings, chain, ruleNumber);
  }
}

function _prepareU32(
  match: Match & { kind: "u32" },
  base: number,
  settings: _Settings,
  chain: string,
  ruleNumber: number,
): _PreparedMatch {
  let matcher: (packet: Uint8Array, context?: PacketContext) => boolean;
  let program: readonly Instruction[];
  try {
    const tests = parseU32(match.expression);
    matcher = compileU32(tests);
    program = u32ToBpf(tests);
  } catch (error) {
    throw _ruleError(`bad --u32 "${match.expression}"`, chain, ruleNumber, error);
  }
  const invert = match.invert;
  // The BPF form (tested equal to the u32 match in tests/u32_bpf_test.ts)
  // runs as every program does; the u32 matcher where that form does not
  // pass the checker (over 4096 instructions).
  const checked = _passesChecker(program);
  let memo: CompiledProgram | undefined;
  const compiled = () => memo ??= _compileValidated(program, settings);
  const build = (): _Test => {
    if (checked) return _programTest(compiled(), base, invert);
    return base === _BASE_NETWORK
      ? (state) => matcher(state.bytes, state.network) !== invert
      : (state) => matcher(state.bytes, state.link) !== invert;
  };
  return {
    program,
    ethernetOnly: false,
    invert,
    match,
    build,
    ...(checked ? { compiledProgram: compiled, programFor: compiled } : {}),
  };
}

function _prepareBytecode(
  program: readonly Instruction[],
  match: Match & { kind: "bpf" },
  base: number,
  settings: _Settings,
  chain: string,
  ruleNumber: number,
): _PreparedMatch {
  try {
    validate(program, { maxInstructions: settings.maxInstructions });
  } catch (error) {
    throw _ruleError("bad --bytecode program", chain, ruleNumber, error);
  }
  const copy = program.map(({ code, jt, jf, k }) => ({ code, jt, jf, k: k >>> 0 }));
  let memo: CompiledProgram | undefined;
  const compiled = () => memo ??= _compileValidated(copy, settings);
  return {
    program: copy,
    ethernetOnly: false,
    invert: match.invert,
    match,
    build: () => _programTest(compiled(), base, match.invert),
    compiledProgram: compiled,
    programFor: compiled,
  };
}

function _prepareExpression(
  match: Match & { kind: "bpf" },
  base: number,
  settings: _Settings,
  chain: string,
  ruleNumber: number,
): _PreparedMatch {
  const expression = match.expression;
  if (expression === undefined) throw _ruleError("bpf match without a program", chain, ruleNumber);
  const invert = match.invert;
  if (base === _BASE_NETWORK) {
    // Kept packed (a 10,000-rule set keeps 10,000 of them): unpacked on each read.
    let packed: _PackedProgram;
    try {
      packed = _expressionProgram(expression, LINKTYPE_RAW);
    } catch (error) {
      throw _ruleError(`bad --expr "${expression}"`, chain, ruleNumber, error);
    }
    let memo: CompiledProgram | undefined;
    const compiled = () =>
      memo ??= _compileValidated(_optimised(expression, LINKTYPE_RAW, packed), settings);
    return new _ExpressionMatch(
      () => packed,
      false,
      invert,
      match,
      () => _programTest(compiled(), base, invert),
      compiled,
      undefined,
    );
  }
  // Link base: one program per capture interface (as `tcpdump -r` compiles
  // for that file), or else per link type (as `pcap_open_dead`), compiled
  // when first needed. An interface or link type the expression cannot be
  // compiled for never matches.
  const cache = new Map<FilterInterface | number, CompiledProgram | null>();
  const programFor = (frame: FrameRef): CompiledProgram | null => {
    const captureInterface = frame.captureInterface;
    const key = captureInterface ?? frame.linkType;
    let compiled = cache.get(key);
    if (compiled === undefined) {
      const program = _linkProgram(expression, frame.linkType, captureInterface);
      compiled = program === null ? null : _compileValidated(program, settings);
      cache.set(key, compiled);
    }
    return compiled;
  };
  const build = (): _Test => {
    let lastType = -1;
    let lastInterface: FilterInterface | undefined;
    let last: CompiledProgram | null = null;
    return (state) => {
      const linkType = state.frame.linkType;
      const captureInterface = state.frame.captureInterface;
      if (linkType !== lastType || captureInterface !== lastInterface) {
        last = programFor(state.frame);
        lastType = linkType;
        lastInterface = captureInterface;
      }
      if (last === null) return false;
      return (last(state.bytes, state.link) !== 0) !== invert;
    };
  };
  // The Ethernet program is compiled when first read (by the summaries of
  // an indexed set): a set evaluated rule by rule never reads it.
  const ethernet = (): _PackedProgram | null => {
    try {
      return _expressionProgram(expression, LINKTYPE_EN10MB);
    } catch {
      return null;
    }
  };
  return new _ExpressionMatch(ethernet, true, invert, match, build, undefined, programFor);
}

/**
 * A prepared `--expr` match that keeps its program packed (8 bytes an
 * instruction; a 10,000-rule set keeps 10,000 of them), made when first
 * read, and unpacks it on each read of `program` (read it once).
 */
class _ExpressionMatch implements _PreparedMatch {
  #packed: _PackedProgram | null | undefined;
  readonly #pack: () => _PackedProgram | null;
  readonly ethernetOnly: boolean;
  readonly invert: boolean;
  readonly match: Match;
  readonly build: () => _Test | null;
  readonly compiledProgram: (() => CompiledProgram) | undefined;
  readonly programFor: ((frame: FrameRef) => CompiledProgram | null) | undefined;

  constructor(
    pack: () => _PackedProgram | null,
    ethernetOnly: boolean,
    invert: boolean,
    match: Match,
    build: () => _Test | null,
    compiledProgram: (() => CompiledProgram) | undefined,
    programFor: ((frame: FrameRef) => CompiledProgram | null) | undefined,
  ) {
    this.#pack = pack;
    this.ethernetOnly = ethernetOnly;
    this.invert = invert;
    this.match = match;
    this.build = build;
    this.compiledProgram = compiledProgram;
    this.programFor = programFor;
  }

  get program(): Instruction[] | null {
    if (this.#packed === undefined) this.#packed = this.#pack();
    return this.#packed === null ? null : _unpackProgram(this.#packed);
  }
}

/**
 * The validated program of a link-base expression for a frame's capture
 * interface (`filterOptionsForInterface`: the file's snaplen, byte order and
 * loopback address families) or, without one, for its link type; `null`
 * where the expression cannot be compiled for it.
 */
function _linkProgram(
  expression: string,
  linkType: number,
  captureInterface: FilterInterface | undefined,
): readonly Instruction[] | null {
  try {
    if (captureInterface === undefined) {
      return _optimised(expression, linkType, _expressionProgram(expression, linkType));
    }
    const options = filterOptionsForInterface(captureInterface);
    try {
      const program = compileFilter(expression, options);
      validate(program, { maxInstructions: 4096 });
      return program;
    } catch {
      const program = compileFilter(expression, { ...options, optimize: false });
      validate(program, { maxInstructions: 4096 });
      return program;
    }
  } catch {
    return null;
  }
}

/**
 * The program of an expression for a link type, validated and packed:
 * unoptimised (compiling is several times faster and summaries read it as
 * well), or optimised when the unoptimised one is over the 4096-instruction
 * limit. Throws where the expression cannot be compiled for the link type.
 */
function _expressionProgram(expression: string, linkType: number): _PackedProgram {
  let packed = _unoptimisedPacked(expression, linkType);
  if (packed.length > 2 * 4096) packed = _packProgram(compileFilter(expression, { linkType }));
  validate(_unpackProgram(packed), { maxInstructions: 4096 });
  return packed;
}

/**
 * The optimised program of an expression whose `valid` program (same
 * meaning) was validated: what its test runs; `valid` where optimising
 * gives nothing the checker accepts.
 */
function _optimised(
  expression: string,
  linkType: number,
  valid: _PackedProgram,
): readonly Instruction[] {
  try {
    const program = compileFilter(expression, { linkType });
    validate(program, { maxInstructions: 4096 });
    return program;
  } catch {
    return _unpackProgram(valid);
  }
}

/** All of a rule's tests as one (`null`: always matches). */
export function _allOf(tests: _Test[]): _Test | null {
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
