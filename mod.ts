/**
 * bpfstream: Linux-exact classic BPF packet filtering on Web Streams.
 *
 * The root export is the common path: parse an iptables-save rule set
 * ({@linkcode parseRuleSet}), compile it ({@linkcode compileRuleSet}) and
 * route a pcap / pcapng byte stream through it ({@linkcode RouterStream});
 * compile a tcpdump expression ({@linkcode compileFilter}) or an iptables
 * `--bytecode` program ({@linkcode parseBytecode}, {@linkcode compile}) on
 * its own. Everything else is in the subpath exports:
 *
 * - `bpfstream/bpf`: the engine (validate, interpret, trace, compileWasm,
 *   assembler, disassembler, the `BPF_*` / `SKF_*` constants);
 * - `bpfstream/filter`: the tcpdump filter-language compiler;
 * - `bpfstream/u32`: the iptables `u32` match;
 * - `bpfstream/capture`: pcap / pcapng decoders, encoder, link types;
 * - `bpfstream/rules`: the rule-set model, its text form, frames and counters;
 * - `bpfstream/stream`: the router;
 * - `bpfstream/server`: the HTTP service (a Hono app) and its stores.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileFilter, compileRuleSet, formatBytecode, parseRuleSet, RouterStream } from "./mod.ts";
 * const ruleSet = parseRuleSet(`*filter
 * :INPUT DROP [0:0]
 * -A INPUT --base link -m bpf --bytecode "${formatBytecode(compileFilter("udp"))}" -j ACCEPT
 * COMMIT
 * `);
 * const router = new RouterStream(compileRuleSet(ruleSet));
 * // A pcap (Ethernet) holding one 42-byte IPv4 UDP frame.
 * const frame = new Uint8Array(42);
 * frame.set([0x08, 0x00, 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17], 12);
 * const capture = new Uint8Array([
 *   0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
 *   0, 0, 0, 0, 0, 0, 0, 0, 42, 0, 0, 0, 42, 0, 0, 0, ...frame,
 * ]);
 * const kept = await new Response(ReadableStream.from([capture]).pipeThrough(router)).bytes();
 * assert.equal(kept.length, capture.length);
 * assert.equal((await router.stats).accepted.packets, 1);
 * ```
 *
 * @module
 */

// Rule sets: parse, compile, route.
export { parseRuleSet, type ParseRuleSetOptions } from "./src/rules/parse_rule_set.ts";
export type {
  AddressMatch,
  BpfMatch,
  Chain,
  CommentMatch,
  InterfaceMatch,
  Match,
  PacketCounter,
  ProtocolMatch,
  Rule,
  RuleBase,
  RuleSet,
  RuleSetCounters,
  U32Match,
} from "./src/rules/rule_set.ts";
export type { FrameRef } from "./src/rules/frame_ref.ts";
export type { FilterInterface } from "./src/filter/filter_options_for_interface.ts";
export {
  type CompiledRuleSet,
  compileRuleSet,
  type CompileRuleSetOptions,
} from "./src/rules/compile_rule_set.ts";
export { RuleSetError } from "./src/rules/rule_set_error.ts";
export { RouterStream, type RouterStreamOptions } from "./src/stream/router_stream.ts";
export type { RouterStats, RouterTotals } from "./src/stream/router_stats.ts";
export type { CaptureDecoderOptions } from "./src/capture/capture_decoder.ts";
export { CaptureFormatError } from "./src/capture/capture_format_error.ts";

// tcpdump expressions.
export { compileFilter, type CompileFilterOptions } from "./src/filter/compile_filter.ts";
export { FilterSyntaxError } from "./src/filter/filter_syntax_error.ts";
export { FilterRejectsAllError } from "./src/filter/filter_rejects_all_error.ts";

// BPF programs: the iptables --bytecode text, and running them.
export type { Instruction, Program } from "./src/bpf/instruction.ts";
export { parseBytecode } from "./src/bpf/parse_bytecode.ts";
export { formatBytecode } from "./src/bpf/format_bytecode.ts";
export { BpfSyntaxError, type BpfValidationCode, BpfValidationError } from "./src/bpf/errors.ts";
export { type WasmBatchOptions, WasmFilter } from "./src/bpf/wasm_filter.ts";
export {
  compile,
  type CompiledProgram,
  type CompileOptions,
  type CompileStrategy,
} from "./src/bpf/compile.ts";
export type { PacketContext } from "./src/bpf/packet_context.ts";
export type { PacketBatch } from "./src/bpf/packet_batch.ts";
