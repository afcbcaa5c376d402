/**
 * The injected I/O of the command line.
 *
 * @module
 */
import type { BlockSource } from "./block_source.ts";
import type { _BlockPool } from "./_sync_block_source.ts";

/**
 * Everything the command line touches outside the process: `main.ts` builds
 * it from `Deno.*`, tests build it from in-memory streams. Nothing in
 * `src/cli/` except `main.ts` reaches for `Deno`.
 *
 * Writes to `stdout` that fail because the reader went away must reject with
 * an error named `"BrokenPipe"` (Deno's `Deno.errors.BrokenPipe` is): the
 * command then ends quietly with status 141, like a tool killed by `SIGPIPE`.
 *
 * A write to `stdout` or to a stream from `openWrite` must be done with its
 * chunk once it resolves (copy the chunk to keep it): `filter` reuses the
 * memory of an output chunk as soon as its write has resolved.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { CliIo } from "./cli_io.ts";
 * import { runCli } from "./run_cli.ts";
 * const chunks: Uint8Array[] = [];
 * const io: CliIo = {
 *   stdin: new ReadableStream({ start: (c) => c.close() }),
 *   stdout: new WritableStream({ write: (chunk) => void chunks.push(chunk.slice()) }),
 *   stderr: new WritableStream(),
 *   openRead: () => Promise.reject(new Error("no files here")),
 *   readFile: () => Promise.reject(new Error("no files here")),
 *   openWrite: () => Promise.reject(new Error("no files here")),
 *   isTerminal: () => false,
 *   env: () => undefined,
 * };
 * const status = await runCli(["disasm", "--bytecode", "1,6 0 0 0"], io);
 * assert.equal(status, 0);
 * assert.equal(new TextDecoder().decode(chunks[0]), "(000) ret      #0\n");
 * ```
 */
export interface CliIo {
  /** Standard input (a capture, or program text for `asm -`). */
  stdin: ReadableStream<Uint8Array>;
  /** Standard output (the accepted capture, or text). */
  stdout: WritableStream<Uint8Array>;
  /**
   * Optional fast path of `filter`: writes all of `bytes` to standard output
   * with blocking writes, and throws where a `stdout` write would reject (a
   * reader gone: an error named `"BrokenPipe"`). No Web Streams machinery and
   * no promise per chunk. Where absent, `stdout` is used.
   */
  writeStdoutSync?(bytes: Uint8Array): void;
  /** Standard error (messages, statistics, progress). */
  stderr: WritableStream<Uint8Array>;
  /** Opens a file for streaming reads (captures: read in large blocks). */
  openRead(path: string): Promise<ReadableStream<Uint8Array>>;
  /**
   * Optional fast path for the capture of `filter`: opens FILE (`-` is
   * standard input) as blocks read into recycled buffers. Where absent,
   * `stdin` or `openRead` is used. Rejects when the file cannot be opened.
   * `pool`, when given, lends the buffers to read into first (the Wasm rule
   * set classifier's memory, so its blocks are not copied again).
   */
  openBlocks?(path: string, pool?: _BlockPool): Promise<BlockSource>;
  /** Reads a whole (small) file: rule files, assembler sources. */
  readFile(path: string): Promise<Uint8Array>;
  /** Creates or truncates a file and returns a stream writing to it. */
  openWrite(path: string): Promise<WritableStream<Uint8Array>>;
  /** Whether standard error is a terminal (the progress line is shown only then). */
  isTerminal(): boolean;
  /** An environment variable, or `undefined`. */
  env(name: string): string | undefined;
  /** Milliseconds on a monotonic clock. @default {performance.now} */
  now?: () => number;
  /**
   * Tests and debugging only: told, at the end of `filter`, whether the Wasm
   * record walk ran its single program (src/cli/_wasm_walk.ts), how many
   * records it walked, and why it was not installed or left some records to
   * the rule set; whether the rule set is the Wasm classifier; and, on the
   * walk-only path of one program (./_filter_walk_only.ts), whether the rule
   * set was compiled (some block needed it).
   *
   * @internal
   */
  _walkReport?(
    report: {
      installed: boolean;
      walked: number;
      reason: string | undefined;
      wasm?: boolean;
      ruleSetCompiled?: boolean;
    },
  ): void;
}
