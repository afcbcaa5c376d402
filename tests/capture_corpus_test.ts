/**
 * The capture decoder and encoder against the conformance corpus: packet
 * counts and link types from filters.json, lengths and bytes from tshark
 * (committed data, see tests/data/capture/make_tshark_frames.sh), an
 * independent minimal reader, splitting at every byte boundary, and
 * re-encoding.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CaptureDecoder } from "../src/capture/capture_decoder.ts";
import { CaptureDecoderStream } from "../src/capture/capture_decoder_stream.ts";
import { CaptureEncoderStream } from "../src/capture/capture_encoder_stream.ts";
import type { CapturedFrame } from "../src/capture/captured_frame.ts";
import { loadPackets } from "./_corpus.ts";

const sharedDir = fileURLToPath(new URL("../../shared/", import.meta.url));
const pcapDir = sharedDir + "conformance/pcap/";
const filtersJson = sharedDir + "conformance/filters.json";
const skip = existsSync(filtersJson)
  ? undefined
  : `conformance corpus not found at ${sharedDir}conformance (expected ../shared beside the repository); skipping`;
if (skip) console.warn(skip);

interface FileInfo {
  format: "pcap" | "pcapng";
  byteorder: "le" | "be" | "mixed";
  packets: number;
  linktypes: number[];
}

function files(): [string, FileInfo][] {
  const json = JSON.parse(readFileSync(filtersJson, "utf8"));
  return Object.entries(json.files as Record<string, FileInfo>).map((
    [name, info],
  ) => [name.replace(/^pcap\//, ""), info]);
}

/** One record as seen by a consumer, with absolute offsets. */
type Row = [
  kind: number,
  start: number,
  end: number,
  data: number,
  cap: number,
  wire: number,
  iface: number,
];

/** Decodes `input` pushed in the given pieces; returns rows and checks tiling. */
function decodeRows(input: Uint8Array, cuts: number[]): { rows: Row[]; decoder: CaptureDecoder } {
  const decoder = new CaptureDecoder();
  const rows: Row[] = [];
  let absolute = 0;
  let previous = 0;
  for (const cut of [...cuts, input.length]) {
    const batch = decoder.push(input.subarray(previous, cut));
    previous = cut;
    if (batch.error) throw batch.error;
    for (let i = 0; i < batch.count; i++) {
      const bytes = i < batch.carried ? batch.carry : batch.bytes;
      const length = batch.end[i] - batch.start[i];
      // records tile the input and their bytes are the input's bytes
      assert.deepEqual(
        bytes.subarray(batch.start[i], batch.end[i]),
        input.subarray(absolute, absolute + length),
      );
      rows.push([
        batch.kind[i],
        absolute,
        absolute + length,
        absolute + batch.dataStart[i] - batch.start[i],
        batch.capturedLength[i],
        batch.wireLength[i],
        batch.interfaceIndex[i],
      ]);
      absolute += length;
    }
  }
  const last = decoder.finish();
  if (last.error) throw last.error;
  assert.equal(absolute, input.length);
  return { rows, decoder };
}

function read(name: string): Uint8Array {
  return new Uint8Array(readFileSync(pcapDir + name));
}

Deno.test({
  name:
    "CaptureDecoder reads every corpus capture with filters.json's packet count, link types and byte order",
  ignore: skip !== undefined,
  fn() {
    const list = files();
    assert.equal(list.length, readdirSync(pcapDir).filter((n) => n !== "SOURCES.md").length);
    for (const [name, info] of list) {
      const { rows, decoder } = decodeRows(read(name), []);
      const packets = rows.filter((r) => r[0] === 1);
      assert.equal(decoder.format, info.format, name);
      assert.equal(packets.length, info.packets, name);
      const seen: number[] = [];
      for (const p of packets) {
        const lt = decoder.interfaces[p[6]].linkType;
        if (!seen.includes(lt)) seen.push(lt);
      }
      assert.deepEqual(seen, info.linktypes, name);
      const orders = new Set(decoder.interfaces.map((i) => i.littleEndian ? "le" : "be"));
      assert.equal(orders.size === 2 ? "mixed" : [...orders][0], info.byteorder, name);
    }
  },
});

Deno.test({
  name: "CaptureDecoder agrees with tshark on every corpus packet's lengths, bytes and interface",
  ignore: skip !== undefined,
  fn() {
    const tshark = JSON.parse(
      readFileSync(new URL("./data/capture/tshark_frames.json", import.meta.url), "utf8"),
    ).files as Record<string, [number, number, string, number | null][]>;
    let compared = 0;
    for (const [name] of files()) {
      const input = read(name);
      const { rows, decoder } = decodeRows(input, []);
      const packets = rows.filter((r) => r[0] === 1);
      // tshark also lists pcapng custom blocks (no interface); libpcap and we do not
      const expected = tshark[name].filter((row) => row[3] !== null);
      assert.equal(packets.length, expected.length, name);
      for (let i = 0; i < packets.length; i++) {
        const [, , , data, cap, wire, iface] = packets[i];
        const [len, capLen, md5, interfaceId] = expected[i];
        assert.equal(wire, len, `${name} packet ${i} wire length`);
        // tshark does not clamp a pcap caplen above the snaplen; libpcap does (corpus README)
        const storedCap = name.endsWith(".pcapng") || capLen <= cap ? cap : capLen;
        assert.equal(storedCap, capLen, `${name} packet ${i} captured length`);
        const hash = createHash("md5").update(input.subarray(data, data + storedCap)).digest("hex");
        assert.equal(hash, md5, `${name} packet ${i} bytes`);
        assert.equal(
          decoder.interfaces[iface].localIndex,
          interfaceId,
          `${name} packet ${i} interface`,
        );
        compared++;
      }
    }
    assert.ok(compared > 3000);
  },
});

Deno.test({
  name:
    "CaptureDecoder matches the independent test reader on every corpus packet (libpcap clamping)",
  ignore: skip !== undefined,
  fn() {
    for (const [name] of files()) {
      const input = read(name);
      const { rows, decoder } = decodeRows(input, []);
      const packets = rows.filter((r) => r[0] === 1);
      const reference = loadPackets("pcap/" + name);
      assert.equal(packets.length, reference.length, name);
      for (let i = 0; i < packets.length; i++) {
        const [, , , data, cap, wire, iface] = packets[i];
        assert.deepEqual(
          input.subarray(data, data + cap),
          new Uint8Array(reference[i].data),
          `${name} #${i}`,
        );
        assert.equal(wire, reference[i].wireLength, `${name} #${i}`);
        assert.equal(decoder.interfaces[iface].linkType, reference[i].linkType, `${name} #${i}`);
      }
    }
  },
});

Deno.test({
  name:
    "CaptureDecoder gives identical records for every corpus capture split at any byte boundary",
  ignore: skip !== undefined,
  fn() {
    let seed = 12345;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    for (const [name] of files()) {
      const input = read(name);
      const whole = decodeRows(input, []).rows;
      // every boundary for small files, 40 sampled boundaries (plus record edges ± 1) for large ones
      const cuts: number[] = [];
      if (input.length <= 3000) { for (let c = 1; c < input.length; c++) cuts.push(c); }
      else {
        for (let k = 0; k < 40; k++) cuts.push(1 + Math.floor(random() * (input.length - 1)));
        for (const r of whole.slice(0, 6)) cuts.push(r[1] + 1, r[2] - 1, r[3]);
      }
      for (const cut of cuts) {
        assert.deepEqual(decodeRows(input, [cut]).rows, whole, `${name} split at ${cut}`);
      }
      // random multi-way splits
      for (let k = 0; k < 3; k++) {
        const many = new Set<number>();
        const n = 1 + Math.floor(random() * 50);
        for (let j = 0; j < n; j++) many.add(1 + Math.floor(random() * (input.length - 1)));
        const sorted = [...many].sort((a, b) => a - b);
        assert.deepEqual(decodeRows(input, sorted).rows, whole, `${name} split at ${sorted}`);
      }
    }
  },
});

Deno.test({
  name: "CaptureDecoder gives identical records when fed one byte at a time",
  ignore: skip !== undefined,
  fn() {
    for (
      const name of [
        "test202.pcapng",
        "test006.pcapng",
        "nanosecs_big_endian.pcap",
        "many_interfaces-1.pcapng",
        "pim-packet-assortment.pcap",
        "isup.pcap",
      ]
    ) {
      const input = read(name);
      const whole = decodeRows(input, []).rows;
      const cuts = Array.from({ length: input.length - 1 }, (_, i) => i + 1);
      assert.deepEqual(decodeRows(input, cuts).rows, whole, name);
    }
  },
});

async function framesOf(chunks: Uint8Array[]): Promise<CapturedFrame[]> {
  const frames: CapturedFrame[] = [];
  for await (const f of ReadableStream.from(chunks).pipeThrough(new CaptureDecoderStream())) {
    frames.push(f);
  }
  return frames;
}

async function encode(frames: CapturedFrame[], format?: "pcap" | "pcapng"): Promise<Uint8Array> {
  const out = ReadableStream.from(frames).pipeThrough(new CaptureEncoderStream({ format }));
  return new Uint8Array(await new Response(out).arrayBuffer());
}

function comparable(f: CapturedFrame) {
  return {
    index: f.index,
    linkType: f.linkType,
    data: f.data,
    wireLength: f.wireLength,
    ns: f.timestampNanoseconds,
    options: f.options,
  };
}

Deno.test({
  name: "CaptureEncoderStream re-encodes every corpus capture to frames that read back identically",
  ignore: skip !== undefined,
  async fn() {
    for (const [name, info] of files()) {
      const input = read(name);
      const frames = await framesOf([input]);
      const encoded = await encode(frames);
      const back = await framesOf([encoded]);
      assert.deepEqual(back.map(comparable), frames.map(comparable), name);
      if (info.format === "pcap") {
        // pcap in, pcap out: the same header, and the same bytes except where libpcap
        // clamped a caplen above the snaplen (pim-packet-assortment.pcap, see the corpus README)
        assert.deepEqual(encoded.subarray(0, 24), input.subarray(0, 24), name);
        if (name !== "pim-packet-assortment.pcap") assert.deepEqual(encoded, input, name);
      }
      // and converted to the other format
      const other = info.format === "pcap" ? "pcapng" : undefined;
      if (other) {
        const converted = await framesOf([await encode(frames, other)]);
        assert.deepEqual(
          converted.map((f) => [f.data, f.wireLength, f.linkType, f.timestampNanoseconds]),
          frames.map((f) => [f.data, f.wireLength, f.linkType, f.timestampNanoseconds]),
          name,
        );
      }
    }
  },
});

Deno.test({
  name: "CaptureEncoderStream reproduces a classic pcap byte for byte",
  ignore: skip !== undefined,
  async fn() {
    for (const name of ["isup.pcap", "nanosecs_big_endian.pcap", "babel.pcap", "sll.pcap"]) {
      const input = read(name);
      assert.deepEqual(await encode(await framesOf([input])), input, name);
    }
  },
});
