/**
 * The classic BPF opcodes Linux accepts, as one table (private).
 *
 * This is the whitelist of `chk_code_allowed()` in the kernel's
 * `net/core/filter.c`: exactly 49 opcodes. Anything else (`ret x`,
 * `ldx len` with a size other than W, `neg x`, `ld` with an immediate and
 * size bits, ...) is refused by `bpf_check_classic()`.
 *
 * Each entry names the opcode the way the kernel spells it and gives a short
 * mnemonic used by error messages and the tracer.
 *
 * @module
 */
import {
  BPF_A,
  BPF_ABS,
  BPF_ADD,
  BPF_ALU,
  BPF_AND,
  BPF_B,
  BPF_DIV,
  BPF_H,
  BPF_IMM,
  BPF_IND,
  BPF_JA,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_JSET,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_LEN,
  BPF_LSH,
  BPF_MEM,
  BPF_MISC,
  BPF_MOD,
  BPF_MSH,
  BPF_MUL,
  BPF_NEG,
  BPF_OR,
  BPF_RET,
  BPF_RSH,
  BPF_ST,
  BPF_STX,
  BPF_SUB,
  BPF_TAX,
  BPF_TXA,
  BPF_W,
  BPF_X,
  BPF_XOR,
} from "./opcodes.ts";

/** The kernel's spelling of each allowed opcode and its mnemonic, in `chk_code_allowed()`'s order. */
const _TABLE: readonly (readonly [name: string, mnemonic: string])[] = [
  // 32-bit ALU operations
  ["BPF_ALU | BPF_ADD | BPF_K", "add #k"],
  ["BPF_ALU | BPF_ADD | BPF_X", "add x"],
  ["BPF_ALU | BPF_SUB | BPF_K", "sub #k"],
  ["BPF_ALU | BPF_SUB | BPF_X", "sub x"],
  ["BPF_ALU | BPF_MUL | BPF_K", "mul #k"],
  ["BPF_ALU | BPF_MUL | BPF_X", "mul x"],
  ["BPF_ALU | BPF_DIV | BPF_K", "div #k"],
  ["BPF_ALU | BPF_DIV | BPF_X", "div x"],
  ["BPF_ALU | BPF_MOD | BPF_K", "mod #k"],
  ["BPF_ALU | BPF_MOD | BPF_X", "mod x"],
  ["BPF_ALU | BPF_AND | BPF_K", "and #k"],
  ["BPF_ALU | BPF_AND | BPF_X", "and x"],
  ["BPF_ALU | BPF_OR | BPF_K", "or #k"],
  ["BPF_ALU | BPF_OR | BPF_X", "or x"],
  ["BPF_ALU | BPF_XOR | BPF_K", "xor #k"],
  ["BPF_ALU | BPF_XOR | BPF_X", "xor x"],
  ["BPF_ALU | BPF_LSH | BPF_K", "lsh #k"],
  ["BPF_ALU | BPF_LSH | BPF_X", "lsh x"],
  ["BPF_ALU | BPF_RSH | BPF_K", "rsh #k"],
  ["BPF_ALU | BPF_RSH | BPF_X", "rsh x"],
  ["BPF_ALU | BPF_NEG", "neg"],
  // Load instructions
  ["BPF_LD | BPF_W | BPF_ABS", "ld [k]"],
  ["BPF_LD | BPF_H | BPF_ABS", "ldh [k]"],
  ["BPF_LD | BPF_B | BPF_ABS", "ldb [k]"],
  ["BPF_LD | BPF_W | BPF_LEN", "ld len"],
  ["BPF_LD | BPF_W | BPF_IND", "ld [x + k]"],
  ["BPF_LD | BPF_H | BPF_IND", "ldh [x + k]"],
  ["BPF_LD | BPF_B | BPF_IND", "ldb [x + k]"],
  ["BPF_LD | BPF_IMM", "ld #k"],
  ["BPF_LD | BPF_MEM", "ld M[k]"],
  ["BPF_LDX | BPF_W | BPF_LEN", "ldx len"],
  ["BPF_LDX | BPF_B | BPF_MSH", "ldxb 4*([k]&0xf)"],
  ["BPF_LDX | BPF_IMM", "ldx #k"],
  ["BPF_LDX | BPF_MEM", "ldx M[k]"],
  // Store instructions
  ["BPF_ST", "st M[k]"],
  ["BPF_STX", "stx M[k]"],
  // Misc instructions
  ["BPF_MISC | BPF_TAX", "tax"],
  ["BPF_MISC | BPF_TXA", "txa"],
  // Return instructions
  ["BPF_RET | BPF_K", "ret #k"],
  ["BPF_RET | BPF_A", "ret a"],
  // Jump instructions
  ["BPF_JMP | BPF_JA", "ja k"],
  ["BPF_JMP | BPF_JEQ | BPF_K", "jeq #k"],
  ["BPF_JMP | BPF_JEQ | BPF_X", "jeq x"],
  ["BPF_JMP | BPF_JGE | BPF_K", "jge #k"],
  ["BPF_JMP | BPF_JGE | BPF_X", "jge x"],
  ["BPF_JMP | BPF_JGT | BPF_K", "jgt #k"],
  ["BPF_JMP | BPF_JGT | BPF_X", "jgt x"],
  ["BPF_JMP | BPF_JSET | BPF_K", "jset #k"],
  ["BPF_JMP | BPF_JSET | BPF_X", "jset x"],
];

/**
 * The constants the spellings above use, by name: a plain object, not the
 * module's namespace (whose every property is a getter in the bundle, each
 * compiled on its first read: the table cost about 1 ms of every start-up).
 */
const _CONSTANTS: Readonly<Record<string, number>> = {
  BPF_A,
  BPF_ABS,
  BPF_ADD,
  BPF_ALU,
  BPF_AND,
  BPF_B,
  BPF_DIV,
  BPF_H,
  BPF_IMM,
  BPF_IND,
  BPF_JA,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_JSET,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_LEN,
  BPF_LSH,
  BPF_MEM,
  BPF_MISC,
  BPF_MOD,
  BPF_MSH,
  BPF_MUL,
  BPF_NEG,
  BPF_OR,
  BPF_RET,
  BPF_RSH,
  BPF_ST,
  BPF_STX,
  BPF_SUB,
  BPF_TAX,
  BPF_TXA,
  BPF_W,
  BPF_X,
  BPF_XOR,
};

/** The value of a kernel spelling such as `BPF_LD | BPF_H | BPF_ABS`. */
function _value(name: string): number {
  let code = 0;
  for (const part of name.split(" | ")) {
    const value = Object.hasOwn(_CONSTANTS, part) ? _CONSTANTS[part] : undefined;
    if (typeof value !== "number") throw new Error(`Cannot build opcode table: no '${part}'`);
    code |= value;
  }
  return code;
}

/** The 49 opcodes of `chk_code_allowed()`, each with its kernel name and a mnemonic. */
export const _ALLOWED_OPCODES: ReadonlyMap<number, { name: string; mnemonic: string }> = new Map(
  _TABLE.map(([name, mnemonic]) => [_value(name), { name, mnemonic }]),
);

/** Whether `code` is a conditional jump (`jeq`/`jgt`/`jge`/`jset`, K or X). */
export function _isConditionalJump(code: number): boolean {
  return (code & 0x07) === BPF_JMP && (code & 0xf0) !== BPF_JA;
}
