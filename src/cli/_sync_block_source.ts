/**
 * A {@linkcode BlockSource} read on the calling thread with blocking reads:
 * the fast path of `filter` for a regular file (named, or redirected to
 * standard input), where a read is a copy from the page cache and handing
 * blocks over from another thread costs more than it saves.
 *
 * @module
 */
import type { BlockSource } from "./block_source.ts";

/** A file read with blocking calls (`Deno.FsFile`, `Deno.stdin`). */
export interface _SyncReader {
  /** Reads into `buffer`: the bytes read (0 allowed), or `null` at the end. */
  readSync(buffer: Uint8Array): number | null;
  /** Releases the file (not called for standard input). */
  close?(): void;
}

/** Options of {@linkcode _syncBlockSource}. */
export interface _SyncBlockSourceOptions {
  /**
   * Size of each buffer, the largest block. 256 KiB: the CLI used 5% less CPU
   * than with 1 MiB blocks (a block, the gathered output and the decoder's
   * arrays stay in the core's cache), and a pipe's writer refills it while
   * a block is filtered (bench/RESULTS.md, issue 12, session 5).
   *
   * @default {262144}
   */
  blockSize?: number;
  /** Close the reader when the source is closed (false for standard input). @default {true} */
  closeReader?: boolean;
  /**
   * Buffers to read into before the source's own (the Wasm classifier's
   * memory: its blocks are then classified with no copy). A block `take`
   * gave goes back with `give`; `take` may give nothing (then the source's
   * own buffer is used).
   */
  pool?: _BlockPool;
  /**
   * Called once, the first time a read comes back with exactly a pipe's
   * 64 KiB while more was asked: the reader is a pipe whose writer keeps it
   * full (`cat F | bpfstream filter`). `main.ts` widens standard input's pipe
   * then (bench/RESULTS.md, "Pipe mode, session 9").
   */
  onPipe?: () => void;
}

/** Buffers lent to a {@linkcode _syncBlockSource} (see `_SyncBlockSourceOptions.pool`). */
export interface _BlockPool {
  /** A buffer of `size` bytes, or `undefined`. */
  take(size: number): Uint8Array | undefined;
  /** Takes back a block `take` gave (or a view of one from its start): `true`; else `false`. */
  give(block: Uint8Array): boolean;
}

/** A pipe hands over at most this much per read: a shorter read means the
 * writer has paused (a live capture), so the block leaves at once. */
const _PIPE_READ = 1 << 16;

/**
 * Blocks of `reader`, each filled until it is full, the input ends, or a
 * read comes back shorter than a pipe's buffer (nothing more is waiting).
 * Buffers are recycled: a released block's buffer is read into again, so a
 * caller that releases each block before reading the next uses one buffer.
 * A read error rejects `read()` (the blocks before it were delivered).
 */
export function _syncBlockSource(
  reader: _SyncReader,
  options: _SyncBlockSourceOptions = {},
): BlockSource {
  const blockSize = options.blockSize ?? 1 << 18;
  const pool = options.pool;
  let onPipe = options.onPipe;
  const free: ArrayBuffer[] = [];
  let ended = false;
  let closed = false;
  const fill = (block: Uint8Array): number => {
    let used = 0;
    while (used < block.length) {
      const n = reader.readSync(block.subarray(used));
      if (n === null) {
        ended = true;
        break;
      }
      if (n === _PIPE_READ && onPipe !== undefined && used + n < block.length) {
        const told = onPipe;
        onPipe = undefined;
        told();
      }
      used += n;
      if (n < _PIPE_READ) break;
    }
    return used;
  };
  return {
    // Blocks are this source's buffers (or the pool's), read into again once released.
    scratch: true,
    read() {
      while (!closed && !ended) {
        const block = pool?.take(blockSize) ??
          new Uint8Array(free.pop() ?? new ArrayBuffer(blockSize));
        let used: number;
        try {
          used = fill(block);
        } catch (error) {
          ended = true;
          return Promise.reject(error);
        }
        if (used > 0) return Promise.resolve(block.subarray(0, used));
        if (!pool?.give(block)) free.push(block.buffer as ArrayBuffer);
      }
      return Promise.resolve(null);
    },
    release(block) {
      if (pool?.give(block)) return;
      if (block.buffer.byteLength === blockSize && free.length < 2) {
        free.push(block.buffer as ArrayBuffer);
      }
    },
    close() {
      if (closed) return;
      closed = true;
      free.length = 0;
      if (options.closeReader ?? true) reader.close?.();
    },
  };
}
