/**
 * Private: the per-frame walk of a compiled rule set and its counters.
 *
 * Two walks share the chain semantics (first matching rule with a verdict
 * decides; `-j` descends and returns, `-g` goes without return, `RETURN` or
 * the end of a user chain returns, the end of the entry chain applies its
 * policy; every matching rule counts):
 * - indexed: per chain entered, the index gives the rules that can match
 *   (a rule in none is proven not to match), and only those rules' tests
 *   run, in rule order, except for rules listed as matched (an exact
 *   summary whose guards the walk checked all of). Each chain has a runner:
 *   its generated walk (./_classifier_source.ts: index walk and candidate
 *   loop as one generated function per chain), or else the data walk
 *   (./_rule_index.ts' sorted lists, merged here). A runner returns at a
 *   verdict, at its chain's end, or at a jump (resumed after it later): the
 *   chain stack is kept here, so nesting costs no JavaScript stack;
 * - rule by rule: every rule's test runs in order (the reference).
 *
 * @module
 */
import type { FrameRef } from "./frame_ref.ts";
import { _fillLinkContext, FrameContext } from "./frame_context.ts";
import type { PacketCounter, RuleSet, RuleSetCounters } from "./rule_set.ts";
import { type _AncillaryDemand, _fillWindow, type _Frame, type _Test } from "./_frame_state.ts";
import { _BASE_NETWORK } from "./_match_tests.ts";
import { _F_ANCILLARY, type _Field, _readsWindow } from "./_fields.ts";
import { _frameClass, _isVersionByte } from "./_frame_class.ts";
import {
  type _ChainWalk,
  _R_ACCEPT,
  _R_DROP,
  _R_END,
  _R_NEXT,
  type _SourceWalk,
} from "./_classifier_source.ts";
import type { _PreparedMatch } from "./_match_tests.ts";
import type { _Guard } from "./_guards.ts";
import { _makePolicyBatch, _makeProgramBatch, type _ProgramBatch } from "./_program_batch.ts";
import { type _CollectFrame, _newBitCandidates, _takeLeast } from "./_bit_candidates.ts";
import { _newFrameState } from "./_new_frame_state.ts";
import {
  _collectCandidates,
  type _Collected,
  _EMPTY,
  _END,
  type _IndexNode,
  _maxLists,
} from "./_rule_index.ts";

/** No target: the rule only counts. */
export const _T_NONE = 0;
export const _T_ACCEPT = 1;
export const _T_DROP = 2;
export const _T_RETURN = 3;
export const _T_JUMP = 4;
export const _T_GOTO = 5;

/** One rule, ready to run. */
export interface _CompiledRule {
  base: number;
  /** The rule's matches all hold (compiled on first call, then replaced). */
  test: _Test;
  kind: number;
  /** Chain number of a jump or goto. */
  to: number;
  /** Index of its counter. */
  counter: number;
  /** Its matches (the generated walk calls their programs and tests directly). */
  matches: readonly _PreparedMatch[];
  /** The guards of each alternative of its summary that can hold (its index entries). */
  alternatives: (readonly _Guard[])[];
  /**
   * Per match (may be shorter than `matches`): when it is a program match
   * whose summary is exact, the guards of each alternative (the generated
   * walk checks them instead of running the program), else `null`.
   */
  exactPrograms: (readonly (readonly _Guard[])[] | null)[];
  /**
   * Its shape (./_rule_shape.ts), when numbered: rules of one shape have the
   * same base, matches, `alternatives` and `exactPrograms`.
   */
  shape?: number;
}

/** Everything the classifier needs, built by the rule-set builder. */
export interface _ClassifierParts {
  ruleSet: RuleSet;
  entry: number;
  byIp: boolean;
  restoreCounters: boolean;
  /** How the rule set's programs are compiled (`_Settings`: what `compile()` picks when `undefined`). */
  strategy: "closure" | "source" | "interpret" | undefined;
  /** Largest `--bytecode` program. */
  maxInstructions: number;
  /** Per chain, its rules. */
  chains: _CompiledRule[][];
  /** Per chain, its index root; `null` evaluates rule by rule. */
  indexes: (_IndexNode | null)[] | null;
  fields: _Field[];
  anyNetwork: boolean;
  anyLink: boolean;
  /** Whether the programs read ancillary fields (turns true when one compiles). */
  ancillary: _AncillaryDemand;
  /** Whether the programs may read what the link header says (turns true when one compiles). */
  frameDescription: _AncillaryDemand;
  /**
   * Per chain, its index walk as generated source (./_classifier_source.ts),
   * or the reason it is the data-driven walk (absent: no index).
   */
  walks: _SourceWalk[];
}

/** The classifier interface `compileRuleSet` returns. */
export interface _Classifier {
  classify(frame: FrameRef): boolean;
  counters(): RuleSetCounters;
  resetCounters(): void;
  readonly ruleSet: RuleSet;
  readonly chain: string;
  /** Counter index (flat rule position) of the rule that decided the last frame; -1: the policy. */
  readonly decidedBy: number;
  /** Per chain, why its index walk is the data-driven one (absent: generated source or no index). */
  readonly walkFallbacks: readonly (string | undefined)[];
  /** With strategy "wasm": why this is not the Wasm classifier (absent: it is, or not asked). */
  wasmFallback?: string;
  /** A set of one program rule, rule by rule: its blocks' verdicts as one batch. */
  readonly _programBatch?: _ProgramBatch;
  /** Per chain, its rules (./_make_tests_ahead.ts makes their tests before the first frame). */
  readonly _chains?: readonly (readonly _CompiledRule[])[];
}

/** Per chain, the candidate lists of the current frame and the merge cursors. */
interface _ChainRun extends _Collected {
  root: _IndexNode;
  cursors: Int32Array;
  /** Codes up to this one are taken (a jump resumes after it). */
  after: number;
}

/**
 * One chain's part of a walk (generated, or the data-driven one): from its
 * start, or with `resume` after the rule that jumped; returns `_R_END`,
 * `_R_ACCEPT`/`_R_DROP` (the deciding counter in `decided[0]`), or the
 * position of a rule that jumps or goes to another chain (counted).
 */
type _ChainRunner = (size: number, resume: boolean) => number;

/**
 * The next rule code (see ./_rule_index.ts) after `after` in `run`, or
 * `_END` (also past `run.bound`, where the walk has decided). A list with
 * nothing left is dropped from the run (the last one takes its place).
 */
function _nextCandidate(run: _ChainRun, after: number): number {
  let best = _END;
  const lists = run.lists;
  const cursors = run.cursors;
  const bound = run.bound;
  for (let i = 0; i < run.count; i++) {
    const list = lists[i];
    let c = cursors[i];
    while (c < list.length && list[c] <= after) c++;
    if (c === list.length || list[c] > bound) {
      const last = --run.count;
      lists[i] = lists[last];
      cursors[i] = cursors[last];
      i--;
      continue;
    }
    cursors[i] = c;
    if (list[c] < best) best = list[c];
  }
  return best;
}

/** A classifier's counters: per rule (by counter index), per chain policy, and totals. */
export interface _Counters {
  packets: Float64Array;
  bytes: Float64Array;
  policyPackets: Float64Array;
  policyBytes: Float64Array;
  /** Accepted packets/bytes, dropped packets/bytes (frames: their sum). */
  totals: Float64Array;
}

/** Zero counters for the parts, or the rule set's stored ones with `restoreCounters`. */
export function _newCounters(parts: _ClassifierParts): _Counters {
  const { ruleSet, chains } = parts;
  const ruleCount = chains.reduce((n, c) => n + c.length, 0);
  const counters: _Counters = {
    packets: new Float64Array(ruleCount),
    bytes: new Float64Array(ruleCount),
    policyPackets: new Float64Array(ruleSet.chains.length),
    policyBytes: new Float64Array(ruleSet.chains.length),
    totals: new Float64Array(4),
  };
  if (parts.restoreCounters) {
    let index = 0;
    ruleSet.chains.forEach((chain, c) => {
      counters.policyPackets[c] = chain.counters?.packets ?? 0;
      counters.policyBytes[c] = chain.counters?.bytes ?? 0;
      for (const rule of chain.rules) {
        counters.packets[index] = rule.counters?.packets ?? 0;
        counters.bytes[index++] = rule.counters?.bytes ?? 0;
      }
    });
  }
  return counters;
}

/** Sets every counter to zero (`iptables -Z`). */
export function _resetCounters(counters: _Counters): void {
  counters.packets.fill(0);
  counters.bytes.fill(0);
  counters.policyPackets.fill(0);
  counters.policyBytes.fill(0);
  counters.totals.fill(0);
}

function _pair(packets: number, bytes: number): PacketCounter {
  return { packets, bytes };
}

/** A copy of the counters in the public shape, per chain name. */
export function _snapshotCounters(
  counters: _Counters,
  ruleSet: RuleSet,
  chains: _CompiledRule[][],
): RuleSetCounters {
  const { packets, bytes, policyPackets, policyBytes, totals } = counters;
  const result: RuleSetCounters = {
    chains: {},
    frames: _pair(totals[0] + totals[2], totals[1] + totals[3]),
    accepted: _pair(totals[0], totals[1]),
    dropped: _pair(totals[2], totals[3]),
  };
  ruleSet.chains.forEach((chain, c) => {
    result.chains[chain.name] = {
      ...(chain.policy !== null ? { policy: _pair(policyPackets[c], policyBytes[c]) } : {}),
      rules: chains[c].map((rule) => _pair(packets[rule.counter], bytes[rule.counter])),
    };
  });
  return result;
}

/** What both walks share: the chains, the counters, the call stack and the frame state. */
interface _Walk {
  entry: number;
  entryAccepts: boolean;
  chains: _CompiledRule[][];
  counters: _Counters;
  /** Per `-j` level, the chain and rule position to return to. */
  stackChain: Int32Array;
  stackRule: Int32Array;
  state: _Frame;
  /** Counter index of the rule that decided the frame being classified; -1: the policy. */
  decided: number;
}

/** A walk: the verdict of the frame in `walk.state` (1 accept, 0 drop); counts the rules. */
type _WalkFrame = (size: number, isIp: boolean) => number;

/** The runner of a chain without rules. */
function _endRunner(): number {
  return _R_END;
}

/** The data-driven runner of one chain (./_rule_index.ts), as a generated walk's `run`. */
function _dataRunner(
  walk: _Walk,
  root: _IndexNode,
  rules: _CompiledRule[],
  decided: Int32Array,
): _ChainRunner {
  const { state, counters } = walk;
  const most = Math.max(1, _maxLists(root));
  const run: _ChainRun = {
    root,
    lists: new Array(most).fill(_EMPTY),
    cursors: new Int32Array(most),
    count: 0,
    bound: _END,
    after: -1,
  };
  return (size: number, resume: boolean): number => {
    if (!resume) {
      run.count = 0;
      run.bound = _END;
      run.after = -1;
      _collectCandidates(root, state, run);
      const cursors = run.cursors;
      for (let i = 0; i < run.count; i++) cursors[i] = 0;
    }
    const isIp = state.isIp;
    for (;;) {
      const code = run.count === 0 ? _END : _nextCandidate(run, run.after);
      if (code === _END) return _R_END;
      // Past both codes of this rule (matched `2p`, candidate `2p + 1`).
      run.after = code | 1;
      const result = _runCode(rules[code >> 1], code, state, isIp, size, counters, decided);
      if (result !== _R_NEXT) return result;
    }
  };
}

/**
 * Runs the rule of candidate `code` (its test only for a candidate code,
 * `2p + 1`): `_R_NEXT`, or what its chain's runner returns (counted).
 */
function _runCode(
  rule: _CompiledRule,
  code: number,
  state: _Frame,
  isIp: boolean,
  size: number,
  counters: _Counters,
  decided: Int32Array,
): number {
  if (rule.base === _BASE_NETWORK && !isIp) return _R_NEXT;
  if ((code & 1) !== 0 && !rule.test(state)) return _R_NEXT;
  counters.packets[rule.counter]++;
  counters.bytes[rule.counter] += size;
  const kind = rule.kind;
  if (kind === _T_NONE) return _R_NEXT;
  if (kind === _T_ACCEPT || kind === _T_DROP) {
    decided[0] = rule.counter;
    return kind === _T_ACCEPT ? _R_ACCEPT : _R_DROP;
  }
  if (kind === _T_RETURN) return _R_END;
  return code >> 1;
}

/**
 * The runner of a chain whose walk fills a bit set (the key tables of a big
 * chain, ./_key_tables.ts): codes taken in rule order.
 */
function _bitSetRunner(
  walk: _Walk,
  collect: _CollectFrame,
  rules: _CompiledRule[],
  decided: Int32Array,
): _ChainRunner {
  const { state, counters } = walk;
  const bits = _newBitCandidates(rules.length);
  let after = -1;
  return (size: number, resume: boolean): number => {
    if (!resume) {
      collect(state, bits);
      after = -1;
    }
    const isIp = state.isIp;
    for (;;) {
      let code: number;
      do code = _takeLeast(bits); while (code <= after);
      if (code === _END) return _R_END;
      after = code | 1;
      const result = _runCode(rules[code >> 1], code, state, isIp, size, counters, decided);
      if (result !== _R_NEXT) return result;
    }
  };
}

/**
 * The indexed walk: per chain its runner (`walks`: generated, else the data
 * walk over `indexes`); the chain stack is kept here, so nesting costs no
 * JavaScript stack.
 */
function _makeIndexedWalk(
  walk: _Walk,
  indexes: (_IndexNode | null)[],
  walks: readonly _SourceWalk[],
): _WalkFrame {
  const { entry, entryAccepts, chains, stackChain } = walk;
  const { policyPackets, policyBytes } = walk.counters;
  const decided = new Int32Array(1);
  const runners: _ChainRunner[] = indexes.map((root, chain) => {
    // A chain without rules ends at once (the 0-rule set: no walk per frame).
    if (chains[chain].length === 0) return _endRunner;
    const generated = walks[chain];
    if (generated !== undefined && "instantiate" in generated) {
      const instance: _ChainWalk = generated.instantiate({
        state: walk.state,
        packets: walk.counters.packets,
        bytes: walk.counters.bytes,
        decided,
      });
      return instance.run;
    }
    if (generated !== undefined && "collect" in generated) {
      return _bitSetRunner(walk, generated.collect, chains[chain], decided);
    }
    return _dataRunner(walk, root!, chains[chain], decided);
  });

  // The entry chain's runner is called directly (one call site, one target).
  const entryRun = runners[entry];
  return (size: number): number => {
    let chain = entry;
    let sp = 0;
    let r = entryRun(size, false);
    for (;;) {
      if (r >= 0) {
        const rule = chains[chain][r];
        if (rule.kind === _T_JUMP) stackChain[sp++] = chain;
        chain = rule.to;
        r = runners[chain](size, false);
        continue;
      }
      if (r !== _R_END) {
        walk.decided = decided[0];
        return r === _R_ACCEPT ? 1 : 0;
      }
      // End of the chain or RETURN.
      if (sp > 0) {
        chain = stackChain[--sp];
        r = runners[chain](size, true);
        continue;
      }
      policyPackets[entry]++;
      policyBytes[entry] += size;
      return entryAccepts ? 1 : 0;
    }
  };
}

/** The rule-by-rule walk. */
function _makeEachWalk(walk: _Walk): _WalkFrame {
  const { entry, entryAccepts, chains, stackChain, stackRule, state } = walk;
  const { packets, bytes: bytesCounted, policyPackets, policyBytes } = walk.counters;
  return (size: number, isIp: boolean): number => {
    let chain = entry;
    let r = 0;
    let sp = 0;
    for (;;) {
      const rules = chains[chain];
      let jumped = false;
      while (r < rules.length) {
        const rule = rules[r++];
        if (rule.base === _BASE_NETWORK && !isIp) continue;
        if (!rule.test(state)) continue;
        packets[rule.counter]++;
        bytesCounted[rule.counter] += size;
        const kind = rule.kind;
        if (kind === _T_NONE) continue;
        if (kind === _T_ACCEPT || kind === _T_DROP) {
          walk.decided = rule.counter;
          return kind === _T_ACCEPT ? 1 : 0;
        }
        if (kind === _T_RETURN) break;
        if (kind === _T_JUMP) {
          stackChain[sp] = chain;
          stackRule[sp] = r;
          sp++;
        }
        chain = rule.to;
        r = 0;
        jumped = true;
        break;
      }
      if (jumped) continue;
      if (sp > 0) {
        sp--;
        chain = stackChain[sp];
        r = stackRule[sp];
        continue;
      }
      policyPackets[entry]++;
      policyBytes[entry] += size;
      return entryAccepts ? 1 : 0;
    }
  };
}

/** Whether every rule of `ruleSet` is on the link base and tests only programs (`-m bpf`). */
function _runsOnlyPrograms(ruleSet: RuleSet): boolean {
  return ruleSet.chains.every((chain) =>
    chain.rules.every((rule) =>
      rule.base === "link" &&
      rule.matches.every((match) => match.kind === "bpf" || match.kind === "comment")
    )
  );
}

/** Builds the classifier and its counters from the parts. */
export function _makeClassifier(parts: _ClassifierParts): _Classifier {
  const { ruleSet, entry, byIp, chains } = parts;
  const counters = _newCounters(parts);
  const totals = counters.totals;
  const contexts = new FrameContext();
  const state = _newFrameState(contexts);
  const walk: _Walk = {
    entry,
    entryAccepts: ruleSet.chains[entry].policy !== "DROP",
    chains,
    counters,
    stackChain: new Int32Array(ruleSet.chains.length + 1),
    stackRule: new Int32Array(ruleSet.chains.length + 1),
    state,
    decided: -1,
  };
  const { anyNetwork, anyLink } = parts;
  // The contexts the rules need (network only for frames with an IP header);
  // without rules, the link one (cheapest) for the frame's description alone.
  const bases = anyNetwork && anyLink ? undefined : anyNetwork ? "network" : "link";
  const indexes = parts.indexes;
  const indexed = indexes !== null;
  const walkFallbacks = parts.walks.map((w) => "reason" in w ? w.reason : undefined);
  const walkFrame = indexed ? _makeIndexedWalk(walk, indexes, parts.walks) : _makeEachWalk(walk);
  const windowed = parts.fields.filter(_readsWindow);
  const networkFields = windowed.some((f) => f.base === _BASE_NETWORK);
  const linkFields = windowed.some((f) => f.base !== _BASE_NETWORK);
  // The nibble is read only where a guard is on it (then the window is filled).
  const versionByte = parts.fields.some(_isVersionByte);
  // The ancillary fields are filled only once a program (or index field)
  // reads them: from the frame whose program first asked, before it runs.
  const ancillary = parts.ancillary;
  if (parts.fields.some((f) => f.kind === _F_ANCILLARY)) ancillary.needed = true;
  contexts.ancillary = ancillary.needed;
  // Rules that only run link-base programs leave the link header undescribed
  // (no `describeFrame`; the link context from the record alone) until a
  // program that may read what it says compiles
  // (src/rules/_needs_frame_description.ts): bench/RESULTS.md, issue 12.
  const description = parts.frameDescription;
  if (bases !== "link" || indexed || byIp || !_runsOnlyPrograms(ruleSet)) description.needed = true;
  let describe = description.needed || ancillary.needed;
  /** Describes the frame being classified, once something turned out to need it. */
  const describeNow = () => {
    describe = true;
    // A program compiles on first use: inside `classify`, after `load`.
    if (state.frame !== undefined) contexts.load(state.frame, bases);
  };
  description.onDemand = () => {
    if (!describe) describeNow();
  };
  ancillary.onDemand = () => {
    contexts.ancillary = true;
    if (!describe) describeNow();
    else if (state.frame !== undefined) contexts.fillAncillary(state.frame);
  };

  const classify = (frame: FrameRef): boolean => {
    walk.decided = -1;
    const d = state.descriptor;
    state.frame = frame;
    const bytes = frame.bytes;
    state.bytes = bytes;
    if (describe) contexts.load(frame, bases);
    else _fillLinkContext(state.link, frame, -1);
    const isIp = describe && contexts.isIp;
    state.isIp = isIp;
    if (isIp) state.networkStart = frame.start + d.networkOffset;
    const size = byIp && isIp ? d.networkWireLength : frame.wireLength;
    if (indexed) {
      if (isIp && networkFields) _fillWindow(state.networkWindow, bytes, state.network);
      if (linkFields) _fillWindow(state.linkWindow, bytes, state.link);
      state.frameClass = _frameClass(state, versionByte);
    }
    if (walkFrame(size, isIp) === 1) {
      totals[0]++;
      totals[1] += size;
      return true;
    }
    totals[2]++;
    totals[3] += size;
    return false;
  };

  const entryRules = chains[entry];
  const matches = entryRules.length !== 1
    ? []
    : entryRules[0].matches.filter((m) => m.match.kind !== "comment");
  const kind = entryRules.length === 1 ? entryRules[0].kind : _T_NONE;
  // An entry chain without rules: every frame gets its policy, as one batch
  // (not with the interpreter: the reference classifies frame by frame).
  const policyBatch = entryRules.length === 0 && !byIp && parts.strategy !== "interpret"
    ? _makePolicyBatch({
      policyAccepts: walk.entryAccepts,
      chain: entry,
      ...counters,
      decided: (counter) => walk.decided = counter,
    })
    : undefined;
  // (On the network base frames are always described: its `run` declines
  // every range, and its `counted` serves the command line's record walk.)
  const programBatch = policyBatch !== undefined || indexed || byIp || bases === undefined ||
      matches.length !== 1 || (kind !== _T_ACCEPT && kind !== _T_DROP)
    ? policyBatch
    : _makeProgramBatch({
      match: matches[0],
      ruleAccepts: kind === _T_ACCEPT,
      policyAccepts: walk.entryAccepts,
      counter: entryRules[0].counter,
      chain: entry,
      ...counters,
      describing: () => describe,
      current: (frame) => {
        state.frame = frame;
        state.bytes = frame.bytes;
      },
      decided: (counter) => walk.decided = counter,
    });

  return {
    ruleSet,
    chain: ruleSet.chains[entry].name,
    classify,
    resetCounters: () => _resetCounters(counters),
    get decidedBy(): number {
      return walk.decided;
    },
    walkFallbacks,
    _chains: chains,
    counters: () => _snapshotCounters(counters, ruleSet, chains),
    ...(programBatch === undefined ? {} : { _programBatch: programBatch }),
  };
}
