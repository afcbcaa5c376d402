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
 * Fills `verdicts[i - from]` (non-zero: accepted) for the records
 * `[from, to)` of `batch` (all in `batch.bytes`; metadata entries unread) and
 * counts them, or returns `false` having done nothing (then the caller
 * classifies them frame by frame). `frame` describes record `from`'s
 * capture interface.
 */
export type _ProgramBatch = (
  batch: RecordBatch,
  from: number,
  to: number,
  frame: FrameRef,
  verdicts: Uint8Array,
) => boolean;

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
 * or `undefined` where the match has no program.
 */
export function _makeProgramBatch(parts: _ProgramBatchParts): _ProgramBatch | undefined {
  const programFor = parts.match.programFor;
  if (programFor === undefined) return undefined;
  const { counter, chain, packets, bytes, policyPackets, policyBytes, totals } = parts;
  const invert = parts.match.invert;
  const ruleVerdict = parts.ruleAccepts ? 1 : 0;
  const policyVerdict = parts.policyAccepts ? 1 : 0;
  let results = new Uint32Array(1024);
  const packetBatch: PacketBatch = {
    bytes: new Uint8Array(0),
    offsets: new Uint32Array(0),
    capturedLengths: new Uint32Array(0),
    wireLengths: new Uint32Array(0),
  };
  return (batch, from, to, frame, verdicts) => {
    if (parts.describing()) return false;
    const { kind, interfaceIndex } = batch;
    const index = frame.interfaceIndex;
    for (let i = from; i < to; i++) {
      if (kind[i] !== 0 && interfaceIndex[i] !== index) return false;
    }
    parts.current(frame);
    const program: CompiledProgram | null = programFor(frame);
    // Compiling it may have switched describing on (before any frame ran).
    if (parts.describing()) return false;
    const count = to - from;
    // No program for this interface: the test never matches (even inverted).
    if (program !== null) {
      const runBatch = program.runBatch;
      if (runBatch === undefined) return false;
      if (results.length < count) results = new Uint32Array(Math.max(count, 2 * results.length));
      packetBatch.bytes = batch.bytes;
      packetBatch.offsets = batch.dataStart.subarray(from, to);
      packetBatch.capturedLengths = batch.capturedLength.subarray(from, to);
      packetBatch.wireLengths = batch.wireLength.subarray(from, to);
      packetBatch.count = count;
      runBatch(packetBatch, results);
    }
    // Counting, as the walk counts each frame.
    const wire = batch.wireLength;
    let ruleFrames = 0, ruleBytes = 0, policyFrames = 0, policyBytesSum = 0;
    let last = -2;
    for (let i = from; i < to; i++) {
      if (kind[i] === 0) continue;
      const size = wire[i];
      const matched = program !== null && (results[i - from] !== 0) !== invert;
      if (matched) {
        ruleFrames++;
        ruleBytes += size;
        verdicts[i - from] = ruleVerdict;
        last = counter;
      } else {
        policyFrames++;
        policyBytesSum += size;
        verdicts[i - from] = policyVerdict;
        last = -1;
      }
    }
    packets[counter] += ruleFrames;
    bytes[counter] += ruleBytes;
    policyPackets[chain] += policyFrames;
    policyBytes[chain] += policyBytesSum;
    const acceptedFrames = (ruleVerdict ? ruleFrames : 0) + (policyVerdict ? policyFrames : 0);
    const acceptedBytes = (ruleVerdict ? ruleBytes : 0) + (policyVerdict ? policyBytesSum : 0);
    totals[0] += acceptedFrames;
    totals[1] += acceptedBytes;
    totals[2] += ruleFrames + policyFrames - acceptedFrames;
    totals[3] += ruleBytes + policyBytesSum - acceptedBytes;
    if (last !== -2) parts.decided(last);
    return true;
  };
}
