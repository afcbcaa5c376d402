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
   * Size of each buffer, the largest block (a file's blocks are this size).
   * 256 KiB: the CLI used 5% less CPU than with 1 MiB blocks (a block, the
   * gathered output and the decoder's arrays stay in the core's cache;
   * bench/RESULTS.md, issue 12, session 5).
   *
   * @default {262144}
   */
  blockSize?: number;
  /**
   * A read of at least this many bytes found a pipe full (Linux's default
   * pipe buffer): more input is waiting, and the next read goes on in the
   * same buffer (`BlockSource.more`).
   *
   * @default {65536}
   */
  fullRead?: number;
  /**
   * Read on into a block while reads come back full, up to the buffer's end
   * (or a short read, or the end), before handing it over: fewer, larger
   * blocks. For a machine without a core to spare: there, routing each read
   * as it comes only adds calls (about 13% more CPU in pipe mode), while
   * with a spare core the producer refills the pipe meanwhile (pipe mode's
   * wall time 0.95–1.03× tcpdump's instead of 1.11–1.20×; bench/RESULTS.md,
   * "Pipe mode (issue 12, session 7)").
   *
   * @default {false}
   */
  gather?: boolean;
  /** Close the reader when the source is closed (false for standard input). @default {true} */
  closeReader?: boolean;
  /**
   * Buffers to read into before the source's own (the Wasm classifier's
   * memory: its blocks are then classified with no copy). A block `take`
   * gave goes back with `give`; `take` may give nothing (then the source's
   * own buffer is used).
   */
  pool?: _BlockPool;
}

/** Buffers lent to a {@linkcode _syncBlockSource} (see `_SyncBlockSourceOptions.pool`). */
export interface _BlockPool {
  /** A buffer of `size` bytes, or `undefined`. */
  take(size: number): Uint8Array | undefined;
  /** Takes back a block `take` gave (or a view of one from its start): `true`; else `false`. */
  give(block: Uint8Array): boolean;
}

/** A buffer no longer read into, and the end of the bytes read into it. */
interface _Closed {
  whole: Uint8Array;
  end: number;
}

/**
 * Blocks of `reader`, one per read, in order: a regular file's reads fill
 * each buffer, while a pipe (or a terminal, a socket) hands over what is
 * waiting, at most its buffer (64 KiB by default on Linux), and that is a
 * block at once, so the caller routes it while the producer refills the pipe.
 * (Reading on while reads came back full, to gather 256 KiB before routing,
 * left the reader waiting on an emptied pipe in about one read in five, and
 * the pipeline ran one process at a time: bench/RESULTS.md, "Pipe mode
 * (issue 12, session 7)".)
 *
 * With `gather`, reads that come back full go on into the same block before
 * it is handed over (and `more` is then false). Without, after a read that
 * found a pipe full, the next read goes on in the same buffer, just after
 * the block (`more` is true): a caller may keep such a
 * block, unreleased, and write its output once a block comes with `more`
 * false (a short read: the producer paused; or a full buffer, or the end).
 * The blocks of one buffer are then adjacent in memory.
 *
 * Buffers are recycled once the last block read into one is released (a
 * caller that releases each block before reading the next uses one or two
 * buffers). A read error rejects `read()` (the blocks before it were
 * delivered).
 */
export function _syncBlockSource(
  reader: _SyncReader,
  options: _SyncBlockSourceOptions = {},
): BlockSource {
  const blockSize = options.blockSize ?? 1 << 18;
  const pool = options.pool;
  const fullRead = options.fullRead ?? 1 << 16;
  const gather = options.gather ?? false;
  const free: ArrayBuffer[] = [];
  /** Buffers read into no more, until their last block is released. */
  const closed: _Closed[] = [];
  let ended = false;
  let stopped = false;
  /** The buffer read into, how much of it is read, and whether the next read goes on in it. */
  let buffer: Uint8Array | undefined;
  let used = 0;
  let more = false;
  /** A read error met while gathering a block: rejected by the next read. */
  let failure: { error: unknown } | undefined;
  const recycle = (whole: Uint8Array): void => {
    if (pool?.give(whole)) return;
    if (whole.buffer.byteLength === blockSize && free.length < 2) {
      free.push(whole.buffer as ArrayBuffer);
    }
  };
  /** Stops reading into the current buffer: recycled now if empty, else once its last block is back. */
  const closeBuffer = (): void => {
    if (buffer === undefined) return;
    if (used === 0) recycle(buffer);
    else {
      // A caller that never hands blocks back must not grow this list.
      if (closed.length === 4) closed.shift();
      closed.push({ whole: buffer, end: buffer.byteOffset + used });
    }
    buffer = undefined;
    more = false;
  };
  return {
    // Blocks are this source's buffers (or the pool's), read into again once released.
    scratch: true,
    get more() {
      return more;
    },
    read() {
      // Where this block starts in `buffer` (-1: nothing read yet).
      let start = -1;
      while (!stopped && !ended) {
        if (buffer === undefined) {
          buffer = pool?.take(blockSize) ??
            new Uint8Array(free.pop() ?? new ArrayBuffer(blockSize));
          used = 0;
        }
        let n: number | null;
        try {
          n = reader.readSync(buffer.subarray(used));
        } catch (error) {
          ended = true;
          if (start < 0) {
            closeBuffer();
            return Promise.reject(error);
          }
          // The bytes gathered so far first; the error on the next read.
          failure = { error };
          n = null;
        }
        if (n === null) {
          ended = true;
          const block = start < 0 ? undefined : buffer.subarray(start, used);
          closeBuffer();
          if (block !== undefined) return Promise.resolve(block);
          break;
        }
        if (n === 0) continue;
        if (start < 0) start = used;
        used += n;
        more = n >= fullRead && buffer.length - used >= fullRead;
        if (more && gather) continue;
        const block = buffer.subarray(start, used);
        if (!more) closeBuffer();
        return Promise.resolve(block);
      }
      if (failure !== undefined) {
        const { error } = failure;
        failure = undefined;
        return Promise.reject(error);
      }
      return Promise.resolve(null);
    },
    release(block) {
      const end = block.byteOffset + block.length;
      for (let i = 0; i < closed.length; i++) {
        const { whole, end: last } = closed[i];
        if (whole.buffer === block.buffer && end === last && block.byteOffset >= whole.byteOffset) {
          closed.splice(i, 1);
          recycle(whole);
          return;
        }
      }
    },
    close() {
      if (stopped) return;
      stopped = true;
      free.length = 0;
      closed.length = 0;
      buffer = undefined;
      if (options.closeReader ?? true) reader.close?.();
    },
  };
}
