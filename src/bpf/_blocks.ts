/**
 * Basic blocks and hoisted bounds checks (private), shared by every compile
 * strategy (the closure and Wasm ones through `_lower.ts`).
 *
 * A block starts at instruction 0, at every jump target and after every
 * jump or return. Inside a block, the positive `[k]` packet loads (and
 * `ldxb 4*([k]&0xf)`) can share one bounds check at the block's start: if
 * the farthest of them is out of bounds the program returns 0 anyway, since
 * nothing between the block start and that load can end the program with
 * another value. Ancillary loads that may end the program returning A
 * (IFINDEX/HATYPE without a device) and `SKF_AD_RANDOM` (a user callback)
 * stop the hoisting.
 *
 * @module
 */
import type { Program } from "./instruction.ts";
import { _isConditionalJump } from "./_opcode_table.ts";
import { _ancillaryField, _needsDevice } from "./_ancillary.ts";
import { _loadSize } from "./_packet_access.ts";
import {
  BPF_ABS,
  BPF_B,
  BPF_H,
  BPF_JA,
  BPF_JMP,
  BPF_LD,
  BPF_LDX,
  BPF_MSH,
  BPF_RET,
  BPF_W,
  SKF_AD_RANDOM,
} from "./opcodes.ts";

/** The block structure of a validated program. */
export interface _BlockPlan {
  /** 1 where a block starts. */
  leader: Uint8Array;
  /** 1 where an instruction is the target of some jump. */
  target: Uint8Array;
  /** 1 where a load's bounds check is done by its block's start. */
  hoisted: Uint8Array;
  /** At a block start: the bytes from `dataOffset` the block's hoisted loads need, else 0. */
  need: Float64Array;
  /** Whether some `ja` jumps backwards. */
  backward: boolean;
}

/** The instruction a jump goes to when taken (`ja`: int32 `k`). */
export function _jumpTarget(pc: number, offset: number): number {
  return pc + 1 + offset;
}

/** Plans the blocks of a validated program. */
export function _planBlocks(program: Program): _BlockPlan {
  const length = program.length;
  const leader = new Uint8Array(length);
  const target = new Uint8Array(length);
  const hoisted = new Uint8Array(length);
  const need = new Float64Array(length);
  let backward = false;
  leader[0] = 1;
  for (let pc = 0; pc < length; pc++) {
    const { code, jt, jf, k } = program[pc];
    const cls = code & 0x07;
    if (code === (BPF_JMP | BPF_JA)) {
      const to = _jumpTarget(pc, k | 0);
      if (to <= pc) backward = true;
      target[to] = leader[to] = 1;
    } else if (_isConditionalJump(code)) {
      target[pc + 1 + jt] = leader[pc + 1 + jt] = 1;
      target[pc + 1 + jf] = leader[pc + 1 + jf] = 1;
    }
    if ((cls === BPF_JMP || cls === BPF_RET) && pc + 1 < length) leader[pc + 1] = 1;
  }
  // The hoistable loads of the current block, reused from block to block.
  const loads: number[] = [];
  for (let start = 0; start < length; start++) {
    if (!leader[start]) continue;
    let farthest = 0;
    loads.length = 0;
    for (let pc = start; pc < length && (pc === start || !leader[pc]); pc++) {
      const end = _hoistableLoadEnd(program[pc].code, program[pc].k);
      if (end < 0) break;
      if (end === 0) continue;
      if (end > farthest) farthest = end;
      loads.push(pc);
    }
    if (loads.length < 2) continue;
    need[start] = farthest;
    for (const pc of loads) hoisted[pc] = 1;
  }
  return { leader, target, hoisted, need, backward };
}

/**
 * For hoisting: where a load needs the packet to extend to (bytes from
 * `dataOffset`) when its bounds check can move to its block's start; 0 for an
 * instruction that is not such a load; -1 for one that stops the hoisting (an
 * ancillary load that may end the program returning A, or calls the user's
 * `random`).
 */
function _hoistableLoadEnd(code: number, k: number): number {
  const isAbs = code === (BPF_LD | BPF_W | BPF_ABS) || code === (BPF_LD | BPF_H | BPF_ABS) ||
    code === (BPF_LD | BPF_B | BPF_ABS);
  if (isAbs) {
    const field = _ancillaryField(k);
    if (field >= 0) return _needsDevice(field) || field === SKF_AD_RANDOM ? -1 : 0;
  }
  if ((isAbs || code === (BPF_LDX | BPF_B | BPF_MSH)) && (k | 0) >= 0) {
    return k + (isAbs ? _loadSize(code) : 1);
  }
  return 0;
}
