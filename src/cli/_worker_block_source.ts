/**
 * The main-thread side of the input thread (`_read_worker.ts`): a
 * {@linkcode BlockSource} fed by a Worker that reads ahead into recycled
 * buffers, so input overlaps routing.
 *
 * @module
 */
import type { BlockSource } from "./block_source.ts";

/** Messages to the read worker. */
export type _ReadWorkerRequest =
  | { kind: "start"; path: string | null; blockSize: number; buffers: number }
  | { kind: "buffer"; buffer: ArrayBuffer };

/** Messages from the read worker. */
export type _ReadWorkerReply =
  | { kind: "block"; buffer: ArrayBuffer; length: number }
  | { kind: "end" }
  | { kind: "error"; name: string; message: string };

/** Options of {@linkcode _WorkerBlockSource}. */
export interface _WorkerBlockSourceOptions {
  /** The file to read; `null` for standard input. */
  path: string | null;
  /** Size of each buffer, the largest block. @default {1048576} */
  blockSize?: number;
  /** Buffers in the pool: blocks read ahead plus the ones being routed. @default {4} */
  buffers?: number;
}

/**
 * Starts `worker` (running `_read_worker.ts`) on `options.path` and hands out
 * the blocks it reads, in order; released blocks go back to the worker.
 */
export class _WorkerBlockSource implements BlockSource {
  readonly #worker: Worker;
  readonly #blocks: Uint8Array[] = [];
  #end = false;
  #error: Error | undefined;
  #closed = false;
  #waiter: (() => void) | undefined;

  constructor(worker: Worker, options: _WorkerBlockSourceOptions) {
    this.#worker = worker;
    worker.onmessage = (event: MessageEvent<_ReadWorkerReply>) => {
      const message = event.data;
      if (message.kind === "block") {
        this.#blocks.push(new Uint8Array(message.buffer, 0, message.length));
      } else if (message.kind === "end") {
        this.#end = true;
      } else {
        const error = new Error(message.message);
        error.name = message.name;
        this.#error = error;
      }
      this.#wake();
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.#error = new Error(`Cannot read input: ${event.message}`);
      this.#wake();
    };
    const request: _ReadWorkerRequest = {
      kind: "start",
      path: options.path,
      blockSize: options.blockSize ?? 1 << 20,
      buffers: options.buffers ?? 4,
    };
    worker.postMessage(request);
  }

  async read(): Promise<Uint8Array | null> {
    for (;;) {
      if (this.#closed) return null;
      const block = this.#blocks.shift();
      if (block) return block;
      if (this.#error) throw this.#error;
      if (this.#end) return null;
      await new Promise<void>((resolve) => this.#waiter = resolve);
    }
  }

  release(block: Uint8Array): void {
    if (this.#closed || this.#end || this.#error) return;
    const request: _ReadWorkerRequest = { kind: "buffer", buffer: block.buffer as ArrayBuffer };
    this.#worker.postMessage(request, [block.buffer as ArrayBuffer]);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#blocks.length = 0;
    this.#worker.terminate();
    this.#wake();
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
  }
}
