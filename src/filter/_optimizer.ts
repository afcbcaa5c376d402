/**
 * The optimizer for the block graph, in the spirit of libpcap's optimize.c
 * (our own design): global value numbering of A, X and the scratch memory
 * across the DAG with branch facts flowing along edges, which gives load CSE,
 * constant folding and branch folding; jump threading over blocks whose
 * outcome the path already decides; liveness-based dead-store and dead-load
 * removal; `and #m; jeq #0` → `jset #m`; libpcap's or/and pullups;
 * straight-line block merging and merging of identical blocks. Iterates to a
 * fixed point. What a path knows decides a branch only as far as libpcap's
 * optimizer knows it, because removing a test can remove a load that
 * would have rejected a short packet (docs/filter.md).
 *
 * @module
 */
import {
  BPF_ABS,
  BPF_ADD,
  BPF_ALU,
  BPF_AND,
  BPF_DIV,
  BPF_IMM,
  BPF_IND,
  BPF_JA,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_JSET,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_LEN,
  BPF_LSH,
  BPF_MEM,
  BPF_MOD,
  BPF_MUL,
  BPF_NEG,
  BPF_OR,
  BPF_RET,
  BPF_RSH,
  BPF_ST,
  BPF_STX,
  BPF_SUB,
  BPF_TAX,
  BPF_X,
  BPF_XOR,
  bpfClass,
  bpfMiscOp,
  bpfMode,
  bpfOp,
  bpfSize,
  bpfSrc,
} from "../bpf/opcodes.ts";
import type { _Block, _Stmt } from "./_cfg.ts";
import { _foldAlu } from "./_codegen.ts";
import { _isGoto, _topoOrder } from "./_linearize.ts";

// Register indices: 0 = A, 1 = X, 2.. = M[0..15].
const _A = 0;
const _X = 1;
const _NREGS = 18;

interface _State {
  regs: number[];
  /** Branch outcomes known on this path: `${vn}|${op}|${operand}` → result. */
  facts: Map<string, boolean>;
  /** Values known to equal a constant on this path (from `jeq #k` taken). */
  eq: Map<number, number>;
}

class _Values {
  #byKey = new Map<string, number>();
  #consts = new Map<number, number>();
  #next = 1;

  fresh(): number {
    return this.#next++;
  }

  of(key: string): number {
    let v = this.#byKey.get(key);
    if (v === undefined) {
      v = this.#next++;
      this.#byKey.set(key, v);
    }
    return v;
  }

  constant(k: number): number {
    const v = this.of(`#${k >>> 0}`);
    this.#consts.set(v, k >>> 0);
    return v;
  }

  constOf(v: number, state?: _State): number | undefined {
    const c = this.#consts.get(v);
    if (c !== undefined) return c;
    return state?.eq.get(v);
  }
}

function _cloneState(s: _State): _State {
  return { regs: s.regs.slice(), facts: new Map(s.facts), eq: new Map(s.eq) };
}

/** Meets the states arriving on several edges: keep what all agree on. */
function _meet(states: _State[], values: _Values): _State {
  const first = states[0];
  const out = _cloneState(first);
  for (let r = 0; r < _NREGS; r++) {
    if (states.some((s) => s.regs[r] !== first.regs[r])) out.regs[r] = values.fresh();
  }
  for (const [k, v] of first.facts) {
    if (states.some((s) => s.facts.get(k) !== v)) out.facts.delete(k);
  }
  for (const [k, v] of first.eq) {
    if (states.some((s) => s.eq.get(k) !== v)) out.eq.delete(k);
  }
  return out;
}

/** The result of running a block's statements: the state, and rewritten statements. */
function _simulate(stmts: _Stmt[], state: _State, values: _Values, rewrite: boolean): _Stmt[] {
  const out: _Stmt[] = [];
  const regs = state.regs;
  for (const s0 of stmts) {
    let s = s0;
    const cls = bpfClass(s.code);
    if (cls === BPF_LD || cls === BPF_LDX) {
      const dst = cls === BPF_LD ? _A : _X;
      const mode = bpfMode(s.code);
      let v: number;
      const kind = s.accessor ? "user-" : "";
      if (mode === BPF_IMM) v = values.constant(s.k);
      else if (mode === BPF_ABS) v = values.of(`${kind}abs${bpfSize(s.code)}:${s.k}`);
      else if (mode === BPF_IND) {
        const xc = values.constOf(regs[_X]);
        if (xc !== undefined && xc + s.k <= 0xffffffff && rewrite) {
          s = {
            code: BPF_LD | bpfSize(s.code) | BPF_ABS,
            k: (xc + s.k) >>> 0,
            accessor: s.accessor,
          };
          v = values.of(`${kind}abs${bpfSize(s.code)}:${s.k}`);
        } else v = values.of(`${kind}ind${bpfSize(s.code)}:${s.k}:${regs[_X]}`);
      } else if (mode === BPF_LEN) v = values.of("len");
      else if (mode === BPF_MEM) {
        v = regs[2 + s.k];
        const c = values.constOf(v);
        if (c !== undefined && rewrite) {
          s = { code: (cls === BPF_LD ? BPF_LD : BPF_LDX) | BPF_IMM, k: c };
        }
      } else v = values.of(`msh:${s.k}`); // BPF_MSH
      if (regs[dst] === v && rewrite) continue;
      regs[dst] = v;
      out.push(s);
    } else if (cls === BPF_ST || cls === BPF_STX) {
      const v = regs[cls === BPF_ST ? _A : _X];
      if (regs[2 + s.k] === v && rewrite) continue;
      regs[2 + s.k] = v;
      out.push(s);
    } else if (cls === BPF_ALU) {
      const op = bpfOp(s.code);
      const a = values.constOf(regs[_A]);
      if (op === BPF_NEG) {
        if (a !== undefined && rewrite) {
          s = { code: BPF_LD | BPF_IMM, k: _foldAlu(BPF_NEG, a, 0) };
          regs[_A] = values.constant(s.k);
        } else regs[_A] = values.of(`neg:${regs[_A]}`);
        out.push(s);
        continue;
      }
      let k: number | undefined;
      if (bpfSrc(s.code) === BPF_X) {
        const xc = values.constOf(regs[_X]);
        if (xc !== undefined && rewrite && !((op === BPF_DIV || op === BPF_MOD) && xc === 0)) {
          s = { code: BPF_ALU | op | BPF_K, k: xc };
          k = xc;
        }
      } else k = s.k;
      if (k !== undefined && rewrite) {
        if (a !== undefined && !((op === BPF_DIV || op === BPF_MOD) && k === 0)) {
          const r = _foldAlu(op, a, k);
          s = { code: BPF_LD | BPF_IMM, k: r };
          if (regs[_A] === values.constant(r)) continue;
          regs[_A] = values.constant(r);
          out.push(s);
          continue;
        }
        if (k === 0 && (op === BPF_AND || op === BPF_MUL)) {
          s = { code: BPF_LD | BPF_IMM, k: 0 };
          if (regs[_A] === values.constant(0)) continue;
          regs[_A] = values.constant(0);
          out.push(s);
          continue;
        }
        const identity = (k === 0 && (op === BPF_ADD || op === BPF_SUB || op === BPF_OR ||
          op === BPF_XOR || op === BPF_LSH || op === BPF_RSH)) ||
          (k === 1 && (op === BPF_MUL || op === BPF_DIV)) ||
          (k === 0xffffffff && op === BPF_AND);
        if (identity) continue;
      }
      const operand = k !== undefined ? values.constant(k) : regs[_X];
      regs[_A] = values.of(`alu${op}:${regs[_A]}:${operand}`);
      out.push(s);
    } else if (cls === 0x07) { // BPF_MISC
      const tax = bpfMiscOp(s.code) === BPF_TAX;
      const [src, dst] = tax ? [_A, _X] : [_X, _A];
      if (regs[dst] === regs[src] && rewrite) continue;
      regs[dst] = regs[src];
      out.push(s);
    } else out.push(s);
  }
  return out;
}

function _factKey(b: _Block, regs: number[], values: _Values): string {
  const operand = bpfSrc(b.code) === BPF_X ? `x${regs[_X]}` : `${b.k >>> 0}`;
  void values;
  return `${regs[_A]}|${bpfOp(b.code)}|${operand}`;
}

/** The branch outcome of `b` under `state` (after its statements), if known. */
function _decide(b: _Block, state: _State, values: _Values): boolean | undefined {
  const op = bpfOp(b.code);
  // What a taken `jeq #k` tells (A equals k) decides only another `jeq`, as
  // libpcap's fold_edge: deciding `jgt`/`jge`/`jset` from it too removed
  // tests libpcap keeps, and with them loads that reject short packets
  // (`vrrp[40] = 64 or not ether proto 47`).
  const path = op === BPF_JEQ ? state : undefined;
  const a = values.constOf(state.regs[_A], path);
  let k: number | undefined = b.k >>> 0;
  if (bpfSrc(b.code) === BPF_X) k = values.constOf(state.regs[_X], path);
  if (a !== undefined && k !== undefined) {
    switch (op) {
      case BPF_JEQ:
        return a === k;
      case BPF_JGT:
        return a > k;
      case BPF_JGE:
        return a >= k;
      case BPF_JSET:
        return (a & k) !== 0;
    }
  }
  return state.facts.get(_factKey(b, state.regs, values));
}

/**
 * Most branch facts (and constants) a path state keeps. Every block keeps its
 * own state, so without a bound a chain of n distinct tests (`port 1 or port
 * 2 or …`) costs O(n²) time and memory: 4000 terms ran out of a 4 GiB heap.
 * Normal filters stay far below it; past it the oldest fact is forgotten,
 * which only loses optimizations, never correctness.
 */
const _MAX_FACTS = 64;

function _remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > _MAX_FACTS) map.delete(map.keys().next().value!);
}

/** State on the `sense` edge out of `b`, given the state after its statements. */
function _edgeState(b: _Block, after: _State, sense: boolean, values: _Values): _State {
  if (_isGoto(b)) return after;
  const s = _cloneState(after);
  _remember(s.facts, _factKey(b, s.regs, values), sense);
  if (sense && bpfOp(b.code) === BPF_JEQ && bpfSrc(b.code) === BPF_K) {
    _remember(s.eq, s.regs[_A], b.k >>> 0);
  }
  return s;
}

// ------------------------------------------------------------------ liveness

function _uses(s: _Stmt): number {
  const cls = bpfClass(s.code);
  switch (cls) {
    case BPF_LD:
    case BPF_LDX: {
      const mode = bpfMode(s.code);
      if (mode === BPF_IND) return 1 << _X;
      if (mode === BPF_MEM) return 1 << (2 + s.k);
      return 0;
    }
    case BPF_ST:
      return 1 << _A;
    case BPF_STX:
      return 1 << _X;
    case BPF_ALU:
      return (1 << _A) | (bpfOp(s.code) !== BPF_NEG && bpfSrc(s.code) === BPF_X ? 1 << _X : 0);
    default: // MISC
      return bpfMiscOp(s.code) === BPF_TAX ? 1 << _A : 1 << _X;
  }
}

function _defs(s: _Stmt): number {
  const cls = bpfClass(s.code);
  switch (cls) {
    case BPF_LD:
    case BPF_ALU:
      return 1 << _A;
    case BPF_LDX:
      return 1 << _X;
    case BPF_ST:
    case BPF_STX:
      return 1 << (2 + s.k);
    default:
      return bpfMiscOp(s.code) === BPF_TAX ? 1 << _X : 1 << _A;
  }
}

function _branchUses(b: _Block): number {
  const cls = bpfClass(b.code);
  if (cls === BPF_RET) {
    return (b.code & 0x18) === 0x10 ? 1 << _A : (b.code & 0x18) === BPF_X ? 1 << _X : 0;
  }
  if (_isGoto(b)) return 0;
  return (1 << _A) | (bpfSrc(b.code) === BPF_X ? 1 << _X : 0);
}

function _liveness(order: _Block[]): Map<_Block, number> {
  const liveIn = new Map<_Block, number>();
  for (let i = order.length - 1; i >= 0; i--) {
    const b = order[i];
    let live = _branchUses(b);
    if (bpfClass(b.code) !== BPF_RET) live |= (liveIn.get(b.jt!) ?? 0) | (liveIn.get(b.jf!) ?? 0);
    for (let j = b.stmts.length - 1; j >= 0; j--) {
      const s = b.stmts[j];
      live = (live & ~_defs(s)) | _uses(s);
    }
    liveIn.set(b, live);
  }
  return liveIn;
}

function _liveOut(b: _Block, liveIn: Map<_Block, number>): number {
  if (bpfClass(b.code) === BPF_RET) return 0;
  return (liveIn.get(b.jt!) ?? 0) | (liveIn.get(b.jf!) ?? 0);
}

/** Removes statements whose results are never used; returns whether any went. */
function _deadStores(order: _Block[], liveIn: Map<_Block, number>): boolean {
  let changed = false;
  for (const b of order) {
    let live = _liveOut(b, liveIn) | _branchUses(b);
    const kept: _Stmt[] = [];
    for (let j = b.stmts.length - 1; j >= 0; j--) {
      const s = b.stmts[j];
      const d = _defs(s);
      if ((live & d) === 0) {
        changed = true;
        continue;
      }
      live = (live & ~d) | _uses(s);
      kept.push(s);
    }
    if (kept.length !== b.stmts.length) b.stmts = kept.reverse();
  }
  return changed;
}

// ------------------------------------------------------------------ passes

function _preds(order: _Block[]): Map<_Block, _Block[]> {
  const preds = new Map<_Block, _Block[]>();
  for (const b of order) preds.set(b, []);
  for (const b of order) {
    if (bpfClass(b.code) === BPF_RET) continue;
    preds.get(b.jt!)!.push(b);
    if (b.jf !== b.jt) preds.get(b.jf!)!.push(b);
  }
  return preds;
}

function _makeGoto(b: _Block, target: _Block): void {
  b.code = BPF_JMP | BPF_JA;
  b.k = 0;
  b.jt = target;
  b.jf = target;
}

/** Value numbering, folding and jump threading; returns whether anything changed. */
function _flowPass(root: _Block): boolean {
  const order = _topoOrder(root);
  const preds = _preds(order);
  const values = new _Values();
  const after = new Map<_Block, _State>();
  const edgeOut = (p: _Block, to: _Block): _State[] => {
    const st = after.get(p)!;
    if (_isGoto(p)) return [st];
    const out: _State[] = [];
    if (p.jt === to) out.push(_edgeState(p, st, true, values));
    if (p.jf === to) out.push(_edgeState(p, st, false, values));
    return out;
  };
  let changed = false;
  for (const b of order) {
    const ps = preds.get(b)!;
    let state: _State;
    if (ps.length === 0) {
      const regs: number[] = [];
      for (let r = 0; r < _NREGS; r++) regs.push(values.constant(0));
      // A, X and memory start at 0 in the kernel, but the programs never rely on it.
      regs[_A] = values.fresh();
      regs[_X] = values.fresh();
      for (let r = 2; r < _NREGS; r++) regs[r] = values.fresh();
      state = { regs, facts: new Map(), eq: new Map() };
    } else state = _meet(ps.flatMap((p) => edgeOut(p, b)), values);
    const stmts = _simulate(b.stmts, state, values, true);
    if (stmts.length !== b.stmts.length || stmts.some((s, i) => s !== b.stmts[i])) {
      b.stmts = stmts;
      changed = true;
    }
    if (bpfClass(b.code) === BPF_JMP && !_isGoto(b)) {
      if (bpfSrc(b.code) === BPF_X) {
        const xc = values.constOf(state.regs[_X]);
        if (xc !== undefined) {
          b.code = (b.code & ~BPF_X) | BPF_K;
          b.k = xc;
          changed = true;
        }
      }
      const d = _decide(b, state, values);
      if (d !== undefined) {
        _makeGoto(b, d ? b.jt! : b.jf!);
        changed = true;
      } else if (b.jt === b.jf) {
        _makeGoto(b, b.jt!);
        changed = true;
      }
    }
    after.set(b, state);
  }
  // Jump threading: skip a successor whose outcome this edge already decides.
  const liveIn = _liveness(order);
  for (const b of order) {
    if (bpfClass(b.code) === BPF_RET) continue;
    for (const side of ["jt", "jf"] as const) {
      let st = _isGoto(b)
        ? _cloneState(after.get(b)!)
        : _edgeState(b, after.get(b)!, side === "jt", values);
      const before = st.regs.slice();
      let c = b[side]!;
      let best: _Block | null = null;
      for (let hops = 0; hops < 64; hops++) {
        if (bpfClass(c.code) === BPF_RET) break;
        _simulate(c.stmts, st, values, false);
        let d: boolean | undefined = true;
        if (!_isGoto(c)) {
          d = _decide(c, st, values);
          if (d === undefined) break;
          st = _edgeState(c, st, d, values);
        }
        const target = d ? c.jt! : c.jf!;
        const live = liveIn.get(target) ?? 0;
        let ok = true;
        for (let r = 0; r < _NREGS && ok; r++) {
          if ((live >> r) & 1 && st.regs[r] !== before[r]) ok = false;
        }
        if (ok) best = target;
        c = target;
      }
      if (best !== null && best !== b[side]) {
        b[side] = best;
        if (_isGoto(b)) b.jf = b.jt = best;
        changed = true;
      }
      if (_isGoto(b)) break;
    }
  }
  return changed;
}

/** `and #m; jeq #0` → `jset #m` (swapped) where A is dead after the branch. */
function _jsetPass(order: _Block[], liveIn: Map<_Block, number>): boolean {
  let changed = false;
  for (const b of order) {
    if (b.code !== (BPF_JMP | BPF_JEQ | BPF_K) || b.jt === b.jf) continue;
    const last = b.stmts[b.stmts.length - 1];
    if (!last || last.code !== (BPF_ALU | BPF_AND | BPF_K)) continue;
    if (_liveOut(b, liveIn) & (1 << _A)) continue;
    const m = last.k >>> 0;
    if (b.k === 0) {
      b.stmts = b.stmts.slice(0, -1);
      b.code = BPF_JMP | BPF_JSET | BPF_K;
      b.k = m;
      [b.jt, b.jf] = [b.jf, b.jt];
      changed = true;
    } else if (b.k === m && m !== 0 && (m & (m - 1)) === 0) {
      b.stmts = b.stmts.slice(0, -1);
      b.code = BPF_JMP | BPF_JSET | BPF_K;
      changed = true;
    }
  }
  return changed;
}

/** Merges a goto block into its successor's only predecessor, and identical blocks. */
function _structurePass(root: _Block): [_Block, boolean] {
  let changed = false;
  // Skip empty gotos.
  const order = _topoOrder(root);
  const skip = (b: _Block): _Block => {
    let n = 0;
    while (_isGoto(b) && b.stmts.length === 0 && n++ < 1000) b = b.jt!;
    return b;
  };
  for (const b of order) {
    if (bpfClass(b.code) === BPF_RET) continue;
    const t = skip(b.jt!), f = skip(b.jf!);
    if (t !== b.jt || f !== b.jf) {
      b.jt = t;
      b.jf = f;
      changed = true;
    }
  }
  const r = skip(root);
  if (r !== root) {
    root = r;
    changed = true;
  }
  // Append a successor with a single predecessor to a goto block.
  const order2 = _topoOrder(root);
  const preds = _preds(order2);
  for (const b of order2) {
    while (_isGoto(b) && bpfClass(b.jt!.code) !== BPF_RET && preds.get(b.jt!)!.length === 1) {
      const c = b.jt!;
      b.stmts = [...b.stmts, ...c.stmts];
      b.code = c.code;
      b.k = c.k;
      b.jt = c.jt;
      b.jf = c.jf;
      preds.set(c, []);
      for (const s of [c.jt, c.jf]) {
        if (!s) continue;
        const ps = preds.get(s)!;
        const i = ps.indexOf(c);
        if (i >= 0) ps[i] = b;
      }
      changed = true;
    }
  }
  // Merge identical blocks, children first.
  const order3 = _topoOrder(root);
  const canon = new Map<string, _Block>();
  const repl = new Map<_Block, _Block>();
  for (let i = order3.length - 1; i >= 0; i--) {
    const b = order3[i];
    if (bpfClass(b.code) !== BPF_RET) {
      const t = repl.get(b.jt!) ?? b.jt!, f = repl.get(b.jf!) ?? b.jf!;
      if (t !== b.jt || f !== b.jf) {
        b.jt = t;
        b.jf = f;
        changed = true;
      }
    }
    const key = `${b.stmts.map((s) => `${s.code},${s.k}`).join(";")}|${b.code},${b.k}|` +
      `${bpfClass(b.code) === BPF_RET ? "" : `${b.jt!.id},${_isGoto(b) ? b.jt!.id : b.jf!.id}`}`;
    const same = canon.get(key);
    if (same && same !== b) repl.set(b, same);
    else canon.set(key, b);
  }
  if (repl.has(root)) root = repl.get(root)!;
  return [root, changed];
}

// ------------------------------------------------------------------ pullups

/**
 * Largest graph the pullups are tried on: each moves one test and costs a
 * pass over the graph, and filters this large are lists of alternatives
 * (`port 1 or port 2 or …`), not the chains of tests that pullups reorder.
 */
const _MAX_PULLUP_BLOCKS = 512;

/** Registers `b` reads before writing them (statements, then its branch). */
function _upwardUses(b: _Block): number {
  let live = _branchUses(b);
  for (let j = b.stmts.length - 1; j >= 0; j--) {
    const s = b.stmts[j];
    live = (live & ~_defs(s)) | _uses(s);
  }
  return live;
}

/** The register states on entry to and exit from every block (no rewriting). */
function _states(order: _Block[], preds: Map<_Block, _Block[]>) {
  const values = new _Values();
  const before = new Map<_Block, _State>();
  const after = new Map<_Block, _State>();
  for (const b of order) {
    const ps = preds.get(b)!;
    let state: _State;
    if (ps.length === 0) {
      const regs: number[] = [];
      for (let r = 0; r < _NREGS; r++) regs.push(values.fresh());
      state = { regs, facts: new Map(), eq: new Map() };
    } else {
      const incoming: _State[] = [];
      for (const p of ps) {
        const st = after.get(p)!;
        if (_isGoto(p)) incoming.push(st);
        else {
          if (p.jt === b) incoming.push(_edgeState(p, st, true, values));
          if (p.jf === b) incoming.push(_edgeState(p, st, false, values));
        }
      }
      state = _meet(incoming, values);
    }
    before.set(b, _cloneState(state));
    _simulate(b.stmts, state, values, false);
    after.set(b, state);
  }
  return { before, after };
}

/** Immediate dominators (Cooper, Harvey and Kennedy) over a topological order. */
function _idoms(order: _Block[], preds: Map<_Block, _Block[]>): Map<_Block, _Block> {
  const index = new Map(order.map((b, i) => [b, i]));
  const idom = new Map<_Block, _Block>([[order[0], order[0]]]);
  const intersect = (a: _Block, b: _Block): _Block => {
    while (a !== b) {
      while (index.get(a)! > index.get(b)!) a = idom.get(a)!;
      while (index.get(b)! > index.get(a)!) b = idom.get(b)!;
    }
    return a;
  };
  for (const b of order.slice(1)) {
    let d: _Block | undefined;
    for (const p of preds.get(b)!) if (idom.has(p)) d = d === undefined ? p : intersect(p, d);
    idom.set(b, d!);
  }
  return idom;
}

/**
 * libpcap's or_pullup and and_pullup (the BPF+ paper's "predicate assertion
 * propagation"): in a chain of tests that all jump to the same place on one
 * side, a later test on the value that is already in A on entry to the chain
 * is moved to the front, before tests that load other bytes. This is not
 * only about speed: a test moved ahead of a load that fails on a short packet
 * decides that packet as libpcap does. A test is moved only when every
 * register it reads holds the same value at its new place.
 */
function _pullupPass(root: _Block): boolean {
  const order = _topoOrder(root);
  if (order.length < 3 || order.length > _MAX_PULLUP_BLOCKS) return false;
  const preds = _preds(order);
  const { before, after } = _states(order, preds);
  const idom = _idoms(order, preds);
  const dominates = (a: _Block, b: _Block): boolean => {
    for (let x = b;; x = idom.get(x)!) {
      if (x === a) return true;
      if (x === order[0]) return false;
    }
  };
  const isTest = (b: _Block) => bpfClass(b.code) === BPF_JMP && !_isGoto(b);
  let liveIn: Map<_Block, number> | undefined;
  for (let i = order.length - 1; i >= 1; i--) {
    const b = order[i];
    if (!isTest(b)) continue;
    const ps = preds.get(b)!;
    if (ps.length === 0) continue;
    const val = after.get(ps[0])!.regs[_A];
    if (ps.some((p) => after.get(p)!.regs[_A] !== val)) continue;
    for (const [keep, next] of [["jt", "jf"], ["jf", "jt"]] as const) {
      // diff: the first test down the chain whose A differs from `val`.
      let diff = b, chainPrev: _Block | null = null;
      let found = false;
      for (let n = 0; n < 256; n++) {
        if (!isTest(diff) || diff[keep] !== b[keep] || !dominates(b, diff)) break;
        if (after.get(diff)!.regs[_A] !== val) {
          found = true;
          break;
        }
        chainPrev = diff;
        diff = diff[next]!;
      }
      if (!found) continue;
      // same: a later test in the chain whose A is `val` again.
      let samePrev = diff, same = diff[next]!;
      found = false;
      for (let n = 0; n < 256; n++) {
        if (!isTest(same) || same[keep] !== b[keep] || !dominates(b, same)) break;
        if (after.get(same)!.regs[_A] === val) {
          found = true;
          break;
        }
        samePrev = same;
        same = same[next]!;
      }
      if (!found || preds.get(same)!.length !== 1) continue;
      // Every register read after the move must hold what it held before.
      liveIn ??= _liveness(order);
      const entry = before.get(diff)!.regs, sameEntry = before.get(same)!.regs;
      const sameExit = after.get(same)!.regs, prevExit = after.get(samePrev)!.regs;
      const defs = same.stmts.reduce((d, st) => d | _defs(st), 0);
      const newExit = (r: number) => (defs >> r) & 1 ? sameExit[r] : entry[r];
      const sameReads = _upwardUses(same), diffLive = liveIn.get(diff) ?? 0;
      const keepLive = liveIn.get(same[keep]!) ?? 0, nextLive = liveIn.get(same[next]!) ?? 0;
      let safe = true;
      for (let r = 0; r < _NREGS && safe; r++) {
        if ((sameReads >> r) & 1 && entry[r] !== sameEntry[r]) safe = false;
        else if ((diffLive >> r) & 1 && newExit(r) !== entry[r]) safe = false;
        else if ((keepLive >> r) & 1 && newExit(r) !== sameExit[r]) safe = false;
        else if ((nextLive >> r) & 1 && prevExit[r] !== sameExit[r]) safe = false;
      }
      if (!safe) continue;
      samePrev[next] = same[next];
      same[next] = diff;
      if (chainPrev === null) {
        for (const p of ps) {
          if (p.jt === b) p.jt = same;
          if (p.jf === b) p.jf = same;
        }
      } else chainPrev[next] = same;
      return true;
    }
  }
  return false;
}

/** Optimizes the graph rooted at `root`; returns the (possibly new) root. */
export function _optimize(root: _Block): _Block {
  for (let iter = 0; iter < 40; iter++) {
    let changed = _flowPass(root);
    let c2: boolean;
    [root, c2] = _structurePass(root);
    changed ||= c2;
    const order = _topoOrder(root);
    const liveIn = _liveness(order);
    changed = _deadStores(order, liveIn) || changed;
    changed = _jsetPass(order, _liveness(order)) || changed;
    // Pullups on a settled graph only (each costs a pass): after one, settle again.
    if (!changed) changed = _pullupPass(root);
    if (!changed) break;
  }
  return root;
}
