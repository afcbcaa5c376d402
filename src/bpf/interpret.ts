/**
 * The reference classic BPF interpreter.
 *
 * @module
 */
import type { Program } from "./instruction.ts";
import type { PacketContext } from "./packet_context.ts";
import { validate } from "./validate.ts";
import {
  _BACKWARD_JUMP_BUDGET,
  _captureEnd,
  _dataStart,
  _EMPTY_CONTEXT,
  _load,
  _loadEnd,
  _loadSize,
  _macStart,
  _networkStart,
  _wireLength,
} from "./_packet_access.ts";
import { _ancillary, _ancillaryField } from "./_ancillary.ts";
import { _alu, _jumpTaken } from "./_alu.ts";
import {
  BPF_A,
  BPF_ABS,
  BPF_ALU,
  BPF_B,
  BPF_DIV,
  BPF_H,
  BPF_IMM,
  BPF_IND,
  BPF_JA,
  BPF_JMP,
  BPF_LD,
  BPF_LDX,
  BPF_LEN,
  BPF_MEM,
  BPF_MEMWORDS,
  BPF_MISC,
  BPF_MOD,
  BPF_MSH,
  BPF_RET,
  BPF_ST,
  BPF_STX,
  BPF_TAX,
  BPF_TXA,
  BPF_W,
  BPF_X,
} from "./opcodes.ts";

/** Programs already checked by {@linkcode interpret}. */
const checked = new WeakSet<Program>();

/**
 * Runs a classic BPF program on one packet, instruction by instruction, with
 * the Linux kernel's semantics, and returns what the program returns (uint32;
 * 0 rejects). This is the readable reference the compiled strategies are
 * tested against; {@linkcode compile} is much faster.
 *
 * The program is checked with {@linkcode validate} (with `allowBackwardJumps`,
 * so libpcap's `protochain` loops run as `bpf_filter()` runs them) the first
 * time this function sees it (the array object is remembered; do not mutate
 * it afterwards). Semantics: A and X start at 0; arithmetic is uint32; loads
 * are big-endian and bounded by the shorter of `wireLength` and the bytes
 * present between `dataOffset` and `end`; an out-of-bounds load (also a
 * partial one) or `div`/`mod` by X = 0 returns 0; `[x + k]` offsets are
 * int32 with the negative `SKF_NET_OFF`/`SKF_LL_OFF` windows; shifts by X use
 * the low 5 bits; an `SKF_AD_IFINDEX`/`SKF_AD_HATYPE` load without a device
 * (`ifindex` 0) ends the program returning A, as the kernel's converted
 * program does.
 *
 * @param program The instructions.
 * @param packet The buffer holding the packet (see {@linkcode PacketContext}).
 * @param context Where the packet lies in the buffer and its `sk_buff` fields.
 * @returns The program's return value.
 * @throws {BpfValidationError} When the program is not valid.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { interpret } from "./interpret.ts";
 * // ldh [12]; jeq #0x800, accept, reject
 * const program = [
 *   { code: 0x28, jt: 0, jf: 0, k: 12 },
 *   { code: 0x15, jt: 0, jf: 1, k: 0x800 },
 *   { code: 0x06, jt: 0, jf: 0, k: 0xffffffff },
 *   { code: 0x06, jt: 0, jf: 0, k: 0 },
 * ];
 * const frame = new Uint8Array(60);
 * frame[12] = 0x08;
 * assert.equal(interpret(program, frame), 4294967295);
 * ```
 */
export function interpret(
  program: Program,
  packet: Uint8Array,
  context: PacketContext = _EMPTY_CONTEXT,
): number {
  if (!checked.has(program)) {
    validate(program, { allowBackwardJumps: true });
    checked.add(program);
  }
  const captureEnd = _captureEnd(packet, context);
  const base = _dataStart(context);
  const wire = _wireLength(context, base, captureEnd);
  const loadEnd = _loadEnd(base, captureEnd, wire);
  const network = _networkStart(context, base);
  const mac = _macStart(context);
  let memory: Uint32Array | undefined;
  let a = 0;
  let x = 0;
  let budget = _BACKWARD_JUMP_BUDGET;

  for (let pc = 0; pc < program.length; pc++) {
    const { code, jt, jf } = program[pc];
    const k = program[pc].k >>> 0; // validate() lets -0 through; results stay uint32
    switch (code & 0x07) {
      case BPF_LD:
      case BPF_LDX: {
        let value: number;
        switch (code) {
          case BPF_LD | BPF_W | BPF_ABS:
          case BPF_LD | BPF_H | BPF_ABS:
          case BPF_LD | BPF_B | BPF_ABS: {
            const field = _ancillaryField(k);
            value = field >= 0
              ? _ancillary(field, a, x, packet, base, loadEnd, wire, network, context)
              : _load(packet, base, loadEnd, network, mac, k | 0, _loadSize(code));
            if (value < 0) return field >= 0 ? a : 0;
            break;
          }
          case BPF_LD | BPF_W | BPF_IND:
          case BPF_LD | BPF_H | BPF_IND:
          case BPF_LD | BPF_B | BPF_IND:
            value = _load(packet, base, loadEnd, network, mac, (x + k) | 0, _loadSize(code));
            if (value < 0) return 0;
            break;
          case BPF_LDX | BPF_B | BPF_MSH:
            value = _load(packet, base, loadEnd, network, mac, k | 0, 1);
            if (value < 0) return 0;
            value = (value & 0xf) << 2;
            break;
          case BPF_LD | BPF_W | BPF_LEN:
          case BPF_LDX | BPF_W | BPF_LEN:
            value = wire;
            break;
          case BPF_LD | BPF_IMM:
          case BPF_LDX | BPF_IMM:
            value = k;
            break;
          case BPF_LD | BPF_MEM:
          case BPF_LDX | BPF_MEM:
            value = memory === undefined ? 0 : memory[k];
            break;
          default:
            return unknown(pc, code);
        }
        if ((code & 0x07) === BPF_LD) a = value;
        else x = value;
        break;
      }
      case BPF_ST:
      case BPF_STX:
        if (code !== BPF_ST && code !== BPF_STX) return unknown(pc, code);
        memory ??= new Uint32Array(BPF_MEMWORDS);
        memory[k] = code === BPF_ST ? a : x;
        break;
      case BPF_ALU: {
        const operand = (code & BPF_X) ? x : k;
        const op = code & 0xf0;
        if ((op === BPF_DIV || op === BPF_MOD) && operand === 0) return 0;
        const result = _alu(op, a, operand);
        if (result < 0) return unknown(pc, code);
        a = result;
        break;
      }
      case BPF_JMP: {
        if ((code & 0xf0) === BPF_JA) {
          if ((k | 0) < 0 && --budget < 0) return 0;
          pc += k | 0;
          break;
        }
        const taken = _jumpTaken(code & 0xf0, a, (code & BPF_X) ? x : k);
        if (taken < 0) return unknown(pc, code);
        pc += taken ? jt : jf;
        break;
      }
      case BPF_RET:
        return (code & 0x18) === BPF_A ? a : k;
      case BPF_MISC:
        if (code === (BPF_MISC | BPF_TAX)) x = a;
        else if (code === (BPF_MISC | BPF_TXA)) a = x;
        else return unknown(pc, code);
        break;
    }
  }
  throw new RangeError("Cannot interpret program: execution ran past the last instruction");
}

function unknown(pc: number, code: number): never {
  throw new RangeError(
    `Cannot interpret program: opcode "0x${
      code.toString(16)
    }" at instruction ${pc} changed after validation`,
  );
}
