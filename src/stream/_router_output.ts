/**
 * One output of the router: a `ReadableStream<Uint8Array>` fed by coalesced
 * copies into pooled output buffers, with the signals the router needs for
 * backpressure (`ready`), for an error after delivery (`drained`) and for
 * cancellation.
 *
 * @module
 */

/** Settings of one {@linkcode _RouterOutput}. */
export interface _RouterOutputOptions {
  /** Size of each pooled output buffer, the largest chunk enqueued. */
  chunkSize: number;
  /** Bytes the stream may hold queued before the router waits. */
  highWaterMark: number;
  /** Called once when the consumer cancels the stream. */
  onCancel: (reason: unknown) => void;
}

/** Below this many free bytes after an emit, the next write takes a fresh buffer. */
const _MIN_TAIL = 4096;
/** Runs shorter than this are copied byte by byte (no `subarray` view). */
const _SHORT_RUN = 48;

/** Most buffers handed back and kept for reuse. */
const _MAX_FREE = 4;

/**
 * An output stream of the router. Bytes are appended with {@linkcode write}
 * into the current pooled buffer; {@linkcode emit} enqueues the bytes written
 * since the last emit as one chunk (a view of the pooled buffer). A buffer is
 * never written again below what has been emitted from it, so a chunk
 * handed to the consumer stays intact; a fresh buffer is taken when the
 * current one is full (one allocation per `chunkSize` bytes, never per frame).
 *
 * A consumer may hand chunks back ({@linkcode release}) once it is done with
 * them: a buffer whose every chunk came back is reused instead of allocating
 * (fresh memory is zero-filled and page-faulted in, which costs as much as
 * the copy into it).
 */
export class _RouterOutput {
  /** The stream the consumer reads. */
  readonly stream: ReadableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  readonly #chunkSize: number;
  readonly #highWaterMark: number;
  readonly #onCancel: (reason: unknown) => void;
  #buffer: Uint8Array;
  /** Start of the bytes written but not emitted yet. */
  #pending = 0;
  /** End of the bytes written. */
  #used = 0;
  #cancelled = false;
  #ended = false;
  #waiter: (() => void) | undefined;
  /** Chunks enqueued and not handed back yet. */
  readonly #out = new WeakSet<Uint8Array>();
  /** Per buffer: chunks out (not handed back), and whether it is no longer filled. */
  readonly #owed = new WeakMap<ArrayBuffer, { out: number; retired: boolean }>();
  /** Buffers every chunk of which came back, ready for reuse. */
  readonly #free: Uint8Array[] = [];
  /** Bytes enqueued so far. */
  bytesOut = 0;

  constructor(options: _RouterOutputOptions) {
    this.#chunkSize = options.chunkSize;
    this.#highWaterMark = options.highWaterMark;
    this.#onCancel = options.onCancel;
    this.#buffer = new Uint8Array(this.#chunkSize);
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller;
        },
        pull: () => {
          this.#wake();
        },
        cancel: (reason) => {
          this.#cancelled = true;
          this.#buffer = new Uint8Array(0);
          this.#free.length = 0;
          this.#pending = this.#used = 0;
          this.#wake();
          this.#onCancel(reason);
        },
      },
      { highWaterMark: this.#highWaterMark, size: (chunk) => chunk.byteLength },
    );
  }

  /** Whether the consumer still wants data (not cancelled, not ended). */
  get active(): boolean {
    return !this.#cancelled && !this.#ended;
  }

  /** Whether the consumer cancelled the stream. */
  get cancelled(): boolean {
    return this.#cancelled;
  }

  /** Bytes written and not yet emitted. */
  get buffered(): number {
    return this.#used - this.#pending;
  }

  /** Appends `source[from .. to)`; emits full buffers on the way. */
  write(source: Uint8Array, from: number, to: number): void {
    if (this.#cancelled || this.#ended) return;
    while (from < to) {
      let buffer = this.#buffer;
      let used = this.#used;
      if (used === buffer.length) {
        this.emit();
        buffer = this.#buffer;
        used = this.#used;
      }
      const n = Math.min(buffer.length - used, to - from);
      if (n < _SHORT_RUN) {
        for (let k = 0; k < n; k++) buffer[used + k] = source[from + k];
      } else if (from === 0 && n === source.length) {
        buffer.set(source, used);
      } else {
        buffer.set(source.subarray(from, from + n), used);
      }
      this.#used = used + n;
      from += n;
    }
  }

  /** Enqueues the bytes written since the last emit, if any. */
  emit(): void {
    if (this.#cancelled || this.#ended) return;
    const used = this.#used;
    const buffer = this.#buffer;
    if (used > this.#pending) {
      const chunk = buffer.subarray(this.#pending, used);
      this.#out.add(chunk);
      const owed = this.#owed.get(buffer.buffer as ArrayBuffer);
      if (owed) owed.out++;
      else this.#owed.set(buffer.buffer as ArrayBuffer, { out: 1, retired: false });
      this.#controller.enqueue(chunk);
      this.bytesOut += used - this.#pending;
      this.#pending = used;
    }
    // Keep filling the same buffer after the emitted part while there is room
    // (and while no consumer has transferred it away).
    if (buffer.length - used < _MIN_TAIL || buffer.buffer.byteLength === 0) {
      const memory = buffer.buffer as ArrayBuffer;
      const owed = this.#owed.get(memory);
      if (owed && owed.out > 0) owed.retired = true;
      else if (memory.byteLength !== 0) {
        this.#owed.delete(memory);
        this.#reuse(buffer);
      }
      this.#buffer = this.#free.pop() ?? new Uint8Array(this.#chunkSize);
      this.#pending = this.#used = 0;
    }
  }

  /**
   * Takes back a chunk this output enqueued, which the consumer no longer
   * uses: its buffer is reused once every chunk from it came back. Anything
   * else (a chunk handed back twice, a foreign or transferred one) is ignored.
   */
  release(chunk: Uint8Array): void {
    if (!this.#out.delete(chunk)) return;
    const memory = chunk.buffer as ArrayBuffer;
    const owed = this.#owed.get(memory);
    if (!owed || --owed.out > 0 || !owed.retired) return;
    this.#owed.delete(memory);
    if (memory.byteLength === this.#chunkSize) this.#reuse(new Uint8Array(memory));
  }

  #reuse(buffer: Uint8Array): void {
    if (this.#free.length < _MAX_FREE && !this.#cancelled && !this.#ended) this.#free.push(buffer);
  }

  /**
   * `undefined` when the stream can take more; otherwise a promise that
   * settles when the consumer pulls or cancels.
   */
  ready(): Promise<void> | undefined {
    if (this.#cancelled || this.#ended) return undefined;
    const desired = this.#controller.desiredSize;
    if (desired === null || desired > 0) return undefined;
    return this.#next();
  }

  /** Settles when every enqueued chunk has been read (or the stream was cancelled). */
  async drained(): Promise<void> {
    while (!this.#cancelled && !this.#ended) {
      const desired = this.#controller.desiredSize;
      if (desired === null || desired >= this.#highWaterMark) return;
      await this.#next();
    }
  }

  /** Emits what is left and closes the stream. */
  close(): void {
    if (this.#cancelled || this.#ended) return;
    this.emit();
    this.#ended = true;
    this.#controller.close();
    this.#wake();
  }

  /** Errors the stream (queued chunks are discarded by the stream). */
  error(reason: unknown): void {
    if (this.#cancelled || this.#ended) return;
    this.#ended = true;
    this.#buffer = new Uint8Array(0);
    this.#free.length = 0;
    this.#pending = this.#used = 0;
    this.#controller.error(reason);
    this.#wake();
  }

  #next(): Promise<void> {
    return new Promise((resolve) => {
      const previous = this.#waiter;
      this.#waiter = previous
        ? () => {
          previous();
          resolve();
        }
        : resolve;
    });
  }

  #wake(): void {
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter();
    }
  }
}
