/**
 * Disassembly of a classic BPF program in the `tcpdump -d` format.
 *
 * @module
 */
import type { Instruction, Program } from "./instruction.ts";
import { _ancillaryField, _LIBPCAP_ANCILLARY_NAMES } from "./_ancillary.ts";
import { _isConditionalJump } from "./_opcode_table.ts";

/**
 * Disassembles a program exactly as `tcpdump -d` prints it (libpcap 1.10's
 * `bpf_image`, one line per instruction, each ending in a line break), e.g.
 * `(000) ldh      [12]` or `(001) jeq      #0x800           jt 2\tjf 5`.
 *
 * Every opcode is printed as libpcap prints it, including those `pcap_compile`
 * never emits: `mod`, `xor`, `neg`, the Linux ancillary loads by libpcap's
 * names (`ld [proto]`, `ldh [vlanp]`, `ld [random]`, …), the negative
 * `SKF_NET_OFF` / `SKF_LL_OFF` windows as signed decimals (`ld [-1048576]`),
 * and any code libpcap does not name (also `ldx len`, `ret x`) as
 * `unimp 0x<code>`. Operands printed with `%d` are signed 32-bit, as in C.
 *
 * @param program The instructions.
 * @returns The listing, one line per instruction, each ending in `"\n"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { disassemble } from "./disassemble.ts";
 * const text = disassemble([
 *   { code: 0x28, jt: 0, jf: 0, k: 12 },
 *   { code: 0x15, jt: 0, jf: 1, k: 0x800 },
 *   { code: 0x06, jt: 0, jf: 0, k: 262144 },
 *   { code: 0x06, jt: 0, jf: 0, k: 0 },
 * ]);
 * assert.equal(
 *   text,
 *   [
 *     "(000) ldh      [12]",
 *     "(001) jeq      #0x800           jt 2\tjf 3",
 *     "(002) ret      #262144",
 *     "(003) ret      #0",
 *     "",
 *   ].join("\n"),
 * );
 * ```
 */
export function disassemble(program: Program): string {
  let out = "";
  for (let n = 0; n < program.length; n++) out += _image(program[n], n) + "\n";
  return out;
}

type _Format = "" | "dec" | "hex" | "abs" | "ind" | "msh" | "mem" | "ja" | "x" | "pktlen";

/** Opcode → [mnemonic, operand format], as libpcap 1.10's bpf_image switch. */
const _TABLE = new Map<number, readonly [string, _Format]>([
  [0x06, ["ret", "dec"]], // BPF_RET | BPF_K
  [0x16, ["ret", ""]], // BPF_RET | BPF_A
  [0x20, ["ld", "abs"]], // BPF_LD | BPF_W | BPF_ABS
  [0x28, ["ldh", "abs"]], // BPF_LD | BPF_H | BPF_ABS
  [0x30, ["ldb", "abs"]], // BPF_LD | BPF_B | BPF_ABS
  [0x80, ["ld", "pktlen"]], // BPF_LD | BPF_W | BPF_LEN
  [0x40, ["ld", "ind"]], // BPF_LD | BPF_W | BPF_IND
  [0x48, ["ldh", "ind"]], // BPF_LD | BPF_H | BPF_IND
  [0x50, ["ldb", "ind"]], // BPF_LD | BPF_B | BPF_IND
  [0x00, ["ld", "hex"]], // BPF_LD | BPF_IMM
  [0x01, ["ldx", "hex"]], // BPF_LDX | BPF_IMM
  [0xb1, ["ldxb", "msh"]], // BPF_LDX | BPF_MSH | BPF_B
  [0x60, ["ld", "mem"]], // BPF_LD | BPF_MEM
  [0x61, ["ldx", "mem"]], // BPF_LDX | BPF_MEM
  [0x02, ["st", "mem"]], // BPF_ST
  [0x03, ["stx", "mem"]], // BPF_STX
  [0x05, ["ja", "ja"]], // BPF_JMP | BPF_JA
  [0x25, ["jgt", "hex"]], // BPF_JMP | BPF_JGT | BPF_K
  [0x35, ["jge", "hex"]], // BPF_JMP | BPF_JGE | BPF_K
  [0x15, ["jeq", "hex"]], // BPF_JMP | BPF_JEQ | BPF_K
  [0x45, ["jset", "hex"]], // BPF_JMP | BPF_JSET | BPF_K
  [0x2d, ["jgt", "x"]], // BPF_JMP | BPF_JGT | BPF_X
  [0x3d, ["jge", "x"]], // BPF_JMP | BPF_JGE | BPF_X
  [0x1d, ["jeq", "x"]], // BPF_JMP | BPF_JEQ | BPF_X
  [0x4d, ["jset", "x"]], // BPF_JMP | BPF_JSET | BPF_X
  [0x0c, ["add", "x"]], // BPF_ALU | BPF_ADD | BPF_X
  [0x1c, ["sub", "x"]], // BPF_ALU | BPF_SUB | BPF_X
  [0x2c, ["mul", "x"]], // BPF_ALU | BPF_MUL | BPF_X
  [0x3c, ["div", "x"]], // BPF_ALU | BPF_DIV | BPF_X
  [0x9c, ["mod", "x"]], // BPF_ALU | BPF_MOD | BPF_X
  [0x5c, ["and", "x"]], // BPF_ALU | BPF_AND | BPF_X
  [0x4c, ["or", "x"]], // BPF_ALU | BPF_OR | BPF_X
  [0xac, ["xor", "x"]], // BPF_ALU | BPF_XOR | BPF_X
  [0x6c, ["lsh", "x"]], // BPF_ALU | BPF_LSH | BPF_X
  [0x7c, ["rsh", "x"]], // BPF_ALU | BPF_RSH | BPF_X
  [0x04, ["add", "dec"]], // BPF_ALU | BPF_ADD | BPF_K
  [0x14, ["sub", "dec"]], // BPF_ALU | BPF_SUB | BPF_K
  [0x24, ["mul", "dec"]], // BPF_ALU | BPF_MUL | BPF_K
  [0x34, ["div", "dec"]], // BPF_ALU | BPF_DIV | BPF_K
  [0x94, ["mod", "dec"]], // BPF_ALU | BPF_MOD | BPF_K
  [0x54, ["and", "hex"]], // BPF_ALU | BPF_AND | BPF_K
  [0x44, ["or", "hex"]], // BPF_ALU | BPF_OR | BPF_K
  [0xa4, ["xor", "hex"]], // BPF_ALU | BPF_XOR | BPF_K
  [0x64, ["lsh", "dec"]], // BPF_ALU | BPF_LSH | BPF_K
  [0x74, ["rsh", "dec"]], // BPF_ALU | BPF_RSH | BPF_K
  [0x84, ["neg", ""]], // BPF_ALU | BPF_NEG
  [0x07, ["tax", ""]], // BPF_MISC | BPF_TAX
  [0x87, ["txa", ""]], // BPF_MISC | BPF_TXA
]);

function _operand(format: _Format, insn: Instruction, n: number): string {
  const k = insn.k >>> 0;
  switch (format) {
    case "":
      return "";
    case "dec":
      return `#${k | 0}`;
    case "hex":
      return `#0x${k.toString(16)}`;
    case "abs": {
      const name = _LIBPCAP_ANCILLARY_NAMES.get(_ancillaryField(k));
      return name === undefined ? `[${k | 0}]` : `[${name}]`;
    }
    case "ind":
      return `[x + ${k | 0}]`;
    case "msh":
      return `4*([${k | 0}]&0xf)`;
    case "mem":
      return `M[${k | 0}]`;
    case "ja":
      return String((n + 1 + k) | 0);
    case "x":
      return "x";
    case "pktlen":
      return "#pktlen";
  }
}

function _image(insn: Instruction, n: number): string {
  const code = insn.code & 0xffff;
  const entry = _TABLE.get(code);
  const op = entry === undefined ? "unimp" : entry[0];
  const operand = entry === undefined ? `0x${code.toString(16)}` : _operand(entry[1], insn, n);
  const head = `(${String(n).padStart(3, "0")}) ${op.padEnd(8)} `;
  // bpf_image: conditional jumps (class BPF_JMP, op not BPF_JA) show both targets.
  if (_isConditionalJump(code)) {
    return `${head}${operand.padEnd(16)} jt ${n + 1 + (insn.jt & 0xff)}\tjf ${
      n + 1 + (insn.jf & 0xff)
    }`;
  }
  return head + operand;
}
