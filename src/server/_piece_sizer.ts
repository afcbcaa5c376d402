/**
 * The size of the pieces an upload is routed in, between yields to the event
 * loop.
 *
 * A stream starts with small pieces ({@linkcode _PIECE_FIRST}: a few frames),
 * so that its first frames, which may be the ones that make a rule set's tests
 * or reach thousands of rules, are routed a few at a time rather than 64 KiB
 * at once. While routing a whole piece takes less than 0.5 ms its size
 * doubles, up to {@linkcode _PIECE_MOST}; while it takes more than 2 ms it
 * halves, down to {@linkcode _PIECE_LEAST} (one small frame and its record
 * header). A frame is never split by the sizing: a router gets the bytes of a
 * frame longer than a piece over several pieces and routes it with the last.
 *
 * @module
 */

/** The first piece of a stream, bytes. */
export const _PIECE_FIRST = 256;
/** The smallest piece, bytes. */
export const _PIECE_LEAST = 128;
/** The largest piece, bytes. */
export const _PIECE_MOST = 64 * 1024;

/** Doubles and halves the piece size by how long routing the last whole piece took. */
export class _PieceSizer {
  /** The next piece's size, bytes. */
  size: number = _PIECE_FIRST;

  /**
   * Notes that routing `bytes` took `ms`; a piece shorter than the size (the
   * end of a chunk) says nothing about the size.
   */
  observe(bytes: number, ms: number): void {
    if (bytes < this.size) return;
    if (ms > 2 && this.size > _PIECE_LEAST) this.size >>= 1;
    else if (ms < 0.5 && this.size < _PIECE_MOST) this.size <<= 1;
  }
}
