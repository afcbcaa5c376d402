/**
 * Large-block output: captures are copied into 1 MiB blocks and written one
 * block per write; text is gathered into 64 KiB writes.
 *
 * @module
 */

const _BLOCK = 1 << 20;
const _TEXT_BLOCK = 1 << 16;
const _encoder = new TextEncoder();

/**
 * Gathers byte ranges into 1 MiB blocks. `copy` is synchronous (it never
 * waits); `flush` writes the full blocks (and the partial one with
 * `all`), awaiting each write, so memory stays bounded by what one input
 * chunk can produce. A fresh block is allocated after each write: a
 * `WritableStream` sink may keep the chunks it is given.
 */
export class _BlockWriter {
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  #block = new Uint8Array(_BLOCK);
  #used = 0;
  #full: Uint8Array[] = [];
  /** Bytes copied so far. */
  written = 0;

  constructor(stream: WritableStream<Uint8Array>) {
    this.#writer = stream.getWriter();
  }

  /** Bytes copied and not yet handed to the stream. */
  get pending(): number {
    return this.#full.length * _BLOCK + this.#used;
  }

  /** Appends `bytes[from .. to)`. */
  copy(bytes: Uint8Array, from: number, to: number): void {
    this.written += to - from;
    while (from < to) {
      const n = Math.min(to - from, _BLOCK - this.#used);
      this.#block.set(bytes.subarray(from, from + n), this.#used);
      this.#used += n;
      from += n;
      if (this.#used === _BLOCK) {
        this.#full.push(this.#block);
        this.#block = new Uint8Array(_BLOCK);
        this.#used = 0;
      }
    }
  }

  /** Writes the full blocks, and with `all` the partial one too. */
  async flush(all: boolean): Promise<void> {
    const full = this.#full;
    this.#full = [];
    for (const block of full) await this.#writer.write(block);
    if (all && this.#used > 0) {
      const last = this.#block.subarray(0, this.#used);
      this.#block = new Uint8Array(_BLOCK);
      this.#used = 0;
      await this.#writer.write(last);
    }
  }

  /** Flushes everything and closes the stream. */
  async close(): Promise<void> {
    await this.flush(true);
    await this.#writer.close();
  }

  /** Flushes everything and releases the stream (stdout stays open). */
  async release(): Promise<void> {
    await this.flush(true);
    this.#writer.releaseLock();
  }

  /** Releases the stream without writing (after a failure). */
  abandon(): void {
    try {
      this.#writer.releaseLock();
    } catch {
      // already released
    }
  }
}

/** Gathers text and writes it UTF-8 encoded in blocks of about 64 KiB. */
export class _TextWriter {
  readonly #stream: WritableStream<Uint8Array>;
  #text = "";

  constructor(stream: WritableStream<Uint8Array>) {
    this.#stream = stream;
  }

  /** Appends text; call {@linkcode _TextWriter.maybeFlush} now and then. */
  write(text: string): void {
    this.#text += text;
  }

  /** Writes the gathered text if there is a block of it. */
  async maybeFlush(): Promise<void> {
    if (this.#text.length >= _TEXT_BLOCK) await this.flush();
  }

  /** Writes all gathered text. */
  async flush(): Promise<void> {
    if (this.#text === "") return;
    const bytes = _encoder.encode(this.#text);
    this.#text = "";
    await _writeAll(this.#stream, bytes);
  }
}

/** Writes one chunk to a stream that is not locked, and releases it. */
export async function _writeAll(
  stream: WritableStream<Uint8Array>,
  bytes: Uint8Array,
): Promise<void> {
  const writer = stream.getWriter();
  try {
    await writer.write(bytes);
  } finally {
    writer.releaseLock();
  }
}

/** Writes text to a stream that is not locked. */
export function _writeText(stream: WritableStream<Uint8Array>, text: string): Promise<void> {
  return _writeAll(stream, _encoder.encode(text));
}
