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
 * call reads; a link-base `--expr` its program for Ethernet frames of a
 * little-endian capture, as a router reads them), called once on an
 * Ethernet TCP frame with the classifier's contexts (so that the runtime
 * compiles the generated function, and fills its caches, now rather than
 * inside the first frame), and marked as made; then the rule's whole test is
 * put in its place. A link-base `--expr` on other capture interfaces (link
 * type and byte order) is made by a pass of its own, for an interface a
 * stream declares, before its frames.
 *
 * Bounds: one step makes one rule's matches (at most a few `--expr` of up to
 * 4096 instructions each); a slice runs steps until `sliceMilliseconds` have
 * passed, and at most {@linkcode _MOST_STEPS_PER_SLICE} of them; memory is
 * what the made tests keep, which the first frames would make anyway (per
 * link-base rule, one program per capture link type met, `_linkKey` in ./_match_tests.ts).
 *
 * @module
 */
import type { CompiledProgram } from "../bpf/compile.ts";
import type { PacketContext } from "../bpf/packet_context.ts";
import type { CompiledRuleSet } from "./compiled_rule_set.ts";
import type { _CompiledRule } from "./_classifier.ts";
import type { FilterInterface } from "../filter/filter_options_for_interface.ts";
import { createFrameRef, type FrameRef } from "./frame_ref.ts";
import { FrameContext } from "./frame_context.ts";
import { _madeRuleTest, _markMadeAhead } from "./_lazy_rule_test.ts";
import { _BASE_NETWORK, type _PreparedMatch } from "./_match_tests.ts";
import { _yieldToEventLoop } from "./_yield_to_event_loop.ts";

/** An empty packet (the frames `programFor` is asked with: no program reads them). */
const _EMPTY_PACKET = new Uint8Array(0);

/**
 * What each made program is called once on: an Ethernet IPv4 TCP frame, with
 * the contexts the classifier passes (./frame_context.ts: their shapes, so
 * that the runtime's caches in the program are the ones later calls use).
 */
interface _WarmFrame {
  bytes: Uint8Array;
  network: PacketContext;
  link: PacketContext;
}

/** The frame each made program is called once on (see {@linkcode _WarmFrame}). */
function _warmFrame(): _WarmFrame {
  const bytes = new Uint8Array(74);
  bytes.set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00]);
  bytes.set([0x45, 0, 0, 60, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
  bytes.set([0x80, 0, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff], 34);
  const frame = createFrameRef({ bytes, capturedLength: 74, wireLength: 74, linkType: 1 });
  const contexts = new FrameContext();
  contexts.load(frame);
  return { bytes, network: contexts.network, link: contexts.link };
}

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

/** A frame on `captureInterface` that no program reads (for `programFor`). */
function _frameOn(captureInterface: FilterInterface): FrameRef {
  return createFrameRef({
    bytes: _EMPTY_PACKET,
    capturedLength: 0,
    wireLength: 0,
    linkType: captureInterface.linkType,
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
function _makeProgram(
  match: _PreparedMatch,
  base: number,
  frame: FrameRef,
  warm: _WarmFrame,
): void {
  let program: CompiledProgram | null;
  if (match.compiledProgram !== undefined) program = match.compiledProgram();
  else if (match.programFor !== undefined) program = match.programFor(frame);
  else return;
  program?.(warm.bytes, base === _BASE_NETWORK ? warm.network : warm.link);
  _markMadeAhead(match);
}

/**
 * The steps that make every rule's test of `chains` ahead: each call makes
 * one rule's and returns whether rules are left. With `captureInterface`,
 * only the link-base programs for frames on it (the rest is made already);
 * `onLinkProgram` is called for each link-base match met.
 */
export function _testMakingSteps(
  chains: readonly (readonly _CompiledRule[])[],
  captureInterface?: FilterInterface,
  onLinkProgram?: () => void,
): () => boolean {
  const frame = _frameOn(captureInterface ?? _ETHERNET);
  const warm = _warmFrame();
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
      const link = _isLinkProgram(match);
      if (link) onLinkProgram?.();
      if (captureInterface === undefined || link) {
        _makeProgram(match, compiled.base, frame, warm);
      }
    }
    if (captureInterface === undefined) {
      compiled.test = _madeRuleTest(compiled.matches.map((match) => match.build()));
    }
    return true;
  };
}

/**
 * Most rules made in one slice, for runtimes whose clock stands still while
 * code runs (Cloudflare Workers): 256 rules of small programs take 5–15 ms.
 */
const _MOST_STEPS_PER_SLICE = 256;

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
  let linked = false;
  const step = _testMakingSteps(chains, options.captureInterface, () => linked = true);
  for (;;) {
    const end = performance.now() + options.sliceMilliseconds;
    let more = step();
    let steps = 1;
    while (more && steps++ < _MOST_STEPS_PER_SLICE && performance.now() < end) more = step();
    if (!more) break;
    await _yieldToEventLoop();
    options.signal?.throwIfAborted();
  }
  if (options.captureInterface === undefined) _linked.set(compiled, linked);
}

/** Per compiled set made ahead, whether it has link-base `--expr` programs. */
const _linked = new WeakMap<CompiledRuleSet, boolean>();

/** Whether `match` holds a link-base `--expr` (programs made per capture interface). */
function _isLinkProgram(match: _PreparedMatch): boolean {
  return match.compiledProgram === undefined && match.programFor !== undefined;
}

/**
 * Whether `compiled` has a link-base `--expr` (programs made per capture
 * interface): noted by {@linkcode _makeTestsAhead}, else looked up.
 */
export function _hasLinkPrograms(compiled: CompiledRuleSet): boolean {
  const known = _linked.get(compiled);
  if (known !== undefined) return known;
  const chains = _compiledRules(compiled);
  return chains !== undefined &&
    chains.some((rules) => rules.some((rule) => rule.matches.some(_isLinkProgram)));
}
