/**
 * Private: each match of a rule as a test of the current frame, prepared
 * once (parsed, validated: errors name the rule) and compiled when first
 * needed, through the engine's `compile()` (closure or source) or the
 * reference interpreter.
 *
 * @module
 */
import { compile, type CompiledProgram } from "../bpf/compile.ts";
import { _interpretChecked, interpret } from "../bpf/interpret.ts";
import { validate } from "../bpf/validate.ts";
import type { Instruction } from "../bpf/instruction.ts";
import { _fieldsFit } from "../bpf/_instruction_fields.ts";
import { _compileOptimised, compileFilter } from "../filter/compile_filter.ts";
import {
  _isLinkFreeLinkType,
  _isSupportedLinkType,
  _readsSavefileByteOrder,
} from "../filter/_codegen.ts";
import {
  type FilterInterface,
  filterOptionsForInterface,
} from "../filter/filter_options_for_interface.ts";
import {
  type _PackedProgram,
  _packProgram,
  _unoptimisedPacked,
  _unpackProgram,
  _validateCached,
} from "./_expression_programs.ts";
import { compileU32 } from "../u32/compile_u32.ts";
import type { U32Test } from "../u32/types.ts";
import { _parsedU32 } from "./_u32_texts.ts";
import { u32ToBpf } from "../u32/u32_to_bpf.ts";
import { LINKTYPE_EN10MB, LINKTYPE_RAW } from "../capture/link_types.ts";
import type { AddressMatch, InterfaceMatch, Match } from "./rule_set.ts";
import { RuleSetError } from "./rule_set_error.ts";
import { type _Network, _parseNetwork } from "./_ip.ts";
import { _AncillaryDemand, type _Frame, type _Test } from "./_frame_state.ts";
import type { FrameRef } from "./frame_ref.ts";
import { _readsAncillary } from "./_reads_ancillary.ts";
import { _needsFrameDescription } from "./_needs_frame_description.ts";
import { _endMaking, _forcedStart, _interpretedCall, _startMaking } from "./_test_making_budget.ts";

import { _BASE_LINK, _BASE_NETWORK } from "./_match_base.ts";
import { _addressWord, _upperProtocol } from "./_ip_header_fields.ts";

export { _addressWord, _BASE_LINK, _BASE_NETWORK, _upperProtocol };

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
  /**
   * The checked programs of one rule set by their text (see
   * {@linkcode _PreparedMatch.key}): rules that repeat a `--u32`, `--expr` or
   * `--bytecode` are parsed and validated once. At most one entry per
   * distinct program of the rule set.
   */
  programs: Map<string, _CheckedProgram>;
  /** The `-s`/`-d` networks of one rule set by their text (at most one entry per distinct one). */
  networks: Map<string, _Network>;
  /** Told when a program that reads ancillary fields is compiled (before it runs). */
  ancillary: _AncillaryDemand;
  /**
   * Told when a program that may read what the link header says (the network
   * offset, ancillary fields) is compiled, before it runs: until then a
   * link-base rule set leaves frames undescribed.
   */
  frameDescription: _AncillaryDemand;
}

/** Fresh settings for one rule set's matches (`strategy`, `maxInstructions`; empty caches). */
export function _newMatchSettings(
  strategy: _Settings["strategy"],
  maxInstructions: number,
): _Settings {
  return {
    strategy,
    maxInstructions,
    compiled: new Map(),
    programs: new Map(),
    networks: new Map(),
    ancillary: new _AncillaryDemand(),
    frameDescription: new _AncillaryDemand(),
  };
}

/**
 * A match's program as checked once for all the rules of a set that repeat
 * it (immutable, shared): a `--u32` (its tests, BPF form and whether that
 * form passes the checker), a `--bytecode` (validated, copied) or an
 * `--expr` (validated, packed; `null`: not compiled for that link type).
 */
export type _CheckedProgram = _CheckedU32 | _CheckedBytecode | _CheckedExpression;

/** A `--u32` checked once (see {@linkcode _CheckedProgram}). */
export interface _CheckedU32 {
  /** Its BPF form. */
  readonly program: readonly Instruction[];
  /** Whether the BPF form passes the checker (else the u32 matcher runs). */
  readonly checked: boolean;
  /** Its tests, for the u32 matcher (made only where the BPF form does not pass the checker). */
  readonly tests: readonly U32Test[];
}

/** A `--bytecode` validated once: its copy (see {@linkcode _CheckedProgram}). */
export interface _CheckedBytecode {
  /** The validated copy. */
  readonly copy: readonly Instruction[];
}

/** An `--expr` for one link type, validated once (see {@linkcode _CheckedProgram}). */
export interface _CheckedExpression {
  /** Its program, packed; `null`: not compiled for that link type. */
  readonly packed: _PackedProgram | null;
}

/** One match, checked and ready to be compiled. */
export interface _PreparedMatch {
  /**
   * Names the match's program (`--u32`, `--bytecode`, `--expr`) within one
   * compile: two prepared matches with the same key have the same `program`
   * and `ethernetOnly`, so what is derived from the program alone (its
   * summary, its Wasm code) may be shared. Absent for other matches.
   */
  readonly key?: string;
  /** The match's program as summaries read it (not inverted), or `null`. */
  program: readonly Instruction[] | null;
  /** Whether `program` is what the match runs on EN10MB frames only (link-base `--expr`). */
  ethernetOnly: boolean;
  /** Whether the match is inverted (`!`). */
  invert: boolean;
  /** For `-s`/`-d`: the parsed network (immutable, shared by the matches of that text). */
  readonly network?: _Network;
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
   * Present exactly when `compiledProgram` is: the same verdicts from
   * `program` run by the reference interpreter (nothing compiled or cached;
   * the settings' demands told first), for calls over the test-making budget
   * (./_test_making_budget.ts).
   */
  interpreted?: CompiledProgram;
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

/** Offset in the IP header of the `-s`/`-d` address of `version`. */
export function _addressOffset(version: number, direction: "source" | "destination"): number {
  return version === 4 ? (direction === "source" ? 12 : 16) : (direction === "source" ? 8 : 24);
}

/**
 * The network of a `-s`/`-d` match, parsed once per rule set (`settings`)
 * and text; throws naming the rule when it is not an address.
 */
function _addressNetwork(
  match: AddressMatch,
  settings: _Settings,
  chain: string,
  ruleNumber: number,
): _Network {
  const text = `${match.address}/${match.prefixLength}`;
  let network = settings.networks.get(text);
  if (network === undefined) {
    const parsed = _parseNetwork(text);
    if (typeof parsed === "string") throw _ruleError(parsed, chain, ruleNumber);
    network = parsed;
    settings.networks.set(text, network);
  }
  return network;
}

function _addressTest(
  direction: AddressMatch["direction"],
  invert: boolean,
  network: _Network,
): _Test {
  const version = network.version;
  const want = network.bytes;
  const size = want.length;
  const fieldOffset = _addressOffset(version, direction);
  const headerLength = version === 4 ? 20 : 40;
  const prefix = network.prefixLength;
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
    _demandFor(program, settings);
  }
  return compiled;
}

/** Tells the settings' demands what `program` reads, before it first runs. */
function _demandFor(program: readonly Instruction[], settings: _Settings): void {
  if (_readsAncillary(program)) settings.ancillary.demand();
  if (_needsFrameDescription(program)) settings.frameDescription.demand();
}

/**
 * `program()` (validated) run by the reference interpreter, its demands told
 * before its first run (for calls over the making budget). The program is
 * read once, on the first call, and kept (the interpreter checks each program
 * once): a match interpreted keeps its instructions unpacked.
 */
function _interpretedProgram(
  program: () => readonly Instruction[],
  settings: _Settings,
): CompiledProgram {
  let instructions: readonly Instruction[] | undefined;
  return (packet, context) => {
    if (instructions === undefined) {
      instructions = program();
      _demandFor(instructions, settings);
    }
    // Checked when prepared (the compiled form runs it, or its same-meaning original).
    return _interpretChecked(instructions, packet, context);
  };
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
      // As `-p` parses it: a number of the IP header's protocol byte.
      if (!Number.isInteger(protocol) || protocol < 0 || protocol > 255) {
        throw _ruleError(`protocol "${protocol}" is not a number from 0 to 255`, chain, ruleNumber);
      }
      if (protocol === 0) return _always(match, () => invert ? () => false : null);
      const test: _Test = (state) => {
        const actual = _upperProtocol(state);
        return actual >= 0 && (actual === protocol) !== invert;
      };
      return { program: null, ethernetOnly: false, invert, match, build: () => test };
    }
    case "address": {
      const network = _addressNetwork(match, settings, chain, ruleNumber);
      // Built when first run (the Wasm classifier never runs it), from the match as it is now.
      const { direction, invert } = match;
      return {
        program: null,
        ethernetOnly: false,
        invert: match.invert,
        match,
        network,
        build: () => _addressTest(direction, invert, network),
      };
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
  const key = `u32 ${match.expression}`;
  let shared = settings.programs.get(key) as _CheckedU32 | undefined;
  if (shared === undefined) {
    try {
      const tests = _parsedU32(match.expression);
      const program = u32ToBpf(tests);
      // The BPF form (tested equal to the u32 match in tests/u32_bpf_test.ts)
      // runs as every program does; the u32 matcher where that form does not
      // pass the checker (over 4096 instructions).
      shared = { program, checked: _passesChecker(program), tests };
    } catch (error) {
      throw _ruleError(`bad --u32 "${match.expression}"`, chain, ruleNumber, error);
    }
    settings.programs.set(key, shared);
  }
  const { program, checked, tests } = shared;
  const invert = match.invert;
  let memo: CompiledProgram | undefined;
  const compiled = () => memo ??= _compileValidated(program, settings);
  const build = (): _Test => {
    if (checked) return _programTest(compiled(), base, invert);
    const matcher = compileU32(tests);
    return base === _BASE_NETWORK
      ? (state) => matcher(state.bytes, state.network) !== invert
      : (state) => matcher(state.bytes, state.link) !== invert;
  };
  return {
    key,
    program,
    ethernetOnly: false,
    invert,
    match,
    build,
    compiledProgram: checked ? compiled : undefined,
    interpreted: checked ? _interpretedProgram(() => program, settings) : undefined,
    programFor: checked ? compiled : undefined,
  };
}

/** Scratch for {@linkcode _bytecodeKey}: four 16-bit units an instruction. */
let _keyUnits = new Uint16Array(256);

/**
 * A key naming a `--bytecode` program by its instructions (four 16-bit
 * units each: code, jt and jf, k), or `undefined` when an instruction is not
 * an object of integers in their ranges (the checker then says why).
 */
function _bytecodeKey(program: readonly Instruction[]): string | undefined {
  if (!Array.isArray(program) || program.length > 4096) return undefined;
  if (_keyUnits.length < 4 * program.length) _keyUnits = new Uint16Array(4 * program.length);
  const units = _keyUnits;
  for (let i = 0; i < program.length; i++) {
    const instruction: unknown = program[i];
    if (typeof instruction !== "object" || instruction === null) return undefined;
    // (Typed as an instruction; its fields are checked here.)
    const { code, jt, jf, k } = instruction as Instruction;
    if (!_fieldsFit(code, jt, jf, k)) return undefined;
    units[4 * i] = code;
    units[4 * i + 1] = (jt << 8) | jf;
    units[4 * i + 2] = k >>> 16;
    units[4 * i + 3] = k & 0xffff;
  }
  let key = "bpf ";
  for (let at = 0; at < 4 * program.length; at += 4096) {
    const end = Math.min(4 * program.length, at + 4096);
    key += String.fromCharCode.apply(null, units.subarray(at, end) as unknown as number[]);
  }
  return key;
}

function _prepareBytecode(
  program: readonly Instruction[],
  match: Match & { kind: "bpf" },
  base: number,
  settings: _Settings,
  chain: string,
  ruleNumber: number,
): _PreparedMatch {
  const key = _bytecodeKey(program);
  let copy = key === undefined
    ? undefined
    : (settings.programs.get(key) as _CheckedBytecode | undefined)?.copy;
  if (copy === undefined) {
    try {
      validate(program, { maxInstructions: settings.maxInstructions });
    } catch (error) {
      throw _ruleError("bad --bytecode program", chain, ruleNumber, error);
    }
    copy = program.map(({ code, jt, jf, k }) => ({ code, jt, jf, k: k >>> 0 }));
    if (key !== undefined) settings.programs.set(key, { copy });
  }
  const shared = copy;
  let memo: CompiledProgram | undefined;
  const compiled = () => memo ??= _compileValidated(shared, settings);
  return {
    key,
    program: shared,
    ethernetOnly: false,
    invert: match.invert,
    match,
    build: () => _programTest(compiled(), base, match.invert),
    compiledProgram: compiled,
    interpreted: _interpretedProgram(() => shared, settings),
    programFor: compiled,
  };
}

/**
 * The validated program of an expression for a link type, packed, checked
 * once per rule set (see {@linkcode _expressionProgram}); `null` when it
 * cannot be compiled for the link type and `orNull`, else that throws.
 */
function _checkedExpression(
  expression: string,
  linkType: number,
  settings: _Settings,
  orNull: boolean,
): _PackedProgram | null {
  const key = `expr ${linkType} ${expression}`;
  const known = settings.programs.get(key) as _CheckedExpression | undefined;
  if (known !== undefined) {
    if (known.packed === null && !orNull) return _expressionProgram(expression, linkType, false);
    return known.packed;
  }
  let packed: _PackedProgram | null;
  try {
    // Once per rule set and key: compileFilter's memo would only copy it.
    packed = _expressionProgram(expression, linkType, false);
  } catch (error) {
    if (!orNull) throw error;
    packed = null;
  }
  settings.programs.set(key, { packed });
  return packed;
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
      packed = _checkedExpression(expression, LINKTYPE_RAW, settings, false)!;
    } catch (error) {
      throw _ruleError(`bad --expr "${expression}"`, chain, ruleNumber, error);
    }
    let memo: CompiledProgram | undefined;
    const compiled = () => memo ??= _compileValidated(_unpackProgram(packed), settings);
    return new _ExpressionMatch(
      `expr ${LINKTYPE_RAW} ${expression}`,
      () => packed,
      false,
      invert,
      match,
      () => _programTest(compiled(), base, invert),
      compiled,
      _interpretedProgram(() => _unpackProgram(packed), settings),
      // The same program for every frame (a one-rule set's batch path counts with it).
      compiled,
    );
  }
  // Link base: one program per capture interface (as `tcpdump -r` compiles
  // for that file), or else per link type (as `pcap_open_dead`), compiled
  // when first needed. An interface or link type the expression cannot be
  // compiled for never matches.
  // (Made when first needed: the Wasm classifier of a big set may never ask.)
  let cache: Map<string | number, CompiledProgram | null> | undefined;
  // The Ethernet program is compiled when first read (by the summaries of
  // an indexed set): a set evaluated rule by rule never reads it.
  const ethernet = (): _PackedProgram | null =>
    _checkedExpression(expression, LINKTYPE_EN10MB, settings, true);
  // The Ethernet program in the interpreter, for calls over the making budget
  // (`null`: it never matches there), made once.
  let interpretedEthernet: CompiledProgram | null | undefined;
  const ethernetInterpreted = (): CompiledProgram | null => {
    if (interpretedEthernet === undefined) {
      const packed = ethernet();
      interpretedEthernet = packed === null
        ? null
        : _interpretedProgram(() => _unpackProgram(packed), settings);
    }
    return interpretedEthernet;
  };
  const programFor = (frame: FrameRef): CompiledProgram | null => {
    const captureInterface = frame.captureInterface;
    const key = _linkKey(frame.linkType, captureInterface);
    cache ??= new Map();
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
        if (cache?.has(_linkKey(linkType, captureInterface)) !== true) {
          // Not made yet for this interface: over the making budget, an
          // Ethernet frame runs the Ethernet program in the interpreter (the
          // interface's program differs only in its accept value).
          let start = _startMaking();
          if (start === null && linkType === LINKTYPE_EN10MB) {
            _interpretedCall();
            const interpreted = ethernetInterpreted();
            return interpreted !== null && (interpreted(state.bytes, state.link) !== 0) !== invert;
          }
          start ??= _forcedStart();
          last = programFor(state.frame);
          _endMaking(start);
        } else last = programFor(state.frame);
        lastType = linkType;
        lastInterface = captureInterface;
      }
      if (last === null) return false;
      return (last(state.bytes, state.link) !== 0) !== invert;
    };
  };
  return new _ExpressionMatch(
    `link ${expression}`,
    ethernet,
    true,
    invert,
    match,
    build,
    undefined,
    undefined,
    programFor,
  );
}

/**
 * A prepared `--expr` match that keeps its program packed (8 bytes an
 * instruction; a 10,000-rule set keeps 10,000 of them), made when first
 * read, and unpacks it on each read of `program` (read it once).
 */
class _ExpressionMatch implements _PreparedMatch {
  readonly key: string;
  #packed: _PackedProgram | null | undefined;
  readonly #pack: () => _PackedProgram | null;
  readonly ethernetOnly: boolean;
  readonly invert: boolean;
  readonly match: Match;
  readonly build: () => _Test | null;
  readonly compiledProgram: (() => CompiledProgram) | undefined;
  readonly interpreted: CompiledProgram | undefined;
  readonly programFor: ((frame: FrameRef) => CompiledProgram | null) | undefined;

  constructor(
    key: string,
    pack: () => _PackedProgram | null,
    ethernetOnly: boolean,
    invert: boolean,
    match: Match,
    build: () => _Test | null,
    compiledProgram: (() => CompiledProgram) | undefined,
    interpreted: CompiledProgram | undefined,
    programFor: ((frame: FrameRef) => CompiledProgram | null) | undefined,
  ) {
    this.key = key;
    this.#pack = pack;
    this.ethernetOnly = ethernetOnly;
    this.invert = invert;
    this.match = match;
    this.build = build;
    this.compiledProgram = compiledProgram;
    this.interpreted = interpreted;
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
/** The snaplen link-base programs of capture interfaces are compiled with (see `_linkKey`). */
const _LINK_TEST_SNAPLEN = 262144;

/**
 * What a link-base `--expr` program made for a frame of `linkType` on
 * capture interface `captureInterface` depends on as a test: the link type
 * alone without an interface; with one, its link type, and its byte order
 * where the compiler reads it (BSD loopback). The interface's snaplen only
 * sets the value a matching packet gets (libpcap's `ret #snaplen`), never
 * whether it matches, so interfaces that differ in it alone share one
 * program, and so do the streams that declare them. A link type the
 * compiler does not know has no program for any expression: all of them
 * share one key; so do those libpcap has no link-layer description for
 * (their programs read no link-type field, the same for all). So a match
 * keeps at most 14 programs, however many
 * captures or interfaces (up to 65,536 in a pcapng upload) it meets.
 */
export function _linkKey(
  linkType: number,
  captureInterface: FilterInterface | undefined,
): string | number {
  if (captureInterface === undefined) return linkType;
  const type = captureInterface.linkType;
  // Without a link-layer description, programs read no link-type field: one for all such types.
  if (_isLinkFreeLinkType(type)) return "link-free";
  if (!_isSupportedLinkType(type)) return "unsupported";
  if (!_readsSavefileByteOrder(type)) return `${type}`;
  return `${type} ${captureInterface.littleEndian ? "le" : "be"}`;
}

function _linkProgram(
  expression: string,
  linkType: number,
  captureInterface: FilterInterface | undefined,
): readonly Instruction[] | null {
  try {
    if (captureInterface === undefined) {
      return _unpackProgram(_expressionProgram(expression, linkType));
    }
    // The snaplen only sets what a match returns (`ret #snaplen`): one for all (see `_linkKey`).
    const options = { ...filterOptionsForInterface(captureInterface), snaplen: _LINK_TEST_SNAPLEN };
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
 * The program of an expression for a link type, validated and packed: what
 * its test runs, the optimised program (tcpdump's, `nfbpf_compile`'s: what
 * the kernel's xt_bpf runs), or the unoptimised one where optimising gives
 * nothing the checker accepts. Summaries, the Wasm code and calls over the
 * making budget read it too: the two do not mean the same where a load fails
 * (the optimiser drops loads whose result the rest makes moot: the
 * unoptimised program returns 0 there, the optimised one may accept; tests in
 * tests/expr_optimised_meaning_test.ts). Throws where the expression cannot
 * be compiled for the link type. `memo`: through `compileFilter`'s memo
 * (callers that do not keep the program by key themselves).
 */
function _expressionProgram(expression: string, linkType: number, memo = true): _PackedProgram {
  try {
    const program = memo
      ? compileFilter(expression, { linkType })
      : _compileOptimised(expression, linkType);
    validate(program, { maxInstructions: 4096 });
    return _packProgram(program);
  } catch {
    // Errors as the unoptimised compile gives them (the optimiser adds "rejects all packets").
  }
  const packed = _unoptimisedPacked(expression, linkType);
  _validateCached(packed);
  return packed;
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
