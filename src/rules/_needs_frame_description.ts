/**
 * Private: whether a link-base program can depend on what the frame's link
 * header says (`describeFrame`), or only on the frame's own bytes.
 *
 * @module
 */
import type { Instruction } from "../bpf/instruction.ts";
import {
  BPF_ABS,
  BPF_B,
  BPF_H,
  BPF_IMM,
  BPF_IND,
  BPF_LD,
  BPF_LDX,
  BPF_MISC,
  BPF_MSH,
  BPF_TAX,
  BPF_W,
} from "../bpf/opcodes.ts";

/** The largest X an `ldx msh` sets: 4 × the low nibble of a byte. */
const _MSH_MAX = 60;
/** Offsets from here up (as uint32) are negative: `SKF_*` windows. */
const _NEGATIVE = 0x80000000;

/**
 * Whether `program`, run on the link base, may read something of its
 * context that {@linkcode describeFrame} computes from the link header: the
 * network offset (loads at `SKF_NET_OFF + n`) or an ancillary field (`ld
 * [SKF_AD_OFF + n]`). `false` is a proof that it reads only the frame's own
 * bytes at non-negative offsets from its start and its length (`dataOffset`,
 * `end`, `wireLength`), for every frame:
 *
 * - every `ld [k]` and `ldx 4*([k]&0xf)` has `k` below 2^31;
 * - every `ld [x + k]` has `k + max(X)` below 2^31, where X is set only by
 *   `ldx msh` (at most 60) or `ldx #n`, and starts at 0. A program that sets
 *   X from A (`tax`), memory or `ldx len` and also has an indexed load is
 *   taken to need the description.
 *
 * `true` is conservative: the program may or may not read those fields.
 */
export function _needsFrameDescription(program: readonly Instruction[]): boolean {
  let maxX = 0;
  let xUnknown = false;
  let indexed = false;
  let largestIndexedK = 0;
  for (const { code, k } of program) {
    const offset = k >>> 0;
    switch (code) {
      case BPF_LD | BPF_W | BPF_ABS:
      case BPF_LD | BPF_H | BPF_ABS:
      case BPF_LD | BPF_B | BPF_ABS:
      case BPF_LDX | BPF_B | BPF_MSH:
        if (offset >= _NEGATIVE) return true;
        if (code === (BPF_LDX | BPF_B | BPF_MSH) && maxX < _MSH_MAX) maxX = _MSH_MAX;
        break;
      case BPF_LD | BPF_W | BPF_IND:
      case BPF_LD | BPF_H | BPF_IND:
      case BPF_LD | BPF_B | BPF_IND:
        indexed = true;
        if (offset > largestIndexedK) largestIndexedK = offset;
        break;
      case BPF_LDX | BPF_W | BPF_IMM:
        if (offset > maxX) maxX = offset;
        break;
      default:
        // Any other write of X: `tax`, `ldx M[k]`, `ldx len`.
        if ((code & 0x07) === BPF_LDX || code === (BPF_MISC | BPF_TAX)) xUnknown = true;
    }
  }
  if (!indexed) return false;
  return xUnknown || largestIndexedK + maxX >= _NEGATIVE;
}
