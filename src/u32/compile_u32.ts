import type { PacketContext } from "../bpf/packet_context.ts";
import type { U32Test } from "./types.ts";
import { _checkU32Tests } from "./_check_u32.ts";

/**
 * A compiled u32 match: whether one packet matches.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileU32, type U32Matcher } from "./compile_u32.ts";
 * import { parseU32 } from "./parse_u32.ts";
 * const isIcmp: U32Matcher = compileU32(parseU32("6 & 0xFF = 1"));
 * // An Ethernet frame: dataOffset 14 puts offset 0 at its IPv4 header.
 * const frame = new Uint8Array(34);
 * frame.set([0x08, 0x00, 0x45, 0, 0, 20, 0, 0, 0, 0, 64, 1], 12);
 * assert.ok(isIcmp(frame, { dataOffset: 14 }));
 * ```
 */
export type U32Matcher = (packet: Uint8Array, context?: PacketContext) => boolean;

/**
 * Options of {@linkcode compileU32}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileU32, type CompileU32Options } from "./compile_u32.ts";
 * import { parseU32 } from "./parse_u32.ts";
 * const options: CompileU32Options = { invert: true }; // ! --u32 "6 & 0xFF = 6"
 * const notTcp = compileU32(parseU32("6 & 0xFF = 6"), options);
 * const udp = new Uint8Array(20);
 * udp.set([0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17]);
 * assert.ok(notTcp(udp));
 * // Protocol byte not captured (8 of 20 bytes): undecidable, no match either way.
 * assert.equal(notTcp(udp.subarray(0, 8), { wireLength: 20 }), false);
 * ```
 */
export interface CompileU32Options {
  /**
   * Build the matcher of `! --u32`: true where the kernel's `u32_match_it`
   * is false. A packet whose needed bytes lie within the wire length but
   * past the captured bytes matches neither way (see {@linkcode compileU32}).
   * @default {false}
   */
  invert?: boolean;
}

const _AND = 0;
const _LEFTSH = 1;
const _RIGHTSH = 2;
const _AT = 3;
const _OPCODES = { "&": _AND, "<<": _LEFTSH, ">>": _RIGHTSH, "@": _AT } as const;

/** Reads beyond this many bytes from offset 0 count as past the packet (no skb is that long). */
const _MAX_LENGTH = 0x80000000;

/**
 * Compiles u32 tests to a closure with the run-time semantics of the Linux
 * kernel's `xt_u32` (`u32_match_it`): offset 0 is the network header, every
 * read is 4 big-endian bytes, `@` adds the current value to the base with the
 * kernel's overflow and bounds checks, values compare as unsigned ranges,
 * all tests must hold, and a read past the packet makes the match false.
 *
 * Buffer conventions are the cBPF `compile`'s: offset 0 is
 * `context.dataOffset` (default 0); the packet length the kernel checks
 * (`skb->len`) is `context.wireLength` (default: the bytes present, from
 * `dataOffset` to `context.end ?? packet.length`). A read within that length
 * but past the bytes present (a truncated capture) cannot be decided: the
 * matcher returns false, with or without `invert`, as a cBPF program
 * returns 0 on such a load.
 *
 * The matcher allocates nothing per packet.
 *
 * @param tests Tests from {@linkcode parseU32} (or built by hand; checked).
 * @param options See {@linkcode CompileU32Options}.
 * @returns `(packet, context?) => boolean`.
 * @throws {RangeError} If hand-built tests break the kernel's limits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileU32 } from "./compile_u32.ts";
 * import { parseU32 } from "./parse_u32.ts";
 * const bigPacket = compileU32(parseU32("0 & 0xFFFF = 0x100:0xFFFF"));
 * const ipv4 = new Uint8Array(20);
 * ipv4[0] = 0x45;
 * ipv4[3] = 20; // total length 20
 * assert.equal(bigPacket(ipv4), false);
 * ```
 */
export function compileU32(
  tests: readonly U32Test[],
  options: CompileU32Options = {},
): U32Matcher {
  _checkU32Tests(tests, "compile u32 match");
  // Per test: [next, offset, nOps, (op, number) * nOps, nRanges, (min, max) * nRanges].
  const words: number[] = [];
  for (const test of tests) {
    const head = words.length;
    words.push(0, test.offset, test.operations.length);
    for (const { operator, number } of test.operations) words.push(_OPCODES[operator], number);
    words.push(test.ranges.length);
    for (const { min, max } of test.ranges) words.push(min, max);
    words[head] = words.length;
  }
  const program = Uint32Array.from(words);
  const programEnd = program.length;
  const miss = options.invert === true;
  const hit = !miss;

  return function u32Match(packet: Uint8Array, context?: PacketContext): boolean {
    let base = 0;
    let end = packet.length;
    let wire = -1;
    if (context !== undefined) {
      if (context.dataOffset !== undefined) base = context.dataOffset;
      if (context.end !== undefined && context.end < end) end = context.end;
      if (context.wireLength !== undefined) wire = context.wireLength;
    }
    let present = end - base;
    if (!(present > 0)) present = 0; // also catches NaN
    if (!(wire >= 0)) wire = present;
    if (wire > _MAX_LENGTH) wire = _MAX_LENGTH;

    let pc = 0;
    while (pc < programEnd) {
      const next = program[pc];
      const offset = program[pc + 1];
      let ops = program[pc + 2];
      pc += 3;
      // skb->len < 4 || pos > skb->len - 4
      if (offset + 4 > wire) return miss;
      if (offset + 4 > present) return false;
      let i = base + offset;
      let value = ((packet[i] << 24) | (packet[i + 1] << 16) | (packet[i + 2] << 8) |
        packet[i + 3]) >>> 0;
      let at = 0;
      for (; ops > 0; ops--, pc += 2) {
        const number = program[pc + 1];
        switch (program[pc]) {
          case _AND:
            value = (value & number) >>> 0;
            break;
          case _LEFTSH:
            value = (value << number) >>> 0;
            break;
          case _RIGHTSH:
            value >>>= number;
            break;
          default: {
            // The kernel refuses at + val < at (wrap), at + 4 < at, skb->len < at + 4
            // and pos > skb->len - at - 4. In exact (double) arithmetic these are
            // one check: a base that would wrap is >= 2**32, past any length.
            at += value;
            if (at + number + 4 > wire) return miss;
            if (at + number + 4 > present) return false;
            i = base + at + number;
            value = ((packet[i] << 24) | (packet[i + 1] << 16) | (packet[i + 2] << 8) |
              packet[i + 3]) >>> 0;
          }
        }
      }
      let ranges = program[pc++];
      for (; ranges > 0; ranges--, pc += 2) {
        if (program[pc] <= value && value <= program[pc + 1]) break;
      }
      if (ranges === 0) return miss;
      pc = next;
    }
    return hit;
  };
}
