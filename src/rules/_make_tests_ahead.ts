/**
 * Private: making a compiled rule set's tests before its first frame, in
 * slices that yield to the event loop (the HTTP server does this after each
 * compile, so that no frame meets thousands of tests never made).
 *
 * A rule's tests are otherwise made on their first call, inside a frame's
 * classification, within the making budget (./_test_making_budget.ts), the
 * reference interpreter answering beyond it. One frame that reaches 10,000
 * rules never tested then costs about 10,000 interpreted programs on cold
 * code: about 100 ms of the server's event loop (bench/RESULTS.md, issue 11,
 * session 11). Made ahead, that frame runs 10,000 made tests.
 *
 * Per rule (one step): each match's program is compiled (the memo every later
 * call reads; a link-base `--expr` its Ethernet program, as a pcap capture of
 * link type 1 reads it), called once on an empty packet (so that the
 * runtime compiles the generated function now, not inside the first frame),
 * and marked as made; then the rule's whole test is put in its place. What
 * only a frame can tell stays made on first use within the budget: a
 * link-base program for another link type or a pcapng interface.
 *
 * Bounds: one step makes one rule's matches (at most a few `--expr` of up to
 * 4096 instructions each); a slice runs steps until `sliceMilliseconds` have
 * passed; memory is what the made tests keep, which the first frames would
 * make anyway.
 *
 * @module
 */
import type { CompiledProgram } from "../bpf/compile.ts";
import type { PacketContext } from "../bpf/packet_context.ts";
import type { CompiledRuleSet } from "./compiled_rule_set.ts";
import type { _CompiledRule } from "./_classifier.ts";
import { createFrameRef, type FrameRef } from "./frame_ref.ts";
import { _madeRuleTest, _markMadeAhead } from "./_lazy_rule_test.ts";
import type { _PreparedMatch } from "./_match_tests.ts";
import { _yieldToEventLoop } from "./_yield_to_event_loop.ts";

/** The link type whose program a link-base `--expr` is made for ahead (Ethernet). */
const _LINKTYPE_EN10MB = 1;

/** An empty packet and context: each made program is called once on them. */
const _EMPTY_PACKET = new Uint8Array(0);
const _EMPTY_CONTEXT: PacketContext = Object.freeze({ end: 0, wireLength: 0 });

/** A pcap frame of link type 1 that no program reads (for `programFor`). */
function _ethernetFrame(): FrameRef {
  return createFrameRef({
    bytes: _EMPTY_PACKET,
    capturedLength: 0,
    wireLength: 0,
    linkType: _LINKTYPE_EN10MB,
  });
}

/** The rules of a compiled set, per chain, where it is the JavaScript classifier; else `undefined`. */
export function _compiledRules(
  compiled: CompiledRuleSet,
): readonly (readonly _CompiledRule[])[] | undefined {
  return (compiled as { _chains?: readonly (readonly _CompiledRule[])[] })._chains;
}

/** Makes `match`'s program ahead (see the module), if it holds one; marks it made. */
function _makeProgram(match: _PreparedMatch, ethernet: FrameRef): void {
  let program: CompiledProgram | null | undefined;
  if (match.compiledProgram !== undefined) program = match.compiledProgram();
  else if (match.programFor !== undefined) program = match.programFor(ethernet);
  else return;
  if (program !== null) program(_EMPTY_PACKET, _EMPTY_CONTEXT);
  _markMadeAhead(match);
}

/**
 * The steps that make every rule's test of `chains` ahead: each call makes
 * one rule's and returns whether rules are left.
 */
export function _testMakingSteps(chains: readonly (readonly _CompiledRule[])[]): () => boolean {
  const ethernet = _ethernetFrame();
  let chain = 0;
  let rule = 0;
  return () => {
    while (chain < chains.length && rule >= chains[chain].length) {
      chain++;
      rule = 0;
    }
    if (chain === chains.length) return false;
    const compiled = chains[chain][rule++];
    for (const match of compiled.matches) _makeProgram(match, ethernet);
    compiled.test = _madeRuleTest(compiled.matches.map((match) => match.build()));
    return true;
  };
}

/**
 * Makes every rule's test of `compiled` (the JavaScript classifier; others
 * have nothing to make) in slices of about `sliceMilliseconds` that yield to
 * the event loop between them; rejects with the signal's reason when it
 * aborts. Verdicts and counters are those of tests made on first call.
 */
export async function _makeTestsAhead(
  compiled: CompiledRuleSet,
  options: { sliceMilliseconds: number; signal?: AbortSignal },
): Promise<void> {
  const chains = _compiledRules(compiled);
  if (chains === undefined) return;
  const step = _testMakingSteps(chains);
  for (;;) {
    const end = performance.now() + options.sliceMilliseconds;
    let more = step();
    while (more && performance.now() < end) more = step();
    if (!more) return;
    await _yieldToEventLoop();
    options.signal?.throwIfAborted();
  }
}
