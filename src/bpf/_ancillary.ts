/**
 * Ancillary loads (private): `ld`/`ldh`/`ldb [SKF_AD_OFF + n]` read
 * `sk_buff` fields or computed values instead of packet bytes, as the
 * kernel's `convert_bpf_extensions()` compiles them. The size bits are
 * ignored: `ldb [proto]` loads the whole protocol.
 *
 * `SKF_AD_IFINDEX` and `SKF_AD_HATYPE` need a device; `ifindex` 0 means none
 * (`skb->dev == NULL`). The kernel then emits `BPF_EXIT_INSN` with R0 = A,
 * so the program ends and returns the accumulator as it was (0 if nothing
 * was loaded yet) — signalled here by -1.
 *
 * @module
 */
import type { PacketContext } from "./packet_context.ts";
import {
  SKF_AD_ALU_XOR_X,
  SKF_AD_CPU,
  SKF_AD_HATYPE,
  SKF_AD_IFINDEX,
  SKF_AD_MARK,
  SKF_AD_NLATTR,
  SKF_AD_NLATTR_NEST,
  SKF_AD_OFF,
  SKF_AD_PAY_OFFSET,
  SKF_AD_PKTTYPE,
  SKF_AD_PROTOCOL,
  SKF_AD_QUEUE,
  SKF_AD_RANDOM,
  SKF_AD_RXHASH,
  SKF_AD_VLAN_TAG,
  SKF_AD_VLAN_TAG_PRESENT,
  SKF_AD_VLAN_TPID,
} from "./opcodes.ts";
import { _findNetlinkAttribute } from "./_nlattr.ts";
import { _payloadOffset } from "./_payload_offset.ts";

/** One `SKF_AD_*` field and the names each tool gives it. */
interface _AncillaryField {
  /** The offset from `SKF_AD_OFF`. */
  field: number;
  /** The kernel's name (`SKF_AD_PROTOCOL`). */
  kernel: string;
  /** libpcap's name in `bpf_image` (`tcpdump -d`: `ld [proto]`). */
  libpcap: string;
  /** `bpf_asm`'s names (`bpf_exp.l`: `ld #proto`), the preferred one first; none for some. */
  bpfAsm: readonly string[];
}

/** The `SKF_AD_*` fields `bpf_anc_helper()` knows: the one table of their names. */
const _FIELDS: readonly _AncillaryField[] = [
  { field: SKF_AD_PROTOCOL, kernel: "SKF_AD_PROTOCOL", libpcap: "proto", bpfAsm: ["proto"] },
  { field: SKF_AD_PKTTYPE, kernel: "SKF_AD_PKTTYPE", libpcap: "type", bpfAsm: ["type"] },
  { field: SKF_AD_IFINDEX, kernel: "SKF_AD_IFINDEX", libpcap: "ifidx", bpfAsm: ["ifidx"] },
  { field: SKF_AD_NLATTR, kernel: "SKF_AD_NLATTR", libpcap: "nla", bpfAsm: ["nla"] },
  {
    field: SKF_AD_NLATTR_NEST,
    kernel: "SKF_AD_NLATTR_NEST",
    libpcap: "nlan",
    bpfAsm: ["nlan"],
  },
  { field: SKF_AD_MARK, kernel: "SKF_AD_MARK", libpcap: "mark", bpfAsm: ["mark"] },
  { field: SKF_AD_QUEUE, kernel: "SKF_AD_QUEUE", libpcap: "queue", bpfAsm: ["queue"] },
  { field: SKF_AD_HATYPE, kernel: "SKF_AD_HATYPE", libpcap: "hatype", bpfAsm: ["hatype"] },
  { field: SKF_AD_RXHASH, kernel: "SKF_AD_RXHASH", libpcap: "rxhash", bpfAsm: ["rxhash"] },
  { field: SKF_AD_CPU, kernel: "SKF_AD_CPU", libpcap: "cpu", bpfAsm: ["cpu"] },
  // bpf_asm has no name for A ^ X: it is written as its offset, `ld [-4056]`.
  { field: SKF_AD_ALU_XOR_X, kernel: "SKF_AD_ALU_XOR_X", libpcap: "xor_x", bpfAsm: [] },
  {
    field: SKF_AD_VLAN_TAG,
    kernel: "SKF_AD_VLAN_TAG",
    libpcap: "vlan_tci",
    bpfAsm: ["vlan_tci"],
  },
  {
    field: SKF_AD_VLAN_TAG_PRESENT,
    kernel: "SKF_AD_VLAN_TAG_PRESENT",
    libpcap: "vlanp",
    bpfAsm: ["vlan_avail", "vlan_pr"],
  },
  { field: SKF_AD_PAY_OFFSET, kernel: "SKF_AD_PAY_OFFSET", libpcap: "poff", bpfAsm: ["poff"] },
  { field: SKF_AD_RANDOM, kernel: "SKF_AD_RANDOM", libpcap: "random", bpfAsm: ["rand"] },
  {
    field: SKF_AD_VLAN_TPID,
    kernel: "SKF_AD_VLAN_TPID",
    libpcap: "vlan_tpid",
    bpfAsm: ["vlan_tpid"],
  },
];

/** Field → the kernel's name (`SKF_AD_PROTOCOL`). */
export const _ANCILLARY_NAMES: ReadonlyMap<number, string> = new Map(
  _FIELDS.map(({ field, kernel }) => [field, kernel]),
);

/** Field → libpcap's `bpf_image` name (`proto`, `vlanp`, `random`, …). */
export const _LIBPCAP_ANCILLARY_NAMES: ReadonlyMap<number, string> = new Map(
  _FIELDS.map(({ field, libpcap }) => [field, libpcap]),
);

/** Field → the name `bpf_asm` source is written with (`proto`, `vlan_avail`, `rand`, …). */
export const _BPF_ASM_ANCILLARY_NAMES: ReadonlyMap<number, string> = new Map(
  _FIELDS.flatMap(({ field, bpfAsm }) => bpfAsm.length === 0 ? [] : [[field, bpfAsm[0]]]),
);

/** Every `bpf_asm` name (lower case, aliases included) → field. */
export const _BPF_ASM_ANCILLARY_FIELDS: ReadonlyMap<string, number> = new Map(
  _FIELDS.flatMap(({ field, bpfAsm }) => bpfAsm.map((name) => [name, field])),
);

/** The `k` values (unsigned) of the known ancillary loads. */
export const _KNOWN_ANCILLARY: ReadonlySet<number> = new Set(
  [..._ANCILLARY_NAMES.keys()].map((field) => (SKF_AD_OFF + field) >>> 0),
);

/** The ancillary field of an `ld [k]` with `k ≥ SKF_AD_OFF`, or -1 for a packet load. */
export function _ancillaryField(k: number): number {
  return _KNOWN_ANCILLARY.has(k) ? (k | 0) - SKF_AD_OFF : -1;
}

/** Whether the field may end the program (needs a device). */
export function _needsDevice(field: number): boolean {
  return field === SKF_AD_IFINDEX || field === SKF_AD_HATYPE;
}

function defaultRandom(): number {
  return (Math.random() * 0x100000000) >>> 0;
}

/**
 * The value of ancillary `field` (an `SKF_AD_*` offset) as uint32, or -1 when
 * the program must end returning A (no device for IFINDEX/HATYPE).
 */
export function _ancillary(
  field: number,
  a: number,
  x: number,
  packet: Uint8Array,
  base: number,
  loadEnd: number,
  wire: number,
  network: number,
  context: PacketContext,
): number {
  switch (field) {
    case SKF_AD_PROTOCOL:
      return (context.protocol ?? 0) & 0xffff;
    case SKF_AD_PKTTYPE:
      return (context.pktType ?? 0) & 7;
    case SKF_AD_IFINDEX: {
      const ifindex = (context.ifindex ?? 0) >>> 0;
      return ifindex === 0 ? -1 : ifindex;
    }
    case SKF_AD_HATYPE:
      return ((context.ifindex ?? 0) >>> 0) === 0 ? -1 : (context.hatype ?? 1) & 0xffff;
    case SKF_AD_NLATTR:
      return _findNetlinkAttribute(packet, base, loadEnd - base, a, x, false);
    case SKF_AD_NLATTR_NEST:
      return _findNetlinkAttribute(packet, base, loadEnd - base, a, x, true);
    case SKF_AD_MARK:
      return (context.mark ?? 0) >>> 0;
    case SKF_AD_QUEUE:
      return (context.queue ?? 0) & 0xffff;
    case SKF_AD_RXHASH:
      return (context.rxhash ?? 0) >>> 0;
    case SKF_AD_CPU:
      return (context.cpu ?? 0) >>> 0;
    case SKF_AD_ALU_XOR_X:
      return (a ^ x) >>> 0;
    case SKF_AD_VLAN_TAG:
      return (context.vlanTci ?? 0) & 0xffff;
    case SKF_AD_VLAN_TAG_PRESENT:
      return context.vlanPresent ? 1 : 0;
    case SKF_AD_PAY_OFFSET:
      return _payloadOffset(packet, base, loadEnd - base, wire, network, context);
    case SKF_AD_RANDOM:
      return (context.random ?? defaultRandom)() >>> 0;
    case SKF_AD_VLAN_TPID:
      return (context.vlanTpid ?? 0) & 0xffff;
  }
  return 0;
}
