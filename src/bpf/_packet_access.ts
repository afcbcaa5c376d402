/**
 * Packet access shared by every engine (private): where loads may read, and
 * the kernel's load helpers with the negative `SKF_NET_OFF` / `SKF_LL_OFF`
 * windows (`bpf_skb_load_helper_*`, `bpf_internal_load_pointer_neg_helper`).
 *
 * Offsets named "absolute" are indices into the packet buffer; offsets named
 * "relative" count from `dataOffset` (the kernel's `skb->data`).
 *
 * @module
 */
import type { PacketContext } from "./packet_context.ts";
import { BPF_B, BPF_H, SKF_LL_OFF, SKF_NET_OFF } from "./opcodes.ts";

/** A context with every field absent, shared so callers need not allocate one. */
export const _EMPTY_CONTEXT: PacketContext = Object.freeze({});

/** One past the last captured byte: `context.end`, never past the buffer. */
export function _captureEnd(packet: Uint8Array, context: PacketContext): number {
  const end = context.end;
  if (end === undefined || end > packet.length) return packet.length;
  return end > 0 ? Math.trunc(end) : 0;
}

/** `dataOffset` as an index (`skb->data`); a negative or absent one is 0. */
export function _dataStart(context: PacketContext): number {
  const start = context.dataOffset;
  return start === undefined || !(start > 0) ? 0 : Math.trunc(start);
}

/** What `ld len` loads (`skb->len`): `wireLength`, else the bytes present. */
export function _wireLength(context: PacketContext, base: number, captureEnd: number): number {
  const wire = context.wireLength;
  if (wire !== undefined) return wire >>> 0;
  return captureEnd > base ? captureEnd - base : 0;
}

/**
 * The absolute index where every load ends: `base + min(wire, present)`,
 * never past the captured bytes (a `dataOffset` beyond them leaves the
 * negative windows nothing past the capture's end either).
 */
export function _loadEnd(base: number, captureEnd: number, wire: number): number {
  const present = captureEnd > base ? captureEnd - base : 0;
  const end = base + (wire < present ? wire : present);
  return end < captureEnd ? end : captureEnd;
}

/** The absolute index where loads end in `packet` with `context`, its data starting at `base`. */
export function _contextLoadEnd(packet: Uint8Array, context: PacketContext, base: number): number {
  const end = _captureEnd(packet, context);
  return _loadEnd(base, end, _wireLength(context, base, end));
}

/** The absolute index of the network header (`SKF_NET_OFF` loads). */
export function _networkStart(context: PacketContext, base: number): number {
  const start = context.networkOffset;
  return start === undefined ? base : Math.trunc(start);
}

/** The absolute index of the link-layer header, or -1 when there is none. */
export function _macStart(context: PacketContext): number {
  const start = context.macOffset;
  return start === undefined || !(start >= 0) ? -1 : Math.trunc(start);
}

/** Size in bytes (1, 2 or 4) of a `BPF_LD` packet load opcode (`BPF_B`, `BPF_H`, `BPF_W`). */
export function _loadSize(code: number): number {
  const size = code & 0x18;
  return size === BPF_B ? 1 : size === BPF_H ? 2 : 4;
}

/** Reads `size` (1, 2 or 4) bytes big-endian at absolute index `i` (bounds already checked). */
export function _readBigEndian(packet: Uint8Array, i: number, size: number): number {
  if (size === 1) return packet[i];
  if (size === 2) return (packet[i] << 8) | packet[i + 1];
  return ((packet[i] << 24) | (packet[i + 1] << 16) | (packet[i + 2] << 8) | packet[i + 3]) >>> 0;
}

/**
 * The absolute index a load of `size` bytes at the signed 32-bit `offset`
 * reads, or -1 when the kernel's helper fails: positive offsets must end by
 * `loadEnd`; `SKF_NET_OFF + n` reads at `network + n`, `SKF_LL_OFF + n` at
 * `mac + n` (only when there is a link-layer header), both ending by `loadEnd`
 * as `skb_tail_pointer` does; anything lower fails.
 */
export function _loadIndex(
  base: number,
  loadEnd: number,
  network: number,
  mac: number,
  offset: number,
  size: number,
): number {
  let i: number;
  if (offset >= 0) {
    i = base + offset;
  } else if (offset >= SKF_NET_OFF) {
    i = network + (offset - SKF_NET_OFF);
  } else if (offset >= SKF_LL_OFF && mac >= 0) {
    i = mac + (offset - SKF_LL_OFF);
  } else {
    return -1;
  }
  return i >= 0 && i + size <= loadEnd ? i : -1;
}

/** A load at a signed offset: the value, or -1 when it fails (see {@linkcode _loadIndex}). */
export function _load(
  packet: Uint8Array,
  base: number,
  loadEnd: number,
  network: number,
  mac: number,
  offset: number,
  size: number,
): number {
  const i = _loadIndex(base, loadEnd, network, mac, offset, size);
  return i < 0 ? -1 : _readBigEndian(packet, i, size);
}

/** Backward jumps one run may take (programs accepted with `allowBackwardJumps`); then it returns 0. */
export const _BACKWARD_JUMP_BUDGET = 65536;
