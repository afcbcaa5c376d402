/**
 * The IP header fields a rule's `-p`, `-s` and `-d` read, from a described
 * frame: apart from ./_match_tests.ts, so that the frame fields
 * (./_fields.ts, used by the command line's Wasm walk through the frame
 * classes) do not load the match tests.
 *
 * @module
 */
import type { _Frame } from "./_frame_state.ts";

/** IPv6 extension headers `ipv6_find_hdr` skips. */
function _isIpv6Extension(next: number): boolean {
  return next === 0 || next === 43 || next === 44 || next === 51 || next === 60;
}

/**
 * The upper-layer protocol of the IP packet as ip(6)tables' `-p` sees it, or
 * -1 when it cannot be found in the captured bytes (or the frame is not IP).
 */
export function _upperProtocol(state: _Frame): number {
  if (!state.isIp) return -1;
  const b = state.bytes;
  const at = state.networkStart;
  const length = state.descriptor.networkCapturedLength;
  if (state.descriptor.ipVersion === 4) return length >= 10 ? b[at + 9] : -1;
  if (length < 40) return -1;
  let next = b[at + 6];
  let offset = 40;
  while (_isIpv6Extension(next)) {
    if (offset + 8 > length) return -1;
    if (next === 44) {
      const fragmentOffset = ((b[at + offset + 2] << 8) | b[at + offset + 3]) & 0xfff8;
      if (fragmentOffset !== 0) {
        const inner = b[at + offset];
        return _isIpv6Extension(inner) || inner === 59 ? -1 : inner;
      }
      next = b[at + offset];
      offset += 8;
    } else if (next === 51) {
      const size = (b[at + offset + 1] + 2) << 2;
      next = b[at + offset];
      offset += size;
    } else {
      const size = (b[at + offset + 1] + 1) << 3;
      next = b[at + offset];
      offset += size;
    }
  }
  return next === 59 ? -1 : next;
}

/**
 * Word `word` (0-based, big-endian) of the source or destination address of
 * IP version `version` as `-s`/`-d` read it, or -1 when the frame is not of
 * that version or its header was not captured.
 */
export function _addressWord(
  state: _Frame,
  version: number,
  fieldOffset: number,
): number {
  const d = state.descriptor;
  if (!state.isIp || d.ipVersion !== version) return -1;
  if (d.networkCapturedLength < (version === 4 ? 20 : 40)) return -1;
  const b = state.bytes;
  const i = state.networkStart + fieldOffset;
  return ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
}
