/**
 * A capture input read in large blocks into recycled buffers.
 *
 * @module
 */

/**
 * Blocks of input bytes, read ahead (the next block may be arriving while the
 * caller works on this one) into a small pool of buffers that are reused: a
 * block's bytes stay valid until it is handed back with
 * {@linkcode BlockSource.release}, and may be overwritten from then on. This
 * is how `filter` reads its capture without allocating (and page-faulting in)
 * fresh memory for every megabyte.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { BlockSource } from "./block_source.ts";
 * async function count(source: BlockSource): Promise<number> {
 *   let bytes = 0;
 *   try {
 *     for (let block; (block = await source.read()) !== null;) {
 *       bytes += block.length;
 *       source.release(block);
 *     }
 *   } finally {
 *     source.close();
 *   }
 *   return bytes;
 * }
 * const blocks = [new Uint8Array(3), new Uint8Array(2)];
 * let closed = false;
 * const source: BlockSource = {
 *   read: () => Promise.resolve(blocks.shift() ?? null),
 *   release: () => {},
 *   close: () => void (closed = true),
 * };
 * assert.equal(await count(source), 5);
 * assert.equal(closed, true);
 * ```
 */
export interface BlockSource {
  /** The next block (never empty), or `null` at the end of the input.
   * Rejects when reading fails. */
  read(): Promise<Uint8Array | null>;
  /** Hands a block back for reuse; the caller must not touch it afterwards. */
  release(block: Uint8Array): void;
  /** Stops reading and frees what the source holds; a pending `read`
   * resolves with `null`. Safe to call more than once. */
  close(): void;
  /**
   * True when every block is the source's own memory, read into again once
   * released: the caller may then overwrite a block's bytes before it
   * releases it (`filter` moves the accepted records to the block's front
   * instead of copying them out). Absent or false when a block may be
   * someone else's bytes (a stream's chunks belong to its producer).
   */
  readonly scratch?: boolean;
}
