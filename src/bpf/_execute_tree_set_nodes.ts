/**
 * The node literals of sets of tests in closure trees (private; the sets are
 * found by `_execute_tree_sets.ts`): one load of a field, then the field
 * against up to {@linkcode _SET_VALUES} values, the match target called on any
 * equal one, the miss target else, from one call site
 * (`(taken ? t : (mark = 0, f))(P, B, LE, a)`: `_execute_tree.ts` says why).
 * One literal per load (`[k]` of 1, 2 or 4 bytes, `[x + k]` of 2 bytes), a
 * second copy of `set2` (a path may test two EtherTypes: `vlan and (ip or
 * ip6)`), and copies for the parts of jointed trees under names of their own
 * (`_execute_tree_parts.ts` says why). Fewer values repeat the first.
 *
 * Why one node: block by block, the match target was called from one node
 * per value, and V8 inlined a copy of it into each (the tree bounds count it
 * once per path): `vlan and ip and udp port 8472` counted the VLAN body three
 * times (21 nodes against a bound of 11) and was cut by joints.
 *
 * @module
 */
import type { _TreeNode } from "./_execute_tree_steps.ts";

/** The most values of a set node (a longer set goes on in a node of its own). */
export const _SET_VALUES = 4;

type _SetLiteral = (
  k: number,
  v0: number,
  v1: number,
  v2: number,
  v3: number,
  t: _TreeNode,
  f: _TreeNode,
) => _TreeNode;

type _SetXLiteral = (
  S: Int32Array,
  k: number,
  v0: number,
  v1: number,
  v2: number,
  v3: number,
  t: _TreeNode,
  f: _TreeNode,
) => _TreeNode;

/** `[k]` (1 byte) in the set: `ip proto` sets. */
export function _set1(
  k: number,
  v0: number,
  v1: number,
  v2: number,
  v3: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function set1(P, B, LE): number {
    const i = B + k;
    if (i + 1 > LE) return 0;
    const a = P[i];
    return (a === v0 || a === v1 || a === v2 || a === v3 ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `[k]` (2 bytes) in the set: EtherType sets (`vlan`, `ip or ip6`). */
export function _set2(
  k: number,
  v0: number,
  v1: number,
  v2: number,
  v3: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function set2(P, B, LE): number {
    const i = B + k;
    if (i + 2 > LE) return 0;
    const a = (P[i] << 8) | P[i + 1];
    return (a === v0 || a === v1 || a === v2 || a === v3 ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** The second `set2` (same name: the trees' call-site counts do not change). */
export function _set22(
  k: number,
  v0: number,
  v1: number,
  v2: number,
  v3: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function set2(P, B, LE): number {
    const i = B + k;
    if (i + 2 > LE) return 0;
    const a = (P[i] << 8) | P[i + 1];
    return (a === v0 || a === v1 || a === v2 || a === v3 ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `[k]` (4 bytes) in the set: `host A or host B`'s words. */
export function _set4(
  k: number,
  v0: number,
  v1: number,
  v2: number,
  v3: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function set4(P, B, LE): number {
    const i = B + k;
    if (i + 4 > LE) return 0;
    const a = (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
    return (a === v0 || a === v1 || a === v2 || a === v3 ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `[x + k]` (2 bytes) in the set: port sets. */
export function _setX2(
  S: Int32Array,
  k: number,
  v0: number,
  v1: number,
  v2: number,
  v3: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function setX2(P, B, LE): number {
    const o = (S[16] + k) | 0; // X + k
    if (o < 0) {
      S[19] = 1; // _TREE_ESCAPED
      return 0;
    }
    if (o > LE - B - 2) return 0;
    const i = B + o;
    const a = (P[i] << 8) | P[i + 1];
    return (a === v0 || a === v1 || a === v2 || a === v3 ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `set1` for parts of jointed trees. */
export function _set1Part(
  k: number,
  v0: number,
  v1: number,
  v2: number,
  v3: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function set1Part(P, B, LE): number {
    const i = B + k;
    if (i + 1 > LE) return 0;
    const a = P[i];
    return (a === v0 || a === v1 || a === v2 || a === v3 ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `set1` for parts of jointed trees (second copy). */
export function _set1Part2(
  k: number,
  v0: number,
  v1: number,
  v2: number,
  v3: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function set1Part(P, B, LE): number {
    const i = B + k;
    if (i + 1 > LE) return 0;
    const a = P[i];
    return (a === v0 || a === v1 || a === v2 || a === v3 ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `set1` for parts of jointed trees (third copy). */
export function _set1Part3(
  k: number,
  v0: number,
  v1: number,
  v2: number,
  v3: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function set1Part(P, B, LE): number {
    const i = B + k;
    if (i + 1 > LE) return 0;
    const a = P[i];
    return (a === v0 || a === v1 || a === v2 || a === v3 ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `set1` for parts of jointed trees (fourth copy). */
export function _set1Part4(
  k: number,
  v0: number,
  v1: number,
  v2: number,
  v3: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function set1Part(P, B, LE): number {
    const i = B + k;
    if (i + 1 > LE) return 0;
    const a = P[i];
    return (a === v0 || a === v1 || a === v2 || a === v3 ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `set2` for parts of jointed trees. */
export function _set2Part(
  k: number,
  v0: number,
  v1: number,
  v2: number,
  v3: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function set2Part(P, B, LE): number {
    const i = B + k;
    if (i + 2 > LE) return 0;
    const a = (P[i] << 8) | P[i + 1];
    return (a === v0 || a === v1 || a === v2 || a === v3 ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `set2` for parts of jointed trees (second copy). */
export function _set2Part2(
  k: number,
  v0: number,
  v1: number,
  v2: number,
  v3: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function set2Part(P, B, LE): number {
    const i = B + k;
    if (i + 2 > LE) return 0;
    const a = (P[i] << 8) | P[i + 1];
    return (a === v0 || a === v1 || a === v2 || a === v3 ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `set2` for parts of jointed trees (third copy). */
export function _set2Part3(
  k: number,
  v0: number,
  v1: number,
  v2: number,
  v3: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function set2Part(P, B, LE): number {
    const i = B + k;
    if (i + 2 > LE) return 0;
    const a = (P[i] << 8) | P[i + 1];
    return (a === v0 || a === v1 || a === v2 || a === v3 ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `set2` for parts of jointed trees (fourth copy). */
export function _set2Part4(
  k: number,
  v0: number,
  v1: number,
  v2: number,
  v3: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function set2Part(P, B, LE): number {
    const i = B + k;
    if (i + 2 > LE) return 0;
    const a = (P[i] << 8) | P[i + 1];
    return (a === v0 || a === v1 || a === v2 || a === v3 ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `set4` for parts of jointed trees. */
export function _set4Part(
  k: number,
  v0: number,
  v1: number,
  v2: number,
  v3: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function set4Part(P, B, LE): number {
    const i = B + k;
    if (i + 4 > LE) return 0;
    const a = (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
    return (a === v0 || a === v1 || a === v2 || a === v3 ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `set4` for parts of jointed trees (second copy). */
export function _set4Part2(
  k: number,
  v0: number,
  v1: number,
  v2: number,
  v3: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function set4Part(P, B, LE): number {
    const i = B + k;
    if (i + 4 > LE) return 0;
    const a = (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
    return (a === v0 || a === v1 || a === v2 || a === v3 ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `set4` for parts of jointed trees (third copy). */
export function _set4Part3(
  k: number,
  v0: number,
  v1: number,
  v2: number,
  v3: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function set4Part(P, B, LE): number {
    const i = B + k;
    if (i + 4 > LE) return 0;
    const a = (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
    return (a === v0 || a === v1 || a === v2 || a === v3 ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `set4` for parts of jointed trees (fourth copy). */
export function _set4Part4(
  k: number,
  v0: number,
  v1: number,
  v2: number,
  v3: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function set4Part(P, B, LE): number {
    const i = B + k;
    if (i + 4 > LE) return 0;
    const a = (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
    return (a === v0 || a === v1 || a === v2 || a === v3 ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `setX2` for parts of jointed trees. */
export function _setX2Part(
  S: Int32Array,
  k: number,
  v0: number,
  v1: number,
  v2: number,
  v3: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function setX2Part(P, B, LE): number {
    const o = (S[16] + k) | 0; // X + k
    if (o < 0) {
      S[19] = 1; // _TREE_ESCAPED
      return 0;
    }
    if (o > LE - B - 2) return 0;
    const i = B + o;
    const a = (P[i] << 8) | P[i + 1];
    return (a === v0 || a === v1 || a === v2 || a === v3 ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `setX2` for parts of jointed trees (second copy). */
export function _setX2Part2(
  S: Int32Array,
  k: number,
  v0: number,
  v1: number,
  v2: number,
  v3: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function setX2Part(P, B, LE): number {
    const o = (S[16] + k) | 0; // X + k
    if (o < 0) {
      S[19] = 1; // _TREE_ESCAPED
      return 0;
    }
    if (o > LE - B - 2) return 0;
    const i = B + o;
    const a = (P[i] << 8) | P[i + 1];
    return (a === v0 || a === v1 || a === v2 || a === v3 ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `setX2` for parts of jointed trees (third copy). */
export function _setX2Part3(
  S: Int32Array,
  k: number,
  v0: number,
  v1: number,
  v2: number,
  v3: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function setX2Part(P, B, LE): number {
    const o = (S[16] + k) | 0; // X + k
    if (o < 0) {
      S[19] = 1; // _TREE_ESCAPED
      return 0;
    }
    if (o > LE - B - 2) return 0;
    const i = B + o;
    const a = (P[i] << 8) | P[i + 1];
    return (a === v0 || a === v1 || a === v2 || a === v3 ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** `setX2` for parts of jointed trees (fourth copy). */
export function _setX2Part4(
  S: Int32Array,
  k: number,
  v0: number,
  v1: number,
  v2: number,
  v3: number,
  t: _TreeNode,
  f: _TreeNode,
): _TreeNode {
  // deno-lint-ignore no-unused-vars -- only stored: see `_execute_tree.ts`
  let mark = 0;
  return function setX2Part(P, B, LE): number {
    const o = (S[16] + k) | 0; // X + k
    if (o < 0) {
      S[19] = 1; // _TREE_ESCAPED
      return 0;
    }
    if (o > LE - B - 2) return 0;
    const i = B + o;
    const a = (P[i] << 8) | P[i + 1];
    return (a === v0 || a === v1 || a === v2 || a === v3 ? t : (mark = 0, f))(P, B, LE, a);
  };
}

/** The set literals by load, each with its copies in order (internal). */
export interface _SetLiterals {
  set1: _SetLiteral[];
  set2: _SetLiteral[];
  set4: _SetLiteral[];
  setX2: _SetXLiteral[];
}

/** The set literals of trees inlined whole (internal). */
export const _TREE_SET_LITERALS: _SetLiterals = {
  set1: [_set1],
  set2: [_set2, _set22],
  set4: [_set4],
  setX2: [_setX2],
};

/** The set literals of trees cut by joints: none shared with those (internal). */
export const _PART_SET_LITERALS: _SetLiterals = {
  set1: [_set1Part, _set1Part2, _set1Part3, _set1Part4],
  set2: [_set2Part, _set2Part2, _set2Part3, _set2Part4],
  set4: [_set4Part, _set4Part2, _set4Part3, _set4Part4],
  setX2: [_setX2Part, _setX2Part2, _setX2Part3, _setX2Part4],
};

/**
 * How many copies of each set literal there are, by name (one for the others); the parts' four,
 * as the parts' test literals (`_execute_tree_parts.ts`).
 */
export const _SET_COPIES: Readonly<Record<string, number>> = {
  set2: 2,
  set1Part: 4,
  set2Part: 4,
  set4Part: 4,
  setX2Part: 4,
};
