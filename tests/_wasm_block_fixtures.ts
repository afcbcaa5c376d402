/**
 * Frames laid out as the Wasm classifier's batch paths receive them: side by
 * side in one block (as a decoder's input block), and as a decoder's record
 * batch over that block. Shared by the Wasm classifier's differential tests.
 */
import type { FrameRef } from "../src/rules/compile_rule_set.ts";
import type { RecordBatch } from "../src/capture/record_batch.ts";

/** The same frames, their bytes side by side in one block (as a decoder's input block). */
export function _inOneBlock(
  frames: readonly FrameRef[],
): { block: Uint8Array; frames: FrameRef[] } {
  const total = frames.reduce((n, f) => n + f.capturedLength, 0);
  const block = new Uint8Array(total);
  let at = 0;
  const moved = frames.map((f) => {
    block.set(f.bytes.subarray(f.start, f.start + f.capturedLength), at);
    const copy = { ...f, bytes: block, start: at };
    at += f.capturedLength;
    return copy;
  });
  return { block, frames: moved };
}

/**
 * Frames of one block as a decoder's record batch: one capture interface
 * per distinct link type and names (so `-i`/`-o` see each frame's), and a
 * metadata record before every seventh packet (skipped, its verdict unread).
 * Returns the batch, each packet's record index, and the interfaces' frames.
 */
export function _asRecords(block: Uint8Array, frames: readonly FrameRef[]): {
  batch: RecordBatch;
  records: number[];
  interfaceFrames: FrameRef[];
} {
  const keys = new Map<string, number>();
  const interfaceFrames: FrameRef[] = [];
  const count = frames.length + Math.ceil(frames.length / 7);
  const kind = new Uint8Array(count);
  const dataStart = new Uint32Array(count);
  const capturedLength = new Uint32Array(count);
  const wireLength = new Uint32Array(count);
  const interfaceIndex = new Uint32Array(count);
  const records: number[] = [];
  let r = 0;
  frames.forEach((f, i) => {
    if (i % 7 === 0) dataStart[r++] = f.start; // metadata
    const key = [f.linkType, f.interfaceName, f.outInterfaceName, f.interfaceIndex].join("|");
    let index = keys.get(key);
    if (index === undefined) {
      keys.set(key, index = interfaceFrames.length);
      interfaceFrames.push(f);
    }
    kind[r] = 1;
    dataStart[r] = f.start;
    capturedLength[r] = f.capturedLength;
    wireLength[r] = f.wireLength;
    interfaceIndex[r] = index;
    records.push(r++);
  });
  const batch: RecordBatch = {
    bytes: block,
    carry: new Uint8Array(0),
    carried: 0,
    count,
    kind,
    start: dataStart,
    end: dataStart,
    dataStart,
    capturedLength,
    wireLength,
    interfaceIndex,
    error: undefined,
  };
  return { batch, records, interfaceFrames };
}

/**
 * The verdicts (non-zero: accepted) of `frames`, all in `block`, through the
 * Wasm classifier's private batch path: one `begin`, an `add` per frame in
 * order, one `finish`.
 */
export function _batchVerdicts(
  classifier: unknown,
  block: Uint8Array,
  frames: readonly FrameRef[],
): Uint8Array {
  const { _batch } = classifier as {
    _batch: {
      begin(b: Uint8Array, v: Uint8Array): void;
      add(f: FrameRef, i: number): void;
      finish(): void;
    };
  };
  const verdicts = new Uint8Array(frames.length);
  _batch.begin(block, verdicts);
  frames.forEach((f, i) => _batch.add(f, i));
  _batch.finish();
  return verdicts;
}
