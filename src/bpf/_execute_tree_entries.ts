/**
 * The entry functions of closure trees (private): 64 pairs of function
 * literals, each written out once, so that each of the first 64 trees of a
 * process gets literals no other tree uses ({@linkcode _TreeEntries}).
 *
 * Why: V8 compiles a function literal once for all its closures, and their
 * call feedback is shared. A tree is fast when V8 inlines its nodes into one
 * another with their operands as constants. That happens where the calling
 * code knows which closure it calls: in the literal's own optimized code only
 * while it has one closure (V8 then specialises the code to that closure's
 * captured values), and in a caller's loop that calls one closure. Every
 * tree's entry was a closure of one shared literal, so once two trees had
 * run, a caller that did not inline the entry (a loop that calls many
 * programs' functions) got the shared code, which reads the root from the
 * closure and calls it through feedback that every tree's nodes had
 * polluted: each node a real call, `tcp port 80` 40 ns a packet against
 * libpcap's 19.5 (bench/RESULTS.md, session 17). Each entry here calls its
 * tree's own entry body, a constant in its specialised code, so V8 inlines
 * the body and, from it, the whole tree.
 *
 * @module
 */
import type { PacketContext } from "./packet_context.ts";
import type { PacketBatch } from "./packet_batch.ts";
import { _bodyPlan, type _EntryPlan } from "./_execute_entry.ts";
import { _ENTRY_LITERALS } from "./_execute_entries.ts";

type _Run = (P: Uint8Array, C?: PacketContext) => number;
type _BatchRun = (batch: PacketBatch, results: Uint32Array) => void;

/** How many trees a process can give entries of their own. */
export const _TREE_ENTRIES = _ENTRY_LITERALS.length;

/**
 * Entry literals handed out to trees, each pair once per process
 * (`compileClosure` holds one: {@linkcode _processTreeEntries}).
 */
export class _TreeEntries {
  #used = 0;

  /** How many pairs were handed out. */
  get used(): number {
    return this.#used;
  }

  /**
   * Hands the pairs out again from the first (tests that need compileClosure's tree of
   * each program: the reused literals' closures then share their code, as before).
   */
  reset(): void {
    this.#used = 0;
  }

  /** Whether a pair is left. */
  get available(): boolean {
    return this.#used < _ENTRY_LITERALS.length;
  }

  /** The entries of a tree with these bodies, from the next unused pair (check `available`). */
  take(run: _Run, runBatch: _BatchRun): { run: _Run; runBatch: _BatchRun } {
    return this.takePlan(_bodyPlan(run, runBatch));
  }

  /** The entries of a program with this plan (`_execute_entry.ts`), from the next unused pair. */
  takePlan(plan: _EntryPlan): { run: _Run; runBatch: _BatchRun } {
    return _ENTRY_LITERALS[this.#used++](plan);
  }
}

/** The pairs of `compileClosure`'s trees in this process. */
export const _processTreeEntries: _TreeEntries = new _TreeEntries();
