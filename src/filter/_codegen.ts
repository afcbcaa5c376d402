/**
 * The code generator: pcap-filter primitives → conditions over the block
 * graph, with the link-layer offsets of libpcap 1.10 for each link type
 * (including the way `vlan`, `mpls` and `pppoes` move the offsets for every
 * primitive that follows them in the expression).
 *
 * @module
 */
import {
  BPF_ABS,
  BPF_ADD,
  BPF_ALU,
  BPF_AND,
  BPF_B,
  BPF_DIV,
  BPF_H,
  BPF_IMM,
  BPF_IND,
  BPF_JA,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_JSET,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_LEN,
  BPF_LSH,
  BPF_MEM,
  BPF_MEMWORDS,
  BPF_MISC,
  BPF_MOD,
  BPF_MSH,
  BPF_MUL,
  BPF_NEG,
  BPF_OR,
  BPF_RSH,
  BPF_ST,
  BPF_SUB,
  BPF_TAX,
  BPF_TXA,
  BPF_W,
  BPF_X,
  BPF_XOR,
  SKF_AD_IFINDEX,
  SKF_AD_OFF,
  SKF_AD_PKTTYPE,
} from "../bpf/opcodes.ts";
import { _and, type _Block, type _Cond, _Graph, _not, _or, _patch, type _Stmt } from "./_cfg.ts";
import { FilterSyntaxError } from "./filter_syntax_error.ts";

/** Arithmetic expression tree (`arth` in libpcap's grammar). */
export type _Arith =
  | { kind: "const"; value: number }
  | { kind: "len" }
  | { kind: "load"; proto: string; index: _Arith; size: number; col: number }
  | { kind: "bin"; op: string; l: _Arith; r: _Arith; col: number }
  | { kind: "neg"; e: _Arith };

/** Qualifiers of a primitive: protocol, direction, address kind. */
export interface _Qual {
  proto: string;
  dir: string;
  addr: string;
}

const _ETHERTYPE_IP = 0x0800;
const _ETHERTYPE_ARP = 0x0806;
const _ETHERTYPE_REVARP = 0x8035;
const _ETHERTYPE_IPV6 = 0x86dd;
const _ETHERTYPE_8021Q = 0x8100;
const _ETHERTYPE_8021AD = 0x88a8;
const _ETHERTYPE_8021QINQ = 0x9100;
const _ETHERTYPE_MPLS = 0x8847;
const _ETHERTYPE_PPPOED = 0x8863;
const _ETHERTYPE_PPPOES = 0x8864;
const _ETHERTYPE_ATALK = 0x809b;
const _ETHERTYPE_AARP = 0x80f3;
const _ETHERTYPE_DN = 0x6003;
const _ETHERTYPE_LAT = 0x6004;
const _ETHERTYPE_SCA = 0x6007;
const _ETHERTYPE_MOPRC = 0x6002;
const _ETHERTYPE_MOPDL = 0x6001;
const _ETHERTYPE_NS = 0x0600;
const _ETHERMTU = 1500;
const _DLT_PPP = 9;

/**
 * PPP protocol numbers of the Ethernet types and LLC SAPs the keywords stand
 * for, as libpcap maps them inside PPPoE (ethertype_to_ppptype); other values
 * are compared unchanged.
 */
const _PPP_TYPES: Record<number, number> = {
  [_ETHERTYPE_IP]: 0x0021,
  [_ETHERTYPE_IPV6]: 0x0057,
  [_ETHERTYPE_DN]: 0x0027,
  [_ETHERTYPE_ATALK]: 0x0029,
  [_ETHERTYPE_NS]: 0x0025,
  0xfe: 0x0023, // LLCSAP_ISONS → PPP_OSI
  0x42: 0x0031, // LLCSAP_8021D (stp) → PPP_BRPDU
  0xe0: 0x002b, // LLCSAP_IPX → PPP_IPX
};

/** PPP's protocol number for MPLS unicast (RFC 3032). */
const _PPP_MPLS_UCAST = 0x0281;

/** BSD address families of IPv6 (BSD, FreeBSD, Darwin) in the order libpcap tests them. */
const _BSD_AF_INET6 = [30, 24, 28];

/** IP protocol numbers of the protocol keywords. */
const _IP_PROTOS: Record<string, number> = {
  icmp: 1,
  igmp: 2,
  tcp: 6,
  igrp: 9,
  udp: 17,
  ah: 51,
  esp: 50,
  icmp6: 58,
  pim: 103,
  vrrp: 112,
  carp: 112,
  sctp: 132,
};

/** Names accepted by `proto \name` (after `ip`/`ip6`/default). */
const _PROTO_NAMES: Record<string, number> = {
  ip: 0,
  hopopt: 0,
  icmp: 1,
  igmp: 2,
  ggp: 3,
  ipencap: 4,
  st: 5,
  tcp: 6,
  egp: 8,
  igp: 9,
  pup: 12,
  udp: 17,
  hmp: 20,
  "xns-idp": 22,
  rdp: 27,
  "iso-tp4": 29,
  dccp: 33,
  xtp: 36,
  ddp: 37,
  "idpr-cmtp": 38,
  ipv6: 41,
  "ipv6-route": 43,
  "ipv6-frag": 44,
  idrp: 45,
  rsvp: 46,
  gre: 47,
  esp: 50,
  ah: 51,
  skip: 57,
  "ipv6-icmp": 58,
  icmp6: 58,
  "ipv6-nonxt": 59,
  "ipv6-opts": 60,
  rspf: 73,
  vmtp: 81,
  eigrp: 88,
  ospf: 89,
  "ax.25": 93,
  ipip: 94,
  etherip: 97,
  encap: 98,
  pim: 103,
  ipcomp: 108,
  vrrp: 112,
  l2tp: 115,
  isis: 124,
  sctp: 132,
  fc: 133,
  "mobility-header": 135,
  udplite: 136,
  "mpls-in-ip": 137,
  manet: 138,
  hip: 139,
  shim6: 140,
  wesp: 141,
  rohc: 142,
};

/** Names accepted by `ether proto \name`. */
const _ETHER_PROTO_NAMES: Record<string, number> = {
  ip: _ETHERTYPE_IP,
  ip6: _ETHERTYPE_IPV6,
  arp: _ETHERTYPE_ARP,
  rarp: _ETHERTYPE_REVARP,
  atalk: _ETHERTYPE_ATALK,
  aarp: _ETHERTYPE_AARP,
  decnet: _ETHERTYPE_DN,
  sca: _ETHERTYPE_SCA,
  lat: _ETHERTYPE_LAT,
  mopdl: _ETHERTYPE_MOPDL,
  moprc: _ETHERTYPE_MOPRC,
  iso: 0xfe,
  stp: 0x42,
  ipx: 0xe0,
  netbeui: 0xf0,
};

/**
 * Well-known service names for `port NAME`, as Debian's /etc/services lists them
 * (there is no resolver at the edge): the port and the protocol it is defined
 * for (`-1` when both tcp and udp, which libpcap treats as any transport).
 */
export const _SERVICES: Record<string, [number, number]> = {
  echo: [7, -1],
  discard: [9, -1],
  daytime: [13, -1],
  "ftp-data": [20, 6],
  ftp: [21, 6],
  ssh: [22, 6],
  telnet: [23, 6],
  smtp: [25, 6],
  time: [37, -1],
  domain: [53, -1],
  bootps: [67, 17],
  bootpc: [68, 17],
  tftp: [69, 17],
  gopher: [70, 6],
  finger: [79, 6],
  http: [80, 6],
  www: [80, 6],
  kerberos: [88, -1],
  pop3: [110, 6],
  sunrpc: [111, -1],
  auth: [113, 6],
  nntp: [119, 6],
  ntp: [123, 17],
  "netbios-ns": [137, 17],
  "netbios-dgm": [138, 17],
  "netbios-ssn": [139, 6],
  imap: [143, 6],
  imap2: [143, 6],
  snmp: [161, -1],
  "snmp-trap": [162, -1],
  bgp: [179, 6],
  ldap: [389, -1],
  https: [443, -1],
  "microsoft-ds": [445, 6],
  isakmp: [500, 17],
  syslog: [514, -1],
  submission: [587, 6],
  ldaps: [636, -1],
  imaps: [993, 6],
  pop3s: [995, 6],
  openvpn: [1194, -1],
  "ms-sql-s": [1433, 6],
  l2tp: [1701, 17],
  radius: [1812, -1],
  "radius-acct": [1813, -1],
  nfs: [2049, -1],
  mysql: [3306, 6],
  sip: [5060, -1],
  postgresql: [5432, 6],
  x11: [6000, 6],
};

const _SIZES: Record<number, number> = { 1: BPF_B, 2: BPF_H, 4: BPF_W };

const _ALU_OPS: Record<string, number> = {
  "+": BPF_ADD,
  "-": BPF_SUB,
  "*": BPF_MUL,
  "/": BPF_DIV,
  "%": BPF_MOD,
  "&": BPF_AND,
  "|": BPF_OR,
  "^": BPF_XOR,
  "<<": BPF_LSH,
  ">>": BPF_RSH,
};

const _TRANSPORT = new Set(["tcp", "udp", "icmp", "igmp", "igrp", "pim", "vrrp", "carp", "sctp"]);
const _NETWORK = new Set([
  "ip",
  "arp",
  "rarp",
  "ip6",
  "atalk",
  "aarp",
  "decnet",
  "lat",
  "sca",
  "moprc",
  "mopdl",
]);

/** Link types this compiler knows, with libpcap's descriptions. */
const _LINK_NAMES: Record<number, string> = {
  0: "BSD loopback",
  9: "PPP",
  1: "Ethernet",
  12: "Raw IP",
  14: "Raw IP",
  101: "Raw IP",
  108: "OpenBSD loopback",
  113: "Linux cooked v1",
  228: "Raw IPv4",
  229: "Raw IPv6",
  276: "Linux cooked v2",
};

/**
 * DLT_ values (inclusive ranges) that libpcap 1.10's gencode has no
 * link-layer description for (its `init_linktype` `default:` case, within
 * DLT_MATCHING_MIN..MAX): only expressions that need no link header
 * (`len`, `greater`, `less`, `link[...]` and the like) compile there; every
 * other one is "DLT N link-layer type filtering not implemented". Recorded
 * from tcpdump 4.99.3 / libpcap 1.10.3 (`tcpdump -r FILE -d ip` for every
 * link type 0..299); `compile_filter_link_free_test.ts` checks it live.
 */
const _LINK_FREE_RANGES: readonly (readonly [number, number])[] = [
  [110, 111],
  [115, 116],
  [118, 118],
  [120, 121],
  [124, 126],
  [128, 128],
  [139, 162],
  [169, 177],
  [182, 182],
  [184, 191],
  [193, 193],
  [195, 199],
  [201, 225],
  [227, 227],
  [230, 231],
  [235, 237],
  [239, 239],
  [242, 275],
  [277, 289],
];

/**
 * Whether libpcap compiles only link-header-free expressions for this link
 * type (see {@linkcode _LINK_FREE_RANGES}).
 */
export function _isLinkFreeLinkType(linkType: number): boolean {
  return _LINK_FREE_RANGES.some(([low, high]) => linkType >= low && linkType <= high);
}

/** Whether the compiler supports a LINKTYPE_/DLT_ value (in full, or link-header-free only). */
export function _isSupportedLinkType(linkType: number): boolean {
  return (linkType !== _DLT_PPP && Object.hasOwn(_LINK_NAMES, linkType)) ||
    _isLinkFreeLinkType(linkType);
}

/**
 * Whether the program for `linkType` depends on the capture file's byte
 * order (`savefileLittleEndian`): only BSD loopback (NULL, LOOP) does.
 */
export function _readsSavefileByteOrder(linkType: number): boolean {
  return linkType === 0 || linkType === 108;
}

/** Evaluates a constant ALU operation with uint32 semantics. */
export function _foldAlu(op: number, a: number, b: number): number {
  switch (op) {
    case BPF_ADD:
      return (a + b) >>> 0;
    case BPF_SUB:
      return (a - b) >>> 0;
    case BPF_MUL:
      return Math.imul(a, b) >>> 0;
    case BPF_DIV:
      return b === 0 ? 0 : Math.floor(a / b) >>> 0;
    case BPF_MOD:
      return b === 0 ? 0 : (a % b) >>> 0;
    case BPF_AND:
      return (a & b) >>> 0;
    case BPF_OR:
      return (a | b) >>> 0;
    case BPF_XOR:
      return (a ^ b) >>> 0;
    case BPF_LSH:
      return b >= 32 ? 0 : (a << b) >>> 0;
    case BPF_RSH:
      return b >= 32 ? 0 : a >>> b;
    case BPF_NEG:
      return (-a) >>> 0;
  }
  return 0;
}

/** Builds an `_Arith` binary node, folding constants and checking like libpcap. */
export function _arithBinary(op: string, l: _Arith, r: _Arith, col: number): _Arith {
  if ((op === "/" || op === "%") && r.kind === "const" && r.value === 0) {
    throw new FilterSyntaxError(op === "/" ? "division by zero" : "modulus by zero", col);
  }
  if ((op === "<<" || op === ">>") && r.kind === "const" && r.value > 31) {
    throw new FilterSyntaxError("shift by more than 31 bits", col);
  }
  if (l.kind === "const" && r.kind === "const") {
    return { kind: "const", value: _foldAlu(_ALU_OPS[op], l.value, r.value) };
  }
  return { kind: "bin", op, l, r, col };
}

/** The 32-bit value with its bytes reversed. */
function _swap32(v: number): number {
  return ((v & 0xff) << 24 | (v & 0xff00) << 8 | (v >>> 8) & 0xff00 | v >>> 24) >>> 0;
}

/** A `proto[index]` load of the expression (see {@linkcode _Stmt.accessor}). */
function _userLoad(size: number, mode: number, k: number): _Stmt {
  return { code: BPF_LD | size | mode, k: k >>> 0, accessor: true };
}

function _ld(size: number, mode: number, k: number): _Stmt {
  return { code: BPF_LD | size | mode, k: k >>> 0 };
}

/** The code generator; its offsets change as `vlan`/`mpls`/`pppoes` are met. */
export class _CodeGen {
  readonly graph = new _Graph();
  /** The link type as gencode sees it (becomes PPP inside PPPoE). */
  #dlt: number;
  #linkName: string;
  #offLinktype: number;
  #offLinkpl: number;
  #offNl = 0;
  /** Where `link[...]`/`ether[...]` count from: 0, or the PPP header after `pppoes`. */
  #offLinkhdr = 0;
  /** Byte order of the capture file being read (`tcpdump -r`), or undefined (`pcap_open_dead`). */
  #savefileLittleEndian: boolean | undefined;
  #labelDepth = 0;
  #hasProtochain = false;
  #vlanDepth = 0;
  #regs = 0;
  #maxRegs = 0;

  /**
   * `savefileLittleEndian`: compile as libpcap does for a capture file of
   * that byte order (BSD loopback: every IPv6 address family, in the file's
   * byte order); undefined: as `pcap_open_dead` on a little-endian host.
   */
  constructor(linkType: number, savefileLittleEndian?: boolean) {
    this.#savefileLittleEndian = savefileLittleEndian;
    this.#dlt = linkType === 14 || linkType === 101 ? 12 : linkType;
    this.#linkName = _LINK_NAMES[linkType] ?? `DLT ${linkType}`;
    switch (this.#dlt) {
      case 1:
        this.#offLinktype = 12;
        this.#offLinkpl = 14;
        break;
      case 113:
        this.#offLinktype = 14;
        this.#offLinkpl = 16;
        break;
      case 276:
        this.#offLinktype = 0;
        this.#offLinkpl = 20;
        break;
      case 0:
      case 108:
        this.#offLinktype = 0;
        this.#offLinkpl = 4;
        break;
      default:
        this.#offLinktype = -1;
        this.#offLinkpl = 0;
    }
  }

  /**
   * Whether the expression used `protochain`. libpcap's protochain loop
   * jumps backwards, so libpcap does not optimize such an expression and
   * never finds that it rejects all packets.
   */
  get hasProtochain(): boolean {
    return this.#hasProtochain;
  }

  /** Offset of the network-layer header. */
  get #nl(): number {
    return this.#offLinkpl + this.#offNl;
  }

  #err(reason: string, col: number): never {
    throw new FilterSyntaxError(reason, col);
  }

  /** `ld [off]; and #mask; j<op> #v` as a condition. */
  cmp(off: number, size: number, v: number, mask = 0xffffffff, op = BPF_JEQ): _Cond {
    // `and #0; jeq #0`: libpcap's opt_peep makes it `jset #0`, never taken, and drops the test.
    if (mask === 0 && v === 0 && op === BPF_JEQ) return true;
    const stmts = [_ld(size, BPF_ABS, off)];
    if (
      mask !== 0xffffffff && !(size === BPF_B && mask === 0xff) &&
      !(size === BPF_H && mask === 0xffff)
    ) {
      stmts.push({ code: BPF_ALU | BPF_AND | BPF_K, k: mask >>> 0 });
    }
    return this.graph.test(stmts, BPF_JMP | op | BPF_K, v);
  }

  // ---------------------------------------------------------------- link layer

  /** libpcap's gen_linktype: the packet carries `proto` (an EtherType or LLC SAP). */
  linktype(proto: number, col = 1): _Cond {
    if (this.#labelDepth > 0) {
      if (proto === _ETHERTYPE_IP || proto === _ETHERTYPE_IPV6) {
        const b0 = this.cmp(this.#nl - 2, BPF_B, 1, 1);
        const b1 = this.cmp(this.#nl, BPF_B, proto === _ETHERTYPE_IP ? 0x40 : 0x60, 0xf0);
        return _and(b0, b1);
      }
      this.#err("unsupported protocol over mpls", col);
    }
    if (this.#dlt === _DLT_PPP) {
      return this.cmp(this.#offLinktype, BPF_H, _PPP_TYPES[proto] ?? proto);
    }
    switch (this.#dlt) {
      case 1:
      case 113:
      case 276: {
        if (
          this.#dlt === 1 &&
          (proto === 0xe0 || proto === _ETHERTYPE_ATALK || proto === _ETHERTYPE_AARP)
        ) {
          return this.#etherSpecial(proto);
        }
        if (proto <= _ETHERMTU) {
          // 802.3 frames carry a length, then LLC: DSAP/SSAP.
          const lenCheck = _not(this.cmp(this.#offLinktype, BPF_H, _ETHERMTU, 0xffffffff, BPF_JGT));
          if (this.#dlt !== 1) {
            // Cooked captures: LINUX_SLL_P_802_2 frames (protocol 4).
            const b0 = this.cmp(this.#offLinktype, BPF_H, 4);
            return _and(b0, this.cmp(this.#offLinkpl, BPF_B, proto));
          }
          if (proto === 0xfe || proto === 0x06 || proto === 0xf0) {
            return _and(lenCheck, this.cmp(this.#offLinkpl, BPF_H, (proto << 8) | proto));
          }
          return _and(lenCheck, this.cmp(this.#offLinkpl, BPF_B, proto));
        }
        return this.cmp(this.#offLinktype, BPF_H, proto);
      }
      case 0:
      case 108: {
        if (proto === _ETHERTYPE_IP) return this.#loopbackFamily(2);
        if (proto !== _ETHERTYPE_IPV6) return false;
        // A file may come from any BSD: libpcap tests all three values.
        if (this.#savefileLittleEndian === undefined) return this.#loopbackFamily(10);
        return _BSD_AF_INET6.map((af) => this.#loopbackFamily(af)).reduce((a, b) => _or(a, b));
      }
      case 12:
        if (proto === _ETHERTYPE_IP) return this.cmp(0, BPF_B, 0x40, 0xf0);
        if (proto === _ETHERTYPE_IPV6) return this.cmp(0, BPF_B, 0x60, 0xf0);
        return false;
      case 228:
        return proto === _ETHERTYPE_IP;
      case 229:
        return proto === _ETHERTYPE_IPV6;
    }
    return this.#err(`${this.#linkName} link-layer type filtering not implemented`, col);
  }

  /**
   * The 4-byte address-family word of BSD loopback: DLT_NULL holds it in the
   * capturing host's byte order (the file's, or little-endian for
   * `pcap_open_dead`), DLT_LOOP in network order.
   */
  #loopbackFamily(af: number): _Cond {
    const little = this.#dlt === 0 && (this.#savefileLittleEndian ?? true);
    const word = little ? _swap32(af) : af;
    return this.cmp(0, BPF_W, word);
  }

  /** IPX, AppleTalk and AARP on Ethernet: Ethernet II, SNAP, and (IPX) 802.2/raw 802.3. */
  #etherSpecial(proto: number): _Cond {
    const lt = this.#offLinktype, llc = this.#offLinkpl;
    const snap = (org: number, type: number): _Cond =>
      _and(
        this.cmp(llc + 4, BPF_W, (((org & 0xffff) << 16) | type) >>> 0),
        this.cmp(llc, BPF_W, (0xaaaa0300 | ((org >>> 16) & 0xff)) >>> 0),
      );
    const notLength = _not(this.cmp(lt, BPF_H, _ETHERMTU, 0xffffffff, BPF_JGT));
    let body: _Cond;
    let ethertype = proto;
    if (proto === 0xe0) {
      ethertype = 0x8137;
      body = _or(snap(0, 0x8137), _or(this.cmp(llc, BPF_B, 0xe0), this.cmp(llc, BPF_H, 0xffff)));
    } else body = snap(proto === _ETHERTYPE_ATALK ? 0x080007 : 0, proto);
    return _or(this.cmp(lt, BPF_H, ethertype), _and(notLength, body));
  }

  #isEthernet(): boolean {
    return this.#dlt === 1;
  }

  /** `ip`, `tcp`, `arp`, ...: the protocol keyword alone. */
  protoAbbrev(name: string, col: number): _Cond {
    switch (name) {
      case "ip":
        return this.linktype(_ETHERTYPE_IP, col);
      case "ip6":
        return this.linktype(_ETHERTYPE_IPV6, col);
      case "arp":
        return this.linktype(_ETHERTYPE_ARP, col);
      case "rarp":
        return this.linktype(_ETHERTYPE_REVARP, col);
      case "atalk":
        return this.linktype(_ETHERTYPE_ATALK, col);
      case "aarp":
        return this.linktype(_ETHERTYPE_AARP, col);
      case "decnet":
        return this.linktype(_ETHERTYPE_DN, col);
      case "lat":
        return this.linktype(_ETHERTYPE_LAT, col);
      case "sca":
        return this.linktype(_ETHERTYPE_SCA, col);
      case "moprc":
        return this.linktype(_ETHERTYPE_MOPRC, col);
      case "mopdl":
        return this.linktype(_ETHERTYPE_MOPDL, col);
      case "iso":
        return this.linktype(0xfe, col);
      case "stp":
        return this.linktype(0x42, col);
      case "ipx":
        return this.linktype(0xe0, col);
      case "netbeui":
        return this.linktype(0xf0, col);
      case "tcp":
      case "udp":
      case "sctp":
      case "pim":
      case "ah":
      case "esp":
        return this.proto(_IP_PROTOS[name], "default", "default", col);
      case "icmp":
      case "igmp":
      case "igrp":
      case "vrrp":
      case "carp":
        return this.proto(_IP_PROTOS[name], "ip", "default", col);
      case "icmp6":
        return this.proto(58, "ip6", "default", col);
      case "link":
        return this.#err("link layer applied in wrong context", col);
    }
    return this.#err(`'${name}' is not supported`, col);
  }

  /** `[ip|ip6|ether] proto N` (libpcap's gen_proto). */
  proto(v: number, proto: string, dir: string, col: number): _Cond {
    if (dir !== "default") this.#err("direction applied to 'proto'", col);
    switch (proto) {
      case "default": {
        const b0 = this.proto(v, "ip", dir, col);
        const b1 = this.proto(v, "ip6", dir, col);
        return _or(b0, b1);
      }
      case "link":
        return this.linktype(v, col);
      case "ip": {
        const b0 = this.linktype(_ETHERTYPE_IP, col);
        if (b0 === false) return false;
        return _and(b0, this.cmp(this.#nl + 9, BPF_B, v));
      }
      case "ip6": {
        const b0 = this.linktype(_ETHERTYPE_IPV6, col);
        if (b0 === false) return false;
        const direct = this.cmp(this.#nl + 6, BPF_B, v);
        const frag = _and(this.cmp(this.#nl + 6, BPF_B, 44), this.cmp(this.#nl + 40, BPF_B, v));
        return _and(b0, _or(direct, frag));
      }
      case "arp":
      case "rarp":
        return this.#err(`${proto} does not encapsulate another protocol`, col);
    }
    return this.#err(`'${proto} proto' is bogus`, col);
  }

  /** `[ip|ip6] protochain N`: walk the header chain, unrolled (no backward jumps). */
  protochain(v: number, proto: string, col: number): _Cond {
    if (proto === "default") {
      const b0 = this.protochain(v, "ip", col);
      const b1 = this.protochain(v, "ip6", col);
      return _or(b0, b1);
    }
    if (proto !== "ip" && proto !== "ip6") this.#err("bad protocol applied for 'protochain'", col);
    this.#hasProtochain = true;
    if (this.#labelDepth > 0) this.#err("protochain is not supported over mpls", col);
    const isV6 = proto === "ip6";
    const b0 = this.linktype(isV6 ? _ETHERTYPE_IPV6 : _ETHERTYPE_IP, col);
    if (b0 === false) return false;
    const g = this.graph;
    const nl = this.#nl;
    const reg = this.#allocReg(col);
    this.#freeReg();
    const stmts: _Stmt[] = isV6
      ? [_ld(BPF_B, BPF_ABS, nl + 6), { code: BPF_LDX | BPF_W | BPF_IMM, k: 40 }]
      : [_ld(BPF_B, BPF_ABS, nl + 9), { code: BPF_LDX | BPF_B | BPF_MSH, k: nl }];
    // Each round: A = next header, X = its offset from the network header.
    const ROUNDS = isV6 ? 5 : 3;
    const accept = g.block([], BPF_JMP | BPF_JA, 0);
    const reject = g.block([], BPF_JMP | BPF_JA, 0);
    const entry = g.goto(stmts, reject);
    let pending: _Block[] = [entry];
    for (let round = 0; round < ROUNDS; round++) {
      const found = g.block([], BPF_JMP | BPF_JEQ | BPF_K, v);
      for (const p of pending) p.jt = p.jf = found;
      found.jt = accept;
      const none = g.block([], BPF_JMP | BPF_JEQ | BPF_K, 59);
      found.jf = none;
      none.jt = reject;
      const next: _Block[] = [];
      let ahCheck: _Block;
      if (isV6) {
        const ext = [0, 60, 43, 44].map((k) => g.block([], BPF_JMP | BPF_JEQ | BPF_K, k));
        none.jf = ext[0];
        const advance = g.block(
          [
            _ld(BPF_B, BPF_IND, nl),
            { code: BPF_ST, k: reg },
            _ld(BPF_B, BPF_IND, nl + 1),
            { code: BPF_ALU | BPF_ADD | BPF_K, k: 1 },
            { code: BPF_ALU | BPF_MUL | BPF_K, k: 8 },
            { code: BPF_ALU | BPF_ADD | BPF_X, k: 0 },
            { code: BPF_MISC | BPF_TAX, k: 0 },
            _ld(BPF_W, BPF_MEM, reg),
          ],
          BPF_JMP | BPF_JA,
          0,
        );
        next.push(advance);
        ahCheck = g.block([], BPF_JMP | BPF_JEQ | BPF_K, 51);
        for (let i = 0; i < 4; i++) {
          ext[i].jt = advance;
          ext[i].jf = i < 3 ? ext[i + 1] : ahCheck;
        }
      } else {
        ahCheck = g.block([], BPF_JMP | BPF_JEQ | BPF_K, 51);
        none.jf = ahCheck;
      }
      // libpcap's AH step sets X = (ah_len + 2) * 4 (not added to X); kept for identical results.
      const ah = g.block(
        [
          { code: BPF_MISC | BPF_TXA, k: 0 },
          _ld(BPF_B, BPF_IND, nl),
          { code: BPF_ST, k: reg },
          { code: BPF_MISC | BPF_TXA, k: 0 },
          { code: BPF_ALU | BPF_ADD | BPF_K, k: 1 },
          { code: BPF_MISC | BPF_TAX, k: 0 },
          _ld(BPF_B, BPF_IND, nl),
          { code: BPF_ALU | BPF_ADD | BPF_K, k: 2 },
          { code: BPF_ALU | BPF_MUL | BPF_K, k: 4 },
          { code: BPF_MISC | BPF_TAX, k: 0 },
          _ld(BPF_W, BPF_MEM, reg),
        ],
        BPF_JMP | BPF_JA,
        0,
      );
      ahCheck.jt = ah;
      ahCheck.jf = reject;
      next.push(ah);
      pending = next;
    }
    for (const p of pending) p.jt = p.jf = reject;
    const chain: _Cond = {
      head: entry,
      t: [{ block: accept, sense: true }, { block: accept, sense: false }],
      f: [{ block: reject, sense: true }, { block: reject, sense: false }],
    };
    return _and(b0, chain);
  }

  // ---------------------------------------------------------------- hosts

  /** libpcap's gen_host: IPv4 `host`/`net` with mask. */
  host(addr: number, mask: number, proto: string, dir: string, type: string, col: number): _Cond {
    const typestr = type === "net" ? "net" : "host";
    switch (proto) {
      case "default": {
        const b0 = this.host(addr, mask, "ip", dir, type, col);
        if (this.#labelDepth > 0) return b0;
        const b1 = this.host(addr, mask, "arp", dir, type, col);
        const b2 = this.host(addr, mask, "rarp", dir, type, col);
        return _or(_or(b0, b1), b2);
      }
      case "link":
        return this.#err(`link-layer modifier applied to ${typestr}`, col);
      case "ip":
        return this.#hostop(addr, mask, dir, _ETHERTYPE_IP, 12, 16, col);
      case "arp":
        return this.#hostop(addr, mask, dir, _ETHERTYPE_ARP, 14, 24, col);
      case "rarp":
        return this.#hostop(addr, mask, dir, _ETHERTYPE_REVARP, 14, 24, col);
      case "ip6":
        return this.#err("'ip6' modifier applied to ip host", col);
    }
    return this.#err(`'${proto}' modifier applied to ${typestr}`, col);
  }

  #dirCheck(dir: string, col: number): void {
    if (dir.startsWith("addr")) {
      this.#err(
        `'${dir}' and 'address${dir[4]}' are only supported on 802.11 with 802.11 headers`,
        col,
      );
    }
    if (dir === "ra" || dir === "ta") {
      this.#err(`'${dir}' is only supported on 802.11 with 802.11 headers`, col);
    }
  }

  #hostop(
    addr: number,
    mask: number,
    dir: string,
    ethertype: number,
    srcOff: number,
    dstOff: number,
    col: number,
  ): _Cond {
    this.#dirCheck(dir, col);
    const b0 = this.linktype(ethertype, col);
    if (b0 === false) return false;
    const at = (off: number) => this.cmp(this.#nl + off, BPF_W, addr, mask);
    let b1: _Cond;
    if (dir === "src") b1 = at(srcOff);
    else if (dir === "dst") b1 = at(dstOff);
    else if (dir === "and") b1 = _and(at(srcOff), at(dstOff));
    else b1 = _or(at(srcOff), at(dstOff));
    return _and(b0, b1);
  }

  /** libpcap's gen_host6: IPv6 `host`/`net`. */
  host6(
    addr: number[],
    mask: number[],
    proto: string,
    dir: string,
    type: string,
    col: number,
  ): _Cond {
    const typestr = type === "net" ? "net" : "host";
    if (proto !== "default" && proto !== "ip6") {
      if (proto === "link") this.#err(`link-layer modifier applied to ${typestr}`, col);
      this.#err(`'${proto}' modifier applied to ip6 ${typestr}`, col);
    }
    this.#dirCheck(dir, col);
    const b0 = this.linktype(_ETHERTYPE_IPV6, col);
    if (b0 === false) return false;
    const at = (off: number): _Cond => {
      let c: _Cond = true;
      for (let i = 0; i < 4; i++) {
        const m =
          (mask[i * 4] << 24 | mask[i * 4 + 1] << 16 | mask[i * 4 + 2] << 8 | mask[i * 4 + 3]) >>>
          0;
        if (m === 0) continue;
        const a =
          (addr[i * 4] << 24 | addr[i * 4 + 1] << 16 | addr[i * 4 + 2] << 8 | addr[i * 4 + 3]) >>>
          0;
        c = _and(c, this.cmp(this.#nl + off + i * 4, BPF_W, a, m));
      }
      return c;
    };
    let b1: _Cond;
    if (dir === "src") b1 = at(8);
    else if (dir === "dst") b1 = at(24);
    else if (dir === "and") b1 = _and(at(8), at(24));
    else b1 = _or(at(8), at(24));
    return _and(b0, b1);
  }

  /** `ether host/src/dst MAC`. */
  ehost(mac: number[], dir: string, col: number): _Cond {
    if (!this.#isEthernet()) {
      this.#err(
        "ethernet addresses supported only on ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel",
        col,
      );
    }
    this.#dirCheck(dir, col);
    const at = (off: number): _Cond => {
      const w = (mac[2] << 24 | mac[3] << 16 | mac[4] << 8 | mac[5]) >>> 0;
      return _and(this.cmp(off + 2, BPF_W, w), this.cmp(off, BPF_H, mac[0] << 8 | mac[1]));
    };
    if (dir === "src") return at(6);
    if (dir === "dst") return at(0);
    if (dir === "and") return _and(at(6), at(0));
    return _or(at(6), at(0));
  }

  /** `[ether|ip] broadcast`. */
  broadcast(proto: string, col: number): _Cond {
    if (proto === "default" || proto === "link") {
      if (!this.#isEthernet()) this.#err("not a broadcast link", col);
      return this.ehost([255, 255, 255, 255, 255, 255], "dst", col);
    }
    if (proto === "ip") {
      // tcpdump -d compiles with netmask 0: the host part is the whole address.
      const b0 = this.linktype(_ETHERTYPE_IP, col);
      if (b0 === false) return false;
      const b1 = _or(this.cmp(this.#nl + 16, BPF_W, 0), this.cmp(this.#nl + 16, BPF_W, 0xffffffff));
      return _and(b0, b1);
    }
    return this.#err("only link-layer/IP broadcast filters supported", col);
  }

  /** `[ether|ip|ip6] multicast`. */
  multicast(proto: string, col: number): _Cond {
    if (proto === "default" || proto === "link") {
      if (!this.#isEthernet()) {
        this.#err(
          "link-layer multicast filters supported only on ethernet/FDDI/token ring/ARCNET/802.11/ATM LANE/Fibre Channel",
          col,
        );
      }
      return this.cmp(0, BPF_B, 1, 0xffffffff, BPF_JSET);
    }
    if (proto === "ip") {
      const b0 = this.linktype(_ETHERTYPE_IP, col);
      if (b0 === false) return false;
      return _and(b0, this.cmp(this.#nl + 16, BPF_B, 224, 0xffffffff, BPF_JGE));
    }
    if (proto === "ip6") {
      const b0 = this.linktype(_ETHERTYPE_IPV6, col);
      if (b0 === false) return false;
      return _and(b0, this.cmp(this.#nl + 24, BPF_B, 255));
    }
    return this.#err(
      "link-layer multicast filters supported only on ethernet/FDDI/token ring/ARCNET/802.11/ATM LANE/Fibre Channel",
      col,
    );
  }

  // ---------------------------------------------------------------- ports

  #ipfrag(): _Cond {
    return _not(this.cmp(this.#nl + 6, BPF_H, 0x1fff, 0xffffffff, BPF_JSET));
  }

  #portCheck(kind: "v4" | "v6", dir: string, atom: (off: number) => _Cond, col: number): _Cond {
    this.#dirCheck(dir, col);
    if (dir === "src") return atom(0);
    if (dir === "dst") return atom(2);
    if (dir === "and") return _and(atom(0), atom(2));
    void kind;
    return _or(atom(0), atom(2));
  }

  #transportProtos(ipProto: number, off: number): _Cond {
    if (ipProto >= 0) return this.cmp(off, BPF_B, ipProto);
    return _or(_or(this.cmp(off, BPF_B, 132), this.cmp(off, BPF_B, 6)), this.cmp(off, BPF_B, 17));
  }

  #tranAtomV4(off: number, size: number, v: number, op = BPF_JEQ): _Cond {
    const stmts: _Stmt[] = [
      { code: BPF_LDX | BPF_B | BPF_MSH, k: this.#nl },
      _ld(size, BPF_IND, this.#nl + off),
    ];
    return this.graph.test(stmts, BPF_JMP | op | BPF_K, v);
  }

  /**
   * `port` (`isRange` false: libpcap's gen_port, a `jeq`) or `portrange`
   * (true: gen_portrange, `jge` and not `jgt` even for `80-80`) for IPv4
   * and IPv6 (ip6 first, as libpcap orders them).
   */
  portrange(
    lo: number,
    hi: number,
    ipProto: number,
    dir: string,
    col: number,
    isRange = false,
  ): _Cond {
    if (lo > hi) [lo, hi] = [hi, lo];
    const range = (mk: (off: number, op: number, v: number) => _Cond) => (off: number): _Cond => {
      if (lo === hi && !isRange) return mk(off, BPF_JEQ, lo);
      return _and(mk(off, BPF_JGE, lo), _not(mk(off, BPF_JGT, hi)));
    };
    // Like libpcap, one alternative per transport protocol (sctp, tcp, udp); the
    // optimizer merges the identical port checks and keeps the facts apart.
    const protos = ipProto >= 0 ? [ipProto] : [6, 17, 132];
    const perProto = (mk: (p: number) => _Cond): _Cond => {
      let c: _Cond = false;
      if (protos.length === 1) return mk(protos[0]);
      // libpcap: or(sctp, or(tcp, udp)) evaluated sctp first.
      c = _or(mk(132), _or(mk(6), mk(17)));
      return c;
    };
    let v6: _Cond = this.linktype(_ETHERTYPE_IPV6, col);
    if (v6 !== false) {
      const nl = this.#nl;
      const atom6 = range((off, op, v) => this.cmp(nl + 40 + off, BPF_H, v, 0xffffffff, op));
      v6 = _and(
        v6,
        perProto((p) => _and(this.cmp(nl + 6, BPF_B, p), this.#portCheck("v6", dir, atom6, col))),
      );
    }
    let v4: _Cond = this.linktype(_ETHERTYPE_IP, col);
    if (v4 !== false) {
      const atom4 = range((off, op, v) => this.#tranAtomV4(off, BPF_H, v, op));
      v4 = _and(
        v4,
        perProto((p) =>
          _and(
            _and(this.cmp(this.#nl + 9, BPF_B, p), this.#ipfrag()),
            this.#portCheck("v4", dir, atom4, col),
          )
        ),
      );
    }
    return _or(v6, v4);
  }

  // ---------------------------------------------------------------- encapsulations

  /** `vlan [id]`: test the TPID (and VID), then shift the offsets by 4. */
  vlan(id: number | null, col: number): _Cond {
    if (this.#dlt !== 1) this.#err(`no VLAN support for ${this.#linkName}`, col);
    if (id !== null && id > 4095) this.#err(`VLAN tag ${id} greater than maximum 4095`, col);
    let b0 = _or(
      _or(this.linktype(_ETHERTYPE_8021Q, col), this.linktype(_ETHERTYPE_8021AD, col)),
      this.linktype(_ETHERTYPE_8021QINQ, col),
    );
    if (id !== null) b0 = _and(b0, this.cmp(this.#offLinkpl, BPF_H, id, 0x0fff));
    this.#offLinkpl += 4;
    this.#offLinktype += 4;
    this.#vlanDepth++;
    return b0;
  }

  /** `mpls [label]`. */
  mpls(label: number | null, col: number): _Cond {
    let b0: _Cond;
    if (this.#labelDepth > 0) {
      b0 = _not(this.cmp(this.#nl - 2, BPF_B, 1, 0xffffffff, BPF_JSET));
    } else {
      if (this.#dlt === _DLT_PPP) b0 = this.linktype(_PPP_MPLS_UCAST, col);
      else if (this.#dlt === 1) b0 = this.linktype(_ETHERTYPE_MPLS, col);
      else this.#err(`no MPLS support for ${this.#linkName}`, col);
    }
    if (label !== null) {
      if (label > 0xfffff) this.#err(`MPLS label ${label} greater than maximum 1048575`, col);
      b0 = _and(b0, this.cmp(this.#nl, BPF_W, (label << 12) >>> 0, 0xfffff000));
    }
    this.#offNl += 4;
    this.#labelDepth++;
    return b0;
  }

  /** `pppoed`. */
  pppoed(col: number): _Cond {
    return this.linktype(_ETHERTYPE_PPPOED, col);
  }

  /**
   * `pppoes [session]`: afterwards the payload is PPP, 6 bytes past the
   * PPPoE header. As in libpcap the offsets move even where the link type
   * cannot carry PPPoE (RAW, NULL, IPV4, IPV6: `pppoes` itself is false there).
   */
  pppoes(session: number | null, col: number): _Cond {
    let b0 = this.linktype(_ETHERTYPE_PPPOES, col);
    if (session !== null) {
      if (session > 0xffff) {
        this.#err(`PPPoE session number ${session} greater than maximum 65535`, col);
      }
      b0 = _and(b0, this.cmp(this.#offLinkpl, BPF_W, session, 0xffff));
    }
    this.#offLinktype = this.#nl + 6;
    this.#offLinkhdr = this.#offLinktype;
    this.#offLinkpl = this.#offLinktype + 2;
    this.#offNl = 0;
    this.#dlt = _DLT_PPP;
    this.#linkName = _LINK_NAMES[_DLT_PPP];
    return b0;
  }

  /** `llc`. */
  llc(col: number): _Cond {
    if (this.#dlt !== 1) this.#err(`'llc' not supported for ${this.#linkName}`, col);
    const b0 = _not(this.cmp(this.#offLinktype, BPF_H, _ETHERMTU, 0xffffffff, BPF_JGT));
    const b1 = _not(this.cmp(this.#offLinkpl, BPF_H, 0xffff));
    return _and(b0, b1);
  }

  /** `inbound` / `outbound`. */
  direction(outbound: boolean, col: number): _Cond {
    void col;
    let c: _Cond;
    if (this.#dlt === 113) c = this.cmp(0, BPF_H, 4);
    else if (this.#dlt === 276) c = this.cmp(10, BPF_B, 4);
    else c = this.cmp((SKF_AD_OFF + SKF_AD_PKTTYPE) >>> 0, BPF_H, 4);
    return outbound ? c : _not(c);
  }

  /** `ifindex N`. */
  ifindex(index: number, col: number): _Cond {
    void col;
    if (this.#dlt === 276) return this.cmp(4, BPF_W, index);
    return this.cmp((SKF_AD_OFF + SKF_AD_IFINDEX) >>> 0, BPF_W, index);
  }

  /** `less N` / `greater N`. */
  length(n: number, greater: boolean): _Cond {
    const stmts = [{ code: BPF_LD | BPF_W | BPF_LEN, k: 0 }];
    if (greater) return this.graph.test(stmts, BPF_JMP | BPF_JGE | BPF_K, n);
    return _not(this.graph.test(stmts, BPF_JMP | BPF_JGT | BPF_K, n));
  }

  // ---------------------------------------------------------------- arithmetic

  #allocReg(col: number): number {
    if (this.#regs >= BPF_MEMWORDS) {
      this.#err("too many registers needed to evaluate expression", col);
    }
    const r = this.#regs++;
    if (this.#regs > this.#maxRegs) this.#maxRegs = this.#regs;
    return r;
  }

  #freeReg(): void {
    this.#regs--;
  }

  /** Validates a packet accessor at parse time (size and protocol). */
  checkLoad(proto: string, size: number, col: number): void {
    if (!Object.hasOwn(_SIZES, size)) this.#err("data size must be 1, 2, or 4", col);
    if (proto === "link" || _NETWORK.has(proto) || _TRANSPORT.has(proto) || proto === "icmp6") {
      return;
    }
    this.#err(`unsupported index operation`, col);
  }

  #loadChecks(proto: string, col: number, checks: Map<string, () => _Cond>): void {
    if (proto === "link") return;
    if (_NETWORK.has(proto)) {
      checks.set(`p:${proto}`, () => this.protoAbbrev(proto, col));
    } else if (_TRANSPORT.has(proto)) {
      checks.set(`p:ip`, () => this.linktype(_ETHERTYPE_IP, col));
      checks.set(`t:${proto}`, () => this.cmp(this.#nl + 9, BPF_B, _IP_PROTOS[proto]));
      checks.set(`frag`, () => this.#ipfrag());
    } else if (proto === "icmp6") {
      checks.set(`p:ip6`, () => this.linktype(_ETHERTYPE_IPV6, col));
      checks.set(`t:icmp6`, () => this.cmp(this.#nl + 6, BPF_B, 58));
    }
  }

  #collectChecks(a: _Arith, checks: Map<string, () => _Cond>): void {
    switch (a.kind) {
      case "load":
        this.#collectChecks(a.index, checks);
        this.#loadChecks(a.proto, a.col, checks);
        return;
      case "bin":
        // libpcap's gen_arth keeps only the left operand's protocol checks.
        this.#collectChecks(a.l, checks);
        return;
      case "neg":
        this.#collectChecks(a.e, checks);
    }
  }

  /** Emits code leaving the value of `a` in A. */
  #emit(a: _Arith, out: _Stmt[], col: number): void {
    switch (a.kind) {
      case "const":
        out.push({ code: BPF_LD | BPF_W | BPF_IMM, k: a.value >>> 0 });
        return;
      case "len":
        out.push({ code: BPF_LD | BPF_W | BPF_LEN, k: 0 });
        return;
      case "neg":
        this.#emit(a.e, out, col);
        out.push({ code: BPF_ALU | BPF_NEG, k: 0 });
        return;
      case "bin": {
        const op = _ALU_OPS[a.op];
        if (a.r.kind === "const") {
          this.#emit(a.l, out, col);
          out.push({ code: BPF_ALU | op | BPF_K, k: a.r.value >>> 0 });
          return;
        }
        this.#emit(a.l, out, col);
        const r = this.#allocReg(a.col);
        out.push({ code: BPF_ST, k: r });
        this.#emit(a.r, out, col);
        out.push({ code: BPF_MISC | BPF_TAX, k: 0 });
        out.push({ code: BPF_LD | BPF_W | BPF_MEM, k: r });
        out.push({ code: BPF_ALU | op | BPF_X, k: 0 });
        this.#freeReg();
        return;
      }
      case "load": {
        const size = _SIZES[a.size];
        const transport = _TRANSPORT.has(a.proto);
        const base = a.proto === "link"
          ? this.#offLinkhdr
          : a.proto === "icmp6"
          ? this.#nl + 40
          : this.#nl;
        if (a.index.kind === "const") {
          if (transport) {
            out.push({ code: BPF_LDX | BPF_B | BPF_MSH, k: this.#nl });
            out.push(_userLoad(size, BPF_IND, base + a.index.value));
          } else out.push(_userLoad(size, BPF_ABS, base + a.index.value));
          return;
        }
        this.#emit(a.index, out, col);
        if (transport) {
          out.push({ code: BPF_LDX | BPF_B | BPF_MSH, k: this.#nl });
          out.push({ code: BPF_ALU | BPF_ADD | BPF_X, k: 0 });
        }
        out.push({ code: BPF_MISC | BPF_TAX, k: 0 });
        out.push(_userLoad(size, BPF_IND, base));
        return;
      }
    }
  }

  /** `arth relop arth`. */
  relation(op: string, l: _Arith, r: _Arith, col: number): _Cond {
    if (l.kind === "const" && r.kind === "const") {
      const a = l.value >>> 0, b = r.value >>> 0;
      switch (op) {
        case ">":
          return a > b;
        case ">=":
          return a >= b;
        case "<":
          return a < b;
        case "<=":
          return a <= b;
        case "=":
          return a === b;
        case "!=":
          return a !== b;
      }
    }
    const checks = new Map<string, () => _Cond>();
    this.#collectChecks(l, checks);
    this.#collectChecks(r, checks);
    let guard: _Cond = true;
    for (const make of checks.values()) {
      guard = _and(guard, make());
      if (guard === false) return false;
    }
    const stmts: _Stmt[] = [];
    let cond: _Cond;
    if (
      r.kind === "const" && r.value === 0 && (op === "=" || op === "!=") && l.kind === "bin" &&
      l.op === "&" && l.r.kind === "const" && l.r.value !== 0
    ) {
      // Not for `& 0`: libpcap's optimiser makes that `ld #0`, dropping the load.
      this.#emit(l.l, stmts, col);
      cond = this.graph.test(stmts, BPF_JMP | BPF_JSET | BPF_K, l.r.value);
      return _and(guard, op === "=" ? _not(cond) : cond);
    }
    let src = BPF_K;
    let k = 0;
    if (r.kind === "const") {
      this.#emit(l, stmts, col);
      k = r.value;
    } else {
      this.#emit(l, stmts, col);
      const reg = this.#allocReg(col);
      stmts.push({ code: BPF_ST, k: reg });
      this.#emit(r, stmts, col);
      stmts.push({ code: BPF_MISC | BPF_TAX, k: 0 });
      stmts.push({ code: BPF_LD | BPF_W | BPF_MEM, k: reg });
      this.#freeReg();
      src = BPF_X;
    }
    const jop = op === ">" || op === "<=" ? BPF_JGT : op === ">=" || op === "<" ? BPF_JGE : BPF_JEQ;
    cond = this.graph.test(stmts, BPF_JMP | jop | src, k);
    if (op === "<=" || op === "<" || op === "!=") cond = _not(cond);
    return _and(guard, cond);
  }

  /** `ether proto NAME` / `ip proto NAME` name lookup. */
  protoName(name: string, proto: string, col: number): number {
    if (proto === "link") {
      if (Object.hasOwn(_ETHER_PROTO_NAMES, name)) return _ETHER_PROTO_NAMES[name];
      return this.#err(`unknown ether proto '${name}'`, col);
    }
    if (Object.hasOwn(_PROTO_NAMES, name)) return _PROTO_NAMES[name];
    return this.#err(`unknown ip proto '${name}'`, col);
  }

  /** Closes the condition into a rooted graph: true → `ret snaplen`, false → `ret 0`. */
  finish(cond: _Cond, snaplen: number): _Block {
    const g = this.graph;
    if (cond === true) return g.ret(snaplen);
    if (cond === false) return g.ret(0);
    const accept = g.ret(snaplen);
    const reject = g.ret(0);
    _patch(cond.t, accept);
    _patch(cond.f, reject);
    return cond.head;
  }
}
