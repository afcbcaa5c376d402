/**
 * The classify loop both threads of `filter --threads` run over a job in
 * shared memory: claim a chunk of records, classify it, until none is left.
 *
 * @module
 */
import type { CaptureInterface } from "../capture/capture_interface.ts";
import type { CompiledRuleSet } from "../rules/compiled_rule_set.ts";
import { createFrameRef, type FrameRef } from "../rules/frame_ref.ts";
import { _CHUNK, _CURSOR, _FIELDS, _METADATA, type _SharedViews } from "./_classify_protocol.ts";

/** One thread's classifier of shared jobs: its rule set and its frame. */
export class _ChunkClassifier {
  readonly #rules: CompiledRuleSet;
  readonly #views: _SharedViews;
  readonly #frame: FrameRef;
  /** The capture's interfaces known to this thread, by global index. */
  readonly interfaces: CaptureInterface[] = [];
  #lastInterface = -1;

  constructor(rules: CompiledRuleSet, views: _SharedViews) {
    this.#rules = rules;
    this.#views = views;
    this.#frame = createFrameRef({ bytes: views.bytes });
  }

  /** Claims chunks of the job's `count` records until every one is claimed;
   * returns how many records this thread classified. */
  run(count: number): number {
    const control = this.#views.control;
    let done = 0;
    for (;;) {
      const from = Atomics.add(control, _CURSOR, _CHUNK);
      if (from >= count) return done;
      const to = Math.min(count, from + _CHUNK);
      this.#classify(from, to);
      done += to - from;
    }
  }

  /** Classifies records `[from, to)` of the job (metadata records are skipped). */
  #classify(from: number, to: number): void {
    const { table, verdicts } = this.#views;
    const rules = this.#rules;
    const frame = this.#frame;
    const interfaces = this.interfaces;
    let last = this.#lastInterface;
    for (let i = from, at = from * _FIELDS; i < to; i++, at += _FIELDS) {
      const index = table[at + 3];
      if (index === _METADATA) continue;
      if (index !== last) {
        const description = interfaces[index];
        frame.linkType = description.linkType;
        frame.interfaceIndex = index;
        frame.interfaceName = description.name ?? "";
        frame.captureInterface = description;
        last = index;
      }
      frame.start = table[at];
      frame.capturedLength = table[at + 1];
      frame.wireLength = table[at + 2];
      verdicts[i] = rules.classify(frame) ? 1 : 0;
    }
    this.#lastInterface = last;
  }
}
