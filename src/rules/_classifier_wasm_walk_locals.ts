/**
 * Private: the locals of the Wasm classifier module's index walks
 * (./_classifier_wasm_walk.ts): in a walk function of its own, in a
 * dispatch cut off one, and where a walk is inlined in its chain's `run`
 * (./_classifier_wasm_runs.ts); and the frame record values a walk loads
 * into them first.
 *
 * @module
 */
import { _F64, _I32 } from "../bpf/_wasm_encoder.ts";
import type { _Body } from "./_classifier_wasm_body.ts";
import {
  FR_CLASS,
  FR_IS_IP,
  FR_LINK,
  FR_NET,
  W_BASE,
  W_LOAD_END,
} from "./_classifier_wasm_layout.ts";

/** The locals of a walk function: `bound` (a parameter of split-off ones), then as `_COLLECT`. */
export const _COLLECT_LOCALS = [
  { count: 1, type: _I32 },
  { count: 6, type: _I32 },
  { count: 1, type: _F64 },
  { count: 4, type: _I32 },
];
/** The locals of a dispatch cut off the walk: `bound`, `v` (the key) are parameters. */
export const _CHUNK_LOCALS = [
  { count: 5, type: _I32 },
  { count: 1, type: _F64 },
  { count: 4, type: _I32 },
];
/** The locals a walk's code uses. */
export interface _WalkLocals {
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
export function _walkLocalsAt(first: number): _WalkLocals {
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
export const _COLLECT: _WalkLocals = {
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
export function _emitWalkPrelude(b: _Body, L: _WalkLocals): void {
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
