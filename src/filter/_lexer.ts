/**
 * The tokenizer of the pcap-filter language, after libpcap's scanner.l:
 * longest match wins, and on a tie numbers and addresses beat names.
 *
 * @module
 */
import { FilterSyntaxError } from "./filter_syntax_error.ts";
import { _dottedLength, _nameLength, _numberLength } from "./_lexer_scan.ts";

/** Kinds of tokens. `kw` tokens carry the canonical keyword in `text`. */
export type _TokenKind =
  | "num" // a number (or a named constant such as tcp-syn)
  | "hid" // dotted IPv4 host/net: 1.2.3.4, 10.1
  | "hid6" // IPv6 address
  | "eid" // MAC address
  | "id" // a name (or a backslash-escaped name)
  | "kw" // a keyword
  | "op" // punctuation / operator
  | "eof";

/** One token; `pos` is the 0-based index in the expression. */
export interface _Token {
  kind: _TokenKind;
  text: string;
  value: number;
  pos: number;
  /** The bytes of an address token (4 for hid, 16 for hid6, 6 for eid). */
  bytes?: number[];
  /** For hid: how many bits the dotted form gave (8, 16, 24, 32). */
  bits?: number;
}

// Keyword spellings → canonical keyword.
const _KEYWORDS: Record<string, string> = {
  dst: "dst",
  src: "src",
  link: "link",
  ether: "link",
  ppp: "link",
  slip: "link",
  fddi: "link",
  tr: "link",
  wlan: "link",
  arp: "arp",
  rarp: "rarp",
  ip: "ip",
  sctp: "sctp",
  tcp: "tcp",
  udp: "udp",
  icmp: "icmp",
  igmp: "igmp",
  igrp: "igrp",
  pim: "pim",
  vrrp: "vrrp",
  carp: "carp",
  radio: "radio",
  ip6: "ip6",
  icmp6: "icmp6",
  ah: "ah",
  esp: "esp",
  atalk: "atalk",
  aarp: "aarp",
  decnet: "decnet",
  lat: "lat",
  sca: "sca",
  moprc: "moprc",
  mopdl: "mopdl",
  iso: "iso",
  esis: "esis",
  "es-is": "esis",
  isis: "isis",
  "is-is": "isis",
  clnp: "clnp",
  stp: "stp",
  ipx: "ipx",
  netbeui: "netbeui",
  host: "host",
  net: "net",
  mask: "mask",
  port: "port",
  portrange: "portrange",
  proto: "proto",
  protochain: "protochain",
  gateway: "gateway",
  less: "less",
  greater: "greater",
  byte: "byte",
  broadcast: "broadcast",
  multicast: "multicast",
  and: "and",
  or: "or",
  not: "not",
  len: "len",
  length: "len",
  inbound: "inbound",
  outbound: "outbound",
  ifindex: "ifindex",
  vlan: "vlan",
  mpls: "mpls",
  pppoed: "pppoed",
  pppoes: "pppoes",
  geneve: "geneve",
  llc: "llc",
  type: "type",
  subtype: "subtype",
  direction: "dir",
  dir: "dir",
  address1: "addr1",
  addr1: "addr1",
  address2: "addr2",
  addr2: "addr2",
  address3: "addr3",
  addr3: "addr3",
  address4: "addr4",
  addr4: "addr4",
  ra: "ra",
  ta: "ta",
  on: "on",
  ifname: "on",
};

// Named constants that the scanner returns as numbers.
const _CONSTANTS: Record<string, number> = {
  icmptype: 0,
  icmpcode: 1,
  "icmp-echoreply": 0,
  "icmp-unreach": 3,
  "icmp-sourcequench": 4,
  "icmp-redirect": 5,
  "icmp-echo": 8,
  "icmp-routeradvert": 9,
  "icmp-routersolicit": 10,
  "icmp-timxceed": 11,
  "icmp-paramprob": 12,
  "icmp-tstamp": 13,
  "icmp-tstampreply": 14,
  "icmp-ireq": 15,
  "icmp-ireqreply": 16,
  "icmp-maskreq": 17,
  "icmp-maskreply": 18,
  icmp6type: 0,
  icmp6code: 1,
  "icmp6-destinationunreach": 1,
  "icmp6-packettoobig": 2,
  "icmp6-timeexceeded": 3,
  "icmp6-parameterproblem": 4,
  "icmp6-echo": 128,
  "icmp6-echoreply": 129,
  "icmp6-multicastlistenerquery": 130,
  "icmp6-multicastlistenerreportv1": 131,
  "icmp6-multicastlistenerdone": 132,
  "icmp6-routersolicit": 133,
  "icmp6-routeradvert": 134,
  "icmp6-neighborsolicit": 135,
  "icmp6-neighboradvert": 136,
  "icmp6-redirect": 137,
  "icmp6-routerrenum": 138,
  "icmp6-nodeinformationquery": 139,
  "icmp6-nodeinformationresponse": 140,
  "icmp6-ineighbordiscoverysolicit": 141,
  "icmp6-ineighbordiscoveryadvert": 142,
  "icmp6-multicastlistenerreportv2": 143,
  "icmp6-homeagentdiscoveryrequest": 144,
  "icmp6-homeagentdiscoveryreply": 145,
  "icmp6-mobileprefixsolicit": 146,
  "icmp6-mobileprefixadvert": 147,
  "icmp6-certpathsolicit": 148,
  "icmp6-certpathadvert": 149,
  "icmp6-multicastrouteradvert": 151,
  "icmp6-multicastroutersolicit": 152,
  "icmp6-multicastrouterterm": 153,
  tcpflags: 13,
  "tcp-fin": 0x01,
  "tcp-syn": 0x02,
  "tcp-rst": 0x04,
  "tcp-push": 0x08,
  "tcp-ack": 0x10,
  "tcp-urg": 0x20,
  "tcp-ece": 0x40,
  "tcp-cwr": 0x80,
};

const _OPERATORS = [
  "&&",
  "||",
  ">=",
  "<=",
  "!=",
  "==",
  "<<",
  ">>",
  "(",
  ")",
  "[",
  "]",
  ":",
  "+",
  "-",
  "*",
  "/",
  "%",
  "&",
  "|",
  "^",
  "=",
  "<",
  ">",
  "!",
];

// Sticky: each matches at `lastIndex` only (the token start), as `^` on the rest would.
const _ESCAPED = /\\[^ !()\n\t]+/y;
const _B = "[0-9A-Fa-f][0-9A-Fa-f]?";
const _MAC = new RegExp(
  `(?:${_B}:${_B}:${_B}:${_B}:${_B}:${_B}|${_B}-${_B}-${_B}-${_B}-${_B}-${_B}` +
    `|${_B}\\.${_B}\\.${_B}\\.${_B}\\.${_B}\\.${_B}` +
    `|[0-9A-Fa-f]{4}\\.[0-9A-Fa-f]{4}\\.[0-9A-Fa-f]{4}|[0-9A-Fa-f]{12})`,
  "y",
);
const _V6 = /[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*/y;

/** The first of {@linkcode _OPERATORS} that `source` has at `i`, if any. */
function _operatorAt(source: string, i: number): string | undefined {
  for (const op of _OPERATORS) if (source.startsWith(op, i)) return op;
  return undefined;
}

/**
 * Whether a token other than an operator may begin with `code`: a letter or
 * a digit (names, numbers, addresses), `:` or `.` (an IPv6 address).
 */
function _mayBeginWord(code: number): boolean {
  return (code >= 48 && code <= 58) || code === 46 || ((code | 0x20) >= 97 && (code | 0x20) <= 122);
}

/** Whether `code` is a hex digit (0-9, A-F, a-f). */
function _isHexDigit(code: number): boolean {
  return (code >= 48 && code <= 57) || ((code | 0x20) >= 97 && (code | 0x20) <= 102);
}

/**
 * What the address patterns need at `i`, checked with a plain scan so that a
 * pattern that cannot match is not run (its first run compiles it, which
 * costs more than a short expression's whole compile): the length of the run
 * of hex digits and `:.-` (a MAC address has at least 11), and whether the
 * run of hex digits and `:.` holds a colon (an IPv6 address has one).
 */
function _addressShape(source: string, i: number): { macRun: number; v6Colon: boolean } {
  let macRun = 0;
  let v6Colon = false;
  let v6 = true;
  for (let j = i; j < source.length; j++) {
    const code = source.charCodeAt(j);
    const hexOrDot = _isHexDigit(code) || code === 46; // .
    if (!hexOrDot && code !== 58 && code !== 45) break; // : -
    macRun++;
    if (code === 45) v6 = false;
    else if (code === 58 && v6) v6Colon = true;
  }
  return { macRun, v6Colon };
}

/** Parses a number token the way libpcap's stoulen does (0x hex, 0 octal). */
function _parseNumber(text: string, pos: number): number {
  let value: number;
  if (/^0[xX]/.test(text)) value = parseInt(text.slice(2), 16);
  else if (text.length > 1 && text[0] === "0") {
    if (!/^[0-7]+$/.test(text)) {
      throw new FilterSyntaxError(`number ${text} contains non-octal digit`, pos + 1);
    }
    value = parseInt(text, 8);
  } else value = parseInt(text, 10);
  if (!(value <= 0xffffffff)) {
    throw new FilterSyntaxError(`number ${text} overflows 32 bits`, pos + 1);
  }
  return value;
}

/**
 * A part of a dotted IPv4 address, as libpcap's `__pcap_atoin` reads it:
 * decimal whatever its leading zeros (`010.1.2.3` is 10.1.2.3, `08.1` is
 * 8.1), and a hex part (`0x1.2`) not a number (NaN: tcpdump says "invalid
 * IPv4 address"), unlike a lone number's `0x` hex and `0` octal.
 */
function _dottedPart(text: string): number {
  return /^[0-9]+$/.test(text) ? parseInt(text, 10) : NaN;
}

/** Parses an IPv6 address text into 16 bytes, or returns null. */
export function _parseIpv6(text: string): number[] | null {
  let head = text;
  let tail4: number[] = [];
  const lastColon = text.lastIndexOf(":");
  if (text.indexOf(".", lastColon) >= 0) {
    const v4 = text.slice(lastColon + 1).split(".");
    if (v4.length !== 4) return null;
    for (const part of v4) {
      if (!/^[0-9]{1,3}$/.test(part) || Number(part) > 255) return null;
      tail4.push(Number(part));
    }
    head = text.slice(0, lastColon + 1);
    if (!head.endsWith("::") && head.endsWith(":")) head = head.slice(0, -1);
    tail4 = [(tail4[0] << 8) | tail4[1], (tail4[2] << 8) | tail4[3]];
  }
  const groups: number[] = [];
  const halves = head.split("::");
  if (halves.length > 2) return null;
  const parseGroups = (s: string): number[] | null => {
    if (s === "") return [];
    const out: number[] = [];
    for (const g of s.split(":")) {
      if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const left = parseGroups(halves[0]);
  if (left === null) return null;
  if (halves.length === 2) {
    const right = parseGroups(halves[1]);
    if (right === null) return null;
    const fill = 8 - left.length - right.length - tail4.length;
    if (fill < 1) return null;
    groups.push(...left, ...new Array(fill).fill(0), ...right, ...tail4);
  } else {
    groups.push(...left, ...tail4);
    if (groups.length !== 8) return null;
  }
  const bytes: number[] = [];
  for (const g of groups) bytes.push(g >> 8, g & 0xff);
  return bytes;
}

/** Splits a filter expression into tokens (ending with an `eof` token). */
export function _tokenize(source: string): _Token[] {
  const tokens: _Token[] = [];
  let i = 0;
  // Each pattern is tried at `i` itself (sticky), not on a copy of the rest.
  const at = (pattern: RegExp): RegExpExecArray | null => {
    pattern.lastIndex = i;
    return pattern.exec(source);
  };
  while (i < source.length) {
    const c = source[i];
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    if (c === "\\") {
      const m = at(_ESCAPED);
      if (m) {
        tokens.push({ kind: "id", text: m[0].slice(1), value: 0, pos: i });
        i += m[0].length;
        continue;
      }
    }
    // A character no address, number or name begins with (every pattern
    // below needs a letter, a digit, `:` or `.` first): an operator or nothing.
    if (!_mayBeginWord(source.charCodeAt(i))) {
      const op = _operatorAt(source, i);
      if (op === undefined) {
        throw new FilterSyntaxError(`syntax error: illegal character '${c}'`, i + 1);
      }
      tokens.push({ kind: "op", text: op, value: 0, pos: i });
      i += op.length;
      continue;
    }
    // Candidates in scanner rule order; the longest wins, the earliest on a tie.
    let best: _Token | null = null;
    let bestLen = 0;
    const offer = (len: number, token: _Token) => {
      if (len > bestLen) {
        best = token;
        bestLen = len;
      }
    };
    const { macRun, v6Colon } = _addressShape(source, i);
    const digit = c >= "0" && c <= "9";
    let m = macRun >= 11 ? at(_MAC) : null;
    if (m) {
      const hex = m[0].replace(/[-:.]/g, (s) => s);
      const parts = /[-:.]/.test(m[0]) && m[0].split(/[-:.]/).length === 6
        ? m[0].split(/[-:.]/).map((p) => parseInt(p, 16))
        : (() => {
          const h = hex.replace(/\./g, "");
          const out: number[] = [];
          for (let j = 0; j < 12; j += 2) out.push(parseInt(h.slice(j, j + 2), 16));
          return out;
        })();
      offer(m[0].length, { kind: "eid", text: m[0], value: 0, pos: i, bytes: parts });
    }
    m = v6Colon ? at(_V6) : null;
    if (m) {
      // Take the longest prefix that parses as an IPv6 address.
      for (let len = m[0].length; len >= 2; len--) {
        const text = m[0].slice(0, len);
        const bytes = _parseIpv6(text);
        if (bytes) {
          offer(len, { kind: "hid6", text, value: 0, pos: i, bytes });
          break;
        }
      }
    }
    // Numbers and names are scanned by hand (./_lexer_scan.ts: the same lengths as scanner.l's patterns).
    const dotted = digit ? _dottedLength(source, i) : 0;
    if (dotted > 0) {
      const text = source.slice(i, i + dotted);
      const parts = text.split(".").map(_dottedPart);
      const bytes: number[] = [];
      let ok = true;
      for (const p of parts) {
        if (!(p <= 255)) ok = false;
        bytes.push(p & 0xff);
      }
      if (ok) {
        const bits = parts.length * 8;
        while (bytes.length < 4) bytes.push(0);
        offer(dotted, { kind: "hid", text, value: 0, pos: i, bytes, bits });
      }
    }
    const number = digit ? _numberLength(source, i) : 0;
    if (number > bestLen) {
      offer(number, { kind: "num", text: source.slice(i, i + number), value: -1, pos: i });
    }
    const name = _nameLength(source, i);
    if (name > bestLen) {
      const text = source.slice(i, i + name);
      if (Object.hasOwn(_KEYWORDS, text)) {
        offer(text.length, { kind: "kw", text: _KEYWORDS[text], value: 0, pos: i });
      } else if (Object.hasOwn(_CONSTANTS, text)) {
        offer(text.length, { kind: "num", text, value: _CONSTANTS[text], pos: i });
      } else offer(text.length, { kind: "id", text, value: 0, pos: i });
    }
    if (best === null) {
      const op = _operatorAt(source, i);
      if (op !== undefined) offer(op.length, { kind: "op", text: op, value: 0, pos: i });
    }
    if (best === null) {
      throw new FilterSyntaxError(`syntax error: illegal character '${c}'`, i + 1);
    }
    const token = best as _Token;
    if (token.kind === "num" && token.value === -1) token.value = _parseNumber(token.text, i);
    tokens.push(token);
    i += bestLen;
  }
  tokens.push({ kind: "eof", text: "", value: 0, pos: source.length });
  return tokens;
}
