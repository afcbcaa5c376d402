/**
 * The `PacketContext` a rule's program sees for one captured frame, at the
 * network or the link base: one place that knows it, shared by
 * {@linkcode compileRuleSet} and the CLI's `verdicts` and `trace`.
 *
 * @module
 */
import type { PacketContext } from "../bpf/packet_context.ts";
import {
  createFrameDescriptor,
  describeFrame,
  type FrameDescriptor,
} from "../capture/link_types.ts";
import type { FrameRef } from "./frame_ref.ts";
import type { RuleBase } from "./rule_set.ts";

function _newContext(): PacketContext {
  return {
    dataOffset: 0,
    wireLength: 0,
    end: 0,
    networkOffset: 0,
    macOffset: 0,
    protocol: 0,
    pktType: 0,
    ifindex: 0,
    mark: 0,
    queue: 0,
    hatype: 0,
    rxhash: 0,
    cpu: 0,
    vlanTci: 0,
    vlanPresent: false,
    vlanTpid: 0,
  };
}

/**
 * Fills the link-base context's offsets and lengths of `frame`, with the
 * network header `networkOffset` bytes into it (-1: unknown, at the frame's
 * start). What a program that reads neither the network offset nor an
 * ancillary field depends on (src/rules/_needs_frame_description.ts).
 */
export function _fillLinkContext(l: PacketContext, frame: FrameRef, networkOffset: number): void {
  const start = frame.start;
  l.dataOffset = start;
  l.macOffset = start;
  l.networkOffset = networkOffset >= 0 ? start + networkOffset : start;
  l.wireLength = frame.wireLength;
  l.end = start + frame.capturedLength;
}

function _fillAncillary(context: PacketContext, frame: FrameRef, d: FrameDescriptor): void {
  context.protocol = d.protocol;
  context.pktType = d.pktType;
  context.ifindex = d.ifindex !== 0 ? d.ifindex : (frame.interfaceIndex + 1) >>> 0;
  context.hatype = d.hatype;
  context.vlanTci = d.vlanTci;
  context.vlanPresent = d.vlanPresent;
  context.vlanTpid = d.vlanTpid;
  context.mark = frame.mark ?? 0;
  context.rxhash = frame.rxhash ?? 0;
  context.queue = frame.queue ?? 0;
}

/**
 * Reusable `PacketContext`s for the frames of a capture, filled exactly as
 * the rule engine fills them ({@linkcode compileRuleSet}): run a compiled
 * program on `frame.bytes` with {@linkcode FrameContext.network} or
 * {@linkcode FrameContext.link} after {@linkcode FrameContext.load} and it
 * returns what it returns inside a rule. The contexts point into the frame's
 * buffer (a frame is `bytes[start .. start + capturedLength)`), so a whole
 * input chunk can be used without slicing; nothing is allocated per frame.
 *
 * - network base (iptables' xt_bpf view): `dataOffset` and `networkOffset` at
 *   the IPv4/IPv6 header, `macOffset` at the frame start, `wireLength` and
 *   `end` cut to the IP datagram length as `ip_rcv` trims `skb->len`. Frames
 *   without an IPv4/IPv6 header have no network context: the kernel never
 *   runs an iptables match on them.
 * - link base (tcpdump's view): the whole frame, `dataOffset` and `macOffset`
 *   at its start, the pcap wire length, `networkOffset` at the network header
 *   where the link header says where it is (else the frame start).
 *
 * Both carry the ancillary fields: `protocol`, `pktType`, `hatype` and the
 * VLAN fields from the link header ({@linkcode describeFrame}), `ifindex`
 * from a LINUX_SLL2 header or else `interfaceIndex + 1` (kernel ifindexes
 * start at 1), and `mark`, `rxhash`, `queue` from the {@linkcode FrameRef}.
 *
 * @example
 * ```ts
 * import { FrameContext } from "./frame_context.ts";
 * import { compile } from "../bpf/compile.ts";
 * import { parseBytecode } from "../bpf/parse_bytecode.ts";
 * import assert from "node:assert/strict";
 * // An Ethernet frame with an IPv4 UDP header (IP total length 28), padded to 60 bytes.
 * const bytes = new Uint8Array(60);
 * bytes.set([0x08, 0x00, 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17], 12);
 * const frame = { bytes, start: 0, capturedLength: 60, wireLength: 60, linkType: 1, interfaceIndex: 0 };
 * const contexts = new FrameContext();
 * assert.equal(contexts.load(frame, "network"), true);
 * const { network } = contexts;
 * assert.deepEqual([network.dataOffset, network.wireLength, network.ifindex], [14, 28, 1]);
 * // "ip proto 17" as xt_bpf runs it: offset 9 is the IPv4 protocol field.
 * const program = compile(parseBytecode("4,48 0 0 9,21 0 1 17,6 0 0 1,6 0 0 0"));
 * assert.equal(program(bytes, network), 1);
 * ```
 */
export class FrameContext {
  /** What {@linkcode describeFrame} found in the last loaded frame's link header. */
  readonly descriptor: FrameDescriptor = createFrameDescriptor();
  /** The network-base context (filled by `load` when the frame has an IP header). */
  readonly network: PacketContext = _newContext();
  /** The link-base context. */
  readonly link: PacketContext = _newContext();
  /**
   * Whether `load` fills the ancillary fields (`protocol`, `pktType`,
   * `ifindex`, `hatype`, the VLAN fields, `mark`, `rxhash`, `queue`). A
   * caller whose programs never read them (no `ld [SKF_AD_OFF + n]`) may turn
   * it off and save the work per frame; {@linkcode FrameContext.fillAncillary}
   * fills them later for the frame last loaded.
   *
   * @default {true}
   */
  ancillary = true;
  #isIp = false;
  #base: RuleBase | undefined = undefined;

  /** Whether the last loaded frame has an IPv4/IPv6 header. */
  get isIp(): boolean {
    return this.#isIp;
  }

  /**
   * Reads the frame's link header once and fills the context of `base`, or
   * both contexts when `base` is omitted.
   *
   * @param frame The frame; only read during the call.
   * @param base Which context to fill. @default {both}
   * @returns `false` when a network context was asked for and the frame has
   * no IPv4/IPv6 header (the network context is then left as it was; a
   * network-base program is not run on such a frame), else `true`.
   */
  load(frame: FrameRef, base?: RuleBase): boolean {
    const d = this.descriptor;
    const isIp = describeFrame(frame, d);
    this.#isIp = isIp;
    this.#base = base;
    const ancillary = this.ancillary;
    const start = frame.start;
    if (base !== "network") {
      const l = this.link;
      _fillLinkContext(l, frame, d.networkOffset);
      if (ancillary) _fillAncillary(l, frame, d);
    }
    if (base === "link") return true;
    if (!isIp) return false;
    const n = this.network;
    const at = start + d.networkOffset;
    n.dataOffset = at;
    n.networkOffset = at;
    n.macOffset = start;
    n.wireLength = d.networkWireLength;
    n.end = at + d.networkCapturedLength;
    if (ancillary) _fillAncillary(n, frame, d);
    return true;
  }

  /**
   * Fills the ancillary fields of the contexts the last `load` filled, for
   * `frame` (the frame given to that `load`, unchanged since): what `load`
   * skips while {@linkcode FrameContext.ancillary} is off.
   *
   * @param frame The frame last loaded.
   */
  fillAncillary(frame: FrameRef): void {
    const d = this.descriptor;
    const base = this.#base;
    if (base !== "network") _fillAncillary(this.link, frame, d);
    if (base !== "link" && this.#isIp) _fillAncillary(this.network, frame, d);
  }
}
