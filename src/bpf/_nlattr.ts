/**
 * `SKF_AD_NLATTR` and `SKF_AD_NLATTR_NEST` (private): the kernel's
 * `bpf_skb_get_nlattr` / `bpf_skb_get_nlattr_nest` run `nla_find` over the
 * packet bytes. Netlink attribute headers (`nla_len`, `nla_type`, 16 bits
 * each) are in host byte order; this reads them little-endian, as on x86 and
 * arm64 Linux.
 *
 * @module
 */

const NLA_HDRLEN = 4;
const NLA_TYPE_MASK = 0x3fff; // ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER)

function u16le(packet: Uint8Array, i: number): number {
  return packet[i] | (packet[i + 1] << 8);
}

/**
 * The offset (from `base`) of the first attribute of type `x` in the
 * attribute stream starting at offset `a` (`nested` false), or inside the
 * attribute at `a` (`nested` true); 0 when there is none. `length` plays
 * `skb->len`: the bytes loads may read from `base`.
 */
export function _findNetlinkAttribute(
  packet: Uint8Array,
  base: number,
  length: number,
  a: number,
  x: number,
  nested: boolean,
): number {
  if (length < NLA_HDRLEN || a > length - NLA_HDRLEN) return 0;
  let position = a;
  let remaining = length - a;
  if (nested) {
    const outer = u16le(packet, base + a);
    if (outer > length - a) return 0;
    position = a + NLA_HDRLEN;
    remaining = outer - NLA_HDRLEN;
  }
  // nla_for_each_attr with nla_ok()
  while (remaining >= NLA_HDRLEN) {
    const attributeLength = u16le(packet, base + position);
    if (attributeLength < NLA_HDRLEN || attributeLength > remaining) break;
    if ((u16le(packet, base + position + 2) & NLA_TYPE_MASK) === x) return position;
    const aligned = (attributeLength + 3) & ~3;
    remaining -= aligned;
    position += aligned;
  }
  return 0;
}
