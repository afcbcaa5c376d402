/**
 * Private: the fields that rule summaries test and the classifier's index
 * reads, interned (value-numbered) per compiled rule set, and their per-frame
 * values.
 *
 * A field is one of:
 * - a packet load at a base (network or link), at a constant offset or at an
 *   offset relative to an `ldx 4*([m]&0xf)` (the IPv4 header length), to
 *   which may be added 4 × the high nibble of the byte at a second offset
 *   relative to it (the TCP data offset: the payload, as `tcp[((tcp[12] &
 *   0xf0) >> 2):2]` and u32's second `@` read it), of 1, 2 or 4 bytes, loaded with the engine's own helpers (`_load`), so a load
 *   fails exactly where a program's load fails;
 * - an ancillary value (`SKF_AD_*` that depends on neither A nor X);
 * - the packet length `ld #len` gives at a base (`skb->len`);
 * - a word of the `-s`/`-d` address of one IP version, as those matches read it;
 * - the upper-layer protocol as `-p` reads it;
 * - the frame's link type;
 * - the frame's input or output interface name, as a number among the names
 *   the rules' `-i`/`-o` give (a name no rule gives cannot load).
 *
 * A field's value is a uint32, or -1 when it cannot be loaded.
 *
 * @module
 */
import { _load } from "../bpf/_packet_access.ts";
import { _ancillary } from "../bpf/_ancillary.ts";
import type { _Frame } from "./_frame_state.ts";
import { _BASE_NETWORK } from "./_match_base.ts";
import { _addressWord, _upperProtocol } from "./_ip_header_fields.ts";

/** A packet load (see the module doc). */
export const _F_PACKET = 0;
/** An `SKF_AD_*` value. */
export const _F_ANCILLARY = 1;
/** A word of the `-s`/`-d` address. */
export const _F_ADDRESS = 2;
/** The `-p` protocol. */
export const _F_UPPER_PROTOCOL = 3;
/** `FrameRef.linkType`. */
export const _F_LINK_TYPE = 4;
/** The number of `FrameRef.interfaceName` (offset 0) or `outInterfaceName` (offset 1)
 * among the names `-i`/`-o` rules give (-1: none of them). */
export const _F_INTERFACE = 5;
/** `ld #len` at a base: the window's `wire` (`skb->len`). */
export const _F_LENGTH = 6;

/** Whether the field reads a base's load window (`_Frame.networkWindow`/`linkWindow`). */
export function _readsWindow(field: _Field): boolean {
  return field.kind === _F_PACKET || field.kind === _F_ANCILLARY || field.kind === _F_LENGTH;
}

/** One field. */
export interface _Field {
  /** Its number in the table (index of its per-frame value). */
  readonly id: number;
  readonly kind: number;
  /** `_BASE_NETWORK` or `_BASE_LINK` (packet and ancillary fields). */
  readonly base: number;
  /** Packet loads: offset of the `ldx 4*([m]&0xf)` byte the offset is relative to, or -1. */
  readonly msh: number;
  /**
   * Packet loads relative to `msh`: the offset, after the header length, of
   * the byte whose high nibble × 4 is added too (the TCP data offset), or -1.
   */
  readonly second: number;
  /** Packet loads: the (signed 32-bit) offset; ancillary: the `SKF_AD_*` number;
   * address: the byte offset in the IP header. */
  readonly offset: number;
  /** Packet loads: 1, 2 or 4; address: the IP version. */
  readonly size: number;
  /** Interface fields: the numbers of the names rules give. */
  readonly names: ReadonlyMap<string, number> | null;
}

/**
 * The fields of one compiled rule set, each interned once. At most
 * `maxFields` fields; {@linkcode _FieldTable.intern} returns -1 past it
 * (the caller then drops the guard, which stays sound).
 */
export class _FieldTable {
  readonly fields: _Field[] = [];
  /** Field ids by a hash of the field's numbers: one id, or the few that share the hash. */
  readonly #ids = new Map<number, number | number[]>();
  /** Interface names given by `-i`/`-o` rules, numbered. */
  readonly interfaceNames = new Map<string, number>();
  readonly maxFields: number;

  constructor(maxFields: number) {
    this.maxFields = maxFields;
  }

  /** The number of an interface name (added when new). */
  interfaceNumber(name: string): number {
    let n = this.interfaceNames.get(name);
    if (n === undefined) this.interfaceNames.set(name, n = this.interfaceNames.size);
    return n;
  }

  /** The id of the field, added when new; -1 when the table is full. */
  intern(
    kind: number,
    base: number,
    msh: number,
    offset: number,
    size: number,
    second = -1,
  ): number {
    let h = Math.imul(kind ^ 0x9e3779b9, 0x85ebca6b) ^ base;
    h = Math.imul(h ^ (h >>> 15) ^ msh, 0xc2b2ae35);
    h = Math.imul(h ^ (h >>> 13) ^ offset, 0x27d4eb2f);
    h = Math.imul(h ^ (h >>> 16) ^ size, 0x165667b1);
    h = Math.imul(h ^ (h >>> 15) ^ second, 0x85ebca6b);
    const hash = (h ^ (h >>> 13)) & 0x3fffffff;
    const known = this.#ids.get(hash);
    const fields = this.fields;
    const count = typeof known === "number" ? 1 : known === undefined ? 0 : known.length;
    for (let i = 0; i < count; i++) {
      const id = typeof known === "number" ? known : known![i];
      const f = fields[id];
      if (
        f.kind === kind && f.base === base && f.msh === msh && f.offset === offset &&
        f.size === size && f.second === second
      ) return id;
    }
    if (this.fields.length >= this.maxFields) return -1;
    const id = this.fields.length;
    const names = kind === _F_INTERFACE ? this.interfaceNames : null;
    this.fields.push({ id, kind, base, msh, second, offset, size, names });
    if (known === undefined) this.#ids.set(hash, id);
    else if (typeof known === "number") this.#ids.set(hash, [known, id]);
    else known.push(id);
    return id;
  }
}

/** The value of `field` for the frame in `state`, or -1 when it cannot be loaded. */
export function _loadField(field: _Field, state: _Frame): number {
  switch (field.kind) {
    case _F_PACKET: {
      const network = field.base === _BASE_NETWORK;
      if (network && !state.isIp) return -1;
      const w = network ? state.networkWindow : state.linkWindow;
      const bytes = state.bytes;
      let offset = field.offset;
      if (field.msh >= 0) {
        const x = _load(bytes, w.base, w.loadEnd, w.network, w.mac, field.msh, 1);
        if (x < 0) return -1;
        const header = (x & 0xf) << 2;
        offset = (header + offset) | 0;
        if (field.second >= 0) {
          const t = _load(bytes, w.base, w.loadEnd, w.network, w.mac, header + field.second, 1);
          if (t < 0) return -1;
          offset = (offset + ((t >> 4) << 2)) | 0;
        }
      }
      return _load(bytes, w.base, w.loadEnd, w.network, w.mac, offset, field.size);
    }
    case _F_ANCILLARY: {
      const network = field.base === _BASE_NETWORK;
      if (network && !state.isIp) return -1;
      const w = network ? state.networkWindow : state.linkWindow;
      const context = network ? state.network : state.link;
      return _ancillary(
        field.offset,
        0,
        0,
        state.bytes,
        w.base,
        w.loadEnd,
        w.wire,
        w.network,
        context,
      );
    }
    case _F_LENGTH: {
      const network = field.base === _BASE_NETWORK;
      if (network && !state.isIp) return -1;
      return (network ? state.networkWindow : state.linkWindow).wire;
    }
    case _F_ADDRESS:
      return _addressWord(state, field.size, field.offset);
    case _F_UPPER_PROTOCOL:
      return _upperProtocol(state);
    case _F_LINK_TYPE:
      return state.frame.linkType >>> 0;
    case _F_INTERFACE: {
      const frame = state.frame;
      const name = (field.offset === 0 ? frame.interfaceName : frame.outInterfaceName) ?? "";
      return field.names!.get(name) ?? -1;
    }
  }
  return -1;
}
