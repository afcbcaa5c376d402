/**
 * Compilation of a {@linkcode RuleSet} into a per-frame classifier with
 * counters, for the router's hot path.
 *
 * @module
 */
import type { RuleSet } from "./rule_set.ts";
import type { CompiledRuleSet, CompileRuleSetOptions } from "./compiled_rule_set.ts";
import { _buildRuleSet } from "./_rule_set_builder.ts";
import { _makeWasmClassifier } from "./_classifier_wasm.ts";

export { createFrameRef, type FrameRef } from "./frame_ref.ts";
export type { CompiledRuleSet, CompileRuleSetOptions } from "./compiled_rule_set.ts";

/**
 * Compiles a rule set into a {@linkcode CompiledRuleSet} whose `classify`
 * gives the verdict for one frame and counts it.
 *
 * Per frame, the link header is read once and the two reusable
 * `PacketContext`s every rule shares are filled as `FrameContext`
 * documents: the network base (iptables' xt_bpf view, offset 0 at the
 * IPv4/IPv6 header, the length cut as `ip_rcv` trims `skb->len`) and the link
 * base (the whole frame). Frames without an IPv4/IPv6 header skip
 * network-base rules (they fall through to later rules and the policy).
 *
 * `-s`/`-d` match only packets of their address family, `-p` the IPv4
 * protocol field or the IPv6 upper-layer header (extension headers skipped
 * as `ipv6_find_hdr` does); where the needed header bytes were not captured
 * these matches fail whether inverted or not. `-i`/`-o` compare
 * `FrameRef.interfaceName`/`outInterfaceName`.
 *
 * Evaluation is indexed (unless `evaluation: "rule-by-rule"`): each rule is
 * summarised on its own into a few alternatives of guards, conditions on
 * packet fields that must hold for it to match (a bounded abstract
 * interpretation of its `--bytecode`, `--u32` and `--expr` programs; `-p`,
 * `-s`, `-d`, `-i`, `-o` directly; `!` matches say nothing). The rules of
 * each chain are indexed by the most selective fields (exact values in hash
 * tables, prefixes per mask, ranges as sorted intervals). Per frame, each
 * indexed field is loaded once, the index gives the rules that can match,
 * and only those are tested, in order; the others are proven not to match,
 * so first-match semantics and every counter are exact. Each rule's matches
 * are compiled (closures, generated source or the interpreter, as
 * `strategy` says) the first time the rule is tested.
 *
 * @throws {RuleSetError} For a model that is not valid (unknown jump target,
 * loop, program the checker refuses), naming the chain and rule.
 *
 * @example
 * ```ts
 * import { compileRuleSet } from "./compile_rule_set.ts";
 * import { parseRuleSet } from "./parse_rule_set.ts";
 * import assert from "node:assert/strict";
 * const rules = compileRuleSet(parseRuleSet(`*filter
 * :INPUT ACCEPT [0:0]
 * -A INPUT -p udp -j DROP
 * COMMIT
 * `));
 * const bytes = new Uint8Array(34);
 * bytes.set([0x08, 0x00, 0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17], 12);
 * const frame = { bytes, start: 0, capturedLength: 34, wireLength: 34, linkType: 1, interfaceIndex: 0 };
 * assert.equal(rules.classify(frame), false);
 * assert.deepEqual(rules.counters().chains.INPUT.rules[0], { packets: 1, bytes: 34 });
 * ```
 */
export function compileRuleSet(
  ruleSet: RuleSet,
  options?: CompileRuleSetOptions,
): CompiledRuleSet {
  return _buildRuleSet(ruleSet, options, { make: _makeWasmClassifier, choose: true });
}
