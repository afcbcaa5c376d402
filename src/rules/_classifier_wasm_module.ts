/**
 * Private: a whole rule set's classifier as one WebAssembly module, emitted
 * from the structures the generated JavaScript walk (./_classifier_source.ts)
 * is emitted from: each chain's index (./_rule_index.ts), its rules' kinds
 * and matches, and the lowered cBPF programs (../bpf/_lower.ts, run by the
 * Wasm backend's own program emitter, ../bpf/_wasm_codegen.ts).
 *
 * The module's functions, over the memory of ./_classifier_wasm_layout.ts:
 * - per rule, `test(frame) → 0/1`: its matches in order (`-p`, `-s`/`-d`,
 *   whole-name `-i`/`-o` and programs in Wasm; others, such as `-i eth+`,
 *   link-base `--expr`, programs that read ancillary fields, call back into
 *   JavaScript: `jsMatch`);
 * - per chain, `collect(frame) → bound`: the index walk, as the generated
 *   JavaScript `collect` (a node's bound and class tests, its field loaded
 *   inline, its children dispatched on the masked key by a binary decision
 *   tree, range nodes by a decision tree over their interval starts and then
 *   the segment-tree path), filling the chain's two-level bit set of codes
 *   (a leaf's codes only up to the bound: a leaf costs what it lists below
 *   the bound, not its length);
 * - per chain, `run(frame, resume) → result`: the candidate loop in rule
 *   order, as the generated JavaScript `run` (same results: `_R_END`,
 *   `_R_ACCEPT`, `_R_DROP`, or the position of a rule that jumps), counting
 *   every matching rule in the float64 counters; for chains of up to
 *   {@linkcode _RUN_CASES_RULES} rules one case per listed code (a jump
 *   table: the rule's kind, base, counters and test known at emission),
 *   and where every chain is that short and no path of jumps is deeper
 *   than {@linkcode _NESTED_DEPTH} chains, a jump or goto calls its target
 *   chain's `run` directly;
 * - `classify(frame) → 1/0`: the chain stack (as ./_classifier.ts's indexed
 *   walk), or with direct calls the entry chain's result; the policy
 *   counters;
 * - `batch(first, count)`: `classify` over frame records, totals counted,
 *   verdicts and deciding counters stored;
 * - `stage` and `records`: frames described and classified in the module
 *   (./_classifier_wasm_stage.ts).
 *
 * @module
 */
import { _Locals, _ProgramEmitter } from "../bpf/_wasm_codegen.ts";
import { _encodeModule, _F64, _I32, _OP, _WasmCode } from "../bpf/_wasm_encoder.ts";
import { _WasmBlocks } from "../bpf/_wasm_blocks.ts";
import type { _WasmFunction } from "../bpf/_wasm_encoder.ts";
import { _lower, type _LoweredProgram } from "../bpf/_lower.ts";
import type { Instruction } from "../bpf/instruction.ts";
import { LINKTYPE_EN10MB } from "../capture/link_types.ts";
import { type _InterfacePattern, _MAX_INTERFACE_PATTERNS } from "./_interface_patterns.ts";
import { _END, type _IndexNode } from "./_rule_index.ts";
import {
  _F_ADDRESS,
  _F_INTERFACE,
  _F_LENGTH,
  _F_LINK_TYPE,
  _F_PACKET,
  _F_UPPER_PROTOCOL,
  type _Field,
} from "./_fields.ts";
import { _BASE_NETWORK, type _PreparedMatch } from "./_match_tests.ts";
import { _readsAncillary } from "./_reads_ancillary.ts";
import { type _Network, _parseNetwork } from "./_ip.ts";
import type { _Guard } from "./_guards.ts";
import { _addressOffset } from "./_match_tests.ts";
import { _R_ACCEPT, _R_DROP, _R_END } from "./_classifier_source.ts";
import { _C_ALL, _C_NOT_IP, _isVersionByte } from "./_frame_class.ts";
import { _codeFacts, _unimplied } from "./_classifier_wasm_facts.ts";
import {
  _recordsCallFunction,
  _recordsFunction,
  _recordsRunFunction,
  _stageFunction,
} from "./_classifier_wasm_stage.ts";
import {
  type _WasmLayout,
  DECIDED,
  FR_CLASS,
  FR_IN,
  FR_IP_VERSION,
  FR_IS_IP,
  FR_LINK,
  FR_LINK_TYPE,
  FR_NET,
  FR_NET_CAPTURED,
  FR_NET_START,
  FR_OUT,
  FR_PATTERNS,
  FR_SIZE,
  FR_UPPER,
  FRAME_BYTES,
  RULE_BYTES,
  W_BASE,
  W_LOAD_END,
  W_MAC,
  W_NETWORK,
  W_WIRE,
} from "./_classifier_wasm_layout.ts";

/** Rule kinds (./_classifier.ts `_T_*`). */
const KIND_NONE = 0;
const KIND_ACCEPT = 1;
const KIND_DROP = 2;
const KIND_RETURN = 3;
const KIND_JUMP = 4;
const KIND_GOTO = 5;

/** `run`'s result while the walk goes on. */
const NEXT = -4;

/**
 * The bounds of an emitted module: its largest function body (V8 refuses
 * bodies past 7,654,321 bytes) and its whole code. Past either, there is no
 * module and the default classifier runs (tests lower them to reach that).
 */
export const _wasmModuleLimits = { functionBytes: 7_000_000, moduleBytes: 64 << 20 };

// Function indices: the imports first.
const F_LOAD_INDEX = 0;
const F_JS_MATCH = 2;
const F_JS_FIELD = 3;
const F_LAZY_TEST = 4;
const IMPORTS = 5;

// Type indices.
const T_LOAD_INDEX = 0;
const T_ANCILLARY = 1;
const T_ONE = 2; // (i32) → i32: tests, collects
const T_TWO = 3; // (i32, i32) → i32: runs, jsMatch
const T_FIELD = 4; // (i32, i32) → f64: jsField
const T_BATCH = 5; // (i32, i32) → ()
const T_STAGE = 6; // (i32, i32, i32) → ()
const T_RECORDS = 7; // (i32, i32, i32) → i32
const T_RUN_RECORDS = 8; // () → i32: records with the entry chain inline
const T_CHUNK = 7; // (frame, bound, key) → bound: a dispatch cut off a walk function

/** The module's function types (by the `T_*` indices). */
const _TYPES = [
  { params: [_I32, _I32, _I32, _I32, _I32, _I32], results: [_I32] },
  { params: [_I32, _I32, _I32, _I32, _I32, _I32, _I32], results: [_F64] },
  { params: [_I32], results: [_I32] },
  { params: [_I32, _I32], results: [_I32] },
  { params: [_I32, _I32], results: [_F64] },
  { params: [_I32, _I32], results: [] },
  { params: [_I32, _I32, _I32], results: [] },
  { params: [_I32, _I32, _I32], results: [_I32] },
  { params: [], results: [_I32] },
];

/** The imports rule tests may call (a lazily made test's module imports them alike). */
const _FUNCTION_IMPORTS = [
  { name: "loadIndex", type: T_LOAD_INDEX },
  { name: "ancillary", type: T_ANCILLARY },
  { name: "jsMatch", type: T_TWO },
  { name: "jsField", type: T_FIELD },
];

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

/** The emitted module, and what its calls back into JavaScript refer to. */
export interface _EmittedModule {
  bytes: Uint8Array<ArrayBuffer>;
  /** The tests made on their first call (`lazyTest`), and the rules they test. */
  lazy: _LazyTests & { rules: readonly _WasmRule[] };
  /** `jsMatch(q, frame)`: match `escapes[q]`, of a rule at `escapeBases[q]`. */
  escapes: _PreparedMatch[];
  /** Why each escaped match is not in Wasm. */
  escapeReasons: string[];
  /** Whether some field is loaded through `jsField`. */
  fieldCalls: boolean;
  /** Whether some test or field reads the upper-layer protocol (`FR_UPPER`). */
  readsUpper: boolean;
  /** Whether some field reads the interface numbers (`FR_IN`, `FR_OUT`). */
  readsInterfaces: boolean;
  /** The `-i`/`-o` patterns whose bits `FR_PATTERNS` holds (./_interface_patterns.ts). */
  interfacePatterns: _InterfacePattern[];
  /**
   * Tests: the code's form: chains that call their targets directly, `records`
   * with the entry chain's `run` inline, chains whose loop has a case per code.
   */
  form: { directCalls: boolean; recordsRunEntry: boolean; caseChains: number };
}

/** What the module reads that JavaScript fills per frame. */
interface _ModuleFlags {
  fieldCalls: boolean;
  readsUpper: boolean;
  readsInterfaces: boolean;
  /** The `-i`/`-o` patterns tested by bits of `FR_PATTERNS`, by `direction name`. */
  patterns: Map<string, number>;
}

/** A classifier function's body: structured control plus frame record reads. */
class _Body extends _WasmBlocks {
  /** Pushes frame record word `word` (the frame address is local 0). */
  word(word: number): this {
    this.c.get(0).memory(_OP.i32Load, 4 * word);
    return this;
  }
  /**
   * In a chain's `run` of cases: the label of the block that holds its whole
   * code, whose value is the run's result (so that the same code can run
   * inline in the records loop, ./_classifier_wasm_stage.ts); -1 elsewhere.
   */
  exit = -1;
  /** Ends the function with the value on the stack: `return`, or a branch out of `exit`. */
  leave(): void {
    if (this.exit < 0) this.c.op(_OP.return);
    else this.br(this.exit);
  }
  /** `if (top) return value` (see {@linkcode leave}). */
  returnIf(value: number): void {
    this.open(_OP.if);
    this.c.i32(value);
    this.leave();
    this.close();
  }
  /**
   * In a rule's test: the label its failure branches to where the test is
   * inlined in its chain's candidate loop, -1 in a test function of its own
   * (the failure returns 0).
   */
  failLabel = -1;
  /** In a rule's test: `if (top) the test fails`. */
  failIf(): void {
    if (this.failLabel < 0) this.returnIf(0);
    else this.brIf(this.failLabel);
  }
  /** In a rule's test: the test fails. */
  fail(): void {
    if (this.failLabel < 0) this.c.i32(0).op(_OP.return);
    else this.br(this.failLabel);
  }
}

/** Loads `size` bytes big-endian at the address on the stack plus `offset` (`temp`: a scratch local). */
function _read(c: _WasmCode, size: number, offset: number, temp: number): void {
  c.memory(size === 1 ? _OP.i32Load8U : size === 2 ? _OP.i32Load16U : _OP.i32Load, offset);
  if (size === 2) {
    c.tee(temp).i32(8).op(_OP.i32Shl).get(temp).i32(8).op(_OP.i32ShrU).op(_OP.i32Or)
      .i32(0xffff).op(_OP.i32And);
  } else if (size === 4) {
    c.tee(temp).i32(8).op(_OP.i32Rotr).i32(0xff00ff00).op(_OP.i32And)
      .get(temp).i32(8).op(_OP.i32Rotl).i32(0x00ff00ff).op(_OP.i32And).op(_OP.i32Or);
  }
}

/**
 * What a walk's code has established where it is emitted (on every path to
 * it): the frame classes it can run for, and how many bytes of the network
 * and link windows a load on the way read (so they are within `loadEnd`).
 */
interface _WalkKnown {
  classes: number;
  net: number;
  link: number;
}

/** Locals of a function that loads fields. */
interface _FieldLocals {
  v: number;
  isIp: number;
  temp: number;
  offset: number;
  value: number; // f64
  /** Locals holding the windows' base and loadEnd (network, link), when loaded once per call. */
  windows?: readonly [number, number, number, number];
}

/** Pushes a window's base or loadEnd: from its local when loaded once, else from the record. */
function _windowWord(
  b: _Body,
  L: Pick<_FieldLocals, "windows">,
  window: number,
  word: number,
): void {
  if (L.windows === undefined) {
    b.word(window + word);
    return;
  }
  b.c.get(L.windows[(window === FR_NET ? 0 : 2) + (word === W_BASE ? 0 : 1)]);
}

/**
 * Emits the value of `field` into `v`, branching to `fail` where it cannot
 * be loaded (as `_loadField`, and the generated JavaScript's `_loadSource`).
 */
function _emitField(
  b: _Body,
  field: _Field,
  fail: number,
  L: _FieldLocals,
  module: _ModuleFlags,
  known?: _WalkKnown,
): void {
  const c = b.c;
  const network = field.base === _BASE_NETWORK;
  const window = network ? FR_NET : FR_LINK;
  if (field.kind === _F_PACKET || field.kind === _F_LENGTH) {
    // A frame of a class with an IP header has one.
    if (network && (known === undefined || (known.classes & _C_NOT_IP) !== 0)) {
      c.get(L.isIp).op(_OP.i32Eqz);
      b.brIf(fail);
    }
  }
  if (field.kind === _F_LENGTH) {
    b.word(window + W_WIRE);
    c.set(L.v);
    return;
  }
  const size = field.size;
  if (field.kind === _F_PACKET && field.msh < 0 && field.offset >= 0) {
    // `_loadIndex`'s non-negative branch: offset + size within loadEnd - base
    // (known where a load on the way here read at least as far).
    const loaded = known === undefined ? 0 : network ? known.net : known.link;
    if (field.offset + size > loaded) {
      _windowWord(b, L, window, W_LOAD_END);
      _windowWord(b, L, window, W_BASE);
      c.op(_OP.i32Sub).i32(size).op(_OP.i32Sub).i32(field.offset).op(_OP.i32LtS);
      b.brIf(fail);
    }
    _windowWord(b, L, window, W_BASE);
    _read(c, size, field.offset, L.temp);
    c.set(L.v);
    return;
  }
  if (field.kind === _F_PACKET && field.msh < 0) {
    // A negative window (`SKF_NET_OFF`, `SKF_LL_OFF`): the engine's `loadIndex`.
    b.word(window + W_BASE).word(window + W_LOAD_END).word(window + W_NETWORK)
      .word(window + W_MAC);
    c.i32(field.offset).i32(size).opIndex(_OP.call, F_LOAD_INDEX).tee(L.temp).i32(0)
      .op(_OP.i32LtS);
    b.brIf(fail);
    c.get(L.temp);
    _read(c, size, 0, L.temp);
    c.set(L.v);
    return;
  }
  if (
    field.kind === _F_PACKET && field.msh >= 0 && field.msh < 0x10000000 && field.offset >= 0 &&
    field.offset < 0x10000000 && field.second < 0x10000000
  ) {
    // `ldx 4*([msh]&0xf)`, then the load at X + offset (both non-negative);
    // with `second`, plus 4 × the high nibble of the byte at X + second.
    _windowWord(b, L, window, W_LOAD_END);
    _windowWord(b, L, window, W_BASE);
    c.op(_OP.i32Sub).i32(1).op(_OP.i32Sub).i32(field.msh).op(_OP.i32LtS);
    b.brIf(fail);
    _windowWord(b, L, window, W_BASE);
    c.memory(_OP.i32Load8U, field.msh).i32(15).op(_OP.i32And).i32(2).op(_OP.i32Shl)
      .set(L.offset);
    if (field.second >= 0) {
      _windowWord(b, L, window, W_LOAD_END);
      _windowWord(b, L, window, W_BASE);
      c.op(_OP.i32Sub).i32(1).op(_OP.i32Sub).get(L.offset).i32(field.second).op(_OP.i32Add)
        .op(_OP.i32LtS);
      b.brIf(fail);
      _windowWord(b, L, window, W_BASE);
      c.get(L.offset).op(_OP.i32Add).memory(_OP.i32Load8U, field.second).i32(4)
        .op(_OP.i32ShrU).i32(2).op(_OP.i32Shl).get(L.offset).op(_OP.i32Add).set(L.offset);
    }
    c.get(L.offset).i32(field.offset).op(_OP.i32Add).set(L.offset);
    _windowWord(b, L, window, W_LOAD_END);
    _windowWord(b, L, window, W_BASE);
    c.op(_OP.i32Sub).i32(size).op(_OP.i32Sub).get(L.offset).op(_OP.i32LtS);
    b.brIf(fail);
    _windowWord(b, L, window, W_BASE);
    c.get(L.offset).op(_OP.i32Add);
    _read(c, size, 0, L.temp);
    c.set(L.v);
    return;
  }
  if (field.kind === _F_ADDRESS) {
    // `_addressWord`: the word of that IP version's header, captured whole.
    const version = field.size;
    c.get(L.isIp).op(_OP.i32Eqz);
    b.brIf(fail);
    b.word(FR_IP_VERSION);
    c.i32(version).op(_OP.i32Ne);
    b.brIf(fail);
    b.word(FR_NET_CAPTURED);
    c.i32(version === 4 ? 20 : 40).op(_OP.i32LtS);
    b.brIf(fail);
    b.word(FR_NET_START);
    _read(c, 4, field.offset, L.temp);
    c.set(L.v);
    return;
  }
  if (field.kind === _F_UPPER_PROTOCOL) {
    module.readsUpper = true;
    _emitUpper(b, L.v);
    c.get(L.v).i32(0).op(_OP.i32LtS);
    b.brIf(fail);
    return;
  }
  if (field.kind === _F_LINK_TYPE) {
    b.word(FR_LINK_TYPE);
    c.set(L.v);
    return;
  }
  if (field.kind === _F_INTERFACE) {
    module.readsInterfaces = true;
    b.word(field.offset === 0 ? FR_IN : FR_OUT);
    c.tee(L.v).i32(0).op(_OP.i32LtS);
    b.brIf(fail);
    return;
  }
  // Interface names, ancillary values, unusual offsets: `_loadField` in JavaScript.
  module.fieldCalls = true;
  c.i32(field.id).get(0).opIndex(_OP.call, F_JS_FIELD).tee(L.value).f64(0).op(0x63); // f64.lt
  b.brIf(fail);
  c.get(L.value).op(_OP.i32TruncF64U).set(L.v);
}

/**
 * Puts the upper-layer protocol as `-p` reads it (`_upperProtocol`) in
 * local `v`, or -1: IPv4's protocol byte inline (as the generated
 * JavaScript), IPv6's (extension headers skipped) from the frame record.
 */
function _emitUpper(b: _Body, v: number): void {
  const c = b.c;
  c.i32(-1).set(v);
  const done = b.open(_OP.block);
  b.word(FR_IS_IP);
  c.op(_OP.i32Eqz);
  b.brIf(done);
  b.word(FR_IP_VERSION);
  c.i32(4).op(_OP.i32Eq);
  b.open(_OP.if);
  b.word(FR_NET_CAPTURED);
  c.i32(10).op(_OP.i32LtS);
  b.brIf(done);
  b.word(FR_NET_START);
  c.memory(_OP.i32Load8U, 9).set(v);
  b.else();
  b.word(FR_UPPER);
  c.set(v);
  b.close();
  b.close();
}

/**
 * Dispatches on the uint32 in local `key` among dense sorted `keys` with one
 * `br_table` (a jump table, as V8 compiles a dense `switch`): each case's
 * code follows the end of its block.
 */
function _emitTable(b: _Body, key: number, keys: readonly number[], emitCase: (i: number) => void) {
  const c = b.c;
  const base = keys[0] >>> 0;
  const span = (keys[keys.length - 1] >>> 0) - base + 1;
  const end = b.open(_OP.block);
  const otherwise = b.open(_OP.block);
  const labels: number[] = new Array(keys.length);
  for (let i = keys.length - 1; i >= 0; i--) labels[i] = b.open(_OP.block);
  const targets: number[] = new Array(span).fill(otherwise);
  keys.forEach((k, i) => targets[(k >>> 0) - base] = labels[i]);
  // Keys below the first wrap around to large indices: the default.
  c.get(key).i32(base | 0).op(_OP.i32Sub);
  c.opIndex(_OP.brTable, span);
  for (const label of targets) c.unsigned(b.depth - label);
  c.unsigned(b.depth - otherwise);
  for (let i = 0; i < keys.length; i++) {
    b.close();
    emitCase(i);
    b.br(end);
  }
  b.close();
  b.close();
}

/**
 * Dispatches on the uint32 in local `key` among sorted distinct `keys`: a
 * binary decision tree of unsigned compares, `emitCase(i)` for `keys[i]`.
 * Every compare happens before any case runs (cases may reuse the local).
 */
function _emitDispatch(
  b: _Body,
  key: number,
  keys: readonly number[],
  emitCase: (i: number) => void,
  cut?: (start: number, always?: boolean) => void,
  lo = 0,
  hi = keys.length - 1,
): void {
  const c = b.c;
  if (lo > hi) return;
  const start = c.length;
  const count = hi - lo + 1;
  const span = (keys[hi] >>> 0) - (keys[lo] >>> 0) + 1;
  if (count >= 4 && span <= 2 * count + 16 && count <= _TABLE_CASES) {
    // The cases inline add up to at most about chunkBytes: past that, each
    // further case longer than a call moves to a function of its own.
    _emitTable(b, key, keys.slice(lo, hi + 1), (i) => {
      const caseStart = c.length;
      emitCase(lo + i);
      if (cut !== undefined && c.length - start > _walkCodeLimits.chunkBytes) cut(caseStart, true);
    });
  } else if (hi - lo < 3) {
    let open = 0;
    for (let i = lo; i <= hi; i++) {
      if (i > lo) b.else();
      c.get(key).i32(keys[i] | 0).op(_OP.i32Eq);
      b.open(_OP.if);
      open++;
      emitCase(i);
    }
    for (; open > 0; open--) b.close();
  } else {
    const mid = (lo + hi + 1) >> 1;
    c.get(key).i32(keys[mid] | 0).op(_OP.i32LtU);
    b.open(_OP.if);
    _emitDispatch(b, key, keys, emitCase, cut, lo, mid - 1);
    b.else();
    _emitDispatch(b, key, keys, emitCase, cut, mid, hi);
    b.close();
  }
  cut?.(start);
}

/** Most cases of one jump table (more: a decision tree first, so that its halves can be cut). */
const _TABLE_CASES = 128;

/**
 * How the walks' code is cut into functions (tests lower them to cut
 * everything, and raise them to cut nothing):
 *
 * - `chunkBytes`: a dispatch (or a node's whole children code) longer than
 *   this becomes a function of its own (`(frame, bound, key) → bound`), cut
 *   bottom-up, and a chain's code past twice this goes on in a function of
 *   its own: V8 optimises each function once it is hot, so a big index's
 *   rarely reached values stay on baseline code instead of delaying the hot
 *   ones (measured at 10,000 diverse rules: one 345 KB walk function took
 *   TurboFan 0.4 s while the frames ran its baseline code);
 * - `childBytes`: a child's chain longer than this becomes a function of its
 *   own (`(frame, bound) → bound`);
 * - `inlineBytes`: a range node's child is inlined in the code of every
 *   interval whose segment-tree path passes it when that copies at most this
 *   many bytes (or it serves one interval), else called.
 */
export const _walkCodeLimits = { chunkBytes: 8 * 1024, childBytes: 16 * 1024, inlineBytes: 1024 };

/** State of one chain's `collect` emission. */
interface _CollectEmitter {
  /** Functions split off the walk (see {@linkcode _walkCodeLimits}), and the index of the first. */
  extra: _WasmFunction[];
  firstExtra: number;
  b: _Body;
  L: _WalkLocals;
  words: number;
  used: number;
  module: _ModuleFlags;
  /** What holds where the code is being emitted. */
  known: _WalkKnown;
}

/** Words of a leaf added after one check of the bound (see {@linkcode _emitLeaf}). */
const _LEAF_GROUP_WORDS = 4;

/**
 * The code that adds a leaf's codes at or below the bound to the bit set:
 * its words in ascending order, in groups of {@linkcode _LEAF_GROUP_WORDS},
 * each group after a check that its least code is still at or below the
 * bound (codes past the bound are never taken, so a leaf costs about what
 * it lists below the bound, not its length).
 */
function _emitLeaf(e: _CollectEmitter, leaf: Int32Array): void {
  const { b, L } = e;
  const c = b.c;
  const out = b.open(_OP.block);
  // The codes ascend: words ascend, and so do the used words they mark.
  for (let i = 0; i < leaf.length;) {
    // The group's least code.
    c.get(L.bound).i32(leaf[i]).op(_OP.i32LtS);
    b.brIf(out);
    let u = -1;
    let marks = 0;
    for (let g = 0; g < _LEAF_GROUP_WORDS && i < leaf.length; g++) {
      const w = leaf[i] >>> 5;
      let bits = 0;
      for (; i < leaf.length && leaf[i] >>> 5 === w; i++) bits |= 1 << (leaf[i] & 31);
      _emitOr(c, e.words + 4 * w, bits);
      if (w >>> 5 !== u) {
        if (u >= 0) _emitOr(c, e.used + 4 * u, marks);
        u = w >>> 5;
        marks = 0;
      }
      marks |= 1 << (w & 31);
    }
    _emitOr(c, e.used + 4 * u, marks);
  }
  b.close();
}

/** `memory[address] |= bits` (an int32 word). */
function _emitOr(c: _WasmCode, address: number, bits: number): void {
  c.i32(address).i32(address).memory(_OP.i32Load, 0).i32(bits).op(_OP.i32Or)
    .memory(_OP.i32Store, 0);
}

/** `bound = min(bound, isIp ? endsIp : endsNotIp)`. */
function _emitEnds(e: _CollectEmitter, node: _IndexNode): void {
  const { b, L } = e;
  const c = b.c;
  const { endsIp, endsNotIp } = node;
  if (endsIp === _END && endsNotIp === _END) return;
  if (endsIp === endsNotIp) c.i32(endsIp);
  else c.i32(endsIp).i32(endsNotIp).get(L.isIp).op(_OP.select);
  c.tee(L.temp).get(L.bound).op(_OP.i32LtS);
  b.open(_OP.if);
  c.get(L.temp).set(L.bound);
  b.close();
}

/**
 * Emits `first` and its rest chain (as `_emitChain` of the generated
 * JavaScript). Past twice `_walkCodeLimits.chunkBytes` of code, the rest of
 * the chain goes on in a function of its own (and so on: a long chain's
 * later segments, mostly past the bound, are pieces of their own).
 */
function _emitChain(e: _CollectEmitter, first: _IndexNode): void {
  const caller = e.b;
  const pieces: [number, _Body][] = [];
  for (let node: _IndexNode | null = first; node !== null;) {
    node = _emitChainPiece(e, node, (rest) => {
      // The rest in the next function, its slot taken now (its code comes next).
      const slot = e.extra.length;
      e.extra.push({ type: T_TWO, locals: [], code: new _WasmCode() });
      e.b.c.get(0).get(e.L.bound).opIndex(_OP.call, e.firstExtra + slot).set(e.L.bound);
      const body = new _Body();
      _emitWalkPrelude(body, e.L);
      pieces.push([slot, body]);
      e.b = body;
      return rest;
    });
  }
  for (const [slot, body] of pieces) {
    body.c.get(e.L.bound);
    e.extra[slot] = { type: T_TWO, locals: _COLLECT_LOCALS.slice(1), code: body.c };
  }
  e.b = caller;
}

/**
 * Emits the chain from `first` on into the current body, up to the node
 * where its code passes twice `_walkCodeLimits.chunkBytes`: there,
 * `goOn(node)` emits the call of the rest, and the node is returned (null
 * at the chain's end).
 */
function _emitChainPiece(
  e: _CollectEmitter,
  first: _IndexNode,
  goOn: (node: _IndexNode) => _IndexNode,
): _IndexNode | null {
  const { b, L } = e;
  const c = b.c;
  const chain = b.open(_OP.block);
  const begin = c.length;
  for (let node: _IndexNode | null = first; node !== null; node = node.rest) {
    if (node.least === _END) break;
    // Nothing from here on lists a code that can still be reached.
    c.get(L.bound).i32(node.least).op(_OP.i32LtS);
    b.brIf(chain);
    if (node !== first && c.length - begin > 2 * _walkCodeLimits.chunkBytes) {
      const rest = goOn(node);
      b.close();
      return rest;
    }
    const outer = e.known;
    if ((outer.classes & ~node.classes) === 0) b.open(_OP.block);
    else {
      c.get(L.fc).i32(node.classes).op(_OP.i32And);
      b.open(_OP.if);
    }
    e.known = { ...outer, classes: outer.classes & node.classes };
    if (node.leaf.length > 0) {
      _emitEnds(e, node);
      _emitLeaf(e, node.leaf);
    }
    if (node.field < 0) {
      e.known = outer;
      // A leaf; a segment's last one goes on to the next segment.
      if (node.rest === null) {
        b.br(chain);
        b.close();
        break;
      }
      b.close();
      continue;
    }
    const fail = b.open(_OP.block);
    const source = node.source!;
    _emitField(b, source, fail, L, e.module, e.known);
    // The children run where the field loaded.
    if (source.kind === _F_PACKET && source.msh < 0 && source.offset >= 0) {
      const end = source.offset + source.size;
      if (source.base === _BASE_NETWORK) e.known.net = Math.max(e.known.net, end);
      else e.known.link = Math.max(e.known.link, end);
    }
    c.get(L.v).i32(node.mask | 0).op(_OP.i32And).set(L.key);
    const start = c.length;
    _emitChildren(e, node);
    _cut(e, L.key, start);
    e.known = outer;
    b.close();
    b.close();
  }
  b.close();
  return null;
}

/**
 * Moves the code from `start` on (a dispatch on local `key`, all its
 * branches to its own labels) into a function of its own
 * (`(frame, bound, key) → bound`) when it is longer than
 * `_walkCodeLimits.chunkBytes` (`always`: than a call), and calls it instead.
 */
function _cut(e: _CollectEmitter, key: number, start: number, always = false): void {
  const c = e.b.c;
  const bytes = c.length - start;
  if (bytes <= (always ? _CALL_BYTES : _walkCodeLimits.chunkBytes)) return;
  const moved = c.cut(start);
  const f = new _Body();
  // The key arrives in local `v` (the third parameter; `v` is scratch).
  f.c.get(e.L.v).set(key);
  _emitWalkPrelude(f, e.L);
  f.c.append(moved);
  f.c.get(e.L.bound);
  e.extra.push({ type: T_CHUNK, locals: _CHUNK_LOCALS, code: f.c });
  c.get(0).get(e.L.bound).get(key).opIndex(_OP.call, e.firstExtra + e.extra.length - 1)
    .set(e.L.bound);
}

/** Code no longer than a cut's call (a case this short stays inline). */
const _CALL_BYTES = 16;

/** Emits a child's walk inline, or as a call of a function of its own when it is long. */
function _emitChild(e: _CollectEmitter, child: _IndexNode): void {
  const c = e.b.c;
  const start = c.length;
  _emitChain(e, child);
  if (c.length - start <= _walkCodeLimits.childBytes) return;
  // Its branches are to its own labels: the code moves as it is.
  const f = _walkPiece(e, c.cut(start));
  c.get(0).get(e.L.bound).opIndex(_OP.call, f).set(e.L.bound);
}

/** Dispatches on the key to `node`'s children (exact table or segment tree). */
function _emitChildren(e: _CollectEmitter, node: _IndexNode): void {
  const { b, L } = e;
  if (node.starts === null) {
    const pairs: [number, _IndexNode][] = [];
    const keys = node.keys!;
    const slots = node.slots!;
    for (let h = 0; h < keys.length; h++) {
      if (slots[h] >= 0) pairs.push([keys[h], node.children[slots[h]]!]);
    }
    pairs.sort((x, y) => x[0] - y[0]);
    _emitDispatch(
      b,
      L.key,
      pairs.map((p) => p[0]),
      (i) => _emitChild(e, pairs[i][1]),
      (start, always) => _cut(e, L.key, start, always),
    );
    return;
  }
  _emitRangeChildren(e, node);
}

/**
 * A range node's children for the key in local `key`: a binary decision
 * tree over the interval starts finds the key's elementary interval, and
 * there, known when the code is emitted, each child on the segment-tree
 * path from that interval's leaf to the root (bottom up, as the data walk
 * visits them) runs: its code inline, or a call where it serves many
 * intervals (`_walkCodeLimits.inlineBytes`). No per-level dispatch at run
 * time: the path is in the code.
 */
function _emitRangeChildren(e: _CollectEmitter, node: _IndexNode): void {
  const { b, L } = e;
  const c = b.c;
  const starts = node.starts!;
  // Intervals whose start is past every uint32 (2^32) hold no key.
  let count = 0;
  while (count < starts.length && starts[count] <= 0xffffffff) count++;
  if (count === 0) return;
  const leaves = node.leaves;
  const height = Math.log2(leaves);
  const codes = new Map<number, Uint8Array>();
  const calls = new Map<number, number>();
  const codeOf = (j: number): Uint8Array => {
    let bytes = codes.get(j);
    if (bytes === undefined) {
      const start = c.length;
      _emitChild(e, node.children[j]!);
      bytes = c.cut(start);
      codes.set(j, bytes);
    }
    return bytes;
  };
  /** Intervals whose path passes tree node `j`. */
  const covered = (j: number): number => {
    const level = Math.floor(Math.log2(j));
    const first = (j << (height - level)) - leaves;
    const last = ((j + 1) << (height - level)) - leaves - 1;
    return Math.max(0, Math.min(last, count - 1) - first + 1);
  };
  const path = (i: number): void => {
    for (let j = i + leaves; j >= 1; j >>= 1) {
      if (node.children[j] === null) continue;
      const bytes = codeOf(j);
      if (bytes.length * covered(j) <= _walkCodeLimits.inlineBytes || covered(j) === 1) {
        c.append(bytes);
        continue;
      }
      let f = calls.get(j);
      if (f === undefined) {
        f = _walkPiece(e, bytes);
        calls.set(j, f);
      }
      c.get(0).get(L.bound).opIndex(_OP.call, f).set(L.bound);
    }
  };
  const search = (lo: number, hi: number): void => {
    const start = c.length;
    if (lo === hi) path(lo);
    else {
      const mid = (lo + hi + 1) >> 1;
      c.get(L.key).i32(starts[mid] | 0).op(_OP.i32LtU);
      b.open(_OP.if);
      search(lo, mid - 1);
      b.else();
      search(mid, hi);
      b.close();
    }
    _cut(e, L.key, start);
  };
  c.get(L.key).i32(starts[0] | 0).op(_OP.i32GeU);
  b.open(_OP.if);
  search(0, count - 1);
  b.close();
}

/** A function `(frame, bound) → bound` running `code` (a walk's piece, its own labels): its index. */
function _walkPiece(e: _CollectEmitter, code: Uint8Array): number {
  const f = new _Body();
  _emitWalkPrelude(f, e.L);
  f.c.append(code);
  f.c.get(e.L.bound);
  e.extra.push({ type: T_TWO, locals: _COLLECT_LOCALS.slice(1), code: f.c });
  return e.firstExtra + e.extra.length - 1;
}

/** The locals of a walk function: `bound` (a parameter of split-off ones), then as `_COLLECT`. */
const _COLLECT_LOCALS = [
  { count: 1, type: _I32 },
  { count: 6, type: _I32 },
  { count: 1, type: _F64 },
  { count: 4, type: _I32 },
];
/** The locals of a dispatch cut off the walk: `bound`, `v` (the key) are parameters. */
const _CHUNK_LOCALS = [
  { count: 5, type: _I32 },
  { count: 1, type: _F64 },
  { count: 4, type: _I32 },
];
/** The locals a walk's code uses. */
interface _WalkLocals {
  bound: number;
  v: number;
  key: number;
  fc: number;
  isIp: number;
  temp: number;
  offset: number;
  /** An f64. */
  value: number;
  windows: readonly [number, number, number, number];
}
/** The locals of a walk inlined in its chain's `run`, from `first` on, as `_COLLECT_LOCALS` declares them. */
function _walkLocalsAt(first: number): _WalkLocals {
  const windows = [first + 8, first + 9, first + 10, first + 11] as const;
  return {
    bound: first,
    v: first + 1,
    key: first + 2,
    fc: first + 3,
    isIp: first + 4,
    temp: first + 5,
    offset: first + 6,
    value: first + 7,
    windows,
  };
}
const _COLLECT: _WalkLocals = {
  bound: 1,
  v: 2,
  key: 3,
  fc: 4,
  isIp: 5,
  temp: 6,
  offset: 7,
  value: 8,
  windows: [9, 10, 11, 12],
};

/** Loads the frame-record values a walk keeps in locals. */
function _emitWalkPrelude(b: _Body, L: _WalkLocals): void {
  const c = b.c;
  b.word(FR_CLASS);
  c.set(L.fc);
  b.word(FR_IS_IP);
  c.set(L.isIp);
  // The windows' bounds, read once per walk.
  b.word(FR_NET + W_BASE);
  c.set(L.windows[0]);
  b.word(FR_NET + W_LOAD_END);
  c.set(L.windows[1]);
  b.word(FR_LINK + W_BASE);
  c.set(L.windows[2]);
  b.word(FR_LINK + W_LOAD_END);
  c.set(L.windows[3]);
}

/** One chain's `collect(frame) → bound`. */
function _collectFunction(
  plan: _WasmPlan,
  chain: number,
  module: _ModuleFlags,
  extra: _WasmFunction[],
  firstExtra: number,
): _WasmFunction {
  const b = new _Body();
  _emitCollect(b, plan, chain, module, { extra, firstExtra, L: _COLLECT });
  b.c.get(_COLLECT.bound);
  return { type: T_ONE, locals: _COLLECT_LOCALS, code: b.c };
}

/**
 * One chain's walk as code to inline in its `run`, with locals `L`; null
 * when the walk does not fit in one function (its pieces are functions of
 * the `_COLLECT` layout; `extra` is then left as it was).
 */
function _inlinedCollect(
  plan: _WasmPlan,
  chain: number,
  module: _ModuleFlags,
  extra: _WasmFunction[],
  firstExtra: number,
  L: _WalkLocals,
): Uint8Array | null {
  const before = extra.length;
  const b = new _Body();
  _emitCollect(b, plan, chain, module, { extra, firstExtra, L });
  if (extra.length === before) return b.c.view().slice();
  extra.length = before;
  return null;
}

/**
 * One chain's walk into `b` (no branch out of its own blocks): clears what
 * the last walk left, then walks, its bound in local `L.bound`.
 */
function _emitCollect(
  b: _Body,
  plan: _WasmPlan,
  chain: number,
  module: _ModuleFlags,
  at: { extra: _WasmFunction[]; firstExtra: number; L: _WalkLocals },
): void {
  const { extra, firstExtra, L } = at;
  const c = b.c;
  const layout = plan.layout;
  const e: _CollectEmitter = {
    extra,
    firstExtra,
    b,
    L,
    words: layout.words[chain],
    used: layout.used[chain],
    module,
    known: { classes: _C_ALL, net: 0, link: 0 },
  };
  // What the last walk left (past its bound, or not taken before a decision).
  for (let j = 0; j < layout.usedWords[chain]; j++) {
    c.i32(e.used + 4 * j).memory(_OP.i32Load, 0).set(L.v);
    const out = b.open(_OP.block);
    const again = b.open(_OP.loop);
    c.get(L.v).op(_OP.i32Eqz);
    b.brIf(out);
    c.get(L.v).op(_OP.i32Ctz).i32(2).op(_OP.i32Shl).i32(0).memory(_OP.i32Store, e.words + 128 * j);
    c.get(L.v).get(L.v).i32(1).op(_OP.i32Sub).op(_OP.i32And).set(L.v);
    b.br(again);
    b.close();
    b.close();
    c.i32(e.used + 4 * j).i32(0).memory(_OP.i32Store, 0);
  }
  _emitWalkPrelude(b, L);
  c.i32(_END).set(L.bound);
  _emitChain(e, plan.roots[chain]);
}

/**
 * Marks (`listed[code] = 1`) every code some leaf of the index lists (as the
 * generated JavaScript's `_listedCodes`; `listed` has room for every code).
 */
function _listedCodes(root: _IndexNode, listed: Uint8Array): void {
  const stack: _IndexNode[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    for (const code of node.leaf) listed[code] = 1;
    for (const child of node.children) if (child !== null) stack.push(child);
    if (node.rest !== null) stack.push(node.rest);
  }
}

/** Takes word `w` of a chain's bit set of codes (at `W`) into local `m`, leaving it clear. */
function _emitTakeWord(b: _Body, W: number, locals: { w: number; m: number }): void {
  const c = b.c;
  c.get(locals.w).i32(2).op(_OP.i32Shl).memory(_OP.i32Load, W).set(locals.m);
  c.get(locals.w).i32(2).op(_OP.i32Shl).i32(0).memory(_OP.i32Store, W);
}

/**
 * The next code of word `w` (its lowest bit in `m`, then cleared) into local
 * `code`; the run ends (`_R_END`) when it is past the bound.
 */
function _emitNextCode(
  b: _Body,
  locals: { w: number; m: number; code: number; bound: number },
): void {
  const c = b.c;
  const { w, m, code, bound } = locals;
  c.get(w).i32(5).op(_OP.i32Shl).get(m).op(_OP.i32Ctz).op(_OP.i32Add).set(code);
  c.get(m).get(m).i32(1).op(_OP.i32Sub).op(_OP.i32And).set(m);
  c.get(code).get(bound).op(_OP.i32GtS);
  b.returnIf(_R_END);
}

/**
 * The start of a chain's `run`: the bound into local `bound`, the saved one
 * (at `saved`) when resuming after a jump, else the one its walk (`collect`)
 * returns.
 */
function _emitRunBound(
  b: _Body,
  saved: number,
  collect: number,
  locals: { fr: number; resume: number; bound: number },
): void {
  const c = b.c;
  c.get(locals.resume);
  b.open(_OP.if, _I32);
  c.i32(saved).memory(_OP.i32Load, 0);
  b.else();
  c.get(locals.fr).opIndex(_OP.call, collect);
  b.close();
  c.set(locals.bound);
}

/**
 * One chain's `run(frame, resume) → result`: the candidate loop of the
 * generated JavaScript's `run`, data-driven over the rule table.
 */
function _runFunction(
  plan: _WasmPlan,
  chain: number,
  collect: number,
  rules: number,
): _WasmFunction {
  const layout = plan.layout;
  const W = layout.words[chain];
  const U = layout.used[chain];
  const usedWords = layout.usedWords[chain];
  const b = new _Body();
  const c = b.c;
  const [fr, resume, bound, j, u, w, m, code, r, rule, kind, isIp] = [
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
  ];
  b.word(FR_IS_IP);
  c.set(isIp);
  _emitRunBound(b, layout.bound[chain], collect, { fr, resume, bound });
  c.i32(0).set(j);
  const done = b.open(_OP.block);
  const words = b.open(_OP.loop);
  c.get(j).i32(4 * usedWords).op(_OP.i32GeU);
  b.brIf(done);
  c.get(j).memory(_OP.i32Load, U).set(u);
  const nextWord = b.open(_OP.block);
  const uBits = b.open(_OP.loop);
  c.get(u).op(_OP.i32Eqz);
  b.brIf(nextWord);
  c.get(j).i32(3).op(_OP.i32Shl).get(u).op(_OP.i32Ctz).op(_OP.i32Add).set(w);
  c.get(u).get(u).i32(1).op(_OP.i32Sub).op(_OP.i32And).set(u);
  c.get(j).get(u).memory(_OP.i32Store, U);
  _emitTakeWord(b, W, { w, m });
  const nextM = b.open(_OP.block);
  const mBits = b.open(_OP.loop);
  c.get(m).op(_OP.i32Eqz);
  b.brIf(nextM);
  _emitNextCode(b, { w, m, code, bound });
  c.i32(NEXT).set(r);
  const skip = b.open(_OP.block);
  c.get(code).i32(1).op(0x75).i32(rules).op(_OP.i32Add).set(rule); // shr_s
  // A network-base rule never matches a frame without an IP header.
  c.get(rule).i32(RULE_BYTES).op(_OP.i32Mul).memory(_OP.i32Load, layout.rules + 8)
    .get(isIp).op(_OP.i32Eqz).op(_OP.i32And);
  b.brIf(skip);
  // A candidate code: the rule's test decides.
  c.get(code).i32(1).op(_OP.i32And);
  b.open(_OP.if);
  c.get(fr).get(rule).opIndex(_OP.callIndirect, T_ONE).op(0).op(_OP.i32Eqz);
  b.brIf(skip);
  b.close();
  // Matched: its counters, then its target.
  c.get(rule).i32(3).op(_OP.i32Shl).tee(kind).get(kind).memory(_OP.f64Load, layout.packets)
    .f64(1).op(_OP.f64Add).memory(_OP.f64Store, layout.packets);
  c.get(kind).get(kind).memory(_OP.f64Load, layout.bytes);
  b.word(FR_SIZE);
  c.op(_OP.f64ConvertI32U).op(_OP.f64Add).memory(_OP.f64Store, layout.bytes);
  c.get(rule).i32(RULE_BYTES).op(_OP.i32Mul).memory(_OP.i32Load, layout.rules).tee(kind)
    .i32(KIND_NONE).op(_OP.i32Eq);
  b.brIf(skip);
  c.get(kind).i32(KIND_RETURN).op(_OP.i32Eq);
  b.open(_OP.if);
  c.i32(_R_END).set(r);
  b.br(skip);
  b.close();
  c.get(kind).i32(KIND_DROP).op(_OP.i32LeS);
  b.open(_OP.if);
  c.i32(DECIDED).get(rule).memory(_OP.i32Store, 0);
  c.i32(_R_ACCEPT).i32(_R_DROP).get(kind).i32(KIND_ACCEPT).op(_OP.i32Eq).op(_OP.select).set(r);
  b.br(skip);
  b.close();
  // A jump or goto: the caller follows it; the walk resumes after this rule.
  c.get(code).i32(1).op(0x75).set(r);
  b.close(); // skip
  // A matched code (even) was taken: the rule's candidate code is not.
  c.get(code).i32(1).op(_OP.i32And).op(_OP.i32Eqz);
  b.open(_OP.if);
  c.get(m).i32(1).get(code).i32(1).op(_OP.i32Add).op(_OP.i32Shl).i32(-1).op(_OP.i32Xor)
    .op(_OP.i32And).set(m);
  b.close();
  c.get(r).i32(NEXT).op(_OP.i32Ne);
  b.open(_OP.if);
  c.get(r).i32(0).op(_OP.i32GeS);
  b.open(_OP.if);
  c.get(m);
  b.open(_OP.if);
  c.get(w).i32(2).op(_OP.i32Shl).get(m).memory(_OP.i32Store, W);
  c.get(j).get(u).i32(1).get(w).op(_OP.i32Shl).op(_OP.i32Or).memory(_OP.i32Store, U);
  b.close();
  c.i32(layout.bound[chain]).get(bound).memory(_OP.i32Store, 0);
  b.close();
  c.get(r).op(_OP.return);
  b.close();
  b.br(mBits);
  b.close();
  b.close(); // nextM
  b.br(uBits);
  b.close();
  b.close(); // nextWord
  c.get(j).i32(4).op(_OP.i32Add).set(j);
  b.br(words);
  b.close();
  b.close(); // done
  c.i32(_R_END);
  return { type: T_TWO, locals: [{ count: 10, type: _I32 }], code: c };
}

/**
 * Chains of at most this many rules get {@linkcode _runCasesFunction}: one
 * case per code, its rule's kind, counters, base and test known (about 40
 * bytes a code); longer chains keep the data-driven loop.
 */
const _RUN_CASES_RULES = 256;
// (2 × 256 codes: 16 words of codes, so one used word.)

/**
 * One chain's `run(frame, resume) → result` as {@linkcode _runFunction},
 * with the rule table read at emission instead of per code: a jump table
 * on the code to one case per code its index lists, each with its rule's
 * base check only where the rule is network-base, its test as a direct
 * call (candidate codes), its counters at their addresses and its target
 * as constants.
 */
function _runCasesFunction(
  plan: _WasmPlan,
  chain: number,
  collect: number,
  nested: number | undefined,
  options: {
    /** The chain's first rule's number in the module. */
    rules: number;
    /** The tests inlined in their cases (else each a call of its function). */
    tests?: { emission: _TestEmission; facts: readonly (readonly _Guard[] | null)[] };
    /** Per rule of the module, the index of its test function (where not inlined). */
    testFunctions: Int32Array;
    /** The walk inlined (its locals from `_INLINED_WALK` on), else a call of `collect`. */
    walk?: Uint8Array;
  },
): _WasmFunction {
  const { rules, tests, testFunctions, walk } = options;
  const layout = plan.layout;
  const chainRules = plan.chains[chain];
  const W = layout.words[chain];
  const U = layout.used[chain];
  const listed = new Uint8Array(2 * chainRules.length);
  _listedCodes(plan.roots[chain], listed);
  const codes: number[] = [];
  listed.forEach((isListed, code) => {
    if (isListed === 1) codes.push(code);
  });
  const b = new _Body();
  const c = b.c;
  const [fr, resume, bound, u, w, m, code, isIp, r] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  // The whole code is one block whose value is the result (see `_Body.exit`).
  b.exit = b.open(_OP.block, _I32);
  const network = chainRules.some((rule) => rule.base === _BASE_NETWORK);
  if (network) {
    b.word(FR_IS_IP);
    c.set(isIp);
  }
  if (walk === undefined) _emitRunBound(b, layout.bound[chain], collect, { fr, resume, bound });
  else {
    c.get(resume);
    b.open(_OP.if, _I32);
    // Resumed: the walk's locals the tests read, then the kept bound.
    _emitWalkPrelude(b, _walkLocalsAt(_INLINED_WALK));
    c.i32(layout.bound[chain]).memory(_OP.i32Load, 0);
    b.else();
    c.append(walk);
    c.get(_INLINED_WALK);
    b.close();
    c.set(bound);
  }
  if (codes.length === 0) {
    c.i32(_R_END);
    b.close();
    return { type: T_TWO, locals: _runCasesLocals(false, walk !== undefined), code: c };
  }
  // One used word (at most 32 words of codes): its address is a constant.
  c.i32(0).memory(_OP.i32Load, U).set(u);
  const nextWord = b.open(_OP.block);
  const uBits = b.open(_OP.loop);
  c.get(u).op(_OP.i32Eqz);
  b.brIf(nextWord);
  c.get(u).op(_OP.i32Ctz).set(w);
  c.get(u).get(u).i32(1).op(_OP.i32Sub).op(_OP.i32And).set(u);
  c.i32(0).get(u).memory(_OP.i32Store, U);
  _emitTakeWord(b, W, { w, m });
  const nextM = b.open(_OP.block);
  const mBits = b.open(_OP.loop);
  c.get(m).op(_OP.i32Eqz);
  b.brIf(nextM);
  _emitNextCode(b, { w, m, code, bound });
  _emitTable(b, code, codes, (i) => {
    const at = codes[i];
    const p = at >> 1;
    const rule = chainRules[p];
    const q = rules + p;
    const skip = b.open(_OP.block);
    // A matched code (even) is taken: its rule's candidate code is not.
    if ((at & 1) === 0) {
      c.get(m).i32(~(1 << ((at + 1) & 31))).op(_OP.i32And).set(m);
    }
    // A network-base rule never matches a frame without an IP header.
    if (rule.base === _BASE_NETWORK) {
      c.get(isIp).op(_OP.i32Eqz);
      b.brIf(skip);
    }
    if ((at & 1) === 1 && tests !== undefined) {
      b.failLabel = skip;
      // After an inlined walk, the windows' bounds are in its locals.
      const windows = walk !== undefined ? _walkLocalsAt(_INLINED_WALK).windows : undefined;
      _emitTest(b, rule, tests.emission, tests.facts[at], windows);
      b.failLabel = -1;
    } else if ((at & 1) === 1) {
      c.get(fr).opIndex(_OP.call, testFunctions[q]).op(_OP.i32Eqz);
      b.brIf(skip);
    }
    // Matched: its counters, then its target.
    c.i32(0).i32(0).memory(_OP.f64Load, layout.packets + 8 * q).f64(1).op(_OP.f64Add)
      .memory(_OP.f64Store, layout.packets + 8 * q);
    c.i32(0).i32(0).memory(_OP.f64Load, layout.bytes + 8 * q);
    b.word(FR_SIZE);
    c.op(_OP.f64ConvertI32U).op(_OP.f64Add).memory(_OP.f64Store, layout.bytes + 8 * q);
    const kind = rule.kind;
    if (kind === KIND_NONE) {
      b.close();
      return;
    }
    if (kind === KIND_RETURN) {
      c.i32(_R_END);
      b.leave();
    } else if (kind === KIND_ACCEPT || kind === KIND_DROP) {
      c.i32(DECIDED).i32(q).memory(_OP.i32Store, 0);
      c.i32(kind === KIND_ACCEPT ? _R_ACCEPT : _R_DROP);
      b.leave();
    } else if (nested !== undefined && kind === KIND_JUMP) {
      // A jump: the target chain runs here; its end (or RETURN) resumes this walk.
      c.get(fr).i32(0).opIndex(_OP.call, nested + rule.to).tee(r).i32(_R_END).op(_OP.i32Ne);
      b.open(_OP.if);
      c.get(r);
      b.leave();
      b.close();
    } else if (nested !== undefined) {
      // A goto: the target chain's result is this chain's.
      c.get(fr).i32(0).opIndex(_OP.call, nested + rule.to);
      b.leave();
    } else {
      // A jump or goto: the caller follows it; the walk resumes after this rule.
      const word = at >> 5;
      c.get(m);
      b.open(_OP.if);
      c.i32(0).get(m).memory(_OP.i32Store, W + 4 * word);
      c.i32(0).get(u).i32(1 << word).op(_OP.i32Or).memory(_OP.i32Store, U);
      b.close();
      c.i32(layout.bound[chain]).get(bound).memory(_OP.i32Store, 0);
      c.i32(p);
      b.leave();
    }
    b.close();
  });
  b.br(mBits);
  b.close();
  b.close(); // nextM
  b.br(uBits);
  b.close();
  b.close(); // nextWord
  c.i32(_R_END);
  b.close(); // exit
  return { type: T_TWO, locals: _runCasesLocals(tests !== undefined, walk !== undefined), code: c };
}

/**
 * The first local of a rule test's code, in a test function of its own
 * (locals before it unused) and inlined in a candidate loop (whose own
 * locals come before it): the same in both, so that a program's code,
 * emitted once, serves every test that runs it.
 */
const _TEST_LOCALS = 9;
/** The locals of a test's code from {@linkcode _TEST_LOCALS} on (see {@linkcode _emitTest}). */
const _TEST_LOCAL_TYPES = [
  { count: 11, type: _I32 },
  { count: 1, type: _F64 },
  { count: 21, type: _I32 },
  { count: 1, type: _F64 },
];

/** The first local of a walk inlined in a `run` of cases: after its own and its tests' locals. */
const _INLINED_WALK = _TEST_LOCALS + 34;

/** The locals of a `run` of cases: its own, its tests' (also when only its walk is inlined), its walk's. */
function _runCasesLocals(tests: boolean, walk: boolean) {
  return [
    { count: 7, type: _I32 },
    ...(tests || walk ? _TEST_LOCAL_TYPES : []),
    ...(walk ? _COLLECT_LOCALS : []),
  ];
}

/**
 * Tests: whether chains whose loop has a case per code run their tests
 * inline there (`inline`), and their walk (`walk`, where it is one function).
 */
export const _inlineTests = { inline: true, walk: true };

/**
 * Per program: its lowered form, or why it runs in JavaScript. A match with
 * a compiled program runs `match.program` (validated, the same meaning: for
 * `--expr`, the unoptimised program its summary read, which the Wasm code
 * runs about as fast as the optimised one, without the optimiser's compile
 * time).
 */
function _loweredProgram(match: _PreparedMatch): _LoweredProgram | string {
  const instructions = match.compiledProgram !== undefined ? match.program : null;
  if (instructions === null) {
    return match.match.kind === "bpf"
      ? "a link-base --expr is compiled per link type"
      : "a u32 test past 4096 instructions";
  }
  return _lowered(instructions);
}

/** Why `instructions` run in JavaScript (not lowered), or undefined. */
function _loweringRefusal(instructions: readonly Instruction[]): string | undefined {
  if (_readsAncillary(instructions)) return "the program reads ancillary fields";
  // A `ja` goes back when its int32 offset is negative (`_jumpTarget`).
  for (const { code, k } of instructions) {
    if (code === _JA && (k | 0) < 0) return "the program jumps backwards";
  }
  return undefined;
}

/** `BPF_JMP | BPF_JA`. */
const _JA = 0x05;

/** The lowered form of `instructions`, or why it runs in JavaScript. */
function _lowered(instructions: readonly Instruction[]): _LoweredProgram | string {
  const refusal = _loweringRefusal(instructions);
  if (refusal !== undefined) return refusal;
  const lowered = _lower(instructions.map(({ code, jt, jf, k }) => ({ code, jt, jf, k: k >>> 0 })));
  if (lowered.backward) return "the program jumps backwards";
  return lowered;
}

/** Most alternatives whose guards a test checks first. */
const _CHECKED_ALTERNATIVES = 2;
/** Most guards of each alternative it checks. */
const _CHECKED_GUARDS = 3;
/**
 * Fields whose guards a test checks before its matches: values in the frame
 * record or one inline load, often failing, that spare calls back into
 * JavaScript (interface names) and program runs.
 */
const _CHECKED_KINDS = new Set([_F_ADDRESS, _F_INTERFACE, _F_LINK_TYPE, _F_UPPER_PROTOCOL]);

/**
 * Returns 0 from a test when none of the rule's alternatives has its cheap
 * guards holding (each guard is necessary for its alternative, so the rule
 * cannot match); nothing when an alternative has no such guard.
 */
function _emitGuards(
  b: _Body,
  rule: _WasmRule,
  fields: readonly _Field[],
  L: _FieldLocals,
  module: _ModuleFlags,
  facts: readonly _Guard[] | null,
): void {
  const alternatives = rule.alternatives.map((guards) =>
    _unimplied(guards, facts).filter((g) => _CHECKED_KINDS.has(fields[g.field].kind))
      .slice(0, _CHECKED_GUARDS)
  );
  if (alternatives.length === 0 || alternatives.length > _CHECKED_ALTERNATIVES) return;
  if (alternatives.some((guards) => guards.length === 0)) return;
  const c = b.c;
  b.word(FR_IS_IP);
  c.set(L.isIp);
  const pass = b.open(_OP.block);
  for (const guards of alternatives) {
    const fail = b.open(_OP.block);
    for (const g of guards) {
      _emitField(b, fields[g.field], fail, L, module);
      // lo <= (v & mask) <= hi, as one unsigned compare.
      c.get(L.v).i32(g.mask | 0).op(_OP.i32And).i32(g.lo | 0).op(_OP.i32Sub)
        .i32((g.hi - g.lo) | 0).op(_OP.i32GtU);
      b.brIf(fail);
    }
    b.br(pass);
    b.close();
  }
  b.fail();
  b.close();
}

/**
 * Whether a program match with exact summary `alternatives` (or none) runs
 * as its guards ({@linkcode _emitExactProgram}): one alternative (measured:
 * a u32 test's BPF form, its `@` length checks included, is several times
 * longer than its guards; with several alternatives the guards reload the
 * fields the program's shared branches read once: a negated link-base
 * `tcp port 22` of four alternatives took 2.3–2.8% of a 100-rule profile
 * as guards, 1.7–2.1% as its program), every guard on a
 * field that {@linkcode _emitField} loads inline (no call: not through
 * `jsField` nor `loadIndex`).
 */
function _asGuards(
  alternatives: readonly (readonly _Guard[])[] | null | undefined,
  fields: readonly _Field[],
): boolean {
  if (alternatives === undefined || alternatives === null || alternatives.length !== 1) {
    return false;
  }
  return alternatives.every((guards) =>
    guards.every((g) => {
      const f = fields[g.field];
      if (f.kind !== _F_PACKET) return _INLINE_KINDS.has(f.kind);
      if (f.msh < 0) return f.offset >= 0;
      return f.msh < 0x10000000 && f.offset >= 0 && f.offset < 0x10000000 &&
        f.second < 0x10000000;
    })
  );
}

/** Field kinds other than packet loads that {@linkcode _emitField} reads inline. */
const _INLINE_KINDS = new Set([
  _F_LENGTH,
  _F_ADDRESS,
  _F_UPPER_PROTOCOL,
  _F_LINK_TYPE,
  _F_INTERFACE,
]);

/**
 * Tests: how many program matches were emitted as their guards, and a
 * change planted in those guards (a wrong one must make the differential
 * tests fail).
 */
export const _exactGuardsHook = {
  emitted: 0,
  plant: null as null | ((guards: readonly _Guard[]) => readonly _Guard[]),
};

/**
 * A program match whose summary is exact, as its guards instead of its
 * program (as the generated JavaScript's `_exactMatchCall`): the program
 * accepts exactly when one alternative's guards all hold (proven by the
 * summariser, tests/classifier_exact_summaries_test.ts), so the match holds
 * when one does (`invert`: when none does). Returns 0 from the test when the
 * match does not hold. Each guard: `lo <= (v & mask) <= hi`, a field that
 * does not load fails it, as in the index.
 */
function _emitExactProgram(
  b: _Body,
  alternatives: readonly (readonly _Guard[])[],
  invert: boolean,
  fields: readonly _Field[],
  L: _FieldLocals,
  module: _ModuleFlags,
): void {
  const c = b.c;
  _exactGuardsHook.emitted++;
  const plant = _exactGuardsHook.plant;
  b.word(FR_IS_IP);
  c.set(L.isIp);
  const done = b.open(_OP.block);
  const held = b.open(_OP.block);
  for (const guards of alternatives) {
    const fail = b.open(_OP.block);
    for (const g of plant === null ? guards : plant(guards)) {
      _emitField(b, fields[g.field], fail, L, module);
      c.get(L.v).i32(g.mask | 0).op(_OP.i32And).i32(g.lo | 0).op(_OP.i32Sub)
        .i32((g.hi - g.lo) | 0).op(_OP.i32GtU);
      b.brIf(fail);
    }
    b.br(held);
    b.close();
  }
  // No alternative holds.
  if (invert) b.br(done);
  else b.fail();
  b.close();
  // One alternative holds.
  if (invert) b.fail();
  b.close();
}

/**
 * One rule's `test(frame) → 0/1`: its cheap guards, then its matches in order,
 * less the guards that `facts` (what the walk established whenever it lists
 * the rule as a candidate, ./_classifier_wasm_facts.ts) imply.
 * `programs` keeps, by program key, each program's inlined code (or why it
 * runs in JavaScript), so a program that many rules repeat is lowered and
 * emitted once (the code uses the same locals in every test). The body is
 * written in `scratch` (empty; left empty) and copied out at its size.
 */
function _testFunction(
  rule: _WasmRule,
  t: _TestEmission,
  scratch: _WasmCode,
  facts: readonly _Guard[] | null,
): _WasmFunction {
  _testFunctionsHook.emitted++;
  const b = new _Body(scratch);
  const c = b.c;
  _emitTest(b, rule, t, facts);
  c.i32(1);
  return {
    type: T_ONE,
    locals: [{ count: _TEST_LOCALS - 1, type: _I32 }, ..._TEST_LOCAL_TYPES],
    code: new _WasmCode(c.cut(0)),
  };
}

/**
 * Tests: how many rule test functions were emitted (one per shape and facts,
 * not per rule), how many functions of the last module are rule tests (they
 * come first), and how many of those are stubs of lazy tests.
 */
export const _testFunctionsHook = { emitted: 0, lastModule: 0, lastLazy: 0 };

/** What every rule test of a module is emitted with. */
interface _TestEmission {
  fields: readonly _Field[];
  escapes: _Escapes;
  module: _ModuleFlags;
  programs: Map<string, Uint8Array | string>;
}

/**
 * A rule's test into `b`: falls through when it passes; fails by
 * `b.failIf()`/`b.fail()` (returns 0 in a test function of its own, branches
 * to `b.failLabel` when inlined). The frame record's address is local 0.
 */
function _emitTest(
  b: _Body,
  rule: _WasmRule,
  t: _TestEmission,
  facts: readonly _Guard[] | null,
  windows?: readonly [number, number, number, number],
): void {
  const { fields, escapes, module, programs } = t;
  const c = b.c;
  const L = new _Locals(_TEST_LOCALS);
  const up = L.scratch + 16;
  const F: _FieldLocals = {
    v: up + 1,
    isIp: up + 2,
    temp: up + 3,
    offset: up + 4,
    value: up + 5,
    windows,
  };
  _emitGuards(b, rule, fields, F, module, facts);
  const window = rule.base === _BASE_NETWORK ? FR_NET : FR_LINK;
  for (let i = 0; i < rule.matches.length; i++) {
    const match = rule.matches[i];
    const m = match.match;
    if (m.kind === "comment") continue;
    const exact = rule.exactPrograms?.[i];
    if (_asGuards(exact, fields)) {
      _emitExactProgram(b, [_unimplied(exact![0], facts)], match.invert, fields, F, module);
      continue;
    }
    if (m.kind === "protocol") {
      if (m.protocol === 0) {
        if (m.invert) b.fail();
        continue;
      }
      module.readsUpper = true;
      _emitUpper(b, up);
      c.get(up).i32(0).op(_OP.i32LtS);
      b.failIf();
      c.get(up).i32(m.protocol).op(m.invert ? _OP.i32Eq : _OP.i32Ne);
      b.failIf();
      continue;
    }
    if (m.kind === "address") {
      _emitAddressTest(b, m, match.network, L.temp);
      continue;
    }
    if (m.kind === "interface" && _emitInterfaceTest(b, m, fields, module)) continue;
    if (m.kind === "interface" && _emitInterfacePattern(b, m, module)) continue;
    if (match.ethernetOnly) {
      _emitEthernetProgram(b, L, match, { escapes, programs }, windows);
      continue;
    }
    const key = match.key;
    let lowered: Uint8Array | _LoweredProgram | string | undefined = m.kind === "interface"
      ? "interface names"
      : key !== undefined
      ? programs.get(key)
      : undefined;
    lowered ??= _loweredProgram(match);
    if (typeof lowered === "string") {
      if (key !== undefined) programs.set(key, lowered);
      c.i32(escapes.add(match, lowered)).get(0).opIndex(_OP.call, F_JS_MATCH).op(_OP.i32Eqz);
      b.failIf();
      continue;
    }
    const emitted = _emitProgram(b, L, lowered, window, windows);
    if (key !== undefined && !(lowered instanceof Uint8Array)) programs.set(key, emitted);
    // Fails when (result !== 0) === invert.
    if (!match.invert) c.op(_OP.i32Eqz);
    b.failIf();
  }
}

/**
 * Pushes the result of `lowered` run over window `window` (`FR_NET` or
 * `FR_LINK`) of the frame: a lowered program (emitted here) or the bytes
 * emitted for the same program text before. Returns the program's bytes, for
 * reuse by rules that repeat the text.
 */
function _emitProgram(
  b: _Body,
  L: _Locals,
  lowered: _LoweredProgram | Uint8Array,
  window: number,
  windows?: readonly [number, number, number, number],
): Uint8Array {
  const c = b.c;
  _windowWord(b, { windows }, window, W_BASE);
  c.set(L.base);
  _windowWord(b, { windows }, window, W_LOAD_END);
  c.set(L.end);
  b.word(window + W_WIRE);
  c.set(L.wire);
  b.word(window + W_NETWORK);
  c.set(L.net);
  b.word(window + W_MAC);
  c.set(L.mac);
  c.i32(0).set(L.a).i32(0).set(L.x);
  if (lowered instanceof Uint8Array) {
    c.append(lowered);
    return lowered;
  }
  const start = c.length;
  c.begin(_OP.block, _I32);
  // The frame record's windows end at most `wire` bytes past their base.
  new _ProgramEmitter(c, L, lowered, true, true).emit();
  c.op(_OP.end);
  return c.view().slice(start);
}

/**
 * A link-base `--expr`: on EN10MB frames its Ethernet program (the program
 * its summary read, `ethernetOnly`) over the link window in Wasm; on other
 * link types (compiled per link type and capture interface) a call back
 * into JavaScript. All of it a call back when the Ethernet program does not
 * lower. `programs` keeps the Ethernet program's code (or why it does not
 * lower) by the match's key, as {@linkcode _emitTest} keeps other programs'.
 */
function _emitEthernetProgram(
  b: _Body,
  L: _Locals,
  match: _PreparedMatch,
  { escapes, programs }: Pick<_TestEmission, "escapes" | "programs">,
  windows?: readonly [number, number, number, number],
): void {
  const c = b.c;
  const key = match.key;
  let lowered: Uint8Array | _LoweredProgram | string | undefined = key !== undefined
    ? programs.get(key)
    : undefined;
  if (lowered === undefined) {
    const instructions = match.program;
    lowered = instructions === null
      ? "a link-base --expr is compiled per link type"
      : _lowered(instructions);
    if (key !== undefined && typeof lowered === "string") programs.set(key, lowered);
  }
  if (typeof lowered === "string") {
    c.i32(escapes.add(match, lowered)).get(0).opIndex(_OP.call, F_JS_MATCH).op(_OP.i32Eqz);
    b.failIf();
    return;
  }
  const q = escapes.add(match, "a link-base --expr on a link type other than EN10MB");
  b.word(FR_LINK_TYPE);
  c.i32(LINKTYPE_EN10MB).op(_OP.i32Eq);
  b.open(_OP.if, _I32);
  const emitted = _emitProgram(b, L, lowered, FR_LINK, windows);
  if (key !== undefined && !(lowered instanceof Uint8Array)) programs.set(key, emitted);
  // Passes when (result !== 0) !== invert.
  if (match.invert) c.op(_OP.i32Eqz);
  else c.i32(0).op(_OP.i32Ne);
  b.else();
  c.i32(q).get(0).opIndex(_OP.call, F_JS_MATCH);
  b.close();
  c.op(_OP.i32Eqz);
  b.failIf();
}

/**
 * The interface field's numbered names of each field list, found once per
 * list and length (not per rule: a scan of thousands of fields each time).
 */
const _namesOfFields = new WeakMap<
  readonly _Field[],
  { length: number; names: ReadonlyMap<string, number> | null }
>();

/** The numbers of the names `-i`/`-o` rules give, when `fields` has the interface field. */
function _interfaceNames(fields: readonly _Field[]): ReadonlyMap<string, number> | null {
  let known = _namesOfFields.get(fields);
  if (known === undefined || known.length !== fields.length) {
    const names = fields.find((f) => f.kind === _F_INTERFACE)?.names ?? null;
    _namesOfFields.set(fields, known = { length: fields.length, names });
  }
  return known.names;
}

/**
 * `-i`/`-o` with a whole name (inverted or not) as `_interfaceTest`: the
 * frame's interface number (`FR_IN`/`FR_OUT`, the number of its name among
 * the names rules give, -1 for any other) against the name's; `false`
 * (nothing emitted: the match calls back into JavaScript) for a `+` prefix
 * or a name without a number.
 */
function _emitInterfaceTest(
  b: _Body,
  match: { direction: "in" | "out"; invert: boolean; name: string },
  fields: readonly _Field[],
  module: _ModuleFlags,
): boolean {
  if (match.name.endsWith("+")) return false;
  const number = _interfaceNames(fields)?.get(match.name);
  if (number === undefined) return false;
  module.readsInterfaces = true;
  b.word(match.direction === "in" ? FR_IN : FR_OUT);
  // Fails when (number equal) === invert.
  b.c.i32(number).op(match.invert ? _OP.i32Eq : _OP.i32Ne);
  b.failIf();
  return true;
}

/**
 * `-i`/`-o` that {@linkcode _emitInterfaceTest} does not emit (a `+`
 * prefix, a name without a number) as a bit test of `FR_PATTERNS`, the
 * pattern's bit computed in JavaScript once per interface; `false` past
 * {@linkcode _MAX_INTERFACE_PATTERNS} patterns (the match calls back).
 */
function _emitInterfacePattern(
  b: _Body,
  match: { direction: "in" | "out"; invert: boolean; name: string },
  module: _ModuleFlags,
): boolean {
  const key = `${match.direction} ${match.name}`;
  let bit = module.patterns.get(key);
  if (bit === undefined) {
    if (module.patterns.size >= _MAX_INTERFACE_PATTERNS) return false;
    module.patterns.set(key, bit = module.patterns.size);
  }
  b.word(FR_PATTERNS);
  b.c.i32(1 << bit).op(_OP.i32And);
  // Fails when (bit set) === invert.
  if (!match.invert) b.c.op(_OP.i32Eqz);
  b.failIf();
  return true;
}

/** `-s`/`-d` as `_addressTest`: the prefix of that version's address, compared word by word. */
function _emitAddressTest(
  b: _Body,
  match: {
    address: string;
    prefixLength: number;
    direction: "source" | "destination";
    invert: boolean;
  },
  parsed: _Network | undefined,
  temp: number,
): void {
  const c = b.c;
  const network = parsed ?? _parseNetwork(`${match.address}/${match.prefixLength}`);
  if (typeof network === "string") throw new Error(network); // refused when the rule was prepared
  const version = network.version;
  b.word(FR_IP_VERSION);
  c.i32(version).op(_OP.i32Ne);
  b.failIf();
  b.word(FR_NET_CAPTURED);
  c.i32(version === 4 ? 20 : 40).op(_OP.i32LtS);
  b.failIf();
  const offset = _addressOffset(version, match.direction);
  const want = network.bytes;
  c.i32(1); // equal so far
  for (let i = 0; 32 * i < network.prefixLength; i++) {
    const keep = Math.min(32, network.prefixLength - 32 * i);
    const mask = keep === 32 ? 0xffffffff : ~(0xffffffff >>> keep) >>> 0;
    const word = ((want[4 * i] << 24) | (want[4 * i + 1] << 16) | (want[4 * i + 2] << 8) |
      want[4 * i + 3]) >>> 0;
    b.word(FR_NET_START);
    _read(c, 4, offset + 4 * i, temp);
    c.i32(mask | 0).op(_OP.i32And).i32((word & mask) | 0).op(_OP.i32Eq).op(_OP.i32And);
  }
  // Fails when equal === invert.
  if (!match.invert) c.op(_OP.i32Eqz);
  b.failIf();
}

/** The matches that call back into JavaScript, numbered. */
class _Escapes {
  readonly matches: _PreparedMatch[] = [];
  readonly reasons: string[] = [];
  add(match: _PreparedMatch, reason: string): number {
    this.matches.push(match);
    this.reasons.push(reason);
    return this.matches.length - 1;
  }
}

/** A test for rules whose test never runs (no candidate code). */
function _neverFunction(): _WasmFunction {
  const c = new _WasmCode();
  c.i32(0);
  return { type: T_ONE, locals: [], code: c };
}

/** `classify(frame) → 1/0`: the chain stack (as `_makeIndexedWalk`). */
function _classifyFunction(
  plan: _WasmPlan,
  runs: number,
  ruleCount: number,
  bases: number[],
): _WasmFunction {
  const layout = plan.layout;
  const b = new _Body();
  const c = b.c;
  const [fr, chain, sp, r, rule] = [0, 1, 2, 3, 4];
  c.i32(DECIDED).i32(-1).memory(_OP.i32Store, 0);
  c.i32(plan.entry).set(chain);
  c.get(fr).i32(0).opIndex(_OP.call, runs + plan.entry).set(r);
  const walk = b.open(_OP.loop);
  c.get(r).i32(0).op(_OP.i32GeS);
  b.open(_OP.if);
  // The rule's counter: its chain's first counter plus its position.
  c.get(r);
  _emitChainBase(b, chain, bases);
  c.op(_OP.i32Add).i32(RULE_BYTES).op(_OP.i32Mul).set(rule);
  c.get(rule).memory(_OP.i32Load, layout.rules).i32(KIND_JUMP).op(_OP.i32Eq);
  b.open(_OP.if);
  c.get(sp).i32(2).op(_OP.i32Shl).get(chain).memory(_OP.i32Store, layout.stack);
  c.get(sp).i32(1).op(_OP.i32Add).set(sp);
  b.close();
  c.get(rule).memory(_OP.i32Load, layout.rules + 4).set(chain);
  c.get(fr).i32(0).get(chain).i32(ruleCount).op(_OP.i32Add).opIndex(_OP.callIndirect, T_TWO).op(0)
    .set(r);
  b.br(walk);
  b.close();
  c.get(r).i32(_R_END).op(_OP.i32Ne);
  b.open(_OP.if);
  c.get(r).i32(_R_ACCEPT).op(_OP.i32Eq).op(_OP.return);
  b.close();
  // End of the chain or RETURN.
  c.get(sp);
  b.open(_OP.if);
  c.get(sp).i32(1).op(_OP.i32Sub).tee(sp).i32(2).op(_OP.i32Shl).memory(_OP.i32Load, layout.stack)
    .set(chain);
  c.get(fr).i32(1).get(chain).i32(ruleCount).op(_OP.i32Add).opIndex(_OP.callIndirect, T_TWO).op(0)
    .set(r);
  b.br(walk);
  b.close();
  b.close();
  _emitEntryPolicy(b, plan);
  return { type: T_ONE, locals: [{ count: 4, type: _I32 }], code: c };
}

/** The end of `classify` when no rule decided: the entry chain's policy counted, its verdict pushed. */
function _emitEntryPolicy(b: _Body, plan: _WasmPlan): void {
  const c = b.c;
  const layout = plan.layout;
  const policy = 8 * plan.entry;
  c.i32(policy).i32(policy).memory(_OP.f64Load, layout.policyPackets).f64(1).op(_OP.f64Add)
    .memory(_OP.f64Store, layout.policyPackets);
  c.i32(policy).i32(policy).memory(_OP.f64Load, layout.policyBytes);
  b.word(FR_SIZE);
  c.op(_OP.f64ConvertI32U).op(_OP.f64Add).memory(_OP.f64Store, layout.policyBytes);
  c.i32(plan.entryAccepts ? 1 : 0);
}

/**
 * Most chains on one path of jumps for which chains call their targets
 * directly ({@linkcode _runCasesFunction} `nested`): each level is a Wasm
 * call frame of a few hundred bytes on the stack.
 */
const _NESTED_DEPTH = 32;

/**
 * Whether every chain runs as {@linkcode _runCasesFunction} and no path of
 * jumps or gotos from the entry chain passes {@linkcode _NESTED_DEPTH}
 * chains (the chains form no loop: `_checkChains` refuses them).
 */
function _nestable(plan: _WasmPlan): boolean {
  const chains = plan.chains;
  if (chains.some((rules) => rules.length > _RUN_CASES_RULES)) return false;
  const depth = new Array<number>(chains.length).fill(0);
  // Depth of a chain: 1 + the deepest target, computed from the leaves up.
  const visit = (chain: number, level: number): number => {
    if (level > _NESTED_DEPTH) return Infinity;
    if (depth[chain] > 0) return depth[chain];
    let deepest = 0;
    for (const rule of chains[chain]) {
      if (rule.kind !== KIND_JUMP && rule.kind !== KIND_GOTO) continue;
      deepest = Math.max(deepest, visit(rule.to, level + 1));
      if (deepest === Infinity) return Infinity;
    }
    return depth[chain] = deepest + 1;
  };
  return visit(plan.entry, 1) <= _NESTED_DEPTH;
}

/**
 * What `classify` does where chains call each other directly, leaving the
 * verdict on the stack: `run` pushes the entry chain's result (a call of
 * its `run`, or that `run`'s code inline: one block whose value is its
 * result, see `_Body.exit`; its locals, and the frame record at local 0,
 * are then those of the function it is placed in), then the entry chain's
 * policy where the chain ended. `r`: a scratch local.
 */
function _entryClassify(plan: _WasmPlan, run: (c: _WasmCode) => void, r: number): Uint8Array {
  const b = new _Body();
  const c = b.c;
  c.i32(DECIDED).i32(-1).memory(_OP.i32Store, 0);
  run(c);
  c.tee(r).i32(_R_END).op(_OP.i32Ne);
  b.open(_OP.if, _I32);
  c.get(r).i32(_R_ACCEPT).op(_OP.i32Eq);
  b.else();
  _emitEntryPolicy(b, plan);
  b.close();
  return c.view().slice();
}

/**
 * Whether `records` runs the entry chain inline where chains call each
 * other directly (tests switch it off), and the longest entry `run` code
 * placed so (the module then holds it twice: in `run`, which `classify` and
 * `batch` call, and in the records loop).
 */
export const _fusedRecords = { enabled: true, bytes: 1 << 20 };

/**
 * `classify(frame) → 1/0` where chains call their targets directly (see
 * {@linkcode _nestable}): the entry chain's result, or its policy.
 */
function _nestedClassifyFunction(plan: _WasmPlan, runs: number): _WasmFunction {
  const [fr, r] = [0, 1];
  const code = _entryClassify(plan, (c) => {
    c.get(fr).i32(0).opIndex(_OP.call, runs + plan.entry);
  }, r);
  return { type: T_ONE, locals: [{ count: 1, type: _I32 }], code: new _WasmCode(code) };
}

/** Pushes the first counter of the chain in local `chain` (a decision tree over the chains). */
function _emitChainBase(b: _Body, chain: number, bases: number[]): void {
  const c = b.c;
  const emit = (lo: number, hi: number): void => {
    if (lo === hi) {
      c.i32(bases[lo]);
      return;
    }
    const mid = (lo + hi + 1) >> 1;
    c.get(chain).i32(mid).op(_OP.i32LtS);
    b.open(_OP.if, _I32);
    emit(lo, mid - 1);
    b.else();
    emit(mid, hi);
    b.close();
  };
  emit(0, bases.length - 1);
}

/**
 * Counts a classified frame (its verdict in local `v`, its record's address
 * pushed by `frame`) in the totals: accepted packets and bytes at 0 and 8,
 * dropped at 16 and 24 (`at`: a scratch local).
 */
function _emitTotals(
  c: _WasmCode,
  layout: _WasmLayout,
  v: number,
  at: number,
  frame: () => void,
): void {
  c.i32(0).i32(16).get(v).op(_OP.select).tee(at).get(at).memory(_OP.f64Load, layout.totals)
    .f64(1).op(_OP.f64Add).memory(_OP.f64Store, layout.totals);
  c.get(at).get(at).memory(_OP.f64Load, layout.totals + 8);
  frame();
  c.memory(_OP.i32Load, 4 * FR_SIZE).op(_OP.f64ConvertI32U).op(_OP.f64Add)
    .memory(_OP.f64Store, layout.totals + 8);
}

/** `batch(first, count)`: `classify` over records `first ..`, totals, verdicts and deciders stored. */
function _batchFunction(layout: _WasmLayout, classify: number): _WasmFunction {
  const b = new _Body();
  const c = b.c;
  const [first, count, fr, v, at, i] = [0, 1, 2, 3, 4, 5];
  c.get(first).set(i);
  const done = b.open(_OP.block);
  const loop = b.open(_OP.loop);
  c.get(i).get(first).get(count).op(_OP.i32Add).op(_OP.i32GeU);
  b.brIf(done);
  c.get(i).i32(FRAME_BYTES).op(_OP.i32Mul).i32(layout.frames).op(_OP.i32Add).tee(fr);
  c.opIndex(_OP.call, classify).set(v);
  _emitTotals(c, layout, v, at, () => c.get(fr));
  c.get(i).i32(2).op(_OP.i32Shl).get(v).memory(_OP.i32Store, layout.verdicts);
  c.get(i).i32(2).op(_OP.i32Shl).i32(DECIDED).memory(_OP.i32Load, 0)
    .memory(_OP.i32Store, layout.decided);
  c.get(i).i32(1).op(_OP.i32Add).set(i);
  b.br(loop);
  b.close();
  b.close();
  return { type: T_BATCH, locals: [{ count: 4, type: _I32 }], code: c };
}

/** Size of a function's body as encoded (roughly: its code bytes). */
function _bodyBytes(f: _WasmFunction): number {
  return f.code.length;
}

/**
 * Per code of chain `chain`, the facts its tests are emitted with
 * (./_classifier_wasm_facts.ts): for the chains whose loop has a case per
 * code (a chain of thousands of rules spends its frames in its walk, and
 * its facts cost tens of milliseconds cold); none for the others.
 */
function _chainFacts(plan: _WasmPlan, chain: number): (readonly _Guard[] | null)[] {
  const rules = plan.chains[chain].length;
  return rules > 0 && rules <= _RUN_CASES_RULES
    ? _codeFacts(plan.roots[chain], rules)
    : new Array<null>(2 * rules).fill(null);
}

/**
 * One chain's `collect` (null where its walk is inlined in its `run`, or it
 * has no rules) and `run`.
 */
function _chainFunctions(
  plan: _WasmPlan,
  chain: number,
  at: {
    module: _ModuleFlags;
    extra: _WasmFunction[];
    firstExtra: number;
    /** The index of its `collect`. */
    collect: number;
    nested: number | undefined;
    rules: number;
    tests: { emission: _TestEmission; facts: readonly (readonly _Guard[] | null)[] } | undefined;
    /** Per rule of the module, the index of its test function. */
    testFunctions: Int32Array;
    inlineWalk: boolean;
  },
): [_WasmFunction | null, _WasmFunction] {
  const { module, extra, firstExtra } = at;
  if (plan.chains[chain].length === 0) {
    const c = new _WasmCode();
    c.i32(_R_END);
    return [null, { type: T_TWO, locals: [], code: c }];
  }
  if (plan.chains[chain].length > _RUN_CASES_RULES) {
    return [
      _collectFunction(plan, chain, module, extra, firstExtra),
      _runFunction(plan, chain, at.collect, at.rules),
    ];
  }
  const walk = at.inlineWalk
    ? _inlinedCollect(plan, chain, module, extra, firstExtra, _walkLocalsAt(_INLINED_WALK))
    : null;
  const collect = walk !== null ? null : _collectFunction(plan, chain, module, extra, firstExtra);
  const run = _runCasesFunction(plan, chain, at.collect, at.nested, {
    rules: at.rules,
    tests: at.tests,
    testFunctions: at.testFunctions,
    walk: walk ?? undefined,
  });
  return [collect, run];
}

/**
 * The module's `stage` and `records` functions (at `stage` and `stage + 1`);
 * where chains call each other directly (`nested`), `records` calls a loop
 * with the entry chain's `run` inline (`stage + 2`).
 */
function _stagingFunctions(
  plan: _WasmPlan,
  module: _ModuleFlags,
  runs: readonly _WasmFunction[],
  at: { nested: number | undefined; classify: number; stage: number },
): { functions: _WasmFunction[]; recordsRunEntry: boolean } {
  const layout = plan.layout;
  const stageFlags = {
    byIp: plan.byIp,
    readNibble: plan.fields.some(_isVersionByte),
    readsUpper: module.readsUpper,
    readsLink: plan.anyLink,
    readsInterfaces: module.readsInterfaces,
    readsPatterns: module.patterns.size > 0,
  };
  const emitTotals = (c: _WasmCode, v: number, scratch: number) => {
    _emitTotals(c, layout, v, scratch, () => c.i32(layout.frames));
  };
  const stage = _stageFunction(layout, stageFlags, T_STAGE);
  const entry = runs[plan.entry];
  if (
    at.nested === undefined || !_fusedRecords.enabled || plan.chains[plan.entry].length === 0 ||
    entry.code.length > _fusedRecords.bytes
  ) {
    const records = _recordsFunction(layout, stageFlags, at.classify, emitTotals, T_RECORDS);
    return { functions: [stage, records], recordsRunEntry: false };
  }
  // The run's local `r` (8) is free once its code has run.
  const classify = _entryClassify(plan, (c) => c.append(entry.code.view()), 8);
  const inline = { locals: entry.locals, classify };
  return {
    functions: [
      stage,
      _recordsCallFunction(at.stage + 2, T_RECORDS),
      _recordsRunFunction(layout, stageFlags, inline, emitTotals, T_RUN_RECORDS),
    ],
    recordsRunEntry: true,
  };
}

/** Why the module's functions pass a bound (`_wasmModuleLimits`), or null. */
function _overBound(functions: readonly _WasmFunction[], never: _WasmFunction): string | null {
  let total = 0;
  for (const f of functions) {
    const size = _bodyBytes(f);
    if (size > _wasmModuleLimits.functionBytes) {
      return `a function of the Wasm classifier exceeds ${_wasmModuleLimits.functionBytes} bytes`;
    }
    if (f !== never) total += size;
    if (total > _wasmModuleLimits.moduleBytes) {
      return `the Wasm classifier exceeds ${_wasmModuleLimits.moduleBytes} bytes`;
    }
  }
  return null;
}

/**
 * Whether `rule`'s test may be made on its first call instead of with the
 * module ({@linkcode _LazyTests}): emitting it would change nothing else in
 * the module, whatever it emits: what it reads of the frame record the
 * module already reads (`-p` and guards on the upper-layer protocol need
 * `readsUpper`; whole-name `-i`/`-o` with a numbered name and guards on the
 * interface fields `readsInterfaces`), no `-i eth+` pattern, no link-base
 * `--expr` (it calls back for other link types), and every program lowers
 * to Wasm (no call back into JavaScript, whose matches and frames the
 * module's JavaScript sets up from the start). `lowerable` keeps, by
 * program key, whether a program lowers.
 */
function _mayBeLazy(
  rule: _WasmRule,
  { fields, module }: _TestEmission,
  lowerable: Map<string, boolean>,
): boolean {
  for (const match of rule.matches) {
    const m = match.match;
    if (m.kind === "comment" || m.kind === "address") continue;
    if (m.kind === "protocol") {
      if (m.protocol !== 0 && !module.readsUpper) return false;
      continue;
    }
    if (m.kind === "interface") {
      const numbered = !m.name.endsWith("+") && _interfaceNames(fields)?.get(m.name) !== undefined;
      if (!numbered || !module.readsInterfaces) return false;
      continue;
    }
    if (match.ethernetOnly || match.compiledProgram === undefined || match.key === undefined) {
      return false;
    }
    let lowers = lowerable.get(match.key);
    if (lowers === undefined) {
      lowers = match.program !== null && _loweringRefusal(match.program) === undefined;
      lowerable.set(match.key, lowers);
    }
    if (!lowers) return false;
  }
  const reads = (guards: readonly _Guard[]) =>
    guards.some((g) => {
      const kind = fields[g.field].kind;
      return (kind === _F_UPPER_PROTOCOL && !module.readsUpper) ||
        (kind === _F_INTERFACE && !module.readsInterfaces);
    });
  if (rule.alternatives.some(reads)) return false;
  return !(rule.exactPrograms ?? []).some((exact) => exact !== null && exact.some(reads));
}

/**
 * Tests made on their first call: for chains whose loop calls tests through
 * the table (past {@linkcode _RUN_CASES_RULES} rules), a test that
 * {@linkcode _mayBeLazy} allows is a stub calling `lazyTest(k, frame)`;
 * JavaScript then has `module(k)` (a module of that one test, importing the
 * same memory and functions) compiled, puts its test in the table at
 * `slots[k]` (the rules of its shape) and calls it. Over the 1M-frame
 * capture, the diverse sets run the tests of 7–12 of 1,000 rules and about
 * 70 of 10,000: most tests are never made.
 */
export interface _LazyTests {
  /** Per lazy test, the table slots (rule numbers) it serves. */
  slots: number[][];
  /** The bytes of the module of lazy test `k` (exports `test`). */
  module(k: number): Uint8Array<ArrayBuffer>;
}

/** The stub of lazy test `k`: `lazyTest(k, frame)`. */
function _lazyStub(k: number): _WasmFunction {
  const c = new _WasmCode();
  c.i32(k).get(0).opIndex(_OP.call, F_LAZY_TEST);
  return { type: T_ONE, locals: [], code: c };
}

/** A test function to be made: its slot among the tests, its rule, facts and rule numbers. */
interface _PendingTest {
  slot: number;
  rule: _WasmRule;
  facts: readonly _Guard[] | null;
  /** Its chain calls tests through the table (past `_RUN_CASES_RULES` rules). */
  called: boolean;
  /** The rules (module-wide numbers) it serves. */
  rules: number[];
}

/**
 * The slots of the rules' test functions (the distinct ones: rules of one
 * shape tested with no facts share one, and every rule whose test never
 * runs or is inlined shares `never`; the others are placeholders until
 * {@linkcode _makeTests}), per rule the index of its test function, per
 * chain its first rule's number and its codes' facts.
 */
function _testSlots(
  plan: _WasmPlan,
  never: _WasmFunction,
  inlineTests: boolean,
): {
  tests: _WasmFunction[];
  testFunctions: Int32Array;
  bases: number[];
  chainFacts: (readonly _Guard[] | null)[][];
  pending: _PendingTest[];
} {
  const tests: _WasmFunction[] = [];
  const testFunctions = new Int32Array(plan.chains.reduce((n, rules) => n + rules.length, 0));
  const byShape = new Map<number, _PendingTest>();
  const pending: _PendingTest[] = [];
  const chainFacts: (readonly _Guard[] | null)[][] = [];
  const bases: number[] = [];
  let neverAt = -1;
  let base = 0;
  for (let chain = 0; chain < plan.chains.length; chain++) {
    bases.push(base);
    const rules = plan.chains[chain];
    base += rules.length;
    const listed = new Uint8Array(2 * rules.length);
    if (rules.length > 0) _listedCodes(plan.roots[chain], listed);
    const facts = _chainFacts(plan, chain);
    chainFacts.push(facts);
    rules.forEach((rule, p) => {
      const q = bases[chain] + p;
      if (listed[2 * p + 1] !== 1 || inlineTests) {
        if (neverAt < 0) neverAt = IMPORTS + tests.push(never) - 1;
        testFunctions[q] = neverAt;
        return;
      }
      // Rules of one shape tested with no facts have one test function.
      const fact = facts[2 * p + 1];
      const shape = fact === null ? rule.shape : undefined;
      let test = shape === undefined ? undefined : byShape.get(shape);
      if (test === undefined) {
        const slot = tests.push(never) - 1;
        const called = rules.length > _RUN_CASES_RULES;
        test = { slot, rule, facts: fact, called, rules: [] };
        pending.push(test);
        if (shape !== undefined) byShape.set(shape, test);
      }
      test.rules.push(q);
      testFunctions[q] = IMPORTS + test.slot;
    });
  }
  return { tests, testFunctions, bases, chainFacts, pending };
}

/**
 * Makes the pending tests in their slots of `tests` (after the walks, so that
 * what the module reads is known): a test of a chain that calls tests
 * through the table is left to its first call where
 * {@linkcode _mayBeLazy} allows (a stub in its slot); the others are emitted.
 * Returns the lazy tests' rules and table slots.
 */
function _makeTests(
  pending: readonly _PendingTest[],
  tests: _WasmFunction[],
  emission: _TestEmission,
): { rules: _WasmRule[]; slots: number[][] } {
  const lazy = { rules: [] as _WasmRule[], slots: [] as number[][] };
  const lowerable = new Map<string, boolean>();
  const scratch = new _WasmCode();
  for (const test of pending) {
    if (
      _lazyTests.on && test.called && test.facts === null &&
      _mayBeLazy(test.rule, emission, lowerable)
    ) {
      tests[test.slot] = _lazyStub(lazy.rules.push(test.rule) - 1);
      lazy.slots.push(test.rules);
    } else tests[test.slot] = _testFunction(test.rule, emission, scratch, test.facts);
  }
  return lazy;
}

/** The module of a lazy test of `rule` (exports `test`; imports a memory of `pages` pages). */
function _lazyTestModule(
  rule: _WasmRule,
  emission: _TestEmission,
  pages: number,
): Uint8Array<ArrayBuffer> {
  return _encodeModule({
    types: _TYPES,
    functionImports: _FUNCTION_IMPORTS,
    memoryMinimumPages: pages,
    functions: [_testFunction(rule, emission, new _WasmCode(), null)],
    exports: [{ name: "test", index: _FUNCTION_IMPORTS.length }],
  });
}

/** What the module reads of the frame record, as its lazy tests are emitted with it. */
export interface _LazyTestReads {
  fields: readonly _Field[];
  fieldCalls: boolean;
  readsUpper: boolean;
  readsInterfaces: boolean;
  interfacePatterns: readonly _InterfacePattern[];
}

/**
 * Lazy tests emitted, each on its first request, from their rules alone
 * (`rule(k)`, serving table slots `slots[k]`) for a module that reads
 * `reads` over a memory of `pages` pages: a worker's, given another
 * thread's module and its lazy tests' rules (./_classifier_wasm_portable.ts).
 * A lazy test reads only what the module reads ({@linkcode _mayBeLazy}), so
 * it is the test the other thread emits.
 */
export function _lazyTestsOf(
  rule: (k: number) => _WasmRule,
  slots: number[][],
  reads: _LazyTestReads & { pages: number },
): _LazyTests {
  const patterns = new Map<string, number>();
  reads.interfacePatterns.forEach((p, bit) => patterns.set(`${p.direction} ${p.name}`, bit));
  const emission: _TestEmission = {
    fields: reads.fields,
    escapes: new _Escapes(),
    module: {
      fieldCalls: reads.fieldCalls,
      readsUpper: reads.readsUpper,
      readsInterfaces: reads.readsInterfaces,
      patterns,
    },
    programs: new Map(),
  };
  return { slots, module: (k) => _lazyTestModule(rule(k), emission, reads.pages) };
}

/** Tests: whether tests may be made on their first call ({@linkcode _LazyTests}). */
export const _lazyTests = { on: true };

/** Emits the module of a plan, or why it cannot be (bounds). */
export function _emitClassifierModule(plan: _WasmPlan): _EmittedModule | { reason: string } {
  const escapes = new _Escapes();
  const module: _ModuleFlags = {
    fieldCalls: false,
    readsUpper: false,
    readsInterfaces: false,
    patterns: new Map(),
  };
  const ruleCount = plan.chains.reduce((n, rules) => n + rules.length, 0);
  const chainCount = plan.chains.length;
  const never = _neverFunction();
  const programs = new Map<string, Uint8Array | string>();
  const emission: _TestEmission = { fields: plan.fields, escapes, module, programs };
  // Where every chain's loop has a case per code and chains call each other directly, each
  // chain's `run` holds its tests and its walk (measured at 1,000 rules, where one chain is
  // longer: no gain per frame, and more code for V8 to optimise).
  const nestable = _nestable(plan);
  const inlineTests = nestable && _inlineTests.inline;
  const inlineWalks = nestable && _inlineTests.walk;
  const { tests, testFunctions, bases, chainFacts, pending } = _testSlots(plan, never, inlineTests);
  const firstCollect = IMPORTS + tests.length;
  const firstRun = firstCollect + chainCount;
  const classify = firstRun + chainCount;
  const collects: _WasmFunction[] = [];
  const runs: _WasmFunction[] = [];
  const nested = nestable ? firstRun : undefined;
  const extra: _WasmFunction[] = [];
  for (let chain = 0; chain < chainCount; chain++) {
    const [collect, run] = _chainFunctions(plan, chain, {
      module,
      extra,
      firstExtra: classify + 2,
      collect: firstCollect + chain,
      nested,
      rules: bases[chain],
      tests: inlineTests ? { emission, facts: chainFacts[chain] } : undefined,
      testFunctions,
      inlineWalk: inlineWalks,
    });
    collects.push(collect ?? never);
    runs.push(run);
  }
  // The tests once the walks are emitted (a test is made lazily only where the module already
  // reads what it reads), then staging: it writes what the code above was found to read.
  const lazy = _makeTests(pending, tests, emission);
  _testFunctionsHook.lastModule = tests.length;
  _testFunctionsHook.lastLazy = lazy.rules.length;
  const stage = classify + 2 + extra.length;
  const staging = _stagingFunctions(plan, module, runs, { nested, classify, stage });
  const functions = [
    ...tests,
    ...collects,
    ...runs,
    nested !== undefined
      ? _nestedClassifyFunction(plan, firstRun)
      : _classifyFunction(plan, firstRun, ruleCount, bases),
    _batchFunction(plan.layout, classify),
    ...extra,
    ...staging.functions,
  ];
  const over = _overBound(functions, never);
  if (over !== null) return { reason: over };
  const table: number[] = [];
  for (let q = 0; q < ruleCount; q++) table.push(testFunctions[q]);
  for (let chain = 0; chain < chainCount; chain++) table.push(firstRun + chain);
  const pages = Math.ceil((plan.layout.data + 65536) / 65536);
  const bytes = _encodeModule({
    types: _TYPES,
    functionImports: [..._FUNCTION_IMPORTS, { name: "lazyTest", type: T_TWO }],
    memoryMinimumPages: pages,
    functions,
    exports: [
      { name: "batch", index: classify + 1 },
      { name: "stage", index: stage },
      { name: "records", index: stage + 1 },
      { name: "table", index: 0, kind: 1 },
    ],
    table,
  });
  return {
    bytes,
    lazy: {
      slots: lazy.slots,
      rules: lazy.rules,
      module: (k) => _lazyTestModule(lazy.rules[k], emission, pages),
    },
    escapes: escapes.matches,
    escapeReasons: escapes.reasons,
    fieldCalls: module.fieldCalls,
    readsUpper: module.readsUpper,
    readsInterfaces: module.readsInterfaces,
    form: {
      directCalls: nested !== undefined,
      recordsRunEntry: staging.recordsRunEntry,
      caseChains:
        plan.chains.filter((rules) => rules.length > 0 && rules.length <= _RUN_CASES_RULES)
          .length,
    },
    interfacePatterns: [...module.patterns.keys()].map((key) => {
      const space = key.indexOf(" ");
      return { direction: key.slice(0, space) as "in" | "out", name: key.slice(space + 1) };
    }),
  };
}
