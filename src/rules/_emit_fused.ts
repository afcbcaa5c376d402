/**
 * Private helper: turns a fused decision graph ({@linkcode _fuseRules}) into a
 * function, as a tree of closures (no code generation) or as generated
 * JavaScript source.
 *
 * @module
 */
import { _loadIndex } from "../bpf/_packet_access.ts";
import { BPF_DIV, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_MOD } from "../bpf/opcodes.ts";
import {
  _alu,
  _ALU_MSH,
  type _FusedGraph,
  type _FusedNode,
  _N_ALU,
  _N_ALUX,
  _N_CALL,
  _N_LEAF,
  _N_LEN,
  _N_LOAD,
  _N_LOADX,
  type _N_SWITCH,
  _N_TEST,
  _N_TESTX,
} from "./_fuse_rules.ts";

/**
 * A fused run: the index of the first matching rule, or -1. `avail` is the
 * number of bytes loads may read from `base` (`loadEnd - base`).
 */
export type _FusedRun<S> = (
  state: S,
  packet: Uint8Array,
  base: number,
  avail: number,
  loadEnd: number,
  network: number,
  mac: number,
  wire: number,
) => number;

type _Thunk = () => number;

const _EMPTY = new Uint8Array(0);

/** A lookup table: a dense `Int32Array` over `[min, min + length)` or a `Map`. */
interface _Table {
  min: number;
  dense: Int32Array | null;
  map: Map<number, number>;
}

function _table(map: Map<number, number>): _Table {
  let min = Infinity;
  let max = -Infinity;
  for (const key of map.keys()) {
    if (key < min) min = key;
    if (key > max) max = key;
  }
  if (max - min < 4096) {
    const dense = new Int32Array(max - min + 1).fill(-1);
    for (const [key, position] of map) dense[key - min] = position;
    return { min, dense, map };
  }
  return { min, dense: null, map };
}

/** The graph as closures sharing value cells. */
export function _emitFusedClosure<S>(
  graph: _FusedGraph,
  tests: readonly ((state: S) => boolean)[],
): _FusedRun<S> {
  const V = new Float64Array(Math.max(graph.cells, 1));
  let P: Uint8Array = _EMPTY;
  let B = 0;
  let N = 0;
  let LE = 0;
  let NET = 0;
  let MAC = -1;
  let W = 0;
  let S: S = undefined as S;
  const built = new Map<_FusedNode, _Thunk>();

  const read = (size: number, i: number): number =>
    size === 1
      ? P[i]
      : size === 2
      ? (P[i] << 8) | P[i + 1]
      : ((P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3]) >>> 0;
  const sym = (s: number): number => (s >= 0 ? s : V[~s]);

  const build = (n: _FusedNode): _Thunk => {
    let f = built.get(n);
    if (f) return f;
    f = make(n);
    built.set(n, f);
    return f;
  };

  const make = (n: _FusedNode): _Thunk => {
    const c = n.cell;
    const k = n.k;
    switch (n.op) {
      case _N_LEAF: {
        const rule = n.rule;
        return () => rule;
      }
      case _N_LOAD: {
        const next = build(n.next!);
        const need = k + n.size;
        if (n.check) {
          const fail = build(n.fail!);
          if (n.size === 1) {
            return () => {
              if (N < need) return fail();
              V[c] = P[B + k];
              return next();
            };
          }
          if (n.size === 2) {
            return () => {
              if (N < need) return fail();
              const i = B + k;
              V[c] = (P[i] << 8) | P[i + 1];
              return next();
            };
          }
          return () => {
            if (N < need) return fail();
            const i = B + k;
            V[c] = ((P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3]) >>> 0;
            return next();
          };
        }
        const size = n.size;
        return () => {
          V[c] = read(size, B + k);
          return next();
        };
      }
      case _N_LOADX: {
        const next = build(n.next!);
        const fail = build(n.fail!);
        const size = n.size;
        const x = n.a;
        if (x < 0) {
          return () => {
            const i = _loadIndex(B, LE, NET, MAC, k, size);
            if (i < 0) return fail();
            V[c] = read(size, i);
            return next();
          };
        }
        return () => {
          const o = (V[x] + k) | 0;
          const i = o >= 0 ? (o + size <= N ? B + o : -1) : _loadIndex(B, LE, NET, MAC, o, size);
          if (i < 0) return fail();
          V[c] = read(size, i);
          return next();
        };
      }
      case _N_LEN: {
        const next = build(n.next!);
        return () => {
          V[c] = W;
          return next();
        };
      }
      case _N_ALU: {
        const next = build(n.next!);
        const a = n.a;
        const op = n.jop;
        if (op === _ALU_MSH) {
          return () => {
            V[c] = (V[a] & 0xf) << 2;
            return next();
          };
        }
        return () => {
          V[c] = _alu(op, V[a], k)!;
          return next();
        };
      }
      case _N_ALUX: {
        const next = build(n.next!);
        const fail = n.fail ? build(n.fail) : next;
        const a = n.a;
        const b = n.b;
        const op = n.jop;
        return () => {
          const v = _alu(op, sym(a), sym(b));
          if (v === undefined) return fail();
          V[c] = v;
          return next();
        };
      }
      case _N_TEST: {
        const t = build(n.next!);
        const f = build(n.fail!);
        switch (n.jop) {
          case BPF_JEQ:
            return () => (V[c] === k ? t() : f());
          case BPF_JGT:
            return () => (V[c] > k ? t() : f());
          case BPF_JGE:
            return () => (V[c] >= k ? t() : f());
          default:
            return () => ((V[c] & k) !== 0 ? t() : f());
        }
      }
      case _N_TESTX: {
        const t = build(n.next!);
        const f = build(n.fail!);
        const a = n.a;
        const b = n.b;
        switch (n.jop) {
          case BPF_JEQ:
            return () => (sym(a) === sym(b) ? t() : f());
          case BPF_JGT:
            return () => (sym(a) > sym(b) ? t() : f());
          case BPF_JGE:
            return () => (sym(a) >= sym(b) ? t() : f());
          default:
            return () => ((sym(a) & sym(b)) !== 0 ? t() : f());
        }
      }
      case _N_CALL: {
        const t = build(n.next!);
        const f = build(n.fail!);
        const test = tests[k];
        return () => (test(S) ? t() : f());
      }
      default: { // _N_SWITCH
        const cells = Int32Array.from(n.cells!);
        const tables = n.tables!.map(_table);
        const targets = n.targets!.map(build);
        const miss = build(n.fail!);
        const count = cells.length;
        const lookup = (i: number): number => {
          const table = tables[i];
          const v = V[cells[i]];
          if (table.dense !== null) {
            const at = v - table.min;
            return at >= 0 && at < table.dense.length ? table.dense[at] : -1;
          }
          return table.map.get(v) ?? -1;
        };
        if (count === 1) {
          return () => {
            const p = lookup(0);
            return p >= 0 ? targets[p]() : miss();
          };
        }
        return () => {
          let best = -1;
          for (let i = 0; i < count; i++) {
            const p = lookup(i);
            if (p >= 0 && (best < 0 || p < best)) best = p;
          }
          return best >= 0 ? targets[best]() : miss();
        };
      }
    }
  };

  const root = build(graph.root);
  return (state, packet, base, avail, loadEnd, network, mac, wire) => {
    S = state;
    P = packet;
    B = base;
    N = avail;
    LE = loadEnd;
    NET = network;
    MAC = mac;
    W = wire;
    return root();
  };
}

/** Largest generated source accepted (characters). */
const _MAX_SOURCE = 2_000_000;

/**
 * The graph as generated JavaScript: one function, shared nodes as inner
 * functions, value cells as variables. Throws when code generation is not
 * allowed or the source would be too large.
 */
export function _emitFusedSource<S>(
  graph: _FusedGraph,
  tests: readonly ((state: S) => boolean)[],
): _FusedRun<S> {
  // Count predecessors: nodes reached more than once become functions.
  const refs = new Map<_FusedNode, number>();
  const order: _FusedNode[] = [];
  const count = (n: _FusedNode) => {
    const seen = refs.get(n);
    refs.set(n, (seen ?? 0) + 1);
    if (seen !== undefined) return;
    order.push(n);
    for (const c of _children(n)) count(c);
  };
  count(graph.root);
  const tables: _Table[] = [];
  const shared = (n: _FusedNode) => n.op !== _N_LEAF && (refs.get(n) ?? 0) > 1;
  let size = 0;
  const v = (c: number) => `v${c}`;
  const s = (x: number) => (x >= 0 ? String(x) : v(~x));
  const read = (bytes: number, i: string) =>
    bytes === 1
      ? `P[${i}]`
      : bytes === 2
      ? `((P[${i}] << 8) | P[${i} + 1])`
      : `(((P[${i}] << 24) | (P[${i} + 1] << 16) | (P[${i} + 2] << 8) | P[${i} + 3]) >>> 0)`;
  const alu = (op: number, a: string, b: string): string => {
    switch (op) {
      case 0x00:
        return `((${a} + ${b}) >>> 0)`;
      case 0x10:
        return `((${a} - ${b}) >>> 0)`;
      case 0x20:
        return `(Math.imul(${a}, ${b}) >>> 0)`;
      case BPF_DIV:
        return `(Math.floor(${a} / ${b}) >>> 0)`;
      case 0x40:
        return `((${a} | ${b}) >>> 0)`;
      case 0x50:
        return `((${a} & ${b}) >>> 0)`;
      case 0x60:
        return `((${a} << (${b} & 31)) >>> 0)`;
      case 0x70:
        return `(${a} >>> (${b} & 31))`;
      case 0x80:
        return `((-${a}) >>> 0)`;
      case BPF_MOD:
        return `(${a} % ${b})`;
      case 0xa0:
        return `((${a} ^ ${b}) >>> 0)`;
      default: // _ALU_MSH
        return `((${a} & 15) << 2)`;
    }
  };
  const cmp = (jop: number, a: string, b: string) =>
    jop === BPF_JEQ
      ? `${a} === ${b}`
      : jop === BPF_JGT
      ? `${a} > ${b}`
      : jop === BPF_JGE
      ? `${a} >= ${b}`
      : `(${a} & ${b}) !== 0`;

  /** Statements that end in `return`. */
  const go = (n: _FusedNode): string => {
    if (n.op === _N_LEAF) return `return ${n.rule};`;
    if (shared(n)) return `return n${n.id}();`;
    return body(n);
  };
  const branch = (n: _FusedNode): string => (n.op === _N_LEAF || shared(n) ? go(n) : `{${go(n)}}`);
  const body = (n: _FusedNode): string => {
    const out = _bodyOf(n);
    size += out.length;
    if (size > _MAX_SOURCE) throw new RangeError("Cannot generate fused source: too large");
    return out;
  };
  const _bodyOf = (n: _FusedNode): string => {
    const c = v(n.cell);
    switch (n.op) {
      case _N_LOAD: {
        const check = n.check ? `if (N < ${n.k + n.size}) ${branch(n.fail!)}\n` : "";
        return `${check}${c} = ${read(n.size, `B + ${n.k}`)};\n${go(n.next!)}`;
      }
      case _N_LOADX: {
        const index = n.a < 0
          ? `L(B, LE, NET, MAC, ${n.k}, ${n.size})`
          : `((o = (${
            v(n.a)
          } + ${n.k}) | 0) >= 0 ? (o + ${n.size} <= N ? B + o : -1) : L(B, LE, NET, MAC, o, ${n.size}))`;
        return `if ((i = ${index}) < 0) ${branch(n.fail!)}\n${c} = ${read(n.size, "i")};\n${
          go(n.next!)
        }`;
      }
      case _N_LEN:
        return `${c} = W;\n${go(n.next!)}`;
      case _N_ALU:
        return `${c} = ${alu(n.jop, v(n.a), String(n.k))};\n${go(n.next!)}`;
      case _N_ALUX: {
        const guard = n.jop === BPF_DIV || n.jop === BPF_MOD
          ? `if (${s(n.b)} === 0) ${branch(n.fail!)}\n`
          : "";
        return `${guard}${c} = ${alu(n.jop, s(n.a), s(n.b))};\n${go(n.next!)}`;
      }
      case _N_TEST:
        return `if (${cmp(n.jop, c, String(n.k))}) ${branch(n.next!)}\n${go(n.fail!)}`;
      case _N_TESTX:
        return `if (${cmp(n.jop, s(n.a), s(n.b))}) ${branch(n.next!)}\n${go(n.fail!)}`;
      case _N_CALL:
        return `if (T[${n.k}](S)) ${branch(n.next!)}\n${go(n.fail!)}`;
      default: { // _N_SWITCH
        let out = "best = -1;\n";
        n.cells!.forEach((cell, i) => {
          const t = _table(n.tables![i]);
          const index = tables.push(t) - 1;
          const lookup = t.dense !== null
            ? `(at = ${v(cell)} - ${t.min}) >= 0 && at < ${t.dense.length} ? D${index}[at] : -1`
            : `M${index}.get(${v(cell)}) ?? -1`;
          out += i === 0
            ? `best = ${lookup};\n`
            : `if ((p = ${lookup}) >= 0 && (best < 0 || p < best)) best = p;\n`;
        });
        out += "switch (best) {\n";
        n.targets!.forEach((t, i) => {
          out += `case ${i}: ${branch(t)}\n`;
        });
        out += `default: ${branch(n.fail!)}\n}`;
        return out;
      }
    }
  };

  const functions = order.filter(shared).map((n) => `function n${n.id}() {\n${body(n)}\n}`);
  const rootCode = go(graph.root);
  const cells = Array.from({ length: graph.cells }, (_, i) => `v${i} = 0`);
  const tableNames = tables.map((t, i) =>
    t.dense !== null ? `D${i} = X[${i}].dense` : `M${i} = X[${i}].map`
  );
  const source = `"use strict";
let P, B = 0, N = 0, LE = 0, NET = 0, MAC = -1, W = 0, S, i = 0, o = 0, at = 0, p = 0, best = -1;
${cells.length ? `let ${cells.join(", ")};` : ""}
${tableNames.length ? `const ${tableNames.join(", ")};` : ""}
${functions.join("\n")}
return function fused(S_, P_, B_, N_, LE_, NET_, MAC_, W_) {
S = S_; P = P_; B = B_; N = N_; LE = LE_; NET = NET_; MAC = MAC_; W = W_;
${rootCode}
};`;
  const factory = new Function("L", "T", "X", source) as (
    load: typeof _loadIndex,
    tests: readonly ((state: S) => boolean)[],
    tables: readonly _Table[],
  ) => _FusedRun<S>;
  return factory(_loadIndex, tests, tables);
}

function _children(n: _FusedNode): _FusedNode[] {
  const out: _FusedNode[] = [];
  if (n.targets) out.push(...n.targets);
  if (n.next) out.push(n.next);
  if (n.fail) out.push(n.fail);
  return out;
}
