import assert from "node:assert/strict";
import { CaptureDecoder, type CaptureDecoderOptions } from "./capture_decoder.ts";
import { CaptureFormatError } from "./capture_format_error.ts";
import type { RecordBatch } from "./record_batch.ts";
import {
  block,
  bytes,
  concat,
  epb,
  idb,
  option,
  pcapHeader,
  pcapRecord,
  shb,
  spb,
} from "./_test_captures.ts";

interface Decoded {
  packets: { data: Uint8Array; cap: number; wire: number; iface: number }[];
  metadata: number;
  error?: CaptureFormatError;
  decoder: CaptureDecoder;
}

/** Decodes `input` in pieces of `size` bytes (default: whole). */
function decode(
  input: Uint8Array,
  size = input.length || 1,
  options?: CaptureDecoderOptions,
): Decoded {
  const decoder = new CaptureDecoder(options);
  const out: Decoded = { packets: [], metadata: 0, decoder };
  const take = (batch: RecordBatch) => {
    for (let i = 0; i < batch.count; i++) {
      if (batch.kind[i] === 0) {
        out.metadata++;
        continue;
      }
      const src = i < batch.carried ? batch.carry : batch.bytes;
      out.packets.push({
        data: src.slice(batch.dataStart[i], batch.dataStart[i] + batch.capturedLength[i]),
        cap: batch.capturedLength[i],
        wire: batch.wireLength[i],
        iface: batch.interfaceIndex[i],
      });
    }
    return batch.error;
  };
  for (let at = 0; at < input.length; at += size) {
    const error = take(decoder.push(input.subarray(at, at + size)));
    if (error) {
      out.error = error;
      return out;
    }
  }
  out.error = take(decoder.finish());
  return out;
}

function decodeAllSizes(input: Uint8Array, options?: CaptureDecoderOptions): Decoded {
  const whole = decode(input, input.length || 1, options);
  for (const size of [1, 2, 3, 5, 7, 13, 64]) {
    const split = decode(input, size, options);
    assert.deepEqual(split.packets, whole.packets, `chunks of ${size}`);
    assert.equal(split.metadata, whole.metadata);
    assert.equal(split.error?.message, whole.error?.message, `chunks of ${size}`);
    assert.equal(split.error?.byteOffset, whole.error?.byteOffset);
  }
  return whole;
}

Deno.test("CaptureDecoder reads pcap in both byte orders with microsecond and nanosecond magic", () => {
  for (const little of [true, false]) {
    for (const magic of [0xa1b2c3d4, 0xa1b23c4d]) {
      const input = concat(
        pcapHeader({ little, magic, linkType: 113 }),
        pcapRecord(bytes(20), { little, wire: 60 }),
        pcapRecord(bytes(3, 7), { little }),
      );
      const { packets, metadata, error, decoder } = decodeAllSizes(input);
      assert.equal(error, undefined);
      assert.equal(decoder.format, "pcap");
      assert.equal(metadata, 1);
      assert.deepEqual(packets, [
        { data: bytes(20), cap: 20, wire: 60, iface: 0 },
        { data: bytes(3, 7), cap: 3, wire: 3, iface: 0 },
      ]);
      assert.equal(decoder.interfaces.length, 1);
      assert.equal(decoder.interfaces[0].linkType, 113);
      assert.equal(decoder.interfaces[0].littleEndian, little);
      assert.equal(decoder.interfaces[0].timestampResolution, magic === 0xa1b2c3d4 ? 1e6 : 1e9);
      assert.deepEqual(decoder.interfaces[0].block, input.subarray(0, 24));
    }
  }
});

Deno.test("CaptureDecoder reads the modified (Kuznetzov) pcap format's longer record headers", () => {
  const record = concat(pcapRecord(bytes(4)).subarray(0, 16), new Uint8Array(8), bytes(4));
  const { packets, error } = decodeAllSizes(concat(pcapHeader({ magic: 0xa1b2cd34 }), record));
  assert.equal(error, undefined);
  assert.deepEqual(packets.map((p) => p.data), [bytes(4)]);
});

Deno.test("CaptureDecoder clamps a pcap caplen above the snaplen but skips the whole record", () => {
  const input = concat(
    pcapHeader({ snaplen: 10 }),
    pcapRecord(bytes(14), { wire: 100 }),
    pcapRecord(bytes(4, 50)),
  );
  const { packets, error } = decodeAllSizes(input);
  assert.equal(error, undefined);
  assert.deepEqual(packets, [
    { data: bytes(10), cap: 10, wire: 100, iface: 0 },
    { data: bytes(4, 50), cap: 4, wire: 4, iface: 0 },
  ]);
});

Deno.test("CaptureDecoder reads pcapng EPB, SPB and obsolete PB across sections of different byte order", () => {
  const input = concat(
    shb(),
    idb({
      linkType: 1,
      snaplen: 0,
      options: concat(option(2, new TextEncoder().encode("eth0")), option(0, new Uint8Array(0))),
    }),
    idb({ linkType: 113, snaplen: 8 }),
    epb(bytes(5), { interfaceId: 1, wire: 90, caplen: 5 }),
    block(0x0bad, bytes(7)), // custom block: metadata
    spb(bytes(12), { wire: 12 }),
    shb({ little: false }),
    idb({ little: false, linkType: 101, snaplen: 6 }),
    spb(bytes(12), { little: false, wire: 40 }), // cap = min(40, snaplen 6, room 12)
    epb(bytes(6, 1), { little: false, type: 2, wire: 6 }),
    block(5, bytes(8), { little: false }), // ISB
  );
  const { packets, metadata, error, decoder } = decodeAllSizes(input);
  assert.equal(error, undefined);
  assert.equal(decoder.format, "pcapng");
  assert.equal(metadata, 7);
  assert.deepEqual(packets, [
    { data: bytes(5), cap: 5, wire: 90, iface: 1 },
    { data: bytes(12), cap: 12, wire: 12, iface: 0 },
    { data: bytes(6), cap: 6, wire: 40, iface: 2 },
    { data: bytes(6, 1), cap: 6, wire: 6, iface: 2 },
  ]);
  assert.deepEqual(
    decoder.interfaces.map((
      i,
    ) => [i.index, i.localIndex, i.section, i.linkType, i.littleEndian, i.name]),
    [[0, 0, 0, 1, true, "eth0"], [1, 1, 0, 113, true, undefined], [2, 0, 1, 101, false, undefined]],
  );
});

Deno.test("CaptureDecoder reads if_tsresol and if_tsoffset", () => {
  const input = concat(
    shb(),
    idb({
      options: concat(
        option(9, Uint8Array.of(0x80 | 20)),
        option(
          14,
          new Uint8Array(8).fill(0).map((_, i) => i === 0 ? 5 : 0),
        ),
      ),
    }),
    idb({ options: option(9, Uint8Array.of(3)) }),
  );
  const { error, decoder } = decode(input);
  assert.equal(error, undefined);
  assert.equal(decoder.interfaces[0].timestampResolution, 2 ** 20);
  assert.equal(decoder.interfaces[0].timestampOffset, 5);
  assert.equal(decoder.interfaces[1].timestampResolution, 1000);
});

/** Asserts that `input` fails with a CaptureFormatError at `offset`, after `packets` packets. */
function assertFails(
  input: Uint8Array,
  offset: number,
  packets: number,
  pattern: RegExp,
  options?: CaptureDecoderOptions,
): void {
  const result = decodeAllSizes(input, options);
  assert.ok(result.error instanceof CaptureFormatError, "expected a CaptureFormatError");
  assert.ok(result.error instanceof SyntaxError);
  assert.match(result.error.message, pattern);
  assert.match(result.error.message, /^Cannot decode .* at byte offset \d+/);
  assert.equal(result.error.byteOffset, offset);
  assert.equal(result.packets.length, packets);
  assert.equal(result.error.packetIndex, packets);
}

Deno.test("CaptureDecoder rejects a bad magic number", () => {
  assertFails(bytes(40), 0, 0, /bad magic number 0x00010203/);
});

Deno.test("CaptureDecoder rejects empty input and input cut inside a record, after the complete frames", () => {
  assertFails(new Uint8Array(0), 0, 0, /input is empty/);
  const input = concat(pcapHeader(), pcapRecord(bytes(10)), pcapRecord(bytes(10)));
  assertFails(
    input.subarray(0, input.length - 1),
    50,
    1,
    /ends inside record 2 .*\(25 of 26 bytes present\)/,
  );
  assertFails(
    input.subarray(0, 10),
    0,
    0,
    /ends inside the capture file header \(10 of 24 bytes present\)/,
  );
  const ng = concat(shb(), idb(), epb(bytes(10)));
  assertFails(ng.subarray(0, ng.length - 3), 48, 0, /ends inside record 2/);
});

Deno.test("CaptureDecoder rejects a pcap caplen above the maximum, also an absurd one", () => {
  const good = concat(pcapHeader(), pcapRecord(bytes(4)));
  assertFails(
    concat(good, pcapRecord(bytes(4), { caplen: 262145 })),
    44,
    1,
    /captured length 262145 is larger than the maximum of 262144/,
  );
  assertFails(
    concat(good, pcapRecord(bytes(4), { caplen: 0xffffffff })),
    44,
    1,
    /captured length 4294967295/,
  );
  assertFails(
    concat(good, pcapRecord(bytes(4), { caplen: 2000 })),
    44,
    1,
    /larger than the maximum of 1000/,
    {
      maxCapturedLength: 1000,
    },
  );
});

Deno.test("CaptureDecoder rejects pcapng block lengths that disagree, are not multiples of 4, too short or 4 GiB", () => {
  const head = concat(shb(), idb());
  const packet = epb(bytes(8));
  const at = head.length + packet.length;
  assertFails(
    concat(head, packet, block(6, bytes(24), { trailing: 32 })),
    at,
    1,
    /leading block length 36 and trailing block length 32 differ/,
  );
  assertFails(
    concat(head, packet, block(6, bytes(24), { length: 34 })),
    at,
    1,
    /not a multiple of 4/,
  );
  assertFails(concat(head, packet, block(6, bytes(24), { length: 8 })), at, 1, /shorter than 12/);
  assertFails(
    concat(head, packet, block(6, bytes(24), { length: 0xfffffffc })),
    at,
    1,
    /block length 4294967292 is larger than the maximum/,
  );
  assertFails(concat(head, packet, block(6, bytes(8))), at, 1, /too short for a packet block/);
});

Deno.test("CaptureDecoder rejects bad pcapng packet blocks", () => {
  const head = concat(shb(), idb({ snaplen: 64 }));
  const at = head.length;
  assertFails(
    concat(head, epb(bytes(8), { caplen: 9 })),
    at,
    0,
    /captured length 9 does not fit in a block of 40 bytes/,
  );
  assertFails(concat(head, epb(bytes(80))), at, 0, /larger than interface 0's snaplen of 64/);
  assertFails(
    concat(head, epb(bytes(8), { interfaceId: 1 })),
    at,
    0,
    /interface 1 but its section declares 1/,
  );
  assertFails(concat(shb(), spb(bytes(4))), 28, 0, /simple packet block before any interface/);
  // interfaces belong to their section
  assertFails(
    concat(head, epb(bytes(4)), shb(), epb(bytes(4))),
    at + 36 + 28,
    1,
    /interface 0 but its section declares 0/,
  );
});

Deno.test("CaptureDecoder rejects a bad section header and bad interface options", () => {
  const badBom = shb();
  badBom[8] = 0;
  assertFails(badBom, 0, 0, /bad byte-order magic/);
  assertFails(shb({ major: 2 }), 0, 0, /pcapng version 2\.0 is not supported/);
  assertFails(pcapHeader({ major: 1 }), 0, 0, /pcap version 1\.4 is not supported/);
  const longOption = concat(Uint8Array.of(2, 0, 200, 0), bytes(8));
  assertFails(
    concat(shb(), idb({ options: longOption })),
    28,
    0,
    /option 2 of 200 bytes runs past the end/,
  );
  assertFails(
    concat(shb(), idb({ options: option(9, Uint8Array.of(30)) })),
    28,
    0,
    /time stamp resolution/,
  );
});

Deno.test("CaptureDecoder keeps refusing input after an error, and reports the record index", () => {
  const decoder = new CaptureDecoder();
  const input = concat(shb(), idb(), epb(bytes(4)), block(6, bytes(24), { trailing: 4 }));
  const batch = decoder.push(input);
  assert.equal(batch.count, 3);
  assert.ok(batch.error instanceof CaptureFormatError);
  assert.equal(batch.error.recordIndex, 3);
  assert.equal(batch.error.byteOffset, 84);
  const again = decoder.push(concat(shb()));
  assert.equal(again.count, 0);
  assert.equal(again.error, batch.error);
  assert.equal(decoder.finish().error, batch.error);
});

Deno.test("CaptureDecoder records tile the input so that copying them reproduces it", () => {
  const input = concat(
    shb(),
    idb(),
    epb(bytes(10)),
    block(99, bytes(5)),
    spb(bytes(3)),
    epb(bytes(1)),
  );
  for (const size of [1, 4, 9, 1000]) {
    const decoder = new CaptureDecoder();
    const copy: number[] = [];
    for (let at = 0; at < input.length; at += size) {
      const batch = decoder.push(input.subarray(at, at + size));
      for (let i = 0; i < batch.count; i++) {
        const src = i < batch.carried ? batch.carry : batch.bytes;
        copy.push(...src.subarray(batch.start[i], batch.end[i]));
      }
    }
    assert.equal(decoder.finish().error, undefined);
    assert.deepEqual(Uint8Array.from(copy), input);
  }
});

Deno.test("CaptureDecoder grows its batch beyond its initial capacity", () => {
  const records = Array.from({ length: 1000 }, (_, i) => pcapRecord(bytes(1, i)));
  const { packets, error } = decode(concat(pcapHeader(), ...records));
  assert.equal(error, undefined);
  assert.equal(packets.length, 1000);
  assert.deepEqual(packets[999].data, bytes(1, 999));
});

Deno.test("CaptureDecoder keeps a carried record's bytes through the next push, which carries another", () => {
  const first = pcapRecord(new Uint8Array(40).fill(1));
  const second = pcapRecord(new Uint8Array(40).fill(2));
  const third = pcapRecord(new Uint8Array(40).fill(3));
  const all = concat(pcapHeader(), first, second, third);
  const decoder = new CaptureDecoder();
  decoder.push(all.subarray(0, 24 + 30)); // the header, part of the first record
  const completed = decoder.push(all.subarray(24 + 30, 24 + 56)); // the first record's rest
  assert.equal(completed.carried, 1);
  const carried = completed.carry.subarray(completed.start[0], completed.end[0]);
  // The next push (as the command line pushes the rest of a block) carries the third record's start.
  decoder.push(all.subarray(24 + 56, 24 + 56 + 56 + 20));
  assert.deepEqual(carried, first);
});

Deno.test("CaptureDecoder keeps a carried record's bytes through the next push, which completes a carried record and carries another", () => {
  const records = [1, 2, 3, 4].map((n) => pcapRecord(new Uint8Array(40).fill(n)));
  const all = concat(pcapHeader(), ...records);
  const decoder = new CaptureDecoder();
  decoder.push(all.subarray(0, 24 + 30)); // the header, part of the first record
  // Completes the first record (carried) and starts the second.
  const second = decoder.push(all.subarray(24 + 30, 24 + 56 + 30));
  assert.equal(second.carried, 1);
  const first = second.carry.subarray(second.start[0], second.end[0]);
  // Completes the second (carried) and starts the third: not in the first's buffer.
  const third = decoder.push(all.subarray(24 + 56 + 30, 24 + 112 + 30));
  assert.equal(third.carried, 1);
  assert.deepEqual(first, records[0]);
  assert.deepEqual(third.carry.subarray(third.start[0], third.end[0]), records[1]);
});

Deno.test("CaptureDecoder: every carried record stays intact through the next push, on random splits", () => {
  let seed = 7;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8;
  for (let round = 0; round < 200; round++) {
    const records = Array.from(
      { length: 2 + (next() % 12) },
      (_, n) => pcapRecord(new Uint8Array(next() % 90).fill(n + 1)),
    );
    const all = concat(pcapHeader(), ...records);
    const decoder = new CaptureDecoder();
    let held: { view: Uint8Array; copy: Uint8Array } | undefined;
    for (let at = 0; at < all.length;) {
      const size = 1 + (next() % 120);
      const batch = decoder.push(all.subarray(at, at + size));
      at += size;
      assert.equal(batch.error, undefined);
      if (held) assert.deepEqual(held.view, held.copy, `round ${round}, at ${at}`);
      held = undefined;
      if (batch.carried === 1) {
        const view = batch.carry.subarray(batch.start[0], batch.end[0]);
        held = { view, copy: view.slice() };
      }
    }
    assert.ok(decoder.bufferSize <= 3 * 128, `buffer ${decoder.bufferSize}`);
  }
});

Deno.test("CaptureDecoder: a caller may walk whole pcap records itself; offsets and record numbers in errors stay the stream's", () => {
  const records = [1, 2, 3].map((n) => pcapRecord(new Uint8Array(10).fill(n), { little: false }));
  const bad = pcapRecord(new Uint8Array(4), { caplen: 0x7fffffff, little: false });
  const all = concat(pcapHeader({ little: false, snaplen: 8 }), ...records, bad);
  const decoder = new CaptureDecoder();
  assert.equal(decoder._pcapLayout, undefined);
  decoder.push(all.subarray(0, 24 + 5));
  assert.deepEqual(decoder._pcapLayout, {
    recordHeader: 16,
    littleEndian: false,
    snaplen: 8,
    maxCapturedLength: 262144,
  });
  assert.equal(decoder._pcapCarryNeed, 11); // the rest of the first record's header
  decoder.push(all.subarray(24 + 5, 24 + 16));
  assert.equal(decoder._pcapCarryNeed, 10); // its data
  assert.equal(decoder.push(all.subarray(24 + 16, 24 + 26)).count, 1);
  assert.equal(decoder._pcapCarryNeed, 0);
  decoder._skipPcapRecords(52, 2); // records 2 and 3, taken by the caller
  const batch = decoder.push(all.subarray(24 + 78));
  assert.ok(batch.error instanceof CaptureFormatError);
  // The message of a decoder that decoded every record itself.
  const whole = new CaptureDecoder().push(all).error;
  assert.match(String(whole?.message), /^Cannot decode pcap record 4 at byte offset 102: /);
  assert.equal(batch.error.message, whole?.message);
  assert.equal(batch.error.byteOffset, 102);
  assert.equal(batch.error.recordIndex, 4);
  assert.equal(decoder._pcapLayout, undefined);
});
