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

/** The 49 opcodes of `chk_code_allowed()`, each with its kernel name and a mnemonic. */
export const _ALLOWED_OPCODES: ReadonlyMap<number, { name: string; mnemonic: string }> = new Map([
  // 32-bit ALU operations
  [BPF_ALU | BPF_ADD | BPF_K, { name: "BPF_ALU | BPF_ADD | BPF_K", mnemonic: "add #k" }],
  [BPF_ALU | BPF_ADD | BPF_X, { name: "BPF_ALU | BPF_ADD | BPF_X", mnemonic: "add x" }],
  [BPF_ALU | BPF_SUB | BPF_K, { name: "BPF_ALU | BPF_SUB | BPF_K", mnemonic: "sub #k" }],
  [BPF_ALU | BPF_SUB | BPF_X, { name: "BPF_ALU | BPF_SUB | BPF_X", mnemonic: "sub x" }],
  [BPF_ALU | BPF_MUL | BPF_K, { name: "BPF_ALU | BPF_MUL | BPF_K", mnemonic: "mul #k" }],
  [BPF_ALU | BPF_MUL | BPF_X, { name: "BPF_ALU | BPF_MUL | BPF_X", mnemonic: "mul x" }],
  [BPF_ALU | BPF_DIV | BPF_K, { name: "BPF_ALU | BPF_DIV | BPF_K", mnemonic: "div #k" }],
  [BPF_ALU | BPF_DIV | BPF_X, { name: "BPF_ALU | BPF_DIV | BPF_X", mnemonic: "div x" }],
  [BPF_ALU | BPF_MOD | BPF_K, { name: "BPF_ALU | BPF_MOD | BPF_K", mnemonic: "mod #k" }],
  [BPF_ALU | BPF_MOD | BPF_X, { name: "BPF_ALU | BPF_MOD | BPF_X", mnemonic: "mod x" }],
  [BPF_ALU | BPF_AND | BPF_K, { name: "BPF_ALU | BPF_AND | BPF_K", mnemonic: "and #k" }],
  [BPF_ALU | BPF_AND | BPF_X, { name: "BPF_ALU | BPF_AND | BPF_X", mnemonic: "and x" }],
  [BPF_ALU | BPF_OR | BPF_K, { name: "BPF_ALU | BPF_OR | BPF_K", mnemonic: "or #k" }],
  [BPF_ALU | BPF_OR | BPF_X, { name: "BPF_ALU | BPF_OR | BPF_X", mnemonic: "or x" }],
  [BPF_ALU | BPF_XOR | BPF_K, { name: "BPF_ALU | BPF_XOR | BPF_K", mnemonic: "xor #k" }],
  [BPF_ALU | BPF_XOR | BPF_X, { name: "BPF_ALU | BPF_XOR | BPF_X", mnemonic: "xor x" }],
  [BPF_ALU | BPF_LSH | BPF_K, { name: "BPF_ALU | BPF_LSH | BPF_K", mnemonic: "lsh #k" }],
  [BPF_ALU | BPF_LSH | BPF_X, { name: "BPF_ALU | BPF_LSH | BPF_X", mnemonic: "lsh x" }],
  [BPF_ALU | BPF_RSH | BPF_K, { name: "BPF_ALU | BPF_RSH | BPF_K", mnemonic: "rsh #k" }],
  [BPF_ALU | BPF_RSH | BPF_X, { name: "BPF_ALU | BPF_RSH | BPF_X", mnemonic: "rsh x" }],
  [BPF_ALU | BPF_NEG, { name: "BPF_ALU | BPF_NEG", mnemonic: "neg" }],
  // Load instructions
  [BPF_LD | BPF_W | BPF_ABS, { name: "BPF_LD | BPF_W | BPF_ABS", mnemonic: "ld [k]" }],
  [BPF_LD | BPF_H | BPF_ABS, { name: "BPF_LD | BPF_H | BPF_ABS", mnemonic: "ldh [k]" }],
  [BPF_LD | BPF_B | BPF_ABS, { name: "BPF_LD | BPF_B | BPF_ABS", mnemonic: "ldb [k]" }],
  [BPF_LD | BPF_W | BPF_LEN, { name: "BPF_LD | BPF_W | BPF_LEN", mnemonic: "ld len" }],
  [BPF_LD | BPF_W | BPF_IND, { name: "BPF_LD | BPF_W | BPF_IND", mnemonic: "ld [x + k]" }],
  [BPF_LD | BPF_H | BPF_IND, { name: "BPF_LD | BPF_H | BPF_IND", mnemonic: "ldh [x + k]" }],
  [BPF_LD | BPF_B | BPF_IND, { name: "BPF_LD | BPF_B | BPF_IND", mnemonic: "ldb [x + k]" }],
  [BPF_LD | BPF_IMM, { name: "BPF_LD | BPF_IMM", mnemonic: "ld #k" }],
  [BPF_LD | BPF_MEM, { name: "BPF_LD | BPF_MEM", mnemonic: "ld M[k]" }],
  [BPF_LDX | BPF_W | BPF_LEN, { name: "BPF_LDX | BPF_W | BPF_LEN", mnemonic: "ldx len" }],
  [BPF_LDX | BPF_B | BPF_MSH, { name: "BPF_LDX | BPF_B | BPF_MSH", mnemonic: "ldxb 4*([k]&0xf)" }],
  [BPF_LDX | BPF_IMM, { name: "BPF_LDX | BPF_IMM", mnemonic: "ldx #k" }],
  [BPF_LDX | BPF_MEM, { name: "BPF_LDX | BPF_MEM", mnemonic: "ldx M[k]" }],
  // Store instructions
  [BPF_ST, { name: "BPF_ST", mnemonic: "st M[k]" }],
  [BPF_STX, { name: "BPF_STX", mnemonic: "stx M[k]" }],
  // Misc instructions
  [BPF_MISC | BPF_TAX, { name: "BPF_MISC | BPF_TAX", mnemonic: "tax" }],
  [BPF_MISC | BPF_TXA, { name: "BPF_MISC | BPF_TXA", mnemonic: "txa" }],
  // Return instructions
  [BPF_RET | BPF_K, { name: "BPF_RET | BPF_K", mnemonic: "ret #k" }],
  [BPF_RET | BPF_A, { name: "BPF_RET | BPF_A", mnemonic: "ret a" }],
  // Jump instructions
  [BPF_JMP | BPF_JA, { name: "BPF_JMP | BPF_JA", mnemonic: "ja k" }],
  [BPF_JMP | BPF_JEQ | BPF_K, { name: "BPF_JMP | BPF_JEQ | BPF_K", mnemonic: "jeq #k" }],
  [BPF_JMP | BPF_JEQ | BPF_X, { name: "BPF_JMP | BPF_JEQ | BPF_X", mnemonic: "jeq x" }],
  [BPF_JMP | BPF_JGE | BPF_K, { name: "BPF_JMP | BPF_JGE | BPF_K", mnemonic: "jge #k" }],
  [BPF_JMP | BPF_JGE | BPF_X, { name: "BPF_JMP | BPF_JGE | BPF_X", mnemonic: "jge x" }],
  [BPF_JMP | BPF_JGT | BPF_K, { name: "BPF_JMP | BPF_JGT | BPF_K", mnemonic: "jgt #k" }],
  [BPF_JMP | BPF_JGT | BPF_X, { name: "BPF_JMP | BPF_JGT | BPF_X", mnemonic: "jgt x" }],
  [BPF_JMP | BPF_JSET | BPF_K, { name: "BPF_JMP | BPF_JSET | BPF_K", mnemonic: "jset #k" }],
  [BPF_JMP | BPF_JSET | BPF_X, { name: "BPF_JMP | BPF_JSET | BPF_X", mnemonic: "jset x" }],
]);

/** Whether `code` is a conditional jump (`jeq`/`jgt`/`jge`/`jset`, K or X). */
export function _isConditionalJump(code: number): boolean {
  return (code & 0x07) === BPF_JMP && (code & 0xf0) !== BPF_JA;
}
