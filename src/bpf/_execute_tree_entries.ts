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

type _Run = (P: Uint8Array, C?: PacketContext) => number;
type _BatchRun = (batch: PacketBatch, results: Uint32Array) => void;

/** Makes a tree's entries from its entry bodies (the shared `run` and `runBatch` of `_execute_tree.ts`). */
interface _EntryLiterals {
  run: (body: _Run) => _Run;
  runBatch: (body: _BatchRun) => _BatchRun;
}

// One pair a line, written out 64 times: each textual copy is a literal of its own.
// deno-fmt-ignore
const LITERALS: readonly _EntryLiterals[] = [
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
  { run: (body) => function run(P: Uint8Array): number { return body(P, arguments.length > 1 ? arguments[1] : undefined); } as _Run,
    runBatch: (body) => function runBatch(batch: PacketBatch, results: Uint32Array): void { body(batch, results); } },
];

/** How many trees a process can give entries of their own. */
export const _TREE_ENTRIES = LITERALS.length;

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
    return this.#used < LITERALS.length;
  }

  /** The entries of a tree with these bodies, from the next unused pair (check `available`). */
  take(run: _Run, runBatch: _BatchRun): { run: _Run; runBatch: _BatchRun } {
    const literals = LITERALS[this.#used++];
    return { run: literals.run(run), runBatch: literals.runBatch(runBatch) };
  }
}

/** The pairs of `compileClosure`'s trees in this process. */
export const _processTreeEntries: _TreeEntries = new _TreeEntries();
