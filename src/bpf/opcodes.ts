/**
 * Classic BPF opcode fields and constants, named as in the Linux kernel's
 * `include/uapi/linux/filter.h` and `bpf_common.h`, so code can be held
 * against `net/core/filter.c`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   BPF_ABS,
 *   BPF_H,
 *   BPF_JEQ,
 *   BPF_JMP,
 *   BPF_K,
 *   BPF_LD,
 *   BPF_RET,
 *   bpfClass,
 *   bpfMode,
 *   bpfSize,
 *   SKF_AD_OFF,
 *   SKF_AD_PROTOCOL,
 * } from "./opcodes.ts";
 * import { interpret } from "./interpret.ts";
 * // tcpdump -d "ether proto 0x86dd", from the kernel's names.
 * const ipv6 = [
 *   { code: BPF_LD | BPF_H | BPF_ABS, jt: 0, jf: 0, k: 12 }, // ldh [12]
 *   { code: BPF_JMP | BPF_JEQ | BPF_K, jt: 0, jf: 1, k: 0x86dd }, // jeq #0x86dd
 *   { code: BPF_RET | BPF_K, jt: 0, jf: 0, k: 262144 }, // ret #262144
 *   { code: BPF_RET | BPF_K, jt: 0, jf: 0, k: 0 }, // ret #0
 * ];
 * assert.deepEqual(ipv6.map((insn) => insn.code), [ 40, 21, 6, 6 ]);
 * assert.equal(bpfClass(40), BPF_LD);
 * assert.equal(bpfSize(40), BPF_H);
 * assert.equal(bpfMode(40), BPF_ABS);
 * const frame = new Uint8Array(54);
 * frame.set([0x86, 0xdd], 12);
 * assert.equal(interpret(ipv6, frame), 262144);
 * // The same test on skb->protocol, which needs no packet bytes: ancillary
 * // loads read at SKF_AD_OFF + field (k is stored unsigned).
 * const ancillary = (SKF_AD_OFF + SKF_AD_PROTOCOL) >>> 0;
 * const byProtocol = [{ ...ipv6[0], k: ancillary }, ...ipv6.slice(1)];
 * assert.equal(interpret(byProtocol, new Uint8Array(0), { protocol: 0x86dd }), 262144);
 * ```
 *
 * @module
 */

// Instruction classes.
/** Class: load into the accumulator A. */
export const BPF_LD = 0x00;
/** Class: load into the index register X. */
export const BPF_LDX = 0x01;
/** Class: store A into scratch memory. */
export const BPF_ST = 0x02;
/** Class: store X into scratch memory. */
export const BPF_STX = 0x03;
/** Class: arithmetic and logic on A. */
export const BPF_ALU = 0x04;
/** Class: jumps. */
export const BPF_JMP = 0x05;
/** Class: return. */
export const BPF_RET = 0x06;
/** Class: register transfers (`tax`, `txa`). */
export const BPF_MISC = 0x07;

// Load sizes.
/** Size: 32-bit word. */
export const BPF_W = 0x00;
/** Size: 16-bit half word. */
export const BPF_H = 0x08;
/** Size: byte. */
export const BPF_B = 0x10;

// Load modes.
/** Mode: the constant k. */
export const BPF_IMM = 0x00;
/** Mode: packet data at offset k. */
export const BPF_ABS = 0x20;
/** Mode: packet data at offset X + k. */
export const BPF_IND = 0x40;
/** Mode: scratch memory cell k. */
export const BPF_MEM = 0x60;
/** Mode: the packet length. */
export const BPF_LEN = 0x80;
/** Mode: `4 * (P[k] & 0xf)` (IPv4 header length). */
export const BPF_MSH = 0xa0;

// ALU operations.
/** ALU: addition. */
export const BPF_ADD = 0x00;
/** ALU: subtraction. */
export const BPF_SUB = 0x10;
/** ALU: multiplication. */
export const BPF_MUL = 0x20;
/** ALU: unsigned division. */
export const BPF_DIV = 0x30;
/** ALU: bitwise or. */
export const BPF_OR = 0x40;
/** ALU: bitwise and. */
export const BPF_AND = 0x50;
/** ALU: left shift. */
export const BPF_LSH = 0x60;
/** ALU: logical right shift. */
export const BPF_RSH = 0x70;
/** ALU: negation. */
export const BPF_NEG = 0x80;
/** ALU: unsigned remainder. */
export const BPF_MOD = 0x90;
/** ALU: exclusive or. */
export const BPF_XOR = 0xa0;

// Jump operations.
/** Jump: always, by k. */
export const BPF_JA = 0x00;
/** Jump: if A == operand. */
export const BPF_JEQ = 0x10;
/** Jump: if A > operand (unsigned). */
export const BPF_JGT = 0x20;
/** Jump: if A >= operand (unsigned). */
export const BPF_JGE = 0x30;
/** Jump: if A & operand is non-zero. */
export const BPF_JSET = 0x40;

// Operand sources.
/** Source: the constant k. */
export const BPF_K = 0x00;
/** Source: the index register X. */
export const BPF_X = 0x08;
/** Return-value source: the accumulator (`ret a`). */
export const BPF_A = 0x10;

// Misc operations.
/** Misc: copy A to X. */
export const BPF_TAX = 0x00;
/** Misc: copy X to A. */
export const BPF_TXA = 0x80;

/** Number of scratch memory cells (`M[0]`..`M[15]`). */
export const BPF_MEMWORDS = 16;
/** Largest program the kernel accepts (`BPF_MAXINSNS`). */
export const BPF_MAXINSNS = 4096;
/** xt_bpf's limit on instructions per rule (`XT_BPF_MAX_NUM_INSTR`). */
export const XT_BPF_MAX_NUM_INSTR = 64;

/**
 * The class bits of an opcode.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BPF_JEQ, BPF_JMP, BPF_K, bpfClass } from "./opcodes.ts";
 * assert.equal(bpfClass(BPF_JMP | BPF_JEQ | BPF_K), BPF_JMP);
 * ```
 */
export function bpfClass(code: number): number {
  return code & 0x07;
}
/**
 * The size bits of a load/store opcode.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BPF_H, bpfSize } from "./opcodes.ts";
 * // 0x28: ldh [k]
 * assert.equal(bpfSize(0x28), BPF_H);
 * ```
 */
export function bpfSize(code: number): number {
  return code & 0x18;
}
/**
 * The mode bits of a load/store opcode.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BPF_MSH, bpfMode } from "./opcodes.ts";
 * // 0xb1: ldx 4*([k]&0xf)
 * assert.equal(bpfMode(0xb1), BPF_MSH);
 * ```
 */
export function bpfMode(code: number): number {
  return code & 0xe0;
}
/**
 * The operation bits of an ALU or jump opcode.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BPF_ALU, BPF_RSH, BPF_X, bpfOp } from "./opcodes.ts";
 * assert.equal(bpfOp(BPF_ALU | BPF_RSH | BPF_X), BPF_RSH);
 * ```
 */
export function bpfOp(code: number): number {
  return code & 0xf0;
}
/**
 * The source bits (`BPF_K` or `BPF_X`) of an ALU or jump opcode.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BPF_X, bpfSrc } from "./opcodes.ts";
 * // 0x2d: jgt x
 * assert.equal(bpfSrc(0x2d), BPF_X);
 * ```
 */
export function bpfSrc(code: number): number {
  return code & 0x08;
}
/**
 * The return-value source bits (`BPF_K`, `BPF_X`, `BPF_A`) of a RET opcode.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BPF_A, bpfRval } from "./opcodes.ts";
 * // 0x16: ret a
 * assert.equal(bpfRval(0x16), BPF_A);
 * ```
 */
export function bpfRval(code: number): number {
  return code & 0x18;
}
/**
 * The operation bits of a MISC opcode (`BPF_TAX` or `BPF_TXA`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BPF_TXA, bpfMiscOp } from "./opcodes.ts";
 * // 0x87: txa
 * assert.equal(bpfMiscOp(0x87), BPF_TXA);
 * ```
 */
export function bpfMiscOp(code: number): number {
  return code & 0xf8;
}

// Special offsets: the negative windows and the ancillary area.
/** Start of the ancillary-data offsets (`SKF_AD_OFF`, -4096). */
export const SKF_AD_OFF: number = -0x1000;
/** Loads at `SKF_NET_OFF + n` read the network header at offset n (-1048576). */
export const SKF_NET_OFF: number = -0x100000;
/** Loads at `SKF_LL_OFF + n` read the link-layer header at offset n (-2097152). */
export const SKF_LL_OFF: number = -0x200000;

// Ancillary fields, offsets relative to SKF_AD_OFF.
/** Ancillary: `skb->protocol`. */
export const SKF_AD_PROTOCOL = 0;
/** Ancillary: `skb->pkt_type`. */
export const SKF_AD_PKTTYPE = 4;
/** Ancillary: the device's interface index. */
export const SKF_AD_IFINDEX = 8;
/** Ancillary: offset of a netlink attribute of type X, from offset A. */
export const SKF_AD_NLATTR = 12;
/** Ancillary: offset of a nested netlink attribute of type X, inside the attribute at A. */
export const SKF_AD_NLATTR_NEST = 16;
/** Ancillary: `skb->mark`. */
export const SKF_AD_MARK = 20;
/** Ancillary: `skb->queue_mapping`. */
export const SKF_AD_QUEUE = 24;
/** Ancillary: the device type (`ARPHRD_*`). */
export const SKF_AD_HATYPE = 28;
/** Ancillary: `skb->hash`. */
export const SKF_AD_RXHASH = 32;
/** Ancillary: the current CPU. */
export const SKF_AD_CPU = 36;
/** Ancillary: A ^ X. */
export const SKF_AD_ALU_XOR_X = 40;
/** Ancillary: the VLAN TCI. */
export const SKF_AD_VLAN_TAG = 44;
/** Ancillary: 1 if a VLAN tag is present. */
export const SKF_AD_VLAN_TAG_PRESENT = 48;
/** Ancillary: offset of the transport payload. */
export const SKF_AD_PAY_OFFSET = 52;
/** Ancillary: a random uint32. */
export const SKF_AD_RANDOM = 56;
/** Ancillary: the VLAN protocol (TPID). */
export const SKF_AD_VLAN_TPID = 60;
/** One past the last known ancillary offset (`SKF_AD_MAX`). */
export const SKF_AD_MAX = 64;
