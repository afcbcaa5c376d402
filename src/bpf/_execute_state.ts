/**
 * The state array of the closure strategy (private): the 16 scratch cells
 * `M[]`, then A, X and the result, as int32 bits.
 * One per compiled program, reused by every run.
 *
 * @module
 */
import { BPF_MEMWORDS } from "./opcodes.ts";

/** Where A is kept while {@linkcode _step} runs. */
export const REG_A = BPF_MEMWORDS;
/** Where X is kept. */
export const REG_X = BPF_MEMWORDS + 1;
/** The result when {@linkcode _step} ends the run. */
export const RESULT = BPF_MEMWORDS + 2;
/** Length of a state array. */
export const STATE_LENGTH = BPF_MEMWORDS + 3;
