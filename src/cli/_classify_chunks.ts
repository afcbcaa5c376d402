/**
 * The classify loop both threads of `filter --threads` run over a job in
 * shared memory: claim a chunk of records, classify it, until none is left.
 * A rule set with a batch path (the Wasm classifier) classifies each chunk
 * in one call over a copy of the chunk's bytes; another classifies frame by
 * frame where the bytes lie.
 *
 * @module
 */
import type { CaptureInterface } from "../capture/capture_interface.ts";
import type { RecordBatch } from "../capture/record_batch.ts";
import type { CompiledRuleSet } from "../rules/compiled_rule_set.ts";
import type { _WasmRecords } from "../rules/_classifier_wasm.ts";
import { _putCaptureInterface, createFrameRef, type FrameRef } from "../rules/frame_ref.ts";
import { _CHUNK, _CURSOR, _jobSlot, type _SharedViews, _slot } from "./_classify_protocol.ts";

/** A chunk's records as the batch path reads them (positions in the chunk's bytes). */
interface _ChunkBatch {
  bytes: Uint8Array;
  kind: Uint8Array;
  dataStart: Uint32Array;
  capturedLength: Uint32Array;
  wireLength: Uint32Array;
  interfaceIndex: Uint32Array;
}

/**
 * What a thread classifies with: a compiled rule set, or a worker's instance
 * of the main thread's Wasm classifier (its batch path, `_records`).
 */
export type _ChunkRules = Pick<CompiledRuleSet, "classify"> & { _records?: _WasmRecords };

/** One thread's classifier of shared jobs: its rule set and its frame. */
export class _ChunkClassifier {
  readonly #rules: _ChunkRules;
  readonly #views: _SharedViews;
  readonly #frame: FrameRef;
  readonly #records: _WasmRecords | undefined;
  /** The data starts of a chunk, moved to the chunk's first byte. */
  readonly #dataStart = new Uint32Array(_CHUNK);
  /** The capture's interfaces known to this thread, by global index. */
  readonly interfaces: CaptureInterface[] = [];
  #lastInterface = -1;

  constructor(rules: _ChunkRules, views: _SharedViews) {
    this.#rules = rules;
    this.#views = views;
    this.#frame = createFrameRef();
    this.#records = rules._records;
  }

  /** Claims chunks of job `job`'s `count` records until every one is
   * claimed, their bytes in `bytes` (positions `base` on); returns how many
   * records this thread classified. */
  run(job: number, count: number, bytes: Uint8Array, base: number): number {
    const control = this.#views.control;
    const cursor = _slot(job, _CURSOR);
    const slot = _jobSlot(job);
    let done = 0;
    for (;;) {
      const from = Atomics.add(control, cursor, _CHUNK);
      if (from >= count) return done;
      const to = Math.min(count, from + _CHUNK);
      if (!this.#batch(slot, bytes, base, from, to)) this.#classify(slot, bytes, base, from, to);
      done += to - from;
    }
  }

  /** Classifies records `[from, to)` of the job in one call of the batch
   * path: `false` where there is none or it cannot stage them. */
  #batch(slot: number, bytes: Uint8Array, base: number, from: number, to: number): boolean {
    const records = this.#records;
    if (records === undefined) return false;
    const verdicts = this.#views.verdicts[slot];
    const shared = this.#views.records[slot];
    const first = shared.start[from];
    const dataStart = this.#dataStart;
    const n = to - from;
    for (let k = 0; k < n; k++) dataStart[k] = shared.dataStart[from + k] - first;
    const chunk: _ChunkBatch = {
      bytes: bytes.subarray(base + first, base + shared.end[to - 1]),
      kind: shared.kind.subarray(from, to),
      dataStart,
      capturedLength: shared.capturedLength.subarray(from, to),
      wireLength: shared.wireLength.subarray(from, to),
      interfaceIndex: shared.interfaceIndex.subarray(from, to),
    };
    return records.run(
      chunk as unknown as RecordBatch,
      0,
      n,
      verdicts.subarray(from, to),
      this.interfaces.length,
      this.#frameOf,
    );
  }

  /** The frame pointed at capture interface `index`. */
  readonly #frameOf = (index: number): FrameRef => {
    this.#describe(index);
    return this.#frame;
  };

  #describe(index: number): void {
    if (index === this.#lastInterface) return;
    _putCaptureInterface(this.#frame, index, this.interfaces[index], "");
    this.#lastInterface = index;
  }

  /** Classifies records `[from, to)` of the job frame by frame (metadata records are skipped). */
  #classify(slot: number, bytes: Uint8Array, base: number, from: number, to: number): void {
    const records = this.#views.records[slot];
    const verdicts = this.#views.verdicts[slot];
    const { kind, dataStart, capturedLength, wireLength, interfaceIndex } = records;
    const rules = this.#rules;
    const frame = this.#frame;
    frame.bytes = bytes;
    for (let i = from; i < to; i++) {
      if (kind[i] === 0) continue;
      this.#describe(interfaceIndex[i]);
      frame.start = base + dataStart[i];
      frame.capturedLength = capturedLength[i];
      frame.wireLength = wireLength[i];
      verdicts[i] = rules.classify(frame) ? 1 : 0;
    }
  }
}
