/**
 * A packet-by-packet walk over a capture stream for the text subcommands
 * (`verdicts`, `trace`), on the allocation-free batch decoder.
 *
 * @module
 */
import { CaptureDecoder } from "../capture/capture_decoder.ts";
import type { CaptureInterface } from "../capture/capture_interface.ts";
import type { RecordBatch } from "../capture/record_batch.ts";
import { DataError } from "./data_error.ts";
import type { _Input } from "./_input.ts";

/**
 * Called for each packet with its bytes (`bytes[start .. start +
 * capturedLength)`, valid only during the call), lengths, link type,
 * interface (index and description) and 1-based packet number. Return true
 * to stop reading.
 */
export type _PacketHandler = (
  bytes: Uint8Array,
  start: number,
  capturedLength: number,
  wireLength: number,
  linkType: number,
  interfaceIndex: number,
  number: number,
  captureInterface: CaptureInterface,
) => boolean | void;

/**
 * Feeds every packet of `input` to `onPacket`, calling `afterChunk` after
 * each input chunk (to write output in blocks). A malformed capture throws a
 * {@linkcode DataError} naming the input after every packet before the bad
 * record has been handled.
 */
export async function _readPackets(
  input: _Input,
  onPacket: _PacketHandler,
  afterChunk?: () => Promise<void>,
): Promise<void> {
  const decoder = new CaptureDecoder();
  let number = 0;
  const handle = (batch: RecordBatch): boolean => {
    const interfaces = decoder.interfaces;
    for (let i = 0; i < batch.count; i++) {
      if (batch.kind[i] !== 1) continue;
      const bytes = i < batch.carried ? batch.carry : batch.bytes;
      const index = batch.interfaceIndex[i];
      number++;
      const stop = onPacket(
        bytes,
        batch.dataStart[i],
        batch.capturedLength[i],
        batch.wireLength[i],
        interfaces[index].linkType,
        index,
        number,
        interfaces[index],
      );
      if (stop) return true;
    }
    if (batch.error) throw DataError.from(input.name, batch.error);
    return false;
  };
  for await (const chunk of input.stream) {
    const stop = handle(decoder.push(chunk));
    if (afterChunk) await afterChunk();
    if (stop) return;
  }
  handle(decoder.finish());
  if (afterChunk) await afterChunk();
}
