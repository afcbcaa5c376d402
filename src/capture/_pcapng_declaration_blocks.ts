/**
 * The declaration blocks of a pcapng stream (Section Header and Interface
 * Description Blocks), whole, without decoding its packet blocks.
 *
 * A reader that only needs the interfaces a stream declares (the server's
 * interface watch, src/server/_interfaces_ahead.ts) feeds these blocks to a
 * `CaptureDecoder` of its own, which checks and parses them as the
 * router's decoder does; every other block is skipped by its leading length,
 * so a packet costs one length read.
 *
 * Bounds: a kept block is at most `maxBlockLength` bytes (the decoder's
 * limit), held as the parts that arrived; a leading length the decoder would
 * refuse (shorter than 12, not a multiple of 4, over the limit) or a bad
 * byte-order magic ends the scan (the router's decoder reports the error).
 *
 * @module
 */

const _SHB = 0x0a0d0d0a;
const _IDB = 1;
const _BOM = 0x1a2b3c4d;
const _BOM_SWAPPED = 0x4d3c2b1a;
/** Bytes that measure a block: type and length (12 for a Section Header: its byte-order magic). */
const _SHB_MEASURE = 12;
const _MEASURE = 8;
/** The shortest Interface Description Block (a longer header than `_SHB_MEASURE`). */
const _MIN_KEPT = 20;

/** Splits a pcapng byte stream, cut anywhere, into its declaration blocks; skips the rest. */
export class _PcapngDeclarationBlocks {
  readonly #maxBlockLength: number;
  /** Byte order of the section being read (an SHB sets it). */
  #little = true;
  /** Bytes of a skipped block not yet passed. */
  #skip = 0;
  /** Parts of a kept block so far, and the bytes it still needs. */
  #parts: Uint8Array[] | undefined;
  #need = 0;
  /** A block's first bytes, when they span pieces. */
  readonly #head = new Uint8Array(_SHB_MEASURE);
  readonly #headView = new DataView(this.#head.buffer);
  #headLength = 0;
  #failed = false;

  /** `maxBlockLength`: the router decoder's limit (`CaptureDecoder`'s option). */
  constructor(maxBlockLength: number) {
    this.#maxBlockLength = maxBlockLength;
  }

  /** Whether a malformed block header ended the scan. */
  get failed(): boolean {
    return this.#failed;
  }

  /**
   * Reads the next piece of the stream and returns the declaration blocks it
   * completes, whole and in order (copies: the piece may be reused).
   */
  push(piece: Uint8Array): Uint8Array[] {
    const blocks: Uint8Array[] = [];
    const length = piece.length;
    const view = new DataView(piece.buffer, piece.byteOffset, piece.byteLength);
    let pos = 0;
    while (pos < length && !this.#failed) {
      if (this.#skip > 0) {
        const step = Math.min(this.#skip, length - pos);
        this.#skip -= step;
        pos += step;
      } else if (this.#parts !== undefined) {
        const step = Math.min(this.#need, length - pos);
        this.#parts.push(piece.slice(pos, pos + step));
        this.#need -= step;
        pos += step;
        if (this.#need === 0) {
          blocks.push(_joined(this.#parts));
          this.#parts = undefined;
        }
      } else if (this.#headLength === 0 && length - pos >= _SHB_MEASURE) {
        // Whole headers in the piece: packet blocks passed in a tight loop.
        const next = _skipOtherBlocks(view, pos, length, this.#little, this.#maxBlockLength);
        if (next > length) this.#skip = next - length;
        if (next !== pos) pos = Math.min(next, length);
        else this.#measure(view, pos, length - pos, 0);
      } else if (this.#headLength === 0 && this.#measure(view, pos, length - pos, 0)) {
        // The header is whole in the piece: `#measure` set what to keep or skip from `pos`.
      } else {
        const take = Math.min(_SHB_MEASURE - this.#headLength, length - pos);
        this.#head.set(piece.subarray(pos, pos + take), this.#headLength);
        this.#headLength += take;
        pos += take;
        const have = this.#headLength;
        if (this.#measure(this.#headView, 0, have, have)) this.#headLength = 0;
      }
    }
    return blocks;
  }

  /**
   * Measures the block whose first `avail` bytes are at `at` of `view`, of
   * which `taken` were already consumed (a header assembled across pieces):
   * false when more bytes are needed; else sets what to keep or skip.
   */
  #measure(view: DataView, at: number, avail: number, taken: number): boolean {
    if (avail < _MEASURE) return false;
    const shb = view.getUint32(at, false) === _SHB;
    if (shb) {
      if (avail < _SHB_MEASURE) return false;
      const bom = view.getUint32(at + 8, true);
      if (bom !== _BOM && bom !== _BOM_SWAPPED) return this.#fail();
      this.#little = bom === _BOM;
    }
    const little = this.#little;
    const blockLength = view.getUint32(at + 4, little);
    if (blockLength < 12 || (blockLength & 3) !== 0 || blockLength > this.#maxBlockLength) {
      return this.#fail();
    }
    if (!shb && view.getUint32(at, little) !== _IDB) {
      this.#skip = blockLength - taken;
      return true;
    }
    // Shorter than an Interface Description (a Section Header is longer still): the decoder refuses it.
    if (blockLength < _MIN_KEPT) return this.#fail();
    this.#parts = taken > 0 ? [this.#head.slice(0, taken)] : [];
    this.#need = blockLength - taken;
    return true;
  }

  #fail(): true {
    this.#failed = true;
    return true;
  }
}

/**
 * From `pos`, passes the blocks of `view` (up to `end`) that are neither a
 * Section Header nor an Interface Description, while their headers are whole
 * and their lengths valid: the position after the last one passed (beyond
 * `end` when it runs past the piece), or `pos` when the first is not passed.
 */
function _skipOtherBlocks(
  view: DataView,
  pos: number,
  end: number,
  little: boolean,
  maxBlockLength: number,
): number {
  while (end - pos >= _SHB_MEASURE) {
    if (view.getUint32(pos, false) === _SHB || view.getUint32(pos, little) === _IDB) break;
    const blockLength = view.getUint32(pos + 4, little);
    if (blockLength < 12 || (blockLength & 3) !== 0 || blockLength > maxBlockLength) break;
    pos += blockLength;
  }
  return pos;
}

/** The parts of a block as one array. */
function _joined(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  let size = 0;
  for (const part of parts) size += part.length;
  const whole = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    whole.set(part, at);
    at += part.length;
  }
  return whole;
}
