import type { Instruction } from "../bpf/instruction.ts";
import { BPF_K, BPF_RET } from "../bpf/opcodes.ts";
import { _CodeGen, _isSupportedLinkType, _readsSavefileByteOrder } from "./_codegen.ts";
import { _linearize } from "./_linearize.ts";
import type { _Block } from "./_cfg.ts";
import { _optimize } from "./_optimizer.ts";
import { _GraphScratch } from "./_optimizer_graph.ts";
import { _parseFilter } from "./_parser.ts";
import { FilterRejectsAllError } from "./filter_rejects_all_error.ts";
import { _memoKey, _ProgramMemo } from "./_program_memo.ts";
import { _ParsedGraphs } from "./_parsed_graphs.ts";

/**
 * Options of {@linkcode compileFilter}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileFilter, type CompileFilterOptions } from "./compile_filter.ts";
 * import { interpret } from "../bpf/interpret.ts";
 * // For an iptables `-m bpf` rule: offset 0 is the IP header, as in LINKTYPE_RAW.
 * const options: CompileFilterOptions = { linkType: 101, snaplen: 1 };
 * const udp = compileFilter("udp", options);
 * const ipv4 = new Uint8Array(28);
 * ipv4.set([0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17]);
 * assert.equal(interpret(udp, ipv4), 1);
 * const unoptimized = compileFilter("udp", { ...options, optimize: false });
 * assert.ok(unoptimized.length > udp.length);
 * ```
 */
export interface CompileFilterOptions {
  /**
   * LINKTYPE_ (or DLT_) value of the packets: 1 EN10MB, 0 NULL, 108 LOOP,
   * 101/12/14 RAW, 228 IPV4, 229 IPV6, 113 LINUX_SLL, 276 LINUX_SLL2.
   * @default {1}
   */
  linkType?: number;
  /**
   * Value returned on a match.
   *
   * @default {262144}
   */
  snaplen?: number;
  /**
   * Run the optimizer.
   *
   * @default {true}
   */
  optimize?: boolean;
  /**
   * Compile as `tcpdump -r` does for a capture file (`pcap_open_offline`)
   * whose header or pcapng section has this byte order: on BSD loopback
   * (NULL, LOOP) `ip6` then tests the IPv6 address families of every BSD
   * (24, 28, 30) and NULL's family word is read in the file's byte order.
   * Undefined: as `pcap_open_dead` (`tcpdump -y TYPE -d`) on a little-endian
   * host, where `ip6` on NULL/LOOP tests Linux's 10. See
   * {@linkcode filterOptionsForInterface} for the whole `tcpdump -r` setting.
   */
  savefileByteOrder?: "little-endian" | "big-endian";
  /**
   * Return `ret #0` for an expression that matches nothing, instead of
   * throwing {@linkcode FilterRejectsAllError} as libpcap does (only the
   * optimizer finds out, so with `optimize: false` it never throws).
   *
   * @default {false}
   */
  allowRejectAll?: boolean;
}

/**
 * Programs compiled lately: the same expression compiled again with the same
 * options (the CLI's check of `--expr`, then the rule set's compile for the
 * capture) is a copy, not a second compile.
 */
const _memo = new _ProgramMemo();

/** The unoptimised compiles' graphs, for the optimised compile of the same expression. */
const _graphs = new _ParsedGraphs();

/** The snaplen when none is given (and the one `_compileUnoptimised` compiles for). */
const _DEFAULT_SNAPLEN = 262144;

/**
 * Compiles a pcap-filter(7) expression (the tcpdump filter language) to a
 * classic BPF program with the meaning libpcap 1.10 gives it for the link
 * type: the program returns `snaplen` for a matching packet and 0 otherwise.
 * Offset 0 is the start of the link-layer header (for RAW, IPV4 and IPV6 the
 * IP header, which is what an iptables `-m bpf` rule sees). The program never
 * jumps backwards (`protochain` is unrolled), so the kernel accepts it.
 *
 * Addresses must be numeric (there is no name resolution); a host name is a
 * {@linkcode FilterSyntaxError} (`unknown host 'name'`), as are syntax errors,
 * qualifiers that do not apply and nesting deeper than 200, each with the
 * column. A program longer than the kernel's 4096 instructions, or an
 * expression of more than 32768 instructions before optimization, is a
 * `RangeError`; an expression that rejects every packet is a
 * {@linkcode FilterRejectsAllError} (unless `allowRejectAll`; as in
 * libpcap, which does not optimize `protochain` programs, never for an
 * expression with `protochain`), as is a snaplen of 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileFilter } from "./compile_filter.ts";
 * const program = compileFilter("tcp port 443 and not net 10.0.0.0/8", { linkType: 1 });
 * assert.equal(program.length, 26);
 * ```
 */
export function compileFilter(
  expression: string,
  options: CompileFilterOptions = {},
): Instruction[] {
  const linkType = options.linkType ?? 1;
  const snaplen = (options.snaplen ?? _DEFAULT_SNAPLEN) >>> 0;
  if (!_isSupportedLinkType(linkType)) {
    throw new RangeError(`Cannot compile filter: link type ${linkType} is not supported`);
  }
  if (snaplen === 0) {
    throw new FilterRejectsAllError(expression, "snaplen of 0 rejects all packets");
  }
  const byteOrder = options.savefileByteOrder;
  const optimize = options.optimize ?? true;
  const allowRejectAll = options.allowRejectAll ?? false;
  const key = _memoKey(
    expression,
    linkType,
    snaplen,
    optimize,
    allowRejectAll,
    _readsSavefileByteOrder(linkType) ? byteOrder : undefined,
  );
  const known = _memo.get(key);
  if (known !== undefined) return known;
  const program = _compile(expression, linkType, snaplen, byteOrder, optimize, allowRejectAll);
  _memo.set(key, program);
  return program;
}

/**
 * `compileFilter(expression, { linkType })` (optimised, the default snaplen,
 * no savefile byte order) without its memo, for callers that keep their own
 * (a rule set's packed programs, by program key): the memo's copy of each
 * program would only be made and thrown away. Throws as `compileFilter` does.
 */
export function _compileOptimised(expression: string, linkType: number): Instruction[] {
  if (!_isSupportedLinkType(linkType)) {
    throw new RangeError(`Cannot compile filter: link type ${linkType} is not supported`);
  }
  return _compile(expression, linkType, _DEFAULT_SNAPLEN, undefined, true, false);
}

/** {@linkcode compileFilter}'s compile, options checked, without the memo. */
function _compile(
  expression: string,
  linkType: number,
  snaplen: number,
  byteOrder: CompileFilterOptions["savefileByteOrder"],
  optimize: boolean,
  allowRejectAll: boolean,
): Instruction[] {
  // The graph `_compileUnoptimised` made of this expression, if it is the one this compile makes.
  const handed = optimize && snaplen === _DEFAULT_SNAPLEN && byteOrder === undefined
    ? _graphs.take(linkType, expression)
    : undefined;
  let root: _Block, hasProtochain: boolean;
  if (handed !== undefined) ({ root, hasProtochain } = handed);
  else {
    const gen = new _CodeGen(
      linkType,
      byteOrder === undefined ? undefined : byteOrder === "little-endian",
    );
    const cond = _parseFilter(expression, gen);
    root = gen.finish(cond, snaplen);
    hasProtochain = gen.hasProtochain;
  }
  if (optimize) {
    const scratch = new _GraphScratch(root);
    const size = scratch.instructions;
    if (size > _MAX_UNOPTIMIZED) {
      throw new RangeError(
        `Cannot compile filter: expression too large (${size} instructions before optimization, at most ${_MAX_UNOPTIMIZED})`,
      );
    }
    root = _optimize(root, scratch);
    const rejectsAll = root.code === (BPF_RET | BPF_K) && root.k === 0;
    if (rejectsAll && !allowRejectAll && !hasProtochain) {
      throw new FilterRejectsAllError(expression);
    }
  }
  return _linearize(root);
}

/**
 * Most instructions the optimizer is given. Its cost grows with the graph
 * (seconds and hundreds of MiB at ~100,000), and a graph this size cannot
 * shrink under the kernel's 4096 unless it repeats itself: `port 1 or … or
 * port 1400` is about this big and gives some 16,000 instructions.
 */
const _MAX_UNOPTIMIZED = 32768;

/**
 * `compileFilter(expression, { linkType, optimize: false })` (the default
 * snaplen, no savefile byte order) without its memo, for callers that keep
 * their own (the rule sets' packed programs, `_unoptimisedPacked`): the
 * memo's copies of thousands of programs would only be thrown away. The
 * graph is kept for `compileFilter(expression, { linkType })`, which a rule
 * set asks for next (see {@linkcode _ParsedGraphs}).
 */
export function _compileUnoptimised(expression: string, linkType: number): Instruction[] {
  if (!_isSupportedLinkType(linkType)) {
    throw new RangeError(`Cannot compile filter: link type ${linkType} is not supported`);
  }
  const gen = new _CodeGen(linkType, undefined);
  const root = gen.finish(_parseFilter(expression, gen), _DEFAULT_SNAPLEN);
  const program = _linearize(root);
  const graph = { root, hasProtochain: gen.hasProtochain, instructions: program.length };
  _graphs.hold(linkType, expression, graph);
  return program;
}
