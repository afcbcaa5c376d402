/**
 * Rule sets: the iptables-style model, its `iptables-save` text form, and the
 * compiled per-frame classifier with counters.
 *
 * @module
 */
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
export * from "./rule_set_error.ts";
export { parseRuleSet, type ParseRuleSetOptions } from "./parse_rule_set.ts";
export { parseRuleSetAsync, type ParseRuleSetAsyncOptions } from "./parse_rule_set_async.ts";
export * from "./format_rule_set.ts";
export * from "./compile_rule_set.ts";
export * from "./compile_rule_set_async.ts";
export * from "./frame_context.ts";
export * from "./format_protocol.ts";
