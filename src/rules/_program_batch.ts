/**
 * Private: the verdicts of a block's frames for a rule set of one program
 * rule (`--expr`, `--bytecode`), run as one batch: the program's `runBatch`
 * over the decoder's arrays instead of a classifier walk, a rule test and a
 * context per frame. Same verdicts and counters as the walk: it applies only
 * while frames are left undescribed (link base, the program proven not to
 * need what the link header says, no ancillary field read).
 *
 * @module
 */
import type { CompiledProgram } from "../bpf/compile.ts";
import type { PacketBatch } from "../bpf/packet_batch.ts";
import type { RecordBatch } from "../capture/record_batch.ts";
import type { FrameRef } from "./frame_ref.ts";
import type { _PreparedMatch } from "./_match_tests.ts";

/**
 * The batch path of a one-rule set: `run` gives the verdicts of records
 * `[from, to)` of `batch` (all in `batch.bytes`), at `i - from`, non-zero
 * for accepted (metadata entries unread), or `undefined` having done nothing
 * (then the caller classifies them frame by frame). `frame` describes the
 * capture interface of the range's first packet; `oneInterface` says that
 * the capture has no other. The caller routes the range, then reports what
 * it accepted and dropped with `counted` (the rule's and the policy's
 * counters follow from it: the rule's verdict differs from the policy's).
 */
export interface _ProgramBatch {
  /** Whether the rule's match is inverted (`!`): it matches where the program returns 0. */
  readonly invert: boolean;
  /** Whether a frame the rule matches is accepted (else dropped, and the others accepted). */
  readonly ruleAccepts: boolean;
  /**
   * Set where the entry chain has no rules: every frame's verdict, its
   * policy (`true`: accepted). Then `invert` is false and `ruleAccepts` true
   * (the program `ret #policy` is the rule), and `counted` adds to the
   * policy's counters only.
   */
  readonly policy?: boolean;
  run(
    batch: RecordBatch,
    from: number,
    to: number,
    frame: FrameRef,
    oneInterface: boolean,
  ): Uint32Array | Uint8Array | undefined;
  counted(
    acceptedPackets: number,
    acceptedBytes: number,
    droppedPackets: number,
    droppedBytes: number,
  ): void;
}

/** What the batch path reads and counts of the classifier it belongs to. */
export interface _ProgramBatchParts {
  /** The rule's one match (its program). */
  match: _PreparedMatch;
  /** Whether a matching frame is accepted (the rule's target), else dropped. */
  ruleAccepts: boolean;
  /** Whether a frame the rule does not match is accepted (the chain's policy). */
  policyAccepts: boolean;
  /** The rule's counter index and the entry chain's index. */
  counter: number;
  chain: number;
  packets: Float64Array;
  bytes: Float64Array;
  policyPackets: Float64Array;
  policyBytes: Float64Array;
  /** Accepted packets/bytes, dropped packets/bytes. */
  totals: Float64Array;
  /** Whether frames are described now (then the batch path is off). */
  describing(): boolean;
  /** Tells the classifier which frame is current (a program compiled now may ask to describe it). */
  current(frame: FrameRef): void;
  /** Records the deciding counter of the last frame (-1: the policy). */
  decided(counter: number): void;
}

/**
 * The batch path of a one-rule classifier whose rule is one program match,
 * or `undefined` where the match has no program or where a verdict does not
 * tell whether the rule matched (its target is the policy).
 */
export function _makeProgramBatch(parts: _ProgramBatchParts): _ProgramBatch | undefined {
  const programFor = parts.match.programFor;
  if (programFor === undefined || parts.ruleAccepts === parts.policyAccepts) return undefined;
  const { counter, chain, packets, bytes, policyPackets, policyBytes, totals } = parts;
  const ruleAccepts = parts.ruleAccepts;
  // Accepted: (result !== 0) !== invert when the rule accepts, the opposite when it drops.
  const flip = parts.match.invert === ruleAccepts;
  let results = new Uint32Array(1024);
  let flipped = new Uint8Array(1024);
  const packetBatch: PacketBatch = {
    bytes: new Uint8Array(0),
    offsets: new Uint32Array(0),
    capturedLengths: new Uint32Array(0),
    wireLengths: new Uint32Array(0),
  };
  const run = (
    batch: RecordBatch,
    from: number,
    to: number,
    frame: FrameRef,
    oneInterface: boolean,
  ): Uint32Array | Uint8Array | undefined => {
    if (parts.describing()) return undefined;
    const { kind, interfaceIndex } = batch;
    if (!oneInterface) {
      const index = frame.interfaceIndex;
      for (let i = from; i < to; i++) {
        if (kind[i] !== 0 && interfaceIndex[i] !== index) return undefined;
      }
    }
    parts.current(frame);
    const program: CompiledProgram | null = programFor(frame);
    // Compiling it may have switched describing on (before any frame ran).
    if (parts.describing()) return undefined;
    const count = to - from;
    if (results.length < count) {
      results = new Uint32Array(Math.max(count, 2 * results.length));
      flipped = new Uint8Array(results.length);
    }
    let verdicts: Uint32Array | Uint8Array = results;
    if (program === null) {
      // No program for this interface: the rule never matches (even inverted).
      flipped.fill(ruleAccepts ? 0 : 1, 0, count);
      verdicts = flipped;
    } else {
      const runBatch = program.runBatch;
      if (runBatch === undefined) return undefined;
      packetBatch.bytes = batch.bytes;
      packetBatch.offsets = batch.dataStart.subarray(from, to);
      packetBatch.capturedLengths = batch.capturedLength.subarray(from, to);
      packetBatch.wireLengths = batch.wireLength.subarray(from, to);
      packetBatch.count = count;
      runBatch(packetBatch, results);
      if (flip) {
        for (let i = 0; i < count; i++) flipped[i] = results[i] === 0 ? 1 : 0;
        verdicts = flipped;
      }
    }
    // The last packet's deciding rule, as the walk leaves it.
    let last = to - 1;
    while (last >= from && kind[last] === 0) last--;
    if (last >= from) parts.decided((verdicts[last - from] !== 0) === ruleAccepts ? counter : -1);
    return verdicts;
  };
  return {
    invert: parts.match.invert,
    ruleAccepts,
    run,
    counted(acceptedPackets, acceptedBytes, droppedPackets, droppedBytes) {
      _addTotals(totals, acceptedPackets, acceptedBytes, droppedPackets, droppedBytes);
      packets[counter] += ruleAccepts ? acceptedPackets : droppedPackets;
      bytes[counter] += ruleAccepts ? acceptedBytes : droppedBytes;
      policyPackets[chain] += ruleAccepts ? droppedPackets : acceptedPackets;
      policyBytes[chain] += ruleAccepts ? droppedBytes : acceptedBytes;
    },
  };
}

/** What the batch path of an entry chain without rules counts. */
export interface _PolicyBatchParts {
  /** Whether the entry chain's policy accepts. */
  policyAccepts: boolean;
  /** The entry chain's index. */
  chain: number;
  policyPackets: Float64Array;
  policyBytes: Float64Array;
  /** Accepted packets/bytes, dropped packets/bytes. */
  totals: Float64Array;
  /** Records the deciding counter of the last frame (-1: the policy). */
  decided(counter: number): void;
}

/**
 * The batch path of a classifier whose entry chain has no rules: every
 * frame gets the chain's policy, whatever its bytes (no frame is described).
 */
export function _makePolicyBatch(parts: _PolicyBatchParts): _ProgramBatch {
  const { policyAccepts, chain, policyPackets, policyBytes, totals } = parts;
  let verdicts = new Uint8Array(1024);
  const verdict = policyAccepts ? 1 : 0;
  return {
    invert: false,
    ruleAccepts: true,
    policy: policyAccepts,
    run(_batch, from, to) {
      const count = to - from;
      if (verdicts.length < count) verdicts = new Uint8Array(Math.max(count, 2 * verdicts.length));
      verdicts.fill(verdict, 0, count);
      parts.decided(-1);
      return verdicts;
    },
    counted(acceptedPackets, acceptedBytes, droppedPackets, droppedBytes) {
      _addTotals(totals, acceptedPackets, acceptedBytes, droppedPackets, droppedBytes);
      policyPackets[chain] += acceptedPackets + droppedPackets;
      policyBytes[chain] += acceptedBytes + droppedBytes;
    },
  };
}

/** Adds a batch's accepted and dropped packets and bytes to the classifier's totals. */
function _addTotals(
  totals: Float64Array,
  acceptedPackets: number,
  acceptedBytes: number,
  droppedPackets: number,
  droppedBytes: number,
): void {
  totals[0] += acceptedPackets;
  totals[1] += acceptedBytes;
  totals[2] += droppedPackets;
  totals[3] += droppedBytes;
}
