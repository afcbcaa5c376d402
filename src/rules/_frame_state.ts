/**
 * Private: the per-frame state every rule test and index field reads,
 * filled once per frame by the classifier.
 *
 * @module
 */
import type { PacketContext } from "../bpf/packet_context.ts";
import {
  _captureEnd,
  _dataStart,
  _loadEnd,
  _macStart,
  _networkStart,
  _wireLength,
} from "../bpf/_packet_access.ts";
import type { FrameDescriptor } from "../capture/link_types.ts";
import type { FrameRef } from "./frame_ref.ts";

/** Where loads at one base may read, computed from its context once per frame. */
export interface _Window {
  /** Absolute index of offset 0 (`skb->data`). */
  base: number;
  /** Absolute index where every load ends. */
  loadEnd: number;
  /** Absolute index of the network header (`SKF_NET_OFF`). */
  network: number;
  /** Absolute index of the link header (`SKF_LL_OFF`), -1 when none. */
  mac: number;
  /** `skb->len`. */
  wire: number;
}

/** A window with every field zero. */
export function _newWindow(): _Window {
  return { base: 0, loadEnd: 0, network: 0, mac: -1, wire: 0 };
}

/** Fills `w` from `context` with the engine's own packet-access helpers. */
export function _fillWindow(w: _Window, bytes: Uint8Array, context: PacketContext): void {
  const captureEnd = _captureEnd(bytes, context);
  const base = _dataStart(context);
  const wire = _wireLength(context, base, captureEnd);
  w.base = base;
  w.loadEnd = _loadEnd(base, captureEnd, wire);
  w.network = _networkStart(context, base);
  w.mac = _macStart(context);
  w.wire = wire;
}

/**
 * Whether the rule set's programs read the ancillary fields of the contexts
 * (`ld [SKF_AD_OFF + n]`): programs compile on first use, so the answer can
 * turn from no to yes during a frame. The classifier leaves the fields
 * unfilled until then, and fills the current frame's at once when it turns
 * (`onDemand`), before the program that asked runs.
 */
export class _AncillaryDemand {
  /** Whether some program (or index field) reads an ancillary field. */
  needed = false;
  /** Called once, when `needed` turns true. */
  onDemand: (() => void) | null = null;

  /** A program that reads ancillary fields is about to run. */
  demand(): void {
    if (this.needed) return;
    this.needed = true;
    this.onDemand?.();
  }
}

/** Per-frame state shared by every rule: computed once per frame. */
export interface _Frame {
  frame: FrameRef;
  bytes: Uint8Array;
  descriptor: FrameDescriptor;
  isIp: boolean;
  /** Index in `bytes` of the network header (valid when isIp). */
  networkStart: number;
  network: PacketContext;
  link: PacketContext;
  /** Load windows of the two contexts, filled when index fields need them. */
  networkWindow: _Window;
  linkWindow: _Window;
  /** The frame's class (./_frame_class.ts), set before the index walk. */
  frameClass: number;
}

/** A rule's (or one match's) test of the current frame. */
export type _Test = (state: _Frame) => boolean;
