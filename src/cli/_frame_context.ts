/**
 * The `PacketContext` a program sees for one captured frame at a match base,
 * exactly as the rule engine builds it (see `compileRuleSet`).
 *
 * @module
 */
import type { PacketContext } from "../bpf/packet_context.ts";
import {
  createFrameDescriptor,
  describeFrame,
  type FrameDescriptor,
  type LinkFrame,
} from "../capture/link_types.ts";

/**
 * One reusable frame, descriptor and context. {@linkcode _FrameView.load}
 * fills them for a frame and a base:
 *
 * - `network`: offset 0 at the IPv4/IPv6 header, `macOffset` at the frame
 *   start, `wireLength` and `end` cut to the IP datagram length as `ip_rcv`
 *   trims `skb->len`; frames without an IP header are not run (returns false).
 * - `link`: the whole frame, `networkOffset` at the network header where known.
 *
 * Both carry the ancillary fields (`protocol`, `pktType`, `ifindex`, `hatype`,
 * VLAN fields) from the frame; `ifindex` is `interfaceIndex + 1` unless the
 * link header carries one.
 */
export class _FrameView {
  readonly descriptor: FrameDescriptor = createFrameDescriptor();
  readonly frame: LinkFrame = {
    bytes: new Uint8Array(0),
    start: 0,
    capturedLength: 0,
    wireLength: 0,
    linkType: 0,
  };
  readonly context: PacketContext = {
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

  /** Fills the view; false when a program at `base` is not run on the frame. */
  load(
    bytes: Uint8Array,
    start: number,
    capturedLength: number,
    wireLength: number,
    linkType: number,
    interfaceIndex: number,
    base: "link" | "network",
  ): boolean {
    const f = this.frame;
    f.bytes = bytes;
    f.start = start;
    f.capturedLength = capturedLength;
    f.wireLength = wireLength;
    f.linkType = linkType;
    const d = this.descriptor;
    const isIp = describeFrame(f, d);
    const c = this.context;
    c.protocol = d.protocol;
    c.pktType = d.pktType;
    c.ifindex = d.ifindex !== 0 ? d.ifindex : (interfaceIndex + 1) >>> 0;
    c.hatype = d.hatype;
    c.vlanTci = d.vlanTci;
    c.vlanPresent = d.vlanPresent;
    c.vlanTpid = d.vlanTpid;
    c.macOffset = start;
    if (base === "network") {
      if (!isIp) return false;
      const at = start + d.networkOffset;
      c.dataOffset = at;
      c.networkOffset = at;
      c.wireLength = d.networkWireLength;
      c.end = at + d.networkCapturedLength;
      return true;
    }
    c.dataOffset = start;
    c.networkOffset = d.networkOffset >= 0 ? start + d.networkOffset : start;
    c.wireLength = wireLength;
    c.end = start + capturedLength;
    return true;
  }
}
