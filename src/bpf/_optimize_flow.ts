/**
 * Jumps and straight runs for the program optimiser (private): jumps to a
 * `ja` go straight to its target (a conditional jump only as far as its
 * 8-bit offset reaches), a `ja` to a `ret` becomes that `ret`, a conditional
 * jump whose two targets are one becomes `ja`, a `ja` to the next
 * instruction goes; and runs of one ALU operation on constants in a straight
 * line (no jump lands inside) become one operation (`add`/`sub`, `mul`,
 * `and`, `or`, `xor`, shifts, `div`, `neg; neg`).
 *
 * @module
 */
import { BPF_ALU, BPF_JA, BPF_JMP, BPF_RET, BPF_X } from "./opcodes.ts";
import {
  _isJa,
  _mergeAlu,
  _nextKept,
  _node,
  type _Nodes,
  _simplifyAlu,
} from "./_optimize_nodes.ts";

/** Longest forward reach of a conditional jump's 8-bit offset. */
const _MAX_OFFSET = 255;

/** Threads jumps through `ja` and simplifies jumps, in place (see the module). */
export function _threadJumps(nodes: _Nodes): void {
  const n = nodes.length;
  const next = _nextKept(nodes);
  // Where control landing at i ends up after `ja` hops (later ones first, so one step each).
  const landing = new Int32Array(n + 1);
  landing[n] = n;
  for (let i = n - 1; i >= 0; i--) {
    const j = next[i];
    const node = j < n ? nodes[j] : null;
    landing[i] = node !== null && _isJa(node.code) ? landing[node.t] : j;
  }
  for (let i = 0; i < n; i++) {
    const node = nodes[i];
    if (node === null || (node.code & 0x07) !== BPF_JMP) continue;
    if (_isJa(node.code)) {
      const target = landing[node.t];
      const end = nodes[target];
      if (end !== null && (end.code & 0x07) === BPF_RET) nodes[i] = _node(end.code, end.k);
      else if (target === next[i + 1]) nodes[i] = null;
      else if (target !== node.t) nodes[i] = { code: node.code, k: 0, t: target, f: 0 };
      continue;
    }
    const t = _reach(nodes, next, i, node.t);
    const f = _reach(nodes, next, i, node.f);
    if (t === f) nodes[i] = t === next[i + 1] ? null : { code: BPF_JMP | BPF_JA, k: 0, t, f: 0 };
    else if (t !== node.t || f !== node.f) nodes[i] = { code: node.code, k: node.k, t, f };
  }
}

/** The farthest `ja` hop from `target` that a conditional jump at `at` reaches. */
function _reach(nodes: _Nodes, next: Int32Array, at: number, target: number): number {
  let j = next[target];
  for (;;) {
    const node = nodes[j];
    if (node === null || !_isJa(node.code)) return j;
    const hop = next[node.t];
    if (hop - at - 1 > _MAX_OFFSET) return j;
    j = hop;
  }
}

/** Merges runs of one ALU operation on constants, in place (see the module). */
export function _mergeAluRuns(nodes: _Nodes): void {
  const n = nodes.length;
  const next = _nextKept(nodes);
  const target = new Uint8Array(n + 1);
  for (const node of nodes) {
    if (node === null || (node.code & 0x07) !== BPF_JMP) continue;
    target[next[node.t]] = 1;
    if (!_isJa(node.code)) target[next[node.f]] = 1;
  }
  for (let i = 0; i < n; i++) {
    const first = nodes[i];
    if (first === null || !_isConstantAlu(first.code)) continue;
    const j = next[i + 1];
    const second = j < n ? nodes[j] : null;
    if (second === null || target[j] === 1 || !_isConstantAlu(second.code)) continue;
    if ((first.code & 0xf0) === 0x80 || (second.code & 0xf0) === 0x80) {
      if (first.code === second.code) nodes[i] = nodes[j] = null; // neg; neg
      continue;
    }
    const merged = _mergeAlu(first.code, first.k, second.code, second.k);
    if (merged === undefined) continue;
    const simple = (merged[0] & 0x07) === BPF_ALU ? _simplifyAlu(merged[0], merged[1]) : merged;
    nodes[i] = null;
    nodes[j] = simple.length === 0 ? null : _node(simple[0], simple[1]);
  }
}

/** Whether `code` is an ALU operation on a constant (or `neg`), `mod` aside. */
function _isConstantAlu(code: number): boolean {
  return (code & 0x07) === BPF_ALU && (code & BPF_X) === 0 && (code & 0xf0) !== 0x90;
}
