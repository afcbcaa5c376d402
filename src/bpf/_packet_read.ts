/**
 * Packet reads of the closure strategy's dispatch loop (private), on int32
 * bits.
 *
 * @module
 */
import { _loadIndex } from "./_packet_access.ts";

/** The absolute index of a load of `size` bytes at the signed offset `o`, or -1 when it fails. */
export function _indexAt(
  B: number,
  LE: number,
  NET: number,
  MAC: number,
  o: number,
  size: number,
): number {
  if (o >= 0) return B + o + size > LE ? -1 : B + o;
  return _loadIndex(B, LE, NET, MAC, o, size);
}

/** `size` bytes big-endian at `i`, as int32 bits. */
export function _read(P: Uint8Array, i: number, size: number): number {
  if (size === 1) return P[i];
  if (size === 2) return (P[i] << 8) | P[i + 1];
  return (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
}
