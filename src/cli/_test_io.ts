/**
 * Test helper: a {@linkcode CliIo} over in-memory streams and files.
 *
 * @module
 */
import type { CliIo } from "./cli_io.ts";

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
  const io: CliIo = {
    stdin: _chunked(_bytes(options.stdin ?? new Uint8Array(0)), options.chunkSize),
    stdout: new WritableStream({
      write(chunk) {
        if (options.stdoutError && outBytes + chunk.length > (options.stdoutLimit ?? 0)) {
          throw options.stdoutError;
        }
        outBytes += chunk.length;
        out.push(chunk.slice());
      },
    }),
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
