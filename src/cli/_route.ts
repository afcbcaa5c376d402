/**
 * The `filter` pipeline: capture bytes in, every frame classified by a
 * compiled rule set, accepted and dropped records copied out in large blocks.
 *
 * @module
 */
import { CaptureDecoder } from "../capture/capture_decoder.ts";
import type { RecordBatch } from "../capture/record_batch.ts";
import type { CompiledRuleSet, FrameRef } from "../rules/compile_rule_set.ts";
import { DataError } from "./data_error.ts";
import type { _Input } from "./_input.ts";
import type { _BlockWriter } from "./_output.ts";

/** Below this chunk size the input is trickling: write out at once. */
const _SMALL_CHUNK = 256 << 10;

/** What {@linkcode _route} did. */
export interface _RouteResult {
  /** Packets and bytes (captured records, headers included) read. */
  packets: number;
  bytesRead: number;
}

/**
 * Routes every record of `input`: metadata (file header, pcapng section and
 * interface blocks) to both outputs, packets to `accepted` or `dropped` by
 * `rules.classify`. Runs of consecutive records going to the same output are
 * copied with one `set`. Output is written after each input chunk (full 1 MiB
 * blocks; everything when the input arrives in small chunks, so a live
 * capture is not held back), and writes are awaited, so memory is bounded by
 * one chunk. A malformed capture: every record before the bad one is written,
 * then a {@linkcode DataError} naming the input is thrown.
 */
export async function _route(
  input: _Input,
  rules: CompiledRuleSet,
  accepted: _BlockWriter,
  dropped: _BlockWriter | undefined,
  onProgress?: (packets: number, bytes: number) => Promise<void>,
): Promise<_RouteResult> {
  const decoder = new CaptureDecoder();
  const frame: FrameRef = {
    bytes: new Uint8Array(0),
    start: 0,
    capturedLength: 0,
    wireLength: 0,
    linkType: 0,
    interfaceIndex: 0,
    interfaceName: "",
  };
  let packets = 0;
  let linkTypes: number[] = [];
  let names: string[] = [];
  let known = 0;

  const handle = (batch: RecordBatch): void => {
    const interfaces = decoder.interfaces;
    if (interfaces.length !== known) {
      linkTypes = interfaces.map((i) => i.linkType);
      names = interfaces.map((i) => i.name ?? "");
      known = interfaces.length;
    }
    const { kind, start, end, dataStart, capturedLength, wireLength, interfaceIndex } = batch;
    const count = batch.count;
    // The current run: [runFrom, runTo) of runBytes, going to runTo...
    let runBytes = batch.carry;
    let runFrom = 0;
    let runTo = 0;
    let runOut: _BlockWriter | undefined = undefined;
    let runOpen = false;
    for (let i = 0; i < count; i++) {
      const bytes = i < batch.carried ? batch.carry : batch.bytes;
      const s = start[i];
      const e = end[i];
      if (kind[i] !== 1) {
        if (runOpen) {
          runOut?.copy(runBytes, runFrom, runTo);
          runOpen = false;
        }
        accepted.copy(bytes, s, e);
        dropped?.copy(bytes, s, e);
        continue;
      }
      packets++;
      frame.bytes = bytes;
      frame.start = dataStart[i];
      frame.capturedLength = capturedLength[i];
      frame.wireLength = wireLength[i];
      const index = interfaceIndex[i];
      frame.linkType = linkTypes[index];
      frame.interfaceIndex = index;
      frame.interfaceName = names[index];
      const out = rules.classify(frame) ? accepted : dropped;
      if (runOpen && out === runOut && bytes === runBytes && s === runTo) {
        runTo = e;
        continue;
      }
      if (runOpen) runOut?.copy(runBytes, runFrom, runTo);
      runBytes = bytes;
      runFrom = s;
      runTo = e;
      runOut = out;
      runOpen = true;
    }
    if (runOpen) runOut?.copy(runBytes, runFrom, runTo);
  };

  const writeOut = async (all: boolean): Promise<void> => {
    await accepted.flush(all);
    if (dropped) await dropped.flush(all);
  };

  for await (const chunk of input.stream) {
    const batch = decoder.push(chunk);
    handle(batch);
    if (batch.error) {
      await writeOut(true);
      throw DataError.from(input.name, batch.error);
    }
    await writeOut(chunk.length < _SMALL_CHUNK);
    if (onProgress) await onProgress(packets, decoder.bytesRead);
  }
  const last = decoder.finish();
  handle(last);
  await writeOut(true);
  if (last.error) throw DataError.from(input.name, last.error);
  return { packets, bytesRead: decoder.bytesRead };
}
