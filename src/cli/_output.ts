/**
 * Text output: gathered into 64 KiB writes.
 *
 * @module
 */

const _TEXT_BLOCK = 1 << 16;
const _encoder = new TextEncoder();

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
