/**
 * Private: one chain's walk as generated JavaScript, where `new Function`
 * is allowed: its index walk ({@linkcode _collectCandidates}) and its
 * candidate loop, with every constant inlined.
 *
 * The generated source has two functions, in one factory whose constants
 * are the chain's tables and the classifier's state and counters:
 * - `collect()`: the index walk. A node is a block of straight-line code
 *   (its bound and frame-class tests, its field loaded with the offset and
 *   size inlined, its exact children as a `switch` on the masked key with
 *   each child's code nested in its `case`), and its rest chain follows in
 *   the same block (a `break` out of the block is the data walk's
 *   `return`). A range node finds the key's elementary interval with an
 *   inlined binary search over its starts (`_interval` past
 *   {@linkcode _INLINE_STARTS} starts), then runs the subtrees of the
 *   segment-tree nodes on the path from that interval's leaf to the root
 *   (per level a `switch` on the path's node at that level). The frame's
 *   state (bytes, windows, IP version, frame class, the bound) is held in
 *   locals of the function. Packet loads at a constant offset or relative
 *   to `ldx msh`, `-s`/`-d` address words, the IPv4 `-p` protocol, the
 *   packet lengths, the link type and interface names (up to
 *   {@linkcode _INLINE_NAMES}) are inlined; the others (IPv6 `-p`,
 *   ancillary) call the shared helpers. Each function's prelude loads only
 *   the frame-state locals its body reads. A leaf's codes are known:
 *   reaching it ORs constants into a two-level bit set of rule codes (bit
 *   `c & 31` of `W[c >> 5]`, bit `w & 31` of `U[w >> 5]` for each non-zero
 *   word `w`). The codes and the bound are exactly those of the data walk.
 *   Value and segment-tree children whose source is longer than
 *   {@linkcode _FUNCTION_CHARS} are local functions (V8 leaves functions of
 *   many kilobytes unoptimised).
 * - `run(size, resume)`: takes the codes out in rule order and runs, per
 *   code, that rule's case of a `switch` emitted in rule order: a matched
 *   code (exact, every guard checked) runs no test; a candidate code first
 *   checks its summary's cheap guards (address, interface, link type: a
 *   failed one proves it cannot match) and then calls its matches'
 *   compiled programs with the rule's context directly (other matches:
 *   their prepared tests); a matched rule's case gives its counter index and
 *   its target, counted after the switch (one typed-array store site). A
 *   long chain's cases (over {@linkcode _INLINE_CASES_CHARS} characters)
 *   are local functions, one per 32 rules. It returns
 *   {@linkcode _R_END} (end of the chain, `RETURN`, or past the bound),
 *   {@linkcode _R_ACCEPT} / {@linkcode _R_DROP} (the deciding rule's
 *   counter index in `decided[0]`), or the position of a rule that jumps
 *   or goes to another chain: the bits left and the bound are kept, and a
 *   call with `resume` continues after that rule (the caller keeps the
 *   chain stack, so nesting depth costs no JavaScript stack).
 *
 * Bounds: at most {@linkcode _MAX_SOURCE_CHARS} characters of source and
 * {@linkcode _MAX_CODES} codes per chain; a larger chain gets a reason and
 * keeps the data walk (the source grows linearly with the index's nodes,
 * keys, segment-tree nodes, interval starts and listed codes, each bounded
 * by ./_rule_index.ts, plus one case per rule: its matches and at most
 * {@linkcode _CHECKED_ALTERNATIVES} × {@linkcode _CHECKED_GUARDS} guards).
 *
 * @module
 */
import { _END, type _IndexNode, _interval } from "./_rule_index.ts";
import {
  _F_ADDRESS,
  _F_INTERFACE,
  _F_LENGTH,
  _F_LINK_TYPE,
  _F_PACKET,
  _F_UPPER_PROTOCOL,
  type _Field,
  _loadField,
} from "./_fields.ts";
import { _load } from "../bpf/_packet_access.ts";
import type { _collectCandidates } from "./_rule_index.ts";
import type { _Frame, _Test } from "./_frame_state.ts";
import { _BASE_NETWORK, type _PreparedMatch, _upperProtocol } from "./_match_tests.ts";
import type { CompiledProgram } from "../bpf/compile.ts";
import { _budgetedProgram } from "./_lazy_rule_test.ts";
import { type _Guard, _selectiveFirst, _selectivity } from "./_guards.ts";
import type { _CollectFrame } from "./_bit_candidates.ts";

/** Most characters of generated source for one chain's walk (then: the data walk). */
export const _MAX_SOURCE_CHARS = 512 * 1024;

/** Children whose source is longer than this become local functions. */
const _FUNCTION_CHARS = 8 * 1024;

/** Range nodes with at most this many interval starts search them inline. */
const _INLINE_STARTS = 128;

/** Interface fields of at most this many names compare them inline. */
const _INLINE_NAMES = 8;

/**
 * Candidate cases up to this many characters are inline in `run` (measured:
 * faster than a call per code at 100 rules); a longer chain's are grouped.
 */
const _INLINE_CASES_CHARS = 64 * 1024;

/** Rules per local function of a long chain's candidate cases (a power of two). */
const _GROUP_RULES = 32;

/**
 * Most characters of a chain's source once candidate cases check exact
 * program matches by their guards (more code than a call): past it, the
 * later rules' cases call their programs, so that a chain whose walk fits
 * without them keeps its generated walk.
 */
const _INLINE_GUARDS_CHARS = (_MAX_SOURCE_CHARS * 3) / 4;

/** A case's result when the walk goes on to the next code. */
export const _R_NEXT = -4;

/** Codes a chain's bit set holds (32 × 32 × 32): chains of more rules keep the data walk. */
export const _MAX_CODES = 32768;

/** `run` result: the chain ended (its end, `RETURN`, or nothing left at or below the bound). */
export const _R_END = -1;
/** `run` result: a rule accepted the frame. */
export const _R_ACCEPT = -2;
/** `run` result: a rule dropped the frame. */
export const _R_DROP = -3;

/** A chain's rule as the emitter reads it. */
export interface _EmittedRule {
  base: number;
  kind: number;
  counter: number;
  matches: readonly _PreparedMatch[];
  /** The guards of each alternative of its summary that can hold (its index entries). */
  alternatives: readonly (readonly _Guard[])[];
  /** Per match, the guards of its program's exact summary, else `null` (./_classifier.ts). */
  exactPrograms?: readonly (readonly (readonly _Guard[])[] | null)[];
}

/** Rule kinds (the values of ./_classifier.ts's `_T_*`). */
const _KIND_NONE = 0;
const _KIND_ACCEPT = 1;
const _KIND_DROP = 2;
const _KIND_RETURN = 3;

/** What a generated walk runs against: the classifier's state and counters. */
export interface _WalkEnvironment {
  state: _Frame;
  packets: Float64Array;
  bytes: Float64Array;
  /** `decided[0]`: the counter index of the rule that decided (set with a verdict). */
  decided: Int32Array;
}

/** One chain's generated walk, bound to its environment. */
export interface _ChainWalk {
  /** The chain's verdict run (see the module doc). */
  run: (size: number, resume: boolean) => number;
  /** The index walk alone: fills `words`/`used` and returns the bound. */
  collect: () => number;
  /** The bit set `collect` fills (for tests). */
  words: Int32Array;
  used: Int32Array;
}

/**
 * The generated walk, or why there is none: then the data walk is used, or,
 * for a big chain, the walk over its key tables (./_key_tables.ts), which
 * fills a bit set (`collect`, with the reason).
 */
export type _SourceWalk =
  | {
    instantiate: (env: _WalkEnvironment) => _ChainWalk;
    chars: number;
    /** Whether the candidate cases are local functions per group of rules (a long chain). */
    grouped: boolean;
  }
  | { reason: string }
  | { collect: _CollectFrame; reason: string };

/** What the generated code refers to by index: fields, range starts, matches. */
interface _Constants {
  fields: _Field[];
  starts: Float64Array[];
  /** Per program slot, the match whose compiled program it holds. */
  programs: _PreparedMatch[];
  /** Per test slot, the match whose prepared test it holds. */
  tests: _PreparedMatch[];
}

/** The emitter's state: source pieces, their length, local functions, constants. */
interface _Emitter {
  out: string[];
  chars: number;
  functions: string[];
  constants: _Constants;
  labels: number;
  /** Per match given a program or test slot, its call (one slot per match). */
  calls: Map<_PreparedMatch, string>;
}

/** Appends a piece of source; `false` once the bound is exceeded. */
function _put(e: _Emitter, piece: string): boolean {
  e.out.push(piece);
  e.chars += piece.length;
  return e.chars <= _MAX_SOURCE_CHARS;
}

/** Source reading `size` big-endian bytes at `b[i]` (`_readBigEndian`). */
function _readSource(size: number): string {
  if (size === 1) return `b[i]`;
  if (size === 2) return `(b[i] << 8) | b[i + 1]`;
  return `((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0`;
}

/** The frame's state as locals: name, value, and the locals the value reads. */
const _LOCALS: readonly (readonly [string, string, string])[] = [
  ["b", "st.bytes", ""],
  ["isIp", "st.isIp", ""],
  ["fc", "st.frameClass", ""],
  ["nw", "st.networkWindow", ""],
  ["lw", "st.linkWindow", ""],
  ["d", "st.descriptor", ""],
  ["nB", "nw.base", "nw"],
  ["nE", "nw.loadEnd", "nw"],
  ["nN", "nw.network", "nw"],
  ["nM", "nw.mac", "nw"],
  ["nW", "nw.wire", "nw"],
  ["lB", "lw.base", "lw"],
  ["lE", "lw.loadEnd", "lw"],
  ["lN", "lw.network", "lw"],
  ["lM", "lw.mac", "lw"],
  ["lW", "lw.wire", "lw"],
  ["ipv", "d.ipVersion", "d"],
  ["ncap", "d.networkCapturedLength", "d"],
  ["ns", "st.networkStart", ""],
];

/**
 * The prelude of a generated function whose body is `body`: the frame-state
 * locals it reads (each a property load per call, so only those), and the
 * scratch variables.
 */
function _prelude(body: string): string {
  const needed = new Set<string>();
  for (const [name, , reads] of _LOCALS) {
    if (new RegExp(`\\b${name}\\b`).test(body)) {
      needed.add(name);
      if (reads !== "") needed.add(reads);
    }
  }
  const declarations = _LOCALS.filter(([name]) => needed.has(name))
    .map(([name, value]) => `${name} = ${value}`);
  const locals = declarations.length === 0 ? "" : `const ${declarations.join(", ")};\n`;
  return `${locals}let v = 0, k = 0, i = 0, e = 0;\n`;
}

/** Source of the value of `field` into `v` (-1 when it cannot be loaded), as `_loadField`. */
function _loadSource(e: _Emitter, field: _Field): string {
  const network = field.base === _BASE_NETWORK;
  const p = network ? "n" : "l";
  const notIp = network ? "!isIp ? -1 : " : "";
  const size = field.size;
  const constantLoad = field.kind === _F_PACKET && field.msh < 0;
  // `_loadIndex`'s non-negative branch (base ≥ 0) and `_readBigEndian`, inlined.
  if (constantLoad && field.offset >= 0) {
    return `i = ${p}B + ${field.offset}; v = ${notIp}(i + ${size} <= ${p}E ? ${
      _readSource(size)
    } : -1);`;
  }
  if (constantLoad) {
    return `v = ${notIp}load(b, ${p}B, ${p}E, ${p}N, ${p}M, ${field.offset}, ${size});`;
  }
  if (field.kind === _F_PACKET && field.msh >= 0 && field.offset >= 0 && field.second < 0) {
    // `_loadField`'s `ldx msh` case: 4 × the low nibble at `msh`, plus the offset.
    return `i = ${p}B + ${field.msh}; v = ${notIp}(i + 1 <= ${p}E ? ((b[i] & 15) << 2) + ${field.offset} : -1);
if (v >= 0) { i = ${p}B + v; v = i + ${size} <= ${p}E ? ${_readSource(size)} : -1; }`;
  }
  if (field.kind === _F_PACKET && field.msh >= 0 && field.offset >= 0) {
    // The same, plus 4 × the high nibble of the byte `second` past the header length.
    return `i = ${p}B + ${field.msh}; v = ${notIp}(i + 1 <= ${p}E ? (b[i] & 15) << 2 : -1);
if (v >= 0) { i = ${p}B + v + ${field.second}; v = i + 1 <= ${p}E ? v + ((b[i] >> 4) << 2) + ${field.offset} : -1; }
if (v >= 0) { i = ${p}B + v; v = i + ${size} <= ${p}E ? ${_readSource(size)} : -1; }`;
  }
  if (field.kind === _F_ADDRESS) {
    // `_addressWord`: the word of that IP version's header, captured whole.
    const version = field.size;
    return `i = ns + ${field.offset}; v = isIp && ipv === ${version} && ncap >= ${
      version === 4 ? 20 : 40
    } ? ${_readSource(4)} : -1;`;
  }
  if (field.kind === _F_UPPER_PROTOCOL) {
    // `_upperProtocol`: IPv4's protocol byte inline, IPv6's extension headers in the helper.
    return `v = !isIp ? -1 : ipv === 4 ? (ncap >= 10 ? b[ns + 9] : -1) : upper(st);`;
  }
  if (field.kind === _F_LENGTH) return `v = ${notIp}${p}W;`;
  if (field.kind === _F_LINK_TYPE) return `v = st.frame.linkType >>> 0;`;
  if (field.kind === _F_INTERFACE) {
    // The name's number among those the rules give, by comparing with each (-1: none).
    const name = field.offset === 0 ? "interfaceName" : "outInterfaceName";
    if (field.names!.size > _INLINE_NAMES) {
      e.constants.fields.push(field);
      const f = `F[${e.constants.fields.length - 1}]`;
      return `v = ${f}.names.get(st.frame.${name} ?? "") ?? -1;`;
    }
    let out = `i = -1; { const name = st.frame.${name} ?? "";\n`;
    for (const [text, n] of field.names!) {
      out += `if (name === ${JSON.stringify(text)}) i = ${n}; else `;
    }
    return `${out}{} } v = i;`;
  }
  e.constants.fields.push(field);
  return `v = loadField(F[${e.constants.fields.length - 1}], st);`;
}

/**
 * Emits `node` and its rest chain as one labelled block; `false` when the
 * bound is exceeded. Recursion follows children only (depth ≤ `_MAX_DEPTH`).
 */
function _emitChain(e: _Emitter, first: _IndexNode): boolean {
  const label = `b${e.labels++}`;
  if (!_put(e, `${label}: {\n`)) return false;
  for (let node: _IndexNode | null = first; node !== null; node = node.rest) {
    if (node.least === _END) break;
    _put(e, `if (${node.least} > bound) break ${label};\n`);
    _put(e, `if ((${node.classes} & fc) !== 0) {\n`);
    if (node.leaf.length > 0) {
      _put(e, _leafSource(node.leaf));
      const { endsIp, endsNotIp } = node;
      if (endsIp === endsNotIp) {
        if (endsIp !== _END) _put(e, `if (${endsIp} < bound) bound = ${endsIp};\n`);
      } else {
        _put(e, `e = isIp ? ${endsIp} : ${endsNotIp}; if (e < bound) bound = e;\n`);
      }
    }
    if (node.field < 0) {
      // A leaf; a segment's last one goes on to the next segment.
      if (node.rest === null) {
        _put(e, `break ${label};\n}\n`);
        break;
      }
      _put(e, `}\n`);
      continue;
    }
    _put(e, `${_loadSource(e, node.source!)}\nif (v >= 0) {\nk = (v & ${node.mask}) >>> 0;\n`);
    if (!_emitChildren(e, node)) return false;
    if (!_put(e, `}\n}\n`)) return false;
  }
  return _put(e, `}\n`);
}

/** Source that adds a leaf's codes to the candidate bit set: per word its bits, per word its used bit. */
function _leafSource(leaf: Int32Array): string {
  const words = new Map<number, number>();
  for (const code of leaf) words.set(code >>> 5, (words.get(code >>> 5) ?? 0) | (1 << (code & 31)));
  const used = new Map<number, number>();
  let out = "";
  for (const [w, bits] of words) {
    out += `W[${w}] |= ${bits};\n`;
    used.set(w >>> 5, (used.get(w >>> 5) ?? 0) | (1 << (w & 31)));
  }
  for (const [u, bits] of used) out += `U[${u}] |= ${bits};\n`;
  return out;
}

/**
 * Source declaring `name` as the interval of `k` among `starts` (-1: below
 * them all); its own name, since the children's code reuses `i`.
 */
function _searchSource(e: _Emitter, starts: Float64Array, name: string): string {
  if (starts.length > _INLINE_STARTS) {
    e.constants.starts.push(starts);
    return `const ${name} = interval(S[${e.constants.starts.length - 1}], k);\n`;
  }
  // A binary decision tree over the constants (as `_interval`'s search).
  const search = (lo: number, hi: number): string => {
    if (lo === hi) return `${name} = ${lo};`;
    const mid = (lo + hi + 1) >> 1;
    return `if (k < ${starts[mid]}) { ${search(lo, mid - 1)} } else { ${search(mid, hi)} }`;
  };
  return `let ${name} = -1;\nif (k >= ${starts[0]}) { ${search(0, starts.length - 1)} }\n`;
}

/** Emits the dispatch on `k` to `node`'s children. */
function _emitChildren(e: _Emitter, node: _IndexNode): boolean {
  if (node.starts === null) {
    const keys = node.keys!;
    const slots = node.slots!;
    if (node.onlyKey >= 0) {
      _put(e, `if (k === ${node.onlyKey}) {\n`);
      return _emitChild(e, node.children[0]!) && _put(e, `}\n`);
    }
    _put(e, `switch (k) {\n`);
    for (let h = 0; h < keys.length; h++) {
      if (slots[h] < 0) continue;
      _put(e, `case ${keys[h]}: {\n`);
      if (!_emitChild(e, node.children[slots[h]]!)) return false;
      _put(e, `break;\n}\n`);
    }
    return _put(e, `}\n`);
  }
  // Segment tree: the interval's leaf, then per level from the bottom up a
  // `switch` on the path's tree node there (one dispatch per level).
  const starts = node.starts;
  const name = `r${e.labels++}`;
  _put(e, _searchSource(e, starts, name));
  const leaves = node.leaves;
  const height = Math.log2(leaves);
  const path = `p${e.labels++}`;
  _put(e, `const ${path} = ${name} < 0 ? 0 : ${name} + ${leaves};\n`);
  for (let level = height; level >= 0; level--) {
    const first = 1 << level;
    let cases = false;
    for (let j = first; j < 2 * first && j < node.children.length; j++) {
      const child = node.children[j];
      if (child === null) continue;
      // A tree node none of whose intervals exists is never on a path.
      if ((j << (height - level)) - leaves > starts.length - 1) continue;
      if (!cases) _put(e, `switch (${path} >> ${height - level}) {\n`);
      cases = true;
      _put(e, `case ${j}: {\n`);
      if (!_emitChild(e, child) || !_put(e, `break;\n}\n`)) return false;
    }
    if (cases) _put(e, `}\n`);
  }
  return true;
}

/**
 * Emits a child's walk inline, or as a call of a local function when its
 * source is longer than {@linkcode _FUNCTION_CHARS}.
 */
function _emitChild(e: _Emitter, child: _IndexNode): boolean {
  const body: _Emitter = { ...e, out: [], chars: e.chars };
  if (!_emitChain(body, child)) return false;
  const text = body.out.join("");
  e.labels = body.labels;
  if (text.length <= _FUNCTION_CHARS) return _put(e, text);
  const name = `f${e.labels++}`;
  const prelude = _prelude(text);
  e.functions.push(`function ${name}(bound) {\n${prelude}${text}return bound;\n}\n`);
  e.chars = body.chars + prelude.length;
  return _put(e, `bound = ${name}(bound);\n`);
}

/**
 * The source of one rule's test (a `break` when it fails), registering the
 * slots and functions it calls: first (with `inline`) the matches whose
 * program's summary is exact, checked by their guards
 * ({@linkcode _exactMatchCall}), then the others (programs called directly,
 * prepared tests), in order. A rule's matches are pure, so their order
 * changes only the cost.
 */
function _testSource(
  e: _Emitter,
  rule: _EmittedRule,
  fields: readonly _Field[],
  inline: boolean,
): string {
  const checks: string[] = [];
  const parts: string[] = [];
  const context = rule.base === _BASE_NETWORK ? "NET" : "LNK";
  for (let m = 0; m < rule.matches.length; m++) {
    const match = rule.matches[m];
    if (match.match.kind === "comment") continue;
    const exact = inline ? rule.exactPrograms?.[m] : undefined;
    if (exact !== undefined && exact !== null) {
      checks.push(_exactMatchCall(e, exact, match.invert, fields));
    } else parts.push(_callSource(e, match, context));
  }
  const all = [...checks, ...parts];
  return all.length === 0 ? "" : `if (!(${all.join(" && ")})) break;\n`;
}

/** The call of a match's compiled program or prepared test, its slot registered once. */
function _callSource(e: _Emitter, match: _PreparedMatch, context: string): string {
  let call = e.calls.get(match);
  if (call !== undefined) return call;
  if (match.compiledProgram !== undefined) {
    e.constants.programs.push(match);
    call = `P${e.constants.programs.length - 1}(b, ${context}) ${match.invert ? "===" : "!=="} 0`;
  } else {
    e.constants.tests.push(match);
    call = `T${e.constants.tests.length - 1}(st)`;
  }
  e.calls.set(match, call);
  return call;
}

/** Characters of one program or test slot's declaration (about: see `_slotDeclarations`). */
const _SLOT_CHARS = 48;

/**
 * The call of a generated function that tells whether a program match
 * holds, from the guards of its exact summary's alternatives
 * (`alternatives`): the program accepts exactly when one alternative's
 * guards all hold, so the match holds when one does (`invert`: when none
 * does). Loads as the index does; the guards most selective first, as the
 * Wasm classifier's tests (`_selectiveFirst`).
 */
function _exactMatchCall(
  e: _Emitter,
  alternatives: readonly (readonly _Guard[])[],
  invert: boolean,
  fields: readonly _Field[],
): string {
  let out = "";
  alternatives.forEach((guards, a) => {
    const label = `x${e.labels++}`;
    out += `${a > 0 ? "if (!ok) " : ""}${label}: {\n`;
    for (const g of _selectiveFirst(guards)) {
      out += `${_loadSource(e, fields[g.field])}\nk = (v & ${g.mask}) >>> 0;
if (v < 0 || k < ${g.lo} || k > ${g.hi}) break ${label};\n`;
    }
    out += `ok = true;\n}\n`;
  });
  // Its own small function: optimised (and deoptimised) on its own, not as part of `run`.
  const name = `X${e.labels++}`;
  e.functions.push(
    `function ${name}() {\n${_prelude(out)}let ok = false;\n${out}return ${
      invert ? "!ok" : "ok"
    };\n}\n`,
  );
  return `${name}()`;
}

/** Most alternatives whose guards a candidate's case checks before its test. */
const _CHECKED_ALTERNATIVES = 2;
/** Most guards of each alternative it checks (the most selective first). */
const _CHECKED_GUARDS = 2;

/**
 * Fields whose guards a candidate's case checks: loads that cost a few
 * reads and often fail (measured: checking packet-load guards too costs
 * more in code size than the program runs it spares, at 1,000 rules).
 */
const _CHECKED_KINDS = new Set([_F_ADDRESS, _F_INTERFACE, _F_LINK_TYPE]);

/**
 * Source that breaks out of a candidate's case when none of the rule's
 * alternatives has all its guards holding (each guard is necessary for its
 * alternative, so the rule cannot match): cheap field loads that spare a
 * program run where the index did not check them. Empty when an
 * alternative has no guard or there are too many alternatives.
 */
function _guardsSource(e: _Emitter, rule: _EmittedRule, fields: readonly _Field[]): string {
  const checked = (guards: readonly _Guard[]) =>
    guards.filter((g) => _CHECKED_KINDS.has(fields[g.field].kind))
      .sort((a, b) => _selectivity(b) - _selectivity(a)).slice(0, _CHECKED_GUARDS);
  const alternatives = rule.alternatives.map(checked);
  if (alternatives.length === 0 || alternatives.length > _CHECKED_ALTERNATIVES) return "";
  if (alternatives.some((guards) => guards.length === 0)) return "";
  let out = "ok = false;\n";
  alternatives.forEach((guards, a) => {
    const label = `g${e.labels++}`;
    out += `${a > 0 ? "if (!ok) " : ""}${label}: {\n`;
    for (const g of guards) {
      out += `${_loadSource(e, fields[g.field])}\nk = (v & ${g.mask}) >>> 0;
if (v < 0 || k < ${g.lo} || k > ${g.hi}) break ${label};\n`;
    }
    out += `ok = true;\n}\n`;
  });
  return `${out}if (!ok) break;\n`;
}

/**
 * The `case`s of rule `p` for the codes of it that leaves list; with
 * `inline`, exact program matches are checked by their guards.
 */
function _ruleCases(
  e: _Emitter,
  rule: _EmittedRule,
  p: number,
  codes: Set<number>,
  fields: readonly _Field[],
  inline: boolean,
): string {
  const matched = codes.has(2 * p);
  const candidate = codes.has(2 * p + 1);
  if (!matched && !candidate) return "";
  const notIp = rule.base === _BASE_NETWORK ? `if (!isIp) break;\n` : "";
  let out = "";
  if (candidate) {
    out += `case ${2 * p + 1}:\n${notIp}${_guardsSource(e, rule, fields)}`;
    out += _testSource(e, rule, fields, inline);
  }
  if (matched) out += `case ${2 * p}:\n${notIp}`;
  // The rule matched: its counter (counted after the switch, `_COUNT`) and its result.
  out += `c = ${rule.counter}; `;
  switch (rule.kind) {
    case _KIND_NONE:
      return `${out}break;\n`;
    case _KIND_ACCEPT:
      return `${out}r = ${_R_ACCEPT}; break;\n`;
    case _KIND_DROP:
      return `${out}r = ${_R_DROP}; break;\n`;
    case _KIND_RETURN:
      return `${out}r = ${_R_END}; break;\n`;
  }
  // A jump or goto: `run` keeps what is left and the bound for `resume`.
  return `${out}r = ${p}; break;\n`;
}

/**
 * After a switch of cases: the matched rule's counters and, with a verdict,
 * the deciding counter. One place for every rule (not a keyed store per
 * case: a case first reached in optimised code would deoptimise it).
 */
const _COUNT = `if (c >= 0) {
PK[c]++;
BY[c] += size;
if (r === ${_R_ACCEPT} || r === ${_R_DROP}) D[0] = c;
}
`;

/** Every code some leaf of the index lists. */
function _listedCodes(root: _IndexNode): Set<number> {
  const codes = new Set<number>();
  const stack: _IndexNode[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    for (const code of node.leaf) codes.add(code);
    for (const child of node.children) if (child !== null) stack.push(child);
    if (node.rest !== null) stack.push(node.rest);
  }
  return codes;
}

/** The candidate loop: codes in rule order from the bit set, each rule's case. */
function _runSource(
  e: _Emitter,
  rules: readonly _EmittedRule[],
  root: _IndexNode,
  usedWords: number,
  fields: readonly _Field[],
): string | null {
  const codes = _listedCodes(root);
  // Each rule's cases calling its programs, then, in rule order while the
  // source stays within `_INLINE_GUARDS_CHARS`, checking exact ones' guards.
  const cases: string[] = [];
  let chars = 0;
  for (let p = 0; p < rules.length; p++) {
    cases.push(_ruleCases(e, rules[p], p, codes, fields, false));
    chars += cases[p].length;
    if (chars > _MAX_SOURCE_CHARS) return null;
  }
  const slots = e.constants.programs.length + e.constants.tests.length;
  let room = _INLINE_GUARDS_CHARS - e.chars - chars - _SLOT_CHARS * slots;
  for (let p = 0; p < rules.length && room > 0; p++) {
    if (cases[p] === "" || !rules[p].exactPrograms?.some((x) => x !== null)) continue;
    const mark = e.functions.length;
    const inline = _ruleCases(e, rules[p], p, codes, fields, true);
    let extra = inline.length - cases[p].length;
    for (let f = mark; f < e.functions.length; f++) extra += e.functions[f].length;
    if (extra > room) {
      e.functions.length = mark;
      continue;
    }
    cases[p] = inline;
    chars += extra;
    room -= extra;
  }
  // Per group of `_GROUP_RULES` rules, its cases.
  const groups: string[] = [];
  cases.forEach((text, p) => {
    const g = Math.floor(p / _GROUP_RULES);
    groups[g] = (groups[g] ?? "") + text;
  });
  let dispatch: string;
  let functions = "";
  if (chars <= _INLINE_CASES_CHARS) {
    dispatch = `r = ${_R_NEXT}; c = -1;\nswitch (code) {\n${groups.join("")}}\n${_COUNT}`;
  } else {
    // A long chain's cases are local functions, one per group of rules.
    dispatch = `switch (code >> ${Math.log2(2 * _GROUP_RULES)}) {\n`;
    groups.forEach((cases, g) => {
      if (cases === undefined || cases === "") return;
      functions += `function k${g}(code, size, bound) {
${_prelude(cases)}let ok = false, r = ${_R_NEXT}, c = -1;
switch (code) {\n${cases}}\n${_COUNT}return r;\n}\n`;
      dispatch += `case ${g}: r = k${g}(code, size, bound); break;\n`;
    });
    dispatch += `default: r = ${_R_NEXT};\n}\n`;
  }
  return `${functions}function run(size, resume) {
  const bound = resume ? SV[0] : collect();
  ${_prelude(dispatch)}let ok = false, r = 0, c = -1;
  for (let j = 0; j < ${usedWords}; j++) {
    let u = U[j];
    while (u !== 0) {
      const w = (j << 5) + 31 - Math.clz32(u & -u);
      u &= u - 1;
      U[j] = u;
      let m = W[w];
      W[w] = 0;
      while (m !== 0) {
        const code = (w << 5) + 31 - Math.clz32(m & -m);
        m &= m - 1;
        if (code > bound) return ${_R_END};
${dispatch}
        // A matched code (even) was taken: the rule's candidate code is not.
        if ((code & 1) === 0) m &= ~(1 << ((code + 1) & 31));
        if (r !== ${_R_NEXT}) {
          if (r >= 0) {
            if (m !== 0) {
              W[w] = m;
              U[j] = u | (1 << (w & 31));
            }
            SV[0] = bound;
          }
          return r;
        }
      }
    }
  }
  return ${_R_END};
}`;
}

/** A chain's walk as source, not yet compiled (what `_compileWalk` needs). */
export interface _EmittedWalk {
  source: string;
  constants: _Constants;
  /** Words of the bit set (`W`) and of its used level (`U`). */
  words: number;
  usedWords: number;
  grouped: boolean;
}

/**
 * The source of the walk of the index `root` of a chain of `rules`, or why
 * there is none (bounds); {@linkcode _compileWalk} compiles it, in a
 * separate compile step.
 */
export function _emitWalk(
  root: _IndexNode,
  rules: readonly _EmittedRule[],
  fields: readonly _Field[],
): _EmittedWalk | { reason: string } {
  const tooLong = { reason: `generated walk exceeds ${_MAX_SOURCE_CHARS} characters` };
  if (2 * rules.length > _MAX_CODES) {
    return { reason: `the chain has more than ${_MAX_CODES / 2} rules` };
  }
  const e: _Emitter = {
    out: [],
    chars: 0,
    functions: [],
    constants: { fields: [], starts: [], programs: [], tests: [] },
    labels: 0,
    calls: new Map(),
  };
  if (!_emitChain(e, root)) return tooLong;
  const words = Math.max(1, Math.ceil((2 * rules.length) / 32));
  const usedWords = Math.ceil(words / 32);
  const run = _runSource(e, rules, root, usedWords, fields);
  if (run === null) return tooLong;
  const grouped = run.startsWith("function k");
  const source = `"use strict";
const NET = st.network, LNK = st.link;
${_slotDeclarations(e.constants)}${e.functions.join("")}
function collect() {
${_prelude(e.out.join(""))}
  // What the last walk left (past its bound, or not taken before a decision).
  for (let j = 0; j < ${usedWords}; j++) {
    for (let x = U[j]; x !== 0; x &= x - 1) W[(j << 5) + 31 - Math.clz32(x & -x)] = 0;
    U[j] = 0;
  }
  let bound = ${_END};
${e.out.join("")}
  return bound;
}
${run}
return { run, collect };`;
  if (source.length > _MAX_SOURCE_CHARS + 4096) return tooLong;
  return { source, constants: e.constants, words, usedWords, grouped };
}

/**
 * The programs' and tests' variables (`P<q>`, `T<q>`): each starts as a
 * function whose first call puts the compiled program (`P(q)`) or built
 * test (`T(q)`) in its place and calls it. Named variables, not an array:
 * a case first reached in optimised code then costs no keyed-access deopt.
 */
function _slotDeclarations(constants: _Constants): string {
  let out = "";
  for (let q = 0; q < constants.programs.length; q++) {
    out += `let P${q} = (x, y) => (P${q} = P(${q}))(x, y);\n`;
  }
  for (let q = 0; q < constants.tests.length; q++) {
    out += `let T${q} = (x) => (T${q} = T(${q}))(x);\n`;
  }
  return out;
}

/** Compiles an emitted walk, or says why it cannot be (`new Function` refused). */
export function _compileWalk(emitted: _EmittedWalk): _SourceWalk {
  const { source, constants, words, usedWords } = emitted;
  type Factory = (...args: unknown[]) => {
    run: (size: number, resume: boolean) => number;
    collect: () => number;
  };
  let factory: Factory;
  try {
    factory = new Function(..._PARAMETERS, source) as Factory;
  } catch (error) {
    return { reason: `code generation failed (${error instanceof Error ? error.message : error})` };
  }
  const instantiate = (env: _WalkEnvironment): _ChainWalk => {
    const W = new Int32Array(words);
    const U = new Int32Array(usedWords);
    // Programs compile on first call within the making budget (./_lazy_rule_test.ts), tests
    // are built on first call.
    const programs = (q: number): CompiledProgram => _budgetedProgram(constants.programs[q]);
    const tests = (q: number): _Test => constants.tests[q].build() ?? (() => true);
    const { run, collect } = factory(
      env.state,
      W,
      U,
      new Int32Array(1),
      env.packets,
      env.bytes,
      env.decided,
      programs,
      tests,
      constants.fields,
      constants.starts,
      _load,
      _loadField,
      _interval,
      _upperProtocol,
    );
    return { run, collect, words: W, used: U };
  };
  return { instantiate, chars: source.length, grouped: emitted.grouped };
}

/** The generated factory's parameters (in `_compileWalk`'s call order). */
const _PARAMETERS = [
  "st",
  "W",
  "U",
  "SV",
  "PK",
  "BY",
  "D",
  "P",
  "T",
  "F",
  "S",
  "load",
  "loadField",
  "interval",
  "upper",
];
