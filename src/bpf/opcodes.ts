/**
 * Classic BPF opcode fields and constants, named as in the Linux kernel's
 * `include/uapi/linux/filter.h` and `bpf_common.h`, so code can be held
 * against `net/core/filter.c`.
 *
 * @module
 */

// Instruction classes.
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_RET = 0x06;
export const BPF_MISC = 0x07;

// Load sizes.
export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;

// Load modes.
export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_IND = 0x40;
export const BPF_MEM = 0x60;
export const BPF_LEN = 0x80;
export const BPF_MSH = 0xa0;

// ALU operations.
export const BPF_ADD = 0x00;
export const BPF_SUB = 0x10;
export const BPF_MUL = 0x20;
export const BPF_DIV = 0x30;
export const BPF_OR = 0x40;
export const BPF_AND = 0x50;
export const BPF_LSH = 0x60;
export const BPF_RSH = 0x70;
export const BPF_NEG = 0x80;
export const BPF_MOD = 0x90;
export const BPF_XOR = 0xa0;

// Jump operations.
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;

// Operand sources.
export const BPF_K = 0x00;
export const BPF_X = 0x08;
/** Return-value source: the accumulator (`ret a`). */
export const BPF_A = 0x10;

// Misc operations.
export const BPF_TAX = 0x00;
export const BPF_TXA = 0x80;

/** Number of scratch memory cells (`M[0]`..`M[15]`). */
export const BPF_MEMWORDS = 16;
/** Largest program the kernel accepts (`BPF_MAXINSNS`). */
export const BPF_MAXINSNS = 4096;
/** xt_bpf's limit on instructions per rule (`XT_BPF_MAX_NUM_INSTR`). */
export const XT_BPF_MAX_NUM_INSTR = 64;

/** The class bits of an opcode. */
export function bpfClass(code: number): number {
  return code & 0x07;
}
/** The size bits of a load/store opcode. */
export function bpfSize(code: number): number {
  return code & 0x18;
}
/** The mode bits of a load/store opcode. */
export function bpfMode(code: number): number {
  return code & 0xe0;
}
/** The operation bits of an ALU or jump opcode. */
export function bpfOp(code: number): number {
  return code & 0xf0;
}
/** The source bits (`BPF_K` or `BPF_X`) of an ALU or jump opcode. */
export function bpfSrc(code: number): number {
  return code & 0x08;
}
/** The return-value source bits (`BPF_K`, `BPF_X`, `BPF_A`) of a RET opcode. */
export function bpfRval(code: number): number {
  return code & 0x18;
}
/** The operation bits of a MISC opcode (`BPF_TAX` or `BPF_TXA`). */
export function bpfMiscOp(code: number): number {
  return code & 0xf8;
}

// Special offsets: the negative windows and the ancillary area.
/** Start of the ancillary-data offsets (`SKF_AD_OFF`, -4096). */
export const SKF_AD_OFF = -0x1000;
/** Loads at `SKF_NET_OFF + n` read the network header at offset n (-1048576). */
export const SKF_NET_OFF = -0x100000;
/** Loads at `SKF_LL_OFF + n` read the link-layer header at offset n (-2097152). */
export const SKF_LL_OFF = -0x200000;

// Ancillary fields, offsets relative to SKF_AD_OFF.
export const SKF_AD_PROTOCOL = 0;
export const SKF_AD_PKTTYPE = 4;
export const SKF_AD_IFINDEX = 8;
export const SKF_AD_NLATTR = 12;
export const SKF_AD_NLATTR_NEST = 16;
export const SKF_AD_MARK = 20;
export const SKF_AD_QUEUE = 24;
export const SKF_AD_HATYPE = 28;
export const SKF_AD_RXHASH = 32;
export const SKF_AD_CPU = 36;
export const SKF_AD_ALU_XOR_X = 40;
export const SKF_AD_VLAN_TAG = 44;
export const SKF_AD_VLAN_TAG_PRESENT = 48;
export const SKF_AD_PAY_OFFSET = 52;
export const SKF_AD_RANDOM = 56;
export const SKF_AD_VLAN_TPID = 60;
/** One past the last known ancillary offset (`SKF_AD_MAX`). */
export const SKF_AD_MAX = 64;
