/**
 * What the kernel knows about a packet besides its bytes: where the program's
 * offset 0 lies, the wire length, the header offsets the negative windows use,
 * and the `sk_buff` fields that `SKF_AD_*` ancillary loads read.
 *
 * Every field is optional; see each for its default. A caller in a hot loop
 * may reuse one context object for every packet.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { PacketContext } from "./packet_context.ts";
 * import { interpret } from "./interpret.ts";
 * // An iptables rule sees an Ethernet frame from its IPv4 header on.
 * const context: PacketContext = { dataOffset: 14, macOffset: 0, protocol: 0x0800 };
 * // ldb [9]; ret a: byte 9 of the IPv4 header is frame byte 23.
 * const frame = new Uint8Array(34);
 * frame[23] = 6;
 * const program = [{ code: 0x30, jt: 0, jf: 0, k: 9 }, { code: 0x16, jt: 0, jf: 0, k: 0 }];
 * assert.equal(interpret(program, frame, context), 6);
 * ```
 */
export interface PacketContext {
  /** Index in the packet buffer of the program's offset 0 (`skb->data`).
   * @default {0} */
  dataOffset?: number;
  /** What `ld len` loads: the packet length from `dataOffset` (`skb->len`).
   * @default {the bytes present after dataOffset} */
  wireLength?: number;
  /** Index in the packet buffer one past the last captured byte; lets a caller
   * pass a larger buffer holding several frames without slicing.
   * @default {packet.length} */
  end?: number;
  /** Index in the packet buffer where `SKF_NET_OFF` loads point.
   * @default {dataOffset} */
  networkOffset?: number;
  /** Index in the packet buffer where `SKF_LL_OFF` loads point; absent means
   * the packet has no link-layer header and such loads fail. */
  macOffset?: number;
  /** `skb->protocol`, the EtherType in host order (`SKF_AD_PROTOCOL`); also where
   * `SKF_AD_PAY_OFFSET`'s dissection starts.
   * @default {0}
   */
  protocol?: number;
  /**
   * `skb->pkt_type` (`SKF_AD_PKTTYPE`): 0 host, 1 broadcast, 2 multicast, 3 other host, 4 outgoing.
   * @default {0}
   */
  pktType?: number;
  /** Interface index (`SKF_AD_IFINDEX`); 0 means no device: as in the kernel, the
   * program then ends at that load and returns the accumulator as it was.
   * @default {0}
   */
  ifindex?: number;
  /**
   * `skb->mark` (`SKF_AD_MARK`).
   * @default {0}
   */
  mark?: number;
  /**
   * `skb->queue_mapping` (`SKF_AD_QUEUE`).
   * @default {0}
   */
  queue?: number;
  /** Device type, an `ARPHRD_*` value (`SKF_AD_HATYPE`); with no device (ifindex 0)
   * the program ends at that load and returns the accumulator.
   * @default {1}
   */
  hatype?: number;
  /**
   * `skb->hash` (`SKF_AD_RXHASH`).
   * @default {0}
   */
  rxhash?: number;
  /**
   * The CPU the program runs on (`SKF_AD_CPU`).
   * @default {0}
   */
  cpu?: number;
  /**
   * The VLAN tag control information (`SKF_AD_VLAN_TAG`).
   * @default {0}
   */
  vlanTci?: number;
  /**
   * Whether a VLAN tag was stripped into the skb (`SKF_AD_VLAN_TAG_PRESENT`).
   * @default {false}
   */
  vlanPresent?: boolean;
  /**
   * The VLAN protocol, e.g. 0x8100 (`SKF_AD_VLAN_TPID`).
   * @default {0}
   */
  vlanTpid?: number;
  /**
   * Source of `SKF_AD_RANDOM` values (uint32).
   * @default {a Math.random-based generator}
   */
  random?: () => number;
}
