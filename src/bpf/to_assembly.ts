/**
 * Writing a classic BPF program as `bpf_asm` source.
 *
 * @module
 */
import type { Program } from "./instruction.ts";
import { BpfValidationError } from "./errors.ts";
import { _ancillaryField, _BPF_ASM_ANCILLARY_NAMES } from "./_ancillary.ts";

/**
 * Writes a program as Linux `bpf_asm` source that {@linkcode assemble} (and
 * the kernel's `bpf_asm`) turns back into exactly the same instructions.
 *
 * Jump targets get labels `L<index>:`; conditional jumps use the one-label
 * forms where a target is the next instruction (`jeq #0x800, L5`,
 * `jneq #0x800, L9`, `jlt`, `jle`); ancillary loads use `bpf_asm`'s names
 * (`ld #proto`, `ldh #vlan_tci`; `SKF_AD_ALU_XOR_X`, which has no name, is
 * written as its offset `ld [-4056]`); constants follow `tcpdump -d`'s
 * conventions (`ret #-1`, `jeq #0x800`, `and #0xf`, `ld [-1048576]`).
 *
 * @param program The instructions.
 * @returns The source, one instruction per line, ending in a line break.
 * Fields an opcode ignores have no place in the syntax and are not written:
 * `jt`/`jf` of anything but a conditional jump, and `k` of `tax`, `txa`,
 * `neg`, `ret a`, `ld #len` and the `x` forms (libpcap leaves junk there, e.g.
 * `tax` with k=2). So `assemble(toAssembly(p))` is `p` with those fields set
 * to 0, which runs and disassembles identically.
 *
 * @throws {BpfValidationError} When an instruction has no `bpf_asm` form:
 *   an opcode `bpf_asm` cannot write (`BAD_OPCODE`), or a jump backward or
 *   past the end (`JUMP_OUT_OF_RANGE`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toAssembly } from "./to_assembly.ts";
 * const text = toAssembly([
 *   { code: 0x28, jt: 0, jf: 0, k: 12 },
 *   { code: 0x15, jt: 0, jf: 1, k: 0x800 },
 *   { code: 0x06, jt: 0, jf: 0, k: 0xffffffff },
 *   { code: 0x06, jt: 0, jf: 0, k: 0 },
 * ]);
 * assert.equal(
 *   text,
 *   [
 *     "        ldh [12]",
 *     "        jneq #0x800, L3",
 *     "        ret #-1",
 *     "L3:     ret #0",
 *     "",
 *   ].join("\n"),
 * );
 * ```
 */
export function toAssembly(program: Program): string {
  const targets = new Set<number>();
  const lines: string[] = [];
  for (let i = 0; i < program.length; i++) {
    lines.push(_line(program, i, targets));
  }
  let out = "";
  for (let i = 0; i < lines.length; i++) {
    out += (targets.has(i) ? `L${i}:`.padEnd(8) : " ".repeat(8)) + lines[i] + "\n";
  }
  return out;
}

type _Shape = "k" | "none" | "jump" | "ja";

/** Opcode → [mnemonic, operand template, shape]. `K`, `D`, `H` stand for k. */
const _FORMS: ReadonlyMap<number, readonly [string, string, _Shape]> = new Map([
  [0x00, ["ld", "#H", "k"]],
  [0x20, ["ld", "ABS", "k"]],
  [0x28, ["ldh", "ABS", "k"]],
  [0x30, ["ldb", "ABS", "k"]],
  [0x40, ["ld", "[x + D]", "k"]],
  [0x48, ["ldh", "[x + D]", "k"]],
  [0x50, ["ldb", "[x + D]", "k"]],
  [0x60, ["ld", "M[K]", "k"]],
  [0x80, ["ld", "#len", "none"]],
  [0x01, ["ldx", "#H", "k"]],
  [0x61, ["ldx", "M[K]", "k"]],
  [0x81, ["ldx", "#len", "none"]],
  [0xb1, ["ldxb", "4*([D]&0xf)", "k"]],
  [0x02, ["st", "M[K]", "k"]],
  [0x03, ["stx", "M[K]", "k"]],
  [0x04, ["add", "#D", "k"]],
  [0x14, ["sub", "#D", "k"]],
  [0x24, ["mul", "#D", "k"]],
  [0x34, ["div", "#D", "k"]],
  [0x94, ["mod", "#D", "k"]],
  [0x54, ["and", "#H", "k"]],
  [0x44, ["or", "#H", "k"]],
  [0xa4, ["xor", "#H", "k"]],
  [0x64, ["lsh", "#D", "k"]],
  [0x74, ["rsh", "#D", "k"]],
  [0x0c, ["add", "x", "none"]],
  [0x1c, ["sub", "x", "none"]],
  [0x2c, ["mul", "x", "none"]],
  [0x3c, ["div", "x", "none"]],
  [0x9c, ["mod", "x", "none"]],
  [0x5c, ["and", "x", "none"]],
  [0x4c, ["or", "x", "none"]],
  [0xac, ["xor", "x", "none"]],
  [0x6c, ["lsh", "x", "none"]],
  [0x7c, ["rsh", "x", "none"]],
  [0x84, ["neg", "", "none"]],
  [0x05, ["ja", "", "ja"]],
  [0x15, ["jeq", "#H", "jump"]],
  [0x25, ["jgt", "#H", "jump"]],
  [0x35, ["jge", "#H", "jump"]],
  [0x45, ["jset", "#H", "jump"]],
  [0x1d, ["jeq", "x", "jump"]],
  [0x2d, ["jgt", "x", "jump"]],
  [0x3d, ["jge", "x", "jump"]],
  [0x4d, ["jset", "x", "jump"]],
  [0x06, ["ret", "#D", "k"]],
  [0x16, ["ret", "a", "none"]],
  [0x0e, ["ret", "x", "none"]],
  [0x07, ["tax", "", "none"]],
  [0x87, ["txa", "", "none"]],
]);

/** The one-label form of a jump whose true target is the next instruction. */
const _NEGATED: ReadonlyMap<string, string> = new Map([
  ["jeq", "jneq"],
  ["jge", "jlt"],
  ["jgt", "jle"],
]);

function _fail(
  reason: string,
  code: "BAD_OPCODE" | "JUMP_OUT_OF_RANGE",
  index: number,
): never {
  throw new BpfValidationError(
    `Cannot write assembly: instruction ${index} ${reason}`,
    code,
    index,
  );
}

function _line(program: Program, i: number, targets: Set<number>): string {
  const { code } = program[i];
  const jt = program[i].jt & 0xff;
  const jf = program[i].jf & 0xff;
  const k = program[i].k >>> 0;
  const form = _FORMS.get(code);
  if (form === undefined) {
    _fail(`has opcode 0x${code.toString(16)}, which bpf_asm cannot write`, "BAD_OPCODE", i);
  }
  const [mnemonic, template, shape] = form;
  const operand = template
    .replace("ABS", () => {
      const name = _BPF_ASM_ANCILLARY_NAMES.get(_ancillaryField(k));
      return name === undefined ? `[${k | 0}]` : `#${name}`;
    })
    .replace("K", String(k))
    .replace("D", String(k | 0))
    .replace("H", `0x${k.toString(16)}`);
  if (shape === "ja") {
    const target = i + 1 + (k | 0);
    if (target <= i) {
      _fail(`(ja) jumps backward to ${target} (k=${k})`, "JUMP_OUT_OF_RANGE", i);
    }
    if (target >= program.length) {
      _fail(
        `(ja) jumps to ${target}, past the end (length ${program.length})`,
        "JUMP_OUT_OF_RANGE",
        i,
      );
    }
    targets.add(target);
    return `ja L${target}`;
  }
  if (shape === "jump") {
    const whenTrue = i + 1 + jt;
    const whenFalse = i + 1 + jf;
    for (const target of [whenTrue, whenFalse]) {
      if (target >= program.length) {
        _fail(
          `(${mnemonic}) jumps to ${target}, past the end (length ${program.length})`,
          "JUMP_OUT_OF_RANGE",
          i,
        );
      }
    }
    if (jt === 0 && jf !== 0 && _NEGATED.has(mnemonic)) {
      targets.add(whenFalse);
      return `${_NEGATED.get(mnemonic)} ${operand}, L${whenFalse}`;
    }
    targets.add(whenTrue);
    if (jf === 0) return `${mnemonic} ${operand}, L${whenTrue}`;
    targets.add(whenFalse);
    return `${mnemonic} ${operand}, L${whenTrue}, L${whenFalse}`;
  }
  return operand === "" ? mnemonic : `${mnemonic} ${operand}`;
}
