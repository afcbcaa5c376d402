/**
 * The block pool of `filter --threads`: blocks whose records the second
 * thread is classifying stay unwritten until they are routed.
 *
 * @module
 */
import type { _BlockPool } from "./_sync_block_source.ts";

/** Own buffers kept for reuse. */
const _SPARE_BUFFERS = 4;

/**
 * Buffers for the reader (`take`, `give`): those of an inner pool (the Wasm
 * classifier's memory) where it has one free, else its own. A block whose
 * records went to the worker is held (`hold`): given back, it is not read
 * into again until its records were routed (`routed`) and the block after
 * it was given back too (by then the runs of its bytes were written out).
 */
export class _HeldBlockPool implements _BlockPool {
  readonly #inner: _BlockPool | undefined;
  readonly #spare: ArrayBuffer[] = [];
  /** The block of the job out, if any. */
  #held: Uint8Array | undefined;
  /** Whether the held block was given back already. */
  #heldGiven = false;
  /** Blocks routed and given back, freed at the next `give`. */
  readonly #routed: Uint8Array[] = [];
  /** A block routed and not yet given back (freed when it is). */
  #routedOut: Uint8Array | undefined;
  /** The blocks lent and not given back: their buffers and offsets. */
  readonly #lent: Uint8Array[] = [];

  /** A pool over `inner`'s buffers (where it lends one), else its own. */
  constructor(inner?: _BlockPool) {
    this.#inner = inner;
  }

  /** A buffer of `size` bytes. */
  take(size: number): Uint8Array {
    let block = this.#inner?.take(size);
    if (block === undefined) {
      const spare = this.#spare.pop();
      block = spare?.byteLength === size ? new Uint8Array(spare) : new Uint8Array(size);
    }
    this.#lent.push(block);
    return block;
  }

  /** Whether `block` (or a view of one from its start) is lent by this pool. */
  lends(block: Uint8Array): boolean {
    return this.#lentAt(block) >= 0;
  }

  #lentAt(block: Uint8Array): number {
    return this.#lent.findIndex((b) => _samePlace(b, block));
  }

  /** Takes back a block `take` lent: `true` (held blocks are freed later). */
  give(block: Uint8Array): boolean {
    for (const routed of this.#routed.splice(0)) this.#free(routed);
    const lent = this.#lentAt(block);
    if (lent < 0) return false;
    this.#lent.splice(lent, 1);
    if (this.#held !== undefined && _samePlace(block, this.#held)) {
      this.#heldGiven = true;
    } else if (this.#routedOut !== undefined && _samePlace(block, this.#routedOut)) {
      this.#routedOut = undefined;
      this.#free(block);
    } else {
      this.#free(block);
    }
    return true;
  }

  /** Holds `block` (a block `take` lent) until its records are routed. */
  hold(block: Uint8Array): void {
    this.#held = block;
    this.#heldGiven = false;
  }

  /** The held block's records were routed: it is freed after the next block is given back. */
  routed(): void {
    const block = this.#held;
    if (block === undefined) return;
    this.#held = undefined;
    if (this.#heldGiven) this.#routed.push(block);
    else this.#routedOut = block;
  }

  #free(block: Uint8Array): void {
    if (this.#inner?.give(block)) return;
    if (this.#spare.length < _SPARE_BUFFERS && block.byteOffset === 0) {
      this.#spare.push(block.buffer as ArrayBuffer);
    }
  }
}

/** Whether two views start at the same place of the same buffer. */
function _samePlace(a: Uint8Array, b: Uint8Array): boolean {
  return a.buffer === b.buffer && a.byteOffset === b.byteOffset;
}
