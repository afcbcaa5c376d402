/**
 * Private: frame classes, so that the index walk skips the nodes whose
 * rules cannot match a frame of its class (a network-base load on a frame
 * without an IP header, an IPv6 address on an IPv4 packet...).
 *
 * A frame's class is one bit:
 * - `_C_NOT_IP`: no IP header (network-base loads, `-s/-d/-p` cannot load);
 * - `_C_IPV4`: an IPv4 header whose first byte's version nibble is 4;
 * - `_C_IPV6`: an IPv6 header whose version nibble is 6;
 * - `_C_OTHER_IP`: any other IP frame (a nibble that disagrees, or none captured).
 *
 * An index entry's classes are those its guards allow (a superset: every
 * guard read as a necessary condition); a frame whose class is not among
 * them cannot satisfy the entry.
 *
 * @module
 */
import { _load } from "../bpf/_packet_access.ts";
import type { _Guard } from "./_guards.ts";
import {
  _F_ADDRESS,
  _F_ANCILLARY,
  _F_LENGTH,
  _F_PACKET,
  _F_UPPER_PROTOCOL,
  type _Field,
} from "./_fields.ts";
import type { _Frame } from "./_frame_state.ts";
import { _BASE_NETWORK } from "./_match_base.ts";

export const _C_NOT_IP = 1;
export const _C_IPV4 = 2;
export const _C_IPV6 = 4;
export const _C_OTHER_IP = 8;
/** Every class. */
export const _C_ALL = 15;

/** Whether `f` is the network header's first byte (its version nibble). */
export function _isVersionByte(f: _Field): boolean {
  return f.kind === _F_PACKET && f.base === _BASE_NETWORK && f.msh < 0 && f.offset === 0 &&
    f.size === 1;
}

/**
 * The class of the frame in `state`. With `readNibble` (its network window
 * filled when it is IP) the version nibble is read; without, it is taken to
 * agree with the descriptor, which is right when no guard is on the version
 * byte (then no entry's classes depend on it).
 */
export function _frameClass(state: _Frame, readNibble: boolean): number {
  if (!state.isIp) return _C_NOT_IP;
  const version = state.descriptor.ipVersion;
  let nibble: number = version;
  if (readNibble) {
    const w = state.networkWindow;
    const first = _load(state.bytes, w.base, w.loadEnd, w.network, w.mac, 0, 1);
    nibble = first < 0 ? -1 : first >>> 4;
  }
  if (version === 4 && nibble === 4) return _C_IPV4;
  if (version === 6 && nibble === 6) return _C_IPV6;
  return _C_OTHER_IP;
}

/** The classes of frames on which all of `guards` (of a rule at `base`) can hold. */
export function _entryClasses(
  guards: readonly _Guard[],
  base: number,
  fields: readonly _Field[],
): number {
  let classes = base === _BASE_NETWORK ? _C_ALL & ~_C_NOT_IP : _C_ALL;
  for (let i = 0; i < guards.length; i++) {
    const g = guards[i];
    classes &= _guardClasses(g, fields[g.field]);
  }
  return classes;
}

/** The classes of frames on which the guard `g` on field `f` can hold. */
function _guardClasses(g: _Guard, f: _Field): number {
  switch (f.kind) {
    case _F_ADDRESS:
      return (f.size === 4 ? _C_IPV4 : _C_IPV6) | _C_OTHER_IP;
    case _F_UPPER_PROTOCOL:
      return _C_ALL & ~_C_NOT_IP;
    case _F_PACKET:
    case _F_ANCILLARY:
    case _F_LENGTH: {
      if (f.base !== _BASE_NETWORK) return _C_ALL;
      let classes = _C_OTHER_IP;
      const versionByte = _isVersionByte(f);
      if (!versionByte || _nibbleAllows(g, 4)) classes |= _C_IPV4;
      if (!versionByte || _nibbleAllows(g, 6)) classes |= _C_IPV6;
      return classes;
    }
  }
  return _C_ALL;
}

/** Whether a first byte with version nibble `version` can satisfy `g`. */
function _nibbleAllows(g: _Guard, version: number): boolean {
  for (let low = 0; low < 16; low++) {
    const masked = ((version << 4 | low) & g.mask) >>> 0;
    if (masked >= g.lo && masked <= g.hi) return true;
  }
  return false;
}
