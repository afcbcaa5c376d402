/**
 * A recursive-descent parser for the pcap-filter grammar (libpcap's
 * grammar.y), generating code as it goes like libpcap does, so that `vlan`,
 * `mpls` and `pppoes` shift the offsets of every primitive that follows and
 * bare addresses inherit the qualifiers of the primitive before them
 * (`host 10.0.0.1 or 10.0.0.2`).
 *
 * `and` and `or` have the same precedence and associate to the left; `not`
 * binds tighter.
 *
 * @module
 */
import { _and, type _Cond, _not, _or } from "./_cfg.ts";
import { type _Arith, _arithBinary, type _CodeGen, type _Qual, _SERVICES } from "./_codegen.ts";
import { type _Token, _tokenize } from "./_lexer.ts";
import { FilterSyntaxError } from "./filter_syntax_error.ts";

const _PNAMES = new Set([
  "link",
  "ip",
  "arp",
  "rarp",
  "sctp",
  "tcp",
  "udp",
  "icmp",
  "igmp",
  "igrp",
  "pim",
  "vrrp",
  "carp",
  "radio",
  "ip6",
  "icmp6",
  "ah",
  "esp",
  "atalk",
  "aarp",
  "decnet",
  "lat",
  "sca",
  "moprc",
  "mopdl",
  "iso",
  "esis",
  "isis",
  "clnp",
  "stp",
  "ipx",
  "netbeui",
]);
const _DQUALS = new Set(["src", "dst", "addr1", "addr2", "addr3", "addr4", "ra", "ta"]);
const _AQUALS = new Set(["host", "net", "port", "portrange", "gateway"]);
const _ARITH_OPS = new Set(["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>"]);
const _RELOPS = new Set([">", ">=", "=", "==", "<", "<=", "!="]);
const _QERR: _Qual = { proto: "undef", dir: "undef", addr: "undef" };
// Binary arithmetic precedence levels, lowest first (as libpcap 1.10 parses them).
const _LEVELS = [["|"], ["^"], ["&"], ["<<", ">>"], ["+", "-"], ["%"], ["*", "/"]];

type _Result = [_Cond, _Qual];

/** Parses `source` and returns the condition built by `gen`. */
export function _parseFilter(source: string, gen: _CodeGen): _Cond {
  const parser = new _Parser(_tokenize(source), gen);
  return parser.program();
}

class _Parser {
  #tokens: _Token[];
  #i = 0;
  #gen: _CodeGen;

  /** For each `(` token: the index after its matching `)` (or of the end). */
  #after: Int32Array;

  constructor(tokens: _Token[], gen: _CodeGen) {
    this.#tokens = tokens;
    this.#gen = gen;
    // One pass, so that looking past a parenthesis is O(1): scanning for the
    // `)` from every `(` was quadratic on hostile nesting.
    this.#after = new Int32Array(tokens.length).fill(tokens.length - 1);
    const open: number[] = [];
    for (let j = 0; j < tokens.length; j++) {
      if (this.#isOp(tokens[j], "(")) open.push(j);
      else if (this.#isOp(tokens[j], ")") && open.length > 0) this.#after[open.pop()!] = j + 1;
    }
  }

  get #tok(): _Token {
    return this.#tokens[this.#i];
  }

  #peek(n: number): _Token {
    return this.#tokens[Math.min(this.#i + n, this.#tokens.length - 1)];
  }

  #col(t: _Token = this.#tok): number {
    return t.pos + 1;
  }

  #syntax(t: _Token = this.#tok): never {
    const what = t.kind === "eof" ? "end of expression" : `'${t.text}'`;
    throw new FilterSyntaxError(`syntax error: unexpected ${what}`, this.#col(t));
  }

  /** Whether `t` is keyword `name` (or `other`). */
  #isKw(t: _Token, name: string, other?: string): boolean {
    return t.kind === "kw" && (t.text === name || (other !== undefined && t.text === other));
  }

  #isOp(t: _Token, op: string): boolean {
    return t.kind === "op" && t.text === op;
  }

  #isAnd(t: _Token): boolean {
    return this.#isKw(t, "and") || this.#isOp(t, "&&");
  }

  #isOr(t: _Token): boolean {
    return this.#isKw(t, "or") || this.#isOp(t, "||");
  }

  #isNot(t: _Token): boolean {
    return this.#isKw(t, "not") || this.#isOp(t, "!");
  }

  #expectOp(op: string): _Token {
    const t = this.#tok;
    if (!this.#isOp(t, op)) this.#syntax(t);
    this.#i++;
    return t;
  }

  #expectNum(): _Token {
    const t = this.#tok;
    if (t.kind !== "num") this.#syntax(t);
    this.#i++;
    return t;
  }

  program(): _Cond {
    if (this.#tok.kind === "eof") return true;
    // (Results indexed, not destructured: an array pattern runs the iterator protocol in cold code.)
    const cond = this.#expr()[0];
    const end: _Token = this.#tok;
    if (end.kind !== "eof") this.#syntax(end);
    return cond;
  }

  #expr(): _Result {
    const first = this.#term();
    let cond = first[0];
    let q = first[1];
    for (;;) {
      const t = this.#tok;
      const isAnd = this.#isAnd(t);
      if (!isAnd && !this.#isOr(t)) return [cond, q];
      this.#i++;
      const next = this.#startsId(this.#i) ? this.#id(q) : this.#term();
      cond = isAnd ? _and(cond, next[0]) : _or(cond, next[0]);
      q = next[1];
    }
  }

  /** Index of the token after the `)` matching the `(` at index `i` (or of the end). */
  #afterParen(i: number): number {
    return this.#after[i];
  }

  #isArithFollow(t: _Token): boolean {
    return t.kind === "op" && (_ARITH_OPS.has(t.text) || _RELOPS.has(t.text));
  }

  /** Whether the tokens at `i` start an `id` (an address that inherits qualifiers). */
  #startsId(i: number): boolean {
    // A loop, not recursion: `host 1.2.3.4 and not not … 1.2.3.5` with
    // thousands of `not` or `(` must not overflow the stack.
    for (;;) {
      const t = this.#tokens[i];
      if (t.kind === "hid" || t.kind === "hid6" || t.kind === "eid" || t.kind === "id") return true;
      if (t.kind === "num") return !this.#isArithFollow(this.#tokens[i + 1]);
      if (this.#isNot(t)) {
        i++;
      } else if (this.#isOp(t, "(")) {
        if (this.#isArithFollow(this.#tokens[this.#afterParen(i)])) return false;
        i++;
      } else {
        return false;
      }
    }
  }

  #depth = 0;

  /** Guards recursion so hostile nesting is an error, not a stack overflow. */
  #enter(): void {
    if (++this.#depth > 200) {
      throw new FilterSyntaxError("expression nested too deeply", this.#col());
    }
  }

  #term(): _Result {
    this.#enter();
    try {
      return this.#term1();
    } finally {
      this.#depth--;
    }
  }

  #term1(): _Result {
    const t = this.#tok;
    if (this.#isNot(t)) {
      this.#i++;
      const inner = this.#term();
      return [_not(inner[0]), inner[1]];
    }
    if (this.#isOp(t, "(")) {
      if (this.#isArithFollow(this.#tokens[this.#afterParen(this.#i)])) return this.#relation();
      this.#i++;
      const r = this.#expr();
      this.#expectOp(")");
      return r;
    }
    if (t.kind === "num" || this.#isKw(t, "len") || this.#isOp(t, "-")) return this.#relation();
    if (t.kind === "kw") {
      const next = this.#peek(1);
      if (_PNAMES.has(t.text)) {
        if (this.#isOp(next, "[")) return this.#relation();
        if (
          next.kind === "kw" &&
          (_DQUALS.has(next.text) || _AQUALS.has(next.text) || next.text === "proto" ||
            next.text === "protochain")
        ) return this.#head();
        if (this.#isKw(next, "broadcast", "multicast")) {
          this.#i += 2;
          const c = next.text === "broadcast"
            ? this.#gen.broadcast(t.text, this.#col(next))
            : this.#gen.multicast(t.text, this.#col(next));
          return [c, _QERR];
        }
        this.#i++;
        return [this.#gen.protoAbbrev(t.text, this.#col(t)), _QERR];
      }
      if (
        _DQUALS.has(t.text) || _AQUALS.has(t.text) || t.text === "proto" || t.text === "protochain"
      ) {
        return this.#head();
      }
      return [this.#other(), _QERR];
    }
    return this.#syntax(t);
  }

  #optionalNum(): number | null {
    if (this.#tok.kind === "num") return this.#expectNum().value;
    return null;
  }

  #other(): _Cond {
    const t = this.#tok;
    const col = this.#col(t);
    this.#i++;
    switch (t.text) {
      case "less":
        return this.#gen.length(this.#expectNum().value, false);
      case "greater":
        return this.#gen.length(this.#expectNum().value, true);
      case "inbound":
        return this.#gen.direction(false, col);
      case "outbound":
        return this.#gen.direction(true, col);
      case "ifindex":
        return this.#gen.ifindex(this.#expectNum().value, col);
      case "vlan":
        return this.#gen.vlan(this.#optionalNum(), col);
      case "mpls":
        return this.#gen.mpls(this.#optionalNum(), col);
      case "pppoed":
        return this.#gen.pppoed(col);
      case "pppoes":
        return this.#gen.pppoes(this.#optionalNum(), col);
      case "llc":
        return this.#gen.llc(col);
      case "broadcast":
        return this.#gen.broadcast("default", col);
      case "multicast":
        return this.#gen.multicast("default", col);
      case "geneve":
        throw new FilterSyntaxError("'geneve' is not supported", col);
    }
    return this.#syntax(t);
  }

  /** `pqual dqual aqual id` and its shorter forms. */
  #head(): _Result {
    const q: _Qual = { proto: "default", dir: "default", addr: "default" };
    let t = this.#tok;
    if (t.kind === "kw" && _PNAMES.has(t.text)) {
      q.proto = t.text;
      this.#i++;
      t = this.#tok;
    }
    if (t.kind === "kw" && _DQUALS.has(t.text)) {
      q.dir = t.text;
      this.#i++;
      const conj = this.#tok;
      const other = this.#peek(1);
      if ((t.text === "src" || t.text === "dst") && (this.#isAnd(conj) || this.#isOr(conj))) {
        if (this.#isKw(other, t.text === "src" ? "dst" : "src")) {
          q.dir = this.#isAnd(conj) ? "and" : "or";
          this.#i += 2;
        }
      }
      t = this.#tok;
    }
    if (t.kind === "kw" && _AQUALS.has(t.text)) {
      q.addr = t.text;
      this.#i++;
    } else if (q.dir === "default" && this.#isKw(t, "proto", "protochain")) {
      q.addr = t.text;
      this.#i++;
    }
    if (!this.#startsIdAfterHead()) this.#syntax();
    return this.#id(q);
  }

  #startsIdAfterHead(): boolean {
    const t = this.#tok;
    if (t.kind === "num") return true;
    return this.#startsId(this.#i);
  }

  /** `id`: an address (or `not id`, or `( pid )`) under the qualifiers `q`. */
  #id(q: _Qual): _Result {
    this.#enter();
    try {
      return this.#id1(q);
    } finally {
      this.#depth--;
    }
  }

  #id1(q: _Qual): _Result {
    const t = this.#tok;
    if (this.#isNot(t)) {
      this.#i++;
      const inner = this.#id(q);
      return [_not(inner[0]), inner[1]];
    }
    if (this.#isOp(t, "(")) {
      this.#i++;
      let c = this.#id(q)[0];
      for (;;) {
        const op = this.#tok;
        const isAnd = this.#isAnd(op);
        if (!isAnd && !this.#isOr(op)) break;
        this.#i++;
        const c2 = this.#id(q)[0];
        c = isAnd ? _and(c, c2) : _or(c, c2);
      }
      this.#expectOp(")");
      return [c, q];
    }
    this.#i++;
    return [this.#address(t, q), q];
  }

  #address(t: _Token, q: _Qual): _Cond {
    const gen = this.#gen;
    const col = this.#col(t);
    const err = (reason: string): never => {
      throw new FilterSyntaxError(reason, col);
    };
    if (q.addr === "undef") {
      throw new FilterSyntaxError("syntax error in filter expression", col);
    }
    switch (t.kind) {
      case "num":
        return this.#ncode(null, t.value, 32, q, col);
      case "hid": {
        const v = (t.bytes![0] << 24 | t.bytes![1] << 16 | t.bytes![2] << 8 | t.bytes![3]) >>> 0;
        if (this.#isOp(this.#tok, "/")) {
          this.#i++;
          const len = this.#expectNum().value;
          if (len > 32) err("mask length must be <= 32");
          const m = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
          if ((v & ~m) >>> 0) err(`non-network bits set in "${t.text}/${len}"`);
          if (q.addr !== "net") err("Mask syntax for networks only");
          return gen.host(v, m, q.proto, q.dir, q.addr, col);
        }
        if (this.#isKw(this.#tok, "mask")) {
          this.#i++;
          const mt = this.#tok;
          if (mt.kind !== "hid") this.#syntax(mt);
          this.#i++;
          const m = (mt.bytes![0] << 24 | mt.bytes![1] << 16 | mt.bytes![2] << 8 | mt.bytes![3]) >>>
            0;
          if ((v & ~m) >>> 0) err(`non-network bits set in "${t.text} mask ${mt.text}"`);
          if (q.addr !== "net") err("Mask syntax for networks only");
          return gen.host(v, m, q.proto, q.dir, q.addr, col);
        }
        return this.#ncode(t.text, v, t.bits!, q, col);
      }
      case "hid6": {
        let len = 128;
        if (this.#isOp(this.#tok, "/")) {
          this.#i++;
          len = this.#expectNum().value;
          if (len > 128) err("mask length must be <= 128");
        }
        const mask: number[] = [];
        for (let i = 0; i < 16; i++) {
          const bits = Math.max(0, Math.min(8, len - i * 8));
          mask.push((0xff00 >> bits) & 0xff);
        }
        for (let i = 0; i < 16; i++) {
          if (t.bytes![i] & ~mask[i]) err(`non-network bits set in "${t.text}/${len}"`);
        }
        if (q.addr === "default" || q.addr === "host") {
          if (len !== 128) err("Mask syntax for networks only");
        } else if (q.addr !== "net") err("invalid qualifier against IPv6 address");
        return gen.host6(t.bytes!, mask, q.proto, q.dir, q.addr, col);
      }
      case "eid":
        if ((q.addr === "host" || q.addr === "default") && q.proto === "link") {
          return gen.ehost(t.bytes!, q.dir, col);
        }
        return err("ethernet address used in non-ether expression");
      case "id":
        return this.#scode(t.text, q, col);
    }
    return this.#syntax(t);
  }

  /** libpcap's gen_ncode: a number or dotted IPv4 address under `q`. */
  #ncode(text: string | null, v: number, vlen: number, q: _Qual, col: number): _Cond {
    const gen = this.#gen;
    const err = (reason: string): never => {
      throw new FilterSyntaxError(reason, col);
    };
    switch (q.addr) {
      case "default":
      case "host":
      case "net": {
        if (q.proto === "link") err("illegal link layer address");
        let mask = 0xffffffff;
        if (text === null && q.addr === "net") {
          while (v && (v & 0xff000000) === 0) {
            v = (v << 8) >>> 0;
            mask = (mask << 8) >>> 0;
          }
        } else if (vlen < 32) {
          mask = (mask << (32 - vlen)) >>> 0;
        }
        return gen.host(v, mask, q.proto, q.dir, q.addr, col);
      }
      case "port":
      case "portrange": {
        const proto = this.#portProto(q, col);
        if (text !== null) err(`illegal port number in '${text}'`);
        if (v > 65535) err(`illegal port number ${v} > 65535`);
        return gen.portrange(v, v, proto, q.dir, col, q.addr === "portrange");
      }
      case "gateway":
        return err("'gateway' requires a name");
      case "proto":
        return gen.proto(v, q.proto, q.dir, col);
      case "protochain":
        return gen.protochain(v, q.proto, col);
    }
    return err("syntax error in filter expression");
  }

  #portProto(q: _Qual, col: number): number {
    switch (q.proto) {
      case "udp":
        return 17;
      case "tcp":
        return 6;
      case "sctp":
        return 132;
      case "default":
        return -1;
    }
    throw new FilterSyntaxError(`illegal qualifier of '${q.addr}'`, col);
  }

  /** A port number or service name; `proto` is the qualifier's protocol (-1 = any). */
  #service(name: string, proto: number, col: number): [number, number] {
    if (/^[0-9]+$/.test(name)) {
      const v = Number(name);
      if (v > 65535) throw new FilterSyntaxError(`illegal port number ${v} > 65535`, col);
      return [v, proto];
    }
    if (!Object.hasOwn(_SERVICES, name)) throw new FilterSyntaxError(`unknown port '${name}'`, col);
    const [port, real] = _SERVICES[name];
    if (proto === -1) return [port, real];
    if (real !== -1 && real !== proto) {
      throw new FilterSyntaxError(`port '${name}' is ${real === 6 ? "tcp" : "udp"}`, col);
    }
    return [port, proto];
  }

  /**
   * A `portrange` name as libpcap's pcap_nametoportrange reads it: `%d-%d`
   * (sscanf: what follows the second number is ignored, `1-2x` is 1-2), else
   * two services either side of the first `-` (`http-90`); the protocol
   * both name, or -1.
   */
  #portRange(name: string, col: number): [number, number, number] {
    const check = (v: number) => {
      if (v < 0) throw new FilterSyntaxError(`illegal port number ${v} < 0`, col);
      if (v > 65535) throw new FilterSyntaxError(`illegal port number ${v} > 65535`, col);
      return v;
    };
    const scanned = /^([0-9]+)-(-?[0-9]+)/.exec(name);
    if (scanned !== null) return [check(Number(scanned[1])), check(Number(scanned[2])), -1];
    const dash = name.indexOf("-");
    if (dash <= 0) throw new FilterSyntaxError(`unknown port in range '${name}'`, col);
    const [lo, p1] = this.#service(name.slice(0, dash), -1, col);
    const [hi, p2] = this.#service(name.slice(dash + 1), -1, col);
    return [lo, hi, p1 === p2 ? p1 : -1];
  }

  /** libpcap's gen_scode: a name under `q` (no resolver: hosts and nets are errors). */
  #scode(name: string, q: _Qual, col: number): _Cond {
    const gen = this.#gen;
    switch (q.addr) {
      case "default":
      case "host":
        if (q.proto === "link") throw new FilterSyntaxError(`unknown ether host '${name}'`, col);
        throw new FilterSyntaxError(`unknown host '${name}'`, col);
      case "net":
        throw new FilterSyntaxError(`unknown network '${name}'`, col);
      case "gateway":
        throw new FilterSyntaxError(`unknown host '${name}'`, col);
      case "port": {
        const [port, proto] = this.#service(name, this.#portProto(q, col), col);
        return gen.portrange(port, port, proto, q.dir, col);
      }
      case "portrange": {
        const proto = this.#portProto(q, col);
        const [lo, hi, real] = this.#portRange(name, col);
        if (proto !== -1 && real !== -1 && real !== proto) {
          const names: Record<number, string> = { 6: "tcp", 17: "udp", 132: "sctp" };
          throw new FilterSyntaxError(`port in range '${name}' is ${names[real]}`, col);
        }
        return gen.portrange(lo, hi, proto !== -1 ? proto : real, q.dir, col, true);
      }
      case "proto":
        return gen.proto(gen.protoName(name, q.proto, col), q.proto, q.dir, col);
      case "protochain":
        return gen.protochain(gen.protoName(name, "ip", col), q.proto, col);
    }
    throw new FilterSyntaxError("syntax error in filter expression", col);
  }

  // ---------------------------------------------------------------- arithmetic

  #relation(): _Result {
    const l = this.#arith(0);
    const t = this.#tok;
    if (t.kind !== "op" || !_RELOPS.has(t.text)) this.#syntax(t);
    this.#i++;
    const r = this.#arith(0);
    const op = t.text === "==" ? "=" : t.text;
    return [this.#gen.relation(op, l, r, this.#col(t)), _QERR];
  }

  #arith(level: number): _Arith {
    if (level === _LEVELS.length) return this.#unary();
    let l = this.#arith(level + 1);
    for (;;) {
      const t = this.#tok;
      if (t.kind !== "op" || !_LEVELS[level].includes(t.text)) return l;
      this.#i++;
      const r = this.#arith(level + 1);
      l = _arithBinary(t.text, l, r, this.#col(t));
    }
  }

  #unary(): _Arith {
    this.#enter();
    try {
      return this.#unary1();
    } finally {
      this.#depth--;
    }
  }

  #unary1(): _Arith {
    const t = this.#tok;
    if (this.#isOp(t, "-")) {
      this.#i++;
      const e = this.#unary();
      if (e.kind === "const") return { kind: "const", value: (-e.value) >>> 0 };
      return { kind: "neg", e };
    }
    return this.#primary();
  }

  #primary(): _Arith {
    const t = this.#tok;
    if (t.kind === "num") {
      this.#i++;
      return { kind: "const", value: t.value };
    }
    if (this.#isKw(t, "len")) {
      this.#i++;
      return { kind: "len" };
    }
    if (this.#isOp(t, "(")) {
      this.#i++;
      const e = this.#arith(0);
      this.#expectOp(")");
      return e;
    }
    if (t.kind === "kw" && _PNAMES.has(t.text) && this.#isOp(this.#peek(1), "[")) {
      this.#i += 2;
      const index = this.#arith(0);
      let size = 1;
      if (this.#isOp(this.#tok, ":")) {
        this.#i++;
        size = this.#expectNum().value;
      }
      this.#expectOp("]");
      this.#gen.checkLoad(t.text, size, this.#col(t));
      return { kind: "load", proto: t.text, index, size, col: this.#col(t) };
    }
    return this.#syntax(t);
  }
}
