/**
 * Private: one chain's index walk ({@linkcode _collectCandidates}) as
 * generated JavaScript, where `new Function` is allowed.
 *
 * The data-driven walk reads each node's kind, field, mask, table and
 * children from objects per frame, and appends leaf lists that are merged in
 * rule order afterwards. The generated walk has them as constants: a node is
 * a block of straight-line code (its bound and frame-class tests, its field
 * loaded with the offset and size inlined, its exact children as a `switch`
 * on the masked key with each child's code nested in its `case`), and its
 * rest chain follows in the same block (a `break` out of the block is the
 * data walk's `return`). Range nodes keep their segment tree: the interval
 * comes from a binary search over the node's starts, and each tree node's
 * subtree is a local function called on the path from the interval up to
 * the root; value children with long code are local functions too. Fields
 * other than packet loads at a non-negative offset (constant or `ldx msh`)
 * are loaded with `_loadField` itself.
 *
 * A leaf's codes are known at generation time: reaching it ORs constants
 * into a bit set of rule codes ({@linkcode _BitCandidates}), and
 * {@linkcode _takeLeast} hands them out in rule order, so nothing is merged
 * at run time. The codes and the bound are exactly those of the data walk.
 *
 * Bounds: at most {@linkcode _MAX_SOURCE_CHARS} characters of source and
 * {@linkcode _MAX_CODES} codes per chain; a larger chain gets a reason and
 * keeps the data walk (the source grows linearly with the index's nodes,
 * keys, segment-tree nodes and listed codes, each bounded by
 * ./_rule_index.ts).
 *
 * @module
 */
import { _END, type _IndexNode, _interval } from "./_rule_index.ts";
import { _F_PACKET, _loadField } from "./_fields.ts";
import { _load } from "../bpf/_packet_access.ts";
import type { _collectCandidates, _Collected } from "./_rule_index.ts";
import type { _Frame } from "./_frame_state.ts";

/** Most characters of generated source for one chain's walk (then: the data walk). */
export const _MAX_SOURCE_CHARS = 512 * 1024;

/** Value children whose source is longer than this become local functions. */
const _FUNCTION_CHARS = 32 * 1024;

/**
 * A chain's candidates as a bit set of rule codes, in three levels so that
 * taking the least costs three bit scans: bit `c & 31` of `words[c >> 5]`,
 * bit `w & 31` of `used[w >> 5]` for each non-zero word `w`, bit `u` of
 * `top` for each non-zero `used[u]` (codes below {@linkcode _MAX_CODES}).
 */
export interface _BitCandidates {
  words: Int32Array;
  used: Int32Array;
  top: number;
  /** Codes past this one are never reached (as {@linkcode _Collected.bound}). */
  bound: number;
}

/** Codes a bit set holds (32 × 32 × 32): chains of more rules keep the data walk. */
export const _MAX_CODES = 32768;

/** Empty candidate sets for a chain of `rules` rules. */
export function _newBitCandidates(rules: number): _BitCandidates {
  const words = Math.max(1, Math.ceil((2 * rules) / 32));
  return {
    words: new Int32Array(words),
    used: new Int32Array(Math.ceil(words / 32)),
    top: 0,
    bound: _END,
  };
}

/**
 * Takes the least code out of `into`: the code, or `_END` when none is left
 * at or below the bound (codes left are cleared by the next collect).
 */
export function _takeLeast(into: _BitCandidates): number {
  const top = into.top;
  if (top === 0) return _END;
  const u = 31 - Math.clz32(top & -top);
  const used = into.used;
  let x = used[u];
  const w = (u << 5) + 31 - Math.clz32(x & -x);
  const words = into.words;
  let m = words[w];
  const code = (w << 5) + 31 - Math.clz32(m & -m);
  if (code > into.bound) return _END;
  m &= m - 1;
  words[w] = m;
  if (m === 0) {
    x &= x - 1;
    used[u] = x;
    if (x === 0) into.top = top & (top - 1);
  }
  return code;
}

/**
 * One chain's walk: sets `into` to the codes `_collectCandidates(root, state,
 * into)` would list (from empty) and the same bound.
 */
export type _CollectFrame = (state: _Frame, into: _BitCandidates) => void;

/**
 * The generated walk, or why there is none (then the data walk is used; a
 * big chain's data walk over key tables, ./_key_tables.ts, also fills the
 * bit set: then `collect` too).
 */
export type _SourceWalk =
  | { collect: _CollectFrame; chars: number }
  | { reason: string }
  | { collect: _CollectFrame; reason: string };

/** What the generated code refers to by index: nodes (for `_loadField`), range starts. */
interface _Constants {
  nodes: _IndexNode[];
  starts: Float64Array[];
}

/** The emitter's state: source pieces, their length, local functions, constants. */
interface _Emitter {
  out: string[];
  chars: number;
  functions: string[];
  constants: _Constants;
  labels: number;
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

/** Source of the value of `node`'s field into `v` (-1 when it cannot be loaded). */
function _loadSource(e: _Emitter, node: _IndexNode): string {
  const field = node.source!;
  const p = node.network ? "n" : "l";
  const notIp = node.network ? "!isIp ? -1 : " : "";
  const size = node.size;
  // `_loadIndex`'s non-negative branch (base ≥ 0) and `_readBigEndian`, inlined.
  if (node.constantLoad && node.offset >= 0) {
    return `i = ${p}B + ${node.offset}; v = ${notIp}(i + ${size} <= ${p}E ? ${
      _readSource(size)
    } : -1);`;
  }
  if (node.constantLoad) {
    return `v = ${notIp}load(b, ${p}B, ${p}E, ${p}N, ${p}M, ${node.offset}, ${size});`;
  }
  if (field.kind === _F_PACKET && field.msh >= 0 && field.offset >= 0) {
    // `_loadField`'s `ldx msh` case: 4 × the low nibble at `msh`, plus the offset.
    return `i = ${p}B + ${field.msh}; v = ${notIp}(i + 1 <= ${p}E ? ((b[i] & 15) << 2) + ${field.offset} : -1);
if (v >= 0) { i = ${p}B + v; v = i + ${size} <= ${p}E ? ${_readSource(size)} : -1; }`;
  }
  e.constants.nodes.push(node);
  return `v = loadField(N[${e.constants.nodes.length - 1}].source, st);`;
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
      if (node.endsIp !== _END || node.endsNotIp !== _END) {
        _put(e, `e = isIp ? ${node.endsIp} : ${node.endsNotIp}; if (e < bound) bound = e;\n`);
      }
    }
    if (node.field < 0) {
      _put(e, `break ${label};\n}\n`);
      break;
    }
    _put(e, `${_loadSource(e, node)}\nif (v >= 0) {\nk = (v & ${node.mask}) >>> 0;\n`);
    if (!_emitChildren(e, node)) return false;
    if (!_put(e, `}\n}\n`)) return false;
  }
  return _put(e, `}\n`);
}

/**
 * Source that adds a leaf's codes to the candidate bit set: per word of
 * codes its bits, per word of words its bit, and the top word's bit.
 */
function _leafSource(leaf: Int32Array): string {
  const words = new Map<number, number>();
  for (const code of leaf) words.set(code >>> 5, (words.get(code >>> 5) ?? 0) | (1 << (code & 31)));
  const used = new Map<number, number>();
  let top = 0;
  let out = "";
  for (const [w, bits] of words) {
    out += `W[${w}] |= ${bits};\n`;
    used.set(w >>> 5, (used.get(w >>> 5) ?? 0) | (1 << (w & 31)));
    top |= 1 << (w >>> 5);
  }
  for (const [u, bits] of used) out += `U[${u}] |= ${bits};\n`;
  return `${out}t |= ${top};\n`;
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
  // Segment tree: one local function per tree node with a subtree, called on the path.
  const names: string[] = [];
  for (let j = 0; j < node.children.length; j++) {
    const child = node.children[j];
    if (child === null) continue;
    const name = _emitFunction(e, child);
    if (name === null) return false;
    names[j] = name;
  }
  e.constants.starts.push(node.starts);
  const s = e.constants.starts.length - 1;
  _put(e, `i = interval(S[${s}], k);\n`);
  _put(e, `for (let j = i < 0 ? 0 : i + ${node.leaves}; j >= 1; j >>= 1) {\nswitch (j) {\n`);
  for (let j = 0; j < names.length; j++) {
    if (names[j] !== undefined) _put(e, `case ${j}: ${names[j]}(); break;\n`);
  }
  return _put(e, `}\n}\n`);
}

/**
 * Emits a value child's walk inline, or as a call of a local function when
 * its source is longer than {@linkcode _FUNCTION_CHARS} (measured: V8 runs
 * one function of megabytes unoptimised, several times slower).
 */
function _emitChild(e: _Emitter, child: _IndexNode): boolean {
  const body: _Emitter = { ...e, out: [], chars: e.chars };
  if (!_emitChain(body, child)) return false;
  const text = body.out.join("");
  e.labels = body.labels;
  if (text.length <= _FUNCTION_CHARS) return _put(e, text);
  const name = `f${e.labels++}`;
  e.functions.push(`function ${name}() {\nlet v = 0, k = 0, i = 0, e = 0;\n${text}}\n`);
  e.chars = body.chars;
  return _put(e, `${name}();\n`);
}

/** Emits `node`'s walk as a local function; its name, or null past the bound. */
function _emitFunction(e: _Emitter, node: _IndexNode): string | null {
  const name = `f${e.labels++}`;
  const body: _Emitter = { ...e, out: [], chars: e.chars };
  if (!_emitChain(body, node)) return null;
  e.chars = body.chars;
  e.labels = body.labels;
  e.functions.push(
    `function ${name}() {\nlet v = 0, k = 0, i = 0, e = 0;\n${body.out.join("")}}\n`,
  );
  return name;
}

/** A chain's walk as source, not yet compiled (what `_compileWalk` needs). */
export interface _EmittedWalk {
  source: string;
  constants: _Constants;
}

/**
 * The source of the walk of the index `root` of a chain of `rules` rules,
 * or why there is none (bounds); {@linkcode _compileWalk} compiles it, in a
 * separate compile step.
 */
export function _emitWalk(root: _IndexNode, rules: number): _EmittedWalk | { reason: string } {
  if (2 * rules > _MAX_CODES) {
    return { reason: `the chain has more than ${_MAX_CODES / 2} rules` };
  }
  const e: _Emitter = {
    out: [],
    chars: 0,
    functions: [],
    constants: { nodes: [], starts: [] },
    labels: 0,
  };
  if (!_emitChain(e, root)) {
    return { reason: `generated walk exceeds ${_MAX_SOURCE_CHARS} characters` };
  }
  const source = `"use strict";
let st, b, isIp, fc, nB = 0, nE = 0, nN = 0, nM = 0, lB = 0, lE = 0, lN = 0, lM = 0;
let W, U, t = 0, bound = ${_END};
${e.functions.join("")}
return function collect(state, into) {
  st = state; b = state.bytes; isIp = state.isIp; fc = state.frameClass;
  const nw = state.networkWindow, lw = state.linkWindow;
  nB = nw.base; nE = nw.loadEnd; nN = nw.network; nM = nw.mac;
  lB = lw.base; lE = lw.loadEnd; lN = lw.network; lM = lw.mac;
  W = into.words; U = into.used; bound = ${_END};
  // What the last walk left (past its bound, or not taken before a decision).
  for (t = into.top; t !== 0; t &= t - 1) {
    const u = 31 - Math.clz32(t & -t);
    for (let x = U[u]; x !== 0; x &= x - 1) W[(u << 5) + 31 - Math.clz32(x & -x)] = 0;
    U[u] = 0;
  }
  let v = 0, k = 0, i = 0, e = 0;
${e.out.join("")}
  into.top = t; into.bound = bound;
};`;
  if (source.length > _MAX_SOURCE_CHARS + 4096) {
    return { reason: `generated walk exceeds ${_MAX_SOURCE_CHARS} characters` };
  }
  return { source, constants: e.constants };
}

/** Compiles an emitted walk, or says why it cannot be (`new Function` refused). */
export function _compileWalk({ source, constants }: _EmittedWalk): _SourceWalk {
  let factory: (...args: unknown[]) => _CollectFrame;
  try {
    factory = new Function("N", "S", "load", "loadField", "interval", source) as (
      ...args: unknown[]
    ) => _CollectFrame;
  } catch (error) {
    return { reason: `code generation failed (${error instanceof Error ? error.message : error})` };
  }
  const { nodes, starts } = constants;
  return { collect: factory(nodes, starts, _load, _loadField, _interval), chars: source.length };
}
