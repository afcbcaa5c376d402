/**
 * The block pool of `filter --threads`: blocks whose records the second
 * thread is classifying stay unwritten until they are routed.
 *
 * @module
 */
import type { _BlockPool } from "./_sync_block_source.ts";

/** Own buffers kept for reuse. */
const _SPARE_BUFFERS = 4;

/** A block whose records are out: whether it was given back, whether routed. */
interface _Held {
  block: Uint8Array;
  given: boolean;
  routed: boolean;
}

/**
 * Buffers for the reader (`take`, `give`): those of an inner pool (the Wasm
 * classifier's memory) where it has one free, else its own. A block whose
 * records went to the worker is held (`hold`): given back, it is not read
 * into again until its records were routed (`routed`, oldest first) and a
 * later block was given back too (by then the runs of its bytes were
 * written out).
 */
export class _HeldBlockPool implements _BlockPool {
  readonly #inner: _BlockPool | undefined;
  readonly #spare: ArrayBuffer[] = [];
  /** Blocks held, oldest first. */
  readonly #held: _Held[] = [];
  /** The blocks lent and not given back. */
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
    return this.#lent.findIndex((b) => _samePlace(b, block)) >= 0;
  }

  /** Takes back a block `take` lent: `true` (held blocks are freed later); else `false`. */
  give(block: Uint8Array): boolean {
    // Blocks routed and given back before this one: their runs were written.
    const held = this.#held;
    for (let k = held.length - 1; k >= 0; k--) {
      if (held[k].given && held[k].routed) this.#free(held.splice(k, 1)[0].block);
    }
    const lent = this.#lent.findIndex((b) => _samePlace(b, block));
    if (lent < 0) return false;
    this.#lent.splice(lent, 1);
    const entry = held.findIndex((h) => _samePlace(h.block, block));
    if (entry < 0) {
      this.#free(block);
    } else if (held[entry].routed) {
      // Routed before it came back (the end of the input): written already.
      this.#free(held.splice(entry, 1)[0].block);
    } else {
      held[entry].given = true;
    }
    return true;
  }

  /** Holds `block` (a block `take` lent) until its records are routed. */
  hold(block: Uint8Array): void {
    this.#held.push({ block, given: false, routed: false });
  }

  /** The oldest held block's records were routed: it is freed once a later block came back. */
  routed(): void {
    const entry = this.#held.find((h) => !h.routed);
    if (entry !== undefined) entry.routed = true;
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
