/**
 * Test helper: a {@linkcode CliIo} over in-memory streams and files.
 *
 * @module
 */
import type { BlockSource } from "./block_source.ts";
import type { CliIo } from "./cli_io.ts";
import { _syncBlockSource, type _SyncReader } from "./_sync_block_source.ts";

/** What a test gives and gets back. */
export interface _TestIo {
  io: CliIo;
  /** Everything written to stdout. */
  stdout(): Uint8Array;
  /** Everything written to stderr, as text. */
  stderr(): string;
  /** Everything written to stdout, as text. */
  stdoutText(): string;
  /** Files written through `openWrite`. */
  written: Map<string, Uint8Array>;
}

/** Options of {@linkcode _testIo}. */
export interface _TestIoOptions {
  /** Standard input bytes (or text). */
  stdin?: Uint8Array | string;
  /** Split stdin into chunks of this size. @default {65536} */
  chunkSize?: number;
  /** Readable files. */
  files?: Record<string, Uint8Array | string>;
  /** `isTerminal()`. @default {false} */
  terminal?: boolean;
  /** Environment. */
  env?: Record<string, string>;
  /** The clock. */
  now?: () => number;
  /** Makes stdout writes fail with this error after `stdoutLimit` bytes. */
  stdoutError?: Error;
  /** Bytes accepted by stdout before `stdoutError`. @default {0} */
  stdoutLimit?: number;
  /** Offer `openBlocks`: captures read through {@linkcode _recyclingBlocks}. */
  blocks?: boolean;
  /**
   * Offer `openBlocks` as `main.ts` does: captures read by `_syncBlockSource`
   * (blocks of `chunkSize`) from in-memory files whose reads return at most
   * these sizes in turn (one large size: a regular file; sizes below 65536:
   * a pipe that runs dry). Standard output is then also offered as
   * `writeStdoutSync`, as `main.ts` does.
   */
  reads?: number[];
}

function _bytes(data: Uint8Array | string): Uint8Array {
  return typeof data === "string" ? new TextEncoder().encode(data) : data;
}

function _concat(parts: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return all;
}

/** A readable stream of `data` in chunks of `chunkSize`. */
export function _chunked(data: Uint8Array, chunkSize = 65536): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= data.length) {
        controller.close();
        return;
      }
      controller.enqueue(data.slice(at, at + chunkSize));
      at += chunkSize;
    },
  });
}

/**
 * A {@linkcode BlockSource} over `data` in blocks of `blockSize`, with a pool
 * of `buffers` buffers like the real reader: a released block is scribbled
 * over (0xee) at once, so a consumer that keeps a block after releasing it
 * sees garbage; and reading while no buffer is free throws.
 */
export function _recyclingBlocks(data: Uint8Array, blockSize = 65536, buffers = 2): BlockSource {
  const free = Array.from({ length: buffers }, () => new Uint8Array(blockSize));
  let at = 0;
  let closed = false;
  return {
    read() {
      if (closed || at >= data.length) return Promise.resolve(null);
      const buffer = free.pop();
      if (!buffer) throw new Error("read with every buffer in use (blocks not released)");
      const n = Math.min(blockSize, data.length - at);
      buffer.set(data.subarray(at, at + n));
      at += n;
      return Promise.resolve(buffer.subarray(0, n));
    },
    release(block) {
      const buffer = new Uint8Array(block.buffer as ArrayBuffer);
      buffer.fill(0xee);
      free.push(buffer);
    },
    close() {
      closed = true;
    },
  };
}

/** An in-memory file whose reads return at most `sizes[k]` bytes, cycling. */
export function _sizedReader(data: Uint8Array, sizes: number[]): _SyncReader {
  let at = 0;
  let k = 0;
  return {
    readSync(buffer) {
      if (at >= data.length) return null;
      const n = Math.min(buffer.length, sizes[k++ % sizes.length], data.length - at);
      buffer.set(data.subarray(at, at + n));
      at += n;
      return n;
    },
  };
}

/** Builds an in-memory I/O for `runCli`. */
export function _testIo(options: _TestIoOptions = {}): _TestIo {
  const out: Uint8Array[] = [];
  const err: Uint8Array[] = [];
  const written = new Map<string, Uint8Array>();
  const files = new Map(Object.entries(options.files ?? {}).map(([k, v]) => [k, _bytes(v)]));
  let outBytes = 0;
  const collect = (path: string) => {
    const parts: Uint8Array[] = [];
    return new WritableStream<Uint8Array>({
      write(chunk) {
        parts.push(chunk.slice());
      },
      close() {
        written.set(path, _concat(parts));
      },
    });
  };
  const writeStdout = (chunk: Uint8Array) => {
    if (options.stdoutError && outBytes + chunk.length > (options.stdoutLimit ?? 0)) {
      throw options.stdoutError;
    }
    outBytes += chunk.length;
    out.push(chunk.slice());
  };
  const io: CliIo = {
    stdin: _chunked(_bytes(options.stdin ?? new Uint8Array(0)), options.chunkSize),
    stdout: new WritableStream({ write: writeStdout }),
    writeStdoutSync: options.reads ? writeStdout : undefined,
    stderr: new WritableStream({ write: (chunk) => void err.push(chunk.slice()) }),
    openRead(path) {
      const data = files.get(path);
      if (!data) return Promise.reject(new Error(`No such file or directory: '${path}'`));
      return Promise.resolve(_chunked(data, options.chunkSize));
    },
    readFile(path) {
      const data = files.get(path);
      if (!data) return Promise.reject(new Error(`No such file or directory: '${path}'`));
      return Promise.resolve(data);
    },
    openBlocks: options.blocks || options.reads
      ? (path, pool) => {
        const data = path === "-" ? _bytes(options.stdin ?? new Uint8Array(0)) : files.get(path);
        if (!data) return Promise.reject(new Error(`No such file or directory: '${path}'`));
        if (!options.reads) return Promise.resolve(_recyclingBlocks(data, options.chunkSize));
        return Promise.resolve(
          _syncBlockSource(_sizedReader(data, options.reads), {
            blockSize: options.chunkSize,
            pool,
          }),
        );
      }
      : undefined,
    openWrite: (path) => Promise.resolve(collect(path)),
    isTerminal: () => options.terminal ?? false,
    env: (name) => options.env?.[name],
    now: options.now,
  };
  return {
    io,
    stdout: () => _concat(out),
    stdoutText: () => new TextDecoder().decode(_concat(out)),
    stderr: () => new TextDecoder().decode(_concat(err)),
    written,
  };
}
