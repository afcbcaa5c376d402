/**
 * Private: whether a program reads the ancillary fields of its context.
 *
 * @module
 */
import { _ancillaryField } from "../bpf/_ancillary.ts";
import type { Instruction } from "../bpf/instruction.ts";
import { BPF_ABS, BPF_B, BPF_H, BPF_LD, BPF_W } from "../bpf/opcodes.ts";

/**
 * Whether `program` has an `ld`/`ldh`/`ldb [SKF_AD_OFF + n]` of a known
 * ancillary field: the only instructions that read `protocol`, `pktType`,
 * `ifindex`, `hatype`, the VLAN fields, `mark`, `rxhash`, `queue` or `cpu`
 * (packet loads, `SKF_NET_OFF`/`SKF_LL_OFF` included, read only the offsets
 * and lengths).
 */
export function _readsAncillary(program: readonly Instruction[]): boolean {
  for (const { code, k } of program) {
    if (
      (code === (BPF_LD | BPF_W | BPF_ABS) || code === (BPF_LD | BPF_H | BPF_ABS) ||
        code === (BPF_LD | BPF_B | BPF_ABS)) && _ancillaryField(k) >= 0
    ) return true;
  }
  return false;
}
