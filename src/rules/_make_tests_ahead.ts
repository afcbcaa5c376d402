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
 * call reads; a link-base `--expr` its programs for Ethernet frames of a
 * little-endian capture and of no capture interface), called once on an empty packet (so that the runtime compiles the
 * generated function now, not inside the first frame), and marked as made;
 * then the rule's whole test is put in its place. A link-base `--expr` on
 * other capture interfaces (link type and byte order) is made by a pass of
 * its own, for an interface a stream declares, before its frames.
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
import type { FilterInterface } from "../filter/filter_options_for_interface.ts";
import { createFrameRef, type FrameRef } from "./frame_ref.ts";
import { _madeRuleTest, _markMadeAhead } from "./_lazy_rule_test.ts";
import type { _PreparedMatch } from "./_match_tests.ts";
import { _yieldToEventLoop } from "./_yield_to_event_loop.ts";

/** An empty packet and context: each made program is called once on them. */
const _EMPTY_PACKET = new Uint8Array(0);
const _EMPTY_CONTEXT: PacketContext = Object.freeze({ end: 0, wireLength: 0 });

/**
 * The capture interface link-base programs are made for after a compile:
 * Ethernet, written little-endian (what most captures are); the server makes
 * them for each other interface a stream declares before its frames
 * (src/server/_interfaces_ahead.ts).
 */
const _ETHERNET: FilterInterface = Object.freeze({
  linkType: 1,
  snaplen: 262144,
  littleEndian: true,
});

/**
 * A frame on `captureInterface` that no program reads (for `programFor`);
 * without one, an Ethernet frame of no interface (as a library caller's
 * `createFrameRef` makes it).
 */
function _frameOn(captureInterface: FilterInterface | undefined): FrameRef {
  return createFrameRef({
    bytes: _EMPTY_PACKET,
    capturedLength: 0,
    wireLength: 0,
    linkType: captureInterface?.linkType ?? _ETHERNET.linkType,
    captureInterface,
  });
}

/** The rules of a compiled set, per chain, where it is the JavaScript classifier; else `undefined`. */
export function _compiledRules(
  compiled: CompiledRuleSet,
): readonly (readonly _CompiledRule[])[] | undefined {
  return (compiled as { _chains?: readonly (readonly _CompiledRule[])[] })._chains;
}

/**
 * Makes `match`'s program ahead (see the module), if it holds one: a
 * link-base `--expr` the ones for frames like `frames`; marks it made.
 */
function _makeProgram(match: _PreparedMatch, frames: readonly FrameRef[]): void {
  const programs: (CompiledProgram | null)[] = [];
  if (match.compiledProgram !== undefined) programs.push(match.compiledProgram());
  else if (match.programFor !== undefined) {
    for (const frame of frames) programs.push(match.programFor(frame));
  } else return;
  for (const program of programs) program?.(_EMPTY_PACKET, _EMPTY_CONTEXT);
  _markMadeAhead(match);
}

/**
 * The steps that make every rule's test of `chains` ahead: each call makes
 * one rule's and returns whether rules are left. With `captureInterface`,
 * only the link-base programs for frames on it (the rest is made already).
 */
export function _testMakingSteps(
  chains: readonly (readonly _CompiledRule[])[],
  captureInterface?: FilterInterface,
): () => boolean {
  // Link-base programs: for the interface, else for Ethernet with and without one.
  const frames = captureInterface !== undefined
    ? [_frameOn(captureInterface)]
    : [_frameOn(_ETHERNET), _frameOn(undefined)];
  let chain = 0;
  let rule = 0;
  return () => {
    while (chain < chains.length && rule >= chains[chain].length) {
      chain++;
      rule = 0;
    }
    if (chain === chains.length) return false;
    const compiled = chains[chain][rule++];
    for (const match of compiled.matches) {
      if (captureInterface === undefined || match.compiledProgram === undefined) {
        _makeProgram(match, frames);
      }
    }
    if (captureInterface === undefined) {
      compiled.test = _madeRuleTest(compiled.matches.map((match) => match.build()));
    }
    return true;
  };
}

/** Options of {@linkcode _makeTestsAhead}. */
export interface _MakeTestsAheadOptions {
  /** Longest run of making between two yields to the event loop, ms. */
  sliceMilliseconds: number;
  /** Stops the making: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Only the link-base programs for frames on this capture interface
   * (default: every test, link-base programs for little-endian Ethernet).
   */
  captureInterface?: FilterInterface;
}

/**
 * Makes every rule's test of `compiled` (the JavaScript classifier; others
 * have nothing to make) in slices of about `sliceMilliseconds` that yield to
 * the event loop between them; rejects with the signal's reason when it
 * aborts. Verdicts and counters are those of tests made on first call.
 */
export async function _makeTestsAhead(
  compiled: CompiledRuleSet,
  options: _MakeTestsAheadOptions,
): Promise<void> {
  const chains = _compiledRules(compiled);
  if (chains === undefined) return;
  const step = _testMakingSteps(chains, options.captureInterface);
  for (;;) {
    const end = performance.now() + options.sliceMilliseconds;
    let more = step();
    while (more && performance.now() < end) more = step();
    if (!more) return;
    await _yieldToEventLoop();
    options.signal?.throwIfAborted();
  }
}

/** Whether `compiled` has a link-base `--expr` (programs made per capture interface). */
export function _hasLinkPrograms(compiled: CompiledRuleSet): boolean {
  const chains = _compiledRules(compiled);
  return chains !== undefined &&
    chains.some((rules) =>
      rules.some((rule) =>
        rule.matches.some((m) => m.compiledProgram === undefined && m.programFor !== undefined)
      )
    );
}
