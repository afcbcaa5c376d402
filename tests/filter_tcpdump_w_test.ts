/**
 * `filter --base link --expr E` writes what `tcpdump -r IN -w - E` writes,
 * byte for byte (tcpdump 4.99 / libpcap 1.10, run live): on every corpus
 * capture (pcap and pcapng, every link type), and on one capture rewritten
 * as the pcap variants libpcap normalises (nanoseconds, big-endian, the
 * modified 24-byte record header, a snaplen of 0, a snaplen shorter than
 * the records, a time zone, version 2.2, the Linux DLT_RAW value 12) and as
 * pcapng. Each input is read as `main.ts` reads a file (blocks into the
 * Wasm walk's memory, reads of odd sizes: records across blocks) and as a
 * stream. Skipped (`ignore`) where tcpdump is not installed.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { corpusDir, corpusSkipReason } from "./_corpus.ts";
import { runCli } from "../src/cli/run_cli.ts";
import { _testIo } from "../src/cli/_test_io.ts";
import { CaptureDecoderStream } from "../src/capture/capture_decoder_stream.ts";
import { CaptureEncoderStream } from "../src/capture/capture_encoder_stream.ts";
import { block, concat, epb, idb, option, shb, spb } from "../src/capture/_test_captures.ts";

function _hasTcpdump(): boolean {
  try {
    return new Deno.Command("tcpdump", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

const tcpdump = _hasTcpdump();
const skip = !tcpdump ? "tcpdump is not installed" : corpusSkipReason();

/** tcpdump's output and status for `capture` and `expression`. */
function _tcpdump(capture: Uint8Array, expression: string) {
  const path = Deno.makeTempFileSync({ suffix: ".cap" });
  try {
    Deno.writeFileSync(path, capture);
    const out = new Deno.Command("tcpdump", {
      args: ["-r", path, "-w", "-", expression],
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
    return { code: out.code, stdout: out.stdout, stderr: new TextDecoder().decode(out.stderr) };
  } finally {
    Deno.removeSync(path);
  }
}

/** `filter --base link --expr expression` on `capture`, as a file (walk) or a stream. */
async function _filter(
  capture: Uint8Array,
  expression: string,
  file: boolean,
  blocks = { chunkSize: 8192, reads: [1000, 65536, 7] },
) {
  const t = file
    ? _testIo({ files: { "in.cap": capture }, ...blocks })
    : _testIo({ stdin: capture, chunkSize: 3001 });
  const args = ["filter", "--base", "link", "--expr", expression, file ? "in.cap" : "-"];
  const code = await runCli(args, t.io);
  return { code, stdout: t.stdout(), stderr: t.stderr() };
}

/**
 * Compares both tools on `capture`; returns whether tcpdump ran the filter
 * (it refuses some expressions on some link types).
 */
async function _compare(
  capture: Uint8Array,
  expression: string,
  where: string,
  blocks?: Parameters<typeof _filter>[3],
) {
  const theirs = _tcpdump(capture, expression);
  // tcpdump refuses the expression (or the file) before it writes anything.
  if (theirs.code !== 0 && theirs.stdout.length === 0) return false;
  for (const file of [true, false]) {
    const ours = await _filter(capture, expression, file, blocks);
    const label = `${where} '${expression}' (${file ? "file" : "stream"})`;
    if (theirs.code === 0) {
      assert.equal(ours.code, 0, `${label}: ${ours.stderr}`);
    } else if (/different from the/.test(theirs.stderr)) {
      // libpcap stopped at an interface it cannot write (another link type): so do we.
      assert.equal(ours.code, 1, label);
      assert.match(ours.stderr, /different from the .* of the first interface/, label);
    } else {
      // Bad input: both stop there, after the packets before it.
      assert.equal(ours.code, 1, `${label}: ${theirs.stderr}`);
    }
    assert.deepEqual(ours.stdout, theirs.stdout, label);
  }
  return true;
}

const EXPRESSIONS = ["ip", "tcp", "greater 100"];

Deno.test({
  name: "filter writes what tcpdump -r -w writes on every corpus capture (pcap and pcapng)",
  ignore: skip !== undefined,
  async fn() {
    const dir = corpusDir + "pcap/";
    let compared = 0;
    for (const name of readdirSync(dir).filter((n) => /\.(pcap|pcapng|cap)$/.test(n)).sort()) {
      const capture = new Uint8Array(readFileSync(dir + name));
      for (const expression of EXPRESSIONS) {
        if (await _compare(capture, expression, name)) compared++;
      }
    }
    assert.ok(compared > 100, `${compared} cases compared with tcpdump`);
  },
});

/** The records of a little-endian microsecond pcap: [header bytes, record views]. */
function _records(pcap: Uint8Array): Uint8Array[] {
  const view = new DataView(pcap.buffer, pcap.byteOffset, pcap.byteLength);
  const records: Uint8Array[] = [];
  for (let at = 24; at + 16 <= pcap.length;) {
    const end = at + 16 + view.getUint32(at + 8, true);
    records.push(pcap.subarray(at, end));
    at = end;
  }
  return records;
}

function _concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** `pcap` (little-endian, microseconds, Ethernet) rewritten as `variant`. */
function _variant(pcap: Uint8Array, variant: string): Uint8Array {
  const header = pcap.slice(0, 24);
  const h = new DataView(header.buffer);
  const little = variant !== "big-endian";
  const records = _records(pcap).map((r) => {
    const copy = r.slice();
    const v = new DataView(copy.buffer);
    const fields = [0, 4, 8, 12].map((k) => v.getUint32(k, true));
    if (variant === "nanoseconds") fields[1] = fields[1] * 1000 + 999;
    fields.forEach((value, k) => v.setUint32(4 * k, value, little));
    if (variant !== "modified") return copy;
    // Kuznetzov's header: 8 more bytes (ifindex, protocol, packet type, padding).
    return _concat([
      copy.subarray(0, 16),
      new Uint8Array([0, 0, 0, 2, 8, 0, 0, 0]),
      copy.subarray(16),
    ]);
  });
  const magic = { nanoseconds: 0xa1b23c4d, modified: 0xa1b2cd34 }[variant] ?? 0xa1b2c3d4;
  const snaplen = { "snaplen 0": 0, "snaplen 64": 64 }[variant] ?? 262144;
  h.setUint32(0, magic, little);
  h.setUint16(4, 2, little);
  h.setUint16(6, variant === "version 2.2" ? 2 : 4, little);
  h.setInt32(8, variant === "time zone" ? -3600 : 0, little);
  h.setUint32(12, variant === "time zone" ? 6 : 0, little);
  h.setUint32(16, snaplen, little);
  h.setUint32(20, 1, little);
  return _concat([header, ...records]);
}

Deno.test({
  name:
    "filter writes what tcpdump -r -w writes on pcap variants libpcap normalises, and on pcapng of them",
  ignore: skip !== undefined,
  async fn() {
    // A corpus capture of Ethernet frames: little-endian, microseconds, 16-byte records.
    // A Uint8Array of its own (a Node Buffer's slice() is a view).
    const base = new Uint8Array(readFileSync(corpusDir + "pcap/four_ipv6_http_streams.pcap"));
    assert.equal(new DataView(base.buffer, base.byteOffset).getUint32(0, true), 0xa1b2c3d4);
    const variants = [
      "nanoseconds",
      "big-endian",
      "modified",
      "snaplen 0",
      "snaplen 64",
      "time zone",
      "version 2.2",
    ].map((v) => [v, _variant(base, v)] as const);
    // Raw IP stored as Linux's DLT_RAW (12): tcpdump writes LINKTYPE_RAW (101).
    const raw = readdirSync(corpusDir + "pcap/")
      .map((n) => new Uint8Array(readFileSync(corpusDir + "pcap/" + n)))
      .find((c) =>
        new DataView(c.buffer, c.byteOffset).getUint32(0, true) === 0xa1b2c3d4 &&
        new DataView(c.buffer, c.byteOffset).getUint32(20, true) === 101
      );
    if (raw !== undefined) {
      const dlt = raw.slice();
      new DataView(dlt.buffer).setUint32(20, 12, true);
      variants.push(["DLT_RAW 12", dlt]);
    }
    // pcapng of microsecond interfaces (the default), the packets cut to 64 bytes
    // (wire length kept), an obsolete Packet Block among them: the Wasm copy's path.
    const cut = _records(base).map((r, k) => {
      const v = new DataView(r.buffer, r.byteOffset, r.byteLength);
      const timestamp = BigInt(v.getUint32(0, true)) * 1000000n + BigInt(v.getUint32(4, true));
      const data = r.subarray(16, 16 + Math.min(64, v.getUint32(8, true)));
      return epb(data, { timestamp, wire: v.getUint32(12, true), type: k === 7 ? 2 : 6 });
    });
    const microseconds = concat(shb(), idb({ snaplen: 64 }), ...cut);
    // The same ended inside a block, and with a bad block length in the middle.
    const ended = microseconds.subarray(0, microseconds.length - 30);
    const bad = microseconds.slice();
    const middle = concat(shb(), idb({ snaplen: 64 }), ...cut.slice(0, cut.length >> 1)).length;
    new DataView(bad.buffer).setUint32(middle + 4, 13, true);
    for (const expression of EXPRESSIONS) {
      assert.ok(await _compare(microseconds, expression, "microsecond pcapng, cut"));
      assert.ok(await _compare(ended, expression, "microsecond pcapng, ended inside a block"));
      assert.ok(await _compare(bad, expression, "microsecond pcapng, a bad block length"));
    }
    for (const [name, capture] of [...variants, ["as is", base] as const]) {
      // The pcapng the library's encoder writes of it (nanosecond interfaces).
      const pcapng = new Uint8Array(
        await new Response(
          ReadableStream.from([capture]).pipeThrough(new CaptureDecoderStream())
            .pipeThrough(new CaptureEncoderStream({ format: "pcapng" })),
        ).arrayBuffer(),
      );
      for (const expression of EXPRESSIONS) {
        assert.ok(await _compare(capture, expression, name), `${name}: tcpdump ran`);
        assert.ok(await _compare(pcapng, expression, `${name} as pcapng`), `${name} pcapng`);
      }
    }
  },
});

/**
 * pcapng whose Enhanced Packet Blocks the one-program path walks in place
 * (./src/cli/_pcapng_as_pcap.ts): the packets of `records` (a pcap's) on
 * two interfaces, as `shape` says, with blocks of other kinds between them.
 */
function _pcapngOf(records: Uint8Array[], shape: string): Uint8Array {
  const little = shape !== "big-endian";
  // if_tsresol (9): 10^-6, 10^-9, or 2^-20 with an if_tsoffset (14) of 1000 seconds.
  const resolution = (code: number) => option(9, new Uint8Array([code]), little);
  const offset = option(14, new Uint8Array([0xe8, 3, 0, 0, 0, 0, 0, 0]), little);
  const binary = shape === "binary, an offset";
  const first = shape === "nanoseconds" || shape === "mixed resolutions"
    ? resolution(9)
    : binary
    ? concat(resolution(0x94), offset)
    : undefined;
  const second = shape === "nanoseconds" || binary ? first : undefined;
  const interfaces = [
    idb({ little, options: first }),
    idb({ little, options: shape === "mixed resolutions" ? resolution(6) : second }),
  ];
  const parts = [shb({ little }), ...interfaces];
  records.forEach((r, k) => {
    const v = new DataView(r.buffer, r.byteOffset, r.byteLength);
    const micro = BigInt(v.getUint32(0, true)) * 1000000n + BigInt(v.getUint32(4, true));
    const timestamp = binary
      ? (micro << 20n) / 1000000n + BigInt(k)
      : shape === "nanoseconds" || (shape === "mixed resolutions" && (k & 1) === 0)
      ? micro * 1000n + BigInt(k)
      : micro;
    const data = r.subarray(16);
    const wire = v.getUint32(12, true);
    const comment = option(1, new TextEncoder().encode(`packet ${k}`), little);
    if (k % 13 === 5) parts.push(block(5, new Uint8Array(12), { little })); // statistics
    if (k % 17 === 3) parts.push(block(0x40000bad, new Uint8Array(k % 9), { little })); // custom
    if (shape === "a bad interface id" && k === 40) {
      parts.push(epb(data, { little, interfaceId: 2, timestamp, wire }));
    } else if (shape === "a second section" && k === 40) {
      parts.push(shb({ little }), ...interfaces);
    } else if (k % 11 === 7) parts.push(spb(data, { little, wire }));
    else {
      const options = k % 3 === 0 ? comment : undefined;
      parts.push(epb(data, { little, interfaceId: k & 1, timestamp, wire, options }));
    }
  });
  return concat(...parts);
}

Deno.test({
  name: "filter writes what tcpdump -r -w writes on pcapng whose packet blocks it walks in place",
  ignore: skip !== undefined,
  async fn() {
    const base = new Uint8Array(readFileSync(corpusDir + "pcap/four_ipv6_http_streams.pcap"));
    const records = _records(base);
    const shapes = [
      "microseconds",
      "nanoseconds",
      "mixed resolutions",
      "binary, an offset",
      "big-endian",
      "a second section",
      "a bad interface id",
    ];
    for (const shape of shapes) {
      const capture = _pcapngOf(records, shape);
      // Cut inside a packet block, and a bad trailing length two thirds in.
      const ended = capture.subarray(0, capture.length - 50);
      const bad = capture.slice();
      const view = new DataView(bad.buffer);
      let at = 0;
      while (at < (bad.length * 2) / 3 || view.getUint32(at, shape !== "big-endian") !== 6) {
        at += view.getUint32(at + 4, shape !== "big-endian");
      }
      view.setUint32(at + view.getUint32(at + 4, shape !== "big-endian") - 4, 8, true);
      // (The last one's indexed load may land below zero: left to JavaScript.)
      const payload = "tcp[((tcp[12:1] & 0xf0) >> 2):1] = 0";
      for (const expression of [...EXPRESSIONS, "tcp port 80", "ip6", payload]) {
        assert.ok(await _compare(capture, expression, `pcapng, ${shape}`));
        assert.ok(await _compare(ended, expression, `pcapng, ${shape}, ended in a block`));
        assert.ok(await _compare(bad, expression, `pcapng, ${shape}, a bad trailing length`));
      }
    }
    // Input blocks as large as the walk's output blocks (256 KiB), packets of 4-9 KB: the
    // output of one may not fit in one (a packet cut at the last one's end comes first) and
    // continues in the next.
    const padded = Array.from({ length: 4 }, () => records).flat().map((r, k) => {
      const length = r.length - 16 + 4000 + ((k * 997) % 5000);
      const out = new Uint8Array(16 + length);
      out.set(r);
      const v = new DataView(out.buffer);
      v.setUint32(8, length, true);
      v.setUint32(12, length, true);
      return out;
    });
    const large = _pcapngOf(padded, "microseconds");
    assert.ok(large.length > 3 * 262144);
    for (const reads of [[262144], [262144, 100003, 7]]) {
      for (const expression of ["ip6", "greater 100", "tcp port 80"]) {
        const where = `large pcapng, reads ${reads}`;
        assert.ok(await _compare(large, expression, where, { chunkSize: 262144, reads }));
      }
    }
  },
});
