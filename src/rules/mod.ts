/**
 * Rule sets (`bpfstream/rules`): the iptables-style model, its `iptables-save` text form, and the
 * compiled per-frame classifier with counters.
 *
 * A frame is handed to {@linkcode CompiledRuleSet.classify} as a
 * {@linkcode FrameRef} (a view into a buffer, reused for every frame);
 * {@linkcode FrameContext} gives the `PacketContext` a rule's program sees for
 * it, to run programs yourself exactly as the rule engine does.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileRuleSet, createFrameRef, formatRuleSet, parseRuleSet } from "./mod.ts";
 * const ruleSet = parseRuleSet("-A INPUT -p udp -j DROP\n");
 * assert.equal(formatRuleSet(ruleSet).split("\n")[4], "-A INPUT -p udp -j DROP");
 * const frame = createFrameRef({ bytes: new Uint8Array(20), linkType: 101 }); // LINKTYPE_RAW
 * frame.bytes.set([0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17]); // IPv4, UDP
 * frame.capturedLength = frame.wireLength = 20;
 * assert.equal(compileRuleSet(ruleSet).classify(frame), false);
 * ```
 *
 * @module
 */
// The model and its text form.
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
} from "./rule_set.ts";
export { RuleSetError } from "./rule_set_error.ts";
export { parseRuleSet, type ParseRuleSetOptions } from "./parse_rule_set.ts";
export { parseRuleSetAsync, type ParseRuleSetAsyncOptions } from "./parse_rule_set_async.ts";
export { formatRuleSet } from "./format_rule_set.ts";
export { formatProtocol } from "./format_protocol.ts";

// Compiling and classifying frames.
export {
  type CompiledRuleSet,
  compileRuleSet,
  type CompileRuleSetOptions,
} from "./compile_rule_set.ts";
export { compileRuleSetAsync, type CompileRuleSetAsyncOptions } from "./compile_rule_set_async.ts";
export { createFrameRef, type FrameRef } from "./frame_ref.ts";
export { FrameContext } from "./frame_context.ts";
